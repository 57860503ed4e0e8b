#!/bin/sh
# test_s3_meta.sh: object metadata (x-amz-meta-*, Cache-Control and the
# other headers S3 keeps) with boto3, awscli and s3cmd, and
# virtual-hosted-style addressing (--s3-domain). The cases live in
# tests/s3/test_s3_meta.py, run with Debian's python3 (which has
# python3-boto3).
cd "$(dirname "$0")/.." || exit 1
if [ ! -x /usr/bin/python3 ]; then
    echo "SKIP s3_meta_all: /usr/bin/python3 is missing" \
        "(apt-get install python3)"
    exit 0
fi
exec /usr/bin/python3 tests/s3/test_s3_meta.py "$@"
