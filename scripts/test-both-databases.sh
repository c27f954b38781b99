#!/usr/bin/env bash
# Runs the whole suite on SQLite and on PostgreSQL at the same time. Each run is a single process, so on a
# two-core machine the pair takes about as long as the slower one instead of the sum. Each line of output
# is prefixed with its database; a summary line for each comes at the end.
set -uo pipefail
BIN=${1:-.venv/bin}
shift || true

run() {
  local label=$1
  shift
  "$@" 2>&1 | sed -u "s/^/[$label] /"
  return "${PIPESTATUS[0]}"
}

run sqlite make --no-print-directory test-sqlite BIN="$BIN" PYTEST_ARGS="$*" &
sqlite_pid=$!
run postgres make --no-print-directory test-postgres BIN="$BIN" PYTEST_ARGS="$*" &
postgres_pid=$!
wait "$sqlite_pid"
sqlite_status=$?
wait "$postgres_pid"
postgres_status=$?
echo "SQLite suite: $([ "$sqlite_status" -eq 0 ] && echo passed || echo "FAILED (exit $sqlite_status)")"
echo "PostgreSQL suite: $([ "$postgres_status" -eq 0 ] && echo passed || echo "FAILED (exit $postgres_status)")"
[ "$sqlite_status" -eq 0 ] && [ "$postgres_status" -eq 0 ]
