#!/usr/bin/env bash
# Load figures for `verdict serve` (docs/bench-api.md):
#
#   bench/run.sh throughput   # wrk: POST /v1/decisions (report cached) beside a bare Echo handler
#   bench/run.sh latency      # paced 200 req/s with the simulator adding 50 ms: verdict's p99 overhead
#   bench/run.sh audit        # wrk: POST /v1/decisions with the decision log (SQLite) on, beside the same build with it off,
#                             # and an OPA server (OPA=path, default ~/go/bin/opa; go install github.com/open-policy-agent/opa@v1.22.3)
#                             # deciding bench/opa/checkout.rego (the shipped policy in Rego) with no decision log
#   bench/run.sh versus [REF] # wrk: POST /v1/decisions (report cached, log off) on this tree and on git REF (default main), alternating
#   bench/run.sh              # throughput and latency
#
# Needs wrk (apt-get install -y wrk). Knobs: DURATION (20s), CONNS (32),
# THREADS (2), ROUNDS (2), RATE (200), AUDIT_DATABASE_URL (audit mode: the log, default a
# temporary SQLite file), VERDICT_BENCH_SESSION (audit mode: the demo session decided, default
# demo-review, whose every decision also opens a review; demo-allow writes the trace only).
# Everything listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
DURATION=${DURATION:-20s}; CONNS=${CONNS:-32}; THREADS=${THREADS:-2}; ROUNDS=${ROUNDS:-2}; RATE=${RATE:-200}
OUT=bench/results; mkdir -p "$OUT" bin
V_ADDR=127.0.0.1:18080; B_ADDR=127.0.0.1:18081; S_ADDR=127.0.0.1:18082

go build -o bin/verdict ./cmd/verdict
go build -o bin/baseline ./bench/baseline
go build -o bin/paced ./bench/paced
go build -tags benchnolog -o bin/verdict-nolog ./cmd/verdict # accepts VERDICT_DATABASE_URL=off

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# wait_http URL: wait until something answers HTTP there (any status).
wait_http() {
  for _ in $(seq 1 100); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null) != 000 ]] && return 0
    sleep 0.1
  done
  echo "no answer from $1" >&2; return 1
}
decide_body='{"session_id":"demo-review","context":{"amount":120}}'

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3), wrk $(wrk -v 2>&1 | head -1 | cut -d' ' -f2)"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ $what == throughput || $what == all ]]; then
  # verdict in demo mode (shipped rules, built-in simulator); the report stays
  # cached for the whole run, access logs on (info) and written to a file. This
  # is the API path alone (issue 4's figure): the decision log is off here, in the
  # benchmark build; `bench/run.sh audit` measures the log on against off.
  VERDICT_LISTEN_ADDR=$V_ADDR ROUNDTABLE_CACHE_TTL=1h VERDICT_RELOAD_WATCH=false VERDICT_DATABASE_URL=off \
    ./bin/verdict-nolog serve 2>"$OUT/verdict-throughput.log" & pids+=($!)
  wait_http "http://$V_ADDR/healthz"
  curl -fsS -H 'Authorization: Bearer demo-key' -H 'Content-Type: application/json' \
    -d "$decide_body" "http://$V_ADDR/v1/decisions" > "$OUT/decision.json"
  echo "== decision body: $(wc -c < "$OUT/decision.json") bytes"
  ./bin/baseline --addr $B_ADDR --body-file "$OUT/decision.json" 2>/dev/null & pids+=($!)
  wait_http "http://$B_ADDR/v1/decisions"
  for target in "verdict http://$V_ADDR" "baseline http://$B_ADDR"; do # warm both up
    set -- $target; wrk -t"$THREADS" -c"$CONNS" -d3s -s bench/decide.lua "$2/v1/decisions" >/dev/null
  done
  for r in $(seq 1 "$ROUNDS"); do
    for target in "baseline http://$B_ADDR" "verdict http://$V_ADDR"; do
      set -- $target
      line=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/decide.lua "$2/v1/decisions" | grep '^RESULT')
      echo "round $r $1 ${line#RESULT }" | tee -a "$OUT/throughput.txt"
    done
  done
  cleanup; pids=()
fi

if [[ $what == versus ]]; then
  # The throughput setup of `throughput` for two builds in one run: this tree
  # and git REF (default main), both -tags benchnolog with the decision log
  # off, started alike and measured in alternating rounds.
  ref=${2:-main}; src=$(mktemp -d)
  git archive "$ref" | tar -x -C "$src"
  (cd "$src" && go build -tags benchnolog -o "$OLDPWD/bin/verdict-nolog-ref" ./cmd/verdict)
  rm -rf "$src"
  R_ADDR=127.0.0.1:18084
  VERDICT_LISTEN_ADDR=$V_ADDR ROUNDTABLE_CACHE_TTL=1h VERDICT_RELOAD_WATCH=false VERDICT_DATABASE_URL=off \
    ./bin/verdict-nolog serve 2>"$OUT/verdict-versus-tree.log" & pids+=($!)
  VERDICT_LISTEN_ADDR=$R_ADDR ROUNDTABLE_CACHE_TTL=1h VERDICT_RELOAD_WATCH=false VERDICT_DATABASE_URL=off \
    ./bin/verdict-nolog-ref serve 2>"$OUT/verdict-versus-ref.log" & pids+=($!)
  wait_http "http://$V_ADDR/healthz"; wait_http "http://$R_ADDR/healthz"
  for target in "tree http://$V_ADDR" "$ref http://$R_ADDR"; do # warm both up
    set -- $target; wrk -t"$THREADS" -c"$CONNS" -d3s -s bench/decide.lua "$2/v1/decisions" >/dev/null
  done
  # Beside req/s (which a shared machine moves by tens of percent), each
  # server's own CPU time per request over the round (utime+stime from
  # /proc/PID/stat): the cost the JSON change adds or saves, less sensitive
  # to what else runs.
  cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
  tick_us=$((1000000 / $(getconf CLK_TCK)))
  for r in $(seq 1 "$ROUNDS"); do
    for target in "$ref http://$R_ADDR ${pids[1]}" "tree http://$V_ADDR ${pids[0]}"; do
      set -- $target
      t0=$(cpu_ticks "$3")
      line=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/decide.lua "$2/v1/decisions" | grep '^RESULT')
      t1=$(cpu_ticks "$3"); reqs=$(echo "$line" | grep -o 'requests=[0-9]*' | cut -d= -f2)
      echo "round $r $1 ${line#RESULT } cpu_us_per_req=$(echo "scale=2; ($t1 - $t0) * $tick_us / $reqs" | bc -l)" | tee -a "$OUT/versus.txt"
    done
  done
  cleanup; pids=()
fi

if [[ $what == audit ]]; then
  # The same decision, report cached, through two servers started alike: one
  # with the decision log (an SQLite file, group commit; each answer waits for
  # its commit), one built with -tags benchnolog and VERDICT_DATABASE_URL=off.
  # Every request is a new decision (no Idempotency-Key), so every one is appended.
  L_ADDR=127.0.0.1:18083; O_ADDR=127.0.0.1:18084
  OPA=${OPA:-$(go env GOPATH)/bin/opa}
  # AUDIT_DATABASE_URL (e.g. postgres://...?search_path=bench) replaces the SQLite file.
  db=$(mktemp -d)
  VERDICT_LISTEN_ADDR=$V_ADDR ROUNDTABLE_CACHE_TTL=1h VERDICT_RELOAD_WATCH=false VERDICT_DATABASE_URL="${AUDIT_DATABASE_URL:-$db/verdict.db}" \
    ./bin/verdict serve 2>"$OUT/verdict-log-on.log" & pids+=($!)
  VERDICT_LISTEN_ADDR=$L_ADDR ROUNDTABLE_CACHE_TTL=1h VERDICT_RELOAD_WATCH=false VERDICT_DATABASE_URL=off \
    ./bin/verdict-nolog serve 2>"$OUT/verdict-log-off.log" & pids+=($!)
  wait_http "http://$V_ADDR/healthz"; wait_http "http://$L_ADDR/healthz"
  opa_on=false
  if [[ -x $OPA ]]; then
    # OPA gets the report verdict keeps cached, with the same context, as its input.
    python3 -c 'import json,sys; r=json.load(open("testdata/reports/"+sys.argv[1]+".json")); r["context"]={"amount":120}; json.dump({"input":r},sys.stdout)' "${VERDICT_BENCH_SESSION:-demo-review}" \
      > "$OUT/opa-input.json"
    "$OPA" run --server --addr "$O_ADDR" --log-level error bench/opa/checkout.rego 2>"$OUT/opa.log" & pids+=($!)
    wait_http "http://$O_ADDR/health"; opa_on=true
    echo "== $("$OPA" version | head -1), decision: $(curl -s -d @"$OUT/opa-input.json" "http://$O_ADDR/v1/data/verdict/checkout/decision" | cut -c1-120)"
  else
    echo "== no OPA at $OPA (go install github.com/open-policy-agent/opa@v1.22.3): the OPA side is skipped"
  fi
  for target in "on http://$V_ADDR" "off http://$L_ADDR"; do # warm both up
    set -- $target; wrk -t"$THREADS" -c"$CONNS" -d3s -s bench/decide.lua "$2/v1/decisions" >/dev/null
  done
  $opa_on && OPA_INPUT="$OUT/opa-input.json" wrk -t"$THREADS" -c"$CONNS" -d3s -s bench/opa.lua "http://$O_ADDR/v1/data/verdict/checkout/decision" >/dev/null
  for r in $(seq 1 "$ROUNDS"); do
    for target in "log-off http://$L_ADDR" "log-on http://$V_ADDR"; do
      set -- $target
      line=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/decide.lua "$2/v1/decisions" | grep '^RESULT')
      echo "round $r $1 ${line#RESULT }" | tee -a "$OUT/audit.txt"
    done
    if $opa_on; then
      line=$(OPA_INPUT="$OUT/opa-input.json" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/opa.lua \
        "http://$O_ADDR/v1/data/verdict/checkout/decision" | grep '^RESULT')
      echo "round $r opa ${line#RESULT }" | tee -a "$OUT/audit.txt"
    fi
  done
  cleanup; pids=()
  [[ -z ${AUDIT_DATABASE_URL:-} ]] && echo "== traces in the log: $(sqlite3 "$db/verdict.db" 'select count(*) from traces' 2>/dev/null || echo '(sqlite3 not installed)')"
  rm -rf "$db"
fi

if [[ $what == latency || $what == all ]]; then
  # The simulator adds 50 ms to every report; verdict's cache is off, so every
  # decision waits on it. The simulator alone and two verdicts get the same paced
  # load: the benchmark build with the decision log off (the API path alone,
  # issue 4's figure) and the ordinary build with the log on (SQLite, durable
  # before the answer).
  ./bin/verdict sim --reports testdata/reports --addr $S_ADDR --latency 50ms 2>"$OUT/sim.log" & pids+=($!)
  sleep 0.5
  # Requests cycle through every session the simulator serves, so no two
  # requests for one session overlap (which would coalesce into one fetch).
  ids=$(grep -ho '"session_id": *"[^"]*"' testdata/reports/*.json | cut -d'"' -f4 | sort -u | paste -sd, -)
  echo "== simulator alone (GET report, 50 ms added) at $RATE req/s over $(echo "$ids" | tr ',' '\n' | wc -l) sessions"
  ./bin/paced --url "http://$S_ADDR/v1/sessions/{id}/report" --ids "$ids" -H "Authorization: Bearer sk-bench" \
    --rate "$RATE" --duration "$DURATION" | tee "$OUT/latency-sim.txt"
  s99=$(grep -o 'p99_ms=[0-9.]*' "$OUT/latency-sim.txt" | cut -d= -f2)
  for variant in "log-off ./bin/verdict-nolog off" "log-on ./bin/verdict $OUT/latency-verdict.db"; do
    set -- $variant
    VERDICT_LISTEN_ADDR=$V_ADDR ROUNDTABLE_BASE_URL=http://$S_ADDR ROUNDTABLE_API_KEY=sk-bench \
      ROUNDTABLE_CACHE_TTL=-1s VERDICT_RELOAD_WATCH=false VERDICT_API_KEYS="bench:decide:bench-secret-0123456789" \
      VERDICT_DATABASE_URL="$3" "$2" serve 2>"$OUT/verdict-latency-$1.log" & vpid=$!
    wait_http "http://$V_ADDR/healthz"
    echo "== verdict ($1) POST /v1/decisions (cache off: every decision fetches) at $RATE req/s"
    ./bin/paced --url "http://$V_ADDR/v1/decisions" --ids "$ids" --body '{"session_id":"{id}","context":{"amount":120}}' \
      -H "Authorization: Bearer bench-secret-0123456789" \
      --rate "$RATE" --duration "$DURATION" | tee "$OUT/latency-verdict-$1.txt"
    kill "$vpid"; wait "$vpid" 2>/dev/null || true
    v99=$(grep -o 'p99_ms=[0-9.]*' "$OUT/latency-verdict-$1.txt" | cut -d= -f2)
    echo "== p99 ($1): simulator ${s99} ms, verdict ${v99} ms: verdict adds $(echo "$v99 - $s99" | bc -l) ms over the simulator, $(echo "$v99 - 50" | bc -l) ms over 50 ms"
  done
fi
