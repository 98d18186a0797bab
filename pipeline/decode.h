/*
 * decode: turns the bytes of one input message into an nf_article_t, or rejects them
 * with a stable reason code.
 *
 * Accepted field names are those common in news feeds: id; title or headline; body,
 * content or text; summary or description; url or link; source (string, or an object
 * with "name"); published_at, published or date; language or lang; authors or author
 * (string or array of strings). An article needs an id (or a url to derive one from)
 * and a title or a body. A deletion event ({"id": ..., "deleted": true} or
 * {"id": ..., "op": "delete"}) needs only the id and sets article->deleted. Text fields are
 * normalised: HTML tags removed, HTML entities decoded, runs of whitespace collapsed to one space,
 * ends trimmed.
 *
 * Reasons are part of the dead-letter contract (docs/events.md): never rename one.
 */
#ifndef NF_DECODE_H
#define NF_DECODE_H

#include <stdbool.h>
#include <stddef.h>

#include "article.h"

typedef enum {
    NF_REJECT_NONE = 0,
    NF_REJECT_EMPTY,        /* "empty": zero-length or null message value */
    NF_REJECT_TOO_LARGE,    /* "too_large": larger than input.max.bytes */
    NF_REJECT_INVALID_UTF8, /* "invalid_utf8": bytes are not valid UTF-8 */
    NF_REJECT_INVALID_JSON, /* "invalid_json": not parseable JSON (truncated, garbage, ...) */
    NF_REJECT_NOT_OBJECT,   /* "not_object": valid JSON whose top level is not an object */
    NF_REJECT_WRONG_TYPE,   /* "wrong_type": a known field has the wrong JSON type */
    NF_REJECT_MISSING_ID,   /* "missing_id": neither id nor url */
    NF_REJECT_MISSING_TEXT, /* "missing_text": neither title nor body (after normalising) */
    NF_REJECT__CNT
} nf_reject_t;

typedef struct nf_decode_opts {
    size_t max_bytes; /* input.max.bytes */
    /*
     * Tests only: parse every message with cJSON rather than first trying the strict
     * single-pass parser (decode.c), so that the two can be compared.
     */
    bool cjson_only;
} nf_decode_opts_t;

/* The stable reason name of a code ("invalid_json", ...). */
const char *nf_reject_name(nf_reject_t reason);

/*
 * Decodes <buf, len> (not NUL-terminated) into *article, which must be zeroed or
 * cleared. On success returns NF_REJECT_NONE and the article owns its strings. On
 * rejection returns the reason, leaves *article cleared, and writes a human-readable
 * detail (which field, what was wrong, the parser position) to errstr.
 */
nf_reject_t nf_decode(const char *buf, size_t len, const nf_decode_opts_t *opts,
                      nf_article_t *article, char *errstr, size_t errstr_size);

/*
 * Normalises text in place: strips HTML tags, decodes HTML entities (named, decimal
 * and hex), collapses whitespace runs (including NBSP) to one space and trims. Returns
 * the new length. Exposed for the tests and for other text sources.
 */
size_t nf_text_normalise(char *text);

#endif
