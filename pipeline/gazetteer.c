/*
 * gazetteer: loading the rules/gazetteer files into hash tables.
 *
 * Files are read in priority order: the hand-written lists first, so that where a name
 * appears twice the hand-written entry (with its tags and its judgement of whether the
 * name is a common word) wins over the generated one. Each table is open addressing
 * over 64-bit keys with linear probing, sized to stay under half full; a key collision
 * between two different names is possible in principle (64-bit hashes) and harmless:
 * the first name keeps the key.
 */
#include "gazetteer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tokens.h"

#define MAX_NAME_TOKENS 10

typedef struct table {
    uint64_t *keys;
    int32_t *vals;
    uint8_t *flags;
    size_t mask, n;
} table_t;

struct nf_gazetteer {
    nf_gaz_entry_t *entries;
    size_t entries_n, entries_cap;
    char **parents; /* pending "in=" names while loading */
    table_t names, tickers, titles, suffixes;
    /*
     * Bitmaps of the first-token hashes of names and titles: a token whose bit is
     * clear starts no name, so most tokens cost one bit test instead of a probe into
     * the large names table.
     */
    uint64_t name_first[1024], title_first[64];
    size_t names_n;
    nf_toks_t toks; /* scratch while loading */
};

static const char *const FILES[] = {
    "organizations.tsv",
    "locations-extra.tsv",
    "locations.tsv",
    "companies-indices.tsv",
};

static int table_init(table_t *t, size_t size)
{
    t->keys = calloc(size, sizeof(*t->keys));
    t->vals = calloc(size, sizeof(*t->vals));
    t->flags = calloc(size, sizeof(*t->flags));
    t->mask = size - 1;
    t->n = 0;
    return t->keys && t->vals && t->flags ? 0 : NF_ENOMEM;
}

static void table_free(table_t *t)
{
    free(t->keys);
    free(t->vals);
    free(t->flags);
    memset(t, 0, sizeof(*t));
}

static size_t slot(const table_t *t, uint64_t key)
{
    /* the high bits of a multiplicative hash: the low bits of chained keys are poor */
    size_t i = (size_t)(((key ^ (key >> 29)) * 0x9e3779b97f4a7c15ull) >> 20) & t->mask;
    while (t->keys[i] && t->keys[i] != key)
        i = (i + 1) & t->mask;
    return i;
}

static int table_grow(table_t *t)
{
    table_t bigger;
    if (table_init(&bigger, (t->mask + 1) * 2) != 0) {
        table_free(&bigger);
        return NF_ENOMEM;
    }
    for (size_t i = 0; i <= t->mask; i++) {
        if (!t->keys[i])
            continue;
        size_t j = slot(&bigger, t->keys[i]);
        bigger.keys[j] = t->keys[i];
        bigger.vals[j] = t->vals[i];
        bigger.flags[j] = t->flags[i];
        bigger.n++;
    }
    table_free(t);
    *t = bigger;
    return 0;
}

/* Sets flags on key (adding it); the value is set only by the first NF_GAZ_NAME. */
static int table_put(table_t *t, uint64_t key, int32_t val, unsigned flags)
{
    if (!key)
        key = 1;
    if ((t->n + 1) * 2 > t->mask + 1 && table_grow(t) != 0)
        return NF_ENOMEM;
    size_t i = slot(t, key);
    if (!t->keys[i]) {
        t->keys[i] = key;
        t->vals[i] = -1;
        t->n++;
    }
    if ((flags & NF_GAZ_NAME) && !(t->flags[i] & NF_GAZ_NAME)) {
        t->vals[i] = val;
        t->flags[i] |= (uint8_t)(flags & (NF_GAZ_NAME | NF_GAZ_WEAK));
    }
    t->flags[i] |= (uint8_t)(flags & NF_GAZ_PREFIX);
    return 0;
}

static unsigned table_get(const table_t *t, uint64_t key, int32_t *val)
{
    if (!t->keys)
        return 0;
    if (!key)
        key = 1;
    size_t i = slot(t, key);
    if (!t->keys[i])
        return 0;
    if (val)
        *val = t->vals[i];
    return t->flags[i];
}

/* Adds a token-sequence name: its proper prefixes flagged PREFIX, itself NAME. */
static int add_sequence(nf_gazetteer_t *gz, table_t *t, const char *name, int32_t val,
                        unsigned flags, size_t *added)
{
    uint64_t keys[MAX_NAME_TOKENS];
    size_t n = 0;
    gz->toks.n = 0;
    if (nf_tokenise(name, strlen(name), NULL, &gz->toks) != 0)
        return NF_ENOMEM;
    for (size_t i = 0; i < gz->toks.n; i++) {
        const nf_tok_t *tok = &gz->toks.v[i];
        if ((tok->flags & NF_TOK_PUNCT) && name[tok->start] == '.')
            continue;
        if (n == MAX_NAME_TOKENS)
            return 0; /* too long to be matched: skip */
        keys[n] = nf_tok_chain(n ? keys[n - 1] : 0, tok->hash);
        n++;
    }
    if (!n)
        return 0;
    uint64_t first = gz->toks.v[0].hash;
    if (t == &gz->names)
        gz->name_first[(first >> 6) & 1023] |= 1ull << (first & 63);
    else if (t == &gz->titles)
        gz->title_first[(first >> 6) & 63] |= 1ull << (first & 63);
    for (size_t i = 0; i + 1 < n; i++)
        if (table_put(t, keys[i], -1, NF_GAZ_PREFIX) != 0)
            return NF_ENOMEM;
    if (added && !(table_get(t, keys[n - 1], NULL) & NF_GAZ_NAME))
        (*added)++;
    return table_put(t, keys[n - 1], val, flags | NF_GAZ_NAME);
}

uint64_t nf_gazetteer_key(const char *name, size_t *ntoks)
{
    nf_toks_t toks = {0};
    uint64_t key = 0;
    size_t n = 0;
    if (nf_tokenise(name, strlen(name), NULL, &toks) == 0) {
        for (size_t i = 0; i < toks.n; i++) {
            if ((toks.v[i].flags & NF_TOK_PUNCT) && name[toks.v[i].start] == '.')
                continue;
            key = nf_tok_chain(key, toks.v[i].hash);
            n++;
        }
    }
    nf_toks_free(&toks);
    if (ntoks)
        *ntoks = n;
    return key;
}

static int kind_of(const char *s)
{
    static const char *const kinds[] = {"company", "investor", "public_body", "country",
                                        "state",   "city",     "region"};
    for (int i = 0; i < (int)(sizeof(kinds) / sizeof(kinds[0])); i++)
        if (!strcmp(s, kinds[i]))
            return i;
    return -1;
}

static int add_entry(nf_gazetteer_t *gz, const char *name, int kind, unsigned tags,
                     const char *parent, int32_t *idx)
{
    if (gz->entries_n == gz->entries_cap) {
        size_t cap = gz->entries_cap ? gz->entries_cap * 2 : 1024;
        nf_gaz_entry_t *e = realloc(gz->entries, cap * sizeof(*e));
        char **p = realloc(gz->parents, cap * sizeof(*p));
        if (e)
            gz->entries = e;
        if (p)
            gz->parents = p;
        if (!e || !p)
            return NF_ENOMEM;
        gz->entries_cap = cap;
    }
    nf_gaz_entry_t *e = &gz->entries[gz->entries_n];
    e->name = strdup(name);
    e->kind = (uint8_t)kind;
    e->tags = (uint8_t)tags;
    e->parent = -1;
    gz->parents[gz->entries_n] = parent && *parent ? strdup(parent) : NULL;
    if (!e->name) {
        free(gz->parents[gz->entries_n]);
        return NF_ENOMEM;
    }
    *idx = (int32_t)gz->entries_n++;
    return 0;
}

/* Splits line in place at tabs into at most max fields; returns the count. */
static size_t split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

/* One TSV row: name, type, aliases, tickers, tags. */
static int load_row(nf_gazetteer_t *gz, char *line, const char *path, size_t lineno, char *errstr,
                    size_t errstr_size)
{
    char *f[5] = {0};
    size_t n = split(line, f, 5);
    int kind = n >= 2 ? kind_of(f[1]) : -1;
    if (kind < 0 || !*f[0]) {
        snprintf(errstr, errstr_size, "%s:%zu: expected name<TAB>type<TAB>aliases...", path,
                 lineno);
        return NF_ECONFIG;
    }
    unsigned tags = 0, weak = 0;
    const char *parent = NULL;
    if (n >= 5) {
        for (char *sv = NULL, *t = strtok_r(f[4], ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
            if (!strcmp(t, "cloud"))
                tags |= NF_GAZ_TAG_CLOUD;
            else if (!strcmp(t, "chips"))
                tags |= NF_GAZ_TAG_CHIPS;
            else if (!strcmp(t, "weak"))
                weak = NF_GAZ_WEAK;
            else if (!strncmp(t, "in=", 3))
                parent = t + 3;
        }
    }
    /* a name already known (from a higher-priority file) keeps its entry */
    int32_t idx = -1;
    uint64_t key = nf_gazetteer_key(f[0], NULL);
    if (!(table_get(&gz->names, key, &idx) & NF_GAZ_NAME) || idx < 0) {
        if (add_entry(gz, f[0], kind, tags, parent, &idx) != 0)
            return NF_ENOMEM;
        if (add_sequence(gz, &gz->names, f[0], idx, weak, &gz->names_n) != 0)
            return NF_ENOMEM;
    }
    if (n >= 3 && *f[2]) {
        for (char *sv = NULL, *a = strtok_r(f[2], "|", &sv); a; a = strtok_r(NULL, "|", &sv)) {
            unsigned w = 0;
            if (*a == '~') {
                w = NF_GAZ_WEAK;
                a++;
            }
            if (*a && add_sequence(gz, &gz->names, a, idx, w, &gz->names_n) != 0)
                return NF_ENOMEM;
        }
    }
    if (n >= 4 && *f[3]) {
        for (char *sv = NULL, *t = strtok_r(f[3], "|", &sv); t; t = strtok_r(NULL, "|", &sv))
            if (table_put(&gz->tickers, nf_tok_hash(t, strlen(t)), idx, NF_GAZ_NAME) != 0)
                return NF_ENOMEM;
    }
    return 0;
}

static int load_file(nf_gazetteer_t *gz, const char *dir, const char *file, int list, char *errstr,
                     size_t errstr_size)
{
    char path[4096], line[2048];
    size_t lineno = 0;
    int rc = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return NF_EIO;
    }
    while (rc == 0 && fgets(line, sizeof(line), fp)) {
        lineno++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (!len || line[0] == '#')
            continue;
        if (list == 1)
            rc = add_sequence(gz, &gz->titles, line, 0, 0, NULL);
        else if (list == 2)
            rc = table_put(&gz->suffixes, nf_tok_hash(line, len), 0, NF_GAZ_NAME);
        else
            rc = load_row(gz, line, path, lineno, errstr, errstr_size);
    }
    if (rc == NF_ENOMEM)
        snprintf(errstr, errstr_size, "%s: out of memory", path);
    fclose(fp);
    return rc;
}

nf_gazetteer_t *nf_gazetteer_load(const char *dir, char *errstr, size_t errstr_size)
{
    nf_gazetteer_t *gz = calloc(1, sizeof(*gz));
    if (!gz) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (table_init(&gz->names, 1 << 14) || table_init(&gz->tickers, 1 << 12) ||
        table_init(&gz->titles, 256) || table_init(&gz->suffixes, 256)) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < sizeof(FILES) / sizeof(FILES[0]); i++)
        if (load_file(gz, dir, FILES[i], 0, errstr, errstr_size) != 0)
            goto fail;
    if (load_file(gz, dir, "person_titles.txt", 1, errstr, errstr_size) != 0 ||
        load_file(gz, dir, "company_suffixes.txt", 2, errstr, errstr_size) != 0)
        goto fail;
    for (size_t i = 0; i < gz->entries_n; i++) {
        int32_t p = -1;
        if (gz->parents[i] &&
            (table_get(&gz->names, nf_gazetteer_key(gz->parents[i], NULL), &p) & NF_GAZ_NAME))
            gz->entries[i].parent = p;
        free(gz->parents[i]);
        gz->parents[i] = NULL;
    }
    nf_toks_free(&gz->toks);
    return gz;
fail:
    nf_gazetteer_destroy(gz);
    return NULL;
}

void nf_gazetteer_destroy(nf_gazetteer_t *gz)
{
    if (!gz)
        return;
    for (size_t i = 0; i < gz->entries_n; i++) {
        free((char *)gz->entries[i].name);
        if (gz->parents)
            free(gz->parents[i]);
    }
    free(gz->entries);
    free(gz->parents);
    table_free(&gz->names);
    table_free(&gz->tickers);
    table_free(&gz->titles);
    table_free(&gz->suffixes);
    nf_toks_free(&gz->toks);
    free(gz);
}

bool nf_gazetteer_may_start(const nf_gazetteer_t *gz, uint64_t tok_hash)
{
    return gz->name_first[(tok_hash >> 6) & 1023] & (1ull << (tok_hash & 63));
}

bool nf_gazetteer_may_start_title(const nf_gazetteer_t *gz, uint64_t tok_hash)
{
    return gz->title_first[(tok_hash >> 6) & 63] & (1ull << (tok_hash & 63));
}

unsigned nf_gazetteer_name(const nf_gazetteer_t *gz, uint64_t key, int32_t *entry)
{
    return table_get(&gz->names, key, entry);
}

int32_t nf_gazetteer_ticker(const nf_gazetteer_t *gz, uint64_t tok_hash)
{
    int32_t v = -1;
    return (table_get(&gz->tickers, tok_hash, &v) & NF_GAZ_NAME) ? v : -1;
}

unsigned nf_gazetteer_title(const nf_gazetteer_t *gz, uint64_t key)
{
    return table_get(&gz->titles, key, NULL);
}

bool nf_gazetteer_suffix(const nf_gazetteer_t *gz, uint64_t tok_hash)
{
    return table_get(&gz->suffixes, tok_hash, NULL) & NF_GAZ_NAME;
}

const nf_gaz_entry_t *nf_gazetteer_entry(const nf_gazetteer_t *gz, int32_t entry)
{
    if (entry < 0 || (size_t)entry >= gz->entries_n)
        return NULL;
    return &gz->entries[entry];
}

size_t nf_gazetteer_names(const nf_gazetteer_t *gz)
{
    return gz->names_n;
}
