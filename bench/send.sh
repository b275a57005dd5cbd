#!/usr/bin/env bash
# Benchmark: `comethook send --count` against wrk, both hitting the same trivial local
# endpoint with the same payload and the same number of connections, in the same run.
# Prints a table with the ratios the foundation issue targets: req/s >= 0.8 of wrk's,
# p50 within 20% of wrk's.
#
#   bash bench/send.sh            # defaults: 20000 requests, 4 connections, 3 rounds
#   N=50000 C=8 ROUNDS=5 bash bench/send.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
C=${C:-4}
ROUNDS=${ROUNDS:-3}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
go build -trimpath -o "$tmp/comethook" .
go build -trimpath -o "$tmp/fakeendpoint" ./bench/fakeendpoint
"$tmp/fakeendpoint" -url-file "$tmp/url" &
for _ in $(seq 100); do [ -s "$tmp/url" ] && break; sleep 0.05; done
url=$(cat "$tmp/url")

# The exact payload send posts, so both tools move the same bytes.
"$tmp/comethook" fixtures show message_sent | tr -d '\n' > "$tmp/body.json"
cat > "$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$tmp/body.json", "r"); wrk.body = f:read("*a"); f:close()
LUA

printf '%-6s %12s %12s %10s %10s %8s %8s\n' round wrk_rps send_rps wrk_p50 send_p50 rps_ratio p50_ratio
for r in $(seq "$ROUNDS"); do
  # wrk runs for about as long as send needs, measured first with a short send warm-up.
  "$tmp/comethook" send message_sent --to "$url" --count 2000 --concurrency "$C" --json >/dev/null
  w=$(wrk -t 2 -c "$C" -d 4s --latency -s "$tmp/post.lua" "$url" 2>&1)
  wrps=$(awk '/Requests\/sec/ {print $2}' <<<"$w")
  wp50=$(awk '$1=="50%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$w")
  s=$("$tmp/comethook" send message_sent --to "$url" --count "$N" --concurrency "$C" --json)
  srps=$(sed -E 's/.*"rps":([0-9.]+).*/\1/' <<<"$s")
  sp50=$(sed -E 's/.*"p50":([0-9.]+).*/\1/' <<<"$s")
  awk -v r="$r" -v wr="$wrps" -v sr="$srps" -v wp="$wp50" -v sp="$sp50" 'BEGIN {
    printf "%-6s %12.0f %12.0f %8.3fms %8.3fms %8.2f %8.2f\n", r, wr, sr, wp, sp, sr/wr, sp/wp }'
done
echo "targets: rps_ratio >= 0.80, p50_ratio within 0.80..1.20 (N=$N, C=$C, $(nproc) cores)"
