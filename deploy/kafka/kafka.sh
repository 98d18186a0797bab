#!/usr/bin/env bash
# kafka.sh - local single-node Apache Kafka (KRaft) broker for newsflow
# development, tests and benchmarks. Jars come from Maven Central via `mvn`
# (pom.xml beside this script); no Docker, no tarball. See README.md.
#
#   kafka.sh fetch | start [--free-port] | create-topics [SPEC...] | stop |
#            status | bootstrap [--sasl|--ssl|--sasl-ssl] |
#            client-config [sasl|ssl|sasl-ssl] [--java] | tool CLASS [ARGS...] |
#            reset | --help
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
SASL_PASSWORD_FILE=$STATE_DIR/sasl.password
SCRAM_MARK=$STATE_DIR/.scram-user
TLS_DIR=$STATE_DIR/tls
CONFIG_FILE=$STATE_DIR/server.properties
CLUSTER_ID_FILE=$STATE_DIR/cluster.id
STATE_MARK=$STATE_DIR/.nf-kafka-state
SERVER_LOG=$LOG_DIR/server.log
OUT_LOG=$LOG_DIR/kafka.out

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
START_TIMEOUT=${NF_KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=${NF_KAFKA_STOP_TIMEOUT:-30}
HEAP=${NF_KAFKA_HEAP:-512m}
SASL_USER=${NF_KAFKA_SASL_USER:-newsflow}
SASL_MECHANISM=SCRAM-SHA-512

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

Local single-node Apache Kafka $KAFKA_VERSION broker (KRaft) on 127.0.0.1. Client
listeners: PLAINTEXT (what tests and benchmarks use), SASL_PLAINTEXT (PLAIN and
SCRAM-SHA-512, one user), and with openssl SSL (client certificate required) and
SASL_SSL. The controller and inter-broker listeners are PLAINTEXT.

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
  bootstrap [--sasl|--ssl|--sasl-ssl]
                          Print host:port of the running broker's PLAINTEXT listener, or
                          of the SASL_PLAINTEXT, SSL or SASL_SSL one (exit 1 if not running).
  client-config [sasl|ssl|sasl-ssl] [--java]
                          Print the path of a client properties file (mode 0600) for that
                          listener (default sasl): newsflow keys (kafka.*, for newsflow
                          run -c), or with --java Kafka client keys (--command-config).
  sasl-config [--java]    Same as client-config sasl.
  tool CLASS [ARGS...]    Run a Kafka tool class with the broker's classpath, e.g.
                          $PROG tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \\
                              --bootstrap-server "\$($PROG bootstrap)" --describe --all-groups
  reset                   Stop the broker and delete the state dir.
  -h, --help              This help.

Environment:
  NF_KAFKA_PORT            client port (default 9092; 0 = pick a free port)
  NF_KAFKA_CONTROLLER_PORT controller port (default 0 = pick a free port)
  NF_KAFKA_SASL_PORT       SASL_PLAINTEXT port (default 0 = pick a free port)
  NF_KAFKA_SSL_PORT        SSL port (default 0 = pick a free port)
  NF_KAFKA_SASL_SSL_PORT   SASL_SSL port (default 0 = pick a free port)
  NF_KAFKA_TLS             0: no SSL and SASL_SSL listeners (default 1 when openssl exists)
  NF_KAFKA_SASL_USER       the SASL user (default newsflow); its password is made at
                           first start and kept in <state dir>/sasl.password
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

# The SASL user's password: made once per state dir (alphanumeric, so that it needs
# no quoting in the JAAS lines or the --add-scram argument), kept mode 0600.
sasl_password() {
    local pw
    if [[ ! -s $SASL_PASSWORD_FILE ]]; then
        pw=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
        [[ ${#pw} -ge 16 ]] || die "could not make a SASL password"
        (umask 077 && printf '%s\n' "$pw" >"$SASL_PASSWORD_FILE")
    fi
    pw=$(<"$SASL_PASSWORD_FILE")
    [[ $pw =~ ^[A-Za-z0-9]+$ ]] || die "$SASL_PASSWORD_FILE: want one alphanumeric line"
    printf '%s\n' "$pw"
}

# 0 when the TLS listeners are wanted and possible (openssl present, NF_KAFKA_TLS not 0).
tls_wanted() {
    [[ ${NF_KAFKA_TLS:-1} != 0 ]] || return 1
    command -v openssl >/dev/null 2>&1 && return 0
    say "warning: openssl not found: no SSL and SASL_SSL listeners (PLAINTEXT and SASL_PLAINTEXT only)"
    return 1
}

# A private CA, a server certificate for 127.0.0.1/localhost and a client certificate
# (CN=$SASL_USER), made once per state dir into $TLS_DIR with openssl. The broker reads
# PEM files (ssl.keystore.type=PEM): server-keystore.pem is its key and certificate
# chain, ca.pem its truststore (for client certificates on the SSL listener).
make_tls() {
    [[ -s $TLS_DIR/server-keystore.pem && -s $TLS_DIR/client.pem && -s $TLS_DIR/client.key ]] &&
        return 0
    local t0 tmp
    t0=$(now_ms)
    tmp=$(mktemp -d "$STATE_DIR/.tls.XXXXXX")
    (
        umask 077
        cd "$tmp"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key -out ca.pem \
            -subj "/CN=newsflow kafka.sh CA" -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign"
        openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
            -extfile server.ext -out server.pem
        openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=$SASL_USER"
        printf 'extendedKeyUsage=clientAuth\n' >client.ext
        openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAserial ca.srl -days 3650 \
            -extfile client.ext -out client.pem
        cat server.key server.pem ca.pem >server-keystore.pem
        cat client.key client.pem ca.pem >client-keystore.pem # for Java clients
        rm -f ./*.csr ./*.ext ca.srl server.key server.pem
    ) >"$LOG_DIR/tls.log" 2>&1 || {
        cat "$LOG_DIR/tls.log" >&2
        rm -rf "$tmp"
        die "could not make the TLS certificates with openssl"
    }
    rm -rf "$TLS_DIR"
    mv "$tmp" "$TLS_DIR"
    say "made a CA, server and client certificates in $TLS_DIR in $(elapsed "$t0")"
}

# Client settings for the secured listeners, for newsflow (-c FILE) and for Kafka's
# Java tools (--command-config FILE); they hold the password: mode 0600. newsflow's
# use PLAIN: librdkafka before 2.6.1 (Debian 12 has 2.0.2) cannot log in to Kafka 4
# with SCRAM (librdkafka#4895); the Java client's use SCRAM-SHA-512.
write_client_files() {
    local sport=$1 tport=$2 stport=$3 pw=$4 f
    (
        umask 077
        cat >"$STATE_DIR/sasl.properties.tmp" <<EOF
# SASL_PLAINTEXT listener of the kafka.sh broker in $STATE_DIR (newsflow keys).
# The listener takes PLAIN and SCRAM-SHA-512; SCRAM needs librdkafka 2.6.1 or later.
kafka.bootstrap.servers=127.0.0.1:$sport
kafka.security.protocol=SASL_PLAINTEXT
kafka.sasl.mechanism=PLAIN
kafka.sasl.username=$SASL_USER
kafka.sasl.password=$pw
EOF
        cat >"$STATE_DIR/sasl-client.properties.tmp" <<EOF
# SASL_PLAINTEXT listener of the kafka.sh broker in $STATE_DIR (Kafka client keys).
bootstrap.servers=127.0.0.1:$sport
security.protocol=SASL_PLAINTEXT
sasl.mechanism=$SASL_MECHANISM
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$SASL_USER" password="$pw";
EOF
        if ((tport > 0)); then
            cat >"$STATE_DIR/ssl.properties.tmp" <<EOF
# SSL listener of the kafka.sh broker in $STATE_DIR (newsflow keys): TLS, and the
# broker requires a client certificate signed by its CA.
kafka.bootstrap.servers=127.0.0.1:$tport
kafka.security.protocol=SSL
kafka.ssl.ca.location=$TLS_DIR/ca.pem
kafka.ssl.certificate.location=$TLS_DIR/client.pem
kafka.ssl.key.location=$TLS_DIR/client.key
EOF
            cat >"$STATE_DIR/ssl-client.properties.tmp" <<EOF
# SSL listener of the kafka.sh broker in $STATE_DIR (Kafka client keys).
bootstrap.servers=127.0.0.1:$tport
security.protocol=SSL
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
ssl.keystore.type=PEM
ssl.keystore.location=$TLS_DIR/client-keystore.pem
EOF
            cat >"$STATE_DIR/sasl-ssl.properties.tmp" <<EOF
# SASL_SSL listener of the kafka.sh broker in $STATE_DIR (newsflow keys): TLS with
# the broker's CA, then PLAIN (or SCRAM-SHA-512 with librdkafka 2.6.1 or later).
kafka.bootstrap.servers=127.0.0.1:$stport
kafka.security.protocol=SASL_SSL
kafka.ssl.ca.location=$TLS_DIR/ca.pem
kafka.sasl.mechanism=PLAIN
kafka.sasl.username=$SASL_USER
kafka.sasl.password=$pw
EOF
            cat >"$STATE_DIR/sasl-ssl-client.properties.tmp" <<EOF
# SASL_SSL listener of the kafka.sh broker in $STATE_DIR (Kafka client keys).
bootstrap.servers=127.0.0.1:$stport
security.protocol=SASL_SSL
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
sasl.mechanism=$SASL_MECHANISM
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$SASL_USER" password="$pw";
EOF
        fi
    )
    for f in sasl sasl-client ssl ssl-client sasl-ssl sasl-ssl-client; do
        if [[ -f $STATE_DIR/$f.properties.tmp ]]; then
            mv "$STATE_DIR/$f.properties.tmp" "$STATE_DIR/$f.properties"
        else
            rm -f "$STATE_DIR/$f.properties"
        fi
    done
}

# A state dir formatted before the SASL listener existed has no SCRAM credential (the
# format step adds it): add it through the running broker, once.
ensure_scram_user() {
    local port=$1 pw=$2 t0
    [[ -f $SCRAM_MARK && $(<"$SCRAM_MARK") == "$SASL_USER" ]] && return 0
    t0=$(now_ms)
    if run_java_tool "${QUICK_JVM[@]}" -- kafka.admin.ConfigCommand \
        --bootstrap-server "127.0.0.1:$port" --alter --entity-type users \
        --entity-name "$SASL_USER" --add-config "$SASL_MECHANISM=[password=$pw]" \
        >"$LOG_DIR/scram.log" 2>&1; then
        printf '%s\n' "$SASL_USER" >"$SCRAM_MARK"
        say "added the $SASL_MECHANISM credential of '$SASL_USER' (state dir formatted without it) in $(elapsed "$t0")"
    else
        cat "$LOG_DIR/scram.log" >&2
        say "warning: could not add the $SASL_MECHANISM credential of '$SASL_USER'; SCRAM logins will fail (PLAIN works). Stop and start again, or '$PROG reset'."
    fi
}

# Prints a free port other than those given.
other_free_port() {
    local p taken
    while :; do
        p=$(free_port)
        for taken in "$@"; do [[ $p == "$taken" ]] && continue 2; done
        printf '%s\n' "$p"
        return 0
    done
}

cmd_start() {
    local port=${NF_KAFKA_PORT:-9092}
    local cport=${NF_KAFKA_CONTROLLER_PORT:-0}
    local sport=${NF_KAFKA_SASL_PORT:-0}
    local tport=${NF_KAFKA_SSL_PORT:-0}
    local stport=${NF_KAFKA_SASL_SSL_PORT:-0}
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
    valid_port "$sport" || die "bad SASL port '$sport'"
    valid_port "$tport" || die "bad SSL port '$tport'"
    valid_port "$stport" || die "bad SASL_SSL port '$stport'"
    [[ $SASL_USER =~ ^[A-Za-z0-9._-]+$ ]] || die "bad NF_KAFKA_SASL_USER '$SASL_USER'"
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
    rm -f "$PID_FILE" "$BOOTSTRAP_FILE" "$STATE_DIR"/bootstrap.*

    local tls=0
    tls_wanted && tls=1
    ((10#$port == 0)) && port=$(free_port)
    ((10#$cport == 0)) && cport=$(other_free_port "$port")
    ((10#$sport == 0)) && sport=$(other_free_port "$port" "$cport")
    if ((tls)); then
        ((10#$tport == 0)) && tport=$(other_free_port "$port" "$cport" "$sport")
        ((10#$stport == 0)) && stport=$(other_free_port "$port" "$cport" "$sport" "$tport")
    else
        tport=0 stport=0
    fi
    port=$((10#$port)) cport=$((10#$cport)) sport=$((10#$sport))
    tport=$((10#$tport)) stport=$((10#$stport))
    local -a used=("$port" "$cport" "$sport")
    ((tls)) && used+=("$tport" "$stport")
    [[ $(printf '%s\n' "${used[@]}" | sort -u | wc -l) == "${#used[@]}" ]] ||
        die "two listeners on one port: ${used[*]}"

    # Client listeners: PLAINTEXT (every test, benchmark and CI), SASL_PLAINTEXT, and
    # with TLS, SSL (client certificates required) and SASL_SSL.
    local listeners="PLAINTEXT://127.0.0.1:$port,SASL_PLAINTEXT://127.0.0.1:$sport"
    ((tls)) && listeners+=",SSL://127.0.0.1:$tport,SASL_SSL://127.0.0.1:$stport"
    local sasl_pw
    sasl_pw=$(sasl_password)
    ((tls)) && make_tls
    # Mode 0600: the PLAIN user's password is in the JAAS lines.
    (
        umask 077
        sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$cport|g" \
            -e "s|@LISTENERS@|$listeners|g" \
            -e "s|@SASL_USER@|$SASL_USER|g" -e "s|@SASL_PASSWORD@|$sasl_pw|g" \
            -e "s|@STATE_DIR@|$(sed_escape "$STATE_DIR")|g" \
            "$KAFKA_DIR/server.properties.in" >"$CONFIG_FILE.tmp"
    )
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
        # The SCRAM credential of the SASL user goes into the bootstrap metadata.
        if ! run_java_tool "${QUICK_JVM[@]}" -- kafka.tools.StorageTool format \
            -t "$cid" -c "$CONFIG_FILE" --ignore-formatted \
            --add-scram "$SASL_MECHANISM=[name=$SASL_USER,password=$sasl_pw]" \
            >"$LOG_DIR/format.log" 2>&1; then
            cat "$LOG_DIR/format.log" >&2
            die "StorageTool format failed"
        fi
        printf '%s\n' "$SASL_USER" >"$SCRAM_MARK"
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
    local secured="SASL_PLAINTEXT 127.0.0.1:$sport"
    ((tls)) && secured+=", SSL 127.0.0.1:$tport, SASL_SSL 127.0.0.1:$stport"
    say "started Kafka $KAFKA_VERSION (pid $pid), client 127.0.0.1:$port ($secured), controller 127.0.0.1:$cport; waiting up to ${START_TIMEOUT}s"

    local deadline=$((SECONDS + START_TIMEOUT)) why="" p ready
    while :; do
        if ! alive "$pid"; then
            why="the broker exited during startup"
            break
        fi
        if [[ -f $SERVER_LOG ]] && grep -q 'Kafka Server started' "$SERVER_LOG"; then
            ready=1
            for p in "$port" "$sport" "$tport" "$stport"; do
                ((p == 0)) || tcp_open "$p" || ready=0
            done
            if ((ready)); then
                say "ready at 127.0.0.1:$port ($secured) after $(elapsed "$t0") (log $SERVER_LOG)"
                ensure_scram_user "$port" "$sasl_pw"
                write_client_files "$sport" "$tport" "$stport" "$sasl_pw"
                printf '127.0.0.1:%s\n' "$sport" >"$STATE_DIR/bootstrap.sasl"
                if ((tls)); then
                    printf '127.0.0.1:%s\n' "$tport" >"$STATE_DIR/bootstrap.ssl"
                    printf '127.0.0.1:%s\n' "$stport" >"$STATE_DIR/bootstrap.sasl-ssl"
                fi
                return 0
            fi
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
    for p in "$port" "$sport" "$tport" "$stport"; do
        if ((p != 0)) && tcp_open "$p" && ! alive "$pid"; then
            say "hint: something else listens on 127.0.0.1:$p (try --free-port, or the NF_KAFKA_*_PORT variables =0)"
        fi
    done
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
    local pid kind listed=""
    if pid=$(running_pid); then
        for kind in sasl ssl sasl-ssl; do
            [[ -s $STATE_DIR/bootstrap.$kind ]] && listed+=" $kind=$(<"$STATE_DIR/bootstrap.$kind")"
        done
        printf 'running pid=%s bootstrap=%s%s state=%s\n' "$pid" \
            "$(cat "$BOOTSTRAP_FILE" 2>/dev/null || echo '?')" "$listed" "$STATE_DIR"
        return 0
    fi
    printf 'stopped state=%s\n' "$STATE_DIR"
    return 3
}

# Dies unless this state dir's broker runs and has the listener of kind (sasl, ssl,
# sasl-ssl).
need_listener() {
    running_pid >/dev/null || die "Kafka is not running (state $STATE_DIR); run: $0 start"
    [[ -s $STATE_DIR/bootstrap.$1 ]] && return 0
    case $1 in
        sasl) die "the running broker has no SASL listener (started by an older kafka.sh?); run: $0 stop && $0 start" ;;
        *) die "the running broker has no ${1^^} listener (no openssl, NF_KAFKA_TLS=0, or started by an older kafka.sh)" ;;
    esac
}

# Listener kind from a flag: --sasl, --ssl, --sasl-ssl.
listener_kind() {
    case $1 in
        --sasl | sasl) echo sasl ;;
        --ssl | ssl) echo ssl ;;
        --sasl-ssl | sasl-ssl | --sasl_ssl | sasl_ssl) echo sasl-ssl ;;
        *) return 1 ;;
    esac
}

cmd_bootstrap() {
    local kind
    if (($#)); then
        kind=$(listener_kind "$1") || die "bootstrap: unknown argument '$1' (want --sasl, --ssl or --sasl-ssl)"
        need_listener "$kind"
        cat "$STATE_DIR/bootstrap.$kind"
        return 0
    fi
    running_pid >/dev/null || die "Kafka is not running (state $STATE_DIR); run: $0 start"
    cat "$BOOTSTRAP_FILE"
}

# client-config [sasl|ssl|sasl-ssl] [--java]: the path of a client properties file.
cmd_client_config() {
    local kind=sasl java=""
    while (($#)); do
        case $1 in
            --java) java=-client ;;
            *) kind=$(listener_kind "$1") || die "client-config: unknown argument '$1'" ;;
        esac
        shift
    done
    need_listener "$kind"
    printf '%s\n' "$STATE_DIR/$kind$java.properties"
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
        client-config) cmd_client_config "$@" ;;
        sasl-config) cmd_client_config sasl "$@" ;;
        tool) cmd_tool "$@" ;;
        reset) cmd_reset "$@" ;;
        -h | --help | help) usage ;;
        *) usage >&2; die "unknown command '$cmd'" ;;
    esac
}

main "$@"
