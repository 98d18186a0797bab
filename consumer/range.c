/*
 * range: parsing and resolving replay ranges (see range.h). Resolution uses a
 * short-lived consumer handle for metadata, watermarks and offsets-for-times; it never
 * joins a group.
 */
#include "range.h"
#include "err.h"
#include "kafka.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define QUERY_TIMEOUT_MS 30000

int nf_rfc3339_parse(const char *text, int64_t *epoch_ms)
{
    struct tm tm = {0};
    int n = 0;
    if (sscanf(text, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 || n != 10)
        return NF_EINVAL;
    const char *p = text + n;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        int m = 0;
        if (sscanf(p + 1, "%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &m) != 3 || m != 8)
            return NF_EINVAL;
        p += 1 + m;
    } else if (*p) {
        return NF_EINVAL;
    }
    int64_t ms = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*p - '0');
        if (!digits)
            return NF_EINVAL;
        for (; digits < 3; digits++)
            ms *= 10;
    }
    int64_t offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om, k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || k != 5)
            return NF_EINVAL;
        offset_s = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 1 + k;
    } else if (*p) {
        return NF_EINVAL;
    }
    if (*p || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return NF_EINVAL;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t secs = timegm(&tm);
    *epoch_ms = ((int64_t)secs - offset_s) * 1000 + ms;
    return NF_OK;
}

int nf_pos_parse(const char *text, const char *topic, nf_pos_t *pos, char *errstr,
                 size_t errstr_size)
{
    memset(pos, 0, sizeof(*pos));
    if (!strcasecmp(text, "beginning") || !strcasecmp(text, "earliest")) {
        pos->kind = NF_POS_BEGINNING;
        return NF_OK;
    }
    if (!strcasecmp(text, "now") || !strcasecmp(text, "end") || !strcasecmp(text, "latest")) {
        pos->kind = NF_POS_NOW;
        return NF_OK;
    }
    if (nf_rfc3339_parse(text, &pos->time_ms) == NF_OK) {
        pos->kind = NF_POS_TIME;
        return NF_OK;
    }
    /* partition:offset[,partition:offset...] */
    pos->kind = NF_POS_OFFSETS;
    pos->offsets = rd_kafka_topic_partition_list_new(8);
    const char *p = text;
    while (*p) {
        char *end;
        errno = 0;
        long part = strtol(p, &end, 10);
        if (errno || end == p || *end != ':' || part < 0 || part > INT32_MAX)
            goto bad;
        p = end + 1;
        long long off = strtoll(p, &end, 10);
        if (errno || end == p || off < 0 || (*end && *end != ','))
            goto bad;
        if (rd_kafka_topic_partition_list_find(pos->offsets, topic, (int32_t)part)) {
            snprintf(errstr, errstr_size, "\"%s\": partition %ld given twice", text, part);
            nf_pos_clear(pos);
            return NF_EINVAL;
        }
        rd_kafka_topic_partition_list_add(pos->offsets, topic, (int32_t)part)->offset = off;
        p = *end ? end + 1 : end;
    }
    if (pos->offsets->cnt > 0)
        return NF_OK;
bad:
    snprintf(
        errstr, errstr_size,
        "\"%s\" is not a position: use beginning, now, an RFC 3339 time such as 2026-11-29T10:00:00Z, or partition:offset,partition:offset",
        text);
    nf_pos_clear(pos);
    return NF_EINVAL;
}

void nf_pos_clear(nf_pos_t *pos)
{
    if (pos->offsets)
        rd_kafka_topic_partition_list_destroy(pos->offsets);
    memset(pos, 0, sizeof(*pos));
}

/* Resolves pos to an offset for every partition in parts (in place). */
static int resolve_one(rd_kafka_t *rk, const nf_pos_t *pos, rd_kafka_topic_partition_list_t *parts,
                       const int64_t *low, const int64_t *high, char *errstr, size_t errstr_size)
{
    if (pos->kind == NF_POS_TIME) {
        for (int i = 0; i < parts->cnt; i++)
            parts->elems[i].offset = pos->time_ms;
        rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, parts, QUERY_TIMEOUT_MS);
        if (err) {
            snprintf(errstr, errstr_size, "offsets for times: %s", rd_kafka_err2str(err));
            return NF_EKAFKA;
        }
    }
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        int32_t p = tp->partition;
        switch (pos->kind) {
        case NF_POS_BEGINNING:
            tp->offset = low[p];
            break;
        case NF_POS_NOW:
            tp->offset = high[p];
            break;
        case NF_POS_TIME:
            if (tp->err) {
                snprintf(errstr, errstr_size, "offsets for times, partition %d: %s", (int)p,
                         rd_kafka_err2str(tp->err));
                return NF_EKAFKA;
            }
            if (tp->offset < 0) /* no message at or after that time */
                tp->offset = high[p];
            break;
        case NF_POS_OFFSETS: {
            const rd_kafka_topic_partition_t *given =
                rd_kafka_topic_partition_list_find(pos->offsets, tp->topic, p);
            tp->offset = given ? given->offset : -1;
            break;
        }
        }
        if (tp->offset >= 0 && tp->offset < low[p])
            tp->offset = low[p]; /* before retention: start at what is left */
        if (tp->offset > high[p])
            tp->offset = high[p];
    }
    return NF_OK;
}

int nf_range_resolve(const nf_config_t *conf, const nf_pos_t *from, const nf_pos_t *to,
                     rd_kafka_topic_partition_list_t **start, rd_kafka_topic_partition_list_t **end,
                     char *errstr, size_t errstr_size)
{
    int rc = NF_EKAFKA;
    int64_t *low = NULL, *high = NULL;
    rd_kafka_topic_partition_list_t *s = NULL, *e = NULL;
    *start = *end = NULL;
    rd_kafka_conf_t *rkconf = nf_kafka_conf_new(conf, NF_KAFKA_CONSUMER, errstr, errstr_size);
    if (!rkconf)
        return NF_ECONFIG;
    if (nf_kafka_conf_set(rkconf, "group.id", conf->group_id, errstr, errstr_size)) {
        rd_kafka_conf_destroy(rkconf);
        return NF_ECONFIG;
    }
    char rkerr[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, rkconf, rkerr, sizeof(rkerr));
    if (!rk) {
        rd_kafka_conf_destroy(rkconf);
        snprintf(errstr, errstr_size, "cannot create Kafka client: %s", rkerr);
        return NF_EKAFKA;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, conf->input_topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, QUERY_TIMEOUT_MS);
    if (err || md->topic_cnt != 1 || md->topics[0].err) {
        snprintf(errstr, errstr_size, "cannot read metadata of %s: %s", conf->input_topic,
                 rd_kafka_err2str(err ? err : md->topics[0].err));
        goto out;
    }
    int np = md->topics[0].partition_cnt;
    low = calloc((size_t)np, sizeof(*low));
    high = calloc((size_t)np, sizeof(*high));
    s = rd_kafka_topic_partition_list_new(np);
    e = rd_kafka_topic_partition_list_new(np);
    for (int i = 0; i < np; i++) {
        int32_t p = md->topics[0].partitions[i].id;
        if (p < 0 || p >= np) {
            snprintf(errstr, errstr_size, "unexpected partition id %d", (int)p);
            goto out;
        }
        err = rd_kafka_query_watermark_offsets(rk, conf->input_topic, p, &low[p], &high[p],
                                               QUERY_TIMEOUT_MS);
        if (err) {
            snprintf(errstr, errstr_size, "cannot read watermarks of %s [%d]: %s",
                     conf->input_topic, (int)p, rd_kafka_err2str(err));
            goto out;
        }
        rd_kafka_topic_partition_list_add(s, conf->input_topic, p);
        rd_kafka_topic_partition_list_add(e, conf->input_topic, p);
    }
    if (resolve_one(rk, from, s, low, high, errstr, errstr_size) ||
        resolve_one(rk, to, e, low, high, errstr, errstr_size))
        goto out;
    /* Keep only partitions with something to do. */
    *start = rd_kafka_topic_partition_list_new(np);
    *end = rd_kafka_topic_partition_list_new(np);
    for (int i = 0; i < np; i++) {
        int64_t a = s->elems[i].offset, b = e->elems[i].offset;
        if (from->kind == NF_POS_OFFSETS && a < 0)
            continue; /* not listed */
        if (to->kind == NF_POS_OFFSETS && b < 0)
            b = high[s->elems[i].partition];
        if (a < 0 || b <= a)
            continue;
        rd_kafka_topic_partition_list_add(*start, conf->input_topic, s->elems[i].partition)
            ->offset = a;
        rd_kafka_topic_partition_list_add(*end, conf->input_topic, s->elems[i].partition)->offset =
            b;
    }
    rc = NF_OK;
out:
    free(low);
    free(high);
    if (s)
        rd_kafka_topic_partition_list_destroy(s);
    if (e)
        rd_kafka_topic_partition_list_destroy(e);
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return rc;
}
