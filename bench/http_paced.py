#!/usr/bin/python3
"""http_paced.py: latency of one function over HTTP at concurrency 1, with
requests paced so that fnd's VM pool keeps up (wrk sends back to back,
which measures the pool's refill rate instead).

usage: http_paced.py URL [RATE_PER_S] [SECONDS] [BODY]

One keep-alive connection; a request is sent, its whole response read,
then the next one waits for its slot. Prints p50/p90/p99 of the time from
sending to the last byte, as the client sees it (Python adds some tens of
microseconds of its own), and the server's own view from Server-Timing.
"""
import socket
import sys
import time
from urllib.parse import urlsplit

url = urlsplit(sys.argv[1])
rate = float(sys.argv[2]) if len(sys.argv) > 2 else 200.0
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
body = (sys.argv[4] if len(sys.argv) > 4 else "bench").encode()

req = (b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s" %
       (url.path.encode(), url.netloc.encode(), len(body), body))
sock = socket.create_connection((url.hostname, url.port or 80))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def one():
    """Sends a request, reads the response; returns (status, total_ms)."""
    sock.sendall(req)
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += sock.recv(65536)
    head, _, rest = buf.partition(b"\r\n\r\n")
    length, total = 0, None
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        k = k.strip().lower()
        if k == b"content-length":
            length = int(v)
        elif k == b"server-timing":
            for part in v.split(b","):
                if part.strip().startswith(b"total;dur="):
                    total = float(part.strip()[10:])
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(head[9:12]), total


def pct(v, p):
    return v[min(len(v) - 1, int(len(v) * p))]


lat, server, bad = [], [], 0
gap = 1.0 / rate
start = time.perf_counter()
nxt = start
while time.perf_counter() - start < seconds:
    now = time.perf_counter()
    if now < nxt:
        time.sleep(nxt - now)
    t0 = time.perf_counter()
    status, total = one()
    lat.append((time.perf_counter() - t0) * 1e6)
    if total is not None:
        server.append(total * 1e3)
    bad += status != 200
    nxt += gap
lat.sort()
server.sort()
print("requests=%d non200=%d rate=%.0f/s" % (len(lat), bad, rate))
print("client_us p50=%.0f p90=%.0f p99=%.0f" %
      (pct(lat, .5), pct(lat, .9), pct(lat, .99)))
if server:
    print("server_total_us p50=%.0f p90=%.0f p99=%.0f" %
          (pct(server, .5), pct(server, .9), pct(server, .99)))
