-- wrk script: cycle through the request paths listed in the file named by
-- the URLS environment variable (one path per line), so one run measures a
-- fixed mix of tiles; prints one machine-readable RESULT line at the end.
local paths = {}
local i = 0
init = function(args)
  for line in io.lines(os.getenv("URLS")) do
    if #line > 0 then paths[#paths + 1] = line end
  end
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], {["Accept-Encoding"] = os.getenv("ACCEPT_ENCODING") or "identity"})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
