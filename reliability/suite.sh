# Shared by the reliability scripts (sourced, not run): runs one suite of KafkaIngestion.Tests in
# Release through the real AppHost, shows its figures and verdict, and returns the tests' status.
# Figures land as JSON in reliability/results/ (not committed).
# Usage: run_suite TEST_CLASS
run_suite() {
  local suite=$1 status started
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  export KAFKAINGESTION_RELIABILITY_RESULTS="$PWD/reliability/results"
  mkdir -p "$KAFKAINGESTION_RELIABILITY_RESULTS"
  started="$KAFKAINGESTION_RELIABILITY_RESULTS/.started"
  touch "$started"
  dotnet test KafkaIngestion.Tests -c Release --filter "FullyQualifiedName~$suite" --logger "console;verbosity=normal" \
    | grep -E '^\s*(Passed|Failed|Skipped|Total|Error|Assert)'
  # The tests' verdict, not grep's: figures are written before the assertions that judge them.
  status=${PIPESTATUS[0]}
  find "$KAFKAINGESTION_RELIABILITY_RESULTS" -name '*.json' -newer "$started" | sort | while read -r figures; do
    echo "== reliability/results/$(basename "$figures")"
    cat "$figures"
    echo
  done
  return "$status"
}
