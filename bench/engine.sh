#!/usr/bin/env bash
# Engine against its floor (docs/bench-engine.md): builds the engine's test
# binary once, then runs ROUNDS rounds of BenchmarkEvaluate and BenchmarkFloor
# back to back, and prints each round's ns/op and the median of the per-round
# ratios Evaluate ÷ Floor per policy (adjacent runs share the machine's state,
# so their ratio is steadier than a ratio of separate medians).
#
#   bench/engine.sh                 # 9 rounds, -benchtime 20000x
#   ROUNDS=5 BENCHTIME=50000x bench/engine.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-9}; BENCHTIME=${BENCHTIME:-20000x}
mkdir -p bin
go test -c -o bin/engine.test ./engine
echo "== $(nproc) cores, $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"
cd engine
for r in $(seq 1 "$ROUNDS"); do
  ../bin/engine.test -test.run '^$' -test.bench '^Benchmark(Evaluate|Floor)$' -test.benchmem -test.benchtime "$BENCHTIME" |
    awk -v r="$r" '/^Benchmark/ { sub(/-[0-9]+$/, "", $1); print r, $1, $3, $5, $7 }'
done | awk '
  { ns[$1, $2] = $3; name[$2] = 1; rounds[$1] = 1; allocs[$2] = $5 }
  END {
    printf "%-24s %s\n", "benchmark", "ns/op by round"
    for (n in name) { line = ""; for (r in rounds) line = line " " ns[r, n]; printf "%-24s%s  (%s allocs/op)\n", n, line, allocs[n] }
    for (n in name) {
      if (n !~ /^BenchmarkEvaluate\//) continue
      p = substr(n, length("BenchmarkEvaluate/") + 1); k = 0
      for (r in rounds) if (ns[r, "BenchmarkFloor/" p] > 0) ratio[++k] = ns[r, n] / ns[r, "BenchmarkFloor/" p]
      # median by insertion sort
      for (i = 2; i <= k; i++) { v = ratio[i]; j = i - 1; while (j > 0 && ratio[j] > v) { ratio[j + 1] = ratio[j]; j-- } ratio[j + 1] = v }
      med = (k % 2) ? ratio[(k + 1) / 2] : (ratio[k / 2] + ratio[k / 2 + 1]) / 2
      printf "%-10s Evaluate / Floor: median %.2fx, min %.2fx, max %.2fx over %d rounds\n", p, med, ratio[1], ratio[k], k
    }
  }'
