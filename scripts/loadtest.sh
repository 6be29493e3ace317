#!/usr/bin/env bash
# Load test against the current database (DATABASE_URL, or the project's own cluster):
# production settings under gunicorn on 127.0.0.1, then wrk at a fixed concurrency for a
# fixed time on the list page (a few realistic filter URLs) and on the JSON API.
# Reports requests/s, p50/p95/p99 latency and errors (non-2xx responses + socket errors),
# then one JSON line. gunicorn is always stopped at the end (trap).
#
#   scripts/loadtest.sh            (make loadtest)
#   LOADTEST_DURATION=10s LOADTEST_CONNECTIONS=8 scripts/loadtest.sh
#
# Only 127.0.0.1 traffic; bounded by LOADTEST_DURATION per run (two runs).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
GUNICORN="$ROOT/.venv/bin/gunicorn"
PORT="${LOADTEST_PORT:-8077}"
HOST=127.0.0.1
DURATION="${LOADTEST_DURATION:-30s}"
CONNECTIONS="${LOADTEST_CONNECTIONS:-16}"
THREADS="${LOADTEST_THREADS:-2}"
WORKERS="${LOADTEST_WORKERS:-3}"
TIMEOUT="${LOADTEST_TIMEOUT:-10s}"   # a request slower than this counts as a (timeout) socket error
BASE="http://$HOST:$PORT"

# Realistic mixes: no filter, facets, age, free text, a later page.
LIST_PATHS=(
  "/"
  "/?antigen=CD19"
  "/?antigen=BCMA&age=65"
  "/?disease_category=solid_tumor&phase=phase1&status=recruiting"
  "/?country=China&antigen=CD19"
  "/?q=lymphoma"
  "/?page=3"
)
API_PATHS=(
  "/api/trials/"
  "/api/trials/?antigen=CD19"
  "/api/trials/?status=recruiting&page=2"
  "/api/trials/?q=myeloma"
)

die() { echo "loadtest: $*" >&2; exit 1; }

[ -x "$PY" ] || die "no virtualenv: run 'make venv' first"

# --- the load generator: wrk (Debian), else hey -------------------------------------------
TOOL=""
if command -v wrk >/dev/null 2>&1; then
  TOOL=wrk
elif command -v hey >/dev/null 2>&1; then
  TOOL=hey
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "loadtest: installing Debian's wrk..."
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; }; } \
    || apt-get install -y -qq hey >/dev/null || true
  command -v wrk >/dev/null 2>&1 && TOOL=wrk || { command -v hey >/dev/null 2>&1 && TOOL=hey; }
fi
[ -n "$TOOL" ] || die "needs wrk or hey: sudo apt-get install wrk"

# --- production settings, a throwaway secret -----------------------------------------------
export DEBUG=0
export SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export ALLOWED_HOSTS="$HOST"
export CSRF_TRUSTED_ORIGINS="http://$HOST:$PORT"
# DEBUG=0 requires DATABASE_URL: the project's own cluster unless one is given.
export DATABASE_URL="${DATABASE_URL:-$("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; from config.env import local_database_url; print(local_database_url(Path(sys.argv[1])))' "$ROOT")}"
export SECURE_SSL_REDIRECT=0
export SECURE_HSTS_SECONDS=0
export LOG_LEVEL="${LOG_LEVEL:-WARNING}"

if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
  die "port $PORT is already in use on $HOST (set LOADTEST_PORT)"
fi

"$PY" manage.py collectstatic --noinput -v0   # DEBUG=0 serves hashed static files (whitenoise manifest)

WORK="$(mktemp -d)"
GUNICORN_PID=""
cleanup() {
  if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
    kill -TERM "$GUNICORN_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$GUNICORN_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$GUNICORN" config.wsgi --bind "$HOST:$PORT" --workers "$WORKERS" \
  --error-logfile "$WORK/gunicorn.log" --log-level warning &
GUNICORN_PID=$!

for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$BASE/" 2>/dev/null && break
  kill -0 "$GUNICORN_PID" 2>/dev/null || { cat "$WORK/gunicorn.log" >&2; die "gunicorn did not start"; }
  sleep 0.3
done
curl -fsS -o /dev/null "$BASE/" || { tail -40 "$WORK/gunicorn.log" >&2; die "$BASE/ does not answer 200"; }

# Warm up before measuring: every URL as many times at once as there are workers, so each
# (sync) worker takes one and has its connection, templates and counts cache warm. The cost of
# a cold cache is what `manage.py bench` measures with CATALOGUE_CACHE_SECONDS=0.
for path in "${LIST_PATHS[@]}" "${API_PATHS[@]}"; do
  pids=()
  for _ in $(seq "$WORKERS"); do curl -s -o /dev/null --max-time 60 "$BASE$path" & pids+=($!); done
  wait "${pids[@]}"  # not a bare wait: gunicorn is a child of this shell too
done

TRIALS="$("$PY" -c 'import django, os; os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings"); django.setup()
from catalogue.models import Trial; print(Trial.objects.count())' 2>/dev/null | tail -1 || echo "?")"

# Unloaded latency: the list page alone, a few times in a row.
echo "single requests to / (s): $(for _ in 1 2 3 4 5; do curl -s -o /dev/null -w '%{time_total} ' --max-time 60 "$BASE/"; done)"

lua_script() {  # $1.. paths -> a wrk script cycling through them, counting non-2xx per thread
  local file="$WORK/paths-$RANDOM.lua"
  {
    echo "local CONNECTIONS = $CONNECTIONS"
    echo "local paths = {"
    for path in "$@"; do printf '  "%s",\n' "$path"; done
    echo "}"
    cat <<'LUA'
local threads = {}
local counter = 0
non2xx = 0
sent = 0
function setup(thread) table.insert(threads, thread) end
function init(args) counter = math.random(#paths) end
function request()
  counter = counter + 1
  sent = sent + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad, total_sent = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    total_sent = total_sent + (thread:get("sent") or 0)
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  -- Requests still in flight when the run ended (at most one per connection; not errors:
  -- a closed-loop run always ends with some in flight).
  local unanswered = math.min(CONNECTIONS, math.max(0, total_sent - summary.requests))
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f max_ms=%.1f non2xx=%d socket_errors=%d timeouts=%d unanswered=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, bad, e.connect + e.read + e.write + e.timeout, e.timeout, unanswered))
end
LUA
  } > "$file"
  echo "$file"
}

run_wrk() {  # $1 name, rest: paths
  local name="$1"; shift
  local script; script="$(lua_script "$@")"
  echo
  echo "== $name: $DURATION, $CONNECTIONS connections, $# URLs =="
  wrk --threads "$THREADS" --connections "$CONNECTIONS" --duration "$DURATION" --timeout "$TIMEOUT" \
    --latency --script "$script" "$BASE" | tee "$WORK/$name.out"
  local line; line="$(grep '^RESULT ' "$WORK/$name.out" | tail -1)"
  eval "$(echo "${line#RESULT }" | tr ' ' '\n' | sed "s/^/${name}_/")"
}

run_hey() {  # hey takes one URL: the first path
  local name="$1"; shift
  echo
  echo "== $name (hey, one URL: $1): $DURATION, $CONNECTIONS connections =="
  hey -z "$DURATION" -c "$CONNECTIONS" -t "${TIMEOUT%s}" "$BASE$1" | tee "$WORK/$name.out"
  local out="$WORK/$name.out"
  local rps p50 p95 p99 ok total
  rps="$(awk '/Requests\/sec/ {print $2}' "$out")"
  p50="$(awk '/50% in/ {print $3 * 1000}' "$out")"; p95="$(awk '/95% in/ {print $3 * 1000}' "$out")"
  p99="$(awk '/99% in/ {print $3 * 1000}' "$out")"
  ok="$(awk '/\[2[0-9][0-9]\]/ {s += $2} END {print s + 0}' "$out")"
  total="$(awk '/\[[0-9]+\]/ {s += $2} END {print s + 0}' "$out")"
  local errors; errors="$(awk '/Error distribution/ {f=1; next} f && /\[/ {gsub(/[\[\]]/, "", $1); s += $1} END {print s + 0}' "$out")"
  eval "${name}_requests=$total ${name}_rps=$rps ${name}_p50_ms=$p50 ${name}_p95_ms=$p95 ${name}_p99_ms=$p99 ${name}_max_ms=0 ${name}_non2xx=$((total - ok)) ${name}_socket_errors=$errors ${name}_timeouts=0 ${name}_unanswered=0 ${name}_seconds=0"
}

drain() {  # let gunicorn finish what the previous run left queued before the next one starts
  curl -s -o /dev/null --max-time 180 "$BASE/api/trials/?page_size=1" || true
}

if [ "$TOOL" = wrk ]; then
  run_wrk list "${LIST_PATHS[@]}"
  drain
  run_wrk api "${API_PATHS[@]}"
else
  run_hey list "${LIST_PATHS[@]}"
  run_hey api "${API_PATHS[@]}"
fi

if grep -qiE "WORKER TIMEOUT|Traceback" "$WORK/gunicorn.log"; then
  echo
  echo "gunicorn reported problems (last lines):"
  grep -iE "WORKER TIMEOUT|Error|Traceback" "$WORK/gunicorn.log" | tail -5
fi

echo
printf "%-6s %10s %9s %9s %9s %8s %8s\n" page "req/s" "p50 ms" "p95 ms" "p99 ms" errors requests
for name in list api; do
  r="${name}_rps"; a="${name}_p50_ms"; b="${name}_p95_ms"; c="${name}_p99_ms"; n="${name}_non2xx"; s="${name}_socket_errors"; q="${name}_requests"
  printf "%-6s %10s %9s %9s %9s %8s %8s\n" "$name" "${!r}" "${!a}" "${!b}" "${!c}" "$(( ${!n} + ${!s} ))" "${!q}"
done
echo "($TRIALS trials; $TOOL; gunicorn $WORKERS workers on $HOST:$PORT; DEBUG=0; load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "errors = non-2xx responses + socket errors: connect/read/write and wrk timeouts (> $TIMEOUT;"
echo "wrk counts a request again at each 2 s check while it waits); in flight at the end: list ${list_unanswered:-0}, api ${api_unanswered:-0}"
printf '{"tool": "%s", "trials": "%s", "duration": "%s", "connections": %s, "workers": %s, "list_rps": %s, "list_p95_ms": %s, "list_errors": %s, "api_rps": %s, "api_p95_ms": %s, "api_errors": %s}\n' \
  "$TOOL" "$TRIALS" "$DURATION" "$CONNECTIONS" "$WORKERS" "$list_rps" "$list_p95_ms" "$(( list_non2xx + list_socket_errors ))" \
  "$api_rps" "$api_p95_ms" "$(( api_non2xx + api_socket_errors ))"
