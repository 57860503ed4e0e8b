#!/usr/bin/env bash
# test_gateway_budget.sh: --body-memory caps the memory all request bodies
# hold at once. With 1 MiB, one upload still arriving holds it all: other
# requests with a body get 503 server_busy with Retry-After, requests
# without one are served, and once the upload is gone bodies fit again.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
need_kvm gateway_budget || exit 0

tmp=$(mktemp -d)
trap 'stop_fnd; rm -rf "$tmp"' EXIT
start_fnd "$tmp/data" --pool 2 --body-memory 1048576 \
    --functions build/functions || { fail budget_start fnd; exit 1; }

timeout 60 /usr/bin/python3 - 127.0.0.1 "$FND_PORT" <<'PY'
import json, socket, sys, time

host, port = sys.argv[1], int(sys.argv[2])

def report(name, ok, why=""):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)))

def request(method, path, body=b""):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"%s %s HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n"
              b"Connection: close\r\n\r\n" % (method, path, len(body)) + body)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        headers[k.strip().lower().decode()] = v.strip().decode()
    return status, headers, payload

def metric(name):
    _, _, body = request(b"GET", b"/metrics")
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    return None

status, _, body = request(b"POST", b"/fn/hello", b"ada")
report("budget_body_fits", status == 200 and body == b"hello, ada",
       "%d %r" % (status, body))
report("budget_released_after", metric("mayfly_request_body_bytes") == 0,
       str(metric("mayfly_request_body_bytes")))

# An upload of 700000 bytes that has only begun: its buffer takes the
# whole budget.
hog = socket.create_connection((host, port), timeout=10)
hog.sendall(b"POST /fn/echo HTTP/1.1\r\nHost: t\r\n"
            b"Content-Length: 700000\r\n\r\n" + b"x" * 1000)
held = None
for _ in range(100):
    held = metric("mayfly_request_body_bytes")
    if held:
        break
    time.sleep(0.02)
report("budget_upload_counted", held == 1048576, str(held))

status, headers, body = request(b"POST", b"/fn/hello", b"ada")
try:
    err = json.loads(body)
except ValueError:
    err = {}
report("budget_over_503", status == 503, "%d %r" % (status, body))
report("budget_over_json", err.get("error") == "server_busy", repr(body))
report("budget_over_retry_after", headers.get("retry-after") == "1",
       repr(headers))
status, _, body = request(b"GET", b"/fn/hello")
report("budget_no_body_served", status == 200 and body == b"hello, world",
       "%d %r" % (status, body))

# The upload finishes: the answer comes and the budget frees.
hog.sendall(b"x" * 699000)
data = b""
while b"\r\n\r\n" not in data:
    chunk = hog.recv(65536)
    if not chunk:
        break
    data += chunk
hog.close()
report("budget_upload_served", data.startswith(b"HTTP/1.1 200"), data[:60])
status, _, body = request(b"POST", b"/fn/hello", b"bob")
report("budget_fits_again", status == 200 and body == b"hello, bob",
       "%d %r" % (status, body))
report("budget_empty_at_end", metric("mayfly_request_body_bytes") == 0,
       str(metric("mayfly_request_body_bytes")))
PY
[ $? -eq 0 ] || T_FAILED=1
stop_fnd
check budget_sigterm_exit0 0 "$FND_RC"
exit $T_FAILED
