/*
 * cloudevents: the CloudEvents 1.0 attributes of newsflow's output messages, in Kafka
 * binary content mode (the event is the message value; each attribute is a `ce_`
 * header), plus where the input came from, so that standard tooling can route, trace
 * and de-duplicate outputs without parsing them.
 *
 * Headers written, in this order: ce_specversion "1.0", ce_id, ce_source, ce_type,
 * ce_time (RFC 3339 UTC with milliseconds), ce_subject (when given), content-type
 * "application/json", newsflow.source.topic, newsflow.source.partition,
 * newsflow.source.offset (decimal), and newsflow.replay "true" on replayed outputs.
 */
#ifndef NF_CLOUDEVENTS_H
#define NF_CLOUDEVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

typedef struct nf_ce_info {
    const char *type;    /* e.g. "newsflow.article.enriched.v1", "newsflow.alert.v1" */
    const char *id;      /* unique per event: the event or alert id */
    const char *source;  /* a URI reference, e.g. "/newsflow/news.articles" */
    const char *subject; /* the article id; NULL: no ce_subject */
    const char *input_topic;
    int32_t input_partition;
    int64_t input_offset;
    int64_t time_ms; /* epoch ms */
    bool replay;
} nf_ce_info_t;

/* New headers for info; NULL if a required field (type, id, source, topic) is missing. */
rd_kafka_headers_t *nf_ce_headers_new(const nf_ce_info_t *info);

#endif
