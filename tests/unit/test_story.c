/*
 * Unit test for pipeline/story (it includes story.c, to reach its internals):
 * normalisation, the fast normaliser against the byte loop, similarity on pairs of
 * near-duplicate and of different articles written for this test, story clusters (key,
 * copies, novelty, duplicate_of), repeated ids, ids of every length through a small
 * state, eviction by count and by time, determinism, golden signatures from both MinHash
 * kernels (the test runs itself again with NF_NO_AVX2=1), the encoded story object and
 * its novelty text against snprintf, and the cost of an observation with 100,000
 * articles held (NF_STORY_BENCH_N overrides the count; the thread's CPU time per
 * observation is printed, and checked only loosely since sanitizers and valgrind slow
 * it down).
 */
#include "err.h"
#include "story.c" /* the module itself: its normalisers, signatures and kernels */
#include "test.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <time.h>

typedef struct text {
    const char *title, *lead;
} text_t;

typedef struct pair {
    const char *what;
    text_t a, b;
} pair_t;

static const char ACME_LEAD[] =
    "Acme Robotics, a Boston-based maker of warehouse picking arms, said on Tuesday it had "
    "raised $40 million in a Series B round led by Northwind Ventures. The company plans to use "
    "the money to double its engineering staff and open an office in Rotterdam next year.";

static const char HELIOS_LEAD[] =
    "Helios Energy will build a 2 gigawatt solar farm with battery storage near Tonopah, Nevada, "
    "the utility said on Wednesday, at a cost of about $2.1 billion. Construction is due to start "
    "in the spring and the first panels should deliver power to the grid in 2028.";

/* Pairs that are the same story and must match. */
static const pair_t SAME[] = {
    {"syndicated copy, different publisher suffix",
     {"Acme Robotics raises $40 million to expand warehouse automation - Reuters", ACME_LEAD},
     {"Acme Robotics raises $40 million to expand warehouse automation | TechDaily", ACME_LEAD}},
    {"small edits",
     {"Acme Robotics raises $40 million to expand warehouse automation", ACME_LEAD},
     {"Acme Robotics raises $40 mln to expand warehouse automation",
      "Acme Robotics, a Boston-based maker of warehouse picking arms, said Tuesday it had raised "
      "$40 million in a Series B round led by Northwind Ventures. The company plans to use the "
      "money to roughly double its engineering staff and to open a new office in Rotterdam next "
      "year."}},
    {"reordered sentences",
     {"Acme Robotics raises $40 million to expand warehouse automation", ACME_LEAD},
     {"Acme Robotics raises $40 million to expand warehouse automation",
      "The company plans to use the money to double its engineering staff and open an office in "
      "Rotterdam next year. Acme Robotics, a Boston-based maker of warehouse picking arms, said "
      "on Tuesday it had raised $40 million in a Series B round led by Northwind Ventures."}},
    {"changed number (a correction)",
     {"Acme Robotics raises $40 million to expand warehouse automation", ACME_LEAD},
     {"Acme Robotics raises $45 million to expand warehouse automation",
      "Acme Robotics, a Boston-based maker of warehouse picking arms, said on Tuesday it had "
      "raised $45 million in a Series B round led by Northwind Ventures. The company plans to "
      "use the money to double its engineering staff and open an office in Rotterdam next "
      "year."}},
    {"wire tag and an added sentence",
     {"Acme Robotics raises $40 million to expand warehouse automation", ACME_LEAD},
     {"UPDATE 1-Acme Robotics raises $40 million to expand warehouse automation",
      "Acme Robotics, a Boston-based maker of warehouse picking arms, said on Tuesday it had "
      "raised $40 million in a Series B round led by Northwind Ventures. The company plans to use "
      "the money to double its engineering staff and open an office in Rotterdam next year. "
      "Shares of rival Pickwell rose 3% on the news."}},
    {"typography: curly quotes, dashes, case",
     {"Helios Energy's $2.1 billion solar farm - what we know", HELIOS_LEAD},
     {"HELIOS ENERGY\xe2\x80\x99S $2.1 BILLION SOLAR FARM \xe2\x80\x94 What We Know",
      "Helios Energy will build a 2 gigawatt solar farm with battery storage near Tonopah, "
      "Nevada \xe2\x80\x94 the utility said on Wednesday \xe2\x80\x94 at a cost of about "
      "$2.1 billion. Construction is due to start in the spring, and the first panels should "
      "deliver power to the grid in 2028."}},
    {"title only, different suffix",
     {"Helios Energy to build 2 GW solar farm in Nevada - Bloomberg", NULL},
     {"Helios Energy to build 2 GW solar farm in Nevada \xe2\x80\x94 Energy Wire Daily", NULL}},
    {"rewritten title, same lead",
     {"Warehouse robot maker Acme Robotics lands $40M Series B", ACME_LEAD},
     {"Acme Robotics raises $40 million to expand warehouse automation", ACME_LEAD}},
};

/* Pairs about the same company or topic that are different stories and must not match. */
static const pair_t DIFFERENT[] = {
    {"same company: a funding round vs an acquisition",
     {"Acme raises $10M",
      "Acme Corp, the Denver payments start-up, has raised $10 million in seed funding from "
      "Granite Capital, it said on Monday, and will hire twenty engineers."},
     {"Acme acquires Beta",
      "Acme Corp, the Denver payments start-up, has agreed to acquire Beta Labs, a fraud "
      "detection company, for an undisclosed sum, it said on Monday."}},
    {"same company, two rounds",
     {"Acme Robotics raises $40 million to expand warehouse automation", ACME_LEAD},
     {"Acme Robotics raises $12 million seed round",
      "Acme Robotics, which builds picking arms for warehouses, has closed a $12 million seed "
      "round from Harbor Angels and plans to ship its first units to grocery chains this "
      "autumn."}},
    {"two data centers in the same state",
     {"Northwind Cloud plans $3 billion data center campus in Ohio",
      "Northwind Cloud will spend $3 billion on a data center campus in New Albany, Ohio, with "
      "room for six buildings and 600 megawatts of power, the company said."},
     {"Granite Compute picks Ohio for $1.2 billion AI data center",
      "Granite Compute has chosen a site outside Columbus, Ohio, for a $1.2 billion data center "
      "that will house its next GPU cluster, according to local planning documents."}},
    {"same acquirer, two targets",
     {"Globex to buy Initech for $2.5 billion",
      "Globex agreed to buy software maker Initech for $2.5 billion in cash, the companies said, "
      "adding accounting tools to its small-business suite."},
     {"Globex to buy Hooli's chip unit for $900 million",
      "Globex agreed to buy the chip design unit of Hooli for $900 million, expanding its custom "
      "silicon team as demand for AI accelerators grows."}},
    {"same template, different companies",
     {"Vandelay Industries raises $25 million Series A",
      "Vandelay Industries, a Chicago logistics software start-up, raised $25 million in a "
      "Series A round led by Pendant Partners."},
     {"Kramerica Labs raises $25 million Series A",
      "Kramerica Labs, a Seattle battery chemistry start-up, raised $25 million in a Series A "
      "round led by Bania Capital."}},
    {"generic market wrap vs a deal",
     {"Stocks rise as tech rallies",
      "Wall Street closed higher on Thursday as chipmakers rallied and bond yields eased."},
     {"Acme Robotics raises $40 million to expand warehouse automation", ACME_LEAD}},
};

static void test_normalize(void)
{
    char buf[1024];
    nf_story_normalize("UPDATE 2-Acme's CEO: \"We'll grow\" - Reuters", NULL, buf, sizeof(buf));
    CHECK_STR(buf, "acme ceo we ll grow");
    nf_story_normalize("EXCLUSIVE-Big news at Acme | The Daily Widget", NULL, buf, sizeof(buf));
    CHECK_STR(buf, "big news acme");
    /* a short title keeps its dash; a long "suffix" is not a publisher */
    nf_story_normalize("Acme - Beta", NULL, buf, sizeof(buf));
    CHECK_STR(buf, "acme beta");
    nf_story_normalize("Acme buys Beta - a deal that reshapes the widget market for good", NULL,
                       buf, sizeof(buf));
    CHECK_STR(buf, "acme buys beta deal reshapes widget market good");
    nf_story_normalize("\xe2\x80\x9cQuoted\xe2\x80\x9d \xe2\x82\xac"
                       "5m deal",
                       "Lead, with $1.5bn.", buf, sizeof(buf));
    CHECK_STR(buf, "quoted 5m deal lead 1 5bn");
    nf_story_normalize(NULL, NULL, buf, sizeof(buf));
    CHECK_STR(buf, "");
    /* the lead is cut at NF_STORY_LEAD_MAX bytes, at a word boundary */
    char lead[2000];
    size_t n = 0;
    while (n + 8 < sizeof(lead)) {
        memcpy(lead + n, "abcdefg ", 8);
        n += 8;
    }
    lead[n] = '\0';
    nf_story_normalize(NULL, lead, buf, sizeof(buf));
    CHECK_INT(strlen(buf), NF_STORY_LEAD_MAX / 8 * 8 - 1);
}

/*
 * The normaliser copies runs of ASCII letters and digits 16 bytes at a time and tests
 * stop words with whole-word loads: a word of every length from 1 to 40 at every
 * offset, its run broken by a non-ASCII letter or ended by a separator of each kind, is
 * compared with the plain rule (lower-cased words, stop words such as "a" and "with"
 * dropped, each followed by one space).
 */
static void test_normalize_offsets(void)
{
    static const char *const ends[] = {" ", ",", "\xc2\xa0", "\xe2\x80\x94", "\xc3\xa9x "};
    static const char *const ends_norm[] = {" ", " ", " ", " ", "\xc3\xa9x "};
    static const char *const stops[] = {"a", "S", "wIth", "the", "and"};
    char lead[256], want[256], buf[1024];
    for (size_t e = 0; e < sizeof(ends) / sizeof(ends[0]); e++) {
        for (size_t len = 1; len <= 40; len++) {
            for (size_t at = 0; at <= 20; at++) {
                size_t n = 0, w = 0;
                for (size_t i = 0; i < at; i++)
                    lead[n++] = '.'; /* separators before the word */
                for (size_t i = 0; i < len; i++) {
                    char c = (char)(i % 3 == 0   ? 'B' + i % 24
                                    : i % 3 == 1 ? 'a' + i % 26
                                                 : '0' + i % 10);
                    lead[n++] = c;
                    want[w++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
                }
                n += (size_t)sprintf(lead + n, "%s%s tail", ends[e], stops[(len + at) % 5]);
                w += (size_t)sprintf(want + w, "%stail", ends_norm[e]);
                nf_story_normalize(NULL, lead, buf, sizeof(buf));
                CHECK_STR(buf, want);
                if (strcmp(buf, want))
                    fprintf(stderr, "  word of %zu at %zu, end %zu\n", len, at, e);
            }
        }
    }
    /* words that only look like stop words, at the end of the text */
    nf_story_normalize(NULL, "Acme with withs as ast a", buf, sizeof(buf));
    CHECK_STR(buf, "acme withs ast");
}

static int test_pairs(void)
{
    int tp = 0, fp = 0;
    for (size_t i = 0; i < sizeof(SAME) / sizeof(SAME[0]); i++) {
        const pair_t *p = &SAME[i];
        double est = nf_story_similarity(p->a.title, p->a.lead, p->b.title, p->b.lead);
        double jac = nf_story_jaccard(p->a.title, p->a.lead, p->b.title, p->b.lead);
        fprintf(stderr, "  same      est %.3f jaccard %.3f  %s\n", est, jac, p->what);
        CHECK(est >= NF_STORY_THRESHOLD);
        tp += est >= NF_STORY_THRESHOLD;
        /* symmetric */
        CHECK(est == nf_story_similarity(p->b.title, p->b.lead, p->a.title, p->a.lead));
    }
    for (size_t i = 0; i < sizeof(DIFFERENT) / sizeof(DIFFERENT[0]); i++) {
        const pair_t *p = &DIFFERENT[i];
        double est = nf_story_similarity(p->a.title, p->a.lead, p->b.title, p->b.lead);
        double jac = nf_story_jaccard(p->a.title, p->a.lead, p->b.title, p->b.lead);
        fprintf(stderr, "  different est %.3f jaccard %.3f  %s\n", est, jac, p->what);
        CHECK(est < NF_STORY_THRESHOLD);
        fp += est >= NF_STORY_THRESHOLD;
    }
    fprintf(stderr, "  pairs: %d/%zu same matched, %d/%zu different matched\n", tp,
            sizeof(SAME) / sizeof(SAME[0]), fp, sizeof(DIFFERENT) / sizeof(DIFFERENT[0]));
    /* identical texts, and nothing in common */
    CHECK(nf_story_similarity("a b c d", NULL, "a b c d", NULL) == 1.0);
    CHECK(nf_story_similarity("", NULL, "", NULL) == 0.0);
    CHECK(nf_story_similarity(NULL, NULL, "abc", NULL) == 0.0);
    CHECK(nf_story_jaccard("one two three", NULL, "four five six", NULL) == 0.0);
    CHECK(nf_story_jaccard("one two three", NULL, "one two three", NULL) == 1.0);
    return 0;
}

static nf_story_t *new_story(int64_t window_ms, uint32_t max_entries)
{
    char err[256] = "";
    nf_story_opts_t o = {.window_ms = window_ms, .max_entries = max_entries};
    nf_story_t *st = nf_story_new(&o, err, sizeof(err));
    CHECK(st != NULL);
    if (!st) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    return st;
}

static void test_clusters(void)
{
    nf_story_t *st = new_story(0, 1000);
    nf_story_info_t a, b, c, d, r;
    const pair_t *p = &SAME[0];
    int64_t t0 = 1764424800000; /* 2025-11-29T14:00:00Z */

    CHECK_INT(nf_story_observe(st, "a-1", p->a.title, p->a.lead, t0, &a), 0);
    CHECK(a.is_new && !a.repeated);
    CHECK_INT(a.copies, 1);
    CHECK(a.novelty == 1.0);
    CHECK_STR(a.duplicate_of, "");
    CHECK_INT(a.first_seen_ms, t0);
    CHECK(!strncmp(a.key, "sty-", 4) && strlen(a.key) == 20);

    CHECK_INT(nf_story_observe(st, "b-1", p->b.title, p->b.lead, t0 + 1000, &b), 0);
    CHECK(!b.is_new);
    CHECK_STR(b.key, a.key);
    CHECK_INT(b.copies, 2);
    CHECK(b.novelty == 0.5);
    CHECK_STR(b.duplicate_of, "a-1");
    CHECK_INT(b.first_seen_ms, t0);
    CHECK(b.similarity >= NF_STORY_THRESHOLD);

    /* a third copy (a correction) names the earliest near-copy */
    const pair_t *q = &SAME[3];
    CHECK_INT(nf_story_observe(st, "c-1", q->b.title, q->b.lead, t0 + 2000, &c), 0);
    CHECK_STR(c.key, a.key);
    CHECK_INT(c.copies, 3);
    CHECK(c.novelty > 0.333 && c.novelty < 0.334);
    CHECK_STR(c.duplicate_of, "a-1");

    /* a different story about the same company */
    const pair_t *x = &DIFFERENT[1];
    CHECK_INT(nf_story_observe(st, "d-1", x->b.title, x->b.lead, t0 + 3000, &d), 0);
    CHECK(d.is_new);
    CHECK(strcmp(d.key, a.key) != 0);
    CHECK_INT(d.copies, 1);

    /* the same article id again: not counted, first result repeated */
    CHECK_INT(nf_story_observe(st, "b-1", p->b.title, p->b.lead, t0 + 4000, &r), 0);
    CHECK(r.repeated && !r.is_new);
    CHECK_STR(r.key, a.key);
    CHECK_INT(r.copies, 2);
    CHECK_STR(r.duplicate_of, "a-1");
    CHECK_INT(nf_story_count(st), 4);

    /* an empty text matches nothing */
    nf_story_info_t e1, e2;
    CHECK_INT(nf_story_observe(st, "e-1", NULL, NULL, t0 + 5000, &e1), 0);
    CHECK_INT(nf_story_observe(st, "e-2", "", "...", t0 + 5000, &e2), 0);
    CHECK(e1.is_new && e2.is_new && strcmp(e1.key, e2.key) != 0);

    /* a long id is held and reported */
    char longid[200];
    memset(longid, 'x', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    nf_story_info_t l1, l2;
    const pair_t *h = &SAME[6];
    CHECK_INT(nf_story_observe(st, longid, h->a.title, h->a.lead, t0 + 6000, &l1), 0);
    CHECK_INT(nf_story_observe(st, "h-2", h->b.title, h->b.lead, t0 + 6001, &l2), 0);
    CHECK_STR(l2.duplicate_of, longid);
    CHECK_STR(l2.key, l1.key);

    CHECK_INT(nf_story_observe(NULL, "x", "t", NULL, 0, &r), NF_EINVAL);
    CHECK_INT(nf_story_observe(st, NULL, "t", NULL, 0, &r), NF_EINVAL);
    CHECK_INT(nf_story_observe(st, "x", "t", NULL, 0, NULL), NF_EINVAL);
    nf_story_destroy(st);
    nf_story_destroy(NULL);
}

static void test_novelty_decay(void)
{
    nf_story_t *st = new_story(0, 0);
    const pair_t *p = &SAME[0];
    double prev = 2.0;
    for (int i = 0; i < 10; i++) {
        char id[16];
        nf_story_info_t info;
        snprintf(id, sizeof(id), "copy-%d", i);
        CHECK_INT(
            nf_story_observe(st, id, i % 2 ? p->a.title : p->b.title, p->a.lead, 1000 + i, &info),
            0);
        CHECK_INT(info.copies, i + 1);
        CHECK(info.novelty < prev);
        CHECK(info.novelty > 1.0 / (i + 1) - 1e-9 && info.novelty < 1.0 / (i + 1) + 1e-9);
        CHECK_STR(info.duplicate_of, i ? "copy-0" : "");
        prev = info.novelty;
    }
    nf_story_destroy(st);
}

static void test_eviction_by_count(void)
{
    nf_story_t *st = new_story(0, 4);
    nf_story_info_t info, first;
    const pair_t *p = &SAME[0];
    CHECK_INT(nf_story_observe(st, "first", p->a.title, p->a.lead, 1, &first), 0);
    for (int i = 0; i < 4; i++) {
        char id[16], title[64];
        snprintf(id, sizeof(id), "other-%d", i);
        snprintf(title, sizeof(title), "unrelated headline number %d about w%dx", i, i * 7);
        CHECK_INT(nf_story_observe(st, id, title, NULL, 2 + i, &info), 0);
        CHECK(info.is_new);
        CHECK(nf_story_count(st) <= 4);
    }
    CHECK_INT(nf_story_count(st), 4);
    /* "first" was evicted: its copy starts a story of its own */
    CHECK_INT(nf_story_observe(st, "copy", p->b.title, p->b.lead, 10, &info), 0);
    CHECK(info.is_new);
    CHECK(strcmp(info.key, first.key) != 0);
    CHECK_STR(info.duplicate_of, "");
    CHECK_INT(nf_story_count(st), 4);
    /* while a story's copies are held, a later copy still joins it */
    CHECK_INT(nf_story_observe(st, "copy2", p->a.title, p->a.lead, 11, &first), 0);
    CHECK_STR(first.key, info.key);
    CHECK_STR(first.duplicate_of, "copy");
    nf_story_destroy(st);
}

static void test_eviction_by_time(void)
{
    nf_story_t *st = new_story(1000, 0);
    nf_story_info_t a, b, c, d;
    const pair_t *p = &SAME[0];
    CHECK_INT(nf_story_observe(st, "a", p->a.title, p->a.lead, 10000, &a), 0);
    CHECK_INT(nf_story_observe(st, "b", p->b.title, p->b.lead, 10600, &b), 0);
    CHECK_STR(b.key, a.key);
    /* at 11200 "a" (older than the window) is expired, "b" is not: c joins via b */
    CHECK_INT(nf_story_observe(st, "c", p->a.title, p->a.lead, 11200, &c), 0);
    CHECK_STR(c.key, a.key);
    CHECK_STR(c.duplicate_of, "b");
    CHECK_INT(c.copies, 2);
    CHECK_INT(c.first_seen_ms, 10000);
    CHECK_INT(nf_story_count(st), 2);
    /* long after: everything expired, a copy is new again */
    CHECK_INT(nf_story_observe(st, "d", p->b.title, p->b.lead, 50000, &d), 0);
    CHECK(d.is_new);
    CHECK(strcmp(d.key, a.key) != 0);
    CHECK_INT(d.copies, 1);
    CHECK_INT(nf_story_count(st), 1);
    nf_story_destroy(st);
}

/*
 * Ids of every length through a small state: the id ring wraps and grows while ids stay
 * right (repeated observations find them, duplicate_of names them), and duplicate_of is
 * dropped once the article it names is evicted.
 */
static void test_id_ring(void)
{
    enum { CAP = 8, N = 400 };
    nf_story_t *st = new_story(0, CAP);
    static char ids[N][320];
    nf_story_info_t first[N], info; /* their duplicate_of is not kept: see story.h */
    const pair_t *p = &SAME[0];
    for (int i = 0; i < N; i++) {
        int len = 1 + (i * 37) % (i < N / 2 ? 20 : 300);
        int n = snprintf(ids[i], sizeof(ids[i]), "%d-", i);
        memset(ids[i] + n, 'a' + i % 26, (size_t)len);
        ids[i][n + len] = '\0';
        /* every third article is a copy of the one before */
        char title[64];
        int j = i - (i % 3 == 2);
        snprintf(title, sizeof(title), "headline %d about w%dx", j, j * 11);
        CHECK_INT(nf_story_observe(st, ids[i], title, NULL, 1000 + i, &first[i]), 0);
        if (i % 3 == 2)
            CHECK_STR(first[i].duplicate_of, ids[i - 1]);
        CHECK_INT(nf_story_count(st), i + 1 < CAP ? i + 1 : CAP);
        int oldest = i + 1 < CAP ? 0 : i + 1 - CAP;
        for (int k = oldest; k <= i; k++) {
            CHECK_INT(nf_story_observe(st, ids[k], "x", NULL, 1000 + i, &info), 0);
            CHECK(info.repeated);
            CHECK_STR(info.key, first[k].key);
            CHECK_STR(info.duplicate_of, k % 3 == 2 && k - 1 >= oldest ? ids[k - 1] : "");
        }
    }
    nf_story_destroy(st);

    /* duplicate_of is reported while the article it names is held */
    st = new_story(0, 3);
    nf_story_info_t a, b;
    CHECK_INT(nf_story_observe(st, "a", p->a.title, p->a.lead, 1, &a), 0);
    CHECK_INT(nf_story_observe(st, "b", p->b.title, p->b.lead, 2, &b), 0);
    CHECK_STR(b.duplicate_of, "a");
    CHECK_INT(nf_story_observe(st, "c", "unrelated one", NULL, 3, &info), 0);
    CHECK_INT(nf_story_observe(st, "d", "unrelated two", NULL, 4, &info), 0);
    CHECK_INT(nf_story_observe(st, "b", p->b.title, p->b.lead, 5, &info), 0);
    CHECK(info.repeated && !info.is_new);
    CHECK_STR(info.key, a.key);
    CHECK_INT(info.copies, 2);
    CHECK_STR(info.duplicate_of, "");
    CHECK(info.similarity == 0.0);
    nf_story_destroy(st);
}

static void test_determinism_and_encode(void)
{
    nf_story_t *s1 = new_story(0, 100), *s2 = new_story(0, 100);
    for (size_t i = 0; i < sizeof(SAME) / sizeof(SAME[0]); i++) {
        nf_story_info_t x, y;
        char id[16];
        snprintf(id, sizeof(id), "s-%zu", i);
        nf_story_observe(s1, id, SAME[i].b.title, SAME[i].b.lead, (int64_t)i, &x);
        nf_story_observe(s2, id, SAME[i].b.title, SAME[i].b.lead, (int64_t)i, &y);
        CHECK_STR(x.key, y.key);
        CHECK_STR(x.duplicate_of, y.duplicate_of);
        CHECK_INT(x.copies, y.copies);
    }
    nf_story_destroy(s1);
    nf_story_destroy(s2);
    /* keys and similarities are the same in every process (fixed seeds) */
    nf_story_t *st = new_story(0, 10);
    nf_story_info_t info;
    nf_story_observe(st, "a-1", "Some title", NULL, 0, &info);
    CHECK_STR(info.key, "sty-2d023782c39d1a49");
    nf_story_destroy(st);
    double est =
        nf_story_similarity(SAME[3].a.title, SAME[3].a.lead, SAME[3].b.title, SAME[3].b.lead);
    CHECK(est > 0.0 && est == nf_story_similarity(SAME[3].a.title, SAME[3].a.lead, SAME[3].b.title,
                                                  SAME[3].b.lead));

    nf_story_info_t e = {.key = "sty-0123456789abcdef",
                         .first_seen_ms = 1764424800123,
                         .copies = 2,
                         .novelty = 0.5,
                         .duplicate_of = "art-\"1\""};
    nf_buf_t out = {0};
    CHECK_INT(nf_story_encode(&e, &out), 0);
    CHECK_STR(out.data, ",\"story\":{\"key\":\"sty-0123456789abcdef\",\"first_seen\":"
                        "\"2025-11-29T14:00:00.123Z\",\"novelty\":0.5,\"copies\":2,"
                        "\"duplicate_of\":\"art-\\\"1\\\"\"}");
    nf_buf_reset(&out);
    e.duplicate_of = "";
    e.novelty = 1.0;
    e.copies = 1;
    CHECK_INT(nf_story_encode(&e, &out), 0);
    CHECK_STR(out.data, ",\"story\":{\"key\":\"sty-0123456789abcdef\",\"first_seen\":"
                        "\"2025-11-29T14:00:00.123Z\",\"novelty\":1,\"copies\":1}");
    nf_buf_reset(&out);
    e.novelty = 1.0 / 3;
    e.duplicate_of = NULL;
    nf_story_encode(&e, &out);
    CHECK(strstr(out.data, "\"novelty\":0.333,") != NULL);
    /* the object is valid JSON once wrapped */
    nf_buf_t doc = {0};
    nf_buf_printf(&doc, "{\"x\":1%s}", out.data);
    cJSON *root = cJSON_Parse(doc.data);
    CHECK(root != NULL);
    cJSON_Delete(root);
    nf_buf_free(&doc);
    CHECK_INT(nf_story_encode(NULL, &out), NF_EINVAL);
    nf_buf_free(&out);

    char err[128] = "";
    nf_story_opts_t bad = {.threshold = 1.5};
    CHECK(nf_story_new(&bad, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "threshold") != NULL);
}

/* A deterministic pseudo-random article: n words from a 5,000-word vocabulary. */
static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return rng_state >> 33;
}

static void random_text(char *buf, size_t size, int words)
{
    size_t n = 0;
    for (int i = 0; i < words && n + 16 < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "w%" PRIu64 " ", rng() % 5000);
    buf[n] = '\0';
}

/*
 * The signatures are the same on every CPU and with every MinHash kernel: a digest of the
 * similarities of 400 random texts to edited copies of themselves (a word changed, two
 * swapped, a sentence appended), of their exact Jaccard similarities and of the story
 * results of observing them all, against the digest the portable code gave when the
 * AVX2 kernel came in; and a digest of the signatures themselves (which the first does
 * not see change when every value changes alike). main() runs the test once more with
 * NF_NO_AVX2=1, so that both kernels are checked where the CPU has AVX2.
 */
static void test_golden(void)
{
    nf_story_t *st = new_story(0, 1000);
    rng_state = 7;
    char title[128], lead[600], edit[700], id[32];
    uint64_t digest = 1469598103934665603ULL, sig_digest = digest;
    int matched = 0;
    for (int i = 0; i < 400; i++) {
        random_text(title, sizeof(title), 1 + (int)(rng() % 12));
        random_text(lead, sizeof(lead), (int)(rng() % 80));
        snprintf(edit, sizeof(edit), "%s", lead);
        size_t n = strlen(edit);
        if (i % 3 == 0 && n > 4)
            edit[1] = edit[1] == '1' ? '2' : '1';
        else if (i % 3 == 1 && n > 12) {
            memcpy(edit, lead + 6, 5); /* bytes swapped: the first two words if of 5 bytes */
            memcpy(edit + 6, lead, 5);
        } else
            snprintf(edit + n, sizeof(edit) - n, "It said so on Tuesday.");
        double sim = nf_story_similarity(title, lead, title, edit);
        double jac = nf_story_jaccard(title, lead, title, edit);
        nf_story_info_t a, b;
        snprintf(id, sizeof(id), "g-%d", i);
        nf_story_observe(st, id, title, lead, i, &a);
        snprintf(id, sizeof(id), "h-%d", i);
        nf_story_observe(st, id, title, edit, i, &b);
        matched += !b.is_new;
        char line[256];
        snprintf(line, sizeof(line), "%.6f %.6f %s %s %u %s %.6f", sim, jac, a.key, b.key, b.copies,
                 b.duplicate_of, b.similarity);
        for (const char *p = line; *p; p++)
            digest = (digest ^ (unsigned char)*p) * 1099511628211ULL;
        uint16_t sig[NF_STORY_HASHES] = {0};
        text_signature(title, edit, sig); /* the values, not only which of them agree */
        for (int k = 0; k < NF_STORY_HASHES; k++)
            sig_digest = (sig_digest ^ sig[k]) * 1099511628211ULL;
    }
    fprintf(stderr,
            "  golden: digest %016" PRIx64 ", signatures %016" PRIx64
            ", %d of 400 edited copies matched\n",
            digest, sig_digest, matched);
    CHECK(digest == 0xcfa6e4d4c583652eULL);
    CHECK(sig_digest == 0x612b69c2b240cef6ULL);
    nf_story_destroy(st);
}

/*
 * The novelty is written as "%.3f" prints it, trailing zeros cut: 1/k for every k up to
 * 100,000, exact ties (1/16 is 0.0625: "0.062"), values around every rounding boundary
 * k / 2000, the smallest normal and subnormal numbers and random bit patterns in [0, 1].
 */
static void novelty_case(double n, nf_buf_t *out, int *bad)
{
    nf_story_info_t e = {.key = "sty-0123456789abcdef", .copies = 1, .novelty = n};
    char want[32];
    snprintf(want, sizeof(want), "%.3f", n);
    size_t len = strlen(want);
    while (len > 1 && want[len - 1] == '0')
        len--;
    if (want[len - 1] == '.')
        len--;
    want[len] = '\0';
    nf_buf_reset(out);
    nf_story_encode(&e, out);
    const char *p = strstr(out->data, "\"novelty\":");
    const char *end = p ? strchr(p, ',') : NULL;
    if (!p || !end || (size_t)(end - p - 10) != len || memcmp(p + 10, want, len)) {
        if ((*bad)++ < 5)
            fprintf(stderr, "  novelty %.17g: %s, want %s\n", n, out->data, want);
    }
}

static void test_novelty_text(void)
{
    nf_buf_t out = {0};
    int bad = 0;
    for (int k = 1; k <= 100000; k++)
        novelty_case(1.0 / k, &out, &bad);
    for (int k = 0; k <= 2000; k++) {
        double x = k / 2000.0;
        novelty_case(x, &out, &bad);
        novelty_case(nextafter(x, 0.0), &out, &bad);
        novelty_case(nextafter(x, 1.0), &out, &bad);
    }
    for (int k = 0; k <= 16; k++)
        novelty_case(k / 16.0, &out, &bad);
    novelty_case(2.2250738585072014e-308, &out, &bad);
    novelty_case(4.9406564584124654e-324, &out, &bad);
    novelty_case(0.0, &out, &bad);
    rng_state = 3;
    for (int k = 0; k < 200000; k++) {
        uint64_t bits = rng() << 31 ^ rng();
        bits &= 0x3fffffffffffffffULL; /* below 2.0 */
        double x;
        memcpy(&x, &bits, sizeof(x));
        if (x <= 1.0)
            novelty_case(x, &out, &bad);
        novelty_case(x * 0x1p-900, &out, &bad);
    }
    CHECK_INT(bad, 0);
    nf_buf_free(&out);
}

/*
 * append_words() takes a text of at most FAST_MAX bytes in two passes (append_fast(),
 * SSE2) and anything else a byte at a time: both must give the same words and hashes.
 * Random texts of ASCII words, separators, the Unicode separators (also cut short and
 * overlapping), other UTF-8 and random bytes, of every length up to 520, at offsets in
 * the output.
 */
static void test_fast_path(void)
{
#if defined(__SSE2__)
    static const char *const pieces[] = {"Acme",
                                         "the",
                                         "a",
                                         "With",
                                         "x",
                                         "0",
                                         "1.5",
                                         "$40m",
                                         " ",
                                         " ",
                                         ", ",
                                         ".",
                                         "-",
                                         "\t",
                                         "\xc2\xa0",
                                         "\xc2\xa3",
                                         "\xe2\x80\x94",
                                         "\xe2\x82\xac",
                                         "\xe2\x80",
                                         "\xe2",
                                         "\xc2",
                                         "\xc3\xa9",
                                         "caf\xc3\xa9",
                                         "\xe2\x81\x81z",
                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123"};
    rng_state = 11;
    unsigned char text[600];
    int bad = 0;
    for (int round = 0; round < 20000; round++) {
        size_t n = 0, want = rng() % 521;
        while (n < want) {
            if (rng() % 8 == 0) {
                text[n++] = (unsigned char)(1 + rng() % 255);
                continue;
            }
            const char *p = pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
            size_t len = strlen(p);
            if (n + len > want)
                len = want - n;
            memcpy(text + n, p, len);
            n += len;
        }
        size_t pos = rng() % 300;
        char a[NORM_BUF], b[NORM_BUF];
        uint64_t wa[NORM_MAX / 2], wb[NORM_MAX / 2];
        size_t na = 0, nb = 0;
        memset(a, 'p', pos);
        memset(b, 'p', pos);
        size_t ea = append_words((const char *)text, n, a, pos, NORM_MAX, wa, &na);
        fast_off = true;
        size_t eb = append_words((const char *)text, n, b, pos, NORM_MAX, wb, &nb);
        fast_off = false;
        if (ea != eb || na != nb || memcmp(a, b, ea) || memcmp(wa, wb, na * sizeof(wa[0]))) {
            if (bad++ < 3)
                fprintf(stderr, "  fast path differs: round %d, %zu bytes at %zu\n", round, n, pos);
        }
    }
    CHECK_INT(bad, 0);
#endif
}

/* CPU time of this thread: steadier than the wall clock on a shared machine. */
static int64_t cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void test_bench(void)
{
    long total = 100000;
    const char *env = getenv("NF_STORY_BENCH_N");
    if (env && atol(env) > 0)
        total = atol(env);
    nf_story_t *st = new_story(0, (uint32_t)total);
    rng_state = 42;
    char title[128], lead[600], id[32];
    nf_story_info_t info;
    long falsely_matched = 0;
    int64_t fill_us = 0, warm_us = 0, t0;
    for (long i = 0; i < total; i++) {
        snprintf(id, sizeof(id), "r-%ld", i);
        random_text(title, sizeof(title), 10);
        random_text(lead, sizeof(lead), 70);
        t0 = cpu_us();
        nf_story_observe(st, id, title, lead, 1000 + i, &info);
        fill_us += cpu_us() - t0;
        falsely_matched += !info.is_new;
    }
    CHECK_INT(nf_story_count(st), total);
    /* with the state full: new articles, each followed by a copy with one word changed */
    long rounds = total / 20, dups = 0;
    for (long i = 0; i < rounds; i++) {
        snprintf(id, sizeof(id), "n-%ld", i);
        random_text(title, sizeof(title), 10);
        random_text(lead, sizeof(lead), 70);
        t0 = cpu_us();
        nf_story_observe(st, id, title, lead, 1000 + total + i, &info);
        warm_us += cpu_us() - t0;
        falsely_matched += !info.is_new;
        snprintf(id, sizeof(id), "m-%ld", i);
        lead[1] = lead[1] == '1' ? '2' : '1';
        t0 = cpu_us();
        nf_story_observe(st, id, title, lead, 1000 + total + i, &info);
        warm_us += cpu_us() - t0;
        dups += !info.is_new;
    }
    long warm_n = 2 * rounds;
    fprintf(stderr,
            "  bench: %ld entries held; CPU time per observe: %.2f us filling, %.2f us full; "
            "%ld of %ld random articles falsely matched, %ld of %ld copies matched\n",
            (long)nf_story_count(st), (double)fill_us / (double)total,
            (double)warm_us / (double)warm_n, falsely_matched, total + rounds, dups, rounds);
    CHECK_INT(nf_story_count(st), total);
    CHECK(falsely_matched <= total / 10000);
    CHECK(dups >= rounds * 99 / 100);
    /* loose: sanitizers and valgrind are slow */
    CHECK((double)warm_us / (double)warm_n < 2000.0);
    nf_story_destroy(st);
}

int main(int argc, char **argv)
{
    (void)argc;
    test_normalize();
    test_normalize_offsets();
    test_fast_path();
    test_pairs();
    test_clusters();
    test_novelty_decay();
    test_eviction_by_count();
    test_eviction_by_time();
    test_id_ring();
    test_determinism_and_encode();
    test_golden();
    test_novelty_text();
    if (!getenv("NF_NO_AVX2")) {
        /* once more with the portable MinHash kernel: the golden digest again */
        char cmd[4096];
        snprintf(cmd, sizeof(cmd), "NF_NO_AVX2=1 NF_STORY_BENCH_N=1000 '%s'", argv[0]);
        CHECK(strlen(argv[0]) < 4000 && !strchr(argv[0], '\'') && system(cmd) == 0);
    }
    test_bench();
    TEST_DONE();
}
