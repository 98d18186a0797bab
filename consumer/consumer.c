/*
 * consumer: group membership, cooperative rebalancing and the io-event wiring that lets
 * a libevent loop drive librdkafka without busy polling (see consumer.h).
 *
 * librdkafka writes one byte to our pipe only when the consumer queue goes from empty
 * to non-empty, so every wake-up must either drain the queue to empty or re-arm itself:
 * when a batch limit is hit the read event is activated again by hand, which gives
 * other events (deliveries, timers, signals) a turn between batches without ever
 * missing a wake-up. The periodic timer polls with a zero timeout as a safety net and to
 * keep max.poll.interval.ms satisfied while paused.
 *
 * The lag it reports must agree with the broker's view (ConsumerGroupCommand
 * --describe): log-end offset minus committed offset. librdkafka's own consumer_lag
 * statistic uses the end offset it last saw in a fetch response, and a paused partition
 * is not fetched, so while input is paused for backpressure (exactly when the lag
 * matters) it goes stale and under-reports. A thread of its own therefore looks up the
 * end offsets of the assigned input partitions every statistics interval (ListOffsets,
 * blocking, so not on the loop), and the lag uses the newer of the two.
 */
#include "consumer.h"

#include <cjson/cJSON.h>

#include "err.h"
#include "kafka.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct nf_consumer {
    rd_kafka_t *rk;
    rd_kafka_queue_t *queue;
    struct event *ev_read;
    struct event *ev_more; /* zero-timeout timer: continue draining next loop turn */
    struct event *ev_timer;
    int pipefd[2];
    nf_consumer_handlers_t handlers;
    void *opaque;
    int batch_max;
    bool reading;
    bool paused;
    bool manual; /* assigned, not subscribed */
    int assigned;
    int brokers_up;
    uint64_t rebalances;
    char *rewind_topic; /* NULL: none */
    int64_t rewind_ms;
    char *input_topic;

    /* End offsets of the assigned input partitions (see the top of this file), indexed
     * by partition: end[p] -1 while unknown. Under end_lock; the thread sleeps on
     * end_cond for end_interval_ms between look-ups. */
    pthread_mutex_t end_lock;
    pthread_cond_t end_cond;
    pthread_t end_thread;
    bool end_running, end_stop;
    int end_interval_ms;
    int end_size;
    bool *end_assigned;
    int64_t *end;
};

/* Marks input partitions assigned (or not): the end-offset thread looks them up. */
static void end_track(nf_consumer_t *c, const rd_kafka_topic_partition_list_t *parts, bool assigned)
{
    pthread_mutex_lock(&c->end_lock);
    for (int i = 0; i < parts->cnt; i++) {
        int32_t p = parts->elems[i].partition;
        if (strcmp(parts->elems[i].topic, c->input_topic) || p < 0)
            continue;
        if (p >= c->end_size) {
            int size = p + 16;
            bool *na = realloc(c->end_assigned, (size_t)size * sizeof(*na));
            if (na)
                c->end_assigned = na;
            int64_t *ne = na ? realloc(c->end, (size_t)size * sizeof(*ne)) : NULL;
            if (!ne)
                continue; /* out of memory: librdkafka's view only */
            c->end = ne;
            for (int j = c->end_size; j < size; j++) {
                c->end_assigned[j] = false;
                c->end[j] = -1;
            }
            c->end_size = size;
        }
        c->end_assigned[p] = assigned;
        c->end[p] = -1;
    }
    if (assigned)
        pthread_cond_signal(&c->end_cond); /* look the new ones up now */
    pthread_mutex_unlock(&c->end_lock);
}

/* Whether an input partition is assigned here; if so *end is its looked-up end offset,
 * or -1 while unknown. */
static bool end_get(nf_consumer_t *c, int32_t partition, int64_t *end)
{
    pthread_mutex_lock(&c->end_lock);
    bool assigned = partition >= 0 && partition < c->end_size && c->end_assigned[partition];
    *end = assigned ? c->end[partition] : -1;
    pthread_mutex_unlock(&c->end_lock);
    return assigned;
}

static void *end_thread(void *arg)
{
    nf_consumer_t *c = arg;
    pthread_mutex_lock(&c->end_lock);
    while (!c->end_stop) {
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(4);
        for (int p = 0; p < c->end_size; p++)
            if (c->end_assigned[p]) /* offset -1: the latest offset (ListOffsets) */
                rd_kafka_topic_partition_list_add(parts, c->input_topic, p)->offset =
                    RD_KAFKA_OFFSET_END;
        pthread_mutex_unlock(&c->end_lock);
        /* The log-end offset, or the last stable offset with read_committed, as
         * librdkafka's statistics use; one request per leader. */
        rd_kafka_resp_err_t err =
            parts->cnt ? rd_kafka_offsets_for_times(c->rk, parts, 5000) : RD_KAFKA_RESP_ERR__NOENT;
        pthread_mutex_lock(&c->end_lock);
        for (int i = 0; !err && i < parts->cnt; i++) {
            int32_t p = parts->elems[i].partition;
            if (!parts->elems[i].err && parts->elems[i].offset >= 0 && p < c->end_size &&
                c->end_assigned[p])
                c->end[p] = parts->elems[i].offset;
        }
        rd_kafka_topic_partition_list_destroy(parts);
        if (c->end_stop)
            break;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += c->end_interval_ms / 1000;
        until.tv_nsec += (long)(c->end_interval_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&c->end_cond, &c->end_lock, &until);
    }
    pthread_mutex_unlock(&c->end_lock);
    return NULL;
}

static void end_thread_stop(nf_consumer_t *c)
{
    if (!c->end_running)
        return;
    pthread_mutex_lock(&c->end_lock);
    c->end_stop = true;
    pthread_cond_signal(&c->end_cond);
    pthread_mutex_unlock(&c->end_lock);
    pthread_join(c->end_thread, NULL);
    c->end_running = false;
}

typedef struct rewound {
    int32_t partition;
    int64_t from, committed;
} rewound_t;

/*
 * For the assigned partitions of the rewound topic, moves the start one window of time
 * before the committed offset (offsets-for-times), so that their new owner can rebuild
 * its state from what the previous owner already handled. Blocking lookups, in the
 * rebalance callback: the member cannot consume those partitions before knowing where
 * to start anyway. Returns the partitions moved (caller frees), *n of them.
 */
static rewound_t *rewind_prepare(nf_consumer_t *c, rd_kafka_topic_partition_list_t *parts, int *n)
{
    *n = 0;
    if (!c->rewind_topic)
        return NULL;
    rd_kafka_topic_partition_list_t *committed = rd_kafka_topic_partition_list_new(4);
    for (int i = 0; i < parts->cnt; i++)
        if (!strcmp(parts->elems[i].topic, c->rewind_topic))
            rd_kafka_topic_partition_list_add(committed, c->rewind_topic,
                                              parts->elems[i].partition);
    rd_kafka_topic_partition_list_t *times = NULL;
    rewound_t *out = NULL;
    if (committed->cnt == 0)
        goto done;
    rd_kafka_resp_err_t err = rd_kafka_committed(c->rk, committed, 10000);
    if (err) {
        nf_log(NF_LOG_WARN, "consumer", "%s: cannot read committed offsets (%s): state not rebuilt",
               c->rewind_topic, rd_kafka_err2str(err));
        goto done;
    }
    times = rd_kafka_topic_partition_list_copy(committed);
    int64_t since = nf_wall_ms() - c->rewind_ms;
    for (int j = 0; j < times->cnt; j++)
        times->elems[j].offset = since > 0 ? since : 0;
    err = rd_kafka_offsets_for_times(c->rk, times, 10000);
    if (err) {
        nf_log(NF_LOG_WARN, "consumer",
               "%s: cannot look up offsets by time (%s): state not rebuilt", c->rewind_topic,
               rd_kafka_err2str(err));
        goto done;
    }
    out = calloc((size_t)committed->cnt, sizeof(*out));
    if (!out)
        goto done;
    for (int j = 0; j < committed->cnt; j++) {
        int64_t from = times->elems[j].err ? -1 : times->elems[j].offset;
        int64_t upto = committed->elems[j].err ? -1 : committed->elems[j].offset;
        if (from < 0 || upto < 0 || from >= upto)
            continue;
        rd_kafka_topic_partition_t *e = rd_kafka_topic_partition_list_find(
            parts, c->rewind_topic, committed->elems[j].partition);
        if (!e)
            continue;
        e->offset = from;
        out[*n].partition = e->partition;
        out[*n].from = from;
        out[*n].committed = upto;
        (*n)++;
    }
done:
    if (times)
        rd_kafka_topic_partition_list_destroy(times);
    rd_kafka_topic_partition_list_destroy(committed);
    return out;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    nf_consumer_t *c = opaque;
    bool cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t ret = RD_KAFKA_RESP_ERR_NO_ERROR;
    c->rebalances++;

    switch (err) {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
        nf_log(NF_LOG_INFO, "consumer", "assigned %d partition(s) (%s)", parts->cnt,
               cooperative ? "incremental" : "eager");
        int nrew = 0;
        rewound_t *rew = rewind_prepare(c, parts, &nrew);
        if (cooperative)
            error = rd_kafka_incremental_assign(rk, parts);
        else
            ret = rd_kafka_assign(rk, parts);
        if (!error && !ret) {
            c->assigned = cooperative ? c->assigned + parts->cnt : parts->cnt;
            end_track(c, parts, true);
            if (c->paused)
                rd_kafka_pause_partitions(rk, parts);
            if (c->handlers.on_assign)
                c->handlers.on_assign(c->opaque, parts);
            for (int i = 0; i < nrew; i++) {
                nf_log(NF_LOG_INFO, "consumer",
                       "%s [%" PRId32 "]: re-reading offsets %" PRId64 " to %" PRId64
                       " to rebuild state",
                       c->rewind_topic, rew[i].partition, rew[i].from, rew[i].committed);
                if (c->handlers.on_rewind)
                    c->handlers.on_rewind(c->opaque, c->rewind_topic, rew[i].partition, rew[i].from,
                                          rew[i].committed);
            }
        }
        free(rew);
        break;
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS: {
        bool lost = rd_kafka_assignment_lost(rk);
        nf_log(lost ? NF_LOG_WARN : NF_LOG_INFO, "consumer", "%s %d partition(s)",
               lost ? "lost" : "revoking", parts->cnt);
        if (c->handlers.on_revoke)
            c->handlers.on_revoke(c->opaque, parts, lost);
        /* With enable.auto.commit, librdkafka commits the stored offsets of removed
         * partitions as part of the unassign: no explicit commit inside the rebalance,
         * which librdkafka 2.0.2 mishandles for cooperative groups (the member can lose
         * its assignment). In 2.0.2 that unassign commit can itself fail with a stale
         * generation when the rebalance was started by another member (tried: a commit
         * here, retried, fails the same way): the next owner then processes again what
         * was delivered since the last periodic commit (auto.commit.interval.ms,
         * 1000 ms by default here). Exactly-once mode is not affected. */
        if (cooperative)
            error = rd_kafka_incremental_unassign(rk, parts);
        else
            ret = rd_kafka_assign(rk, NULL);
        end_track(c, parts, false);
        c->assigned = cooperative ? c->assigned - parts->cnt : 0;
        if (c->assigned < 0)
            c->assigned = 0;
        break;
    }
    default:
        nf_log(NF_LOG_ERROR, "consumer", "rebalance failed: %s", rd_kafka_err2str(err));
        if (c->handlers.on_revoke)
            c->handlers.on_revoke(c->opaque, parts, true);
        ret = rd_kafka_assign(rk, NULL);
        end_track(c, parts, false);
        c->assigned = 0;
        break;
    }
    if (error) {
        nf_log(NF_LOG_ERROR, "consumer", "incremental rebalance failed: %s",
               rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else if (ret) {
        nf_log(NF_LOG_ERROR, "consumer", "rebalance assign failed: %s", rd_kafka_err2str(ret));
    }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    nf_consumer_t *c = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char fatal[512];
        rd_kafka_resp_err_t ferr = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
        nf_log(NF_LOG_ERROR, "consumer", "fatal error: %s: %s", rd_kafka_err2name(ferr), fatal);
        if (c->handlers.on_fatal)
            c->handlers.on_fatal(c->opaque, fatal);
        return;
    }
    char why[1024];
    if (nf_kafka_auth_failed(rk, err, reason, why, sizeof(why))) {
        nf_log(NF_LOG_ERROR, "consumer", "%s", why);
        if (c->handlers.on_fatal)
            c->handlers.on_fatal(c->opaque, why);
        return;
    }
    nf_log_ratelimited(NF_LOG_WARN, "consumer", reason, "%s: %s",
                       rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* A number from a statistics object, or -1. */
static int64_t stat_int(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
}

/*
 * librdkafka's statistics (statistics.interval.ms): per-partition consumer lag of the
 * input topic, which is the log-end offset minus the committed offset, as
 * ConsumerGroupCommand reports it (the end offset is the newer of librdkafka's and the
 * end-offset thread's), and how many brokers are connected. Partitions of other topics
 * (the alert candidates) are not the input's lag and would collide on the label.
 */
static int stats_cb(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
    nf_consumer_t *c = opaque;
    cJSON *root = cJSON_ParseWithLength(json, json_len);
    if (!root)
        return 0;
    const cJSON *brokers = cJSON_GetObjectItemCaseSensitive(root, "brokers");
    const cJSON *b;
    int up = 0;
    cJSON_ArrayForEach(b, brokers)
    {
        const cJSON *state = cJSON_GetObjectItemCaseSensitive(b, "state");
        const cJSON *nodeid = cJSON_GetObjectItemCaseSensitive(b, "nodeid");
        if (cJSON_IsString(state) && !strcmp(state->valuestring, "UP") && cJSON_IsNumber(nodeid) &&
            nodeid->valuedouble >= 0)
            up++;
    }
    c->brokers_up = up;
    const cJSON *topics = cJSON_GetObjectItemCaseSensitive(root, "topics");
    const cJSON *t;
    cJSON_ArrayForEach(t, topics)
    {
        if (!t->string || strcmp(t->string, c->input_topic))
            continue;
        const cJSON *parts = cJSON_GetObjectItemCaseSensitive(t, "partitions");
        const cJSON *p;
        cJSON_ArrayForEach(p, parts)
        {
            int64_t id = stat_int(p, "partition"), lag = stat_int(p, "consumer_lag"),
                    committed = stat_int(p, "committed_offset"), looked_up;
            /* librdkafka keeps reporting a partition after it is revoked (fetch_state
             * "stopped"): only the assigned ones are this member's to report. */
            if (id < 0 || id > INT32_MAX || committed < 0 || !end_get(c, (int32_t)id, &looked_up))
                continue;
            int64_t end = lag >= 0 ? committed + lag : -1;
            if (looked_up > end)
                end = looked_up;
            if (end < 0)
                continue;
            if (c->handlers.on_lag)
                c->handlers.on_lag(c->opaque, t->string, (int32_t)id,
                                   end > committed ? end - committed : 0);
        }
    }
    cJSON_Delete(root);
    return 0; /* librdkafka frees json */
}

/* Drains up to batch_max events; re-arms the read event if more may be waiting. */
static void consumer_drain_pass(nf_consumer_t *c)
{
    int n = 0;
    while (n < c->batch_max) {
        if (!c->reading) {
            /* Shutting down: serve rebalances, logs and errors only. Any message that
             * still arrives is dropped unprocessed; its offset is never stored, so it
             * is consumed again after restart. */
            rd_kafka_message_t *rkm = rd_kafka_consumer_poll(c->rk, 0);
            if (!rkm)
                return;
            rd_kafka_message_destroy(rkm);
            n++;
            continue;
        }
        if (c->handlers.may_consume && !c->handlers.may_consume(c->opaque))
            return; /* the owner kicks us when it wants more */
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(c->rk, 0);
        if (!rkm)
            return;
        n++;
        c->handlers.on_message(c->opaque, rkm);
        if (!c->reading)
            return;
    }
    /* More may be waiting. Continue on the next turn of the loop, after I/O, timers and
     * delivery reports: re-activating the read event directly would run it again in the
     * same turn (libevent drains its active queue) and starve everything else. */
    static const struct timeval now = {0, 0};
    evtimer_add(c->ev_more, &now);
}

static void consumer_drain(nf_consumer_t *c)
{
    consumer_drain_pass(c);
    if (c->handlers.on_drained)
        c->handlers.on_drained(c->opaque);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    nf_consumer_t *c = arg;
    char buf[64];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    consumer_drain(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    consumer_drain(arg);
}

nf_consumer_t *nf_consumer_new(const nf_config_t *conf, struct event_base *base,
                               const nf_consumer_handlers_t *handlers, void *opaque,
                               const rd_kafka_topic_partition_list_t *assignment,
                               const nf_consumer_rewind_t *rewind, char *errstr, size_t errstr_size)
{
    nf_consumer_t *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    c->pipefd[0] = c->pipefd[1] = -1;
    c->handlers = *handlers;
    c->opaque = opaque;
    c->batch_max = (int)conf->consumer_batch_max;
    c->reading = true;
    pthread_mutex_init(&c->end_lock, NULL);
    pthread_cond_init(&c->end_cond, NULL);
    c->input_topic = strdup(conf->input_topic);
    if (!c->input_topic) {
        snprintf(errstr, errstr_size, "out of memory");
        goto err;
    }

    rd_kafka_conf_t *rkconf = nf_kafka_conf_new(conf, NF_KAFKA_CONSUMER, errstr, errstr_size);
    if (!rkconf)
        goto err;
    if (nf_kafka_conf_set(rkconf, "group.id", conf->group_id, errstr, errstr_size) ||
        nf_kafka_conf_set(rkconf, "partition.assignment.strategy", "cooperative-sticky", errstr,
                          errstr_size) ||
        nf_kafka_conf_set(rkconf, "enable.auto.offset.store", "false", errstr, errstr_size) ||
        nf_kafka_conf_set(rkconf, "enable.partition.eof", conf->exit_on_eof ? "true" : "false",
                          errstr, errstr_size) ||
        /* Exactly-once: offsets travel in the producer's transactions, and input from
         * transactional producers is read only once committed. */
        (conf->guarantee == NF_EXACTLY_ONCE &&
         (nf_kafka_conf_set(rkconf, "enable.auto.commit", "false", errstr, errstr_size) ||
          (!nf_config_is_set(conf, "kafka.isolation.level") &&
           !nf_config_is_set(conf, "kafka.consumer.isolation.level") &&
           nf_kafka_conf_set(rkconf, "isolation.level", "read_committed", errstr, errstr_size))))) {
        rd_kafka_conf_destroy(rkconf);
        goto err;
    }
    rd_kafka_conf_set_rebalance_cb(rkconf, rebalance_cb);
    rd_kafka_conf_set_error_cb(rkconf, error_cb);
    rd_kafka_conf_set_stats_cb(rkconf, stats_cb);
    rd_kafka_conf_set_opaque(rkconf, c);
    c->brokers_up = -1;
    /* librdkafka prefetches up to 64 MB per consumer by default; 16 MB keeps the peak
     * RSS through a backlog under 100 MB (bench/), at a cost: librdkafka 2.0.2 is slow to
     * fetch again once the queue was full, and a backlog goes at 6.5-7.5k articles/s
     * against 11k/s with 32-64 MB (docs/operations.md, Memory). */
    if (!nf_config_is_set(conf, "kafka.queued.max.messages.kbytes") &&
        !nf_config_is_set(conf, "kafka.consumer.queued.max.messages.kbytes") &&
        nf_kafka_conf_set(rkconf, "queued.max.messages.kbytes", "16384", errstr, errstr_size)) {
        rd_kafka_conf_destroy(rkconf);
        goto err;
    }
    /*
     * Fetch at most 256 KiB per partition per request rather than 1 MiB: a fetched
     * buffer stays allocated until its last message is consumed, so with 8 partitions
     * the default pinned about 13 MB more at peak (bench/: 78.6-81.9 MB against 94-97
     * MB through a backlog). A larger message is still fetched whole (the limit is
     * soft since Kafka 0.10.1's fetch protocol).
     */
    if (!nf_config_is_set(conf, "kafka.max.partition.fetch.bytes") &&
        !nf_config_is_set(conf, "kafka.consumer.max.partition.fetch.bytes") &&
        nf_kafka_conf_set(rkconf, "max.partition.fetch.bytes", "262144", errstr, errstr_size)) {
        rd_kafka_conf_destroy(rkconf);
        goto err;
    }
    /* Offsets stored by delivery are committed every second rather than librdkafka's
     * 5: after a crash, and after a rebalance where librdkafka 2.0.2 cannot commit the
     * revoked partitions (see the rebalance callback), that is what is processed again.
     * One small request a second per member. */
    if (!nf_config_is_set(conf, "kafka.auto.commit.interval.ms") &&
        !nf_config_is_set(conf, "kafka.consumer.auto.commit.interval.ms") &&
        nf_kafka_conf_set(rkconf, "auto.commit.interval.ms", "1000", errstr, errstr_size)) {
        rd_kafka_conf_destroy(rkconf);
        goto err;
    }
    if (!nf_config_is_set(conf, "kafka.statistics.interval.ms") &&
        !nf_config_is_set(conf, "kafka.consumer.statistics.interval.ms") &&
        nf_kafka_conf_set(rkconf, "statistics.interval.ms", "5000", errstr, errstr_size)) {
        rd_kafka_conf_destroy(rkconf);
        goto err;
    }

    char interval[32];
    size_t interval_size = sizeof(interval);
    if (rd_kafka_conf_get(rkconf, "statistics.interval.ms", interval, &interval_size) ==
        RD_KAFKA_CONF_OK)
        c->end_interval_ms = atoi(interval);

    char rkerr[512];
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, rkconf, rkerr, sizeof(rkerr));
    if (!c->rk) {
        /* rd_kafka_new() takes the conf only on success. */
        rd_kafka_conf_destroy(rkconf);
        snprintf(errstr, errstr_size, "cannot create Kafka consumer: %s", rkerr);
        goto err;
    }
    rd_kafka_poll_set_consumer(c->rk);
    c->queue = rd_kafka_queue_get_consumer(c->rk);
    rd_kafka_set_log_queue(c->rk, c->queue);

    if (pipe(c->pipefd) || fcntl(c->pipefd[0], F_SETFL, O_NONBLOCK) ||
        fcntl(c->pipefd[1], F_SETFL, O_NONBLOCK) || fcntl(c->pipefd[0], F_SETFD, FD_CLOEXEC) ||
        fcntl(c->pipefd[1], F_SETFD, FD_CLOEXEC)) {
        snprintf(errstr, errstr_size, "cannot create wake-up pipe: %s", strerror(errno));
        goto err;
    }
    rd_kafka_queue_io_event_enable(c->queue, c->pipefd[1], "1", 1);

    if (c->end_interval_ms > 0) {
        /* Signals are for the loop thread (as app/reload.c does). */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int terr = pthread_create(&c->end_thread, NULL, end_thread, c);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (terr) {
            snprintf(errstr, errstr_size, "cannot start a thread: %s", strerror(terr));
            goto err;
        }
        c->end_running = true;
    }

    c->ev_read = event_new(base, c->pipefd[0], EV_READ | EV_PERSIST, on_read, c);
    c->ev_timer = event_new(base, -1, EV_PERSIST, on_timer, c);
    c->ev_more = evtimer_new(base, on_timer, c);
    struct timeval tv = {conf->poll_interval_ms / 1000, (conf->poll_interval_ms % 1000) * 1000};
    if (!c->ev_read || !c->ev_timer || !c->ev_more || event_add(c->ev_read, NULL) ||
        event_add(c->ev_timer, &tv)) {
        snprintf(errstr, errstr_size, "cannot register consumer events");
        goto err;
    }

    if (assignment) {
        rd_kafka_resp_err_t aerr = rd_kafka_assign(c->rk, assignment);
        if (aerr) {
            snprintf(errstr, errstr_size, "cannot assign partitions: %s", rd_kafka_err2str(aerr));
            goto err;
        }
        c->manual = true;
        c->assigned = assignment->cnt;
        end_track(c, assignment, true);
        if (c->handlers.on_assign)
            c->handlers.on_assign(c->opaque, assignment);
        nf_log(NF_LOG_INFO, "consumer", "assigned %d partition(s) of %s directly", assignment->cnt,
               conf->input_topic);
        event_active(c->ev_read, EV_READ, 0);
        return c;
    }
    if (rewind && rewind->topic && *rewind->topic && strcmp(rewind->topic, conf->input_topic)) {
        c->rewind_topic = strdup(rewind->topic);
        c->rewind_ms = rewind->window_ms;
        if (!c->rewind_topic) {
            snprintf(errstr, errstr_size, "out of memory");
            goto err;
        }
    }
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(topics, conf->input_topic, RD_KAFKA_PARTITION_UA);
    if (c->rewind_topic)
        rd_kafka_topic_partition_list_add(topics, c->rewind_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t rerr = rd_kafka_subscribe(c->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (rerr) {
        snprintf(errstr, errstr_size, "cannot subscribe to %s: %s", conf->input_topic,
                 rd_kafka_err2str(rerr));
        goto err;
    }
    nf_log(NF_LOG_INFO, "consumer", "subscribed to %s%s%s in group %s", conf->input_topic,
           c->rewind_topic ? " and " : "", c->rewind_topic ? c->rewind_topic : "", conf->group_id);
    /* Messages may already be queued from before io events were enabled. */
    event_active(c->ev_read, EV_READ, 0);
    return c;

err:
    nf_consumer_destroy(c);
    return NULL;
}

void nf_consumer_destroy(nf_consumer_t *c)
{
    if (!c)
        return;
    end_thread_stop(c);
    if (c->ev_timer)
        event_free(c->ev_timer);
    if (c->ev_more)
        event_free(c->ev_more);
    if (c->ev_read)
        event_free(c->ev_read);
    if (c->queue) {
        rd_kafka_queue_io_event_enable(c->queue, -1, NULL, 0);
        rd_kafka_queue_destroy(c->queue);
    }
    if (c->rk)
        rd_kafka_destroy(c->rk);
    if (c->pipefd[0] >= 0)
        close(c->pipefd[0]);
    if (c->pipefd[1] >= 0)
        close(c->pipefd[1]);
    free(c->rewind_topic);
    free(c->input_topic);
    free(c->end_assigned);
    free(c->end);
    pthread_cond_destroy(&c->end_cond);
    pthread_mutex_destroy(&c->end_lock);
    free(c);
}

void nf_consumer_stop_reading(nf_consumer_t *c)
{
    c->reading = false;
}

static int pause_resume(nf_consumer_t *c, bool pause)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    rd_kafka_resp_err_t err = rd_kafka_assignment(c->rk, &parts);
    if (!err && parts->cnt > 0)
        err = pause ? rd_kafka_pause_partitions(c->rk, parts)
                    : rd_kafka_resume_partitions(c->rk, parts);
    if (parts)
        rd_kafka_topic_partition_list_destroy(parts);
    if (err) {
        nf_log(NF_LOG_ERROR, "consumer", "%s failed: %s", pause ? "pause" : "resume",
               rd_kafka_err2str(err));
        return NF_EKAFKA;
    }
    c->paused = pause;
    return NF_OK;
}

int nf_consumer_pause(nf_consumer_t *c)
{
    return c->paused ? NF_OK : pause_resume(c, true);
}

int nf_consumer_resume(nf_consumer_t *c)
{
    if (!c->paused)
        return NF_OK;
    int err = pause_resume(c, false);
    /* Fetched messages may be waiting already. */
    event_active(c->ev_read, EV_READ, 0);
    return err;
}

void nf_consumer_kick(nf_consumer_t *c)
{
    event_active(c->ev_read, EV_READ, 0);
}

int nf_consumer_pause_partition(nf_consumer_t *c, const char *topic, int32_t partition)
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, partition);
    rd_kafka_resp_err_t err = rd_kafka_pause_partitions(c->rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    return err ? NF_EKAFKA : NF_OK;
}

bool nf_consumer_is_paused(const nf_consumer_t *c)
{
    return c->paused;
}

int nf_consumer_assigned_count(const nf_consumer_t *c)
{
    return c->assigned;
}

int nf_consumer_brokers_up(const nf_consumer_t *c)
{
    return c->brokers_up;
}

uint64_t nf_consumer_rebalances(const nf_consumer_t *c)
{
    return c->rebalances;
}

int nf_consumer_store(nf_consumer_t *c, const char *topic, int32_t partition, int64_t next_offset)
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, partition)->offset = next_offset;
    rd_kafka_resp_err_t err = rd_kafka_offsets_store(c->rk, parts);
    if (!err && parts->elems[0].err)
        err = parts->elems[0].err;
    rd_kafka_topic_partition_list_destroy(parts);
    if (err) {
        /* __STATE: the partition is no longer assigned; its new owner re-reads. */
        nf_log_ratelimited(NF_LOG_WARN, "consumer", "store",
                           "cannot store offset %s [%d] @%lld: %s", topic, (int)partition,
                           (long long)next_offset, rd_kafka_err2str(err));
        return NF_EKAFKA;
    }
    return NF_OK;
}

void nf_consumer_serve(nf_consumer_t *c, int timeout_ms)
{
    int64_t deadline = nf_mono_ms() + timeout_ms;
    do {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(c->rk, 10);
        if (rkm)
            rd_kafka_message_destroy(rkm); /* not reading: never stored, consumed again */
    } while (nf_mono_ms() < deadline);
}

int nf_consumer_commit(nf_consumer_t *c)
{
    rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, NULL, 0);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        nf_log(NF_LOG_ERROR, "consumer", "commit failed: %s", rd_kafka_err2str(err));
        return NF_EKAFKA;
    }
    return NF_OK;
}

int nf_consumer_close(nf_consumer_t *c)
{
    end_thread_stop(c);
    if (c->manual) {
        /* No group to leave; commit what is stored (auto-commit does it on unassign). */
        rd_kafka_assign(c->rk, NULL);
    }
    /* Close through the regular path: it leaves the group and runs the revoke handler,
     * which commits stored offsets of the partitions given up. */
    rd_kafka_resp_err_t err = rd_kafka_consumer_close(c->rk);
    if (err) {
        nf_log(NF_LOG_ERROR, "consumer", "close failed: %s", rd_kafka_err2str(err));
        return NF_EKAFKA;
    }
    return NF_OK;
}

rd_kafka_t *nf_consumer_handle(nf_consumer_t *c)
{
    return c->rk;
}
