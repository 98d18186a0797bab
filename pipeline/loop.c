/*
 * loop: consumer -> pipeline -> producer on one libevent loop, at-least-once (see
 * loop.h).
 *
 * Every output message carries its input's nf_inflight_t as the delivery opaque and
 * holds one reference on it. Delivery failures are sorted three ways: success releases
 * the reference; a permanent failure (too large, unauthorised, unknown topic)
 * dead-letters the output, moving the reference to the dead letter; anything else
 * re-sends the same bytes. Nothing is released until it is delivered somewhere, so a
 * stored offset always means "everything up to here is in Kafka".
 *
 * When librdkafka's queue is full, outputs wait in a local FIFO (bounded by the
 * in-flight limit) and the consumer is paused; each delivery report retries the FIFO.
 *
 * Through a backlog, enriched events are held back while the consumer drains a run of
 * waiting input and handed to librdkafka together when the run ends (see
 * hold_release()), so that they leave in one produce request per partition rather than
 * one each: with librdkafka's short linger.ms (1 ms, for latency) a backlog otherwise
 * went out in batches of one to three events, and the requests, wake-ups and delivery
 * reports cost more CPU than the rest of the Kafka path together (issue 7). Only input
 * with a backlog behind it in its partition is held: live input, even a burst after a
 * broker pause, is sent at once, since holding it would add the burst's processing time
 * to the latency of its oldest events.
 */
#include "loop.h"
#include "consumer.h"
#include "metrics.h"
#include "nf_build.h"
#include "encode.h"
#include "cloudevents.h"
#include "decider.h"
#include "err.h"
#include "log.h"
#include "offsets.h"
#include "producer.h"
#include "webhook.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

typedef struct nf_pending {
    TAILQ_ENTRY(nf_pending) link;
    char *topic;
    char *key;
    size_t key_len;
    char *value;
    size_t len;
    rd_kafka_headers_t *headers;
    nf_inflight_t *inflight;
    rd_kafka_message_t *input; /* held enriched events: the input, for a dead letter */
} nf_pending_t;

/* Held enriched events are released after this many inputs, bytes or microseconds even
 * if the consumer has more input at hand. */
#define HOLD_MAX_INPUTS 64
#define HOLD_MAX_BYTES  (1 << 20)
#define HOLD_MAX_US     5000
/* Held only with more than this many messages after it in its partition (by the high
 * watermark librdkafka last saw). */
#define HOLD_MIN_LAG 256

/* An assigned input partition. */
typedef struct nf_part {
    char *topic;
    int32_t partition;
    bool eof;              /* at its end (run.exit.on.eof) */
    int64_t txn_first;     /* exactly-once: first offset in the open transaction, or -1 */
    int64_t txn_next;      /* exactly-once: next offset to consume after it, or -1 */
    int64_t rebuild_until; /* candidates: offsets below it only rebuild the decider, or -1 */
} nf_part_t;

/* Exactly-once: an input whose output Kafka refused inside an aborted transaction; on
 * reprocessing it goes straight to the dead-letter topic. */
typedef struct nf_poison {
    int32_t partition;
    int64_t offset;
    char error[200];
} nf_poison_t;

#define POISON_MAX 64

typedef enum { LOOP_RUNNING, LOOP_DRAINING, LOOP_DONE } nf_loop_state_t;

struct nf_loop {
    const nf_config_t *conf;
    struct event_base *base;
    nf_pipeline_t *pipeline;
    nf_consumer_t *consumer;
    nf_producer_t *producer;
    nf_offsets_t *offsets;
    nf_result_t result; /* reused for every message */
    TAILQ_HEAD(, nf_pending) pending;
    size_t pending_n;
    /* enriched events held back during a drain pass (hold_release()), with their inputs */
    TAILQ_HEAD(, nf_pending) held;
    size_t held_bytes;
    int64_t held_since_us;
    rd_kafka_message_t *held_inputs[HOLD_MAX_INPUTS];
    int held_inputs_n;
    bool held_current; /* an output of the input being handled is held */
    nf_part_t *parts;  /* assigned partitions */
    int parts_n, parts_cap;
    char ce_source[300];
    /* Output topics (with the replay suffix, if any). */
    char *t_enriched, *t_dlq, *t_alerts, *t_route[4];
    nf_webhook_t *webhook; /* created on the first webhook alert */
    /* alert candidates (pipeline/decider.h): NULL when each instance decides alone */
    nf_decider_t *decider;
    char *t_candidates;
    nf_buf_t cand_buf, alert_buf;
    /* replay */
    bool replay;
    rd_kafka_topic_partition_list_t *end; /* end offset (exclusive) per partition */
    int parts_done;                       /* partitions that reached their end */
    int64_t range_total;                  /* messages in the range */
    int64_t range_done;                   /* messages of the range handled */
    double rate;                          /* messages per second, 0: unlimited */
    double tokens;
    int64_t tokens_at_us;
    struct event *ev_kick;
    struct event *ev_progress;
    bool progress_tty;
    int64_t last_progress_ms;
    bool print;
    bool failed;
    nf_loop_state_t state;
    struct event *ev_shutdown_timer;
    struct event *ev_finish;
    struct event *ev_stats;
    struct event *ev_heartbeat;
    int64_t heartbeat_ms; /* monotonic ms of the last heartbeat tick */
    int64_t started_ms;
    int rc;
    nf_loop_stats_t stats;
    /* exactly-once */
    bool eos;
    bool txn_open;
    bool txn_draining; /* commit requested: waiting, loop running, for outputs to land */
    int64_t txn_drain_us;
    struct event *ev_drain;
    int64_t txn_msgs;
    int64_t txn_started_ms;
    struct event *ev_txn;
    nf_poison_t poison[POISON_MAX];
    int poison_n;
    /* metrics */
    nf_metrics_t *metrics;
    struct {
        nf_metric_t *consumed, *enriched, *dead, *produced, *category, *deleted, *resent,
            *processing, *latency, *lag, *inflight, *queue, *paused, *assigned, *brokers,
            *rebalances, *txn, *txn_seconds, *build, *alerts, *webhooks, *candidates;
    } m;
};

static void loop_check_drained(nf_loop_t *loop);
static void loop_check_eof(nf_loop_t *loop);

/* Called by the offset tracker when a contiguous prefix of a partition is delivered. */
static void on_store(void *opaque, const char *topic, int32_t partition, int64_t next_offset)
{
    nf_loop_t *loop = opaque;
    if (loop->failed || loop->eos)
        return; /* never move offsets past a failure; exactly-once commits in transactions */
    nf_consumer_store(loop->consumer, topic, partition, next_offset);
}

static void loop_fail(nf_loop_t *loop, const char *why)
{
    nf_log(NF_LOG_ERROR, "loop", "stopping: %s", why);
    loop->failed = true;
    loop->rc = NF_EFATAL;
    nf_loop_shutdown(loop);
}

static void backpressure_update(nf_loop_t *loop)
{
    size_t n = nf_offsets_inflight(loop->offsets);
    size_t bytes = nf_offsets_inflight_bytes(loop->offsets);
    size_t max_n = (size_t)loop->conf->max_inflight;
    size_t max_bytes = (size_t)loop->conf->max_inflight_bytes;
    bool paused = nf_consumer_is_paused(loop->consumer);
    if (loop->state != LOOP_RUNNING)
        return;
    if (!paused && (n >= max_n || bytes >= max_bytes || loop->pending_n)) {
        nf_log(NF_LOG_DEBUG, "loop", "pausing input: %zu in flight (%zu bytes), %zu waiting", n,
               bytes, loop->pending_n);
        loop->stats.pauses++;
        nf_consumer_pause(loop->consumer);
    } else if (paused && !loop->pending_n && n <= max_n / 2 && bytes <= max_bytes / 2) {
        nf_log(NF_LOG_DEBUG, "loop", "resuming input: %zu in flight", n);
        nf_consumer_resume(loop->consumer);
    }
}

/* A copy of one output (headers and the reference on inflight are moved in), or NULL. */
static nf_pending_t *pending_new(const char *topic, const void *key, size_t key_len,
                                 const void *value, size_t len, rd_kafka_headers_t *headers,
                                 nf_inflight_t *inflight)
{
    nf_pending_t *pd = calloc(1, sizeof(*pd));
    if (!pd)
        return NULL;
    pd->topic = strdup(topic);
    pd->key = key_len ? malloc(key_len) : NULL;
    pd->value = len ? malloc(len) : NULL;
    if (!pd->topic || (key_len && !pd->key) || (len && !pd->value)) {
        free(pd->topic);
        free(pd->key);
        free(pd->value);
        free(pd);
        return NULL;
    }
    if (key_len)
        memcpy(pd->key, key, key_len);
    if (len)
        memcpy(pd->value, value, len);
    pd->key_len = key_len;
    pd->len = len;
    pd->headers = headers;
    pd->inflight = inflight;
    return pd;
}

static void pending_free(nf_pending_t *pd)
{
    free(pd->topic);
    free(pd->key);
    free(pd->value);
    if (pd->headers)
        rd_kafka_headers_destroy(pd->headers);
    free(pd);
}

/* Sends queued outputs in order until the producer queue fills again. */
static void pending_flush(nf_loop_t *loop)
{
    nf_pending_t *pd;
    while ((pd = TAILQ_FIRST(&loop->pending))) {
        int err = nf_producer_send(loop->producer, pd->topic, pd->key, pd->key_len, pd->value,
                                   pd->len, pd->headers, pd->inflight);
        if (err == NF_EQUEUEFULL)
            return;
        TAILQ_REMOVE(&loop->pending, pd, link);
        loop->pending_n--;
        if (!err) {
            pd->headers = NULL; /* now owned by librdkafka */
        } else {
            nf_inflight_unref(pd->inflight);
            loop_fail(loop, "cannot produce a queued output");
        }
        pending_free(pd);
    }
}

/*
 * Sends one output holding a new reference on inflight. Takes ownership of headers.
 * On a full queue the output waits in the FIFO. Returns NF_OK (sent or queued),
 * NF_EREJECTED (Kafka will never take it: the caller dead-letters), or another error
 * after which the loop is stopping. On error the reference is released.
 */
static void hold_release(nf_loop_t *loop);

static int emit(nf_loop_t *loop, const char *topic, const void *key, size_t key_len,
                const void *value, size_t len, rd_kafka_headers_t *headers, nf_inflight_t *inflight)
{
    if (!TAILQ_EMPTY(&loop->held))
        hold_release(loop); /* in order */
    nf_inflight_ref(inflight);
    int err = NF_EQUEUEFULL;
    if (!loop->pending_n)
        err = nf_producer_send(loop->producer, topic, key, key_len, value, len, headers, inflight);
    if (!err)
        return NF_OK;
    if (err == NF_EQUEUEFULL) {
        nf_pending_t *pd = pending_new(topic, key, key_len, value, len, headers, inflight);
        if (!pd) {
            err = NF_ENOMEM;
            goto fail;
        }
        TAILQ_INSERT_TAIL(&loop->pending, pd, link);
        loop->pending_n++;
        backpressure_update(loop);
        return NF_OK;
    }

fail:
    if (headers)
        rd_kafka_headers_destroy(headers);
    nf_inflight_unref(inflight);
    if (err != NF_EREJECTED) {
        char why[400];
        snprintf(why, sizeof(why), "cannot produce to %s: %s", topic,
                 err == NF_ENOMEM ? "out of memory" : nf_producer_last_error(loop->producer));
        loop_fail(loop, why);
    }
    return err;
}

/* Dead-letters <value, len>. If even the dead-letter topic refuses it, the loop stops
 * without storing the offset: the message is kept in the input topic, not lost. */
static void emit_dlq(nf_loop_t *loop, const void *key, size_t key_len, const void *value,
                     size_t len, const nf_dlq_info_t *info, nf_inflight_t *inflight)
{
    loop->stats.dead_lettered++;
    nf_metric_add(loop->m.dead, info->reason, 1);
    nf_log_ratelimited(NF_LOG_WARN, "loop", "dead-letter",
                       "dead-lettering %s [%" PRId32 "] @%" PRId64 ": %s: %s", info->topic,
                       info->partition, info->offset, info->reason, info->error);
    if (emit(loop, loop->t_dlq, key, key_len, value, len, nf_dlq_headers_new(info), inflight) ==
        NF_EREJECTED) {
        char why[400];
        snprintf(why, sizeof(why), "the dead-letter topic refuses a message: %s",
                 nf_producer_last_error(loop->producer));
        loop_fail(loop, why);
    }
}

/*
 * CloudEvents 1.0 attributes in Kafka binary mode (ce_ headers, the event itself as the
 * value), plus where the input came from, so standard tooling can route and trace.
 */
static rd_kafka_headers_t *ce_headers(nf_loop_t *loop, const char *type, const char *id,
                                      const char *subject, const nf_source_t *src)
{
    nf_ce_info_t info = {.type = type,
                         .id = id,
                         .source = loop->ce_source,
                         .subject = subject,
                         .input_topic = src->topic,
                         .input_partition = src->partition,
                         .input_offset = src->offset,
                         .time_ms = nf_wall_ms(),
                         .replay = loop->replay};
    return nf_ce_headers_new(&info);
}

/* Holds one output of input (see hold_release()), with a new reference on inflight. */
static int hold(nf_loop_t *loop, const char *topic, const char *key, const void *value, size_t len,
                rd_kafka_headers_t *headers, nf_inflight_t *inflight, rd_kafka_message_t *input)
{
    nf_pending_t *pd = pending_new(topic, key, strlen(key), value, len, headers, inflight);
    if (!pd) {
        if (headers)
            rd_kafka_headers_destroy(headers);
        loop_fail(loop, "out of memory holding an output");
        return NF_ENOMEM;
    }
    nf_inflight_ref(inflight);
    pd->input = input;
    if (TAILQ_EMPTY(&loop->held))
        loop->held_since_us = nf_mono_us();
    TAILQ_INSERT_TAIL(&loop->held, pd, link);
    loop->held_bytes += len;
    loop->held_current = true;
    return NF_OK;
}

/*
 * Sends the same value to every topic in topics[0..n), each with its own copy of
 * headers (which this takes ownership of). Returns NF_EREJECTED if Kafka refused it
 * for any topic (the others are sent anyway). With input (an enriched event of that
 * input message), the outputs are held for the end of the drain pass instead, unless
 * outputs are waiting for queue space.
 */
static int emit_all(nf_loop_t *loop, const char *const *topics, int n, const char *key,
                    const void *value, size_t len, rd_kafka_headers_t *headers,
                    nf_inflight_t *inflight, rd_kafka_message_t *input)
{
    int result = NF_OK;
    for (int i = 0; i < n; i++) {
        rd_kafka_headers_t *h = i == n - 1 ? headers : rd_kafka_headers_copy(headers);
        int err = input && !loop->pending_n
                      ? hold(loop, topics[i], key, value, len, h, inflight, input)
                      : emit(loop, topics[i], key, strlen(key), value, len, h, inflight);
        if (err == NF_EREJECTED)
            result = err;
        else if (err)
            return err;
    }
    return result;
}

/* The enriched event goes to output.enriched.topic and to the topic of each assigned
 * category (output.other.topic when there is none), all keyed by article id. */
static int emit_routed(nf_loop_t *loop, const nf_result_t *res, const nf_source_t *src,
                       nf_inflight_t *inflight, rd_kafka_message_t *input)
{
    const char *topics[5];
    int n = 0;
    topics[n++] = loop->t_enriched;
    static const char *const names[4] = {"deal", "funding", "infrastructure", "other"};
    for (int i = 0; i < 3; i++) {
        if (res->categories & (1u << i)) {
            loop->stats.category[i]++;
            nf_metric_add(loop->m.category, names[i], 1);
        }
    }
    if (!res->categories) {
        loop->stats.category[3]++;
        nf_metric_add(loop->m.category, names[3], 1);
    }
    for (int i = 0; i < 3; i++)
        if ((res->categories & (1u << i)) && *loop->t_route[i])
            topics[n++] = loop->t_route[i];
    if (!res->categories && *loop->t_route[3])
        topics[n++] = loop->t_route[3];
    return emit_all(
        loop, topics, n, res->article.id, res->enriched.data, res->enriched.len,
        ce_headers(loop, "newsflow.article.enriched.v1", res->event_id, res->article.id, src),
        inflight, input);
}

/* Kafka refused an enriched event of input rkm for good: the input goes to the
 * dead-letter topic instead. */
static void dead_letter_refused(nf_loop_t *loop, const rd_kafka_message_t *rkm,
                                nf_inflight_t *inflight)
{
    rd_kafka_timestamp_type_t tstype;
    loop->stats.produce_failed++;
    nf_dlq_info_t info = {
        .reason = "produce_failed",
        .error = nf_producer_last_error(loop->producer),
        .topic = rd_kafka_topic_name(rkm->rkt),
        .partition = rkm->partition,
        .offset = rkm->offset,
        .timestamp_ms = rd_kafka_message_timestamp(rkm, &tstype),
    };
    emit_dlq(loop, rkm->key, rkm->key_len, rkm->payload, rkm->len, &info, inflight);
}

/*
 * Hands the held enriched events to librdkafka, in order, then frees their inputs. An
 * event Kafka refuses at once dead-letters its input, as when it is sent directly.
 * Called at the end of every drain pass, when the hold is full, and before anything
 * else is sent, flushed or committed.
 */
static void hold_release(nf_loop_t *loop)
{
    TAILQ_HEAD(, nf_pending) batch = TAILQ_HEAD_INITIALIZER(batch);
    rd_kafka_message_t *inputs[HOLD_MAX_INPUTS];
    int n = loop->held_inputs_n;
    TAILQ_CONCAT(&batch, &loop->held, link);
    memcpy(inputs, loop->held_inputs, (size_t)n * sizeof(inputs[0]));
    loop->held_inputs_n = 0;
    loop->held_bytes = 0;
    const rd_kafka_message_t *refused = NULL;
    nf_pending_t *pd;
    while ((pd = TAILQ_FIRST(&batch))) {
        TAILQ_REMOVE(&batch, pd, link);
        int err = emit(loop, pd->topic, pd->key, pd->key_len, pd->value, pd->len, pd->headers,
                       pd->inflight);
        pd->headers = NULL; /* emit() took them */
        if (err == NF_EREJECTED && pd->input != refused) {
            refused = pd->input;
            dead_letter_refused(loop, pd->input, pd->inflight);
        }
        nf_inflight_unref(pd->inflight);
        pending_free(pd);
    }
    for (int i = 0; i < n; i++)
        rd_kafka_message_destroy(inputs[i]);
}

/* After input rkm is handled: keeps it while outputs of it are held, else frees it; and
 * releases the hold when it is full. */
static void hold_input_done(nf_loop_t *loop, rd_kafka_message_t *rkm)
{
    if (!loop->held_current) {
        rd_kafka_message_destroy(rkm);
        return;
    }
    loop->held_current = false;
    loop->held_inputs[loop->held_inputs_n++] = rkm;
    if (loop->held_inputs_n == HOLD_MAX_INPUTS || loop->held_bytes >= HOLD_MAX_BYTES ||
        nf_mono_us() - loop->held_since_us >= HOLD_MAX_US)
        hold_release(loop);
}

/* Is there a backlog behind input rkm in its partition (see the top of this file)? */
static bool backlog_behind(nf_loop_t *loop, const rd_kafka_message_t *rkm)
{
    int64_t low, high;
    if (rd_kafka_get_watermark_offsets(nf_consumer_handle(loop->consumer),
                                       rd_kafka_topic_name(rkm->rkt), rkm->partition, &low,
                                       &high) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return false;
    return high - rkm->offset > HOLD_MIN_LAG;
}

static void on_drained(void *opaque)
{
    hold_release(opaque);
}

/* A deletion becomes a tombstone (null value) under the article id on every keyed
 * output topic, since the categories of the version being deleted are not known. */
static void emit_tombstones(nf_loop_t *loop, const nf_result_t *res, const nf_source_t *src,
                            nf_inflight_t *inflight)
{
    const char *topics[5];
    int n = 0;
    topics[n++] = loop->t_enriched;
    for (int i = 0; i < 4; i++)
        if (*loop->t_route[i])
            topics[n++] = loop->t_route[i];
    loop->stats.deleted++;
    nf_metric_add(loop->m.deleted, NULL, 1);
    if (emit_all(
            loop, topics, n, res->article.id, NULL, 0,
            ce_headers(loop, "newsflow.article.deleted.v1", res->event_id, res->article.id, src),
            inflight, NULL) == NF_EREJECTED)
        loop_fail(loop, nf_producer_last_error(loop->producer));
}

/* A null-value input message with a key is the input topic's own tombstone: treat it as
 * a deletion of the article whose id is the key. */
static int deletion_by_key(nf_result_t *res, const void *key, size_t key_len,
                           const nf_source_t *src)
{
    nf_result_clear(res);
    res->article.id = strndup(key, key_len);
    if (!res->article.id)
        return NF_ENOMEM;
    res->deleted = true;
    nf_event_id(&res->article, src, res->event_id, sizeof(res->event_id));
    return NF_OK;
}

/* A webhook delivery in flight: holds a reference on its input until it is done. */
typedef struct wh_msg {
    nf_loop_t *loop;
    nf_inflight_t *inflight;
    size_t len;
    char json[]; /* the alert document, for the dead-letter topic if delivery fails */
} wh_msg_t;

static void on_webhook_done(void *opaque, void *msg_opaque, bool ok, const char *reason)
{
    wh_msg_t *m = msg_opaque;
    nf_loop_t *loop = m->loop;
    nf_metric_add(loop->m.webhooks, ok ? "ok" : "failed", 1);
    if (!ok && !loop->failed) {
        char error[400];
        snprintf(error, sizeof(error), "webhook delivery failed: %s", reason ? reason : "?");
        nf_dlq_info_t info = {
            .reason = "webhook_failed",
            .error = error,
            .topic = nf_inflight_topic(m->inflight),
            .partition = nf_inflight_partition(m->inflight),
            .offset = nf_inflight_offset(m->inflight),
            .timestamp_ms = nf_inflight_timestamp(m->inflight),
        };
        emit_dlq(loop, NULL, 0, m->json, m->len, &info, m->inflight);
    }
    nf_inflight_unref(m->inflight);
    free(m);
    loop_check_drained(loop);
}

static void webhook_post(nf_loop_t *loop, const char *url, const char *json, size_t len,
                         const char *alert_id, nf_inflight_t *inflight)
{
    char errstr[256];
    if (!loop->webhook) {
        nf_webhook_opts_t opts = {0};
        loop->webhook =
            nf_webhook_new(loop->base, &opts, on_webhook_done, loop, errstr, sizeof(errstr));
        if (!loop->webhook) {
            nf_log_ratelimited(NF_LOG_ERROR, "loop", "webhook-new", "webhooks disabled: %s",
                               errstr);
            return;
        }
    }
    wh_msg_t *m = malloc(sizeof(*m) + len);
    if (!m)
        return;
    m->loop = loop;
    m->inflight = inflight;
    m->len = len;
    memcpy(m->json, json, len);
    char ce_id[64];
    snprintf(ce_id, sizeof(ce_id), "ce-id: %s", alert_id);
    const char *headers[] = {"ce-specversion: 1.0", ce_id, "ce-type: newsflow.alert.v1",
                             "ce-source: /newsflow/alerts", NULL};
    nf_inflight_ref(inflight);
    int err = nf_webhook_post(loop->webhook, url, json, len, headers, m);
    if (err) {
        nf_dlq_info_t info = {
            .reason = "webhook_failed",
            .error = err == NF_EQUEUEFULL ? "webhook queue full" : "webhook URL refused",
            .topic = nf_inflight_topic(inflight),
            .partition = nf_inflight_partition(inflight),
            .offset = nf_inflight_offset(inflight),
            .timestamp_ms = nf_inflight_timestamp(inflight),
        };
        nf_metric_add(loop->m.webhooks, "failed", 1);
        emit_dlq(loop, NULL, 0, json, len, &info, inflight);
        nf_inflight_unref(inflight);
        free(m);
    }
}

/* Alerts go to the alerts topic, keyed by alert id (rule and story key), and to each
 * webhook the rule names. */
static void emit_alerts(nf_loop_t *loop, const nf_result_t *res, const nf_source_t *src,
                        nf_inflight_t *inflight)
{
    if (loop->decider) {
        /* One member decides for the whole group: send the alert as a candidate, keyed
         * by rule so that all candidates of a rule meet in one partition. */
        const char *lead =
            res->article.body && *res->article.body ? res->article.body : res->article.summary;
        for (int i = 0; i < res->alerts_n; i++) {
            const char *rule = nf_alert_rule_name(res->alerts[i].rule);
            nf_buf_reset(&loop->cand_buf);
            if (nf_candidate_encode(rule, res->article.id, res->article.title, lead, nf_wall_ms(),
                                    res->alerts_json.data + res->alerts[i].off, res->alerts[i].len,
                                    &loop->cand_buf))
                continue;
            nf_metric_add(loop->m.candidates, "sent", 1);
            const char *topic = loop->t_candidates;
            if (emit_all(loop, &topic, 1, rule, loop->cand_buf.data, loop->cand_buf.len, NULL,
                         inflight, NULL) == NF_EREJECTED)
                nf_log_ratelimited(NF_LOG_ERROR, "loop", "candidate-rejected",
                                   "alert candidate for %s refused by %s: %s", rule, topic,
                                   nf_producer_last_error(loop->producer));
        }
        return;
    }
    for (int i = 0; i < res->alerts_n; i++) {
        const nf_alert_rule_t *rule = res->alerts[i].rule;
        const char *json = res->alerts_json.data + res->alerts[i].off;
        size_t len = res->alerts[i].len;
        loop->stats.alerts++;
        nf_metric_add(loop->m.alerts, nf_alert_rule_name(rule), 1);
        if (nf_alert_rule_to_topic(rule) && *loop->t_alerts) {
            const char *topic = loop->t_alerts;
            if (emit_all(
                    loop, &topic, 1, res->alerts[i].id, json, len,
                    ce_headers(loop, "newsflow.alert.v1", res->alerts[i].id, res->article.id, src),
                    inflight, NULL) == NF_EREJECTED)
                nf_log_ratelimited(NF_LOG_ERROR, "loop", "alert-rejected",
                                   "alert %s refused by %s: %s", res->alerts[i].id, topic,
                                   nf_producer_last_error(loop->producer));
        }
        for (int d = 0; d < nf_alert_rule_destination_count(rule); d++) {
            const char *dest = nf_alert_rule_destination(rule, d);
            if (!strncmp(dest, "http://", 7) || !strncmp(dest, "https://", 8))
                webhook_post(loop, dest, json, len, res->alerts[i].id, inflight);
        }
    }
}

static nf_part_t *part_find(nf_loop_t *loop, const char *topic, int32_t partition)
{
    for (int i = 0; i < loop->parts_n; i++)
        if (loop->parts[i].partition == partition && !strcmp(loop->parts[i].topic, topic))
            return &loop->parts[i];
    return NULL;
}

/*
 * Exactly-once: commit the open transaction with the next offset of every partition
 * processed in it. Blocks the loop for the duration of commit_transaction (which
 * flushes); the longest stall is reported in the statistics.
 */
static int txn_commit(nf_loop_t *loop);

/* Aborts the open transaction and seeks every partition that had input in it back to
 * its first offset in the transaction, so that input is processed again. */
static void txn_abort(nf_loop_t *loop)
{
    loop->stats.txn_aborts++;
    nf_metric_add(loop->m.txn, "abort", 1);
    if (nf_producer_txn_abort(loop->producer)) {
        loop_fail(loop, "cannot abort the transaction");
        return;
    }
    rd_kafka_topic_partition_list_t *rewind = rd_kafka_topic_partition_list_new(loop->parts_n);
    for (int i = 0; i < loop->parts_n; i++) {
        nf_part_t *p = &loop->parts[i];
        if (p->txn_first >= 0)
            rd_kafka_topic_partition_list_add(rewind, p->topic, p->partition)->offset =
                p->txn_first;
        p->txn_first = p->txn_next = -1;
    }
    if (rewind->cnt > 0) {
        nf_log(NF_LOG_WARN, "loop", "transaction aborted: reprocessing %d partition(s)",
               rewind->cnt);
        rd_kafka_error_t *error =
            rd_kafka_seek_partitions(nf_consumer_handle(loop->consumer), rewind, -1);
        if (error) {
            nf_log(NF_LOG_ERROR, "loop", "rewind failed: %s", rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
            loop_fail(loop, "cannot rewind the input after an aborted transaction");
        }
    }
    rd_kafka_topic_partition_list_destroy(rewind);
    nf_decider_rollback(loop->decider);
    loop->txn_open = false;
    loop->txn_msgs = 0;
}

static int txn_commit(nf_loop_t *loop)
{
    hold_release(loop);
    if (!loop->txn_open)
        return NF_OK;
    /* Outputs waiting for queue space must be in the transaction before it commits. */
    while (loop->pending_n && !loop->failed) {
        pending_flush(loop);
        if (loop->pending_n)
            nf_producer_flush(loop->producer, 10);
    }
    rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new(loop->parts_n);
    for (int i = 0; i < loop->parts_n; i++)
        if (loop->parts[i].txn_next >= 0)
            rd_kafka_topic_partition_list_add(offsets, loop->parts[i].topic,
                                              loop->parts[i].partition)
                ->offset = loop->parts[i].txn_next;
    rd_kafka_consumer_group_metadata_t *cgmd =
        rd_kafka_consumer_group_metadata(nf_consumer_handle(loop->consumer));
    int64_t t0 = nf_mono_us();
    int rc = nf_producer_txn_commit(loop->producer, offsets, cgmd);
    int64_t took = nf_mono_us() - t0;
    rd_kafka_consumer_group_metadata_destroy(cgmd);
    rd_kafka_topic_partition_list_destroy(offsets);
    if (took > loop->stats.txn_commit_max_us)
        loop->stats.txn_commit_max_us = took;
    loop->stats.txn_commit_total_us += took;
    if (rc == NF_OK) {
        loop->stats.txn_commits++;
        nf_metric_add(loop->m.txn, "commit", 1);
        nf_metric_observe(loop->m.txn_seconds, NULL, (double)took / 1e6);
        for (int i = 0; i < loop->parts_n; i++)
            loop->parts[i].txn_first = loop->parts[i].txn_next = -1;
        loop->txn_open = false;
        loop->txn_msgs = 0;
        loop->poison_n = 0;
    } else if (rc == NF_EABORT) {
        txn_abort(loop);
    } else {
        loop_fail(loop, "transaction commit failed fatally (see the error above)");
    }
    return rc;
}

/*
 * Exactly-once commits in two steps, so that the loop is not blocked while a
 * transaction's outputs are still on their way. rd_kafka_commit_transaction() flushes
 * first, and flushing is most of its time (milliseconds to hundreds of them at the
 * benchmark rate); it cannot run on another thread, because librdkafka would then serve
 * our delivery callbacks there. So: stop taking input (may_consume), keep turning the
 * loop (deliveries, timers, the ops endpoint) until every output is delivered, then
 * commit, which now only sends the offsets and ends the transaction (round trips to the
 * coordinator), and take input again.
 */
static void txn_drain_check(nf_loop_t *loop)
{
    if (!loop->txn_draining)
        return;
    hold_release(loop);
    if (loop->pending_n)
        pending_flush(loop);
    if (!loop->failed && loop->state == LOOP_RUNNING &&
        (loop->pending_n || nf_producer_outq_len(loop->producer) > 0)) {
        struct timeval tv = {0, 1000};
        evtimer_add(loop->ev_drain, &tv);
        return;
    }
    loop->txn_draining = false;
    int64_t waited = nf_mono_us() - loop->txn_drain_us;
    if (waited > loop->stats.txn_drain_max_us)
        loop->stats.txn_drain_max_us = waited;
    if (loop->txn_open && !loop->failed)
        txn_commit(loop);
    if (loop->state == LOOP_RUNNING)
        nf_consumer_kick(loop->consumer);
}

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
    txn_drain_check(arg);
}

/* Asks for the open transaction to be committed once its outputs are delivered. */
static void txn_commit_soon(nf_loop_t *loop)
{
    if (!loop->txn_open || loop->txn_draining)
        return;
    loop->txn_draining = true;
    loop->txn_drain_us = nf_mono_us();
    txn_drain_check(loop);
}

static void on_txn_timer(evutil_socket_t fd, short what, void *arg)
{
    nf_loop_t *loop = arg;
    if (loop->state == LOOP_RUNNING && loop->txn_open &&
        nf_mono_ms() - loop->txn_started_ms >= loop->conf->txn_interval_ms)
        txn_commit_soon(loop);
}

static const nf_poison_t *poison_find(nf_loop_t *loop, int32_t partition, int64_t offset)
{
    for (int i = 0; i < loop->poison_n; i++)
        if (loop->poison[i].partition == partition && loop->poison[i].offset == offset)
            return &loop->poison[i];
    return NULL;
}

/*
 * Replay rate limit: a token bucket refilled at `rate` per second, holding at most a
 * tenth of a second's worth. When empty, draining stops and a timer kicks the
 * consumer when the next token is due.
 */
static bool may_consume(void *opaque)
{
    nf_loop_t *loop = opaque;
    if (loop->txn_draining)
        return false; /* txn_drain_check() kicks the consumer when the commit is done */
    if (loop->rate <= 0)
        return true;
    int64_t now = nf_mono_us();
    double burst = loop->rate / 10 > 1 ? loop->rate / 10 : 1;
    loop->tokens += (double)(now - loop->tokens_at_us) * loop->rate / 1e6;
    if (loop->tokens > burst)
        loop->tokens = burst;
    loop->tokens_at_us = now;
    if (loop->tokens >= 1) {
        loop->tokens -= 1;
        return true;
    }
    int64_t wait_us = (int64_t)((1 - loop->tokens) * 1e6 / loop->rate) + 1;
    struct timeval tv = {wait_us / 1000000, wait_us % 1000000};
    if (!evtimer_pending(loop->ev_kick, NULL))
        evtimer_add(loop->ev_kick, &tv);
    return false;
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
    nf_loop_t *loop = arg;
    if (loop->state == LOOP_RUNNING)
        nf_consumer_kick(loop->consumer);
}

static void progress_print(nf_loop_t *loop, bool final)
{
    double secs = (double)(nf_mono_ms() - loop->started_ms) / 1000.0;
    double rate = secs > 0 ? (double)loop->range_done / secs : 0;
    double frac = loop->range_total ? (double)loop->range_done / (double)loop->range_total : 1;
    double eta = rate > 0 ? (double)(loop->range_total - loop->range_done) / rate : 0;
    if (loop->progress_tty) {
        char bar[31];
        int fill = (int)(frac * 30);
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %lld/%lld %5.1f%% %8.0f msg/s  ETA %4.0f s  dead %llu%s", bar,
                (long long)loop->range_done, (long long)loop->range_total, frac * 100, rate, eta,
                (unsigned long long)loop->stats.dead_lettered, final ? "\n" : "");
    } else {
        nf_log(NF_LOG_INFO, "replay", "%lld/%lld (%.1f%%), %.0f msg/s, ETA %.0f s",
               (long long)loop->range_done, (long long)loop->range_total, frac * 100, rate, eta);
    }
}

static void on_progress(evutil_socket_t fd, short what, void *arg)
{
    progress_print(arg, false);
}

/* Replay: has this partition reached the end of its range? Pauses it when it has. */
static bool replay_past_end(nf_loop_t *loop, nf_part_t *part, const rd_kafka_message_t *rkm)
{
    const rd_kafka_topic_partition_t *e =
        rd_kafka_topic_partition_list_find(loop->end, part->topic, part->partition);
    if (!e || rkm->offset < e->offset)
        return false;
    if (!part->eof) {
        part->eof = true; /* "at its end" for the exit check */
        loop->parts_done++;
        nf_consumer_pause_partition(loop->consumer, part->topic, part->partition);
    }
    return true;
}

/* Exactly-once: opens a transaction for the next input if none is open. */
static int txn_ensure(nf_loop_t *loop)
{
    if (!loop->eos || loop->txn_open)
        return NF_OK;
    int err = nf_producer_txn_begin(loop->producer);
    if (err) {
        loop_fail(loop, "cannot begin a transaction");
        return err;
    }
    loop->txn_open = true;
    loop->txn_started_ms = nf_mono_ms();
    nf_decider_checkpoint(loop->decider);
    return NF_OK;
}

/*
 * Starts handling input rkm: opens a transaction if exactly-once needs one and tracks
 * the message until its outputs are delivered. NULL (rkm destroyed, the loop failing)
 * when either cannot be done.
 */
static nf_inflight_t *input_begin(nf_loop_t *loop, rd_kafka_message_t *rkm, const char *topic)
{
    if (txn_ensure(loop)) {
        rd_kafka_message_destroy(rkm);
        return NULL;
    }
    nf_inflight_t *inflight =
        nf_offsets_track(loop->offsets, topic, rkm->partition, rkm->offset, rkm->len);
    if (!inflight) {
        rd_kafka_message_destroy(rkm);
        loop_fail(loop, "out of memory tracking a message");
    }
    return inflight;
}

/* Exactly-once: the input at offset is in the open transaction; commits it when full. */
static void txn_count(nf_loop_t *loop, nf_part_t *part, int64_t offset)
{
    if (!loop->eos)
        return;
    if (part) {
        if (part->txn_first < 0)
            part->txn_first = offset;
        part->txn_next = offset + 1;
    }
    if (++loop->txn_msgs >= loop->conf->txn_messages && loop->state == LOOP_RUNNING)
        txn_commit_soon(loop);
}

/* Sends a decided alert to the alerts topic and to the rule's webhooks. */
static void emit_decided(nf_loop_t *loop, const nf_decision_t *dec, const char *json, size_t len,
                         const nf_source_t *src, nf_inflight_t *inflight)
{
    const nf_alert_rule_t *rule =
        nf_alert_rules_find(nf_pipeline_alert_rules(loop->pipeline), dec->rule);
    loop->stats.alerts++;
    nf_metric_add(loop->m.alerts, dec->rule, 1);
    if ((!rule || nf_alert_rule_to_topic(rule)) && *loop->t_alerts) {
        const char *topic = loop->t_alerts;
        if (emit_all(loop, &topic, 1, dec->alert_id, json, len,
                     ce_headers(loop, "newsflow.alert.v1", dec->alert_id, dec->article_id, src),
                     inflight, NULL) == NF_EREJECTED)
            nf_log_ratelimited(NF_LOG_ERROR, "loop", "alert-rejected", "alert %s refused by %s: %s",
                               dec->alert_id, topic, nf_producer_last_error(loop->producer));
    }
    if (!rule) {
        /* another member runs a rules file with this rule and this one does not */
        nf_log_ratelimited(NF_LOG_WARN, "loop", "candidate-rule",
                           "alert candidate for unknown rule %s: sent to the alerts topic only",
                           dec->rule);
        return;
    }
    for (int d = 0; d < nf_alert_rule_destination_count(rule); d++) {
        const char *dest = nf_alert_rule_destination(rule, d);
        if (!strncmp(dest, "http://", 7) || !strncmp(dest, "https://", 8))
            webhook_post(loop, dest, json, len, dec->alert_id, inflight);
    }
}

/*
 * An alert candidate (pipeline/decider.h). Below the partition's rebuild offset it only
 * rebuilds the decider's state (the previous owner decided it; its offset is already
 * committed). Otherwise it is decided: the first of its rule and story is the alert,
 * the others are dropped, and a candidate that is not one is dead-lettered.
 */
static void on_candidate(nf_loop_t *loop, rd_kafka_message_t *rkm, nf_part_t *part)
{
    char err[256];
    nf_decision_t dec;
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    if (part && rkm->offset < part->rebuild_until) {
        nf_buf_reset(&loop->alert_buf);
        nf_decider_decide(loop->decider, rkm->payload, rkm->len, true, &dec, &loop->alert_buf, err,
                          sizeof(err));
        nf_metric_add(loop->m.candidates, "rebuilt", 1);
        rd_kafka_message_destroy(rkm);
        return;
    }
    if (part)
        part->rebuild_until = -1;
    nf_inflight_t *inflight = input_begin(loop, rkm, topic);
    if (!inflight)
        return;
    rd_kafka_timestamp_type_t tstype;
    nf_source_t src = {
        .topic = topic,
        .partition = rkm->partition,
        .offset = rkm->offset,
        .timestamp_ms = rd_kafka_message_timestamp(rkm, &tstype),
    };
    nf_buf_reset(&loop->alert_buf);
    int rc = nf_decider_decide(loop->decider, rkm->payload, rkm->len, false, &dec, &loop->alert_buf,
                               err, sizeof(err));
    if (rc == NF_EINVAL) {
        nf_dlq_info_t info = {
            .reason = "invalid_candidate",
            .error = err,
            .topic = topic,
            .partition = rkm->partition,
            .offset = rkm->offset,
            .timestamp_ms = src.timestamp_ms,
        };
        nf_metric_add(loop->m.candidates, "invalid", 1);
        emit_dlq(loop, rkm->key, rkm->key_len, rkm->payload, rkm->len, &info, inflight);
    } else if (rc) {
        loop_fail(loop, "out of memory deciding an alert candidate");
    } else if (dec.fire) {
        nf_metric_add(loop->m.candidates, "alerted", 1);
        emit_decided(loop, &dec, loop->alert_buf.data, loop->alert_buf.len, &src, inflight);
    } else {
        nf_metric_add(loop->m.candidates, "duplicate", 1);
    }
    if (!loop->eos)
        nf_decider_checkpoint(loop->decider); /* nothing to roll back to */
    nf_inflight_unref(inflight);
    txn_count(loop, part, rkm->offset);
    rd_kafka_message_destroy(rkm);
    backpressure_update(loop);
}

static void on_message(void *opaque, rd_kafka_message_t *rkm)
{
    nf_loop_t *loop = opaque;
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    nf_part_t *part = part_find(loop, topic, rkm->partition);

    if (rkm->err) {
        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (part && !loop->replay)
                part->eof = true;
            rd_kafka_message_destroy(rkm);
            loop_check_eof(loop);
            return;
        }
        loop->stats.consumer_errors++;
        nf_log_ratelimited(NF_LOG_WARN, "loop", "consume-error", "consume error on %s [%d]: %s",
                           rkm->rkt ? topic : "-", (int)rkm->partition,
                           rd_kafka_message_errstr(rkm));
        rd_kafka_message_destroy(rkm);
        return;
    }
    if (loop->replay) {
        if (!part || replay_past_end(loop, part, rkm)) {
            rd_kafka_message_destroy(rkm);
            loop_check_eof(loop);
            return;
        }
        loop->range_done++;
        if (rkm->offset + 1 >=
            rd_kafka_topic_partition_list_find(loop->end, part->topic, part->partition)->offset) {
            part->eof = true;
            loop->parts_done++;
            nf_consumer_pause_partition(loop->consumer, part->topic, part->partition);
        }
    } else if (part) {
        part->eof = false;
    }
    if (loop->decider && !strcmp(topic, loop->t_candidates)) {
        on_candidate(loop, rkm, part);
        return;
    }
    loop->stats.consumed++;
    nf_metric_add(loop->m.consumed, NULL, 1);
    if (!loop->stats.first_input_us)
        loop->stats.first_input_us = nf_mono_us();
    nf_inflight_t *inflight = input_begin(loop, rkm, topic);
    if (!inflight)
        return;
    rd_kafka_timestamp_type_t tstype;
    nf_inflight_set_timestamp(inflight, rd_kafka_message_timestamp(rkm, &tstype));
    nf_source_t src = {
        .topic = topic,
        .partition = rkm->partition,
        .offset = rkm->offset,
        .timestamp_ms = rd_kafka_message_timestamp(rkm, &tstype),
    };
    nf_result_t *res = &loop->result;
    int rc;
    const nf_poison_t *poison = loop->eos ? poison_find(loop, rkm->partition, rkm->offset) : NULL;
    if (poison) {
        loop->stats.produce_failed++;
        nf_dlq_info_t info = {
            .reason = "produce_failed",
            .error = poison->error,
            .topic = topic,
            .partition = rkm->partition,
            .offset = rkm->offset,
            .timestamp_ms = src.timestamp_ms,
        };
        emit_dlq(loop, rkm->key, rkm->key_len, rkm->payload, rkm->len, &info, inflight);
        goto done;
    }
    if (!rkm->payload && rkm->key_len > 0)
        rc = deletion_by_key(res, rkm->key, rkm->key_len, &src);
    else {
        int64_t t0 = nf_mono_us();
        rc = nf_pipeline_process(loop->pipeline, rkm->payload, rkm->len, &src, res);
        nf_metric_observe(loop->m.processing, NULL, (double)(nf_mono_us() - t0) / 1e6);
    }
    if (rc == NF_OK && res->deleted) {
        emit_tombstones(loop, res, &src, inflight);
    } else if (rc == NF_OK) {
        loop->stats.enriched++;
        nf_metric_add(loop->m.enriched, NULL, 1);
        emit_alerts(loop, res, &src, inflight);
        if (emit_routed(loop, res, &src, inflight, backlog_behind(loop, rkm) ? rkm : NULL) ==
            NF_EREJECTED)
            dead_letter_refused(loop, rkm, inflight);
    } else {
        nf_dlq_info_t info = {
            .reason = res->reason,
            .error = res->error,
            .topic = topic,
            .partition = rkm->partition,
            .offset = rkm->offset,
            .timestamp_ms = src.timestamp_ms,
        };
        emit_dlq(loop, rkm->key, rkm->key_len, rkm->payload, rkm->len, &info, inflight);
    }
done:
    nf_inflight_unref(inflight);
    int64_t offset = rkm->offset;
    hold_input_done(loop, rkm);
    backpressure_update(loop);
    txn_count(loop, part, offset);
}

static void print_event(nf_loop_t *loop, const rd_kafka_message_t *rkm)
{
    if (!loop->print || strcmp(rd_kafka_topic_name(rkm->rkt), loop->t_enriched))
        return;
    fwrite(rkm->payload, 1, rkm->len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

static void on_delivery(void *opaque, const rd_kafka_message_t *rkm)
{
    nf_loop_t *loop = opaque;
    nf_inflight_t *inflight = rkm->_private;
    const char *topic = rd_kafka_topic_name(rkm->rkt);

    if (!rkm->err) {
        loop->stats.delivered++;
        loop->stats.last_delivery_us = nf_mono_us();
        nf_metric_add(loop->m.produced, topic, 1);
        int64_t ts = nf_inflight_timestamp(inflight);
        if (ts > 0 && !strcmp(topic, loop->t_enriched))
            nf_metric_observe(loop->m.latency, NULL, (double)(nf_wall_ms() - ts) / 1000.0);
        print_event(loop, rkm);
        nf_inflight_unref(inflight);
    } else if (loop->failed) {
        nf_inflight_unref(inflight);
    } else if (loop->eos) {
        /* The transaction cannot commit now: it will be aborted and the input
         * reprocessed. An output Kafka will never take marks its input for the
         * dead-letter topic on the second pass. */
        if (nf_producer_err_is_permanent(rkm->err) && loop->poison_n < POISON_MAX &&
            !poison_find(loop, nf_inflight_partition(inflight), nf_inflight_offset(inflight))) {
            nf_poison_t *pz = &loop->poison[loop->poison_n++];
            pz->partition = nf_inflight_partition(inflight);
            pz->offset = nf_inflight_offset(inflight);
            snprintf(pz->error, sizeof(pz->error), "producing to %s failed: %s", topic,
                     rd_kafka_err2str(rkm->err));
        }
        nf_log_ratelimited(NF_LOG_WARN, "loop", "txn-delivery",
                           "delivery to %s failed in a transaction (%s): it will be aborted", topic,
                           rd_kafka_err2str(rkm->err));
        nf_inflight_unref(inflight);
    } else if (nf_producer_err_is_permanent(rkm->err) && strcmp(topic, loop->t_dlq)) {
        loop->stats.produce_failed++;
        char error[300];
        snprintf(error, sizeof(error), "producing to %s failed: %s", topic,
                 rd_kafka_err2str(rkm->err));
        nf_dlq_info_t info = {
            .reason = "produce_failed",
            .error = error,
            .topic = nf_inflight_topic(inflight),
            .partition = nf_inflight_partition(inflight),
            .offset = nf_inflight_offset(inflight),
            .timestamp_ms = -1,
        };
        emit_dlq(loop, rkm->key, rkm->key_len, rkm->payload, rkm->len, &info, inflight);
        nf_inflight_unref(inflight);
    } else if (nf_producer_err_is_permanent(rkm->err)) {
        char why[300];
        snprintf(why, sizeof(why), "dead-letter topic %s refuses messages: %s", topic,
                 rd_kafka_err2str(rkm->err));
        nf_inflight_unref(inflight);
        loop_fail(loop, why);
    } else {
        /* Transient (timed out, broker gone for longer than message.timeout.ms, ...):
         * send the same bytes again. The reference moves to the new message. */
        loop->stats.resent++;
        nf_metric_add(loop->m.resent, NULL, 1);
        nf_log_ratelimited(NF_LOG_WARN, "loop", "resend",
                           "delivery to %s failed (%s): sending again", topic,
                           rd_kafka_err2str(rkm->err));
        rd_kafka_headers_t *hdrs = NULL, *copy = NULL;
        if (!rd_kafka_message_headers(rkm, &hdrs))
            copy = rd_kafka_headers_copy(hdrs);
        if (emit(loop, topic, rkm->key, rkm->key_len, rkm->payload, rkm->len, copy, inflight) ==
            NF_EREJECTED)
            loop_fail(loop, nf_producer_last_error(loop->producer));
        nf_inflight_unref(inflight);
    }
    if (loop->pending_n)
        pending_flush(loop);
    backpressure_update(loop);
    loop_check_eof(loop);
    loop_check_drained(loop);
}

static void on_producer_fatal(void *opaque, const char *reason)
{
    char why[600];
    snprintf(why, sizeof(why), "producer fatal error: %s", reason);
    loop_fail(opaque, why);
}

static void on_consumer_fatal(void *opaque, const char *reason)
{
    char why[600];
    snprintf(why, sizeof(why), "consumer fatal error: %s", reason);
    loop_fail(opaque, why);
}

static void on_assign(void *opaque, const rd_kafka_topic_partition_list_t *parts)
{
    nf_loop_t *loop = opaque;
    for (int i = 0; i < parts->cnt; i++) {
        if (part_find(loop, parts->elems[i].topic, parts->elems[i].partition))
            continue;
        if (loop->parts_n == loop->parts_cap) {
            int cap = loop->parts_cap ? loop->parts_cap * 2 : 16;
            nf_part_t *np = realloc(loop->parts, (size_t)cap * sizeof(*np));
            if (!np) {
                loop_fail(loop, "out of memory");
                return;
            }
            loop->parts = np;
            loop->parts_cap = cap;
        }
        nf_part_t *p = &loop->parts[loop->parts_n];
        p->topic = strdup(parts->elems[i].topic);
        if (!p->topic) {
            loop_fail(loop, "out of memory");
            return;
        }
        p->partition = parts->elems[i].partition;
        p->eof = false;
        p->txn_first = p->txn_next = -1;
        p->rebuild_until = -1;
        loop->parts_n++;
    }
}

/*
 * Before revoked partitions are unassigned, deliver everything in flight so that their
 * offsets are stored and committed by the unassign. Lost partitions already belong to
 * someone else: nothing may be stored for them.
 */
static void on_revoke(void *opaque, const rd_kafka_topic_partition_list_t *parts, bool lost)
{
    nf_loop_t *loop = opaque;
    hold_release(loop);
    if (loop->eos && loop->txn_open) {
        /* The revoked partitions' offsets must be committed (or their outputs
         * discarded) while this member still owns them. */
        if (lost)
            txn_abort(loop);
        else
            txn_commit(loop);
    }
    if (!lost && !loop->eos) {
        int64_t deadline = nf_mono_ms() + loop->conf->shutdown_timeout_ms;
        while ((loop->pending_n || nf_producer_outq_len(loop->producer) > 0) &&
               nf_mono_ms() < deadline) {
            pending_flush(loop);
            nf_producer_flush(loop->producer, 100);
        }
        if (nf_offsets_inflight(loop->offsets))
            nf_log(
                NF_LOG_WARN, "loop",
                "%zu message(s) still undelivered at revocation: the next owner will process them again",
                nf_offsets_inflight(loop->offsets));
    }
    /* Another member reports the lag of the partitions given up: drop every series,
     * and the next statistics (consumer/consumer.c) set those still assigned. */
    nf_metric_reset(loop->m.lag);
    for (int i = 0; i < parts->cnt; i++) {
        nf_offsets_drop_partition(loop->offsets, parts->elems[i].topic, parts->elems[i].partition);
        nf_part_t *p = part_find(loop, parts->elems[i].topic, parts->elems[i].partition);
        if (p) {
            free(p->topic);
            *p = loop->parts[--loop->parts_n];
        }
    }
}

static void loop_check_eof(nf_loop_t *loop)
{
    if (!(loop->conf->exit_on_eof || loop->replay) || loop->state != LOOP_RUNNING ||
        !loop->parts_n || nf_offsets_inflight(loop->offsets) || loop->pending_n)
        return;
    for (int i = 0; i < loop->parts_n; i++)
        if (!loop->parts[i].eof)
            return;
    nf_log(NF_LOG_INFO, "loop", "all %d assigned partition(s) at end and delivered: exiting",
           loop->parts_n);
    nf_loop_shutdown(loop);
}

static void log_stats(nf_loop_t *loop, const char *what)
{
    double secs = (double)(nf_mono_ms() - loop->started_ms) / 1000.0;
    /* The active period, first input to last delivery, excludes start-up and idle time. */
    double active = loop->stats.first_input_us && loop->stats.last_delivery_us
                        ? (double)(loop->stats.last_delivery_us - loop->stats.first_input_us) / 1e6
                        : 0;
    nf_log(NF_LOG_INFO, "loop",
           "%s: consumed %" PRIu64 ", enriched %" PRIu64 ", dead-lettered %" PRIu64
           ", delivered %" PRIu64 ", resent %" PRIu64 ", in flight %zu, %s, %.1f s; active %.3f s"
           " (%.0f msg/s)",
           what, loop->stats.consumed, loop->stats.enriched, loop->stats.dead_lettered,
           loop->stats.delivered, loop->stats.resent, nf_offsets_inflight(loop->offsets),
           nf_consumer_is_paused(loop->consumer) ? "paused" : "flowing", secs, active,
           active > 0 ? (double)loop->stats.consumed / active : 0.0);
    if (loop->eos)
        nf_log(NF_LOG_INFO, "loop",
               "%s: transactions: %" PRIu64 " committed, %" PRIu64
               " aborted; loop blocked in commits %.1f ms in all, %.1f ms at most; outputs "
               "delivered before a commit within %.1f ms at most (loop running)",
               what, loop->stats.txn_commits, loop->stats.txn_aborts,
               (double)loop->stats.txn_commit_total_us / 1000.0,
               (double)loop->stats.txn_commit_max_us / 1000.0,
               (double)loop->stats.txn_drain_max_us / 1000.0);
}

static void on_stats(evutil_socket_t fd, short what, void *arg)
{
    log_stats(arg, "progress");
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
    nf_loop_t *loop = arg;
    loop->heartbeat_ms = nf_mono_ms();
}

int nf_loop_assigned(const nf_loop_t *loop)
{
    return nf_consumer_assigned_count(loop->consumer);
}

int nf_loop_brokers_up(const nf_loop_t *loop)
{
    return nf_consumer_brokers_up(loop->consumer);
}

int64_t nf_loop_heartbeat_ms(const nf_loop_t *loop)
{
    return loop->heartbeat_ms;
}

/* Last step of shutdown: commit what is stored, leave the group, stop the loop. */
static void loop_finish(nf_loop_t *loop)
{
    if (loop->state == LOOP_DONE)
        return;
    hold_release(loop);
    loop->state = LOOP_DONE;
    if (loop->eos && loop->txn_open && !loop->failed && txn_commit(loop) == NF_EABORT)
        nf_log(NF_LOG_WARN, "loop",
               "the last transaction was aborted: its input will be processed again");
    if (nf_offsets_inflight(loop->offsets) && !loop->eos) {
        nf_log(
            NF_LOG_WARN, "loop",
            "%zu message(s) not delivered before shutdown: their offsets are not committed and they will be processed again",
            nf_offsets_inflight(loop->offsets));
        if (loop->rc == NF_OK)
            loop->rc = NF_ETIMEDOUT;
    }
    if (!loop->failed && !loop->eos) {
        /* The coordinator may be briefly unreachable, or the group rebalancing (the
         * commit then fails with a stale generation until this member has served the
         * rebalance): keep serving the consumer and trying until the shutdown timeout
         * rather than leave delivered work to be processed again. */
        int64_t deadline = nf_mono_ms() + loop->conf->shutdown_timeout_ms;
        while (nf_consumer_commit(loop->consumer) != NF_OK) {
            if (nf_mono_ms() >= deadline) {
                nf_log(
                    NF_LOG_WARN, "loop",
                    "final commit failed until shutdown.timeout.ms: the last delivered messages will be processed again");
                if (loop->rc == NF_OK)
                    loop->rc = NF_ETIMEDOUT;
                break;
            }
            nf_consumer_serve(loop->consumer, 250);
        }
    }
    nf_consumer_close(loop->consumer);
    if (loop->replay && evtimer_pending(loop->ev_progress, NULL))
        progress_print(loop, true);
    log_stats(loop, "stopped");
    event_base_loopexit(loop->base, NULL);
}

static void on_shutdown_timeout(evutil_socket_t fd, short what, void *arg)
{
    nf_log(NF_LOG_WARN, "loop", "shutdown.timeout.ms reached with outputs undelivered");
    loop_finish(arg);
}

static void on_finish(evutil_socket_t fd, short what, void *arg)
{
    loop_finish(arg);
}

/* Finishing blocks (commit, group leave) and re-enters the consumer, so it never runs
 * inside a consumer or producer callback: it is scheduled as an event of its own. */
static void loop_check_drained(nf_loop_t *loop)
{
    /* Exactly-once does not wait: the final commit flushes everything. */
    if (loop->state == LOOP_DRAINING &&
        (loop->eos || loop->failed || (!loop->pending_n && !nf_offsets_inflight(loop->offsets))))
        event_active(loop->ev_finish, EV_TIMEOUT, 0);
}

void nf_loop_shutdown(nf_loop_t *loop)
{
    if (loop->state != LOOP_RUNNING)
        return;
    nf_log(NF_LOG_INFO, "loop", "shutting down: %zu message(s) in flight",
           nf_offsets_inflight(loop->offsets));
    loop->state = LOOP_DRAINING;
    nf_consumer_stop_reading(loop->consumer);
    struct timeval tv = {loop->conf->shutdown_timeout_ms / 1000,
                         (loop->conf->shutdown_timeout_ms % 1000) * 1000};
    event_add(loop->ev_shutdown_timer, &tv);
    loop_check_drained(loop);
}

/* Registers the loop's Prometheus metrics (docs/operations.md lists them). */
static int loop_metrics_init(nf_loop_t *loop)
{
    static const double seconds[] = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                     0.0025,  0.005,    0.01,    0.025,  0.05,    0.1,    0.25,
                                     0.5,     1,        2.5,     5,      10,      30,     60};
    int nb = (int)(sizeof(seconds) / sizeof(seconds[0]));
    nf_metrics_t *r = loop->metrics = nf_metrics_new();
    if (!r)
        return NF_ENOMEM;
    loop->m.consumed = nf_metric_new(r, NF_METRIC_COUNTER, "newsflow_messages_consumed_total",
                                     "Input messages consumed.", NULL, NULL, 0);
    loop->m.enriched =
        nf_metric_new(r, NF_METRIC_COUNTER, "newsflow_events_enriched_total",
                      "Enriched events produced (one per valid input).", NULL, NULL, 0);
    loop->m.category =
        nf_metric_new(r, NF_METRIC_COUNTER, "newsflow_events_by_category_total",
                      "Enriched events per assigned category (other: none).", "category", NULL, 0);
    loop->m.dead =
        nf_metric_new(r, NF_METRIC_COUNTER, "newsflow_dead_letters_total",
                      "Inputs sent to the dead-letter topic, by reason.", "reason", NULL, 0);
    loop->m.deleted = nf_metric_new(r, NF_METRIC_COUNTER, "newsflow_deletions_total",
                                    "Deletion events turned into tombstones.", NULL, NULL, 0);
    loop->m.produced = nf_metric_new(r, NF_METRIC_COUNTER, "newsflow_messages_produced_total",
                                     "Output messages delivered, by topic.", "topic", NULL, 0);
    loop->m.resent =
        nf_metric_new(r, NF_METRIC_COUNTER, "newsflow_messages_resent_total",
                      "Outputs sent again after a transient delivery failure.", NULL, NULL, 0);
    loop->m.processing = nf_metric_new(r, NF_METRIC_HISTOGRAM, "newsflow_processing_seconds",
                                       "Time in the pipeline (decode to encode) per input message.",
                                       NULL, seconds, nb);
    loop->m.latency =
        nf_metric_new(r, NF_METRIC_HISTOGRAM, "newsflow_end_to_end_latency_seconds",
                      "From the input message's timestamp to the delivery of its enriched event.",
                      NULL, seconds, nb);
    loop->m.lag =
        nf_metric_new(r, NF_METRIC_GAUGE, "newsflow_consumer_lag_messages",
                      "Consumer lag per input partition (high watermark minus committed offset).",
                      "partition", NULL, 0);
    loop->m.inflight =
        nf_metric_new(r, NF_METRIC_GAUGE, "newsflow_inflight_messages",
                      "Input messages whose outputs are not yet delivered.", NULL, NULL, 0);
    loop->m.queue = nf_metric_new(r, NF_METRIC_GAUGE, "newsflow_producer_queue_messages",
                                  "Messages in the producer's queue.", NULL, NULL, 0);
    loop->m.paused = nf_metric_new(r, NF_METRIC_GAUGE, "newsflow_consumer_paused",
                                   "1 while input is paused for backpressure.", NULL, NULL, 0);
    loop->m.assigned = nf_metric_new(r, NF_METRIC_GAUGE, "newsflow_assigned_partitions",
                                     "Input partitions assigned to this instance.", NULL, NULL, 0);
    loop->m.brokers = nf_metric_new(r, NF_METRIC_GAUGE, "newsflow_brokers_up",
                                    "Brokers the consumer is connected to.", NULL, NULL, 0);
    loop->m.rebalances = nf_metric_new(r, NF_METRIC_COUNTER, "newsflow_rebalances_total",
                                       "Consumer group rebalance events served.", NULL, NULL, 0);
    loop->m.txn =
        nf_metric_new(r, NF_METRIC_COUNTER, "newsflow_transactions_total",
                      "Exactly-once transactions, by result (commit, abort).", "result", NULL, 0);
    loop->m.txn_seconds =
        nf_metric_new(r, NF_METRIC_HISTOGRAM, "newsflow_transaction_commit_seconds",
                      "Time the loop blocked in each transaction commit.", NULL, seconds, nb);
    loop->m.alerts = nf_metric_new(r, NF_METRIC_COUNTER, "newsflow_alerts_total",
                                   "Alerts fired, by rule.", "rule", NULL, 0);
    loop->m.candidates = nf_metric_new(
        r, NF_METRIC_COUNTER, "newsflow_alert_candidates_total",
        "Alert candidates, by outcome: sent (by this member), alerted, duplicate (of a story "
        "already alerted for the rule), invalid (dead-lettered), rebuilt (re-read after a "
        "rebalance).",
        "outcome", NULL, 0);
    loop->m.webhooks =
        nf_metric_new(r, NF_METRIC_COUNTER, "newsflow_webhook_deliveries_total",
                      "Webhook deliveries, by result (ok, failed).", "result", NULL, 0);
    loop->m.build = nf_metric_new(r, NF_METRIC_GAUGE, "newsflow_build_info",
                                  "Build information (always 1).", "version", NULL, 0);
    if (!loop->m.consumed || !loop->m.enriched || !loop->m.category || !loop->m.dead ||
        !loop->m.deleted || !loop->m.produced || !loop->m.resent || !loop->m.processing ||
        !loop->m.latency || !loop->m.lag || !loop->m.inflight || !loop->m.queue ||
        !loop->m.paused || !loop->m.assigned || !loop->m.brokers || !loop->m.rebalances ||
        !loop->m.txn || !loop->m.txn_seconds || !loop->m.build || !loop->m.alerts ||
        !loop->m.webhooks || !loop->m.candidates)
        return NF_ENOMEM;
    nf_metric_set(loop->m.build, NF_VERSION, 1);
    return NF_OK;
}

nf_metrics_t *nf_loop_metrics(nf_loop_t *loop)
{
    /* Gauges that are cheaper to read at scrape time than to keep current. */
    nf_metric_set(loop->m.inflight, NULL, (double)nf_offsets_inflight(loop->offsets));
    nf_metric_set(loop->m.queue, NULL, nf_producer_outq_len(loop->producer));
    nf_metric_set(loop->m.paused, NULL, nf_consumer_is_paused(loop->consumer));
    nf_metric_set(loop->m.assigned, NULL, nf_consumer_assigned_count(loop->consumer));
    nf_metric_set(loop->m.brokers, NULL, nf_consumer_brokers_up(loop->consumer));
    nf_metric_set(loop->m.rebalances, NULL, (double)nf_consumer_rebalances(loop->consumer));
    return loop->metrics;
}

static void on_rewind(void *opaque, const char *topic, int32_t partition, int64_t from,
                      int64_t committed)
{
    nf_part_t *p = part_find(opaque, topic, partition);
    if (p)
        p->rebuild_until = committed;
    (void)from;
}

static void on_lag(void *opaque, const char *topic, int32_t partition, int64_t lag)
{
    nf_loop_t *loop = opaque;
    char label[16];
    snprintf(label, sizeof(label), "%d", (int)partition);
    nf_metric_set(loop->m.lag, label, (double)lag);
}

static char *topic_name(const char *base, const char *suffix)
{
    if (!*base)
        return strdup("");
    size_t n = strlen(base) + (suffix ? strlen(suffix) : 0) + 1;
    char *name = malloc(n);
    if (name)
        snprintf(name, n, "%s%s", base, suffix ? suffix : "");
    return name;
}

nf_loop_t *nf_loop_new(const nf_config_t *conf, struct event_base *base, nf_pipeline_t *pipeline,
                       const nf_loop_replay_t *replay, char *errstr, size_t errstr_size)
{
    nf_loop_t *loop = calloc(1, sizeof(*loop));
    if (!loop) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    loop->conf = conf;
    loop->base = base;
    loop->pipeline = pipeline;
    loop->started_ms = nf_mono_ms();
    snprintf(loop->ce_source, sizeof(loop->ce_source), "/newsflow/%s", conf->input_topic);
    TAILQ_INIT(&loop->pending);
    TAILQ_INIT(&loop->held);
    loop->offsets = nf_offsets_new(on_store, loop);
    loop->ev_shutdown_timer = evtimer_new(base, on_shutdown_timeout, loop);
    loop->ev_stats = event_new(base, -1, EV_PERSIST, on_stats, loop);
    loop->ev_finish = evtimer_new(base, on_finish, loop);
    loop->eos = conf->guarantee == NF_EXACTLY_ONCE;
    loop->ev_txn = event_new(base, -1, EV_PERSIST, on_txn_timer, loop);
    loop->ev_drain = evtimer_new(base, on_drain, loop);
    loop->ev_kick = evtimer_new(base, on_kick, loop);
    loop->ev_progress = event_new(base, -1, EV_PERSIST, on_progress, loop);
    const char *suffix = replay ? replay->topic_suffix : NULL;
    loop->t_enriched = topic_name(conf->enriched_topic, suffix);
    loop->t_dlq = topic_name(conf->dlq_topic, suffix);
    loop->t_alerts = topic_name(conf->alerts_topic, suffix);
    bool names_ok = loop->t_enriched && loop->t_dlq && loop->t_alerts;
    for (int i = 0; i < 4; i++)
        names_ok = names_ok && (loop->t_route[i] = topic_name(conf->route_topic[i], suffix));
    if (!loop->offsets || !loop->ev_shutdown_timer || !loop->ev_stats || !loop->ev_finish ||
        !loop->ev_txn || !loop->ev_drain || !loop->ev_kick || !loop->ev_progress || !names_ok) {
        snprintf(errstr, errstr_size, "out of memory");
        goto err;
    }
    if (loop_metrics_init(loop)) {
        snprintf(errstr, errstr_size, "out of memory");
        goto err;
    }
    if (replay) {
        loop->replay = true;
        loop->end = rd_kafka_topic_partition_list_copy(replay->end);
        loop->rate = replay->rate;
        loop->tokens = 1;
        loop->tokens_at_us = nf_mono_us();
        for (int i = 0; i < replay->start->cnt; i++) {
            const rd_kafka_topic_partition_t *e = rd_kafka_topic_partition_list_find(
                replay->end, replay->start->elems[i].topic, replay->start->elems[i].partition);
            if (e)
                loop->range_total += e->offset - replay->start->elems[i].offset;
        }
        if (replay->progress) {
            loop->progress_tty = isatty(STDERR_FILENO);
            struct timeval ptv = {0, loop->progress_tty ? 250000 : 0};
            if (!loop->progress_tty)
                ptv.tv_sec = 5;
            event_add(loop->ev_progress, &ptv);
        }
        snprintf(loop->ce_source, sizeof(loop->ce_source), "/newsflow/%s/replay",
                 conf->input_topic);
    }
    struct timeval stats_tv = {30, 0}, beat_tv = {1, 0};
    event_add(loop->ev_stats, &stats_tv);
    loop->ev_heartbeat = event_new(base, -1, EV_PERSIST, on_heartbeat, loop);
    if (!loop->ev_heartbeat || event_add(loop->ev_heartbeat, &beat_tv)) {
        snprintf(errstr, errstr_size, "out of memory");
        goto err;
    }
    loop->heartbeat_ms = nf_mono_ms();

    loop->producer =
        nf_producer_new(conf, base, on_delivery, on_producer_fatal, loop, errstr, errstr_size);
    if (!loop->producer)
        goto err;
    nf_consumer_handlers_t handlers = {
        .on_message = on_message,
        .on_assign = on_assign,
        .on_revoke = on_revoke,
        .on_fatal = on_consumer_fatal,
        .may_consume = (replay && replay->rate > 0) || loop->eos ? may_consume : NULL,
        .on_lag = on_lag,
        .on_rewind = on_rewind,
        .on_drained = on_drained,
    };
    if (loop->eos) {
        /* Fences any earlier producer with this transactional.id. */
        if (nf_producer_txn_init(loop->producer, 60000)) {
            snprintf(
                errstr, errstr_size,
                "cannot initialise transactions (see the error above; is the broker reachable, and transactional.id unique to this instance?)");
            goto err;
        }
        int64_t ms = conf->txn_interval_ms < 50 ? conf->txn_interval_ms : 50;
        struct timeval txn_tv = {ms / 1000, (ms % 1000) * 1000};
        event_add(loop->ev_txn, &txn_tv);
    }
    /*
     * One member decides each alert for the whole group (pipeline/decider.h), unless the
     * candidates topic is unset, alerts are off, or this is a replay (which runs alone,
     * and alerts only with replay.alerts).
     */
    nf_consumer_rewind_t rewind = {.topic = conf->alerts_candidates_topic,
                                   .window_ms = conf->story_window_ms};
    bool candidates =
        !replay && *conf->alerts_candidates_topic && nf_pipeline_alert_rules(pipeline) != NULL;
    if (candidates) {
        if (!strcmp(conf->alerts_candidates_topic, conf->input_topic)) {
            snprintf(errstr, errstr_size,
                     "alerts.candidates.topic must not be the input topic (%s)", conf->input_topic);
            goto err;
        }
        nf_decider_opts_t dopts = {.window_ms = conf->story_window_ms,
                                   .max_entries = (uint32_t)conf->story_max_entries};
        loop->decider = nf_decider_new(&dopts, errstr, errstr_size);
        loop->t_candidates = strdup(conf->alerts_candidates_topic);
        if (!loop->decider || !loop->t_candidates) {
            if (loop->decider)
                snprintf(errstr, errstr_size, "out of memory");
            goto err;
        }
    }
    loop->consumer = nf_consumer_new(conf, base, &handlers, loop, replay ? replay->start : NULL,
                                     candidates ? &rewind : NULL, errstr, errstr_size);
    if (!loop->consumer)
        goto err;
    return loop;

err:
    nf_loop_destroy(loop);
    return NULL;
}

void nf_loop_destroy(nf_loop_t *loop)
{
    if (!loop)
        return;
    /* Inputs held with their outputs (a loop that never finished) go back first. */
    for (int i = 0; i < loop->held_inputs_n; i++)
        rd_kafka_message_destroy(loop->held_inputs[i]);
    /* Consumer first: its close may still call back into the loop. */
    nf_consumer_destroy(loop->consumer);
    nf_pending_t *pd;
    while ((pd = TAILQ_FIRST(&loop->pending))) {
        TAILQ_REMOVE(&loop->pending, pd, link);
        pending_free(pd);
    }
    while ((pd = TAILQ_FIRST(&loop->held))) {
        TAILQ_REMOVE(&loop->held, pd, link);
        pending_free(pd);
    }
    nf_webhook_destroy(loop->webhook);
    nf_producer_destroy(loop->producer);
    nf_offsets_destroy(loop->offsets);
    nf_result_free(&loop->result);
    for (int i = 0; i < loop->parts_n; i++)
        free(loop->parts[i].topic);
    free(loop->parts);
    if (loop->ev_stats)
        event_free(loop->ev_stats);
    if (loop->ev_heartbeat)
        event_free(loop->ev_heartbeat);
    if (loop->ev_shutdown_timer)
        event_free(loop->ev_shutdown_timer);
    if (loop->ev_finish)
        event_free(loop->ev_finish);
    if (loop->ev_txn)
        event_free(loop->ev_txn);
    if (loop->ev_drain)
        event_free(loop->ev_drain);
    if (loop->ev_kick)
        event_free(loop->ev_kick);
    if (loop->ev_progress)
        event_free(loop->ev_progress);
    if (loop->end)
        rd_kafka_topic_partition_list_destroy(loop->end);
    nf_metrics_destroy(loop->metrics);
    free(loop->t_enriched);
    free(loop->t_dlq);
    free(loop->t_alerts);
    free(loop->t_candidates);
    nf_decider_destroy(loop->decider);
    nf_buf_free(&loop->cand_buf);
    nf_buf_free(&loop->alert_buf);
    for (int i = 0; i < 4; i++)
        free(loop->t_route[i]);
    free(loop);
}

int nf_loop_run(nf_loop_t *loop)
{
    loop->print = loop->conf->output_print == NF_OUTPUT_PRINT_ON;
    loop->started_ms = nf_mono_ms();
    if (event_base_dispatch(loop->base) < 0)
        return NF_EFATAL;
    return loop->rc;
}

const nf_loop_stats_t *nf_loop_stats(const nf_loop_t *loop)
{
    return &loop->stats;
}

struct nf_consumer *nf_loop_consumer(nf_loop_t *loop)
{
    return loop->consumer;
}

struct nf_producer *nf_loop_producer(nf_loop_t *loop)
{
    return loop->producer;
}
