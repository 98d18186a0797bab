/*
 * article: the in-memory model of one news article as it moves through the pipeline.
 *
 * The decoder fills the input fields from the wire JSON (normalised: whitespace
 * collapsed, HTML entities and tags resolved); later stages (classifier, extractors,
 * novelty) add their results beside them; the encoder writes the enriched event from
 * it. All strings are owned by the article, NUL-terminated UTF-8, and NULL when absent.
 */
#ifndef NF_ARTICLE_H
#define NF_ARTICLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct nf_article {
    char *id;      /* required: given id, or derived from url ("url-<16 hex>") */
    char *title;   /* title or headline */
    char *body;    /* body, content or text */
    char *summary; /* summary or description */
    char *url;
    char *source;       /* publisher name; if the input gave an object, its "name" */
    char *published_at; /* as given by the feed (published_at, published or date) */
    char *language;
    char **authors; /* array of author names */
    size_t authors_n;
    int id_derived; /* 1 if id was derived from url */
    int deleted;    /* 1 for a deletion event ({"deleted": true} or {"op": "delete"}) */
} nf_article_t;

/* Where an input message came from (Kafka coordinates, or file name and line). */
typedef struct nf_source {
    const char *topic;    /* topic or file name */
    int32_t partition;    /* -1 for files */
    int64_t offset;       /* Kafka offset, or line number for files */
    int64_t timestamp_ms; /* message timestamp, -1 if unknown */
} nf_source_t;

/* Frees every field and zeroes the article so it can be reused. NULL is a no-op. */
void nf_article_clear(nf_article_t *article);

#endif
