#!/usr/bin/env bash
# Several replicas on one PostgreSQL decision log (docs/bench-audit.md, issue 13 item 5):
#
#   bench/replicas.sh            # 3 replicas, each under its own wrk, all at once
#
# Starts REPLICAS (3) `verdict serve` processes on one PostgreSQL schema (the durable log on:
# every answer waits for its commit), loads them together with wrk (report cached), and prints
# the throughput and p99 of each and the total; then sends one Idempotency-Key to two replicas at
# once (they must answer one decision), and runs `verdict audit verify` over the shared log.
# Beside each replica's figures it prints the CPU time, over the load, of the replica
# processes and of the PostgreSQL backends serving them (found by application_name, which
# each replica's URL sets), as cores busy: where the server saturates shows as its share
# rising while the total throughput stops rising (run with REPLICAS=1, 2, 3, 4).
# Knobs: PG_URL (postgres://postgres@127.0.0.1:5432/test?sslmode=disable), REPLICAS (3),
# DURATION (10s), CONNS (16 per replica), THREADS (1 per replica).
set -euo pipefail
cd "$(dirname "$0")/.."
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
REPLICAS=${REPLICAS:-3}; DURATION=${DURATION:-10s}; CONNS=${CONNS:-16}; THREADS=${THREADS:-1}
OUT=bench/results; mkdir -p "$OUT" bin
schema=bench_replicas_$$
go build -o bin/verdict ./cmd/verdict
psql "$PG_URL" -qc "CREATE SCHEMA $schema"
db="$PG_URL&search_path=$schema"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  psql "$PG_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" || true
}
trap cleanup EXIT
wait_http() {
  for _ in $(seq 1 100); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null) != 000 ]] && return 0
    sleep 0.1
  done
  echo "no answer from $1" >&2; return 1
}
echo "== machine: $(nproc) cores, $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $(psql "$PG_URL" -Atc 'show server_version')"
for i in $(seq 1 "$REPLICAS"); do
  VERDICT_LISTEN_ADDR=127.0.0.1:$((18090 + i)) ROUNDTABLE_CACHE_TTL=1h VERDICT_RELOAD_WATCH=false \
    VERDICT_DATABASE_URL="$db&application_name=$schema-$i" ./bin/verdict serve 2>"$OUT/replica-$i.log" & pids+=($!)
done
for i in $(seq 1 "$REPLICAS"); do wait_http "http://127.0.0.1:$((18090 + i))/healthz"; done
for i in $(seq 1 "$REPLICAS"); do # warm up
  wrk -t1 -c4 -d2s -s bench/decide.lua "http://127.0.0.1:$((18090 + i))/v1/decisions" >/dev/null
done
# cpu_ticks PID...: their user+system CPU ticks (a process gone counts 0).
cpu_ticks() { local t=0 p; for p in "$@"; do [[ -r /proc/$p/stat ]] && t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo $t; }
backends() { psql "$PG_URL" -Atc "select pid from pg_stat_activity where application_name like '$schema-%'"; }
declare -A pg0
for p in $(backends); do pg0[$p]=$(cpu_ticks "$p"); done
v0=$(cpu_ticks "${pids[@]}"); t0=$(date +%s.%N)
wpids=()
for i in $(seq 1 "$REPLICAS"); do
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/decide.lua "http://127.0.0.1:$((18090 + i))/v1/decisions" \
    | grep '^RESULT' > "$OUT/replica-$i.txt" & wpids+=($!)
done
wait "${wpids[@]}"
t1=$(date +%s.%N); v1=$(cpu_ticks "${pids[@]}"); pgt=0
for p in $(backends); do pgt=$((pgt + $(cpu_ticks "$p") - ${pg0[$p]:-0})); done # a backend opened during the load counts from 0
hz=$(getconf CLK_TCK); secs=$(echo "$t1 - $t0" | bc -l)
total=0
for i in $(seq 1 "$REPLICAS"); do
  line=$(cat "$OUT/replica-$i.txt"); echo "replica $i ${line#RESULT }" | tee -a "$OUT/replicas.txt"
  rps=$(echo "$line" | grep -o 'rps=[0-9.]*' | cut -d= -f2); total=$(echo "$total + $rps" | bc -l)
done
echo "total rps=$total over $REPLICAS replicas" | tee -a "$OUT/replicas.txt"
printf '== cores busy over the load (%.1f s): replicas %.2f, their PostgreSQL backends %.2f; load average %s\n' \
  "$secs" "$(echo "($v1 - $v0) / $hz / $secs" | bc -l)" "$(echo "$pgt / $hz / $secs" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  | tee -a "$OUT/replicas.txt"
# One Idempotency-Key sent to two replicas at once: one decision (needs two replicas).
if (( REPLICAS >= 2 )); then
  cpids=()
  for i in 1 2; do
    curl -s -H 'Authorization: Bearer demo-key' -H 'Content-Type: application/json' -H 'Idempotency-Key: bench-once' \
      -d '{"session_id":"demo-review"}' "http://127.0.0.1:$((18090 + i))/v1/decisions" > "$OUT/idem-$i.json" & cpids+=($!)
  done
  wait "${cpids[@]}"
  a=$(grep -o '"decision_id":"[^"]*"' "$OUT/idem-1.json"); b=$(grep -o '"decision_id":"[^"]*"' "$OUT/idem-2.json")
  stored=$(psql "$PG_URL" -Atc "select count(*) from $schema.traces where idempotency_key = 'bench-once'")
  echo "== one Idempotency-Key to two replicas at once: $a / $b, $stored stored" | tee -a "$OUT/replicas.txt"
fi
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait "${pids[@]}" 2>/dev/null || true; pids=()
echo "== $(./bin/verdict audit verify --database "$db")" | tee -a "$OUT/replicas.txt"
