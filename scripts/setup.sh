#!/usr/bin/env bash
# Installs what building screener needs on a fresh Debian or Ubuntu machine:
# a C++ compiler and libclang for the rocksdb crate. Rust itself comes from
# rustup. Safe to run again: it installs only what is missing.
set -euo pipefail

missing=()
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
# grep reads the whole list (no -q): with pipefail, an early exit would
# give ldconfig SIGPIPE and make an installed libclang look missing.
if ! ldconfig -p 2>/dev/null | grep 'libclang[-.0-9]*\.so' >/dev/null; then
  missing+=(libclang-dev)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing ${missing[*]} and apt-get is not available; install them with your package manager" >&2
    exit 1
  fi
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust with rustup (https://rustup.rs) and run this again" >&2
  exit 1
fi

# The checkout these scripts belong to. Binaries find the bundled lists
# through it, and the lists crate is rebuilt when it changes, since one
# build is shared by every checkout that uses the same target folder.
SCREENER_SOURCE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SCREENER_SOURCE_ROOT

# Builds go to one persistent folder so that RocksDB's C++ is compiled once
# per machine, not once per checkout.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/screener/target}"
mkdir -p "$CARGO_TARGET_DIR"
