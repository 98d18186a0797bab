/*
 * latency: end-to-end latency of a running `newsflow run` at a fixed offered rate
 * (issue 7): from an article's input message timestamp to the arrival of its enriched
 * event on the output topic.
 *
 *   bench/latency -b BROKERS -i INPUT_TOPIC -o ENRICHED_TOPIC -r RATE -s SECONDS
 *                 [-w WARMUP_SECONDS] [-n MAX_LINES] [-d DRAIN_SECONDS] [-t TRACE.csv]
 *                 FILE.jsonl
 *
 * Loads up to MAX_LINES (default 10000) articles from FILE (gen_articles.py output:
 * each line starts with its "id") and sends them in a loop, RATE per second for
 * WARMUP_SECONDS (default 2) + SECONDS, paced by absolute deadlines on the monotonic
 * clock (the i-th article is due at t0 + i/RATE; a late send does not shift the ones
 * after it). Each article gets a fresh id, "<tag>-<seq>", which is also its message
 * key and, by newsflow's contract, the key of its enriched event; its message
 * timestamp is the wall clock at the send, and the tool keeps the monotonic time of
 * that same instant per seq, in microseconds (the envelope's source.timestamp holds the
 * same instant, but in milliseconds only).
 *
 * Before the clock starts, 20 priming articles go one at a time, each after the one
 * before came back, so that no connection set-up or metadata look-up (of newsflow or
 * this tool) lands in the measurement; they are not counted.
 *
 * A consumer of ENRICHED_TOPIC (no group: every partition assigned at its high
 * watermark before the first send; fetch.wait.max.ms=5, fetch.min.bytes=1) takes the
 * arrival time of the first copy of each of its keys. The latency of an article is
 * arrival - send. After the last send it waits until every article has arrived, or
 * until none has for DRAIN_SECONDS (default 15). Articles sent during the warm-up are
 * not counted. Prints a human-readable summary on stderr and one line on stdout:
 *
 *   latency rate=R seconds=S sent=N offered=R' late_max_ms=L expected=E measured=M
 *           p50_ms=.. p99_ms=.. p999_ms=.. max_ms=..
 *
 * The input producer sends each article at once (linger.ms=0, acks=all), so that the
 * measurement is of newsflow and the broker, not of this tool's batching. Exit status 0
 * unless interrupted, even when some articles never arrived (measured < expected says
 * so). With -t, also writes every article's seq, send time (ms after the first send)
 * and latency in ms (-1: never arrived) to TRACE.csv. Not installed.
 */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct article {
    char *head; /* up to and including the opening quote of the id's value */
    size_t head_len;
    char *tail; /* from the closing quote of the id's value */
    size_t tail_len;
} article_t;

static volatile sig_atomic_t stop;
static atomic_int done;
static char tag[64];
static size_t tag_len;
static int64_t total, slots; /* paced articles; and the priming ones after them */
enum { PRIME = 20 };
static _Atomic int64_t *sent_us; /* per seq: monotonic send time, 0 = not yet */
static int64_t *lat_us;          /* per seq: arrival - send, -1 = not arrived (consumer) */
static atomic_llong arrived, primed, last_arrival_us; /* paced ones; priming ones */

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_until_us(int64_t t)
{
    struct timespec ts = {.tv_sec = (time_t)(t / 1000000), .tv_nsec = (long)(t % 1000000) * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
        ;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "latency: %s: %s\n", what, why);
    exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char err[512];
    if (rd_kafka_conf_set(conf, name, value, err, sizeof(err)) != RD_KAFKA_CONF_OK)
        die(name, err);
}

/* Reads up to max lines of FILE, each split around the value of its "id". */
static size_t load(const char *path, size_t max, article_t **out)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        die(path, strerror(errno));
    article_t *a = calloc(max, sizeof(*a));
    char *line = NULL;
    size_t cap = 0, n = 0;
    ssize_t len;
    while (n < max && (len = getline(&line, &cap, fp)) > 0) {
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        char *id = strstr(line, "\"id\":\"");
        char *end = id ? strchr(id + 6, '"') : NULL;
        if (!end)
            die(path, "a line without a string \"id\"");
        a[n].head_len = (size_t)(id + 6 - line);
        a[n].head = malloc(a[n].head_len);
        memcpy(a[n].head, line, a[n].head_len);
        a[n].tail_len = (size_t)(line + len - end);
        a[n].tail = malloc(a[n].tail_len);
        memcpy(a[n].tail, end, a[n].tail_len);
        n++;
    }
    free(line);
    fclose(fp);
    if (!n)
        die(path, "no articles");
    *out = a;
    return n;
}

/* Every partition of topic, assigned at its high watermark. */
static void assign_at_end(rd_kafka_t *cons, const char *topic)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(cons, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(cons, 0, rkt, &md, 10000);
    if (e)
        die(topic, rd_kafka_err2str(e));
    if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt < 1)
        die(topic, md->topic_cnt == 1 && md->topics[0].err ? rd_kafka_err2str(md->topics[0].err)
                                                           : "no partitions");
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int i = 0; i < md->topics[0].partition_cnt; i++) {
        int32_t p = md->topics[0].partitions[i].id;
        int64_t lo, hi;
        e = rd_kafka_query_watermark_offsets(cons, topic, p, &lo, &hi, 10000);
        if (e)
            die(topic, rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = hi;
    }
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    e = rd_kafka_assign(cons, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (e)
        die("assign", rd_kafka_err2str(e));
}

typedef struct sender {
    rd_kafka_t *prod;
    const char *topic;
    const article_t *arts;
    size_t narts;
    char *buf;
    size_t cap;
} sender_t;

/* Sends article seq (the file's lines in turn, with id and key <tag>-<seq>), message
 * timestamp now; returns the send time, which it also records. */
static int64_t send_one(sender_t *s, int64_t seq)
{
    const article_t *a = &s->arts[(size_t)seq % s->narts];
    char key[96];
    int klen = snprintf(key, sizeof(key), "%s-%lld", tag, (long long)seq);
    memcpy(s->buf, a->head, a->head_len);
    memcpy(s->buf + a->head_len, key, (size_t)klen);
    memcpy(s->buf + a->head_len + klen, a->tail, a->tail_len);
    size_t len = a->head_len + (size_t)klen + a->tail_len;
    int64_t ts = wall_ms(), now = mono_us();
    atomic_store(&sent_us[seq], now);
    rd_kafka_resp_err_t e;
    while ((e = rd_kafka_producev(
                s->prod, RD_KAFKA_V_TOPIC(s->topic), RD_KAFKA_V_KEY(key, (size_t)klen),
                RD_KAFKA_V_VALUE(s->buf, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(s->prod, 1);
    if (e)
        die("produce", rd_kafka_err2str(e));
    rd_kafka_poll(s->prod, 0);
    return now;
}

static void *consume(void *arg)
{
    rd_kafka_t *cons = arg;
    while (!atomic_load(&done)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(cons, 50);
        if (!m)
            continue;
        int64_t now = mono_us();
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "latency: consumer: %s\n", rd_kafka_message_errstr(m));
        } else if (m->key && m->key_len > tag_len + 1 && m->key_len < tag_len + 24 &&
                   !memcmp(m->key, tag, tag_len) && ((char *)m->key)[tag_len] == '-') {
            char num[32];
            memcpy(num, (char *)m->key + tag_len + 1, m->key_len - tag_len - 1);
            num[m->key_len - tag_len - 1] = '\0';
            char *end;
            long long seq = strtoll(num, &end, 10);
            int64_t sent = seq >= 0 && seq < slots && !*end ? atomic_load(&sent_us[seq]) : 0;
            if (sent && lat_us[seq] < 0) {
                lat_us[seq] = now - sent;
                atomic_fetch_add(seq < total ? &arrived : &primed, 1);
                atomic_store(&last_arrival_us, now);
            }
        }
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n), in milliseconds. */
static double pct_ms(const int64_t *v, size_t n, double p)
{
    size_t rank = (size_t)(p * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)v[rank - 1] / 1000.0;
}

int main(int argc, char **argv)
{
    const char *brokers = NULL, *in = NULL, *out = NULL, *trace = NULL;
    double rate = 0, seconds = 0, warmup = 2, drain = 15;
    size_t max_lines = 10000;
    int opt;
    while ((opt = getopt(argc, argv, "b:i:o:r:s:w:n:d:t:")) != -1) {
        switch (opt) {
        case 'b':
            brokers = optarg;
            break;
        case 'i':
            in = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'r':
            rate = atof(optarg);
            break;
        case 's':
            seconds = atof(optarg);
            break;
        case 'w':
            warmup = atof(optarg);
            break;
        case 'n':
            max_lines = (size_t)atol(optarg);
            break;
        case 'd':
            drain = atof(optarg);
            break;
        case 't':
            trace = optarg;
            break;
        default:
            brokers = NULL;
        }
    }
    if (!brokers || !in || !out || rate <= 0 || seconds <= 0 || warmup < 0 || !max_lines ||
        optind != argc - 1) {
        fprintf(stderr,
                "usage: %s -b BROKERS -i INPUT_TOPIC -o ENRICHED_TOPIC -r RATE -s SECONDS\n"
                "          [-w WARMUP_SECONDS] [-n MAX_LINES] [-d DRAIN_SECONDS] [-t TRACE.csv]\n"
                "          FILE.jsonl\n",
                argv[0]);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    article_t *arts;
    size_t narts = load(argv[optind], max_lines, &arts);
    int64_t warm = (int64_t)(warmup * rate + 0.5);
    total = warm + (int64_t)(seconds * rate + 0.5);
    snprintf(tag, sizeof(tag), "lat%.0f.%ld.%lld", rate, (long)getpid(), (long long)wall_ms());
    tag_len = strlen(tag);
    slots = total + PRIME;
    sent_us = calloc((size_t)slots, sizeof(*sent_us));
    lat_us = malloc((size_t)slots * sizeof(*lat_us));
    for (int64_t i = 0; i < slots; i++)
        lat_us[i] = -1;
    char err[512];

    rd_kafka_conf_t *cconf = rd_kafka_conf_new();
    set(cconf, "bootstrap.servers", brokers);
    set(cconf, "client.id", "nf-bench-latency");
    set(cconf, "group.id", "nf-bench-latency"); /* never joined: partitions are assigned */
    set(cconf, "enable.auto.commit", "false");
    set(cconf, "fetch.wait.max.ms", "5");
    set(cconf, "fetch.min.bytes", "1");
    rd_kafka_t *cons = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, err, sizeof(err));
    if (!cons)
        die("consumer", err);
    rd_kafka_poll_set_consumer(cons);
    assign_at_end(cons, out);

    rd_kafka_conf_t *pconf = rd_kafka_conf_new();
    set(pconf, "bootstrap.servers", brokers);
    set(pconf, "client.id", "nf-bench-latency");
    set(pconf, "linger.ms", "0");
    set(pconf, "acks", "all");
    rd_kafka_t *prod = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, err, sizeof(err));
    if (!prod)
        die("producer", err);

    pthread_t thr;
    if (pthread_create(&thr, NULL, consume, cons))
        die("pthread_create", strerror(errno));

    sender_t snd = {.prod = prod, .topic = in, .arts = arts, .narts = narts};
    for (size_t i = 0; i < narts; i++)
        if (arts[i].head_len + arts[i].tail_len > snd.cap)
            snd.cap = arts[i].head_len + arts[i].tail_len;
    snd.cap += tag_len + 32;
    snd.buf = malloc(snd.cap);

    /* Priming: a few articles, one at a time, so that connections, metadata and the
     * producer ids of both newsflow and this tool are in place before the clock runs. */
    for (int64_t i = total; i < slots && !stop; i++) {
        send_one(&snd, i);
        int64_t until = mono_us() + 30000000;
        while (!stop && atomic_load(&primed) <= i - total && mono_us() < until)
            usleep(1000);
    }
    if (atomic_load(&primed) < PRIME)
        fprintf(stderr, "latency: only %lld of %d priming articles came back\n",
                (long long)atomic_load(&primed), PRIME);

    int64_t t0 = mono_us() + 1000, late_max = 0, last_send = t0, sent = 0;
    for (int64_t i = 0; i < total && !stop; i++) {
        int64_t due = t0 + (int64_t)((double)i * 1e6 / rate);
        int64_t now = mono_us();
        if (now < due)
            sleep_until_us(due);
        else if (now - due > late_max)
            late_max = now - due;
        last_send = send_one(&snd, i);
        sent++;
    }
    double offered = sent > 1 ? (double)(sent - 1) * 1e6 / (double)(last_send - t0) : 0;
    rd_kafka_flush(prod, 30000);
    if (rd_kafka_outq_len(prod))
        fprintf(stderr, "latency: %d input messages not delivered\n", rd_kafka_outq_len(prod));

    atomic_store(&last_arrival_us, mono_us());
    while (!stop && atomic_load(&arrived) < sent &&
           mono_us() - atomic_load(&last_arrival_us) < (int64_t)(drain * 1e6))
        usleep(50000);
    atomic_store(&done, 1);
    pthread_join(thr, NULL);
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);
    rd_kafka_destroy(prod);

    int64_t *v = malloc((size_t)total * sizeof(*v));
    size_t n = 0;
    for (int64_t i = warm; i < sent; i++)
        if (lat_us[i] >= 0)
            v[n++] = lat_us[i];
    int64_t expected = sent > warm ? sent - warm : 0;
    qsort(v, n, sizeof(*v), cmp_i64);
    double p50 = n ? pct_ms(v, n, 0.50) : 0, p99 = n ? pct_ms(v, n, 0.99) : 0,
           p999 = n ? pct_ms(v, n, 0.999) : 0, max = n ? (double)v[n - 1] / 1000.0 : 0;
    fprintf(stderr,
            "latency: %.0f/s for %.0f s after %.0f s warm-up: sent %lld (%.1f/s offered, a send "
            "late by %.1f ms at most); %zu of %lld measured: p50 %.2f ms, p99 %.2f ms, p99.9 "
            "%.2f ms, max %.2f ms\n",
            rate, seconds, warmup, (long long)sent, offered, (double)late_max / 1000.0, n,
            (long long)expected, p50, p99, p999, max);
    printf("latency rate=%.0f seconds=%.0f sent=%lld offered=%.1f late_max_ms=%.1f "
           "expected=%lld measured=%zu p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f\n",
           rate, seconds, (long long)sent, offered, (double)late_max / 1000.0, (long long)expected,
           n, p50, p99, p999, max);
    FILE *tf = trace ? fopen(trace, "w") : NULL;
    if (trace && !tf)
        perror(trace);
    if (tf) {
        fprintf(tf, "seq,sent_ms,latency_ms\n");
        for (int64_t i = 0; i < sent; i++)
            fprintf(tf, "%lld,%.3f,%.3f\n", (long long)i, (double)(sent_us[i] - t0) / 1000.0,
                    lat_us[i] < 0 ? -1.0 : (double)lat_us[i] / 1000.0);
        fclose(tf);
    }
    for (size_t i = 0; i < narts; i++) {
        free(arts[i].head);
        free(arts[i].tail);
    }
    free(arts);
    free(snd.buf);
    free(v);
    free(lat_us);
    free((void *)sent_us);
    return stop ? 1 : 0;
}
