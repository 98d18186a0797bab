/*
 * amounts: money expressions and their kinds, over the tokens of one field.
 *
 * The scan looks only at number tokens; for each it looks back one or two tokens for a
 * currency symbol or code and forward for a scale word, a range and a currency word, so
 * the cost is a few comparisons per number and nothing per ordinary word. Kinds are
 * chosen in two steps: fixed constructions that settle the question ("valued at $X",
 * "raises $X", "for $X" after "acquire", "$X in revenue"), then, when none applies, a
 * score per kind from the cue words of the sentence, weighted by distance, with the
 * article's categories as the tie-breaker.
 */
#include "amounts.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define C(x) NF_CUE(NF_CUE_##x)

typedef struct sym {
    const char *text;
    const char *iso;
} sym_t;

/* Prefixes glued to "$" ("US$", "C$", ...). */
static const sym_t DOLLAR_PREFIX[] = {
    {"us", "USD"}, {"u.s", "USD"}, {"u.s.", "USD"}, {"c", "CAD"},  {"ca", "CAD"}, {"can", "CAD"},
    {"a", "AUD"},  {"au", "AUD"},  {"nz", "NZD"},   {"hk", "HKD"}, {"s", "SGD"},  {"sg", "SGD"},
    {"r", "BRL"},  {"nt", "TWD"},  {"mx", "MXN"},   {NULL, NULL},
};

/* Symbols and codes written before the number. */
static const sym_t PREFIX[] = {
    {"\xe2\x82\xac", "EUR"}, {"\xc2\xa3", "GBP"}, {"\xc2\xa5", "JPY"}, {"\xe2\x82\xb9", "INR"},
    {"\xe2\x82\xa9", "KRW"}, {"usd", "USD"},      {"eur", "EUR"},      {"gbp", "GBP"},
    {"jpy", "JPY"},          {"chf", "CHF"},      {"cad", "CAD"},      {"aud", "AUD"},
    {"inr", "INR"},          {"cny", "CNY"},      {"rmb", "CNY"},      {"hkd", "HKD"},
    {"sgd", "SGD"},          {"nzd", "NZD"},      {"sek", "SEK"},      {"nok", "NOK"},
    {"dkk", "DKK"},          {"krw", "KRW"},      {"brl", "BRL"},      {"mxn", "MXN"},
    {"zar", "ZAR"},          {"aed", "AED"},      {"sar", "SAR"},      {"rs", "INR"},
    {"inr", "INR"},          {"rp", "IDR"},       {NULL, NULL},
};

/* Currency words written after the number. */
static const sym_t SUFFIX[] = {
    {"dollars", "USD"},  {"dollar", "USD"}, {"dlrs", "USD"},    {"dlr", "USD"},
    {"euros", "EUR"},    {"euro", "EUR"},   {"eur", "EUR"},     {"usd", "USD"},
    {"sterling", "GBP"}, {"pounds", "GBP"}, {"yen", "JPY"},     {"yuan", "CNY"},
    {"renminbi", "CNY"}, {"rupees", "INR"}, {"rupee", "INR"},   {"marks", "DEM"},
    {"francs", "FRF"},   {"kronor", "SEK"}, {"kroner", "NOK"},  {"crowns", "???"},
    {"won", "KRW"},      {"baht", "THB"},   {"kina", "PGK"},    {"ringgit", "MYR"},
    {"rand", "ZAR"},     {"lire", "ITL"},   {"lira", "TRY"},    {"guilders", "NLG"},
    {"pesos", "MXN"},    {"riyals", "SAR"}, {"dirhams", "AED"}, {"gbp", "GBP"},
    {"jpy", "JPY"},      {"chf", "CHF"},    {"cad", "CAD"},     {"aud", "AUD"},
    {"cts", "USD"},      {"cents", "USD"},  {"pence", "GBP"},   {NULL, NULL},
};

/* Adjectives that pick the dollar, franc or mark ("U.S. dlrs", "Swiss francs"). */
static const sym_t ADJ[] = {
    {"u.s", "USD"},      {"u.s.", "USD"},       {"us", "USD"},        {"american", "USD"},
    {"canadian", "CAD"}, {"australian", "AUD"}, {"singapore", "SGD"}, {"taiwan", "TWD"},
    {"swiss", "CHF"},    {"french", "FRF"},     {"german", "DEM"},    {"norwegian", "NOK"},
    {"swedish", "SEK"},  {"danish", "DKK"},     {"czech", "CZK"},     {"hk", "HKD"},
    {"nz", "NZD"},       {NULL, NULL},
};

typedef struct scale {
    const char *text;
    double mult;
} scale_t;

static const scale_t SCALES[] = {
    {"thousand", 1e3}, {"k", 1e3},    {"million", 1e6}, {"millions", 1e6}, {"mln", 1e6},
    {"mn", 1e6},       {"m", 1e6},    {"mil", 1e6},     {"billion", 1e9},  {"billions", 1e9},
    {"bln", 1e9},      {"bn", 1e9},   {"b", 1e9},       {"t", 1e12},       {"trillion", 1e12},
    {"tn", 1e12},      {"trn", 1e12}, {"crore", 1e7},   {"crores", 1e7},   {"lakh", 1e5},
    {"lakhs", 1e5},    {NULL, 0},
};

static const char *lookup(const sym_t *table, const char *text, const nf_tok_t *tok)
{
    /* words are tried only when the lexicon knows them as currency words */
    if ((tok->flags & NF_TOK_WORD) && !(tok->cues & C(CURRENCY)))
        return NULL;
    for (size_t i = 0; table[i].text; i++)
        if (nf_tok_is(text, tok, table[i].text))
            return table[i].iso;
    return NULL;
}

static double scale_of(const char *text, const nf_tok_t *tok)
{
    if ((tok->flags & NF_TOK_WORD) && !(tok->cues & C(CURRENCY)))
        return 0;
    for (size_t i = 0; SCALES[i].text; i++)
        if (nf_tok_is(text, tok, SCALES[i].text))
            return SCALES[i].mult;
    return 0;
}

static bool tok_char(const char *text, const nf_tok_t *tok, char c)
{
    return (tok->flags & NF_TOK_PUNCT) && tok->len == 1 && text[tok->start] == c;
}

static bool is_dash(const char *text, const nf_tok_t *tok)
{
    if (tok_char(text, tok, '-'))
        return true;
    /* en dash and em dash */
    return (tok->flags & NF_TOK_PUNCT) && tok->len == 3 &&
           !memcmp(text + tok->start, "\xe2\x80", 2) &&
           (text[tok->start + 2] == (char)0x93 || text[tok->start + 2] == (char)0x94);
}

/*
 * Parses a number token ("1,052.86", "3.9M", "50bn", "20.9p"). Returns false when the
 * token has letters that are not a scale or pence ("5G", "10GW", "2024s").
 */
static bool parse_number(const char *text, const nf_tok_t *tok, double *value, double *scale,
                         bool *pence)
{
    char buf[64];
    size_t n = 0, i = 0;
    const char *p = text + tok->start;
    *scale = 0;
    *pence = false;
    for (; i < tok->len && n + 1 < sizeof(buf); i++) {
        if (p[i] >= '0' && p[i] <= '9')
            buf[n++] = p[i];
        else if (p[i] == '.' && i + 1 < tok->len && p[i + 1] >= '0' && p[i + 1] <= '9')
            buf[n++] = '.';
        else if (p[i] == ',')
            continue;
        else
            break;
    }
    if (!n)
        return false;
    buf[n] = '\0';
    *value = strtod(buf, NULL);
    if (i == tok->len)
        return true;
    nf_tok_t rest = {.start = tok->start + (uint32_t)i, .len = tok->len - (uint32_t)i};
    if (nf_tok_is(text, &rest, "p")) {
        *pence = true;
        return true;
    }
    *scale = scale_of(text, &rest);
    return *scale > 0;
}

/* A year-like integer ("2024 marks the...") must not become money through a suffix word. */
static bool yearlike(const char *text, const nf_tok_t *tok)
{
    return tok->len == 4 && (text[tok->start] == '1' || text[tok->start] == '2');
}

/* Prefix currency of the number at toks[i]; sets *first to the first token of it. */
static const char *prefix_currency(const char *text, const nf_toks_t *toks, size_t i, size_t *first)
{
    if (i == 0)
        return NULL;
    const nf_tok_t *prev = &toks->v[i - 1];
    if (tok_char(text, prev, '$')) {
        *first = i - 1;
        if (i >= 2 && !(prev->flags & NF_TOK_SPACE) && (toks->v[i - 2].flags & NF_TOK_WORD)) {
            const char *iso = lookup(DOLLAR_PREFIX, text, &toks->v[i - 2]);
            if (iso) {
                *first = i - 2;
                return iso;
            }
        }
        return "USD";
    }
    const char *iso = lookup(PREFIX, text, prev);
    if (iso) {
        *first = i - 1;
        return iso;
    }
    /* "Rs. 325 crore" */
    if (i >= 2 && tok_char(text, prev, '.') && nf_tok_is(text, &toks->v[i - 2], "rs")) {
        *first = i - 2;
        return "INR";
    }
    return NULL;
}

/* Suffix currency at toks[j] (optionally after an adjective); sets *last. */
static const char *suffix_currency(const char *text, const nf_toks_t *toks, size_t j, size_t *last,
                                   double *unit)
{
    const char *adj = NULL;
    *unit = 1;
    if (j >= toks->n)
        return NULL;
    if ((adj = lookup(ADJ, text, &toks->v[j])) != NULL && j + 1 < toks->n) {
        j++;
        if (tok_char(text, &toks->v[j], '.') && j + 1 < toks->n)
            j++;
    }
    const nf_tok_t *t = &toks->v[j];
    const char *iso = lookup(SUFFIX, text, t);
    if (!iso)
        return NULL;
    if (nf_tok_is(text, t, "cts") || nf_tok_is(text, t, "cents") || nf_tok_is(text, t, "pence"))
        *unit = 0.01;
    if (adj && (!strcmp(iso, "USD") || nf_tok_is(text, t, "francs") ||
                nf_tok_is(text, t, "marks") || !strcmp(iso, "???")))
        iso = adj;
    if (!strcmp(iso, "???"))
        return NULL; /* "crowns" needs its country: Norwegian, Swedish, Danish, Czech */
    *last = j;
    return iso;
}

/* Kind scoring ------------------------------------------------------------------------ */

typedef struct cue_weight {
    uint64_t cues;
    nf_amount_kind_t kind;
    double weight;
} cue_weight_t;

static const cue_weight_t WEIGHTS[] = {
    {C(VALUATION), NF_KIND_VALUATION, 3.0},
    {C(ROUND), NF_KIND_ROUND_SIZE, 2.0},
    {C(RAISE), NF_KIND_ROUND_SIZE, 1.5},
    {C(INVEST), NF_KIND_INVESTMENT, 2.0},
    {C(STAKE), NF_KIND_INVESTMENT, 1.0},
    {C(BUILD), NF_KIND_CAPEX, 1.5},
    {C(DC), NF_KIND_CAPEX, 1.5},
    {C(FAB), NF_KIND_CAPEX, 1.5},
    {C(COMPUTE), NF_KIND_CAPEX, 1.0},
    {C(NETWORK), NF_KIND_CAPEX, 1.0},
    {C(REVENUE), NF_KIND_REVENUE, 3.0},
    {C(COMMIT), NF_KIND_COMMITMENT, 1.5},
    {C(CONTRACT), NF_KIND_COMMITMENT, 1.0},
    {C(SUPPLY), NF_KIND_COMMITMENT, 1.0},
    {C(ACQUIRE), NF_KIND_PRICE, 2.5},
    {C(SELL), NF_KIND_PRICE, 2.0},
    {C(MERGE), NF_KIND_PRICE, 1.5},
    {C(PRICE), NF_KIND_PRICE, 1.0},
    {C(OTHERMONEY), NF_KIND_OTHER, 2.5},
};

static double dist_weight(size_t d)
{
    return d <= 1 ? 1.0 : d <= 3 ? 0.7 : d <= 6 ? 0.4 : 0.2;
}

/* Index of the first token of the sentence holding token i. */
static size_t sentence_start(const nf_toks_t *toks, size_t i)
{
    while (i > 0 && !(toks->v[i].flags & NF_TOK_SENT))
        i--;
    return i;
}

static size_t sentence_end(const nf_toks_t *toks, size_t i)
{
    i++;
    while (i < toks->n && !(toks->v[i].flags & NF_TOK_SENT))
        i++;
    return i; /* exclusive */
}

static uint64_t cues_between(const nf_toks_t *toks, size_t a, size_t b)
{
    uint64_t c = 0;
    for (size_t i = a; i < b && i < toks->n; i++)
        c |= toks->v[i].cues;
    return c;
}

static bool word_at(const char *text, const nf_toks_t *toks, size_t i, unsigned w)
{
    (void)text;
    return i < toks->n && toks->v[i].word == w;
}

/* Next word token after i, skipping punctuation like ")" and quotes; n if none. */
static size_t next_word(const nf_toks_t *toks, size_t i, size_t lim)
{
    for (i++; i < lim; i++)
        if (!(toks->v[i].flags & NF_TOK_PUNCT))
            return i;
    return lim;
}

static size_t prev_word(const nf_toks_t *toks, size_t i, size_t lim)
{
    while (i > lim) {
        i--;
        if (!(toks->v[i].flags & NF_TOK_PUNCT))
            return i;
    }
    return (size_t)-1;
}

/*
 * Chooses the kind of out[k] from its context. lo/hi bound the window (the previous and
 * next amount, the sentence).
 */
static void classify(const char *text, const nf_toks_t *toks, nf_money_t *out, size_t k,
                     size_t count, unsigned mask)
{
    nf_money_t *m = &out[k];
    size_t ss = sentence_start(toks, m->first), se = sentence_end(toks, m->last);
    size_t lo = k ? out[k - 1].last + 1 : 0, hi = k + 1 < count ? out[k + 1].first : toks->n;
    if (lo < ss)
        lo = ss;
    if (hi > se)
        hi = se;
    if (m->first > 12 && lo < m->first - 12)
        lo = m->first - 12;
    if (hi > m->last + 10)
        hi = m->last + 10;
    uint64_t sent = cues_between(toks, ss, se);
    size_t n1 = next_word(toks, m->last, hi);
    size_t n2 = n1 < hi ? next_word(toks, n1, hi) : hi;
    size_t p1 = prev_word(toks, m->first, lo);
    size_t p2 = p1 != (size_t)-1 ? prev_word(toks, p1, lo) : (size_t)-1;
    size_t p3 = p2 != (size_t)-1 ? prev_word(toks, p2, lo) : (size_t)-1;
    /* skip qualifiers: "up to", "more than", "nearly", "about", "as much as" */
    while (p1 != (size_t)-1 &&
           ((word_at(text, toks, p1, NF_W_TO) && word_at(text, toks, p2, NF_W_UP)) ||
            word_at(text, toks, p1, NF_W_THAN) || word_at(text, toks, p1, NF_W_NEARLY) ||
            word_at(text, toks, p1, NF_W_ABOUT) || word_at(text, toks, p1, NF_W_APPROXIMATELY) ||
            word_at(text, toks, p1, NF_W_AROUND) || word_at(text, toks, p1, NF_W_ALMOST) ||
            word_at(text, toks, p1, NF_W_ROUGHLY) || word_at(text, toks, p1, NF_W_SOME) ||
            word_at(text, toks, p1, NF_W_OVER) || word_at(text, toks, p1, NF_W_LEAST) ||
            (word_at(text, toks, p1, NF_W_AS) && word_at(text, toks, p2, NF_W_MUCH)) ||
            word_at(text, toks, p1, NF_W_ADDITIONAL) || word_at(text, toks, p1, NF_W_EXTRA) ||
            word_at(text, toks, p1, NF_W_ANOTHER) || word_at(text, toks, p1, NF_W_NEW) ||
            word_at(text, toks, p1, NF_W_A) || word_at(text, toks, p1, NF_W_AN) ||
            word_at(text, toks, p1, NF_W_THE) || word_at(text, toks, p1, NF_W_ITS) ||
            word_at(text, toks, p1, NF_W_MUCH) || word_at(text, toks, p1, NF_W_MORE) ||
            word_at(text, toks, p1, NF_W_UP) || word_at(text, toks, p1, NF_W_AT))) {
        if (word_at(text, toks, p1, NF_W_AT) &&
            !(word_at(text, toks, p2, NF_W_LEAST) || word_at(text, toks, p2, NF_W_VALUED) ||
              word_at(text, toks, p2, NF_W_IT) || word_at(text, toks, p2, NF_W_COMPANY)))
            break;
        p1 = p2;
        p2 = p3;
        p3 = p2 != (size_t)-1 ? prev_word(toks, p2, lo) : (size_t)-1;
    }
    /* "post-money valuation": look past "post-money" */
    if ((word_at(text, toks, n1, NF_W_POST) || word_at(text, toks, n1, NF_W_PRE)) &&
        word_at(text, toks, n2, NF_W_MONEY)) {
        n1 = n2 < hi ? next_word(toks, n2, hi) : hi;
        n2 = n1 < hi ? next_word(toks, n1, hi) : hi;
    }
    uint64_t c_n1 = n1 < hi ? toks->v[n1].cues : 0, c_n2 = n2 < hi ? toks->v[n2].cues : 0;
    uint64_t c_p1 = p1 != (size_t)-1 ? toks->v[p1].cues : 0;
    uint64_t c_p2 = p2 != (size_t)-1 ? toks->v[p2].cues : 0;
    uint64_t c_p3 = p3 != (size_t)-1 ? toks->v[p3].cues : 0;
    uint64_t before = cues_between(toks, lo, m->first), after = cues_between(toks, m->last + 1, hi);
    bool acq_sent = sent & (C(ACQUIRE) | C(SELL) | C(MERGE));

    m->confidence = 10;
    /* "$4T in market value", "market cap of $X" */
    size_t n3 = n2 < hi ? next_word(toks, n2, hi) : hi;
    if ((word_at(text, toks, n1, NF_W_MARKET) && (c_n2 & C(VALUATION))) ||
        (word_at(text, toks, n2, NF_W_MARKET) && n3 < hi && (toks->v[n3].cues & C(VALUATION))) ||
        (word_at(text, toks, p2, NF_W_MARKET) && (c_p1 & C(VALUATION)))) {
        m->kind = NF_KIND_VALUATION;
        return;
    }
    size_t n3b = n2 < hi ? next_word(toks, n2, hi) : hi;
    uint64_t c_n3 = n3b < hi ? toks->v[n3b].cues : 0;
    /* "$40 a share", "$4.50 per share": a share price (earnings per share aside) */
    if ((word_at(text, toks, n1, NF_W_A) || word_at(text, toks, n1, NF_W_PER)) &&
        word_at(text, toks, n2, NF_W_SHARE) && !(sent & C(REVENUE))) {
        m->kind = (sent & C(DEBT)) && !acq_sent ? NF_KIND_OTHER : NF_KIND_PRICE;
        return;
    }
    /* "valuing the maker at about $2.1 billion", "a deal valued at $X" */
    for (size_t q = m->first, steps = 0; q > lo && steps < 7; steps++) {
        q--;
        if (word_at(text, toks, q, NF_W_VALUING) ||
            (word_at(text, toks, q, NF_W_VALUED) && q > lo &&
             (word_at(text, toks, q - 1, NF_W_DEAL) ||
              word_at(text, toks, q - 1, NF_W_TRANSACTION)))) {
            m->kind = acq_sent ? NF_KIND_PRICE : NF_KIND_VALUATION;
            return;
        }
    }
    /* "$8 million seed round", "$25M in Series A funding": a round, whatever verb */
    if ((c_n1 & C(ROUND)) && !(c_n1 & C(VERB)) && !word_at(text, toks, n2, NF_W_BID)) {
        m->kind = NF_KIND_ROUND_SIZE;
        return;
    }
    /* a price: "for $X" after an acquisition verb, "$X takeover bid", "second-round bid" */
    if ((word_at(text, toks, p1, NF_W_FOR) && (before & (C(ACQUIRE) | C(SELL) | C(MERGE)))) ||
        word_at(text, toks, n1, NF_W_BID) || word_at(text, toks, n2, NF_W_BID) ||
        word_at(text, toks, n3b, NF_W_BID) || word_at(text, toks, n1, NF_W_TAKEOVER) ||
        word_at(text, toks, n2, NF_W_TAKEOVER)) {
        m->kind = NF_KIND_PRICE;
        return;
    }
    /* debt, grants and dividends: "$1.8 billion high-yield bond", "raise $4B from banks",
     * "75 mln dlrs of its outstanding debentures" */
    size_t n4 = n3b < hi ? next_word(toks, n3b, hi) : hi;
    uint64_t c_n4 = n4 < hi ? toks->v[n4].cues : 0;
    if (((c_p1 | c_n1 | c_n2 | c_n3 | c_p2) & C(DEBT) && !(c_n1 & (C(ROUND) | C(REVENUE)))) ||
        (word_at(text, toks, n1, NF_W_OF) && (c_n4 & C(DEBT))) ||
        ((c_p1 & C(RAISE)) && (sent & C(DEBT)) && !(sent & C(ROUND)))) {
        m->kind = NF_KIND_OTHER;
        return;
    }
    /* "a payment of $X", "a price of $X" */
    if (word_at(text, toks, p1, NF_W_OF) && (c_p2 & C(PRICE)) && !(c_p2 & C(VALUATION))) {
        m->kind = NF_KIND_PRICE;
        return;
    }
    /* "SoftBank leads $100M investment in OYO": the round */
    if (c_p1 & C(LEAD)) {
        m->kind = NF_KIND_ROUND_SIZE;
        return;
    }
    /* revenue words right before or after: "revenue of $X", "$X in revenue", "EPS $X" */
    if ((c_p1 | c_n1 | c_p2 | (word_at(text, toks, n1, NF_W_IN) ? c_n2 : 0)) & C(REVENUE) &&
        !((c_p1 | c_n1) & (C(VALUATION) | C(ROUND)))) {
        m->kind = NF_KIND_REVENUE;
        return;
    }
    /* "dividend of 5.1p", "loan", "IPO", "bond": other */
    if ((c_p1 | c_n1 | c_p2 | (word_at(text, toks, n1, NF_W_IN) ? c_n2 : 0)) & C(OTHERMONEY) &&
        !((c_p1 | c_n1) & (C(VALUATION) | C(ROUND) | C(INVEST) | C(ACQUIRE)))) {
        if (!((c_n1 & C(ROUND)) || (c_p1 & C(RAISE) && !(after & C(DEBT))))) {
            m->kind = NF_KIND_OTHER;
            return;
        }
    }
    /* valuation: "valued at $X", "valuation of $X", "$X valuation", "valuation to $X" */
    if ((c_n1 & C(VALUATION)) || (word_at(text, toks, n1, NF_W_POST) && (c_n2 & C(VALUATION))) ||
        (c_p1 & C(VALUATION)) || (c_p2 & C(VALUATION) && !(c_p1 & C(VERB) && c_p1 & C(RAISE))) ||
        (c_p3 & C(VALUATION) && word_at(text, toks, p1, NF_W_TO))) {
        /* "valuing X at $Y" in an acquisition is the price */
        bool valuing = word_at(text, toks, p1, NF_W_VALUING) ||
                       word_at(text, toks, p2, NF_W_VALUING) ||
                       word_at(text, toks, p3, NF_W_VALUING);
        bool worth = word_at(text, toks, p1, NF_W_WORTH) || word_at(text, toks, n1, NF_W_WORTH);
        if (valuing && acq_sent)
            m->kind = NF_KIND_PRICE;
        else if (worth && sent & (C(CONTRACT) | C(SUPPLY)))
            m->kind = NF_KIND_COMMITMENT;
        else if (worth && acq_sent)
            m->kind = NF_KIND_PRICE;
        else
            m->kind = NF_KIND_VALUATION;
        return;
    }
    /* "market cap of $X" */
    if (word_at(text, toks, p1, NF_W_CAP) || word_at(text, toks, p2, NF_W_CAP)) {
        m->kind = NF_KIND_VALUATION;
        return;
    }
    /* "raises $X at $Y": the second is the valuation */
    if (word_at(text, toks, p1, NF_W_AT) && k > 0 && out[k - 1].kind == NF_KIND_ROUND_SIZE &&
        out[k - 1].last + 6 >= m->first) {
        m->kind = NF_KIND_VALUATION;
        return;
    }
    /* price: "for $X" after an acquisition verb, "$X takeover/acquisition/offer/bid" */
    if ((c_n1 & (C(ACQUIRE) | C(MERGE))) || word_at(text, toks, n1, NF_W_OFFER) ||
        word_at(text, toks, n1, NF_W_BID) || word_at(text, toks, n1, NF_W_BUYOUT) ||
        (word_at(text, toks, n1, NF_W_DEAL) && acq_sent && !(sent & C(SUPPLY))) ||
        (word_at(text, toks, p1, NF_W_FOR) && (before & (C(ACQUIRE) | C(SELL) | C(MERGE)))) ||
        (word_at(text, toks, n1, NF_W_PER) && word_at(text, toks, n2, NF_W_SHARE)) ||
        word_at(text, toks, n1, NF_W_A_SHARE) || (c_p1 & C(ACQUIRE)) || (c_p1 & C(SELL)) ||
        word_at(text, toks, p1, NF_W_PAY) || word_at(text, toks, p1, NF_W_PAID) ||
        word_at(text, toks, p1, NF_W_PAYS)) {
        if (!(sent & (C(CONTRACT) | C(SUPPLY) | C(COMPUTE)) && word_at(text, toks, p1, NF_W_PAY)) ||
            !word_at(text, toks, p1, NF_W_PAY)) {
            m->kind = NF_KIND_PRICE;
            /* "net income of $410 million, or $1.12 per share" is earnings per share */
            if (word_at(text, toks, n1, NF_W_PER) && (sent & C(REVENUE)) && !acq_sent)
                m->kind = NF_KIND_REVENUE;
            if (word_at(text, toks, n1, NF_W_MONTH) || word_at(text, toks, n2, NF_W_MONTH) ||
                word_at(text, toks, n2, NF_W_YEAR))
                m->kind = NF_KIND_COMMITMENT;
            return;
        }
    }
    /* round size: "$X Series B", "$X in seed funding", "raises $X" */
    if ((c_n1 & C(ROUND)) || (word_at(text, toks, n1, NF_W_IN) && (c_n2 & C(ROUND))) ||
        (c_p1 & C(ROUND) && !(c_p1 & C(VERB)) && !(before & C(OTHERMONEY))) ||
        (word_at(text, toks, p1, NF_W_OF) && (c_p2 & C(ROUND)))) {
        m->kind = NF_KIND_ROUND_SIZE;
        if (word_at(text, toks, p1, NF_W_TOTAL) || word_at(text, toks, p2, NF_W_TOTAL))
            m->kind = NF_KIND_OTHER;
        return;
    }
    if ((c_p1 & C(RAISE)) && !(after & C(OTHERMONEY)) && !(word_at(text, toks, p1, NF_W_TAKES)) &&
        !(word_at(text, toks, p1, NF_W_GETS) && after & C(FROM) && !(mask & NF_EXTRACT_FUNDING))) {
        m->kind = NF_KIND_ROUND_SIZE;
        if (sent & C(OTHERMONEY) && !(sent & C(ROUND)) && !(mask & NF_EXTRACT_FUNDING))
            m->kind = NF_KIND_OTHER;
        return;
    }
    /* investment vs capex: "invest $X in data centers" is capex */
    if ((c_p1 | c_n1 | c_p2) & C(INVEST) || word_at(text, toks, p1, NF_W_TAKES) ||
        word_at(text, toks, p1, NF_W_GETS)) {
        if ((sent & (C(DC) | C(FAB) | C(NETWORK) | C(BUILD) | C(COMPUTE))) &&
            !(sent & (C(ROUND) | C(STAKE))) &&
            (mask & NF_EXTRACT_INFRA || !mask || !(mask & (NF_EXTRACT_DEAL | NF_EXTRACT_FUNDING))))
            m->kind = NF_KIND_CAPEX;
        else
            m->kind = NF_KIND_INVESTMENT;
        return;
    }
    /* commitments: "$X a month", "$X contract", "$X cloud deal", "pledges $X" */
    if (word_at(text, toks, n1, NF_W_MONTH) || word_at(text, toks, n2, NF_W_MONTH) ||
        ((word_at(text, toks, n1, NF_W_A) || word_at(text, toks, n1, NF_W_PER)) &&
         word_at(text, toks, n2, NF_W_YEAR)) ||
        word_at(text, toks, n1, NF_W_ANNUALLY) || (c_n1 & (C(CONTRACT) | C(SUPPLY))) ||
        (c_n2 & C(CONTRACT) && c_n1 & (C(SUPPLY) | C(COMPUTE) | C(COMMIT))) ||
        (c_p1 & C(COMMIT) && !(c_p1 & C(BUILD))) || word_at(text, toks, p1, NF_W_WORTH)) {
        m->kind = NF_KIND_COMMITMENT;
        return;
    }

    /* no construction settled it: score the window */
    double score[NF_KIND__CNT] = {0};
    for (size_t i = lo; i < hi; i++) {
        if (i >= m->first && i <= m->last)
            continue;
        uint64_t c = toks->v[i].cues;
        if (!c)
            continue;
        size_t d = i < m->first ? m->first - i : i - m->last;
        for (size_t w = 0; w < sizeof(WEIGHTS) / sizeof(WEIGHTS[0]); w++)
            if (c & WEIGHTS[w].cues)
                score[WEIGHTS[w].kind] += WEIGHTS[w].weight * dist_weight(d);
    }
    /* the article's categories as a prior */
    if (mask & NF_EXTRACT_FUNDING)
        score[NF_KIND_ROUND_SIZE] += 0.3;
    if (mask & NF_EXTRACT_INFRA)
        score[NF_KIND_CAPEX] += 0.4;
    if (mask & NF_EXTRACT_DEAL) {
        if (acq_sent)
            score[NF_KIND_PRICE] += 0.5;
        else
            score[NF_KIND_COMMITMENT] += 0.3;
    }
    if (score[NF_KIND_CAPEX] > 0 && score[NF_KIND_INVESTMENT] > 0 && (sent & (C(DC) | C(FAB))))
        score[NF_KIND_CAPEX] += score[NF_KIND_INVESTMENT];
    nf_amount_kind_t best = NF_KIND_OTHER;
    double best_score = 0.25;
    for (int kk = 0; kk < NF_KIND__CNT; kk++)
        if (score[kk] > best_score) {
            best_score = score[kk];
            best = (nf_amount_kind_t)kk;
        }
    m->kind = best;
    m->confidence = (int)(best_score * 2 + 0.5);
}

size_t nf_amounts_find(const char *text, const nf_toks_t *toks, unsigned mask, nf_money_t *out,
                       size_t max)
{
    size_t count = 0;
    for (size_t i = 0; i < toks->n && count < max; i++) {
        const nf_tok_t *t = &toks->v[i];
        double v, scale, v2 = 0, scale2 = 0;
        bool pence, pence2;
        if (!(t->flags & NF_TOK_NUM))
            continue;
        /* cheap test first: a currency sign or code before, or a currency word, scale or
         * pence after; most numbers (years, counts) have none */
        if (!(i > 0 &&
              (toks->v[i - 1].flags & NF_TOK_PUNCT || toks->v[i - 1].cues & C(CURRENCY))) &&
            !(i + 1 < toks->n && toks->v[i + 1].cues & C(CURRENCY)) &&
            !(i + 2 < toks->n && toks->v[i + 2].cues & C(CURRENCY)) &&
            !((text[t->start + t->len - 1] | 0x20) == 'p'))
            continue;
        if (!parse_number(text, t, &v, &scale, &pence))
            continue;
        /* part of a longer number or code ("1.2.3", "A-1") */
        if (i > 0 && !(t->flags & NF_TOK_SPACE) && (toks->v[i - 1].flags & NF_TOK_WORD))
            continue;
        size_t first = i, last = i, j = i + 1;
        const char *iso = prefix_currency(text, toks, i, &first);
        double unit = 1;
        /* a range: "$1-2 billion", "$40 to $50 billion", "between $1 and $2 million" */
        size_t r = j;
        bool between = first >= 1 && word_at(text, toks, first - 1, NF_W_BETWEEN);
        if (!scale && j < toks->n && scale_of(text, &toks->v[j]) == 0 && !pence) {
            r = j;
        } else if (j < toks->n && !scale && (scale = scale_of(text, &toks->v[j])) > 0) {
            r = ++j;
            last = j - 1;
        }
        if (r < toks->n && (is_dash(text, &toks->v[r]) || word_at(text, toks, r, NF_W_TO) ||
                            (between && word_at(text, toks, r, NF_W_AND)))) {
            size_t q = r + 1;
            if (q < toks->n && tok_char(text, &toks->v[q], '$'))
                q++;
            else if (q < toks->n && iso && lookup(PREFIX, text, &toks->v[q]))
                q++;
            if (q < toks->n && (toks->v[q].flags & NF_TOK_NUM) &&
                parse_number(text, &toks->v[q], &v2, &scale2, &pence2) &&
                !(first >= 1 && word_at(text, toks, first - 1, NF_W_FROM))) {
                size_t e = q + 1;
                if (!scale2 && e < toks->n && (scale2 = scale_of(text, &toks->v[e])) > 0)
                    e++;
                if (!scale)
                    scale = scale2;
                if (!scale2)
                    scale2 = scale;
                j = e;
                last = e - 1;
            } else {
                v2 = 0;
            }
        } else if (scale && j == i + 1) {
            /* glued scale: nothing more to take */
        }
        if (!iso) {
            size_t l2 = last;
            if (pence) {
                iso = "GBP";
                unit = 0.01;
            } else if (!yearlike(text, t) || scale) {
                iso = suffix_currency(text, toks, j, &l2, &unit);
            }
            if (!iso)
                continue;
            last = l2 > last ? l2 : last;
        } else if (pence) {
            continue; /* "$5p" makes no sense */
        }
        /* "$5 %" or "$5 percent" is not money */
        if (last + 1 < toks->n && (tok_char(text, &toks->v[last + 1], '%') ||
                                   word_at(text, toks, last + 1, NF_W_PERCENT)))
            continue;
        nf_money_t *m = &out[count++];
        memset(m, 0, sizeof(*m));
        m->value = v * (scale ? scale : 1) * unit;
        m->value_high = v2 > 0 ? v2 * (scale2 ? scale2 : 1) * unit : 0;
        if (m->value_high <= m->value)
            m->value_high = 0;
        memcpy(m->currency, iso, 3);
        m->first = first;
        m->last = last;
        m->num = i;
        i = last;
    }
    for (size_t k = 0; k < count; k++)
        classify(text, toks, out, k, count, mask);
    return count;
}
