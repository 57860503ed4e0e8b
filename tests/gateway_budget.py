#!/usr/bin/python3
"""gateway_budget.py SCENARIO HOST PORT: the cases of
test_gateway_budget.sh, against an fnd that script started with the
settings each scenario needs. Prints PASS/FAIL lines.

  bodies   --body-memory 2 MiB: request bodies
  answers  --body-memory 8 MiB: answers clients do not read
  conns    --max-conns 3
"""
import json
import re
import socket
import sys
import time

HOST, PORT = sys.argv[2], int(sys.argv[3])


def report(name, ok, why=""):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)))


def request(method, path, body=b""):
    """One request on a connection of its own: (status, headers, body)."""
    s = socket.create_connection((HOST, PORT), timeout=10)
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
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode()] = v.strip().decode()
    return status, headers, payload


def held():
    """mayfly_body_bytes from /metrics."""
    _, _, body = request(b"GET", b"/metrics")
    for line in body.decode().splitlines():
        if line.startswith("mayfly_body_bytes "):
            return int(line.split()[1])
    return None


def wait_held(lo, hi):
    got = None
    for _ in range(200):
        got = held()
        if got is not None and lo <= got <= hi:
            break
        time.sleep(0.02)
    return got


def read_answer(s, at_least=None):
    """Reads one answer from s, whole (or at_least body bytes), then
    closes s; returns it, head and all."""
    data = b""
    while True:
        head, sep, body = data.partition(b"\r\n\r\n")
        m = re.search(rb"(?i)content-length: *(\d+)", head) if sep else None
        want = at_least if at_least is not None else (
            int(m.group(1)) if m else None)
        if sep and want is not None and len(body) >= want:
            break
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


def bodies():
    """With 2 MiB: an upload still arriving holds 1 MiB; a body that does
    not fit in the rest gets 503 server_busy with Retry-After while smaller
    ones are served; with a second such upload no body fits, but requests
    without one are served; once both are answered all is given back."""
    status, _, body = request(b"POST", b"/fn/hello", b"ada")
    report("budget_body_fits", status == 200 and body == b"hello, ada",
           "%d %r" % (status, body))
    report("budget_released_after", held() == 0, str(held()))

    def hog():
        """An upload of 700000 bytes that has only begun: 1 MiB of
        buffer."""
        s = socket.create_connection((HOST, PORT), timeout=10)
        s.sendall(b"POST /fn/echo HTTP/1.1\r\nHost: t\r\n"
                  b"Content-Length: 700000\r\n\r\n" + b"x" * 1000)
        return s

    def finish(s):
        s.sendall(b"x" * 699000)
        return read_answer(s)

    hog1 = hog()
    got = wait_held(1 << 20, 1 << 20)
    report("budget_upload_counted", got == 1 << 20, str(got))

    status, headers, body = request(b"POST", b"/fn/hello", b"y" * 1100000)
    try:
        err = json.loads(body)
    except ValueError:
        err = {}
    report("budget_over_503", status == 503, "%d %r" % (status, body[:80]))
    report("budget_over_json", err.get("error") == "server_busy",
           repr(body[:80]))
    report("budget_over_retry_after", headers.get("retry-after") == "1",
           repr(headers))
    status, _, body = request(b"POST", b"/fn/hello", b"ada")
    report("budget_small_body_fits", status == 200 and body == b"hello, ada",
           "%d %r" % (status, body))
    status, _, body = request(b"GET", b"/fn/hello")
    report("budget_no_body_served",
           status == 200 and body == b"hello, world",
           "%d %r" % (status, body))

    # A second upload takes the rest: no more bodies, but requests without
    # one (health checks, metrics, GETs of functions) are still served.
    hog2 = hog()
    time.sleep(0.3)
    status, headers, body = request(b"POST", b"/fn/hello", b"z")
    report("budget_full_503", status == 503 and b"server_busy" in body,
           "%d %r" % (status, body[:80]))
    status, _, body = request(b"GET", b"/healthz")
    report("budget_full_healthz", status == 200,
           "%d %r" % (status, body[:80]))

    data1, data2 = finish(hog1), finish(hog2)
    report("budget_uploads_served",
           all(d.startswith(b"HTTP/1.1 200") and b"x" * 700000 in d
               for d in (data1, data2)),
           repr((data1[:40], data2[:40])))
    status, _, body = request(b"POST", b"/fn/hello", b"bob")
    report("budget_fits_again", status == 200 and body == b"hello, bob",
           "%d %r" % (status, body))
    got = wait_held(0, 0)
    report("budget_empty_at_end", got == 0, str(got))


def answers():
    """With 8 MiB: answers clients do not read stay in memory; once they
    hold half of the budget no new guest runs, while /healthz still
    answers. echo answers 3000000 bytes with a little over that; the
    request's own body (4 MiB of buffer) is let go of as soon as its answer
    is made."""
    def slow_reader():
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect((HOST, PORT))
        s.sendall(b"POST /fn/echo HTTP/1.1\r\nHost: t\r\n"
                  b"Content-Length: 3000000\r\n\r\n" + b"x" * 3000000)
        return s

    slow = [slow_reader()]
    got = wait_held(3000000, 3100000)  # an answer, not the 4 MiB request
    report("answers_counted", got is not None and 3000000 <= got <= 3100000,
           str(got))
    status, _, _ = request(b"GET", b"/fn/hello")
    report("answers_under_half_run", status == 200, str(status))
    slow.append(slow_reader())
    got = wait_held(6000000, 6200000)
    report("answers_both_counted",
           got is not None and 6000000 <= got <= 6200000, str(got))
    status, headers, body = request(b"GET", b"/fn/hello")
    report("answers_over_half_503",
           status == 503 and b"server_busy" in body and
           headers.get("retry-after") == "1", "%d %r" % (status, body[:80]))
    status, _, _ = request(b"GET", b"/healthz")
    report("answers_healthz_served", status == 200, str(status))
    for s in slow:
        read_answer(s, at_least=3000000)
    report("answers_released", wait_held(0, 0) == 0, str(held()))
    status, _, _ = request(b"GET", b"/fn/hello")
    report("answers_guests_run_again", status == 200, str(status))


def conns():
    """--max-conns 3: past it a new connection is closed at once; once one
    of the open ones goes, new ones are served again."""
    def get(s):
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        return s.recv(4096)

    kept = [socket.create_connection((HOST, PORT)) for _ in range(3)]
    report("conns_held_served",
           all(get(s).startswith(b"HTTP/1.1 200") for s in kept))
    extra = socket.create_connection((HOST, PORT))
    try:
        answer = get(extra)
    except OSError:
        answer = b""
    report("conns_over_limit_closed", answer == b"", repr(answer[:40]))
    kept.pop().close()
    time.sleep(0.2)
    again = socket.create_connection((HOST, PORT))
    report("conns_served_after_one_left",
           get(again).startswith(b"HTTP/1.1 200"))


{"bodies": bodies, "answers": answers, "conns": conns}[sys.argv[1]]()
