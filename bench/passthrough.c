/*
 * passthrough: the ceiling a Kafka client can reach on this machine (issue 7). A
 * minimal librdkafka consume -> produce loop with no processing at all, to set beside
 * `newsflow run`.
 *
 *   bench/passthrough -b BROKERS -i INPUT_TOPIC -o OUTPUT_TOPIC [-g GROUP] [-f]
 *                     [-p PROPERTY=VALUE]...
 *
 * A consumer group member (group GROUP, default nf-bench-passthrough) that reads
 * INPUT_TOPIC from the beginning until every assigned partition is at its end, and
 * produces each value with the same key to OUTPUT_TOPIC. The producer is configured as
 * newsflow's is (producer/producer.c): idempotent (acks=all), lz4, and librdkafka's
 * defaults for everything else, linger.ms and the batch sizes included, unless -p sets
 * a producer property (e.g. -p linger.ms=1, to match a newsflow setting).
 *
 * With -f (follow) it does not stop at the end of the partitions but keeps copying
 * until SIGINT or SIGTERM, and says "passthrough: assigned N partition(s)" on stderr
 * once it has its partitions: the Kafka-only baseline of the path bench/latency
 * measures through `newsflow run` (same broker, same machine, same producer settings).
 *
 * It waits for every delivery, then prints one line on stdout:
 *
 *   passthrough: N messages, B bytes, active S s (R msg/s)
 *
 * where the active period runs from the first message consumed to the last delivery
 * report, as newsflow's own "active" figure does. Offsets are auto-committed (every 5 s,
 * librdkafka's default), not after delivery. Exit status 0 when every message was
 * delivered (and, without -f, not interrupted). Not installed.
 */
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static int64_t delivered, failed, last_delivery_us;
static int assigned, at_eof, follow;
static char *eof_seen; /* per partition id, of the input topic */
static int eof_cap;

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "passthrough: %s: %s\n", what, why);
    exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char err[512];
    if (rd_kafka_conf_set(conf, name, value, err, sizeof(err)) != RD_KAFKA_CONF_OK)
        die(name, err);
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk, (void)opaque;
    if (m->err) {
        if (!failed)
            fprintf(stderr, "passthrough: delivery failed: %s\n", rd_kafka_err2str(m->err));
        failed++;
    } else {
        delivered++;
    }
    last_delivery_us = mono_us();
}

/* Eager assignment (librdkafka's default strategies): the whole set each time. */
static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        assigned = parts->cnt;
        at_eof = 0;
        int max = 0;
        for (int i = 0; i < parts->cnt; i++)
            if (parts->elems[i].partition >= max)
                max = parts->elems[i].partition + 1;
        if (max > eof_cap) {
            eof_seen = realloc(eof_seen, (size_t)max);
            eof_cap = max;
        }
        memset(eof_seen, 0, (size_t)eof_cap);
        rd_kafka_assign(rk, parts);
        if (follow)
            fprintf(stderr, "passthrough: assigned %d partition(s)\n", parts->cnt);
    } else {
        assigned = 0;
        at_eof = 0;
        rd_kafka_assign(rk, NULL);
    }
}

int main(int argc, char **argv)
{
    const char *brokers = NULL, *in = NULL, *out = NULL, *group = "nf-bench-passthrough";
    const char *props[32];
    int nprops = 0, opt;
    while ((opt = getopt(argc, argv, "b:i:o:g:fp:")) != -1) {
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
        case 'g':
            group = optarg;
            break;
        case 'f':
            follow = 1;
            break;
        case 'p':
            if (nprops == (int)(sizeof(props) / sizeof(props[0])) || !strchr(optarg, '='))
                brokers = NULL;
            else
                props[nprops++] = optarg;
            break;
        default:
            brokers = NULL;
        }
    }
    if (!brokers || !in || !out) {
        fprintf(stderr,
                "usage: %s -b BROKERS -i INPUT_TOPIC -o OUTPUT_TOPIC [-g GROUP] [-f] "
                "[-p PROPERTY=VALUE]...\n",
                argv[0]);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    char err[512];

    rd_kafka_conf_t *pconf = rd_kafka_conf_new();
    set(pconf, "bootstrap.servers", brokers);
    set(pconf, "client.id", "nf-bench-passthrough");
    set(pconf, "enable.idempotence", "true");
    set(pconf, "compression.type", "lz4");
    for (int i = 0; i < nprops; i++) {
        char name[256];
        const char *eq = strchr(props[i], '=');
        snprintf(name, sizeof(name), "%.*s", (int)(eq - props[i]), props[i]);
        set(pconf, name, eq + 1);
    }
    rd_kafka_conf_set_dr_msg_cb(pconf, dr_cb);
    char linger[32] = "?", batch[32] = "?";
    size_t sz = sizeof(linger);
    rd_kafka_conf_get(pconf, "linger.ms", linger, &sz);
    sz = sizeof(batch);
    rd_kafka_conf_get(pconf, "batch.num.messages", batch, &sz);
    rd_kafka_t *prod = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, err, sizeof(err));
    if (!prod)
        die("producer", err);
    fprintf(stderr, "passthrough: producer linger.ms=%s batch.num.messages=%s (librdkafka %s)\n",
            linger, batch, rd_kafka_version_str());

    rd_kafka_conf_t *cconf = rd_kafka_conf_new();
    set(cconf, "bootstrap.servers", brokers);
    set(cconf, "client.id", "nf-bench-passthrough");
    set(cconf, "group.id", group);
    set(cconf, "auto.offset.reset", "earliest");
    set(cconf, "enable.partition.eof", follow ? "false" : "true");
    rd_kafka_conf_set_rebalance_cb(cconf, rebalance_cb);
    rd_kafka_t *cons = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, err, sizeof(err));
    if (!cons)
        die("consumer", err);
    rd_kafka_poll_set_consumer(cons);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, in, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(cons, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e)
        die("subscribe", rd_kafka_err2str(e));
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(prod, out, NULL);

    int64_t consumed = 0, bytes = 0, first_us = 0;
    while (!stop && !(assigned > 0 && at_eof == assigned)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(cons, 100);
        rd_kafka_poll(prod, 0);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (m->partition < eof_cap && !eof_seen[m->partition]) {
                eof_seen[m->partition] = 1;
                at_eof++;
            }
        } else if (m->err) {
            fprintf(stderr, "passthrough: consumer: %s\n", rd_kafka_message_errstr(m));
        } else {
            if (!first_us)
                first_us = mono_us();
            if (m->partition < eof_cap && eof_seen[m->partition]) {
                eof_seen[m->partition] = 0;
                at_eof--;
            }
            while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, m->payload,
                                    m->len, m->key, m->key_len, NULL) == -1) {
                rd_kafka_resp_err_t pe = rd_kafka_last_error();
                if (pe != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    die("produce", rd_kafka_err2str(pe));
                rd_kafka_poll(prod, 10);
            }
            consumed++;
            bytes += (int64_t)m->len;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_flush(prod, 120000);
    int64_t unsent = rd_kafka_outq_len(prod);
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(prod);
    free(eof_seen);

    double active =
        first_us && last_delivery_us > first_us ? (double)(last_delivery_us - first_us) / 1e6 : 0.0;
    printf("passthrough: %lld messages, %lld bytes, active %.3f s (%.0f msg/s)\n",
           (long long)delivered, (long long)bytes, active,
           active > 0 ? (double)delivered / active : 0.0);
    if (failed || unsent || delivered != consumed) {
        fprintf(stderr, "passthrough: consumed %lld, delivered %lld, failed %lld, unsent %lld\n",
                (long long)consumed, (long long)delivered, (long long)failed, (long long)unsent);
        return 1;
    }
    return stop && !follow ? 1 : 0; /* following ends by signal */
}
