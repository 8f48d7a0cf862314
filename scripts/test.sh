#!/usr/bin/env bash
# Runs the whole Equitas test suite: formatting, lints, and every test,
# with the storage tests on both SQLite and a throwaway PostgreSQL server.
#
# Needs only what a fresh machine has (cargo, and PostgreSQL's initdb/pg_ctl:
# Debian's `postgresql` package is installed if they are missing). Everything
# started here is stopped and removed on exit, even on failure.
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

cleanup() {
    if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
    fi
}
trap cleanup EXIT

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

start_postgres

log "cargo test (SQLite and PostgreSQL)"
cargo test --workspace --locked
