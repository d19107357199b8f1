-- wrk script for scripts/bench: every request on a new TCP connection, an
-- optional think time per connection (BENCH_DELAY_MS, mean of an exponential
-- distribution: a rate-limited, roughly Poisson load without wrk2), and a
-- machine-readable summary line with p50/p90/p99/p99.9.
wrk.headers["Connection"] = "close"

local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0") or 0

function delay()
  if delay_ms <= 0 then return 0 end
  return math.floor(-math.log(1 - math.random()) * delay_ms + 0.5)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_s": %.3f, "rps": %.1f, "errors_connect": %d, "errors_read": %d, ' ..
    '"errors_write": %d, "errors_timeout": %d, "non_2xx_3xx": %d, "p50_ms": %.3f, "p90_ms": %.3f, ' ..
    '"p99_ms": %.3f, "p999_ms": %.3f, "max_ms": %.3f, "mean_ms": %.3f}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency:percentile(99.9) / 1e3, latency.max / 1e3, latency.mean / 1e3))
end
