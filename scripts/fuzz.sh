#!/bin/sh
# Coverage-guided fuzzing of the workbench's doors with libFuzzer (docs/reliability.md).
#
#   scripts/fuzz.sh [SECONDS] [SURFACE…]     each surface for SECONDS (default 5), all surfaces by default
#   FUZZ_RUNS=1000000 scripts/fuzz.sh 3600 expression    a long run: stops at FUZZ_RUNS executions or SECONDS
#   FUZZ_TIMEOUT=60 …     libFuzzer's per-input time-out in wall-clock seconds (default 10); raise it on a
#                         loaded machine, where a niced fuzzer waits for the CPU and reports false time-outs
#
# Surfaces: expression claim lesson answer model saved idx csv api (Fuzz/Sources/Fuzz.swift).
# Builds FuzzTargets with -sanitize=fuzzer,address into .build-fuzz (libFuzzer ships with the Swift
# toolchain on Linux: no extra package). Each run starts from the committed corpus Fuzz/Corpus/SURFACE
# and the crashes fixed so far, Fuzz/Regressions/SURFACE, in a scratch copy (the committed corpus does
# not grow); a crash leaves its input in $FUZZ_OUT/SURFACE-crash-… and fails the script.
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-5}
[ $# -gt 0 ] && shift
SURFACES=${*:-expression claim lesson answer model saved idx csv api}
OUT=${FUZZ_OUT:-/tmp/backprop-fuzz}
mkdir -p "$OUT"
swift build -Xcxx -DNDEBUG --product FuzzTargets -c debug --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING 2>&1 | grep -v "Cannot export local symbol" | tail -1
BIN=.build-fuzz/debug/FuzzTargets
# Leaks are not crashes (Swift's and TOMLKit's caches live until exit); the backtracer would fight ASan.
export ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no
status=0
for surface in $SURFACES; do
    work="$OUT/corpus-$surface"
    mkdir -p "$work"
    set -- "$work" "Fuzz/Corpus/$surface"
    [ -d "Fuzz/Regressions/$surface" ] && set -- "$@" "Fuzz/Regressions/$surface"
    log="$OUT/$surface.log"
    if BACKPROP_FUZZ_SURFACE=$surface "$BIN" "$@" -max_total_time="$SECONDS_EACH" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} \
        -max_len=8192 -rss_limit_mb=1024 -timeout="${FUZZ_TIMEOUT:-10}" -print_final_stats=1 -artifact_prefix="$OUT/$surface-" > "$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
        echo "fuzz $surface: $runs executions in ${SECONDS_EACH} s at most, no crash (log: $log)"
    else
        echo "fuzz $surface: FAILED, see $log and $OUT/$surface-*" >&2
        grep -E "ERROR|Fatal error|SUMMARY" "$log" | head -3 >&2
        status=1
    fi
done
exit $status
