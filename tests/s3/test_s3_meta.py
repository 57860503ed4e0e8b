#!/usr/bin/python3
"""test_s3_meta.py: object metadata and virtual-hosted-style addressing.

Uses the harness of test_s3.py (one fnd on free loopback ports, a
throwaway data folder, the real clients with settings made here). User
metadata (x-amz-meta-*) and the system headers S3 keeps go in with
boto3, awscli and s3cmd and come back on HeadObject and GetObject;
CopyObject copies or replaces them; a multipart upload gives them to its
object; S3's 2 KB limit; response-* overrides, presigned too.

Virtual-hosted style runs on a second fnd started with --s3-domain
s3.localhost. Names under .localhost need not resolve (on the machine
this was written on, `getent hosts b.s3.localhost` finds nothing), and
the test must not depend on the resolver or touch /etc/hosts: boto3 signs
each request for http://BUCKET.s3.localhost:PORT as usual, and a
before-send hook delivers it to 127.0.0.1:PORT with that Host header.
Raw requests signed with botocore's signer do the same.

Prints one line per case, "PASS name", "FAIL name: reason" or
"SKIP name: reason"; exits 1 if any case failed.
"""
import base64
import datetime
import http.client
import io
import os
import shutil
import subprocess
import sys
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_s3  # noqa: E402
from test_s3 import (FNCTL, Fnd, ensure_bucket, object_missing,  # noqa: E402
                     signed_headers_request, raw_put)

CASES = []
EXPIRES = datetime.datetime(2037, 1, 2, 3, 4, 5,
                            tzinfo=datetime.timezone.utc)
SYSTEM = {"ContentType": "text/x-meta; charset=utf-8",
          "CacheControl": "max-age=60, must-revalidate",
          "ContentDisposition": 'attachment; filename="report.txt"',
          "ContentEncoding": "gzip",
          "ContentLanguage": "de-CH",
          "Expires": EXPIRES}
USER = {"color": "blue", "mixed-case": "Value With  Spaces",
        "empty": "", "json": '{"a": [1, 2]}'}


def case(name, kvm=False):
    def register(fn):
        CASES.append((name, fn, kvm))
        return fn
    return register


def error_code(fn, **kw):
    """Calls fn, which must fail; returns the S3 error code."""
    from botocore.exceptions import ClientError
    try:
        fn(**kw)
    except ClientError as err:
        return err.response["Error"]["Code"]
    raise AssertionError(f"{fn.__name__} succeeded")


def check_meta(got, system, user):
    """got (a head_object or get_object answer) has exactly these system
    headers and this user metadata."""
    for name in ("ContentType", "CacheControl", "ContentDisposition",
                 "ContentEncoding", "ContentLanguage", "Expires"):
        want = system.get(name)
        if name == "ContentType" and want is None:
            want = "binary/octet-stream"
        assert got.get(name) == want, (name, got.get(name), want)
    assert got["Metadata"] == user, (got["Metadata"], user)


# ---- Metadata, path style --------------------------------------------------

@case("s3_meta_boto3_put_head_get")
def t_boto3(e):
    s3 = e.boto3()
    ensure_bucket(e, "meta")
    meta = dict(USER, **{"Mixed-Case": USER["mixed-case"]})
    del meta["mixed-case"]
    s3.put_object(Bucket="meta", Key="k", Body=b"body", Metadata=meta,
                  **SYSTEM)
    check_meta(s3.head_object(Bucket="meta", Key="k"), SYSTEM, USER)
    g = s3.get_object(Bucket="meta", Key="k")
    assert g["Body"].read() == b"body"
    check_meta(g, SYSTEM, USER)
    g = s3.get_object(Bucket="meta", Key="k", Range="bytes=1-2")
    assert g["Body"].read() == b"od"
    check_meta(g, SYSTEM, USER)
    # A new version has only what it was written with.
    s3.put_object(Bucket="meta", Key="k", Body=b"v2")
    check_meta(s3.head_object(Bucket="meta", Key="k"), {}, {})
    s3.put_object(Bucket="meta", Key="k", Body=b"v3", Metadata={"a": "1"})
    s3.delete_object(Bucket="meta", Key="k")
    s3.put_object(Bucket="meta", Key="k", Body=b"v4")
    check_meta(s3.head_object(Bucket="meta", Key="k"), {}, {})


@case("s3_meta_duplicate_headers_joined")
def t_duplicates(e):
    """Two headers of one metadata name become one value, joined with
    ',' as S3 does."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest, HTTPHeaders
    from botocore.credentials import Credentials
    path = "/meta/dup"
    headers = HTTPHeaders()
    headers["x-amz-meta-dup"] = "a"
    headers["x-amz-meta-other"] = "x"
    headers["x-amz-meta-dup"] = "b"
    req = AWSRequest(method="PUT", url=e.fnd.s3_url + path, data=b"d")
    req.headers = headers
    S3SigV4Auth(Credentials(e.key_id, e.secret), "s3",
                "us-east-1").add_auth(req)
    c = http.client.HTTPConnection("127.0.0.1", e.fnd.s3_port, timeout=10)
    c.putrequest("PUT", path, skip_accept_encoding=True)
    for name, value in req.headers.items():
        c.putheader(name, value)
    c.putheader("Content-Length", "1")
    c.endheaders(b"d")
    r = c.getresponse()
    body = r.read()
    c.close()
    assert r.status == 200, (r.status, body)
    got = e.boto3().head_object(Bucket="meta", Key="dup")["Metadata"]
    assert got == {"dup": "a,b", "other": "x"}, got


@case("s3_meta_aws_chunked_encoding")
def t_aws_chunked(e):
    """aws-chunked in Content-Encoding is the request's framing: it is not
    kept, the rest is."""
    data = b"chunked body " * 100
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big"))
    body = b"%x\r\n%s\r\n0\r\nx-amz-checksum-crc32:%s\r\n\r\n" % (
        len(data), data, crc)
    for key, sent, kept in (("enc-gzip", "aws-chunked, gzip", "gzip"),
                            ("enc-none", "aws-chunked", None)):
        headers = {
            "X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "Content-Encoding": sent,
            "X-Amz-Trailer": "x-amz-checksum-crc32",
            "X-Amz-Decoded-Content-Length": str(len(data))}
        h, _, _ = signed_headers_request(e, "/meta/" + key, headers)
        status, out = raw_put(e, "/meta/" + key, h, body)
        assert status == 200, (status, out)
        got = e.boto3().head_object(Bucket="meta", Key=key)
        assert got.get("ContentEncoding") == kept, (sent, got)


@case("s3_meta_too_large")
def t_too_large(e):
    """S3 counts the bytes of each name (after x-amz-meta-) and value:
    2048 in all pass, one more is MetadataTooLarge and nothing is
    stored."""
    s3 = e.boto3()
    s3.put_object(Bucket="meta", Key="big-ok", Body=b"",
                  Metadata={"k": "v" * 2047})
    got = s3.head_object(Bucket="meta", Key="big-ok")["Metadata"]
    assert got == {"k": "v" * 2047}, len(got.get("k", ""))
    s3.put_object(Bucket="meta", Key="big-ok", Body=b"",
                  Metadata={"a": "x" * 1000, "b": "y" * 1046})
    for meta in ({"k": "v" * 2048}, {"a": "x" * 1000, "b": "y" * 1047},
                 {f"k{i:02d}": "v" * 100 for i in range(20)}):
        assert error_code(s3.put_object, Bucket="meta", Key="big-bad",
                          Body=b"", Metadata=meta) == "MetadataTooLarge"
        assert error_code(s3.create_multipart_upload, Bucket="meta",
                          Key="big-bad", Metadata=meta) == "MetadataTooLarge"
        assert error_code(s3.copy_object, Bucket="meta", Key="big-bad",
                          CopySource="meta/big-ok",
                          MetadataDirective="REPLACE",
                          Metadata=meta) == "MetadataTooLarge"
    assert object_missing(e, "meta", "big-bad"), "the object was stored"
    ups = s3.list_multipart_uploads(Bucket="meta").get("Uploads", [])
    assert not ups, ups


@case("s3_meta_copy_directive")
def t_copy(e):
    s3 = e.boto3()
    s3.put_object(Bucket="meta", Key="src", Body=b"source", Metadata=USER,
                  **SYSTEM)
    s3.copy_object(Bucket="meta", Key="copy", CopySource="meta/src")
    check_meta(s3.head_object(Bucket="meta", Key="copy"), SYSTEM, USER)
    s3.copy_object(Bucket="meta", Key="copy2", CopySource="meta/src",
                   MetadataDirective="COPY", Metadata={"ignored": "1"},
                   ContentType="ignored/type")
    check_meta(s3.head_object(Bucket="meta", Key="copy2"), SYSTEM, USER)
    new = {"ContentType": "text/new", "CacheControl": "no-cache"}
    s3.copy_object(Bucket="meta", Key="copy", CopySource="meta/src",
                   MetadataDirective="REPLACE", Metadata={"new": "yes"},
                   **new)
    check_meta(s3.head_object(Bucket="meta", Key="copy"), new,
               {"new": "yes"})
    assert s3.get_object(Bucket="meta", Key="copy")["Body"].read() == \
        b"source"
    s3.copy_object(Bucket="meta", Key="copy", CopySource="meta/src",
                   MetadataDirective="REPLACE")
    check_meta(s3.head_object(Bucket="meta", Key="copy"), {}, {})
    # Replacing an object's own metadata, as `s3cmd modify` does.
    s3.copy_object(Bucket="meta", Key="src", CopySource="meta/src",
                   MetadataDirective="REPLACE", Metadata={"v": "2"})
    check_meta(s3.head_object(Bucket="meta", Key="src"), {}, {"v": "2"})
    assert error_code(s3.copy_object, Bucket="meta", Key="copy",
                      CopySource="meta/src",
                      MetadataDirective="MERGE") == "InvalidArgument"


@case("s3_meta_multipart")
def t_multipart(e):
    s3 = e.boto3()
    up = s3.create_multipart_upload(Bucket="meta", Key="mp", Metadata=USER,
                                    **SYSTEM)
    parts = [os.urandom(5 << 20), b"tail"]
    etags = [s3.upload_part(Bucket="meta", Key="mp", PartNumber=n + 1,
                            UploadId=up["UploadId"], Body=p)["ETag"]
             for n, p in enumerate(parts)]
    s3.complete_multipart_upload(
        Bucket="meta", Key="mp", UploadId=up["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": t}
                                   for n, t in enumerate(etags)]})
    check_meta(s3.head_object(Bucket="meta", Key="mp"), SYSTEM, USER)


@case("s3_meta_response_overrides")
def t_overrides(e):
    """response-* query parameters override the stored headers in a
    GetObject answer, signed in the header or presigned."""
    s3 = e.boto3()
    s3.put_object(Bucket="meta", Key="doc", Body=b"document",
                  Metadata={"m": "1"}, **SYSTEM)
    g = s3.get_object(Bucket="meta", Key="doc",
                      ResponseContentType="application/x-over",
                      ResponseCacheControl="no-store")
    want = dict(SYSTEM, ContentType="application/x-over",
                CacheControl="no-store")
    check_meta(g, want, {"m": "1"})
    over = {"ResponseContentDisposition": 'inline; filename="r t.txt"',
            "ResponseContentType": "text/plain",
            "ResponseContentLanguage": "nl",
            "ResponseContentEncoding": "identity",
            "ResponseExpires": datetime.datetime(
                2040, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc),
            "ResponseCacheControl": "private"}
    url = s3.generate_presigned_url(
        "get_object", Params=dict(Bucket="meta", Key="doc", **over),
        ExpiresIn=60)
    assert "response-content-disposition=" in url, url
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection("127.0.0.1", e.fnd.s3_port, timeout=10)
    c.request("GET", u.path + "?" + u.query)
    r = c.getresponse()
    body = r.read()
    c.close()
    assert r.status == 200 and body == b"document", (r.status, body)
    assert r.getheader("Content-Disposition") == \
        'inline; filename="r t.txt"', r.getheaders()
    assert r.getheader("Content-Type") == "text/plain", r.getheaders()
    assert r.getheader("Content-Language") == "nl", r.getheaders()
    assert r.getheader("Content-Encoding") == "identity", r.getheaders()
    assert r.getheader("Cache-Control") == "private", r.getheaders()
    assert r.getheader("Expires") == "Sun, 06 May 2040 07:08:09 GMT", \
        r.getheaders()
    assert r.getheader("x-amz-meta-m") == "1", r.getheaders()
    # Without overrides the stored headers come back.
    check_meta(s3.get_object(Bucket="meta", Key="doc"), SYSTEM, {"m": "1"})
    assert error_code(s3.get_object, Bucket="meta", Key="doc",
                      ResponseContentType="a\r\nb") == "InvalidArgument"


@case("s3_meta_awscli")
def t_awscli(e):
    import json
    path = os.path.join(e.tmp, "cli.txt")
    with open(path, "wb") as f:
        f.write(b"from awscli\n")
    e.aws("s3", "cp", path, "s3://meta/cli.txt",
          "--metadata", "color=red,size=L",
          "--content-type", "text/x-cli",
          "--cache-control", "max-age=600",
          "--content-disposition", 'attachment; filename="c.txt"',
          "--content-language", "fr")

    def head(key):
        return json.loads(e.aws("s3api", "head-object", "--bucket", "meta",
                                "--key", key).stdout)
    want = {"Metadata": {"color": "red", "size": "L"},
            "ContentType": "text/x-cli", "CacheControl": "max-age=600",
            "ContentDisposition": 'attachment; filename="c.txt"',
            "ContentLanguage": "fr"}
    got = head("cli.txt")
    assert {k: got.get(k) for k in want} == want, got
    # An S3-to-S3 copy keeps them; with REPLACE it takes the new ones.
    e.aws("s3", "cp", "s3://meta/cli.txt", "s3://meta/cli-copy.txt")
    got = head("cli-copy.txt")
    assert {k: got.get(k) for k in want} == want, got
    e.aws("s3", "cp", "s3://meta/cli.txt", "s3://meta/cli-repl.txt",
          "--metadata-directive", "REPLACE", "--metadata", "new=1",
          "--content-type", "a/b")
    got = head("cli-repl.txt")
    assert got["Metadata"] == {"new": "1"} and \
        got["ContentType"] == "a/b" and "CacheControl" not in got, got
    # Past awscli's multipart threshold (8 MiB) the metadata goes with
    # CreateMultipartUpload.
    big = os.path.join(e.tmp, "cli-big.bin")
    with open(big, "wb") as f:
        f.write(os.urandom(9 << 20))
    e.aws("s3", "cp", big, "s3://meta/cli-big.bin", "--metadata", "part=y",
          "--content-type", "application/x-big")
    got = head("cli-big.bin")
    assert got["Metadata"] == {"part": "y"} and \
        got["ContentType"] == "application/x-big" and \
        got["ETag"].endswith('-2"'), got


@case("s3_meta_s3cmd")
def t_s3cmd(e):
    path = os.path.join(e.tmp, "s3cmd.txt")
    with open(path, "wb") as f:
        f.write(b"from s3cmd\n")
    e.s3cmd("put", path, "s3://meta/s3cmd.txt",
            "--mime-type=text/x-s3cmd",
            "--add-header=Cache-Control:max-age=5",
            "--add-header=Content-Language:en",
            "--add-header=x-amz-meta-team:green")
    got = e.boto3().head_object(Bucket="meta", Key="s3cmd.txt")
    assert got["ContentType"] == "text/x-s3cmd", got
    assert got["CacheControl"] == "max-age=5", got
    assert got["ContentLanguage"] == "en", got
    assert got["Metadata"].get("team") == "green", got["Metadata"]
    # s3cmd keeps its file attributes in x-amz-meta-s3cmd-attrs and reads
    # them back (the MD5 among them) on info.
    assert "s3cmd-attrs" in got["Metadata"], got["Metadata"]
    info = e.s3cmd("info", "s3://meta/s3cmd.txt").stdout
    assert "text/x-s3cmd" in info and "x-amz-meta-team: green" in info, \
        info
    out = os.path.join(e.tmp, "s3cmd.out")
    e.s3cmd("get", "--force", "s3://meta/s3cmd.txt", out)
    assert open(out, "rb").read() == b"from s3cmd\n"
    # modify copies the object onto itself with REPLACE.
    e.s3cmd("modify", "--add-header=x-amz-meta-team:red",
            "s3://meta/s3cmd.txt")
    got = e.boto3().head_object(Bucket="meta", Key="s3cmd.txt")
    assert got["Metadata"].get("team") == "red", got["Metadata"]
    assert got["ContentType"] == "text/x-s3cmd", got


# ---- Virtual-hosted style ------------------------------------------------

class Loopback:
    """A botocore before-send hook: sends the signed request to
    127.0.0.1:port with the Host header of its URL, whatever the name
    resolves to, and remembers the (host, path) of each request."""

    def __init__(self, port):
        self.port = port
        self.seen = []

    def __call__(self, request, **kwargs):
        from botocore.awsrequest import AWSResponse
        u = urllib.parse.urlsplit(request.url)
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("expect", "host")}
        headers["Host"] = u.netloc
        self.seen.append((u.netloc, u.path))
        status, rheaders, data = loopback_send(
            self.port, request.method, u.path + ("?" + u.query if u.query
                                                 else ""), headers, body)
        return AWSResponse(request.url, status, rheaders, Raw(data))


class Raw:
    """The raw body of an AWSResponse, already read."""

    def __init__(self, data):
        self.buf = io.BytesIO(data)

    def stream(self, **kwargs):
        yield self.buf.read()

    def read(self, amt=None):
        return self.buf.read(amt)


def loopback_send(port, method, target, headers, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        c.putheader(name, value)
    if body is not None and not any(k.lower() == "content-length"
                                    for k in headers):
        c.putheader("Content-Length", str(len(body)))
    c.endheaders(body)
    r = c.getresponse()
    data = r.read()
    out = (r.status, {k: v for k, v in r.getheaders()}, data)
    c.close()
    return out


def vhost_client(e, fnd, style="virtual"):
    import boto3
    from botocore.config import Config
    s3 = boto3.client(
        "s3", endpoint_url=f"http://s3.localhost:{fnd.s3_port}",
        aws_access_key_id=fnd.key_id, aws_secret_access_key=fnd.secret,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": style},
                      signature_version="s3v4",
                      retries={"max_attempts": 1}))
    hook = Loopback(fnd.s3_port)
    s3.meta.events.register_first("before-send.s3", hook)
    return s3, hook


def signed_raw(port, key_id, secret, method, host, target):
    """A request signed by botocore's SigV4 signer for http://HOST/TARGET;
    returns the signed headers (Host included)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method=method, url=f"http://{host}{target}")
    S3SigV4Auth(Credentials(key_id, secret), "s3",
                "us-east-1").add_auth(req)
    headers = dict(req.headers.items())
    headers["Host"] = host
    return headers


def start_vhost_fnd(e):
    tmp = os.path.join(e.tmp, "vhost")
    os.makedirs(tmp, exist_ok=True)
    fnd = Fnd(tmp, ["--s3-domain", "s3.localhost"])
    fnd.start()
    cred = subprocess.run([FNCTL, "s3-credentials", "--data", fnd.data],
                          capture_output=True, text=True).stdout
    vals = dict(l.split(": ", 1) for l in cred.splitlines() if ": " in l)
    fnd.key_id = vals["access_key_id"]
    fnd.secret = vals["secret_access_key"]
    return fnd


@case("s3_virtual_host_boto3")
def t_vhost(e):
    fnd = start_vhost_fnd(e)
    try:
        vhost_cases(e, fnd)
    finally:
        fnd.stop()
    shutil.rmtree(os.path.join(e.tmp, "vhost"), ignore_errors=True)


def vhost_cases(e, fnd):
    s3, hook = vhost_client(e, fnd)
    host = f"vhost-b.s3.localhost:{fnd.s3_port}"
    s3.create_bucket(Bucket="vhost-b")
    assert hook.seen[-1] == (host, "/"), hook.seen
    key = "dir/caf\u00e9 a+b.txt"
    s3.put_object(Bucket="vhost-b", Key=key, Body=b"virtual",
                  Metadata={"via": "host"}, ContentType="text/v")
    assert hook.seen[-1][0] == host and \
        hook.seen[-1][1].startswith("/dir/"), hook.seen[-1]
    g = s3.get_object(Bucket="vhost-b", Key=key)
    assert g["Body"].read() == b"virtual" and g["ContentType"] == "text/v" \
        and g["Metadata"] == {"via": "host"}, g
    s3.copy_object(Bucket="vhost-b", Key="copy", CopySource={
        "Bucket": "vhost-b", "Key": key})
    keys = [o["Key"] for o in
            s3.list_objects_v2(Bucket="vhost-b")["Contents"]]
    assert keys == ["copy", key], keys
    assert error_code(s3.get_object, Bucket="vhost-b",
                      Key="missing") == "NoSuchKey"
    assert error_code(s3.head_bucket, Bucket="no-such-b") == "404"
    # The bare domain is path style: ListBuckets, /bucket/key.
    p3, phook = vhost_client(e, fnd, style="path")
    names = [b["Name"] for b in p3.list_buckets()["Buckets"]]
    assert names == ["vhost-b"], names
    assert phook.seen[-1] == (f"s3.localhost:{fnd.s3_port}", "/"), \
        phook.seen
    assert p3.get_object(Bucket="vhost-b", Key="copy")["Body"].read() == \
        b"virtual"
    # A presigned URL of a virtual host, with an override.
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "vhost-b", "Key": key,
                              "ResponseContentDisposition": "attachment"},
        ExpiresIn=60)
    u = urllib.parse.urlsplit(url)
    assert u.netloc == host, url
    status, h, body = loopback_send(fnd.s3_port, "GET",
                                    u.path + "?" + u.query,
                                    {"Host": u.netloc})
    assert status == 200 and body == b"virtual" and \
        h.get("Content-Disposition") == "attachment", (status, h, body)
    # The Host header is signed: another bucket's host fails the check.
    headers = signed_raw(fnd.s3_port, fnd.key_id, fnd.secret, "GET", host,
                         "/copy")
    status, _, body = loopback_send(fnd.s3_port, "GET", "/copy", headers)
    assert status == 200 and body == b"virtual", (status, body)
    headers["Host"] = f"other-b.s3.localhost:{fnd.s3_port}"
    status, _, body = loopback_send(fnd.s3_port, "GET", "/copy", headers)
    assert status == 403 and b"SignatureDoesNotMatch" in body, (status,
                                                                  body)
    s3.delete_object(Bucket="vhost-b", Key="copy")
    s3.delete_object(Bucket="vhost-b", Key=key)
    s3.delete_bucket(Bucket="vhost-b")


@case("s3_virtual_host_off_by_default")
def t_vhost_off(e):
    """Without --s3-domain the Host header names no bucket: GET / is
    ListBuckets whatever the host."""
    host = f"boto-bucket.s3.localhost:{e.fnd.s3_port}"
    ensure_bucket(e, "meta")
    headers = signed_raw(e.fnd.s3_port, e.key_id, e.secret, "GET", host, "/")
    status, _, body = loopback_send(e.fnd.s3_port, "GET", "/", headers)
    assert status == 200 and b"<ListAllMyBucketsResult" in body and \
        b"<Name>meta</Name>" in body, (status, body[:300])


if __name__ == "__main__":
    sys.exit(test_s3.main(CASES))
