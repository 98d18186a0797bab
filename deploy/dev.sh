#!/usr/bin/env bash
# The two commands of the README, for a fresh Debian 12 machine:
#
#   deploy/dev.sh demo   install what is missing, build, and run newsflow against its
#                        embedded in-process Kafka cluster with sample articles; prints
#                        the enriched events it republishes, then exits.
#   deploy/dev.sh test   install what is missing, check formatting, build with warnings
#                        as errors and AddressSanitizer + UndefinedBehaviorSanitizer,
#                        start a real Apache Kafka broker (deploy/kafka), run every test
#                        (unit, mock, integration); then, in a build without
#                        sanitizers, the unit tests under valgrind memcheck and a
#                        3-minute soak (label soak), and stop the broker; then build the
#                        libFuzzer targets with clang and run each for a bounded time
#                        (label fuzz). CI runs this.
#
# Environment: NF_BUILD_DIR (default build for demo, build-ci for test; the fuzz build is
# <it>-fuzz, the plain one <it>-plain), NF_JOBS (2), NF_FUZZ_SECONDS (25, per fuzz
# target).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=${NF_JOBS:-2}

log() { printf '\n== %s (%d s)\n' "$*" "$SECONDS" >&2; }

cmd_demo() {
    log "dependencies"
    deploy/setup-debian.sh >&2
    local build=${NF_BUILD_DIR:-build}
    log "build ($build)"
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
        -DNF_SANITIZE=OFF -DNF_WERROR=OFF >/dev/null
    cmake --build "$build" -j "$jobs" >/dev/null
    log "newsflow run (embedded cluster, sample articles; stops at the end of the input)"
    exec "$build/app/newsflow" run --exit-on-eof "$@"
}

check_format() {
    command -v clang-format >/dev/null || { echo "clang-format missing" >&2; return 1; }
    local bad=()
    while IFS= read -r f; do
        clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
    done < <(git ls-files '*.c' '*.h')
    if [ "${#bad[@]}" -gt 0 ]; then
        echo "clang-format would change: ${bad[*]} (run clang-format -i on them)" >&2
        return 1
    fi
    echo "format: ok"
}

cmd_test() {
    log "dependencies"
    deploy/setup-debian.sh --test
    log "format"
    check_format
    local build=${NF_BUILD_DIR:-build-ci}
    log "build ($build: -Werror, ASan+UBSan)"
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNF_WERROR=ON -DNF_SANITIZE=ON >/dev/null
    cmake --build "$build" -j "$jobs" 2>&1 | grep -E "warning|error|Error" || true
    cmake --build "$build" -j "$jobs" >/dev/null

    log "Kafka broker"
    export NF_KAFKA_STATE="$top/$build/kafka-state" NF_KAFKA_PORT=0
    trap 'deploy/kafka/kafka.sh stop >/dev/null 2>&1 || true' EXIT
    deploy/kafka/kafka.sh reset >/dev/null 2>&1 || true
    deploy/kafka/kafka.sh start
    NF_TEST_BOOTSTRAP=$(deploy/kafka/kafka.sh bootstrap)
    # The SASL listener's client settings; the TLS ones lie beside (test_security).
    NF_TEST_SASL_CONFIG=$(deploy/kafka/kafka.sh client-config sasl)
    export NF_TEST_BOOTSTRAP NF_TEST_SASL_CONFIG NF_REQUIRE_BROKER=1
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

    log "tests (broker $NF_TEST_BOOTSTRAP)"
    for label in unit mock integration; do
        printf '%-12s %s tests\n' "$label" \
            "$(ctest --test-dir "$build" -N -L "^$label\$" | sed -n 's/^Total Tests: //p')"
    done
    ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 900 -LE '^soak$'

    # memcheck and the soak need a build without sanitizers: valgrind and ASan do not
    # mix, and ASan's quarantine grows the RSS the soak watches by itself.
    local plain_build="$build-plain"
    log "memcheck and soak ($plain_build: no sanitizers)"
    cmake -S . -B "$plain_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNF_WERROR=ON \
        -DNF_SANITIZE=OFF >/dev/null
    cmake --build "$plain_build" -j "$jobs" >/dev/null
    tests/valgrind.sh "$plain_build" "$jobs"
    ctest --test-dir "$plain_build" -L '^soak$' --output-on-failure
    deploy/kafka/kafka.sh stop >/dev/null 2>&1 || true

    # libFuzzer needs clang: a build of its own, each target for a bounded time over its
    # seed corpus (tests/fuzz; longer runs: tests/fuzz/run.sh). Warnings are gated by the
    # build above: clang's differ (unused static inline functions), and are not this
    # step's business.
    local fuzz_build="$build-fuzz" fuzz_seconds=${NF_FUZZ_SECONDS:-25}
    log "fuzz ($fuzz_build: clang, libFuzzer, $fuzz_seconds s per target)"
    cmake -S . -B "$fuzz_build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DNF_FUZZ=ON -DNF_WERROR=OFF -DNF_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
    cmake --build "$fuzz_build" -j "$jobs" --target fuzz >/dev/null
    ctest --test-dir "$fuzz_build" -L '^fuzz$' --output-on-failure -j "$jobs"
    log "all tests passed"
}

case "${1:-}" in
demo) shift; cmd_demo "$@" ;;
test) shift; cmd_test "$@" ;;
*)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
