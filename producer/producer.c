/*
 * producer: idempotent output to Kafka with delivery reports served on the loop thread,
 * and the dead-letter topic (see producer.h).
 *
 * Idempotence (enable.idempotence=true) gives per-partition ordering and no duplicates
 * from librdkafka's own retries; acks=all follows from it. The main queue's io-event
 * pipe wakes the loop whenever a delivery report, log line or error is ready, so
 * reports are handled promptly without a polling thread.
 */
#include "producer.h"
#include "err.h"
#include "kafka.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct nf_producer {
    rd_kafka_t *rk;
    rd_kafka_queue_t *queue;
    struct event *ev_read;
    struct event *ev_timer;
    int pipefd[2];
    nf_producer_dr_cb *dr_cb;
    nf_producer_fatal_cb *fatal_cb;
    void *opaque;
    char last_error[256];
    bool transactional;
};

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    nf_producer_t *p = opaque;
    p->dr_cb(p->opaque, rkm);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    nf_producer_t *p = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char fatal[512];
        rd_kafka_resp_err_t ferr = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
        nf_log(NF_LOG_ERROR, "producer", "fatal error: %s: %s", rd_kafka_err2name(ferr), fatal);
        if (p->fatal_cb)
            p->fatal_cb(p->opaque, fatal);
        return;
    }
    char why[1024];
    if (nf_kafka_auth_failed(rk, err, reason, why, sizeof(why))) {
        nf_log(NF_LOG_ERROR, "producer", "%s", why);
        if (p->fatal_cb)
            p->fatal_cb(p->opaque, why);
        return;
    }
    nf_log_ratelimited(NF_LOG_WARN, "producer", reason, "%s: %s",
                       rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    nf_producer_t *p = arg;
    char buf[64];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    rd_kafka_poll(p->rk, 0);
}

/* A numeric property of rkconf, or 0 if it cannot be read. */
static int64_t conf_int(const rd_kafka_conf_t *rkconf, const char *name)
{
    char value[64];
    size_t size = sizeof(value);
    if (rd_kafka_conf_get(rkconf, name, value, &size) != RD_KAFKA_CONF_OK)
        return 0;
    return strtoll(value, NULL, 10);
}

/*
 * The producer's default message.max.bytes: room for the largest message it may be
 * asked to send. That is an enriched event, which carries its input plus the analysis
 * (up to twice input.max.bytes), or a dead letter, which carries its input byte for
 * byte whatever its size: an input refused as too_large can be as large as anything the
 * consumer can fetch, that is up to its receive.message.max.bytes (librdkafka's default
 * is 100000000). A producer that refused such a dead letter would stop the process on
 * that input at every restart. 64 KiB more for the key and headers. The broker's and
 * the topics' max.message.bytes must allow these sizes too: docs/operations.md.
 * Returns -1 and fills errstr if the consumer's settings cannot be read.
 */
static int64_t producer_max_bytes(const nf_config_t *conf, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *cconf = nf_kafka_conf_new(conf, NF_KAFKA_CONSUMER, errstr, errstr_size);
    if (!cconf)
        return -1;
    int64_t fetch = conf_int(cconf, "receive.message.max.bytes");
    int64_t fetch_max = conf_int(cconf, "fetch.max.bytes") + 512;
    rd_kafka_conf_destroy(cconf);
    if (fetch_max > fetch) /* librdkafka raises receive.message.max.bytes to this */
        fetch = fetch_max;
    int64_t max_msg = 2 * conf->input_max_bytes;
    if (fetch > max_msg)
        max_msg = fetch;
    max_msg += 65536;
    return max_msg < 1000000 ? 1000000 : max_msg > 1000000000 ? 1000000000 : max_msg;
}

nf_producer_t *nf_producer_new(const nf_config_t *conf, struct event_base *base,
                               nf_producer_dr_cb *dr_cb, nf_producer_fatal_cb *fatal_cb,
                               void *opaque, char *errstr, size_t errstr_size)
{
    nf_producer_t *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    p->pipefd[0] = p->pipefd[1] = -1;
    p->dr_cb = dr_cb;
    p->fatal_cb = fatal_cb;
    p->opaque = opaque;

    rd_kafka_conf_t *rkconf = nf_kafka_conf_new(conf, NF_KAFKA_PRODUCER, errstr, errstr_size);
    if (!rkconf)
        goto err;
    char maxbytes[32];
    int64_t max_msg = producer_max_bytes(conf, errstr, errstr_size);
    if (max_msg < 0) {
        rd_kafka_conf_destroy(rkconf);
        goto err;
    }
    snprintf(maxbytes, sizeof(maxbytes), "%lld", (long long)max_msg);
    if (conf->guarantee == NF_EXACTLY_ONCE) {
        char txnid[512], host[256] = "localhost";
        if (*conf->transactional_id) {
            snprintf(txnid, sizeof(txnid), "%s", conf->transactional_id);
        } else {
            gethostname(host, sizeof(host) - 1);
            snprintf(txnid, sizeof(txnid), "newsflow-%s-%s", conf->group_id, host);
        }
        /* librdkafka requires message.timeout.ms <= transaction.timeout.ms. */
        if (nf_kafka_conf_set(rkconf, "transactional.id", txnid, errstr, errstr_size) ||
            (!nf_config_is_set(conf, "kafka.message.timeout.ms") &&
             !nf_config_is_set(conf, "kafka.producer.message.timeout.ms") &&
             nf_kafka_conf_set(rkconf, "message.timeout.ms", "55000", errstr, errstr_size))) {
            rd_kafka_conf_destroy(rkconf);
            goto err;
        }
        p->transactional = true;
        nf_log(NF_LOG_INFO, "producer", "exactly-once: transactional.id %s", txnid);
    }
    if (nf_kafka_conf_set(rkconf, "enable.idempotence", "true", errstr, errstr_size) ||
        (!nf_config_is_set(conf, "kafka.message.max.bytes") &&
         !nf_config_is_set(conf, "kafka.producer.message.max.bytes") &&
         nf_kafka_conf_set(rkconf, "message.max.bytes", maxbytes, errstr, errstr_size)) ||
        (!nf_config_is_set(conf, "kafka.compression.type") &&
         !nf_config_is_set(conf, "kafka.producer.compression.type") &&
         nf_kafka_conf_set(rkconf, "compression.type", "lz4", errstr, errstr_size)) ||
        /* librdkafka waits 5 ms to fill a batch, which was most of the end-to-end
         * latency at low rates (bench/latency: p50 7.8 ms at 1,000/s, 2 ms without).
         * Under load batches still fill while requests are in flight. */
        (!nf_config_is_set(conf, "kafka.linger.ms") &&
         !nf_config_is_set(conf, "kafka.producer.linger.ms") &&
         !nf_config_is_set(conf, "kafka.queue.buffering.max.ms") &&
         !nf_config_is_set(conf, "kafka.producer.queue.buffering.max.ms") &&
         nf_kafka_conf_set(rkconf, "linger.ms", "1", errstr, errstr_size))) {
        rd_kafka_conf_destroy(rkconf);
        goto err;
    }
    rd_kafka_conf_set_dr_msg_cb(rkconf, dr_msg_cb);
    rd_kafka_conf_set_error_cb(rkconf, error_cb);
    rd_kafka_conf_set_opaque(rkconf, p);

    char rkerr[512];
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, rkconf, rkerr, sizeof(rkerr));
    if (!p->rk) {
        rd_kafka_conf_destroy(rkconf);
        snprintf(errstr, errstr_size, "cannot create Kafka producer: %s", rkerr);
        goto err;
    }
    p->queue = rd_kafka_queue_get_main(p->rk);
    rd_kafka_set_log_queue(p->rk, p->queue);
    if (pipe(p->pipefd) || fcntl(p->pipefd[0], F_SETFL, O_NONBLOCK) ||
        fcntl(p->pipefd[1], F_SETFL, O_NONBLOCK) || fcntl(p->pipefd[0], F_SETFD, FD_CLOEXEC) ||
        fcntl(p->pipefd[1], F_SETFD, FD_CLOEXEC)) {
        snprintf(errstr, errstr_size, "cannot create wake-up pipe: %s", strerror(errno));
        goto err;
    }
    rd_kafka_queue_io_event_enable(p->queue, p->pipefd[1], "1", 1);
    p->ev_read = event_new(base, p->pipefd[0], EV_READ | EV_PERSIST, on_read, p);
    /* Safety net: serve the queue at least every 100 ms even if a wake-up is missed. */
    p->ev_timer = event_new(base, -1, EV_PERSIST, on_read, p);
    struct timeval tv = {0, 100000};
    if (!p->ev_read || !p->ev_timer || event_add(p->ev_read, NULL) || event_add(p->ev_timer, &tv)) {
        snprintf(errstr, errstr_size, "cannot register producer events");
        goto err;
    }
    return p;

err:
    nf_producer_destroy(p);
    return NULL;
}

void nf_producer_destroy(nf_producer_t *p)
{
    if (!p)
        return;
    if (p->ev_timer)
        event_free(p->ev_timer);
    if (p->ev_read)
        event_free(p->ev_read);
    if (p->queue) {
        rd_kafka_queue_io_event_enable(p->queue, -1, NULL, 0);
        rd_kafka_queue_destroy(p->queue);
    }
    if (p->rk)
        rd_kafka_destroy(p->rk);
    if (p->pipefd[0] >= 0)
        close(p->pipefd[0]);
    if (p->pipefd[1] >= 0)
        close(p->pipefd[1]);
    free(p);
}

static int map_produce_err(nf_producer_t *p, rd_kafka_resp_err_t err, const char *topic)
{
    if (err && err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        snprintf(p->last_error, sizeof(p->last_error), "producing to %s failed: %s", topic,
                 rd_kafka_err2str(err));
    if (nf_producer_err_is_permanent(err))
        return NF_EREJECTED;
    switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
        return NF_OK;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
        return NF_EQUEUEFULL;
    case RD_KAFKA_RESP_ERR__FATAL:
        return NF_EFATAL;
    default:
        nf_log_ratelimited(NF_LOG_ERROR, "producer", "produce", "cannot produce to %s: %s", topic,
                           rd_kafka_err2str(err));
        return NF_EKAFKA;
    }
}

int nf_producer_send(nf_producer_t *p, const char *topic, const void *key, size_t key_len,
                     const void *value, size_t len, rd_kafka_headers_t *headers, void *msg_opaque)
{
    rd_kafka_resp_err_t err;
    if (headers)
        err = rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, len),
            RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
    else
        err = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(topic),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, len),
                                RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
    return map_produce_err(p, err, topic);
}

rd_kafka_headers_t *nf_dlq_headers_new(const nf_dlq_info_t *info)
{
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(6);
    char num[32];
    rd_kafka_header_add(hdrs, "newsflow.reason", -1, info->reason, -1);
    rd_kafka_header_add(hdrs, "newsflow.error", -1, info->error ? info->error : "", -1);
    rd_kafka_header_add(hdrs, "newsflow.source.topic", -1, info->topic ? info->topic : "", -1);
    snprintf(num, sizeof(num), "%" PRId32, info->partition);
    rd_kafka_header_add(hdrs, "newsflow.source.partition", -1, num, -1);
    snprintf(num, sizeof(num), "%" PRId64, info->offset);
    rd_kafka_header_add(hdrs, "newsflow.source.offset", -1, num, -1);
    if (info->timestamp_ms >= 0) {
        snprintf(num, sizeof(num), "%" PRId64, info->timestamp_ms);
        rd_kafka_header_add(hdrs, "newsflow.source.timestamp", -1, num, -1);
    }
    return hdrs;
}

void nf_producer_poll(nf_producer_t *p)
{
    rd_kafka_poll(p->rk, 0);
}

int nf_producer_flush(nf_producer_t *p, int timeout_ms)
{
    rd_kafka_resp_err_t err = rd_kafka_flush(p->rk, timeout_ms);
    if (err == RD_KAFKA_RESP_ERR__TIMED_OUT)
        return NF_ETIMEDOUT;
    return err ? NF_EKAFKA : NF_OK;
}

int nf_producer_outq_len(nf_producer_t *p)
{
    return rd_kafka_outq_len(p->rk);
}

const char *nf_producer_last_error(const nf_producer_t *p)
{
    return p->last_error;
}

rd_kafka_t *nf_producer_handle(nf_producer_t *p)
{
    return p->rk;
}

bool nf_producer_is_transactional(const nf_producer_t *p)
{
    return p->transactional;
}

/* Sorts a transactional API error the way librdkafka's flags say (see producer.h). */
static int txn_error(const char *what, rd_kafka_error_t *error, bool *retry)
{
    *retry = false;
    if (!error)
        return NF_OK;
    int rc;
    if (rd_kafka_error_is_retriable(error)) {
        *retry = true;
        rc = NF_EKAFKA;
    } else if (rd_kafka_error_txn_requires_abort(error)) {
        rc = NF_EABORT;
    } else {
        rc = NF_EFATAL; /* fatal, or no flag at all */
    }
    nf_log(rc == NF_EFATAL ? NF_LOG_ERROR : NF_LOG_WARN, "producer", "%s: %s%s: %s", what,
           rd_kafka_error_name(error),
           *retry                           ? " (retriable)"
           : rc == NF_EABORT                ? " (transaction must be aborted)"
           : rd_kafka_error_is_fatal(error) ? " (fatal)"
                                            : " (unclassified: treated as fatal)",
           rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    return rc;
}

int nf_producer_txn_init(nf_producer_t *p, int timeout_ms)
{
    bool retry;
    int rc;
    do
        rc = txn_error("init_transactions", rd_kafka_init_transactions(p->rk, timeout_ms), &retry);
    while (retry);
    return rc;
}

int nf_producer_txn_begin(nf_producer_t *p)
{
    bool retry;
    int rc = txn_error("begin_transaction", rd_kafka_begin_transaction(p->rk), &retry);
    return rc == NF_EKAFKA ? NF_EFATAL : rc;
}

int nf_producer_txn_commit(nf_producer_t *p, const rd_kafka_topic_partition_list_t *offsets,
                           const rd_kafka_consumer_group_metadata_t *cgmd)
{
    bool retry;
    int rc = NF_OK;
    if (offsets && offsets->cnt > 0) {
        do
            rc = txn_error("send_offsets_to_transaction",
                           rd_kafka_send_offsets_to_transaction(p->rk, offsets, cgmd, -1), &retry);
        while (retry);
        if (rc)
            return rc;
    }
    do
        rc = txn_error("commit_transaction", rd_kafka_commit_transaction(p->rk, -1), &retry);
    while (retry);
    return rc;
}

int nf_producer_txn_abort(nf_producer_t *p)
{
    bool retry;
    int rc;
    do
        rc = txn_error("abort_transaction", rd_kafka_abort_transaction(p->rk, -1), &retry);
    while (retry);
    return rc == NF_OK ? NF_OK : NF_EFATAL;
}

bool nf_producer_err_is_permanent(rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
        return true;
    default:
        return false;
    }
}
