/*
 * gazetteer: the names the extractor recognises, loaded from rules/gazetteer/ (format
 * and sources in its README.md): organisations (companies, investors, public bodies)
 * with aliases and tickers, places (countries, US states, cities, regions) with the
 * place that contains them, person titles and company-name suffixes.
 *
 * Names are keyed by the chained hashes of their tokens (tokens.h), so a lookup while
 * walking an article's tokens costs one probe per token: every proper prefix of a
 * multi-token name is stored too, flagged NF_GAZ_PREFIX, so the walk stops as soon as
 * no longer name can match. The gazetteer is read-only once loaded.
 */
#ifndef NF_GAZETTEER_H
#define NF_GAZETTEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    NF_GAZ_COMPANY = 0,
    NF_GAZ_INVESTOR,
    NF_GAZ_PUBLIC_BODY,
    NF_GAZ_COUNTRY,
    NF_GAZ_STATE,
    NF_GAZ_CITY,
    NF_GAZ_REGION,
} nf_gaz_kind_t;

#define NF_GAZ_TAG_CLOUD 0x01u /* sells cloud or compute capacity */
#define NF_GAZ_TAG_CHIPS 0x02u /* makes chips */

typedef struct nf_gaz_entry {
    const char *name; /* canonical name, owned by the gazetteer */
    uint8_t kind;     /* nf_gaz_kind_t */
    uint8_t tags;     /* NF_GAZ_TAG_* */
    int32_t parent;   /* entry of the containing place, -1 */
} nf_gaz_entry_t;

/* Lookup flags. */
#define NF_GAZ_NAME   0x01u /* a whole name ends here */
#define NF_GAZ_PREFIX 0x02u /* a longer name continues */
#define NF_GAZ_WEAK   0x04u /* the name is also a common word: accept only mid-sentence */

typedef struct nf_gazetteer nf_gazetteer_t;

/*
 * Loads every file of dir (rules/gazetteer). Returns NULL with file and line in errstr
 * when a file is missing or malformed. The caller owns the result.
 */
nf_gazetteer_t *nf_gazetteer_load(const char *dir, char *errstr, size_t errstr_size);
void nf_gazetteer_destroy(nf_gazetteer_t *gazetteer);

/* false when no name (title) starts with this token: the cheap test before a lookup. */
bool nf_gazetteer_may_start(const nf_gazetteer_t *gazetteer, uint64_t tok_hash);
bool nf_gazetteer_may_start_title(const nf_gazetteer_t *gazetteer, uint64_t tok_hash);

/* Looks up a chained token key; returns NF_GAZ_* flags (0: unknown) and the entry. */
unsigned nf_gazetteer_name(const nf_gazetteer_t *gazetteer, uint64_t key, int32_t *entry);
/* Entry of a ticker symbol (token hash), or -1. */
int32_t nf_gazetteer_ticker(const nf_gazetteer_t *gazetteer, uint64_t tok_hash);
/* NF_GAZ_NAME / NF_GAZ_PREFIX flags of a chained key of a person title ("chief executive"). */
unsigned nf_gazetteer_title(const nf_gazetteer_t *gazetteer, uint64_t key);
/* true if the token is a company-name suffix (Inc, GmbH, Labs, ...). */
bool nf_gazetteer_suffix(const nf_gazetteer_t *gazetteer, uint64_t tok_hash);

const nf_gaz_entry_t *nf_gazetteer_entry(const nf_gazetteer_t *gazetteer, int32_t entry);
/* Number of names (canonical and aliases) loaded. */
size_t nf_gazetteer_names(const nf_gazetteer_t *gazetteer);

/* Chained key of a name as the tokeniser splits it ('.' tokens left out); 0 if empty. */
uint64_t nf_gazetteer_key(const char *name, size_t *ntoks);

#endif
