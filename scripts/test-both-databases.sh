#!/usr/bin/env bash
# Runs the whole suite on SQLite and on PostgreSQL at the same time, in two lanes of one process each, so that a
# two-core machine takes about as long as the slower lane instead of the sum. The PostgreSQL run is the longer of
# the two, so the folders in SECOND_LANE run on PostgreSQL in the first lane, after SQLite has finished, and the
# lanes end at about the same time. Each line of output is prefixed with its run. At the end come each run's
# summary of what failed or was skipped, so that the last lines of a long log say which tests failed where.
set -uo pipefail
BIN=${1:-.venv/bin}
shift || true
SECOND_LANE=(tests/disclosure tests/retention tests/audit tests/transparency)
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

ignored=()
for folder in "${SECOND_LANE[@]}"; do ignored+=("--ignore=$folder"); done

first_lane() {
  run sqlite make --no-print-directory test-sqlite BIN="$BIN" PYTEST_ARGS="$*"
  echo $? > "$LOGS/sqlite.status"
  run postgres-2 make --no-print-directory test-postgres BIN="$BIN" PYTEST_ARGS="$* ${SECOND_LANE[*]}"
  echo $? > "$LOGS/postgres-2.status"
}

first_lane "$@" &
first_pid=$!
run postgres-1 make --no-print-directory test-postgres BIN="$BIN" PYTEST_ARGS="$* ${ignored[*]}"
postgres_status=$?
wait "$first_pid"
sqlite_status=$(cat "$LOGS/sqlite.status")
postgres_2_status=$(cat "$LOGS/postgres-2.status")
summary sqlite "$sqlite_status"
summary postgres-1 "$postgres_status"
summary postgres-2 "$postgres_2_status"
[ "$postgres_status" -eq 0 ] && postgres_status=$postgres_2_status
echo "SQLite suite: $([ "$sqlite_status" -eq 0 ] && echo passed || echo "FAILED (exit $sqlite_status)")"
echo "PostgreSQL suite: $([ "$postgres_status" -eq 0 ] && echo passed || echo "FAILED (exit $postgres_status)")"
[ "$sqlite_status" -eq 0 ] && [ "$postgres_status" -eq 0 ]
