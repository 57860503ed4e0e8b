#!/usr/bin/env bash
# deploy_stall.sh IMAGE: runs bench/deploy_stall.py against a fresh fnd on
# a free loopback port with its own data folder, then stops it.
set -eu
cd "$(dirname "$0")/.."
. tests/lib.sh
tmp=$(mktemp -d)
trap 'stop_fnd; rm -rf "$tmp"' EXIT
start_fnd "$tmp/data" --s3-listen off --functions build/functions
/usr/bin/python3 bench/deploy_stall.py "$FND_PORT" "$FN_TOKEN" "$1"
