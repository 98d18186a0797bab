/*
 * encode: the enriched event writer. Field order is fixed so that output is stable for
 * golden-file tests and diffs; absent optional fields are omitted rather than null.
 */
#include "encode.h"
#include "nf_build.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * Whether any of the 8 bytes in v needs escaping in a JSON string: a control byte
 * (< 0x20), '"' or '\\'. The byte tests are the exact "has a byte less than n" and "has
 * a zero byte" word tricks, so a plain chunk is never sent down the slow path by
 * mistake and an escaped byte is never missed.
 */
static inline bool chunk_needs_escape(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
    return (((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high;
}

void nf_json_string_n(nf_buf_t *out, const char *str, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    /* at most 6 bytes out per byte in ("\u001f"), and the quotes */
    if (len > (SIZE_MAX - 2) / 6 || !nf_buf_reserve(out, 6 * len + 2))
        return;
    const unsigned char *s = (const unsigned char *)str;
    char *w = out->data + out->len;
    size_t i = 0;
    *w++ = '"';
    while (i < len) {
#if defined(__SSE2__)
        /* sixteen bytes at a time: copied whole, kept up to the first that needs escaping
         * (the reservation above leaves room for the overhang) */
        while (len - i >= 16) {
            unsigned m = nf_json_special16(s + i);
            size_t run = m ? (size_t)__builtin_ctz(m) : 16;
            memcpy(w, s + i, 16);
            w += run;
            i += run;
            if (m)
                break;
        }
#endif
        while (len - i >= 8) {
            uint64_t v;
            memcpy(&v, s + i, 8);
            if (chunk_needs_escape(v))
                break;
            memcpy(w, &v, 8);
            w += 8;
            i += 8;
        }
        /* the rest of a chunk that needs escaping, or the tail, a byte at a time */
        size_t stop = len - i >= 8 ? i + 8 : len;
        for (; i < stop; i++) {
            unsigned char ch = s[i];
            if (ch >= 0x20 && ch != '"' && ch != '\\') {
                *w++ = (char)ch;
                continue;
            }
            *w++ = '\\';
            switch (ch) {
            case '"':
            case '\\':
                *w++ = (char)ch;
                break;
            case '\n':
                *w++ = 'n';
                break;
            case '\t':
                *w++ = 't';
                break;
            case '\r':
                *w++ = 'r';
                break;
            default:
                memcpy(w, "u00", 3);
                w[3] = hex[ch >> 4];
                w[4] = hex[ch & 15];
                w += 5;
            }
        }
    }
    *w++ = '"';
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
}

void nf_json_string(nf_buf_t *out, const char *str)
{
    if (!str) {
        nf_buf_append(out, "null", 4);
        return;
    }
    nf_json_string_n(out, str, strlen(str));
}

/* Appends ,"name": and the string value; nothing when value is NULL. */
static void field(nf_buf_t *out, const char *key, size_t key_len, const char *value)
{
    if (!value)
        return;
    nf_buf_append(out, key, key_len);
    nf_json_string(out, value);
}

#define FIELD(out, name, value) field(out, ",\"" name "\":", sizeof(",\"" name "\":") - 1, value)
/* appends a string literal (only a literal compiles) */
#define PUTS(out, lit) nf_buf_append(out, "" lit, sizeof(lit) - 1)

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

    PUTS(out, "{\"schema\":\"newsflow.enriched.v1\",\"event_id\":");
    nf_json_string(out, evid);
    PUTS(out, ",\"article_id\":");
    nf_json_string(out, a->id);

    PUTS(out, ",\"article\":{\"id\":");
    nf_json_string(out, a->id);
    if (a->id_derived)
        PUTS(out, ",\"id_derived\":true");
    FIELD(out, "title", a->title);
    FIELD(out, "summary", a->summary);
    FIELD(out, "body", a->body);
    FIELD(out, "url", a->url);
    FIELD(out, "source", a->source);
    FIELD(out, "published_at", a->published_at);
    FIELD(out, "language", a->language);
    if (a->authors_n) {
        PUTS(out, ",\"authors\":[");
        for (size_t i = 0; i < a->authors_n; i++) {
            if (i)
                PUTS(out, ",");
            nf_json_string(out, a->authors[i]);
        }
        PUTS(out, "]");
    }
    PUTS(out, "}");

    PUTS(out, ",\"source\":{\"topic\":");
    nf_json_string(out, src->topic);
    PUTS(out, ",\"partition\":");
    nf_buf_put_i64(out, src->partition);
    PUTS(out, ",\"offset\":");
    nf_buf_put_i64(out, src->offset);
    if (src->timestamp_ms >= 0) {
        PUTS(out, ",\"timestamp\":\"");
        nf_buf_append(out, ts, nf_rfc3339_ms(src->timestamp_ms, ts, sizeof(ts)));
        PUTS(out, "\"");
    }
    PUTS(out, "}");

    if (info->extra)
        info->extra(info->extra_ctx, out);
    if (info->replay)
        PUTS(out, ",\"replay\":true");
    else
        PUTS(out, ",\"replay\":false");
    PUTS(out, ",\"processed_at\":\"");
    nf_buf_append(out, ts, nf_rfc3339_ms(info->processed_at_ms, ts, sizeof(ts)));
    PUTS(out, "\",\"processing_us\":");
    nf_buf_put_i64(out, info->processing_us);
    PUTS(out, ",\"pipeline\":{\"version\":\"" NF_VERSION "\"}}");
}
