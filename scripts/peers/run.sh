#!/usr/bin/env bash
# Creates (once) a Python virtual environment with the pinned peer tools
# and runs peers.py with the arguments given, for example:
#   scripts/peers/run.sh --json peers-results.json
#   scripts/peers/run.sh --negatives 5000 --nk-negatives 1000
# The environment lives under $SCREENER_PEERS_VENV, by default
# $HOME/.cache/screener/peers-venv.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${SCREENER_PEERS_VENV:-$HOME/.cache/screener/peers-venv}"

if [ ! -x "$venv/bin/python" ]; then
    echo "creating the virtual environment in $venv" >&2
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --requirement "$here/requirements.txt"; then
    echo "pip could not install $here/requirements.txt into $venv; check that PyPI is reachable" >&2
    exit 1
fi

exec "$venv/bin/python" "$here/peers.py" "$@"
