#!/usr/bin/env bash
# Compressed request bodies, measured in one run against the API alone (Release, default
# settings, embedded broker in its own process, as bench/run.sh):
#   1. decompression bombs (1 GiB of zeros in each coding) sent to a freshly started API, one at
#      a time (answer and time), then BOMBS at once (gzip): the API's resident memory before,
#      and its peak after;
#   2. POST /events, CloudEvents batches of BATCH_SIZE (bench/events_batch.lua's events), the same
#      batch as it is and in each content coding (default level): events acknowledged per second
#      (the API's accepted counter), body bytes on the wire per event, and the API's CPU time per
#      event (user + system, from /proc). Codings take turns for ROUNDS rounds.
# Ratios are only meaningful within one run: these machines are shared and noisy.
# Usage: bash bench/compress.sh   (DURATION=15s CONNECTIONS=256 BATCH_SIZE=1000 ROUNDS=2 BOMBS=32
#        CONTENT_MODE=Binary|Structured)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-256}
BATCH_SIZE=${BATCH_SIZE:-1000}
ROUNDS=${ROUNDS:-2}
BOMBS=${BOMBS:-32}
CONTENT_MODE=${CONTENT_MODE:-Binary}
THREADS=${THREADS:-2}
BROKER_PORT=${BROKER_PORT:-19092}
API_URL=http://127.0.0.1:5090
CODINGS=(identity gzip br zstd deflate)
export API_KEY=bench-key-0123456789abcdef

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
out=bench/results/compress
rm -rf "$out"
mkdir -p "$out"

echo "== building (Release)"
dotnet build -c Release -nologo -v q bench/KafkaIngestion.Bench/KafkaIngestion.Bench.csproj >/dev/null
dotnet build -c Release -nologo -v q KafkaIngestion.Api/KafkaIngestion.Api.csproj >/dev/null
bench_dll=bench/KafkaIngestion.Bench/bin/Release/net10.0/KafkaIngestion.Bench.dll
echo "== writing the bodies (batch of $BATCH_SIZE in each coding, 1 GiB bombs)"
dotnet "$bench_dll" bodies --out "$out/bodies" --batch "$BATCH_SIZE" > "$out/bodies.txt"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

dotnet "$bench_dll" broker --port "$BROKER_PORT" > "$out/broker.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do grep -q '^BOOTSTRAP=' "$out/broker.log" && break; sleep 0.1; done
bootstrap=$(sed -n 's/^BOOTSTRAP=//p' "$out/broker.log")
[ -n "$bootstrap" ] || { echo "broker did not start"; cat "$out/broker.log"; exit 1; }

ASPNETCORE_URLS=$API_URL ASPNETCORE_ENVIRONMENT=Production Ingestion__KafkaContentMode="$CONTENT_MODE" \
  ConnectionStrings__kafka="$bootstrap" Ingestion__ApiKeys__0="$API_KEY" Logging__LogLevel__Default=Warning \
  dotnet KafkaIngestion.Api/bin/Release/net10.0/KafkaIngestion.Api.dll > "$out/api.log" 2>&1 & api_pid=$!; pids+=($api_pid)
for _ in $(seq 1 300); do [ "$(curl -s -o /dev/null -w '%{http_code}' -m 1 "$API_URL/health")" = 200 ] && break; sleep 0.1; done

mb() { awk -v k="$1" '$1 == k":" {printf "%.0f", $2/1024}' "/proc/$api_pid/status"; }
cpu_seconds() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$api_pid/stat"; }
accepted() { curl -s "$API_URL/get_status" | grep -o '"accepted":[0-9]*' | head -n 1 | cut -d: -f2; }
post_body() { # file coding → "status seconds"
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X POST "$API_URL/events" -H "X-Api-Key: $API_KEY" \
    -H 'Content-Type: application/cloudevents-batch+json' -H "Content-Encoding: $2" --data-binary @"$1"
}

echo "== bombs: 1 GiB of zeros in each coding, to the fresh API"
rss_fresh=$(mb VmRSS)
: > "$out/bombs.txt"
for coding in gzip br zstd deflate; do
  echo "$coding $(stat -c %s "$out/bodies/bomb.$coding") $(post_body "$out/bodies/bomb.$coding" "$coding")" >> "$out/bombs.txt"
done
rss_before_many=$(mb VmRSS)
start=$(date +%s.%N)
bomb_pids=()
for i in $(seq 1 "$BOMBS"); do post_body "$out/bodies/bomb.gzip" gzip > "$out/bomb-many-$i.txt" & bomb_pids+=($!); done
wait "${bomb_pids[@]}"
many_seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}')
many_codes=$(cat "$out"/bomb-many-*.txt | cut -d' ' -f1 | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')
rss_peak_bombs=$(mb VmHWM)

echo "== POST /events, batches of $BATCH_SIZE, $CONTENT_MODE mode, $CONNECTIONS connections, $DURATION each, $ROUNDS rounds"
declare -A events_per_s cpu_us rps p99 non2xx
for round in $(seq 1 "$ROUNDS"); do
  for coding in "${CODINGS[@]}"; do
    encoding=$coding; [ "$coding" = identity ] && encoding=""
    export BODY_FILE="$out/bodies/batch.$coding" CONTENT_ENCODING=$encoding
    wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s bench/events_batch_file.lua "$API_URL/events" > /dev/null # warm-up
    sleep 1
    before=$(accepted); cpu_before=$(cpu_seconds); start=$(date +%s.%N)
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/events_batch_file.lua "$API_URL/events" > "$out/$coding-$round.txt"
    end=$(date +%s.%N); cpu_after=$(cpu_seconds); after=$(accepted)
    events_per_s[$coding]+="$(awk -v a="$after" -v b="$before" -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", (a-b)/(e-s)}') "
    cpu_us[$coding]+="$(awk -v a="$after" -v b="$before" -v c0="$cpu_before" -v c1="$cpu_after" 'BEGIN {printf "%.2f", (a > b) ? 1e6*(c1-c0)/(a-b) : 0}') "
    rps[$coding]+="$(awk '/^Requests\/sec/ {print $2}' "$out/$coding-$round.txt") "
    p99[$coding]+="$(awk '$1 == "99%" {print $2}' "$out/$coding-$round.txt") "
    non2xx[$coding]+="$(awk '/Non-2xx/ {print $5}' "$out/$coding-$round.txt" | grep . || echo 0) "
    echo "   $coding round $round: $(echo "${events_per_s[$coding]}" | awk '{print $NF}') events/s"
  done
done
rss_peak=$(mb VmHWM)

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(dotnet --version) SDK, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "API alone (Release, default settings, Ingestion:KafkaContentMode=$CONTENT_MODE), batches of $BATCH_SIZE, $CONNECTIONS connections, $DURATION per round"
identity_bytes=$(stat -c %s "$out/bodies/batch.identity")
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
identity_rate=$(echo "${events_per_s[identity]}" | median)
printf '%-9s %10s %8s %16s %12s %12s %10s %8s\n' coding "body B" "B/event" "events/s" "÷ identity" "API µs/event" "p99" non-2xx
for coding in "${CODINGS[@]}"; do
  bytes=$(stat -c %s "$out/bodies/batch.$coding")
  rate=$(echo "${events_per_s[$coding]}" | median)
  printf '%-9s %10s %8.2f %16s %12.2f %12s %10s %8s\n' "$coding" "$bytes" "$(awk -v b="$bytes" -v n="$BATCH_SIZE" 'BEGIN {print b/n}')" \
    "$rate" "$(awk -v r="$rate" -v i="$identity_rate" 'BEGIN {print r/i}')" "$(echo "${cpu_us[$coding]}" | median)" \
    "$(echo "${p99[$coding]}" | awk '{print $NF}')" "$(echo "${non2xx[$coding]}" | awk '{for (i = 1; i <= NF; i++) s += $i} END {print s + 0}')"
done
echo "(events/s and µs/event: median of $ROUNDS rounds; every round: $(for c in "${CODINGS[@]}"; do printf '%s [%s] ' "$c" "${events_per_s[$c]% }"; done))"
echo "the same batch as JSON is $identity_bytes bytes; request headers add ~0.2 bytes per event"
echo
echo "bombs (1 GiB of zeros each), one at a time to a fresh API: coding, bytes on the wire, status, seconds"
sed 's/^/  /' "$out/bombs.txt"
echo "$BOMBS gzip bombs at once: $many_codes in $many_seconds s"
echo "API resident memory: ${rss_fresh} MB fresh, ${rss_before_many} MB after the single bombs, peak ${rss_peak_bombs} MB after $BOMBS at once; peak ${rss_peak} MB after the batches"
