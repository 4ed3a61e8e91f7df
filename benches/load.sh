#!/usr/bin/env bash
# Load benchmark on loopback: cold start, throughput and latency at 64
# concurrent sessions with every reply durably written, and memory after
# 100,000 sessions. Prints the figures; touches nothing outside a temp dir.
#
#   bash benches/load.sh [MESSAGES]     (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES=${1:-200000}
cargo build --release --bins -q
DATA=$(mktemp -d)
PORT=${XG_BENCH_PORT:-18080}
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT

start=$(date +%s%N)
# Rate limits off: one generator on one IP would otherwise be limited.
XG_LIMITS_PER_IP_PER_SECOND=0 XG_LIMITS_PER_SESSION_PER_SECOND=0 XG_METRICS_ALLOW=127.0.0.1 RUST_LOG=warn \
  ./target/release/xinfang-guide serve --addr 127.0.0.1:$PORT --data "$DATA" >/dev/null &
PID=$!
until curl -sf http://127.0.0.1:$PORT/healthz >/dev/null; do sleep 0.005; done
end=$(date +%s%N)
echo "cold start (spawn → /healthz answers): $(( (end - start) / 1000000 )) ms"

echo "== warm-up"
./target/release/xg-load --url http://127.0.0.1:$PORT --concurrency 64 --messages 20000 >/dev/null
echo "== $MESSAGES messages, 64 concurrent sessions walking the dialog"
./target/release/xg-load --url http://127.0.0.1:$PORT --concurrency 64 --messages "$MESSAGES" --pid $PID
echo "== 100000 new sessions"
./target/release/xg-load --url http://127.0.0.1:$PORT --concurrency 64 --messages 100000 --new-sessions --pid $PID
sleep 5
echo "server after 5 s idle: $(grep VmRSS /proc/$PID/status)"
echo "== store"
curl -s http://127.0.0.1:$PORT/metrics | grep -E '^xg_store_flush_(seconds|batch)(_sum|_count)|^xg_store_flush_batch\{quantile="0.5"\}|^xg_commit_conflicts_total' || true
du -sh "$DATA"
