#!/usr/bin/env bash
# test_http_e2e.sh: the walking skeleton end to end: fnd on loopback with a
# temporary data folder, deploy with fnctl, 100 invocations over HTTP, every
# body checked, and 100 VMs created and destroyed according to /metrics.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
need_kvm http_e2e || exit 0

tmp=$(mktemp -d)
trap 'stop_fnd; rm -rf "$tmp"' EXIT
start_fnd "$tmp/data" --pool 2 || { fail http_e2e_start "fnd"; exit 1; }

out=$(bin/fnctl deploy hello build/functions/hello.elf 2>&1)
check fnctl_deploy 0 $?
bin/fnctl deploy echo build/functions/echo.elf >/dev/null 2>&1
check fnctl_ls_lists_both "echo hello" \
    "$(bin/fnctl ls | awk 'NR > 1 { print $1 }' | sort | xargs)"

created0=$(metric mayfly_vms_created_total)
destroyed0=$(metric mayfly_vms_destroyed_total)
depth0=$(metric mayfly_pool_depth)
bad=0
for i in $(seq 100); do
    body=$(curl -s -d "user$i" "$FN_URL/fn/hello")
    [ "$body" = "hello, user$i" ] || { bad=$((bad + 1)); echo "got: $body"; }
done
check hello_100_bodies 0 "$bad"
check hello_empty_body "hello, world" "$(curl -s -X POST "$FN_URL/fn/hello")"

# Each invocation consumed one VM: created - destroyed - ready VMs is the
# count of VMs in use (0 once idle), and destroyed grew by 100.
for _ in $(seq 50); do
    destroyed=$(metric mayfly_vms_destroyed_total)
    [ $((destroyed - destroyed0)) -ge 101 ] && break
    sleep 0.1
done
check vms_destroyed_101 101 $((destroyed - destroyed0))
created=$(metric mayfly_vms_created_total)
depth=$(metric mayfly_pool_depth)
check vms_created_101 101 $((created - created0 - depth + depth0))

hdr=$(curl -s -D - -o /dev/null -d x "$FN_URL/fn/hello" | tr -d '\r')
echo "$hdr" | grep -Eq '^Server-Timing: .*boot;dur=[0-9.]+.*total;dur=[0-9.]+' \
    && pass server_timing || fail server_timing "$(echo "$hdr" | grep -i timing)"
echo "$hdr" | grep -q '^X-Request-Id: ' && pass request_id || \
    fail request_id "no X-Request-Id"

echo_json=$(curl -s -H 'X-Test: 1' "$FN_URL/fn/echo/a/b?x=1" -d 'hi')
/usr/bin/python3 - "$echo_json" <<'PY' && pass echo_json || fail echo_json "$echo_json"
import json, sys
d = json.loads(sys.argv[1])
assert d["method"] == "POST" and d["path"] == "/fn/echo/a/b", d
assert d["query"] == "x=1" and d["body"] == "hi", d
assert d["headers"]["x-test"] == "1", d
PY

code=$(curl -s -o "$tmp/r" -w '%{http_code}' "$FN_URL/fn/nosuch")
check unknown_function_404 404 "$code"
grep -q '"error"' "$tmp/r" && pass error_is_json || fail error_is_json "$(cat "$tmp/r")"
auth="Authorization: Bearer $FN_TOKEN"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "$auth" \
    --data-binary 'not json' "$FN_URL/api/v1/functions")
check bad_deploy_400 400 "$code"
# A JSON deploy: base64 is checked strictly, then the image.
json_deploy() {
    curl -s -w ' %{http_code}' -X POST -H "$auth" --data-binary "$1" \
        "$FN_URL/api/v1/functions"
}
for bad in 'QQ==QQ==' 'Q' '====' 'QUJD!'; do
    out=$(json_deploy "{\"name\":\"b64\",\"image\":\"$bad\"}")
    case "$out" in
    *'image is not base64'*' 400') pass "json_deploy_base64_refused_$bad" ;;
    *) fail "json_deploy_base64_refused_$bad" "$out" ;;
    esac
done
img=$(base64 -w 76 build/functions/hello.elf | sed 's/$/\\n/' | tr -d '\n')
out=$(json_deploy "{\"name\":\"b64\",\"image\":\"$img\",\"memory_mib\":4}")
case "$out" in
*'"name":"b64"'*' 201') pass json_deploy_base64_lines ;;
*) fail json_deploy_base64_lines "$out" ;;
esac
check json_deploy_serves "hello, json" "$(curl -s -d json "$FN_URL/fn/b64")"
bin/fnctl rm b64 >/dev/null
bin/fnctl deploy greet build/functions/hello.elf --env GREETING=hi >/dev/null
check hello_reads_greeting "hi, ada" "$(curl -s -d ada "$FN_URL/fn/greet")"
bin/fnctl rm greet >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "$auth" \
    --data-binary 'not an elf' "$FN_URL/api/v1/functions/bad")
check bad_image_400 400 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
    --data-binary 'not an elf' "$FN_URL/api/v1/functions/bad")
check deploy_without_token_401 401 "$code"

check fnctl_invoke "hello, cli" "$(bin/fnctl invoke hello -d cli)"
bin/fnctl inspect hello | grep -q "$(sha256sum build/functions/hello.elf | cut -c1-12)" \
    && pass fnctl_inspect_sha || fail fnctl_inspect_sha "$(bin/fnctl inspect hello)"
bin/fnctl rm echo >/dev/null
check fnctl_rm 404 "$(curl -s -o /dev/null -w '%{http_code}' "$FN_URL/fn/echo")"
bin/fnctl invoke nosuch >/dev/null 2>&1
check fnctl_invoke_missing_exit 1 $?
check fnctl_run "hello, local" "$(bin/fnctl run build/functions/hello.elf -d local)"

stop_fnd
check fnd_sigterm_exit0 0 "$FND_RC"
exit $T_FAILED
