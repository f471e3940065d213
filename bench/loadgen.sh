#!/usr/bin/env bash
# Is the load generator the bottleneck? Against the same bare Kestrel endpoint (parse the JSON,
# answer 202), in one run: wrk's requests/s, then the load generator's (closed loop, same
# connection count, verification off), and the ratio. Target: the generator reaches >= 70 %.
# Usage: bash bench/loadgen.sh   (DURATION=15 CONNECTIONS=256)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-256}
THREADS=${THREADS:-2}
BARE_URL=http://127.0.0.1:5091
export API_KEY=""

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
out=bench/results
mkdir -p "$out"

echo "== building (Release)"
dotnet build -c Release -nologo -v q bench/KafkaIngestion.Bench/KafkaIngestion.Bench.csproj >/dev/null
dotnet build -c Release -nologo -v q KafkaIngestion.LoadGen/KafkaIngestion.LoadGen.csproj >/dev/null

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

ASPNETCORE_URLS=$BARE_URL dotnet bench/KafkaIngestion.Bench/bin/Release/net10.0/KafkaIngestion.Bench.dll bare > "$out/bare.log" 2>&1 & pids+=($!)
for _ in $(seq 1 200); do curl -s -o /dev/null -m 1 "$BARE_URL/register_event" && break; sleep 0.1; done

echo "== wrk ($CONNECTIONS connections, ${DURATION}s)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s bench/register_event.lua "$BARE_URL/register_event" > /dev/null # warm-up
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s bench/register_event.lua "$BARE_URL/register_event" > "$out/loadgen-wrk.txt"
wrk_rps=$(awk '/^Requests\/sec/ {print $2}' "$out/loadgen-wrk.txt")

# As many events as wrk answered in the same time, so both runs last about as long; the
# payload is about the size of wrk's body.
events=$(awk -v r="$wrk_rps" -v d="$DURATION" 'BEGIN {printf "%d", r*d}')
loadgen() {
  Logging__LogLevel__Default=Warning dotnet KafkaIngestion.LoadGen/bin/Release/net10.0/KafkaIngestion.LoadGen.dll \
    --target "$BARE_URL" --events "$1" --concurrency "$CONNECTIONS" --payload-bytes 64 --no-verify --report-dir "$out/loadgen-reports" 2>/dev/null
}
echo "== load generator, closed loop ($CONNECTIONS concurrent, warm-up then $events events)"
loadgen 100000 > /dev/null
loadgen "$events" > "$out/loadgen.md"
report=$(ls -t "$out"/loadgen-reports/*.json | head -n 1)
gen_rps=$(grep -o '"requestsPerSecond": [0-9.]*' "$report" | awk '{print $2}')
gen_p99=$(grep -A5 '"latency"' "$report" | grep -o '"p99": [0-9.]*' | awk '{print $2}')

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(dotnet --version) SDK, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-30s %12s\n' "client (bare Kestrel target)" "requests/s"
printf '%-30s %12s\n' "wrk" "$wrk_rps"
printf '%-30s %12s   (p99 %s ms)\n' "KafkaIngestion.LoadGen" "$gen_rps" "$gen_p99"
awk -v g="$gen_rps" -v w="$wrk_rps" 'BEGIN {printf "load generator / wrk: %.1f %% (target >= 70 %%)\n", 100*g/w}'
