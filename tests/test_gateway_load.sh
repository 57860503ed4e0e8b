#!/usr/bin/env bash
# test_gateway_load.sh: wrk at concurrency 64 on loopback, 3 s per phase.
# Phase 1 (default queue): every response is 200 and every 200 was a fresh
# VM (VMs destroyed == 200s counted by /metrics). Phase 2 (a queue of 4,
# one worker): only 200 and 429, still one VM per 200, and nothing kept:
# queue, in-flight and connections back to 0, file descriptors back to
# where they were.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
need_kvm gateway_load || exit 0
command -v wrk >/dev/null || { skip gateway_load "wrk not installed (make deps)"; exit 0; }

tmp=$(mktemp -d)
trap 'stop_fnd; rm -rf "$tmp"' EXIT

# lmetric 'NAME{LABELS}': a labelled metric's value, 0 if absent.
lmetric() {
    curl -s "$FN_URL/metrics" | awk -v m="$1" '$1 == m { v = $2 } END { print v + 0 }'
}
fds() { ls "/proc/$FND_PID/fd" | wc -l; }

# idle: waits until nothing is queued or running (wrk has gone, but fnd
# still answers what it had taken).
idle() {
    for _ in $(seq 100); do
        [ "$(metric mayfly_inflight)" = 0 ] &&
            [ "$(metric mayfly_queue_depth)" = 0 ] && return 0
        sleep 0.05
    done
    return 1
}

# reaped N: waits until N VMs more than at the start have been destroyed
# (the reaper works off the critical path).
reaped() {
    for _ in $(seq 100); do
        [ $(( $(metric mayfly_vms_destroyed_total) - d0 )) -ge "$1" ] &&
            return 0
        sleep 0.05
    done
    return 1
}

# phase NAME [fnd args]: one wrk run; checks statuses and VM accounting.
phase() {
    local name=$1; shift
    start_fnd "$tmp/$name" "$@" || { fail "load_${name}_start" fnd; return; }
    bin/fnctl deploy hello build/functions/hello.elf >/dev/null
    curl -s -o /dev/null -d warm "$FN_URL/fn/hello"
    sleep 0.2
    fd0=$(fds)
    d0=$(metric mayfly_vms_destroyed_total)
    ok0=$(lmetric 'mayfly_invocations_total{function="hello",status="200"}')
    wrk -t2 -c64 -d3s --timeout 5s -s tests/wrk_status.lua \
        "$FN_URL/fn/hello" >"$tmp/$name.wrk" 2>&1
    w200=$(awk '$1 == "STATUS" && $2 == 200 { print $3 }' "$tmp/$name.wrk")
    w429=$(awk '$1 == "STATUS" && $2 == 429 { print $3 }' "$tmp/$name.wrk")
    other=$(awk '$1 == "STATUS" && $2 != 200 && $2 != 429 { print $2 "x" $3 }' \
        "$tmp/$name.wrk" | xargs)
    errors=$(grep 'Socket errors' "$tmp/$name.wrk")
    check "load_${name}_only_200_429" "" "$other"
    check "load_${name}_socket_errors" "" "$errors"
    [ "${w200:-0}" -gt 0 ] && pass "load_${name}_served" ||
        fail "load_${name}_served" "no 200s: $(cat "$tmp/$name.wrk")"
    idle || fail "load_${name}_idle" "invocations still running"
    ok=$(( $(lmetric 'mayfly_invocations_total{function="hello",status="200"}') - ok0 ))
    reaped "$ok" || fail "load_${name}_reaped" "VMs not destroyed"
    # wrk stops counting at 3 s; fnd may answer up to 64 more after that.
    [ "$ok" -ge "${w200:-0}" ] && [ "$ok" -le $(( ${w200:-0} + 64 )) ] &&
        pass "load_${name}_200s_counted" ||
        fail "load_${name}_200s_counted" "fnd $ok, wrk ${w200:-0}"
    check "load_${name}_fresh_vm_per_200" "$ok" \
        $(( $(metric mayfly_vms_destroyed_total) - d0 ))
    for g in mayfly_queue_depth mayfly_inflight; do
        check "load_${name}_${g}_0" 0 "$(metric $g)"
    done
    sleep 0.3
    [ "$(fds)" -le $(( fd0 + 2 )) ] && pass "load_${name}_fds_released" ||
        fail "load_${name}_fds_released" "$fd0 before, $(fds) after"
    echo "# load $name: wrk 200=${w200:-0} 429=${w429:-0}," \
        "$(grep Requests/sec "$tmp/$name.wrk" | xargs)"
    stop_fnd
    check "load_${name}_sigterm_exit0" 0 "$FND_RC"
}

phase roomy --pool 4
check load_roomy_no_429 "" "$w429"
phase tight --workers 1 --queue 4 --pool 2
[ "${w429:-0}" -gt 0 ] && pass load_tight_some_429 ||
    fail load_tight_some_429 "no 429 with a queue of 4"
exit $T_FAILED
