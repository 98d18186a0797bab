/*
 * encode: the enriched event writer. Field order is fixed so that output is stable for
 * golden-file tests and diffs; absent optional fields are omitted rather than null.
 */
#include "encode.h"
#include "nf_build.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void nf_json_string(nf_buf_t *out, const char *str)
{
    if (!str) {
        nf_buf_puts(out, "null");
        return;
    }
    static const char hex[] = "0123456789abcdef";
    nf_buf_append(out, "\"", 1);
    const char *run = str;
    for (const char *p = str; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        nf_buf_append(out, run, (size_t)(p - run));
        run = p + 1;
        switch (ch) {
        case '"':
            nf_buf_append(out, "\\\"", 2);
            break;
        case '\\':
            nf_buf_append(out, "\\\\", 2);
            break;
        case '\n':
            nf_buf_append(out, "\\n", 2);
            break;
        case '\t':
            nf_buf_append(out, "\\t", 2);
            break;
        case '\r':
            nf_buf_append(out, "\\r", 2);
            break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            nf_buf_append(out, esc, sizeof(esc));
        }
        }
    }
    nf_buf_append(out, run, strlen(run));
    nf_buf_append(out, "\"", 1);
}

static void field(nf_buf_t *out, const char *name, const char *value)
{
    if (!value)
        return;
    nf_buf_printf(out, ",\"%s\":", name);
    nf_json_string(out, value);
}

void nf_event_id(const nf_article_t *a, const nf_source_t *src, char *buf, size_t size)
{
    uint64_t h = nf_fnv1a(NF_FNV_SEED, a->id, strlen(a->id));
    h = nf_fnv1a(h, src->topic, strlen(src->topic));
    h = nf_fnv1a(h, &src->partition, sizeof(src->partition));
    h = nf_fnv1a(h, &src->offset, sizeof(src->offset));
    snprintf(buf, size, "evt-%016" PRIx64, h);
}

void nf_encode_enriched(const nf_article_t *a, const nf_encode_info_t *info, nf_buf_t *out)
{
    const nf_source_t *src = info->source;
    char evid[32], ts[40];
    if (info->event_id)
        snprintf(evid, sizeof(evid), "%s", info->event_id);
    else
        nf_event_id(a, src, evid, sizeof(evid));

    nf_buf_puts(out, "{\"schema\":\"newsflow.enriched.v1\",\"event_id\":");
    nf_json_string(out, evid);
    nf_buf_puts(out, ",\"article_id\":");
    nf_json_string(out, a->id);

    nf_buf_puts(out, ",\"article\":{\"id\":");
    nf_json_string(out, a->id);
    if (a->id_derived)
        nf_buf_puts(out, ",\"id_derived\":true");
    field(out, "title", a->title);
    field(out, "summary", a->summary);
    field(out, "body", a->body);
    field(out, "url", a->url);
    field(out, "source", a->source);
    field(out, "published_at", a->published_at);
    field(out, "language", a->language);
    if (a->authors_n) {
        nf_buf_puts(out, ",\"authors\":[");
        for (size_t i = 0; i < a->authors_n; i++) {
            if (i)
                nf_buf_append(out, ",", 1);
            nf_json_string(out, a->authors[i]);
        }
        nf_buf_append(out, "]", 1);
    }
    nf_buf_append(out, "}", 1);

    nf_buf_puts(out, ",\"source\":{\"topic\":");
    nf_json_string(out, src->topic);
    nf_buf_printf(out, ",\"partition\":%" PRId32 ",\"offset\":%" PRId64, src->partition,
                  src->offset);
    if (src->timestamp_ms >= 0) {
        nf_rfc3339_ms(src->timestamp_ms, ts, sizeof(ts));
        nf_buf_printf(out, ",\"timestamp\":\"%s\"", ts);
    }
    nf_buf_append(out, "}", 1);

    if (info->extra)
        info->extra(info->extra_ctx, out);
    nf_rfc3339_ms(info->processed_at_ms, ts, sizeof(ts));
    nf_buf_printf(out,
                  ",\"replay\":%s,\"processed_at\":\"%s\",\"processing_us\":%" PRId64
                  ",\"pipeline\":{\"version\":\"%s\"}}",
                  info->replay ? "true" : "false", ts, info->processing_us, NF_VERSION);
}
