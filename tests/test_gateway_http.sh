#!/usr/bin/env bash
# test_gateway_http.sh: the HTTP/1.1 that must work (cases in
# tests/gateway_protocol.py): keep-alive, pipelining in order, chunked
# bodies, Expect: 100-continue (and refusals before the body), HEAD,
# OPTIONS, HTTP/1.0, Connection: close, request ids.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
need_kvm gateway_http || exit 0

tmp=$(mktemp -d)
trap 'stop_fnd; rm -rf "$tmp"' EXIT
start_fnd "$tmp/data" --pool 2 || { fail http_start fnd; exit 1; }
bin/fnctl deploy echo build/functions/echo.elf --max-body 1000 >/dev/null ||
    fail http_deploy_echo "fnctl deploy"
timeout 60 /usr/bin/python3 tests/gateway_protocol.py 127.0.0.1 "$FND_PORT" \
    "$FN_TOKEN"
[ $? -eq 0 ] || T_FAILED=1
stop_fnd
check http_sigterm_exit0 0 "$FND_RC"
exit $T_FAILED
