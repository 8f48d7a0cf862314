#!/bin/sh
# Equitas and statsforecast side by side on real intermittent series built from the USAID SCMS
# shipments (docs/benchmarks.md, "Forecasting real intermittent demand"): monthly units
# delivered per country x molecule by delivery month, the last 6 months held out.
#   bench/statsforecast/scms.sh [SCMS.csv] [PYTHON]
# PYTHON: a Python with statsforecast 2.1.1 and pandas (see README.md). Extra arguments
# for the bench (such as --tune) go in EQUITAS_BENCH_ARGS.
set -eu
# The file as the caller names it (relative to where they are), made absolute: the bench runs
# in its crate's directory. Without one, the repository's sibling ../shared.
SCMS=${1:+$(realpath -- "$1")}
PY=${2:-/tmp/sf/bin/python}
OUT=${TMPDIR:-/tmp}/equitas-scms
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
SCMS=${SCMS:-$(realpath -- ../shared/data/scms/supply_chain_shipment_pricing.csv)}
[ -f "$SCMS" ] || { echo "scms.sh: no SCMS file at $SCMS" >&2; exit 1; }
# shellcheck disable=SC2086
cargo bench -p equitas-planning --bench forecast -- --scms "$SCMS" --csv "$OUT/series.csv" --auto-only ${EQUITAS_BENCH_ARGS:-} >/dev/null
"$PY" bench/statsforecast/compare.py "$OUT/series.csv" --accuracy > "$OUT/sf.json"
# shellcheck disable=SC2086
cargo bench -p equitas-planning --bench forecast -- --scms "$SCMS" --compare "$OUT/sf.json" ${EQUITAS_BENCH_ARGS:-}
