#!/usr/bin/env bash
# test_fnctl_bench.sh: `fnctl bench` against a real fnd: requests counted and
# checked as fresh VMs, raw latencies written, pacing, -o json, and the exit
# status for a missing function, an unreachable fnd and bad usage.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
need_kvm fnctl_bench || exit 0

tmp=$(mktemp -d)
trap 'stop_fnd; rm -rf "$tmp"' EXIT
json() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
start_fnd "$tmp/data" --pool 2 || { fail fnctl_bench_start "fnd"; exit 1; }
bin/fnctl deploy hello build/functions/hello.elf >/dev/null 2>&1

out=$(bin/fnctl bench hello -n 60 -c 4 -d ada --raw "$tmp/raw" 2>&1)
check fnctl_bench_exit 0 $?
check fnctl_bench_all_ok "ok=60 fresh=yes" \
    "$(echo "$out" | grep -o 'ok=60 .*fresh=yes' | sed 's/ p50.*vms_created=[0-9]*//')"
check fnctl_bench_raw_lines 60 "$(wc -l < "$tmp/raw" | tr -d ' ')"
check fnctl_bench_label "name=http-c4" \
    "$(echo "$out" | grep -o '^RESULT name=[^ ]*' | cut -d' ' -f2)"

out=$(bin/fnctl bench hello -n 5 --pause-ms 5 -d ada 2>&1)
check fnctl_bench_paced "0 name=http-c1-paced" \
    "$? $(echo "$out" | grep -o '^RESULT name=[^ ]*' | cut -d' ' -f2)"

# -o json: the figures of the table as numbers, stdout nothing else.
bin/fnctl bench hello -n 12 -c 3 -o json >"$tmp/json" 2>"$tmp/err"
check fnctl_bench_json_exit 0 $?
check fnctl_bench_json_counts "12 12 12 0 3 http-c3 hello True" \
    "$(json '" ".join(str(d[k]) for k in ("requests", "n", "ok", "errors",
        "concurrency", "name", "function", "fresh"))' <"$tmp/json")"
check fnctl_bench_json_numbers True "$(json 'all(
    isinstance(d[k], (int, float)) and not isinstance(d[k], bool)
    for k in ("p50_us", "p90_us", "p99_us", "ops_s", "vms_created",
              "pool_before", "reconnects")) and
    0 < d["p50_us"] <= d["p90_us"] <= d["p99_us"] and d["ops_s"] > 0 and
    d["vms_created"] + d["pool_before"] >= 12' <"$tmp/json")"
out=$(bin/fnctl -o json bench hello -n 2 2>&1)
check fnctl_bench_json_before_command "0 2" "$? $(echo "$out" | json 'd["n"]')"

bin/fnctl bench nosuch -n 5 >/dev/null 2>&1
check fnctl_bench_404_fails 1 $?
out=$(bin/fnctl bench nosuch -n 3 -o json 2>/dev/null)
check fnctl_bench_json_404 "1 3 0" "$? $(echo "$out" | json 'd["n"], d["ok"]' |
    tr -d '(),')"

port=$(free_port)
bin/fnctl --url "http://127.0.0.1:$port" bench hello -n 5 >/dev/null 2>&1
check fnctl_bench_unreachable 3 $?

bin/fnctl bench hello -n 0 >/dev/null 2>&1
check fnctl_bench_usage 2 $?
bin/fnctl bench hello -n 5 -o yaml >/dev/null 2>&1
check fnctl_bench_bad_output 2 $?
exit "$T_FAILED"
