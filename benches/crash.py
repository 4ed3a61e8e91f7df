#!/usr/bin/env python3
"""kill -9 under load: does any acknowledged message go missing?

  python3 benches/crash.py [--binary target/release/xinfang-guide] [--cycles 20]
                           [--sessions 32] [--max-load-seconds 3] [--seed 1]

Each cycle starts the server on one data dir, lets SESSIONS citizens walk the
dialog (one request at a time each, on its own connection), and SIGKILLs the
server after a random 0.05 s .. MAX-LOAD-SECONDS. A message counts as
acknowledged only when a whole 200 JSON reply came back. After every restart,
for every session, the server's own log of the conversation
(/admin/conversation, with the data dir's admin token) must hold every
acknowledged message, in order, plus at most the one that was in flight; the
session must stand where its last logged turn left it; and /admin/stats must
count exactly the logged turns (a turn logged without its session write would
be counted there but not in the conversation). Prints the totals; exits 1 on
any loss or mismatch.
"""
import argparse, http.client, json, os, random, signal, socket, subprocess, sys, tempfile, threading, time
from datetime import datetime, timedelta, timezone


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Server:
    def __init__(self, binary, data, port):
        env = dict(os.environ, XG_LIMITS_PER_IP_PER_SECOND="0", XG_LIMITS_PER_SESSION_PER_SECOND="0",
                   RUST_LOG=os.environ.get("RUST_LOG", "error"))
        self.proc = subprocess.Popen([binary, "serve", "--addr", f"127.0.0.1:{port}", "--data", data],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("listening on"):
            raise SystemExit(f"server did not start: {line!r}")
        self.port = port

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def post(conn, body):
    conn.request("POST", "/api/v1/chat", json.dumps(body), {"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise IOError(f"status {r.status}")
    return json.loads(data)


def next_input(reply):
    """The walk xg-load does: first non-navigation choice; menu after a card; a date when asked."""
    replies = reply["replies"]
    if any(r.get("card") for r in replies):
        return {"choice": "cmd:menu"}
    for r in replies:
        for c in r.get("choices", []):
            if not c["id"].startswith(("cmd:", "fb:")):
                return {"choice": c["id"]}
    return {"text": "2026-03-15"}


class Citizen:
    def __init__(self):
        self.token = None
        self.acked = []      # inputs acknowledged, in order
        self.inflight = None
        self.next = {"choice": "cmd:menu"}

    def walk(self, port, stop):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while not stop.is_set():
            body = dict(self.next)
            if self.token:
                body["session"] = self.token
            self.inflight = body
            try:
                reply = post(conn, body)
            except Exception:
                return  # the server is gone: this one stays in flight
            if self.token and reply["session"] != self.token:
                raise SystemExit(f"session {self.token} was replaced by {reply['session']}")
            self.token = reply["session"]
            self.acked.append(body)
            self.inflight = None
            self.next = next_input(reply)


def admin_get(port, token, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    r = c.getresponse()
    data = r.read()
    if r.status != 200:
        raise SystemExit(f"{path}: {r.status} {data[:200]!r}")
    return json.loads(data)


def verify(port, data, citizens):
    token = open(os.path.join(data, "admin.token")).read().strip()
    logged_total, lost, mismatches, committed_inflight = 0, 0, 0, 0
    for c in citizens:
        if not c.token:
            continue
        conv = admin_get(port, token, f"/admin/conversation?channel=web&user={c.token}")
        turns = conv["turns"]
        logged_total += len(turns)
        kinds = ["choice" if "choice" in b else "text" for b in c.acked]
        got = [t["input_kind"] for t in turns]
        extra = len(turns) - len(c.acked)
        if extra < 0 or got[: len(kinds)] != kinds:
            lost += max(0, -extra) or 1
            continue
        if extra > (1 if c.inflight else 0):
            mismatches += 1
        committed_inflight += extra
        # Turns chain (each starts where the one before ended); the session stands at the last.
        if any(a["node"] != b["node_from"] for a, b in zip(turns, turns[1:])) or (turns and conv["node"] != turns[-1]["node"]):
            mismatches += 1
        c.acked = c.acked + ([c.inflight] if extra == 1 else [])
        c.inflight = None
    now = datetime.now(timezone(timedelta(hours=8)))
    days = {now.date(), (now - timedelta(minutes=10)).date()}
    counted = sum(admin_get(port, token, f"/admin/stats?from={d}&to={d}")["messages"] for d in days)
    return logged_total, lost, mismatches, committed_inflight, counted


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/xinfang-guide")
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--sessions", type=int, default=32)
    ap.add_argument("--max-load-seconds", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    data = tempfile.mkdtemp(prefix="xg-crash-")
    citizens = [Citizen() for _ in range(a.sessions)]
    acked_total = lost_total = mismatch_total = 0
    port = free_port()
    server = Server(a.binary, data, port)
    # Every citizen has its session before the first kill (a first message
    # lost in flight would leave a conversation nobody knows the token of).
    for c in citizens:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        reply = post(conn, dict(c.next))
        c.token, c.next = reply["session"], next_input(reply)
        c.acked.append({"choice": "cmd:menu"})
    for cycle in range(a.cycles):
        stop = threading.Event()
        threads = [threading.Thread(target=c.walk, args=(port, stop)) for c in citizens]
        before = sum(len(c.acked) for c in citizens)
        [t.start() for t in threads]
        time.sleep(rnd.uniform(0.05, a.max_load_seconds))
        server.kill()
        stop.set()
        [t.join() for t in threads]
        acked_total += sum(len(c.acked) for c in citizens) - before
        port = free_port()
        server = Server(a.binary, data, port)
        logged, lost, mismatches, committed, counted = verify(port, data, citizens)
        lost_total += lost
        mismatch_total += mismatches + (1 if counted != logged else 0)
        print(f"cycle {cycle + 1}: {acked_total} acknowledged so far, {logged} logged, in flight and committed {committed}, "
              f"stats count {counted}, lost {lost}, mismatches {mismatches + (counted != logged)}", flush=True)
    server.stop()
    print(f"{a.cycles} kill -9 cycles, {acked_total} acknowledged messages, lost {lost_total}, mismatches {mismatch_total}")
    sys.exit(1 if lost_total or mismatch_total else 0)


if __name__ == "__main__":
    main()
