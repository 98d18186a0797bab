/*
 * tokens: splits a normalised text field into word, number and punctuation tokens in
 * one pass, and tags each word with its lexical cues from a fixed English lexicon
 * (acquisition verbs, funding words, infrastructure nouns, status words, ...). It is the
 * one definition of a word in the pipeline: nf_pipeline_process() tokenises each field
 * once and hands the same tokens to the classifier (words() phrases, the model's
 * n-grams: see nf_tok_is_term) and to the extractors, which never re-scan the text.
 *
 * A token's hash is over its lower-cased bytes with '.' left out, so "U.S." and
 * "US", "Amazon.com" and "amazoncom" hash alike; the gazetteer hashes its names through
 * the same tokeniser. The lexicon is built once and is read-only afterwards.
 */
#ifndef NF_TOKENS_H
#define NF_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Token flags. */
#define NF_TOK_WORD  0x0001u /* starts with a letter */
#define NF_TOK_NUM   0x0002u /* starts with a digit */
#define NF_TOK_PUNCT 0x0004u /* anything else, one character */
#define NF_TOK_CAP   0x0008u /* capitalised (or a camel-case name such as eBay) */
#define NF_TOK_UPPER 0x0010u /* at least two letters, all upper case */
#define NF_TOK_SENT  0x0020u /* first token of a sentence */
#define NF_TOK_SPACE 0x0040u /* preceded by white space */
#define NF_TOK_POSS  0x0080u /* the possessive "'s" split off a word */

typedef struct nf_tok {
    uint32_t start, len; /* bytes in the field */
    uint64_t hash;       /* normalised hash, see above */
    uint64_t cues;       /* NF_CUE_* bits from the lexicon */
    uint16_t flags;
    uint16_t word; /* NF_W_* id of a word the extractors test for, NF_W_NONE */
} nf_tok_t;

/*
 * A growable token array; zero-initialise, reuse across texts, free with nf_toks_free.
 * wide: whether the text of the last nf_tokenise() call has a byte above 0x7f (in ASCII
 * text every byte offset is a character boundary, which the classifier uses).
 */
typedef struct nf_toks {
    nf_tok_t *v;
    size_t n, cap;
    bool wide;
} nf_toks_t;

/* Lexical cue classes (bits of nf_tok_t.cues). */
enum {
    NF_CUE_VALUATION = 0,
    NF_CUE_ROUND,      /* round, series, seed, funding, financing */
    NF_CUE_INVEST,     /* invest, investment, backs */
    NF_CUE_BUILD,      /* build, construction, expand, facility */
    NF_CUE_REVENUE,    /* revenue, sales, profit, EPS */
    NF_CUE_COMMIT,     /* contract, commitment, pledge, lease, spending */
    NF_CUE_PRICE,      /* price, per share, pay */
    NF_CUE_OTHERMONEY, /* loan, bond, IPO, grant, dividend, fund */
    NF_CUE_ACQUIRE,    /* acquire, buy, purchase, takeover */
    NF_CUE_SELL,       /* sell, divest, sale */
    NF_CUE_MERGE,      /* merge, merger */
    NF_CUE_PARTNER,    /* partner, team up, collaborate, alliance */
    NF_CUE_CONTRACT,   /* deal, agreement, contract, signs */
    NF_CUE_RAISE,      /* raise, land, secure, close (a round) */
    NF_CUE_STAKE,      /* stake, share, holding */
    NF_CUE_LEAD,       /* led, leads, co-led */
    NF_CUE_SUPPLY,     /* supply, license, distribute, cloud, compute, chips */
    NF_CUE_JV,         /* joint (venture) */
    NF_CUE_TALKS,      /* talks, negotiations */
    NF_CUE_RUMOR,      /* reportedly, report, sources, weighing, eyes */
    NF_CUE_COMPLETE,   /* completes, completed, closes */
    NF_CUE_TERMINATE,  /* terminated, abandon, walk away, scrapped */
    NF_CUE_BLOCK,      /* blocks, blocked, rejects */
    NF_CUE_PENDING,    /* pending, pause, approval, expected */
    NF_CUE_ANNOUNCE,   /* announces, agrees, signs, definitive */
    NF_CUE_DC,         /* data (center), datacenter, campus */
    NF_CUE_COMPUTE,    /* supercomputer, cluster, GPUs, exascale */
    NF_CUE_FAB,        /* fab, foundry, chip plant, megafab */
    NF_CUE_REGION,     /* (cloud) region */
    NF_CUE_NETWORK,    /* fiber, broadband, subsea, cable, 5G, towers */
    NF_CUE_POWER,      /* power, nuclear, reactor, PPA */
    NF_CUE_FUNC,       /* function word: the, of, to, and, is, ... */
    NF_CUE_DESC,       /* descriptor noun: startup, firm, maker, giant, ... */
    NF_CUE_FROM,       /* from */
    NF_CUE_BY,         /* by */
    NF_CUE_WITH,       /* with, alongside */
    NF_CUE_IN,         /* in, into */
    NF_CUE_TO,         /* to */
    NF_CUE_FOR,        /* for */
    NF_CUE_AND,        /* and, & */
    NF_CUE_AT,         /* at */
    NF_CUE_OF,         /* of */
    NF_CUE_VERB,       /* any other verb that ends a subject name: says, plans, ... */
    NF_CUE_GOV,        /* government, state, ministry, council, regulator */
    NF_CUE_CUSTOMER,   /* customer, client, buyer of services */
    NF_CUE_CURRENCY,   /* currency words, codes and scales: "dlrs", "euros", "USD", "bn" */
    NF_CUE_DEBT,       /* money that is not equity: loan, bond, IPO, grant, dividend */
    NF_CUE_NATION,     /* nationality and scope adjectives: Chinese, Dutch, global */
    NF_CUE__CNT
};
#define NF_CUE(c) (1ull << (c))

/*
 * Words the extractors test for by identity ("to", "from", "series", ...). The
 * tokeniser stores each one's id in nf_tok_t.word with the same lexicon probe that
 * finds the cues, so a test is an integer compare instead of a string compare.
 */
#define NF_WORD_LIST(X)                                                                            \
    X(A, "a")                                                                                      \
    X(A_SHARE, "a-share")                                                                          \
    X(ABANDON, "abandon")                                                                          \
    X(ABANDONED, "abandoned")                                                                      \
    X(ABANDONS, "abandons")                                                                        \
    X(ABOUT, "about")                                                                              \
    X(ACQUIRED, "acquired")                                                                        \
    X(ACQUISITION, "acquisition")                                                                  \
    X(ADDITIONAL, "additional")                                                                    \
    X(AG, "ag")                                                                                    \
    X(AGREEMENT, "agreement")                                                                      \
    X(AGREEMENTS, "agreements")                                                                    \
    X(ALLIANCE, "alliance")                                                                        \
    X(ALMOST, "almost")                                                                            \
    X(AN, "an")                                                                                    \
    X(AND, "and")                                                                                  \
    X(ANNOUNCES, "announces")                                                                      \
    X(ANNUALLY, "annually")                                                                        \
    X(ANOTHER, "another")                                                                          \
    X(APPROXIMATELY, "approximately")                                                              \
    X(AROUND, "around")                                                                            \
    X(AS, "as")                                                                                    \
    X(ASSETS, "assets")                                                                            \
    X(AT, "at")                                                                                    \
    X(AWARDED, "awarded")                                                                          \
    X(AZURE, "azure")                                                                              \
    X(BACKED, "backed")                                                                            \
    X(BACKERS, "backers")                                                                          \
    X(BACKS, "backs")                                                                              \
    X(BE, "be")                                                                                    \
    X(BEEN, "been")                                                                                \
    X(BEING, "being")                                                                              \
    X(BETWEEN, "between")                                                                          \
    X(BID, "bid")                                                                                  \
    X(BILLION, "billion")                                                                          \
    X(BOUGHT, "bought")                                                                            \
    X(BUILT, "built")                                                                              \
    X(BUSINESS, "business")                                                                        \
    X(BUYOUT, "buyout")                                                                            \
    X(BY, "by")                                                                                    \
    X(CANCELED, "canceled")                                                                        \
    X(CANCELLED, "cancelled")                                                                      \
    X(CANCELS, "cancels")                                                                          \
    X(CAP, "cap")                                                                                  \
    X(CENTER, "center")                                                                            \
    X(CENTERS, "centers")                                                                          \
    X(CENTRE, "centre")                                                                            \
    X(CENTRES, "centres")                                                                          \
    X(CHIP, "chip")                                                                                \
    X(CHOOSES, "chooses")                                                                          \
    X(CLOSED, "closed")                                                                            \
    X(CLOSES, "closes")                                                                            \
    X(CLOUD, "cloud")                                                                              \
    X(CO, "co")                                                                                    \
    X(COMPANY, "company")                                                                          \
    X(COMPLETED, "completed")                                                                      \
    X(COMPLETES, "completes")                                                                      \
    X(COMPLETION, "completion")                                                                    \
    X(CONTRACT, "contract")                                                                        \
    X(CONTROLLING, "controlling")                                                                  \
    X(CORP, "corp")                                                                                \
    X(CORPORATION, "corporation")                                                                  \
    X(COUNTY, "county")                                                                            \
    X(DATA, "data")                                                                                \
    X(DEAL, "deal")                                                                                \
    X(DEVELOPED, "developed")                                                                      \
    X(DISTRIBUTE, "distribute")                                                                    \
    X(DIVISION, "division")                                                                        \
    X(EQUITY, "equity")                                                                            \
    X(EXTRA, "extra")                                                                              \
    X(FACTORY, "factory")                                                                          \
    X(FOR, "for")                                                                                  \
    X(FROM, "from")                                                                                \
    X(FUNDING, "funding")                                                                          \
    X(FUNDS, "funds")                                                                              \
    X(GETS, "gets")                                                                                \
    X(GMBH, "gmbh")                                                                                \
    X(GPUS, "gpus")                                                                                \
    X(GROUP, "group")                                                                              \
    X(GROWTH, "growth")                                                                            \
    X(HOLDINGS, "holdings")                                                                        \
    X(HUNDREDS, "hundreds")                                                                        \
    X(IN, "in")                                                                                    \
    X(INC, "inc")                                                                                  \
    X(INCLUDE, "include")                                                                          \
    X(INCLUDED, "included")                                                                        \
    X(INCLUDING, "including")                                                                      \
    X(INCORPORATED, "incorporated")                                                                \
    X(INTO, "into")                                                                                \
    X(INVEST, "invest")                                                                            \
    X(INVESTMENT, "investment")                                                                    \
    X(INVESTORS, "investors")                                                                      \
    X(INVESTS, "invests")                                                                          \
    X(IS, "is")                                                                                    \
    X(IT, "it")                                                                                    \
    X(ITS, "its")                                                                                  \
    X(JOINED, "joined")                                                                            \
    X(JOINT, "joint")                                                                              \
    X(JOURNAL, "journal")                                                                          \
    X(LANDS, "lands")                                                                              \
    X(LEAST, "least")                                                                              \
    X(LED, "led")                                                                                  \
    X(LIMITED, "limited")                                                                          \
    X(LLC, "llc")                                                                                  \
    X(LTD, "ltd")                                                                                  \
    X(MAJORITY, "majority")                                                                        \
    X(MANUFACTURING, "manufacturing")                                                              \
    X(MARKET, "market")                                                                            \
    X(MERGER, "merger")                                                                            \
    X(MILLION, "million")                                                                          \
    X(MONEY, "money")                                                                              \
    X(MONTH, "month")                                                                              \
    X(MORE, "more")                                                                                \
    X(MUCH, "much")                                                                                \
    X(NEAR, "near")                                                                                \
    X(NEARLY, "nearly")                                                                            \
    X(NEW, "new")                                                                                  \
    X(NEWS, "news")                                                                                \
    X(NUCLEAR, "nuclear")                                                                          \
    X(NV, "nv")                                                                                    \
    X(OF, "of")                                                                                    \
    X(OFFER, "offer")                                                                              \
    X(ONE, "one")                                                                                  \
    X(OPERATED, "operated")                                                                        \
    X(OPERATIONS, "operations")                                                                    \
    X(OUT, "out")                                                                                  \
    X(OVER, "over")                                                                                \
    X(OWNED, "owned")                                                                              \
    X(PACT, "pact")                                                                                \
    X(PAID, "paid")                                                                                \
    X(PARISH, "parish")                                                                            \
    X(PART, "part")                                                                                \
    X(PARTICIPATE, "participate")                                                                  \
    X(PARTICIPATED, "participated")                                                                \
    X(PARTICIPATION, "participation")                                                              \
    X(PARTNERSHIP, "partnership")                                                                  \
    X(PAY, "pay")                                                                                  \
    X(PAYS, "pays")                                                                                \
    X(PER, "per")                                                                                  \
    X(PERCENT, "percent")                                                                          \
    X(PICKS, "picks")                                                                              \
    X(PLANT, "plant")                                                                              \
    X(PLC, "plc")                                                                                  \
    X(PORTFOLIO, "portfolio")                                                                      \
    X(POST, "post")                                                                                \
    X(PRE, "pre")                                                                                  \
    X(PRE_SEED, "pre-seed")                                                                        \
    X(PRESEED, "preseed")                                                                          \
    X(PURCHASE, "purchase")                                                                        \
    X(RAISED, "raised")                                                                            \
    X(RAISES, "raises")                                                                            \
    X(REACTOR, "reactor")                                                                          \
    X(REACTORS, "reactors")                                                                        \
    X(RECEIVES, "receives")                                                                        \
    X(REGION, "region")                                                                            \
    X(REGIONS, "regions")                                                                          \
    X(RESTART, "restart")                                                                          \
    X(ROUGHLY, "roughly")                                                                          \
    X(RUN, "run")                                                                                  \
    X(S, "s")                                                                                      \
    X(SA, "sa")                                                                                    \
    X(SALE, "sale")                                                                                \
    X(SCRAPPED, "scrapped")                                                                        \
    X(SE, "se")                                                                                    \
    X(SEED, "seed")                                                                                \
    X(SELECTS, "selects")                                                                          \
    X(SEMICONDUCTOR, "semiconductor")                                                              \
    X(SERIES, "series")                                                                            \
    X(SHARE, "share")                                                                              \
    X(SOME, "some")                                                                                \
    X(STAKE, "stake")                                                                              \
    X(STRATEGIC, "strategic")                                                                      \
    X(TAKE, "take")                                                                                \
    X(TAKEOVER, "takeover")                                                                        \
    X(TAKES, "takes")                                                                              \
    X(TALKS, "talks")                                                                              \
    X(TAPS, "taps")                                                                                \
    X(TERMINATE, "terminate")                                                                      \
    X(TERMINATED, "terminated")                                                                    \
    X(THAN, "than")                                                                                \
    X(THE, "the")                                                                                  \
    X(THOUSAND, "thousand")                                                                        \
    X(TIMES, "times")                                                                              \
    X(TO, "to")                                                                                    \
    X(TOOK, "took")                                                                                \
    X(TOTAL, "total")                                                                              \
    X(TOWERS, "towers")                                                                            \
    X(TRANSACTION, "transaction")                                                                  \
    X(TWO, "two")                                                                                  \
    X(UNIT, "unit")                                                                                \
    X(UP, "up")                                                                                    \
    X(VALUATION, "valuation")                                                                      \
    X(VALUED, "valued")                                                                            \
    X(VALUING, "valuing")                                                                          \
    X(WALK, "walk")                                                                                \
    X(WALKING, "walking")                                                                          \
    X(WALKS, "walks")                                                                              \
    X(WAS, "was")                                                                                  \
    X(WELL, "well")                                                                                \
    X(WILL, "will")                                                                                \
    X(WINS, "wins")                                                                                \
    X(WITH, "with")                                                                                \
    X(WON, "won")                                                                                  \
    X(WORTH, "worth")                                                                              \
    X(YEAR, "year")

enum {
    NF_W_NONE = 0,
#define NF_W_ENUM(id, str) NF_W_##id,
    NF_WORD_LIST(NF_W_ENUM)
#undef NF_W_ENUM
        NF_W__CNT
};

typedef struct nf_lexicon nf_lexicon_t;

/* Builds the lexicon; NULL when out of memory. */
nf_lexicon_t *nf_lexicon_new(void);
void nf_lexicon_destroy(nf_lexicon_t *lexicon);
/* Cue bits of a token hash (0 when the word is not in the lexicon). */
uint64_t nf_lexicon_cues(const nf_lexicon_t *lexicon, uint64_t hash);
/* Cue bits and (in *word) the NF_W_* id of a token hash. */
uint64_t nf_lexicon_lookup(const nf_lexicon_t *lexicon, uint64_t hash, uint16_t *word);

/*
 * Tokenises <text, len> into toks (appending; reset toks->n first to start over).
 * lexicon may be NULL (cues stay 0). Returns 0 or NF_ENOMEM.
 */
int nf_tokenise(const char *text, size_t len, const nf_lexicon_t *lexicon, nf_toks_t *toks);

void nf_toks_free(nf_toks_t *toks);

/*
 * Whether a token is a term: a word or a number, not punctuation. The classifier's
 * words() phrases and the model's n-grams read the terms of the token stream only, so
 * "co-founder" is the terms "co" "founder" and "deal, agreement" matches "deal agreement".
 */
static inline bool nf_tok_is_term(const nf_tok_t *tok)
{
    return !(tok->flags & NF_TOK_PUNCT);
}

/* Hash of one token's bytes as nf_tokenise computes it. */
uint64_t nf_tok_hash(const char *ptr, size_t len);

/* Chains token hashes into the key of a token sequence. */
static inline uint64_t nf_tok_chain(uint64_t key, uint64_t tok_hash)
{
    key ^= tok_hash + 0x9e3779b97f4a7c15ull + (key << 6) + (key >> 2);
    return key * 0xff51afd7ed558ccdull;
}

/* true if the token's text equals str (case-insensitive, ASCII). */
bool nf_tok_is(const char *text, const nf_tok_t *tok, const char *str);

#if defined(__SSE2__)
/*
 * Bit i set when byte i of the 16 at p is an ASCII letter or digit (for scanners
 * elsewhere that skip over runs of them, such as story.c's normaliser).
 */
static inline unsigned nf_alnum_mask16(const unsigned char *p)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    /* x - base <= span, unsigned: min(d, span) == d; x | 0x20 folds the capitals */
    __m128i dl = _mm_sub_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
    __m128i dd = _mm_sub_epi8(x, _mm_set1_epi8('0'));
    __m128i in = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(dl, _mm_set1_epi8(25)), dl),
                              _mm_cmpeq_epi8(_mm_min_epu8(dd, _mm_set1_epi8(9)), dd));
    return (unsigned)_mm_movemask_epi8(in);
}
#endif

#endif
