/*
 * Integration test on a real Apache Kafka broker (NF_TEST_BOOTSTRAP): the consumer lag
 * newsflow exports, newsflow_consumer_lag_messages{partition} on /metrics, agrees with
 * the broker's own view of the group, ConsumerGroupCommand --describe (LAG column), and
 * with the admin API (high watermark minus committed offset), partition by partition,
 * exactly.
 *
 * Both views must be of one moment. SIGSTOP cannot give that here: /metrics is served
 * by newsflow's event loop, which a stopped process does not run. Instead newsflow is
 * held with a frozen backlog while its loop keeps turning: its producer is pointed at an
 * address where no broker listens (kafka.producer.bootstrap.servers), so no output is
 * ever delivered; after pipeline.max.inflight messages the input is paused and no input
 * offset is stored or committed any more. The broker's view is then fixed, and the
 * metric must equal it once a statistics interval (5 s, the default) has passed. No
 * tolerance.
 *
 *   backlog  a first run commits the input to its end; then a backlog arrives and the
 *            held run sits on it: lag = the backlog of each partition;
 *   growing  more input arrives while the held run is paused (it fetches nothing
 *            then): the broker's log-end offsets move and the metric must follow;
 *   split    a second member joins and takes half the partitions: each partition's lag
 *            is reported by its owner only;
 *   and all along the group also consumes the alert-candidates topic, which has
 *            offsets and a lag of its own: the metric is the input topic's only.
 *
 * Needs deploy/kafka/kafka.sh (Java) for ConsumerGroupCommand. Skips without a broker,
 * unless NF_REQUIRE_BROKER=1 (CI), where that is a failure.
 */
#include "support.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PARTS    4
#define FIRST    400  /* committed by the first run */
#define BACKLOG  1000 /* then waiting for the held run */
#define MORE     600  /* arriving while it is paused */
#define INFLIGHT 20
#define STATS_MS 5000 /* newsflow's default statistics.interval.ms */
#define WAIT_MS  (2 * STATS_MS + 2000)

static const char *bootstrap;
static char in[96], out[96], dlq[96], cand[96], alerts[96], group[96];

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    return ntohs(sa.sin_port);
}

/* GET /metrics from the ops endpoint on port into buf; false if it does not answer. */
static bool get_metrics(int port, char *buf, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        close(fd);
        return false;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
        close(fd);
        return false;
    }
    size_t n = 0;
    ssize_t r;
    while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    close(fd);
    return strstr(buf, " 200 ") != NULL;
}

/* The value of an unlabelled metric line "name value", or -1. */
static double metric_value(const char *text, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = text; (p = strstr(p, name)); p += len)
        if ((p == text || p[-1] == '\n') && p[len] == ' ')
            return strtod(p + len + 1, NULL);
    return -1;
}

/* Per-partition lag from the /metrics on port into lag[] (-1: no series). */
static bool metric_lag(int port, int64_t lag[PARTS])
{
    static char buf[256 * 1024];
    for (int p = 0; p < PARTS; p++)
        lag[p] = -1;
    if (!get_metrics(port, buf, sizeof(buf)))
        return false;
    static const char name[] = "newsflow_consumer_lag_messages{partition=\"";
    for (const char *s = buf; (s = strstr(s, name)); s++) {
        int p;
        double v;
        if (sscanf(s + sizeof(name) - 1, "%d\"} %lf", &p, &v) == 2 && p >= 0 && p < PARTS)
            lag[p] = (int64_t)v;
    }
    return true;
}

/* The broker's view through the admin API: high watermark minus committed offset. */
static void admin_lag(int64_t lag[PARTS], int64_t committed[PARTS], int64_t high[PARTS])
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(PARTS);
    for (int p = 0; p < PARTS; p++)
        rd_kafka_topic_partition_list_add(parts, in, p);
    rd_kafka_resp_err_t err = rd_kafka_committed(rk, parts, 10000);
    for (int p = 0; p < PARTS; p++) {
        int64_t lo;
        committed[p] = err ? -1 : parts->elems[p].offset;
        if (rd_kafka_query_watermark_offsets(rk, in, p, &lo, &high[p], 10000))
            high[p] = -1;
        lag[p] = committed[p] >= 0 && high[p] >= 0 ? high[p] - committed[p] : -1;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_destroy(rk);
}

/*
 * The broker's view through Kafka's own tool: ConsumerGroupCommand --describe, the LAG
 * column of each input partition (-1 where it shows "-"). False if the tool fails.
 */
static bool tool_lag(int64_t lag[PARTS])
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "'%s/deploy/kafka/kafka.sh' tool org.apache.kafka.tools.consumer.group."
             "ConsumerGroupCommand --bootstrap-server '%s' --describe --group '%s' 2>&1",
             NF_SOURCE_DIR, bootstrap, group);
    for (int p = 0; p < PARTS; p++)
        lag[p] = -1;
    FILE *f = popen(cmd, "r");
    if (!f)
        return false;
    char line[1024];
    int rows = 0;
    while (fgets(line, sizeof(line), f)) {
        char g[200], topic[200], cur[32], end[32], l[32];
        int p;
        if (sscanf(line, "%199s %199s %d %31s %31s %31s", g, topic, &p, cur, end, l) == 6 &&
            !strcmp(g, group) && !strcmp(topic, in) && p >= 0 && p < PARTS) {
            lag[p] = strcmp(l, "-") ? strtoll(l, NULL, 10) : -1;
            rows++;
        } else if (!strstr(line, "GROUP") && !strstr(line, cand) &&
                   strspn(line, " \n") != strlen(line)) {
            fprintf(stderr, "[tool] %s", line);
        }
    }
    int rc = pclose(f);
    return rc == 0 && rows == PARTS;
}

static void print_lags(const char *what, const int64_t lag[PARTS])
{
    fprintf(stderr, "  %-22s", what);
    for (int p = 0; p < PARTS; p++)
        fprintf(stderr, " p%d=%-6lld", p, (long long)lag[p]);
    fprintf(stderr, "\n");
}

/* Starts newsflow run on the test's topics with its ops endpoint on port, with alerts
 * (and so the candidates topic in the group) or not. */
static pid_t spawn(int port, bool alerts_on, bool exit_on_eof, const char *extra,
                   const char *extra2, const char *log)
{
    char a_in[160], a_out[160], a_dlq[160], a_group[160], a_cand[160], a_alerts[160], a_ops[64];
    snprintf(a_in, sizeof(a_in), "input.topic=%s", in);
    snprintf(a_out, sizeof(a_out), "output.enriched.topic=%s", out);
    snprintf(a_dlq, sizeof(a_dlq), "output.dlq.topic=%s", dlq);
    snprintf(a_group, sizeof(a_group), "group.id=%s", group);
    snprintf(a_cand, sizeof(a_cand), "alerts.candidates.topic=%s", cand);
    if (!alerts_on)
        snprintf(a_cand, sizeof(a_cand), "alerts.rules=none");
    snprintf(a_alerts, sizeof(a_alerts), "output.alerts.topic=%s", alerts);
    snprintf(a_ops, sizeof(a_ops), "ops.listen=127.0.0.1:%d", port);
    char *argv[] = {NF_BINARY,
                    "run",
                    "-b",
                    (char *)bootstrap,
                    "-X",
                    a_in,
                    "-X",
                    a_out,
                    "-X",
                    a_dlq,
                    "-X",
                    a_group,
                    "-X",
                    a_cand,
                    "-X",
                    a_alerts,
                    "-X",
                    a_ops,
                    "-X",
                    "output.deal.topic=",
                    "-X",
                    "output.funding.topic=",
                    "-X",
                    "output.infrastructure.topic=",
                    "-X",
                    "kafka.consumer.auto.offset.reset=earliest",
                    "-X",
                    "kafka.consumer.session.timeout.ms=6000",
                    "-X",
                    "shutdown.timeout.ms=2000",
                    "-X",
                    (char *)(extra ? extra : "log.level=info"),
                    "-X",
                    (char *)(extra2 ? extra2 : "log.level=info"),
                    exit_on_eof ? "-e" : NULL,
                    NULL};
    pid_t pid = fork();
    if (pid == 0) {
        if (log && !freopen(log, "w", stderr))
            _exit(126);
        execv(NF_BINARY, argv);
        perror("execv " NF_BINARY);
        _exit(127);
    }
    return pid;
}

/*
 * Waits until the broker's view is frozen (the same before and after a statistics
 * interval), and then one interval more: newsflow looks the end offsets up once per
 * interval and reports once per interval, so by then its last report is of the frozen
 * state. Then compares the metric of the n instances on ports[] (each partition must
 * be reported by exactly one of them) with ConsumerGroupCommand and the admin API, and
 * both with expect[], the lag each partition must show. No tolerance.
 */
static void compare(const char *name, const int64_t expect[PARTS], const int *ports, int n)
{
    int64_t before[PARTS], after[PARTS], committed[PARTS], high[PARTS], metric[PARTS], tool[PARTS];
    int reporters[PARTS] = {0};
    int64_t t0 = nf_mono_ms();
    bool frozen = false;
    admin_lag(before, committed, high);
    while (!frozen && nf_mono_ms() - t0 < 60000) {
        usleep((STATS_MS + 1000) * 1000);
        admin_lag(after, committed, high);
        frozen = !memcmp(before, after, sizeof(before));
        memcpy(before, after, sizeof(before));
    }
    CHECK(frozen);
    usleep((STATS_MS + 1000) * 1000);
    for (int p = 0; p < PARTS; p++)
        metric[p] = -1;
    for (int i = 0; i < n; i++) {
        int64_t one[PARTS];
        CHECK(metric_lag(ports[i], one));
        for (int p = 0; p < PARTS; p++)
            if (one[p] >= 0) {
                metric[p] = one[p];
                reporters[p]++;
            }
    }
    bool tool_ok = tool_lag(tool);
    int64_t again[PARTS];
    admin_lag(again, committed, high);
    fprintf(stderr, "[%s] frozen, compared after %.1f s:\n", name,
            (double)(nf_mono_ms() - t0) / 1000.0);
    print_lags("expected", expect);
    print_lags("ConsumerGroupCommand", tool);
    print_lags("admin API", again);
    print_lags("newsflow /metrics", metric);
    for (int p = 0; p < PARTS; p++)
        fprintf(stderr, "  p%d: committed %lld, log-end offset %lld, reported by %d instance(s)\n",
                p, (long long)committed[p], (long long)high[p], reporters[p]);
    CHECK(tool_ok);
    CHECK(!memcmp(before, again, sizeof(again))); /* still frozen */
    for (int p = 0; p < PARTS; p++) {
        CHECK_INT(again[p], expect[p]);
        CHECK_INT(tool[p], again[p]);
        CHECK_INT(metric[p], again[p]);
        CHECK_INT(reporters[p], 1);
    }
}

static void high_watermarks(int64_t high[PARTS])
{
    int64_t lag[PARTS], committed[PARTS];
    admin_lag(lag, committed, high);
}

int main(void)
{
    bootstrap = nf_test_bootstrap();
    /* Short-lived tool JVMs: start fast. */
    setenv("NF_KAFKA_TOOL_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m", 0);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "lag%ld-%d", (long)time(NULL), (int)getpid());
    snprintf(in, sizeof(in), "%s.articles", prefix);
    snprintf(out, sizeof(out), "%s.enriched", prefix);
    snprintf(dlq, sizeof(dlq), "%s.dlq", prefix);
    snprintf(cand, sizeof(cand), "%s.alert-candidates", prefix);
    snprintf(alerts, sizeof(alerts), "%s.alerts", prefix);
    snprintf(group, sizeof(group), "%s.group", prefix);
    nf_test_create_topic(bootstrap, in, PARTS);
    nf_test_create_topic(bootstrap, out, PARTS);
    nf_test_create_topic(bootstrap, dlq, 1);
    nf_test_create_topic(bootstrap, cand, PARTS);
    nf_test_create_topic(bootstrap, alerts, PARTS);
    char log1[128], log2[128], log3[128];
    snprintf(log1, sizeof(log1), "/tmp/%s-run1.log", prefix);
    snprintf(log2, sizeof(log2), "/tmp/%s-held1.log", prefix);
    snprintf(log3, sizeof(log3), "/tmp/%s-held2.log", prefix);

    /* The candidates topic has its own traffic and offsets (these are not candidates:
     * newsflow counts them invalid and commits past them). */
    nf_test_seed(bootstrap, cand, 0, 40, 0, 0, 0);
    nf_test_seed(bootstrap, in, 0, FIRST, 0, 0, 0);
    int64_t t0 = nf_mono_ms();
    CHECK_INT(nf_test_wait_exit(spawn(free_port(), true, true, NULL, NULL, log1), 180), 0);
    CHECK_INT(nf_test_group_lag(bootstrap, group, in), 0);
    CHECK_INT(nf_test_group_lag(bootstrap, group, cand), 0);
    fprintf(stderr, "[first] %d articles committed by a run to the end in %.1f s\n", FIRST,
            (double)(nf_mono_ms() - t0) / 1000.0);

    int64_t base[PARTS], high[PARTS], expect[PARTS];
    high_watermarks(base);
    nf_test_seed(bootstrap, in, FIRST, BACKLOG, 0, 0, 0);
    high_watermarks(high);
    for (int p = 0; p < PARTS; p++)
        expect[p] = high[p] - base[p];

    char inflight[64], nowhere[96];
    snprintf(inflight, sizeof(inflight), "pipeline.max.inflight=%d", INFLIGHT);
    snprintf(nowhere, sizeof(nowhere), "kafka.producer.bootstrap.servers=127.0.0.1:%d",
             free_port());
    int ports[2] = {free_port(), -1};
    pid_t pids[2] = {spawn(ports[0], true, false, inflight, nowhere, log2), -1};
    /* Held: INFLIGHT inputs consumed, none delivered, input paused. */
    static char buf[256 * 1024];
    bool held = false;
    for (int64_t t = nf_mono_ms(); !held && nf_mono_ms() - t < 60000; usleep(200000))
        held = get_metrics(ports[0], buf, sizeof(buf)) &&
               metric_value(buf, "newsflow_consumer_paused") == 1 &&
               metric_value(buf, "newsflow_inflight_messages") >= INFLIGHT &&
               metric_value(buf, "newsflow_assigned_partitions") >= PARTS;
    CHECK(held);
    if (held) {
        fprintf(stderr, "[backlog] newsflow holds %g input(s), paused; %d waiting\n",
                metric_value(buf, "newsflow_inflight_messages"), BACKLOG);
        compare("backlog", expect, ports, 1);

        nf_test_seed(bootstrap, in, FIRST + BACKLOG, MORE, 0, 0, 0);
        high_watermarks(high);
        for (int p = 0; p < PARTS; p++)
            expect[p] = high[p] - base[p];
        compare("growing", expect, ports, 1);

        /* Two members (no alerts, so that the four input partitions are all there is
         * to share): the first takes all four, then gives two up to the second. Each
         * partition's lag must be reported by its owner only. */
        kill(pids[0], SIGTERM);
        CHECK_INT(nf_test_wait_exit(pids[0], 60), 3); /* outputs undelivered */
        pids[0] = spawn(ports[0], false, false, inflight, nowhere, log2);
        double a0 = -1, a1 = -1;
        for (int64_t t = nf_mono_ms(); a0 != PARTS && nf_mono_ms() - t < 60000; usleep(200000))
            a0 = get_metrics(ports[0], buf, sizeof(buf))
                     ? metric_value(buf, "newsflow_assigned_partitions")
                     : -1;
        CHECK_INT(a0, PARTS);
        usleep((STATS_MS + 1000) * 1000); /* it reports all four */
        do
            ports[1] = free_port();
        while (ports[1] == ports[0]);
        pids[1] = spawn(ports[1], false, false, inflight, nowhere, log3);
        for (int64_t t = nf_mono_ms();
             !(a0 == PARTS / 2 && a1 == PARTS / 2) && nf_mono_ms() - t < 60000; usleep(200000)) {
            a0 = get_metrics(ports[0], buf, sizeof(buf))
                     ? metric_value(buf, "newsflow_assigned_partitions")
                     : -1;
            a1 = get_metrics(ports[1], buf, sizeof(buf))
                     ? metric_value(buf, "newsflow_assigned_partitions")
                     : -1;
        }
        fprintf(stderr, "[split] a second member joined: %g and %g partition(s)\n", a0, a1);
        CHECK(a0 == PARTS / 2 && a1 == PARTS / 2);
        compare("split", expect, ports, 2);
    }
    for (int i = 0; i < 2; i++) {
        if (pids[i] < 0)
            continue;
        kill(pids[i], SIGTERM);
        int rc = nf_test_wait_exit(pids[i], 60);
        fprintf(stderr, "[split] member %d: exit %d after SIGTERM\n", i, rc);
        CHECK(rc == 3 || rc == 0); /* 3: outputs undelivered */
    }
    if (!test_failures) {
        unlink(log1);
        unlink(log2);
        unlink(log3);
    } else {
        fprintf(stderr, "newsflow logs: %s %s %s\n", log1, log2, log3);
    }
    TEST_DONE();
}
