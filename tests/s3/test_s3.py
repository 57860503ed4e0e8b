#!/usr/bin/python3
"""test_s3.py: Mayfly's S3 store and object triggers, end to end.

Starts bin/fnd (or $FND_BIN) on free loopback ports (19000-19999) with a
throwaway data folder and drives it with the real clients: awscli
(/usr/bin/aws), s3cmd and boto3 (Debian's, through /usr/bin/python3). Then
the trigger path: functions/wordcount on a text file shipped by Debian,
compared with wc; the event as a function sees it; retries and dead
letters with a function that fails on purpose; pending events across a
kill -9 of fnd; and the webhook with AWS, MinIO and Ceph notifications.

Prints one line per case, "PASS name", "FAIL name: reason" or
"SKIP name: reason"; exits 1 if any case failed. Every server it starts
listens on 127.0.0.1 and is stopped before it exits. The AWS settings of
the clients are made here (keys, region, config files in the temporary
folder, no instance metadata), so nothing reaches outside this machine.
"""
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import zlib
import base64

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# FND_BIN, as in tests/lib.sh: another fnd to test (bin-san/fnd, say).
FND = os.path.join(ROOT, os.environ.get("FND_BIN") or "bin/fnd")
FNCTL = os.path.join(ROOT, "bin", "fnctl")
AWS = "/usr/bin/aws"
S3CMD = "/usr/bin/s3cmd"
TEXT = "/usr/share/common-licenses/GPL-3"
GUESTS = os.path.join(ROOT, "build", "guests_s3")
WORDCOUNT = os.path.join(ROOT, "build", "functions", "wordcount.elf")
HAVE_KVM = os.access("/dev/kvm", os.R_OK | os.W_OK)

failed = 0


def report(status, name, reason=""):
    global failed
    if status == "FAIL":
        failed += 1
    line = f"{status} {name}" + (f": {reason}" if reason else "")
    print(line.replace("\n", " "), flush=True)


def free_port(taken):
    for _ in range(200):
        port = random.randint(19000, 19999)
        if port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    raise RuntimeError("no free port in 19000-19999")


class Fnd:
    """One fnd process on a data folder that outlives restarts."""

    def __init__(self, tmp, args=()):
        self.tmp = tmp
        self.args = list(args)  # more fnd flags
        self.data = os.path.join(tmp, "data")
        ports = set()
        self.port = free_port(ports)
        self.s3_port = free_port(ports)
        self.proc = None
        self.log = open(os.path.join(tmp, "fnd.log"), "ab")
        self.url = f"http://127.0.0.1:{self.port}"
        self.s3_url = f"http://127.0.0.1:{self.s3_port}"

    def start(self):
        args = [FND, "--listen", f"127.0.0.1:{self.port}",
                "--s3-listen", f"127.0.0.1:{self.s3_port}",
                "--data", self.data, "--workers", "2",
                "--event-retries", "3", "--event-backoff", "200",
                "--log-level", "info"] + self.args
        self.proc = subprocess.Popen(args, stdout=self.log,
                                     stderr=self.log, cwd=self.tmp)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"fnd exited with {self.proc.returncode}"
                                   f"; see {self.log.name}")
            try:
                with socket.create_connection(("127.0.0.1", self.s3_port),
                                              timeout=0.2):
                    pass
                urllib.request.urlopen(self.url + "/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("fnd did not come up in 20 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None


class Env:
    """The clients' settings, all inside the temporary folder."""

    def __init__(self, tmp, fnd, key_id, secret):
        self.tmp = tmp
        self.fnd = fnd
        self.key_id = key_id
        self.secret = secret
        cfg = os.path.join(tmp, "aws-config")
        creds = os.path.join(tmp, "aws-credentials")
        with open(cfg, "w") as f:
            f.write("[default]\nregion = us-east-1\n"
                    "s3 =\n    addressing_style = path\n")
        with open(creds, "w") as f:
            f.write(f"[default]\naws_access_key_id = {key_id}\n"
                    f"aws_secret_access_key = {secret}\n")
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("AWS_")}
        self.env.update({
            "AWS_ACCESS_KEY_ID": key_id,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": cfg,
            "AWS_SHARED_CREDENTIALS_FILE": creds,
            "AWS_PAGER": "",
            "HOME": tmp,
            "MAYFLY_DATA": fnd.data,
            "FN_URL": fnd.url,
        })
        self.s3cfg = os.path.join(tmp, "s3cfg")
        with open(self.s3cfg, "w") as f:
            f.write(f"[default]\naccess_key = {key_id}\n"
                    f"secret_key = {secret}\n"
                    f"host_base = 127.0.0.1:{fnd.s3_port}\n"
                    f"host_bucket = 127.0.0.1:{fnd.s3_port}\n"
                    "use_https = False\nsignature_v2 = False\n"
                    "bucket_location = us-east-1\n"
                    "check_ssl_certificate = False\n")
        os.environ.update({k: v for k, v in self.env.items()
                           if k.startswith("AWS_")})

    def run(self, args, check=True, timeout=60, env=None):
        p = subprocess.run(args, capture_output=True, text=True,
                           env=env or self.env, timeout=timeout,
                           cwd=self.tmp)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(args[:4])}... exited "
                                 f"{p.returncode}: {p.stderr.strip()[:300]}")
        return p

    def aws(self, *args, check=True, env=None):
        return self.run([AWS, "--endpoint-url", self.fnd.s3_url] +
                        list(args), check=check, env=env)

    def s3cmd(self, *args, check=True):
        return self.run([S3CMD, "-c", self.s3cfg] + list(args), check=check)

    def fnctl(self, *args, check=True):
        return self.run([FNCTL] + list(args), check=check)

    def boto3(self, **config):
        import boto3
        from botocore.config import Config
        return boto3.client(
            "s3", endpoint_url=self.fnd.s3_url,
            aws_access_key_id=self.key_id,
            aws_secret_access_key=self.secret, region_name="us-east-1",
            config=Config(s3={"addressing_style": "path", **config},
                          signature_version="s3v4",
                          retries={"max_attempts": 1}))

    def admin(self, method, path, body=None):
        token = open(os.path.join(self.fnd.data, "admin.token")).read()
        req = urllib.request.Request(
            self.fnd.url + path, data=body, method=method,
            headers={"Authorization": "Bearer " + token.strip(),
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def md5(data):
    return hashlib.md5(data).hexdigest()


def wait_for(what, fn, timeout=30, step=0.1):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            v = fn()
            if v:
                return v
        except Exception as e:  # the thing may not be there yet
            last = e
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}"
                         + (f" (last: {last})" if last else ""))


def get_object(e, bucket, key):
    return e.boto3().get_object(Bucket=bucket, Key=key)["Body"].read()


# ---- Cases ---------------------------------------------------------------

CASES = []


def case(name, kvm=False):
    def register(fn):
        CASES.append((name, fn, kvm))
        return fn
    return register


@case("s3_credentials")
def t_credentials(e):
    path = os.path.join(e.fnd.data, "s3-credentials")
    mode = os.stat(path).st_mode & 0o777
    assert mode == 0o600, f"mode {oct(mode)}"
    out = e.fnctl("s3-credentials").stdout.splitlines()
    assert out == [f"access_key_id: {e.key_id}",
                   f"secret_access_key: {e.secret}"], out


@case("s3_awscli_buckets")
def t_aws_buckets(e):
    e.aws("s3", "mb", "s3://cli-bucket")
    out = e.aws("s3", "ls").stdout
    assert "cli-bucket" in out, out
    p = e.aws("s3", "mb", "s3://cli-bucket", check=False)
    assert p.returncode != 0 and "BucketAlreadyOwnedByYou" in p.stderr, \
        p.stderr
    p = e.aws("s3api", "create-bucket", "--bucket", "Bad_Name", check=False)
    assert "InvalidBucketName" in p.stderr, p.stderr
    e.aws("s3api", "head-bucket", "--bucket", "cli-bucket")
    p = e.aws("s3api", "head-bucket", "--bucket", "no-such-bucket",
              check=False)
    assert p.returncode != 0 and "404" in p.stderr, p.stderr


@case("s3_awscli_objects")
def t_aws_objects(e):
    data = open(TEXT, "rb").read()
    e.aws("s3", "cp", TEXT, "s3://cli-bucket/docs/GPL-3")
    down = os.path.join(e.tmp, "GPL-3.down")
    e.aws("s3", "cp", "s3://cli-bucket/docs/GPL-3", down)
    assert open(down, "rb").read() == data, "download differs"
    head = json.loads(e.aws("s3api", "head-object", "--bucket", "cli-bucket",
                            "--key", "docs/GPL-3").stdout)
    assert head["ContentLength"] == len(data), head
    assert head["ETag"] == f'"{md5(data)}"', head
    part = os.path.join(e.tmp, "part")
    r = json.loads(e.aws("s3api", "get-object", "--bucket", "cli-bucket",
                         "--key", "docs/GPL-3", "--range", "bytes=100-199",
                         part).stdout)
    assert open(part, "rb").read() == data[100:200], "range body differs"
    assert r["ContentRange"] == f"bytes 100-199/{len(data)}", r
    p = e.aws("s3api", "get-object", "--bucket", "cli-bucket", "--key",
              "nope", part, check=False)
    assert "NoSuchKey" in p.stderr, p.stderr
    p = e.aws("s3", "ls", "s3://no-such-bucket", check=False)
    assert "NoSuchBucket" in p.stderr, p.stderr


@case("s3_awscli_list_pages")
def t_aws_list(e):
    for k in ["a/1", "a/2", "b/1", "c", "d/e/f", "g"]:
        e.aws("s3api", "put-object", "--bucket", "cli-bucket", "--key",
              "list/" + k, "--body", TEXT)
    out = json.loads(e.aws("s3api", "list-objects-v2", "--bucket",
                           "cli-bucket", "--prefix", "list/",
                           "--delimiter", "/").stdout)
    keys = [c["Key"] for c in out.get("Contents", [])]
    cps = [c["Prefix"] for c in out.get("CommonPrefixes", [])]
    assert keys == ["list/c", "list/g"], keys
    assert cps == ["list/a/", "list/b/", "list/d/"], cps
    # Two items a page: the CLI follows the continuation tokens.
    out = json.loads(e.aws("s3api", "list-objects-v2", "--bucket",
                           "cli-bucket", "--prefix", "list/",
                           "--page-size", "2").stdout)
    keys = [c["Key"] for c in out["Contents"]]
    assert keys == ["list/a/1", "list/a/2", "list/b/1", "list/c",
                    "list/d/e/f", "list/g"], keys
    out = e.aws("s3", "ls", "s3://cli-bucket/list/").stdout
    assert "PRE a/" in out and " c\n" in out, out


@case("s3_awscli_presign")
def t_aws_presign(e):
    url = e.aws("s3", "presign", "s3://cli-bucket/docs/GPL-3",
                "--expires-in", "300").stdout.strip()
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == open(TEXT, "rb").read()
    sig = url.index("X-Amz-Signature=") + len("X-Amz-Signature=")
    bad = url[:sig] + ("1" if url[sig] == "0" else "0") + url[sig + 1:]
    try:
        urllib.request.urlopen(bad, timeout=10)
        raise AssertionError("a bad presigned signature was accepted")
    except urllib.error.HTTPError as err:
        assert err.code == 403 and b"SignatureDoesNotMatch" in err.read()


@case("s3_awscli_wrong_keys")
def t_aws_wrong(e):
    env = dict(e.env, AWS_SECRET_ACCESS_KEY="x" * 40)
    p = e.aws("s3", "ls", check=False, env=env)
    assert "SignatureDoesNotMatch" in p.stderr, p.stderr
    env = dict(e.env, AWS_ACCESS_KEY_ID="AKIDNOTOURS000000000")
    p = e.aws("s3", "ls", check=False, env=env)
    assert "InvalidAccessKeyId" in p.stderr, p.stderr


@case("s3_awscli_delete")
def t_aws_delete(e):
    p = e.aws("s3", "rb", "s3://cli-bucket", check=False)
    assert p.returncode != 0 and "BucketNotEmpty" in p.stderr, p.stderr
    e.aws("s3", "rm", "s3://cli-bucket/docs/GPL-3")
    p = e.aws("s3api", "head-object", "--bucket", "cli-bucket", "--key",
              "docs/GPL-3", check=False)
    assert p.returncode != 0 and "404" in p.stderr, p.stderr
    e.aws("s3", "rm", "--recursive", "s3://cli-bucket/")   # DeleteObjects
    e.aws("s3", "rb", "s3://cli-bucket")
    assert "cli-bucket" not in e.aws("s3", "ls").stdout


@case("s3_s3cmd")
def t_s3cmd(e):
    e.s3cmd("mb", "s3://cmd-bucket")
    assert "s3://cmd-bucket" in e.s3cmd("ls").stdout
    e.s3cmd("put", TEXT, "s3://cmd-bucket/dir/GPL 3.txt")
    out = e.s3cmd("ls", "s3://cmd-bucket/dir/").stdout
    assert "GPL 3.txt" in out, out
    down = os.path.join(e.tmp, "s3cmd.down")
    e.s3cmd("get", "--force", "s3://cmd-bucket/dir/GPL 3.txt", down)
    assert open(down, "rb").read() == open(TEXT, "rb").read()
    info = e.s3cmd("info", "s3://cmd-bucket/dir/GPL 3.txt", check=False)
    assert md5(open(TEXT, "rb").read()) in info.stdout, info.stdout[:300]
    p = e.s3cmd("rb", "s3://cmd-bucket", check=False)
    assert p.returncode != 0, "removed a bucket that is not empty"
    e.s3cmd("del", "s3://cmd-bucket/dir/GPL 3.txt")
    e.s3cmd("rb", "s3://cmd-bucket")
    assert "cmd-bucket" not in e.s3cmd("ls").stdout


@case("s3_boto3_objects")
def t_boto3(e):
    from botocore.exceptions import ClientError
    s3 = e.boto3()
    s3.create_bucket(Bucket="boto-bucket")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "boto-bucket" in names, names
    key = "dir/caf\u00e9 a+b=c&d%e?.txt"
    body = b"hello, boto3\n" * 100
    r = s3.put_object(Bucket="boto-bucket", Key=key, Body=body,
                      ContentType="text/plain")
    assert r["ETag"] == f'"{md5(body)}"', r["ETag"]
    g = s3.get_object(Bucket="boto-bucket", Key=key)
    assert g["Body"].read() == body and g["ContentType"] == "text/plain"
    g = s3.get_object(Bucket="boto-bucket", Key=key, Range="bytes=-5")
    assert g["Body"].read() == body[-5:], "suffix range"
    g = s3.get_object(Bucket="boto-bucket", Key=key, Range="bytes=1290-")
    assert g["Body"].read() == body[1290:], "open range"
    try:
        s3.get_object(Bucket="boto-bucket", Key=key, Range="bytes=5000-")
        raise AssertionError("an unsatisfiable range was served")
    except ClientError as err:
        assert err.response["Error"]["Code"] == "InvalidRange", err
    h = s3.head_object(Bucket="boto-bucket", Key=key)
    assert h["ContentLength"] == len(body), h
    s3.copy_object(Bucket="boto-bucket", Key="copy.txt",
                   CopySource={"Bucket": "boto-bucket", "Key": key})
    assert get_object(e, "boto-bucket", "copy.txt") == body
    s3.put_object(Bucket="boto-bucket", Key="empty", Body=b"")
    assert get_object(e, "boto-bucket", "empty") == b""
    for code, call in [
            ("NoSuchKey", lambda: s3.get_object(Bucket="boto-bucket",
                                                Key="missing")),
            ("NoSuchBucket", lambda: s3.get_object(Bucket="missing-b",
                                                   Key="k")),
            ("BucketNotEmpty", lambda: s3.delete_bucket(
                Bucket="boto-bucket")),
            ("NoSuchBucket", lambda: s3.delete_bucket(Bucket="missing-b"))]:
        try:
            call()
            raise AssertionError(f"expected {code}")
        except ClientError as err:
            assert err.response["Error"]["Code"] == code, err.response


@case("s3_boto3_list_v2")
def t_boto3_list(e):
    s3 = e.boto3()
    keys = [f"p/{i:03d}" for i in range(25)] + ["p/sub/x", "p/sub/y",
                                                "q/1", "a b/1", "a+b/1"]
    for k in keys:
        s3.put_object(Bucket="boto-bucket", Key=k, Body=k.encode())
    seen, token = [], None
    while True:
        args = {"Bucket": "boto-bucket", "Prefix": "p/", "MaxKeys": 7,
                "Delimiter": "/"}
        if token:
            args["ContinuationToken"] = token
        r = s3.list_objects_v2(**args)
        seen += [c["Key"] for c in r.get("Contents", [])]
        seen += [c["Prefix"] for c in r.get("CommonPrefixes", [])]
        assert r["KeyCount"] <= 7, r["KeyCount"]
        if not r["IsTruncated"]:
            break
        token = r["NextContinuationToken"]
    want = [f"p/{i:03d}" for i in range(25)] + ["p/sub/"]
    assert sorted(seen) == want, seen
    r = s3.list_objects_v2(Bucket="boto-bucket", StartAfter="p/020",
                           Prefix="p/0")
    assert [c["Key"] for c in r["Contents"]] == \
        [f"p/{i:03d}" for i in range(21, 25)], r
    r = s3.list_objects_v2(Bucket="boto-bucket", Prefix="a b/")
    assert [c["Key"] for c in r["Contents"]] == ["a b/1"], r
    # A plus in a query value arrives as %2B and must stay a plus.
    r = s3.list_objects_v2(Bucket="boto-bucket", Prefix="a+b/")
    assert [c["Key"] for c in r["Contents"]] == ["a+b/1"], r
    r = s3.list_objects(Bucket="boto-bucket", Prefix="p/", MaxKeys=10)
    assert len(r["Contents"]) == 10 and r["IsTruncated"], r
    r = s3.list_objects(Bucket="boto-bucket", Prefix="p/",
                        Marker=r["Contents"][-1]["Key"], MaxKeys=100)
    assert len(r["Contents"]) == 17, len(r["Contents"])
    d = s3.delete_objects(Bucket="boto-bucket", Delete={
        "Objects": [{"Key": k} for k in keys]})
    assert len(d["Deleted"]) == len(keys), d


@case("s3_boto3_unsigned_payload")
def t_boto3_unsigned(e):
    s3 = e.boto3(payload_signing_enabled=False)
    s3.put_object(Bucket="boto-bucket", Key="unsigned", Body=b"u" * 1000)
    assert get_object(e, "boto-bucket", "unsigned") == b"u" * 1000


@case("s3_boto3_presigned")
def t_boto3_presigned(e):
    s3 = e.boto3()
    s3.put_object(Bucket="boto-bucket", Key="pre sign", Body=b"presigned")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "boto-bucket", "Key": "pre sign"},
        ExpiresIn=60)
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == b"presigned"
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": "boto-bucket", "Key": "via-url"},
        ExpiresIn=60)
    req = urllib.request.Request(url, data=b"put by url", method="PUT")
    urllib.request.urlopen(req, timeout=10).read()
    assert get_object(e, "boto-bucket", "via-url") == b"put by url"
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "boto-bucket", "Key": "pre sign"},
        ExpiresIn=1)
    time.sleep(2.1)
    try:
        urllib.request.urlopen(url, timeout=10)
        raise AssertionError("an expired URL was accepted")
    except urllib.error.HTTPError as err:
        body = err.read()
        assert err.code == 403 and b"expired" in body, body


def signed_headers_request(e, path, headers):
    """Signs a request with botocore's generic SigV4 signer (the seed of a
    streaming upload) and returns (headers, timestamp, seed signature)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method="PUT", url=e.fnd.s3_url + path, headers=headers)
    SigV4Auth(Credentials(e.key_id, e.secret), "s3",
              "us-east-1").add_auth(req)
    ts = req.context["timestamp"]
    seed = req.headers["Authorization"].rsplit("Signature=", 1)[1]
    return dict(req.headers.items()), ts, seed


def raw_put(e, path, headers, body):
    c = http.client.HTTPConnection("127.0.0.1", e.fnd.s3_port, timeout=10)
    c.request("PUT", path, body=body, headers=headers)
    r = c.getresponse()
    out = (r.status, r.read())
    c.close()
    return out


def chunk_signing_key(secret, date):
    import hmac
    k = ("AWS4" + secret).encode()
    for part in (date, "us-east-1", "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


@case("s3_streaming_signed_chunks")
def t_streaming(e):
    import hmac
    data = os.urandom(150000)
    headers = {"X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
               "Content-Encoding": "aws-chunked",
               "X-Amz-Decoded-Content-Length": str(len(data))}
    h, ts, seed = signed_headers_request(e, "/boto-bucket/streamed", headers)
    key = chunk_signing_key(e.secret, ts[:8])
    scope = f"{ts[:8]}/us-east-1/s3/aws4_request"
    prev, body = seed, b""
    pieces = [data[i:i + 65536] for i in range(0, len(data), 65536)] + [b""]
    for piece in pieces:
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", ts, scope, prev,
                         hashlib.sha256(b"").hexdigest(),
                         hashlib.sha256(piece).hexdigest()])
        prev = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        body += b"%x;chunk-signature=%s\r\n" % (len(piece), prev.encode())
        body += piece + b"\r\n"
    status, out = raw_put(e, "/boto-bucket/streamed", h, body)
    assert status == 200, (status, out)
    assert get_object(e, "boto-bucket", "streamed") == data
    bad = bytearray(body)
    bad[200] ^= 1
    status, out = raw_put(e, "/boto-bucket/streamed", h, bytes(bad))
    assert status == 403 and b"SignatureDoesNotMatch" in out, (status, out)
    assert get_object(e, "boto-bucket", "streamed") == data


@case("s3_streaming_unsigned_trailer")
def t_trailer(e):
    data = b"trailer payload " * 1000
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    headers = {"X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
               "Content-Encoding": "aws-chunked",
               "X-Amz-Trailer": "x-amz-checksum-crc32",
               "X-Amz-Decoded-Content-Length": str(len(data))}
    h, _, _ = signed_headers_request(e, "/boto-bucket/trailer", headers)
    body = b"%x\r\n%s\r\n0\r\nx-amz-checksum-crc32:%s\r\n\r\n" % (
        len(data), data, crc.encode())
    status, out = raw_put(e, "/boto-bucket/trailer", h, body)
    assert status == 200, (status, out)
    assert get_object(e, "boto-bucket", "trailer") == data


def b64_digest(alg, data):
    """S3's value of checksum `alg` for data: base64, big-endian."""
    if alg == "crc32":
        raw_digest = zlib.crc32(data).to_bytes(4, "big")
    else:
        raw_digest = hashlib.new(alg, data).digest()
    return base64.b64encode(raw_digest).decode()


def signed_put(e, path, body, headers):
    """A PUT signed by botocore's S3 signer (payload hash included), sent as
    given. Returns (status, headers, body)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method="PUT", url=e.fnd.s3_url + path, data=body,
                     headers=dict(headers))
    S3SigV4Auth(Credentials(e.key_id, e.secret), "s3",
                "us-east-1").add_auth(req)
    c = http.client.HTTPConnection("127.0.0.1", e.fnd.s3_port, timeout=10)
    c.request("PUT", path, body=body, headers=dict(req.headers.items()))
    r = c.getresponse()
    out = (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    c.close()
    return out


def object_missing(e, bucket, key):
    from botocore.exceptions import ClientError
    try:
        e.boto3().head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        return err.response["Error"]["Code"] in ("404", "NoSuchKey")
    return False


def ensure_bucket(e, name):
    from botocore.exceptions import ClientError
    try:
        e.boto3().create_bucket(Bucket=name)
    except ClientError as err:
        if err.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise


@case("s3_checksum_boto3")
def t_checksum_boto3(e):
    s3 = e.boto3()
    ensure_bucket(e, "sums")
    data = os.urandom(300000)
    want = {"CRC32": base64.b64encode(
                zlib.crc32(data).to_bytes(4, "big")).decode(),
            "SHA1": b64_digest("sha1", data),
            "SHA256": b64_digest("sha256", data),
            "CRC32C": None}
    for alg, value in want.items():
        key = "obj-" + alg.lower()
        r = s3.put_object(Bucket="sums", Key=key, Body=data,
                          ChecksumAlgorithm=alg)
        got = r.get("Checksum" + alg)
        assert got and (value is None or got == value), (alg, got, value)
        assert get_object(e, "sums", key) == data, alg
    # CRC32C of "123456789" is 0xe3069283: the value the server echoes.
    r = s3.put_object(Bucket="sums", Key="crc32c-check", Body=b"123456789",
                      ChecksumAlgorithm="CRC32C")
    assert r["ChecksumCRC32C"] == "4waSgw==", r.get("ChecksumCRC32C")
    # Parts too.
    up = s3.create_multipart_upload(Bucket="sums", Key="parts",
                                    ChecksumAlgorithm="SHA256")
    r = s3.upload_part(Bucket="sums", Key="parts", UploadId=up["UploadId"],
                       PartNumber=1, Body=data, ChecksumAlgorithm="SHA256")
    assert r.get("ChecksumSHA256") == want["SHA256"], r
    s3.abort_multipart_upload(Bucket="sums", Key="parts",
                              UploadId=up["UploadId"])


@case("s3_checksum_header_mismatch")
def t_checksum_header(e):
    ensure_bucket(e, "sums")
    data = b"checked body " * 100
    good = b64_digest("crc32", data)
    bad = b64_digest("crc32", data + b"x")
    status, _, out = signed_put(e, "/sums/bad-crc", data,
                                {"x-amz-checksum-crc32": bad})
    assert status == 400 and b"<Code>BadDigest</Code>" in out, (status, out)
    assert object_missing(e, "sums", "bad-crc"), "the object was stored"
    status, _, out = signed_put(e, "/sums/bad-sha256", data,
                                {"x-amz-checksum-sha256":
                                 b64_digest("sha256", b"other")})
    assert status == 400 and b"<Code>BadDigest</Code>" in out, (status, out)
    assert object_missing(e, "sums", "bad-sha256"), "the object was stored"
    status, _, out = signed_put(e, "/sums/junk-crc", data,
                                {"x-amz-checksum-crc32": "not base64"})
    assert status == 400 and b"<Code>InvalidRequest</Code>" in out, \
        (status, out)
    status, _, out = signed_put(e, "/sums/two", data,
                                {"x-amz-checksum-crc32": good,
                                 "x-amz-checksum-sha1":
                                 b64_digest("sha1", data)})
    assert status == 400 and b"<Code>InvalidRequest</Code>" in out, \
        (status, out)
    assert object_missing(e, "sums", "junk-crc") and \
        object_missing(e, "sums", "two"), "an object was stored"
    status, headers, out = signed_put(e, "/sums/good-crc", data,
                                      {"x-amz-checksum-crc32": good})
    assert status == 200, (status, out)
    assert headers.get("x-amz-checksum-crc32") == good, headers
    assert get_object(e, "sums", "good-crc") == data


@case("s3_content_md5")
def t_content_md5(e):
    ensure_bucket(e, "sums")
    data = b"md5 body"
    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    status, _, out = signed_put(e, "/sums/bad-md5", data,
                                {"Content-MD5": bad})
    assert status == 400 and b"<Code>BadDigest</Code>" in out, (status, out)
    status, _, out = signed_put(e, "/sums/bad-md5", data,
                                {"Content-MD5": "short"})
    assert status == 400 and b"<Code>InvalidDigest</Code>" in out, \
        (status, out)
    assert object_missing(e, "sums", "bad-md5"), "the object was stored"


def trailer_put(e, path, data, trailers, declared, signed=False,
                bad_sig=False):
    """PUTs data aws-chunked with trailer lines `trailers` ([(name,
    value)]), x-amz-trailer `declared`; signed chunks and trailer
    signature if `signed`. Returns (status, headers, body)."""
    import hmac
    content = ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" if signed else
               "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    headers = {"X-Amz-Content-SHA256": content,
               "Content-Encoding": "aws-chunked",
               "X-Amz-Trailer": declared,
               "X-Amz-Decoded-Content-Length": str(len(data))}
    h, ts, seed = signed_headers_request(e, path, headers)
    key = chunk_signing_key(e.secret, ts[:8])
    scope = f"{ts[:8]}/us-east-1/s3/aws4_request"
    prev, body = seed, b""
    pieces = [data[i:i + 65536] for i in range(0, len(data), 65536)] + [b""]
    for piece in pieces:
        if signed:
            sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", ts, scope, prev,
                             hashlib.sha256(b"").hexdigest(),
                             hashlib.sha256(piece).hexdigest()])
            prev = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
            body += b"%x;chunk-signature=%s\r\n" % (len(piece),
                                                     prev.encode())
        else:
            body += b"%x\r\n" % len(piece)
        if piece:
            body += piece + b"\r\n"
    for name, value in trailers:
        body += f"{name}:{value}\r\n".encode()
    if signed:
        canon = "".join(f"{n}:{v}\n" for n, v in sorted(trailers))
        sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", ts, scope, prev,
                         hashlib.sha256(canon.encode()).hexdigest()])
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        if bad_sig:
            sig = sig[:-1] + ("0" if sig[-1] != "0" else "1")
        body += f"x-amz-trailer-signature:{sig}\r\n".encode()
    body += b"\r\n"
    c = http.client.HTTPConnection("127.0.0.1", e.fnd.s3_port, timeout=10)
    c.request("PUT", path, body=body, headers=h)
    r = c.getresponse()
    out = (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    c.close()
    return out


@case("s3_checksum_trailer_unsigned")
def t_checksum_trailer(e):
    ensure_bucket(e, "sums")
    data = os.urandom(200000)
    for alg in ("crc32", "sha256", "sha1"):
        name = "x-amz-checksum-" + alg
        status, headers, out = trailer_put(
            e, "/sums/t-" + alg, data, [(name, b64_digest(alg, data))], name)
        assert status == 200, (alg, status, out)
        assert headers.get(name) == b64_digest(alg, data), headers
        assert get_object(e, "sums", "t-" + alg) == data, alg
    name = "x-amz-checksum-crc32"
    status, _, out = trailer_put(e, "/sums/t-bad", data,
                                 [(name, b64_digest("crc32", b"x"))], name)
    assert status == 400 and b"<Code>BadDigest</Code>" in out, (status, out)
    # A trailer x-amz-trailer does not name, or a named one that is absent.
    status, _, out = trailer_put(e, "/sums/t-bad", data,
                                 [(name, b64_digest("crc32", data))],
                                 "x-amz-checksum-sha256")
    assert status == 400 and b"MalformedTrailerError" in out, (status, out)
    status, _, out = trailer_put(e, "/sums/t-bad", data, [], name)
    assert status == 400 and b"MalformedTrailerError" in out, (status, out)
    assert object_missing(e, "sums", "t-bad"), "the object was stored"


@case("s3_checksum_trailer_signed")
def t_checksum_trailer_signed(e):
    ensure_bucket(e, "sums")
    data = os.urandom(150000)
    name = "x-amz-checksum-crc32"
    good = [(name, b64_digest("crc32", data))]
    status, headers, out = trailer_put(e, "/sums/ts", data, good, name,
                                       signed=True)
    assert status == 200, (status, out)
    assert headers.get(name) == good[0][1], headers
    assert get_object(e, "sums", "ts") == data
    status, _, out = trailer_put(e, "/sums/ts-bad", data, good, name,
                                 signed=True, bad_sig=True)
    assert status == 403 and b"SignatureDoesNotMatch" in out, (status, out)
    wrong = [(name, b64_digest("crc32", b"x"))]
    status, _, out = trailer_put(e, "/sums/ts-bad", data, wrong, name,
                                 signed=True)
    assert status == 400 and b"<Code>BadDigest</Code>" in out, (status, out)
    assert object_missing(e, "sums", "ts-bad"), "the object was stored"


@case("s3_boto3_empty_put_keepalive")
def t_empty_keepalive(e):
    """boto3 sends Expect: 100-continue with an empty body too; without
    the 100 it reads the next answer on that connection wrongly."""
    s3 = e.boto3()
    ensure_bucket(e, "tags")
    s3.put_object(Bucket="tags", Key="empty", Body=b"")
    t0 = time.time()
    s3.put_object(Bucket="tags", Key="after-empty", Body=b"x")
    assert time.time() - t0 < 5, f"took {time.time() - t0:.1f} s"
    assert get_object(e, "tags", "empty") == b""


@case("s3_tagging_boto3")
def t_tagging(e):
    from botocore.exceptions import ClientError
    s3 = e.boto3()
    ensure_bucket(e, "tags")

    def code(fn, **kw):
        try:
            fn(**kw)
        except ClientError as err:
            return err.response["Error"]["Code"]
        raise AssertionError(f"{fn.__name__} succeeded")

    s3.put_object(Bucket="tags", Key="k", Body=b"v",
                  Tagging="team=blue&note=a%20b%2Bc&empty=")
    got = s3.get_object_tagging(Bucket="tags", Key="k")["TagSet"]
    assert got == [{"Key": "team", "Value": "blue"},
                   {"Key": "note", "Value": "a b+c"},
                   {"Key": "empty", "Value": ""}], got
    tagset = [{"Key": "k%d" % i, "Value": "<&>\"'" * 2} for i in range(10)]
    s3.put_object_tagging(Bucket="tags", Key="k",
                          Tagging={"TagSet": tagset})
    got = s3.get_object_tagging(Bucket="tags", Key="k")["TagSet"]
    assert got == tagset, ("tagset", got[-1:])
    # A copy takes the source's tags, or the request's with REPLACE.
    s3.copy_object(Bucket="tags", Key="copy", CopySource="tags/k")
    got = s3.get_object_tagging(Bucket="tags", Key="copy")["TagSet"]
    assert got == tagset, ("tagset", got[-1:])
    s3.copy_object(Bucket="tags", Key="copy", CopySource="tags/k",
                   TaggingDirective="REPLACE", Tagging="x=y")
    got = s3.get_object_tagging(Bucket="tags", Key="copy")["TagSet"]
    assert got == [{"Key": "x", "Value": "y"}], got
    # S3's limits: 10 tags, keys of 128 characters, values of 256, no
    # key twice; the tags stay as they were.
    too_many = tagset + [{"Key": "k10", "Value": ""}]
    for bad in (too_many, [{"Key": "a" * 129, "Value": ""}],
                [{"Key": "a", "Value": "b" * 257}],
                [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]):
        got = code(s3.put_object_tagging, Bucket="tags", Key="k",
                   Tagging={"TagSet": bad})
        assert got == "InvalidTag", (got, len(bad), bad[-1])
    ok = [{"Key": "\u00e9" * 128, "Value": "\u00e8" * 256}]
    s3.put_object_tagging(Bucket="tags", Key="k", Tagging={"TagSet": ok})
    assert s3.get_object_tagging(Bucket="tags", Key="k")["TagSet"] == ok
    got = code(s3.put_object, Bucket="tags", Key="bad", Body=b"",
               Tagging="&".join(f"k{i}=v" for i in range(11)))
    assert got == "InvalidTag", got
    assert object_missing(e, "tags", "bad"), "the object was stored"
    # A new version of the object has only the tags it was written with.
    s3.put_object(Bucket="tags", Key="k", Body=b"v2")
    assert s3.get_object_tagging(Bucket="tags", Key="k")["TagSet"] == []
    s3.put_object_tagging(Bucket="tags", Key="k",
                          Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    s3.delete_object_tagging(Bucket="tags", Key="k")
    assert s3.get_object_tagging(Bucket="tags", Key="k")["TagSet"] == []
    # Missing objects and buckets.
    assert code(s3.get_object_tagging, Bucket="tags",
                Key="nope") == "NoSuchKey"
    assert code(s3.put_object_tagging, Bucket="tags", Key="nope",
                Tagging={"TagSet": []}) == "NoSuchKey"
    assert code(s3.get_object_tagging, Bucket="no-such-bucket",
                Key="k") == "NoSuchBucket"
    s3.delete_object(Bucket="tags", Key="k")
    assert code(s3.get_object_tagging, Bucket="tags", Key="k") == "NoSuchKey"
    # An upload gives its object the tags it was started with.
    up = s3.create_multipart_upload(Bucket="tags", Key="mp", Tagging="m=p")
    part = s3.upload_part(Bucket="tags", Key="mp", UploadId=up["UploadId"],
                          PartNumber=1, Body=b"part")
    s3.complete_multipart_upload(
        Bucket="tags", Key="mp", UploadId=up["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1,
                                    "ETag": part["ETag"]}]})
    got = s3.get_object_tagging(Bucket="tags", Key="mp")["TagSet"]
    assert got == [{"Key": "m", "Value": "p"}], got


@case("s3_unauthenticated")
def t_anonymous(e):
    for method, path in [("GET", "/"), ("GET", "/boto-bucket"),
                         ("PUT", "/boto-bucket/x")]:
        c = http.client.HTTPConnection("127.0.0.1", e.fnd.s3_port,
                                       timeout=10)
        c.request(method, path, body=b"x" if method == "PUT" else None)
        r = c.getresponse()
        body = r.read()
        c.close()
        assert r.status == 403 and b"<Code>AccessDenied</Code>" in body, \
            (method, path, r.status, body)


# ---- Triggers (need KVM) -------------------------------------------------

def deploy(e, name, image, *flags):
    e.fnctl("deploy", name, image, *flags)


def wc_counts(path):
    out = subprocess.run(["wc", "-l", "-w", "-c", path], capture_output=True,
                         text=True, env={"LC_ALL": "C", "PATH": "/usr/bin:"
                                         "/bin"}, check=True).stdout.split()
    return int(out[0]), int(out[1]), int(out[2])


@case("s3_wordcount_gpl3", kvm=True)
def t_wordcount(e):
    s3 = e.boto3()
    s3.create_bucket(Bucket="texts")
    s3.create_bucket(Bucket="wc-results")
    deploy(e, "wordcount", WORDCOUNT, "--on-object", "texts:.txt",
           "--env", "OUTPUT_BUCKET=wc-results")
    e.aws("s3", "cp", TEXT, "s3://texts/licenses/GPL 3.txt")
    out = wait_for("the wordcount result", lambda: get_object(
        e, "wc-results", "licenses/GPL 3.txt.json"))
    got = json.loads(out)
    lines, words, nbytes = wc_counts(TEXT)
    assert (got["lines"], got["words"], got["bytes"]) == \
        (lines, words, nbytes), (got, lines, words, nbytes)
    assert got["bucket"] == "texts" and got["key"] == "licenses/GPL 3.txt"
    # Not a .txt: no event.
    e.aws("s3", "cp", TEXT, "s3://texts/licenses/GPL-3.md")


@case("s3_wordcount_chunked_read", kvm=True)
def t_wordcount_big(e):
    big = os.path.join(e.tmp, "big.txt")
    with open(big, "wb") as f:
        while f.tell() < 600 * 1024:    # past what comes in memory
            for name in sorted(os.listdir("/usr/share/common-licenses")):
                p = os.path.join("/usr/share/common-licenses", name)
                if os.path.isfile(p):
                    f.write(open(p, "rb").read())
    e.aws("s3", "cp", big, "s3://texts/all.txt")
    got = json.loads(wait_for("the big result", lambda: get_object(
        e, "wc-results", "all.txt.json")))
    assert (got["lines"], got["words"], got["bytes"]) == wc_counts(big), got


@case("s3_invocations_log", kvm=True)
def t_invocations(e):
    st, body = e.admin("GET", "/api/v1/invocations?function=wordcount")
    assert st == 200, (st, body)
    invs = json.loads(body)["invocations"]
    trig = [i["trigger"] for i in invs if i.get("trigger")]
    want = {"kind": "object", "bucket": "texts", "key": "licenses/GPL 3.txt",
            "event": "ObjectCreated:Put"}
    assert any(all(t.get(k) == v for k, v in want.items()) for t in trig), \
        trig
    assert all(i["status"] == 200 for i in invs), invs


@case("s3_event_json", kvm=True)
def t_event_json(e):
    s3 = e.boto3()
    for b in ("evsrc", "dump"):
        s3.create_bucket(Bucket=b)
    deploy(e, "evdump", os.path.join(GUESTS, "evdump.elf"),
           "--on-object", "evsrc", "--events", "put,delete",
           "--on-object", "ext-aws/in/:.txt",
           "--on-object", "ext-minio", "--on-object", "ext-ceph")
    key = "dir/a b+c\u00e9.txt"
    body = b"0123456789" * 10
    s3.put_object(Bucket="evsrc", Key=key, Body=body)
    doc = json.loads(wait_for("the event dump", lambda: get_object(
        e, "dump", key + ".json")))
    rec = doc["event"]["Records"][0]
    assert rec["eventName"] == "ObjectCreated:Put", rec
    assert rec["eventSource"] == "aws:s3", rec
    assert rec["s3"]["bucket"]["name"] == "evsrc", rec
    assert rec["s3"]["object"]["key"] == "dir/a+b%2Bc%C3%A9.txt", rec
    assert urllib.parse.unquote_plus(rec["s3"]["object"]["key"]) == key
    assert rec["s3"]["object"]["size"] == len(body), rec
    assert rec["s3"]["object"]["eTag"] == md5(body), rec
    assert len(rec["s3"]["object"]["sequencer"]) >= 16, rec
    assert doc["trigger"] == 2 and doc["key"] == key, doc
    assert doc["inline"] == "1" and doc["mem_len"] == len(body), doc
    assert doc["read_len"] == len(body), doc
    assert doc["read_sum"] == doc["mem_sum"] == sum(body), doc
    s3.delete_object(Bucket="evsrc", Key=key)

    def deleted():
        d = json.loads(get_object(e, "dump", key + ".json"))
        return d if d["name"] == "ObjectRemoved:Delete" else None
    doc = wait_for("the delete event", deleted)
    rec = doc["event"]["Records"][0]
    assert rec["eventName"] == "ObjectRemoved:Delete", rec
    assert "size" not in rec["s3"]["object"], rec
    assert doc["read_len"] < 0, doc   # nothing left to read


@case("s3_retries_dead_letter", kvm=True)
def t_dead_letter(e):
    s3 = e.boto3()
    s3.create_bucket(Bucket="failbox")
    deploy(e, "failer", os.path.join(GUESTS, "failer.elf"),
           "--on-object", "failbox")
    s3.put_object(Bucket="failbox", Key="doomed.txt", Body=b"x")

    def dead():
        p = e.fnctl("events", "--failed", "-o", "json")
        evs = [v for v in json.loads(p.stdout)["events"]
               if v["function"] == "failer"]
        return evs
    evs = wait_for("a dead letter", dead, timeout=30)
    assert len(evs) == 1 and evs[0]["attempts"] == 3, evs
    assert evs[0]["key"] == "doomed.txt", evs
    out = e.fnctl("events", "--failed").stdout
    assert "doomed.txt" in out and "failer" in out, out
    st, body = e.admin("GET", "/api/v1/invocations?function=failer")
    invs = json.loads(body)["invocations"]
    assert len(invs) == 3, f"{len(invs)} attempts logged"
    assert all(i["status"] == 500 for i in invs), invs
    assert sorted(i["trigger"]["attempt"] for i in invs) == [1, 2, 3], invs
    # Redrive: three more attempts, then dead again.
    e.fnctl("events", "redrive", "--function", "failer")
    time.sleep(0.3)

    def dead_again():
        st, body = e.admin("GET", "/api/v1/invocations?function=failer")
        n = len(json.loads(body)["invocations"])
        return n == 6 and dead()
    evs = wait_for("the redriven event to die again", dead_again)
    assert evs[0]["attempts"] == 3, evs


@case("s3_kill9_pending_events", kvm=True)
def t_kill9(e):
    s3 = e.boto3()
    for b in ("slowbox", "done"):
        s3.create_bucket(Bucket=b)
    deploy(e, "slow", os.path.join(GUESTS, "slow.elf"), "--on-object",
           "slowbox", "--env", "SLOW_MS=1500", "--timeout", "10000")
    keys = [f"k{i}" for i in range(4)]
    for k in keys:
        s3.put_object(Bucket="slowbox", Key=k, Body=b"slow")
    time.sleep(0.3)   # two run (two workers), two wait
    e.fnd.kill9()
    listed = s3_list_after_restart(e, "done")
    assert len(listed) < len(keys), f"all done before the kill: {listed}"
    wait_for("every event after the restart", lambda: sorted(
        o["Key"] for o in e.boto3().list_objects_v2(Bucket="done").get(
            "Contents", [])) == sorted(k + ".done" for k in keys),
        timeout=40)


def s3_list_after_restart(e, bucket):
    """Restarts fnd and lists bucket at once, before deliveries finish."""
    e.fnd.start()
    r = e.boto3().list_objects_v2(Bucket=bucket)
    return [o["Key"] for o in r.get("Contents", [])]


# ---- Webhook -------------------------------------------------------------

def hook(e, doc, raw=None):
    data = raw if raw is not None else json.dumps(doc).encode()
    return e.admin("POST", "/hooks/s3", data)


def aws_record(bucket, key, name="ObjectCreated:Put", size=11):
    return {"eventVersion": "2.1", "eventSource": "aws:s3",
            "awsRegion": "us-east-1", "eventTime": "2026-01-01T00:00:00.000Z",
            "eventName": name, "userIdentity": {"principalId": "AWS:X"},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "c",
                   "bucket": {"name": bucket, "arn": "arn:aws:s3:::" + bucket},
                   "object": {"key": key, "size": size,
                              "eTag": "0123456789abcdef0123456789abcdef",
                              "sequencer": "0055AED6DCD90281E5"}}}


@case("s3_webhook_test_event")
def t_hook_test(e):
    st, body = hook(e, {"Service": "Amazon S3", "Event": "s3:TestEvent",
                        "Time": "2026-01-01T00:00:00.000Z",
                        "Bucket": "ext-aws", "RequestId": "R",
                        "HostId": "H"})
    assert st == 200, (st, body)
    got = json.loads(body)
    assert got["queued"] == 0 and got["test"] is True, got


@case("s3_webhook_bad_json")
def t_hook_bad(e):
    st, body = hook(e, None, raw=b'{"Records": [')
    assert st == 400 and b"JSON" in body, (st, body)
    st, body = hook(e, {"Records": [{"eventName": "ObjectCreated:Put"}]})
    assert st == 400 and b"record 0" in body, (st, body)
    st, body = hook(e, {"hello": "world"})
    assert st == 400 and b"Records" in body, (st, body)


@case("s3_webhook_aws", kvm=True)
def t_hook_aws(e):
    recs = [aws_record("ext-aws", "in/my+file%281%29.txt"),
            aws_record("ext-aws", "in/skip.md"),
            aws_record("ext-aws", "out/x.txt"),
            aws_record("elsewhere", "in/y.txt")]
    st, body = hook(e, {"Records": recs})
    assert st == 200, (st, body)
    got = json.loads(body)
    assert got["records"] == 4 and got["queued"] == 1, got
    doc = json.loads(wait_for("the AWS event", lambda: get_object(
        e, "dump", "in/my file(1).txt.json")))
    rec = doc["event"]["Records"][0]
    assert rec["s3"]["object"]["key"] == "in/my+file%281%29.txt", rec
    assert rec["eventSource"] == "aws:s3" and doc["read_len"] < 0, doc


@case("s3_webhook_minio", kvm=True)
def t_hook_minio(e):
    rec = aws_record("ext-minio", "photos/a+b%2Bc.jpg",
                     name="s3:ObjectCreated:Put")
    rec["eventSource"] = "minio:s3"
    rec["source"] = {"host": "10.0.0.1", "port": "", "userAgent": "MinIO"}
    doc = {"EventName": "s3:ObjectCreated:Put",
           "Key": "ext-minio/photos/a+b%2Bc.jpg", "Records": [rec]}
    st, body = hook(e, doc)
    assert st == 200 and json.loads(body)["queued"] == 1, (st, body)
    got = json.loads(wait_for("the MinIO event", lambda: get_object(
        e, "dump", "photos/a b+c.jpg.json")))
    assert got["name"] == "ObjectCreated:Put", got
    assert got["event"]["Records"][0]["source"]["userAgent"] == "MinIO"


@case("s3_webhook_ceph", kvm=True)
def t_hook_ceph(e):
    rec = aws_record("ext-ceph", "raw key+plus%41.txt")
    rec["eventSource"] = "ceph:s3"
    rec["eventVersion"] = "2.2"
    rec["s3"]["object"]["metadata"] = []
    rec["eventId"] = "1700000000.1.abc"
    del_rec = aws_record("ext-ceph", "gone.txt", name="ObjectRemoved:Delete")
    del_rec["eventSource"] = "ceph:s3"
    st, body = hook(e, {"Records": [rec, del_rec]})
    got = json.loads(body)
    assert st == 200 and got["records"] == 2 and got["queued"] == 1, got
    doc = json.loads(wait_for("the Ceph event", lambda: get_object(
        e, "dump", "raw key+plus%41.txt.json")))
    assert doc["key"] == "raw key+plus%41.txt", doc


# ---- Main ----------------------------------------------------------------

def prerequisites():
    missing = [p for p in (FND, FNCTL, AWS, S3CMD, TEXT) if
               not os.path.exists(p)]
    try:
        import boto3  # noqa: F401
    except ImportError:
        missing.append("python3-boto3")
    return missing


def main(cases=None):
    """Runs `cases` (default: this file's) against one fnd; also the main
    of test_s3_multipart.py, which imports this file."""
    cases = CASES if cases is None else cases
    missing = prerequisites()
    if missing:
        for name, _, _ in cases:
            report("SKIP", name, "missing " + ", ".join(missing))
        return 0
    if not HAVE_KVM:
        for name, _, _ in cases:
            report("SKIP", name, "/dev/kvm is not available: fnd needs it "
                                 "to start")
        return 0
    tmp = tempfile.mkdtemp(prefix="mayfly-test-s3-")
    fnd = Fnd(tmp)
    try:
        fnd.start()
        cred = subprocess.run([FNCTL, "s3-credentials", "--data", fnd.data],
                              capture_output=True, text=True).stdout
        vals = dict(l.split(": ", 1) for l in cred.splitlines() if ": " in l)
        e = Env(tmp, fnd, vals.get("access_key_id", "?"),
                vals.get("secret_access_key", "?"))
        for name, fn, kvm in cases:
            if kvm and not os.path.exists(os.path.join(GUESTS, "evdump.elf")):
                report("SKIP", name, "build/guests_s3 is not built")
                continue
            try:
                if fnd.proc is None:
                    fnd.start()
                fn(e)
                report("PASS", name)
            except Exception as err:
                detail = "".join(traceback.format_exception_only(
                    type(err), err)).strip()
                report("FAIL", name, detail[:400])
    except Exception as err:
        report("FAIL", "s3_setup", str(err)[:400])
    finally:
        fnd.stop()
        if failed:
            print(f"(fnd's log: {fnd.log.name})", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
