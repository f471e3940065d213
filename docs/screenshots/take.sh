#!/usr/bin/env bash
# Takes the README's screenshots in headless Chromium: starts the AppHost (embedded Kafka),
# starts an open-loop load run through the load generator, and photographs the dashboard's
# resources page, one event's trace, the throughput and lag metrics, and the API's web console
# (with an event sent through its form and a burst under way) into docs/images.
# Usage: bash docs/screenshots/take.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
(cd docs/screenshots && npm install --silent --no-audit --no-fund)

log=$(mktemp)
# A process group of its own, so that the stop signal reaches the AppHost itself (not only
# `dotnet run`) and it stops the services it started. SIGTERM, because a background job of a
# script ignores SIGINT.
setsid dotnet run --project KafkaIngestion.AppHost -- Kafka:Mode=embedded > "$log" 2>&1 &
apphost=$!
trap 'kill -TERM -- -$apphost 2>/dev/null; wait $apphost 2>/dev/null || true; sleep 15; rm -f "$log"' EXIT

for _ in $(seq 1 240); do grep -q 'login?t=' "$log" && break; sleep 1; done
login=$(grep -o 'http://localhost:[0-9]*/login?t=[0-9a-f]*' "$log" | head -n 1)
[ -n "$login" ] || { echo "the dashboard did not start"; cat "$log"; exit 1; }

# The load generator answers once api and consumer are healthy.
for _ in $(seq 1 240); do curl -sf -o /dev/null http://localhost:5090/health && break; sleep 1; done
curl -sf -X POST http://localhost:5090/runs -H 'Content-Type: application/json' \
  -d '{"mode":"open","rate":2000,"durationSeconds":300}'
echo
sleep 30 # some traffic and metric points

api_key=$(dotnet user-secrets list --project KafkaIngestion.AppHost | sed -n 's/^Parameters:api-key = //p')
mkdir -p docs/images
node docs/screenshots/take.mjs "$login" docs/images "$api_key"
