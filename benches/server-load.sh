#!/usr/bin/env bash
# Server throughput and latency under concurrency, measured with wrk (installed with apt-get
# when missing) against a release build of profile-server on 127.0.0.1.
#
#   benches/server-load.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-32}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/offline-profile-target}"
command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
cargo build --release --bin profile-server -q

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=load-token
RUST_LOG=warn "$CARGO_TARGET_DIR/release/profile-server" --listen "127.0.0.1:$port" --db "$work/server.sqlite3" --token "$token" >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break; sleep 0.1; done
python3 - "$port" "$token" <<'PY'
import json, sys, urllib.request
port, token = sys.argv[1:3]
request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/profile", method="PUT",
    data=json.dumps({"name": "Load test", "photo_url": ""}).encode(),
    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "If-None-Match": "*"})
urllib.request.urlopen(request, timeout=5)
PY

cat > "$work/put.lua" <<'LUA'
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"name":"Load %d","photo_url":""}', counter)
  return wrk.format("PUT", "/v1/profile", {
    ["Authorization"] = "Bearer load-token",
    ["Content-Type"] = "application/json",
    ["If-Match"] = "*",
  }, body)
end
LUA

echo "== GET /v1/profile, ${connections} connections, ${seconds}s (2 wrk threads)"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/profile"
echo
echo "== PUT /v1/profile (every request a new name: one durable transaction each)"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$work/put.lua" "http://127.0.0.1:$port/v1/profile"
