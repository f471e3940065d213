#!/usr/bin/env bash
# Is the load generator the bottleneck? Against the same bare Kestrel endpoint (parse the JSON,
# answer 202), in one run: wrk's requests/s, then the load generator's (closed loop, same
# connection count, verification off) with its own HTTP/1.1 client (the default for http
# targets) and with HttpClient (--client httpclient). Target: the generator reaches >= 70 % of wrk.
#
# wrk sends the generator's own request (bench/loadgen_event.lua, ~220 bytes), so that both ask
# the same work of the target; wrk with bench/register_event.lua's shorter body (~100 bytes, half
# the JSON to parse) is measured too, and its ratio printed for comparison with earlier figures.
#
# On a shared machine a neighbour's burst can land on one client's turn and skew a single
# comparison, so the three take turns for ROUNDS rounds; each round gives its ratios and the
# median round is the figure. CPU per request (user + system time of the client process over its
# requests, the generator's start included) does not depend on what the neighbours do.
# Usage: bash bench/loadgen.sh   (DURATION=10 ROUNDS=3 CONNECTIONS=256)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-256}
THREADS=${THREADS:-2}
BARE_URL=http://127.0.0.1:5091
export API_KEY=""
TIMEFORMAT='%U %S'

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

# Prints "requests/s p99-ms cpu-µs-per-request" for one turn of a client.
wrk_turn() { # lua script
  local cpu
  cpu=$( { time wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$1" "$BARE_URL/register_event" > "$out/loadgen-wrk.txt"; } 2>&1 )
  local requests rps p99
  requests=$(awk '/requests in/ {print $1}' "$out/loadgen-wrk.txt")
  rps=$(awk '/^Requests\/sec/ {print $2}' "$out/loadgen-wrk.txt")
  # wrk prints "99% 12.34ms" (or us / s).
  p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else {sub(/s$/, "", v); v *= 1000}; print v}' "$out/loadgen-wrk.txt")
  echo "$rps $p99 $(awk -v c="$cpu" -v n="$requests" 'BEGIN {split(c, t, " "); printf "%.1f", (t[1] + t[2]) * 1e6 / n}')"
}
# The generator sends as many events as wrk answered in its turn, so both turns last about as
# long; its payload is about the size of wrk's body.
generator_turn() { # client events
  local cpu report
  cpu=$( { time Logging__LogLevel__Default=Warning dotnet KafkaIngestion.LoadGen/bin/Release/net10.0/KafkaIngestion.LoadGen.dll \
    --target "$BARE_URL" --events "$2" --client "$1" --concurrency "$CONNECTIONS" --payload-bytes 64 --no-verify \
    --report-dir "$out/loadgen-reports-$1" > "$out/loadgen-$1.md" 2>/dev/null; } 2>&1 )
  report=$(ls -t "$out/loadgen-reports-$1"/*.json | head -n 1)
  local requests rps p99
  requests=$(grep -o '"requests": [0-9]*' "$report" | head -n 1 | awk '{print $2}')
  rps=$(grep -o '"requestsPerSecond": [0-9.]*' "$report" | awk '{print $2}')
  p99=$(grep -A5 '"latency"' "$report" | grep -o '"p99": [0-9.]*' | awk '{print $2}')
  echo "$rps $p99 $(awk -v c="$cpu" -v n="$requests" 'BEGIN {split(c, t, " "); printf "%.1f", (t[1] + t[2]) * 1e6 / n}')"
}

echo "== warm-up (wrk 5 s, each client 100,000 events)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s bench/loadgen_event.lua "$BARE_URL/register_event" > /dev/null
generator_turn sockets 100000 > /dev/null
generator_turn httpclient 100000 > /dev/null

rounds=()
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round: wrk (same request, then the short one), then the generator with each client ($CONNECTIONS connections, ${DURATION}s)"
  read -r wrk_rps wrk_p99 wrk_cpu < <(wrk_turn bench/loadgen_event.lua)
  read -r short_rps _ _ < <(wrk_turn bench/register_event.lua)
  events=$(awk -v r="$wrk_rps" -v d="$DURATION" 'BEGIN {printf "%d", r * d}')
  read -r s_rps s_p99 s_cpu < <(generator_turn sockets "$events")
  read -r h_rps h_p99 h_cpu < <(generator_turn httpclient "$events")
  rounds+=("$(awk -v w="$wrk_rps" -v s="$s_rps" -v h="$h_rps" -v x="$short_rps" 'BEGIN {printf "%.1f %.1f %.1f", 100 * s / w, 100 * h / w, 100 * s / x}') $wrk_rps $wrk_p99 $wrk_cpu $s_rps $s_p99 $s_cpu $h_rps $h_p99 $h_cpu $short_rps")
done

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(dotnet --version) SDK, $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "requests/s, p99 and client CPU per request; ratios to wrk with the same request, and sockets to wrk with the short body"
printf '%-5s | %-31s | %-31s | %-31s | %-9s | %s\n' "round" "wrk (same request)" "generator, sockets" "generator, httpclient" "wrk short" "sockets/wrk  httpclient/wrk  sockets/wrk-short"
round=0
for line in "${rounds[@]}"; do
  round=$((round + 1))
  read -r s_ratio h_ratio x_ratio wrk_rps wrk_p99 wrk_cpu s_rps s_p99 s_cpu h_rps h_p99 h_cpu short_rps <<< "$line"
  printf '%-5s | %8.0f %7.2f ms %6.1f µs | %8.0f %7.2f ms %6.1f µs | %8.0f %7.2f ms %6.1f µs | %9.0f | %6.1f %%     %6.1f %%        %6.1f %%\n' \
    "$round" "$wrk_rps" "$wrk_p99" "$wrk_cpu" "$s_rps" "$s_p99" "$s_cpu" "$h_rps" "$h_p99" "$h_cpu" "$short_rps" "$s_ratio" "$h_ratio" "$x_ratio"
done
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
s_median=$(printf '%s\n' "${rounds[@]}" | awk '{print $1}' | median)
h_median=$(printf '%s\n' "${rounds[@]}" | awk '{print $2}' | median)
x_median=$(printf '%s\n' "${rounds[@]}" | awk '{print $3}' | median)
echo "load generator (sockets) / wrk, median of $ROUNDS rounds:    $s_median % (target >= 70 %)"
echo "load generator (httpclient) / wrk, median of $ROUNDS rounds: $h_median %"
echo "load generator (sockets) / wrk with the short body, median:  $x_median %"
