#!/usr/bin/env bash
# Runs the whole suite on SQLite and on PostgreSQL at the same time. Each run is a single process, so on a
# two-core machine the pair takes about as long as the slower one instead of the sum. Each line of output
# is prefixed with its database. At the end come each run's summary of what failed or was skipped, so that
# the last lines of a long log say which tests failed on which database.
set -uo pipefail
BIN=${1:-.venv/bin}
shift || true
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT

run() {
  local label=$1
  shift
  "$@" 2>&1 | tee "$LOGS/$label.log" | sed -u "s/^/[$label] /"
  return "${PIPESTATUS[0]}"
}

summary() {
  local label=$1 status=$2
  echo "=== $label: $([ "$status" -eq 0 ] && echo passed || echo "FAILED (exit $status)")"
  # pytest's own summaries: tests that passed only when run again, failures, errors, and the final count.
  sed -n '/\(rerun\|short\) test summary info/,$p' "$LOGS/$label.log" | grep -v '^SKIPPED' | sed "s/^/[$label] /"
  [ "$status" -eq 0 ] || tail -n 5 "$LOGS/$label.log" | sed "s/^/[$label] /"
}

run sqlite make --no-print-directory test-sqlite BIN="$BIN" PYTEST_ARGS="$*" &
sqlite_pid=$!
run postgres make --no-print-directory test-postgres BIN="$BIN" PYTEST_ARGS="$*" &
postgres_pid=$!
wait "$sqlite_pid"
sqlite_status=$?
wait "$postgres_pid"
postgres_status=$?
summary sqlite "$sqlite_status"
summary postgres "$postgres_status"
echo "SQLite suite: $([ "$sqlite_status" -eq 0 ] && echo passed || echo "FAILED (exit $sqlite_status)")"
echo "PostgreSQL suite: $([ "$postgres_status" -eq 0 ] && echo passed || echo "FAILED (exit $postgres_status)")"
[ "$sqlite_status" -eq 0 ] && [ "$postgres_status" -eq 0 ]
