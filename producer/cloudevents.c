/*
 * cloudevents: CloudEvents 1.0 attributes as Kafka headers (binary mode; see
 * cloudevents.h). The Kafka protocol binding names each attribute ce_<name> and carries
 * the content type in the content-type header.
 */
#include "cloudevents.h"

#include "util.h"

#include <inttypes.h>
#include <stdio.h>

rd_kafka_headers_t *nf_ce_headers_new(const nf_ce_info_t *info)
{
    if (!info || !info->type || !info->id || !info->source || !info->input_topic)
        return NULL;
    char ts[40], num[32];
    rd_kafka_headers_t *h = rd_kafka_headers_new(11);
    nf_rfc3339_ms(info->time_ms, ts, sizeof(ts));
    rd_kafka_header_add(h, "ce_specversion", -1, "1.0", -1);
    rd_kafka_header_add(h, "ce_id", -1, info->id, -1);
    rd_kafka_header_add(h, "ce_source", -1, info->source, -1);
    rd_kafka_header_add(h, "ce_type", -1, info->type, -1);
    rd_kafka_header_add(h, "ce_time", -1, ts, -1);
    if (info->subject)
        rd_kafka_header_add(h, "ce_subject", -1, info->subject, -1);
    rd_kafka_header_add(h, "content-type", -1, "application/json", -1);
    rd_kafka_header_add(h, "newsflow.source.topic", -1, info->input_topic, -1);
    snprintf(num, sizeof(num), "%" PRId32, info->input_partition);
    rd_kafka_header_add(h, "newsflow.source.partition", -1, num, -1);
    snprintf(num, sizeof(num), "%" PRId64, info->input_offset);
    rd_kafka_header_add(h, "newsflow.source.offset", -1, num, -1);
    if (info->replay)
        rd_kafka_header_add(h, "newsflow.replay", -1, "true", -1);
    return h;
}
