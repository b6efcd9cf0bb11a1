-- wrk script: POST /api/metrics with one JSON batch of 1,000 samples.
-- The batch cycles through the six forecast metrics; no "ts", so every sample
-- is stamped with the node's now and none is rejected.
local metrics = {"api.latency_p95", "api.error_rate", "executor.queue_depth",
                 "autonomy.plan_success_rate", "infra.cpu_utilization",
                 "infra.memory_utilization"}
local parts = {}
for i = 1, 1000 do
  parts[i] = string.format('{"metric":"%s","value":%d.5,"labels":{"pod":"p%d"}}',
                           metrics[(i % #metrics) + 1], i % 97, i % 7)
end
wrk.method = "POST"
wrk.body = "[" .. table.concat(parts, ",") .. "]"
wrk.headers["Content-Type"] = "application/json"

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("batches/s %.1f  samples/s %.0f  errors %d  p50 %.2f ms  p99 %.2f ms\n",
                         summary.requests / seconds, summary.requests * 1000 / seconds,
                         summary.errors.status + summary.errors.connect + summary.errors.read
                           + summary.errors.write + summary.errors.timeout,
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
