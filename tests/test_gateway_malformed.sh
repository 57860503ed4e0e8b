#!/usr/bin/env bash
# test_gateway_malformed.sh: hostile and broken HTTP against fnd (cases in
# tests/gateway_malformed.py): each gets a 4xx or a closed connection,
# never a crash or a hang, and fnd serves normal requests after each, then
# still runs functions and stops cleanly.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh

tmp=$(mktemp -d)
trap 'stop_fnd; rm -rf "$tmp"' EXIT
start_fnd "$tmp/data" --header-timeout 1 --body-timeout 1 --pool 1 ||
    { fail malformed_start "fnd"; exit 1; }

timeout 120 /usr/bin/python3 tests/gateway_malformed.py 127.0.0.1 "$FND_PORT"
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 1 ] || fail malformed_suite "exited with $rc"
[ $rc -eq 1 ] && T_FAILED=1

kill -0 "$FND_PID" 2>/dev/null && pass malformed_fnd_alive ||
    fail malformed_fnd_alive "fnd is gone: $(tail -3 "$tmp/data.log")"
if [ -e /dev/kvm ]; then
    bin/fnctl deploy hello build/functions/hello.elf >/dev/null
    check malformed_then_invoke "hello, after" \
        "$(curl -s -d after "$FN_URL/fn/hello")"
else
    skip malformed_then_invoke "/dev/kvm absent"
fi
stop_fnd
check malformed_sigterm_exit0 0 "$FND_RC"
exit $T_FAILED
