#!/usr/bin/env bash
# Load benchmark on loopback: cold start, throughput and latency at 64
# concurrent sessions with every reply durably written (group flush +
# fdatasync), memory after 100,000 sessions, while the idle sweep removes
# them and while the log of the run is scanned, and disk per message.
# Prints the figures; touches nothing outside a temp dir.
#
#   bash benches/load.sh [MESSAGES]     (default 200000)
#
# XG_BENCH_ENV="VAR=value …" adds settings to the server's environment;
# XG_BENCH_WRAP="eatmydata" runs it under a command prefix (eatmydata turns
# fsync, fdatasync and sync_file_range into no-ops: the A/B of what making
# every reply durable costs).
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES=${1:-200000}
cargo build --release --bins -q
DATA=$(mktemp -d)
PORT=${XG_BENCH_PORT:-18080}
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT

start=$(date +%s%N)
# Rate limits off: one generator on one IP would otherwise be limited.
# Sessions idle for a minute are swept every 10 s, so the run sees sweeps.
env XG_LIMITS_PER_IP_PER_SECOND=0 XG_LIMITS_PER_SESSION_PER_SECOND=0 XG_METRICS_ALLOW=127.0.0.1 \
  XG_SESSION_IDLE_MINUTES=1 XG_SESSION_SWEEP_SECONDS=10 RUST_LOG=warn ${XG_BENCH_ENV:-} \
  ${XG_BENCH_WRAP:-} ./target/release/xinfang-guide serve --addr 127.0.0.1:$PORT --data "$DATA" >/dev/null 2>"$DATA.log" &
PID=$!
until curl -sf http://127.0.0.1:$PORT/healthz >/dev/null; do sleep 0.005; done
end=$(date +%s%N)
echo "cold start (spawn → /healthz answers): $(( (end - start) / 1000000 )) ms"

rss() { awk '/VmRSS/ {print $2}' /proc/$PID/status; }
# Highest RSS (kB) seen every 0.2 s while the given command runs.
peak_during() {
  "$@" >/dev/null &
  local job=$! top=0 r
  while kill -0 $job 2>/dev/null; do r=$(rss); (( r > top )) && top=$r; sleep 0.2; done
  wait $job
  echo $top
}

echo "== warm-up"
./target/release/xg-load --url http://127.0.0.1:$PORT --concurrency 64 --messages 20000 >/dev/null
echo "== $MESSAGES messages, 64 concurrent sessions walking the dialog"
./target/release/xg-load --url http://127.0.0.1:$PORT --concurrency 64 --messages "$MESSAGES" --pid $PID
echo "== 100000 new sessions"
./target/release/xg-load --url http://127.0.0.1:$PORT --concurrency 64 --messages 100000 --new-sessions --pid $PID
echo "server RSS right after: $(rss) kB"
echo "== idle sweeps (sessions idle 1 min are removed; 75 s)"
echo "server peak RSS during the sweeps: $(peak_during sleep 75) kB; after: $(rss) kB"
grep -h "idle sessions swept" "$DATA.log" | sed 's/.*removed=/  swept: /' | head -5 || true
echo "== the log of the run scanned (stats over the whole day: every record read)"
TOKEN=$(cat "$DATA/admin.token")
DAY=$(TZ=Asia/Shanghai date +%F)
scan() { curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/admin/stats?from=$DAY&to=$DAY" -o "$DATA.stats"; }
echo "server peak RSS during the scan: $(peak_during scan) kB; messages counted: $(python3 -c "import json;print(json.load(open('$DATA.stats'))['messages'])")"
echo "== store"
curl -s http://127.0.0.1:$PORT/metrics | grep -E '^xg_store_flush_(seconds|batch)(_sum|_count)|^xg_commit_conflicts_total' || true
total=$(( 20000 + MESSAGES + 100000 ))
bytes=$(du -sb "$DATA" | cut -f1)
echo "data dir: $(du -sh "$DATA" | cut -f1) for $total messages = $(( bytes / total )) bytes per message"
