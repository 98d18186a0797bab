/*
 * encode: the enriched event writer. Field order is fixed so that output is stable for
 * golden-file tests and diffs; absent optional fields are omitted rather than null.
 */
#include "encode.h"
#include "nf_build.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Plain text 32 bytes at a time where the CPU has AVX2 (GCC and clang, x86-64). */
#if defined(__x86_64__) && defined(__GNUC__)
#define NF_ENCODE_AVX2 1
#include <immintrin.h>
#else
#define NF_ENCODE_AVX2 0
#endif

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

#if NF_ENCODE_AVX2
/*
 * The bytes among the 32 at p that a JSON string cannot hold as they are (bit i for byte
 * i), as nf_json_special16() finds them 16 at a time.
 */
__attribute__((target("avx2"))) static inline unsigned special32(const unsigned char *p)
{
    __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i ctl = _mm256_cmpeq_epi8(_mm256_min_epu8(x, _mm256_set1_epi8(0x1f)), x);
    __m256i q = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('"'));
    __m256i b = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\'));
    return (unsigned)_mm256_movemask_epi8(_mm256_or_si256(ctl, _mm256_or_si256(q, b)));
}

/*
 * Copies the plain bytes that start <s, len> to w, 32 at a time while at least 32 are
 * left, and returns how many it took (the bytes stored past them are overwritten later:
 * the caller's reservation leaves room).
 */
__attribute__((target("avx2"))) static size_t plain_run_avx2(const unsigned char *s, size_t len,
                                                             char *w)
{
    size_t i = 0;
    while (len - i >= 32) {
        unsigned m = special32(s + i);
        _mm256_storeu_si256((__m256i *)(void *)(w + i),
                            _mm256_loadu_si256((const __m256i *)(const void *)(s + i)));
        if (m)
            return i + (size_t)__builtin_ctz(m);
        i += 32;
    }
    return i;
}

/* Whether this CPU runs plain_run_avx2(): decided once, at start-up. */
static bool use_avx2;

__attribute__((constructor)) static void encode_init(void)
{
    const char *no = getenv("NF_NO_AVX2"); /* for tests: the portable path */
    __builtin_cpu_init();
    use_avx2 = __builtin_cpu_supports("avx2") && !(no && *no);
}
#endif

/*
 * The plain bytes left at the end of a string, fewer than 16, when none needs escaping:
 * two overlapping 8-byte (or 4-byte) loads cover them, so they are copied without a
 * loop. Returns false, having copied nothing, when one of them needs escaping (or when
 * fewer than 4 are left).
 */
static inline bool copy_plain_tail(const unsigned char *s, size_t n, char *w)
{
    uint64_t a, b;
    if (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        if (chunk_needs_escape(a) || chunk_needs_escape(b))
            return false;
        memcpy(w, &a, 8);
        memcpy(w + n - 8, &b, 8);
        return true;
    }
    if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        if (chunk_needs_escape((uint64_t)x | (uint64_t)y << 32))
            return false;
        memcpy(w, &x, 4);
        memcpy(w + n - 4, &y, 4);
        return true;
    }
    return false;
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
#if NF_ENCODE_AVX2
        if (use_avx2 && len - i >= 32) {
            size_t run = plain_run_avx2(s + i, len - i, w);
            w += run;
            i += run;
        }
#endif
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
        if (len - i < 16 && copy_plain_tail(s + i, len - i, w)) {
            w += len - i;
            break;
        }
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
    /* snprintf(buf, size, "evt-%016" PRIx64, h), without the format interpreter */
    static const char hex[] = "0123456789abcdef";
    char id[21] = "evt-";
    for (int i = 0; i < 16; i++)
        id[4 + i] = hex[(h >> (60 - 4 * i)) & 15];
    if (size) {
        size_t n = size - 1 < 20 ? size - 1 : 20;
        memcpy(buf, id, n);
        buf[n] = '\0';
    }
}

void nf_encode_enriched(const nf_article_t *a, const nf_encode_info_t *info, nf_buf_t *out)
{
    const nf_source_t *src = info->source;
    char evid[32], ts[40];
    /* a given event id is written as a 32-byte buffer would hold it: 31 bytes at most */
    if (!info->event_id)
        nf_event_id(a, src, evid, sizeof(evid));
    const char *ev = info->event_id ? info->event_id : evid;

    PUTS(out, "{\"schema\":\"newsflow.enriched.v1\",\"event_id\":");
    nf_json_string_n(out, ev, strnlen(ev, sizeof(evid) - 1));
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
