#!/usr/bin/env bash
# test_gateway_budget.sh: --body-memory caps the memory that request and
# response bodies hold at once, and --max-conns the connections of a
# listener. The cases are in tests/gateway_budget.py, one fnd each.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
need_kvm gateway_budget || exit 0

tmp=$(mktemp -d)
trap 'stop_fnd; rm -rf "$tmp"' EXIT

# scenario NAME DATA_DIR [fnd args...]: runs one scenario against its fnd.
scenario() {
    local name=$1 data=$2
    shift 2
    start_fnd "$data" "$@" || { fail "${name}_start" fnd; return; }
    timeout 60 /usr/bin/python3 tests/gateway_budget.py "$name" 127.0.0.1 \
        "$FND_PORT"
    [ $? -eq 0 ] || T_FAILED=1
    stop_fnd
    check "${name}_sigterm_exit0" 0 "$FND_RC"
}

scenario bodies "$tmp/d1" --pool 2 --body-memory 2097152 \
    --functions build/functions
scenario answers "$tmp/d2" --pool 2 --body-memory 8388608 --s3-listen off \
    --functions build/functions
scenario conns "$tmp/d3" --pool 1 --max-conns 3 --s3-listen off
exit $T_FAILED
