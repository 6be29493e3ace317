#!/usr/bin/env bash
# Back up and restore the catalogue's database with pg_dump / pg_restore.
#
#   scripts/backup.sh backup             dump to backups/catalogue-YYYYmmdd-HHMMSS.dump, print the path
#   scripts/backup.sh restore FILE       replace the database's contents with FILE (asks on a terminal;
#                                        refuses when stdin is not a terminal)
#   scripts/backup.sh restore --yes FILE the same, without asking (needed from scripts and cron)
#   scripts/backup.sh target             say which database the commands would use
#
# The database is the one the app uses: DATABASE_URL (postgres://user:pass@host:port/db,
# or postgres://user@/db?host=/socket/dir), else the project's own cluster (scripts/db.sh).
# The URL is read by the app's own parser (config/env.py), and the password is passed
# to pg_dump/pg_restore in PGPASSWORD, never on a command line.
# BACKUP_DIR overrides the output folder (default: backups/, git-ignored).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BACKUP_DIR="${BACKUP_DIR:-$ROOT/backups}"

die() { echo "backup: $*" >&2; exit 1; }
say() { echo "backup: $*" >&2; }

# The client binaries: the newest /usr/lib/postgresql/*/bin, as scripts/db.sh finds the server.
find_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/pg_dump" ] && [ -x "$d/pg_restore" ] && { echo "$d"; return 0; }
    done
    command -v pg_dump >/dev/null 2>&1 && command -v pg_restore >/dev/null 2>&1 && {
        dirname "$(command -v pg_dump)"
        return 0
    }
    return 1
}

# Sets CONNINFO (a libpq keyword=value string without the password), DBNAME, WHERE
# (a description for humans) and exports PGPASSWORD when the URL has a password.
load_target() {
    local py="$ROOT/.venv/bin/python"
    [ -x "$py" ] || py="$(command -v python3)" || die "python3 is needed to read DATABASE_URL"
    local assignments
    assignments="$(cd "$ROOT" && "$py" - <<'PY'
import os
import shlex
import sys
from pathlib import Path

sys.path.insert(0, os.getcwd())
from config.env import ConfigError, local_database_url, parse_database_url

url = os.environ.get("DATABASE_URL") or local_database_url(Path(os.getcwd()))
try:
    db = parse_database_url(url)
except ConfigError as exc:
    print(f"die {shlex.quote(str(exc))}")
    sys.exit(0)


def quote(value: str) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


params = {"dbname": db["NAME"], "host": db["HOST"], "port": db["PORT"], "user": db["USER"]}
params.update(db.get("OPTIONS", {}))
conninfo = " ".join(f"{key}={quote(value)}" for key, value in params.items() if value not in (None, ""))
where = f"database {db['NAME']!r} on " + (
    f"socket {db['HOST']}" if db["HOST"].startswith("/") else f"{db['HOST'] or 'the default host'}:{db['PORT'] or 5432}"
) + (f" as {db['USER']}" if db["USER"] else "")
print(f"CONNINFO={shlex.quote(conninfo)}")
print(f"DBNAME={shlex.quote(db['NAME'])}")
print(f"WHERE={shlex.quote(where)}")
if db["PASSWORD"]:
    print(f"export PGPASSWORD={shlex.quote(db['PASSWORD'])}")
PY
)" || die "cannot read the database settings"
    case "$assignments" in die\ *) eval "die ${assignments#die }" ;; esac
    eval "$assignments"
}

backup() {
    [ $# -eq 0 ] || die "usage: $0 backup"
    load_target
    local bindir stamp out partial
    bindir="$(find_bindir)" || die "pg_dump not found (sudo apt-get install postgresql-client)"
    umask 077  # a dump holds every row: readable by its owner only
    mkdir -p "$BACKUP_DIR"
    stamp="$(date +%Y%m%d-%H%M%S)"
    out="$BACKUP_DIR/catalogue-$stamp.dump"
    [ -e "$out" ] && { sleep 1; stamp="$(date +%Y%m%d-%H%M%S)"; out="$BACKUP_DIR/catalogue-$stamp.dump"; }
    [ -e "$out" ] && die "$out already exists"
    # Written under a temporary name and renamed when complete: a failed or
    # interrupted dump never leaves a file that looks like a backup.
    partial="$BACKUP_DIR/.catalogue-$stamp.dump.partial"
    trap 'rm -f "$partial"' EXIT
    say "dumping $WHERE"
    "$bindir/pg_dump" --format=custom --no-password --file="$partial" --dbname="$CONNINFO" \
        || die "pg_dump failed; no backup written"
    "$bindir/pg_restore" --list "$partial" >/dev/null || die "the dump cannot be read back; no backup written"
    mv "$partial" "$out"
    trap - EXIT
    say "wrote $(du -h "$out" | cut -f1) to:"
    echo "$out"
}

restore() {
    local yes=0 file=""
    while [ $# -gt 0 ]; do
        case "$1" in
            -y | --yes) yes=1 ;;
            -*) die "unknown option $1" ;;
            *) [ -z "$file" ] || die "one FILE only"; file="$1" ;;
        esac
        shift
    done
    [ -n "$file" ] || die "usage: $0 restore [--yes] FILE   (FILE: a dump made by '$0 backup')"
    [ -f "$file" ] && [ -r "$file" ] || die "no such readable file: $file"
    load_target
    local bindir
    bindir="$(find_bindir)" || die "pg_restore not found (sudo apt-get install postgresql-client)"
    "$bindir/pg_restore" --list "$file" >/dev/null 2>&1 || die "$file is not a pg_dump custom-format archive"
    say "restoring $file into $WHERE:"
    say "  every table, sequence and index in the dump is dropped (if present) and recreated"
    say "  from the file, so the database's current rows are REPLACED by the backup's."
    say "  Objects that are not in the dump are left alone. All in one transaction:"
    say "  if anything fails, the database is left as it was."
    if [ "$yes" = 0 ]; then
        # Nobody can answer without a terminal: a script or cron job must say --yes (make: YES=1).
        [ -t 0 ] || die "stdin is not a terminal, so nobody can confirm: nothing changed. Pass --yes (make restore FILE=... YES=1) to replace the database without the question."
        local answer
        read -r -p "Type the database name ($DBNAME) to go ahead: " answer
        [ "$answer" = "$DBNAME" ] || die "not confirmed; nothing changed"
    fi
    "$bindir/pg_restore" --clean --if-exists --no-owner --no-acl --single-transaction --exit-on-error \
        --no-password --dbname="$CONNINFO" "$file" || die "pg_restore failed; the database was not changed"
    say "restored $file into $WHERE"
    # The dump brought back its data-version row and sequence, so version numbers come round
    # again: move the version on now, so web workers drop counts cached from the replaced data.
    if [ -x "$bindir/psql" ] && "$bindir/psql" --no-password --no-psqlrc --quiet --tuples-only --set ON_ERROR_STOP=1 \
        --dbname="$CONNINFO" --command "SELECT catalogue_touch_data_version()" >/dev/null; then
        say "moved the data version on (cached pages of the old data are not served)"
    else
        say "warning: could not move the data version (SELECT catalogue_touch_data_version()); restart the web"
        say "  workers to be sure no page cached from the replaced data is served"
    fi
}

target() {
    load_target
    echo "$WHERE"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
    backup) backup "$@" ;;
    restore) restore "$@" ;;
    target) target "$@" ;;
    *) die "usage: $0 backup | restore [--yes] FILE | target" ;;
esac
