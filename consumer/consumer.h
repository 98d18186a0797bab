/*
 * consumer: the Kafka input side, driven by the libevent loop.
 *
 * Wraps one librdkafka consumer in a consumer group with cooperative-sticky
 * assignment. Its queue (the main queue is forwarded to it, so logs, errors and
 * rebalances arrive there too) signals a non-blocking pipe through
 * rd_kafka_queue_io_event_enable; a libevent read event on that pipe drains up to
 * consumer.batch.max messages per wake-up, and a periodic timer does a zero-timeout
 * poll so that a paused or idle member keeps its place in the group.
 *
 * Offsets are never stored automatically: the owner calls nf_consumer_store() when
 * every output of a message is delivered; librdkafka commits stored offsets
 * periodically, on partition revocation, and nf_consumer_commit() commits synchronously
 * at shutdown. The consumer knows nothing about news.
 */
#ifndef NF_CONSUMER_H
#define NF_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <librdkafka/rdkafka.h>

#include "config.h"

typedef struct nf_consumer nf_consumer_t;

typedef struct nf_consumer_handlers {
    /*
     * A message, or a consumer error in rkm->err (partition EOF included). Ownership
     * of rkm passes to the handler, which must rd_kafka_message_destroy() it.
     */
    void (*on_message)(void *opaque, rd_kafka_message_t *rkm);
    /* Partitions just assigned (already incrementally assigned). May be NULL. */
    void (*on_assign)(void *opaque, const rd_kafka_topic_partition_list_t *parts);
    /*
     * Partitions about to be revoked (lost=false: finish their work and store offsets
     * now, they are committed when unassigned) or already lost (lost=true: another
     * member owns them; do not store). May be NULL.
     */
    void (*on_revoke)(void *opaque, const rd_kafka_topic_partition_list_t *parts, bool lost);
    /* A fatal client error: the owner must shut down. May be NULL. */
    void (*on_fatal)(void *opaque, const char *reason);
    /*
     * Asked before each message is taken from the queue; false stops draining until
     * nf_consumer_kick() (rate limiting). May be NULL (always true).
     */
    bool (*may_consume)(void *opaque);
    /*
     * Consumer lag of an assigned partition (high watermark minus committed offset),
     * from librdkafka's statistics every stats interval. May be NULL.
     */
    void (*on_lag)(void *opaque, const char *topic, int32_t partition, int64_t lag);
    /*
     * A partition of the rewound topic (nf_consumer_rewind_t) was just assigned at an
     * offset before its committed one: the messages below `committed` were handled by
     * an earlier owner and are delivered again only to rebuild state (their offsets must
     * not be stored). Called after on_assign. May be NULL.
     */
    void (*on_rewind)(void *opaque, const char *topic, int32_t partition, int64_t from,
                      int64_t committed);
    /*
     * Called after each drain pass, that is after on_message has been called for every
     * message that was waiting (or for a pass's limit of them, consumer.batch.max): the
     * owner can send what it held back while more input was at hand. May be NULL.
     */
    void (*on_drained)(void *opaque);
} nf_consumer_handlers_t;

/*
 * A second topic the group member consumes beside conf->input_topic, whose partitions,
 * when assigned, start one window of time before their committed offset (looked up with
 * offsets-for-times), so that the new owner can rebuild the state the previous owner
 * kept (the alert decider: pipeline/decider.h).
 */
typedef struct nf_consumer_rewind {
    const char *topic;
    int64_t window_ms;
} nf_consumer_rewind_t;

/*
 * Creates the consumer and registers its events on base. With assignment NULL it
 * subscribes to conf->input_topic (and rewind->topic, when rewind is not NULL) in
 * conf->group_id; otherwise it is assigned exactly those partitions at those offsets
 * (replay: no group membership; stored offsets are committed to conf->group_id; rewind
 * is ignored), and on_assign is called with them. handlers and rewind are copied;
 * opaque is passed back. Returns NULL and fills errstr on failure.
 */
nf_consumer_t *nf_consumer_new(const nf_config_t *conf, struct event_base *base,
                               const nf_consumer_handlers_t *handlers, void *opaque,
                               const rd_kafka_topic_partition_list_t *assignment,
                               const nf_consumer_rewind_t *rewind, char *errstr,
                               size_t errstr_size);
/* Resumes draining after may_consume returned false. */
void nf_consumer_kick(nf_consumer_t *consumer);
/* Pauses one partition (replay: it reached the end of its range). */
int nf_consumer_pause_partition(nf_consumer_t *consumer, const char *topic, int32_t partition);
/* nf_consumer_destroy(NULL) is a no-op. Call nf_consumer_close() first for a clean leave. */
void nf_consumer_destroy(nf_consumer_t *consumer);

/* Stops delivering messages to on_message (shutdown); rebalances are still served. */
void nf_consumer_stop_reading(nf_consumer_t *consumer);
/* Pauses / resumes fetching on every assigned partition (backpressure). */
int nf_consumer_pause(nf_consumer_t *consumer);
int nf_consumer_resume(nf_consumer_t *consumer);
bool nf_consumer_is_paused(const nf_consumer_t *consumer);
/* Number of partitions currently assigned. */
int nf_consumer_assigned_count(const nf_consumer_t *consumer);
/* Brokers the consumer had an open connection to at the last statistics (-1: none yet). */
int nf_consumer_brokers_up(const nf_consumer_t *consumer);
/* Rebalances (assignments and revocations) served so far. */
uint64_t nf_consumer_rebalances(const nf_consumer_t *consumer);

/* Stores next_offset (done offset + 1) for commit. */
int nf_consumer_store(nf_consumer_t *consumer, const char *topic, int32_t partition,
                      int64_t next_offset);
/*
 * After nf_consumer_stop_reading(): serves the consumer's queue for timeout_ms, so that a
 * rebalance in progress can complete (its callbacks run; any message that arrives is
 * dropped unprocessed, its offset never stored).
 */
void nf_consumer_serve(nf_consumer_t *consumer, int timeout_ms);
/* Synchronously commits all stored offsets. NF_OK also when there was nothing to commit. */
int nf_consumer_commit(nf_consumer_t *consumer);
/* Leaves the group (revoking partitions through the handlers). Blocks. */
int nf_consumer_close(nf_consumer_t *consumer);

/* The underlying handle, for tests and statistics. Owned by the consumer. */
rd_kafka_t *nf_consumer_handle(nf_consumer_t *consumer);

#endif
