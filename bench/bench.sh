#!/usr/bin/env bash
# bench.sh: `make bench` (full) and `make bench-quick` (quick): prepares a
# side-by-side run and hands it to build/bench/side.
#
# Writes bench/results/<UTC time>[-quick]/ with machine.txt (this machine),
# fnd.log, and what side writes (summary.txt, summary.csv, raw/, cdf.*).
# Starts fnd on a free 127.0.0.1 port in 20000-20999 with a temporary data
# folder and an admin token of its own, deploys hello, and stops fnd and
# removes the folder however the run ends.
set -euo pipefail
mode=${1:-full}
cd "$(dirname "$0")/.."

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=bench/results/$stamp
side_args=()
if [ "$mode" = quick ]; then
    out=$out-quick
    side_args+=(--quick)
fi
mkdir -p "$out"

describe_machine() {
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "uname: $(uname -a)"
    echo "nproc: $(nproc)"
    echo "kvm modules: $(ls /sys/module | grep -E '^kvm' | tr '\n' ' ')"
    echo "qemu: $(qemu-system-x86_64 --version 2>/dev/null | head -1)"
    echo "cc: $(${CC:-cc} --version | head -1)"
    echo "git: $(git rev-parse --short HEAD 2>/dev/null)" \
        "($(git status --porcelain 2>/dev/null | wc -l) files changed)"
    echo
    echo "== free -m"
    free -m
    echo
    echo "== /proc/cpuinfo (first CPU)"
    awk '/^$/ { exit } { print }' /proc/cpuinfo
}
describe_machine > "$out/machine.txt"

# A port nothing listens on yet.
port=
for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 1000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        port=$p
        break
    fi
done
[ -n "$port" ] || { echo "bench: no free port in 20000-20999" >&2; exit 1; }

url=http://127.0.0.1:$port
data=$(mktemp -d /tmp/mayfly-bench.XXXXXX)
# fnd wants 16 to 256 visible characters.
token=bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
fnd_pid=
cleanup() {
    if [ -n "$fnd_pid" ] && kill -0 "$fnd_pid" 2>/dev/null; then
        kill -TERM "$fnd_pid"
        wait "$fnd_pid" 2>/dev/null || true
    fi
    rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bin/fnd --listen "127.0.0.1:$port" --data "$data" --token "$token" \
    --log-level warn > "$out/fnd.log" 2>&1 &
fnd_pid=$!
for _ in $(seq 1 100); do
    bin/fnctl --url "$url" ls > /dev/null 2>&1 && break
    kill -0 "$fnd_pid" 2>/dev/null || {
        echo "bench: fnd did not start:" >&2
        cat "$out/fnd.log" >&2
        exit 1
    }
    sleep 0.1
done
bin/fnctl --url "$url" --token "$token" deploy hello \
    build/functions/hello.elf > /dev/null

echo "bench: $mode run, fnd pid $fnd_pid on $url, results in $out" >&2
build/bench/side "${side_args[@]}" --out "$out" --url "$url" \
    --fnd-pid "$fnd_pid"
