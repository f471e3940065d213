#!/usr/bin/env bash
# Soak: measures the system's maximum rate (closed loop through the AppHost), then sends half of
# it, open loop, for MINUTES (default 10) with verification on; prints throughput, p99 latency
# and memory at the start and end of the run, and the loss check (reliability/results/soak.json).
# Usage: bash reliability/soak.sh [MINUTES]
set -uo pipefail
cd "$(dirname "$0")/.."
source reliability/suite.sh
export KAFKAINGESTION_SOAK_MINUTES="${1:-10}"
run_suite SoakTests
