#!/usr/bin/env bash
# newsflow benchmarks against the limit (issue 7), in one run, against a real local
# Kafka broker of its own (deploy/kafka/kafka.sh, state in a temporary directory), on
# the same deterministic ~3 KB article mix (bench/gen_articles.py):
#
#   1. pass-through baselines over N articles on 4 partitions: the kcat pipe
#      (kcat -C | kcat -P) and bench/passthrough, a librdkafka consume -> produce loop
#      with no processing (the ceiling of a Kafka client on this machine)
#   2. newsflow run, at-least-once and exactly-once, and replay: articles/s over the
#      active period, CPU seconds per 100,000 articles, peak RSS
#   3. newsflow classify offline, and bench/floor (parse + one pattern scan), on one
#      core: articles/s from CPU time, and their ratio
#   4. end-to-end latency (input message timestamp to the enriched event's arrival) of
#      a running `newsflow run` (at-least-once) at fixed offered rates, by bench/latency;
#      and at the first rate again with newsflow's producer at linger.ms=0; and the same
#      path without newsflow, bench/passthrough -f (consume -> produce, no processing,
#      newsflow's producer settings), at the first rate: the Kafka-only baseline
#   5. memory: RSS of `newsflow run` every second through a backlog of B articles on 8
#      partitions (published as a stream, gen_articles.py | newsflow publish), and peak
#   6. scaling: the same backlog with 2 instances in one group
#   7. a chart (bench/report.py, matplotlib) of the throughputs and of the RSS series
#
# Usage: bench/run.sh [N]
#   N, NF_BENCH_N                articles for stages 1-3 (default 100000)
#   NF_BENCH_BACKLOG             backlog for stages 5-6 (default 1000000, ~3 GB)
#   NF_BENCH_LAT_SECONDS         measured seconds per latency rate (default 30)
#   NF_BENCH_LAT_RATES           offered rates, articles/s (default "1000 10000")
#   NF_BENCH_LAT_WARMUP          warm-up seconds before each, not counted (default 2)
#   NF_BENCH_BUILD               build directory (default build-bench)
#   NF_BENCH_OUT                 results directory (default bench/results)
#   NF_BENCH_KEEP                1: keep the logs (in /tmp/nf-bench.*), for a failed run
#   NF_BENCH_README              1: write the results into README.md between the
#                                <!-- bench:begin/end --> lines; 0: don't. Default: 1 when
#                                every size is the default, else 0.
# Writes <out>/<date>.md, <date>.png and <date>-rss.csv (with "-small" after the date
# when a size is not the default) and prints the markdown. Absolute numbers depend on
# the machine; the ratios are what compare. Stops its broker and removes its temporary
# files however it ends.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
n=${1:-${NF_BENCH_N:-100000}}
backlog=${NF_BENCH_BACKLOG:-1000000}
lat_s=${NF_BENCH_LAT_SECONDS:-30}
lat_rates=${NF_BENCH_LAT_RATES:-1000 10000}
lat_warm=${NF_BENCH_LAT_WARMUP:-2}
build=${NF_BENCH_BUILD:-build-bench}
outdir=${NF_BENCH_OUT:-bench/results}
full=0
[[ $n == 100000 && $backlog == 1000000 && $lat_s == 30 && $lat_rates == "1000 10000" ]] && full=1
readme=${NF_BENCH_README:-$full}
date=$(date -u +%Y-%m-%d)
stem=$date
((full)) || stem=$date-small

say() { echo "bench: $*" >&2; }
work=$(mktemp -d /tmp/nf-bench.XXXXXX)
bg=() # process groups started in the background (setsid), to end on the way out
cleanup() {
    local g i alive
    for g in "${bg[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
    for i in $(seq 40); do # 20 s to stop cleanly, then SIGKILL
        alive=0
        for g in "${bg[@]}"; do kill -0 -- "-$g" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.5
    done
    for g in "${bg[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
    NF_KAFKA_STATE="$work/kafka" deploy/kafka/kafka.sh stop >/dev/null 2>&1 || true
    if [[ ${NF_BENCH_KEEP:-0} == 1 ]]; then
        rm -rf "$work/kafka" "$work/articles.jsonl"
        say "logs kept in $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

deploy/setup-debian.sh --test >/dev/null
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DNF_SANITIZE=OFF >/dev/null
cmake --build "$build" -j2 >/dev/null
nf="$build/app/newsflow"

say "generating $n articles"
python3 bench/gen_articles.py "$n" > "$work/articles.jsonl"
bytes=$(wc -c < "$work/articles.jsonl")

export NF_KAFKA_STATE="$work/kafka" NF_KAFKA_PORT=0
deploy/kafka/kafka.sh start >/dev/null
b=$(deploy/kafka/kafka.sh bootstrap)
# Each newsflow stage X writes to its own bench.X.{enriched,dlq,alerts,cand} topics: the
# default setup (alerts on, to a topic, through a candidates topic) with fresh state.
topics=(bench.in:4 bench.copy:4 bench.pass:4 bench.lat.in:4 bench.latp.in:4 bench.latp.out:4
        bench.backlog:8)
for x in alo eos rep lat bl1 bl2; do
    parts=4
    [[ $x == bl* ]] && parts=8
    topics+=("bench.$x.enriched:$parts" "bench.$x.dlq:1" "bench.$x.alerts:1" "bench.$x.cand:4")
done
deploy/kafka/kafka.sh create-topics "${topics[@]}" >/dev/null
outs() { # stage: sets $out_args, the output topics of stage X
    out_args=(-X "output.enriched.topic=bench.$1.enriched" -X "output.dlq.topic=bench.$1.dlq"
              -X "output.alerts.topic=bench.$1.alerts" -X "alerts.candidates.topic=bench.$1.cand")
}
delete_topics() { # names: deleted with one TopicCommand (a JVM), as one regular expression
    local re
    re=$(IFS='|'; echo "$*" | sed 's/\./\\./g')
    deploy/kafka/kafka.sh tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$b" \
        --delete --topic "$re" > "$work/delete.log" 2>&1 ||
        say "warning: could not delete topics $*: $(grep -v '^\s' "$work/delete.log" | tail -1)"
}
"$nf" publish -b "$b" -t bench.in --no-progress "$work/articles.jsonl" 2>/dev/null

# Wall, user and system seconds and peak RSS (KB) of a command, into $work/time.
timed() { /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@"; }
py() { python3 -c "print($1)"; }
per100k() { py "f'{($1)*100000/$2:.1f}'"; }
ratio() { py "f'{$1/$2:.2f}' if $2 else '?'"; }
# From a newsflow log's last "stopped:" line: the active rate, and the messages consumed.
nf_rate() { sed -n 's/.*stopped: .*active [0-9.]* s (\([0-9]*\) msg\/s).*/\1/p' "$1" | tail -1; }
nf_consumed() { sed -n 's/.*stopped: consumed \([0-9]*\),.*/\1/p' "$1" | tail -1; }

# 1. Pass-through baselines.
say "kcat pipe"
timed sh -c "kcat -b $b -C -t bench.in -o beginning -e -q -f '%s\n' | kcat -b $b -P -t bench.copy"
read -r kc_wall kc_user kc_sys kc_rss < "$work/time"
kc_rate=$(py "int($n/$kc_wall)")
kc_cpu=$(per100k "$kc_user+$kc_sys" "$n")

say "librdkafka passthrough"
timed "$build/bench/passthrough" -b "$b" -i bench.in -o bench.pass > "$work/pass.out" 2> "$work/pass.log"
read -r _ pt_user pt_sys pt_rss < "$work/time"
pt_rate=$(sed -n 's/.*active [0-9.]* s (\([0-9]*\) msg\/s).*/\1/p' "$work/pass.out")
pt_cpu=$(per100k "$pt_user+$pt_sys" "$n")
linger=$(sed -n 's/.*linger.ms=\([0-9.]*\).*(librdkafka \(.*\)).*/\1 ms (librdkafka \2)/p' "$work/pass.log")

# 2. newsflow run and replay.
common=(-b "$b" -X input.topic=bench.in -X output.deal.topic= -X output.funding.topic=
        -X output.infrastructure.topic= -X ops.listen= -X log.level=info
        -X kafka.consumer.auto.offset.reset=earliest)
run_mode() { # name guarantee
    outs "$1"
    timed "$nf" run "${common[@]}" "${out_args[@]}" -e -X "group.id=bench-$1" \
        -X "processing.guarantee=$2" > /dev/null 2> "$work/$1.log"
    read -r wall user sys rss < "$work/time"
    echo "$(nf_rate "$work/$1.log") $(per100k "$user+$sys" "$n") $((rss / 1024)) $wall"
}
say "newsflow run at-least-once"
read -r alo_rate alo_cpu alo_rss alo_wall <<<"$(run_mode alo at_least_once)"
say "newsflow run exactly-once"
read -r eos_rate eos_cpu eos_rss eos_wall <<<"$(run_mode eos exactly_once)"
eos_stall=$(sed -n 's/.*loop blocked in commits .* ms in all, \([0-9.]*\) ms at most.*/\1/p' "$work/eos.log" | tail -1)

say "newsflow replay"
outs rep
timed "$nf" replay "${common[@]}" "${out_args[@]}" --from beginning --to now --no-progress \
    > /dev/null 2> "$work/rep.log"
rep_rate=$(nf_rate "$work/rep.log")
delete_topics bench.copy bench.pass bench.alo.enriched bench.eos.enriched bench.rep.enriched

# 3. classify and its floor, one core each: rates from user+system CPU seconds of the
# whole process (start-up included in both).
say "newsflow classify"
timed "$nf" classify -X log.level=warn -X alerts.rules=none "$work/articles.jsonl" > /dev/null
read -r _ cl_user cl_sys cl_rss < "$work/time"
cl_rate=$(py "int($n/($cl_user+$cl_sys))")
cl_cpu=$(per100k "$cl_user+$cl_sys" "$n")
say "floor"
timed "$build/bench/floor" "$work/articles.jsonl" > /dev/null 2> "$work/floor.log"
read -r _ fl_user fl_sys fl_rss < "$work/time"
fl_rate=$(py "int($n/($fl_user+$fl_sys))")
fl_cpu=$(per100k "$fl_user+$fl_sys" "$n")
cl_floor=$(ratio "$fl_rate" "$cl_rate")

# Starts a command in its own process group (so that cleanup can end it whole) and
# sets $started to its pid.
start_bg() {
    setsid "$@" &
    started=$!
    bg+=("$started")
}
wait_bg() { # pid: waits for it, fails as it fails
    local rc=0 g keep=()
    wait "$1" || rc=$?
    for g in "${bg[@]}"; do [[ $g == "$1" ]] || keep+=("$g"); done
    bg=("${keep[@]}")
    return "$rc"
}
stop_bg() { # pid
    kill -TERM -- "-$1" 2>/dev/null || true
    wait_bg "$1" || true
}

# 4. Latency: newsflow run (at-least-once) on bench.lat.in, ready before the first send;
# bench/latency offers each rate in turn. Then the first rate once more with newsflow's
# producer at linger.ms=0 instead of librdkafka's default, to show that setting's share.
lat_rows=()
lat_p99_1k=
lat_measure() { # label rate input output: one bench/latency run, appended to $lat_rows
    "$build/bench/latency" -b "$b" -i "$3" -o "$4" -r "$2" -s "$lat_s" \
        -w "$lat_warm" "$work/articles.jsonl" > "$work/lat.out" 2>> "$work/latency.log"
    v() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$work/lat.out"; }
    lat_rows+=("| $1 | $(v offered) | $(v measured) of $(v expected) | $(v p50_ms) | $(v p99_ms) | $(v p999_ms) | $(v max_ms) |")
}
latency_phase() { # label rates [newsflow args...]
    local label=$1 rates=$2 port pid r
    shift 2
    port=$(py "__import__('socket').create_server(('127.0.0.1', 0)).getsockname()[1]")
    start_bg "$nf" run "${common[@]}" "${out_args[@]}" -X input.topic=bench.lat.in \
        -X group.id=bench-lat -X "ops.listen=127.0.0.1:$port" "$@" > /dev/null 2>> "$work/lat.log"
    pid=$started
    for _ in $(seq 120); do
        curl -sf "http://127.0.0.1:$port/readyz" > /dev/null 2>&1 && break
        kill -0 "$pid" 2>/dev/null || { cat "$work/lat.log" >&2; exit 1; }
        sleep 0.5
    done
    curl -sf "http://127.0.0.1:$port/readyz" > /dev/null || { say "newsflow not ready"; exit 1; }
    for r in $rates; do
        lat_measure "at $r/s$label" "$r" bench.lat.in bench.lat.enriched
        if [[ $r == 1000 && -z $label ]]; then lat_p99_1k=$(v p99_ms); fi
    done
    stop_bg "$pid"
}
# The Kafka-only baseline of the same path: bench/passthrough following bench.latp.in,
# with newsflow's producer settings (linger.ms=1: producer/producer.c), ready once it
# has its partitions.
latency_passthrough() { # rate
    local pid
    start_bg "$build/bench/passthrough" -b "$b" -i bench.latp.in -o bench.latp.out -g bench-latp \
        -f -p linger.ms=1 > /dev/null 2> "$work/latp.log"
    pid=$started
    for _ in $(seq 120); do
        grep -q 'assigned' "$work/latp.log" && break
        kill -0 "$pid" 2>/dev/null || { cat "$work/latp.log" >&2; exit 1; }
        sleep 0.5
    done
    lat_measure "at $1/s, passthrough (Kafka only, no newsflow)" "$1" bench.latp.in bench.latp.out
    stop_bg "$pid"
}
say "latency at ${lat_rates// /, } articles/s, $lat_s s each"
outs lat
latency_phase "" "$lat_rates"
say "latency at ${lat_rates%% *} articles/s, newsflow's producer at linger.ms=0"
latency_phase ", producer linger.ms=0 (not the default)" "${lat_rates%% *}" -X kafka.producer.linger.ms=0
say "latency at ${lat_rates%% *} articles/s, passthrough"
latency_passthrough "${lat_rates%% *}"

# 5, 6. The backlog, published as a stream; one instance (RSS sampled every second),
# then two in one group.
say "publishing a backlog of $backlog articles"
t0=$EPOCHREALTIME
python3 bench/gen_articles.py "$backlog" | "$nf" publish -b "$b" -t bench.backlog --no-progress - 2>/dev/null
pub_rate=$(py "int($backlog/($EPOCHREALTIME-$t0))")
bl_common=("${common[@]}" -e -X input.topic=bench.backlog)

say "backlog, one instance"
rss_csv="$work/rss.csv"
echo "seconds,rss_mb" > "$rss_csv"
t0=$EPOCHREALTIME
outs bl1
start_bg /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$nf" run "${bl_common[@]}" "${out_args[@]}" \
    -X group.id=bench-bl1 > /dev/null 2> "$work/bl1.log"
tp=$started
while kill -0 "$tp" 2>/dev/null; do
    np=$(pgrep -P "$tp" | head -1 || true)
    rss=$( [[ -n $np ]] && sed -n 's/^VmRSS:\s*\([0-9]*\) kB/\1/p' "/proc/$np/status" 2>/dev/null || true)
    if [[ -n $rss ]]; then
        awk -v t="$EPOCHREALTIME" -v t0="$t0" -v r="$rss" 'BEGIN { printf "%.1f,%.1f\n", t - t0, r / 1024 }' >> "$rss_csv"
    fi
    sleep 1
done
wait_bg "$tp"
read -r bl1_wall bl1_user bl1_sys bl1_rss < "$work/time"
bl1_rss=$((bl1_rss / 1024))
bl1_rate=$(nf_rate "$work/bl1.log")
bl1_cpu=$(per100k "$bl1_user+$bl1_sys" "$backlog")
bl1_comb=$(py "int($backlog/$(python3 bench/report.py span "$work/bl1.log"))")
# RSS over the second half of the run: first, last, min and max; flat means last ~ first.
read -r rss_first rss_last rss_min rss_max <<<"$(python3 - "$rss_csv" <<'EOF'
import csv, sys
rows = [(float(a), float(b)) for a, b in list(csv.reader(open(sys.argv[1])))[1:]]
end = rows[-1][0] if rows else 0
tail = [r for r in rows if r[0] >= end / 2] or rows or [(0, 0)]
v = [r[1] for r in tail]
print(f"{v[0]:.0f} {v[-1]:.0f} {min(v):.0f} {max(v):.0f}")
EOF
)"
delete_topics bench.bl1.enriched

# An instance that fails (its exit status is reported) does not stop the benchmark.
say "backlog, two instances"
pids=()
outs bl2
for i in 1 2; do
    start_bg "$nf" run "${bl_common[@]}" "${out_args[@]}" -X group.id=bench-bl2 \
        > /dev/null 2> "$work/bl2-$i.log"
    pids+=("$started")
done
bl2_rows=()
bl2_sum=0
for i in 1 2; do
    rc=0
    wait_bg "${pids[i - 1]}" || rc=$?
    c=$(nf_consumed "$work/bl2-$i.log")
    bl2_sum=$((bl2_sum + ${c:-0}))
    row="${c:-?} articles at $(nf_rate "$work/bl2-$i.log")/s"
    if ((rc)); then
        row+=" (exit status $rc: $(grep -m1 ' error ' "$work/bl2-$i.log" | sed 's/^[^ ]* error  *//; s/|/\\|/g'))"
    fi
    bl2_rows+=("$row")
done
bl2_comb=$(py "int($backlog/$(python3 bench/report.py span "$work"/bl2-*.log))")
delete_topics bench.backlog bench.bl2.enriched

# The report.
mkdir -p "$outdir"
md="$outdir/$stem.md" png="$outdir/$stem.png" csv="$outdir/$stem-rss.csv"
cp "$rss_csv" "$csv"
{
    echo "kcat -C | kcat -P,$kc_rate"
    echo "passthrough (librdkafka),$pt_rate"
    echo "run at-least-once,$alo_rate"
    echo "run exactly-once,$eos_rate"
    echo "replay,$rep_rate"
    echo "classify (1 core),$cl_rate"
    echo "floor (1 core),$fl_rate"
} > "$work/bars.csv"
# matplotlib is Debian's (python3-matplotlib), for Debian's python3 whatever is on PATH.
chart_py=/usr/bin/python3
[[ -x $chart_py ]] || chart_py=python3
"$chart_py" bench/report.py chart "$work/bars.csv" "$csv" "$png" \
    "newsflow $date: $n articles; backlog of $backlog ($(nproc) cores)"
cpu_model=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)
kafka_version=$(sed -n 's/.*<kafka.version>\(.*\)<\/kafka.version>.*/\1/p' deploy/kafka/pom.xml | head -1)
met() { py "'met' if $1 else 'not met'"; }
ratio2() { # rate: its ratio to the kcat pipe and to passthrough, as two table cells
    echo "$(ratio "$1" "$kc_rate") | $(ratio "$1" "$pt_rate")"
}
# The tables, shared by the results file and the README.
{
    echo "| what | articles/s | ratio to kcat pipe | ratio to passthrough | CPU s per 100k articles | peak RSS MB |"
    echo "|---|---:|---:|---:|---:|---:|"
    echo "| kcat -C \\| kcat -P (wall time, start-up included) | $kc_rate | 1.00 | $(ratio "$kc_rate" "$pt_rate") | $kc_cpu | $((kc_rss / 1024)) |"
    echo "| passthrough: librdkafka consume → produce, no processing | $pt_rate | $(ratio "$pt_rate" "$kc_rate") | 1.00 | $pt_cpu | $((pt_rss / 1024)) |"
    echo "| newsflow run, at-least-once | $alo_rate | $(ratio2 "$alo_rate") | $alo_cpu | $alo_rss |"
    echo "| newsflow run, exactly-once | $eos_rate | $(ratio2 "$eos_rate") | $eos_cpu | $eos_rss |"
    echo "| newsflow replay, no rate limit | $rep_rate | $(ratio2 "$rep_rate") | | |"
    echo "| newsflow classify, offline, one core | $cl_rate | | | $cl_cpu | $((cl_rss / 1024)) |"
    echo "| floor: parse + one pattern scan, one core | $fl_rate | | | $fl_cpu | $((fl_rss / 1024)) |"
    echo "| newsflow run, backlog of $backlog on 8 partitions, one instance | $bl1_rate | | | $bl1_cpu | $bl1_rss |"
    echo
    echo "| end-to-end latency, at-least-once | offered articles/s | measured | p50 ms | p99 ms | p99.9 ms | max ms |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${lat_rows[@]}"
    echo
    echo "| goal (issue 7) | measured | |"
    echo "|---|---:|---|"
    echo "| run at-least-once ≥ the kcat pipe | $(ratio "$alo_rate" "$kc_rate") × | $(met "$alo_rate >= $kc_rate") |"
    echo "| classify within 2× of the floor | $cl_floor × slower | $(met "$cl_floor <= 2") |"
    echo "| p99 ≤ 10 ms at 1,000 articles/s | ${lat_p99_1k:-?} ms | $(met "${lat_p99_1k:-1e9} <= 10") |"
    echo "| RSS under 100 MB through the backlog, flat | peak $bl1_rss MB; second half $rss_first → $rss_last MB | $(met "$bl1_rss < 100 and $rss_last - $rss_first <= 5") |"
} > "$work/tables.md"
{
    echo "# newsflow benchmark, $date"
    echo
    echo "Machine: $(nproc) cores ($cpu_model), $(free -g | awk '/Mem:/{print $2}') GiB; Kafka $kafka_version single node on 127.0.0.1, on the same machine; $n articles of $((bytes / n)) bytes on average on 4 partitions; a backlog of $backlog on 8."
    echo
    cat "$work/tables.md"
    echo
    echo "![throughput and RSS]($stem.png)"
    echo
    echo "## Throughput"
    echo
    echo "newsflow and passthrough rates are over the active period (first input to last"
    echo "delivery, from their own output); the kcat rate is over its whole wall time. CPU is"
    echo "user+system of the process. classify and floor rates are articles per CPU second of"
    echo "the whole process, start-up included. Exactly-once / at-least-once throughput:"
    echo "$(ratio "$eos_rate" "$alo_rate"). Longest loop stall in a transaction commit: ${eos_stall:-?} ms."
    echo "Both produce idempotent and lz4; passthrough with librdkafka's default linger.ms,"
    echo "${linger:-?}, newsflow with its own default, 1 ms; through a backlog newsflow hands the"
    echo "enriched events of each run of waiting input to librdkafka together (pipeline/loop.c)."
    echo
    echo "## Latency"
    echo
    echo "bench/latency sends articles at a fixed rate (paced by absolute deadlines; message"
    echo "timestamp = send time; its own producer with linger.ms=0) to a running \`newsflow run\`"
    echo "(at-least-once, default settings) and times the arrival of each enriched event on the"
    echo "output topic (fetch.wait.max.ms=5). 20 priming articles first, one at a time; then"
    echo "$lat_s s per rate after a $lat_warm s warm-up that is not counted. newsflow's producer"
    echo "uses linger.ms=1 (librdkafka's default is ${linger:-?}); the linger.ms=0 row shows that"
    echo "setting's share. The passthrough row is the same path without newsflow (bench/passthrough"
    echo "-f, linger.ms=1, on its own topics): what the broker and librdkafka on this machine give"
    echo "alone; the difference to the first row is newsflow's share. An offered rate above what"
    echo "newsflow sustains (the throughput table) measures a growing queue, not the pipeline."
    echo
    echo "## Memory and scaling"
    echo
    echo "The backlog is streamed in (gen_articles.py | newsflow publish -, $pub_rate articles/s)"
    echo "to 8 partitions. One instance works through it with RSS sampled every second"
    echo "([$stem-rss.csv]($stem-rss.csv)): peak (max RSS) $bl1_rss MB; over the second half of the"
    echo "run, $rss_first MB at its start and $rss_last MB at the end, between $rss_min and $rss_max MB."
    echo
    echo "| instances in one group | each: articles consumed, at its active rate | the group: backlog / (first assignment to last exit) |"
    echo "|---:|---|---:|"
    echo "| 1 | $(nf_consumed "$work/bl1.log") articles at $bl1_rate/s | $bl1_comb/s |"
    echo "| 2 | ${bl2_rows[0]}; ${bl2_rows[1]}; $((bl2_sum - backlog)) processed twice | $bl2_comb/s |"
    echo
    echo "With $(nproc) cores for the broker, newsflow and the rest of the machine, a second"
    echo "instance competes with the broker and the first for CPU: this shows that the group"
    echo "splits the work, not how it scales on dedicated cores."
} > "$md"
cat "$md"

if [[ $readme == 1 ]]; then
    rel=${outdir#"$top"/}
    {
        echo "Latest ([$stem]($rel/$stem.md), $(nproc) cores, $n articles, a backlog of $backlog):"
        echo
        cat "$work/tables.md"
        echo
        echo "![throughput and RSS]($rel/$stem.png)"
    } > "$work/readme-block.md"
    python3 bench/report.py readme README.md "$work/readme-block.md"
    say "README.md updated"
fi
