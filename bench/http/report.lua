-- wrk script: one summary line per run, for bench/http/run.sh to collect.
-- Non-2xx answers and socket errors are counted: a fast error is no result.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.timeout
  io.write(string.format("RESULT req/s=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
                         .. "non2xx=%d socket_errors=%d\n",
                         summary.requests / seconds,
                         latency:percentile(50) / 1000, latency:percentile(90) / 1000,
                         latency:percentile(99) / 1000, latency.max / 1000,
                         summary.errors.status, errors))
end
