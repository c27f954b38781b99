#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server: a temporary data directory, a free local port,
# stopped and removed afterwards. The command sees TEST_DATABASE_URL.
set -euo pipefail
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
DATA_DIR=$(mktemp -d /tmp/civicwatch-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$DATA_DIR"
  RUN_AS=(runuser -u postgres --)
fi
cleanup() {
  "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT
"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$DATA_DIR/data" -U civicwatch --auth=trust -E UTF8 >/dev/null
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA_DIR/data" -l "$DATA_DIR/server.log" -w \
  -o "-p $PORT -k $DATA_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200" start >/dev/null
"${RUN_AS[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U civicwatch civicwatch_test
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') running on port $PORT"
export TEST_DATABASE_URL="postgresql+psycopg://civicwatch@127.0.0.1:$PORT/civicwatch_test"
"$@"
