#!/usr/bin/env bash
# Server throughput and latency under concurrency, measured with wrk (installed with apt-get
# when missing) against a release build of profile-server on 127.0.0.1; ends with a markdown
# table of the figures (`benches/all` pastes it into BENCHMARKS.md).
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
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
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
wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/profile" | tee "$work/get.txt"
echo
echo "== PUT /v1/profile (every request a new name: one durable transaction each)"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$work/put.lua" "http://127.0.0.1:$port/v1/profile" | tee "$work/put.txt"

# The table: wrk's median, p99 and requests a second; failed requests (non-2xx answers, socket
# errors) are counted next to the throughput and fail the target.
python3 - "$work/get.txt" "$work/put.txt" "$connections" <<'PY'
import re, sys
get, put, connections = sys.argv[1:4]

def parse(path):
    text = open(path).read()
    def latency(percent):
        value, unit = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    rate = float(re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M).group(1))
    failed = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", text))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    failed += sum(int(n) for n in errors.groups()) if errors else 0
    return latency(50), latency(99), rate, failed

def ms(value):
    return f"{value:.3g} ms" if value < 100 else f"{value:.0f} ms"

def throughput(rate, failed):
    rounded = round(rate, -1) if rate >= 1000 else rate
    return f"{rounded:,.0f} req/s" + (f" ({failed:,} failed)" if failed else "")

print()
print("| # | Figure | Target | Median | p99 | Throughput | Met |")
print("|---|---|---|---|---|---|---|")
median, p99, rate, failed = parse(get)
met = "yes" if p99 < 5 and rate >= 10_000 and not failed else "**no**"
print(f"| 6 | Server GET, {connections} connections | p99 < 5 ms at ≥ 10k req/s | {ms(median)} | {ms(p99)} | {throughput(rate, failed)} | {met} |")
median, p99, rate, failed = parse(put)
print(f"| 6 | Server PUT (a new name each time: one durable transaction), {connections} connections | — | {ms(median)} | {ms(p99)} | {throughput(rate, failed)} | — |")
PY
