#!/usr/bin/env bash
# Builds and starts the engine with the bundled lists and default rules:
# gRPC on 127.0.0.1:50051, metrics on 127.0.0.1:9100, state under ./data.
# Extra arguments go to `screener serve`, for example --config screener.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

cargo build --release --locked -p screener
exec "$CARGO_TARGET_DIR/release/screener" serve "$@"
