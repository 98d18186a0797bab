/*
 * encode: writes the enriched event (schema newsflow.enriched.v1, docs/events.md) for
 * a processed article as compact JSON.
 *
 * The writer is hand-rolled over nf_buf_t rather than built as a cJSON tree: it runs
 * once per message on the hot path, and the input strings are already validated UTF-8,
 * so only JSON escaping is needed. Plain text is copied 32 bytes at a time on x86-64 CPUs
 * with AVX2 (chosen at start-up; NF_NO_AVX2=1 in the environment turns it off, for
 * tests), else 16 (SSE2) or 8 bytes at a time; the output is the same.
 */
#ifndef NF_ENCODE_H
#define NF_ENCODE_H

#include <stdbool.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "article.h"
#include "util.h"

typedef struct nf_encode_info {
    const nf_source_t *source;
    const char *event_id;    /* NULL: computed with nf_event_id() */
    int64_t processed_at_ms; /* wall clock */
    int64_t processing_us;   /* time spent in the pipeline for this article */
    bool replay;
    /* Appends the analysis fields (each preceded by a comma) before the closing brace;
     * may be NULL. */
    void (*extra)(const void *ctx, nf_buf_t *out);
    const void *extra_ctx;
} nf_encode_info_t;

/* Deterministic event id for an article read at a source position ("evt-<16 hex>"). */
void nf_event_id(const nf_article_t *article, const nf_source_t *source, char *buf, size_t size);

/* Appends the enriched event JSON to out (which is not reset first). */
void nf_encode_enriched(const nf_article_t *article, const nf_encode_info_t *info, nf_buf_t *out);

/*
 * Appends str as a quoted, escaped JSON string ("null" when str is NULL): '"', '\\' and
 * the control characters are escaped (\n, \t, \r, else \u00XX), every other byte is
 * copied as it is (the pipeline's strings are already valid UTF-8).
 */
void nf_json_string(nf_buf_t *out, const char *str);
/* The same for <str, len>, which may hold NUL bytes (written as \u0000). */
void nf_json_string_n(nf_buf_t *out, const char *str, size_t len);

#if defined(__SSE2__)
/*
 * The bytes a JSON string cannot hold as they are, among the 16 at p: bit i is set when
 * byte i is a control byte (< 0x20), '"' or '\\'. Both the decoder (to find a string's
 * end) and the writer (to find what to escape) skip plain text with it.
 */
static inline unsigned nf_json_special16(const unsigned char *p)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
    __m128i q = _mm_cmpeq_epi8(x, _mm_set1_epi8('"')), b = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, _mm_or_si128(q, b)));
}
#endif

#endif
