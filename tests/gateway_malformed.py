#!/usr/bin/python3
"""gateway_malformed.py: malformed and hostile HTTP against one fnd.

usage: gateway_malformed.py HOST PORT

fnd must run with --header-timeout 1 --body-timeout 1. Every case must end
in a 4xx answer or a closed connection within its deadline (never a 2xx,
3xx or 5xx, never a hang), and fnd must then still answer a normal
request. Prints PASS/FAIL per case; exits 1 if any failed.
"""
import random
import socket
import sys
import time

HOST = sys.argv[1]
PORT = int(sys.argv[2])
DEADLINE = 5.0  # seconds a case may take to be answered or closed

H = b"Host: t\r\n"
failed = False


def report(name, ok, why=""):
    global failed
    if ok:
        print("PASS malformed_" + name)
    else:
        failed = True
        print("FAIL malformed_%s: %s" % (name, why))
    sys.stdout.flush()


def read_response(sock, deadline):
    """One response: (status or None, closed, raw). Waits for the end of
    the body per Content-Length, for the connection to close, or for the
    deadline (closed False, status None: a hang)."""
    buf = b""
    while time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except (ConnectionResetError, BrokenPipeError):
            return parse_status(buf), True, buf
        if not chunk:
            return parse_status(buf), True, buf
        buf += chunk
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            continue
        status = parse_status(buf)
        if status is not None and 100 <= status < 200:
            buf = buf[end + 4:]
            continue
        length = 0
        for line in buf[:end].split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        if len(buf) >= end + 4 + length:
            return status, False, buf
    return parse_status(buf), False, buf


def parse_status(buf):
    if not buf.startswith(b"HTTP/1.1 "):
        return None
    try:
        return int(buf[9:12])
    except ValueError:
        return None


def send_parts(sock, parts):
    """parts: bytes, or (delay_seconds, bytes), or "shut" (end of input)."""
    for p in parts:
        try:
            if p == "shut":
                sock.shutdown(socket.SHUT_WR)
            elif isinstance(p, tuple):
                time.sleep(p[0])
                sock.sendall(p[1])
            else:
                sock.sendall(p)
        except (BrokenPipeError, ConnectionResetError):
            return  # fnd gave up on us first: the answer is what counts


def verdict(status, closed):
    if status is not None:
        return 400 <= status < 500, "status %d" % status
    if closed:
        return True, ""
    return False, "neither answered nor closed in %.0f s" % DEADLINE


def still_serving():
    s = socket.create_connection((HOST, PORT), timeout=3)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    status, _, _ = read_response(s, time.time() + 3)
    s.close()
    return status == 200


def run(name, parts, expect=None, deadline=DEADLINE):
    """expect: a set of statuses that must come back, or None for any 4xx
    or a close."""
    t0 = time.time()
    s = socket.create_connection((HOST, PORT), timeout=3)
    send_parts(s, parts)
    status, closed, raw = read_response(s, t0 + deadline)
    s.close()
    if expect is not None:
        ok = status in expect
        why = "want %s, got %s" % (sorted(expect), status)
    else:
        ok, why = verdict(status, closed)
    if ok and not still_serving():
        ok, why = False, "fnd did not answer a normal request afterwards"
    report(name, ok, why)


def req(line, headers=H, body=b""):
    return line + b"\r\n" + headers + b"\r\n" + body


def chunked(body_parts, extra=b""):
    return (b"POST /healthz HTTP/1.1\r\n" + H +
            b"Transfer-Encoding: chunked\r\n" + extra + b"\r\n" +
            body_parts)


rng = random.Random(7)
big = b"x" * 70000
chunks = b"".join(b"%x\r\n%s\r\n" % (1000, b"y" * 1000) for _ in range(70))

cases = [
    # request lines
    ("garbage_line", [b"HELLO\r\n\r\n"]),
    ("no_version", [b"GET /healthz\r\n\r\n"]),
    ("bad_version", [req(b"GET /healthz HTTP/9.9")]),
    ("version_garbage", [req(b"GET /healthz HTTP/1.x")]),
    ("lowercase_method", [req(b"get /healthz HTTP/1.1")]),
    ("unknown_method", [req(b"FROB /healthz HTTP/1.1")]),
    ("method_20k", [req(b"G" * 20000 + b" /healthz HTTP/1.1")]),
    ("space_in_target", [req(b"GET /heal thz HTTP/1.1")]),
    ("target_not_origin", [req(b"GET healthz HTTP/1.1")]),
    ("url_too_long", [req(b"GET /healthz?q=" + b"a" * 9000 + b" HTTP/1.1")],
     {414}),
    ("nul_in_request_line", [req(b"GET /heal\x00thz HTTP/1.1")]),
    ("bare_cr_line_ends", [b"GET /healthz HTTP/1.1\rHost: t\r\r"]),
    # headers
    ("header_20k_value", [req(b"GET /healthz HTTP/1.1",
                              H + b"X-A: " + b"v" * 20000 + b"\r\n")],
     {431}),
    ("header_20k_name", [req(b"GET /healthz HTTP/1.1",
                             H + b"X" * 20000 + b": v\r\n")], {431}),
    ("headers_500", [req(b"GET /healthz HTTP/1.1",
                         H + b"".join(b"X-%d: v\r\n" % i
                                      for i in range(500)))], {431}),
    ("header_no_colon", [req(b"GET /healthz HTTP/1.1", H + b"X-A v\r\n")]),
    ("space_before_colon", [req(b"GET /healthz HTTP/1.1",
                                H + b"X-A : v\r\n")]),
    ("obs_fold", [req(b"GET /healthz HTTP/1.1", H + b"X-A: a\r\n b\r\n")]),
    ("obs_fold_after_empty", [req(b"GET /healthz HTTP/1.1",
                                  H + b"X-A:\r\n b\r\n")]),
    ("bad_header_name", [req(b"GET /healthz HTTP/1.1", H + b"X(A): v\r\n")]),
    ("nul_in_header_value", [req(b"GET /healthz HTTP/1.1",
                                 H + b"X-A: a\x00b\r\n")]),
    ("nul_in_header_name", [req(b"GET /healthz HTTP/1.1",
                                H + b"X-\x00A: b\r\n")]),
    ("cr_in_header_value", [req(b"GET /healthz HTTP/1.1",
                                H + b"X-A: a\rb\r\n")]),
    ("no_host", [req(b"GET /healthz HTTP/1.1", b"")], {400}),
    ("two_hosts", [req(b"GET /healthz HTTP/1.1", H + b"Host: u\r\n")],
     {400}),
    ("expect_unknown", [req(b"POST /healthz HTTP/1.1",
                            H + b"Expect: teapot\r\nContent-Length: 1\r\n",
                            b"x")], {417}),
    # framing of the body
    ("content_length_conflict", [req(b"POST /healthz HTTP/1.1",
                                     H + b"Content-Length: 5\r\n"
                                     b"Content-Length: 6\r\n", b"hello!")]),
    ("content_length_twice", [req(b"POST /healthz HTTP/1.1",
                                  H + b"Content-Length: 5\r\n"
                                  b"Content-Length: 5\r\n", b"hello")]),
    ("content_length_and_chunked", [chunked(b"5\r\nhello\r\n0\r\n\r\n",
                                            b"Content-Length: 5\r\n")]),
    ("content_length_negative", [req(b"POST /healthz HTTP/1.1",
                                     H + b"Content-Length: -1\r\n")]),
    ("content_length_letters", [req(b"POST /healthz HTTP/1.1",
                                    H + b"Content-Length: 12ab\r\n")]),
    ("content_length_space", [req(b"POST /healthz HTTP/1.1",
                                  H + b"Content-Length: 1 2\r\n")]),
    ("content_length_overflow", [req(b"POST /healthz HTTP/1.1",
                                     H + b"Content-Length: "
                                     b"99999999999999999999999\r\n")]),
    ("content_length_too_big", [req(b"POST /healthz HTTP/1.1",
                                    H + b"Content-Length: 70000\r\n", big)],
     {413}),
    ("chunk_size_not_hex", [chunked(b"zz\r\nhello\r\n0\r\n\r\n")]),
    ("chunk_size_overflow", [chunked(b"fffffffffffffffffffff\r\nx\r\n")]),
    ("chunk_missing_crlf", [chunked(b"5\r\nhelloXX0\r\n\r\n")]),
    ("chunk_negative", [chunked(b"-5\r\nhello\r\n0\r\n\r\n")]),
    ("chunked_too_big", [chunked(chunks + b"0\r\n\r\n")], {413}),
    ("te_chunked_not_last", [req(b"POST /healthz HTTP/1.1",
                                 H + b"Transfer-Encoding: chunked, gzip\r\n",
                                 b"0\r\n\r\n")]),
    ("te_unknown", [req(b"POST /healthz HTTP/1.1",
                        H + b"Transfer-Encoding: frob\r\n", b"x")]),
    ("te_empty_with_cl", [req(b"POST /healthz HTTP/1.1",
                              H + b"Transfer-Encoding:\r\n"
                              b"Content-Length: 3\r\n", b"abc")]),
    # truncated input and slow clients (timeouts are 1 s in this test)
    ("eof_in_headers", [b"GET /healthz HTTP/1.1\r\nHost: t\r\n", "shut"]),
    ("eof_in_body", [req(b"POST /healthz HTTP/1.1",
                         H + b"Content-Length: 100\r\n", b"0123456789"),
                     "shut"]),
    ("eof_in_chunk", [chunked(b"10\r\nabc"), "shut"]),
    ("slow_headers", [(0.3 * (i > 0), bytes([c]))
                      for i, c in enumerate(b"GET /healthz HTTP/1.1\r\n"
                                            b"Host: t\r\n\r\n")]),
    ("slow_body", [req(b"POST /healthz HTTP/1.1",
                       H + b"Content-Length: 10\r\n", b"abc")], {408}),
    # never silent for the 1 s body timeout, but 20 bytes in 5 s is far
    # under the minimum rate: 408 when the whole body is due (1 s), not
    # an answer once the last byte is in
    ("trickled_body", [req(b"POST /healthz HTTP/1.1",
                           H + b"Content-Length: 20\r\n", b"a")] +
     [(0.25, b"b")] * 19, {408}, 12),
    ("idle_connection", []),
    # not HTTP/1.x at all
    ("binary_garbage", [bytes(rng.randrange(256) for _ in range(4096))]),
    ("tls_client_hello", [b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" +
                          bytes(rng.randrange(256) for _ in range(200))]),
    ("http2_preface", [b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"]),
]

for c in cases:
    run(*c)


def pipelined_then_garbage():
    """A good request then garbage on one connection: 200, then 4xx or a
    close."""
    s = socket.create_connection((HOST, PORT), timeout=3)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\nGARBAGE\r\n\r\n")
    deadline = time.time() + DEADLINE
    first, _, _ = read_response(s, deadline)
    second, closed, _ = read_response(s, deadline)
    s.close()
    ok, why = verdict(second, closed)
    report("pipelined_then_garbage", first == 200 and ok,
           "first %s, then %s" % (first, why or second))


def connection_flood():
    """300 connections at once, each sending half a request line: fnd
    keeps serving and closes them all at the header timeout."""
    socks = []
    for _ in range(300):
        s = socket.create_connection((HOST, PORT), timeout=3)
        s.sendall(b"GET /hea")
        socks.append(s)
    ok = still_serving()
    deadline = time.time() + DEADLINE
    open_left = 0
    for s in socks:
        status, closed, _ = read_response(s, deadline)
        open_left += not verdict(status, closed)[0]
        s.close()
    report("connection_flood_300", ok and open_left == 0,
           "served during flood: %s, left open: %d" % (ok, open_left))


pipelined_then_garbage()
connection_flood()
report("still_serving_at_end", still_serving(), "no answer to /healthz")
sys.exit(1 if failed else 0)
