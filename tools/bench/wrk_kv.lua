-- wrk script of tools/bench-http.sh: one fixed request per connection, repeated, and a
-- machine-readable summary line the benchmark script parses.
--
--   wrk ... -s wrk_kv.lua URL -- METHOD [BODY]
--
-- METHOD is GET or PUT; BODY (PUT) is sent with Content-Type: application/json. The
-- request is built once per thread in init (no `request` hook), so wrk sends a
-- pre-formatted buffer and the script adds no per-request work on the sending side.
--
-- Status check: wrk itself counts the answers with status >= 400 (errors.status in the
-- summary), at no cost. With BENCH_STRICT_STATUS=1 in the environment the `response` hook
-- below also counts every status outside 200..299 and keeps the first one; it is off by
-- default because wrk then hands each response's headers and body to Lua, which costs
-- the single load-generator thread about a tenth more CPU per request and can lower the
-- nginx ceiling the others are compared with.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local method = args[1] or "GET"
  wrk.method = method
  if args[2] ~= nil then
    wrk.body = args[2]
    wrk.headers["Content-Type"] = "application/json"
  end
  non2xx = 0
  first_bad = ""
end

if os.getenv("BENCH_STRICT_STATUS") == "1" then
  function response(status, headers, body)
    if status < 200 or status > 299 then
      if non2xx == 0 then
        first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 120)
      end
      non2xx = non2xx + 1
    end
  end
end

function done(summary, latency, requests)
  local bad, first = 0, ""
  for _, t in ipairs(threads) do
    local n = t:get("non2xx") or 0
    if n > 0 and first == "" then first = t:get("first_bad") or "" end
    bad = bad + n
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d " ..
    "non2xx=%d connect=%d read=%d write=%d timeout=%d status=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max,
    bad, e.connect, e.read, e.write, e.timeout, e.status))
  if first ~= "" then
    io.write("BENCH first_non2xx=" .. string.gsub(first, "[\r\n]", " ") .. "\n")
  end
end
