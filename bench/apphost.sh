#!/usr/bin/env bash
# The system as users run it: the README's `dotnet run --project KafkaIngestion.AppHost` (embedded
# broker, dashboard and telemetry export, consumer, load generator idle), measured in one run:
#   1. open loop at OPEN_RATE (default 2,000) events/s right after the api turns healthy:
#      p50/p99 per 5 s window, the first (cold) window included;
#   2. a bare Kestrel endpoint that parses the same JSON and answers 202 (the HTTP ceiling now);
#   3. POST /register_event, closed loop (wrk, CONNECTIONS connections), with the CPU time each
#      process spent per request: api, consumer, AppHost (with the embedded broker), dashboard,
#      orchestrator (dcp);
#   4. open loop at half the closed loop's maximum, per 5 s window.
# Ratios are only meaningful within one run: these machines are shared and noisy. bench/run.sh
# measures the API alone (Release, no exporter, no consumer, no dashboard).
# Usage: bash bench/apphost.sh   (CONFIGURATION=Debug|Release, DURATION=15s, CONNECTIONS=256,
#        OPEN_RATE=2000, OPEN_SECONDS=30, and AppHost arguments after --, e.g.
#        bash bench/apphost.sh -- --Telemetry:Tracing:MaxTracesPerSecond=1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "--" ] && shift
apphost_args=("$@")

CONFIGURATION=${CONFIGURATION:-Debug}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-256}
THREADS=${THREADS:-2}
OPEN_RATE=${OPEN_RATE:-2000}
OPEN_SECONDS=${OPEN_SECONDS:-30}
API_URL=http://localhost:5080
BARE_URL=http://127.0.0.1:5091

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
out=bench/results/apphost-$CONFIGURATION
rm -rf "$out"
mkdir -p "$out"

echo "== building ($CONFIGURATION; the bench tools in Release)"
dotnet build -c "$CONFIGURATION" -nologo -v q KafkaIngestion.AppHost/KafkaIngestion.AppHost.csproj >/dev/null
dotnet build -c Release -nologo -v q bench/KafkaIngestion.Bench/KafkaIngestion.Bench.csproj >/dev/null
dotnet build -c Release -nologo -v q KafkaIngestion.LoadGen/KafkaIngestion.LoadGen.csproj >/dev/null

pids=()
apphost_pid() { pgrep -f "bin/$CONFIGURATION/net10.0/KafkaIngestion.AppHost" | head -n 1; }
cleanup() {
  # SIGTERM to the AppHost itself stops the orchestrator and every resource (not so `dotnet run`).
  local pid; pid=$(apphost_pid || true)
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

ASPNETCORE_URLS=$BARE_URL dotnet bench/KafkaIngestion.Bench/bin/Release/net10.0/KafkaIngestion.Bench.dll bare > "$out/bare.log" 2>&1 & pids+=($!)

echo "== dotnet run -c $CONFIGURATION --project KafkaIngestion.AppHost ${apphost_args[*]}"
started=$(date +%s.%N)
dotnet run -c "$CONFIGURATION" --no-build --project KafkaIngestion.AppHost -- "${apphost_args[@]}" > "$out/apphost.log" 2>&1 & pids+=($!)
for _ in $(seq 1 300); do
  [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$API_URL/health" || true)" = 200 ] && break
  sleep 0.5
done
[ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$API_URL/health" || true)" = 200 ] || { echo "the api did not turn healthy"; tail -n 30 "$out/apphost.log"; exit 1; }
healthy_after=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.0f", e - s}')
API_KEY=$(dotnet user-secrets list --project KafkaIngestion.AppHost | sed -n 's/^Parameters:api-key = //p')
[ -n "$API_KEY" ] || { echo "no Parameters:api-key in the AppHost's user secrets"; exit 1; }
export API_KEY

open_loop() { # name rate
  Logging__LogLevel__Default=Warning dotnet KafkaIngestion.LoadGen/bin/Release/net10.0/KafkaIngestion.LoadGen.dll \
    --target "$API_URL" --api-key "$API_KEY" --mode open --rate "$2" --duration "${OPEN_SECONDS}s" \
    --payload-bytes 64 --no-verify --report-dir "$out/$1" > /dev/null 2>&1
  sed -n '/^## Timeline/,$p' "$(ls -t "$out/$1"/*.md | head -n 1)"
}

# CPU seconds (user + system) of every process whose command line matches, summed.
clk=$(getconf CLK_TCK)
cpu_of() { # pattern
  local total=0 pid ticks
  for pid in $(pgrep -f "$1" || true); do
    ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + ticks))
  done
  echo "$total"
}
processes=(api consumer apphost dashboard dcp)
pattern() {
  case $1 in
    api) echo "KafkaIngestion.Api" ;;
    consumer) echo "KafkaIngestion.Consumer" ;;
    apphost) echo "bin/$CONFIGURATION/net10.0/KafkaIngestion.AppHost" ;;
    dashboard) echo "Aspire.Dashboard" ;;
    dcp) echo "tools/dcp" ;;
  esac
}

echo "== open loop, $OPEN_RATE events/s for ${OPEN_SECONDS} s, right after the api turned healthy (${healthy_after} s after dotnet run)"
open_loop open-first "$OPEN_RATE" | tee "$out/open-first.txt"

warm_up() { wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s bench/register_event.lua "$1" > /dev/null; sleep 1; }
measure() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/register_event.lua "$2" > "$out/$1.txt"; }
rps() { awk '/^Requests\/sec/ {print $2}' "$out/$1.txt"; }
p99() { awk '$1 == "99%" {print $2}' "$out/$1.txt"; }
requests() { awk '/requests in/ {print $1}' "$out/$1.txt"; }

echo "== bare Kestrel ($CONNECTIONS connections, $DURATION)"
warm_up "$BARE_URL/register_event"
measure bare "$BARE_URL/register_event"

echo "== POST /register_event through the running system ($CONNECTIONS connections, $DURATION)"
warm_up "$API_URL/register_event"
declare -A before after
for p in "${processes[@]}"; do before[$p]=$(cpu_of "$(pattern "$p")"); done
measure register_event "$API_URL/register_event"
for p in "${processes[@]}"; do after[$p]=$(cpu_of "$(pattern "$p")"); done

half=$(awk -v r="$(rps register_event)" 'BEGIN {printf "%.0f", r / 2}')
echo "== open loop at half the closed loop's maximum, $half events/s for ${OPEN_SECONDS} s"
open_loop open-half "$half" | tee "$out/open-half.txt"

echo
echo "machine: $(nproc) cores, $(dotnet --version) SDK, $(date -u +%Y-%m-%dT%H:%MZ), $CONFIGURATION, AppHost args: ${apphost_args[*]:-none}"
printf '%-34s %12s %10s\n' "endpoint" "requests/s" "p99"
printf '%-34s %12s %10s\n' "bare Kestrel" "$(rps bare)" "$(p99 bare)"
printf '%-34s %12s %10s\n' "/register_event (as run)" "$(rps register_event)" "$(p99 register_event)"
awk -v a="$(rps register_event)" -v b="$(rps bare)" 'BEGIN {printf "/register_event / bare Kestrel: %.2f\n", a / b}'
echo
echo "CPU per request of each process during the closed loop:"
n=$(requests register_event)
for p in "${processes[@]}"; do
  awk -v p="$p" -v t="$(( ${after[$p]} - ${before[$p]} ))" -v c="$clk" -v n="$n" \
    'BEGIN {printf "  %-10s %8.1f s  %7.1f µs/request\n", p, t / c, t / c * 1e6 / n}'
done
echo
echo "open loop p99 per 5 s window: see $out/open-first.txt and $out/open-half.txt (above)"
