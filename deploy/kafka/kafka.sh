#!/usr/bin/env bash
# kafka.sh - local single-node Apache Kafka (KRaft) broker for newsflow
# development, tests and benchmarks. Jars come from Maven Central via `mvn`
# (pom.xml beside this script); no Docker, no tarball. See README.md.
#
#   kafka.sh fetch | start [--free-port] | create-topics [SPEC...] | stop |
#            status | bootstrap | tool CLASS [ARGS...] | reset | --help
set -euo pipefail

KAFKA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
POM=$KAFKA_DIR/pom.xml
PROG=${0##*/}

die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
say() { printf '%s: %s\n' "$PROG" "$*" >&2; }

# Absolute path of $1 (which need not exist yet), relative to the cwd.
abspath() {
    case $1 in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s/%s\n' "$PWD" "$1" ;;
    esac
}

KAFKA_VERSION=$(sed -n 's:.*<kafka\.version>\(.*\)</kafka\.version>.*:\1:p' "$POM" | head -n 1)
[[ -n $KAFKA_VERSION ]] || die "cannot read <kafka.version> from $POM"

CACHE_DIR=$(abspath "${NF_KAFKA_CACHE:-$KAFKA_DIR/.cache}")
STATE_DIR=$(abspath "${NF_KAFKA_STATE:-$KAFKA_DIR/.state}")
DIST_DIR=$CACHE_DIR/kafka-$KAFKA_VERSION
LIB_DIR=$DIST_DIR/lib
FETCH_MARK=$DIST_DIR/.fetched

LOG_DIR=$STATE_DIR/logs
PID_FILE=$STATE_DIR/kafka.pid
BOOTSTRAP_FILE=$STATE_DIR/bootstrap
CONFIG_FILE=$STATE_DIR/server.properties
CLUSTER_ID_FILE=$STATE_DIR/cluster.id
STATE_MARK=$STATE_DIR/.nf-kafka-state
SERVER_LOG=$LOG_DIR/server.log
OUT_LOG=$LOG_DIR/kafka.out

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
START_TIMEOUT=${NF_KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=${NF_KAFKA_STOP_TIMEOUT:-30}
HEAP=${NF_KAFKA_HEAP:-512m}

DEFAULT_TOPICS=(
    news.articles:4
    news.enriched:4
    news.deal:4
    news.funding:4
    news.infrastructure:4
    news.alerts:4
    news.dlq:4
    news.alert-candidates:4
)

usage() {
    cat <<EOF
Usage: $PROG COMMAND [ARGS]

Local single-node Apache Kafka $KAFKA_VERSION broker (KRaft, PLAINTEXT on 127.0.0.1).

Commands:
  fetch                   Resolve the broker/tool jars with Maven into the cache
                          (skipped when already present for this pom.xml).
  start [--free-port]     Fetch if needed, format the state dir on first use, start
                          the broker in the background and wait until it is ready.
                          Succeeds at once if this state dir's broker is running.
        [--port N]        Client port (same as NF_KAFKA_PORT=N; 0 = free port).
  create-topics [SPEC...] Create topics if missing. SPEC = name[:partitions[:replication]].
                          Without SPECs: the newsflow set
                          (${DEFAULT_TOPICS[*]}).
  stop                    SIGTERM the broker, SIGKILL after ${STOP_TIMEOUT}s. Succeeds if not running.
  status                  Print running/stopped and the bootstrap (exit 0 running, 3 stopped).
  bootstrap               Print host:port of the running broker (exit 1 if not running).
  tool CLASS [ARGS...]    Run a Kafka tool class with the broker's classpath, e.g.
                          $PROG tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \\
                              --bootstrap-server "\$($PROG bootstrap)" --describe --all-groups
  reset                   Stop the broker and delete the state dir.
  -h, --help              This help.

Environment:
  NF_KAFKA_PORT            client port (default 9092; 0 = pick a free port)
  NF_KAFKA_CONTROLLER_PORT controller port (default 0 = pick a free port)
  NF_KAFKA_STATE           state dir (default deploy/kafka/.state): data, logs, pid, bootstrap
  NF_KAFKA_CACHE           jar cache (default deploy/kafka/.cache)
  NF_KAFKA_M2_REPO         Maven local repository (default: Maven's own, ~/.m2/repository)
  NF_KAFKA_START_TIMEOUT   seconds to wait for readiness (default 90)
  NF_KAFKA_STOP_TIMEOUT    seconds between SIGTERM and SIGKILL (default 30)
  NF_KAFKA_HEAP            broker heap, -Xms and -Xmx (default 512m)
  NF_KAFKA_JAVA_OPTS       extra JVM options for the broker
  NF_KAFKA_TOOL_OPTS       extra JVM options for 'tool' and 'create-topics'
  NF_KAFKA_TOPIC_TOOL      'topiccommand' makes create-topics use TopicCommand (one JVM
                           per topic) instead of the batch helper CreateTopics.java
  JAVA_HOME                Java 17+ to use (default: java on PATH)

Files: broker log $SERVER_LOG
       JVM stdout/stderr $OUT_LOG
EOF
}

# ---------------------------------------------------------------- helpers

now_ms() { date +%s%3N; }

# Seconds since $1 (from now_ms), one decimal: "12.3s".
elapsed() {
    local ms=$(($(now_ms) - $1))
    printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100))
}

# Hold an exclusive lock on $1 for the rest of this process (fd 9).
take_lock() {
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$1"
        flock 9
    fi
}

# Escape a value for the replacement side of a sed s|||.
sed_escape() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }

# 0 when something accepts TCP connections on 127.0.0.1:$1.
tcp_open() {
    # shellcheck disable=SC2016 # $1 expands in the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# Print a TCP port on 127.0.0.1 that nothing listens on. Picks below the
# kernel's ephemeral range (32768+) so outgoing connections do not take it.
free_port() {
    local p i listening
    listening=$(ss -Htln 2>/dev/null | awk '{print $4}' | sed 's/.*://' || true)
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + RANDOM % 12000))
        if grep -qx "$p" <<<"$listening"; then continue; fi
        if tcp_open "$p"; then continue; fi
        printf '%s\n' "$p"
        return 0
    done
    die "could not find a free TCP port"
}

valid_port() { [[ $1 =~ ^[0-9]+$ ]] && ((10#$1 <= 65535)); }

# The pid of this state dir's broker if it is running, else return 1.
running_pid() {
    local pid cmd
    [[ -f $PID_FILE ]] || return 1
    pid=$(<"$PID_FILE")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    if [[ -r /proc/$pid/cmdline ]]; then
        cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline")
    else
        cmd=$(ps -p "$pid" -o args= 2>/dev/null) || return 1
    fi
    # A stale pid file may point at a reused pid: check it is our broker.
    [[ $cmd == *kafka.Kafka* && $cmd == *"$CONFIG_FILE"* ]] || return 1
    printf '%s\n' "$pid"
}

alive() { kill -0 "$1" 2>/dev/null; }

jars_present() {
    [[ -f $FETCH_MARK && -f $LIB_DIR/kafka_2.13-$KAFKA_VERSION.jar &&
        -f $LIB_DIR/kafka-tools-$KAFKA_VERSION.jar ]] || return 1
    [[ $(<"$FETCH_MARK") == "$(sha256sum <"$POM" | cut -d' ' -f1)" ]]
}

# Run a Java main class with the Kafka classpath. JVM options in "$@" up to --.
run_java_tool() {
    local -a opts=() extra=()
    while (($#)) && [[ $1 != -- ]]; do opts+=("$1"); shift; done
    shift
    read -r -a extra <<<"${NF_KAFKA_TOOL_OPTS:-}"
    "$JAVA" "${opts[@]}" "${extra[@]}" \
        -Dlog4j2.configurationFile="$KAFKA_DIR/tools-log4j2.properties" \
        -cp "${TOOL_CP:-$LIB_DIR/*}" "$@"
}

# Short-lived internal tools: favour JVM startup time over peak speed.
QUICK_JVM=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m -Xshare:auto)

print_failure_logs() {
    if [[ -s $SERVER_LOG ]]; then
        say "last 50 lines of $SERVER_LOG:"
        tail -n 50 "$SERVER_LOG" >&2
        if grep -qE '^\[[^]]*\] (ERROR|FATAL) ' "$SERVER_LOG"; then
            say "first ERROR lines of $SERVER_LOG (the cause is usually here):"
            grep -m 5 -A 1 -E '^\[[^]]*\] (ERROR|FATAL) ' "$SERVER_LOG" | cut -c 1-400 >&2
        fi
    else
        say "$SERVER_LOG is empty or missing; last 50 lines of $OUT_LOG (JVM stdout/stderr):"
        tail -n 50 "$OUT_LOG" >&2 2>/dev/null || true
    fi
}

# ---------------------------------------------------------------- commands

cmd_fetch() {
    if jars_present; then
        say "Kafka $KAFKA_VERSION jars already in $LIB_DIR"
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || die "mvn (Maven 3) is needed to fetch the Kafka jars"
    mkdir -p "$CACHE_DIR"
    (
        take_lock "$CACHE_DIR/.fetch.lock"
        if jars_present; then exit 0; fi # another process fetched meanwhile
        local t0 tmp
        t0=$(now_ms)
        say "fetching Kafka $KAFKA_VERSION jars with Maven into $LIB_DIR ..."
        tmp=$(mktemp -d "$CACHE_DIR/.fetch.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT
        local -a mvn_args=(-q -B -Dstyle.color=never -f "$POM")
        [[ -n ${NF_KAFKA_M2_REPO:-} ]] && mvn_args+=("-Dmaven.repo.local=$(abspath "$NF_KAFKA_M2_REPO")")
        if ! mvn "${mvn_args[@]}" dependency:copy-dependencies \
            -DoutputDirectory="$tmp/lib" -DincludeScope=runtime >"$tmp/mvn.log" 2>&1; then
            cat "$tmp/mvn.log" >&2
            die "mvn dependency:copy-dependencies failed"
        fi
        [[ -f $tmp/lib/kafka_2.13-$KAFKA_VERSION.jar ]] || die "mvn did not produce kafka_2.13-$KAFKA_VERSION.jar"
        rm -rf "$DIST_DIR"
        mkdir -p "$DIST_DIR"
        mv "$tmp/lib" "$LIB_DIR"
        sha256sum <"$POM" | cut -d' ' -f1 >"$FETCH_MARK"
        say "fetched $(find "$LIB_DIR" -name '*.jar' | wc -l) jars in $(elapsed "$t0")"
    )
}

cmd_start() {
    local port=${NF_KAFKA_PORT:-9092}
    local cport=${NF_KAFKA_CONTROLLER_PORT:-0}
    while (($#)); do
        case $1 in
            --free-port) port=0 ;;
            --port) (($# >= 2)) || die "--port needs a value"; port=$2; shift ;;
            --port=*) port=${1#--port=} ;;
            -h | --help) usage; return 0 ;;
            *) die "start: unknown argument '$1'" ;;
        esac
        shift
    done
    valid_port "$port" || die "bad port '$port'"
    valid_port "$cport" || die "bad controller port '$cport'"
    [[ $START_TIMEOUT =~ ^[0-9]+$ ]] || die "bad NF_KAFKA_START_TIMEOUT '$START_TIMEOUT'"
    command -v "$JAVA" >/dev/null 2>&1 || die "java not found (Java 17+ needed; set JAVA_HOME)"

    jars_present || cmd_fetch
    mkdir -p "$STATE_DIR" "$LOG_DIR"
    touch "$STATE_MARK"
    take_lock "$STATE_DIR/.lock"

    local pid
    if pid=$(running_pid); then
        say "already running (pid $pid) at $(cat "$BOOTSTRAP_FILE" 2>/dev/null || echo '?'), state $STATE_DIR"
        if [[ $port != 0 && -f $BOOTSTRAP_FILE && $(<"$BOOTSTRAP_FILE") != "127.0.0.1:$port" ]]; then
            say "warning: requested port $port differs; stop it first to change ports"
        fi
        return 0
    fi
    rm -f "$PID_FILE" "$BOOTSTRAP_FILE"

    ((10#$port == 0)) && port=$(free_port)
    if ((10#$cport == 0)); then
        cport=$(free_port)
        while ((cport == port)); do cport=$(free_port); done
    fi
    port=$((10#$port)) cport=$((10#$cport))
    ((port != cport)) || die "client and controller ports are both $port"

    sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$cport|g" \
        -e "s|@STATE_DIR@|$(sed_escape "$STATE_DIR")|g" \
        "$KAFKA_DIR/server.properties.in" >"$CONFIG_FILE.tmp"
    mv "$CONFIG_FILE.tmp" "$CONFIG_FILE"

    if [[ ! -f $STATE_DIR/data/meta.properties ]]; then
        local cid t0
        t0=$(now_ms)
        if [[ -s $CLUSTER_ID_FILE ]]; then
            cid=$(<"$CLUSTER_ID_FILE")
        else
            cid=$(run_java_tool "${QUICK_JVM[@]}" -- kafka.tools.StorageTool random-uuid) ||
                die "StorageTool random-uuid failed"
            printf '%s\n' "$cid" >"$CLUSTER_ID_FILE"
        fi
        # Static quorum (controller.quorum.voters in the config), so no --standalone.
        if ! run_java_tool "${QUICK_JVM[@]}" -- kafka.tools.StorageTool format \
            -t "$cid" -c "$CONFIG_FILE" --ignore-formatted >"$LOG_DIR/format.log" 2>&1; then
            cat "$LOG_DIR/format.log" >&2
            die "StorageTool format failed"
        fi
        say "formatted $STATE_DIR/data (cluster id $cid) in $(elapsed "$t0")"
    fi

    # Keep the previous run's logs; this run's start in fresh files.
    [[ -f $SERVER_LOG ]] && mv -f "$SERVER_LOG" "$SERVER_LOG.prev"
    [[ -f $OUT_LOG ]] && mv -f "$OUT_LOG" "$OUT_LOG.prev"

    local -a jvm extra
    read -r -a extra <<<"${NF_KAFKA_JAVA_OPTS:-}"
    jvm=(
        "-Xms$HEAP" "-Xmx$HEAP"
        -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
        -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError
        -Djava.awt.headless=true
        "-Dkafka.logs.dir=$LOG_DIR"
        "-Dlog4j2.configurationFile=$KAFKA_DIR/log4j2.properties"
        "${extra[@]}"
        -cp "$LIB_DIR/*"
        kafka.Kafka "$CONFIG_FILE"
    )
    local -a detach=()
    command -v setsid >/dev/null 2>&1 && detach=(setsid)
    local t0
    t0=$(now_ms)
    # Subshell: the broker is re-parented to init (no zombie for kill -0 to
    # see), has no lock fd and survives this shell's process group.
    (
        exec 9>&-
        cd "$STATE_DIR"
        "${detach[@]}" nohup "$JAVA" "${jvm[@]}" >"$OUT_LOG" 2>&1 </dev/null &
        printf '%s\n' "$!" >"$PID_FILE"
    )
    pid=$(<"$PID_FILE")
    printf '127.0.0.1:%s\n' "$port" >"$BOOTSTRAP_FILE"
    say "started Kafka $KAFKA_VERSION (pid $pid), client 127.0.0.1:$port, controller 127.0.0.1:$cport; waiting up to ${START_TIMEOUT}s"

    local deadline=$((SECONDS + START_TIMEOUT)) why=""
    while :; do
        if ! alive "$pid"; then
            why="the broker exited during startup"
            break
        fi
        if [[ -f $SERVER_LOG ]] && grep -q 'Kafka Server started' "$SERVER_LOG" && tcp_open "$port"; then
            say "ready at 127.0.0.1:$port after $(elapsed "$t0") (log $SERVER_LOG)"
            return 0
        fi
        if ((SECONDS >= deadline)); then
            why="not ready after ${START_TIMEOUT}s"
            break
        fi
        sleep 0.2
    done

    say "start FAILED: $why"
    print_failure_logs
    if alive "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
        local i
        for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
    fi
    if tcp_open "$port" && ! alive "$pid"; then
        say "hint: something else listens on 127.0.0.1:$port (try NF_KAFKA_PORT=0 or --free-port)"
    fi
    rm -f "$PID_FILE" "$BOOTSTRAP_FILE"
    return 1
}

cmd_stop() {
    [[ -d $STATE_DIR ]] || { say "stopped (no state dir $STATE_DIR)"; return 0; }
    take_lock "$STATE_DIR/.lock"
    local pid t0
    if ! pid=$(running_pid); then
        rm -f "$PID_FILE"
        say "not running"
        return 0
    fi
    t0=$(now_ms)
    say "stopping Kafka (pid $pid) ..."
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if alive "$pid"; then
        say "still running after ${STOP_TIMEOUT}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        while alive "$pid"; do sleep 0.1; done
    fi
    rm -f "$PID_FILE"
    say "stopped in $(elapsed "$t0")"
}

cmd_status() {
    local pid
    if pid=$(running_pid); then
        printf 'running pid=%s bootstrap=%s state=%s\n' "$pid" "$(cat "$BOOTSTRAP_FILE" 2>/dev/null || echo '?')" "$STATE_DIR"
        return 0
    fi
    printf 'stopped state=%s\n' "$STATE_DIR"
    return 3
}

cmd_bootstrap() {
    running_pid >/dev/null || die "Kafka is not running (state $STATE_DIR); run: $0 start"
    cat "$BOOTSTRAP_FILE"
}

# Compile CreateTopics.java once into the jar cache; print its class dir.
# Returns 1 (caller falls back to TopicCommand) without a javac or when
# NF_KAFKA_TOPIC_TOOL=topiccommand.
create_topics_helper() {
    [[ ${NF_KAFKA_TOPIC_TOOL:-} != topiccommand ]] || return 1
    local src=$KAFKA_DIR/CreateTopics.java dir tmp
    local javac=${JAVA_HOME:+$JAVA_HOME/bin/}javac
    dir=$DIST_DIR/helper-$(sha256sum <"$src" | cut -c1-16)
    if [[ ! -f $dir/CreateTopics.class ]]; then
        command -v "$javac" >/dev/null 2>&1 || return 1
        tmp=$(mktemp -d "$DIST_DIR/.helper.XXXXXX")
        if ! "$javac" -nowarn -cp "$LIB_DIR/*" -d "$tmp" "$src" >"$tmp.log" 2>&1; then
            say "warning: could not compile $src, using TopicCommand:"
            cat "$tmp.log" >&2
            rm -rf "$tmp" "$tmp.log"
            return 1
        fi
        rm -f "$tmp.log"
        mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp" # another process won the race
    fi
    printf '%s\n' "$dir"
}

cmd_create_topics() {
    local bootstrap spec name parts repl helper
    bootstrap=$(cmd_bootstrap)
    (($#)) || set -- "${DEFAULT_TOPICS[@]}"
    # Validate every SPEC before starting any JVM; normalise to name:parts:repl.
    local -a norm=()
    for spec in "$@"; do
        [[ $spec =~ ^[A-Za-z0-9._-]+(:[1-9][0-9]*(:[1-9][0-9]*)?)?$ ]] ||
            die "bad topic spec '$spec' (want name[:partitions[:replication]])"
        IFS=: read -r name parts repl <<<"$spec"
        norm+=("$name:${parts:-4}:${repl:-1}")
    done
    local t0
    t0=$(now_ms)
    if helper=$(create_topics_helper); then
        # Fast path: one JVM, one CreateTopics request (~1 s for any number).
        TOOL_CP="$LIB_DIR/*:$helper" run_java_tool "${QUICK_JVM[@]}" -- \
            CreateTopics "$bootstrap" "${norm[@]}" || die "some topics could not be created"
        say "topics ensured (${#norm[@]}) in $(elapsed "$t0")"
        return 0
    fi
    # Fallback: one TopicCommand JVM per topic (~2 s each, no batch mode),
    # two at a time, which about halves the wall time on a 2-core machine.
    local -a pids=() specs=()
    local failed=0 i
    for spec in "${norm[@]}"; do
        IFS=: read -r name parts repl <<<"$spec"
        {
            run_java_tool "${QUICK_JVM[@]}" -- org.apache.kafka.tools.TopicCommand \
                --bootstrap-server "$bootstrap" --create --if-not-exists \
                --topic "$name" --partitions "$parts" --replication-factor "$repl" |
                sed '/Due to limitations in metric names/d'
        } &
        pids+=("$!")
        specs+=("$spec")
        if ((${#pids[@]} >= 2)); then
            wait "${pids[0]}" || { say "failed: ${specs[0]}"; failed=1; }
            pids=("${pids[@]:1}") specs=("${specs[@]:1}")
        fi
    done
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || { say "failed: ${specs[$i]}"; failed=1; }
    done
    ((failed == 0)) || die "some topics could not be created"
    say "topics ensured (${#norm[@]}, TopicCommand) in $(elapsed "$t0")"
}

cmd_tool() {
    (($#)) || die "usage: $PROG tool CLASS [ARGS...]"
    jars_present || cmd_fetch
    run_java_tool -- "$@"
}

cmd_reset() {
    cmd_stop
    [[ -e $STATE_DIR ]] || { say "no state dir $STATE_DIR"; return 0; }
    # Only delete a dir this script made (or an empty one).
    if [[ -f $STATE_MARK || -z $(ls -A "$STATE_DIR") ]]; then
        rm -rf "$STATE_DIR"
        say "deleted $STATE_DIR"
    else
        die "$STATE_DIR does not look like a kafka.sh state dir (no $STATE_MARK); not deleting"
    fi
}

main() {
    (($#)) || { usage >&2; exit 2; }
    local cmd=$1
    shift
    case $cmd in
        fetch) cmd_fetch "$@" ;;
        start) cmd_start "$@" ;;
        create-topics | create-topic) cmd_create_topics "$@" ;;
        stop) cmd_stop "$@" ;;
        status) cmd_status "$@" ;;
        bootstrap) cmd_bootstrap "$@" ;;
        tool) cmd_tool "$@" ;;
        reset) cmd_reset "$@" ;;
        -h | --help | help) usage ;;
        *) usage >&2; die "unknown command '$cmd'" ;;
    esac
}

main "$@"
