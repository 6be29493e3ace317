#!/usr/bin/env bash
# The project's own PostgreSQL: a cluster under .pgdata/, reachable only through a
# Unix socket inside that folder, so it never collides with a system server or
# with another checkout. Used when DATABASE_URL is unset.
#   scripts/db.sh start|stop|status
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PGDATA="$ROOT/.pgdata/data"
SOCKDIR="$ROOT/.pgdata/run"
LOG="$ROOT/.pgdata/server.log"
DBNAME="${LOCAL_DB_NAME:-catalogue}"

die() { echo "db: $*" >&2; exit 1; }

find_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
    done
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

ensure_binaries() {
    BINDIR="$(find_bindir)" && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "db: installing Debian's postgresql (server binaries are missing)..."
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq postgresql postgresql-contrib >/dev/null
        BINDIR="$(find_bindir)" || die "postgresql installed but initdb not found"
    else
        die "PostgreSQL server binaries not found. Install them with: sudo apt-get install postgresql postgresql-contrib
    (or set DATABASE_URL to an existing server, or use: docker compose up)"
    fi
}

# PostgreSQL refuses to run as root: run it as the 'postgres' system user then.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

is_running() {
    [ -f "$PGDATA/postmaster.pid" ] && as_owner "$BINDIR/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}

start() {
    ensure_binaries
    mkdir -p "$ROOT/.pgdata" "$SOCKDIR"
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || die "no 'postgres' system user to run the server as (apt-get install postgresql creates it)"
        chown postgres: "$ROOT/.pgdata" "$SOCKDIR"
        [ -d "$PGDATA" ] && chown -R postgres: "$PGDATA"
        runuser -u postgres -- test -x "$ROOT" || die "user postgres cannot enter $ROOT; make its parent folders world-executable (chmod o+x)"
    fi
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
        echo "db: creating cluster in $PGDATA"
        mkdir -p "$PGDATA"
        [ "$(id -u)" = 0 ] && chown postgres: "$PGDATA"
        as_owner "$BINDIR/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if is_running; then
        echo "db: running (socket in $SOCKDIR)"
    else
        rm -f "$SOCKDIR"/.s.PGSQL.* 2>/dev/null || true
        touch "$LOG" && { [ "$(id -u)" = 0 ] && chown postgres: "$LOG" || true; }
        as_owner "$BINDIR/pg_ctl" -D "$PGDATA" -l "$LOG" -w -t 60 \
            -o "-c listen_addresses='' -c unix_socket_directories='$SOCKDIR' -c max_connections=100 -c shared_buffers=$(shared_buffers)" start >/dev/null \
            || { tail -20 "$LOG" >&2; die "server failed to start (log: $LOG)"; }
        echo "db: started (socket in $SOCKDIR)"
    fi
    if ! as_owner "$BINDIR/psql" -h "$SOCKDIR" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DBNAME'" | grep -q 1; then
        as_owner "$BINDIR/createdb" -h "$SOCKDIR" -U postgres "$DBNAME"
        echo "db: created database $DBNAME"
    fi
}

# A quarter of the memory, at most 1 GB (PG_SHARED_BUFFERS overrides): the trial table
# and its indexes at 100,000 trials fit, where Debian's 128 MB made every broad search
# read its rows through the kernel (BENCHMARKS.md, issue 20).
shared_buffers() {
    if [ -n "${PG_SHARED_BUFFERS:-}" ]; then echo "$PG_SHARED_BUFFERS"; return; fi
    mb=$(awk '/^MemTotal:/ { print int($2 / 4096) }' /proc/meminfo 2>/dev/null || echo 128)
    [ "${mb:-0}" -gt 1024 ] && mb=1024
    [ "${mb:-0}" -lt 128 ] && mb=128
    echo "${mb}MB"
}

stop() {
    BINDIR="$(find_bindir)" || { echo "db: no PostgreSQL binaries, nothing to stop"; return 0; }
    if [ -f "$PGDATA/PG_VERSION" ] && is_running; then
        as_owner "$BINDIR/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
        echo "db: stopped"
    else
        echo "db: not running"
    fi
}

status() {
    BINDIR="$(find_bindir)" || die "no PostgreSQL binaries"
    if is_running; then echo "db: running (socket in $SOCKDIR)"; else echo "db: not running"; exit 3; fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) die "usage: $0 start|stop|status" ;;
esac
