#!/usr/bin/python3
"""sigv4_vectors.py: signed S3 requests for tests/test_sigv4.c.

The requests are signed here by an implementation that is not ours:
botocore's SigV4 signers (S3SigV4Auth for the Authorization header,
S3SigV4QueryAuth for presigned URLs), run with Debian's /usr/bin/python3 and
python3-botocore. botocore has no signer for aws-chunked bodies, so the
chunk signatures of the streaming vector are computed below from the
SigV4 streaming specification with hmac/hashlib, on top of a seed request
signed by botocore. The C test checks that gw_sigv4_verify accepts every
vector and rejects tampered copies.

Output, one vector after another (values hex-encoded, so nothing needs
escaping):
    vector NAME
    now UNIX-SECONDS
    method METHOD
    path HEX
    query HEX            (absent: no query)
    header NAME HEX      (repeated)
    body HEX
    end
Keys: access key id "AKIDMAYFLYTEST000001", secret below.
"""
import datetime
import hashlib
import hmac
import sys
from urllib.parse import quote, urlsplit

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AKID = "AKIDMAYFLYTEST000001"
SECRET = "mayfly/TEST+secret0123456789abcdefghijkl"
REGION = "us-east-1"
ENDPOINT = "http://127.0.0.1:19090"
CREDS = Credentials(AKID, SECRET)


class S3Config:
    """Stands in for botocore's client config: only `s3` is read."""

    def __init__(self, s3):
        self.s3 = s3


def emit(name, req, body, now):
    url = urlsplit(req.url)
    out = [f"vector {name}", f"now {now}", f"method {req.method}",
           f"path {url.path.encode().hex()}"]
    if url.query:
        out.append(f"query {url.query.encode().hex()}")
    out.append(f"header host {url.netloc.encode().hex()}")
    for k, v in req.headers.items():
        out.append(f"header {k.lower()} {str(v).encode().hex()}")
    out.append(f"body {body.hex()}")
    out.append("end")
    print("\n".join(out))


def timestamp(req):
    t = datetime.datetime.strptime(req.context["timestamp"],
                                   "%Y%m%dT%H%M%SZ")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp())


def header_signed(name, method, path, body=b"", headers=None, query="",
                  unsigned=False):
    url = ENDPOINT + quote(path, safe="/~") + ("?" + query if query else "")
    req = AWSRequest(method=method, url=url, data=body,
                     headers=dict(headers or {}))
    if unsigned:
        req.context["client_config"] = S3Config(
            {"payload_signing_enabled": False})
    S3SigV4Auth(CREDS, "s3", REGION).add_auth(req)
    emit(name, req, body, timestamp(req))


def presigned(name, method, path, query=""):
    url = ENDPOINT + quote(path, safe="/~") + ("?" + query if query else "")
    req = AWSRequest(method=method, url=url)
    S3SigV4QueryAuth(CREDS, "s3", REGION, expires=3600).add_auth(req)
    emit(name, req, b"", timestamp(req))


def hmac256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(date):
    k = hmac256(("AWS4" + SECRET).encode(), date)
    for part in (REGION, "s3", "aws4_request"):
        k = hmac256(k, part)
    return k


def streaming(name, path, data, chunk):
    """A PUT with STREAMING-AWS4-HMAC-SHA256-PAYLOAD: the seed signature
    from botocore's generic signer, the chunk chain computed here."""
    headers = {
        "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(data)),
    }
    req = AWSRequest(method="PUT", url=ENDPOINT + path, headers=headers)
    SigV4Auth(CREDS, "s3", REGION).add_auth(req)
    ts = req.context["timestamp"]
    seed = req.headers["Authorization"].rsplit("Signature=", 1)[1]
    key = signing_key(ts[:8])
    scope = f"{ts[:8]}/{REGION}/s3/aws4_request"
    empty = hashlib.sha256(b"").hexdigest()
    prev, body = seed, b""
    pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]
    for piece in pieces:
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", ts, scope, prev, empty,
                         hashlib.sha256(piece).hexdigest()])
        prev = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        body += b"%x;chunk-signature=%s\r\n" % (len(piece), prev.encode())
        body += piece + b"\r\n"
    emit(name, req, body, timestamp(req))


def main():
    header_signed("get_range", "GET", "/photos/cat.txt",
                  headers={"Range": "bytes=0-9"})
    header_signed("put_signed", "PUT", "/docs/dir/a b+c~\u00e9!.txt",
                  body=b"hello, world\n" * 50,
                  headers={"Content-Type": "text/plain",
                           "X-Amz-Meta-Note": "  two  spaces  "})
    header_signed("list_v2", "GET", "/docs",
                  query="delimiter=%2F&encoding-type=url&list-type=2"
                        "&prefix=dir%2Fa%20b")
    header_signed("put_unsigned", "PUT", "/docs/big.bin",
                  body=bytes(range(256)) * 8, unsigned=True)
    header_signed("list_buckets", "GET", "/")
    presigned("presigned_get", "GET", "/docs/dir/a b.txt")
    presigned("presigned_query", "GET", "/docs",
              query="list-type=2&prefix=x")
    streaming("streaming_put", "/docs/stream.txt",
              b"0123456789abcdef" * 300, 1024)
    return 0


if __name__ == "__main__":
    sys.exit(main())
