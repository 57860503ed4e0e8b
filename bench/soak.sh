#!/usr/bin/env bash
# soak.sh: fnd under steady load (wrk at SOAK_CONNS connections against
# hello, with admin reads and a burst past a tight concurrency limit every
# round) for SOAK_SECONDS; prints RSS and open fds per round. Flat means:
# from the end of the first round (caches warm) to the last, RSS grows by
# less than 4 MiB and the fd count by at most 4. Exits 1 otherwise.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
SECONDS_TOTAL=${SOAK_SECONDS:-180}
ROUND=${SOAK_ROUND:-15}
CONNS=${SOAK_CONNS:-16}
[ -e /dev/kvm ] || { echo "soak: /dev/kvm absent"; exit 1; }
command -v wrk >/dev/null || { echo "soak: wrk missing (make deps)"; exit 1; }

tmp=$(mktemp -d)
trap 'stop_fnd; rm -rf "$tmp"' EXIT
start_fnd "$tmp/data" --log-level warn || exit 1
bin/fnctl deploy hello build/functions/hello.elf >/dev/null
bin/fnctl deploy tight build/functions/hello.elf --concurrency 1 >/dev/null

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$FND_PID/status"; }
fds() { ls "/proc/$FND_PID/fd" | wc -l; }

printf '%-6s %10s %10s %6s %10s\n' round requests rss_kib fds vms
rounds=$(( SECONDS_TOTAL / ROUND ))
for r in $(seq "$rounds"); do
    wrk -t2 -c"$CONNS" -d"${ROUND}s" "$FN_URL/fn/hello" >"$tmp/wrk" 2>&1 &
    w=$!
    for _ in $(seq 20); do
        curl -s -o /dev/null "$FN_URL/metrics"
        bin/fnctl logs hello -n 50 >/dev/null
        pids=
        for _ in 1 2 3 4; do
            curl -s -o /dev/null "$FN_URL/fn/tight" &
            pids="$pids $!"
        done
        wait $pids
        sleep "$(awk -v r="$ROUND" 'BEGIN { printf "%.2f", r / 25 }')"
    done
    wait "$w"
    sleep 1 # the reaper finishes off the last VMs
    reqs=$(awk '/requests in/ { print $1 }' "$tmp/wrk")
    s_rss=$(rss) s_fds=$(fds)
    printf '%-6s %10s %10s %6s %10s\n' "$r" "$reqs" "$s_rss" "$s_fds" \
        "$(metric mayfly_vms_destroyed_total)"
    [ "$r" = 1 ] && { rss1=$s_rss; fds1=$s_fds; }
done
grow=$(( s_rss - rss1 ))
echo "rss growth after round 1: ${grow} KiB; fds: $fds1 -> $s_fds"
other=$(curl -s "$FN_URL/metrics" | grep '^mayfly_invocations_total' |
    grep -v 'status="200"' | grep -v 'function="tight",status="429"')
[ -z "$other" ] || { echo "soak: unexpected statuses:"; echo "$other"; }
stop_fnd
[ "$grow" -lt 4096 ] && [ "$s_fds" -le $(( fds1 + 4 )) ] && [ -z "$other" ] &&
    [ "$FND_RC" = 0 ] && { echo "soak: flat"; exit 0; }
echo "soak: NOT flat (or fnd exited $FND_RC)"
exit 1
