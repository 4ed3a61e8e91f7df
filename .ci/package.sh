#!/usr/bin/env bash
# CI: the Debian package as an office installs and upgrades it. Builds the
# release binary once, packages it twice (two versions), installs the first
# (the unit is never enabled or started), runs the installed binary with the
# installed paths on a free port as its own user, checks a chat turn (one
# answered from an office override), /healthz and `stats` without flags,
# then upgrades with an edited conffile and an office override in place and
# checks both survived with the data. Purges the package on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
started=$(date +%s)

if [ "$(id -u)" != 0 ]; then
  echo "package test: needs root (dpkg -i); skipped" >&2
  exit 0
fi
# What the package and this script need on a fresh Debian machine.
missing=""
for tool in adduser:adduser curl:curl python3:python3 setpriv:util-linux; do
  command -v "${tool%%:*}" >/dev/null || missing="$missing ${tool#*:}"
done
if [ -n "$missing" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
command -v cargo-deb >/dev/null || cargo install cargo-deb --locked --version 3.8.0 --quiet

cargo build --release --locked --quiet
out=$(mktemp -d)
cargo deb --no-build --strip --deb-version 0.1.0-1 -o "$out/v1.deb" >/dev/null
cargo deb --no-build --strip --deb-version 0.1.1-1 -o "$out/v2.deb" >/dev/null
ls -l "$out"/*.deb

pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  DEBIAN_FRONTEND=noninteractive dpkg --purge xinfang-guide >/dev/null 2>&1 || true
  rm -rf /var/lib/xinfang-guide /etc/xinfang-guide "$out"
}
trap cleanup EXIT

dpkg_i() { DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold "$1" </dev/null >/dev/null; }
fail() { echo "package test FAILED: $*" >&2; exit 1; }

dpkg_i "$out/v1.deb"
[ "$(dpkg-query -W -f='${Version}' xinfang-guide)" = "0.1.0-1" ] || fail "version 1 not installed"
getent passwd xinfang-guide >/dev/null || fail "no xinfang-guide user"
[ "$(stat -c %a /var/lib/xinfang-guide)" = 700 ] || fail "data dir is not 0700"
[ -L /usr/share/xinfang-guide/local ] || fail "no local/ link"
if [ -d /run/systemd/system ]; then
  ! systemctl is-enabled --quiet xinfang-guide || fail "the unit was enabled"
  ! systemctl is-active --quiet xinfang-guide || fail "the unit was started"
fi
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify /usr/lib/systemd/system/xinfang-guide.service
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The office edits its settings (a conffile) and adds its own content.
sed -i "s/^addr = .*/addr = \"127.0.0.1:$port\"  # edited by the office/" /etc/xinfang-guide/server.toml
cat > /etc/xinfang-guide/local/directory.toml <<'EOF'
[[local]]
channel = "labor_arbitration"
name = "测试区劳动人事争议仲裁院"
address = "测试路1号"
phone = "0000-1234567"
hours = "工作日 9:00-17:00"
EOF
cat > /etc/xinfang-guide/local/faq/office.toml <<'EOF'
[[faq]]
id = "office_parking"
question = "来访接待场所在哪里停车？"
alt = ["信访局停车场在哪", "去接待场所怎么停车"]
answer = "接待场所东侧有停车场，凭来访登记免费停放。"
category = "xinfang_procedure"
reviewed = "2026-12-07"
EOF
/usr/bin/xinfang-guide check --content /usr/share/xinfang-guide >/dev/null || fail "check of the merged content"

# As the service's user, exec'd directly (signals reach the server itself).
as_service() { setpriv --reuid=xinfang-guide --regid=xinfang-guide --init-groups -- "$@"; }

serve() {
  setpriv --reuid=xinfang-guide --regid=xinfang-guide --init-groups -- \
    /usr/bin/xinfang-guide serve --config /etc/xinfang-guide/server.toml >"$out/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$out/serve.log" >&2
  fail "the installed server did not answer /healthz"
}
chat() {
  curl -fsS -H 'content-type: application/json' -d "$1" "http://127.0.0.1:$port/api/v1/chat"
}
stop() { kill -TERM "$pid"; local rc=0; wait "$pid" || rc=$?; [ "$rc" = 0 ] || { tail -5 "$out/serve.log" >&2; fail "the server exited $rc on SIGTERM"; }; pid=""; }

serve
grep -q "/usr/share/xinfang-guide" "$out/serve.log" || fail "the log does not name the content it serves"
reply=$(chat '{"text":"来访接待场所在哪里停车"}')
echo "$reply" | grep -q "东侧有停车场" || fail "the office's own FAQ did not answer: $reply"
session=$(echo "$reply" | python3 -c 'import json,sys; print(json.load(sys.stdin)["session"])')
# The installed CLI finds /etc/xinfang-guide/server.toml and the data dir by itself.
as_service /usr/bin/xinfang-guide stats --today --format json | grep -q '"messages"' \
  || fail "stats without flags"
stop

dpkg_i "$out/v2.deb"
[ "$(dpkg-query -W -f='${Version}' xinfang-guide)" = "0.1.1-1" ] || fail "version 2 not installed"
grep -q "edited by the office" /etc/xinfang-guide/server.toml || fail "the edited conffile was replaced"
[ -f /etc/xinfang-guide/local/faq/office.toml ] || fail "the office override is gone"
serve
reply=$(chat '{"text":"来访接待场所在哪里停车"}')
echo "$reply" | grep -q "东侧有停车场" || fail "after the upgrade the office's FAQ did not answer: $reply"
again=$(chat "{\"session\":\"$session\",\"text\":\"谢谢\"}")
echo "$again" | grep -q "\"session\":\"$session\"" || fail "the session from before the upgrade is gone: $again"
stop
echo "package test: install, serve, override, upgrade: ok ($(( $(date +%s) - started )) s)"
