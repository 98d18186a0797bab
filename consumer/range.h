/*
 * range: where a replay starts and stops.
 *
 * A replay reprocesses [from, to) of every partition of the input topic. Each end is
 * given as "beginning", "now" (or "end"), an RFC 3339 time (resolved with
 * offsets-for-times: the first message at or after that time), or an explicit list
 * "partition:offset,partition:offset". Both ends are resolved once, before the replay
 * starts, so a replay stops at the end it computed even while new messages arrive.
 */
#ifndef NF_RANGE_H
#define NF_RANGE_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "config.h"

typedef enum { NF_POS_BEGINNING, NF_POS_NOW, NF_POS_TIME, NF_POS_OFFSETS } nf_pos_kind_t;

typedef struct nf_pos {
    nf_pos_kind_t kind;
    int64_t time_ms;                          /* NF_POS_TIME */
    rd_kafka_topic_partition_list_t *offsets; /* NF_POS_OFFSETS (owned) */
} nf_pos_t;

/* Parses one end of a range for topic. Fills errstr (naming the text) on failure. */
int nf_pos_parse(const char *text, const char *topic, nf_pos_t *pos, char *errstr,
                 size_t errstr_size);
void nf_pos_clear(nf_pos_t *pos);
/* Parses an RFC 3339 date-time ("2026-11-29T10:00:00Z", "...+02:00", fractions). */
int nf_rfc3339_parse(const char *text, int64_t *epoch_ms);

/*
 * Resolves [from, to) on conf->input_topic against the cluster in conf. On success
 * *start holds the first offset and *end the end offset (exclusive) of every partition
 * to replay (partitions whose range is empty are left out); the caller destroys both.
 * Blocks while it queries the brokers.
 */
int nf_range_resolve(const nf_config_t *conf, const nf_pos_t *from, const nf_pos_t *to,
                     rd_kafka_topic_partition_list_t **start, rd_kafka_topic_partition_list_t **end,
                     char *errstr, size_t errstr_size);

#endif
