#!/usr/bin/env bash
# Measures the ingestion API in one run, against the embedded broker, and prints the figures:
#   1. a bare Kestrel endpoint that parses the same JSON and answers 202 (the HTTP ceiling),
#   2. POST /register_event, one event per request,
#   3. POST /events, CloudEvents batches of BATCH_SIZE (default 1,000), with the API writing
#      binary-mode records (ce_* headers), then again with Ingestion:KafkaContentMode=Structured,
#   4. the same records produced with no HTTP at all: the Kafka client path's own ceiling in
#      either mode (and binary with every record built before the clock starts: the client's
#      own cost), and plain records (no headers): the client's bare ceiling on this machine.
# Ratios are only meaningful within one run: these machines are shared and noisy.
# Usage: bash bench/run.sh   (DURATION=15s CONNECTIONS=256 BATCH_CONNECTIONS=32 BATCH_SIZE=1000)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-256}
BATCH_CONNECTIONS=${BATCH_CONNECTIONS:-$CONNECTIONS}
BATCH_SIZE=${BATCH_SIZE:-1000}
THREADS=${THREADS:-2}
BROKER_PORT=${BROKER_PORT:-19092}
API_URL=http://127.0.0.1:5090
BARE_URL=http://127.0.0.1:5091
export API_KEY=bench-key-0123456789abcdef BATCH_SIZE

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
out=bench/results
mkdir -p "$out"

echo "== building (Release)"
dotnet build -c Release -nologo -v q bench/KafkaIngestion.Bench/KafkaIngestion.Bench.csproj >/dev/null
dotnet build -c Release -nologo -v q KafkaIngestion.Api/KafkaIngestion.Api.csproj >/dev/null

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

bench_dll=bench/KafkaIngestion.Bench/bin/Release/net10.0/KafkaIngestion.Bench.dll
dotnet "$bench_dll" broker --port "$BROKER_PORT" > "$out/broker.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do grep -q '^BOOTSTRAP=' "$out/broker.log" && break; sleep 0.1; done
bootstrap=$(sed -n 's/^BOOTSTRAP=//p' "$out/broker.log")
[ -n "$bootstrap" ] || { echo "broker did not start"; cat "$out/broker.log"; exit 1; }

ASPNETCORE_URLS=$BARE_URL dotnet "$bench_dll" bare > "$out/bare.log" 2>&1 & pids+=($!)
start_api() { # content mode
  ASPNETCORE_URLS=$API_URL ASPNETCORE_ENVIRONMENT=Production Ingestion__KafkaContentMode="$1" \
    ConnectionStrings__kafka="$bootstrap" Ingestion__ApiKeys__0="$API_KEY" Logging__LogLevel__Default=Warning \
    dotnet KafkaIngestion.Api/bin/Release/net10.0/KafkaIngestion.Api.dll > "$out/api-$1.log" 2>&1 & api_pid=$!; pids+=($api_pid)
  for _ in $(seq 1 200); do curl -s -o /dev/null -m 1 "$API_URL/health" && break; sleep 0.1; done
}
start_api Binary

for _ in $(seq 1 200); do curl -s -o /dev/null -m 1 "$BARE_URL/register_event" -X GET && break; sleep 0.1; done

accepted() { curl -s "$API_URL/get_status" | grep -o '"accepted":[0-9]*' | head -n 1 | cut -d: -f2; }
before=0; after=0; start=0; end=1
run_wrk() { # name url script connections
  wrk -t"$THREADS" -c"$4" -d5s -s "$3" "$2" > /dev/null # warm-up: JIT, pools, connections
  sleep 1
  before=$(accepted); start=$(date +%s.%N)
  wrk -t"$THREADS" -c"$4" -d"$DURATION" --latency -s "$3" "$2" > "$out/$1.txt"
  end=$(date +%s.%N); after=$(accepted)
}
rps() { awk '/^Requests\/sec/ {print $2}' "$out/$1.txt"; }
p99() { awk '$1 == "99%" {print $2}' "$out/$1.txt"; }
non2xx() { awk '/Non-2xx/ {print $5}' "$out/$1.txt" | grep . || echo 0; }

echo "== bare Kestrel ($CONNECTIONS connections, $DURATION)"
run_wrk bare "$BARE_URL/register_event" bench/register_event.lua "$CONNECTIONS"
echo "== POST /register_event ($CONNECTIONS connections, $DURATION)"
run_wrk register_event "$API_URL/register_event" bench/register_event.lua "$CONNECTIONS"
echo "== POST /events, batches of $BATCH_SIZE, binary mode ($BATCH_CONNECTIONS connections, $DURATION)"
run_wrk events_batch "$API_URL/events" bench/events_batch.lua "$BATCH_CONNECTIONS"
batch_events=$(awk -v a="$after" -v b="$before" -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", (a-b)/(e-s)}')
rss_peak_mb=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$api_pid/status")
kill "$api_pid"; wait "$api_pid" 2>/dev/null || true

start_api Structured
echo "== POST /events, batches of $BATCH_SIZE, structured mode ($BATCH_CONNECTIONS connections, $DURATION)"
run_wrk events_batch_structured "$API_URL/events" bench/events_batch.lua "$BATCH_CONNECTIONS"
structured_events=$(awk -v a="$after" -v b="$before" -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", (a-b)/(e-s)}')
kill "$api_pid"; wait "$api_pid" 2>/dev/null || true

produce() { dotnet "$bench_dll" produce --bootstrap "$bootstrap" --events 1000000 "$@" | sed -n 's/^PRODUCED=//p'; }
echo "== producer alone, 1,000,000 records, no HTTP: binary, binary built before timing, structured"
produced=$(produce)
produced_prebuilt=$(produce --prebuilt)
produced_structured=$(produce --structured)
echo "== producer alone, 1,000,000 plain records (key and value, no headers), no HTTP"
produced_plain=$(produce --plain)

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(dotnet --version) SDK, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-34s %14s %10s %8s\n' "endpoint" "requests/s" "p99" "non-2xx"
printf '%-34s %14s %10s %8s\n' "bare Kestrel (parse, 202)" "$(rps bare)" "$(p99 bare)" "$(non2xx bare)"
printf '%-34s %14s %10s %8s\n' "POST /register_event" "$(rps register_event)" "$(p99 register_event)" "$(non2xx register_event)"
printf '%-34s %14s %10s %8s\n' "POST /events (batch of $BATCH_SIZE)" "$(rps events_batch)" "$(p99 events_batch)" "$(non2xx events_batch)"
printf '%-34s %14s %10s %8s\n' "  same, structured mode" "$(rps events_batch_structured)" "$(p99 events_batch_structured)" "$(non2xx events_batch_structured)"
echo
awk -v a="$(rps register_event)" -v b="$(rps bare)" 'BEGIN {printf "register_event / bare: %.1f%%\n", 100*a/b}'
echo "batch events acknowledged per second (API's accepted counter over the measured run):"
echo "  binary mode: $batch_events"
echo "  structured mode: $structured_events"
echo "same records produced with no HTTP (client ceiling): binary $produced"
echo "  binary, records built before timing: $produced_prebuilt"
echo "  structured: $produced_structured"
echo "plain records, no headers, no HTTP (the client's bare ceiling here): $produced_plain"
plain_rate=${produced_plain%% *}
awk -v b="$batch_events" -v s="$structured_events" -v p="$plain_rate" 'BEGIN {
  printf "binary batches / plain ceiling: %.2f\n", b/p
  printf "structured batches / plain ceiling: %.2f\n", s/p
  printf "structured / binary batches: %.2f\n", s/b }'
echo "API peak resident memory (binary run): ${rss_peak_mb} MB"
