#!/usr/bin/env python3
"""WeChat push load against a running server with XG_WECHAT_TOKEN=benchtok on 127.0.0.1:18099:

    XG_WECHAT_TOKEN=benchtok XG_LIMITS_PER_IP_PER_SECOND=0 XG_LIMITS_PER_SESSION_PER_SECOND=0 \
        target/release/xinfang-guide serve --addr 127.0.0.1:18099 --data /tmp/wxbench &
    python3 benches/wechat_load.py 5000

Signed text pushes from 16 client threads for 200 users; prints throughput and latency.
The Python client is the bottleneck here; the point is the latency against the 5 s window."""
import hashlib, time, urllib.request, statistics, concurrent.futures, sys
def sign(*p): return hashlib.sha1("".join(sorted(p)).encode()).hexdigest()
def push(i, user):
    ts=str(int(time.time())); nonce=str(i)
    xml=f"<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{['老板拖欠工资怎么办','1','2','菜单','法院判决不服'][i%5]}]]></Content><MsgId>{i}</MsgId></xml>"
    url=f"http://127.0.0.1:18099/wechat?signature={sign('benchtok',ts,nonce)}&timestamp={ts}&nonce={nonce}"
    t=time.perf_counter(); r=urllib.request.urlopen(urllib.request.Request(url,data=xml.encode(),method="POST")); r.read(); return time.perf_counter()-t
n=int(sys.argv[1]); lat=[]
with concurrent.futures.ThreadPoolExecutor(16) as ex:
    t0=time.perf_counter()
    lat=list(ex.map(lambda i: push(i, f"user{i%200}"), range(n)))
    el=time.perf_counter()-t0
lat.sort()
print(f"{n} pushes, 16 clients, 200 users: {n/el:.0f} push/s, p50 {lat[n//2]*1000:.1f} ms, p99 {lat[int(n*0.99)]*1000:.1f} ms, max {lat[-1]*1000:.1f} ms")
