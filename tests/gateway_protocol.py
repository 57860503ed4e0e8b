#!/usr/bin/python3
"""gateway_protocol.py: the HTTP/1.1 fnd must get right, on raw sockets.

usage: gateway_protocol.py HOST PORT TOKEN

Expects function "echo" (functions/echo) deployed with --max-body 1000.
Prints PASS/FAIL per case; exits 1 if any failed.
"""
import json
import socket
import sys
import time

HOST, PORT, TOKEN = sys.argv[1], int(sys.argv[2]), sys.argv[3]
failed = False


def report(name, ok, why=""):
    global failed
    failed |= not ok
    print(("PASS http_%s" % name) if ok else ("FAIL http_%s: %s" % (name, why)))
    sys.stdout.flush()


class Conn:
    def __init__(self):
        self.s = socket.create_connection((HOST, PORT), timeout=5)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def _fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def response(self, head=False):
        """(status, headers dict with lower-case names, body)."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        raw, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = raw.decode().split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = 0 if head or status in (100, 204, 304) else \
            int(hdrs.get("content-length", 0))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, hdrs, body

    def closed(self):
        """True if the peer closes the connection within 2 s."""
        self.s.settimeout(2)
        try:
            while True:
                if not self.s.recv(65536):
                    return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True


def get(path, extra=b"", version=b"HTTP/1.1"):
    return b"GET " + path + b" " + version + b"\r\nHost: t\r\n" + extra + b"\r\n"


def case(name, fn):
    try:
        ok, why = fn()
    except Exception as e:  # a crash of the case is its failure
        ok, why = False, "%s: %s" % (type(e).__name__, e)
    report(name, ok, why)


def keep_alive():
    c = Conn()
    codes = []
    for _ in range(3):
        c.send(get(b"/healthz"))
        codes.append(c.response()[0])
    return codes == [200] * 3, str(codes)


def pipelined():
    c = Conn()
    c.send(b"".join(get(b"/fn/echo/%d" % i) for i in range(5)))
    paths = [json.loads(c.response()[2])["path"] for _ in range(5)]
    want = ["/fn/echo/%d" % i for i in range(5)]
    return paths == want, str(paths)


def chunked_body():
    c = Conn()
    c.send(b"POST /fn/echo HTTP/1.1\r\nHost: t\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n"
           b"5\r\nhello\r\n1;ext=1\r\n,\r\n6\r\n world\r\n0\r\n"
           b"X-Trailer: dropped\r\n\r\n")
    status, _, body = c.response()
    got = json.loads(body)["body"] if status == 200 else body
    return got == "hello, world", "%d %r" % (status, got)


def expect_continue():
    c = Conn()
    c.send(b"POST /fn/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
           b"Expect: 100-continue\r\n\r\n")
    first = c.response()[0]
    c.send(b"ping")
    status, _, body = c.response()
    return (first, status, json.loads(body)["body"]) == (100, 200, "ping"), \
        "%s %s" % (first, status)


def expect_too_big():
    """Past the function's own limit: 413 at once, no 100 Continue."""
    c = Conn()
    c.send(b"POST /fn/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n"
           b"Expect: 100-continue\r\n\r\n")
    status = c.response()[0]
    return status == 413, str(status)


def expect_unauthorized():
    """A deploy without the token: 401 before the image is sent."""
    c = Conn()
    c.send(b"PUT /api/v1/functions/x HTTP/1.1\r\nHost: t\r\n"
           b"Content-Length: 5000000\r\nExpect: 100-continue\r\n\r\n")
    status, hdrs, _ = c.response()
    return (status == 401 and "bearer" in hdrs.get("www-authenticate", "")
            .lower() and c.closed()), str(status)


def head():
    c = Conn()
    c.send(b"HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    status, hdrs, _ = c.response(head=True)
    c.send(get(b"/healthz"))  # nothing of a body came between the two
    status2, _, body = c.response()
    return (status, status2, int(hdrs["content-length"]) > 0,
            body.startswith(b"{")) == (200, 200, True, True), str(hdrs)


def options_star():
    c = Conn()
    c.send(b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n")
    status, hdrs, _ = c.response()
    return status == 204 and "GET" in hdrs.get("allow", ""), str(status)


def options_admin():
    c = Conn()
    c.send(b"OPTIONS /api/v1/functions HTTP/1.1\r\nHost: t\r\n\r\n")
    status, hdrs, _ = c.response()
    return status == 204 and "POST" in hdrs.get("allow", ""), str(status)


def http10_closes():
    c = Conn()
    c.send(b"GET /healthz HTTP/1.0\r\n\r\n")
    status = c.response()[0]
    return status == 200 and c.closed(), str(status)


def http10_keep_alive():
    c = Conn()
    c.send(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    status, hdrs, _ = c.response()
    c.send(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    status2 = c.response()[0]
    return (status, status2, hdrs.get("connection", "").lower()) == \
        (200, 200, "keep-alive"), str(hdrs)


def connection_close():
    c = Conn()
    c.send(get(b"/healthz", b"Connection: close\r\n"))
    status, hdrs, _ = c.response()
    return (status == 200 and hdrs.get("connection") == "close" and
            c.closed()), str(hdrs)


def request_id_echoed():
    c = Conn()
    c.send(get(b"/fn/echo", b"X-Request-Id: trace-42\r\n"))
    status, hdrs, _ = c.response()
    return hdrs.get("x-request-id") == "trace-42", str(hdrs)


def error_json_after_keepalive():
    """An error answer (404) keeps the connection usable."""
    c = Conn()
    c.send(get(b"/fn/nosuch"))
    status, hdrs, body = c.response()
    err = json.loads(body).get("error")
    c.send(get(b"/healthz"))
    return (status, err, c.response()[0]) == (404, "unknown_function", 200), \
        "%s %s" % (status, body)


def idle_kept_then_used():
    c = Conn()
    c.send(get(b"/healthz"))
    c.response()
    time.sleep(0.5)
    c.send(get(b"/healthz"))
    return c.response()[0] == 200, "second request failed"


def empty_header_value():
    """A header may have an empty value (RFC 9110 5.5; S3 clients send
    empty user metadata so)."""
    c = Conn()
    c.send(get(b"/healthz", b"X-Empty:\r\nX-Blank: \r\nX-Tab:\t\r\n"))
    first = c.response()[0]
    c.send(get(b"/healthz"))
    return (first, c.response()[0]) == (200, 200), str(first)


for n, f in [("keep_alive", keep_alive), ("pipelined_in_order", pipelined),
             ("chunked_body", chunked_body),
             ("expect_100_continue", expect_continue),
             ("expect_413_before_body", expect_too_big),
             ("expect_401_before_body", expect_unauthorized),
             ("head_no_body", head), ("options_star", options_star),
             ("options_admin", options_admin),
             ("http10_closes", http10_closes),
             ("http10_keep_alive", http10_keep_alive),
             ("connection_close", connection_close),
             ("request_id_echoed", request_id_echoed),
             ("error_keeps_connection", error_json_after_keepalive),
             ("idle_then_reused", idle_kept_then_used),
             ("empty_header_value", empty_header_value)]:
    case(n, f)
sys.exit(1 if failed else 0)
