-- wrk script for the OPA side of bench/run.sh: POST /v1/data/verdict/checkout/decision with the
-- demo-review report and the bench's context as input (bench/opa/input.json, made by run.sh).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("OPA_INPUT") or "bench/results/opa-input.json", "r"))
wrk.body = f:read("*a")
f:close()

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
