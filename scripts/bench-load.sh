#!/usr/bin/env bash
# Builds screener in release mode, starts the server on the bundled lists
# and default rules with its state in a fresh temporary folder, runs the
# load generator against it with the arguments given, then stops the
# server. For example:
#   scripts/bench-load.sh --streams 4 --rate 0 --duration 20
#   scripts/bench-load.sh --streams 4 --rate 25000 --duration 20 --json run.json
# The server listens on 127.0.0.1:50151 (SCREENER_BENCH_ADDR overrides),
# and its metrics on a free port that the script prints before the run
# (SCREENER_BENCH_METRICS_ADDR sets one). Its state goes to a fresh
# temporary folder that is removed afterwards, or to the folder that
# SCREENER_BENCH_STATE_DIR names, which must be empty or missing and is
# kept. The server's log is kept in the file the script prints at the end.
set -euo pipefail
addr="${SCREENER_BENCH_ADDR:-127.0.0.1:50151}"
metrics_addr="${SCREENER_BENCH_METRICS_ADDR:-127.0.0.1:0}"
if [ -n "${SCREENER_BENCH_STATE_DIR:-}" ]; then
    # A relative folder is taken from where the script was started.
    state="$SCREENER_BENCH_STATE_DIR"
    [ "${state#/}" != "$state" ] || state="$PWD/$state"
    state="${state%/}"
    if [ -e "$state" ] && [ ! -d "$state" ]; then
        echo "SCREENER_BENCH_STATE_DIR $state is not a folder; name an empty or missing folder" >&2
        exit 1
    fi
    if [ -d "$state" ] && [ -n "$(ls -A "$state")" ]; then
        echo "SCREENER_BENCH_STATE_DIR $state is not empty; name an empty or missing folder" >&2
        exit 1
    fi
    if [ ! -d "$(dirname "$state")" ]; then
        echo "SCREENER_BENCH_STATE_DIR $state is in a folder that does not exist; create $(dirname "$state") first" >&2
        exit 1
    fi
    keep_state=1
else
    keep_state=0
fi
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo build --release --locked -p screener
bin="$CARGO_TARGET_DIR/release/screener"

if [ "$keep_state" = 0 ]; then
    state="$(mktemp -d -t screener-bench-state.XXXXXX)"
fi
log="$state.log"
SCREENER__SERVER__GRPC_ADDR="$addr" \
SCREENER__SERVER__METRICS_ADDR="$metrics_addr" \
SCREENER__STATE__DIR="$state" \
    "$bin" serve >"$log" 2>&1 &
server=$!
stop() {
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    if [ "$keep_state" = 1 ]; then
        echo "server state: $state" >&2
    else
        rm -rf "$state"
    fi
    echo "server log: $log" >&2
}
trap stop EXIT

for _ in $(seq 1 240); do
    if grep -q "screener listening" "$log"; then
        break
    fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "the server exited before listening; its log:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.5
done
if ! grep -q "screener listening" "$log"; then
    echo "the server did not start listening within 120 s; see $log" >&2
    exit 1
fi
metrics="$(grep -m1 "screener listening" "$log" | sed -n 's/.* metrics=\([^ ]*\).*/\1/p')"
if [ -n "$metrics" ]; then
    echo "server metrics: http://$metrics/metrics" >&2
fi

"$bin" bench --server "http://$addr" "$@"
