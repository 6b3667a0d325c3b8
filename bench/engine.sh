#!/usr/bin/env bash
# The engine against its floor (docs/bench-engine.md). Builds the engine's
# test binary once, then runs ROUNDS rounds of BenchmarkEvaluateOverFloor,
# which times Evaluate and the floor (the same compiled programs, one reused
# VM, an env map filled from the report for each decision: what a plain expr
# user writes) in alternating chunks of 256 decisions in one loop, and prints
# each round's figures and, per policy, the median, minimum and maximum of the
# rounds' engine/floor ratios.
#
#   bench/engine.sh                        # 9 rounds of 300 chunk pairs each
#   ROUNDS=5 BENCHTIME=1000x bench/engine.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-9}; BENCHTIME=${BENCHTIME:-300x}
mkdir -p bin
go test -c -o bin/engine.test ./engine
echo "== $(nproc) cores, $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg), ROUNDS=$ROUNDS BENCHTIME=$BENCHTIME"
cd engine
for r in $(seq 1 "$ROUNDS"); do
  ../bin/engine.test -test.run '^$' -test.bench '^BenchmarkEvaluateOverFloor$' -test.benchtime "$BENCHTIME" |
    awk -v r="$r" '/^Benchmark/ {
      sub(/-[0-9]+$/, "", $1); sub(/^BenchmarkEvaluateOverFloor\//, "", $1)
      for (i = 3; i < NF; i += 2) v[$(i + 1)] = $i
      printf "round %d %-9s engine %8.0f ns  floor %8.0f ns  ratio %.3f\n", r, $1, v["engine-ns/decision"], v["floor-ns/decision"], v["engine/floor"]
    }'
done | tee /dev/stderr | awk '
  { k = ++n[$3]; ratio[$3, k] = $11 }
  END {
    for (p in n) {
      m = n[p]; for (i = 1; i <= m; i++) x[i] = ratio[p, i]
      for (i = 2; i <= m; i++) { v = x[i]; j = i - 1; while (j > 0 && x[j] > v) { x[j + 1] = x[j]; j-- } x[j + 1] = v }
      med = (m % 2) ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2
      printf "%-9s engine/floor: median %.3f, min %.3f, max %.3f over %d rounds\n", p, med, x[1], x[m], m
    }
  }'
