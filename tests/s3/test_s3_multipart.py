#!/usr/bin/python3
"""test_s3_multipart.py: multipart uploads into Mayfly's S3 store.

Uses the harness of test_s3.py (one fnd on free loopback ports, a
throwaway data folder, the real clients with settings made here): awscli
and s3cmd upload and download files in parts without any configuration;
boto3 drives each operation and its errors; raw signed requests send what
clients refuse to (part 0, a bad upload id, a broken part list). With KVM,
a function triggered by a completed upload runs exactly once.

Prints one line per case, "PASS name", "FAIL name: reason" or
"SKIP name: reason"; exits 1 if any case failed.
"""
import hashlib
import http.client
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_s3  # noqa: E402
from test_s3 import GUESTS, deploy, get_object, md5, wait_for  # noqa: E402

MIB = 1 << 20
CASES = []


def case(name, kvm=False):
    def register(fn):
        CASES.append((name, fn, kvm))
        return fn
    return register


def multipart_etag(parts):
    """S3's ETag of an object made of `parts`: the MD5 of their binary
    MD5s, then '-' and their number."""
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


def uploads_dir(e, upload_id=""):
    return os.path.join(e.fnd.data, "uploads", upload_id)


def error_code(fn):
    """Calls fn, which must fail; returns the S3 error code."""
    from botocore.exceptions import ClientError
    try:
        fn()
    except ClientError as err:
        return err.response["Error"]["Code"]
    raise AssertionError("the call succeeded")


def open_uploads(s3, bucket):
    return s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def raw(e, method, path, query="", body=b"", headers=None):
    """One request signed with SigV4 by botocore, sent as given, so that
    values the SDK would refuse reach the server. Returns (status, body)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    url = e.fnd.s3_url + path + ("?" + query if query else "")
    req = AWSRequest(method=method, url=url, data=body,
                     headers=dict(headers or {}))
    S3SigV4Auth(Credentials(e.key_id, e.secret), "s3",
                "us-east-1").add_auth(req)
    c = http.client.HTTPConnection("127.0.0.1", e.fnd.s3_port, timeout=30)
    c.request(method, path + ("?" + query if query else ""), body=body,
              headers=dict(req.headers.items()))
    r = c.getresponse()
    out = (r.status, r.read())
    c.close()
    return out


def xml_code(body):
    text = body.decode(errors="replace")
    if "<Code>" not in text:
        return text[:80]
    return text.split("<Code>", 1)[1].split("</Code>", 1)[0]


@case("s3_multipart_awscli_cp")
def t_awscli(e):
    """awscli splits a 20 MiB file into 8 MiB parts on its own."""
    data = os.urandom(20 * MIB + 12345)
    src = os.path.join(e.tmp, "big.bin")
    with open(src, "wb") as f:
        f.write(data)
    e.aws("s3", "mb", "s3://mp-cli")
    e.aws("s3", "cp", src, "s3://mp-cli/dir/big.bin")
    head = json.loads(e.aws("s3api", "head-object", "--bucket", "mp-cli",
                            "--key", "dir/big.bin").stdout)
    chunks = [data[i:i + 8 * MIB] for i in range(0, len(data), 8 * MIB)]
    assert head["ETag"] == multipart_etag(chunks), \
        (head["ETag"], multipart_etag(chunks))
    assert head["ContentLength"] == len(data), head
    down = os.path.join(e.tmp, "big.down")
    e.aws("s3", "cp", "s3://mp-cli/dir/big.bin", down)
    with open(down, "rb") as f:
        assert f.read() == data, "the download differs"
    out = json.loads(e.aws("s3api", "list-multipart-uploads", "--bucket",
                           "mp-cli").stdout or "{}")
    assert not out.get("Uploads"), out
    assert os.listdir(uploads_dir(e)) == [], os.listdir(uploads_dir(e))


@case("s3_multipart_awscli_s3_to_s3")
def t_awscli_copy(e):
    """awscli copies an object past its multipart threshold from one S3
    path to another: it reads the source's tags first (GetObjectTagging),
    gives them to the new upload and copies the parts (UploadPartCopy)."""
    data = os.urandom(20 * MIB)
    src = os.path.join(e.tmp, "copy.bin")
    with open(src, "wb") as f:
        f.write(data)
    e.aws("s3", "mb", "s3://mp-copy")
    e.aws("s3", "cp", src, "s3://mp-copy/big")
    e.aws("s3api", "put-object-tagging", "--bucket", "mp-copy", "--key",
          "big", "--tagging", "TagSet=[{Key=team,Value=a b}]")
    e.aws("s3", "cp", "s3://mp-copy/big", "s3://mp-copy/big2")
    assert get_object(e, "mp-copy", "big2") == data, "the copy differs"
    tags = e.boto3().get_object_tagging(Bucket="mp-copy", Key="big2")
    assert tags["TagSet"] == [{"Key": "team", "Value": "a b"}], tags
    # And without tags on the source.
    e.aws("s3api", "delete-object-tagging", "--bucket", "mp-copy", "--key",
          "big")
    e.aws("s3", "cp", "s3://mp-copy/big", "s3://mp-copy/big3")
    assert get_object(e, "mp-copy", "big3") == data, "the copy differs"
    tags = e.boto3().get_object_tagging(Bucket="mp-copy", Key="big3")
    assert tags["TagSet"] == [], tags


@case("s3_multipart_s3cmd")
def t_s3cmd(e):
    """s3cmd sends files past 15 MiB in 15 MiB parts."""
    data = os.urandom(17 * MIB)
    src = os.path.join(e.tmp, "s3cmd.bin")
    with open(src, "wb") as f:
        f.write(data)
    e.s3cmd("put", src, "s3://mp-cli/s3cmd.bin")
    head = e.boto3().head_object(Bucket="mp-cli", Key="s3cmd.bin")
    assert head["ETag"] == multipart_etag([data[:15 * MIB],
                                           data[15 * MIB:]]), head["ETag"]
    down = os.path.join(e.tmp, "s3cmd.down")
    e.s3cmd("get", "--force", "s3://mp-cli/s3cmd.bin", down)
    with open(down, "rb") as f:
        assert f.read() == data, "the download differs"


@case("s3_multipart_boto3_low_level")
def t_boto3(e):
    s3 = e.boto3()
    s3.create_bucket(Bucket="mp-boto")
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB + 1), b"tail" * 100]
    up = s3.create_multipart_upload(Bucket="mp-boto", Key="a b+c.bin",
                                    ContentType="application/x-test")
    uid = up["UploadId"]
    assert up["Key"] == "a b+c.bin" and up["Bucket"] == "mp-boto", up
    assert [u["UploadId"] for u in open_uploads(s3, "mp-boto")] == [uid]
    done = []
    # Sent out of order, and part 2 twice: the later one counts.
    for n in (2, 1, 3, 2):
        r = s3.upload_part(Bucket="mp-boto", Key="a b+c.bin", UploadId=uid,
                           PartNumber=n, Body=parts[n - 1])
        assert r["ETag"] == f'"{md5(parts[n - 1])}"', (n, r["ETag"])
        done.append({"PartNumber": n, "ETag": r["ETag"]})
    listed = s3.list_parts(Bucket="mp-boto", Key="a b+c.bin", UploadId=uid)
    got = [(p["PartNumber"], p["Size"], p["ETag"]) for p in listed["Parts"]]
    want = [(n, len(parts[n - 1]), f'"{md5(parts[n - 1])}"')
            for n in (1, 2, 3)]
    assert got == want, got
    page = s3.list_parts(Bucket="mp-boto", Key="a b+c.bin", UploadId=uid,
                         MaxParts=2)
    assert page["IsTruncated"] and page["NextPartNumberMarker"] == 2, page
    page = s3.list_parts(Bucket="mp-boto", Key="a b+c.bin", UploadId=uid,
                         PartNumberMarker=2)
    assert [p["PartNumber"] for p in page["Parts"]] == [3], page
    r = s3.complete_multipart_upload(
        Bucket="mp-boto", Key="a b+c.bin", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": n,
                                    "ETag": f'"{md5(parts[n - 1])}"'}
                                   for n in (1, 2, 3)]})
    assert r["ETag"] == multipart_etag(parts), (r["ETag"],
                                                multipart_etag(parts))
    g = s3.get_object(Bucket="mp-boto", Key="a b+c.bin")
    assert g["Body"].read() == b"".join(parts), "the object differs"
    assert g["ETag"] == multipart_etag(parts), g["ETag"]
    assert g["ContentType"] == "application/x-test", g["ContentType"]
    assert open_uploads(s3, "mp-boto") == []
    assert error_code(lambda: s3.list_parts(
        Bucket="mp-boto", Key="a b+c.bin", UploadId=uid)) == "NoSuchUpload"
    assert os.listdir(uploads_dir(e)) == [], os.listdir(uploads_dir(e))


@case("s3_multipart_abort")
def t_abort(e):
    s3 = e.boto3()
    uid = s3.create_multipart_upload(Bucket="mp-boto",
                                     Key="gone")["UploadId"]
    for n in (1, 2):
        s3.upload_part(Bucket="mp-boto", Key="gone", UploadId=uid,
                       PartNumber=n, Body=b"x" * 1000)
    files = os.listdir(uploads_dir(e, uid))
    assert len(files) == 2, files
    s3.abort_multipart_upload(Bucket="mp-boto", Key="gone", UploadId=uid)
    assert open_uploads(s3, "mp-boto") == []
    assert not os.path.exists(uploads_dir(e, uid)), "parts left on disk"
    assert os.listdir(uploads_dir(e)) == [], os.listdir(uploads_dir(e))
    for call in (
            lambda: s3.abort_multipart_upload(Bucket="mp-boto", Key="gone",
                                              UploadId=uid),
            lambda: s3.upload_part(Bucket="mp-boto", Key="gone",
                                   UploadId=uid, PartNumber=3, Body=b"x"),
            lambda: s3.list_parts(Bucket="mp-boto", Key="gone",
                                  UploadId=uid)):
        assert error_code(call) == "NoSuchUpload"
    assert error_code(lambda: s3.head_object(Bucket="mp-boto",
                                             Key="gone")) == "404"


def start_with_parts(s3, key, bodies):
    uid = s3.create_multipart_upload(Bucket="mp-boto", Key=key)["UploadId"]
    etags = [s3.upload_part(Bucket="mp-boto", Key=key, UploadId=uid,
                            PartNumber=n + 1, Body=b)["ETag"]
             for n, b in enumerate(bodies)]
    return uid, etags


def complete(s3, key, uid, parts):
    return s3.complete_multipart_upload(
        Bucket="mp-boto", Key=key, UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": t}
                                   for n, t in parts]})


@case("s3_multipart_invalid_part")
def t_invalid_part(e):
    s3 = e.boto3()
    uid, etags = start_with_parts(s3, "bad-etag", [b"a" * 5 * MIB, b"end"])
    wrong = '"' + "0" * 32 + '"'
    assert error_code(lambda: complete(s3, "bad-etag", uid, [
        (1, etags[0]), (2, wrong)])) == "InvalidPart"
    assert error_code(lambda: complete(s3, "bad-etag", uid, [
        (1, etags[0]), (3, etags[1])])) == "InvalidPart"
    assert error_code(lambda: complete(s3, "bad-etag", uid, [
        (2, etags[1]), (1, etags[0])])) == "InvalidPartOrder"
    assert error_code(lambda: complete(s3, "other-key", uid, [
        (1, etags[0]), (2, etags[1])])) == "NoSuchUpload"
    # Nothing changed: the right list still completes.
    assert [u["UploadId"] for u in open_uploads(s3, "mp-boto")] == [uid]
    r = complete(s3, "bad-etag", uid, [(1, etags[0]), (2, etags[1])])
    assert r["ETag"] == multipart_etag([b"a" * 5 * MIB, b"end"]), r
    # A completed upload is gone.
    assert error_code(lambda: complete(s3, "bad-etag", uid, [
        (1, etags[0]), (2, etags[1])])) == "NoSuchUpload"


@case("s3_multipart_entity_too_small")
def t_too_small(e):
    s3 = e.boto3()
    bodies = [b"s" * (5 * MIB - 1), b"b" * 5 * MIB, b"end"]
    uid, etags = start_with_parts(s3, "small", bodies)
    assert error_code(lambda: complete(s3, "small", uid, list(zip(
        (1, 2, 3), etags)))) == "EntityTooSmall"
    # Without the small part the rest is fine; the unused part goes too.
    r = complete(s3, "small", uid, [(2, etags[1]), (3, etags[2])])
    assert r["ETag"] == multipart_etag(bodies[1:]), r
    assert get_object(e, "mp-boto", "small") == b"".join(bodies[1:])
    assert os.listdir(uploads_dir(e)) == [], os.listdir(uploads_dir(e))


@case("s3_multipart_bad_requests")
def t_bad_requests(e):
    s3 = e.boto3()
    uid = s3.create_multipart_upload(Bucket="mp-boto", Key="raw")["UploadId"]
    q = urllib.parse.quote
    for n in ("0", "10001", "-1", "1x", "", "+5", "99999999999"):
        st, body = raw(e, "PUT", "/mp-boto/raw",
                       f"partNumber={q(n)}&uploadId={uid}", b"x")
        assert st == 400 and xml_code(body) == "InvalidArgument", (n, st,
                                                                    body)
    for bad in ("../../etc", uid.upper(), uid + "0", "", "%00" + uid[1:]):
        st, body = raw(e, "PUT", "/mp-boto/raw",
                       f"partNumber=1&uploadId={q(bad, safe='%')}", b"x")
        assert st == 404 and xml_code(body) == "NoSuchUpload", (bad, st,
                                                                 body)
    st, body = raw(e, "PUT", "/mp-boto/raw", "partNumber=1", b"x")
    assert st == 400 and xml_code(body) == "InvalidRequest", (st, body)
    for doc in (b"", b"not xml", b"<CompleteMultipartUpload/>",
                b"<CompleteMultipartUpload><Part><PartNumber>1"
                b"</PartNumber></Part></CompleteMultipartUpload>",
                b"<CompleteMultipartUpload><Part><PartNumber>x"
                b"</PartNumber><ETag>a</ETag></Part>"
                b"</CompleteMultipartUpload>",
                b"<CompleteMultipartUpload><Part><PartNumber>1"):
        st, body = raw(e, "POST", "/mp-boto/raw", f"uploadId={uid}", doc)
        assert st == 400 and xml_code(body) == "MalformedXML", (doc, st,
                                                                 body)
    doc = (b"<CompleteMultipartUpload>" + b"<Part><PartNumber>1</PartNumber>"
           b"<ETag>x</ETag></Part>" * 10001 + b"</CompleteMultipartUpload>")
    st, body = raw(e, "POST", "/mp-boto/raw", f"uploadId={uid}", doc)
    assert st == 400 and xml_code(body) == "MalformedXML", (st, body)
    st, body = raw(e, "GET", "/mp-boto/raw", f"uploadId={uid}&max-parts=x")
    assert st == 400 and xml_code(body) == "InvalidArgument", (st, body)
    st, body = raw(e, "GET", "/mp-boto", "uploads&max-uploads=-3")
    assert st == 400 and xml_code(body) == "InvalidArgument", (st, body)
    st, body = raw(e, "POST", "/no-such-bkt/raw", "uploads")
    assert st == 404 and xml_code(body) == "NoSuchBucket", (st, body)
    st, body = raw(e, "GET", "/no-such-bkt", "uploads")
    assert st == 404 and xml_code(body) == "NoSuchBucket", (st, body)
    st, body = raw(e, "PUT", "/mp-boto", "uploads")
    assert st == 405, (st, body)
    s3.abort_multipart_upload(Bucket="mp-boto", Key="raw", UploadId=uid)


@case("s3_multipart_upload_part_copy")
def t_part_copy(e):
    s3 = e.boto3()
    src = os.urandom(6 * MIB)
    s3.put_object(Bucket="mp-boto", Key="src", Body=src)
    uid = s3.create_multipart_upload(Bucket="mp-boto",
                                     Key="copied")["UploadId"]
    r1 = s3.upload_part_copy(Bucket="mp-boto", Key="copied", UploadId=uid,
                             PartNumber=1,
                             CopySource={"Bucket": "mp-boto", "Key": "src"},
                             CopySourceRange=f"bytes=0-{5 * MIB - 1}")
    r2 = s3.upload_part(Bucket="mp-boto", Key="copied", UploadId=uid,
                        PartNumber=2, Body=b"own part")
    e1 = r1["CopyPartResult"]["ETag"]
    assert e1 == f'"{md5(src[:5 * MIB])}"', e1
    assert error_code(lambda: s3.upload_part_copy(
        Bucket="mp-boto", Key="copied", UploadId=uid, PartNumber=3,
        CopySource={"Bucket": "mp-boto", "Key": "src"},
        CopySourceRange=f"bytes=0-{6 * MIB}")) == "InvalidRange"
    assert error_code(lambda: s3.upload_part_copy(
        Bucket="mp-boto", Key="copied", UploadId=uid, PartNumber=3,
        CopySource={"Bucket": "mp-boto", "Key": "nope"})) == "NoSuchKey"
    complete(s3, "copied", uid, [(1, e1), (2, r2["ETag"])])
    assert get_object(e, "mp-boto", "copied") == src[:5 * MIB] + b"own part"


@case("s3_multipart_list_uploads")
def t_list_uploads(e):
    s3 = e.boto3()
    s3.create_bucket(Bucket="mp-list")
    keys = ["a/1", "a/2", "b", "c/x/1", "c/y", "b"]
    ids = [s3.create_multipart_upload(Bucket="mp-list", Key=k)["UploadId"]
           for k in keys]
    seen, args = [], {"Bucket": "mp-list", "MaxUploads": 2}
    while True:
        r = s3.list_multipart_uploads(**args)
        seen += [(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])]
        assert len(r.get("Uploads", [])) <= 2, r
        if not r["IsTruncated"]:
            break
        args.update(KeyMarker=r["NextKeyMarker"],
                    UploadIdMarker=r["NextUploadIdMarker"])
    assert sorted(seen) == sorted(zip(keys, ids)), seen
    assert [k for k, _ in seen] == sorted(keys), seen
    r = s3.list_multipart_uploads(Bucket="mp-list", Delimiter="/")
    assert [u["Key"] for u in r["Uploads"]] == ["b", "b"], r
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "c/"], r
    r = s3.list_multipart_uploads(Bucket="mp-list", Delimiter="/",
                                  Prefix="c/")
    assert [u["Key"] for u in r["Uploads"]] == ["c/y"], r
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["c/x/"], r
    # A bucket is deleted with its unfinished uploads (it holds no object).
    s3.upload_part(Bucket="mp-list", Key="b", UploadId=ids[2], PartNumber=1,
                   Body=b"part")
    assert all(os.path.isdir(uploads_dir(e, i)) for i in ids), ids
    s3.delete_bucket(Bucket="mp-list")
    left = [i for i in ids if os.path.exists(uploads_dir(e, i))]
    assert left == [], f"folders left: {left}"
    assert error_code(lambda: s3.list_multipart_uploads(
        Bucket="mp-list")) == "NoSuchBucket"


@case("s3_multipart_trigger_once", kvm=True)
def t_trigger(e):
    s3 = e.boto3()
    for b in ("mp-events", "mp-dump"):
        s3.create_bucket(Bucket=b)
    deploy(e, "mpdump", os.path.join(GUESTS, "evdump.elf"),
           "--on-object", "mp-events", "--env", "OUTPUT_BUCKET=mp-dump")
    parts = [os.urandom(5 * MIB), os.urandom(300 * 1024)]
    uid = s3.create_multipart_upload(Bucket="mp-events",
                                     Key="in/big.bin")["UploadId"]
    tags = [s3.upload_part(Bucket="mp-events", Key="in/big.bin",
                           UploadId=uid, PartNumber=n + 1,
                           Body=p)["ETag"] for n, p in enumerate(parts)]
    r = s3.complete_multipart_upload(
        Bucket="mp-events", Key="in/big.bin", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": t}
                                   for n, t in enumerate(tags)]})
    doc = json.loads(wait_for("the event dump", lambda: get_object(
        e, "mp-dump", "in/big.bin.json")))
    rec = doc["event"]["Records"][0]
    assert rec["eventName"] == "ObjectCreated:CompleteMultipartUpload", rec
    assert rec["s3"]["object"]["size"] == sum(map(len, parts)), rec
    assert f'"{rec["s3"]["object"]["eTag"]}"' == r["ETag"] == \
        multipart_etag(parts), (rec, r["ETag"])
    assert doc["read_len"] == sum(map(len, parts)), doc
    assert doc["read_sum"] == sum(parts[0]) + sum(parts[1]), "read sum"
    time.sleep(1.5)   # a second delivery would come by now

    def invocations():
        st, body = e.admin("GET", "/api/v1/invocations?function=mpdump")
        assert st == 200, (st, body)
        return json.loads(body)["invocations"]
    invs = invocations()
    assert len(invs) == 1, f"{len(invs)} invocations: {invs}"
    assert invs[0]["trigger"]["key"] == "in/big.bin", invs
    assert invs[0]["trigger"]["event"] == \
        "ObjectCreated:CompleteMultipartUpload", invs


if __name__ == "__main__":
    sys.exit(test_s3.main(CASES))
