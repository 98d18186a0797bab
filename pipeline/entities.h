/*
 * entities: recognises the organisations, people and places named in a tokenised field
 * and merges their mentions into one entity table for the article.
 *
 * Four sources: gazetteer names (longest match, one hash probe per token), tickers in
 * ticker positions ("(NASDAQ: MU)", "<DEC>", "$TMUS"), wire company markers of capitalised
 * words ("<Business Aviation Inc>", "<Genentech>", named whole), and capitalised runs of unknown
 * words: a run that ends in a company suffix ("Illusive Networks", "Hulk Labs") is an
 * organisation, one introduced by a title ("CEO Andy Jassy") or followed by one ("Pat
 * Gelsinger, chief executive") is a person, "<Name> County" is a place, a place followed
 * by a company suffix is an organisation ("Boston Dynamics"), and so is a country's
 * government ("the German government"). Every other
 * capitalised run is kept as a candidate span: the role patterns in extract.c promote a
 * candidate to an organisation when it fills a slot ("<X> raises $5M").
 *
 * Internal to the extractor: the structures here live in nf_extraction_t's scratch.
 */
#ifndef NF_ENTITIES_H
#define NF_ENTITIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "extract.h"
#include "gazetteer.h"
#include "tokens.h"

typedef enum {
    NF_SPAN_ORG = 0,  /* gazetteer organisation or suffixed name */
    NF_SPAN_PERSON,   /* person */
    NF_SPAN_PLACE,    /* place */
    NF_SPAN_CANDIDATE /* unknown capitalised run */
} nf_span_type_t;

typedef struct nf_span {
    uint32_t first, last; /* token range, inclusive */
    uint8_t type;         /* nf_span_type_t */
    uint8_t field;        /* nf_text_field_t */
    uint8_t ticker;       /* named by its ticker: report the canonical name */
    int32_t gaz;          /* gazetteer entry, -1 */
    int32_t entity;       /* entity index once an entity, -1 */
} nf_span_t;

typedef struct nf_spans {
    nf_span_t *v;
    size_t n, cap;
} nf_spans_t;

/* Per-article entity state shared by entities.c and extract.c. */
typedef struct nf_ents {
    nf_extraction_t *out; /* entities are stored in out->entities */
    nf_buf_t *arena;      /* names as written */
    size_t name_off[NF_EXTRACT_MAX_ENTITIES];
    size_t canon_off[NF_EXTRACT_MAX_ENTITIES]; /* canonical gazetteer name, or (size_t)-1 */
    int32_t gaz[NF_EXTRACT_MAX_ENTITIES];      /* gazetteer entry per entity, -1 */
    uint64_t norm[NF_EXTRACT_MAX_ENTITIES];    /* key of the normalised name */
    uint8_t first_field[NF_EXTRACT_MAX_ENTITIES];
    uint32_t first_tok[NF_EXTRACT_MAX_ENTITIES];
} nf_ents_t;

/* true if the field is written in Title Case (most words capitalised): a headline. */
bool nf_entities_title_case(const char *text, const nf_toks_t *toks);

/*
 * Finds the spans of one field and appends them to spans (in token order), creating
 * entities for organisations, people and places. A Title Case headline's verb that the
 * lexicon does not know and that ended a name ("Acme Aviation Executes Lease ...") gets
 * the NF_CUE_VERB bit in toks, so the role patterns read it as a verb. Returns 0 or
 * NF_ENOMEM.
 */
int nf_entities_scan(const nf_gazetteer_t *gz, nf_text_field_t field, const char *text,
                     nf_toks_t *toks, nf_ents_t *ents, nf_spans_t *spans);

/*
 * The entity of a span, creating it (as an organisation, for a candidate) if needed.
 * Returns the entity index or -1 when the table is full.
 */
int nf_entities_of_span(const nf_gazetteer_t *gz, const char *text, const nf_toks_t *toks,
                        nf_ents_t *ents, nf_span_t *span);

/* The entity a span names if there is one already (no entity is created), else -1. */
int nf_entities_find(const nf_gazetteer_t *gz, const char *text, const nf_toks_t *toks,
                     const nf_ents_t *ents, const nf_span_t *span);

/* The entity's gazetteer entry, or NULL. */
const nf_gaz_entry_t *nf_entities_gaz(const nf_gazetteer_t *gz, const nf_ents_t *ents, int entity);

#endif
