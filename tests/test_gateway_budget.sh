#!/usr/bin/env bash
# test_gateway_budget.sh: --body-memory caps the memory that request and
# response bodies hold at once. With 2 MiB: an upload still arriving holds
# 1 MiB; a body that does not fit in the rest gets 503 server_busy with
# Retry-After while smaller ones are served; with a second such upload the
# cap is reached and every request gets 503; once both are answered the
# memory is all given back.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
need_kvm gateway_budget || exit 0

tmp=$(mktemp -d)
trap 'stop_fnd; rm -rf "$tmp"' EXIT
start_fnd "$tmp/data" --pool 2 --body-memory 2097152 \
    --functions build/functions || { fail budget_start fnd; exit 1; }

timeout 60 /usr/bin/python3 - 127.0.0.1 "$FND_PORT" <<'PY'
import json, re, socket, sys, time

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
report("budget_released_after", metric("mayfly_body_bytes") == 0,
       str(metric("mayfly_body_bytes")))

def hog():
    """An upload of 700000 bytes that has only begun: 1 MiB of buffer."""
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"POST /fn/echo HTTP/1.1\r\nHost: t\r\n"
              b"Content-Length: 700000\r\n\r\n" + b"x" * 1000)
    return s

def finish(s):
    """Sends the rest of the upload; returns echo's answer, head and all."""
    s.sendall(b"x" * 699000)
    data = b""
    while True:
        head, sep, body = data.partition(b"\r\n\r\n")
        m = re.search(rb"(?i)content-length: *(\d+)", head) if sep else None
        if m and len(body) >= int(m.group(1)):
            break
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    s.close()
    return data

def wait_metric(want):
    got = None
    for _ in range(100):
        got = metric("mayfly_body_bytes")
        if got == want:
            break
        time.sleep(0.02)
    return got

hog1 = hog()
held = wait_metric(1 << 20)
report("budget_upload_counted", held == 1 << 20, str(held))

status, headers, body = request(b"POST", b"/fn/hello", b"y" * 1100000)
try:
    err = json.loads(body)
except ValueError:
    err = {}
report("budget_over_503", status == 503, "%d %r" % (status, body[:80]))
report("budget_over_json", err.get("error") == "server_busy", repr(body[:80]))
report("budget_over_retry_after", headers.get("retry-after") == "1",
       repr(headers))
status, _, body = request(b"POST", b"/fn/hello", b"ada")
report("budget_small_body_fits", status == 200 and body == b"hello, ada",
       "%d %r" % (status, body))
status, _, body = request(b"GET", b"/fn/hello")
report("budget_no_body_served", status == 200 and body == b"hello, world",
       "%d %r" % (status, body))

# A second upload takes the rest: no more bodies, but requests without
# one (health checks, metrics, GETs of functions) are still served.
hog2 = hog()
time.sleep(0.3)
status, headers, body = request(b"POST", b"/fn/hello", b"z")
report("budget_full_503", status == 503 and b"server_busy" in body,
       "%d %r" % (status, body[:80]))
status, _, body = request(b"GET", b"/healthz")
report("budget_full_healthz", status == 200, "%d %r" % (status, body[:80]))

data1, data2 = finish(hog1), finish(hog2)
report("budget_uploads_served",
       all(d.startswith(b"HTTP/1.1 200") and b"x" * 700000 in d
           for d in (data1, data2)),
       repr((data1[:40], data2[:40])))
status, _, body = request(b"POST", b"/fn/hello", b"bob")
report("budget_fits_again", status == 200 and body == b"hello, bob",
       "%d %r" % (status, body))
held = wait_metric(0)
report("budget_empty_at_end", held == 0, str(held))

PY
[ $? -eq 0 ] || T_FAILED=1
stop_fnd
check budget_sigterm_exit0 0 "$FND_RC"

# Answers clients do not read stay in memory: once they hold half of the
# budget (8 MiB here) no new guest runs, while /healthz still answers.
# echo answers 3000000 bytes with a little over that; the request's own
# body (4 MiB of buffer) is let go of as soon as its answer is made.
start_fnd "$tmp/data3" --pool 2 --body-memory 8388608 --s3-listen off \
    --functions build/functions || { fail answers_start fnd; exit 1; }
timeout 60 /usr/bin/python3 - 127.0.0.1 "$FND_PORT" <<'PY'
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
def report(name, ok, why=""):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)))
def request(path):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
              % path)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return int(data.split()[1]), data
def held():
    _, data = request(b"/metrics")
    for line in data.decode().splitlines():
        if line.startswith("mayfly_body_bytes "):
            return int(line.split()[1])
def wait_held(lo, hi):
    got = None
    for _ in range(200):
        got = held()
        if lo <= got <= hi:
            break
        time.sleep(0.02)
    return got
def slow_reader():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((host, port))
    s.sendall(b"POST /fn/echo HTTP/1.1\r\nHost: t\r\n"
              b"Content-Length: 3000000\r\n\r\n" + b"x" * 3000000)
    return s
slow = [slow_reader()]
got = wait_held(3000000, 3100000)  # an answer, not the 4 MiB request
report("answers_counted", 3000000 <= got <= 3100000, str(got))
status, _ = request(b"/fn/hello")
report("answers_under_half_run", status == 200, str(status))
slow.append(slow_reader())
got = wait_held(6000000, 6200000)
report("answers_both_counted", 6000000 <= got <= 6200000, str(got))
status, data = request(b"/fn/hello")
report("answers_over_half_503", status == 503 and b"server_busy" in data
       and b"Retry-After: 1" in data, data[:120])
status, _ = request(b"/healthz")
report("answers_healthz_served", status == 200, str(status))
for s in slow:
    got = b""
    while len(got.partition(b"\r\n\r\n")[2]) < 3000000:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        got += chunk
    s.close()
report("answers_released", wait_held(0, 0) == 0, str(held()))
status, _ = request(b"/fn/hello")
report("answers_guests_run_again", status == 200, str(status))
PY
[ $? -eq 0 ] || T_FAILED=1
stop_fnd

# --max-conns: past it a new connection is closed at once; once one of the
# open ones goes, new ones are served again.
start_fnd "$tmp/data2" --pool 1 --max-conns 3 --s3-listen off ||
    { fail conns_start fnd; exit 1; }
timeout 30 /usr/bin/python3 - 127.0.0.1 "$FND_PORT" <<'PY'
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
def report(name, ok, why=""):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)))
def get(s):
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    return s.recv(4096)
held = [socket.create_connection((host, port)) for _ in range(3)]
report("conns_held_served", all(get(s).startswith(b"HTTP/1.1 200")
                                for s in held))
extra = socket.create_connection((host, port))
try:
    answer = get(extra)
except OSError as e:
    answer = b""
report("conns_over_limit_closed", answer == b"", repr(answer[:40]))
held.pop().close()
time.sleep(0.2)
again = socket.create_connection((host, port))
report("conns_served_after_one_left", get(again).startswith(b"HTTP/1.1 200"))
PY
[ $? -eq 0 ] || T_FAILED=1
exit $T_FAILED
