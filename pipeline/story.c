/*
 * story: near-duplicate detection (MinHash with LSH banding) and story clusters, in a
 * state allocated once and bounded in count and time (the method is described in
 * story.h).
 *
 * The state is a ring of entries in observation order. Because entries only ever leave
 * the ring from its old end (expiry by time and eviction by count both take the oldest),
 * every hash chain that links entries in insertion order loses its members from its
 * head: an LSH bucket is a singly linked list with a tail pointer, appended at the tail
 * and popped at the head, and its oldest member is the first one a lookup meets. That
 * gives O(1) removal without back links, and lets a lookup stop at the first match in
 * each band, which is the earliest near-copy in that band.
 */
#include "story.h"
#include "encode.h"
#include "err.h"

#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NONE        UINT32_MAX
#define MAX_WORDS   512 /* words of title + lead: (300 + 500) / 2 at most, rounded up */
#define NORM_MAX    (NF_STORY_TITLE_MAX + NF_STORY_LEAD_MAX + 4)
#define ID_INLINE   48 /* article ids up to 47 bytes are stored in the entry */
#define CHAIN_CAP   32 /* members of one LSH bucket examined per band and lookup */
#define MAX_ENTRIES (UINT32_MAX / NF_STORY_BANDS - 1)

/* Hashing ----------------------------------------------------------------------------- */

/* splitmix64's finaliser: a strong 64-bit mixer. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/*
 * The MinHash permutations x -> (a * x + b) mod 2^64, a odd, drawn from a fixed splitmix64
 * stream: the same in every process and run. Derived once, on first use.
 */
static uint64_t perm_a[NF_STORY_HASHES], perm_b[NF_STORY_HASHES];
static pthread_once_t perm_once = PTHREAD_ONCE_INIT;

static void perm_init(void)
{
    uint64_t s = 0x6e657773666c6f77ULL; /* "newsflow" */
    for (int i = 0; i < NF_STORY_HASHES; i++) {
        s += 0x9e3779b97f4a7c15ULL;
        perm_a[i] = mix64(s) | 1;
        s += 0x9e3779b97f4a7c15ULL;
        perm_b[i] = mix64(s);
    }
}

/* Normalisation ----------------------------------------------------------------------- */

/* English stop words, by length: each followed by one space. */
static const char *const STOP_WORDS[] = {"", "a s ", "an as at be by in is it of on or to ",
                                         "and are for has its the was ",
                                         "been from have said says that this were will with "};

/* Leading wire-service tags: "UPDATE 2-", "EXCLUSIVE-", "BREAKING:". */
static const char *const TITLE_TAGS[] = {
    "breaking news", "breaking", "exclusive", "updated", "update",   "corrected",    "correction",
    "refile",        "rpt",      "wrapup",    "factbox", "analysis", "instant view", NULL};

static bool is_alpha(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool is_alnum(unsigned char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

/*
 * Length of the word separator at p (n bytes available), 0 when p starts a word byte.
 * ASCII other than letters and digits separates; so do no-break space, the Latin-1
 * punctuation and currency signs, and the General Punctuation and currency blocks
 * (dashes, curly quotes, bullets, ellipsis, euro sign), so that "Acme’s" and "Acme's"
 * or "€5m" and "$5m" normalise alike. Other non-ASCII bytes are word bytes.
 */
static size_t sep_len(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return is_alnum(p[0]) ? 0 : 1;
    if (p[0] == 0xc2 && n >= 2 && p[1] >= 0xa0 && p[1] <= 0xbf)
        return 2;
    if (p[0] == 0xe2 && n >= 3 && (p[1] == 0x80 || p[1] == 0x81 || p[1] == 0x82))
        return 3;
    return 0;
}

/*
 * Whether <w, len> is one of STOP_WORDS. Runs once per word of every title and lead, so
 * the word is compared as one integer against those of its length.
 */
static inline uint32_t pack4(const char *w, size_t len)
{
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++)
        v |= (uint32_t)(unsigned char)w[i] << (8 * i);
    return v;
}

static bool is_stop_word(const char *w, size_t len)
{
    if (len == 0 || len > 4)
        return false;
    uint32_t key = pack4(w, len);
    for (const char *p = STOP_WORDS[len]; *p; p += len + 1)
        if (pack4(p, len) == key)
            return true;
    return false;
}

/* Number of space-separated words in <p, len>. */
static int count_words(const char *p, size_t len)
{
    int n = 0;
    bool in = false;
    for (size_t i = 0; i < len; i++) {
        bool sp = p[i] == ' ';
        if (!sp && !in)
            n++;
        in = !sp;
    }
    return n;
}

/* Length of str up to max; when cut, moved back to the last ASCII separator if any. */
static size_t cut_len(const char *str, size_t max)
{
    size_t len = 0;
    while (len < max && str[len])
        len++;
    if (len < max || !str[len])
        return len;
    size_t cut = len;
    while (cut > 0 && (unsigned char)str[cut - 1] < 0x80 && is_alnum((unsigned char)str[cut - 1]))
        cut--;
    while (cut > 0 && (unsigned char)str[cut - 1] >= 0x80)
        cut--; /* do not keep part of a multi-byte word */
    while (cut > 0 && (unsigned char)str[cut - 1] < 0x80 && is_alnum((unsigned char)str[cut - 1]))
        cut--;
    return cut ? cut : len;
}

/* Strips leading wire tags from <*p, *len>. */
static void strip_title_tags(const char **p, size_t *len)
{
    for (int round = 0; round < 3; round++) {
        const char *s = *p;
        size_t n = *len;
        while (n && *s == ' ')
            s++, n--;
        size_t taglen = 0;
        for (int i = 0; TITLE_TAGS[i]; i++) {
            size_t tl = strlen(TITLE_TAGS[i]);
            if (tl <= n && !strncasecmp(s, TITLE_TAGS[i], tl) &&
                (tl == n || !is_alpha((unsigned char)s[tl]))) {
                taglen = tl;
                break;
            }
        }
        if (!taglen)
            return;
        size_t i = taglen;
        while (i < n && (s[i] == ' ' || (s[i] >= '0' && s[i] <= '9')))
            i++;
        if (i >= n || (s[i] != '-' && s[i] != ':'))
            return;
        i++;
        *p = s + i;
        *len = n - i;
    }
}

/*
 * Strips a trailing publisher suffix (" - Reuters", " | Site Name", " — The Verge") from
 * <p, *len>: the last such separator, followed by at most 4 words in at most 40 bytes,
 * after a title of at least 3 words.
 */
static void strip_title_suffix(const char *p, size_t *len)
{
    static const char *const SEPS[] = {" - ",  " | ", " \xe2\x80\x94 ", " \xe2\x80\x93 ",
                                       " :: ", NULL};
    size_t n = *len;
    for (size_t i = n; i-- > 0;) {
        if (p[i] != ' ')
            continue;
        for (int k = 0; SEPS[k]; k++) {
            size_t sl = strlen(SEPS[k]);
            if (i + sl > n || memcmp(p + i, SEPS[k], sl))
                continue;
            size_t rest = n - i - sl;
            if (rest <= 40 && count_words(p + i + sl, rest) <= 4 && count_words(p, i) >= 3)
                *len = i;
            return;
        }
    }
}

/*
 * Appends the normalised words of <s, n> to out (each followed by one space), returning
 * the new length. Words are lowercased; stop words are dropped.
 */
static size_t append_words(const char *s, size_t n, char *out, size_t pos, size_t cap)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        if (c < 0x80 && !is_alnum(c)) {
            i++;
            continue;
        }
        size_t sl = c >= 0x80 ? sep_len(u + i, n - i) : 0;
        if (sl) {
            i += sl;
            continue;
        }
        size_t start = pos;
        while (i < n) {
            c = u[i];
            if (c < 0x80) {
                if (!is_alnum(c))
                    break;
                c |= 0x20; /* lower case; digits have the bit already */
            } else if (sep_len(u + i, n - i)) {
                break;
            }
            if (pos + 1 < cap)
                out[pos++] = (char)c;
            i++;
        }
        if (is_stop_word(out + start, pos - start) || pos + 1 >= cap)
            pos = start;
        else
            out[pos++] = ' ';
    }
    return pos;
}

/* Normalised text of title + lead into out[NORM_MAX]: words each followed by a space. */
static size_t normalize(const char *title, const char *lead, char *out)
{
    size_t pos = 0;
    if (title) {
        const char *p = title;
        size_t len = cut_len(title, NF_STORY_TITLE_MAX);
        strip_title_tags(&p, &len);
        strip_title_suffix(p, &len);
        pos = append_words(p, len, out, pos, NORM_MAX);
    }
    if (lead)
        pos = append_words(lead, cut_len(lead, NF_STORY_LEAD_MAX), out, pos, NORM_MAX);
    out[pos] = '\0';
    return pos;
}

void nf_story_normalize(const char *title, const char *lead, char *buf, size_t size)
{
    char norm[NORM_MAX + 1];
    size_t len = normalize(title, lead, norm);
    if (len && norm[len - 1] == ' ')
        norm[--len] = '\0';
    if (size)
        snprintf(buf, size, "%s", norm);
}

/* Shingles and signatures ------------------------------------------------------------- */

/*
 * The shingle hashes of title + lead: word 2-grams, or the single word of a one-word
 * text. Returns the number written to sh[MAX_WORDS].
 */
static size_t shingles(const char *title, const char *lead, uint64_t *sh)
{
    char norm[NORM_MAX + 1];
    size_t len = normalize(title, lead, norm);
    uint64_t words[MAX_WORDS];
    size_t nw = 0;
    for (size_t i = 0; i < len && nw < MAX_WORDS;) {
        size_t j = i;
        while (norm[j] != ' ')
            j++;
        words[nw++] = nf_fnv1a(NF_FNV_SEED, norm + i, j - i);
        i = j + 1;
    }
    if (nw == 1) {
        sh[0] = mix64(words[0]);
        return 1;
    }
    size_t ns = 0;
    for (size_t i = 0; i + 1 < nw; i++)
        sh[ns++] = mix64(words[i] * 0x9e3779b97f4a7c15ULL + words[i + 1]);
    return ns;
}

/*
 * MinHash signature of the shingles; false when there are none. The 64 lanes are
 * independent, so the inner loop vectorises; with AVX2 (chosen at run time where the
 * CPU has it) it does four lanes at once.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
__attribute__((target_clones("avx2", "default")))
#endif
static void
minhash(const uint64_t *sh, size_t ns, uint64_t *mins)
{
    for (int i = 0; i < NF_STORY_HASHES; i++)
        mins[i] = UINT64_MAX;
    for (size_t k = 0; k < ns; k++) {
        uint64_t x = sh[k];
        for (int i = 0; i < NF_STORY_HASHES; i++) {
            uint64_t v = perm_a[i] * x + perm_b[i];
            v ^= v >> 29;
            mins[i] = v < mins[i] ? v : mins[i];
        }
    }
}

static bool signature(const uint64_t *sh, size_t ns, uint16_t *sig)
{
    if (!ns)
        return false;
    uint64_t mins[NF_STORY_HASHES];
    pthread_once(&perm_once, perm_init);
    minhash(sh, ns, mins);
    for (int i = 0; i < NF_STORY_HASHES; i++)
        sig[i] = (uint16_t)(mix64(mins[i]) >> 48);
    return true;
}

static bool text_signature(const char *title, const char *lead, uint16_t *sig)
{
    uint64_t sh[MAX_WORDS];
    return signature(sh, shingles(title, lead, sh), sig);
}

static double sig_similarity(const uint16_t *a, const uint16_t *b)
{
    int eq = 0;
    for (int i = 0; i < NF_STORY_HASHES; i++)
        eq += a[i] == b[i];
    return (double)eq / NF_STORY_HASHES;
}

double nf_story_similarity(const char *title_a, const char *lead_a, const char *title_b,
                           const char *lead_b)
{
    uint16_t a[NF_STORY_HASHES], b[NF_STORY_HASHES];
    if (!text_signature(title_a, lead_a, a) || !text_signature(title_b, lead_b, b))
        return 0.0;
    return sig_similarity(a, b);
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static size_t sort_unique(uint64_t *v, size_t n)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof(*v), cmp_u64);
    size_t m = 1;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[m - 1])
            v[m++] = v[i];
    return m;
}

double nf_story_jaccard(const char *title_a, const char *lead_a, const char *title_b,
                        const char *lead_b)
{
    uint64_t a[MAX_WORDS], b[MAX_WORDS];
    size_t na = sort_unique(a, shingles(title_a, lead_a, a));
    size_t nb = sort_unique(b, shingles(title_b, lead_b, b));
    if (!na || !nb)
        return 0.0;
    size_t i = 0, j = 0, both = 0;
    while (i < na && j < nb) {
        if (a[i] == b[j])
            both++, i++, j++;
        else if (a[i] < b[j])
            i++;
        else
            j++;
    }
    return (double)both / (double)(na + nb - both);
}

/* State -------------------------------------------------------------------------------- */

/* Fields a lookup reads come first, so that a candidate costs few cache lines. */
typedef struct entry {
    uint64_t seq;   /* observation number, from 1; 0: slot empty */
    uint32_t visit; /* lookup stamp, so that a candidate met in several bands is checked once */
    uint32_t band_next[NF_STORY_BANDS];
    uint16_t sig[NF_STORY_HASHES];
    uint64_t id_hash;
    int64_t seen_ms;
    uint64_t dup_seq; /* seq of the entry duplicate_of named at first observation */
    uint32_t dup_slot;
    uint32_t cluster;
    uint32_t copies; /* copies reported at first observation */
    uint32_t id_next;
    float similarity;
    bool has_sig;
    bool is_new;
    char id_inline[ID_INLINE];
    char *id_long; /* the id when it does not fit id_inline */
} entry_t;

typedef struct cluster {
    uint64_t key;
    int64_t first_seen_ms;
    uint32_t live; /* entries held; 0: free, next_free links it */
    uint32_t next_free;
} cluster_t;

struct nf_story {
    int64_t window_ms;
    double threshold;
    uint32_t cap;   /* max entries */
    uint32_t head;  /* slot of the oldest entry */
    uint32_t count; /* entries held */
    uint64_t seq;
    uint32_t visit;
    entry_t *entries;
    cluster_t *clusters;
    uint32_t free_cluster;
    uint32_t *id_heads; /* id hash chains, newest first */
    uint32_t id_mask;
    uint32_t *band_heads, *band_tails; /* LSH buckets of nodes slot * BANDS + band */
    uint32_t band_mask;
};

static const char *entry_id(const entry_t *e)
{
    return e->id_long ? e->id_long : e->id_inline;
}

static uint32_t pow2_at_least(uint64_t n)
{
    uint64_t p = 1024;
    while (p < n)
        p <<= 1;
    return (uint32_t)p;
}

nf_story_t *nf_story_new(const nf_story_opts_t *opts, char *errstr, size_t errstr_size)
{
    nf_story_opts_t o = opts ? *opts : (nf_story_opts_t){0};
    if (!o.window_ms)
        o.window_ms = NF_STORY_WINDOW_MS;
    if (!o.max_entries)
        o.max_entries = NF_STORY_MAX_ENTRIES;
    if (o.threshold == 0.0)
        o.threshold = NF_STORY_THRESHOLD;
    if (o.window_ms < 0) {
        snprintf(errstr, errstr_size, "story: window_ms must be positive");
        return NULL;
    }
    if (o.max_entries > MAX_ENTRIES) {
        snprintf(errstr, errstr_size, "story: max_entries must be at most %u",
                 (unsigned)MAX_ENTRIES);
        return NULL;
    }
    if (!(o.threshold > 0.0 && o.threshold <= 1.0)) {
        snprintf(errstr, errstr_size, "story: threshold must be in (0, 1]");
        return NULL;
    }
    nf_story_t *st = calloc(1, sizeof(*st));
    if (!st)
        goto oom;
    st->window_ms = o.window_ms;
    st->threshold = o.threshold;
    st->cap = o.max_entries;
    st->id_mask = pow2_at_least(o.max_entries) - 1;
    /*
     * One or two nodes per bucket: a lookup reads every member of a bucket's chain, each a
     * likely cache miss, so buckets are kept short at the cost of 4 to 8 bytes per node.
     */
    st->band_mask = pow2_at_least((uint64_t)o.max_entries * NF_STORY_BANDS / 2) - 1;
    st->entries = calloc(st->cap, sizeof(*st->entries));
    st->clusters = calloc(st->cap, sizeof(*st->clusters));
    st->id_heads = malloc(((size_t)st->id_mask + 1) * sizeof(uint32_t));
    st->band_heads = malloc(((size_t)st->band_mask + 1) * sizeof(uint32_t));
    st->band_tails = malloc(((size_t)st->band_mask + 1) * sizeof(uint32_t));
    if (!st->entries || !st->clusters || !st->id_heads || !st->band_heads || !st->band_tails)
        goto oom;
    memset(st->id_heads, 0xff, ((size_t)st->id_mask + 1) * sizeof(uint32_t));
    memset(st->band_heads, 0xff, ((size_t)st->band_mask + 1) * sizeof(uint32_t));
    memset(st->band_tails, 0xff, ((size_t)st->band_mask + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < st->cap; i++)
        st->clusters[i].next_free = i + 1 < st->cap ? i + 1 : NONE;
    st->free_cluster = 0;
    return st;
oom:
    nf_story_destroy(st);
    snprintf(errstr, errstr_size, "story: out of memory for %u entries", (unsigned)o.max_entries);
    return NULL;
}

void nf_story_destroy(nf_story_t *st)
{
    if (!st)
        return;
    if (st->entries)
        for (uint32_t i = 0; i < st->cap; i++)
            free(st->entries[i].id_long);
    free(st->entries);
    free(st->clusters);
    free(st->id_heads);
    free(st->band_heads);
    free(st->band_tails);
    free(st);
}

size_t nf_story_count(const nf_story_t *st)
{
    return st ? st->count : 0;
}

static uint32_t band_bucket(const nf_story_t *st, const uint16_t *sig, int band)
{
    const uint16_t *r = sig + band * NF_STORY_ROWS;
    uint64_t key = (uint64_t)band << 48 | (uint64_t)r[0] << 32 | (uint64_t)r[1] << 16 | r[2];
    return (uint32_t)mix64(key) & st->band_mask;
}

/* The LSH buckets of a signature, whose heads and tails are prefetched. */
static void band_buckets(const nf_story_t *st, const uint16_t *sig, uint32_t *bk)
{
    for (int b = 0; b < NF_STORY_BANDS; b++) {
        bk[b] = band_bucket(st, sig, b);
        __builtin_prefetch(&st->band_heads[bk[b]]);
        __builtin_prefetch(&st->band_tails[bk[b]]);
    }
}

static bool band_equal(const uint16_t *a, const uint16_t *b, int band)
{
    return !memcmp(a + band * NF_STORY_ROWS, b + band * NF_STORY_ROWS,
                   NF_STORY_ROWS * sizeof(uint16_t));
}

/* Removes the oldest entry: from its id chain, from the head of its LSH buckets. */
static void remove_oldest(nf_story_t *st)
{
    uint32_t slot = st->head;
    entry_t *e = &st->entries[slot];

    uint32_t *link = &st->id_heads[e->id_hash & st->id_mask];
    while (*link != NONE && *link != slot)
        link = &st->entries[*link].id_next;
    if (*link == slot)
        *link = e->id_next;

    if (e->has_sig) {
        uint32_t bk[NF_STORY_BANDS];
        band_buckets(st, e->sig, bk);
        for (int b = 0; b < NF_STORY_BANDS; b++) {
            uint32_t bucket = bk[b];
            uint32_t node = slot * NF_STORY_BANDS + (uint32_t)b;
            uint32_t *pl = &st->band_heads[bucket], prev = NONE;
            /* The oldest entry heads its chains (see the top of the file); walk if not. */
            while (*pl != NONE && *pl != node) {
                prev = *pl;
                pl = &st->entries[prev / NF_STORY_BANDS].band_next[prev % NF_STORY_BANDS];
            }
            if (*pl != node)
                continue;
            *pl = e->band_next[b];
            if (st->band_tails[bucket] == node)
                st->band_tails[bucket] = prev;
        }
    }

    cluster_t *c = &st->clusters[e->cluster];
    if (--c->live == 0) {
        c->next_free = st->free_cluster;
        st->free_cluster = e->cluster;
    }
    free(e->id_long);
    memset(e, 0, sizeof(*e));
    st->head = st->head + 1 == st->cap ? 0 : st->head + 1;
    st->count--;
}

static void fill_info(const nf_story_t *st, const entry_t *e, nf_story_info_t *out)
{
    const cluster_t *c = &st->clusters[e->cluster];
    static const char hex[] = "0123456789abcdef";
    memcpy(out->key, "sty-", 4);
    for (int i = 0; i < 16; i++)
        out->key[4 + i] = hex[(c->key >> (60 - 4 * i)) & 15];
    out->key[20] = '\0';
    out->first_seen_ms = c->first_seen_ms;
    out->copies = e->copies;
    out->novelty = 1.0 / e->copies;
    out->is_new = e->is_new;
    out->duplicate_of = "";
    out->similarity = 0.0;
    const entry_t *d = e->dup_slot != NONE ? &st->entries[e->dup_slot] : NULL;
    if (d && d->seq == e->dup_seq) {
        out->duplicate_of = entry_id(d);
        out->similarity = e->similarity;
    }
}

/*
 * The earliest held entry whose signature is within the threshold of sig, or NONE. Each
 * band's bucket is walked from its oldest member and left at the first match, which is
 * the earliest match in that band.
 */
static uint32_t find_earliest(nf_story_t *st, const uint16_t *sig, const uint32_t *bk,
                              double *similarity)
{
    if (++st->visit == 0) {
        for (uint32_t i = 0; i < st->cap; i++)
            st->entries[i].visit = 0;
        st->visit = 1;
    }
    /* Start every bucket's first load before waiting on any: the state is mostly cold. */
    uint32_t heads[NF_STORY_BANDS];
    for (int b = 0; b < NF_STORY_BANDS; b++) {
        heads[b] = st->band_heads[bk[b]];
        if (heads[b] != NONE) {
            const entry_t *e = &st->entries[heads[b] / NF_STORY_BANDS];
            __builtin_prefetch(&e->band_next[heads[b] % NF_STORY_BANDS]);
            __builtin_prefetch(&e->sig[b * NF_STORY_ROWS]);
        }
    }
    uint32_t best = NONE;
    uint64_t best_seq = UINT64_MAX;
    for (int b = 0; b < NF_STORY_BANDS; b++) {
        uint32_t node = heads[b];
        for (int n = 0; node != NONE && n < CHAIN_CAP; n++) {
            uint32_t slot = node / NF_STORY_BANDS;
            uint32_t nb = node % NF_STORY_BANDS;
            entry_t *e = &st->entries[slot];
            node = e->band_next[nb];
            /*
             * A chain holds its members in observation order, so once one is no earlier
             * than the best match found so far, none after it is: stop walking. (Walking
             * on found nothing either, one cache miss per member, and copies of a story
             * fill its buckets.)
             */
            if (e->seq >= best_seq)
                break;
            if (nb != (uint32_t)b || e->visit == st->visit)
                continue;
            if (!band_equal(e->sig, sig, b))
                continue;
            e->visit = st->visit;
            double sim = sig_similarity(e->sig, sig);
            if (sim >= st->threshold) {
                best = slot;
                best_seq = e->seq;
                *similarity = sim;
                break;
            }
        }
    }
    return best;
}

int nf_story_observe(nf_story_t *st, const char *article_id, const char *title, const char *lead,
                     int64_t now_ms, nf_story_info_t *out)
{
    if (!st || !article_id || !out)
        return NF_EINVAL;

    while (st->count && st->entries[st->head].seen_ms < now_ms - st->window_ms)
        remove_oldest(st);

    size_t id_len = strlen(article_id);
    uint64_t id_hash = nf_fnv1a(NF_FNV_SEED, article_id, id_len);
    for (uint32_t s = st->id_heads[id_hash & st->id_mask]; s != NONE; s = st->entries[s].id_next) {
        const entry_t *e = &st->entries[s];
        if (e->id_hash == id_hash && !strcmp(entry_id(e), article_id)) {
            fill_info(st, e, out);
            out->repeated = true;
            return NF_OK;
        }
    }

    char *id_long = NULL;
    if (id_len >= ID_INLINE && !(id_long = nf_strdup0(article_id)))
        return NF_ENOMEM;

    uint16_t sig[NF_STORY_HASHES];
    uint32_t bk[NF_STORY_BANDS];
    bool has_sig = text_signature(title, lead, sig);
    if (has_sig)
        band_buckets(st, sig, bk);

    /* Make room before the lookup, so that the match found is still held afterwards. */
    if (st->count == st->cap)
        remove_oldest(st);

    double sim = 0.0;
    uint32_t match = has_sig ? find_earliest(st, sig, bk, &sim) : NONE;

    uint32_t slot = st->head + st->count;
    if (slot >= st->cap)
        slot -= st->cap;
    entry_t *e = &st->entries[slot];
    e->seq = ++st->seq;
    e->id_hash = id_hash;
    e->seen_ms = now_ms;
    e->has_sig = has_sig;
    e->id_long = id_long;
    if (!id_long)
        memcpy(e->id_inline, article_id, id_len + 1);
    if (match != NONE) {
        const entry_t *m = &st->entries[match];
        e->cluster = m->cluster;
        e->dup_slot = match;
        e->dup_seq = m->seq;
        e->similarity = (float)sim;
        e->is_new = false;
    } else {
        /* A cluster is free: there are at most cap - 1 other entries, each in one. */
        e->cluster = st->free_cluster;
        cluster_t *c = &st->clusters[e->cluster];
        st->free_cluster = c->next_free;
        uint64_t h = nf_fnv1a(NF_FNV_SEED, "story:", 6);
        c->key = nf_fnv1a(h, article_id, id_len);
        c->first_seen_ms = now_ms;
        c->live = 0;
        e->dup_slot = NONE;
        e->dup_seq = 0;
        e->similarity = 0.0f;
        e->is_new = true;
    }
    e->copies = ++st->clusters[e->cluster].live;

    e->id_next = st->id_heads[id_hash & st->id_mask];
    st->id_heads[id_hash & st->id_mask] = slot;
    if (has_sig) {
        memcpy(e->sig, sig, sizeof(sig));
        for (int b = 0; b < NF_STORY_BANDS; b++) {
            uint32_t bucket = bk[b];
            uint32_t node = slot * NF_STORY_BANDS + (uint32_t)b;
            e->band_next[b] = NONE;
            uint32_t tail = st->band_tails[bucket];
            if (tail == NONE)
                st->band_heads[bucket] = node;
            else
                st->entries[tail / NF_STORY_BANDS].band_next[tail % NF_STORY_BANDS] = node;
            st->band_tails[bucket] = node;
        }
    }
    st->count++;

    fill_info(st, e, out);
    out->repeated = false;
    return NF_OK;
}

/* Encoding ----------------------------------------------------------------------------- */

int nf_story_encode(const nf_story_info_t *info, nf_buf_t *out)
{
    if (!info || !out)
        return NF_EINVAL;
    char ts[40], nov[32];
    double n = info->novelty;
    if (!(n >= 0.0))
        n = 0.0;
    if (n > 1.0)
        n = 1.0;
    size_t len;
    if (n == 1.0) { /* a new story, the common case */
        nov[0] = '1';
        len = 1;
    } else {
        snprintf(nov, sizeof(nov), "%.3f", n);
        len = strlen(nov);
        while (len > 1 && nov[len - 1] == '0')
            len--;
        if (nov[len - 1] == '.')
            len--;
    }
    nf_buf_append(out, ",\"story\":{\"key\":", 16);
    nf_json_string(out, info->key);
    nf_buf_append(out, ",\"first_seen\":\"", 15);
    nf_buf_append(out, ts, nf_rfc3339_ms(info->first_seen_ms, ts, sizeof(ts)));
    nf_buf_append(out, "\",\"novelty\":", 12);
    nf_buf_append(out, nov, len);
    nf_buf_append(out, ",\"copies\":", 10);
    nf_buf_put_u64(out, info->copies);
    if (info->duplicate_of && info->duplicate_of[0]) {
        nf_buf_append(out, ",\"duplicate_of\":", 16);
        nf_json_string(out, info->duplicate_of);
    }
    nf_buf_append(out, "}", 1);
    return NF_OK;
}
