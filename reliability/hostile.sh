#!/usr/bin/env bash
# The full hostile input campaign: REQUESTS (default 100000) generated hostile requests against
# the API in a real AppHost, plus slow senders; zero 5xx, ProblemDetails for every refusal the
# application makes, the same process throughout, memory bounded. Figures land in
# reliability/results/hostile.json. Usage: bash reliability/hostile.sh [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p reliability/results
export KAFKAINGESTION_HOSTILE_REQUESTS="${1:-100000}"
export KAFKAINGESTION_RELIABILITY_RESULTS="$PWD/reliability/results"
rm -f reliability/results/hostile.json

dotnet test KafkaIngestion.Tests -c Release --filter "FullyQualifiedName~HostileInputTests" --logger "console;verbosity=normal" \
  | grep -E '^\s*(\{|Passed|Failed|Total|Error|Assert)' || true

[ -f reliability/results/hostile.json ] || { echo "the campaign wrote no figures"; exit 1; }
echo "figures: reliability/results/hostile.json"
