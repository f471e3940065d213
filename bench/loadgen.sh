#!/usr/bin/env bash
# Is the load generator the bottleneck? Against the same bare Kestrel endpoint (parse the JSON,
# answer 202), in one run: wrk's requests/s, then the load generator's (closed loop, same
# connection count, verification off), and the ratio. Target: the generator reaches >= 70 %.
# The generator runs twice: with its own HTTP/1.1 client (the default for http targets) and
# with HttpClient (--client httpclient), so both ratios come from the same run.
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
    --target "$BARE_URL" --events "$2" --client "$1" --concurrency "$CONNECTIONS" --payload-bytes 64 --no-verify --report-dir "$out/loadgen-reports-$1" 2>/dev/null
}
figures() { # requests/s and p99 of the newest report of a client
  local report
  report=$(ls -t "$out/loadgen-reports-$1"/*.json | head -n 1)
  echo "$(grep -o '"requestsPerSecond": [0-9.]*' "$report" | awk '{print $2}') $(grep -A5 '"latency"' "$report" | grep -o '"p99": [0-9.]*' | awk '{print $2}')"
}
for client in sockets httpclient; do
  echo "== load generator, closed loop, --client $client ($CONNECTIONS concurrent, warm-up then $events events)"
  loadgen "$client" 100000 > /dev/null
  loadgen "$client" "$events" > "$out/loadgen-$client.md"
done
read -r sockets_rps sockets_p99 < <(figures sockets)
read -r httpclient_rps httpclient_p99 < <(figures httpclient)

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(dotnet --version) SDK, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-40s %12s\n' "client (bare Kestrel target)" "requests/s"
printf '%-40s %12s\n' "wrk" "$wrk_rps"
printf '%-40s %12s   (p99 %s ms)\n' "KafkaIngestion.LoadGen --client sockets" "$sockets_rps" "$sockets_p99"
printf '%-40s %12s   (p99 %s ms)\n' "KafkaIngestion.LoadGen --client httpclient" "$httpclient_rps" "$httpclient_p99"
awk -v g="$sockets_rps" -v w="$wrk_rps" 'BEGIN {printf "load generator (sockets) / wrk:    %.1f %% (target >= 70 %%)\n", 100*g/w}'
awk -v g="$httpclient_rps" -v w="$wrk_rps" 'BEGIN {printf "load generator (httpclient) / wrk: %.1f %%\n", 100*g/w}'
