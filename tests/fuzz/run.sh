#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, NF_FUZZ=ON) and runs each for a while.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]    default 60 s, every target
#   tests/fuzz/run.sh 600 pipeline             fuzz_pipeline for ten minutes
#
# Targets: decode, pipeline, rules, config (tests/fuzz/fuzz_<target>.c). Each runs through
# its CTest entry, so the flags (-max_len, -timeout, -rss_limit_mb) are those of CI, one
# target at a time at the lowest priority. It starts from its seed corpus
# (tests/fuzz/corpus/<target>/) plus what earlier runs found
# (<build>/tests/fuzz/corpus/<target>/), and prints the executions, the speed and any
# crash file (<build>/tests/fuzz/artifacts/); the full log is in
# <build>/tests/fuzz/fuzz_<target>.log. Exit status: non-zero if any target found something.
#
# Environment: NF_FUZZ_BUILD_DIR (default build-fuzz), NF_JOBS (2), CC (clang),
# NF_FUZZ_SANITIZERS (address,undefined as in CI; "undefined" or "none" for a throughput
# build: use a build directory of its own, e.g. NF_FUZZ_BUILD_DIR=build-fuzz-ubsan).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(decode pipeline rules config)
build=${NF_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${NF_JOBS:-2}

case "$seconds" in
'' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
for t in "${targets[@]}"; do
    [ -f "tests/fuzz/fuzz_$t.c" ] || { echo "run.sh: no target $t (tests/fuzz/fuzz_$t.c)" >&2; exit 2; }
done

cmake -S . -B "$build" -DCMAKE_C_COMPILER="${CC:-clang}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DNF_FUZZ=ON -DNF_WERROR=OFF -DNF_FUZZ_SECONDS="$seconds" \
    -DNF_FUZZ_SANITIZERS="${NF_FUZZ_SANITIZERS:-address,undefined}" >/dev/null
nice -n 19 cmake --build "$build" -j "$jobs" --target "${targets[@]/#/fuzz_}" >/dev/null

failed=0
for t in "${targets[@]}"; do
    logf="$build/tests/fuzz/fuzz_$t.log"
    echo "== fuzz_$t: $seconds s"
    set +e
    nice -n 19 ctest --test-dir "$build" -R "^fuzz_$t\$" -V >"$logf" 2>&1
    rc=$?
    set -e
    sed -n 's/^[0-9]*: //p' "$logf" | grep -E \
        '^(stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)|fuzz_rules:|SUMMARY|==[0-9]+==ERROR|.*fuzz check failed|.*Test unit written)' || true
    if [ "$rc" -ne 0 ]; then
        failed=1
        echo "fuzz_$t: FAILED (log: $logf)"
    fi
done
exit "$failed"
