-- wrk script: cycles through pre-signed GET requests read from $BENCH_REQUESTS (one per line: PATH?QUERY, a tab, the
-- bk-signature header value or nothing), and prints one machine-readable line at the end (latencies in microseconds).
local requests = {}
local n = 0

init = function(args)
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    local path, signature = line:match("^([^\t]+)\t?(.*)$")
    if path then
      local headers = {}
      if signature ~= "" then headers["bk-signature"] = signature end
      requests[#requests + 1] = wrk.format("GET", path, headers)
    end
  end
end

request = function()
  n = n % #requests + 1
  return requests[n]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
