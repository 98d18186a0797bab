#!/usr/bin/env bash
# newsflow benchmarks against a real local Kafka broker, in one run, on the same
# deterministic ~3 KB article mix (bench/gen_articles.py):
#
#   - kcat pipe baseline: kcat -C | kcat -P copying the input topic to another topic
#   - newsflow run, at-least-once and exactly-once: articles/s over the active period,
#     CPU seconds per 100,000 articles, peak RSS; exactly-once also the loop's longest
#     stall in a transaction commit
#   - newsflow replay with no rate limit
#   - newsflow classify offline (one core): articles/s
#
# Usage: bench/run.sh [ARTICLES]   (default 100000)
# Writes bench/results/<date>.md and prints it. Absolute numbers depend on the machine;
# the ratios are what compare.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
n=${1:-100000}
build=${NF_BENCH_BUILD:-build-bench}
work=$(mktemp -d /tmp/nf-bench.XXXXXX)
trap 'NF_KAFKA_STATE="$work/kafka" deploy/kafka/kafka.sh stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

deploy/setup-debian.sh --test >/dev/null
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DNF_SANITIZE=OFF >/dev/null
cmake --build "$build" -j2 >/dev/null
nf="$build/app/newsflow"

echo "generating $n articles" >&2
python3 bench/gen_articles.py "$n" > "$work/articles.jsonl"
bytes=$(wc -c < "$work/articles.jsonl")

export NF_KAFKA_STATE="$work/kafka" NF_KAFKA_PORT=0
deploy/kafka/kafka.sh start >/dev/null
b=$(deploy/kafka/kafka.sh bootstrap)
deploy/kafka/kafka.sh create-topics bench.in:4 bench.copy:4 bench.alo.enriched:4 bench.alo.dlq:1 \
    bench.eos.enriched:4 bench.eos.dlq:1 bench.rep.enriched:4 bench.rep.dlq:1 >/dev/null
"$nf" publish -b "$b" -t bench.in --no-progress "$work/articles.jsonl" 2>/dev/null

# Wall, user and system seconds and peak RSS (KB) of a command, into $work/time.
timed() { /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@"; }

# kcat pipe: consume everything, produce it to another topic.
echo "kcat pipe" >&2
timed sh -c "kcat -b $b -C -t bench.in -o beginning -e -q -f '%s\n' | kcat -b $b -P -t bench.copy"
read -r kc_wall kc_user kc_sys kc_rss < "$work/time"

common=(-b "$b" -X input.topic=bench.in -X output.deal.topic= -X output.funding.topic=
        -X output.infrastructure.topic= -X output.alerts.topic= -X ops.listen= -X log.level=info
        -X kafka.consumer.auto.offset.reset=earliest)

run_mode() { # name guarantee
    timed "$nf" run "${common[@]}" -e -X "group.id=bench-$1" -X "output.enriched.topic=bench.$1.enriched" \
        -X "output.dlq.topic=bench.$1.dlq" -X "processing.guarantee=$2" > /dev/null 2> "$work/$1.log"
    read -r wall user sys rss < "$work/time"
    rate=$(sed -n 's/.*stopped: .*active [0-9.]* s (\([0-9]*\) msg\/s).*/\1/p' "$work/$1.log" | tail -1)
    cpu=$(python3 -c "print(f'{($user+$sys)*100000/$n:.1f}')")
    echo "$rate $cpu $((rss / 1024)) $wall"
}
echo "newsflow run at-least-once" >&2
read -r alo_rate alo_cpu alo_rss alo_wall <<<"$(run_mode alo at_least_once)"
echo "newsflow run exactly-once" >&2
read -r eos_rate eos_cpu eos_rss eos_wall <<<"$(run_mode eos exactly_once)"
eos_stall=$(sed -n 's/.*loop blocked in commits .* ms in all, \([0-9.]*\) ms at most.*/\1/p' "$work/eos.log" | tail -1)

echo "newsflow replay" >&2
timed "$nf" replay "${common[@]}" --from beginning --to now --no-progress \
    -X output.enriched.topic=bench.rep.enriched -X output.dlq.topic=bench.rep.dlq > /dev/null 2> "$work/rep.log"
rep_rate=$(sed -n 's/.*stopped: .*active [0-9.]* s (\([0-9]*\) msg\/s).*/\1/p' "$work/rep.log" | tail -1)

echo "newsflow classify" >&2
timed "$nf" classify -X log.level=warn -X alerts.rules=none "$work/articles.jsonl" > /dev/null
read -r cl_wall cl_user cl_sys cl_rss < "$work/time"

kc_rate=$(python3 -c "print(int($n/$kc_wall))")
cl_rate=$(python3 -c "print(int($n/($cl_user+$cl_sys)))")
kc_cpu=$(python3 -c "print(f'{($kc_user+$kc_sys)*100000/$n:.1f}')")
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
date=$(date -u +%Y-%m-%d)
mkdir -p bench/results
out="bench/results/$date.md"
cpu_model=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)
{
    echo "# newsflow benchmark, $date"
    echo
    echo "Machine: $(nproc) cores ($cpu_model), $(free -g | awk '/Mem:/{print $2}') GiB; Kafka $(sed -n 's/.*<kafka.version>\(.*\)<\/kafka.version>.*/\1/p' deploy/kafka/pom.xml | head -1) single node on 127.0.0.1; $n articles of $((bytes / n)) bytes on average, 4 partitions."
    echo
    echo "| what | articles/s | ratio to kcat pipe | CPU s per 100k articles | peak RSS MB |"
    echo "|---|---:|---:|---:|---:|"
    echo "| kcat -C \\| kcat -P (baseline; wall time, includes start-up) | $kc_rate | 1.00 | $kc_cpu | $((kc_rss / 1024)) |"
    echo "| newsflow run, at-least-once | $alo_rate | $(ratio "$alo_rate" "$kc_rate") | $alo_cpu | $alo_rss |"
    echo "| newsflow run, exactly-once | $eos_rate | $(ratio "$eos_rate" "$kc_rate") | $eos_cpu | $eos_rss |"
    echo "| newsflow replay, no rate limit | $rep_rate | $(ratio "$rep_rate" "$kc_rate") | | |"
    echo "| newsflow classify, offline, per core | $cl_rate | | $(python3 -c "print(f'{($cl_user+$cl_sys)*100000/$n:.1f}')") | $((cl_rss / 1024)) |"
    echo
    echo "Exactly-once / at-least-once throughput: $(ratio "$eos_rate" "$alo_rate"). Longest loop stall in a transaction commit: ${eos_stall:-?} ms."
    echo
    echo "newsflow rates are over the active period (first input to last delivery, from its own"
    echo "log); the kcat rate is over its whole wall time. CPU is user+system of the process."
} > "$out"
cat "$out"
