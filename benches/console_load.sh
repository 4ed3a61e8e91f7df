#!/usr/bin/env bash
# Chat latency while staff use heavy console pages and someone floods the
# login form (review D5). A log of 140,000 messages with ~20,000 not
# understood; then, each for SECONDS, 8 citizens walking the dialog:
#   1. alone (baseline);
#   2. with 2 staff members opening the unanswered queue and the dashboard
#      back to back (every view a cache miss) and 8 connections posting
#      wrong passwords for unknown names (default login rate limit);
#   1b. with one viewer running 8 concurrent searches that match nothing;
#   3. the same with the login rate limit off and each attempt from another
#      client address (through a trusted proxy), so no throttle stops it and
#      every attempt checks a password (argon2).
# Prints chat p50/p99/max for each.
#
#   bash benches/console_load.sh [SECONDS]     (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-20}
cargo build --release --bins --example staff_bench -q
DATA=$(mktemp -d)
PORT=${XG_BENCH_PORT:-18081}
PID=
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT

echo "== filling the log"
./target/release/examples/staff_bench 120000 "$DATA" >/dev/null
printf 'a long benchmark password\n' | ./target/release/xinfang-guide staff add bench --role viewer --data "$DATA" >/dev/null

start_server() {
  XG_LIMITS_PER_IP_PER_SECOND=0 XG_LIMITS_PER_SESSION_PER_SECOND=0 RUST_LOG=error "$@" \
    ./target/release/xinfang-guide serve --addr 127.0.0.1:$PORT --data "$DATA" >/dev/null &
  PID=$!
  until curl -sf http://127.0.0.1:$PORT/healthz >/dev/null; do sleep 0.05; done
}
stop_server() { kill $PID; wait $PID 2>/dev/null || true; PID=; }

start_server env
python3 benches/console_load.py gibberish 20000 > "$DATA/gibberish.txt"
./target/release/xg-load --url http://127.0.0.1:$PORT --concurrency 16 --messages 20000 --texts "$DATA/gibberish.txt" >/dev/null
chat() { ./target/release/xg-load --url http://127.0.0.1:$PORT --concurrency 8 --messages 100000000 --max-seconds "$SECONDS_EACH" | grep -E 'throughput|latency'; }

echo "== 1. chat alone"
chat
echo "== 1b. chat + one viewer running 8 concurrent searches no record matches (review N6)"
python3 benches/console_load.py views http://127.0.0.1:$PORT bench 'a long benchmark password' "$SECONDS_EACH" 8 searches &
V=$!
chat
wait $V
echo "== 2. chat + 2 console viewers + login flood (default limits)"
python3 benches/console_load.py views http://127.0.0.1:$PORT bench 'a long benchmark password' "$SECONDS_EACH" 2 &
V=$!
python3 benches/console_load.py flood http://127.0.0.1:$PORT "$SECONDS_EACH" 8 &
F=$!
chat
wait $V $F
stop_server

echo "== 3. the same, login rate limit off, every attempt from another address (argon2 each time)"
start_server env XG_LIMITS_LOGIN_PER_MINUTE=0 XG_SERVER_TRUSTED_PROXIES=127.0.0.1
python3 benches/console_load.py views http://127.0.0.1:$PORT bench 'a long benchmark password' "$SECONDS_EACH" 2 &
V=$!
python3 benches/console_load.py flood http://127.0.0.1:$PORT "$SECONDS_EACH" 8 spread &
F=$!
chat
wait $V $F
