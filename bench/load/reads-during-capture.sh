#!/usr/bin/env bash
# Load test of issue 18: the dashboard's API reads (wrk, 16 connections,
# 30 s, bench/load/dashboard.lua) against `equitas serve` on the demo, first
# alone, then while `equitas epcis capture` stores a 300,000-event document
# into the same SQLite database from another process. Prints wrk's latency
# distribution for both runs and the capture's time. Needs wrk (Debian).
#
#   bench/load/reads-during-capture.sh [EVENTS]      (default 300000)
set -euo pipefail
cd "$(dirname "$0")/../.."
EVENTS=${1:-300000}
command -v wrk >/dev/null || { echo "wrk is missing (Debian: apt-get install wrk)" >&2; exit 1; }
cargo build --release --locked -q
BIN=target/release/equitas
WORK=$(mktemp -d /tmp/equitas-load.XXXXXX)
PORT=18282
cleanup() {
    if [ -n "${SERVER:-}" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== generating a document of $EVENTS events" >&2
cargo bench -q -p equitas-store --bench epcis_capture -- "$EVENTS" "$WORK/events.jsonld" >"$WORK/bench.log"
ls -l "$WORK/events.jsonld" >&2

"$BIN" --data-dir "$WORK/data" demo >/dev/null
"$BIN" --data-dir "$WORK/data" serve --addr "127.0.0.1:$PORT" 2>"$WORK/serve.log" &
SERVER=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/api/v1/status" >/dev/null 2>&1 && break
    sleep 0.2
done
# Warm the answers the dashboard asks for (the first forecast or risk is computed once).
wrk -t2 -c2 -d5s -s bench/load/dashboard.lua "http://127.0.0.1:$PORT" >/dev/null

echo "== reads alone" >&2
wrk -t2 -c16 -d30s --timeout 10s --latency -s bench/load/dashboard.lua "http://127.0.0.1:$PORT"

echo "== reads while $EVENTS events are captured" >&2
( /usr/bin/time -f "capture: %e s wall, %M KiB peak" "$BIN" --data-dir "$WORK/data" epcis capture "$WORK/events.jsonld" ) 2>&1 &
CAPTURE=$!
sleep 1
wrk -t2 -c16 -d30s --timeout 10s --latency -s bench/load/dashboard.lua "http://127.0.0.1:$PORT"
wait "$CAPTURE"
echo "== server log (warnings and errors)" >&2
grep -Ei "warn|error" "$WORK/serve.log" || echo "(none)"
