#!/usr/bin/env bash
# Installs what building screener needs on a fresh Debian or Ubuntu machine:
# a C++ compiler and libclang for the rocksdb crate. Rust itself comes from
# rustup. Safe to run again: it installs only what is missing.
#
# The other scripts source it to get the exports at the end. Sourced, it
# checks each step itself rather than setting `-e`, and reports a failure
# with `return`. It restores the caller's shell options when it returns,
# so sourcing it into an interactive shell neither changes its options
# nor closes it.
if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # `set +o` runs in a subshell, which never has errexit, so errexit is
  # read from `$-` instead.
  setup_caller_options="$(set +o)"
  case $- in *e*) setup_caller_options+="; set -e" ;; esac
  trap 'eval "$setup_caller_options"; unset setup_caller_options; trap - RETURN' RETURN
  set +e -uo pipefail
else
  set -euo pipefail
fi

# Stops with an error message: `return` when sourced, `exit` when run.
setup_fail() {
  echo "setup: $1" >&2
  if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    return 1
  fi
  exit 1
}

missing=()
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
# ldconfig is in /sbin or /usr/sbin, which a normal user's PATH on Debian
# leaves out. grep reads the whole list (no -q): with pipefail, an early
# exit would give ldconfig SIGPIPE and make an installed libclang look
# missing.
if ! PATH="$PATH:/usr/sbin:/sbin" ldconfig -p 2>/dev/null | grep 'libclang[-.0-9]*\.so' >/dev/null; then
  missing+=(libclang-dev)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    setup_fail "missing ${missing[*]} and apt-get is not available; install them with your package manager" || return 1
  fi
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq || setup_fail "apt-get update failed; see its output above" || return 1
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null ||
    setup_fail "installing ${missing[*]} failed; see apt-get's output above" || return 1
fi

if ! command -v cargo >/dev/null 2>&1; then
  setup_fail "cargo not found; install Rust with rustup (https://rustup.rs) and run this again" || return 1
fi

# The checkout these scripts belong to. Binaries find the bundled lists
# through it, and the lists crate is rebuilt when it changes, since one
# build is shared by every checkout that uses the same target folder.
SCREENER_SOURCE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SCREENER_SOURCE_ROOT

# Builds go to one persistent folder so that RocksDB's C++ is compiled once
# per machine, not once per checkout.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/screener/target}"
mkdir -p "$CARGO_TARGET_DIR" || setup_fail "cannot create $CARGO_TARGET_DIR; set CARGO_TARGET_DIR to a writable folder" || return 1
