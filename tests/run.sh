#!/usr/bin/env bash
# run.sh: runs every test binary and script; each prints one line per case,
# "PASS name", "FAIL name: reason" or "SKIP name: reason". Ends with the
# line "N passed, N failed, N skipped"; exits non-zero on any failure.
# The test binaries come from $TEST_BUILD (build); the scripts start
# $FND_BIN (bin/fnd) through tests/lib.sh.
set -u
cd "$(dirname "$0")/.."
pass=0 fail=0 skip=0
tests=$(ls "${TEST_BUILD:-build}"/tests/test_* 2>/dev/null | grep -v '\.[od]$'; ls tests/test_*.sh 2>/dev/null)
for t in $tests; do
    [ -x "$t" ] || continue
    echo "== $t"
    out=$(mktemp)
    timeout 600 "$t" >"$out" 2>&1
    rc=$?
    cat "$out"
    p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out")
    s=$(grep -c '^SKIP ' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $t: exited with status $rc"
        f=1
    fi
    pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
    rm -f "$out"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
