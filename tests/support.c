/*
 * support: Kafka test helpers (see support.h). Plain librdkafka, no newsflow code, so
 * that the tests check newsflow from the outside.
 */
#include "support.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "test support: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

void nf_test_article_id(int i, char *buf, size_t size)
{
    snprintf(buf, size, "art-%d", i);
}

static const char *const companies[] = {"Northwind",         "Helios Cloud", "Meridian Foods",
                                        "Quantum Leap Labs", "Stonebridge",  "Altamira"};

bool nf_test_article(int i, int bad_every, nf_buf_t *out)
{
    nf_buf_reset(out);
    if (bad_every > 0 && i % bad_every == bad_every - 1) {
        switch ((i / bad_every) % 5) {
        case 0:
            nf_buf_printf(out, "{\"id\":\"art-%d\",\"title\":\"Truncated", i);
            break;
        case 1:
            nf_buf_printf(out, "[\"art-%d\"]", i);
            break;
        case 2:
            nf_buf_printf(out, "{\"title\":\"No id here %d\"}", i);
            break;
        case 3:
            nf_buf_printf(out, "{\"id\":\"art-%d\",\"title\":\"  \",\"body\":\"\"}", i);
            break;
        default:
            nf_buf_printf(out, "{\"id\":\"art-%d\",\"title\":\"bad \xff\xfe bytes\"}", i);
            break;
        }
        return false;
    }
    const char *a = companies[i % 6], *b = companies[(i / 6 + 1) % 6];
    nf_buf_printf(out,
                  "{\"id\":\"art-%d\",\"title\":\"%s agrees to buy a stake in %s for $%d million\","
                  "\"body\":\"%s said on Monday it will invest $%d million in %s, its %d%s deal "
                  "this year. The transaction is expected to close in the first quarter, "
                  "subject to regulatory approval, the companies said in a statement.\","
                  "\"source\":\"Test Wire\",\"published_at\":\"2026-11-0%dT10:00:00Z\"}",
                  i, a, b, 10 + i % 900, a, 10 + i % 900, b, 1 + i % 9, "th", 1 + i % 9);
    return true;
}

static rd_kafka_t *new_client(rd_kafka_type_t type, const char *bootstrap, const char *group,
                              const char *isolation)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
    if (group)
        rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr));
    if (isolation)
        rd_kafka_conf_set(conf, "isolation.level", isolation, errstr, sizeof(errstr));
    if (type == RD_KAFKA_CONSUMER) {
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof(errstr));
    } else {
        rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof(errstr));
    }
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    if (!rk)
        die("rd_kafka_new: %s", errstr);
    return rk;
}

void nf_test_seed(const char *bootstrap, const char *topic, int first, int n, int bad_every,
                  int delay_every, int delay_us)
{
    rd_kafka_t *rk = new_client(RD_KAFKA_PRODUCER, bootstrap, NULL, NULL);
    nf_buf_t buf = {0};
    for (int i = first; i < first + n; i++) {
        bool valid = nf_test_article(i, bad_every, &buf);
        char key[32];
        snprintf(key, sizeof(key), "%s-%d", valid ? "art" : "bad", i);
        rd_kafka_resp_err_t err;
        while ((err = rd_kafka_producev(
                    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(buf.data, buf.len),
                    RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        if (err)
            die("produce to %s: %s", topic, rd_kafka_err2str(err));
        rd_kafka_poll(rk, 0);
        if (delay_every > 0 && (i - first) % delay_every == delay_every - 1) {
            rd_kafka_flush(rk, 10000);
            usleep((useconds_t)delay_us);
        }
    }
    if (rd_kafka_flush(rk, 60000))
        die("flush to %s timed out", topic);
    nf_buf_free(&buf);
    rd_kafka_destroy(rk);
}

static int partition_count(rd_kafka_t *rk, const char *topic)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md;
    int cnt = -1;
    for (int tries = 0; tries < 50 && cnt <= 0; tries++) {
        if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (md->topic_cnt == 1 && !md->topics[0].err)
                cnt = md->topics[0].partition_cnt;
            rd_kafka_metadata_destroy(md);
        }
        if (cnt <= 0)
            usleep(100000);
    }
    rd_kafka_topic_destroy(rkt);
    if (cnt <= 0)
        die("no metadata for topic %s", topic);
    return cnt;
}

static char *dup_n(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        die("out of memory");
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* A copy of the last header called name, or NULL. */
static char *header_dup(rd_kafka_message_t *m, const char *name)
{
    rd_kafka_headers_t *hdrs;
    const void *val;
    size_t vlen;
    if (rd_kafka_message_headers(m, &hdrs) || rd_kafka_header_get_last(hdrs, name, &val, &vlen))
        return NULL;
    return dup_n(val, vlen);
}

void nf_test_read_all(const char *bootstrap, const char *topic, const char *isolation,
                      nf_test_recs_t *out)
{
    rd_kafka_t *rk = new_client(RD_KAFKA_CONSUMER, bootstrap, "newsflow-test-reader", isolation);
    int np = partition_count(rk, topic);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(np);
    int64_t *high = calloc((size_t)np, sizeof(*high));
    int remaining = 0;
    for (int p = 0; p < np; p++) {
        int64_t lo;
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &high[p], 10000))
            die("watermarks of %s [%d]", topic, p);
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        if (high[p] > lo)
            remaining++;
        else
            high[p] = -1; /* empty: done */
    }
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    int idle = 0;
    while (remaining > 0 && idle < 300) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            idle++;
            continue;
        }
        idle = 0;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (high[m->partition] >= 0) {
                high[m->partition] = -1;
                remaining--;
            }
        } else if (m->err) {
            fprintf(stderr, "test reader: %s\n", rd_kafka_message_errstr(m));
        } else {
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 1024;
                out->v = realloc(out->v, out->cap * sizeof(*out->v));
                if (!out->v)
                    die("out of memory");
            }
            nf_test_rec_t *r = &out->v[out->n++];
            memset(r, 0, sizeof(*r));
            r->key = m->key ? dup_n(m->key, m->key_len) : NULL;
            r->value = dup_n(m->payload, m->len);
            r->tombstone = m->payload == NULL;
            r->len = m->len;
            r->partition = m->partition;
            r->offset = m->offset;
            r->timestamp_ms = rd_kafka_message_timestamp(m, NULL);
            r->reason = header_dup(m, "newsflow.reason");
            r->error = header_dup(m, "newsflow.error");
            r->ce_type = header_dup(m, "ce_type");
            char *num = header_dup(m, "newsflow.source.partition");
            r->src_partition = num ? (int32_t)strtol(num, NULL, 10) : -1;
            free(num);
            num = header_dup(m, "newsflow.source.offset");
            r->src_offset = num ? strtoll(num, NULL, 10) : -1;
            free(num);
            if (high[m->partition] >= 0 && m->offset + 1 >= high[m->partition]) {
                high[m->partition] = -1;
                remaining--;
            }
        }
        rd_kafka_message_destroy(m);
    }
    if (remaining)
        die("reading %s: %d partition(s) did not reach their end", topic, remaining);
    free(high);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

void nf_test_recs_free(nf_test_recs_t *recs)
{
    for (size_t i = 0; i < recs->n; i++) {
        free(recs->v[i].key);
        free(recs->v[i].value);
        free(recs->v[i].reason);
        free(recs->v[i].error);
        free(recs->v[i].ce_type);
    }
    free(recs->v);
    memset(recs, 0, sizeof(*recs));
}

int64_t nf_test_group_lag(const char *bootstrap, const char *group, const char *topic)
{
    rd_kafka_t *rk = new_client(RD_KAFKA_CONSUMER, bootstrap, group, NULL);
    int np = partition_count(rk, topic);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(np);
    for (int p = 0; p < np; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p);
    rd_kafka_resp_err_t err = rd_kafka_committed(rk, parts, 10000);
    if (err)
        die("committed offsets of %s: %s", group, rd_kafka_err2str(err));
    int64_t lag = 0;
    for (int p = 0; p < np; p++) {
        int64_t lo, hi;
        rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000);
        int64_t committed = parts->elems[p].offset;
        if (committed < 0) {
            if (hi > lo) {
                lag = -1;
                break;
            }
            continue;
        }
        lag += hi - committed;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_destroy(rk);
    return lag;
}

int64_t nf_test_topic_size(const char *bootstrap, const char *topic)
{
    static rd_kafka_t *rk; /* kept: this is polled in a loop */
    if (!rk)
        rk = new_client(RD_KAFKA_CONSUMER, bootstrap, "newsflow-test-size", NULL);
    int np = partition_count(rk, topic);
    int64_t total = 0;
    for (int p = 0; p < np; p++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 5000))
            return -1;
        total += hi;
    }
    return total;
}

void nf_test_create_topic(const char *bootstrap, const char *topic, int partitions)
{
    nf_test_create_topic_config(bootstrap, topic, partitions, NULL, NULL);
}

void nf_test_create_topic_config(const char *bootstrap, const char *topic, int partitions,
                                 const char *name, const char *value)
{
    rd_kafka_t *rk = new_client(RD_KAFKA_PRODUCER, bootstrap, NULL, NULL);
    char errstr[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, errstr, sizeof(errstr));
    if (name)
        rd_kafka_NewTopic_set_config(nt, name, value);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    if (!ev)
        die("CreateTopics %s timed out", topic);
    const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
    size_t cnt;
    const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &cnt);
    if (rd_kafka_event_error(ev))
        die("CreateTopics %s: %s", topic, rd_kafka_event_error_string(ev));
    if (cnt == 1 && rd_kafka_topic_result_error(tr[0]) &&
        rd_kafka_topic_result_error(tr[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        die("CreateTopics %s: %s", topic, rd_kafka_topic_result_error_string(tr[0]));
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_destroy(rk);
}

void nf_test_count_ids(const nf_test_recs_t *recs, int first, int n, int bad_every, int *missing,
                       int *dups)
{
    int *seen = calloc((size_t)n, sizeof(*seen));
    for (size_t i = 0; i < recs->n; i++) {
        int idx;
        if (recs->v[i].key && sscanf(recs->v[i].key, "art-%d", &idx) == 1 && idx >= first &&
            idx < first + n)
            seen[idx - first]++;
    }
    *missing = *dups = 0;
    for (int i = 0; i < n; i++) {
        if (bad_every > 0 && (first + i) % bad_every == bad_every - 1)
            continue;
        if (!seen[i])
            (*missing)++;
        else
            *dups += seen[i] - 1;
    }
    free(seen);
}

const char *nf_test_bootstrap(void)
{
    const char *bootstrap = getenv("NF_TEST_BOOTSTRAP");
    if (bootstrap && *bootstrap)
        return bootstrap;
    const char *require = getenv("NF_REQUIRE_BROKER");
    if (require && !strcmp(require, "1")) {
        fprintf(stderr, "FAIL: NF_REQUIRE_BROKER=1 but NF_TEST_BOOTSTRAP is not set\n");
        exit(1);
    }
    fprintf(stderr,
            "SKIP: no broker: set NF_TEST_BOOTSTRAP=host:port (deploy/kafka/kafka.sh start)\n");
    exit(77);
}

int nf_test_wait_exit(int pid, int timeout_s)
{
    for (int i = 0; i < timeout_s * 20; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}
