-- wrk script of bench/load.py: cycles through the request paths listed in a file, counts
-- responses by class, and prints one machine-readable RESULT line at the end.
--
--   wrk [options] --script bench/wrk.lua http://127.0.0.1:PORT -- PATHS_FILE CONNECTIONS
--
-- Each wrk thread runs this in its own Lua state: `init` reads the paths there, and `done`
-- (in the main state) sums the threads' counters through thread:get.

local threads = {}
local paths = {}
local counter = 0
bad = 0          -- responses with a status outside 2xx/3xx
limited = 0      -- ... of which 429 (the search rate limit)
unavailable = 0  -- ... of which 503 (the statement timeout, or the database away)
redirects = 0    -- 3xx responses
sent = 0         -- requests written
connections = 0  -- wrk's --connections, to bound the requests still in flight at the end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then
      table.insert(paths, line)
    end
  end
  connections = tonumber(args[2]) or 0
  counter = math.random(#paths)
end

function request()
  counter = counter + 1
  sent = sent + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function response(status, headers, body)
  if status < 200 or status >= 400 then
    bad = bad + 1
    if status == 429 then limited = limited + 1 elseif status == 503 then unavailable = unavailable + 1 end
  elseif status >= 300 then
    redirects = redirects + 1
  end
end

function done(summary, latency, requests)
  local b, r, total_sent, conns, l429, u503 = 0, 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    b = b + (thread:get("bad") or 0)
    l429 = l429 + (thread:get("limited") or 0)
    u503 = u503 + (thread:get("unavailable") or 0)
    r = r + (thread:get("redirects") or 0)
    total_sent = total_sent + (thread:get("sent") or 0)
    conns = thread:get("connections") or conns
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  -- Requests in flight when the run ended (at most one per connection) are not errors:
  -- a closed-loop run always ends with some.
  local unanswered = math.min(conns, math.max(0, total_sent - summary.requests))
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.2f p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f max_ms=%.1f "
      .. "bad_status=%d status_429=%d status_503=%d redirects=%d socket_errors=%d timeouts=%d unanswered=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, b, l429, u503, r, e.connect + e.read + e.write + e.timeout, e.timeout, unanswered))
end
