#!/usr/bin/env bash
# Soak test (issue 7): a bounded load against gunicorn under production settings, on a
# database of 10,000 synthetic trials, while an ingest of NEW registry pages runs beside it.
#
#   scripts/soak.sh                                   (make soak: 5 minutes, 32 connections)
#   SOAK_DURATION=30s SOAK_CONNECTIONS=8 scripts/soak.sh
#
# 1. Database: DATABASE_URL if set, else `catalogue_soak` on the project's own cluster
#    (.pgdata/run; created if missing), migrated, holding exactly SOAK_TRIALS synthetic
#    trials (`seed_synthetic --trials N --seed 7 --clear` only when it does not already).
#    Trials a previous soak ingested (ids NCT98xxxxxx) are deleted first (SOAK_RESET=0 keeps them).
# 2. gunicorn (DEBUG=0, a throwaway SECRET_KEY, ALLOWED_HOSTS=127.0.0.1) on 127.0.0.1.
# 3. Warm-up: wrk for SOAK_WARMUP, then each worker's RSS (VmRSS of the master's children).
# 4. For SOAK_DURATION: wrk at SOAK_CONNECTIONS on a rotation of realistic URLs (list page
#    unfiltered / antigen / antigen+age / category+phase+status / q English / q 淋巴瘤 /
#    a deeper page, the API, two trial pages, the landscape) while a loop generates fresh
#    ClinicalTrials.gov API v2 JSON pages (real studies from ../shared/corpus/bulk/ as
#    templates, else tests/fixtures/; new NCT98xxxxxx ids each run) into a temp dir and runs
#    `manage.py ingest` on them, batch after batch, until ~90% of the duration has passed.
#    Worker RSS is sampled every SOAK_SAMPLE seconds.
# 5. Report: requests/s, p50/p95/p99 latency, errors (non-2xx/3xx + socket errors including
#    timeouts), trials the ingest created and its failures, worker RSS at start / end / peak
#    with growth per worker and in total; then one JSON line.
#
# Exits non-zero when there was any request error, any ingest failure (or nothing created),
# a worker was replaced, or a worker's RSS grew more than SOAK_MAX_GROWTH % (default 20).
# gunicorn, the ingest loop and the sampler are always stopped on exit (trap).
# Only 127.0.0.1 traffic; bounded by SOAK_WARMUP + SOAK_DURATION (+ SOAK_INGEST_GRACE).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
GUNICORN="$ROOT/.venv/bin/gunicorn"
HOST=127.0.0.1
PORT="${SOAK_PORT:-8078}"
DURATION="${SOAK_DURATION:-5m}"
CONNECTIONS="${SOAK_CONNECTIONS:-32}"
THREADS="${SOAK_THREADS:-2}"
WORKERS="${SOAK_WORKERS:-3}"
TIMEOUT="${SOAK_TIMEOUT:-10s}"            # a request slower than this is a (timeout) socket error
WARMUP="${SOAK_WARMUP:-20s}"
TRIALS="${SOAK_TRIALS:-10000}"
MAX_GROWTH="${SOAK_MAX_GROWTH:-20}"       # % RSS growth allowed per worker
SAMPLE_EVERY="${SOAK_SAMPLE:-10}"         # seconds between RSS samples
INGEST_BATCH="${SOAK_INGEST_BATCH:-100}"  # new trials per ingest run
INGEST_PAGE="${SOAK_INGEST_PAGE:-20}"     # studies per generated page (file)
INGEST_GRACE="${SOAK_INGEST_GRACE:-120}"  # seconds to let the last batch finish after the load
RESET="${SOAK_RESET:-1}"
BASE="http://$HOST:$PORT"
ID_PREFIX=NCT98                           # + 6 digits: ids no real registry has handed out

die() { echo "soak: $*" >&2; exit 1; }
log() { echo "soak: $*"; }

[ -x "$PY" ] || die "no virtualenv: run 'make venv' first"

seconds_of() {  # 30s, 5m, 1h, 90 -> seconds
  local v="$1"
  case "$v" in
    *h) echo $(( ${v%h} * 3600 )) ;;
    *m) echo $(( ${v%m} * 60 )) ;;
    *s) echo $(( ${v%s} )) ;;
    *) echo $(( v )) ;;
  esac
}
DURATION_S="$(seconds_of "$DURATION")" || die "bad SOAK_DURATION: $DURATION"
seconds_of "$WARMUP" >/dev/null || die "bad SOAK_WARMUP: $WARMUP"
[ "$DURATION_S" -ge 10 ] || die "SOAK_DURATION must be at least 10s"
[[ "$CONNECTIONS" =~ ^[1-9][0-9]*$ && "$TRIALS" =~ ^[0-9]+$ && "$INGEST_BATCH" =~ ^[1-9][0-9]*$ ]] \
  || die "SOAK_CONNECTIONS, SOAK_TRIALS and SOAK_INGEST_BATCH must be whole numbers"

# --- wrk (Debian) ---------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian's wrk..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; } || true
  fi
  command -v wrk >/dev/null 2>&1 || die "needs wrk: sudo apt-get install wrk"
fi

if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
  die "port $PORT is already in use on $HOST (set SOAK_PORT)"
fi

# --- production settings, a throwaway secret -------------------------------------------------
export DEBUG=0
export SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export ALLOWED_HOSTS="$HOST"
export CSRF_TRUSTED_ORIGINS="http://$HOST:$PORT"
export SECURE_SSL_REDIRECT=0
export SECURE_HSTS_SECONDS=0
export LOG_LEVEL="${LOG_LEVEL:-WARNING}"

WORK="$(mktemp -d -t soak.XXXXXX)"
GUNICORN_PID=""
INGEST_PID=""
SAMPLER_PID=""
WRK_PID=""
stop_pid() {  # $1 pid, $2 "group" to signal its whole process group (it must lead one)
  local pid="$1" target="$1"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  if [ "${2:-}" = group ] && [ "$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$pid" ]; then
    target="-$pid"
  fi
  kill -TERM -- "$target" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL -- "$target" 2>/dev/null || true
}
cleanup() {
  stop_pid "$WRK_PID"
  stop_pid "$SAMPLER_PID"
  stop_pid "$INGEST_PID" group
  stop_pid "$GUNICORN_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the database ----------------------------------------------------------------------------
if [ -n "${DATABASE_URL:-}" ]; then
  log "using DATABASE_URL"
else
  scripts/db.sh start >/dev/null
  SOCKDIR="$ROOT/.pgdata/run"
  DATABASE_URL="$("$PY" -c 'import sys, urllib.parse; print("postgres://postgres@/catalogue_soak?host=" + urllib.parse.quote(sys.argv[1], safe="/"))' "$SOCKDIR")"
  export DATABASE_URL
  "$PY" - "$SOCKDIR" <<'PY'
import sys
import psycopg
with psycopg.connect(host=sys.argv[1], user="postgres", dbname="postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'catalogue_soak'").fetchone():
        conn.execute("CREATE DATABASE catalogue_soak")
        print("soak: created database catalogue_soak")
PY
fi
export DATABASE_URL
"$PY" manage.py migrate --noinput -v0

djpy() {  # run Python with Django set up (production settings, the soak database)
  "$PY" -c "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup()
$1"
}

if [ "$RESET" = 1 ]; then
  djpy "
from catalogue.models import SourceDocument, Trial
_, deleted = Trial.objects.filter(registry='ctgov', registry_id__regex=r'^${ID_PREFIX}[0-9]{6}\$').delete()
docs, _ = SourceDocument.objects.filter(filename__contains='soak-batch-', trials__isnull=True).delete()
if deleted.get('catalogue.Trial'): print(f\"soak: removed the {deleted['catalogue.Trial']} trials a previous soak ingested and {docs} of its source documents\")
"
fi

SYNTHETIC="$(djpy "from catalogue.models import Trial; print(Trial.objects.filter(registry='synthetic').count())" | tail -1)"
if [ "$SYNTHETIC" != "$TRIALS" ]; then
  log "database holds $SYNTHETIC synthetic trials, wants $TRIALS: seed_synthetic --trials $TRIALS --seed 7 --clear"
  "$PY" manage.py seed_synthetic --trials "$TRIALS" --seed 7 --clear
else
  log "database already holds $TRIALS synthetic trials"
fi

counts() {  # "total synthetic soak-ingested" trial counts
  djpy "from catalogue.models import Trial
q = Trial.objects
print(q.count(), q.filter(registry='synthetic').count(), q.filter(registry='ctgov', registry_id__startswith='$ID_PREFIX').count())" | tail -1
}
read -r TOTAL_START _ SOAK_START <<<"$(counts)"

# The ingest's pages: fresh ids after the highest one already used.
NEXT_ID="$(djpy "
from django.db.models import Max
from catalogue.models import Trial
top = Trial.objects.filter(registry='ctgov', registry_id__regex=r'^${ID_PREFIX}[0-9]{6}\$').aggregate(m=Max('registry_id'))['m']
print(int(top[len('$ID_PREFIX'):]) + 1 if top else 1)" | tail -1)"

# Two trial pages (synthetic trials in the middle and at the end of the id range).
read -r TRIAL_A TRIAL_B <<<"$(djpy "
from catalogue.models import Trial
ids = Trial.objects.filter(merged_into__isnull=True).order_by('registry_id').values_list('registry_id', flat=True)
n = ids.count()
print(ids[n // 2], ids[n - 1])" | tail -1)"

"$PY" manage.py collectstatic --noinput -v0   # DEBUG=0 serves hashed static files (whitenoise manifest)

# --- templates and the page generator for the ingest ------------------------------------------
TEMPLATES="${SOAK_TEMPLATES:-}"
if [ -z "$TEMPLATES" ]; then
  TEMPLATES="$(ls "$ROOT"/../shared/corpus/bulk/*.json 2>/dev/null | head -1 || true)"
  [ -n "$TEMPLATES" ] || TEMPLATES="$ROOT/tests/fixtures/parsers/ctgov_v2_study.json:$ROOT/tests/fixtures/parsers/ctgov_v2_page.json"
fi
cat > "$WORK/generate.py" <<'PY'
"""generate.py TEMPLATES OUTDIR FIRST COUNT PER_PAGE PREFIX: API v2 pages of COUNT new studies.

TEMPLATES is a ':'-separated list of API v2 JSON files (a study, a page or a list of studies).
Each new study is a template with a new nctId (PREFIX + 6 digits, from FIRST on).
"""
import copy, json, os, sys

paths, outdir, first, count, per_page, prefix = sys.argv[1].split(":"), sys.argv[2], *map(int, sys.argv[3:6]), sys.argv[6]
studies = []
for path in paths:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if isinstance(data, dict) and "studies" in data:
        data = data["studies"]
    studies += data if isinstance(data, list) else [data]
studies = [s for s in studies if isinstance(s, dict) and "protocolSection" in s]
if not studies:
    sys.exit("no API v2 studies in " + sys.argv[1])
os.makedirs(outdir, exist_ok=True)
page, number = [], 0
for index in range(first, first + count):
    if index > 999_999:
        sys.exit("ran out of soak ids")
    study = copy.deepcopy(studies[(index * 7919) % len(studies)])
    study["protocolSection"].setdefault("identificationModule", {})["nctId"] = f"{prefix}{index:06d}"
    page.append(study)
    if len(page) == per_page or index == first + count - 1:
        number += 1
        with open(os.path.join(outdir, f"page-{number:03d}.json"), "w", encoding="utf-8") as f:
            json.dump({"studies": page}, f, ensure_ascii=False)
        page = []
PY
"$PY" "$WORK/generate.py" "$TEMPLATES" "$WORK/check" 1 1 1 "$ID_PREFIX" || die "cannot build ingest pages from $TEMPLATES"
rm -rf "$WORK/check"

cat > "$WORK/ingest-loop.sh" <<'SH'
#!/usr/bin/env bash
# ingest-loop.sh DEADLINE_EPOCH NEXT_ID: generate + ingest batches until the deadline.
# One line per batch in $WORK/ingest.log: batch rc seconds <the ingest's summary line>.
set -u
deadline="$1"; next="$2"; batch=0
while [ "$(date +%s)" -lt "$deadline" ]; do
  batch=$((batch + 1))
  dir="$WORK/soak-batch-$(printf %04d "$batch")"
  if ! "$PY" "$WORK/generate.py" "$TEMPLATES" "$dir" "$next" "$INGEST_BATCH" "$INGEST_PAGE" "$ID_PREFIX" 2>"$dir.err"; then
    echo "$batch 99 0 generator failed: $(tail -1 "$dir.err")" >> "$WORK/ingest.log"; break
  fi
  next=$((next + INGEST_BATCH))
  t0="$(date +%s.%N)"
  "$PY" manage.py ingest "$dir" > "$dir.out" 2> "$dir.err"
  rc=$?
  t1="$(date +%s.%N)"
  summary="$(grep -E '^created [0-9]+' "$dir.out" | tail -1)"
  echo "$batch $rc $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') ${summary:-no summary}" >> "$WORK/ingest.log"
  [ -s "$dir.err" ] || rm -f "$dir.err"
  rm -rf "$dir" "$dir.out"
done
SH
chmod +x "$WORK/ingest-loop.sh"

git_state() {  # "commit dirty(0/1)" of the working tree the code is loaded from
  local commit dirty=0
  commit="$(git -C "$ROOT" log -1 --format=%h 2>/dev/null)" || { echo "? 0"; return; }
  [ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] || dirty=1
  echo "$commit $dirty"
}
read -r COMMIT DIRTY <<<"$(git_state)"

# --- gunicorn --------------------------------------------------------------------------------
"$GUNICORN" config.wsgi --bind "$HOST:$PORT" --workers "$WORKERS" --no-control-socket \
  --error-logfile "$WORK/gunicorn.log" --log-level warning &
GUNICORN_PID=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$BASE/" 2>/dev/null && break
  kill -0 "$GUNICORN_PID" 2>/dev/null || { cat "$WORK/gunicorn.log" >&2; die "gunicorn did not start"; }
  sleep 0.3
done
curl -fsS -o /dev/null "$BASE/" || { tail -40 "$WORK/gunicorn.log" >&2; die "$BASE/ does not answer 200"; }

PATHS=(
  "/"
  "/?antigen=CD19"
  "/?antigen=BCMA&age=65"
  "/?disease_category=solid_tumor&phase=phase1&status=recruiting"
  "/?q=lymphoma"
  "/?q=%E6%B7%8B%E5%B7%B4%E7%98%A4"    # q=淋巴瘤
  "/?antigen=CD19&page=8"
  "/api/trials/"
  "/api/trials/?antigen=BCMA&status=recruiting"
  "/trials/$TRIAL_A/"
  "/trials/$TRIAL_B/"
  "/landscape/"
)
for path in "${PATHS[@]}"; do
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 "$BASE$path" || true)"
  [[ "$code" =~ ^[23] ]] || die "$path answers $code before the load (see the URL list in $0)"
done

{
  echo "local CONNECTIONS = $CONNECTIONS"
  echo "local paths = {"
  for path in "${PATHS[@]}"; do printf '  "%s",\n' "$path"; done
  echo "}"
  cat <<'LUA'
local threads = {}
local counter = 0
bad = 0
redirects = 0
sent = 0
function setup(thread) table.insert(threads, thread) end
function init(args) counter = math.random(#paths) end
function request()
  counter = counter + 1
  sent = sent + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
function response(status, headers, body)
  if status < 200 or status >= 400 then bad = bad + 1 elseif status >= 300 then redirects = redirects + 1 end
end
function done(summary, latency, requests)
  local b, r, total_sent = 0, 0, 0
  for _, thread in ipairs(threads) do
    b = b + (thread:get("bad") or 0)
    r = r + (thread:get("redirects") or 0)
    total_sent = total_sent + (thread:get("sent") or 0)
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  -- in flight when the run ended (at most one per connection): not errors
  local unanswered = math.min(CONNECTIONS, math.max(0, total_sent - summary.requests))
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.2f p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f max_ms=%.1f bad_status=%d redirects=%d socket_errors=%d timeouts=%d unanswered=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, b, r, e.connect + e.read + e.write + e.timeout, e.timeout, unanswered))
end
LUA
} > "$WORK/soak.lua"

worker_rss() {  # "pid rss_kb" per worker (children of the gunicorn master)
  local pid
  for pid in $(ps -o pid= --ppid "$GUNICORN_PID" 2>/dev/null); do
    awk -v p="$pid" '/^VmRSS:/ {print p, $2}' "/proc/$pid/status" 2>/dev/null || true
  done
}

run_wrk() {  # $1 duration, $2 output file, then extra wrk options. In the background + wait, so
  # Ctrl-C (a trapped signal) interrupts the wait at once and the trap cleans up.
  local duration="$1" out="$2"; shift 2
  wrk --threads "$THREADS" --connections "$CONNECTIONS" --duration "$duration" --timeout "$TIMEOUT" \
    "$@" --script "$WORK/soak.lua" "$BASE" > "$out" 2>&1 &
  WRK_PID=$!
  wait "$WRK_PID" || true
  WRK_PID=""
}

# --- warm-up, then the soak --------------------------------------------------------------------
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
log "$TOTAL_START trials ($TRIALS synthetic); gunicorn $WORKERS workers on $HOST:$PORT; warm-up $WARMUP at $CONNECTIONS connections"
run_wrk "$WARMUP" "$WORK/warmup.out"
grep '^RESULT' "$WORK/warmup.out" | sed 's/^RESULT/soak: warm-up:/' || true
curl -s -o /dev/null --max-time 120 "$BASE/api/trials/?page_size=1" || true   # drain the queue
worker_rss > "$WORK/rss-start"
[ -s "$WORK/rss-start" ] || die "no gunicorn workers found"

START="$(date +%s)"
MARGIN=$(( DURATION_S / 10 > 5 ? DURATION_S / 10 : 5 ))
export WORK PY TEMPLATES INGEST_BATCH INGEST_PAGE ID_PREFIX
: > "$WORK/ingest.log"
setsid "$WORK/ingest-loop.sh" $(( START + DURATION_S - MARGIN )) "$NEXT_ID" &
INGEST_PID=$!
(
  while :; do
    sleep "$SAMPLE_EVERY"
    echo "$(( $(date +%s) - START )) $(worker_rss | tr '\n' ' ')" >> "$WORK/rss-samples"
  done
) &
SAMPLER_PID=$!

log "$DURATION at $CONNECTIONS connections, ${#PATHS[@]} URLs; ingest of new pages (batches of $INGEST_BATCH) running beside it"
run_wrk "$DURATION" "$WORK/wrk.out" --latency
worker_rss > "$WORK/rss-end"
GUNICORN_ALIVE=1
kill -0 "$GUNICORN_PID" 2>/dev/null || GUNICORN_ALIVE=0
cat "$WORK/wrk.out"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
stop_pid "$SAMPLER_PID"; SAMPLER_PID=""

INGEST_LATE=0
for _ in $(seq 1 "$INGEST_GRACE"); do kill -0 "$INGEST_PID" 2>/dev/null || break; sleep 1; done
if kill -0 "$INGEST_PID" 2>/dev/null; then
  INGEST_LATE=1
  stop_pid "$INGEST_PID" group
fi
wait "$INGEST_PID" 2>/dev/null || true
INGEST_PID=""
INGEST_ERRORS="$(cat "$WORK"/soak-batch-*.err 2>/dev/null | grep -E '^(error|CommandError|Traceback)|Error' | head -10 || true)"
read -r TOTAL_END _ SOAK_END <<<"$(counts)"

read -r COMMIT_END DIRTY_END <<<"$(git_state)"
GUNICORN_PROBLEMS="$(grep -iE 'WORKER TIMEOUT|Traceback|Booting worker' "$WORK/gunicorn.log" | tail -5 || true)"

# --- report ------------------------------------------------------------------------------------
export COMMIT DIRTY COMMIT_END DIRTY_END GUNICORN_ALIVE SAMPLE_EVERY DURATION CONNECTIONS WORKERS TIMEOUT TRIALS MAX_GROWTH LOAD_BEFORE LOAD_AFTER TOTAL_START TOTAL_END \
  SOAK_START SOAK_END INGEST_LATE INGEST_ERRORS GUNICORN_PROBLEMS HOST PORT
"$PY" - <<'PY'
import json, os, re, sys

env = os.environ
work = env["WORK"]

def read(name):
    try:
        with open(os.path.join(work, name)) as f:
            return f.read()
    except FileNotFoundError:
        return ""

line = [l for l in read("wrk.out").splitlines() if l.startswith("RESULT ")]
wrk = {k: float(v) for k, v in (kv.split("=") for kv in line[-1].split()[1:])} if line else {}
errors = int(wrk.get("bad_status", 0) + wrk.get("socket_errors", 0)) if wrk else None

def rss(name):
    return {int(p): int(k) for p, k in (l.split() for l in read(name).splitlines() if l.strip())}

start, end = rss("rss-start"), rss("rss-end")
peak = dict(end)
for sample in read("rss-samples").splitlines():
    values = sample.split()[1:]
    for pid, kb in zip(values[0::2], values[1::2]):
        pid, kb = int(pid), int(kb)
        if pid in start:
            peak[pid] = max(peak.get(pid, 0), kb)
workers = []
for pid, kb in sorted(start.items()):
    row = {"pid": pid, "start_kb": kb, "end_kb": end.get(pid), "peak_kb": max(peak.get(pid, kb), kb)}
    row["growth_pct"] = round(100.0 * (row["end_kb"] - kb) / kb, 1) if row["end_kb"] else None
    workers.append(row)
replaced = [w["pid"] for w in workers if w["end_kb"] is None]
new_workers = sorted(set(end) - set(start))
total_start = sum(start.values())
total_end = sum(end.get(pid, 0) for pid in start)
total_growth = round(100.0 * (total_end - total_start) / total_start, 1) if total_start and not replaced else None
max_growth = float(env["MAX_GROWTH"])
grown = [w["pid"] for w in workers if w["growth_pct"] is not None and w["growth_pct"] > max_growth]

batches = []
for l in read("ingest.log").splitlines():
    parts = l.split(" ", 3)
    nums = {k: int(v) for k, v in re.findall(r"(created|updated|unchanged|failed) (\d+)", parts[3])}
    batches.append({"rc": int(parts[1]), "seconds": float(parts[2] or 0), **nums, "summary": parts[3]})
created = sum(b.get("created", 0) for b in batches)
ingest_failed = sum(b.get("failed", 0) for b in batches)
bad_runs = [b for b in batches if b["rc"] != 0 or "created" not in b]
ingest_seconds = sum(b["seconds"] for b in batches)
late = env["INGEST_LATE"] == "1"

problems = []
if errors is None:
    problems.append("wrk printed no result")
elif errors:
    problems.append(f"{errors} request errors")
if env["GUNICORN_ALIVE"] != "1":
    problems.append("the gunicorn master exited during the soak")
if replaced or new_workers:
    problems.append(f"workers replaced during the soak (gone: {replaced}, new: {new_workers})")
if grown:
    problems.append(f"RSS of worker(s) {grown} grew more than {max_growth:g}%")
if ingest_failed or bad_runs:
    problems.append(f"ingest: {ingest_failed} failed record(s), {len(bad_runs)} failed run(s)")
if not created:
    problems.append("the ingest created no trials")
if late:
    problems.append("the last ingest batch did not finish within the grace period (stopped)")

mb = lambda kb: f"{kb / 1024:.1f}" if kb is not None else "-"
print()
print(f"== soak: {env['DURATION']} at {env['CONNECTIONS']} connections, gunicorn {env['WORKERS']} workers "
      f"on {env['HOST']}:{env['PORT']} (DEBUG=0), {env['TOTAL_START']} trials at the start ==")
if wrk:
    print(f"requests   {int(wrk['requests'])} in {wrk['seconds']:.0f} s = {wrk['rps']:.1f} req/s")
    print(f"latency    p50 {wrk['p50_ms']:.0f} ms, p95 {wrk['p95_ms']:.0f} ms, p99 {wrk['p99_ms']:.0f} ms, max {wrk['max_ms']:.0f} ms")
    print(f"errors     {errors} (status outside 2xx/3xx {int(wrk['bad_status'])}, socket errors {int(wrk['socket_errors'])} "
          f"of which timeouts > {env['TIMEOUT']} {int(wrk['timeouts'])}); redirects {int(wrk['redirects'])}; "
          f"in flight at the end {int(wrk['unanswered'])}")
print(f"ingest     {len(batches)} runs, created {created} trials (trials {env['TOTAL_START']} -> {env['TOTAL_END']}), "
      f"failed {ingest_failed}, failed runs {len(bad_runs)}; "
      f"{created / ingest_seconds if ingest_seconds else 0:.1f} trials/s while running ({ingest_seconds:.0f} s)")
for b in bad_runs[:5]:
    print(f"           run failed (exit {b['rc']}): {b['summary']}")
if env.get("INGEST_ERRORS"):
    print("           " + env["INGEST_ERRORS"].replace("\n", "\n           "))
print(f"worker RSS (MB; start after the warm-up, end right after the load, peak of {env['SAMPLE_EVERY']} s samples):")
print(f"  {'pid':>8} {'start':>8} {'end':>8} {'peak':>8} {'growth':>8}")
for w in workers:
    g = f"{w['growth_pct']:+.1f}%" if w["growth_pct"] is not None else "gone"
    print(f"  {w['pid']:>8} {mb(w['start_kb']):>8} {mb(w['end_kb']):>8} {mb(w['peak_kb']):>8} {g:>8}")
tg = f"{total_growth:+.1f}%" if total_growth is not None else "-"
print(f"  {'total':>8} {mb(total_start):>8} {mb(total_end):>8} {'':>8} {tg:>8}   (limit +{max_growth:g}% per worker)")
print(f"load average {env['LOAD_BEFORE']} before, {env['LOAD_AFTER']} after; {os.cpu_count()} CPUs")
if env.get("GUNICORN_PROBLEMS"):
    print("gunicorn log: " + env["GUNICORN_PROBLEMS"].replace("\n", "\n              "))
commit, dirty = env["COMMIT"], env["DIRTY"] == "1"
moved = "" if (env["COMMIT_END"], env["DIRTY_END"]) == (env["COMMIT"], env["DIRTY"]) else (
    f"; by the end: {env['COMMIT_END']}{' + uncommitted changes' if env['DIRTY_END'] == '1' else ''} "
    "(the ingest loads the code afresh for each run)")
print(f"code: commit {commit}{' + uncommitted changes' if dirty else ''} when gunicorn started{moved}")
print("RESULT: " + ("OK" if not problems else "FAILED: " + "; ".join(problems)))

print(json.dumps({
    "duration": env["DURATION"], "connections": int(env["CONNECTIONS"]), "workers": int(env["WORKERS"]),
    "trials_start": int(env["TOTAL_START"]), "trials_end": int(env["TOTAL_END"]),
    "requests": int(wrk.get("requests", 0)), "rps": wrk.get("rps"),
    "p50_ms": wrk.get("p50_ms"), "p95_ms": wrk.get("p95_ms"), "p99_ms": wrk.get("p99_ms"), "max_ms": wrk.get("max_ms"),
    "errors": errors, "bad_status": int(wrk.get("bad_status", 0)), "socket_errors": int(wrk.get("socket_errors", 0)),
    "timeouts": int(wrk.get("timeouts", 0)),
    "ingest_runs": len(batches), "ingest_created": created, "ingest_failed": ingest_failed, "ingest_failed_runs": len(bad_runs),
    "rss_start_kb": {str(w["pid"]): w["start_kb"] for w in workers},
    "rss_end_kb": {str(w["pid"]): w["end_kb"] for w in workers},
    "rss_peak_kb": {str(w["pid"]): w["peak_kb"] for w in workers},
    "rss_growth_pct": {str(w["pid"]): w["growth_pct"] for w in workers},
    "rss_total_start_kb": total_start, "rss_total_end_kb": total_end, "rss_total_growth_pct": total_growth,
    "load_before": env["LOAD_BEFORE"], "load_after": env["LOAD_AFTER"], "commit": commit, "dirty": dirty, "commit_end": env["COMMIT_END"], "dirty_end": env["DIRTY_END"] == "1",
    "ok": not problems,
}))
sys.exit(1 if problems else 0)
PY
