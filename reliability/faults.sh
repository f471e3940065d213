#!/usr/bin/env bash
# The fault-injection suite at a higher rate than `dotnet test` uses: RATE events/s (default
# 2000) for SECONDS (default 40) per scenario, one fault in the middle of each. Prints one line
# of figures per scenario (reliability/results/fault-*.json).
# Usage: bash reliability/faults.sh [RATE] [SECONDS]
set -uo pipefail
cd "$(dirname "$0")/.."
source reliability/suite.sh
export KAFKAINGESTION_FAULT_RATE="${1:-2000}" KAFKAINGESTION_FAULT_SECONDS="${2:-40}"
run_suite FaultInjectionTests
