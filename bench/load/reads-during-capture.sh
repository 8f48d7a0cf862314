#!/usr/bin/env bash
# Load test of issue 18: the dashboard's API reads (16 connections, 30 s, the
# 14 requests of bench/load/dashboard.lua in turn) against `equitas serve` on
# the demo, first alone, then while `equitas epcis capture` stores a
# 300,000-event document into the same SQLite database from another process.
# Prints the latency distribution of both runs and the capture's time.
#
# The load comes from oha (`cargo install oha`) if it is installed, else from
# wrk (Debian). On this 2-core machine wrk's own figures during the capture
# are not to be trusted (its threads are starved while the capture takes a
# core: its mean latency times its requests came out above the run's length
# times its connections); oha's are (docs/benchmarks.md).
#
#   bench/load/reads-during-capture.sh [EVENTS]      (default 300000)
set -euo pipefail
cd "$(dirname "$0")/../.."
EVENTS=${1:-300000}
if command -v oha >/dev/null; then TOOL=oha
elif command -v wrk >/dev/null; then TOOL=wrk
else echo "oha (cargo install oha) or wrk (apt-get install wrk) is needed" >&2; exit 1; fi
cargo build --release --locked -q
BIN=target/release/equitas
WORK=$(mktemp -d /tmp/equitas-load.XXXXXX)
PORT=${PORT:-18282}
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
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/serve.log" >&2; echo "equitas serve did not start (port $PORT in use?)" >&2; exit 1; }
    curl -sf "http://127.0.0.1:$PORT/api/v1/status" >/dev/null 2>&1 && break
    sleep 0.2
done
# The dashboard's requests (bench/load/dashboard.lua's, with its default item and place).
B="http://127.0.0.1:$PORT/api/v1"
I=09520000000011
printf '%s\n' "$B/availability?by=region&basket=true&limit=1000" "$B/availability?by=region&limit=1000" \
    "$B/stock?level=region&limit=1000" "$B/risk?level=region&limit=1000" "$B/countries?limit=1000" \
    "$B/items?limit=1000" "$B/locations?limit=1000" "$B/stock?item=$I&level=facility&limit=1000" \
    "$B/availability?item=$I&by=country&months=12&limit=1000" "$B/risk?item=$I&level=country&limit=1000" \
    "$B/stock?within=R01&level=region&limit=1000" "$B/stock/problems?within=R01&limit=1000" \
    "$B/epcis/summary" "$B/epcis/captures?limit=1000" >"$WORK/urls.txt"
load() { # SECONDS
    if [ "$TOOL" = oha ]; then
        oha --no-tui -c 16 -z "${1}s" --urls-from-file "$WORK/urls.txt" -H "Accept-Encoding: gzip"
    else
        wrk -t2 -c16 -d"${1}s" --timeout 10s --latency -s bench/load/dashboard.lua "http://127.0.0.1:$PORT"
    fi
}
# Warm the answers the dashboard asks for (the first forecast or risk is computed once).
load 5 >/dev/null

echo "== reads alone ($TOOL)" >&2
load 30

echo "== reads while $EVENTS events are captured" >&2
( /usr/bin/time -f "capture: %e s wall, %M KiB peak" "$BIN" --data-dir "$WORK/data" epcis capture "$WORK/events.jsonld" ) 2>&1 &
CAPTURE=$!
sleep 1
load 30
wait "$CAPTURE"
echo "== server log (warnings and errors)" >&2
grep -Ei "warn|error" "$WORK/serve.log" || echo "(none)"
