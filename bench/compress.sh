#!/usr/bin/env bash
# Compressed request bodies, measured in one run against the API alone (Release, default
# settings, embedded broker in its own process, as bench/run.sh):
#   1. decompression bombs (1 GiB of zeros in each coding) sent to a freshly started API, one at
#      a time (answer and time), then BOMBS at once (gzip): the API's resident memory before,
#      and its peak after;
#   2. on a new API, POST /events with CloudEvents batches of BATCH_SIZE (bench/events_batch.lua's
#      events) at CONNECTIONS, then POST /register_event with one event (bench/register_event.lua's)
#      at SINGLE_CONNECTIONS, each body as it is and in each content coding (default level):
#      events acknowledged per second (the API's accepted counter), body bytes on the wire per
#      event, the API's CPU time per event (user + system, from /proc) and its peak memory.
#      Codings take turns for ROUNDS rounds; the figures are the medians.
# Ratios are only meaningful within one run: these machines are shared and noisy.
# Usage: bash bench/compress.sh   (DURATION=15s CONNECTIONS=64 SINGLE_CONNECTIONS=256 BATCH_SIZE=1000
#        ROUNDS=2 BOMBS=32 CONTENT_MODE=Binary|Structured CODINGS="identity gzip br zstd deflate")
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-64}
SINGLE_CONNECTIONS=${SINGLE_CONNECTIONS:-256}
BATCH_SIZE=${BATCH_SIZE:-1000}
ROUNDS=${ROUNDS:-2}
BOMBS=${BOMBS:-32}
CONTENT_MODE=${CONTENT_MODE:-Binary}
THREADS=${THREADS:-2}
BROKER_PORT=${BROKER_PORT:-19092}
API_URL=http://127.0.0.1:5090
read -r -a CODINGS <<< "${CODINGS:-identity gzip br zstd deflate}"
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

start_api() { # log name
  ASPNETCORE_URLS=$API_URL ASPNETCORE_ENVIRONMENT=Production Ingestion__KafkaContentMode="$CONTENT_MODE" \
    ConnectionStrings__kafka="$bootstrap" Ingestion__ApiKeys__0="$API_KEY" Logging__LogLevel__Default=Warning \
    dotnet KafkaIngestion.Api/bin/Release/net10.0/KafkaIngestion.Api.dll > "$out/api-$1.log" 2>&1 & api_pid=$!; pids+=($api_pid)
  for _ in $(seq 1 300); do [ "$(curl -s -o /dev/null -w '%{http_code}' -m 1 "$API_URL/health")" = 200 ] && break; sleep 0.1; done
}
start_api bombs

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
# A new API for the rest: the bombs' pooled buffers would count in its memory.
kill "$api_pid"; wait "$api_pid" 2>/dev/null || true
start_api load

declare -A events_per_s cpu_us p99 non2xx timeouts peak_mb
measure() { # kind (batch|single) coding round
  local kind=$1 coding=$2 round=$3 path=/events connections=$CONNECTIONS type=application/cloudevents-batch+json
  [ "$kind" = single ] && { path=/register_event; connections=$SINGLE_CONNECTIONS; type=application/json; }
  local key="$kind/$coding" result="$out/$kind-$coding-$round.txt" encoding=$coding
  [ "$coding" = identity ] && encoding=""
  export BODY_FILE="$out/bodies/$kind.$coding" CONTENT_ENCODING=$encoding CONTENT_TYPE=$type
  wrk -t"$THREADS" -c"$connections" -d5s -s bench/body_file.lua "$API_URL$path" > /dev/null # warm-up
  sleep 1
  echo 5 > "/proc/$api_pid/clear_refs" # resets VmHWM: the peak below is this run's
  local before cpu_before start end cpu_after after
  before=$(accepted); cpu_before=$(cpu_seconds); start=$(date +%s.%N)
  wrk -t"$THREADS" -c"$connections" -d"$DURATION" --latency -s bench/body_file.lua "$API_URL$path" > "$result"
  end=$(date +%s.%N); cpu_after=$(cpu_seconds); after=$(accepted)
  events_per_s[$key]+="$(awk -v a="$after" -v b="$before" -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", (a-b)/(e-s)}') "
  cpu_us[$key]+="$(awk -v a="$after" -v b="$before" -v c0="$cpu_before" -v c1="$cpu_after" 'BEGIN {printf "%.2f", (a > b) ? 1e6*(c1-c0)/(a-b) : 0}') "
  p99[$key]+="$(awk '$1 == "99%" {print $2}' "$result") "
  non2xx[$key]+="$(awk '/Non-2xx/ {print $5}' "$result" | grep . || echo 0) "
  timeouts[$key]+="$(awk '/Socket errors/ {for (i = 1; i < NF; i++) if ($i == "timeout") print $(i + 1)}' "$result" | tr -d , | grep . || echo 0) "
  peak_mb[$key]+="$(mb VmHWM) "
  echo "   $kind $coding round $round: $(echo "${events_per_s[$key]}" | awk '{print $NF}') events/s"
}

for kind in batch single; do
  if [ "$kind" = batch ]; then
    echo "== POST /events, batches of $BATCH_SIZE, $CONTENT_MODE mode, $CONNECTIONS connections, $DURATION each, $ROUNDS rounds"
  else
    echo "== POST /register_event, one event per request, $SINGLE_CONNECTIONS connections, $DURATION each, $ROUNDS rounds"
  fi
  for round in $(seq 1 "$ROUNDS"); do
    for coding in "${CODINGS[@]}"; do measure "$kind" "$coding" "$round"; done
  done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
sum() { awk '{for (i = 1; i <= NF; i++) s += $i} END {print s + 0}'; }
table() { # kind events-per-body
  local kind=$1 per=$2 identity_rate
  identity_rate=$(echo "${events_per_s[$kind/identity]:-}" | median)
  printf '%-9s %8s %9s %10s %11s %13s %9s %8s %9s %8s\n' coding "body B" "B/event" "events/s" "÷ identity" "API µs/event" "p99 last" non-2xx "timeouts" "peak MB"
  for coding in "${CODINGS[@]}"; do
    local key="$kind/$coding" bytes rate
    bytes=$(stat -c %s "$out/bodies/$kind.$coding")
    rate=$(echo "${events_per_s[$key]}" | median)
    printf '%-9s %8s %9.2f %10s %11s %13s %9s %8s %9s %8s\n' "$coding" "$bytes" "$(awk -v b="$bytes" -v n="$per" 'BEGIN {print b/n}')" \
      "$rate" "$(awk -v r="$rate" -v i="${identity_rate:-0}" 'BEGIN {print (i > 0 ? sprintf("%.2f", r/i) : "-")}')" "$(echo "${cpu_us[$key]}" | median)" \
      "$(echo "${p99[$key]}" | awk '{print $NF}')" "$(echo "${non2xx[$key]}" | sum)" "$(echo "${timeouts[$key]}" | sum)" \
      "$(echo "${peak_mb[$key]}" | tr ' ' '\n' | grep . | sort -n | tail -n 1)"
  done
  echo "(every round, events/s: $(for c in "${CODINGS[@]}"; do printf '%s [%s] ' "$c" "${events_per_s[$kind/$c]% }"; done))"
}

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(dotnet --version) SDK, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "API alone (Release, default settings, Ingestion:KafkaContentMode=$CONTENT_MODE), $DURATION per round, medians of $ROUNDS rounds"
echo
echo "POST /events, batches of $BATCH_SIZE, $CONNECTIONS connections"
table batch "$BATCH_SIZE"
echo
echo "POST /register_event, one event per request, $SINGLE_CONNECTIONS connections"
table single 1
echo
echo "bombs (1 GiB of zeros each), one at a time to a fresh API: coding, bytes on the wire, status, seconds"
sed 's/^/  /' "$out/bombs.txt"
echo "$BOMBS gzip bombs at once: $many_codes in $many_seconds s"
echo "API resident memory: ${rss_fresh} MB fresh, ${rss_before_many} MB after the single bombs, peak ${rss_peak_bombs} MB with $BOMBS at once"
echo "(timeouts: requests wrk gave up on after 2 s, still answered and counted by the API; peak MB: the API's highest"
echo " resident memory during that coding's measured runs, the highest of its rounds, on an API started after the bombs;"
echo " request headers add ~0.2 bytes per event to a batch, ~150 bytes to a single event)"
