/*
 * loop: the streaming service. Joins the consumer to the producer through the
 * pipeline on one libevent loop, with at-least-once delivery.
 *
 * For each input message: track it (offsets.h), run the pipeline, produce the enriched
 * event (or a dead letter), and store the input offset only when every output of it,
 * and of every earlier message of its partition, is delivered. In-flight messages and
 * bytes are bounded; above the bound the consumer's partitions are paused until
 * deliveries drain. Shutdown stops reading, waits for outstanding deliveries (up to
 * shutdown.timeout.ms), commits synchronously and leaves the group.
 */
#ifndef NF_LOOP_H
#define NF_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include <event2/event.h>

#include "config.h"
#include "pipeline.h"

typedef struct nf_loop nf_loop_t;

typedef struct nf_loop_stats {
    uint64_t consumed;       /* input messages handled */
    uint64_t enriched;       /* enriched events produced */
    uint64_t deleted;        /* deletion events turned into tombstones */
    uint64_t dead_lettered;  /* dead letters produced */
    uint64_t delivered;      /* output deliveries confirmed */
    uint64_t resent;         /* outputs sent again after a transient delivery failure */
    uint64_t produce_failed; /* outputs dead-lettered after a permanent delivery failure */
    uint64_t pauses;         /* times the consumer was paused for backpressure */
    uint64_t consumer_errors;
    uint64_t alerts;             /* alerts fired */
    int64_t first_input_us;      /* monotonic time of the first input message, 0 if none */
    int64_t last_delivery_us;    /* monotonic time of the last confirmed delivery */
    uint64_t category[4];        /* enriched events per category: deal, funding, infra, other */
    uint64_t txn_commits;        /* exactly-once: transactions committed */
    uint64_t txn_aborts;         /* exactly-once: transactions aborted (input reprocessed) */
    int64_t txn_commit_max_us;   /* exactly-once: longest time the loop blocked in a commit */
    int64_t txn_commit_total_us; /* exactly-once: total time blocked in commits */
    int64_t txn_drain_max_us;    /* exactly-once: longest wait, loop running, for a
                                    transaction's outputs to be delivered before its commit */
} nf_loop_stats_t;

/* Replay (backfill) settings; the streaming service passes NULL. */
typedef struct nf_loop_replay {
    /* First offset of every partition to replay (direct assignment, no group join). */
    const rd_kafka_topic_partition_list_t *start;
    /* End offset (exclusive) of each of those partitions: the loop stops there. */
    const rd_kafka_topic_partition_list_t *end;
    double rate;              /* input messages per second; 0: unlimited */
    const char *topic_suffix; /* appended to every output topic name; NULL: live topics */
    bool progress;            /* progress bar (tty) or periodic log lines on stderr */
} nf_loop_replay_t;

/*
 * Creates the consumer and producer from conf and registers their events on base.
 * pipeline is borrowed and must outlive the loop. replay is copied (its lists too);
 * NULL for the streaming service. Returns NULL and fills errstr.
 */
nf_loop_t *nf_loop_new(const nf_config_t *conf, struct event_base *base, nf_pipeline_t *pipeline,
                       const nf_loop_replay_t *replay, char *errstr, size_t errstr_size);
/* nf_loop_destroy(NULL) is a no-op. */
void nf_loop_destroy(nf_loop_t *loop);

/*
 * Dispatches base until the loop has shut down. Returns NF_OK after a clean shutdown,
 * NF_EFATAL if a fatal client error or an undeliverable dead letter stopped it, or
 * NF_ETIMEDOUT if outputs were still undelivered at shutdown.
 */
int nf_loop_run(nf_loop_t *loop);
/* Starts a clean shutdown (idempotent). Safe from any event callback on base. */
void nf_loop_shutdown(nf_loop_t *loop);
const nf_loop_stats_t *nf_loop_stats(const nf_loop_t *loop);
/* The loop's metrics registry, with scrape-time gauges refreshed (for the ops endpoint). */
struct nf_metrics *nf_loop_metrics(nf_loop_t *loop);
/* Assigned partitions and connected brokers, for readiness. */
int nf_loop_assigned(const nf_loop_t *loop);
int nf_loop_brokers_up(const nf_loop_t *loop);
/* Monotonic ms (nf_mono_ms) of the loop's last heartbeat tick; it ticks every second. */
int64_t nf_loop_heartbeat_ms(const nf_loop_t *loop);

/* Handles for tests. */
struct nf_consumer *nf_loop_consumer(nf_loop_t *loop);
struct nf_producer *nf_loop_producer(nf_loop_t *loop);

#endif
