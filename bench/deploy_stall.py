#!/usr/bin/python3
"""deploy_stall.py PORT TOKEN IMAGE: deploys IMAGE three times as the raw
ELF and three times as a JSON deploy (base64) while one client calls hello
back to back on another connection, and prints how long each deploy took
and the longest gap between two hello answers meanwhile.
A deploy that held fnd's event loop shows as a gap about as long as the
deploy's own processing."""
import base64
import http.client
import json
import sys
import threading
import time

port, token, image = int(sys.argv[1]), sys.argv[2], sys.argv[3]
elf = open(image, "rb").read()
done = []


as_json = json.dumps({"name": "bigjson", "memory_mib": 64,
                      "image": base64.b64encode(elf).decode()}).encode()


def deploy(i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t0 = time.perf_counter()
    if i < 3:
        c.request("PUT", "/api/v1/functions/big%d?memory_mib=64" % i,
                  body=elf, headers={"Authorization": "Bearer " + token})
    else:
        c.request("POST", "/api/v1/functions", body=as_json,
                  headers={"Authorization": "Bearer " + token,
                           "Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    done.append((time.perf_counter() - t0, r.status))


hello = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
for i in range(6):
    t = threading.Thread(target=deploy, args=(i,))
    t.start()
    last, gap, n = time.perf_counter(), 0.0, 0
    while t.is_alive():
        hello.request("GET", "/fn/hello")
        hello.getresponse().read()
        now = time.perf_counter()
        gap, last, n = max(gap, now - last), now, n + 1
    t.join()
    took, status = done[-1]
    print("RESULT form=%s deploy_mib=%d status=%d deploy_ms=%.0f "
          "hello_calls=%d longest_gap_ms=%.1f"
          % ("raw" if i < 3 else "json", len(elf) >> 20, status, took * 1e3,
             n, gap * 1e3))
