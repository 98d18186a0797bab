/*
 * extract: the enrichment stage. After the classifier has decided what an article is
 * about, nf_extract() finds who is involved, how much money and where: every money
 * amount in the title and body with its currency and what it measures, the named
 * organisations, people and places with their roles, and the per-category details of a
 * deal, a funding round and an infrastructure build.
 *
 * The extractor (nf_extractor_t) holds the gazetteer loaded from the rules directory
 * (rules/gazetteer/, see its README.md) and the word lexicon. It is immutable after
 * nf_extractor_new(), so any number of threads may share one. Each thread owns its own
 * nf_extraction_t: all per-article state (tokens, matches, the strings it reports)
 * lives there and its buffers are reused from one article to the next, so a warm
 * extraction allocates nothing per article.
 *
 * Positions are byte offsets into the article's normalised field (title, summary or
 * body), end exclusive. A field the text does not support is left unset (absent in the
 * encoded event), never guessed.
 */
#ifndef NF_EXTRACT_H
#define NF_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "article.h"
#include "tokens.h"
#include "util.h"

/*
 * Category bits for nf_extract()'s category_mask: which details to fill. Bit i is the
 * classifier's category i (classify.h: deal 0, funding 1, infrastructure 2).
 */
#define NF_EXTRACT_DEAL    (1u << 0)
#define NF_EXTRACT_FUNDING (1u << 1)
#define NF_EXTRACT_INFRA   (1u << 2)

/* Fixed capacities: an article with more is reported up to these (first ones kept). */
#define NF_EXTRACT_MAX_AMOUNTS   64
#define NF_EXTRACT_MAX_ENTITIES  96
#define NF_EXTRACT_MAX_PARTIES   8
#define NF_EXTRACT_MAX_INVESTORS 16

/* Text fields, numbered as the classifier numbers them (classify.h nf_field_t). */
typedef enum { NF_TEXT_TITLE = 0, NF_TEXT_BODY, NF_TEXT_SUMMARY, NF_TEXT__CNT } nf_text_field_t;

typedef enum {
    NF_KIND_INVESTMENT = 0,
    NF_KIND_ROUND_SIZE,
    NF_KIND_VALUATION,
    NF_KIND_CAPEX,
    NF_KIND_REVENUE,
    NF_KIND_COMMITMENT,
    NF_KIND_PRICE,
    NF_KIND_OTHER,
    NF_KIND__CNT
} nf_amount_kind_t;

typedef enum {
    NF_ENTITY_ORGANIZATION = 0,
    NF_ENTITY_PERSON,
    NF_ENTITY_LOCATION,
} nf_entity_type_t;

/* Roles, as bits of nf_entity_t.roles and values of nf_party_t.role. */
typedef enum {
    NF_ROLE_INVESTOR = 0,
    NF_ROLE_LEAD_INVESTOR,
    NF_ROLE_ACQUIRER,
    NF_ROLE_TARGET,
    NF_ROLE_SELLER,
    NF_ROLE_FUNDRAISER,
    NF_ROLE_PARTNER,
    NF_ROLE_OPERATOR,
    NF_ROLE_CUSTOMER,
    NF_ROLE_SUPPLIER,
    NF_ROLE__CNT
} nf_role_t;

typedef enum {
    NF_DEAL_ACQUISITION = 0,
    NF_DEAL_MERGER,
    NF_DEAL_STAKE,
    NF_DEAL_INVESTMENT,
    NF_DEAL_DIVESTITURE,
    NF_DEAL_JOINT_VENTURE,
    NF_DEAL_CONTRACT,
    NF_DEAL_PARTNERSHIP,
    NF_DEAL_OTHER,
} nf_deal_kind_t;

typedef enum {
    NF_STATUS_NONE = 0, /* the text implies none: absent from the event */
    NF_STATUS_RUMORED,
    NF_STATUS_IN_TALKS,
    NF_STATUS_ANNOUNCED,
    NF_STATUS_PENDING,
    NF_STATUS_COMPLETED,
    NF_STATUS_TERMINATED,
    NF_STATUS_BLOCKED,
} nf_deal_status_t;

typedef enum {
    NF_ASSET_NONE = 0,
    NF_ASSET_DATA_CENTER,
    NF_ASSET_COMPUTE_CLUSTER,
    NF_ASSET_FAB,
    NF_ASSET_CLOUD_REGION,
    NF_ASSET_NETWORK,
    NF_ASSET_POWER,
    NF_ASSET_OTHER,
} nf_asset_t;

/* One money expression. Strings point into the owning nf_extraction_t. */
typedef struct nf_amount {
    const char *text;  /* as written ("$1-2 billion") */
    char currency[4];  /* ISO 4217 ("USD") */
    double value;      /* in units of the currency; the low bound of a range */
    double value_high; /* the high bound of a range; 0 when not a range */
    nf_amount_kind_t kind;
    nf_text_field_t field;
    uint32_t start, end;
} nf_amount_t;

typedef struct nf_entity {
    const char *name;      /* as first written in the article ("A16Z", "AWS") */
    const char *canonical; /* the gazetteer's name ("Andreessen Horowitz"), or NULL */
    nf_entity_type_t type;
    unsigned roles;    /* bit (1u << nf_role_t) per role */
    unsigned mentions; /* times named in title, summary and body */
} nf_entity_t;

/* Entity and amount references are indexes into nf_extraction_t's arrays, -1 for none. */
typedef struct nf_party {
    int entity;
    nf_role_t role;
} nf_party_t;

typedef struct nf_deal {
    bool present;
    nf_deal_kind_t kind;
    nf_party_t parties[NF_EXTRACT_MAX_PARTIES];
    size_t parties_n;
    int amount;
    nf_deal_status_t status;
} nf_deal_t;

typedef struct nf_funding {
    bool present;
    int company;
    const char *round; /* "Series B", "seed", "pre-seed", "growth", "strategic"; NULL */
    int amount;
    int valuation;
    int investors[NF_EXTRACT_MAX_INVESTORS];
    size_t investors_n;
    int leads[NF_EXTRACT_MAX_INVESTORS];
    size_t leads_n;
} nf_funding_t;

typedef struct nf_infra {
    bool present;
    nf_asset_t asset;
    int operator_;        /* entity */
    const char *location; /* as written ("Huntsville, Alabama"); NULL */
    int amount;
    const char *capacity; /* as written ("10 GW"); NULL */
} nf_infra_t;

struct nf_extract_scratch;

/*
 * The result of one nf_extract() call, and the reusable buffers behind it. Zero it
 * before first use (or nf_extraction_clear); release with nf_extraction_free. Every
 * const char * in it points into its own storage and stays valid until the next
 * nf_extract, nf_extraction_clear or nf_extraction_free on it; nothing points into the
 * article.
 */
typedef struct nf_extraction {
    nf_amount_t amounts[NF_EXTRACT_MAX_AMOUNTS];
    size_t amounts_n;
    nf_entity_t entities[NF_EXTRACT_MAX_ENTITIES];
    size_t entities_n;
    nf_deal_t deal;
    nf_funding_t funding;
    nf_infra_t infra;
    struct nf_extract_scratch *scratch; /* private: tokens, string arena */
} nf_extraction_t;

typedef struct nf_extractor nf_extractor_t;

/*
 * Loads the gazetteer from rules_dir/gazetteer/. Returns a new extractor, or NULL with
 * the reason (file, line) in errstr. The caller owns the result.
 */
nf_extractor_t *nf_extractor_new(const char *rules_dir, char *errstr, size_t errstr_size);

/* Frees the extractor. NULL is a no-op. */
void nf_extractor_destroy(nf_extractor_t *extractor);

/* Number of gazetteer names (canonical names and aliases) loaded, for logs and tests. */
size_t nf_extractor_names(const nf_extractor_t *extractor);

/* The lexicon the extractor's tokens are cut with: tokens handed to nf_extract_tokens()
 * must come from nf_tokenise() with this lexicon (the extractor owns it). */
const nf_lexicon_t *nf_extractor_lexicon(const nf_extractor_t *extractor);

/*
 * Extracts from article (borrowed, not modified, not retained) into out, replacing what
 * out held. category_mask (NF_EXTRACT_{DEAL,FUNDING,INFRA}) says which per-category details to
 * fill; amounts and entities are always filled. Returns 0, NF_EINVAL for NULL arguments, or
 * NF_ENOMEM (out is then cleared).
 */
int nf_extract(const nf_extractor_t *extractor, const nf_article_t *article, unsigned category_mask,
               nf_extraction_t *out);

/*
 * nf_extract() over fields already tokenised, as nf_pipeline_process() shares them with
 * the classifier: toks[f] is nf_tokenise() of field f with nf_extractor_lexicon()
 * (NF_TEXT_* order). The tokens of the fields read are taken, not
 * copied: toks[f] is exchanged with out's own buffer, whose contents are stale (reset n
 * before reusing it). toks NULL: tokenised here.
 */
int nf_extract_tokens(const nf_extractor_t *extractor, const nf_article_t *article, nf_toks_t *toks,
                      unsigned category_mask, nf_extraction_t *out);

/* Empties out but keeps its buffers for the next article. */
void nf_extraction_clear(nf_extraction_t *out);

/* Empties out and frees its buffers. The struct itself is the caller's. */
void nf_extraction_free(nf_extraction_t *out);

/*
 * Appends the enrichment fields of the enriched event to out, each preceded by a comma:
 * ,"entities":[...],"amounts":[...] and, when present, ,"deal":{...}, ,"funding":{...},
 * ,"infrastructure":{...}. Their JSON Schema is docs/schemas/enrichment.v1.json; it is
 * what tools/score_extract.py reads. out is not reset first.
 */
void nf_extraction_encode(const nf_extraction_t *extraction, nf_buf_t *out);

/* Stable names used in the event ("round_size", "lead_investor", "in_talks", ...). */
const char *nf_amount_kind_name(nf_amount_kind_t kind);
const char *nf_role_name(nf_role_t role);
const char *nf_deal_kind_name(nf_deal_kind_t kind);
const char *nf_deal_status_name(nf_deal_status_t status);
const char *nf_asset_name(nf_asset_t asset);
const char *nf_entity_type_name(nf_entity_type_t type);

#endif
