#!/usr/bin/env bash
# The full hostile input campaign: REQUESTS (default 100000) generated hostile requests against
# the API in a real AppHost, plus slow senders; zero 5xx, ProblemDetails for every refusal the
# application makes, the same process throughout, memory bounded (reliability/results/hostile.json).
# Usage: bash reliability/hostile.sh [REQUESTS]
set -uo pipefail
cd "$(dirname "$0")/.."
source reliability/suite.sh
export KAFKAINGESTION_HOSTILE_REQUESTS="${1:-100000}"
run_suite HostileInputTests
