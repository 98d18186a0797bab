/*
 * story: near-duplicate detection (MinHash with LSH banding) and story clusters, in a
 * state allocated once and bounded in count and time (the method is described in
 * story.h).
 *
 * The state is a ring of entries in observation order. Because entries only ever leave
 * the ring from its old end (expiry by time and eviction by count both take the oldest),
 * every hash chain that links entries in insertion order loses its members from its
 * head: an LSH bucket is a circular singly linked list reached through its tail (whose
 * next is the head), appended at the tail and popped at the head, and its oldest member
 * is the first one a lookup meets. That gives O(1) removal without back links or a head
 * pointer per bucket, and lets a lookup stop at the first match in each band, which is
 * the earliest near-copy in that band.
 *
 * The ring order also replaces sequence numbers: an entry's age is its distance from the
 * ring's head, and an entry names the one duplicate_of reports by how many observations
 * back it is (still held when that is no more than its own age). Article ids are kept in
 * a second ring, of bytes, in the same order.
 */
#include "story.h"
#include "encode.h"
#include "err.h"
#include "tokens.h"

#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NONE      UINT32_MAX
#define MAX_WORDS 512 /* shingles of title + lead: (300 + 500) / 2 at most, rounded up */
#define NORM_MAX  (NF_STORY_TITLE_MAX + NF_STORY_LEAD_MAX + 4)
#define NORM_BUF  (NORM_MAX + 1 + 16) /* 16 bytes of slack for append_fast()'s stores */
#define CHAIN_CAP 32                  /* members of one LSH bucket examined per band and lookup */
/* An LSH bucket node is slot << NODE_SHIFT | band, so that slot and band are a shift and a
 * mask away (not a division by the 21 bands: lookups decode every node they pass). */
#define NODE_SHIFT  5
#define MAX_ENTRIES ((UINT32_MAX >> NODE_SHIFT) - 1)
_Static_assert(NF_STORY_BANDS <= 1 << NODE_SHIFT, "a node's band fits in NODE_SHIFT bits");

/* The AVX2 MinHash kernel, chosen at run time where the CPU has AVX2 (GCC and clang). */
#if defined(__x86_64__) && defined(__GNUC__)
#define NF_STORY_AVX2 1
#include <immintrin.h>
#else
#define NF_STORY_AVX2 0
#endif

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
 * stream: the same in every process and run. Derived once, on first use, with perm_ah
 * (the high halves of perm_a, for the AVX2 kernel's 32-bit multiplies) and the kernel
 * this CPU runs.
 */
static uint64_t perm_a[NF_STORY_HASHES], perm_ah[NF_STORY_HASHES], perm_b[NF_STORY_HASHES];
static pthread_once_t perm_once = PTHREAD_ONCE_INIT;
static void (*sign)(const uint64_t *sh, size_t ns, uint16_t *sig);
static void (*pairs)(const uint64_t *words, size_t ns, uint64_t *sh);

static void sign_c(const uint64_t *sh, size_t ns, uint16_t *sig);
static void pairs_c(const uint64_t *words, size_t ns, uint64_t *sh);
#if NF_STORY_AVX2
static void sign_avx2(const uint64_t *sh, size_t ns, uint16_t *sig);
static void pairs_avx2(const uint64_t *words, size_t ns, uint64_t *sh);
#endif

static void perm_init(void)
{
    uint64_t s = 0x6e657773666c6f77ULL; /* "newsflow" */
    for (int i = 0; i < NF_STORY_HASHES; i++) {
        s += 0x9e3779b97f4a7c15ULL;
        perm_a[i] = mix64(s) | 1;
        perm_ah[i] = perm_a[i] >> 32;
        s += 0x9e3779b97f4a7c15ULL;
        perm_b[i] = mix64(s);
    }
    sign = sign_c;
    pairs = pairs_c;
#if NF_STORY_AVX2
    const char *no_avx2 = getenv("NF_NO_AVX2"); /* for tests: both kernels */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && !(no_avx2 && *no_avx2)) {
        sign = sign_avx2;
        pairs = pairs_avx2;
    }
#endif
}

/* Normalisation ----------------------------------------------------------------------- */

/*
 * English stop words, as the integers that pack4() makes of them, each in its slot of a
 * perfect hash (STOP_SLOT, the multiplier found by search). Two words in one slot would
 * initialise it twice, which -Woverride-init (-Wextra) rejects.
 */
#define STOP_KEY(a, b, c, d)                                                                       \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define STOP_SLOT(key)   ((uint32_t)((key)*0x17b73cc1u) >> 26)
#define STOP(a, b, c, d) [STOP_SLOT(STOP_KEY(a, b, c, d))] = STOP_KEY(a, b, c, d)
static const uint32_t STOP_WORDS[64] = {
    STOP('a', 0, 0, 0),       STOP('s', 0, 0, 0),       STOP('a', 'n', 0, 0),
    STOP('a', 's', 0, 0),     STOP('a', 't', 0, 0),     STOP('b', 'e', 0, 0),
    STOP('b', 'y', 0, 0),     STOP('i', 'n', 0, 0),     STOP('i', 's', 0, 0),
    STOP('i', 't', 0, 0),     STOP('o', 'f', 0, 0),     STOP('o', 'n', 0, 0),
    STOP('o', 'r', 0, 0),     STOP('t', 'o', 0, 0),     STOP('a', 'n', 'd', 0),
    STOP('a', 'r', 'e', 0),   STOP('f', 'o', 'r', 0),   STOP('h', 'a', 's', 0),
    STOP('i', 't', 's', 0),   STOP('t', 'h', 'e', 0),   STOP('w', 'a', 's', 0),
    STOP('b', 'e', 'e', 'n'), STOP('f', 'r', 'o', 'm'), STOP('h', 'a', 'v', 'e'),
    STOP('s', 'a', 'i', 'd'), STOP('s', 'a', 'y', 's'), STOP('t', 'h', 'a', 't'),
    STOP('t', 'h', 'i', 's'), STOP('w', 'e', 'r', 'e'), STOP('w', 'i', 'l', 'l'),
    STOP('w', 'i', 't', 'h')};

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

/* A 32-bit load as pack4 orders the bytes: the first in the low byte. */
static inline uint32_t le32(uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline uint32_t pack4(const char *w, size_t len)
{
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++)
        v |= (uint32_t)(unsigned char)w[i] << (8 * i);
    return v;
}

/*
 * Whether <w, len> is one of STOP_WORDS. Runs once per word of every title and lead, so
 * the word is one integer (a word's bytes are never 0, so the integer tells its length
 * too) and one probe of the perfect hash. room: bytes readable at w (at least len); with
 * 4, the word is one 4-byte load, masked to len bytes.
 */
static bool is_stop_word(const char *w, size_t len, size_t room)
{
    if (len == 0 || len > 4)
        return false;
    uint32_t mask = len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1, key;
    if (room >= 4) {
        memcpy(&key, w, 4);
        key = le32(key) & mask;
    } else {
        key = pack4(w, len);
    }
    return STOP_WORDS[STOP_SLOT(key)] == key;
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
    const char *nul = memchr(str, '\0', max);
    size_t len = nul ? (size_t)(nul - str) : max;
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
        /* every tag starts with a lower-case letter: most titles differ at once */
        char first = n ? (char)(*s | 0x20) : 0;
        for (int i = 0; TITLE_TAGS[i]; i++) {
            if (TITLE_TAGS[i][0] != first)
                continue;
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

/* nf_fnv1a(NF_FNV_SEED, w, len), inline: it runs once per word. */
static inline uint64_t word_hash(const unsigned char *w, size_t len)
{
    uint64_t h = NF_FNV_SEED;
#pragma GCC unroll 4
    for (size_t k = 0; k < len; k++)
        h = (h ^ w[k]) * 0x100000001b3ULL;
    return h;
}

#if defined(__SSE2__)
#define FAST_MAX 512 /* the longest text append_fast() takes: the lead, at most 500 */

/* Set only by tests (which include this file): append_words() without append_fast(). */
static bool fast_off;

/*
 * append_words() in two passes over <u, n>, for a text of at most FAST_MAX bytes. The
 * first, 16 bytes at a time, lower-cases the ASCII letters into a copy and marks the
 * word bytes in a bitmap: the ASCII letters and digits, and the bytes above 0x7f except
 * those of the separators sep_len() finds, taken in order as append_words() meets them
 * (a separator swallows the bytes it covers, whatever they are). The words are then the
 * runs of marked bits, found a 64-bit word at a time, each copied 16 bytes at a time
 * (out has 16 bytes of slack past cap). The caller checks that nothing is cut at cap
 * (pos + n + 1 < cap), so the words, stop words and hashes are append_words()'s.
 */
static size_t append_fast(const unsigned char *u, size_t n, char *out, size_t pos, uint64_t *words,
                          size_t *nw)
{
    unsigned char low[FAST_MAX + 16];
    /* one word more than the text: a run's end is found */
    uint64_t word[FAST_MAX / 64 + 1] = {0}, high[FAST_MAX / 64 + 1] = {0};
    size_t i = 0, nwords = (n + 63) >> 6;
    for (; n - i >= 16; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(u + i));
        __m128i hi = _mm_cmplt_epi8(x, _mm_setzero_si128());
        _mm_storeu_si128((__m128i *)(void *)(low + i),
                         _mm_or_si128(x, _mm_andnot_si128(hi, _mm_set1_epi8(0x20))));
        high[i >> 6] |= (uint64_t)(unsigned)_mm_movemask_epi8(hi) << (i & 63);
        word[i >> 6] |= (uint64_t)nf_alnum_mask16(u + i) << (i & 63);
    }
    for (; i < n; i++) {
        low[i] = u[i] >= 0x80 ? u[i] : u[i] | 0x20;
        if (u[i] >= 0x80)
            high[i >> 6] |= 1ULL << (i & 63);
        else if (is_alnum(u[i]))
            word[i >> 6] |= 1ULL << (i & 63);
    }
    memset(low + n, 0, 16);
    size_t next = 0; /* the first byte not swallowed by a separator */
    for (size_t k = 0; k < nwords; k++) {
        for (uint64_t h = high[k]; h; h &= h - 1) {
            size_t p = k * 64 + (size_t)__builtin_ctzll(h), sl;
            if (p < next)
                continue;
            word[k] |= 1ULL << (p & 63);
            if ((sl = sep_len(u + p, n - p)) != 0) {
                for (size_t q = p; q < p + sl; q++)
                    word[q >> 6] &= ~(1ULL << (q & 63));
                next = p + sl;
            }
        }
    }
    size_t wi = 0;
    uint64_t bits = word[0];
    for (;;) {
        while (!bits) {
            if (++wi >= nwords)
                return pos;
            bits = word[wi];
        }
        size_t start = wi * 64 + (size_t)__builtin_ctzll(bits);
        uint64_t gaps = ~word[wi] & (~0ULL << (start & 63));
        while (!gaps)
            gaps = ~word[++wi];
        size_t end = wi * 64 + (size_t)__builtin_ctzll(gaps), len = end - start;
        bits = word[wi] & (~0ULL << (end & 63));
        const unsigned char *w = low + start;
        if (is_stop_word((const char *)w, len, 16))
            continue;
        for (size_t k = 0; k < len; k += 16)
            _mm_storeu_si128((__m128i *)(void *)(out + pos + k),
                             _mm_loadu_si128((const __m128i *)(const void *)(w + k)));
        if (words)
            words[(*nw)++] = word_hash(w, len);
        out[pos + len] = ' ';
        pos += len + 1;
    }
}
#endif

/*
 * Appends the normalised words of <s, n> to out (each followed by one space), returning
 * the new length. Words are lowercased; stop words are dropped. out holds cap + 17 bytes
 * (NORM_BUF), all of which may be written (the terminating NUL goes in after).
 */
static size_t append_words(const char *s, size_t n, char *out, size_t pos, size_t cap,
                           uint64_t *words, size_t *nw)
{
    const unsigned char *u = (const unsigned char *)s;
#if defined(__SSE2__)
    if (n <= FAST_MAX && pos + n + 1 < cap && !fast_off)
        return append_fast(u, n, out, pos, words, nw);
#endif
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
#if defined(__SSE2__)
            /* a run of ASCII letters and digits, lower-cased 16 bytes at a time (the
             * bytes stored past the run are overwritten or cut off later) */
            if (n - i >= 16 && pos + 16 < cap) {
                unsigned run = (unsigned)__builtin_ctz(~nf_alnum_mask16(u + i)); /* <= 16 */
                __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(u + i));
                _mm_storeu_si128((__m128i *)(void *)(out + pos),
                                 _mm_or_si128(x, _mm_set1_epi8(0x20)));
                pos += run;
                i += run;
                if (run == 16)
                    continue;
                if (u[i] < 0x80)
                    break; /* an ASCII separator ends the word */
            }
#endif
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
        if (is_stop_word(out + start, pos - start, cap + 1 - start) || pos + 1 >= cap) {
            pos = start;
            continue;
        }
        if (words)
            words[(*nw)++] = word_hash((const unsigned char *)out + start, pos - start);
        out[pos++] = ' ';
    }
    return pos;
}

/*
 * Normalised text of title + lead into out[NORM_MAX]: words each followed by a space.
 * With words, also the FNV-1a hash of each word (at most NORM_MAX / 2) and their number.
 */
static size_t normalize(const char *title, const char *lead, char *out, uint64_t *words, size_t *nw)
{
    size_t pos = 0;
    if (title) {
        const char *p = title;
        size_t len = cut_len(title, NF_STORY_TITLE_MAX);
        strip_title_tags(&p, &len);
        strip_title_suffix(p, &len);
        pos = append_words(p, len, out, pos, NORM_MAX, words, nw);
    }
    if (lead)
        pos = append_words(lead, cut_len(lead, NF_STORY_LEAD_MAX), out, pos, NORM_MAX, words, nw);
    out[pos] = '\0';
    return pos;
}

void nf_story_normalize(const char *title, const char *lead, char *buf, size_t size)
{
    char norm[NORM_BUF];
    size_t len = normalize(title, lead, norm, NULL, NULL);
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
    char norm[NORM_BUF];
    uint64_t words[NORM_MAX / 2];
    size_t nw = 0;
    normalize(title, lead, norm, words, &nw);
    if (nw < 2) {
        if (nw)
            sh[0] = mix64(words[0]);
        return nw;
    }
    pthread_once(&perm_once, perm_init);
    pairs(words, nw - 1, sh);
    return nw - 1;
}

/* The shingles of ns + 1 words: sh[i] = mix64(words[i] * phi + words[i + 1]). */
static void pairs_c(const uint64_t *words, size_t ns, uint64_t *sh)
{
    for (size_t i = 0; i < ns; i++)
        sh[i] = mix64(words[i] * 0x9e3779b97f4a7c15ULL + words[i + 1]);
}

/*
 * The signature of the shingles: sig[i] is the top 16 bits of mix64(min over x of
 * h_i(x)), where h_i(x) = v ^ (v >> 29) with v = perm_a[i] * x + perm_b[i] (mod 2^64).
 * The lanes are independent, so the compiler vectorises the loop as far as the target
 * allows (SSE2 has no 64-bit multiply or compare: it is the fallback); sign_avx2()
 * computes the same values.
 */
static void sign_c(const uint64_t *sh, size_t ns, uint16_t *sig)
{
    uint64_t mins[NF_STORY_HASHES];
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
    for (int i = 0; i < NF_STORY_HASHES; i++)
        sig[i] = (uint16_t)(mix64(mins[i]) >> 48);
}

#if NF_STORY_AVX2
/* x * c (mod 2^64) in each lane, c a constant: three 32 x 32 -> 64-bit multiplies. */
__attribute__((target("avx2"))) static inline __m256i mul64c(__m256i x, uint64_t c)
{
    __m256i lo = _mm256_set1_epi64x((long long)(c & 0xffffffffu));
    __m256i hi = _mm256_set1_epi64x((long long)(c >> 32));
    __m256i mid =
        _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(x, 32), lo), _mm256_mul_epu32(x, hi));
    return _mm256_add_epi64(_mm256_mul_epu32(x, lo), _mm256_slli_epi64(mid, 32));
}

/* mix64() of four lanes. */
__attribute__((target("avx2"))) static inline __m256i mix64x4(__m256i x)
{
    x = _mm256_xor_si256(x, _mm256_srli_epi64(x, 30));
    x = mul64c(x, 0xbf58476d1ce4e5b9ULL);
    x = _mm256_xor_si256(x, _mm256_srli_epi64(x, 27));
    x = mul64c(x, 0x94d049bb133111ebULL);
    return _mm256_xor_si256(x, _mm256_srli_epi64(x, 31));
}

/* pairs_c(), four shingles at a time. */
__attribute__((target("avx2"))) static void pairs_avx2(const uint64_t *words, size_t ns,
                                                       uint64_t *sh)
{
    size_t i = 0;
    for (; ns - i >= 4; i += 4) {
        __m256i w = _mm256_loadu_si256((const __m256i *)(const void *)(words + i));
        __m256i next = _mm256_loadu_si256((const __m256i *)(const void *)(words + i + 1));
        __m256i x = _mm256_add_epi64(mul64c(w, 0x9e3779b97f4a7c15ULL), next);
        _mm256_storeu_si256((__m256i *)(void *)(sh + i), mix64x4(x));
    }
    pairs_c(words + i, ns - i, sh + i);
}

/* (uint16_t)(mix64(x) >> 48) of four lanes into sig[0..3]. */
__attribute__((target("avx2"))) static inline void store_sig4(__m256i x, uint16_t *sig)
{
    x = mix64x4(x);
    /* bytes 6 and 7 of each lane (the top 16 bits) to the front of its 128-bit half */
    x = _mm256_shuffle_epi8(x, _mm256_setr_epi8(6, 7, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                -1, -1, -1, 6, 7, 14, 15, -1, -1, -1, -1, -1, -1,
                                                -1, -1, -1, -1, -1, -1));
    uint32_t a = (uint32_t)_mm_cvtsi128_si32(_mm256_castsi256_si128(x));
    uint32_t b = (uint32_t)_mm_cvtsi128_si32(_mm256_extracti128_si256(x, 1));
    memcpy(sig, &a, 4);
    memcpy(sig + 2, &b, 4);
}

/*
 * sign_c() four lanes per instruction, 16 lanes at a time in registers across all the
 * shingles (12 instructions per four lanes and shingle, against 17 for the compiler's
 * AVX2 code of the loop above, which reloads and stores the minima for every shingle).
 * AVX2 has no 64-bit multiply: a * x mod 2^64 is
 * a_lo * x_lo + ((a_lo * x_hi + a_hi * x_lo) << 32), three 32 x 32 -> 64-bit multiplies.
 * Nor an unsigned 64-bit compare: the minima are kept with their top bit flipped, where
 * the signed compare orders them as unsigned. The minima's final mixing (mix64) is done
 * four lanes at a time too.
 */
_Static_assert(NF_STORY_HASHES % 16 == 0, "sign_avx2 takes the lanes 16 at a time");
__attribute__((target("avx2"))) static void sign_avx2(const uint64_t *sh, size_t ns, uint16_t *sig)
{
    const __m256i top = _mm256_set1_epi64x((long long)0x8000000000000000ULL);
    for (int g = 0; g < NF_STORY_HASHES; g += 16) {
        __m256i a[4], ah[4], b[4], m[4];
        for (int j = 0; j < 4; j++) {
            a[j] = _mm256_loadu_si256((const __m256i *)(const void *)(perm_a + g + 4 * j));
            ah[j] = _mm256_loadu_si256((const __m256i *)(const void *)(perm_ah + g + 4 * j));
            b[j] = _mm256_loadu_si256((const __m256i *)(const void *)(perm_b + g + 4 * j));
            m[j] = _mm256_set1_epi64x(INT64_MAX); /* UINT64_MAX, top bit flipped */
        }
#pragma GCC unroll 4
        for (size_t k = 0; k < ns; k++) {
            __m256i x = _mm256_set1_epi64x((long long)sh[k]);
            __m256i xh = _mm256_srli_epi64(x, 32);
            for (int j = 0; j < 4; j++) {
                __m256i lo = _mm256_mul_epu32(a[j], x);
                __m256i mid =
                    _mm256_add_epi64(_mm256_mul_epu32(a[j], xh), _mm256_mul_epu32(ah[j], x));
                __m256i v =
                    _mm256_add_epi64(_mm256_add_epi64(lo, _mm256_slli_epi64(mid, 32)), b[j]);
                v = _mm256_xor_si256(v, _mm256_srli_epi64(v, 29));
                __m256i vs = _mm256_xor_si256(v, top);
                m[j] = _mm256_blendv_epi8(vs, m[j], _mm256_cmpgt_epi64(vs, m[j]));
            }
        }
        for (int j = 0; j < 4; j++)
            store_sig4(_mm256_xor_si256(m[j], top), sig + g + 4 * j);
    }
}
#endif

static bool signature(const uint64_t *sh, size_t ns, uint16_t *sig)
{
    if (!ns)
        return false;
    pthread_once(&perm_once, perm_init);
    sign(sh, ns, sig);
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

/*
 * One held article: 248 bytes. Fields a lookup reads (signature, bucket links) come
 * first. Its age (its place in observation order) is its distance from the ring's head,
 * so no sequence number is stored; is_new, has_sig and the similarity to duplicate_of are
 * derived (see fill_info()).
 */
typedef struct entry {
    uint16_t sig[NF_STORY_HASHES];
    /*
     * Next member of each band's LSH bucket, as a node + 1 (node: slot << NODE_SHIFT | band).
     * A bucket is a circular list reached through its tail (the newest member), whose
     * next is the head (the oldest): all zero when the article has no signature.
     */
    uint32_t band_next[NF_STORY_BANDS];
    uint32_t id_hash;  /* low 32 bits of the id's hash */
    uint32_t id_next;  /* next slot + 1 in the id hash chain; 0: none */
    uint32_t id_off;   /* the id (NUL-terminated) in the id ring */
    uint32_t cluster;  /* index in clusters */
    uint32_t copies;   /* copies reported at first observation */
    uint32_t dup_back; /* observations back to the entry duplicate_of names; 0: none */
    int64_t seen_ms;
} entry_t;

typedef struct cluster {
    uint64_t key;
    int64_t first_seen_ms;
    uint32_t live;      /* entries held; 0: free, and next_free links it */
    uint32_t next_free; /* next free cluster + 1; 0: none */
} cluster_t;

/*
 * Every table is allocated by nf_story_new() and zero means empty, so that pages are
 * touched only as the state fills (calloc leaves large blocks to the kernel's zero
 * pages): a state that holds few articles (the alert decider's) costs little.
 */
struct nf_story {
    int64_t window_ms;
    double threshold;
    uint32_t cap;   /* max entries */
    uint32_t head;  /* slot of the oldest entry */
    uint32_t count; /* entries held */
    entry_t *entries;
    cluster_t *clusters;
    uint32_t clusters_used; /* clusters ever handed out: those above are untouched */
    uint32_t free_cluster;  /* + 1; 0: none */
    uint32_t *id_heads;     /* id hash chains of slot + 1, newest first */
    uint32_t id_mask;
    uint32_t *band_tails; /* LSH buckets: tail node + 1; 0: empty */
    uint32_t band_mask;
    /*
     * Article ids, NUL-terminated, in a ring of bytes in observation order like the
     * entries: the oldest entry's id starts the live part, ids_end ends it. It grows
     * (doubling) when an id does not fit.
     */
    char *ids;
    uint32_t ids_cap, ids_end;
};

#define IDS_PER_ENTRY 16 /* initial bytes of the id ring per entry */

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
     * likely cache miss, so buckets are kept short at the cost of 2 to 4 bytes per node.
     */
    st->band_mask = pow2_at_least((uint64_t)o.max_entries * NF_STORY_BANDS / 2) - 1;
    uint64_t ids_cap = (uint64_t)st->cap * IDS_PER_ENTRY;
    st->ids_cap = ids_cap > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)ids_cap;
    st->entries = calloc(st->cap, sizeof(*st->entries));
    st->clusters = calloc(st->cap, sizeof(*st->clusters));
    st->id_heads = calloc((size_t)st->id_mask + 1, sizeof(uint32_t));
    st->band_tails = calloc((size_t)st->band_mask + 1, sizeof(uint32_t));
    st->ids = malloc(st->ids_cap);
    if (!st->entries || !st->clusters || !st->id_heads || !st->band_tails || !st->ids)
        goto oom;
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
    free(st->entries);
    free(st->clusters);
    free(st->id_heads);
    free(st->band_tails);
    free(st->ids);
    free(st);
}

size_t nf_story_count(const nf_story_t *st)
{
    return st ? st->count : 0;
}

/* Place of a held entry in observation order: 0 for the oldest. */
static uint32_t age_of(const nf_story_t *st, uint32_t slot)
{
    return slot >= st->head ? slot - st->head : slot + st->cap - st->head;
}

/* The link out of a node + 1. */
static uint32_t *next_of(nf_story_t *st, uint32_t node1)
{
    uint32_t node = node1 - 1;
    return &st->entries[node >> NODE_SHIFT].band_next[node & ((1u << NODE_SHIFT) - 1)];
}

static uint32_t band_bucket(const nf_story_t *st, const uint16_t *sig, int band)
{
    const uint16_t *r = sig + band * NF_STORY_ROWS;
    uint64_t key = (uint64_t)band << 48 | (uint64_t)r[0] << 32 | (uint64_t)r[1] << 16 | r[2];
    return (uint32_t)mix64(key) & st->band_mask;
}

/* The LSH buckets of a signature, whose tails are prefetched. */
static void band_buckets(const nf_story_t *st, const uint16_t *sig, uint32_t *bk)
{
    for (int b = 0; b < NF_STORY_BANDS; b++) {
        bk[b] = band_bucket(st, sig, b);
        __builtin_prefetch(&st->band_tails[bk[b]]);
    }
}

static bool band_equal(const uint16_t *a, const uint16_t *b, int band)
{
    return !memcmp(a + band * NF_STORY_ROWS, b + band * NF_STORY_ROWS,
                   NF_STORY_ROWS * sizeof(uint16_t));
}

/*
 * Offset where an id of need bytes (its NUL included) fits in the id ring, or -1. The
 * live part runs from the oldest entry's id to ids_end, possibly wrapping; it never
 * touches the free part's far end, so that start == end only when the ring is empty.
 */
static int64_t id_fits(const nf_story_t *st, uint32_t need)
{
    uint32_t start = st->count ? st->entries[st->head].id_off : 0;
    uint32_t end = st->count ? st->ids_end : 0;
    if (end >= start) { /* free: [end, cap) and [0, start) */
        if (need <= st->ids_cap - end)
            return end;
        if (need < start)
            return 0;
    } else if (need < start - end) { /* free: [end, start) */
        return end;
    }
    return -1;
}

/* Makes room for an id of need bytes, copying the live ids into a larger ring. */
static int id_grow(nf_story_t *st, uint32_t need)
{
    while (id_fits(st, need) < 0) {
        uint64_t ncap = (uint64_t)st->ids_cap * 2 + need;
        if (ncap > UINT32_MAX)
            return NF_ENOMEM;
        char *n = malloc(ncap);
        if (!n)
            return NF_ENOMEM;
        uint32_t pos = 0;
        for (uint32_t i = 0, slot = st->head; i < st->count; i++) {
            entry_t *e = &st->entries[slot];
            size_t len = strlen(st->ids + e->id_off) + 1;
            memcpy(n + pos, st->ids + e->id_off, len);
            e->id_off = pos;
            pos += (uint32_t)len;
            slot = slot + 1 == st->cap ? 0 : slot + 1;
        }
        free(st->ids);
        st->ids = n;
        st->ids_cap = (uint32_t)ncap;
        st->ids_end = pos;
    }
    return NF_OK;
}

/* Removes the oldest entry: from its id chain, from the head of its LSH buckets. */
static void remove_oldest(nf_story_t *st)
{
    uint32_t slot = st->head;
    entry_t *e = &st->entries[slot];

    uint32_t *link = &st->id_heads[e->id_hash & st->id_mask];
    while (*link && *link != slot + 1)
        link = &st->entries[*link - 1].id_next;
    if (*link == slot + 1)
        *link = e->id_next;

    if (e->band_next[0]) {
        uint32_t bk[NF_STORY_BANDS];
        band_buckets(st, e->sig, bk);
        for (int b = 0; b < NF_STORY_BANDS; b++) {
            uint32_t *tail = &st->band_tails[bk[b]];
            uint32_t node = (slot << NODE_SHIFT | (uint32_t)b) + 1;
            if (!*tail)
                continue;
            /* The oldest entry heads its chains (see the top of the file); walk if not. */
            uint32_t prev = *tail;
            while (*next_of(st, prev) != node && *next_of(st, prev) != *tail)
                prev = *next_of(st, prev);
            if (*next_of(st, prev) != node)
                continue;
            if (prev == node) /* its only member */
                *tail = 0;
            else {
                *next_of(st, prev) = e->band_next[b];
                if (*tail == node)
                    *tail = prev;
            }
        }
    }

    cluster_t *c = &st->clusters[e->cluster];
    if (--c->live == 0) {
        c->next_free = st->free_cluster;
        st->free_cluster = e->cluster + 1;
    }
    st->head = st->head + 1 == st->cap ? 0 : st->head + 1;
    st->count--;
}

static void fill_info(const nf_story_t *st, uint32_t slot, nf_story_info_t *out)
{
    const entry_t *e = &st->entries[slot];
    const cluster_t *c = &st->clusters[e->cluster];
    static const char hex[] = "0123456789abcdef";
    memcpy(out->key, "sty-", 4);
    for (int i = 0; i < 16; i++)
        out->key[4 + i] = hex[(c->key >> (60 - 4 * i)) & 15];
    out->key[20] = '\0';
    out->first_seen_ms = c->first_seen_ms;
    out->copies = e->copies;
    out->novelty = 1.0 / e->copies;
    out->is_new = e->dup_back == 0;
    out->duplicate_of = "";
    out->similarity = 0.0;
    /* The entry duplicate_of named is still held when it is no older than the oldest. */
    if (e->dup_back && e->dup_back <= age_of(st, slot)) {
        uint32_t d = slot >= e->dup_back ? slot - e->dup_back : slot + st->cap - e->dup_back;
        out->duplicate_of = st->ids + st->entries[d].id_off;
        out->similarity = sig_similarity(e->sig, st->entries[d].sig);
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
    /* Start every bucket's first loads before waiting on any: the state is mostly cold. */
    uint32_t tails[NF_STORY_BANDS], heads[NF_STORY_BANDS];
    for (int b = 0; b < NF_STORY_BANDS; b++) {
        tails[b] = st->band_tails[bk[b]];
        if (tails[b])
            __builtin_prefetch(next_of(st, tails[b]));
    }
    for (int b = 0; b < NF_STORY_BANDS; b++) {
        heads[b] = tails[b] ? *next_of(st, tails[b]) : 0;
        if (heads[b]) {
            const entry_t *e = &st->entries[(heads[b] - 1) >> NODE_SHIFT];
            __builtin_prefetch(&e->band_next[(heads[b] - 1) & ((1u << NODE_SHIFT) - 1)]);
            __builtin_prefetch(&e->sig[b * NF_STORY_ROWS]);
        }
    }
    uint32_t best = NONE, best_age = UINT32_MAX;
    for (int b = 0; b < NF_STORY_BANDS; b++) {
        uint32_t node = heads[b];
        for (int n = 0; node && n < CHAIN_CAP; n++) {
            uint32_t slot = (node - 1) >> NODE_SHIFT;
            uint32_t nb = (node - 1) & ((1u << NODE_SHIFT) - 1);
            const entry_t *e = &st->entries[slot];
            /*
             * A chain holds its members in observation order, so once one is no earlier
             * than the best match found so far, none after it is: stop walking. (Walking
             * on found nothing either, one cache miss per member, and copies of a story
             * fill its buckets.)
             */
            uint32_t age = age_of(st, slot);
            if (age >= best_age)
                break;
            /*
             * A candidate met again in a later band failed the threshold before and fails
             * it again: recomputing costs less than remembering.
             */
            if (nb == (uint32_t)b && band_equal(e->sig, sig, b)) {
                double sim = sig_similarity(e->sig, sig);
                if (sim >= st->threshold) {
                    best = slot;
                    best_age = age;
                    *similarity = sim;
                    break;
                }
            }
            node = node == tails[b] ? 0 : e->band_next[nb];
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
    for (uint32_t s = st->id_heads[id_hash & st->id_mask]; s; s = st->entries[s - 1].id_next) {
        const entry_t *e = &st->entries[s - 1];
        if (e->id_hash == (uint32_t)id_hash && !strcmp(st->ids + e->id_off, article_id)) {
            fill_info(st, s - 1, out);
            out->repeated = true;
            return NF_OK;
        }
    }

    /* Room for the id first: failing leaves the state as it was. */
    if (id_len >= UINT32_MAX / 4 || id_grow(st, (uint32_t)id_len + 1))
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
    (void)sim; /* fill_info() derives it again from the two signatures */

    uint32_t slot = st->head + st->count;
    if (slot >= st->cap)
        slot -= st->cap;
    entry_t *e = &st->entries[slot];
    e->id_hash = (uint32_t)id_hash;
    e->seen_ms = now_ms;
    /* Removing entries only frees id space: the id still fits. */
    e->id_off = (uint32_t)id_fits(st, (uint32_t)id_len + 1);
    memcpy(st->ids + e->id_off, article_id, id_len + 1);
    st->ids_end = e->id_off + (uint32_t)id_len + 1;
    if (match != NONE) {
        e->cluster = st->entries[match].cluster;
        e->dup_back = st->count - age_of(st, match);
    } else {
        /* A cluster is free: there are at most cap - 1 other entries, each in one. */
        if (st->free_cluster) {
            e->cluster = st->free_cluster - 1;
            st->free_cluster = st->clusters[e->cluster].next_free;
        } else {
            e->cluster = st->clusters_used++;
        }
        cluster_t *c = &st->clusters[e->cluster];
        uint64_t h = nf_fnv1a(NF_FNV_SEED, "story:", 6);
        c->key = nf_fnv1a(h, article_id, id_len);
        c->first_seen_ms = now_ms;
        c->live = 0;
        c->next_free = 0;
        e->dup_back = 0;
    }
    e->copies = ++st->clusters[e->cluster].live;

    e->id_next = st->id_heads[id_hash & st->id_mask];
    st->id_heads[id_hash & st->id_mask] = slot + 1;
    if (has_sig) {
        memcpy(e->sig, sig, sizeof(sig));
        for (int b = 0; b < NF_STORY_BANDS; b++) {
            uint32_t *tail = &st->band_tails[bk[b]];
            uint32_t node = (slot << NODE_SHIFT | (uint32_t)b) + 1;
            if (!*tail) {
                e->band_next[b] = node;
            } else {
                e->band_next[b] = *next_of(st, *tail);
                *next_of(st, *tail) = node;
            }
            *tail = node;
        }
    } else {
        memset(e->band_next, 0, sizeof(e->band_next));
    }
    st->count++;

    fill_info(st, slot, out);
    out->repeated = false;
    return NF_OK;
}

/* Encoding ----------------------------------------------------------------------------- */

/*
 * snprintf(buf, size, "%.3f", n) for n in [0, 1), exactly as glibc prints it (the exact
 * binary value rounded to 3 decimals, a tie to even), without the format interpreter:
 * n * 1000 is the 53-bit mantissa times 1000 (it fits in 64 bits) shifted right by the
 * exponent. Writes 5 bytes ("0.xyz" or "1.000"), no NUL.
 */
static void put_fraction3(double n, char *buf)
{
    uint64_t bits;
    memcpy(&bits, &n, sizeof(bits));
    int e = (int)(bits >> 52 & 0x7ff);
    uint64_t m = bits & ((1ULL << 52) - 1);
    int shift = 1074; /* subnormal */
    if (e) {
        m |= 1ULL << 52;
        shift = 1075 - e; /* at least 53 below 1.0 */
    }
    uint64_t q = 0;
    if (shift < 64) {
        uint64_t p = m * 1000, rem = p & ((1ULL << shift) - 1), half = 1ULL << (shift - 1);
        q = p >> shift;
        q += rem > half || (rem == half && (q & 1));
    } /* else below 2^-11 / 1000: rounds to 0 */
    buf[0] = q == 1000 ? '1' : '0';
    buf[1] = '.';
    q %= 1000;
    buf[2] = (char)('0' + q / 100);
    buf[3] = (char)('0' + q / 10 % 10);
    buf[4] = (char)('0' + q % 10);
}

int nf_story_encode(const nf_story_info_t *info, nf_buf_t *out)
{
    if (!info || !out)
        return NF_EINVAL;
    char ts[40], nov[8];
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
        put_fraction3(n, nov);
        len = 5;
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
