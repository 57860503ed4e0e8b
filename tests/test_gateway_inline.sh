#!/usr/bin/env bash
# test_gateway_inline.sh: fnd runs a guest's first 200 us on its event loop
# when nothing waits, and hands a guest that needs longer to a worker. Both
# must answer the same; the time limit must hold across the hand-off; and
# the loop must go on serving others while a handed-on guest runs.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
need_kvm gateway_inline || exit 0
GW=build/tests/guests/libos_gwtest.elf
[ -f "$GW" ] || { skip gateway_inline "$GW not built (make test builds it)"; exit 0; }

tmp=$(mktemp -d)
trap 'stop_fnd; rm -rf "$tmp"' EXIT

start_fnd "$tmp/data" --pool 2 || { fail inline_start "fnd"; exit 1; }
bin/fnctl deploy gw "$GW" --timeout 1000 >/dev/null ||
    { fail inline_deploy "fnctl deploy"; exit 1; }

# Paced calls, so a primed VM is ready for each: answered on the loop.
a0=$(metric mayfly_inline_answered_total)
ok=0
for _ in $(seq 10); do
    [ "$(curl -s "$FN_URL/fn/gw")" = ok ] && ok=$((ok + 1))
    sleep 0.1
done
check inline_paced_answers 10 "$ok"
a1=$(metric mayfly_inline_answered_total)
[ $((a1 - a0)) -ge 5 ] && pass inline_paced_on_loop ||
    fail inline_paced_on_loop "only $((a1 - a0)) of 10 answered on the loop"

# 30 ms of guest work outlives the slice: finished on a worker.
sleep 0.1
h0=$(metric mayfly_inline_handed_on_total)
check inline_long_guest_answers ok "$(curl -s "$FN_URL/fn/gw?spin=30")"
h1=$(metric mayfly_inline_handed_on_total)
check inline_long_guest_handed_on 1 $((h1 - h0))

# The limit counts from the guest's start, wherever it goes on.
sleep 0.1
t0=$(metric mayfly_vm_timeouts_total)
out=$(curl -s -w ' %{http_code}' "$FN_URL/fn/gw?spin=5000")
case "$out" in
*'"error":"function_timeout"'*' 504') pass inline_timeout_after_hand_off ;;
*) fail inline_timeout_after_hand_off "$out" ;;
esac
check inline_timeout_counted 1 $(($(metric mayfly_vm_timeouts_total) - t0))

# While one guest spins on a worker, the loop answers another request.
sleep 0.1
curl -s "$FN_URL/fn/gw?spin=800" >"$tmp/slow" &
slow=$!
sleep 0.2
check inline_loop_free_while_guest_runs ok "$(curl -s "$FN_URL/fn/gw")"
[ -s "$tmp/slow" ] && fail inline_other_served_first "slow guest already done" ||
    pass inline_other_served_first
wait "$slow"
check inline_slow_guest_answers ok "$(cat "$tmp/slow")"

stop_fnd
check inline_clean_exit 0 "$FND_RC"
[ "$T_FAILED" = 0 ]
