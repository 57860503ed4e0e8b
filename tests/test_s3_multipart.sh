#!/bin/sh
# test_s3_multipart.sh: multipart uploads into the built-in S3 store with
# awscli and boto3, their errors, and the trigger of a completed upload.
# The cases live in tests/s3/test_s3_multipart.py, run with Debian's
# python3 (which has python3-boto3).
cd "$(dirname "$0")/.." || exit 1
if [ ! -x /usr/bin/python3 ]; then
    echo "SKIP s3_multipart_all: /usr/bin/python3 is missing" \
        "(apt-get install python3)"
    exit 0
fi
exec /usr/bin/python3 tests/s3/test_s3_multipart.py "$@"
