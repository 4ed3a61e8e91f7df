#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks: a temp dir, a free
# loopback port, trust auth on loopback only, fsync and synchronous_commit on
# (only initdb itself skips its syncs). Used by .ci/run and by developers:
#
#   eval "$(.ci/pg.sh start)"     # exports XG_TEST_PG_URL and XG_TEST_PG_DIR
#   cargo test --locked           # the PostgreSQL tests now run
#   .ci/pg.sh stop                # stops the cluster in $XG_TEST_PG_DIR, removes it
#   .ci/pg.sh halt DIR / resume DIR   # stop and start it again (outage tests)
#
# Needs Debian's postgresql package (`apt-get install -y postgresql`). As root
# the server runs as the `postgres` user (initdb refuses root).
set -euo pipefail

pgbin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$d" ] || { echo "PostgreSQL binaries not found: apt-get install -y postgresql" >&2; exit 1; }
  echo "$d"
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_server() {
  as_pg "$1/pg_ctl" -D "$2/data" -l "$2/log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $3 -k $2/sock -c max_connections=300 -c fsync=on -c synchronous_commit=on" \
    start >/dev/null || { cat "$2/log" >&2; exit 1; }
}

case "${1:-}" in
  halt)
    as_pg "$(pgbin)/pg_ctl" -D "$2/data" -m fast -w stop >/dev/null
    ;;
  resume)
    start_server "$(pgbin)" "$2" "$(cat "$2/port")"
    ;;
  start)
    bin=$(pgbin)
    base=$(mktemp -d /tmp/xg-pg.XXXXXX)
    port=$(free_port)
    mkdir -p "$base/sock"
    if [ "$(id -u)" = 0 ]; then chown -R postgres: "$base"; fi
    as_pg "$bin/initdb" -D "$base/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$base/initdb.log" 2>&1 \
      || { cat "$base/initdb.log" >&2; exit 1; }
    echo "$port" >"$base/port"
    start_server "$bin" "$base" "$port"
    echo "export XG_TEST_PG_URL=postgres://postgres@127.0.0.1:$port/postgres"
    echo "export XG_TEST_PG_DIR=$base"
    ;;
  stop)
    base=${2:-${XG_TEST_PG_DIR:-}}
    [ -n "$base" ] && [ -d "$base/data" ] || { echo "no cluster to stop (XG_TEST_PG_DIR unset)" >&2; exit 0; }
    as_pg "$(pgbin)/pg_ctl" -D "$base/data" -m fast -w stop >/dev/null || true
    rm -rf "$base"
    ;;
  *)
    echo "usage: $0 start | stop [DIR] | halt DIR | resume DIR" >&2
    exit 2
    ;;
esac
