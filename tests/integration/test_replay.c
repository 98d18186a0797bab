/*
 * Replay on a real Apache Kafka broker: three batches are produced a few seconds apart;
 * the live service consumes everything; then `newsflow replay --from T1 --to T2` with
 * an output suffix must reprocess exactly the middle batch (by offsets-for-times), mark
 * every output replay: true, hold its --rate within 10%, and leave the live group's
 * committed offsets untouched. A second replay by explicit partition:offset lists
 * checks that form of range too.
 */
#include "support.h"
#include "test.h"

#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define A         600
#define B         2000
#define C         600
#define BAD_EVERY 50
#define RATE      1000

static const char *bootstrap;
static char in[128], out[128], dlq[128], group[128];

static int run_newsflow(char *const extra[], int n_extra)
{
    char a_in[200], a_out[200], a_dlq[200], a_group[200];
    snprintf(a_in, sizeof(a_in), "input.topic=%s", in);
    snprintf(a_out, sizeof(a_out), "output.enriched.topic=%s", out);
    snprintf(a_dlq, sizeof(a_dlq), "output.dlq.topic=%s", dlq);
    snprintf(a_group, sizeof(a_group), "group.id=%s", group);
    char *argv[64] = {NF_BINARY, NULL, /* command */
                      "-b",      (char *)bootstrap,
                      "-X",      a_in,
                      "-X",      a_out,
                      "-X",      a_dlq,
                      "-X",      a_group,
                      "-X",      "output.deal.topic=",
                      "-X",      "output.funding.topic=",
                      "-X",      "output.infrastructure.topic=",
                      "-X",      "log.level=warn",
                      "-X",      "kafka.consumer.auto.offset.reset=earliest",
                      "-X",      "alerts.rules=none",
                      "-X",      "ops.listen="};
    int argc = 26;
    argv[1] = extra[0];
    for (int i = 1; i < n_extra; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        execv(NF_BINARY, argv);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void committed(const char *g, int64_t *offs, int np)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "group.id", g, errstr, sizeof(errstr));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(np);
    for (int p = 0; p < np; p++)
        rd_kafka_topic_partition_list_add(parts, in, p);
    rd_kafka_committed(rk, parts, 10000);
    for (int p = 0; p < np; p++)
        offs[p] = parts->elems[p].offset;
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_destroy(rk);
}

static void rfc3339_now(char *buf, size_t size)
{
    nf_rfc3339_ms(nf_wall_ms(), buf, size);
}

int main(void)
{
    bootstrap = nf_test_bootstrap();
    long stamp = (long)time(NULL);
    snprintf(in, sizeof(in), "replay%ld-%d.articles", stamp, (int)getpid());
    snprintf(out, sizeof(out), "replay%ld-%d.enriched", stamp, (int)getpid());
    snprintf(dlq, sizeof(dlq), "replay%ld-%d.dlq", stamp, (int)getpid());
    snprintf(group, sizeof(group), "replay%ld-%d.live", stamp, (int)getpid());
    char out_bf[160], dlq_bf[160];
    snprintf(out_bf, sizeof(out_bf), "%s.backfill", out);
    snprintf(dlq_bf, sizeof(dlq_bf), "%s.backfill", dlq);
    nf_test_create_topic(bootstrap, in, 4);
    nf_test_create_topic(bootstrap, out, 4);
    nf_test_create_topic(bootstrap, dlq, 1);
    nf_test_create_topic(bootstrap, out_bf, 4);
    nf_test_create_topic(bootstrap, dlq_bf, 1);

    /* Three batches, with the two boundaries well apart from any message. */
    char t1[40], t2[40];
    nf_test_seed(bootstrap, in, 0, A, BAD_EVERY, 0, 0);
    usleep(1500000);
    rfc3339_now(t1, sizeof(t1));
    usleep(1500000);
    nf_test_seed(bootstrap, in, A, B, BAD_EVERY, 0, 0);
    usleep(1500000);
    rfc3339_now(t2, sizeof(t2));
    usleep(1500000);
    nf_test_seed(bootstrap, in, A + B, C, BAD_EVERY, 0, 0);

    /* The live service consumes everything. */
    char *live[] = {"run", "-e"};
    CHECK_INT(run_newsflow(live, 2), 0);
    int64_t before[4], after[4];
    committed(group, before, 4);
    CHECK(before[0] >= 0);

    /* Replay the middle batch, rate-limited, to the .backfill topics. */
    char *replay[] = {"replay", "--from",          t1,          "--to",         t2, "--rate",
                      "1000",   "--output-suffix", ".backfill", "--no-progress"};
    int64_t t0 = nf_mono_ms();
    CHECK_INT(run_newsflow(replay, 10), 0);
    int64_t took = nf_mono_ms() - t0;
    committed(group, after, 4);
    for (int p = 0; p < 4; p++)
        CHECK_INT(after[p], before[p]); /* the live group is untouched */

    nf_test_recs_t recs = {0}, dead = {0};
    nf_test_read_all(bootstrap, out_bf, NULL, &recs);
    nf_test_read_all(bootstrap, dlq_bf, NULL, &dead);
    int in_range = 0, outside = 0, not_replay = 0;
    for (size_t i = 0; i < recs.n; i++) {
        int idx = -1;
        if (recs.v[i].key)
            sscanf(recs.v[i].key, "art-%d", &idx);
        if (idx >= A && idx < A + B)
            in_range++;
        else
            outside++;
        if (!strstr(recs.v[i].value, "\"replay\":true"))
            not_replay++;
    }
    int missing, dups;
    nf_test_count_ids(&recs, A, B, BAD_EVERY, &missing, &dups);
    int valid_b = 0;
    for (int i = A; i < A + B; i++)
        valid_b += i % BAD_EVERY != BAD_EVERY - 1;
    fprintf(stderr,
            "[replay] %s .. %s: %zu enriched (%d in range, %d outside, missing %d, dups %d), "
            "%zu dead letters, %lld ms for %d messages at --rate %d\n",
            t1, t2, recs.n, in_range, outside, missing, dups, dead.n, (long long)took, B, RATE);
    CHECK_INT(in_range, valid_b);
    CHECK_INT(outside, 0);
    CHECK_INT(missing, 0);
    CHECK_INT(not_replay, 0);
    CHECK_INT((int)dead.n, B - valid_b);
    /* --rate: B messages at RATE/s take B/RATE s. The outputs' own timestamps (when the
     * loop produced them) measure the rate; the process's wall time also holds start-up,
     * resolving the range and stopping (3-5 s under the sanitizers), so it only bounds
     * from below and catches a stall. */
    double expect_ms = 1000.0 * B / RATE;
    int64_t ts_min = INT64_MAX, ts_max = -1;
    for (size_t i = 0; i < recs.n; i++)
        if (recs.v[i].timestamp_ms >= 0) {
            ts_min = recs.v[i].timestamp_ms < ts_min ? recs.v[i].timestamp_ms : ts_min;
            ts_max = recs.v[i].timestamp_ms > ts_max ? recs.v[i].timestamp_ms : ts_max;
        }
    for (size_t i = 0; i < dead.n; i++)
        if (dead.v[i].timestamp_ms >= 0) {
            ts_min = dead.v[i].timestamp_ms < ts_min ? dead.v[i].timestamp_ms : ts_min;
            ts_max = dead.v[i].timestamp_ms > ts_max ? dead.v[i].timestamp_ms : ts_max;
        }
    double span_ms = (double)(ts_max - ts_min), want_span = 1000.0 * (B - 1) / RATE;
    fprintf(stderr, "[replay] outputs produced over %.0f ms (%.0f expected at --rate %d)\n",
            span_ms, want_span, RATE);
    CHECK(span_ms >= want_span * 0.9); /* the issue: the rate holds within 10% */
    CHECK(span_ms <= want_span * 1.1);
    CHECK(took >= expect_ms * 0.9);
    CHECK(took <= expect_ms * 1.1 + 15000);
    nf_test_recs_free(&recs);
    nf_test_recs_free(&dead);

    /* An explicit offset range: partition 0 only, offsets 5 to 14. */
    char out_r2[160], dlq_r2[160];
    snprintf(out_r2, sizeof(out_r2), "%s.r2", out);
    snprintf(dlq_r2, sizeof(dlq_r2), "%s.r2", dlq);
    nf_test_create_topic(bootstrap, out_r2, 1);
    nf_test_create_topic(bootstrap, dlq_r2, 1);
    char *replay2[] = {"replay", "--from",          "0:5", "--to",
                       "0:15",   "--output-suffix", ".r2", "--no-progress"};
    CHECK_INT(run_newsflow(replay2, 8), 0);
    nf_test_read_all(bootstrap, out_r2, NULL, &recs);
    nf_test_read_all(bootstrap, dlq_r2, NULL, &dead);
    int wrong = 0;
    char seen[10] = {0};
    for (size_t i = 0; i < recs.n; i++) {
        long long off = -1;
        const char *src = strstr(recs.v[i].value, "\"source\":{");
        if (!src || !strstr(src, "\"partition\":0,") ||
            sscanf(strstr(src, "\"offset\":"), "\"offset\":%lld", &off) != 1 || off < 5 ||
            off >= 15)
            wrong++;
        else
            seen[off - 5]++;
    }
    fprintf(stderr, "[replay] 0:5 .. 0:15: %zu enriched, %zu dead letters, %d outside\n", recs.n,
            dead.n, wrong);
    CHECK_INT(wrong, 0);
    CHECK_INT((int)(recs.n + dead.n), 10);
    nf_test_recs_free(&recs);
    nf_test_recs_free(&dead);
    TEST_DONE();
}
