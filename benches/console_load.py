#!/usr/bin/env python3
"""Staff-console load beside the citizens' chat (used by benches/console_load.sh).

  console_load.py views  BASE USER PASSWORD SECONDS CONCURRENCY   heavy console pages, each a cache miss
  console_load.py flood  BASE SECONDS CONCURRENCY [spread]        wrong-password logins for unknown names
                                                                  (spread: each from another X-Forwarded-For address)
  console_load.py gibberish N                                     N not-understood questions, one per line

Prints how many requests were made and their status counts.
"""
import collections, http.client, random, re, sys, threading, time, urllib.parse


def conn(base):
    u = urllib.parse.urlparse(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def login_form(c):
    c.request("GET", "/staff/login")
    r = c.getresponse()
    body = r.read().decode()
    cookie = [v for k, v in r.getheaders() if k.lower() == "set-cookie" and v.startswith("xg_login=")][0].split(";")[0]
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', body).group(1)
    return cookie, csrf


def post_login(c, cookie, csrf, user, password, client=None):
    body = urllib.parse.urlencode({"username": user, "password": password, "csrf": csrf})
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    if client:
        headers["X-Forwarded-For"] = client
    c.request("POST", "/staff/login", body, headers)
    r = c.getresponse()
    r.read()
    return r


def views(base, user, password, seconds, concurrency, searches=False):
    c = conn(base)
    cookie, csrf = login_form(c)
    r = post_login(c, cookie, csrf, user, password)
    session = [v for k, v in r.getheaders() if k.lower() == "set-cookie" and v.startswith("xg_staff=")][0].split(";")[0]
    counts = collections.Counter()
    stop = time.time() + seconds

    def run(i):
        c = conn(base)
        n = 0
        while time.time() < stop:
            n += 1
            # A different range each time: every view is computed, none cached.
            if searches:
                # A search no record matches walks the whole log (review N6).
                path = "/staff/queries?status=all&q=%E6%97%A0%E6%AD%A4%E8%AF%8D" + str(i * 100000 + n)
            else:
                path = "/staff/unanswered?from=2020-01-%02d&to=2026-12-31&src=" % (1 + (i * 7919 + n) % 28) if n % 2 else \
                    "/staff/dashboard?from=2025-%02d-01&to=2026-12-31" % (1 + (i * 31 + n) % 12)
            c.request("GET", path, headers={"Cookie": session})
            r = c.getresponse()
            r.read()
            counts[(path.split("?")[0], r.status)] += 1

    ts = [threading.Thread(target=run, args=(i,)) for i in range(concurrency)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    print("console views:", dict(counts))


def flood(base, seconds, concurrency, spread=False):
    counts = collections.Counter()
    stop = time.time() + seconds

    def run(i):
        c = conn(base)
        cookie, csrf = login_form(c)
        n = 0
        while time.time() < stop:
            n += 1
            client = "10.%d.%d.%d" % (i, n // 250 % 250, n % 250 + 1) if spread else None
            r = post_login(c, cookie, csrf, "nosuchuser%d_%d" % (i, n), "wrong password %d" % n, client)
            counts[r.status] += 1

    ts = [threading.Thread(target=run, args=(i,)) for i in range(concurrency)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    print("login flood:", dict(counts))


def gibberish(n):
    rnd = random.Random(7)
    syll = "阿巴咕噜哒啦呜嘿呦哇喵噗叽咚嗒"
    for _ in range(n):
        print("".join(rnd.choice(syll) for _ in range(rnd.randint(4, 12))) + "%d" % rnd.randint(0, 99))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "views":
        views(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), int(sys.argv[6]),
              len(sys.argv) > 7 and sys.argv[7] == "searches")
    elif cmd == "flood":
        flood(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), len(sys.argv) > 5 and sys.argv[5] == "spread")
    elif cmd == "gibberish":
        gibberish(int(sys.argv[2]))
