#!/usr/bin/env bash
# test_gateway_admin.sh: what operators rely on: the mandatory admin token
# (made on first start, mode 0600, found by fnctl), the admin API kept off
# the functions listener, versions and rollback, per-function environment,
# custom routes, body and concurrency limits, request ids, /metrics labels,
# fnctl logs (-f) and -o json.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
need_kvm gateway_admin || exit 0
GW=build/tests/guests/libos_gwtest.elf
[ -f "$GW" ] || { skip gateway_admin "$GW not built (make test builds it)"; exit 0; }

tmp=$(mktemp -d)
trap 'stop_fnd; rm -rf "$tmp"' EXIT
json() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# wait_grep FILE PATTERN: until a line of FILE matches (10 s at most).
wait_grep() {
    for _ in $(seq 100); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
}

# ---- the token ----------------------------------------------------------
start_fnd "$tmp/data" --pool 2 || { fail admin_start "fnd"; exit 1; }
check token_file_mode_0600 600 "$(stat -c %a "$tmp/data/admin.token")"
# The database keeps env values, which may be secrets.
check db_file_mode_0600 600 "$(stat -c %a "$tmp/data/mayfly.db")"
grep -Eqx '[0-9a-f]{64}' "$tmp/data/admin.token" && pass token_file_hex ||
    fail token_file_hex "$(cat "$tmp/data/admin.token")"
tok=$(cat "$tmp/data/admin.token")
auth="Authorization: Bearer $tok"

out=$(curl -s -D "$tmp/h" -X PUT --data-binary @"$GW" "$FN_URL/api/v1/functions/gw")
check deploy_no_token_401 401 "$(head -1 "$tmp/h" | cut -d' ' -f2)"
echo "$out" | grep -q '"error":"unauthorized"' && pass deploy_401_json ||
    fail deploy_401_json "$out"
grep -qi '^WWW-Authenticate: Bearer' "$tmp/h" && pass deploy_401_www_authenticate ||
    fail deploy_401_www_authenticate "$(cat "$tmp/h")"
check deploy_wrong_token_401 401 "$(code -X PUT -H 'Authorization: Bearer nope' \
    --data-binary @"$GW" "$FN_URL/api/v1/functions/gw")"
check delete_no_token_401 401 "$(code -X DELETE "$FN_URL/api/v1/functions/gw")"
check reads_need_no_token 200 "$(code "$FN_URL/api/v1/functions")"

# fnctl finds the token: --data, $MAYFLY_DATA, ./mayfly-data; else exit 4.
mkdir -p "$tmp/elsewhere"
(cd "$tmp/elsewhere" && FN_TOKEN= "$OLDPWD/bin/fnctl" deploy gw "$OLDPWD/$GW" \
    >/dev/null 2>"$tmp/err")
check fnctl_no_token_exit4 4 $?
grep -q 'no admin token' "$tmp/err" && pass fnctl_no_token_hint ||
    fail fnctl_no_token_hint "$(cat "$tmp/err")"
FN_TOKEN= bin/fnctl --data "$tmp/data" deploy gw "$GW" --env GREETING=v1 \
    --env 'SPACED=a b' >/dev/null
check fnctl_token_from_data_flag 0 $?
FN_TOKEN= MAYFLY_DATA="$tmp/data" bin/fnctl deploy gw "$GW" --env GREETING=v2 \
    >/dev/null
check fnctl_token_from_mayfly_data 0 $?
ln -s "$tmp/data" "$tmp/elsewhere/mayfly-data"
(cd "$tmp/elsewhere" && FN_TOKEN= "$OLDPWD/bin/fnctl" rm nosuch >/dev/null 2>&1)
check fnctl_token_from_cwd_404_not_401 1 $?

# ---- versions, env, rollback -------------------------------------------
check env_delivered v2 "$(curl -s "$FN_URL/fn/gw?env=GREETING")"
check env_unset_in_v2 - "$(curl -s "$FN_URL/fn/gw?env=SPACED")"
check versions_listed "1 2" "$(bin/fnctl inspect gw -o json |
    json '" ".join(str(v["version"]) for v in d["versions"])')"
check inspect_env_values_with_token v2 "$(bin/fnctl inspect gw -o json |
    json 'd["config"]["env"]["GREETING"]')"
check inspect_env_hidden_without_token None "$(curl -s "$FN_URL/api/v1/functions/gw" |
    json 'd["config"]["env"]["GREETING"]')"
bin/fnctl inspect gw | grep -q '^2 \*' && pass inspect_marks_active ||
    fail inspect_marks_active "$(bin/fnctl inspect gw)"
bin/fnctl rollback gw >/dev/null
check rollback_previous 1 "$(bin/fnctl inspect gw -o json | json 'd["version"]')"
check rollback_restores_env "a b" "$(curl -s "$FN_URL/fn/gw?env=SPACED")"
bin/fnctl rollback gw >/dev/null 2>&1
check rollback_past_oldest_exit1 1 $?
bin/fnctl rollback gw 2 >/dev/null
check rollback_to_version v2 "$(curl -s "$FN_URL/fn/gw?env=GREETING")"
bin/fnctl rollback gw 9 >/dev/null 2>&1
check rollback_unknown_version_exit1 1 $?
check rollback_no_token_401 401 "$(code -X POST "$FN_URL/api/v1/functions/gw/rollback")"
# Back to an image no function has loaded: it is read and loaded off the
# loop. One whose stored image has gone bad is refused, and nothing moves.
bin/fnctl deploy rb build/functions/hello.elf >/dev/null
bin/fnctl deploy rb build/functions/echo.elf >/dev/null
bin/fnctl rollback rb >/dev/null
check rollback_loads_image "hello, world" "$(curl -s "$FN_URL/fn/rb")"
bin/fnctl rollback rb 2 >/dev/null
hello_sha=$(sha256sum build/functions/hello.elf | cut -c1-64)
chmod u+w "$tmp/data/images/$hello_sha" 2>/dev/null
printf 'not an elf' >"$tmp/data/images/$hello_sha"
check rollback_bad_image_409 409 "$(code -X POST -H "$auth" \
    "$FN_URL/api/v1/functions/rb/rollback?version=1")"
check rollback_bad_image_keeps 2 "$(bin/fnctl inspect rb -o json | json 'd["version"]')"
bin/fnctl rm rb >/dev/null
# Changes take effect in the order they arrive: a slow deploy (a 60 MB
# image to hash and store) sent first does not replace a quick one sent
# right after its upload, and a removal sent last removes.
head -c 60000000 /dev/zero | cat build/functions/hello.elf - >"$tmp/slow.elf"
in_order() { # in_order SECOND_METHOD SECOND_PATH [SECOND_BODY_FILE]
    /usr/bin/python3 - "$FND_PORT" "$FN_TOKEN" "$tmp/slow.elf" "$@" <<'PY'
import http.client, sys, threading, time
port, tok, slow, method, path = sys.argv[1:6]
body = open(sys.argv[6], "rb").read() if len(sys.argv) > 6 else None
auth = {"Authorization": "Bearer " + tok}
sent = threading.Event()
def first():
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
    c.request("PUT", "/api/v1/functions/order?env=SENT%3Dfirst",
              open(slow, "rb").read(), auth)
    sent.set()
    c.getresponse().read()
t = threading.Thread(target=first)
t.start()
sent.wait()
time.sleep(0.05)  # the last of the upload is read
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
c.request(method, path, body, auth)
c.getresponse().read()
t.join()
PY
}
in_order PUT "/api/v1/functions/order?env=SENT%3Dsecond" build/functions/hello.elf
check changes_in_arrival_order "1:first 2:second" "$(bin/fnctl inspect order \
    -o json | json '" ".join("%d:%s" % (v["version"], v["config"]["env"]["SENT"])
    for v in d["versions"])' 2>&1)"
check changes_last_sent_active second "$(bin/fnctl inspect order -o json |
    json 'd["config"]["env"]["SENT"]')"
in_order DELETE /api/v1/functions/order
check changes_removal_last 404 "$(code "$FN_URL/api/v1/functions/order")"
check env_bad_name_400 400 "$(code -X PUT -H "$auth" --data-binary @"$GW" \
    "$FN_URL/api/v1/functions/gw?env=1BAD%3Dx")"

# ---- custom routes -----------------------------------------------------
bin/fnctl deploy gw "$GW" --route 'GET /users/*' --route '/exact' \
    --env GREETING=routed >/dev/null
check route_prefix routed "$(curl -s "$FN_URL/users/42?env=GREETING")"
check route_exact_any_method routed "$(curl -s -X DELETE "$FN_URL/exact?env=GREETING")"
check route_head_on_get 200 "$(code -I "$FN_URL/users/1")"
check route_wrong_method_405 405 "$(code -X POST -d x "$FN_URL/users/42")"
curl -s -D - -o /dev/null -X POST -d x "$FN_URL/users/42" | grep -qi '^Allow: GET' &&
    pass route_405_allow || fail route_405_allow "no Allow: GET"
check route_none_404 404 "$(code "$FN_URL/nothing/here")"
check route_exact_not_prefix 404 "$(code "$FN_URL/exact/more")"
bin/fnctl deploy other "$GW" --route 'GET /users/*' >/dev/null 2>"$tmp/err"
check route_taken_exit1 1 $?
grep -q route_taken "$tmp/err" && pass route_taken_409 || fail route_taken_409 "$(cat "$tmp/err")"
check route_reserved_400 400 "$(code -X PUT -H "$auth" --data-binary @"$GW" \
    "$FN_URL/api/v1/functions/other?route=GET%20%2Ffn%2Fx")"

# ---- limits: body, concurrency -------------------------------------------
bin/fnctl deploy gw "$GW" --max-body 100 --concurrency 1 >/dev/null
check max_body_at_limit 200 "$(code -d "$(head -c 100 /dev/zero | tr '\0' a)" "$FN_URL/fn/gw")"
check max_body_over_413 413 "$(code -d "$(head -c 101 /dev/zero | tr '\0' a)" "$FN_URL/fn/gw")"
# A body under the limits that does not fit in the guest's memory.
bin/fnctl deploy tiny build/functions/echo.elf --memory 2 >/dev/null
head -c 3000000 /dev/zero >"$tmp/3m"
out=$(curl -s -w ' %{http_code}' --data-binary @"$tmp/3m" "$FN_URL/fn/tiny")
case "$out" in
*'"error":"request_too_large"'*' 413') pass guest_memory_too_small_413 ;;
*) fail guest_memory_too_small_413 "$out" ;;
esac
bin/fnctl rm tiny >/dev/null
# Reads need no token, so they get no room for an image-sized body.
head -c 70000 /dev/zero >"$tmp/70k"
check admin_read_big_body_413 413 "$(code -X GET --data-binary @"$tmp/70k" \
    "$FN_URL/api/v1/functions")"
check max_body_above_global_400 400 "$(code -X PUT -H "$auth" --data-binary @"$GW" \
    "$FN_URL/api/v1/functions/gw?max_body=99999999")"
curl -s -o /dev/null "$FN_URL/fn/gw?spin=1500" &
slow=$!
for _ in $(seq 50); do
    [ "$(curl -s "$FN_URL/api/v1/functions/gw" | json 'd["inflight"]')" = 1 ] && break
    sleep 0.02
done
curl -s -D "$tmp/h" -o "$tmp/b" "$FN_URL/fn/gw"
check concurrency_429 429 "$(head -1 "$tmp/h" | cut -d' ' -f2)"
grep -qi '^Retry-After: 1' "$tmp/h" && pass concurrency_retry_after ||
    fail concurrency_retry_after "$(cat "$tmp/h")"
grep -q concurrency_limit "$tmp/b" && pass concurrency_429_json ||
    fail concurrency_429_json "$(cat "$tmp/b")"
check other_function_unaffected "hello, x" "$(bin/fnctl deploy hello \
    build/functions/hello.elf >/dev/null; curl -s -d x "$FN_URL/fn/hello")"
wait $slow
check concurrency_slot_freed 200 "$(code "$FN_URL/fn/gw")"

# ---- request ids, metrics, logs -------------------------------------------
rid=$(curl -s -D - -o /dev/null -H 'X-Request-Id: abc-123.x' "$FN_URL/fn/gw" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "x-request-id" { print $2 }')
check request_id_honoured abc-123.x "$rid"
rid=$(curl -s -D - -o /dev/null -H 'X-Request-Id: bad id!' "$FN_URL/fn/gw" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "x-request-id" { print $2 }')
[ -n "$rid" ] && [ "$rid" != "bad id!" ] && pass request_id_replaced ||
    fail request_id_replaced "$rid"
m=$(curl -s "$FN_URL/metrics")
for p in boot run total; do
    echo "$m" | grep -q "^mayfly_invocation_duration_seconds_count{function=\"gw\",phase=\"$p\"} [1-9]" &&
        pass "metrics_histogram_$p" || fail "metrics_histogram_$p" "missing"
done
echo "$m" | grep -q '^mayfly_invocations_total{function="gw",status="429"} [1-9]' &&
    pass metrics_429_counted || fail metrics_429_counted "missing"
for g in mayfly_inflight mayfly_queue_depth mayfly_pool_depth; do
    echo "$m" | grep -q "^$g [0-9]" && pass "metrics_gauge_$g" || fail "metrics_gauge_$g" missing
done
curl -s "$FN_URL/fn/gw?log=marker-one" >/dev/null
bin/fnctl logs gw -n 1 >"$tmp/logs"
grep -q '^    marker-one' "$tmp/logs" && grep -q '^REQUEST ID .* BOOT .* RUN .* TOTAL' "$tmp/logs" &&
    grep -Eq ' 200 +[0-9.]+ ms +[0-9.]+ ms +[0-9.]+ ms +[0-9.]+ ms' "$tmp/logs" &&
    pass logs_lines_and_timings || fail logs_lines_and_timings "$(cat "$tmp/logs")"
check logs_json_count 3 "$(bin/fnctl logs gw -n 3 -o json | json 'len(d["invocations"])')"
# -f: the last N, then only what comes after, each once, oldest first.
# fnd answers -f's polls with the last 200, older invocations included.
for i in 1 2 3 4 5; do curl -s "$FN_URL/fn/gw?log=follow-$i" >/dev/null; done
bin/fnctl logs gw -n 1 -f >"$tmp/follow" 2>&1 &
follow=$!
wait_grep "$tmp/follow" '^    follow-5$'
curl -s "$FN_URL/fn/gw?log=follow-6" >/dev/null
curl -s "$FN_URL/fn/gw?log=follow-7" >/dev/null
wait_grep "$tmp/follow" '^    follow-7$'
sleep 1.2 # two more polls: nothing may follow
kill "$follow" 2>/dev/null; wait "$follow" 2>/dev/null
check logs_follow_last_then_new "follow-5 follow-6 follow-7" \
    "$(grep '^    follow-' "$tmp/follow" | xargs)"
check logs_follow_rows 3 "$(grep -vc -e '^    ' -e '^REQUEST ID' "$tmp/follow")"

bin/fnctl logs gw -n 2 -f -o json >"$tmp/follow" 2>&1 &
follow=$!
wait_grep "$tmp/follow" 'follow-7'
curl -s "$FN_URL/fn/gw?log=follow-8" >/dev/null
wait_grep "$tmp/follow" 'follow-8'
sleep 1.2
kill "$follow" 2>/dev/null; wait "$follow" 2>/dev/null
# The last word of each invocation's log, one JSON object a line.
last_words() {
    /usr/bin/python3 -c 'import json, sys
print(" ".join((json.loads(l)["log"] or "-").split()[-1] for l in sys.stdin))'
}
check logs_follow_json "follow-6 follow-7 follow-8" \
    "$(last_words <"$tmp/follow")"

# ---- fnctl: help, exit codes, json ---------------------------------------
bin/fnctl --help | grep -q '4 fnd refused the admin token' && pass fnctl_help_exit_codes ||
    fail fnctl_help_exit_codes "not in --help"
bad=""
for c in deploy invoke ls inspect rollback logs rm run s3-credentials events \
    bench; do
    bin/fnctl "$c" --help >/dev/null 2>&1 || bad="$bad $c"
done
check fnctl_help_every_command "" "$bad"
check fnctl_ls_json "gw hello" "$(bin/fnctl ls -o json |
    json '" ".join(sorted(f["name"] for f in d["functions"]))')"
bin/fnctl -o yaml ls >/dev/null 2>&1
check fnctl_bad_output_exit2 2 $?
# s3-credentials -o json: the keys fnd keeps in DATA/s3-credentials.
cred=$(awk '{ printf "%s%s", sep, $2; sep = " " }' "$tmp/data/s3-credentials")
keys='d["access_key_id"] + " " + d["secret_access_key"]'
check fnctl_s3_credentials_json "$cred" \
    "$(bin/fnctl s3-credentials --data "$tmp/data" -o json | json "$keys")"
check fnctl_s3_credentials_json_before "$cred" \
    "$(bin/fnctl -o json --data "$tmp/data" s3-credentials | json "$keys")"
[[ "$cred" =~ ^MF[^\ ]+\ [^\ ]+$ ]] && pass fnctl_s3_credentials_file ||
    fail fnctl_s3_credentials_file "$cred"

# ---- token: restart, permissions, --token, admin listener ------------------
stop_fnd
start_fnd "$tmp/data" --pool 1 || fail admin_restart "fnd"
check token_kept_on_restart "$tok" "$(cat "$tmp/data/admin.token")"
check function_survives_restart 200 "$(code "$FN_URL/fn/gw")"
stop_fnd
chmod 644 "$tmp/data/admin.token"
"${FND_BIN:-bin/fnd}" --listen 127.0.0.1:"$(free_port)" \
    --s3-listen 127.0.0.1:"$(free_port)" --data "$tmp/data" >"$tmp/perm.log" 2>&1
check token_readable_by_others_refused 1 $?
grep -q 'admin token file readable by others' "$tmp/perm.log" &&
    pass token_perm_message || fail token_perm_message "$(cat "$tmp/perm.log")"

start_fnd "$tmp/data2" --pool 1 --token given-token-0123456789 ||
    fail admin_token_flag "fnd"
[ -e "$tmp/data2/admin.token" ] && fail token_flag_not_written "file made" ||
    pass token_flag_not_written
FN_TOKEN=given-token-0123456789 bin/fnctl deploy gw "$GW" >/dev/null
check token_flag_used 0 $?
stop_fnd

aport=$(free_port)
start_fnd "$tmp/data3" --pool 1 --admin-listen 127.0.0.1:"$aport" ||
    fail admin_listen_start "fnd"
A=http://127.0.0.1:$aport
check admin_listen_api 200 "$(code "$A/api/v1/functions")"
check admin_listen_metrics 200 "$(code "$A/metrics")"
check main_listener_no_api 404 "$(code "$FN_URL/api/v1/functions")"
check main_listener_no_metrics 404 "$(code "$FN_URL/metrics")"
check main_listener_healthz 200 "$(code "$FN_URL/healthz")"
FN_URL=$A bin/fnctl --data "$tmp/data3" deploy gw "$GW" >/dev/null
check deploy_on_admin_listener 0 $?
check function_on_main_listener ok "$(curl -s "$FN_URL/fn/gw")"
check no_function_on_admin_listener 404 "$(code "$A/fn/gw")"
stop_fnd
check admin_sigterm_exit0 0 "$FND_RC"
exit $T_FAILED
