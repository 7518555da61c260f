#!/usr/bin/env bash
# The memory slow clients leave behind in profile-server, per allocator, side by side in one
# run: the release server built with the system allocator, jemalloc (the default) and mimalloc,
# each given waves of 3,000 half-sent requests (the load harness's `memory` scenario), which
# prints a markdown table of the results (`benches/all` pastes it into BENCHMARKS.md).
#
#   benches/server-memory.sh [WAVES]      (default 6; LOAD_SETTLE_SECONDS, default 30, is the
#                                          wait after the last wave)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/offline-profile-target}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build() { # label, cargo features...
  local label=$1; shift
  cargo build --release --locked -q -p profile-server --bin profile-server "$@"
  cp "$CARGO_TARGET_DIR/release/profile-server" "$work/profile-server-$label"
}
build system --no-default-features
build mimalloc --no-default-features --features mimalloc
build jemalloc
export LOAD_WAVES="${1:-6}"
export LOAD_MEMORY_SERVERS="system allocator=$work/profile-server-system,jemalloc (the default)=$work/profile-server-jemalloc,mimalloc=$work/profile-server-mimalloc"
cargo bench --locked -q -p profile-server --bench load -- memory
