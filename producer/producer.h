/*
 * producer: the Kafka output side, driven by the libevent loop.
 *
 * One idempotent librdkafka producer. Delivery reports come back on the loop thread:
 * the producer's main queue signals a pipe through rd_kafka_queue_io_event_enable and a
 * libevent read event serves it, so no thread other than the loop ever runs newsflow
 * code. Each message carries an opaque pointer that its delivery report hands back.
 *
 * Dead letters are described here too: nf_dlq_headers_new() builds the headers that
 * say why a message was rejected and where it came from. The producer knows nothing
 * about news.
 */
#ifndef NF_PRODUCER_H
#define NF_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <librdkafka/rdkafka.h>

#include "config.h"

typedef struct nf_producer nf_producer_t;

/*
 * Delivery report for one message: rkm->err is 0 on success; rkm->_private is the
 * msg_opaque given to the send call. rkm is owned by librdkafka.
 */
typedef void(nf_producer_dr_cb)(void *opaque, const rd_kafka_message_t *rkm);
/* A fatal producer error (idempotence state lost): the owner must stop. */
typedef void(nf_producer_fatal_cb)(void *opaque, const char *reason);

/* Where a dead letter came from and why it was rejected. */
typedef struct nf_dlq_info {
    const char *reason;   /* stable reason code, e.g. "invalid_json" */
    const char *error;    /* human-readable detail */
    const char *topic;    /* source topic (or file) */
    int32_t partition;    /* source partition, -1 if none */
    int64_t offset;       /* source offset */
    int64_t timestamp_ms; /* source timestamp, -1 if none */
} nf_dlq_info_t;

nf_producer_t *nf_producer_new(const nf_config_t *conf, struct event_base *base,
                               nf_producer_dr_cb *dr_cb, nf_producer_fatal_cb *fatal_cb,
                               void *opaque, char *errstr, size_t errstr_size);
/* nf_producer_destroy(NULL) is a no-op. Flush first: undelivered messages are lost. */
void nf_producer_destroy(nf_producer_t *producer);

/*
 * Queues one message. The producer copies key and value. On success takes ownership
 * of headers (may be NULL); on failure the caller still owns them. Returns NF_OK,
 * NF_EQUEUEFULL (retry once deliveries drain), NF_EREJECTED (can never be produced:
 * too large, unknown topic; nf_producer_last_error() says why), or NF_EKAFKA/NF_EFATAL.
 */
int nf_producer_send(nf_producer_t *producer, const char *topic, const void *key, size_t key_len,
                     const void *value, size_t len, rd_kafka_headers_t *headers, void *msg_opaque);
/* New headers describing a dead letter (reason, error, source coordinates). */
rd_kafka_headers_t *nf_dlq_headers_new(const nf_dlq_info_t *info);
/* Serves delivery reports now (non-blocking). */
void nf_producer_poll(nf_producer_t *producer);
/* Blocks until every queued message is delivered or timeout_ms passes. */
int nf_producer_flush(nf_producer_t *producer, int timeout_ms);
/* Messages queued or in flight in librdkafka. */
int nf_producer_outq_len(nf_producer_t *producer);
/* Text of the last failed send, for dead-letter headers and logs. */
const char *nf_producer_last_error(const nf_producer_t *producer);
/* The underlying handle, for tests and statistics. Owned by the producer. */
rd_kafka_t *nf_producer_handle(nf_producer_t *producer);

/*
 * Exactly-once (processing.guarantee=exactly_once): the producer is transactional, with
 * transactional.id from the configuration. These calls block (librdkafka's
 * transactional API is synchronous); each handles retriable errors itself and returns
 * NF_OK, NF_EABORT (the transaction must be aborted: call nf_producer_txn_abort(),
 * rewind the input, carry on) or NF_EFATAL (fenced or otherwise unusable: exit and let
 * the supervisor restart the process). An error with none of librdkafka's flags is
 * treated as fatal. The reason is logged.
 */
bool nf_producer_is_transactional(const nf_producer_t *producer);
int nf_producer_txn_init(nf_producer_t *producer, int timeout_ms);
int nf_producer_txn_begin(nf_producer_t *producer);
/* Sends offsets (next offsets to consume) with the consumer's group metadata, then
 * commits. offsets may be NULL or empty (outputs only). */
int nf_producer_txn_commit(nf_producer_t *producer, const rd_kafka_topic_partition_list_t *offsets,
                           const rd_kafka_consumer_group_metadata_t *cgmd);
int nf_producer_txn_abort(nf_producer_t *producer);

/*
 * True if a delivery error will not go away by sending again (message too large,
 * authorization, unknown topic, invalid record): the event needs the dead-letter topic.
 */
bool nf_producer_err_is_permanent(rd_kafka_resp_err_t err);

#endif
