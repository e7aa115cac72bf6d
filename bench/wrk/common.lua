-- Shared by the scenarios: API key, data file loading, per-thread ids, a JSON summary at the end.
local M = {}
local threads = {}

function M.setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function M.lines(path)
  local rows = {}
  for line in io.lines(path) do
    local fields = {}
    for field in string.gmatch(line, "[^,]+") do table.insert(fields, field) end
    table.insert(rows, fields)
  end
  return rows
end

function M.headers(extra)
  local headers = {
    ["Authorization"] = "Api-Key " .. os.getenv("BENCH_API_KEY"),
    ["Content-Type"] = "application/json",
  }
  for key, value in pairs(extra or {}) do headers[key] = value end
  return headers
end

function M.count(status)
  if status < 200 or status > 299 then
    bad = (bad or 0) + 1
    if (bad or 0) <= 3 then io.stderr:write("unexpected status " .. status .. "\n") end
  end
end

function M.done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + (thread:get("bad") or 0) end
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "mean_ms": %.2f}\n',
    summary.requests, summary.duration, failed,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000))
end

return M
