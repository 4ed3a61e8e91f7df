#!/usr/bin/env bash
# Load benchmark on PostgreSQL, loopback only: 64 concurrent sessions walking
# the dialog through one instance, then the same 64 split over two
# instances on the same database (32 each, at the same time). Every reply
# waits for its COMMIT (fsync and synchronous_commit on). PostgreSQL, the
# instances and the generator share this machine's cores.
#
#   bash benches/pg_load.sh [MESSAGES]     (default 100000)
#
# Uses XG_BENCH_PG_URL (a database it may fill) when set, otherwise starts a
# throwaway cluster with .ci/pg.sh and removes it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES=${1:-100000}
cargo build --release --bins -q
DIRS=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -n "${OWN_PG:-}" ]; then .ci/pg.sh stop "$OWN_PG"; fi
  rm -rf "$DIRS"
}
trap cleanup EXIT
if [ -z "${XG_BENCH_PG_URL:-}" ]; then
  eval "$(.ci/pg.sh start)"
  OWN_PG=$XG_TEST_PG_DIR
  psql -q "$XG_TEST_PG_URL" -c "CREATE DATABASE xg_bench"
  XG_BENCH_PG_URL=${XG_TEST_PG_URL%/*}/xg_bench
fi
psql -qtA "$XG_BENCH_PG_URL" -c "SHOW fsync" | grep -qx on
psql -qtA "$XG_BENCH_PG_URL" -c "SHOW synchronous_commit" | grep -qx on

serve() { # port
  mkdir -p "$DIRS/$1"
  XG_LIMITS_PER_IP_PER_SECOND=0 XG_LIMITS_PER_SESSION_PER_SECOND=0 XG_STORE_URL=$XG_BENCH_PG_URL \
    XG_STORE_POOL_SIZE=${XG_BENCH_POOL:-16} RUST_LOG=warn env ${XG_BENCH_ENV:-} \
    ./target/release/xinfang-guide serve --addr 127.0.0.1:$1 --data "$DIRS/$1" >/dev/null 2>"$DIRS/$1.log" &
  PIDS+=($!)
  until curl -sf http://127.0.0.1:$1/healthz >/dev/null; do
    kill -0 "${PIDS[-1]}" 2>/dev/null || { echo "the server on :$1 died:" >&2; cat "$DIRS/$1.log" >&2; exit 1; }
    sleep 0.01
  done
}

A=${XG_BENCH_PORT:-18180}
B=$((A + 1))
serve $A
echo "== warm-up"
./target/release/xg-load --url http://127.0.0.1:$A --concurrency 64 --messages 10000 >/dev/null
echo "== one instance: $MESSAGES messages, 64 concurrent sessions"
./target/release/xg-load --url http://127.0.0.1:$A --concurrency 64 --messages "$MESSAGES"
serve $B
echo "== two instances, one database: $MESSAGES messages, half on each, 32 sessions on each, at once"
./target/release/xg-load --url http://127.0.0.1:$A --concurrency 32 --messages $((MESSAGES / 2)) >"$DIRS/a.out" &
LA=$!
./target/release/xg-load --url http://127.0.0.1:$B --concurrency 32 --messages $((MESSAGES / 2)) >"$DIRS/b.out" &
LB=$!
wait $LA $LB
echo "-- instance A"; cat "$DIRS/a.out"
echo "-- instance B"; cat "$DIRS/b.out"
echo "log rows in the database: $(psql -qtA "$XG_BENCH_PG_URL" -c 'SELECT count(*) FROM log')"
