#!/usr/bin/env bash
# Soak: measures the system's maximum rate (closed loop through the AppHost), then sends half of
# it, open loop, for MINUTES (default 10) with verification on; prints throughput, p99 latency
# and memory at the start and end of the run, and the loss check. Figures land in
# reliability/results/soak.json. Usage: bash reliability/soak.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p reliability/results
export KAFKAINGESTION_SOAK_MINUTES="${1:-10}"
export KAFKAINGESTION_RELIABILITY_RESULTS="$PWD/reliability/results"
rm -f reliability/results/soak.json

dotnet test KafkaIngestion.Tests -c Release --filter "FullyQualifiedName~SoakTests" --logger "console;verbosity=normal" \
  | grep -E '^\s*(maximum|\{|Passed|Failed|Total|Error|Assert)' || true

[ -f reliability/results/soak.json ] || { echo "the soak wrote no figures"; exit 1; }
echo "figures: reliability/results/soak.json"
grep -q '"lost":0,' reliability/results/soak.json
