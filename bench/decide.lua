-- wrk script: POST /v1/decisions with one session id (cached after the first
-- request), the demo key by default. Usage:
--   wrk -t2 -c32 -d20s --latency -s bench/decide.lua http://127.0.0.1:18080/v1/decisions
-- Environment: VERDICT_BENCH_KEY (bearer secret), VERDICT_BENCH_SESSION.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("VERDICT_BENCH_KEY") or "demo-key")
wrk.body = '{"session_id":"' .. (os.getenv("VERDICT_BENCH_SESSION") or "demo-review") .. '","context":{"amount":120}}'

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
