#!/usr/bin/env bash
# The API alone (Release, embedded broker, no exporter, tracing as by default) measured in one
# run by the load generator, so every protocol is driven by the same client on the same machine:
#   1. POST /register_event, one event per request, HTTP/1.1 (the generator's own client),
#   2. the same over cleartext HTTP/2 (h2c, HttpClient, /events structured mode),
#   3. single events over gRPC PublishStream calls, each answered after the broker's acknowledgement,
#   4. CloudEvents batches of BATCH_SIZE over HTTP/1.1 (POST /events),
#   5. batches of BATCH_SIZE over gRPC PublishBatch.
# Each runs closed loop for about DURATION seconds (events sized from a short first pass), after a
# warm-up pass; events/s are the events the API acknowledged, p99 is per request (per event on a stream).
# CPU per acknowledged event is given for the API process and for the generator (its start included):
# the generator's share of the two cores differs by protocol, so it shows what each figure cost.
# The generator shares the 2 cores with the API and the broker: ratios are only meaningful within one run.
# Usage: bash bench/grpc.sh   (DURATION=15 SINGLES_CONCURRENCY=256 STREAM_CONCURRENCY=1024 BATCH_SIZE=1000 BATCH_CONCURRENCY=16)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15}
SINGLES_CONCURRENCY=${SINGLES_CONCURRENCY:-256}
STREAM_CONCURRENCY=${STREAM_CONCURRENCY:-1024}
BATCH_SIZE=${BATCH_SIZE:-1000}
BATCH_CONCURRENCY=${BATCH_CONCURRENCY:-16}
BROKER_PORT=${BROKER_PORT:-19093}
API_URL=http://127.0.0.1:5093
API_H2C_URL=http://127.0.0.1:5094
API_KEY=bench-key-0123456789abcdef
out=bench/results
mkdir -p "$out"

echo "== building (Release)"
dotnet build -c Release -nologo -v q bench/KafkaIngestion.Bench/KafkaIngestion.Bench.csproj >/dev/null
dotnet build -c Release -nologo -v q KafkaIngestion.Api/KafkaIngestion.Api.csproj >/dev/null
dotnet build -c Release -nologo -v q KafkaIngestion.LoadGen/KafkaIngestion.LoadGen.csproj >/dev/null

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

dotnet bench/KafkaIngestion.Bench/bin/Release/net10.0/KafkaIngestion.Bench.dll broker --port "$BROKER_PORT" > "$out/grpc-broker.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do grep -q '^BOOTSTRAP=' "$out/grpc-broker.log" && break; sleep 0.1; done
bootstrap=$(sed -n 's/^BOOTSTRAP=//p' "$out/grpc-broker.log")
[ -n "$bootstrap" ] || { echo "broker did not start"; cat "$out/grpc-broker.log"; exit 1; }

# Run from the repository root the API reads no settings file: both endpoints are given here.
Kestrel__Endpoints__http__Url=$API_URL Kestrel__Endpoints__grpc__Url=$API_H2C_URL Kestrel__Endpoints__grpc__Protocols=Http2 \
  ASPNETCORE_ENVIRONMENT=Production ConnectionStrings__kafka="$bootstrap" Ingestion__ApiKeys__0="$API_KEY" Logging__LogLevel__Default=Warning \
  dotnet KafkaIngestion.Api/bin/Release/net10.0/KafkaIngestion.Api.dll > "$out/grpc-api.log" 2>&1 & api_pid=$!; pids+=($api_pid)
for _ in $(seq 1 300); do curl -s -o /dev/null -m 1 -f "$API_URL/health" && break; sleep 0.1; done

# CPU seconds the API process has used so far (user + system).
api_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$api_pid/stat"; }

# name events concurrency [generator options...]; prints "events/s p99-ms failed api-µs/event generator-µs/event"
run() {
  local name=$1 events=$2 concurrency=$3; shift 3
  rm -rf "$out/grpc-reports-$name"
  local before after generator
  before=$(api_cpu)
  TIMEFORMAT='%U %S'
  generator=$( { time Logging__LogLevel__Default=Warning dotnet KafkaIngestion.LoadGen/bin/Release/net10.0/KafkaIngestion.LoadGen.dll \
    --target "$API_URL" --grpc-target "$API_H2C_URL" --api-key "$API_KEY" --events "$events" --concurrency "$concurrency" \
    --no-verify --report-dir "$out/grpc-reports-$name" "$@" > "$out/grpc-$name.md" 2>/dev/null || true; } 2>&1 )
  after=$(api_cpu)
  local report accepted
  report=$(ls -t "$out/grpc-reports-$name"/*.json | head -n 1)
  accepted=$(grep -o '"accepted": [0-9]*' "$report" | head -n 1 | awk '{print $2}')
  echo "$(grep -o '"eventsPerSecond": [0-9.]*' "$report" | awk '{print $2}')" \
    "$(grep -A5 '"latency"' "$report" | grep -o '"p99": [0-9.]*' | awk '{print $2}')" \
    "$(grep -o '"failed": [0-9]*' "$report" | head -n 1 | awk '{print $2}')" \
    "$(awk -v a="$after" -v b="$before" -v n="$accepted" 'BEGIN {printf "%.1f", (a - b) * 1e6 / (n > 0 ? n : 1)}')" \
    "$(awk -v c="$generator" -v n="$accepted" 'BEGIN {split(c, t, " "); printf "%.1f", (t[1] + t[2]) * 1e6 / (n > 0 ? n : 1)}')"
}

# name concurrency [options...]: a short pass to warm up and size the run, then the measured run.
measure() {
  local name=$1 concurrency=$2; shift 2
  local probe rate events
  probe=$(run "$name-probe" "$PROBE_EVENTS" "$concurrency" "$@")
  rate=${probe%% *}
  events=$(awk -v r="$rate" -v d="$DURATION" 'BEGIN {n = int(r * d); print (n < 1000 ? 1000 : n)}')
  printf '%s %s\n' "$name" "$(run "$name" "$events" "$concurrency" "$@")"
}

results=()
echo "== HTTP/1.1 singles (POST /register_event, $SINGLES_CONCURRENCY at a time)"
PROBE_EVENTS=50000 results+=("$(measure http1-singles "$SINGLES_CONCURRENCY")")
echo "== h2c singles (POST /events structured, $SINGLES_CONCURRENCY at a time)"
PROBE_EVENTS=50000 results+=("$(measure h2c-singles "$SINGLES_CONCURRENCY" --http2 --format cloudevents)")
echo "== gRPC stream singles ($STREAM_CONCURRENCY in flight)"
PROBE_EVENTS=100000 results+=("$(measure grpc-stream "$STREAM_CONCURRENCY" --protocol grpc)")
echo "== HTTP/1.1 batches of $BATCH_SIZE ($BATCH_CONCURRENCY at a time)"
PROBE_EVENTS=$((BATCH_SIZE * 200)) results+=("$(measure http1-batches "$BATCH_CONCURRENCY" --format cloudevents --batch "$BATCH_SIZE")")
echo "== gRPC PublishBatch of $BATCH_SIZE ($BATCH_CONCURRENCY at a time)"
PROBE_EVENTS=$((BATCH_SIZE * 200)) results+=("$(measure grpc-batches "$BATCH_CONCURRENCY" --protocol grpc --batch "$BATCH_SIZE")")

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(dotnet --version) SDK, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-16s %12s %10s %8s %16s %18s\n' "run" "events/s" "p99 (ms)" "failed" "API µs/event" "generator µs/event"
for line in "${results[@]}"; do
  read -r name eps p99 failed api generator <<< "$line"
  printf '%-16s %12s %10s %8s %16s %18s\n' "$name" "$eps" "$p99" "$failed" "$api" "$generator"
done
rate() { for line in "${results[@]}"; do read -r n e _ <<< "$line"; [ "$n" = "$1" ] && echo "$e"; done; }
awk -v s="$(rate grpc-stream)" -v h="$(rate http1-singles)" -v b="$(rate http1-batches)" 'BEGIN {
  printf "gRPC stream / HTTP/1.1 singles: %.2f (target >= 3)\n", s / h
  printf "gRPC stream / HTTP/1.1 batches: %.2f (target >= 0.5)\n", s / b }'
