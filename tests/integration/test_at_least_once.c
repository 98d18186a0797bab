/*
 * Integration test on a real Apache Kafka broker (NF_TEST_BOOTSTRAP): the `newsflow
 * run` binary loses nothing.
 *
 * 10,000 articles, 1% malformed, on a 4-partition input topic:
 *   clean    run to the end (-e): every valid article exactly once in the enriched
 *            topic, every malformed one in the dead-letter topic with the right reason
 *            and its original bytes, nothing else, and the group committed to the end;
 *   sigterm  SIGTERM part-way, restart to the end: nothing lost, and no duplicates
 *            (a clean stop commits everything it delivered);
 *   sigkill  SIGKILL part-way, restart to the end: nothing lost (duplicates allowed
 *            from the uncommitted window, and reported);
 *   reload   five SIGHUPs while the articles arrive, one of them while the patterns are
 *            broken: four reloads and one refusal in the log, the process keeps running,
 *            and nothing is lost or processed twice.
 * Prints the throughput of the clean run (articles/s, wall time of the process).
 * Skips without a broker, unless NF_REQUIRE_BROKER=1 (CI), where that is a failure.
 */
#include "support.h"
#include "test.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N         10000
#define BAD_EVERY 100

static const char *bootstrap;
static char prefix[64];

typedef struct topics {
    char in[96], out[96], dlq[96], group[96];
} topics_t;

static void make_topics(const char *name, topics_t *t)
{
    snprintf(t->in, sizeof(t->in), "%s.%s.articles", prefix, name);
    snprintf(t->out, sizeof(t->out), "%s.%s.enriched", prefix, name);
    snprintf(t->dlq, sizeof(t->dlq), "%s.%s.dlq", prefix, name);
    snprintf(t->group, sizeof(t->group), "%s.%s.group", prefix, name);
    nf_test_create_topic(bootstrap, t->in, 4);
    nf_test_create_topic(bootstrap, t->out, 4);
    nf_test_create_topic(bootstrap, t->dlq, 1);
}

/* Starts newsflow on t with up to two extra settings; its stderr goes to log if set. */
static pid_t spawn_ex(const topics_t *t, bool exit_on_eof, const char *extra, const char *extra2,
                      const char *log)
{
    char a_in[160], a_out[160], a_dlq[160], a_group[160];
    snprintf(a_in, sizeof(a_in), "input.topic=%s", t->in);
    snprintf(a_out, sizeof(a_out), "output.enriched.topic=%s", t->out);
    snprintf(a_dlq, sizeof(a_dlq), "output.dlq.topic=%s", t->dlq);
    snprintf(a_group, sizeof(a_group), "group.id=%s", t->group);
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
                    "log.level=warn",
                    "-X",
                    "kafka.consumer.auto.offset.reset=earliest",
                    "-X",
                    "kafka.consumer.session.timeout.ms=6000",
                    "-X",
                    "output.deal.topic=",
                    "-X",
                    "output.funding.topic=",
                    "-X",
                    "output.infrastructure.topic=",
                    "-X",
                    "alerts.rules=none",
                    "-X",
                    "ops.listen=", /* no fixed port: suites may run side by side */
                    "-X",
                    (char *)(extra ? extra : "log.level=warn"),
                    "-X",
                    (char *)(extra2 ? extra2 : "log.level=warn"),
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

static pid_t spawn(const topics_t *t, bool exit_on_eof, const char *extra)
{
    return spawn_ex(t, exit_on_eof, extra, NULL, NULL);
}

static const char *expected_reason(int i)
{
    static const char *const reasons[] = {"invalid_json", "not_object", "missing_id",
                                          "missing_text", "invalid_utf8"};
    return reasons[(i / BAD_EVERY) % 5];
}

/* Checks outputs: returns duplicates of valid articles. exact: no duplicates either. */
static int verify(const char *name, const topics_t *t)
{
    nf_test_recs_t out = {0}, dlq = {0};
    nf_test_read_all(bootstrap, t->out, NULL, &out);
    nf_test_read_all(bootstrap, t->dlq, NULL, &dlq);
    int missing, dups;
    nf_test_count_ids(&out, 0, N, BAD_EVERY, &missing, &dups);
    int valid = N - N / BAD_EVERY;
    fprintf(stderr, "[%s] enriched %zu (valid inputs %d, missing %d, duplicates %d), dead %zu\n",
            name, out.n, valid, missing, dups, dlq.n);
    CHECK_INT(missing, 0);
    CHECK_INT((int)out.n - dups, valid); /* nothing but the valid articles */

    /* Every malformed input dead-lettered with its reason and original bytes. */
    char *seen = calloc(N, 1);
    nf_buf_t orig = {0};
    int wrong = 0;
    for (size_t i = 0; i < dlq.n; i++) {
        int idx;
        if (!dlq.v[i].key || sscanf(dlq.v[i].key, "bad-%d", &idx) != 1 || idx < 0 || idx >= N) {
            wrong++;
            continue;
        }
        seen[idx] = 1;
        nf_test_article(idx, BAD_EVERY, &orig);
        if (!dlq.v[i].reason || strcmp(dlq.v[i].reason, expected_reason(idx)) ||
            dlq.v[i].len != orig.len || memcmp(dlq.v[i].value, orig.data, orig.len)) {
            if (wrong++ < 5)
                fprintf(stderr, "[%s] dead letter %s: reason %s, expected %s\n", name, dlq.v[i].key,
                        dlq.v[i].reason ? dlq.v[i].reason : "(none)", expected_reason(idx));
        }
    }
    int bad_missing = 0;
    for (int i = BAD_EVERY - 1; i < N; i += BAD_EVERY)
        bad_missing += !seen[i];
    CHECK_INT(wrong, 0);
    CHECK_INT(bad_missing, 0);
    CHECK_INT(nf_test_group_lag(bootstrap, t->group, t->in), 0);
    nf_buf_free(&orig);
    free(seen);
    nf_test_recs_free(&out);
    nf_test_recs_free(&dlq);
    return dups;
}

static void test_clean(void)
{
    topics_t t;
    make_topics("clean", &t);
    nf_test_seed(bootstrap, t.in, 0, N, BAD_EVERY, 0, 0);
    /* Throughput over the active period: from the first output to the last, watching
     * the output topics from outside (start-up and group join excluded). */
    int64_t t0 = nf_mono_ms(), first = -1, last = -1;
    pid_t pid = spawn(&t, true, NULL);
    int rc = -1;
    while (nf_mono_ms() - t0 < 300000) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            pid = -1;
            fprintf(stderr, "[clean] newsflow exited with %d before all outputs appeared\n", rc);
            break;
        }
        int64_t n = nf_test_topic_size(bootstrap, t.out) + nf_test_topic_size(bootstrap, t.dlq);
        if (n > 0 && first < 0)
            first = nf_mono_ms();
        if (n >= N) {
            last = nf_mono_ms();
            break;
        }
        usleep(2000);
    }
    if (pid > 0)
        rc = nf_test_wait_exit(pid, 120);
    CHECK_INT(rc, 0);
    CHECK(last > 0);
    if (last > first && first > 0)
        fprintf(stderr,
                "[clean] newsflow run: %d articles from first to last output in %lld ms = %.0f "
                "articles/s (whole process %lld ms, including start-up and group join)\n",
                N, (long long)(last - first), N * 1000.0 / (double)(last - first),
                (long long)(nf_mono_ms() - t0));
    CHECK_INT(verify("clean", &t), 0);
}

/* Stops newsflow with sig once a part of the outputs exist, then restarts it to the end. */
static int interrupted(const char *name, int sig)
{
    topics_t t;
    make_topics(name, &t);
    nf_test_seed(bootstrap, t.in, 0, N, BAD_EVERY, 0, 0);
    /* A small in-flight bound keeps consumption close to delivery, so that the
     * signal lands with work genuinely undone. */
    pid_t pid = spawn(&t, false, "pipeline.max.inflight=100");
    int64_t done = 0;
    for (int i = 0; i < 6000 && done < N / 4; i++) {
        usleep(5000);
        done = nf_test_topic_size(bootstrap, t.out) + nf_test_topic_size(bootstrap, t.dlq);
    }
    kill(pid, sig);
    int rc = nf_test_wait_exit(pid, 120);
    int64_t first = nf_test_topic_size(bootstrap, t.out) + nf_test_topic_size(bootstrap, t.dlq);
    fprintf(stderr, "[%s] signal %d after %lld outputs; exit %d; %lld outputs by then\n", name, sig,
            (long long)done, rc, (long long)first);
    CHECK_INT(rc, sig == SIGKILL ? 128 + SIGKILL : 0);
    CHECK(first < N); /* it really was stopped part-way */
    rc = nf_test_wait_exit(spawn(&t, true, NULL), 300);
    CHECK_INT(rc, 0);
    return verify(name, &t);
}

/*
 * The enriched topic refuses messages over 6000 bytes (the broker's check, not the
 * client's): the one oversized article is dead-lettered as produce_failed and every
 * other article is enriched; the run ends cleanly with everything committed.
 */
static void test_topic_size_limit(void)
{
    topics_t t;
    snprintf(t.in, sizeof(t.in), "%s.big.articles", prefix);
    snprintf(t.out, sizeof(t.out), "%s.big.enriched", prefix);
    snprintf(t.dlq, sizeof(t.dlq), "%s.big.dlq", prefix);
    snprintf(t.group, sizeof(t.group), "%s.big.group", prefix);
    nf_test_create_topic(bootstrap, t.in, 2);
    nf_test_create_topic_config(bootstrap, t.out, 2, "max.message.bytes", "6000");
    nf_test_create_topic(bootstrap, t.dlq, 1);
    nf_test_seed(bootstrap, t.in, 0, 200, 0, 0, 0);
    /* ~8 KB of text that compresses badly, so the batch is over the limit too. */
    nf_buf_t big = {0};
    nf_buf_puts(&big, "{\"id\":\"art-huge\",\"title\":\"Oversized\",\"body\":\"");
    unsigned x = 12345;
    for (int i = 0; i < 8000; i++) {
        x = x * 1103515245u + 12345u;
        char c = (char)('a' + (x >> 16) % 26);
        nf_buf_append(&big, &c, 1);
    }
    nf_buf_puts(&big, "\"}");
    char errstr[256];
    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    rd_kafka_conf_set(pc, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, pc, errstr, sizeof(errstr));
    rd_kafka_producev(p, RD_KAFKA_V_TOPIC(t.in), RD_KAFKA_V_KEY("huge", 4),
                      RD_KAFKA_V_VALUE(big.data, big.len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                      RD_KAFKA_V_END);
    rd_kafka_flush(p, 10000);
    rd_kafka_destroy(p);
    nf_buf_free(&big);

    /* The broker applies max.message.bytes to whole (compressed) record batches, and
     * librdkafka does not split a refused batch: batch.size must stay below the limit,
     * or good articles are refused with the oversized one (docs/operations.md). */
    CHECK_INT(nf_test_wait_exit(spawn(&t, true, "kafka.producer.batch.size=5000"), 300), 0);
    nf_test_recs_t out = {0}, dlq = {0};
    nf_test_read_all(bootstrap, t.out, NULL, &out);
    nf_test_read_all(bootstrap, t.dlq, NULL, &dlq);
    int missing, dups;
    nf_test_count_ids(&out, 0, 200, 0, &missing, &dups);
    fprintf(stderr, "[size-limit] enriched %zu (missing %d), dead letters %zu (%s)\n", out.n,
            missing, dlq.n, dlq.n ? dlq.v[0].reason : "-");
    CHECK_INT(missing, 0);
    CHECK_INT(dlq.n, 1);
    if (dlq.n == 1)
        CHECK_STR(dlq.v[0].reason, "produce_failed");
    CHECK_INT(nf_test_group_lag(bootstrap, t.group, t.in), 0);
    nf_test_recs_free(&out);
    nf_test_recs_free(&dlq);
}

static int count_lines(const char *path, const char *needle)
{
    char line[4096];
    int n = 0;
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return n;
}

static void test_reload(void)
{
    topics_t t;
    make_topics("reload", &t);
    char dir[] = "/tmp/nf-reload-XXXXXX", cmd[512], a_rules[200], log[300], patterns[300];
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        CHECK(false);
        return;
    }
    snprintf(cmd, sizeof(cmd), "cp -r '%s/rules/.' '%s'", NF_SOURCE_DIR, dir);
    CHECK_INT(system(cmd), 0);
    snprintf(a_rules, sizeof(a_rules), "rules.dir=%s", dir);
    snprintf(log, sizeof(log), "%s/newsflow.log", dir);
    snprintf(patterns, sizeof(patterns), "%s/classifier/patterns.txt", dir);
    pid_t pid = spawn_ex(&t, false, a_rules, "log.level=info", log);
    sleep(3);
    /* seed in the background, spread over about 8 s, while the reloads happen */
    pid_t seeder = fork();
    if (seeder == 0) {
        nf_test_seed(bootstrap, t.in, 0, N, BAD_EVERY, 500, 400000);
        _exit(0);
    }
    for (int i = 0; i < 5; i++) {
        sleep(1);
        if (i == 1) { /* a pattern Hyperscan refuses: the running rules must stay */
            FILE *f = fopen(patterns, "a");
            fprintf(f, "deal.acquisition.broken 2.0 any \\b(?:unclosed\n");
            fclose(f);
        } else if (i == 2) {
            snprintf(cmd, sizeof(cmd), "cp '%s/rules/classifier/patterns.txt' '%s'", NF_SOURCE_DIR,
                     patterns);
            CHECK_INT(system(cmd), 0);
        }
        /* one reload at a time: wait for this one to end (a SIGHUP during a reload is
         * ignored, and under the sanitizers a reload takes seconds) */
        int before =
            count_lines(log, "SIGHUP: reloaded in") + count_lines(log, "SIGHUP: new rules refused");
        kill(pid, SIGHUP);
        for (int w = 0; w < 600 && count_lines(log, "SIGHUP: reloaded in") +
                                           count_lines(log, "SIGHUP: new rules refused") ==
                                       before;
             w++)
            usleep(100000);
    }
    CHECK_INT(nf_test_wait_exit(seeder, 120), 0);
    int64_t done = 0;
    for (int i = 0; i < 1200 && done < N; i++) {
        usleep(100000);
        done = nf_test_topic_size(bootstrap, t.out) + nf_test_topic_size(bootstrap, t.dlq);
    }
    CHECK(kill(pid, 0) == 0); /* still running after every reload */
    kill(pid, SIGTERM);
    CHECK_INT(nf_test_wait_exit(pid, 120), 0);
    int ok = count_lines(log, "SIGHUP: reloaded in"),
        refused = count_lines(log, "SIGHUP: new rules refused");
    fprintf(stderr, "[reload] %d reload(s), %d refused, %lld outputs\n", ok, refused,
            (long long)done);
    CHECK_INT(ok, 4);
    CHECK_INT(refused, 1);
    CHECK(count_lines(log, "patterns.txt:") >= 1); /* the refusal names the file and line */
    CHECK_INT(verify("reload", &t), 0);
    if (!test_failures) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        CHECK_INT(system(cmd), 0);
    }
}

int main(void)
{
    bootstrap = nf_test_bootstrap();
    snprintf(prefix, sizeof(prefix), "it%ld-%d", (long)time(NULL), (int)getpid());

    test_clean();
    test_topic_size_limit();
    CHECK_INT(interrupted("sigterm", SIGTERM), 0);
    int dups = interrupted("sigkill", SIGKILL);
    fprintf(stderr, "[sigkill] %d duplicate(s) from the uncommitted window\n", dups);
    test_reload();
    TEST_DONE();
}
