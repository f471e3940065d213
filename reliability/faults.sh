#!/usr/bin/env bash
# The fault-injection suite at a higher rate than `dotnet test` uses: RATE events/s (default
# 2000) for SECONDS (default 40) per scenario, one fault in the middle of each. Prints one line
# of figures per scenario; they land in reliability/results/fault-*.json.
# Usage: bash reliability/faults.sh [RATE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p reliability/results
export KAFKAINGESTION_FAULT_RATE="${1:-2000}" KAFKAINGESTION_FAULT_SECONDS="${2:-40}"
export KAFKAINGESTION_RELIABILITY_RESULTS="$PWD/reliability/results"
rm -f reliability/results/fault-*.json

dotnet test KafkaIngestion.Tests -c Release --filter "FullyQualifiedName~FaultInjectionTests" --logger "console;verbosity=normal" \
  | grep -E '^\s*([a-z-]+: [0-9]+ sent|Passed|Failed|Total|Error|Assert)' || true

ls reliability/results/fault-*.json >/dev/null 2>&1 || { echo "the suite wrote no figures"; exit 1; }
