#!/bin/sh
# test_s3.sh: the built-in S3 store with awscli, s3cmd and boto3, object
# triggers end to end, retries and dead letters, kill -9, and the webhook.
# The cases live in tests/s3/test_s3.py, run with Debian's python3 (which
# has python3-boto3), not whatever python3 comes first on PATH.
cd "$(dirname "$0")/.." || exit 1
if [ ! -x /usr/bin/python3 ]; then
    echo "SKIP s3_all: /usr/bin/python3 is missing (apt-get install python3)"
    exit 0
fi
exec /usr/bin/python3 tests/s3/test_s3.py "$@"
