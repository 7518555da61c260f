#!/usr/bin/env bash
# A day of a window left open, compressed: the release window under Xvfb (tiny-skia), synced
# against a release profile-server on loopback, with a periodic sync every second (a day of the
# guide's 5-minute timer is 288 syncs), another device changing the name every second (each one
# pushed to the window over its event stream and re-rendered), and the server stopped and
# started again every minute (the badge goes Offline, backs off, reconnects, syncs). The
# window's RSS is sampled every 10 s; the table says whether it levels off.
#
#   benches/window-memory.sh [SECONDS]      (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/offline-profile-target}"
for tool in Xvfb curl; do command -v "$tool" >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb curl >/dev/null); done
cargo build --release --locked --bins -q
app="$CARGO_TARGET_DIR/release/offline-profile"
server_bin="$CARGO_TARGET_DIR/release/profile-server"

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
api="http://127.0.0.1:$port"
token=soak-token
display=":$(( 250 + RANDOM % 40 ))"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

start_server() {
  RUST_LOG=warn "$server_bin" --listen "127.0.0.1:$port" --db "$work/server.sqlite3" --token "$token" >>"$work/server.log" 2>&1 &
  server=$!
  pids+=("$server")
  for _ in $(seq 1 100); do curl -fsS "$api/health" >/dev/null 2>&1 && return; sleep 0.05; done
  echo "the server did not start" >&2; exit 1
}
start_server
OFFLINE_PROFILE_TOKEN=$token "$app" --data-dir "$work/other" --api "$api" set --name "Soak 0" >/dev/null

Xvfb "$display" -screen 0 1024x768x24 -nolisten tcp -noreset >/dev/null 2>&1 &
pids+=($!)
sleep 0.5
DISPLAY="$display" ICED_BACKEND=tiny-skia RUST_LOG=warn OFFLINE_PROFILE_TOKEN=$token \
  "$app" --data-dir "$work/window" --api "$api" --sync-interval 1 >"$work/window.log" 2>&1 &
window=$!
pids+=("$window")
sleep 5

rss() { awk '/VmRSS/ {print $2}' "/proc/$window/status"; }
echo "| time | window RSS | changes pushed | server restarts |"
echo "|---|---|---|---|"
started=$(date +%s)
changes=0
restarts=0
next_sample=0
next_restart=30
samples=()
while :; do
  elapsed=$(( $(date +%s) - started ))
  [ "$elapsed" -ge "$seconds" ] && break
  kill -0 "$window" 2>/dev/null || { echo "the window exited; see $work/window.log" >&2; cat "$work/window.log" >&2; exit 1; }
  if [ "$elapsed" -ge "$next_sample" ]; then
    kib=$(rss); samples+=("$kib")
    echo "| ${elapsed} s | $((kib / 1024)).$(( (kib % 1024) * 10 / 1024 )) MB | $changes | $restarts |"
    next_sample=$(( next_sample + 10 ))
  fi
  if [ "$elapsed" -ge "$next_restart" ]; then
    next_restart=$(( next_restart + 60 ))
    kill "$server"; wait "$server" 2>/dev/null || true
    sleep 3
    start_server
    restarts=$((restarts + 1))
  fi
  changes=$((changes + 1))
  OFFLINE_PROFILE_TOKEN=$token "$app" --data-dir "$work/other" --api "$api" set --name "Soak $changes" >/dev/null 2>&1 || true
  sleep 1
done
kib=$(rss); samples+=("$kib")
first=${samples[1]:-${samples[0]}}
printf '%s\n' "${samples[@]}" | awk -v first="$first" -v last="$kib" -v n="${#samples[@]}" -v secs="$seconds" '
  { if ($1 > max) max = $1 }
  END { printf "\nwindow RSS after 10 s %.1f MB, at the end %.1f MB, highest %.1f MB (%d samples over %d s)\n", first/1024, last/1024, max/1024, n, secs }'
# The window must have followed the other device to the end.
grep -q "panicked" "$work/window.log" && { echo "the window panicked" >&2; exit 1; }
exit 0
