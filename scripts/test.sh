#!/usr/bin/env bash
# Runs the whole Equitas test suite: formatting, lints, and every test,
# with the storage tests on both SQLite and a throwaway PostgreSQL server.
#
# Needs only what a fresh machine has (cargo, python3, and PostgreSQL's
# initdb/pg_ctl: Debian's `postgresql` package is installed if they are
# missing). The OpenAPI description is checked against the running server
# with schemathesis (PyPI, installed in a throwaway virtual environment).
# The dashboard (web/) is built with npm and checked to be the one committed
# in web/dist (what the binary embeds), then tested in headless Chromium
# (Debian's `chromium`, installed if missing) driven by playwright-core;
# single sign-on against a real OpenID Connect provider (the `oidc-provider`
# devDependency, started on loopback by web/tests/sso.test.mjs).
# Everything started here is stopped and removed on exit, even on failure.
#
# Conformance material whose licence allows it is vendored in tests/conformance;
# what may not be shipped (GS1's EPCIS schemas, the MSH price guide, the WHO PQ
# list) is read from ../shared. A test that needs it and finds no ../shared is
# not counted as passed: it is listed as SKIPPED, by name, at the end (set
# EQUITAS_REQUIRE_SHARED=1 to make it fail instead).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*" >&2; }

as_pg() {
    # PostgreSQL refuses to run as root: run its tools as the postgres user.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

find_pg_bin() {
    local d
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    for d in /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    return 1
}

start_postgres() {
    local bin
    if ! bin=$(find_pg_bin); then
        log "PostgreSQL server binaries not found: installing Debian's postgresql"
        if [ "$(id -u)" != 0 ]; then
            echo "error: initdb/pg_ctl are missing and this user cannot apt-get install postgresql" >&2
            exit 1
        fi
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        bin=$(find_pg_bin)
    fi
    PG_BIN=$bin
    PG_DIR=$(mktemp -d /tmp/equitas-pg.XXXXXX)
    if [ "$(id -u)" = 0 ]; then chown postgres: "$PG_DIR"; fi
    PG_PORT=5439
    log "starting a throwaway PostgreSQL in $PG_DIR"
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U equitas >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; exit 1; }
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
        -o "-k $PG_DIR -p $PG_PORT -c listen_addresses='' -c fsync=off -c max_connections=200" start >/dev/null \
        || { cat "$PG_DIR/server.log" >&2; exit 1; }
    export EQUITAS_TEST_POSTGRES_URL="postgresql:///postgres?host=$PG_DIR&port=$PG_PORT&user=equitas"
    export EQUITAS_REQUIRE_POSTGRES=1
}

SKIP_LOG=$(mktemp /tmp/equitas-skipped.XXXXXX)
export EQUITAS_SKIP_LOG=$SKIP_LOG

report_skipped() {
    [ -f "$SKIP_LOG" ] || return 0
    if [ -s "$SKIP_LOG" ]; then
        printf '\n==> %s test(s) or parts SKIPPED, not run (their data is not in the repository):\n' \
            "$(sort -u "$SKIP_LOG" | wc -l)" >&2
        sort -u "$SKIP_LOG" >&2
    elif [ -n "${TESTS_RAN:-}" ]; then
        log "no test skipped"
    fi
    rm -f "$SKIP_LOG"
}

cleanup() {
    report_skipped
    if [ -n "${API_PID:-}" ]; then kill "$API_PID" 2>/dev/null || true; fi
    if [ -n "${ACC_PID:-}" ]; then kill "$ACC_PID" 2>/dev/null || true; fi
    if [ -n "${API_DIR:-}" ] && [ -d "$API_DIR" ]; then rm -rf "$API_DIR"; fi
    if [ -n "${FHIR_DIR:-}" ] && [ -d "$FHIR_DIR" ]; then rm -rf "$FHIR_DIR"; fi
    if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
    fi
}
trap cleanup EXIT

install_chromium() {
    if [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then return 0; fi
    log "Chromium not found: installing Debian's chromium"
    if [ "$(id -u)" != 0 ]; then
        echo "error: /usr/bin/chromium is missing and this user cannot apt-get install chromium" >&2
        exit 1
    fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

# libxml2 (the XSD validator of EPCIS XML documents) is linked by the build.
if ! pkg-config --exists libxml-2.0 2>/dev/null && [ ! -e /usr/lib/x86_64-linux-gnu/libxml2.so ] \
    && [ ! -e /usr/lib/aarch64-linux-gnu/libxml2.so ]; then
    log "libxml2-dev not found: installing it"
    if [ "$(id -u)" != 0 ]; then
        echo "error: libxml2-dev is missing and this user cannot apt-get install it" >&2
        exit 1
    fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libxml2-dev >/dev/null
fi

log "the dashboard: npm ci, type check and build (web/)"
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build >/dev/null)
if [ -n "$(git status --porcelain -- web/dist)" ]; then
    git status --short -- web/dist >&2
    echo "error: web/dist differs from what web/ builds: run 'cd web && npm run build' and commit web/dist" >&2
    exit 1
fi

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

start_postgres

# FHIR resources Equitas writes are checked against the R5 models of PyPI's
# fhir.resources (crates/equitas-server/tests/fhir.rs); without Python or
# PyPI that check is listed as SKIPPED, never passed.
FHIR_DIR=$(mktemp -d /tmp/equitas-fhir.XXXXXX)
if python3 -m venv "$FHIR_DIR/venv" >/dev/null 2>&1 \
    && "$FHIR_DIR/venv/bin/pip" install -q --disable-pip-version-check fhir.resources==8.3.0 >/dev/null 2>&1; then
    export EQUITAS_FHIR_PYTHON="$FHIR_DIR/venv/bin/python"
else
    log "fhir.resources could not be installed: the FHIR validation will be SKIPPED"
fi

log "cargo test (SQLite and PostgreSQL)"
cargo test --workspace --locked
TESTS_RAN=1

# The analytics engine (engine/, docs/engine.md): its own workspace, with
# DataFusion and Ballista (a long first build, timed below). It shares
# target/ with the root workspace. A build, lint or test failure fails the
# suite; the PostgreSQL export test uses the server started above. The
# cluster test uses loopback ports 18261-18265.
log "the analytics engine: cargo fmt, clippy and test (engine/: DataFusion, Ballista)"
ENGINE=(--manifest-path engine/Cargo.toml --locked)
ENGINE_START=$(date +%s)
cargo fmt --manifest-path engine/Cargo.toml --check
CARGO_TARGET_DIR="$PWD/target" cargo clippy "${ENGINE[@]}" --all-targets -- -D warnings
CARGO_TARGET_DIR="$PWD/target" cargo build "${ENGINE[@]}" --all-targets
echo "equitas-engine: clippy and build took $(( $(date +%s) - ENGINE_START )) s" >&2
CARGO_TARGET_DIR="$PWD/target" EQUITAS_ENGINE_TEST_PORT=18261 cargo test "${ENGINE[@]}"
echo "equitas-engine: its part took $(( $(date +%s) - ENGINE_START )) s in all" >&2

log "the OpenAPI description against the running server (schemathesis)"
API_DIR=$(mktemp -d /tmp/equitas-api.XXXXXX)
python3 -m venv "$API_DIR/venv"
"$API_DIR/venv/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5
target/debug/equitas --data-dir "$API_DIR/data" demo >/dev/null
# A copy of the demo with an account, for the run with an API token below.
cp -a "$API_DIR/data" "$API_DIR/accounts"
API_PORT=18181
target/debug/equitas --data-dir "$API_DIR/data" serve --addr "127.0.0.1:$API_PORT" >"$API_DIR/serve.log" 2>&1 &
API_PID=$!
for _ in $(seq 1 50); do
    if curl -sf "http://127.0.0.1:$API_PORT/api/v1/status" >/dev/null 2>&1; then break; fi
    sleep 0.2
done
# POST /capture and POST /events take EPCIS documents, whose structure the
# GS1 JSON Schema describes; it is not shipped (docs/epcis.md), so random
# bodies cannot be told apart from bad ones: those two are left out.
"$API_DIR/venv/bin/schemathesis" --no-color run "http://127.0.0.1:$API_PORT/openapi.json" \
    --checks all --max-examples 20 --exclude-method POST --seed 1 --request-timeout 60 \
    --exclude-path-regex '^/api/v1/scenario/'
# The scenario operations take a scenario document (TOML or JSON, docs/formulas.md 7) in their
# `scenario` parameter: its structure is the scenario's, which a string's description cannot
# state, so a random string is not a valid request. Every check but that one
# (positive_data_acceptance: "a request the description allows is accepted") runs on them.
"$API_DIR/venv/bin/schemathesis" --no-color run "http://127.0.0.1:$API_PORT/openapi.json" \
    --checks all --exclude-checks positive_data_acceptance --max-examples 20 --seed 1 \
    --request-timeout 60 --include-path-regex '^/api/v1/scenario/'
# POST /queries takes a JSON body its description states in full (named
# queries, docs/epcis.md). Subscriptions are left out: a random `dest` would
# have the server post deliveries to hosts other than this machine.
"$API_DIR/venv/bin/schemathesis" --no-color run "http://127.0.0.1:$API_PORT/openapi.json" \
    --checks all --max-examples 20 --seed 1 --request-timeout 60 \
    --include-path-regex '^/queries(/\{queryName\}(/events)?)?$'
# The FHIR routes (docs/interop.md) take FHIR resources whose structure is
# HL7's, not stated in the description (only resourceType): a random body
# that the description allows is rightly refused with an OperationOutcome.
# Every check but positive data acceptance runs on them, POST included.
"$API_DIR/venv/bin/schemathesis" --no-color run "http://127.0.0.1:$API_PORT/openapi.json" \
    --checks all --exclude-checks positive_data_acceptance --max-examples 20 --seed 1 \
    --request-timeout 60 --include-path-regex '^/fhir'

log "the API with accounts: schemathesis with an administrator's API token (docs/accounts.md)"
# Every route answers the token as the description says; `ignored_auth` (in
# --checks all) also checks that a request without it is refused.
printf '%s\n' 'schemathesis-ci-password' | target/debug/equitas --data-dir "$API_DIR/accounts" users add ci >/dev/null
target/debug/equitas --data-dir "$API_DIR/accounts" users grant ci administrator >/dev/null
ACC_TOKEN=$(target/debug/equitas --data-dir "$API_DIR/accounts" tokens create --user ci --name schemathesis --expires 1d | grep -o 'eqt_[A-Za-z0-9_-]*' | head -n 1)
if [ -z "$ACC_TOKEN" ]; then echo "no API token was printed by equitas tokens create" >&2; exit 1; fi
ACC_PORT=18182
target/debug/equitas --data-dir "$API_DIR/accounts" serve --addr "127.0.0.1:$ACC_PORT" >"$API_DIR/accounts.log" 2>&1 &
ACC_PID=$!
for _ in $(seq 1 50); do
    if curl -sf "http://127.0.0.1:$ACC_PORT/api/v1/status" -H "Authorization: Bearer $ACC_TOKEN" >/dev/null 2>&1; then break; fi
    sleep 0.2
done
"$API_DIR/venv/bin/schemathesis" --no-color run "http://127.0.0.1:$ACC_PORT/openapi.json" \
    -H "Authorization: Bearer $ACC_TOKEN" \
    --checks all --max-examples 5 --exclude-method POST --seed 1 --request-timeout 60 \
    --exclude-path-regex '^/api/v1/scenario/'
kill "$ACC_PID" 2>/dev/null || true
ACC_PID=

log "the dashboard in headless Chromium (playwright-core)"
install_chromium
(cd web && EQUITAS_URL="http://127.0.0.1:$API_PORT" npm test --silent)
