#!/usr/bin/env bash
# test_fnctl_bench.sh: `fnctl bench` against a real fnd: requests counted and
# checked as fresh VMs, raw latencies written, pacing, and the exit status
# for a missing function, an unreachable fnd and bad usage.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
need_kvm fnctl_bench || exit 0

tmp=$(mktemp -d)
trap 'stop_fnd; rm -rf "$tmp"' EXIT
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

bin/fnctl bench nosuch -n 5 >/dev/null 2>&1
check fnctl_bench_404_fails 1 $?

port=$(free_port)
bin/fnctl --url "http://127.0.0.1:$port" bench hello -n 5 >/dev/null 2>&1
check fnctl_bench_unreachable 3 $?

bin/fnctl bench hello -n 0 >/dev/null 2>&1
check fnctl_bench_usage 2 $?
exit "$T_FAILED"
