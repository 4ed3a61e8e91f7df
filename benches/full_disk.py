#!/usr/bin/env python3
"""A full disk under load (the reliability review's N1/N3): the data dir is a
small tmpfs of its own (a user and mount namespace: `unshare -rm`), citizens
walk the dialog, the disk is filled, then space is freed.

  python3 benches/full_disk.py [--binary target/release/xinfang-guide]
                               [--sessions 8] [--size-mb 16] [--after 30] [--segments-only]

Checks: while the disk is full, every failed turn is answered 503
`store_unavailable` (never 500) and /healthz says 503; once space is freed
the server answers 200 again by itself (no restart) within 30 s, and each
citizen then sends AFTER more turns; SIGTERM exits 0; after a restart every
acknowledged turn is in its conversation's log (/admin/conversation), in
order. Prints the figures; exits 1 on any failure, 77 when this machine
allows no mount namespace (nothing was tested).
"""
import argparse, http.client, json, os, signal, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crash import free_port, next_input, admin_get  # noqa: E402


def request(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    c.request(method, path, json.dumps(body) if body is not None else None, headers)
    r = c.getresponse()
    return r.status, r.read()


class Citizen:
    def __init__(self):
        self.token, self.acked, self.next = None, [], {"choice": "cmd:menu"}
        self.codes = {}

    def turn(self, port):
        body = dict(self.next)
        if self.token:
            body["session"] = self.token
        try:
            status, data = request(port, "POST", "/api/v1/chat", body)
        except OSError:
            status, data = 0, b""
        self.codes[status] = self.codes.get(status, 0) + 1
        if status == 200:
            reply = json.loads(data)
            self.token = reply["session"]
            self.acked.append(body)
            self.next = next_input(reply)
        elif status == 503 and json.loads(data).get("error", {}).get("code") != "store_unavailable":
            raise SystemExit(f"503 without store_unavailable: {data[:200]!r}")
        return status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/xinfang-guide")
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--size-mb", type=int, default=16)
    ap.add_argument("--after", type=int, default=30, help="turns each citizen sends once space is back")
    ap.add_argument("--segments-only", action="store_true",
                    help="the small file system holds only data/segments (the log bodies; N1), sled stays on the disk")
    a = ap.parse_args()
    probe = tempfile.mkdtemp(prefix="xg-probe-")
    try:
        allowed = subprocess.run(["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=1m tmpfs {probe}"],
                                 capture_output=True).returncode == 0
    except FileNotFoundError:
        allowed = False
    os.rmdir(probe)
    if not allowed:
        print("skipped: this machine allows no tmpfs mount in a user and mount namespace (unshare -rm)")
        sys.exit(77)
    work = tempfile.mkdtemp(prefix="xg-full-")
    data = os.path.join(work, "data")
    os.mkdir(data)
    mount = os.path.join(data, "segments") if a.segments_only else data
    os.makedirs(mount, exist_ok=True)
    port = free_port()
    flag = lambda name: os.path.join(work, name)
    # Inside the namespace: mount, a helper that fills or frees the disk on
    # request (files beside the mount), the server, and after it exits a
    # second one on the same data (to read back what was acknowledged).
    script = f"""
mount -t tmpfs -o size={a.size_mb}m tmpfs {mount} || exit 90
( while [ ! -e {flag('done')} ]; do
    if [ -e {flag('fill')} ]; then dd if=/dev/zero of={mount}/filler bs=64k 2>/dev/null; rm -f {flag('fill')}; touch {flag('filled')}; fi
    if [ -e {flag('free')} ]; then rm -f {mount}/filler; rm -f {flag('free')}; touch {flag('freed')}; fi
    [ -e {data}/admin.token ] && [ ! -e {flag('token')} ] && cp {data}/admin.token {flag('token')}
    sleep 0.05
  done ) &
{a.binary} serve --addr 127.0.0.1:{port} --data {data} & echo $! > {flag('pid1')}; wait $!; echo $? > {flag('exit1')}
{a.binary} serve --addr 127.0.0.1:{port} --data {data} & echo $! > {flag('pid2')}; wait $!
touch {flag('done')}
"""
    env = dict(os.environ, XG_LIMITS_PER_IP_PER_SECOND="0", XG_LIMITS_PER_SESSION_PER_SECOND="0",
               RUST_LOG=os.environ.get("RUST_LOG", "error"))
    ns = subprocess.Popen(["unshare", "-rm", "--kill-child", "sh", "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def wait_listening():
        line = ns.stdout.readline().decode()
        if not line.startswith("listening on"):
            raise SystemExit(f"server did not start: {line!r}")

    def wait_file(name, secs=30):
        end = time.time() + secs
        while not os.path.exists(flag(name)):
            if time.time() > end:
                raise SystemExit(f"timed out waiting for {name}")
            time.sleep(0.05)

    failures = []
    try:
        wait_listening()
        citizens = [Citizen() for _ in range(a.sessions)]
        for c in citizens:
            c.turn(port)
        stop = threading.Event()

        def walk(c):
            while not stop.is_set():
                c.turn(port)

        threads = [threading.Thread(target=walk, args=(c,)) for c in citizens]
        [t.start() for t in threads]
        time.sleep(1.0)
        open(flag("fill"), "w").close()
        wait_file("filled")
        time.sleep(3.0)
        stop.set()
        [t.join() for t in threads]
        codes = {}
        for c in citizens:
            for k, v in c.codes.items():
                codes[k] = codes.get(k, 0) + v
        health_full, _ = request(port, "GET", "/healthz")
        print(f"while full: answers {dict(sorted(codes.items()))}, /healthz {health_full}")
        if codes.get(500):
            failures.append(f"{codes[500]} × 500 while the disk was full")
        if not codes.get(503):
            failures.append("the disk filled but no turn was refused: fill more (--size-mb)")
        if health_full != 503:
            failures.append(f"/healthz said {health_full} with the store failing")
        open(flag("free"), "w").close()
        wait_file("freed")
        freed = time.time()
        probe = Citizen()
        while probe.turn(port) != 200:
            if time.time() - freed > 30:
                failures.append("no 200 within 30 s of freeing space")
                break
            time.sleep(0.2)
        back = time.time() - freed
        # The health check follows within one reopening round (2 s).
        health_back, _ = request(port, "GET", "/healthz")
        while health_back != 200 and time.time() - freed < 30:
            time.sleep(0.2)
            health_back, _ = request(port, "GET", "/healthz")
        healthy = time.time() - freed
        after_codes = {}
        for c in citizens:
            for _ in range(a.after):
                s = c.turn(port)
                after_codes[s] = after_codes.get(s, 0) + 1
        print(f"space freed: serving again after {back:.1f} s, /healthz {health_back} after {healthy:.1f} s, "
              f"then {a.after} turns each: {dict(sorted(after_codes.items()))}")
        if health_back != 200 or set(after_codes) != {200}:
            failures.append("not every turn after the space came back was answered 200")
        os.kill(int(open(flag("pid1")).read()), signal.SIGTERM)
        wait_file("exit1")
        code = int(open(flag("exit1")).read())
        print(f"SIGTERM: exit {code}")
        if code != 0:
            failures.append(f"SIGTERM exited {code}")
        wait_listening()
        # The admin token is inside the mount: the helper copied it out.
        wait_file("token")
        token = open(flag("token")).read().strip()
        acked = lost = 0
        for c in citizens + [probe]:
            if not c.token:
                continue
            conv = admin_get(port, token, f"/admin/conversation?channel=web&user={c.token}")
            kinds = ["choice" if "choice" in b else "text" for b in c.acked]
            got = [t["input_kind"] for t in conv["turns"]]
            acked += len(kinds)
            # Every acknowledged turn, in order (a refused one may be there too).
            it = iter(got)
            if not all(k in it for k in kinds) or len(got) < len(kinds):
                lost += 1
        print(f"after a restart: {acked} acknowledged turns, conversations missing some: {lost}")
        if lost:
            failures.append(f"{lost} conversations lost acknowledged turns")
    finally:
        open(flag("done"), "w").close()
        for name in ("pid2", "pid1"):
            try:
                os.kill(int(open(flag(name)).read()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
        try:
            ns.wait(timeout=30)
        except subprocess.TimeoutExpired:
            ns.kill()
    print("ok" if not failures else "FAILED: " + "; ".join(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
