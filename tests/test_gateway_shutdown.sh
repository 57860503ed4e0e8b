#!/usr/bin/env bash
# test_gateway_shutdown.sh: SIGTERM stops accepting, lets invocations in
# flight finish and answers them, writes the invocation log, exits 0; the
# wait is bounded by --drain (queued work gets 503, running work is left
# after a grace period).
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
need_kvm gateway_shutdown || exit 0
GW=build/tests/guests/libos_gwtest.elf
[ -f "$GW" ] || { skip gateway_shutdown "$GW not built (make test builds it)"; exit 0; }

tmp=$(mktemp -d)
trap 'stop_fnd; rm -rf "$tmp"' EXIT

# wait_inflight N: until /metrics shows N invocations running (5 s at most).
wait_inflight() {
    for _ in $(seq 250); do
        [ "$(metric mayfly_inflight)" = "$1" ] && return 0
        sleep 0.02
    done
    return 1
}

# ms_since T0: milliseconds since T0 (from date +%s%N).
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# ---- in-flight invocations finish ------------------------------------------
start_fnd "$tmp/data" --workers 2 --pool 2 --drain 5 || { fail shutdown_start fnd; exit 1; }
bin/fnctl deploy gw "$GW" --timeout 5s >/dev/null
for i in 1 2; do
    curl -s -o "$tmp/body$i" -w '%{http_code}' -H "X-Request-Id: slow-$i" \
        "$FN_URL/fn/gw?spin=1000" >"$tmp/code$i" &
done
wait_inflight 2 || fail shutdown_inflight_2 "never 2 running"
t0=$(date +%s%N)
kill -TERM "$FND_PID"
sleep 0.2
curl -s -o /dev/null --max-time 2 "$FN_URL/healthz"
check shutdown_stops_accepting 7 $?
wait "$FND_PID"
rc=$?
took=$(ms_since "$t0")
FND_PID=
wait
check shutdown_exit0 0 "$rc"
[ "$took" -lt 3000 ] && pass shutdown_prompt || fail shutdown_prompt "${took} ms"
check shutdown_inflight_answered "200 200" "$(cat "$tmp/code1") $(cat "$tmp/code2")"
check shutdown_inflight_bodies "ok ok" "$(cat "$tmp/body1") $(cat "$tmp/body2")"
grep -q 'msg=stopping signal=SIGTERM' "$tmp/data.log" &&
    grep -q 'msg=stopped abandoned=0' "$tmp/data.log" &&
    pass shutdown_logged || fail shutdown_logged "$(tail -3 "$tmp/data.log")"

# The invocation log was written before exit.
start_fnd "$tmp/data" --pool 1 || fail shutdown_restart fnd
n=$(bin/fnctl logs gw -n 10 -o json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(1 for v in d["invocations"] if v["request_id"].startswith("slow-")
          and v["status"] == 200))')
check shutdown_log_flushed 2 "$n"
stop_fnd

# ---- bounded: queued work gets 503, then fnd leaves ------------------------
start_fnd "$tmp/data" --workers 1 --pool 1 --drain 1 || fail shutdown_start2 fnd
curl -s -o /dev/null -w '%{http_code}' "$FN_URL/fn/gw?spin=1800" >"$tmp/run" &
wait_inflight 1 || fail shutdown_inflight_1 "never running"
curl -s -o "$tmp/qbody" -w '%{http_code}' "$FN_URL/fn/gw" >"$tmp/queued" &
for _ in $(seq 100); do
    [ "$(metric mayfly_queue_depth)" = 1 ] && break
    sleep 0.02
done
t0=$(date +%s%N)
kill -TERM "$FND_PID"
wait "$FND_PID"
rc=$?
took=$(ms_since "$t0")
FND_PID=
wait
check shutdown_bounded_exit0 0 "$rc"
check shutdown_queued_503 503 "$(cat "$tmp/queued")"
grep -q shutting_down "$tmp/qbody" && pass shutdown_503_json ||
    fail shutdown_503_json "$(cat "$tmp/qbody")"
check shutdown_running_finished 200 "$(cat "$tmp/run")"
[ "$took" -lt 4000 ] && pass shutdown_bounded_wait || fail shutdown_bounded_wait "${took} ms"

# ---- bounded: a guest that outlives the grace period is left behind -------
start_fnd "$tmp/data" --workers 1 --pool 1 --drain 1 || fail shutdown_start3 fnd
curl -s -o /dev/null "$FN_URL/fn/gw?spin=4500" &
wait_inflight 1 || fail shutdown_inflight_1b "never running"
t0=$(date +%s%N)
kill -TERM "$FND_PID"
wait "$FND_PID"
rc=$?
took=$(ms_since "$t0")
FND_PID=
wait
check shutdown_abandon_exit0 0 "$rc"
[ "$took" -lt 4400 ] && pass shutdown_abandon_bounded || fail shutdown_abandon_bounded "${took} ms"
grep -q 'abandoning invocations' "$tmp/data.log" && pass shutdown_abandon_logged ||
    fail shutdown_abandon_logged "$(tail -3 "$tmp/data.log")"

# ---- changes queued at SIGTERM: each is answered, made or refused --------
# (A request still arriving at SIGTERM is not one: its connection closes.)
head -c 60000000 /dev/zero | cat build/functions/hello.elf - >"$tmp/slow.elf"
start_fnd "$tmp/data" --pool 1 --drain 1 || fail shutdown_start4 fnd
/usr/bin/python3 - "$FND_PORT" "$FN_TOKEN" "$tmp/slow.elf" "$FND_PID" \
    >"$tmp/changes" <<'PY'
import http.client, os, signal, sys, threading, time
port, tok, slow, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
body = open(slow, "rb").read()
out = []
sent = threading.Semaphore(0)
def deploy(i):
    released = False
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("PUT", "/api/v1/functions/slow%d" % i, body,
                  {"Authorization": "Bearer " + tok})
        sent.release()
        released = True
        r = c.getresponse()
        out.append("%d %s" % (r.status, r.read()[:60].decode()))
    except Exception as e:  # no answer at all
        out.append("none %r" % e)
        if not released:
            sent.release()
ts = [threading.Thread(target=deploy, args=(i,)) for i in range(8)]
for t in ts:
    t.start()
for t in ts:  # every upload is out; fnd reads the last of them
    sent.acquire()
time.sleep(0.3)
os.kill(pid, signal.SIGTERM)
for t in ts:
    t.join()
print("\n".join(out))
PY
wait "$FND_PID"
rc=$?
FND_PID=
check shutdown_changes_exit0 0 "$rc"
n=$(grep -cE '^(201 |503 .*shutting_down)' "$tmp/changes")
check shutdown_changes_all_answered 8 "$n"
grep -q 'msg=stopping .*changes=' "$tmp/data.log" && pass shutdown_changes_logged ||
    fail shutdown_changes_logged "$(grep stopping "$tmp/data.log")"
exit $T_FAILED
