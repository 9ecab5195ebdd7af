-- wrk script: signed GET /account/get, each request signed for the next account of a list, round robin.
-- The list (one bk-signature header value a line) is the file named by the environment variable SIGS; every wrk
-- thread starts at its own offset. The requests are formatted once, in init, so choosing one costs an index.
local requests = {}
local n = 0
local i = 0

init = function(args)
  for line in io.lines(os.getenv("SIGS")) do
    n = n + 1
    requests[n] = wrk.format("GET", "/account/get", { ["bk-signature"] = line })
  end
  i = math.random(n) - 1
end

request = function()
  i = i % n + 1
  return requests[i]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
