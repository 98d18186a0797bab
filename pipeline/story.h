/*
 * story: story keys and novelty. Reports of the same story (syndicated copies, the same
 * event re-reported with small edits, a correction) share one story key; the first
 * report is novel, and each further copy seen within the novelty window is less so.
 *
 * Near-duplicates are found by MinHash over word shingles with LSH banding:
 *
 *   1. Normalise the title and the lead (the first NF_STORY_LEAD_MAX bytes of the body or
 *      summary, cut at a word boundary): drop a trailing publisher suffix from the title
 *      (" - Reuters", " | TechCrunch", " — Site", up to 4 words) and a leading wire tag
 *      ("UPDATE 2-", "EXCLUSIVE-", "BREAKING:"); lowercase ASCII; every byte that is not
 *      an ASCII letter or digit or part of a non-ASCII UTF-8 character separates words
 *      (and so do the Unicode dashes, quotes and ellipsis); drop a few English stop
 *      words ("the", "a", "of", ...); keep "10m", "1.5" as "1 5", and so on.
 *   2. Shingles are the word 2-grams of title + lead as one word sequence (a text of a
 *      single word is its own shingle). Each is hashed to 64 bits (FNV-1a, mixed).
 *   3. The signature is NF_STORY_HASHES (64) MinHash values, one per fixed permutation
 *      x -> (a_i * x + b_i) mod 2^64 with a_i odd, then xor-shifted; the seeds come from a
 *      fixed splitmix64 stream, so signatures are the same in every process and run.
 *      Each minimum is stored as a 16-bit hash of itself. On x86-64 CPUs with AVX2 the
 *      minima are computed by an AVX2 kernel chosen at run time, which gives exactly the
 *      portable code's values (NF_NO_AVX2=1 in the environment selects the portable
 *      code, for tests).
 *   4. The estimated Jaccard similarity of two texts is the fraction of the 64 positions
 *      whose values agree (nf_story_similarity()). Two articles are near-copies when it
 *      reaches the threshold (default 0.5).
 *   5. Candidates come from an LSH index of 21 bands of 3 rows: a candidate shares at
 *      least one band exactly. The probability that a pair of Jaccard similarity J becomes
 *      a candidate is 1 - (1 - J^3)^21: 0.94 at J = 0.5, 0.99 at 0.6, 0.0 at 0.1; a
 *      candidate is then checked against the threshold on all 64 positions.
 *
 * Clusters: an article that matches nothing starts a story, whose key is derived from
 * its article id ("sty-" + 16 hex of a hash of the id) and whose first_seen is its
 * observation time. An article that matches earlier ones joins the story of the
 * earliest of them, and duplicate_of names that earliest matching article. copies is the
 * number of the story's articles held in the state (seen within the window and not
 * evicted), including this one, and novelty = 1 / copies: 1.0 for the first report,
 * 0.5 for the second copy, 0.33 for the third, ...
 *
 * State is bounded in count and in time: at most max_entries articles are held (the
 * oldest is evicted to make room) and articles observed more than window_ms before now
 * are expired. Memory is allocated once by nf_story_new(): about 380 bytes per entry
 * held at most (a 248-byte entry, about 84 bytes of LSH buckets, its story and its id:
 * 19 MB for 50,000 entries, 38 MB for the default 100,000), zero until used, so that
 * pages are touched only as they fill. Observing allocates nothing, except to grow the
 * ring of article ids (doubling it) when the ids held average more than 16 bytes. An
 * article id already held is not counted again (a re-delivered message): its first
 * result is repeated. An observation costs about 7 us of CPU time with 100,000 articles
 * held (test_story), and 27.0k instructions per article in bench/stages: normalising
 * 9.6k, the shingle hashes and the signature 13.5k, the lookup and the insert 3.9k.
 *
 * A story state is for one thread at a time. Time is the caller's (now_ms), so replaying
 * observations with their original times rebuilds the same state.
 */
#ifndef NF_STORY_H
#define NF_STORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define NF_STORY_HASHES      64  /* MinHash signature length */
#define NF_STORY_BANDS       21  /* LSH bands ... */
#define NF_STORY_ROWS        3   /* ... of this many rows each */
#define NF_STORY_LEAD_MAX    500 /* bytes of the lead that are used */
#define NF_STORY_TITLE_MAX   300 /* bytes of the title that are used */
#define NF_STORY_KEY_LEN     20  /* "sty-" + 16 hex */
#define NF_STORY_WINDOW_MS   (24 * 3600 * 1000LL)
#define NF_STORY_MAX_ENTRIES 100000
#define NF_STORY_THRESHOLD   0.5

typedef struct nf_story_opts {
    int64_t window_ms;    /* novelty window; 0: NF_STORY_WINDOW_MS (24 h) */
    uint32_t max_entries; /* articles held at most; 0: NF_STORY_MAX_ENTRIES */
    double threshold;     /* estimated Jaccard similarity for a near-copy, in (0, 1];
                             0: NF_STORY_THRESHOLD */
} nf_story_opts_t;

/* The result of one observation. */
typedef struct nf_story_info {
    char key[NF_STORY_KEY_LEN + 1]; /* "sty-<16 hex>", the story's key */
    int64_t first_seen_ms;          /* when the story's first article was observed */
    uint32_t copies;                /* the story's articles held, this one included */
    double novelty;                 /* 1 / copies */
    /*
     * Article id of the earliest held near-copy of this article; "" when none. Owned by
     * the story state: valid until the next nf_story_observe() or nf_story_destroy().
     */
    const char *duplicate_of;
    bool is_new;       /* this article started its story */
    bool repeated;     /* this article id was already held: the result is its first one */
    double similarity; /* estimated similarity to duplicate_of; 0 when none */
} nf_story_info_t;

typedef struct nf_story nf_story_t;

/*
 * Creates a story state. opts may be NULL (defaults). Returns NULL with the reason in
 * errstr for a bad option or when memory runs out. The caller owns the result.
 */
nf_story_t *nf_story_new(const nf_story_opts_t *opts, char *errstr, size_t errstr_size);

/* Frees the state. NULL is a no-op. */
void nf_story_destroy(nf_story_t *story);

/*
 * Observes one article at now_ms (epoch ms): expires what is older than the window,
 * finds the article's near-copies, records it and fills *out. article_id is required
 * (NUL-terminated, any length); title and lead may be NULL (lead: the body or summary;
 * only its first NF_STORY_LEAD_MAX bytes are read). An article whose normalised text is
 * empty matches nothing and starts its own story. Returns 0, or NF_EINVAL for a NULL
 * story, article_id or out, or NF_ENOMEM when the id cannot be stored (the id ring
 * cannot grow); on error out is untouched and the article is not held.
 */
int nf_story_observe(nf_story_t *story, const char *article_id, const char *title, const char *lead,
                     int64_t now_ms, nf_story_info_t *out);

/* Number of articles held. */
size_t nf_story_count(const nf_story_t *story);

/*
 * Estimated Jaccard similarity in [0, 1] of two texts (title and lead each, either may be
 * NULL), exactly as nf_story_observe() compares them. Two empty texts have similarity 0.
 * Pure: no state, no allocation.
 */
double nf_story_similarity(const char *title_a, const char *lead_a, const char *title_b,
                           const char *lead_b);

/*
 * Exact Jaccard similarity of the two texts' shingle sets, which the MinHash estimate
 * approximates (for tests and tuning).
 */
double nf_story_jaccard(const char *title_a, const char *lead_a, const char *title_b,
                        const char *lead_b);

/*
 * Writes the normalised text of title + lead (what is shingled: words separated by one
 * space) into buf, truncated to size. For tests and debugging.
 */
void nf_story_normalize(const char *title, const char *lead, char *buf, size_t size);

/*
 * Appends the story object to an event being written, exactly:
 *   ,"story":{"key":"sty-…","first_seen":"<RFC 3339 ms>","novelty":0.5,"copies":2,
 *   "duplicate_of":"id"}
 * duplicate_of is omitted when empty; novelty has at most 3 decimals. Returns 0, or
 * NF_EINVAL for a NULL argument.
 */
int nf_story_encode(const nf_story_info_t *info, nf_buf_t *out);

#endif
