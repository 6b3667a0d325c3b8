#!/usr/bin/env bash
# Memory soak for `verdict serve` (docs/operations.md, "Memory"): DURATION of
# decisions at RATE per second over IDS distinct session ids, every id new
# until the space is used up, while bench/soak samples RSS every SAMPLE.
#
#   bench/soak.sh demo       # demo mode: the built-in simulator, SQLite log
#   bench/soak.sh external   # `verdict sim --synthesize` in its own process; both RSS sampled
#
# Knobs: DURATION (20m), RATE (850: 20 minutes cover 1,000,000 ids), IDS
# (1000000), SAMPLE (10s), INFLIGHT (64). The figures that matter are printed
# last: RSS after minute 1 and at the end. Samples go to bench/results/.
# Everything listens on 127.0.0.1; the decision log is a temporary SQLite file.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-demo}
DURATION=${DURATION:-20m}; RATE=${RATE:-850}; IDS=${IDS:-1000000}; SAMPLE=${SAMPLE:-10s}; INFLIGHT=${INFLIGHT:-64}
OUT=bench/results; mkdir -p "$OUT" bin
V_ADDR=127.0.0.1:18090; S_ADDR=127.0.0.1:18091
go build -o bin/verdict ./cmd/verdict
go build -o bin/soak ./bench/soak

db=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$db"; }
trap cleanup EXIT
wait_http() { # URL [curl args]: until it answers 2xx
  local url=$1; shift
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$@" "$url" 2>/dev/null && return 0; sleep 0.1; done
  echo "soak: $url never answered" >&2; return 1
}

common=(VERDICT_LISTEN_ADDR=$V_ADDR VERDICT_RELOAD_WATCH=false VERDICT_DATABASE_URL="$db/verdict.db" VERDICT_LOG_LEVEL=warn)
case $mode in
demo)
  env "${common[@]}" ./bin/verdict serve 2>"$OUT/soak-demo-verdict.log" & vpid=$!; pids+=($vpid)
  key=demo-key; watch=(--pid "verdict=$vpid")
  ;;
external)
  ./bin/verdict sim --reports testdata/reports --addr $S_ADDR --api-key sk-soak --synthesize \
    >"$OUT/soak-external-sim.out" 2>"$OUT/soak-external-sim.log" & spid=$!; pids+=($spid)
  wait_http "http://$S_ADDR/v1/sessions/report?sessionId=x" -H "Authorization: Bearer sk-soak"
  env "${common[@]}" ROUNDTABLE_BASE_URL=http://$S_ADDR ROUNDTABLE_API_KEY=sk-soak \
    VERDICT_API_KEYS="soak:decide:soak-secret-0123456789" \
    ./bin/verdict serve 2>"$OUT/soak-external-verdict.log" & vpid=$!; pids+=($vpid)
  key=soak-secret-0123456789; watch=(--pid "verdict=$vpid" --pid "sim=$spid")
  ;;
*) echo "usage: bench/soak.sh demo|external" >&2; exit 2 ;;
esac
wait_http "http://$V_ADDR/readyz"
echo "== soak $mode: $(nproc) cores, $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg), RATE=$RATE IDS=$IDS DURATION=$DURATION"
./bin/soak --url "http://$V_ADDR" --key "$key" --rate "$RATE" --ids "$IDS" --duration "$DURATION" \
  --sample "$SAMPLE" --inflight "$INFLIGHT" --out "$OUT/soak-$mode.csv" "${watch[@]}" | tee "$OUT/soak-$mode.txt"
echo "== log size $(du -sh "$db" | cut -f1); verdict log lines at warn and above: $(wc -l <"$OUT/soak-$mode-verdict.log")"
