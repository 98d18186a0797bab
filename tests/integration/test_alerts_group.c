/*
 * Integration test (real broker): one alert per story across a consumer group, and
 * after the group is replaced.
 *
 * 12 deal stories are written for this test, each published as three syndicated copies
 * (other ids, other publisher suffixes) on three different input partitions, plus a
 * burst of 50 copies of one more story with small edits (publisher, weekday, an added
 * sentence, "cash and stock") across all 4 partitions. Two newsflow instances in one
 * group run two alert rules that both match every story: "every-deal" (alerts topic and
 * a webhook served by this test, which answers 503 to its first 3 requests) and
 * "big-deal" (topic only). There must be exactly one alert per rule and story on the
 * topic, the webhook must end up with exactly one alert id per story (after the retries
 * the 503s cause), and both instances must have been assigned partitions. Then both
 * stop, a third instance starts alone (it must rebuild the decider's state from the
 * candidates topic: its log says so), a fourth copy of every old story and one new story
 * arrive, and the only new alerts are the new story's.
 */
#define _GNU_SOURCE /* memmem, strcasestr */
#include "support.h"
#include "test.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STORIES    12            /* stories 0..11: three copies each */
#define FRESH      STORIES       /* story 12: new after the restart */
#define BURST      (STORIES + 1) /* story 13: 50 edited copies */
#define BURST_N    50
#define COPIES     3
#define PARTS      4
#define RULES      2
#define HOOK_FAILS 3

static const char *bootstrap;
static char in[128], out[128], dlq[128], alerts[128], cand[128], group[128];
static char rules_path[256], hook_url[128];
static char tmpdir[128];

/* STORIES, then the story that is new after the restart, then the burst's */
static const char *const COMPANY[STORIES + 2] = {
    "Ferrovia Systems", "Quillon Labs",  "Helios Grid",     "Northbeam Data",    "Tessellate AI",
    "Marlow Chips",     "Stratus Cloud", "Kestrel Micro",   "Aldermoor Foods",   "Voltaic Power",
    "Pellucid Bank",    "Orenda Health", "Sablewood Media", "Tarnwall Security",
};
static const char *const TARGET[STORIES + 2] = {
    "Brightwater Software", "Cobalt Metrics",   "Dunmore Logistics", "Evenfield Robotics",
    "Foxglove Security",    "Glenrock Imaging", "Harbor Analytics",  "Ironleaf Payments",
    "Juniper Farms",        "Kilnworth Energy", "Lakeshore Credit",  "Moorgate Clinics",
    "Nettlefield Games",    "Oxbow Networks",
};
static const char *const SUFFIX[] = {" - Reuters", " | Daily Wire", " — Market News",
                                     " (Business Desk)"};

/* --- a webhook receiver: counts POSTed alert ids, answers 200 ---------------------- */

static atomic_int hook_posts, hook_failed;
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static char hook_ids[256][24];
static int hook_n;
static int hook_fd = -1;

static void *hook_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[65536];
    size_t have = 0;
    for (;;) {
        char *end = NULL;
        while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
            ssize_t r = read(fd, buf + have, sizeof(buf) - 1 - have);
            if (r <= 0 || have + (size_t)r >= sizeof(buf) - 1)
                goto out;
            have += (size_t)r;
        }
        buf[have] = '\0';
        size_t head = (size_t)(end - buf) + 4, clen = 0;
        const char *cl = strcasestr(buf, "content-length:");
        if (cl && cl < end)
            clen = strtoul(cl + 15, NULL, 10);
        while (have < head + clen) {
            ssize_t r = read(fd, buf + have, sizeof(buf) - 1 - have);
            if (r <= 0)
                goto out;
            have += (size_t)r;
        }
        static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                   "Retry-After: 1\r\n\r\n";
        if (atomic_fetch_add(&hook_failed, 1) < HOOK_FAILS) {
            if (write(fd, busy, sizeof(busy) - 1) < 0)
                goto out;
        } else {
            cJSON *doc = cJSON_ParseWithLength(buf + head, clen);
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "alert_id"));
            pthread_mutex_lock(&hook_lock);
            if (id && hook_n < 256)
                snprintf(hook_ids[hook_n++], sizeof(hook_ids[0]), "%s", id);
            pthread_mutex_unlock(&hook_lock);
            cJSON_Delete(doc);
            atomic_fetch_add(&hook_posts, 1);
            if (write(fd, ok, sizeof(ok) - 1) < 0)
                goto out;
        }
        memmove(buf, buf + head + clen, have - head - clen);
        have -= head + clen;
    }
out:
    close(fd);
    return NULL;
}

static void *hook_accept(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(hook_fd, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        pthread_t t;
        pthread_create(&t, NULL, hook_conn, (void *)(intptr_t)c);
        pthread_detach(t);
    }
}

static void hook_start(void)
{
    hook_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    if (hook_fd < 0 || bind(hook_fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(hook_fd, 16) ||
        getsockname(hook_fd, (struct sockaddr *)&sa, &len)) {
        fprintf(stderr, "cannot start the webhook receiver: %s\n", strerror(errno));
        exit(1);
    }
    snprintf(hook_url, sizeof(hook_url), "http://127.0.0.1:%d/hook", ntohs(sa.sin_port));
    pthread_t t;
    pthread_create(&t, NULL, hook_accept, NULL);
    pthread_detach(t);
}

/* --- input -------------------------------------------------------------------------- */

/* Copy `copy` of story s; copies of the burst story differ by small edits. */
static void story_text(int s, int copy, nf_buf_t *value)
{
    char id[64], title[300], body[800], suffix[64];
    bool edit = s == BURST;
    snprintf(id, sizeof(id), "grp-%d-copy-%d", s, copy);
    if (edit)
        snprintf(suffix, sizeof(suffix), " - Source %d", copy);
    else
        snprintf(suffix, sizeof(suffix), "%s", SUFFIX[copy % 4]);
    snprintf(title, sizeof(title), "%s agrees to buy %s for $%d.%d billion%s", COMPANY[s],
             TARGET[s], 1 + s % 5, (s * 3) % 10, suffix);
    snprintf(body, sizeof(body),
             "%s said on %s it had agreed to acquire %s for $%d.%d billion in cash%s, "
             "pending approval by regulators. The deal, expected to close in the second "
             "half of the year, adds %s's products to the %s line-up.%s",
             COMPANY[s], edit && copy % 3 == 1 ? "Tuesday" : "Monday", TARGET[s], 1 + s % 5,
             (s * 3) % 10, edit && copy % 7 == 3 ? " and stock" : "", TARGET[s], COMPANY[s],
             edit && copy % 5 == 2 ? " Shares of both rose in early trading." : "");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "id", id);
    cJSON_AddStringToObject(a, "title", title);
    cJSON_AddStringToObject(a, "body", body);
    cJSON_AddStringToObject(a, "source", "test-wire");
    char *text = cJSON_PrintUnformatted(a);
    nf_buf_reset(value);
    nf_buf_append(value, text, strlen(text));
    cJSON_free(text);
    cJSON_Delete(a);
}

/* Produces copies [copy0, copy0 + ncopies) of stories [first, first + n), copy c of story s
 * on partition (s + c) % PARTS. */
static void publish(int first, int n, int copy0, int ncopies)
{
    char errstr[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, c, errstr, sizeof(errstr));
    if (!p) {
        fprintf(stderr, "producer: %s\n", errstr);
        exit(1);
    }
    nf_buf_t v = {0};
    for (int s = first; s < first + n; s++)
        for (int copy = copy0; copy < copy0 + ncopies; copy++) {
            story_text(s, copy, &v);
            char key[64];
            snprintf(key, sizeof(key), "grp-%d-copy-%d", s, copy);
            rd_kafka_resp_err_t err =
                rd_kafka_producev(p, RD_KAFKA_V_TOPIC(in), RD_KAFKA_V_PARTITION((s + copy) % PARTS),
                                  RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(v.data, v.len),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (err) {
                fprintf(stderr, "produce: %s\n", rd_kafka_err2str(err));
                exit(1);
            }
        }
    rd_kafka_flush(p, 30000);
    nf_buf_free(&v);
    rd_kafka_destroy(p);
}

/* --- newsflow ----------------------------------------------------------------------- */

static pid_t start(const char *name)
{
    char a_in[200], a_out[200], a_dlq[200], a_alerts[200], a_cand[200], a_group[200], a_rules[300],
        log[300];
    snprintf(a_in, sizeof(a_in), "input.topic=%s", in);
    snprintf(a_out, sizeof(a_out), "output.enriched.topic=%s", out);
    snprintf(a_dlq, sizeof(a_dlq), "output.dlq.topic=%s", dlq);
    snprintf(a_alerts, sizeof(a_alerts), "output.alerts.topic=%s", alerts);
    snprintf(a_cand, sizeof(a_cand), "alerts.candidates.topic=%s", cand);
    snprintf(a_group, sizeof(a_group), "group.id=%s", group);
    snprintf(a_rules, sizeof(a_rules), "alerts.rules=%s", rules_path);
    snprintf(log, sizeof(log), "%s/%s.log", tmpdir, name);
    char *argv[] = {NF_BINARY, "run",
                    "-b",      (char *)bootstrap,
                    "-X",      a_in,
                    "-X",      a_out,
                    "-X",      a_dlq,
                    "-X",      a_alerts,
                    "-X",      a_cand,
                    "-X",      a_group,
                    "-X",      a_rules,
                    "-X",      "output.deal.topic=",
                    "-X",      "output.funding.topic=",
                    "-X",      "output.infrastructure.topic=",
                    "-X",      "ops.listen=",
                    "-X",      "kafka.consumer.auto.offset.reset=earliest",
                    "-X",      "kafka.consumer.session.timeout.ms=6000",
                    "-X",      "log.level=info",
                    NULL};
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = freopen(log, "w", stderr);
        (void)f;
        execv(NF_BINARY, argv);
        _exit(127);
    }
    return pid;
}

static int stop(pid_t pid)
{
    kill(pid, SIGTERM);
    return nf_test_wait_exit(pid, 60);
}

static bool log_has(const char *name, const char *needle)
{
    char path[300], line[2048];
    snprintf(path, sizeof(path), "%s/%s.log", tmpdir, name);
    FILE *f = fopen(path, "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof(line), f))
        found = strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return found;
}

#define NSTORY (STORIES + 2)

/* Alerts on the topic: how many, per story and rule how many, and how many keys. */
static int count_alerts(int per[NSTORY][RULES], int *distinct_keys)
{
    nf_test_recs_t recs = {0};
    nf_test_read_all(bootstrap, alerts, "read_committed", &recs);
    memset(per, 0, sizeof(int) * NSTORY * RULES);
    *distinct_keys = 0;
    for (size_t i = 0; i < recs.n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen =
                seen || (recs.v[i].key && recs.v[j].key && !strcmp(recs.v[i].key, recs.v[j].key));
        if (!seen)
            (*distinct_keys)++;
        cJSON *doc = cJSON_Parse(recs.v[i].value);
        const char *aid = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "article_id"));
        const char *rule = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "rule"));
        int s = -1, copy = -1, r = rule && !strcmp(rule, "big-deal") ? 1 : 0;
        if (aid && sscanf(aid, "grp-%d-copy-%d", &s, &copy) == 2 && s >= 0 && s < NSTORY)
            per[s][r]++;
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "alert_id")), recs.v[i].key);
        CHECK_STR(recs.v[i].ce_type, "newsflow.alert.v1");
        cJSON_Delete(doc);
    }
    int n = (int)recs.n;
    nf_test_recs_free(&recs);
    return n;
}

/* Every story in [0, n_stories) but `except` has exactly one alert per rule. */
static void check_one_per_rule(int per[NSTORY][RULES], int except)
{
    for (int st = 0; st < NSTORY; st++)
        for (int r = 0; r < RULES; r++) {
            int want = st == except ? 0 : 1;
            if (per[st][r] != want) {
                fprintf(stderr, "  story %d rule %d: %d alerts, expected %d\n", st, r, per[st][r],
                        want);
                CHECK_INT(per[st][r], want);
            }
        }
}

/* The webhook got each alert id once (after its 503s), and no other. */
static void check_webhook(int want)
{
    pthread_mutex_lock(&hook_lock);
    CHECK_INT(hook_n, want);
    for (int i = 0; i < hook_n; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(hook_ids[i], hook_ids[j])) {
                fprintf(stderr, "  webhook got %s twice\n", hook_ids[i]);
                CHECK(false);
            }
    pthread_mutex_unlock(&hook_lock);
    CHECK(atomic_load(&hook_failed) >= HOOK_FAILS + want);
}

/* Waits until the alerts topic holds at least `want` alerts (or 90 s), then 6 s more so
 * that a duplicate would have time to show. */
static void wait_alerts(int want)
{
    for (int i = 0; i < 90 && nf_test_topic_size(bootstrap, alerts) < want; i++)
        sleep(1);
    sleep(6);
}

int main(void)
{
    bootstrap = nf_test_bootstrap();
    signal(SIGPIPE, SIG_IGN);
    unsigned tag = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
    snprintf(in, sizeof(in), "grp-in-%08x", tag);
    snprintf(out, sizeof(out), "grp-out-%08x", tag);
    snprintf(dlq, sizeof(dlq), "grp-dlq-%08x", tag);
    snprintf(alerts, sizeof(alerts), "grp-alerts-%08x", tag);
    snprintf(cand, sizeof(cand), "grp-cand-%08x", tag);
    snprintf(group, sizeof(group), "grp-group-%08x", tag);
    nf_test_create_topic(bootstrap, in, PARTS);
    nf_test_create_topic(bootstrap, out, PARTS);
    nf_test_create_topic(bootstrap, dlq, 1);
    nf_test_create_topic(bootstrap, alerts, 1);
    nf_test_create_topic(bootstrap, cand, PARTS);

    snprintf(tmpdir, sizeof(tmpdir), "/tmp/nf-grp-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    hook_start();
    snprintf(rules_path, sizeof(rules_path), "%s/alerts.conf", tmpdir);
    FILE *rf = fopen(rules_path, "w");
    fprintf(rf,
            "[rule every-deal]\ncategories_any = deal\nseverity = warning\n"
            "destinations = topic, %s\n\n"
            "[rule big-deal]\ncategories_any = deal\nmin_amount_usd = 1bn\n"
            "severity = critical\ndestinations = topic\n",
            hook_url);
    fclose(rf);

    /* two members; the second joins once the first has its partitions */
    pid_t a = start("a");
    sleep(8);
    pid_t b = start("b");
    sleep(12);
    for (int copy = 0; copy < COPIES; copy++)
        publish(0, STORIES, copy, 1);
    publish(BURST, 1, 0, BURST_N);
    wait_alerts((STORIES + 1) * RULES);

    int per[NSTORY][RULES], keys;
    int n = count_alerts(per, &keys);
    fprintf(stderr, "two instances: %d alerts, %d distinct keys, %d webhook posts (%d refused)\n",
            n, keys, atomic_load(&hook_posts), HOOK_FAILS);
    CHECK_INT(n, (STORIES + 1) * RULES);
    CHECK_INT(keys, (STORIES + 1) * RULES);
    check_one_per_rule(per, FRESH);
    check_webhook(STORIES + 1);
    CHECK(log_has("a", "assigned"));
    CHECK(log_has("b", "assigned"));
    CHECK_INT(stop(a), 0);
    CHECK_INT(stop(b), 0);

    /* a new member alone: it rebuilds the decider from the candidates, so a fourth copy
       of an old story does not alert again, while a new story does */
    pid_t c = start("c");
    sleep(10);
    publish(0, STORIES, COPIES, 1);
    publish(BURST, 1, BURST_N, 2);
    publish(FRESH, 1, 0, 1);
    wait_alerts((STORIES + 2) * RULES);
    n = count_alerts(per, &keys);
    fprintf(stderr, "after the restart: %d alerts, %d distinct keys, %d webhook posts\n", n, keys,
            atomic_load(&hook_posts));
    CHECK_INT(n, (STORIES + 2) * RULES);
    check_one_per_rule(per, -1);
    check_webhook(STORIES + 2);
    CHECK(log_has("c", "to rebuild state"));
    CHECK_INT(stop(c), 0);
    if (test_failures)
        fprintf(stderr, "logs kept in %s\n", tmpdir);
    TEST_DONE();
}
