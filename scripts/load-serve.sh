#!/usr/bin/env bash
# Load test of `backprop serve` on loopback with wrk (docs/serve.md; figures in docs/performance.md).
#   scripts/load-serve.sh [SECONDS] [CONNECTIONS] [RATE]   (defaults: 20 s, 300 connections, 2000/s)
# Three loads, each for SECONDS at CONNECTIONS open connections with 2 wrk threads, closed loop
# (every connection sends its next request the moment its reply arrives):
#   1. POST /api/trace of f = (x + y) z          (scripts/load/trace-small.lua)
#   2. POST /api/trace of a 102-node program     (scripts/load/trace-100.lua)
#   3. POST /api/exercises/1/answers             (scripts/load/answers.lua)
# then 1 and 2 again paced (scripts/load/paced.lua): the same CONNECTIONS open, but requests sent
# on a fixed schedule of RATE a second (open loop: the issue's "2,000 traces/s at 300 open
# connections", where p99 is read);
# and POST /api/diagram (the playground's drawing, scripts/load/diagram-small.lua) at 10 connections;
# then a fourth: answers again, the server killed with SIGKILL in the middle, restarted on the same
# data, and the attempts it lists counted against those it had acknowledged (none may be lost).
# Builds the release binary first and installs wrk if missing (scripts/install-deps.sh --with-wrk).
# SERVE_LOADS=traces runs only the trace loads (closed and paced): no answers, drawing nor kill.
# BACKPROP_BINARY=path measures that binary (say, a build of an earlier commit) instead of building.
# SERVE_CPU_QUOTA=P runs the server in a cgroup allowed P% of one CPU in every 10 ms (as root): a
# stand-in for a slower CPU. Two cores 1.33x slower do the work of 150, 1.5x slower of 133.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
connections=${2:-300}
rate=${3:-2000}
loads=${SERVE_LOADS:-all}
if [ -n "${SERVE_CPU_QUOTA:-}" ]; then
    case "$SERVE_CPU_QUOTA" in
        *[!0-9]*|0*) echo "load-serve: SERVE_CPU_QUOTA=$SERVE_CPU_QUOTA: give a whole percentage of one CPU, 1 or more (150 = 1.5 CPUs)" >&2; exit 2 ;;
    esac
fi

scripts/install-deps.sh --with-wrk
binary=${BACKPROP_BINARY:-.build/release/backprop}
[ -n "${BACKPROP_BINARY:-}" ] || nice -n 19 swift build -Xcxx -DNDEBUG -c release --product backprop >/dev/null
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
head -c 24 /dev/urandom | base64 | tr '+/' '-_' > "$work/token"

# start_server: starts `backprop serve` on a free port; sets $server (its pid) and $url.
start_server() {
    # The per-client limit is off: every request comes from 127.0.0.1 here.
    "$binary" serve --port 0 --data "$work/data" --client-rate 0 --teacher-token-file "$work/token" > "$work/serve.log" 2>&1 &
    server=$!
    limit_cpu
    for _ in $(seq 1 200); do
        url=$(sed -n 's/^backprop serve: listening on //p' "$work/serve.log")
        [ -n "$url" ] && return 0
        sleep 0.05
    done
    echo "load-serve: the server did not start:" >&2; cat "$work/serve.log" >&2; exit 1
}

# limit_cpu: with SERVE_CPU_QUOTA set, moves the server into a cgroup with that CPU quota.
limit_cpu() {
    [ -n "${SERVE_CPU_QUOTA:-}" ] || return 0
    local group
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then   # cgroup v2
        group=/sys/fs/cgroup/backprop-load
        echo +cpu > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
        mkdir -p "$group"
        echo "$((SERVE_CPU_QUOTA * 100)) 10000" > "$group/cpu.max"
    else                                                 # cgroup v1
        group=/sys/fs/cgroup/cpu/backprop-load
        mkdir -p "$group"
        echo 10000 > "$group/cpu.cfs_period_us"
        echo "$((SERVE_CPU_QUOTA * 100))" > "$group/cpu.cfs_quota_us"
    fi
    echo "$server" > "$group/cgroup.procs"
}

stored_attempts() {
    curl -s -H "Authorization: Bearer $(cat "$work/token")" "${url}api/teacher/lessons/1/stats" | sed -n 's/^  "attempts" : \([0-9]*\),$/\1/p'
}

echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; kernel $(uname -r); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "load: ${seconds} s at ${connections} connections, wrk -t2, loopback; $(date -u '+%Y-%m-%d %H:%M UTC')"
[ -z "${SERVE_CPU_QUOTA:-}" ] || echo "server limited to ${SERVE_CPU_QUOTA}% of one CPU (a cgroup's quota, 10 ms periods)"
start_server
closed="trace-small trace-100"
[ "$loads" = traces ] || closed="$closed answers"
for load in $closed; do
    echo
    echo "== $load, closed loop"
    wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "scripts/load/$load.lua" "$url" | sed 's/^/  /'
    echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
done
for load in trace-small trace-100; do
    echo
    echo "== $load, paced: ${rate} requests a second offered over ${connections} open connections"
    LOAD_SCRIPT="scripts/load/$load.lua" RATE=$rate THREADS=2 \
        wrk -t2 -c"$connections" -d"${seconds}s" --latency -s scripts/load/paced.lua "$url" | sed 's/^/  /'
    echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
done
[ "$loads" = traces ] && exit 0

echo
echo "== diagram-small: the playground's drawing (the step-by-step page), at 10 connections"
wrk -t2 -c10 -d5s --latency -s scripts/load/diagram-small.lua "$url" | sed 's/^/  /'

echo
echo "== answers, the server killed with SIGKILL after half the time"
before=$(stored_attempts)
wrk -t2 -c"$connections" -d"${seconds}s" -s scripts/load/answers.lua "$url" > "$work/kill.txt" 2>&1 &
load=$!
sleep $((seconds / 2))
kill -KILL "$server"
wait "$load" || true
acknowledged=$(sed -n 's/^acknowledged //p' "$work/kill.txt")
start_server
after=$(stored_attempts)
echo "  acknowledged before the kill: $acknowledged; stored after the restart: $((after - before))"
if [ "$((after - before))" -ge "$acknowledged" ]; then
    echo "  0 acknowledged attempts lost"
else
    echo "  LOST $((acknowledged - (after - before))) acknowledged attempts" >&2
    exit 1
fi
