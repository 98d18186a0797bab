#!/usr/bin/env bash
# tests/valgrind.sh BUILD_DIR [JOBS]: runs every unit-test executable of BUILD_DIR (a
# build without sanitizers: valgrind and ASan do not mix) under valgrind memcheck, JOBS at
# a time, and fails on any memory error and on any definite or indirect leak.
#
# test_classify is the one left out: under memcheck its Hyperscan database compiles take
# eight minutes, so it runs under AddressSanitizer, UndefinedBehaviorSanitizer and
# LeakSanitizer in the main CI build instead (the same classes of error).
set -euo pipefail
build=${1:?usage: tests/valgrind.sh BUILD_DIR [JOBS]}
jobs=${2:-2}
command -v valgrind >/dev/null || { echo "valgrind: not installed (deploy/setup-debian.sh --test)" >&2; exit 1; }
logs=$(mktemp -d /tmp/nf-valgrind.XXXXXX)
trap 'rm -rf "$logs"' EXIT

run_one() { # build logs name
    local exe=$1/tests/$3 t0=$SECONDS rc=0
    # test_story's timing bench holds 100,000 articles by default: too slow under memcheck
    NF_STORY_BENCH_N=2000 valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
        "$exe" >"$2/$3.log" 2>&1 || rc=$?
    if ((rc == 0)); then
        printf 'memcheck %-16s ok (%d s)\n' "$3" $((SECONDS - t0))
    else
        printf 'memcheck %-16s FAILED (exit %d)\n' "$3" "$rc"
        tail -n 40 "$2/$3.log"
        return 1
    fi
}
export -f run_one

names=()
while read -r name; do
    [[ $name == test_classify ]] && continue
    [[ -x $build/tests/$name && ! -d $build/tests/$name ]] && names+=("$name")
done < <(ctest --test-dir "$build" -N -L '^unit$' | sed -n 's/^ *Test *#[0-9]*: //p')
((${#names[@]})) || { echo "no unit-test executables in $build/tests" >&2; exit 1; }
# test_webhook times retries and TLS handshakes against its own servers: alone, so that
# a neighbour under memcheck does not starve it past its timeouts
serial=() parallel=()
for n in "${names[@]}"; do
    if [[ $n == test_webhook ]]; then serial+=("$n"); else parallel+=("$n"); fi
done
for n in "${serial[@]}"; do run_one "$build" "$logs" "$n"; done
printf '%s\n' "${parallel[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ "$build" "$logs" {}
echo "memcheck: ${#names[@]} unit-test executables, no errors, no leaks"
