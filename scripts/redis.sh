#!/usr/bin/env bash
# The project's own Redis for the shared-cache tests and local runs with CACHE_URL:
# a server under .redis/, reachable only through a Unix socket in that folder, with
# no persistence (a cache) and a bounded, LRU-evicted memory.
#   scripts/redis.sh start|stop|url
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="$ROOT/.redis"
SOCKET="$DIR/redis.sock"
PIDFILE="$DIR/redis.pid"

die() { echo "redis: $*" >&2; exit 1; }

ensure_binary() {
    command -v redis-server >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "redis: installing Debian's redis-server..."
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq redis-server >/dev/null
        command -v redis-server >/dev/null 2>&1 || die "redis-server installed but not found"
    else
        die "redis-server not found. Install it with: sudo apt-get install redis-server"
    fi
}

is_running() {
    [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && [ -S "$SOCKET" ]
}

start() {
    ensure_binary
    is_running && return 0
    mkdir -p "$DIR"
    rm -f "$SOCKET"
    redis-server --port 0 --unixsocket "$SOCKET" --unixsocketperm 700 --daemonize yes \
        --pidfile "$PIDFILE" --dir "$DIR" --logfile "$DIR/redis.log" \
        --save "" --appendonly no --maxmemory 256mb --maxmemory-policy allkeys-lru
    for _ in $(seq 50); do
        [ -S "$SOCKET" ] && return 0
        sleep 0.1
    done
    die "the server did not open $SOCKET; see $DIR/redis.log"
}

stop() {
    if is_running; then
        kill "$(cat "$PIDFILE")"
    fi
    rm -f "$SOCKET" "$PIDFILE"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) echo "unix://$SOCKET" ;;
    *) die "usage: scripts/redis.sh start|stop|url" ;;
esac
