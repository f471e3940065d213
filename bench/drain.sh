#!/usr/bin/env bash
# Measures how fast one consumer instance drains a backlog into its SQLite store: EVENTS
# records are produced first (the API's record format), then the consumer starts, and the rate
# is taken from its first stored batch to its last. Prints figures.
# Usage: bash bench/drain.sh   (EVENTS=300000; keep it within the embedded broker's 5 MiB per partition)
#        PARTITIONS=6 (the topic's partitions in the bench broker; more partitions hold more events)
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-300000}
BROKER_PORT=${BROKER_PORT:-19093}
CONSUMER_URL=http://127.0.0.1:5095
out=bench/results
mkdir -p "$out"
store_dir=$(mktemp -d)

echo "== building (Release)"
dotnet build -c Release -nologo -v q bench/KafkaIngestion.Bench/KafkaIngestion.Bench.csproj >/dev/null
dotnet build -c Release -nologo -v q KafkaIngestion.Consumer/KafkaIngestion.Consumer.csproj >/dev/null

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$store_dir"; }
trap cleanup EXIT

bench_dll=bench/KafkaIngestion.Bench/bin/Release/net10.0/KafkaIngestion.Bench.dll
rm -f "$out/drain-broker.log"  # a stale BOOTSTRAP line from the last run must not be read
dotnet "$bench_dll" broker --port "$BROKER_PORT" --partitions "${PARTITIONS:-6}" > "$out/drain-broker.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do grep -q '^BOOTSTRAP=' "$out/drain-broker.log" && break; sleep 0.1; done
bootstrap=$(sed -n 's/^BOOTSTRAP=//p' "$out/drain-broker.log")

echo "== producing $EVENTS events"
dotnet "$bench_dll" produce --bootstrap "$bootstrap" --events "$EVENTS"

echo "== reading them without storing (the consumer's read path alone, a group of its own)"
dotnet "$bench_dll" consume --bootstrap "$bootstrap" --events "$EVENTS" | tee "$out/drain-read.txt"

echo "== draining with one consumer"
ASPNETCORE_URLS=$CONSUMER_URL ASPNETCORE_ENVIRONMENT=Production ConnectionStrings__kafka="$bootstrap" \
  Consumer__StorePath="$store_dir/events.db" Logging__LogLevel__Default=Warning \
  dotnet KafkaIngestion.Consumer/bin/Release/net10.0/KafkaIngestion.Consumer.dll > "$out/drain-consumer.log" 2>&1 & pids+=($!)
consumer_pid=$!

# The consumer's CPU time so far (user + system, all threads), in seconds.
cpu_seconds() { sed 's/^.*) //' "/proc/$consumer_pid/stat" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13) / hz }'; }
processed() { curl -s -m 1 "$CONSUMER_URL/status" | grep -o '"processed":[0-9]*' | cut -d: -f2; }
first=""; last=""; count=0
for _ in $(seq 1 3000); do
  count=$(processed || echo 0); count=${count:-0}
  now=$(date +%s.%N)
  if [ "$count" -gt 0 ] && [ -z "$first" ]; then first=$now; first_count=$count; first_cpu=$(cpu_seconds); fi
  if [ "$count" -ge "$EVENTS" ]; then last=$now; last_cpu=$(cpu_seconds); break; fi
  sleep 0.05
done
[ -n "$last" ] || { echo "the consumer stored only $count of $EVENTS events"; exit 1; }

# Where the consumer's CPU went, per thread (start-up included): the consume thread (Consume,
# gap check, validation), the store thread (SQLite), librdkafka's threads, and the rest.
threads=$(for task in /proc/"$consumer_pid"/task/*; do
  stat=$(cat "$task/stat" 2>/dev/null) || continue
  comm=$(cat "$task/comm" 2>/dev/null)
  # utime and stime are fields 14 and 15, counted after the ")" that ends the command name.
  echo "$stat" | sed 's/^.*) //' | awk -v c="$comm" -v hz="$(getconf CLK_TCK)" '{ printf "%s\t%.2f\n", c, ($12 + $13) / hz }'
done | awk -F'\t' '{ name = ($1 ~ /^rdk:/) ? "librdkafka (rdk:*)" : ($1 == "kafka-consume" || $1 == "event-store") ? $1 : "other (runtime, GC, HTTP)"; cpu[name] += $2 }
  END { for (n in cpu) printf "  %-28s %6.2f s\n", n, cpu[n] }' | sort)

stored=$(sqlite3 "$store_dir/events.db" 'SELECT COUNT(*) FROM events' 2>/dev/null || echo "(sqlite3 not installed)")
echo
echo "machine: $(nproc) cores, $(dotnet --version) SDK, $(date -u +%Y-%m-%dT%H:%MZ)"
awk -v n="$EVENTS" -v f="$first_count" -v a="$first" -v b="$last" 'BEGIN {printf "drained %d events: %.0f events/s stored (from first stored batch to last)\n", n, (n-f)/(b-a)}'
# CPU per event while draining: what the drain costs the consumer whatever else the machine runs
# (the rate above also depends on the neighbours, the broker and the two cores' other work).
awk -v n="$EVENTS" -v f="$first_count" -v a="$first_cpu" -v b="$last_cpu" 'BEGIN {printf "consumer CPU while draining: %.2f s, %.2f us per event\n", b-a, (b-a)*1e6/(n-f)}'
echo "consumer peak resident memory: $(awk '/^VmHWM:/ { printf "%.0f MB", $2 / 1024 }' "/proc/$consumer_pid/status")"
echo "rows in the store: $stored"
echo "consumer CPU by thread:"
echo "$threads"
