#!/usr/bin/env bash
# Runs the test suite: formatting, lints, then every test of the workspace.
# Tests that need the published lists read them from ../shared/data (or
# SCREENER_DATA_DIR) and skip with a message when the data is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
