#!/usr/bin/env bash
# The window: process start → the profile screen with the cached profile (the app logs
# "profile screen ready" right before that frame), idle memory, and idle CPU over 30 s with
# nothing pending. Runs the release build under Xvfb with the tiny-skia renderer.
#
#   benches/window.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/offline-profile-target}"
for tool in Xvfb xdotool; do command -v "$tool" >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb xdotool >/dev/null); done
cargo build --release --bins -q
bin="$CARGO_TARGET_DIR/release/offline-profile"

work=$(mktemp -d)
display=":$(( 200 + RANDOM % 50 ))"
Xvfb "$display" -screen 0 1024x768x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; rm -rf "$work"' EXIT
export DISPLAY="$display" ICED_BACKEND=tiny-skia
sleep 0.5
# A data folder with a cached profile (and the embedded server's data).
"$bin" --data-dir "$work/data" sync >/dev/null

samples=()
for _ in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  RUST_LOG=info "$bin" --data-dir "$work/data" >"$work/log" 2>&1 &
  pid=$!
  until grep -q "profile screen ready" "$work/log"; do sleep 0.002; done
  ready=$(date +%s%N)
  samples+=($(( (ready - start) / 1000 )))
  kill $pid; wait $pid 2>/dev/null || true
done
printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {printf "start → profile screen ready: median %.1f ms, min %.1f ms, max %.1f ms (%d runs)\n", a[int((NR+1)/2)]/1000, a[1]/1000, a[NR]/1000, NR}'

# Idle: memory and CPU with nothing pending.
RUST_LOG=warn "$bin" --data-dir "$work/data" >/dev/null 2>&1 &
pid=$!
sleep 5
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
before=$(ticks); sleep 30; after=$(ticks)
hz=$(getconf CLK_TCK)
echo "idle memory (RSS after 5 s): $((rss / 1024)) MB"
awk -v t=$((after - before)) -v hz="$hz" 'BEGIN {printf "idle CPU over 30 s: %.2f s (%.3f%% of one core)\n", t/hz, 100*t/hz/30}'
kill $pid; wait $pid 2>/dev/null || true
