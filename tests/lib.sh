# lib.sh: shared helpers for the shell tests (source it).
# Each case prints "PASS name", "FAIL name: reason" or "SKIP name: reason".

T_FAILED=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; T_FAILED=1; }
skip() { echo "SKIP $1: $2"; }
# check NAME EXPECTED ACTUAL
check() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "want '$2', got '$3'"; fi
}

# A loopback port nobody listens on right now (the kernel picks it).
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); \
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_fnd DATA_DIR [fnd args...]: starts $FND_BIN (default bin/fnd; an
# ASan build, say) on a free loopback port, waits until it answers
# /healthz; sets FND_PID, FND_PORT, FND_S3_PORT, FN_URL, and FN_TOKEN
# (exported, for fnctl and curl) to the admin token fnd made in
# DATA_DIR/admin.token.
start_fnd() {
    local data=$1; shift
    FND_PORT=$(free_port)
    FN_URL=http://127.0.0.1:$FND_PORT
    export FN_URL
    # The object store's S3 listener too gets a free port (unless the
    # caller names one: a later flag wins).
    FND_S3_PORT=$(free_port)
    "${FND_BIN:-bin/fnd}" --listen 127.0.0.1:"$FND_PORT" --data "$data" \
        --s3-listen 127.0.0.1:"$FND_S3_PORT" "$@" >"$data.log" 2>&1 &
    FND_PID=$!
    for _ in $(seq 100); do
        if curl -s -o /dev/null "$FN_URL/healthz"; then
            FN_TOKEN=$(cat "$data/admin.token" 2>/dev/null)
            export FN_TOKEN
            return 0
        fi
        kill -0 "$FND_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "fnd did not start:"; cat "$data.log"
    return 1
}

stop_fnd() {
    [ -n "${FND_PID:-}" ] || return 0
    kill -TERM "$FND_PID" 2>/dev/null
    wait "$FND_PID" 2>/dev/null
    FND_RC=$?
    FND_PID=
}

# metric NAME: the value of an unlabelled metric from fnd's /metrics.
metric() {
    curl -s "$FN_URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

need_kvm() {
    [ -e /dev/kvm ] && return 0
    skip "$1" "/dev/kvm absent"
    return 1
}
