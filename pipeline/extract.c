/*
 * extract: runs the enrichment for one article and writes its part of the event.
 *
 * Order of work: tokenise each field once (tokens.c); find names (entities.c) and money
 * (amounts.c); merge repeated amounts (the same currency and value within 0.5% is one
 * amount, whose kind comes from the mention with the clearest context); then, for the
 * categories the classifier assigned, fill the details from role patterns. A role
 * pattern is a cue word in a sentence plus the names in the slots around it: the name
 * just before an acquisition verb is the acquirer and the one after it the target, the
 * name before "raises" is the company raising, the names after "from" or "led by" are
 * its investors, and so on. Contract frames (contract_frame) read supplier and customer
 * from the verb's voice and prepositions: "X wins a contract from Y", "Y awards X a
 * contract", "X supplies Y with ...", "X selected by Y". Headlines are read first because they
 * state the event most plainly; body sentences add what the headline leaves out. Nothing here
 * allocates once the scratch buffers have grown to the size of the articles seen.
 */
#include "extract.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amounts.h"
#include "encode.h"
#include "entities.h"
#include "err.h"
#include "gazetteer.h"
#include "tokens.h"

#define C(x)         NF_CUE(NF_CUE_##x)
#define NO_OFF       ((size_t)-1)
#define MAX_SENTENCE 256 /* tokens of one sentence the role patterns read */

/*
 * Words the role patterns test that the tokeniser's word list (tokens.h) does not carry:
 * compared by token hash, computed once in nf_extractor_new.
 */
#define XWORD_LIST(X)                                                                              \
    X(AWARD, "award")                                                                              \
    X(AWARDS, "awards")                                                                            \
    X(SUPPLY, "supply")                                                                            \
    X(SUPPLIES, "supplies")                                                                        \
    X(SUPPLIED, "supplied")                                                                        \
    X(SUPPLYING, "supplying")                                                                      \
    X(PROVIDE, "provide")                                                                          \
    X(PROVIDES, "provides")                                                                        \
    X(PROVIDED, "provided")                                                                        \
    X(PROVIDING, "providing")                                                                      \
    X(DELIVER, "deliver")                                                                          \
    X(DELIVERS, "delivers")                                                                        \
    X(LICENSE, "license")                                                                          \
    X(LICENSES, "licenses")                                                                        \
    X(LICENCE, "licence")                                                                          \
    X(LICENCES, "licences")                                                                        \
    X(LICENSED, "licensed")                                                                        \
    X(WIN, "win")                                                                                  \
    X(SECURES, "secures")                                                                          \
    X(SECURED, "secured")                                                                          \
    X(LANDED, "landed")                                                                            \
    X(BAGS, "bags")                                                                                \
    X(CLINCHES, "clinches")                                                                        \
    X(NABS, "nabs")                                                                                \
    X(SCORES, "scores")                                                                            \
    X(SCORED, "scored")                                                                            \
    X(OFF, "off")                                                                                  \
    X(PRIVATE, "private")                                                                          \
    X(CALLS, "calls")                                                                              \
    X(CALLED, "called")                                                                            \
    X(SNAGS, "snags")                                                                              \
    X(GOT, "got")                                                                                  \
    X(RECEIVED, "received")                                                                        \
    X(CONTRACTS, "contracts")                                                                      \
    X(ORDER, "order")                                                                              \
    X(ORDERS, "orders")                                                                            \
    X(ORDERED, "ordered")                                                                          \
    X(TENDER, "tender")                                                                            \
    X(DEALS, "deals")                                                                              \
    X(SELECTED, "selected")                                                                        \
    X(CHOSEN, "chosen")                                                                            \
    X(PICKED, "picked")                                                                            \
    X(TAPPED, "tapped")                                                                            \
    X(HIRED, "hired")                                                                              \
    X(HIRES, "hires")                                                                              \
    X(COMMISSIONED, "commissioned")                                                                \
    X(CONTRACTED, "contracted")                                                                    \
    X(CHAIN, "chain")                                                                              \
    X(CHAINS, "chains")                                                                            \
    X(ARE, "are")                                                                                  \
    X(WERE, "were")                                                                                \
    X(HAS, "has")                                                                                  \
    X(HAVE, "have")                                                                                \
    X(ALSO, "also")                                                                                \
    X(WOULD, "would")                                                                              \
    X(CAN, "can")                                                                                  \
    X(PUBLIC, "public")                                                                            \
    X(LIST, "list")                                                                                \
    X(SPAC, "spac")                                                                                \
    X(SPACS, "spacs")                                                                              \
    X(IPO, "ipo")                                                                                  \
    X(PCT, "pct")                                                                                  \
    X(CEO, "ceo")                                                                                  \
    X(SUPPLIER, "supplier")                                                                        \
    X(PROVIDER, "provider")                                                                        \
    X(VENDOR, "vendor")                                                                            \
    X(HIS, "his")                                                                                  \
    X(HER, "her")                                                                                  \
    X(THEIR, "their")                                                                              \
    X(BASED, "based")                                                                              \
    X(HEADQUARTERED, "headquartered")                                                              \
    X(PREPARING, "preparing")                                                                      \
    X(ATTEMPT, "attempt")                                                                          \
    X(ATTEMPTS, "attempts")                                                                        \
    X(TRYING, "trying")                                                                            \
    X(THREATENS, "threatens")                                                                      \
    X(EFFORT, "effort")                                                                            \
    X(MAKES, "makes")                                                                              \
    X(LAUNCHES, "launches")                                                                        \
    X(SUBMITS, "submits")                                                                          \
    X(EMERGES, "emerges")                                                                          \
    X(EMERGED, "emerged")                                                                          \
    X(EMERGING, "emerging")                                                                        \
    X(SPUN, "spun")                                                                                \
    X(ANGELS, "angels")                                                                            \
    X(OWNED, "owned")                                                                              \
    X(BACKED, "backed")                                                                            \
    X(ACCEPTS, "accepts")                                                                          \
    X(ACCEPTED, "accepted")                                                                        \
    X(REJECTS, "rejects")                                                                          \
    X(REBUFFS, "rebuffs")                                                                          \
    X(SPURNS, "spurns")                                                                            \
    X(WELCOMES, "welcomes")                                                                        \
    X(AFFILIATES, "affiliates")                                                                    \
    X(AFFILIATE, "affiliate")                                                                      \
    X(SUBSIDIARY, "subsidiary")                                                                    \
    X(SUBSIDIARIES, "subsidiaries")                                                                \
    X(STAKEHOLDER, "stakeholder")                                                                  \
    X(SHAREHOLDER, "shareholder")                                                                  \
    X(BECOME, "become")                                                                            \
    X(BECOMES, "becomes")                                                                          \
    X(BECAME, "became")                                                                            \
    X(THROUGH, "through")                                                                          \
    X(VIA, "via")                                                                                  \
    X(INVESTOR, "investor")                                                                        \
    X(SOLD, "sold")                                                                                \
    X(STOCKHOLDER, "stockholder")                                                                  \
    X(STOCKHOLDERS, "stockholders")                                                                \
    X(SHAREHOLDERS, "shareholders")                                                                \
    X(HOLDERS, "holders")                                                                          \
    X(TAKEN, "taken")                                                                              \
    X(TAKING, "taking")                                                                            \
    X(SAID, "said")                                                                                \
    X(SAYS, "says")                                                                                \
    X(TERMINATES, "terminates")                                                                    \
    X(COMPLETE, "complete")                                                                        \
    X(OFFERS, "offers")                                                                            \
    X(ITSELF, "itself")                                                                            \
    X(SUITORS, "suitors")                                                                          \
    X(SUITOR, "suitor")                                                                            \
    X(BIDDERS, "bidders")                                                                          \
    X(RIVAL, "rival")                                                                              \
    X(RIVALS, "rivals")                                                                            \
    X(COMPETITOR, "competitor")                                                                    \
    X(ACCEPT, "accept")                                                                            \
    X(REJECT, "reject")                                                                            \
    X(WHICH, "which")                                                                              \
    X(WHO, "who")                                                                                  \
    X(NOT, "not")                                                                                  \
    X(APPROVALS, "approvals")                                                                      \
    X(REJECTED, "rejected")                                                                        \
    X(REJECTING, "rejecting")                                                                      \
    X(OWNS, "owns")                                                                                \
    X(HOLDS, "holds")                                                                              \
    X(CONTROLS, "controls")                                                                        \
    X(AMASSED, "amassed")                                                                          \
    X(HE, "he")                                                                                    \
    X(SHE, "she")                                                                                  \
    X(THEY, "they")                                                                                \
    X(NOW, "now")                                                                                  \
    X(CURRENTLY, "currently")                                                                      \
    X(AMONG, "among")

enum {
#define XW_ENUM(id, str) XW_##id,
    XWORD_LIST(XW_ENUM)
#undef XW_ENUM
        XW__CNT
};

struct nf_extractor {
    nf_gazetteer_t *gz;
    nf_lexicon_t *lex;
    uint64_t xword[XW__CNT]; /* token hash of each XW_ word */
};

struct nf_extract_scratch {
    nf_toks_t toks[NF_TEXT__CNT];
    const char *text[NF_TEXT__CNT];
    bool headline[NF_TEXT__CNT];
    bool caps_title; /* reading deal roles under a headline in capitals */
    nf_spans_t spans;
    size_t span_lo[NF_TEXT__CNT], span_hi[NF_TEXT__CNT];
    nf_money_t money[NF_TEXT__CNT][NF_EXTRACT_MAX_AMOUNTS];
    size_t money_n[NF_TEXT__CNT];
    int money_amount[NF_TEXT__CNT][NF_EXTRACT_MAX_AMOUNTS];
    int amount_conf[NF_EXTRACT_MAX_AMOUNTS];
    size_t amount_text_off[NF_EXTRACT_MAX_AMOUNTS];
    size_t round_off, location_off, capacity_off;
    nf_buf_t arena;
    nf_ents_t ents;
    /* the sentence being read by the role patterns */
    int f;
    size_t ss, se;
    int deal_rank; /* priority of the pattern that set the deal kind */
};

/* Names ---------------------------------------------------------------------------- */

static const char *const KIND_NAMES[] = {"investment", "round_size", "valuation", "capex",
                                         "revenue",    "commitment", "price",     "other"};
static const char *const ROLE_NAMES[] = {"investor", "lead_investor", "acquirer", "target",
                                         "seller",   "fundraiser",    "partner",  "operator",
                                         "customer", "supplier"};
static const char *const DEAL_NAMES[] = {"acquisition", "merger",      "stake",
                                         "investment",  "divestiture", "joint_venture",
                                         "contract",    "partnership", "other"};
static const char *const STATUS_NAMES[] = {"",        "rumored",   "in_talks",   "announced",
                                           "pending", "completed", "terminated", "blocked"};
static const char *const ASSET_NAMES[] = {
    "", "data_center", "compute_cluster", "fab", "cloud_region", "network", "power", "other"};
static const char *const FIELD_NAMES[] = {"title", "body", "summary"};
static const char *const TYPE_NAMES[] = {"organization", "person", "location"};

const char *nf_amount_kind_name(nf_amount_kind_t kind)
{
    return (unsigned)kind < NF_KIND__CNT ? KIND_NAMES[kind] : "other";
}

const char *nf_role_name(nf_role_t role)
{
    return (unsigned)role < NF_ROLE__CNT ? ROLE_NAMES[role] : "partner";
}

const char *nf_deal_kind_name(nf_deal_kind_t kind)
{
    return (unsigned)kind <= NF_DEAL_OTHER ? DEAL_NAMES[kind] : "other";
}

const char *nf_deal_status_name(nf_deal_status_t status)
{
    return (unsigned)status <= NF_STATUS_BLOCKED ? STATUS_NAMES[status] : "";
}

const char *nf_asset_name(nf_asset_t asset)
{
    return (unsigned)asset <= NF_ASSET_OTHER ? ASSET_NAMES[asset] : "other";
}

const char *nf_entity_type_name(nf_entity_type_t type)
{
    return (unsigned)type <= NF_ENTITY_LOCATION ? TYPE_NAMES[type] : "organization";
}

/* Lifecycle ------------------------------------------------------------------------ */

nf_extractor_t *nf_extractor_new(const char *rules_dir, char *errstr, size_t errstr_size)
{
    char dir[4096];
    nf_extractor_t *x = calloc(1, sizeof(*x));
    if (!x) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    snprintf(dir, sizeof(dir), "%s/gazetteer", rules_dir ? rules_dir : "rules");
    x->gz = nf_gazetteer_load(dir, errstr, errstr_size);
    if (!x->gz)
        goto fail;
    x->lex = nf_lexicon_new();
    if (!x->lex) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    static const char *const xwords[] = {
#define XW_STR(id, str) str,
        XWORD_LIST(XW_STR)
#undef XW_STR
    };
    for (int w = 0; w < XW__CNT; w++)
        x->xword[w] = nf_tok_hash(xwords[w], strlen(xwords[w]));
    return x;
fail:
    nf_extractor_destroy(x);
    return NULL;
}

void nf_extractor_destroy(nf_extractor_t *x)
{
    if (!x)
        return;
    nf_gazetteer_destroy(x->gz);
    nf_lexicon_destroy(x->lex);
    free(x);
}

size_t nf_extractor_names(const nf_extractor_t *x)
{
    return x ? nf_gazetteer_names(x->gz) : 0;
}

const nf_lexicon_t *nf_extractor_lexicon(const nf_extractor_t *x)
{
    return x->lex;
}

static void reset_results(nf_extraction_t *out)
{
    out->amounts_n = 0;
    out->entities_n = 0;
    memset(&out->deal, 0, sizeof(out->deal));
    memset(&out->funding, 0, sizeof(out->funding));
    memset(&out->infra, 0, sizeof(out->infra));
    out->deal.amount = -1;
    out->funding.company = out->funding.amount = out->funding.valuation = -1;
    out->infra.operator_ = out->infra.amount = -1;
}

void nf_extraction_clear(nf_extraction_t *out)
{
    if (!out)
        return;
    reset_results(out);
    if (out->scratch) {
        struct nf_extract_scratch *s = out->scratch;
        for (int f = 0; f < NF_TEXT__CNT; f++) {
            s->toks[f].n = 0;
            s->money_n[f] = 0;
            s->text[f] = NULL;
        }
        s->spans.n = 0;
        nf_buf_reset(&s->arena);
    }
}

void nf_extraction_free(nf_extraction_t *out)
{
    if (!out)
        return;
    if (out->scratch) {
        struct nf_extract_scratch *s = out->scratch;
        for (int f = 0; f < NF_TEXT__CNT; f++)
            nf_toks_free(&s->toks[f]);
        free(s->spans.v);
        nf_buf_free(&s->arena);
        free(s);
    }
    memset(out, 0, sizeof(*out));
    reset_results(out);
}

/* Small helpers over the current scratch ------------------------------------------- */

typedef struct nf_extract_scratch scratch_t;

static const nf_tok_t *tok(const scratch_t *s, int f, size_t i)
{
    return &s->toks[f].v[i];
}

static bool is_word(const scratch_t *s, int f, size_t i, unsigned w)
{
    return i < s->toks[f].n && tok(s, f, i)->word == w;
}

static bool is_p(const scratch_t *s, int f, size_t i, char c)
{
    if (i >= s->toks[f].n)
        return false;
    const nf_tok_t *t = tok(s, f, i);
    return (t->flags & NF_TOK_PUNCT) && t->len == 1 && s->text[f][t->start] == c;
}

static uint64_t cues(const scratch_t *s, int f, size_t i)
{
    return i < s->toks[f].n ? tok(s, f, i)->cues : 0;
}

static bool is_xw(const nf_extractor_t *x, const scratch_t *s, int f, size_t i, int w)
{
    return i < s->toks[f].n && tok(s, f, i)->hash == x->xword[w] &&
           (tok(s, f, i)->flags & NF_TOK_WORD) && !(tok(s, f, i)->flags & NF_TOK_POSS);
}

/* Span (index into s->spans) covering token i of field f, or -1. */
static long span_at(const scratch_t *s, int f, size_t i)
{
    /* spans of a field are in token order and do not overlap: binary search */
    size_t lo = s->span_lo[f], hi = s->span_hi[f];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const nf_span_t *sp = &s->spans.v[mid];
        if (i < sp->first)
            hi = mid;
        else if (i > sp->last)
            lo = mid + 1;
        else
            return (long)mid;
    }
    return -1;
}

/*
 * Whether an unknown name in a headline in capitals is a name: capitals cannot tell a name
 * from the words around it ("TMOC TELLS", "HIKES CHEMLAWN", "BOTTLED WATER"), so it must
 * open a name the body writes ("TALBOT SYSTEMS": "Talbot Systems Inc") or stand before a
 * wire ticker ("TRIANGLE MICROWAVE <TRMW>"). With no body to check, a name holds no word
 * the lexicon knows but a nationality ("CHEMLAWN", "BAKER INTERNATIONAL", not "MLN DLRS").
 */
static bool caps_name_confirmed(const scratch_t *s, const nf_span_t *span)
{
    const nf_toks_t *tt = &s->toks[NF_TEXT_TITLE];
    if (is_p(s, NF_TEXT_TITLE, span->last + 1, '<'))
        return true;
    if (!s->toks[NF_TEXT_BODY].n) {
        for (size_t i = span->first; i <= span->last; i++)
            if (tt->v[i].cues & ~C(NATION)) /* "BAKER INTERNATIONAL" is a name */
                return false;
        return true;
    }
    for (size_t k = s->span_lo[NF_TEXT_BODY]; k < s->span_hi[NF_TEXT_BODY]; k++) {
        const nf_span_t *b = &s->spans.v[k];
        size_t i = span->first, j = b->first;
        while (i <= span->last && j <= b->last) {
            if (tt->v[i].flags & NF_TOK_PUNCT) {
                i++;
                continue;
            }
            if (tok(s, NF_TEXT_BODY, j)->flags & NF_TOK_PUNCT) {
                j++;
                continue;
            }
            if (tt->v[i].hash != tok(s, NF_TEXT_BODY, j)->hash)
                break;
            i++;
            j++;
        }
        if (i > span->last && b->type != NF_SPAN_PLACE)
            return true;
    }
    return false;
}

/* Entity of a span usable as a party (organisation or person), creating it if needed. */
static int party_entity(const nf_extractor_t *x, scratch_t *s, long sp)
{
    if (sp < 0)
        return -1;
    nf_span_t *span = &s->spans.v[sp];
    if (span->type == NF_SPAN_PLACE)
        return -1;
    if (s->caps_title && span->field == NF_TEXT_TITLE && span->type == NF_SPAN_CANDIDATE &&
        span->gaz < 0 && !caps_name_confirmed(s, span))
        return -1;
    int e = nf_entities_of_span(x->gz, s->text[span->field], &s->toks[span->field], &s->ents, span);
    if (e < 0)
        return -1;
    const nf_gaz_entry_t *g = nf_entities_gaz(x->gz, &s->ents, e);
    if (g && g->kind >= NF_GAZ_COUNTRY)
        return -1;
    /* the press reports deals, it is not a party: "the Wall Street Journal reported" */
    /* ... unless it is itself the subject of one, alone or listed: "The New York Times
     * acquires Y", "The Times and Amazon announce a licensing deal" */
    const nf_tok_t *last = tok(s, span->field, span->last);
    const uint64_t deal_verb =
        C(ACQUIRE) | C(SELL) | C(MERGE) | C(PARTNER) | C(INVEST) | C(CONTRACT);
    size_t after = span->last + 1;
    if (cues(s, span->field, after) & C(AND)) {
        long other = span_at(s, span->field, after + 1);
        if (other >= 0 && s->spans.v[other].first == after + 1)
            after = s->spans.v[other].last + 1;
    }
    if (!g &&
        (last->word == NF_W_JOURNAL || last->word == NF_W_TIMES || last->word == NF_W_POST ||
         last->word == NF_W_NEWS) &&
        !(cues(s, span->field, after) & (deal_verb | C(ANNOUNCE))))
        return -1;
    return e;
}

/*
 * Tokens a subject may have between it and its verb: auxiliaries, modals, "reportedly",
 * "in talks to", "said it would", day names, closing brackets of an aside.
 */
static bool skippable_left(const scratch_t *s, int f, size_t i, size_t *loose)
{
    const nf_tok_t *t = tok(s, f, i);
    if (t->flags & NF_TOK_POSS)
        return false;
    if (t->flags & NF_TOK_PUNCT)
        return is_p(s, f, i, ',') || is_p(s, f, i, ')') || is_p(s, f, i, '(') ||
               is_p(s, f, i, '-') || is_p(s, f, i, '$') || is_p(s, f, i, '%');
    if (t->flags & NF_TOK_NUM)
        return true; /* an amount: "makes $55.5B takeover offer" */
    if (t->cues & (C(FROM) | C(WITH) | C(BY) | C(FOR) | C(AND) | C(OF)))
        return (t->cues & C(VERB)) != 0;
    if (t->cues & (C(FUNC) | C(RUMOR) | C(TALKS) | C(TO) | C(VERB) | C(ANNOUNCE) | C(CURRENCY)))
        return true;
    /* a few plain lower-case words: "quietly", "advanced", "second-round" */
    if (!(t->flags & (NF_TOK_CAP | NF_TOK_UPPER)) && *loose > 0) {
        (*loose)--;
        return true;
    }
    return false;
}

/* Nearest span ending before token v within gap skippable tokens (same sentence). */
static long subject_of(const scratch_t *s, int f, size_t v, size_t gap)
{
    size_t i = v, skipped = 0, loose = 3;
    while (i > s->ss) {
        i--;
        long sp = span_at(s, f, i);
        if (sp >= 0) {
            /* "Uber China will merge": a company's national arm names the company */
            if (s->spans.v[sp].type == NF_SPAN_PLACE && s->spans.v[sp].first > s->ss &&
                span_at(s, f, s->spans.v[sp].first - 1) >= 0 &&
                s->spans.v[span_at(s, f, s->spans.v[sp].first - 1)].type != NF_SPAN_PLACE)
                return span_at(s, f, s->spans.v[sp].first - 1);
            return sp;
        }
        /* "McDonald's is acquiring": the name with its 's right before the verb */
        if ((tok(s, f, i)->flags & NF_TOK_POSS) && i > s->ss && span_at(s, f, i - 1) >= 0 &&
            loose == 3) /* only auxiliaries between: not "X's satellite venture" */
            return span_at(s, f, i - 1);
        /* "Tantus Tech wins": a descriptor that ends a headline name */
        if (s->headline[f] && (tok(s, f, i)->cues & C(DESC)) &&
            (tok(s, f, i)->flags & NF_TOK_CAP) && i > s->ss && span_at(s, f, i - 1) >= 0)
            return span_at(s, f, i - 1);
        if (is_p(s, f, i, ',')) {
            /* "Clover Health, a health insurance startup, raises": the name before the
             * aside, when the sentence opens with it */
            size_t c1 = s->ss;
            while (c1 < i && !is_p(s, f, c1, ','))
                c1++;
            if (c1 < i && c1 > s->ss && c1 <= s->ss + 6) {
                long sp0 = span_at(s, f, c1 - 1);
                if (sp0 >= 0)
                    return sp0;
            }
        }
        if (is_p(s, f, i, ')')) { /* skip an aside: "Sorcerer (YC S24) raises" */
            while (i > s->ss && !is_p(s, f, i, '('))
                i--;
            continue;
        }
        /* a wire ticker the gazetteer does not know: "DIGITAL COMMUNICATIONS <DCAI.O> BUYS";
         * a bracketed name is the subject: "<Jannock Ltd> said it acquired" */
        long in = i > s->ss ? span_at(s, f, i - 1) : -1;
        if (is_p(s, f, i, '>') && in >= 0 &&
            !(tok(s, f, s->spans.v[in].first)->flags & NF_TOK_UPPER))
            return in;
        if (is_p(s, f, i, '>') && i > s->ss + 2) {
            size_t k = i - 1;
            while (k > s->ss && k + 6 > i && !is_p(s, f, k, '<'))
                k--;
            if (is_p(s, f, k, '<')) {
                i = k;
                continue;
            }
        }
        if (!skippable_left(s, f, i, &loose) || ++skipped > gap)
            return -1;
    }
    return -1;
}

/* Tokens an object may have between its verb and itself. */
static bool skippable_right(const scratch_t *s, int f, size_t i, bool lower_ok)
{
    const nf_tok_t *t = tok(s, f, i);
    if (t->flags & NF_TOK_PUNCT)
        return !is_p(s, f, i, '.') && !is_p(s, f, i, ';') && !is_p(s, f, i, ':');
    if (t->flags & NF_TOK_NUM)
        return true;
    if (t->cues & (C(FROM) | C(WITH) | C(BY) | C(TO)))
        return false;
    if (t->cues & (C(FUNC) | C(DESC) | C(STAKE) | C(IN) | C(OF) | C(NATION)))
        return true;
    if (!(t->flags & (NF_TOK_CAP | NF_TOK_UPPER)))
        return lower_ok;
    return s->headline[f] && t->cues;
}

/* Nearest span starting after token v within gap tokens. */
static long object_of(const scratch_t *s, int f, size_t v, size_t gap)
{
    size_t skipped = 0;
    for (size_t i = v + 1; i < s->se; i++) {
        long sp = span_at(s, f, i);
        /* "in Abu Dhabi's G42": the place qualifies the company that follows */
        if (sp >= 0 && s->spans.v[sp].type == NF_SPAN_PLACE && s->spans.v[sp].last + 1 < s->se &&
            (tok(s, f, s->spans.v[sp].last + 1)->flags & NF_TOK_POSS)) {
            i = s->spans.v[sp].last + 1;
            continue;
        }
        if (sp >= 0)
            return sp;
        if (!skippable_right(s, f, i, !s->headline[f]) || ++skipped > gap)
            return -1;
    }
    return -1;
}

/* Span right after a preposition-like word at v ("from", "with", "by", "in", "for"). */
static long after_word(const scratch_t *s, int f, size_t v, size_t gap)
{
    return object_of(s, f, v, gap);
}

/* Next span after sp joined by ",", "and", "&" (a list: "from A, B and C"). */
static long next_in_list(const scratch_t *s, int f, long sp)
{
    size_t i = s->spans.v[sp].last + 1;
    bool joined = false;
    while (i < s->se && (is_p(s, f, i, ',') || (cues(s, f, i) & C(AND)) ||
                         is_word(s, f, i, NF_W_AS) || is_word(s, f, i, NF_W_WELL))) {
        joined = true;
        i++;
    }
    if (!joined || i >= s->se)
        return -1;
    long next = span_at(s, f, i);
    return next >= 0 && s->spans.v[next].first == i ? next : -1;
}

static bool poss_at(const scratch_t *s, int f, size_t i);

/*
 * Previous span joined to sp by ",", "and" or "&" ("Google and Chevron invest"), past a
 * place that qualifies sp ("iGenius and the UAE's G42 have partnered") or a descriptor
 * ("Nvidia and real estate firm Related Companies").
 */
static long prev_in_list(const scratch_t *s, int f, long sp)
{
    size_t i = s->spans.v[sp].first;
    bool joined = false;
    long place = i > s->ss + 1 && poss_at(s, f, i - 1) ? span_at(s, f, i - 2) : -1;
    if (place >= 0 && s->spans.v[place].type == NF_SPAN_PLACE) {
        i = s->spans.v[place].first;
        if (i > s->ss && is_word(s, f, i - 1, NF_W_THE))
            i--;
    }
    /* "Nvidia and real estate firm Related Companies": past a descriptor and its modifiers */
    if (i > s->ss + 1 && (cues(s, f, i - 1) & C(DESC)) &&
        !(tok(s, f, i - 1)->flags & (NF_TOK_CAP | NF_TOK_UPPER))) {
        size_t k = i - 1;
        while (k > s->ss + 1 && k + 3 > i && (tok(s, f, k - 1)->flags & NF_TOK_WORD) &&
               !(tok(s, f, k - 1)->flags & (NF_TOK_CAP | NF_TOK_UPPER)) &&
               !(cues(s, f, k - 1) & (C(FUNC) | C(AND) | C(VERB))))
            k--;
        i = k;
    }
    while (i > s->ss && (is_p(s, f, i - 1, ',') || (cues(s, f, i - 1) & C(AND)))) {
        joined = true;
        i--;
    }
    if (!joined || i == s->ss)
        return -1;
    long prev = span_at(s, f, i - 1);
    return prev >= 0 && s->spans.v[prev].last == i - 1 ? prev : -1;
}

/*
 * The span joined to sp by a dash or slash with no space ("Microsoft–OpenAI partnership",
 * "X-Y merger", "X/Y deal"), before it; or -1.
 */
static long compound_before(const scratch_t *s, int f, long sp)
{
    size_t i = s->spans.v[sp].first;
    if (i < s->ss + 2 || (tok(s, f, i)->flags & NF_TOK_SPACE))
        return -1;
    const nf_tok_t *d = tok(s, f, i - 1);
    const char *p = s->text[f] + d->start;
    bool dash = is_p(s, f, i - 1, '-') || is_p(s, f, i - 1, '/') ||
                (d->len == 3 && (!memcmp(p, "\xE2\x80\x93", 3) || !memcmp(p, "\xE2\x80\x94", 3)));
    if (!dash || (d->flags & NF_TOK_SPACE))
        return -1;
    long prev = span_at(s, f, i - 2);
    return prev >= 0 && s->spans.v[prev].last == i - 2 ? prev : -1;
}

/* The name after "Y for $385M and": a second thing bought ("buys Y for $385M and Z"); -1. */
static long after_price(const scratch_t *s, int f, long sp)
{
    size_t k = s->spans.v[sp].last + 1, money = 0;
    if (!is_word(s, f, k, NF_W_FOR))
        return -1;
    for (k++; k < s->se && money < 5; k++, money++) {
        const nf_tok_t *t = tok(s, f, k);
        if (!((t->flags & NF_TOK_NUM) || is_p(s, f, k, '$') || (t->cues & C(CURRENCY))))
            break;
    }
    if (!money || !(cues(s, f, k) & C(AND)) || is_p(s, f, k, '&'))
        return -1;
    long next = span_at(s, f, k + 1);
    return next >= 0 && s->spans.v[next].first == k + 1 ? next : -1;
}

/* Roles ------------------------------------------------------------------------------ */

static void add_role(nf_extraction_t *out, int e, nf_role_t role)
{
    if (e >= 0)
        out->entities[e].roles |= 1u << role;
}

static bool deal_has(const nf_extraction_t *out, int e)
{
    for (size_t i = 0; i < out->deal.parties_n; i++)
        if (out->deal.parties[i].entity == e)
            return true;
    return false;
}

static void add_party(nf_extraction_t *out, int e, nf_role_t role)
{
    if (e < 0 || deal_has(out, e) || out->deal.parties_n == NF_EXTRACT_MAX_PARTIES)
        return;
    out->deal.parties[out->deal.parties_n].entity = e;
    out->deal.parties[out->deal.parties_n].role = role;
    out->deal.parties_n++;
    add_role(out, e, role);
}

/* Adds the names listed after sp ("to A, B and C": B and C) in role. */
static void add_rest(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out, long sp,
                     nf_role_t role)
{
    for (sp = sp >= 0 ? next_in_list(s, s->f, sp) : -1; sp >= 0; sp = next_in_list(s, s->f, sp))
        add_party(out, party_entity(x, s, sp), role);
}

static void set_deal_kind(scratch_t *s, nf_extraction_t *out, nf_deal_kind_t kind, int rank)
{
    if (rank > s->deal_rank) {
        s->deal_rank = rank;
        out->deal.kind = kind;
    }
}

static void add_investor(nf_extraction_t *out, int e, bool lead)
{
    nf_funding_t *fu = &out->funding;
    if (e < 0 || e == fu->company)
        return;
    bool have = false;
    for (size_t i = 0; i < fu->investors_n; i++)
        have |= fu->investors[i] == e;
    if (!have && fu->investors_n < NF_EXTRACT_MAX_INVESTORS)
        fu->investors[fu->investors_n++] = e;
    add_role(out, e, NF_ROLE_INVESTOR);
    if (lead) {
        have = false;
        for (size_t i = 0; i < fu->leads_n; i++)
            have |= fu->leads[i] == e;
        if (!have && fu->leads_n < NF_EXTRACT_MAX_INVESTORS)
            fu->leads[fu->leads_n++] = e;
        add_role(out, e, NF_ROLE_LEAD_INVESTOR);
    }
}

/* Adds the span list starting at sp as investors (and deal investors). */
static void investors_from(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out,
                           unsigned mask, long sp, bool lead)
{
    for (int guard = 0; sp >= 0 && guard < 12; guard++, sp = next_in_list(s, s->f, sp)) {
        /* "from Atomico and Angels": unnamed angels are no investors (EXTRACTION.md) */
        if (s->spans.v[sp].first == s->spans.v[sp].last &&
            is_xw(x, s, s->f, s->spans.v[sp].first, XW_ANGELS))
            continue;
        int e = party_entity(x, s, sp);
        if (e < 0)
            continue;
        if (mask & NF_EXTRACT_FUNDING)
            add_investor(out, e, lead);
        if (mask & NF_EXTRACT_DEAL)
            add_party(out, e, NF_ROLE_INVESTOR);
    }
}

static bool tagged(const nf_extractor_t *x, const scratch_t *s, int e, unsigned tag)
{
    const nf_gaz_entry_t *g = nf_entities_gaz(x->gz, &s->ents, e);
    return g && (g->tags & tag);
}

static bool public_body(const nf_extractor_t *x, const scratch_t *s, int e)
{
    const nf_gaz_entry_t *g = nf_entities_gaz(x->gz, &s->ents, e);
    if (g)
        return g->kind == NF_GAZ_PUBLIC_BODY;
    /* "the German government" (entities.c), "Broadband Advisory Board": funds and
     * regulates, neither raises nor runs */
    if (s->ents.first_tok[e] < s->toks[s->ents.first_field[e]].n) {
        int f = s->ents.first_field[e];
        long sp = span_at(s, f, s->ents.first_tok[e]);
        if (sp >= 0 && s->spans.v[sp].entity == e && (cues(s, f, s->spans.v[sp].last) & C(GOV)))
            return true;
    }
    const char *name = s->arena.data ? s->arena.data + s->ents.name_off[e] : "";
    size_t len = strlen(name);
    return len >= 10 && !strcmp(name + len - 10, "government");
}

/* Supplier and customer of a contract between a and b, from what each one sells. */
static void contract_roles(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out, int a,
                           int b, uint64_t sent)
{
    bool power = sent & C(POWER), compute = sent & (C(COMPUTE) | C(SUPPLY) | C(DC));
    bool a_cloud = tagged(x, s, a, NF_GAZ_TAG_CLOUD | NF_GAZ_TAG_CHIPS);
    bool b_cloud = tagged(x, s, b, NF_GAZ_TAG_CLOUD | NF_GAZ_TAG_CHIPS);
    if (power && a_cloud != b_cloud) {
        add_party(out, a, a_cloud ? NF_ROLE_CUSTOMER : NF_ROLE_SUPPLIER);
        add_party(out, b, b_cloud ? NF_ROLE_CUSTOMER : NF_ROLE_SUPPLIER);
    } else if (compute && a_cloud != b_cloud) {
        add_party(out, a, a_cloud ? NF_ROLE_SUPPLIER : NF_ROLE_CUSTOMER);
        add_party(out, b, b_cloud ? NF_ROLE_SUPPLIER : NF_ROLE_CUSTOMER);
    } else {
        add_party(out, a, NF_ROLE_PARTNER);
        add_party(out, b, NF_ROLE_PARTNER);
    }
}

/*
 * The span right before token i when it carries a possessive ("Square's platform"),
 * looking past an amount ("Tarrant's $2.1bn takeover").
 */
/* Token i marks a possessive: "Acme's", or the apostrophe of a plural "Distributors' ". */
static bool poss_at(const scratch_t *s, int f, size_t i)
{
    if (i >= s->se || i <= s->ss)
        return false;
    if (tok(s, f, i)->flags & NF_TOK_POSS)
        return true;
    const nf_tok_t *w = tok(s, f, i - 1), *a = tok(s, f, i);
    bool apostrophe = is_p(s, f, i, '\'') ||
                      (a->len == 3 && !memcmp(s->text[f] + a->start, "\xE2\x80\x99", 3)); /* ’ */
    return apostrophe && (w->flags & NF_TOK_WORD) && w->start + w->len == a->start &&
           (s->text[f][w->start + w->len - 1] | 0x20) == 's';
}

static long possessor_before(const scratch_t *s, int f, size_t i)
{
    /* past the price: "$2.1bn", "4.00 dlr a share", a wire ticker "<STOS.S>" */
    while (i > s->ss + 2) {
        const nf_tok_t *t = tok(s, f, i - 1);
        if ((t->flags & NF_TOK_NUM) || is_p(s, f, i - 1, '$') || (t->cues & C(CURRENCY)) ||
            is_word(s, f, i - 1, NF_W_SHARE) || is_word(s, f, i - 1, NF_W_PER) ||
            ((t->flags & NF_TOK_PUNCT) && t->len > 1)) {
            i--;
        } else if (is_p(s, f, i - 1, '>') && i > s->ss + 4 && is_p(s, f, i - 3, '<')) {
            i -= 3;
        } else {
            break;
        }
    }
    if (i < 2 || !poss_at(s, f, i - 1))
        return -1;
    return span_at(s, f, i - 2);
}

/* A noun for what is bought when it is not a company: "unit", "towers", "assets". */
static bool asset_noun(const scratch_t *s, int f, size_t i)
{
    switch (tok(s, f, i)->word) {
    case NF_W_UNIT:
    case NF_W_BUSINESS:
    case NF_W_ASSETS:
    case NF_W_TOWERS:
    case NF_W_DIVISION:
    case NF_W_PORTFOLIO:
    case NF_W_OPERATIONS:
        return true;
    default:
        return false;
    }
}

/* A noun for what a contract frame is about: "contract", "order", "tender", "deal". */
static bool contract_noun(const nf_extractor_t *x, const scratch_t *s, int f, size_t i)
{
    return is_word(s, f, i, NF_W_CONTRACT) || is_word(s, f, i, NF_W_DEAL) ||
           is_word(s, f, i, NF_W_AGREEMENT) || is_word(s, f, i, NF_W_AGREEMENTS) ||
           is_xw(x, s, f, i, XW_CONTRACTS) || is_xw(x, s, f, i, XW_ORDER) ||
           is_xw(x, s, f, i, XW_ORDERS) || is_xw(x, s, f, i, XW_TENDER) ||
           is_xw(x, s, f, i, XW_DEALS);
}

/* A verb whose subject gets what the object names: "wins", "secures", "lands", "bags". */
static bool win_verb(const nf_extractor_t *x, const scratch_t *s, int f, size_t i)
{
    return is_word(s, f, i, NF_W_WINS) || is_word(s, f, i, NF_W_WON) || is_xw(x, s, f, i, XW_WIN) ||
           is_xw(x, s, f, i, XW_SECURES) || is_xw(x, s, f, i, XW_SECURED) ||
           is_word(s, f, i, NF_W_LANDS) || is_xw(x, s, f, i, XW_LANDED) ||
           is_xw(x, s, f, i, XW_BAGS) || is_xw(x, s, f, i, XW_CLINCHES) ||
           is_xw(x, s, f, i, XW_NABS) || is_xw(x, s, f, i, XW_SCORES) ||
           is_xw(x, s, f, i, XW_SCORED) || is_xw(x, s, f, i, XW_SNAGS) ||
           is_word(s, f, i, NF_W_GETS) || is_xw(x, s, f, i, XW_GOT) ||
           is_word(s, f, i, NF_W_RECEIVES) || is_xw(x, s, f, i, XW_RECEIVED);
}

/* A form of "be" right before token v: the verb at v is passive ("was awarded"). */
static bool be_before(const nf_extractor_t *x, const scratch_t *s, int f, size_t v)
{
    if (v == s->ss)
        return false;
    size_t p = v - 1;
    return is_word(s, f, p, NF_W_BE) || is_word(s, f, p, NF_W_BEEN) ||
           is_word(s, f, p, NF_W_BEING) || is_word(s, f, p, NF_W_WAS) ||
           is_word(s, f, p, NF_W_IS) || is_xw(x, s, f, p, XW_ARE) || is_xw(x, s, f, p, XW_WERE);
}

/* The span after the first of "from", "by" (and "with" when with_ok) in (a, b), or -1. */
static long counterpart_after(const scratch_t *s, int f, size_t a, size_t b, bool with_ok)
{
    for (size_t k = a + 1; k < b && k < s->se; k++) {
        if (is_p(s, f, k, ',') || is_p(s, f, k, ';'))
            return -1;
        if (is_word(s, f, k, NF_W_FROM) || is_word(s, f, k, NF_W_BY) ||
            (with_ok && is_word(s, f, k, NF_W_WITH)))
            return after_word(s, f, k, 3);
        if (is_word(s, f, k, NF_W_FOR)) { /* "for the Navy", "for Y's LNG project" */
            long sp = after_word(s, f, k, 1);
            return sp >= 0 && s->spans.v[sp].type != NF_SPAN_PLACE ? sp : -1;
        }
        if (is_word(s, f, k, NF_W_TO))
            return -1; /* "to supply ...": another frame reads it */
    }
    return -1;
}

/*
 * The name inside the noun phrase (a, noun) that says whose the contract is: "a $2B Navy
 * contract", "Meta cloud deal", "the Army's order". Only lower-case words, amounts and the
 * possessive may stand between it and the noun.
 */
static long noun_modifier(const scratch_t *s, int f, size_t a, size_t noun)
{
    /* "the Pentagon's $10 billion JEDI cloud contract": the possessor owns the contract */
    for (size_t k = a + 2; k < noun; k++)
        if ((tok(s, f, k)->flags & NF_TOK_POSS) && span_at(s, f, k - 1) >= 0) {
            long sp = span_at(s, f, k - 1);
            return s->spans.v[sp].type == NF_SPAN_PLACE ? -1 : sp;
        }
    for (size_t k = noun; k > a + 1;) {
        k--;
        long sp = span_at(s, f, k);
        if (sp >= 0)
            return s->spans.v[sp].type == NF_SPAN_PLACE ? -1 : sp;
        const nf_tok_t *t = tok(s, f, k);
        if ((t->flags & NF_TOK_PUNCT) && !is_p(s, f, k, '-'))
            return -1;
        if (t->cues & (C(FROM) | C(WITH) | C(BY) | C(TO) | C(FOR) | C(IN)))
            return -1;
    }
    return -1;
}

static void add_contract(scratch_t *s, nf_extraction_t *out, int supplier, int customer)
{
    if (supplier == customer)
        customer = -1;
    add_party(out, supplier, NF_ROLE_SUPPLIER);
    add_party(out, customer, NF_ROLE_CUSTOMER);
    set_deal_kind(s, out, NF_DEAL_CONTRACT, 2);
}

/*
 * Contract frames, read from the verb at v: who supplies and who buys.
 *   "X wins/secures/lands a $N contract (from|by|with Y)", "X bags a Y contract": X supplies Y
 *   "Y awards X a contract", "X (was) awarded a contract by Y", "contract awarded to X"
 *   "X to supply/provide Y with ...", "X supplies ... to Y", "X licenses ... to Y" (from Y:
 *     Y supplies)
 *   "X selected/chosen/hired by Y", "Y taps/picks/hires X to/for ..."
 *   "Y orders ... from X"
 * Returns true when the verb was read as one of them.
 */
/* "X has acquired a $935 million contract from Y": a contract won, not a company bought */
static bool acquires_contract(const nf_extractor_t *x, const scratch_t *s, int f, size_t v)
{
    if (!(cues(s, f, v) & C(ACQUIRE)) || (cues(s, f, v) & C(MERGE)) ||
        is_word(s, f, v, NF_W_ACQUISITION))
        return false;
    for (size_t k = v + 1; k < s->se && k < v + 8; k++) {
        if (span_at(s, f, k) >= 0 || (cues(s, f, k) & (C(FROM) | C(WITH) | C(BY) | C(TO))))
            return false;
        if (is_word(s, f, k, NF_W_CONTRACT) || is_xw(x, s, f, k, XW_CONTRACTS))
            return is_word(s, f, k + 1, NF_W_FROM);
    }
    return false;
}

static bool contract_frame(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out, size_t v)
{
    int f = s->f;
    if (win_verb(x, s, f, v) || acquires_contract(x, s, f, v)) {
        size_t k = v + 1;
        bool money_word = false;
        for (; k < s->se && k < v + 12; k++) {
            if (contract_noun(x, s, f, k))
                break;
            uint64_t c = cues(s, f, k);
            money_word |= (c & (C(ROUND) | C(INVEST) | C(DEBT) | C(OTHERMONEY))) != 0;
            if ((c & (C(FROM) | C(WITH) | C(BY) | C(TO) | C(FOR) | C(ACQUIRE) | C(MERGE))) ||
                is_p(s, f, k, ',') || is_p(s, f, k, '.') || is_p(s, f, k, ';') ||
                is_p(s, f, k, ':'))
                return false;
        }
        if (k >= s->se || k >= v + 12 || money_word)
            return false;
        /* "gets a deal for Y's shows" buys; a deal or agreement is won only from someone */
        bool deal = is_word(s, f, k, NF_W_DEAL) || is_xw(x, s, f, k, XW_DEALS) ||
                    is_word(s, f, k, NF_W_AGREEMENT) || is_word(s, f, k, NF_W_AGREEMENTS);
        bool gets = is_word(s, f, v, NF_W_GETS) || is_xw(x, s, f, v, XW_GOT) ||
                    is_word(s, f, v, NF_W_RECEIVES) || is_xw(x, s, f, v, XW_RECEIVED);
        if (deal && gets)
            return false;
        long sup = subject_of(s, f, v, 8);
        /* "X beats Y to win ...": Y is the object of another verb; X wins */
        if (sup >= 0 && s->spans.v[sup].first > s->ss + 1 &&
            (tok(s, f, s->spans.v[sup].first - 1)->flags & NF_TOK_WORD) &&
            !(tok(s, f, s->spans.v[sup].first - 1)->flags & (NF_TOK_CAP | NF_TOK_UPPER)) &&
            !(cues(s, f, s->spans.v[sup].first - 1) &
              (C(FUNC) | C(TO) | C(AND) | C(DESC) | C(NATION) | C(FROM) | C(WITH) | C(BY) | C(IN) |
               C(FOR) | C(OF) | C(AT)))) {
            long lead = span_at(s, f, s->spans.v[sup].first - 2);
            if (lead >= 0 && s->spans.v[lead].type != NF_SPAN_PLACE)
                sup = lead; /* the subject of that verb */
        }
        int supplier = party_entity(x, s, sup);
        if (supplier < 0)
            return !deal; /* "nabs $172M IDIQ contract": no acquisition of "IDIQ" */
        long cust = counterpart_after(s, f, k, k + 6, true);
        if (cust < 0)
            cust = noun_modifier(s, f, v, k);
        int customer = party_entity(x, s, cust);
        if (deal && (customer < 0 || customer == supplier))
            return false;
        add_contract(s, out, supplier, customer);
        /* "X and Y scored a contract": each one supplies */
        for (long sp = prev_in_list(s, f, sup); sp >= 0; sp = prev_in_list(s, f, sp))
            if (party_entity(x, s, sp) != customer)
                add_party(out, party_entity(x, s, sp), NF_ROLE_SUPPLIER);
        return true;
    }
    if (is_xw(x, s, f, v, XW_AWARD) || is_xw(x, s, f, v, XW_AWARDS) ||
        is_word(s, f, v, NF_W_AWARDED)) {
        size_t k = v + 1;
        while (k < s->se && k < v + 10 && !contract_noun(x, s, f, k))
            k++;
        bool noun_after = k < s->se && k < v + 10;
        bool noun_before = v > s->ss && contract_noun(x, s, f, v - 1);
        if (!noun_after && !noun_before)
            return false;
        if (noun_before && is_word(s, f, v, NF_W_AWARDED) && is_word(s, f, v + 1, NF_W_TO)) {
            /* "contract awarded to X" */
            long sp = span_at(s, f, v + 2);
            int supplier = sp >= 0 && s->spans.v[sp].first == v + 2 ? party_entity(x, s, sp) : -1;
            if (supplier < 0)
                return false;
            add_contract(s, out, supplier,
                         party_entity(x, s, counterpart_after(s, f, v + 1, s->se, false)));
            return true;
        }
        size_t o = is_word(s, f, v + 1, NF_W_THE) ? v + 2 : v + 1;
        long obj = span_at(s, f, o);
        bool active = obj >= 0 && s->spans.v[obj].first == o && !be_before(x, s, f, v);
        long subj = subject_of(s, f, v, 8);
        if (active) { /* "Y awards X a contract" */
            add_contract(s, out, party_entity(x, s, obj), party_entity(x, s, subj));
            return true;
        }
        if (noun_after && !be_before(x, s, f, v) && is_word(s, f, k + 1, NF_W_TO)) {
            /* "Y awards a contract to X" */
            add_contract(s, out, party_entity(x, s, after_word(s, f, k + 1, 3)),
                         party_entity(x, s, subj));
            return true;
        }
        if (!noun_after)
            return false;
        /* passive: "X (was) awarded a $5M contract by Y", "X awarded Navy contract" */
        int supplier = party_entity(x, s, subj);
        if (supplier < 0)
            return false;
        long cust = counterpart_after(s, f, v, k + 6, false);
        if (cust < 0)
            cust = noun_modifier(s, f, v, k);
        add_contract(s, out, supplier, party_entity(x, s, cust));
        return true;
    }
    bool license = is_xw(x, s, f, v, XW_LICENSE) || is_xw(x, s, f, v, XW_LICENSES) ||
                   is_xw(x, s, f, v, XW_LICENCE) || is_xw(x, s, f, v, XW_LICENCES) ||
                   is_xw(x, s, f, v, XW_LICENSED);
    bool supply = is_xw(x, s, f, v, XW_SUPPLY) || is_xw(x, s, f, v, XW_SUPPLIES) ||
                  is_xw(x, s, f, v, XW_SUPPLIED) || is_xw(x, s, f, v, XW_SUPPLYING) ||
                  is_xw(x, s, f, v, XW_PROVIDE) || is_xw(x, s, f, v, XW_PROVIDES) ||
                  is_xw(x, s, f, v, XW_PROVIDED) || is_xw(x, s, f, v, XW_PROVIDING) ||
                  is_xw(x, s, f, v, XW_DELIVER) || is_xw(x, s, f, v, XW_DELIVERS);
    if (supply || license) {
        /* a verb, not a noun: after its subject, "to", a modal, or "also" */
        bool verb =
            v > s->ss && ((span_at(s, f, v - 1) >= 0 && !(tok(s, f, v - 1)->flags & NF_TOK_POSS)) ||
                          is_word(s, f, v - 1, NF_W_TO) || is_word(s, f, v - 1, NF_W_WILL) ||
                          is_xw(x, s, f, v - 1, XW_WOULD) || is_xw(x, s, f, v - 1, XW_CAN) ||
                          is_xw(x, s, f, v - 1, XW_ALSO));
        if (!verb || contract_noun(x, s, f, v + 1) || is_xw(x, s, f, v + 1, XW_CHAIN) ||
            is_xw(x, s, f, v + 1, XW_CHAINS) || is_word(s, f, v + 1, NF_W_BY))
            return false;
        long subj = subject_of(s, f, v, 8), other = -1;
        bool from = false;
        size_t o = v + 1;
        if (is_word(s, f, o, NF_W_THE) || is_word(s, f, o, NF_W_ITS))
            o++;
        long obj = span_at(s, f, o);
        if (obj >= 0 && s->spans.v[obj].first == o) {
            /* "supply Y with engines", "provide Y, a carrier, ...": Y buys; "supply Nvidia
             * chips to Y": Nvidia names the product */
            size_t e = s->spans.v[obj].last + 1;
            if (e >= s->se || is_word(s, f, e, NF_W_WITH) || is_word(s, f, e, NF_W_FOR) ||
                is_word(s, f, e, NF_W_IN) || (tok(s, f, e)->flags & NF_TOK_PUNCT) ||
                (tok(s, f, e)->flags & NF_TOK_NUM))
                other = obj;
        }
        for (size_t k = v + 1; other < 0 && k < s->se && k < v + 12; k++) {
            if (is_p(s, f, k, ';') || is_p(s, f, k, ':'))
                break;
            if (is_word(s, f, k, NF_W_TO) && !(cues(s, f, k + 1) & C(VERB)))
                other = after_word(s, f, k, 3);
            else if (license && is_word(s, f, k, NF_W_FROM)) {
                other = after_word(s, f, k, 3);
                from = other >= 0;
            }
        }
        int es = party_entity(x, s, subj), eo = party_entity(x, s, other);
        if (es < 0 || eo < 0 || es == eo)
            return false;
        if (from)
            add_contract(s, out, eo, es);
        else
            add_contract(s, out, es, eo);
        return true;
    }
    bool chosen = is_xw(x, s, f, v, XW_SELECTED) || is_xw(x, s, f, v, XW_CHOSEN) ||
                  is_xw(x, s, f, v, XW_PICKED) || is_xw(x, s, f, v, XW_TAPPED) ||
                  is_xw(x, s, f, v, XW_HIRED) || is_xw(x, s, f, v, XW_COMMISSIONED) ||
                  is_xw(x, s, f, v, XW_CONTRACTED);
    if (chosen && is_word(s, f, v + 1, NF_W_BY)) { /* "X selected by Y to build ..." */
        int es = party_entity(x, s, subject_of(s, f, v, 8)),
            eb = party_entity(x, s, after_word(s, f, v + 1, 3));
        if (es < 0 || eb < 0 || es == eb)
            return false;
        add_contract(s, out, es, eb);
        return true;
    }
    bool picks = is_word(s, f, v, NF_W_TAPS) || is_word(s, f, v, NF_W_PICKS) ||
                 is_word(s, f, v, NF_W_SELECTS) || is_word(s, f, v, NF_W_CHOOSES) ||
                 is_xw(x, s, f, v, XW_HIRES);
    if (picks) { /* "Y taps X to build ...", "Y picks X for contract", "Y hires X as adviser" */
        long obj = span_at(s, f, v + 1);
        if (obj < 0 || s->spans.v[obj].first != v + 1)
            return false;
        size_t e = s->spans.v[obj].last + 1;
        if (!is_word(s, f, e, NF_W_TO) && !is_word(s, f, e, NF_W_FOR) && !is_word(s, f, e, NF_W_AS))
            return false;
        int es = party_entity(x, s, subject_of(s, f, v, 8)), eo = party_entity(x, s, obj);
        if (es < 0 || eo < 0 || es == eo)
            return false;
        add_contract(s, out, eo, es);
        return true;
    }
    if (is_xw(x, s, f, v, XW_ORDERS) || is_xw(x, s, f, v, XW_ORDERED) ||
        (is_xw(x, s, f, v, XW_ORDER) && v > s->ss &&
         (is_word(s, f, v - 1, NF_W_TO) || is_word(s, f, v - 1, NF_W_WILL)))) {
        /* "Y orders 20 jets from X" */
        if (v > s->ss && (is_word(s, f, v - 1, NF_W_THE) || is_word(s, f, v - 1, NF_W_A)))
            return false;
        long from = -1;
        for (size_t k = v + 1; k < s->se && k < v + 12; k++)
            if (is_word(s, f, k, NF_W_FROM)) {
                from = after_word(s, f, k, 3);
                break;
            }
        int es = party_entity(x, s, subject_of(s, f, v, 8)), ef = party_entity(x, s, from);
        if (es < 0 || ef < 0 || es == ef)
            return false;
        add_contract(s, out, ef, es);
        return true;
    }
    return false;
}

/*
 * Apposition after a verb at v: "acquires DNS provider Dyn", "buys Brazilian farm-supply
 * retailer Casa Verde", "Tribune-owned Gracenote". A descriptor noun (provider, retailer,
 * startup, ...) right before a name makes that name the object; a name in front of the
 * descriptor only qualifies it. obj is the object found so far (-1 for none).
 */
static long appositive(const scratch_t *s, int f, size_t v, long obj)
{
    size_t i = obj >= 0 ? s->spans.v[obj].last + 1 : v + 1;
    if (obj >= 0 && s->spans.v[obj].type == NF_SPAN_PLACE) /* "acquires UK platform X" */
        obj = -1;
    if (obj >= 0 && i + 1 < s->se && !(cues(s, f, i) & C(DESC)) &&
        (tok(s, f, i)->flags & NF_TOK_WORD) &&
        !(tok(s, f, i)->flags & (NF_TOK_CAP | NF_TOK_UPPER)) && !cues(s, f, i)) {
        /* "acquires NMN supplements brand": a name before a descriptor phrase only
         * qualifies it; the descriptor's own name follows it or is not given */
        size_t d = i + 1;
        if (d + 1 < s->se && !(cues(s, f, d) & C(DESC)) && (tok(s, f, d)->flags & NF_TOK_WORD) &&
            !(tok(s, f, d)->flags & (NF_TOK_CAP | NF_TOK_UPPER)) && !cues(s, f, d))
            d++;
        if ((cues(s, f, d) & C(DESC)) && !asset_noun(s, f, d)) {
            long sp = span_at(s, f, d + 1);
            return sp >= 0 && s->spans.v[sp].first == d + 1 && s->spans.v[sp].type != NF_SPAN_PLACE
                       ? sp
                       : -1;
        }
    }
    if (obj >= 0 && (i >= s->se || !(cues(s, f, i) & C(DESC)) || is_p(s, f, i, ',')))
        return obj; /* a name not followed by a descriptor is the object itself */
    for (size_t k = i; k < s->se && k < i + 12; k++) {
        const nf_tok_t *t = tok(s, f, k);
        long sp = span_at(s, f, k);
        if (sp >= 0)
            return k > i && (cues(s, f, k - 1) & C(DESC)) && s->spans.v[sp].first == k &&
                           s->spans.v[sp].type != NF_SPAN_PLACE
                       ? sp
                       : obj;
        if ((t->flags & NF_TOK_PUNCT) && !is_p(s, f, k, '-'))
            return obj;
        if (t->cues & (C(FROM) | C(WITH) | C(BY) | C(TO) | C(FOR) | C(IN) | C(OF) | C(AND) |
                       C(VERB) | C(STAKE)))
            return obj;
    }
    return obj;
}

/*
 * The subject that opens the sentence, when a verb follows it: "Marlow Papers to go public
 * ...", "The Acme Group said ...". Only a determiner, a nationality or descriptors may come
 * before it ("Mortgage lender X"). Returns the span if it ends before token v, else -1.
 */
static long lead_subject(const scratch_t *s, int f, size_t v)
{
    for (size_t i = s->ss; i < v && i < s->ss + 5; i++) {
        long sp = span_at(s, f, i);
        if (sp >= 0) {
            size_t e = s->spans.v[sp].last + 1;
            if (e >= v || s->spans.v[sp].type == NF_SPAN_PLACE)
                return -1;
            if (is_p(s, f, e, ',')) { /* "X, a biotech company that ..., is in talks" */
                size_t c2 = e + 1;
                while (c2 < v && c2 < e + 20 && !is_p(s, f, c2, ','))
                    c2++;
                e = c2 + 1 < v && is_p(s, f, c2, ',') ? c2 + 1 : e;
            }
            return cues(s, f, e) & (C(VERB) | C(TO) | C(ANNOUNCE) | C(RUMOR)) ? sp : -1;
        }
        const nf_tok_t *t = tok(s, f, i);
        if ((t->flags & NF_TOK_PUNCT) || !(t->cues & (C(FUNC) | C(DESC) | C(NATION))) ||
            (t->cues & C(VERB)))
            return -1;
    }
    return -1;
}

/*
 * "X's attempt to walk away from his $44bn acquisition of ...", "X said its purchase of
 * ...": a possessive pronoun before the noun at v (past an amount) refers back to the
 * nearest earlier possessor or, failing one, to the sentence's opening subject.
 */
static long opening_name(const scratch_t *s, int f, size_t v);

static long pronoun_owner(const nf_extractor_t *x, const scratch_t *s, int f, size_t v)
{
    size_t i = v, adjectives = 0;
    /* past an amount and up to two adjectives: "its $44bn", "its pending sale", "his
     * proposed takeover", "its possible purchase" (not nouns: "its preferred stock purchase
     * rights", "his cash offer") */
    while (i > s->ss + 1) {
        const nf_tok_t *t = tok(s, f, i - 1);
        const char *w = s->text[f] + t->start;
        bool participle = t->len > 4 && !memcmp(w + t->len - 2, "ed", 2) && !t->cues;
        if ((t->flags & NF_TOK_NUM) || is_p(s, f, i - 1, '$') || (t->cues & C(CURRENCY)) ||
            is_word(s, f, i - 1, NF_W_PER) || is_word(s, f, i - 1, NF_W_SHARE) ||
            (is_p(s, f, i - 1, '-') && !(t->flags & NF_TOK_SPACE)))
            i--; /* "its 15.75 dlr per share offer", "its previously-announced offer" */
        else if (adjectives < 2 && (t->flags & NF_TOK_WORD) && span_at(s, f, i - 1) < 0 &&
                 (participle || (t->cues & (C(PENDING) | C(RUMOR)))) && !(t->cues & C(FUNC)))
            i--, adjectives++;
        else
            break;
    }
    /* "The company said it ...", "It said its ...": an unnamed subject; the pronoun is not
     * the nearest name's */
    if ((is_word(s, f, s->ss, NF_W_THE) && (cues(s, f, s->ss + 1) & C(DESC))) ||
        is_word(s, f, s->ss, NF_W_IT))
        return -1;
    if (i == s->ss || !(is_word(s, f, i - 1, NF_W_ITS) || is_xw(x, s, f, i - 1, XW_HIS) ||
                        is_xw(x, s, f, i - 1, XW_HER) || is_xw(x, s, f, i - 1, XW_THEIR)))
        return -1;
    bool person = is_xw(x, s, f, i - 1, XW_HIS) || is_xw(x, s, f, i - 1, XW_HER);
    /* reported speech: in "X said it sent a letter to the Y board, saying it will raise its
     * bid", the deal is the speaker's (not so what a deal buys: "X said it agreed with Y to
     * buy its unit") */
    long o = cues(s, f, v) & (C(ACQUIRE) | C(SELL) | C(MERGE) | C(CONTRACT))
                 ? opening_name(s, f, i - 1)
                 : -1;
    if (o >= 0) {
        size_t e = s->spans.v[o].last + 1;
        if (is_p(s, f, e, '>')) /* "<Acme Corp> said" */
            e++;
        if (is_xw(x, s, f, e, XW_SAID) || is_xw(x, s, f, e, XW_SAYS))
            return o;
    }
    for (size_t k = i - 1; k > s->ss; k--) {
        /* past a wire ticker: "Harrow Industries Inc <HRWI.O> to buy its unit" */
        if (is_p(s, f, k - 1, '>')) {
            size_t j = k - 1;
            while (j > s->ss && j + 6 > k && !is_p(s, f, j, '<'))
                j--;
            if (is_p(s, f, j, '<') && j > s->ss) {
                k = j + 1;
                continue;
            }
        }
        /* "his"/"her" name a person, never a company ("disappointed in Caesars World Inc's
         * response to his offer") */
        long near = span_at(s, f, k - 1);
        if (person && near >= 0 && s->spans.v[near].type == NF_SPAN_ORG)
            continue;
        if (tok(s, f, k)->flags & NF_TOK_POSS) {
            long sp = span_at(s, f, k - 1);
            return sp >= 0 && s->spans.v[sp].type != NF_SPAN_PLACE ? sp : -1;
        }
        /* past a relative clause: "Santos, which is 15 pct owned by Elders, said its bid" */
        if (is_p(s, f, k, ',')) {
            size_t j = k - 1;
            while (j > s->ss && j + 20 > k && !is_p(s, f, j, ','))
                j--;
            if (is_p(s, f, j, ',') &&
                (is_xw(x, s, f, j + 1, XW_WHICH) || is_xw(x, s, f, j + 1, XW_WHO))) {
                k = j;
                continue;
            }
        }
        long sp = span_at(s, f, k - 1); /* "advises X in its sale": the nearest name */
        if (sp >= 0 && s->spans.v[sp].type != NF_SPAN_PLACE && !is_p(s, f, k, ','))
            return sp;
    }
    return lead_subject(s, f, i - 1);
}

/*
 * A share of a company stated as a percentage after the verb at v: "owns 100 pct of", "has
 * 5.9 pct of", "acquires 9.9 PCT OF". Returns the percentage and sets *of to the "of" token,
 * or returns -1.
 */
static double pct_of(const nf_extractor_t *x, const scratch_t *s, int f, size_t v, size_t *of)
{
    for (size_t k = v + 1; k + 2 < s->se && k < v + 5; k++) {
        if (!(tok(s, f, k)->flags & NF_TOK_NUM))
            continue;
        size_t u = k + 1;
        if (!is_xw(x, s, f, u, XW_PCT) && !is_word(s, f, u, NF_W_PERCENT) && !is_p(s, f, u, '%'))
            return -1;
        if (!is_word(s, f, u + 1, NF_W_OF))
            return -1;
        *of = u + 1;
        return strtod(s->text[f] + tok(s, f, k)->start, NULL);
    }
    return -1;
}

/* A stake noun as the object of the verb at v: "sells its 15% stake in", "buys majority
 * share in", "takes a holding in"; not "for $5B in cash and shares". */
static bool stake_object(const nf_extractor_t *x, const scratch_t *s, int f, size_t v)
{
    size_t of;
    double pct = pct_of(x, s, f, v, &of); /* "acquires 9.9 pct of Y"; all of it is Y */
    if (pct >= 0)
        return pct < 100;
    for (size_t k = v + 1; k < s->se && k < v + 7; k++) {
        if (is_word(s, f, k, NF_W_STAKE) || is_word(s, f, k, NF_W_SHARE) ||
            ((cues(s, f, k) & C(STAKE)) && (tok(s, f, k)->flags & NF_TOK_WORD) &&
             !is_word(s, f, k, NF_W_MAJORITY) && !is_word(s, f, k, NF_W_CONTROLLING) &&
             !is_word(s, f, k, NF_W_EQUITY)))
            return true;
        if (cues(s, f, k) & (C(FROM) | C(WITH) | C(BY) | C(TO) | C(FOR) | C(IN) | C(OF)))
            return false;
        long sp = span_at(s, f, k);
        if (sp >= 0) { /* "acquires Suez oil stake"; not "to buy Twitter sent shares" */
            size_t e = s->spans.v[sp].last + 1;
            return is_word(s, f, e, NF_W_STAKE) || is_word(s, f, e + 1, NF_W_STAKE);
        }
    }
    return false;
}

/*
 * "to acquire the assets and assume operations of Y", "buys the rental business of Y": an
 * asset noun after the verb at v whose "of" names the owner, who sells. Returns the span.
 */
static long owner_of_assets(const scratch_t *s, int f, size_t v)
{
    bool asset = false;
    for (size_t k = v + 1; k < s->se && k < v + 12; k++) {
        if (is_p(s, f, k, ',') || is_p(s, f, k, ';') ||
            (cues(s, f, k) & (C(FROM) | C(WITH) | C(BY) | C(TO) | C(FOR) | C(IN))))
            return -1;
        if (span_at(s, f, k) >= 0 && !is_word(s, f, k - 1, NF_W_OF))
            return -1;
        asset |= asset_noun(s, f, k);
        if (asset && is_word(s, f, k, NF_W_OF)) {
            long sp = after_word(s, f, k, 2);
            return sp >= 0 && s->spans.v[sp].type != NF_SPAN_PLACE ? sp : -1;
        }
    }
    return -1;
}

/* "by affiliates of Blackstone", "a subsidiary of X": the company behind the unit named. */
static long past_affiliates(const nf_extractor_t *x, const scratch_t *s, int f, long sp)
{
    if (sp < 0 || s->spans.v[sp].first != s->spans.v[sp].last)
        return sp;
    size_t k = s->spans.v[sp].first;
    if ((is_xw(x, s, f, k, XW_AFFILIATES) || is_xw(x, s, f, k, XW_AFFILIATE) ||
         is_xw(x, s, f, k, XW_SUBSIDIARY) || is_xw(x, s, f, k, XW_SUBSIDIARIES)) &&
        is_word(s, f, k + 1, NF_W_OF))
        return after_word(s, f, k + 1, 2);
    return sp;
}

/*
 * The name that opens the sentence, past a "$TICKER:" or "$TICKER -" prefix of a post:
 * "$ICE: Intercontinental Exchange expands ... with the acquisition of Y".
 */
/*
 * "Acme stockholders approve the sale": the company whose holders vote on the deal at v (it
 * is what is sold, EXTRACTION.md's target, unless the text names another), or -1.
 */
static long holders_of(const nf_extractor_t *x, const scratch_t *s, int f, size_t v)
{
    for (size_t h = v; h > s->ss + 1 && h + 8 > v; h--) {
        size_t k = h - 1;
        if (!is_xw(x, s, f, k, XW_STOCKHOLDERS) && !is_xw(x, s, f, k, XW_SHAREHOLDERS) &&
            !is_xw(x, s, f, k, XW_STOCKHOLDER) && !is_xw(x, s, f, k, XW_SHAREHOLDER) &&
            !is_xw(x, s, f, k, XW_HOLDERS))
            continue;
        size_t e = poss_at(s, f, k - 1) && k > s->ss + 1 ? k - 2 : k - 1; /* "Acme's holders" */
        if (is_p(s, f, e, '.') && e > s->ss) /* "Acme Inc. stockholders" */
            e--;
        long sp = span_at(s, f, e);
        if (sp < 0 || s->spans.v[sp].last != e || s->spans.v[sp].type == NF_SPAN_PLACE)
            return -1;
        /* the holders open the clause ("Acme holders", "the Acme holders", ": Acme holders"),
         * not "proxy firm ISS recommends stockholders vote" */
        size_t b = s->spans.v[sp].first;
        return b == s->ss || is_word(s, f, b - 1, NF_W_THE) || is_p(s, f, b - 1, ',') ||
                       is_p(s, f, b - 1, ':')
                   ? sp
                   : -1;
    }
    return -1;
}

/*
 * The sentence's first name when a verb follows it, past any descriptor words before it:
 * "E-cigarette company NJOY has hired bankers ..." gives NJOY; -1 if none before v.
 */
static long first_subject(const scratch_t *s, int f, size_t v)
{
    for (size_t i = s->ss; i < v && i < s->ss + 8; i++) {
        long sp = span_at(s, f, i);
        if (sp < 0)
            continue;
        size_t e = s->spans.v[sp].last + 1;
        if (cues(s, f, e) & C(DESC)) { /* "Snack maker X has ...": the descriptor's name */
            i = e;
            continue;
        }
        return s->spans.v[sp].type != NF_SPAN_PLACE && e < v &&
                       (cues(s, f, e) & (C(VERB) | C(TO) | C(ANNOUNCE) | C(RUMOR)))
                   ? sp
                   : -1;
    }
    return -1;
}

static long opening_name(const scratch_t *s, int f, size_t v)
{
    size_t i = s->ss;
    if (is_p(s, f, i, '$') && i + 2 < v && (is_p(s, f, i + 2, ':') || is_p(s, f, i + 2, '-')))
        i += 3;
    if (is_p(s, f, i, '<')) /* a wire company marker: "<TMOC Resources Ltd> told ..." */
        i++;
    long sp = span_at(s, f, i);
    if (sp < 0 && i + 1 < v && (cues(s, f, i) & C(FUNC)))
        sp = span_at(s, f, is_p(s, f, i + 1, '<') ? i + 2 : i + 1); /* "The <Acme Ltd> board" */
    if (sp < 0 || s->spans.v[sp].last + 1 >= v || s->spans.v[sp].type == NF_SPAN_PLACE ||
        (tok(s, f, s->spans.v[sp].last + 1)->flags & NF_TOK_POSS))
        return -1;
    return sp;
}

/* Reads one sentence [ss, se) of field f for deal roles. */
static void deal_sentence(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out)
{
    int f = s->f;
    uint64_t sent = 0;
    for (size_t i = s->ss; i < s->se; i++) /* not the words of a name: "Carver Merger Corp" */
        if (!(cues(s, f, i) & (C(ACQUIRE) | C(MERGE))) || span_at(s, f, i) < 0)
            sent |= cues(s, f, i);
    for (size_t v = s->ss; v < s->se; v++) {
        uint64_t c = cues(s, f, v);
        if (span_at(s, f, v) >= 0 || !(tok(s, f, v)->flags & NF_TOK_WORD))
            continue;
        if (contract_frame(x, s, out, v))
            continue;
        if ((is_word(s, f, v, NF_W_TAKES) || is_word(s, f, v, NF_W_TAKE) ||
             is_word(s, f, v, NF_W_TOOK) || is_xw(x, s, f, v, XW_TAKEN) ||
             is_xw(x, s, f, v, XW_TAKING)) &&
            is_word(s, f, v + 1, NF_W_OVER)) {
            /* "X takes over Y", "Y is taken over by X"; not "takes over as CEO of Y" */
            long subj = -1, obj = -1;
            if (be_before(x, s, f, v) && is_word(s, f, v + 2, NF_W_BY)) {
                obj = subject_of(s, f, v - 1, 8);
                subj = past_affiliates(x, s, f, after_word(s, f, v + 2, 3));
            } else {
                size_t o = is_word(s, f, v + 2, NF_W_THE) ? v + 3 : v + 2;
                obj = span_at(s, f, o);
                if (obj >= 0 && s->spans.v[obj].first != o)
                    obj = -1;
                subj = subject_of(s, f, v, 8);
            }
            int es = party_entity(x, s, subj), eo = party_entity(x, s, obj);
            bool passive = be_before(x, s, f, v);
            /* "Y is set to be taken over by a group of lenders": Y is bought */
            if (eo >= 0 && es != eo && (es >= 0 || passive)) {
                add_party(out, es, NF_ROLE_ACQUIRER);
                add_party(out, eo, NF_ROLE_TARGET);
                set_deal_kind(s, out, NF_DEAL_ACQUISITION, 6);
            }
            continue;
        }
        if ((is_xw(x, s, f, v, XW_SUITORS) || is_xw(x, s, f, v, XW_SUITOR) ||
             is_xw(x, s, f, v, XW_BIDDERS)) &&
            is_word(s, f, v + 1, NF_W_FOR)) {
            /* "X and Y are among suitors for Z's unit": each bids; the owner sells */
            long bidder = subject_of(s, f, v, 8),
                 obj = appositive(s, f, v + 1, after_word(s, f, v + 1, 4));
            size_t k = obj >= 0 ? s->spans.v[obj].last + 1 : 0;
            bool owner = obj >= 0 && poss_at(s, f, k);
            int et = party_entity(x, s, obj);
            for (long sp = bidder; sp >= 0; sp = prev_in_list(s, f, sp))
                add_party(out, party_entity(x, s, sp), NF_ROLE_ACQUIRER);
            add_party(out, et, owner ? NF_ROLE_SELLER : NF_ROLE_TARGET);
            if (bidder >= 0 || et >= 0)
                set_deal_kind(s, out, owner ? NF_DEAL_DIVESTITURE : NF_DEAL_ACQUISITION, 4);
            continue;
        }
        size_t pof;
        double pct = is_xw(x, s, f, v, XW_OWNS) || is_xw(x, s, f, v, XW_HOLDS) ||
                             is_xw(x, s, f, v, XW_CONTROLS) || is_xw(x, s, f, v, XW_HAS) ||
                             is_xw(x, s, f, v, XW_AMASSED)
                         ? pct_of(x, s, f, v, &pof)
                         : -1;
        if (pct >= 0) {
            /* "X now owns 100 pct of Y", "X has 5.9 pct of Y": X holds that part of Y (a
             * majority holder acquires) */
            /* "told the SEC he holds 5.2 pct": a pronoun is the holder, not the name before */
            size_t p = v > s->ss && is_xw(x, s, f, v - 1, XW_NOW) ? v - 1 : v;
            bool pronoun =
                p > s->ss && (is_word(s, f, p - 1, NF_W_IT) || is_xw(x, s, f, p - 1, XW_HE) ||
                              is_xw(x, s, f, p - 1, XW_SHE) || is_xw(x, s, f, p - 1, XW_THEY));
            int ei = party_entity(x, s, pronoun ? first_subject(s, f, v) : subject_of(s, f, v, 8)),
                et = party_entity(x, s, after_word(s, f, pof, 3));
            if (ei >= 0 && et >= 0 && ei != et) {
                add_party(out, ei, pct >= 50 ? NF_ROLE_ACQUIRER : NF_ROLE_INVESTOR);
                add_party(out, et, NF_ROLE_TARGET);
                set_deal_kind(s, out, pct >= 100 ? NF_DEAL_ACQUISITION : NF_DEAL_STAKE, 3);
            }
            continue;
        }
        if (!c && !is_xw(x, s, f, v, XW_STAKEHOLDER) && !is_xw(x, s, f, v, XW_SHAREHOLDER) &&
            !is_xw(x, s, f, v, XW_INVESTOR))
            continue;
        const nf_tok_t *t = tok(s, f, v);
        bool to_verb =
            v > s->ss && (is_word(s, f, v - 1, NF_W_TO) || is_word(s, f, v - 1, NF_W_WILL));
        bool noun =
            !to_verb && (is_word(s, f, v, NF_W_ACQUISITION) || is_word(s, f, v, NF_W_TAKEOVER) ||
                         is_word(s, f, v, NF_W_BUYOUT) || is_word(s, f, v, NF_W_PURCHASE) ||
                         is_word(s, f, v, NF_W_BID) || is_word(s, f, v, NF_W_OFFER) ||
                         is_word(s, f, v, NF_W_SALE) || is_word(s, f, v, NF_W_MERGER));
        (void)t;
        if ((c & C(ACQUIRE)) && !noun && is_word(s, f, v + 1, NF_W_INTO)) {
            /* "X buys into Y": X invests in Y */
            int es = party_entity(x, s, subject_of(s, f, v, 8)),
                eo = party_entity(x, s, after_word(s, f, v + 1, 4));
            if (es >= 0 && eo >= 0 && es != eo) {
                add_party(out, es, NF_ROLE_INVESTOR);
                add_party(out, eo, NF_ROLE_TARGET);
                set_deal_kind(s, out, NF_DEAL_INVESTMENT, 3);
            }
            continue;
        }
        if (c & (C(ACQUIRE) | C(MERGE)) || (noun && (sent & (C(ACQUIRE) | C(MERGE))))) {
            bool merge = (c & C(MERGE)) && !(c & C(ACQUIRE) && !is_word(s, f, v, NF_W_MERGER));
            if (merge) {
                /* "X and Y merge", "X merges with Y", "X-Y merger", "merger of X and Y" */
                long a = subject_of(s, f, v, 3), b = -1;
                if (a >= 0)
                    b = prev_in_list(s, f, a);
                if (b < 0 && a >= 0)
                    b = compound_before(s, f, a);
                if (b < 0) {
                    size_t w = v + 1;
                    /* "merger agreement with Y", "merger talks with Y" */
                    while (w < s->se && w < v + 3 &&
                           (is_word(s, f, w, NF_W_AGREEMENT) || is_word(s, f, w, NF_W_DEAL) ||
                            is_word(s, f, w, NF_W_TALKS)))
                        w++;
                    if (is_word(s, f, w, NF_W_WITH) || is_word(s, f, w, NF_W_OF))
                        b = appositive(s, f, w, after_word(s, f, w, 2));
                    if (b >= 0 && a < 0)
                        a = next_in_list(s, f, b);
                    /* "X to go public through a merger with Y": the sentence's subject */
                    if (b >= 0 && a < 0 && is_word(s, f, w, NF_W_WITH))
                        a = lead_subject(s, f, v);
                }
                if (a < 0) /* "Acme shareholders approve merger (with Y)" */
                    a = holders_of(x, s, f, v);
                if (a >= 0 && a == b)
                    a = -1;
                int ea = party_entity(x, s, a), eb = party_entity(x, s, b);
                if (ea >= 0 || eb >= 0) {
                    add_party(out, eb, NF_ROLE_PARTNER);
                    add_party(out, ea, NF_ROLE_PARTNER);
                    set_deal_kind(s, out, NF_DEAL_MERGER, 5);
                }
                continue;
            }
            long subj = -1, obj = -1, seller = -1;
            /* "purchase nuclear energy from Kairos Power": buying power or capacity is a
             * supply contract, not an acquisition */
            if (!noun) {
                bool supply = false;
                for (size_t q = v + 1; q < s->se && q < v + 4; q++)
                    supply |= (cues(s, f, q) & (C(POWER) | C(SUPPLY))) &&
                              !(cues(s, f, q) & C(DESC)) && span_at(s, f, q) < 0;
                if (supply) {
                    long buyer = subject_of(s, f, v, 8), from = -1;
                    for (size_t q = v + 1; q < s->se && q < v + 16; q++)
                        if (is_word(s, f, q, NF_W_FROM)) {
                            long sp = after_word(s, f, q, 4);
                            if (sp >= 0)
                                from = sp;
                        }
                    int eb = party_entity(x, s, buyer), ef = party_entity(x, s, from);
                    if (eb >= 0 || ef >= 0) {
                        add_party(out, eb, NF_ROLE_CUSTOMER);
                        add_party(out, ef, NF_ROLE_SUPPLIER);
                        set_deal_kind(s, out, NF_DEAL_CONTRACT, 2);
                    }
                    continue;
                }
            }
            if (noun || is_word(s, f, v, NF_W_ACQUISITION) || is_word(s, f, v, NF_W_TAKEOVER)) {
                /* "X's acquisition of Y", "acquisition of Y by X", "takeover offer for Y" */
                size_t w = v + 1;
                while (w < s->se && (is_word(s, f, w, NF_W_OFFER) || is_word(s, f, w, NF_W_BID) ||
                                     is_word(s, f, w, NF_W_DEAL) || is_word(s, f, w, NF_W_TALKS)))
                    w++;
                /* "offer to Y", "bid to seek control of Y" name Y; "Acquisition To Drive
                 * Growth" names nothing */
                if (is_word(s, f, w, NF_W_OF) || is_word(s, f, w, NF_W_FOR) ||
                    (is_word(s, f, w, NF_W_TO) &&
                     (w > v + 1 || is_word(s, f, v, NF_W_BID) || is_word(s, f, v, NF_W_OFFER))))
                    obj = after_word(s, f, w, 3);
                subj = possessor_before(s, f, v);
                if (subj < 0)
                    subj = pronoun_owner(x, s, f, v);
                /* "its proposed buyout by X", "Y's acquisition by X": the owner of a passive
                 * deal noun is what is bought, even when the buyer is unnamed ("its possible
                 * purchase by a U.S. company") */
                if (subj >= 0 && obj < 0 && is_word(s, f, w, NF_W_BY)) {
                    obj = subj;
                    subj = past_affiliates(x, s, f, after_word(s, f, w, 3));
                    add_rest(x, s, out, subj, NF_ROLE_ACQUIRER);
                }
                if (subj < 0) {
                    for (size_t k = v + 1; k < s->se && k < v + 10; k++)
                        if (is_word(s, f, k, NF_W_BY)) {
                            subj = past_affiliates(x, s, f, after_word(s, f, k, 2));
                            /* "X provides update on pending acquisition by Y": X is bought */
                            if (subj >= 0 && obj < 0)
                                obj = opening_name(s, f, v);
                            /* "by affiliates of Y and Z": each one buys */
                            add_rest(x, s, out, subj, NF_ROLE_ACQUIRER);
                            break;
                        }
                }
                /* "X expands its offering with the acquisition of Y": X buys */
                if (subj < 0 && obj >= 0 && v > s->ss + 1) {
                    size_t p = is_word(s, f, v - 1, NF_W_THE) ? v - 2 : v - 1;
                    if (is_word(s, f, p, NF_W_WITH) || is_xw(x, s, f, p, XW_THROUGH) ||
                        is_xw(x, s, f, p, XW_VIA))
                        subj = opening_name(s, f, p);
                }
                if (obj < 0 && subj < 0 && v > s->ss && span_at(s, f, v - 1) >= 0 &&
                    !(tok(s, f, v - 1)->flags & NF_TOK_POSS)) {
                    /* "With ScrapeSentry Acquisition": Y acquisition, subject = acquirer */
                    obj = span_at(s, f, v - 1);
                    for (size_t k = s->ss; k < s->spans.v[obj].first; k++)
                        if ((subj = span_at(s, f, k)) >= 0)
                            break;
                    /* "OSR TO MAKE ACQUISITION": in capitals a verb after "to" looks like a
                     * name; the subject alone says who buys */
                    size_t of = s->spans.v[obj].first;
                    if (of > s->ss && is_word(s, f, of - 1, NF_W_TO) &&
                        (tok(s, f, of)->flags & NF_TOK_UPPER) && s->spans.v[obj].last == of)
                        obj = -1;
                }
                /* "Y accepts X's buyout deal", "Y rejects X's offer", "Y told holders not to
                 * accept X's bid": Y is bought */
                if (obj < 0 && subj >= 0 && s->spans.v[subj].first > s->ss) {
                    size_t p = s->spans.v[subj].first - 1;
                    if (is_xw(x, s, f, p, XW_ACCEPTS) || is_xw(x, s, f, p, XW_ACCEPTED) ||
                        is_xw(x, s, f, p, XW_REJECTS) || is_xw(x, s, f, p, XW_REBUFFS) ||
                        is_xw(x, s, f, p, XW_SPURNS) || is_xw(x, s, f, p, XW_WELCOMES))
                        obj = subject_of(s, f, p, 4);
                    if ((is_xw(x, s, f, p, XW_ACCEPT) || is_xw(x, s, f, p, XW_REJECT)) &&
                        is_word(s, f, p - 1, NF_W_TO))
                        obj = opening_name(s, f, p);
                }
                /* "Y board rejects $1bn bid from rival X", "takeover bid from X": X bids
                 * for the company the sentence is about */
                if (subj < 0 && obj < 0 && is_word(s, f, w, NF_W_FROM)) {
                    subj = appositive(s, f, w, after_word(s, f, w, 6));
                    obj = subj >= 0 ? subject_of(s, f, v, 10) : -1;
                    if (subj >= 0 && obj < 0) /* "Y said its board rejected ... bid from X" */
                        obj = opening_name(s, f, v);
                }
                /* "X receives regulatory approvals for the acquisition of Y": who is approved
                 * buys */
                size_t p4 = is_word(s, f, v - 1, NF_W_THE) || is_word(s, f, v - 1, NF_W_ITS)
                                ? v - 2
                                : v - 1;
                for (size_t k = p4; subj < 0 && obj >= 0 && p4 > s->ss + 1 &&
                                    is_word(s, f, p4, NF_W_FOR) && k > s->ss && k + 3 > p4;
                     k--)
                    if ((cues(s, f, k - 1) & C(PENDING)) || is_xw(x, s, f, k - 1, XW_APPROVALS))
                        subj = subject_of(s, f, k - 1, 6);
                /* "Y has called X's attempt to walk away from his acquisition of the
                 * company": the company is the one the sentence opens with */
                if (obj < 0 && subj >= 0 && is_word(s, f, w, NF_W_OF) &&
                    is_word(s, f, w + 1, NF_W_THE) && is_word(s, f, w + 2, NF_W_COMPANY))
                    obj = opening_name(s, f, v);
                /* "X agrees takeover" says not who buys whom: a subject alone is no buyer */
                if (subj < 0 && obj >= 0)
                    subj = subject_of(s, f, v, 10);
                if (subj >= 0 && subj == obj)
                    subj = -1;
                /* "Zenlo stockholders approve the acquisition": Zenlo is bought */
                long h = obj < 0 ? holders_of(x, s, f, v) : -1;
                if (h >= 0) {
                    obj = h;
                    subj = subj == h ? -1 : subj;
                }
            } else if (v > s->ss &&
                       (is_word(s, f, v, NF_W_ACQUIRED) || is_word(s, f, v, NF_W_BOUGHT)) &&
                       span_at(s, f, v - 1) >= 0 && is_word(s, f, v + 1, NF_W_FOR) &&
                       ((tok(s, f, v + 2)->flags & NF_TOK_NUM) || is_p(s, f, v + 2, '$'))) {
                /* a headline's passive with "is" left out: "Marketo Bought For $1.8 Billion" */
                obj = span_at(s, f, v - 1);
            } else if (v > s->ss && is_word(s, f, v + 1, NF_W_BY) &&
                       (is_word(s, f, v - 1, NF_W_BE) || is_word(s, f, v - 1, NF_W_BEEN) ||
                        is_word(s, f, v - 1, NF_W_BEING) || is_word(s, f, v - 1, NF_W_WAS) ||
                        is_word(s, f, v - 1, NF_W_IS) ||
                        ((is_word(s, f, v, NF_W_ACQUIRED) || is_word(s, f, v, NF_W_BOUGHT)) &&
                         span_at(s, f, v - 1) >= 0 && !(tok(s, f, v - 1)->flags & NF_TOK_POSS)))) {
                /* passive: "Halvorsen has agreed to be acquired by Brightwater", and in a
                 * headline without "is": "Marketo acquired by Adobe" */
                obj = subject_of(s, f, v, 8);
                subj = past_affiliates(x, s, f, after_word(s, f, v + 1, 3));
                /* "acquired by a consortium led by Y and Z": each leader buys */
                for (size_t k = v + 2; subj < 0 && k + 1 < s->se && k < v + 7; k++)
                    if (is_word(s, f, k, NF_W_LED) && is_word(s, f, k + 1, NF_W_BY))
                        subj = after_word(s, f, k + 1, 2);
                /* "acquired by Y and Z": each one buys */
                add_rest(x, s, out, subj, NF_ROLE_ACQUIRER);
            } else {
                size_t w = v;
                if (is_word(s, f, v + 1, NF_W_UP) || is_word(s, f, v + 1, NF_W_OVER) ||
                    is_word(s, f, v + 1, NF_W_OUT))
                    w = v + 1;
                subj = subject_of(s, f, v, 8);
                /* "X agreed with Y to buy ...": Y is the counterpart, X buys */
                if (subj >= 0 && s->spans.v[subj].first > s->ss + 1 &&
                    is_word(s, f, s->spans.v[subj].first - 1, NF_W_WITH)) {
                    long x0 = subject_of(s, f, s->spans.v[subj].first - 1, 8);
                    subj = x0 >= 0 ? x0 : subj;
                }
                /* "backing out of his deal to buy Y", "X's offer to buy Y": the owner of
                 * the deal buys */
                if (subj < 0 && to_verb && v > s->ss + 2 &&
                    (contract_noun(x, s, f, v - 2) || is_word(s, f, v - 2, NF_W_OFFER) ||
                     is_word(s, f, v - 2, NF_W_BID))) {
                    subj = possessor_before(s, f, v - 2);
                    if (subj < 0)
                        subj = pronoun_owner(x, s, f, v - 2);
                }
                /* "X said it has reached an agreement in principle to buy Y": X buys */
                long o = subj < 0 && to_verb ? opening_name(s, f, v) : -1;
                if (o >= 0 && (is_xw(x, s, f, s->spans.v[o].last + 1, XW_SAID) ||
                               is_xw(x, s, f, s->spans.v[o].last + 1, XW_SAYS)))
                    subj = o;
                obj = object_of(s, f, w, 6);
                obj = appositive(s, f, w, obj);
                /* "Tribune-owned Gracenote": the owner sells; "A16Z-backed X": X is bought */
                if (obj >= 0 && is_p(s, f, s->spans.v[obj].last + 1, '-') &&
                    (is_xw(x, s, f, s->spans.v[obj].last + 2, XW_OWNED) ||
                     is_xw(x, s, f, s->spans.v[obj].last + 2, XW_BACKED))) {
                    long next = span_at(s, f, s->spans.v[obj].last + 3);
                    if (is_xw(x, s, f, s->spans.v[obj].last + 2, XW_OWNED))
                        seller = obj;
                    obj =
                        next >= 0 && s->spans.v[next].first == s->spans.v[obj].last + 3 ? next : -1;
                }
                /* "acquire the well business and assets of Y", "acquired all the assets of
                 * <Y Inc>": Y sells them */
                long owner = seller < 0 ? owner_of_assets(s, f, w) : -1;
                if (owner >= 0 && (obj < 0 || obj == owner)) {
                    seller = owner;
                    obj = -1;
                    /* "the business and assets of Y Service from Y Corp": the owner named
                     * after "from" sells, the named business is bought */
                    for (size_t q = s->spans.v[owner].last + 1;
                         q < s->se && q < s->spans.v[owner].last + 4; q++)
                        if (is_word(s, f, q, NF_W_FROM)) {
                            long from = after_word(s, f, q, 3);
                            if (from >= 0 && from != owner) {
                                obj = owner;
                                seller = from;
                            }
                            break;
                        }
                }
                /* "buys majority share in Y" */
                if (obj >= 0 && obj == subj)
                    obj = -1;
            }
            if (obj >= 0) {
                /* "Caviar, Square's food-ordering platform": the owner sells */
                size_t k = s->spans.v[obj].last + 1;
                if (is_p(s, f, k, ',') && k + 2 < s->se && (tok(s, f, k + 2)->flags & NF_TOK_POSS))
                    seller = span_at(s, f, k + 1);
                /* "buy Google's Chrome browser", "bought Facebook's satellite team": the owner
                 * sells what it owns, the name right after the possessive is what is bought; not
                 * "Y's shares" or "Y's stake" (a stake in Y) nor "Y's rival Z" */
                if (seller < 0 && s->spans.v[obj].first > v && poss_at(s, f, k) && k + 1 < s->se &&
                    !(cues(s, f, k + 1) & C(STAKE)) && !is_xw(x, s, f, k + 1, XW_RIVAL) &&
                    !is_xw(x, s, f, k + 1, XW_RIVALS) && !is_xw(x, s, f, k + 1, XW_COMPETITOR)) {
                    long unit = span_at(s, f, k + 1);
                    seller = obj;
                    /* "Yahoo's Internet business": a capitalised lexicon word is no name */
                    bool name = false;
                    for (size_t q = k + 1; unit >= 0 && q <= s->spans.v[unit].last; q++)
                        name |= !cues(s, f, q);
                    obj = name && s->spans.v[unit].first == k + 1 &&
                                  s->spans.v[unit].type != NF_SPAN_PLACE
                              ? unit
                              : -1;
                }
                /* "235 AT&T towers", "Fox unit", "Yahoo's Internet business": the named
                 * company owns what is bought, so it sells */
                size_t an = poss_at(s, f, k) ? k + 1 : k;
                if (seller < 0 && an < s->se &&
                    (asset_noun(s, f, an) ||
                     (an + 1 < s->se && !(tok(s, f, an)->flags & (NF_TOK_CAP | NF_TOK_UPPER)) &&
                      (tok(s, f, an)->flags & NF_TOK_WORD) && !cues(s, f, an) &&
                      asset_noun(s, f, an + 1)))) {
                    /* "buy its Fox Research unit": the unit's own name is bought, the owner
                     * the pronoun points to sells */
                    long owner = an == k ? pronoun_owner(x, s, f, s->spans.v[obj].first) : -1;
                    seller = owner >= 0 && owner != subj ? owner : obj;
                    obj = seller == obj ? -1 : obj;
                }
                for (size_t q = k; q < s->se && q < k + 4; q++)
                    if (is_word(s, f, q, NF_W_FROM)) {
                        seller = after_word(s, f, q, 2);
                        break;
                    }
            }
            int es = party_entity(x, s, subj), eo = party_entity(x, s, obj);
            if (es >= 0 || eo >= 0 || seller >= 0) {
                /* a stake is what is bought ("buys 10% stake in Y"), not the payment ("for
                 * $5B in cash and shares") */
                bool stake = stake_object(x, s, f, v) && !is_word(s, f, v, NF_W_ACQUISITION) &&
                             !is_word(s, f, v, NF_W_TAKEOVER);
                size_t mof;
                bool majority = pct_of(x, s, f, v, &mof) >= 50;
                for (size_t q = v; q < s->se && q < v + 6; q++)
                    majority |=
                        is_word(s, f, q, NF_W_MAJORITY) || is_word(s, f, q, NF_W_CONTROLLING);
                if (stake && !majority) {
                    add_party(out, es, NF_ROLE_INVESTOR);
                    add_party(out, eo, NF_ROLE_TARGET);
                    set_deal_kind(s, out, NF_DEAL_STAKE, 5);
                } else {
                    add_party(out, es, NF_ROLE_ACQUIRER);
                    add_party(out, eo, NF_ROLE_TARGET);
                    if (eo >= 0) /* "buys Y for $385M and Z" */
                        add_party(out, party_entity(x, s, after_price(s, f, obj)), NF_ROLE_TARGET);
                    /* "buys a majority share in Y": the buyer acquires, the deal is a stake */
                    set_deal_kind(s, out, stake && majority ? NF_DEAL_STAKE : NF_DEAL_ACQUISITION,
                                  6);
                }
                add_party(out, party_entity(x, s, seller), NF_ROLE_SELLER);
            }
            continue;
        }
        long named = -1; /* "Widget completes Acme sale": Acme is what is sold */
        if (is_word(s, f, v, NF_W_SALE) && v > s->ss && (named = span_at(s, f, v - 1)) >= 0 &&
            (s->spans.v[named].last != v - 1 || s->spans.v[named].type == NF_SPAN_PLACE ||
             (s->spans.v[named].first > s->ss &&
              span_at(s, f, s->spans.v[named].first - 1) >= 0) || /* "Amazon Prime Day sale" */
             (cues(s, f, v + 1) & C(AND)) ||
             is_p(s, f, v + 1, '-'))) /* "sale and leaseback" */
            named = -1;
        /* "X has hired bankers to advise on a possible sale": X itself is for sale */
        size_t pv = v > s->ss && (is_word(s, f, v - 1, NF_W_A) || is_word(s, f, v - 1, NF_W_ITS))
                        ? v - 1
                        : v;
        bool bare = is_word(s, f, v, NF_W_SALE) && named < 0 && pv > s->ss &&
                    (cues(s, f, pv - 1) & C(RUMOR)) && !is_word(s, f, v + 1, NF_W_OF) &&
                    !is_word(s, f, v + 1, NF_W_TO);
        if (is_word(s, f, v, NF_W_SALE) && (is_word(s, f, v + 1, NF_W_OF) ||
                                            is_word(s, f, v + 1, NF_W_TO) || named >= 0 || bare)) {
            /* "completes sale of Y to Z", "considering a sale of its Y": the owner sells; "X
             * shareholders approve sale to Z", "advises Y on its sale to Z": Y is sold */
            long target = named, buyer = -1,
                 seller = possessor_before(s, f, named >= 0 ? s->spans.v[named].first : v);
            if (is_word(s, f, v + 1, NF_W_OF)) {
                target = after_word(s, f, v + 1, 3);
                /* "Deutsche Telekom Sale Of Y": the name before the sale of Y sells it */
                if (named >= 0 && seller < 0)
                    seller = named;
            }
            for (size_t k = v + 1; k < s->se && k < v + 14; k++)
                if (is_word(s, f, k, NF_W_TO)) {
                    buyer = after_word(s, f, k, 4);
                    break;
                }
            if (seller < 0)
                seller = pronoun_owner(x, s, f, v);
            /* the sale of a possessor with nothing named as sold is the sale of itself */
            bool whole = bare || (!is_word(s, f, v + 1, NF_W_OF) && named < 0 && seller >= 0);
            if (whole) {
                target = seller >= 0 ? seller : first_subject(s, f, v);
                seller = -1;
            } else if (seller < 0) {
                seller = subject_of(s, f, named >= 0 ? s->spans.v[named].first : v, 10);
            }
            long h = target < 0 ? holders_of(x, s, f, v) : -1;
            if (h >= 0) {
                target = h;
                seller = seller == h ? -1 : seller;
            }
            int es = party_entity(x, s, seller), et = party_entity(x, s, target),
                eb = party_entity(x, s, buyer);
            if (et == eb)
                et = -1;
            if (es == et)
                es = -1;
            /* "X eyes sale of Russian assets": the owner alone, selling what it names, when
             * it opens the sentence (not the nearest name: "talks with Y about the sale of
             * some energy assets") */
            bool assets = false;
            for (size_t k = v + 2; is_word(s, f, v + 1, NF_W_OF) && k < s->se && k < v + 6; k++)
                assets |= asset_noun(s, f, k);
            assets &= seller >= 0 && seller == opening_name(s, f, v);
            /* "X sale may be hurt by the asking price": X alone is what is sold */
            if ((es >= 0) + (et >= 0) + (eb >= 0) >= 2 || (et >= 0 && (target == named || whole)) ||
                (es >= 0 && et < 0 && assets)) {
                add_party(out, es, NF_ROLE_SELLER);
                add_party(out, et, NF_ROLE_TARGET);
                add_party(out, eb, NF_ROLE_ACQUIRER);
                add_rest(x, s, out, eb >= 0 ? buyer : -1, NF_ROLE_ACQUIRER);
                /* a company sold whole (by its holders) is acquired */
                set_deal_kind(s, out,
                              h >= 0 || whole || (target == named && es < 0) ? NF_DEAL_ACQUISITION
                                                                             : NF_DEAL_DIVESTITURE,
                              4);
            }
            continue;
        }
        if ((is_word(s, f, v, NF_W_STAKE) || is_xw(x, s, f, v, XW_INVESTOR)) &&
            is_word(s, f, v + 1, NF_W_IN)) {
            /* "X discloses 12% stake in Y", "X stays majority investor in Y": X holds part
             * of Y (a majority holder acquires) */
            long y = span_at(s, f, v + 2);
            int et = y >= 0 && s->spans.v[y].first == v + 2 ? party_entity(x, s, y) : -1;
            if (et >= 0) {
                bool majority = false;
                for (size_t q = v > s->ss + 4 ? v - 4 : s->ss; q < v; q++)
                    majority |=
                        is_word(s, f, q, NF_W_MAJORITY) || is_word(s, f, q, NF_W_CONTROLLING);
                long holder = subject_of(s, f, v, 8);
                int ei = party_entity(x, s, holder);
                if (ei == et)
                    ei = -1;
                add_party(out, ei, majority ? NF_ROLE_ACQUIRER : NF_ROLE_INVESTOR);
                add_party(out, et, NF_ROLE_TARGET);
                set_deal_kind(s, out, NF_DEAL_STAKE, 3);
            }
            continue;
        }
        if (is_xw(x, s, f, v, XW_STAKEHOLDER) || is_xw(x, s, f, v, XW_SHAREHOLDER)) {
            /* "X will become Y's second-largest stakeholder": X invests in Y */
            for (size_t k = v; k > s->ss + 2 && k + 4 > v; k--) {
                long y = (tok(s, f, k - 1)->flags & NF_TOK_POSS) ? span_at(s, f, k - 2) : -1;
                size_t b = y >= 0 ? s->spans.v[y].first : 0;
                if (y < 0 || b == s->ss ||
                    !(is_xw(x, s, f, b - 1, XW_BECOME) || is_xw(x, s, f, b - 1, XW_BECOMES) ||
                      is_xw(x, s, f, b - 1, XW_BECAME)))
                    continue;
                int ei = party_entity(x, s, subject_of(s, f, b - 1, 6)), et = party_entity(x, s, y);
                if (ei >= 0 && et >= 0 && ei != et) {
                    add_party(out, ei, NF_ROLE_INVESTOR);
                    add_party(out, et, NF_ROLE_TARGET);
                    set_deal_kind(s, out, NF_DEAL_STAKE, 3);
                }
                break;
            }
            continue;
        }
        if (c & C(SELL) && !noun) {
            /* "X sells Y to Z", "X sells its stake in Y to Z" */
            long subj = subject_of(s, f, v, 8), obj = object_of(s, f, v, 6), buyer = -1;
            for (size_t k = v + 1; k < s->se && k < v + 14; k++)
                if (is_word(s, f, k, NF_W_TO)) {
                    buyer = after_word(s, f, k, 4);
                    if (buyer >= 0)
                        break;
                }
            if (obj == buyer)
                obj = -1;
            bool passive = is_xw(x, s, f, v, XW_SOLD) && be_before(x, s, f, v);
            /* "Y agrees to sell itself to Z": Y is what is sold, whole */
            bool itself = is_xw(x, s, f, v + 1, XW_ITSELF);
            if (passive || itself) { /* "Y is to be sold to Z": Y is what is sold */
                obj = subj;
                subj = -1;
            }
            int es = party_entity(x, s, subj), eo = party_entity(x, s, obj),
                eb = party_entity(x, s, buyer);
            if (es >= 0 || eb >= 0 || (eo >= 0 && (passive || itself))) {
                add_party(out, es, NF_ROLE_SELLER);
                add_party(out, eo, NF_ROLE_TARGET);
                add_party(out, eb, NF_ROLE_ACQUIRER);
                add_rest(x, s, out, eb >= 0 ? buyer : -1, NF_ROLE_ACQUIRER);
                /* "X sells its 15% stake in Y to Z" sells a stake */
                set_deal_kind(s, out,
                              itself                     ? NF_DEAL_ACQUISITION
                              : stake_object(x, s, f, v) ? NF_DEAL_STAKE
                                                         : NF_DEAL_DIVESTITURE,
                              4);
            }
            continue;
        }
        if (is_word(s, f, v, NF_W_INVESTMENT)) {
            /* "Y announces strategic investment from X", "an investment of $5M from X": X
             * invests in the company the sentence opens with */
            long from = -1, in = -1;
            for (size_t k = v + 1; k < s->se && k < v + 6; k++) {
                if (is_word(s, f, k, NF_W_FROM)) {
                    from = after_word(s, f, k, 3);
                    break;
                }
                /* "X's $4B investment in Y", "X announces growth investment in Y" */
                if (is_word(s, f, k, NF_W_IN)) {
                    in = appositive(s, f, k, after_word(s, f, k, 3));
                    break;
                }
                if (!(tok(s, f, k)->flags & NF_TOK_NUM) && !is_p(s, f, k, '$') &&
                    !is_word(s, f, k, NF_W_OF) && !(cues(s, f, k) & C(CURRENCY)))
                    break;
            }
            /* "shareholders' ... their investment in Y" is no deal */
            for (size_t k = v > s->ss + 3 ? v - 3 : s->ss; k < v && in >= 0; k++)
                if (is_xw(x, s, f, k, XW_THEIR))
                    in = -1;
            if (in >= 0) {
                from = possessor_before(s, f, v);
                if (from < 0)
                    from = pronoun_owner(x, s, f, v);
                if (from < 0)
                    from = opening_name(s, f, v);
            }
            long target = in >= 0 ? in : from >= 0 ? opening_name(s, f, v) : -1;
            /* "made a 30 pct investment in Y" is a stake */
            bool part = false;
            for (size_t k = v > s->ss + 3 ? v - 3 : s->ss; k < v; k++)
                part |= is_xw(x, s, f, k, XW_PCT) || is_word(s, f, k, NF_W_PERCENT) ||
                        is_p(s, f, k, '%');
            int et = party_entity(x, s, target), ei = party_entity(x, s, from);
            if (et >= 0 && ei >= 0 && et != ei) {
                add_party(out, et, NF_ROLE_TARGET);
                add_party(out, ei, NF_ROLE_INVESTOR);
                add_rest(x, s, out, in < 0 ? from : -1, NF_ROLE_INVESTOR);
                set_deal_kind(s, out, part ? NF_DEAL_STAKE : NF_DEAL_INVESTMENT, 3);
            }
            continue;
        }
        if ((is_word(s, f, v, NF_W_TAKES) || is_word(s, f, v, NF_W_TAKE) ||
             is_word(s, f, v, NF_W_TOOK) || is_xw(x, s, f, v, XW_TAKING)) &&
            span_at(s, f, v + 1) >= 0) {
            /* "X to take Y private": X buys Y out */
            long y = span_at(s, f, v + 1);
            size_t e = s->spans.v[y].last + 1;
            bool priv = false;
            for (size_t k = e; k < s->se && k < e + 4 && !priv; k++)
                priv = is_xw(x, s, f, k, XW_PRIVATE);
            int eb = priv ? party_entity(x, s, subject_of(s, f, v, 10)) : -1,
                et = priv ? party_entity(x, s, y) : -1;
            if (eb >= 0 && et >= 0 && eb != et) {
                add_party(out, eb, NF_ROLE_ACQUIRER);
                add_party(out, et, NF_ROLE_TARGET);
                set_deal_kind(s, out, NF_DEAL_ACQUISITION, 5);
                continue;
            }
        }
        if (is_word(s, f, v, NF_W_STAKE) && v > s->ss + 1 && span_at(s, f, v - 1) >= 0 &&
            s->spans.v[span_at(s, f, v - 1)].last == v - 1 &&
            poss_at(s, f, s->spans.v[span_at(s, f, v - 1)].first - 1)) {
            /* "Amazon's Grubhub stake": the possessor holds part of the named company */
            long y = span_at(s, f, v - 1);
            size_t b = s->spans.v[y].first;
            int ei = party_entity(x, s, b >= s->ss + 2 ? span_at(s, f, b - 2) : -1),
                et = party_entity(x, s, y);
            if (ei >= 0 && et >= 0 && ei != et) {
                add_party(out, ei, NF_ROLE_INVESTOR);
                add_party(out, et, NF_ROLE_TARGET);
                set_deal_kind(s, out, NF_DEAL_STAKE, 3);
            }
            continue;
        }
        bool takes_stake = (is_word(s, f, v, NF_W_TAKES) || is_word(s, f, v, NF_W_TAKE)) &&
                           ((cues(s, f, v + 2) | cues(s, f, v + 3) | cues(s, f, v + 4)) & C(STAKE));
        if ((c & (C(INVEST) | C(LEAD)) && !(c & C(RAISE)) && !is_word(s, f, v, NF_W_INVESTMENT) &&
             !(cues(s, f, v + 1) & C(DESC))) ||
            takes_stake) {
            /* "X invests in Y", "X takes a 10% stake in Y", "X leads $N round in Y" */
            long subj = subject_of(s, f, v, 5), obj = -1;
            for (size_t k = v + 1; k < s->se && k < v + 12; k++)
                if (is_word(s, f, k, NF_W_IN) || is_word(s, f, k, NF_W_INTO)) {
                    obj = after_word(s, f, k, 6);
                    break;
                }
            if (obj < 0 && (is_word(s, f, v, NF_W_BACKS) || is_word(s, f, v, NF_W_BACKED)))
                obj = object_of(s, f, v, 4);
            int eo = party_entity(x, s, obj);
            /* "Google and Chevron invest in nuclear fusion startup": investors even when the
             * company is not named */
            if (subj >= 0 &&
                (eo >= 0 || is_word(s, f, v, NF_W_INVEST) || is_word(s, f, v, NF_W_INVESTS))) {
                for (long sp = subj; sp >= 0; sp = prev_in_list(s, f, sp))
                    add_party(out, party_entity(x, s, sp), NF_ROLE_INVESTOR);
                add_party(out, eo, NF_ROLE_TARGET);
                set_deal_kind(s, out, NF_DEAL_INVESTMENT, 3);
            }
            continue;
        }
        if (c & C(RAISE) && (is_word(s, f, v, NF_W_TAKES) || is_word(s, f, v, NF_W_GETS) ||
                             is_word(s, f, v, NF_W_RAISES) || is_word(s, f, v, NF_W_RAISED) ||
                             is_word(s, f, v, NF_W_RECEIVES) || is_word(s, f, v, NF_W_LANDS))) {
            /* "Y takes $5B from X": X invests in Y */
            long subj = subject_of(s, f, v, 4), from = -1;
            for (size_t k = v + 1; k < s->se && k < v + 10; k++)
                if (is_word(s, f, k, NF_W_FROM)) {
                    from = after_word(s, f, k, 3);
                    break;
                }
            int es = party_entity(x, s, subj);
            if (es >= 0 && from >= 0) {
                add_party(out, es, NF_ROLE_TARGET);
                for (long sp = from; sp >= 0; sp = next_in_list(s, f, sp))
                    add_party(out, party_entity(x, s, sp), NF_ROLE_INVESTOR);
                set_deal_kind(s, out, NF_DEAL_INVESTMENT, 3);
            }
            continue;
        }
        if (c & (C(PARTNER) | C(JV)) || (c & C(CONTRACT) && !(c & C(SUPPLY) && !(c & C(VERB))))) {
            /* "X partners with Y", "X signs deal with Y", "X wins Y contract", "X taps Y" */
            long subj = subject_of(s, f, v, 6), other = -1;
            if (subj < 0 &&
                (is_word(s, f, v, NF_W_DEAL) || is_word(s, f, v, NF_W_AGREEMENT) ||
                 is_word(s, f, v, NF_W_PARTNERSHIP) || is_word(s, f, v, NF_W_CONTRACT) ||
                 is_word(s, f, v, NF_W_PACT) || is_word(s, f, v, NF_W_ALLIANCE)))
                subj = subject_of(s, f, v, 10); /* "X and Y announce expanded licensing deal" */
            bool wins = is_word(s, f, v, NF_W_WINS) || is_word(s, f, v, NF_W_WON) ||
                        is_word(s, f, v, NF_W_AWARDED);
            bool taps = is_word(s, f, v, NF_W_TAPS) || is_word(s, f, v, NF_W_SELECTS) ||
                        is_word(s, f, v, NF_W_CHOOSES) || is_word(s, f, v, NF_W_PICKS);
            bool deal_for = false, via_from = false, to_buy = false;
            for (size_t k = v + 1; k < s->se && k < v + 10; k++)
                if (is_word(s, f, k - 1, NF_W_TO) && span_at(s, f, k) < 0 &&
                    (cues(s, f, k) & (C(ACQUIRE) | C(SELL) | C(MERGE))) &&
                    !((cues(s, f, k + 1) | cues(s, f, k + 2)) & (C(POWER) | C(SUPPLY)))) {
                    /* "signed an agreement to acquire Y from Z": the acquisition frame reads
                     * it (Z sells), not a supply deal */
                    to_buy = true;
                    break;
                } else if (is_word(s, f, k, NF_W_WITH) || is_word(s, f, k, NF_W_FROM) ||
                           (wins && is_word(s, f, k, NF_W_FOR))) {
                    other = after_word(s, f, k, 4);
                    /* "X signs an agreement to buy power from Y": Y supplies */
                    via_from = other >= 0 && is_word(s, f, k, NF_W_FROM) && !wins;
                    break;
                } else if (is_word(s, f, k, NF_W_FOR) &&
                           (is_word(s, f, v, NF_W_DEAL) || is_word(s, f, v, NF_W_AGREEMENT))) {
                    /* "X gets exclusive deal for most PBS Kids shows": X buys Y's content */
                    other = after_word(s, f, k, 3);
                    deal_for = other >= 0;
                    break;
                }
            if (to_buy)
                continue;
            /* "Merck deal for Seagen", "X's deal for Y": the named side's deal for a company
             * is a takeover */
            if (deal_for && v > s->ss + 1 &&
                ((span_at(s, f, v - 1) >= 0 && !(tok(s, f, v - 1)->flags & NF_TOK_POSS)) ||
                 poss_at(s, f, v - 1))) {
                long buyer =
                    span_at(s, f, v - 1) >= 0 ? span_at(s, f, v - 1) : span_at(s, f, v - 2);
                int eb = party_entity(x, s, buyer), et = party_entity(x, s, other);
                if (eb >= 0 && et >= 0 && eb != et) {
                    add_party(out, eb, NF_ROLE_ACQUIRER);
                    add_party(out, et, NF_ROLE_TARGET);
                    set_deal_kind(s, out, NF_DEAL_ACQUISITION, 4);
                }
                continue;
            }
            if (other < 0 && (taps || wins))
                other = object_of(s, f, v, 4);
            if (subj >= 0 && other < 0)
                other = prev_in_list(s, f, subj); /* "X and Y partner" */
            if (subj >= 0 && other < 0)
                other = compound_before(s, f, subj); /* "the X–Y partnership" */
            int es = party_entity(x, s, subj), eo = party_entity(x, s, other);
            /* "X wins a contract", not "X wins bid for expedited trial" */
            bool won = false;
            for (size_t k = v + 1; wins && k < s->se && k < v + 6; k++)
                won |= contract_noun(x, s, f, k);
            if (es < 0 || eo < 0 || es == eo) {
                if (es >= 0 && (c & C(CONTRACT)) && !(c & C(PARTNER)) && won) {
                    add_party(out, es, NF_ROLE_SUPPLIER);
                    set_deal_kind(s, out, NF_DEAL_CONTRACT, 1);
                }
                continue;
            }
            /* "with new customer Y", "with its client Y": the text says who buys */
            size_t of = s->spans.v[other].first;
            bool named_customer = of > s->ss && (cues(s, f, of - 1) & C(CUSTOMER));
            if (wins || named_customer) {
                add_party(out, es, NF_ROLE_SUPPLIER);
                add_party(out, eo, NF_ROLE_CUSTOMER);
                set_deal_kind(s, out, NF_DEAL_CONTRACT, 2);
            } else if (taps || deal_for || via_from) {
                add_party(out, es, NF_ROLE_CUSTOMER);
                add_party(out, eo, NF_ROLE_SUPPLIER);
                set_deal_kind(s, out, NF_DEAL_CONTRACT, 2);
            } else if (c & C(JV) || (c & C(PARTNER) && !(sent & C(SUPPLY)))) {
                add_party(out, es, NF_ROLE_PARTNER);
                add_party(out, eo, NF_ROLE_PARTNER);
                set_deal_kind(s, out, c & C(JV) ? NF_DEAL_JOINT_VENTURE : NF_DEAL_PARTNERSHIP, 2);
            } else {
                contract_roles(x, s, out, es, eo, sent);
                /* "X partners with Y to distribute ...": a partnership unless one side sells
                 * the other compute or power */
                bool roles_set =
                    out->entities[es].roles & ((1u << NF_ROLE_SUPPLIER) | (1u << NF_ROLE_CUSTOMER));
                set_deal_kind(
                    s, out, (c & C(PARTNER)) && !roles_set ? NF_DEAL_PARTNERSHIP : NF_DEAL_CONTRACT,
                    2);
            }
            /* "signs deals with A, B and C": each one in the same role */
            for (size_t i = 0; i < out->deal.parties_n; i++)
                if (out->deal.parties[i].entity == eo && other > subj)
                    add_rest(x, s, out, other, out->deal.parties[i].role);
            continue;
        }
        if (is_word(s, f, v, NF_W_PAY) || is_word(s, f, v, NF_W_PAYS) ||
            is_word(s, f, v, NF_W_DISTRIBUTE)) {
            /* "X to pay Y $N for compute", "X to distribute Y" */
            long subj = subject_of(s, f, v, 6), obj = object_of(s, f, v, 4);
            if (subj < 0 && is_word(s, f, v, NF_W_DISTRIBUTE))
                subj = lead_subject(s, f, v); /* "X becomes first provider to distribute Y" */
            int es = party_entity(x, s, subj), eo = party_entity(x, s, obj);
            if (es >= 0 && eo >= 0 && es != eo) {
                add_party(out, es, NF_ROLE_CUSTOMER);
                for (long sp = obj; sp >= 0; sp = next_in_list(s, f, sp)) /* "Y and Z" */
                    if (party_entity(x, s, sp) != es)
                        add_party(out, party_entity(x, s, sp), NF_ROLE_SUPPLIER);
                set_deal_kind(s, out, NF_DEAL_CONTRACT, 2);
            }
        }
    }
}

/*
 * The status a headline or lead sentence [a, b) implies (EXTRACTION.md): a deal stated as
 * done or agreed ("X acquires Y", "X invests in Y", "X sells Y", "X raised $N from Y", "X
 * to deploy ...") is announced; an offer one side makes ("X makes takeover offer for Y")
 * and a walk-away only intended ("preparing to abandon", "attempt to walk away") imply none.
 */
static nf_deal_status_t status_of(const nf_extractor_t *x, const scratch_t *s, int f, size_t a,
                                  size_t b)
{
    uint64_t all = 0;
    bool walk_away = false, intent = false, to_acquire = false, offer = false;
    for (size_t i = a; i < b; i++) {
        all |= cues(s, f, i);
        if (is_xw(x, s, f, i, XW_SUITORS) || is_xw(x, s, f, i, XW_BIDDERS)) /* bids for */
            all |= C(ACQUIRE);
        bool walk = is_word(s, f, i, NF_W_WALK) || is_word(s, f, i, NF_W_WALKING) ||
                    is_word(s, f, i, NF_W_WALKS) || is_word(s, f, i, NF_W_ABANDON) ||
                    is_word(s, f, i, NF_W_TERMINATED) || is_word(s, f, i, NF_W_SCRAPPED) ||
                    is_word(s, f, i, NF_W_TERMINATE) || is_word(s, f, i, NF_W_ABANDONS) ||
                    is_word(s, f, i, NF_W_ABANDONED) || is_word(s, f, i, NF_W_CANCELS) ||
                    is_word(s, f, i, NF_W_CANCELLED) || is_word(s, f, i, NF_W_CANCELED) ||
                    is_xw(x, s, f, i, XW_TERMINATES);
        /* "the deal is off", "calls off the merger" */
        walk |= is_xw(x, s, f, i, XW_OFF) && i > a &&
                (is_word(s, f, i - 1, NF_W_IS) || is_word(s, f, i - 1, NF_W_WAS) ||
                 is_xw(x, s, f, i - 1, XW_CALLS) || is_xw(x, s, f, i - 1, XW_CALLED));
        walk &= !(i > a && is_xw(x, s, f, i - 1, XW_NOT)); /* "merger plan not terminated" */
        walk_away |= walk;
        /* "preparing to abandon", "attempt to walk away", "threatens to terminate" */
        for (size_t k = i > a + 3 ? i - 3 : a; walk && k < i; k++)
            intent |= is_xw(x, s, f, k, XW_PREPARING) || is_xw(x, s, f, k, XW_ATTEMPT) ||
                      is_xw(x, s, f, k, XW_ATTEMPTS) || is_xw(x, s, f, k, XW_TRYING) ||
                      is_xw(x, s, f, k, XW_THREATENS) || is_xw(x, s, f, k, XW_EFFORT);
        to_acquire |= (is_word(s, f, i, NF_W_TO) || is_word(s, f, i, NF_W_WILL)) &&
                      ((cues(s, f, i + 1) & (C(ACQUIRE) | C(MERGE) | C(SELL) | C(INVEST) |
                                             C(BUILD) | C(CONTRACT) | C(PARTNER))) ||
                       is_word(s, f, i + 1, NF_W_PAY));
        /* "makes a $55B takeover offer for Y", "X offers to buy Y": one side's offer */
        for (size_t k = i > a + 6 ? i - 6 : a;
             (is_word(s, f, i, NF_W_OFFER) || is_word(s, f, i, NF_W_BID)) && k < i; k++)
            offer |= is_xw(x, s, f, k, XW_MAKES) || is_xw(x, s, f, k, XW_LAUNCHES) ||
                     is_xw(x, s, f, k, XW_SUBMITS);
        offer |= is_xw(x, s, f, i, XW_OFFERS) && is_word(s, f, i + 1, NF_W_TO) &&
                 (cues(s, f, i + 2) & (C(ACQUIRE) | C(MERGE)));
    }
    if (walk_away)
        return intent ? NF_STATUS_NONE : NF_STATUS_TERMINATED;
    /* a deal blocked is terminated (EXTRACTION.md); "sues to block" is not yet (pending); a
     * bid the target rejects is one side's offer: no status */
    for (size_t i = a; i < b && (all & C(BLOCK)); i++) {
        if (!(cues(s, f, i) & C(BLOCK)) || (i > a && is_word(s, f, i - 1, NF_W_TO)))
            continue;
        if (is_xw(x, s, f, i, XW_REJECTS) || is_xw(x, s, f, i, XW_REJECT) ||
            is_xw(x, s, f, i, XW_REJECTED) || is_xw(x, s, f, i, XW_REJECTING))
            return NF_STATUS_NONE;
        return NF_STATUS_TERMINATED;
    }
    if (all & C(TALKS))
        return NF_STATUS_IN_TALKS;
    if (all & C(RUMOR) && (all & (C(ACQUIRE) | C(MERGE) | C(SELL) | C(INVEST))))
        return NF_STATUS_RUMORED;
    if (all & C(PENDING))
        return NF_STATUS_PENDING;
    for (size_t i = a; i < b; i++) {
        /* "agrees to be acquired", "will be bought": agreed, not done */
        bool future = i > a && (is_word(s, f, i - 1, NF_W_BE) || is_word(s, f, i - 1, NF_W_BEING));
        if (is_word(s, f, i, NF_W_COMPLETES) || is_word(s, f, i, NF_W_COMPLETED) ||
            is_word(s, f, i, NF_W_CLOSES) || is_word(s, f, i, NF_W_CLOSED) ||
            ((is_word(s, f, i, NF_W_ACQUIRED) || is_word(s, f, i, NF_W_BOUGHT)) && !future))
            return NF_STATUS_COMPLETED;
        /* "X and Y complete business combination": a plural subject's present tense */
        if (is_xw(x, s, f, i, XW_COMPLETE) && i > a && span_at(s, f, i - 1) >= 0)
            return NF_STATUS_COMPLETED;
    }
    if (offer && !(all & C(ANNOUNCE)))
        return NF_STATUS_NONE;
    if (to_acquire || all & (C(ANNOUNCE) | C(ACQUIRE) | C(MERGE) | C(CONTRACT) | C(PARTNER) |
                             C(INVEST) | C(SELL) | C(RAISE)))
        return NF_STATUS_ANNOUNCED;
    return NF_STATUS_NONE;
}

/* Funding ---------------------------------------------------------------------------- */

/* "Series B", "seed", ... at token i; writes the normalised round into the arena. */
static bool round_at(scratch_t *s, int f, size_t i)
{
    const char *text = s->text[f];
    const nf_tok_t *t = tok(s, f, i);
    char buf[32];
    if (is_word(s, f, i, NF_W_SERIES) && i + 1 < s->toks[f].n) {
        const nf_tok_t *l = tok(s, f, i + 1);
        if (!(l->flags & NF_TOK_WORD) || l->len > 2 || !(l->flags & NF_TOK_CAP))
            return false;
        size_t n = (size_t)snprintf(buf, sizeof(buf), "Series %.*s", (int)l->len, text + l->start);
        /* "Series C-1" */
        if (is_p(s, f, i + 2, '-') && i + 3 < s->toks[f].n &&
            (tok(s, f, i + 3)->flags & NF_TOK_NUM) && tok(s, f, i + 3)->len <= 2 &&
            !(tok(s, f, i + 2)->flags & NF_TOK_SPACE))
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "-%.*s", (int)tok(s, f, i + 3)->len,
                                  text + tok(s, f, i + 3)->start);
        (void)n;
    } else if (is_word(s, f, i, NF_W_PRE) && is_p(s, f, i + 1, '-') &&
               is_word(s, f, i + 2, NF_W_SEED)) {
        snprintf(buf, sizeof(buf), "pre-seed");
    } else if (is_word(s, f, i, NF_W_PRE_SEED) || is_word(s, f, i, NF_W_PRESEED)) {
        snprintf(buf, sizeof(buf), "pre-seed");
    } else if (is_word(s, f, i, NF_W_SEED) && !(i > 0 && is_p(s, f, i - 1, '-'))) {
        if (!(cues(s, f, i + 1) & (C(ROUND) | C(INVEST))) && !(cues(s, f, i - 1) & C(IN)) &&
            !is_word(s, f, i - 1, NF_W_A) && !(cues(s, f, i - 1) & C(RAISE)) &&
            !(i > 0 && tok(s, f, i - 1)->flags & NF_TOK_NUM))
            return false;
        snprintf(buf, sizeof(buf), "seed");
    } else if ((is_word(s, f, i, NF_W_GROWTH) || is_word(s, f, i, NF_W_STRATEGIC)) &&
               (cues(s, f, i + 1) & C(ROUND) ||
                (cues(s, f, i + 1) & (C(INVEST) | C(STAKE)) && cues(s, f, i + 2) & C(ROUND)) ||
                is_word(s, f, i + 1, NF_W_EQUITY))) {
        snprintf(buf, sizeof(buf), "%s", is_word(s, f, i, NF_W_GROWTH) ? "growth" : "strategic");
    } else {
        return false;
    }
    (void)t;
    s->round_off = s->arena.len;
    nf_buf_puts(&s->arena, buf);
    nf_buf_append(&s->arena, "", 1);
    return true;
}

/* Reads one sentence for the funding company and investors. */
static void funding_sentence(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out,
                             unsigned mask)
{
    int f = s->f;
    nf_funding_t *fu = &out->funding;
    for (size_t v = s->ss; v < s->se; v++) {
        uint64_t c = cues(s, f, v);
        if ((!c && !tok(s, f, v)->word) || span_at(s, f, v) >= 0)
            continue;
        if (c & C(RAISE) && fu->company < 0 && !(c & C(FROM))) {
            bool raise_verb = !(is_word(s, f, v, NF_W_FUNDING) || is_word(s, f, v, NF_W_FUNDS) ||
                                is_word(s, f, v, NF_W_COMPLETION));
            long subj = raise_verb ? subject_of(s, f, v, 5) : -1;
            if (is_word(s, f, v, NF_W_CLOSES) || is_word(s, f, v, NF_W_ANNOUNCES) ||
                is_word(s, f, v, NF_W_COMPLETES) || is_word(s, f, v, NF_W_GETS) ||
                is_word(s, f, v, NF_W_TAKES)) {
                /* these verbs are a raise only with money or a round after them */
                bool money = false;
                for (size_t k = v + 1; k < s->se && k < v + 8; k++)
                    money |= (tok(s, f, k)->flags & NF_TOK_NUM) || (cues(s, f, k) & C(ROUND));
                if (!money)
                    subj = -1;
            }
            int e = party_entity(x, s, subj);
            if (e >= 0 && !public_body(x, s, e)) {
                fu->company = e;
                add_role(out, e, NF_ROLE_FUNDRAISER);
            }
        }
        if (c & C(ROUND) && fu->company < 0 &&
            (is_word(s, f, v + 1, NF_W_AT) || is_word(s, f, v + 1, NF_W_FOR))) {
            /* "strategic investment round at Hulk Labs", "funding round for X" */
            int e = party_entity(x, s, after_word(s, f, v + 1, 2));
            if (e >= 0 && !public_body(x, s, e)) {
                fu->company = e;
                add_role(out, e, NF_ROLE_FUNDRAISER);
            }
        }
        if (c & C(VALUATION) && fu->company < 0) {
            /* "Perplexity AI's valuation", "Thinking Machines valued at" */
            long sp = possessor_before(s, f, v);
            if (sp < 0 && (is_word(s, f, v, NF_W_VALUED) || is_word(s, f, v, NF_W_VALUATION)))
                sp = subject_of(s, f, v, 3);
            int e = party_entity(x, s, sp);
            if (e >= 0) {
                fu->company = e;
                add_role(out, e, NF_ROLE_FUNDRAISER);
            }
        }
        if (is_word(s, f, v, NF_W_FROM) && v > s->ss) {
            /* "raised $1B from A16Z, Nvidia", "participation from X" */
            uint64_t back = 0;
            for (size_t k = v > s->ss + 8 ? v - 8 : s->ss; k < v; k++)
                back |= cues(s, f, k);
            /* "emerges from stealth", "spun out from MIT's lab": where it comes from */
            bool origin = is_xw(x, s, f, v - 1, XW_EMERGES) || is_xw(x, s, f, v - 1, XW_EMERGED) ||
                          is_xw(x, s, f, v - 1, XW_EMERGING) ||
                          (v > s->ss + 1 && is_xw(x, s, f, v - 2, XW_SPUN));
            if (!origin && ((back & (C(RAISE) | C(ROUND) | C(INVEST))) ||
                            is_word(s, f, v - 1, NF_W_PARTICIPATION)))
                investors_from(x, s, out, mask, after_word(s, f, v, 4), false);
        }
        if (is_word(s, f, v, NF_W_BY) && v > s->ss &&
            (cues(s, f, v - 1) & (C(LEAD) | C(INVEST)) || is_word(s, f, v - 1, NF_W_BACKED))) {
            bool lead = cues(s, f, v - 1) & C(LEAD);
            investors_from(x, s, out, mask, after_word(s, f, v, 3), lead);
        }
        if ((is_word(s, f, v, NF_W_INVESTORS) || is_word(s, f, v, NF_W_BACKERS)) &&
            span_at(s, f, v + 1) >= 0)
            /* "existing investors Index Ventures and Y Combinator" */
            investors_from(x, s, out, mask, span_at(s, f, v + 1), false);
        if (is_word(s, f, v, NF_W_PARTICIPATED) || is_word(s, f, v, NF_W_PARTICIPATE) ||
            is_word(s, f, v, NF_W_JOINED) ||
            ((is_word(s, f, v, NF_W_TOOK) || is_word(s, f, v, NF_W_TAKE)) &&
             is_word(s, f, v + 1, NF_W_PART))) {
            /* "Index Ventures and Y Combinator also participated" */
            long sp = subject_of(s, f, v, 3);
            for (int guard = 0; sp >= 0 && guard < 12; guard++, sp = prev_in_list(s, f, sp)) {
                int e = party_entity(x, s, sp);
                if (e >= 0 && e != fu->company)
                    add_investor(out, e, false);
            }
        }
        if ((is_word(s, f, v, NF_W_INCLUDE) || is_word(s, f, v, NF_W_INCLUDED) ||
             is_word(s, f, v, NF_W_INCLUDING)) &&
            v > s->ss && cues(s, f, v - 1) & (C(DESC) | C(INVEST)))
            investors_from(x, s, out, mask, after_word(s, f, v, 2), false);
        if (c & (C(LEAD) | C(INVEST)) && !(c & C(RAISE)) && !is_word(s, f, v, NF_W_LED) &&
            !is_word(s, f, v, NF_W_INVESTMENT) && !is_word(s, f, v, NF_W_STAKE) &&
            !(cues(s, f, v + 1) & C(DESC)) && /* not "investing site", "leading maker" */
            !((cues(s, f, v + 1) | cues(s, f, v + 2)) & C(TALKS))) { /* "leading the talks" */
            /* "SoftBank leads $100M investment in OYO", "Visa invests in Replit" */
            long subj = subject_of(s, f, v, 4);
            bool lead = c & C(LEAD);
            for (long sp = subj; sp >= 0; sp = prev_in_list(s, f, sp)) {
                int e = party_entity(x, s, sp);
                if (e >= 0)
                    add_investor(out, e, lead);
            }
            for (size_t k = v + 1; k < s->se && k < v + 12; k++)
                if (is_word(s, f, k, NF_W_IN) && fu->company < 0) {
                    long sp = after_word(s, f, k, 6);
                    /* "a Google spin-off": a name that modifies a noun is not the company */
                    if (sp >= 0 && (is_p(s, f, s->spans.v[sp].last + 1, '-') ||
                                    (tok(s, f,
                                         s->spans.v[sp].last + 1 < s->se ? s->spans.v[sp].last + 1
                                                                         : s->spans.v[sp].last)
                                         ->flags &
                                     NF_TOK_POSS)))
                        sp = -1;
                    int e = party_entity(x, s, sp);
                    if (e >= 0) {
                        fu->company = e;
                        add_role(out, e, NF_ROLE_FUNDRAISER);
                    }
                    break;
                }
        }
    }
}

/* Infrastructure ----------------------------------------------------------------------- */

/*
 * The asset that the words of [a, b) describe. Words inside names do not count
 * ("Constellation Energy", "Rocket Fiber") unless in_names: the last resort, when nothing
 * else in the article names an asset ("Google Fiber is coming to Huntsville").
 */
static nf_asset_t asset_of(const scratch_t *s, int f, size_t a, size_t b, bool in_names)
{
    int dc = 0, compute = 0, fab = 0, region = 0, net = 0, power = 0;
    for (size_t i = a; i < b; i++) {
        uint64_t c = cues(s, f, i);
        if (c && !in_names && (tok(s, f, i)->flags & (NF_TOK_CAP | NF_TOK_UPPER)) &&
            !s->headline[f] && span_at(s, f, i) >= 0)
            continue;
        if (c && !in_names && s->headline[f] && span_at(s, f, i) >= 0 &&
            s->spans.v[span_at(s, f, i)].type != NF_SPAN_CANDIDATE)
            continue;
        /* "compute capacity", "a supercomputer": a compute deal or cluster (EXTRACTION.md) */
        if ((c & C(COMPUTE)) &&
            ((i + 1 < b && nf_tok_is(s->text[f], tok(s, f, i + 1), "capacity")) ||
             (c & C(BUILD)))) /* "cluster", "supercomputer" */
            compute += 2;
        if (is_word(s, f, i, NF_W_DATA) &&
            (is_word(s, f, i + 1, NF_W_CENTER) || is_word(s, f, i + 1, NF_W_CENTRE) ||
             is_word(s, f, i + 1, NF_W_CENTERS) || is_word(s, f, i + 1, NF_W_CENTRES)))
            dc += 2;
        else if (c & C(DC) && !is_word(s, f, i, NF_W_CENTER) && !is_word(s, f, i, NF_W_CENTRE) &&
                 !is_word(s, f, i, NF_W_CENTERS) && !is_word(s, f, i, NF_W_CENTRES))
            dc++;
        if (c & C(COMPUTE))
            compute++;
        if (c & C(FAB) ||
            ((is_word(s, f, i, NF_W_CHIP) || is_word(s, f, i, NF_W_SEMICONDUCTOR)) &&
             (is_word(s, f, i + 1, NF_W_PLANT) || is_word(s, f, i + 1, NF_W_FACTORY) ||
              is_word(s, f, i + 1, NF_W_MANUFACTURING))))
            fab += 2;
        if ((is_word(s, f, i, NF_W_REGION) || is_word(s, f, i, NF_W_REGIONS)) && i > a &&
            (cues(s, f, i - 1) & (C(SUPPLY) | C(DC)) || is_word(s, f, i - 1, NF_W_CENTER) ||
             is_word(s, f, i - 1, NF_W_AZURE) || is_word(s, f, i - 2, NF_W_CLOUD)))
            region += 3;
        if (c & C(NETWORK))
            net++;
        if (c & C(POWER) && !(c & C(NETWORK)))
            power++;
    }
    if (power && (dc || compute) && power >= 1) {
        for (size_t i = a; i < b; i++)
            if (cues(s, f, i) & C(CONTRACT) || is_word(s, f, i, NF_W_PURCHASE) ||
                is_word(s, f, i, NF_W_RESTART) || is_word(s, f, i, NF_W_REACTOR) ||
                is_word(s, f, i, NF_W_REACTORS) || is_word(s, f, i, NF_W_NUCLEAR))
                return NF_ASSET_POWER;
    }
    if (region)
        return NF_ASSET_CLOUD_REGION;
    if (fab)
        return NF_ASSET_FAB;
    if (compute > dc)
        return NF_ASSET_COMPUTE_CLUSTER;
    if (dc)
        return NF_ASSET_DATA_CENTER;
    if (compute)
        return NF_ASSET_COMPUTE_CLUSTER;
    if (net)
        return NF_ASSET_NETWORK;
    if (power)
        return NF_ASSET_POWER;
    return NF_ASSET_NONE;
}

/* "10 GW", "500MW", "100Gb/s", "one million Nvidia GPUs": the capacity as written. */
static bool capacity_in(scratch_t *s, int f, size_t a, size_t b)
{
    static const char *const units[] = {"gw",       "mw",     "gigawatts", "gigawatt", "megawatts",
                                        "megawatt", "gbps",   "tbps",      "exaflops", "petaflops",
                                        "exaflop",  "kw",     "gpus",      "gb",       "tb",
                                        "gigabit",  "qubits", "mbps",      "gbit",     NULL};
    const char *text = s->text[f];
    for (size_t i = a; i < b; i++) {
        const nf_tok_t *t = tok(s, f, i);
        bool number = (t->flags & NF_TOK_NUM) || is_word(s, f, i, NF_W_ONE) ||
                      is_word(s, f, i, NF_W_TWO) || is_word(s, f, i, NF_W_HUNDREDS);
        if (!number)
            continue;
        /* glued: "5GW", "100Gb/s", "800G" */
        size_t j = i, end = i;
        bool found = false;
        if (t->flags & NF_TOK_NUM) {
            const char *p = text + t->start;
            size_t k = 0;
            while (k < t->len && ((p[k] >= '0' && p[k] <= '9') || p[k] == '.' || p[k] == ','))
                k++;
            if (k < t->len) {
                nf_tok_t rest = {.start = t->start + (uint32_t)k, .len = t->len - (uint32_t)k};
                for (size_t u = 0; units[u] && !found; u++)
                    found = nf_tok_is(text, &rest, units[u]);
            }
        }
        for (j = i + 1; !found && j < b && j < i + 4; j++) {
            /* "100-megawatt" */
            if (j == i + 1 && is_p(s, f, j, '-') && !(tok(s, f, j)->flags & NF_TOK_SPACE))
                continue;
            if (is_word(s, f, j, NF_W_MILLION) || is_word(s, f, j, NF_W_THOUSAND) ||
                (tok(s, f, j)->flags & NF_TOK_CAP && is_word(s, f, j + 1, NF_W_GPUS)))
                continue;
            for (size_t u = 0; units[u] && !found; u++)
                found = nf_tok_is(s->text[f], tok(s, f, j), units[u]);
            if (found)
                end = j;
            break;
        }
        if (!found)
            continue;
        if (end < i)
            end = i;
        /* "Gb/s" */
        if (is_p(s, f, end + 1, '/') && end + 2 < b && is_word(s, f, end + 2, NF_W_S))
            end += 2;
        uint32_t from = t->start, to = tok(s, f, end)->start + tok(s, f, end)->len;
        s->capacity_off = s->arena.len;
        nf_buf_append(&s->arena, text + from, to - from);
        nf_buf_append(&s->arena, "", 1);
        return true;
    }
    return false;
}

/*
 * The place of an infrastructure item: the most specific place named (a city or county
 * before a state or region, before a country, before a continent), headline first; "Huntsville,
 * Alabama" when a city comes with its state. Returns the specificity found (0: none) and writes the
 * place into the arena when it beats best.
 */
/* Records tokens [first, last] of field f as the location, as written. */
static void set_location(scratch_t *s, int f, size_t first, size_t last)
{
    uint32_t from = tok(s, f, first)->start;
    uint32_t to = tok(s, f, last)->start + tok(s, f, last)->len;
    s->location_off = s->arena.len;
    nf_buf_append(&s->arena, s->text[f] + from, to - from);
    nf_buf_append(&s->arena, "", 1);
}

static int location_in(const nf_extractor_t *x, scratch_t *s, int f, size_t a, size_t b, int best)
{
    for (size_t k = s->span_lo[f]; k < s->span_hi[f]; k++) {
        const nf_span_t *sp = &s->spans.v[k];
        /* "near Newport, Wales", "in Clay, N.Y.": an unknown town named with its region */
        if (sp->type == NF_SPAN_CANDIDATE && sp->first >= a && sp->first < b && sp->first > 0 &&
            (is_word(s, f, sp->first - 1, NF_W_IN) || is_word(s, f, sp->first - 1, NF_W_NEAR)) &&
            k + 1 < s->span_hi[f] && is_p(s, f, sp->last + 1, ',') &&
            s->spans.v[k + 1].first == sp->last + 2 && s->spans.v[k + 1].type == NF_SPAN_PLACE &&
            best < 4) {
            set_location(s, f, sp->first, s->spans.v[k + 1].last);
            return 4;
        }
        /* "a data center in Caledonia", "fiber to homes in Tidewater Region": an unknown
         * name in the locative slot right after the asset */
        if (sp->type == NF_SPAN_CANDIDATE && sp->first >= a && sp->first < b && sp->first > a + 1 &&
            best < 4 &&
            (is_word(s, f, sp->first - 1, NF_W_IN) || is_word(s, f, sp->first - 1, NF_W_NEAR)) &&
            (cues(s, f, sp->first - 2) & (C(DC) | C(FAB) | C(COMPUTE) | C(NETWORK))) &&
            !(sp->last + 1 < s->toks[f].n && (tok(s, f, sp->last + 1)->flags & NF_TOK_POSS))) {
            set_location(s, f, sp->first, sp->last);
            return 4;
        }
        if (sp->first < a || sp->first >= b || sp->type != NF_SPAN_PLACE)
            continue;
        /* "Austin-based X", "based in Boise", "headquartered in Ohio": where a company
         * sits, not where it builds */
        if ((is_p(s, f, sp->last + 1, '-') && is_xw(x, s, f, sp->last + 2, XW_BASED)) ||
            (sp->first > 1 && is_word(s, f, sp->first - 1, NF_W_IN) &&
             (is_xw(x, s, f, sp->first - 2, XW_BASED) ||
              is_xw(x, s, f, sp->first - 2, XW_HEADQUARTERED))))
            continue;
        /* "Boise, Idaho-based": the state after the city is the same address */
        if (k + 1 < s->span_hi[f] && is_p(s, f, sp->last + 1, ',') &&
            s->spans.v[k + 1].first == sp->last + 2 &&
            is_p(s, f, s->spans.v[k + 1].last + 1, '-') &&
            is_xw(x, s, f, s->spans.v[k + 1].last + 2, XW_BASED)) {
            k++;
            continue;
        }
        int rank = 4; /* a county or an unknown place */
        if (sp->gaz >= 0) {
            const nf_gaz_entry_t *g = nf_gazetteer_entry(x->gz, sp->gaz);
            /* a continent-like region ("Europe") says less than a country */
            rank = g->kind == NF_GAZ_COUNTRY                   ? 2
                   : g->kind == NF_GAZ_CITY                    ? 4
                   : g->kind == NF_GAZ_REGION && g->parent < 0 ? 1
                                                               : 3;
            /* skip a nationality-like use: "US takeover", "U.S. President Joe Biden" */
            if (g->kind == NF_GAZ_COUNTRY && !s->headline[f] && sp->last + 1 < s->toks[f].n &&
                (tok(s, f, sp->last + 1)->flags & NF_TOK_CAP) &&
                !(tok(s, f, sp->last + 1)->cues & (C(FUNC) | C(AND))))
                continue;
        }
        if (rank <= best)
            continue;
        bool with_region = k + 1 < s->span_hi[f] && is_p(s, f, sp->last + 1, ',') &&
                           s->spans.v[k + 1].first == sp->last + 2 &&
                           s->spans.v[k + 1].type == NF_SPAN_PLACE;
        set_location(s, f, sp->first, with_region ? s->spans.v[k + 1].last : sp->last);
        best = rank;
        if (best == 4)
            break;
    }
    return best;
}

/* true if the span is followed (past auxiliaries) by a verb: it is a subject */
static bool before_verb(const scratch_t *s, int f, const nf_span_t *sp)
{
    size_t n = s->toks[f].n;
    for (size_t i = sp->last + 1, k = 0; i < n && k < 6; i++, k++) {
        uint64_t c = cues(s, f, i);
        if (tok(s, f, i)->flags & NF_TOK_POSS)
            return sp->type != NF_SPAN_CANDIDATE; /* "Intel's new fab" */
        if (c & (C(VERB) | C(BUILD) | C(ANNOUNCE) | C(INVEST) | C(TO)))
            return true;
        if (is_p(s, f, i, '.') && !(tok(s, f, i)->flags & NF_TOK_SPACE))
            continue;             /* "Micron Technology Inc. announced" */
        if (is_p(s, f, i, '(')) { /* "Digital Power Optimization (DPO) has struck" */
            size_t j = i + 1;
            while (j < n && j < i + 6 && !is_p(s, f, j, ')'))
                j++;
            if (j < n && is_p(s, f, j, ')')) {
                i = j;
                continue;
            }
            return false;
        }
        if (is_p(s, f, i, ',')) {
            /* "xAI, Elon Musk's AI start-up, is set to expand": past the aside */
            size_t j = i + 1;
            while (j < n && j < i + 12 && !is_p(s, f, j, ',') && !is_p(s, f, j, '.'))
                j++;
            if (j < n && is_p(s, f, j, ',')) {
                i = j;
                continue;
            }
            return false;
        }
        if (c & C(AND)) { /* "OpenAI and Broadcom to deploy": past the other name */
            long next = span_at(s, f, i + 1);
            if (next >= 0) {
                i = s->spans.v[next].last;
                continue;
            }
        }
        if (!(c & (C(FUNC) | C(RUMOR))))
            return false;
    }
    return false;
}

/*
 * The builder or owner: the company after "built by" / "operated by", else the first
 * company that is the subject of a verb ("Micron announced ..."), else the first company.
 * Public bodies, investors and names in a "from X" slot are not operators.
 */
static int operator_in(const nf_extractor_t *x, scratch_t *s, int f, size_t a, size_t b)
{
    int fallback = -1;
    for (size_t i = a; i + 1 < b; i++)
        if (is_word(s, f, i + 1, NF_W_BY) &&
            (is_word(s, f, i, NF_W_BUILT) || is_word(s, f, i, NF_W_OPERATED) ||
             is_word(s, f, i, NF_W_DEVELOPED) || is_word(s, f, i, NF_W_RUN) ||
             is_word(s, f, i, NF_W_OWNED))) {
            long sp = object_of(s, f, i + 1, 5);
            int e = party_entity(x, s, sp);
            if (e >= 0 && !public_body(x, s, e))
                return e;
        }
    for (size_t k = s->span_lo[f]; k < s->span_hi[f]; k++) {
        nf_span_t *sp = &s->spans.v[k];
        if (sp->first < a || sp->first >= b || sp->type == NF_SPAN_PLACE ||
            sp->type == NF_SPAN_PERSON)
            continue;
        if (sp->first > a && ((cues(s, f, sp->first - 1) & (C(FROM) | C(BY))) ||
                              (sp->first > a + 1 && is_word(s, f, sp->first - 1, NF_W_THE) &&
                               (cues(s, f, sp->first - 2) & (C(FROM) | C(BY))))))
            continue; /* "funding from (the) Idaho Capital Projects Fund" */
        bool subject = before_verb(s, f, sp);
        if (sp->type == NF_SPAN_CANDIDATE && !subject && !is_p(s, f, sp->last + 1, ','))
            continue;
        int e = party_entity(x, s, (long)k);
        if (e < 0 || public_body(x, s, e))
            continue;
        const nf_gaz_entry_t *g = nf_entities_gaz(x->gz, &s->ents, e);
        if (g && g->kind == NF_GAZ_INVESTOR)
            continue;
        if (subject)
            return e;
        if (fallback < 0)
            fallback = e;
    }
    return fallback;
}

/* Sentences ------------------------------------------------------------------------------ */

typedef void (*sentence_fn)(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out,
                            unsigned mask);

static void deal_fn(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out, unsigned mask)
{
    (void)mask;
    deal_sentence(x, s, out);
}

/* Calls fn for the title's sentences, then the summary's and body's first max ones. */
static void each_sentence(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out,
                          unsigned mask, sentence_fn fn, size_t max,
                          bool (*done)(const nf_extraction_t *))
{
    for (int f = 0; f < NF_TEXT__CNT; f++) {
        size_t n = s->toks[f].n, count = 0;
        for (size_t a = 0; a < n && count < (f == NF_TEXT_TITLE ? 8 : max); count++) {
            size_t b = a + 1;
            while (b < n && !(tok(s, f, b)->flags & NF_TOK_SENT))
                b++;
            s->f = f;
            s->ss = a;
            /* a run-on "sentence" (no full stops in a huge body) is read in part */
            s->se = b - a > MAX_SENTENCE ? a + MAX_SENTENCE : b;
            fn(x, s, out, mask);
            a = b;
            if (done && done(out))
                return;
        }
        if (f == NF_TEXT_TITLE && done && done(out))
            return;
    }
}

static bool deal_done(const nf_extraction_t *out)
{
    return out->deal.parties_n >= 2;
}

/* Amounts ----------------------------------------------------------------------------- */

static double absd(double v)
{
    return v < 0 ? -v : v;
}

static int find_amount(const nf_extraction_t *out, const char *cur, double value)
{
    for (size_t i = 0; i < out->amounts_n; i++) {
        const nf_amount_t *a = &out->amounts[i];
        if (strcmp(a->currency, cur) != 0)
            continue;
        if (absd(a->value - value) <= 0.005 * absd(value) ||
            (a->value_high > 0 && absd(a->value_high - value) <= 0.005 * absd(value)))
            return (int)i;
    }
    return -1;
}

static void collect_amounts(scratch_t *s, nf_extraction_t *out)
{
    for (int f = 0; f < NF_TEXT__CNT; f++) {
        for (size_t k = 0; k < s->money_n[f]; k++) {
            const nf_money_t *m = &s->money[f][k];
            int idx = find_amount(out, m->currency, m->value);
            if (idx >= 0) {
                s->money_amount[f][k] = idx;
                if (m->confidence > s->amount_conf[idx]) {
                    out->amounts[idx].kind = m->kind;
                    s->amount_conf[idx] = m->confidence;
                }
                continue;
            }
            if (out->amounts_n == NF_EXTRACT_MAX_AMOUNTS) {
                s->money_amount[f][k] = -1;
                continue;
            }
            idx = (int)out->amounts_n++;
            s->money_amount[f][k] = idx;
            nf_amount_t *a = &out->amounts[idx];
            memset(a, 0, sizeof(*a));
            memcpy(a->currency, m->currency, 3);
            a->value = m->value;
            a->value_high = m->value_high;
            a->kind = m->kind;
            a->field = (nf_text_field_t)f;
            a->start = tok(s, f, m->first)->start;
            a->end = tok(s, f, m->last)->start + tok(s, f, m->last)->len;
            s->amount_conf[idx] = m->confidence;
            s->amount_text_off[idx] = s->arena.len;
            nf_buf_append(&s->arena, s->text[f] + a->start, a->end - a->start);
            nf_buf_append(&s->arena, "", 1);
        }
    }
}

static int first_amount(const nf_extraction_t *out, nf_amount_kind_t kind)
{
    for (size_t i = 0; i < out->amounts_n; i++)
        if (out->amounts[i].kind == kind)
            return (int)i;
    return -1;
}

/* Details --------------------------------------------------------------------------------- */

/*
 * When no pattern names the parties, a headline whose subject is a list of companies
 * ("OpenAI and Broadcom to deploy ...") or that pairs its subject with another company
 * ("... with Oracle") reports them as partners.
 */
static void partner_fallback(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out)
{
    int f = NF_TEXT_TITLE;
    long first = -1, other = -1;
    size_t with = 0;
    if (!s->toks[f].n)
        return;
    s->f = f;
    s->ss = 0;
    s->se = s->toks[f].n;
    /* a headline about buying or selling that no frame read names no partners, only a
     * customer "with new customer Y" */
    uint64_t all = 0;
    bool customer = false;
    for (size_t i = 0; i < s->se; i++)
        if (span_at(s, f, i) < 0) {
            all |= cues(s, f, i);
            long y = (cues(s, f, i) & C(CUSTOMER)) ? span_at(s, f, i + 1) : -1;
            customer |= y >= 0 && s->spans.v[y].first == i + 1;
        }
    bool sale =
        (all & (C(ACQUIRE) | C(SELL))) && !(all & (C(PARTNER) | C(JV) | C(CONTRACT) | C(MERGE)));
    if (sale && !customer)
        return;
    for (size_t k = s->span_lo[f]; k < s->span_hi[f]; k++)
        if (party_entity(x, s, (long)k) >= 0) {
            first = (long)k;
            break;
        }
    if (first < 0)
        return;
    other = next_in_list(s, f, first);
    /* "with Y", "alongside Y", "with new Middle Eastern customer Y" */
    for (size_t i = s->spans.v[first].last + 1; other < 0 && i < s->se; i++)
        if (cues(s, f, i) & C(WITH)) {
            other = after_word(s, f, i, 3);
            long far = other < 0 ? after_word(s, f, i, 4) : -1;
            if (far >= 0 && (cues(s, f, s->spans.v[far].first - 1) & C(CUSTOMER)))
                other = far;
            with = i;
        }
    int a = party_entity(x, s, first), b = party_entity(x, s, other);
    /* "alongside State of Indiana and Purdue University": a place is no party, the next
     * listed name is */
    if (b < 0 && other >= 0 && s->spans.v[other].type == NF_SPAN_PLACE &&
        (other = next_in_list(s, f, other)) >= 0)
        b = party_entity(x, s, other);
    if (a >= 0 && b >= 0 && a != b) {
        size_t of = s->spans.v[other].first;
        if (of > 0 && (cues(s, f, of - 1) & C(CUSTOMER))) {
            /* "... with new customer Y": the subject supplies Y, also when it sells and
             * leases back ("Executes Sale and Leaseback Transaction with Customer Y") */
            add_party(out, a, NF_ROLE_SUPPLIER);
            add_party(out, b, NF_ROLE_CUSTOMER);
            set_deal_kind(s, out, NF_DEAL_CONTRACT, 1);
            return;
        }
    }
    if (sale)
        return;
    if (a >= 0 && b >= 0 && a != b) {
        add_party(out, a, NF_ROLE_PARTNER);
        add_party(out, b, NF_ROLE_PARTNER);
        add_rest(x, s, out, other, NF_ROLE_PARTNER); /* "A, B, C and D to build ..." */
        set_deal_kind(s, out, NF_DEAL_PARTNERSHIP, 1);
        return;
    }
    /* "A gas giant signed a $1B deal with Y": the one name, after "deal with", is a partner */
    size_t at = s->spans.v[first].first;
    if (other < 0 && b < 0 && with == 0 && at >= 2 && (cues(s, f, at - 1) & C(WITH)) &&
        (cues(s, f, at - 2) & (C(CONTRACT) | C(PARTNER))) && next_in_list(s, f, first) < 0) {
        add_party(out, a, NF_ROLE_PARTNER);
        set_deal_kind(s, out, NF_DEAL_PARTNERSHIP, 1);
    }
}

/* Sentences of a field the passes below read: as many as the deal frames read, and one. */
#define LEAD_SENTENCES 4

/* End (token index) of the first `sentences` sentences of field f. */
static size_t lead_end(const scratch_t *s, int f, size_t sentences)
{
    size_t n = s->toks[f].n, i = 1;
    for (; i < n; i++)
        if ((tok(s, f, i)->flags & NF_TOK_SENT) && --sentences == 0)
            break;
    return i < n ? i : n;
}

/*
 * "Y, which/who (now, currently) owns X": when X is the deal's target and no seller is
 * named, its owner sells ("SoftBank, who currently owns Arm, is still optimistic that the
 * sale will go through").
 */
static void owner_sells(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out)
{
    bool target = false;
    for (size_t i = 0; i < out->deal.parties_n; i++) {
        if (out->deal.parties[i].role == NF_ROLE_SELLER)
            return;
        target |= out->deal.parties[i].role == NF_ROLE_TARGET;
    }
    if (!target)
        return;
    for (int f = 0; f < NF_TEXT__CNT; f++) {
        size_t n = lead_end(s, f, LEAD_SENTENCES);
        s->f = f;
        for (size_t v = 3; v + 1 < n; v++) {
            if (!is_xw(x, s, f, v, XW_OWNS))
                continue;
            size_t w = v - 1;
            if (w > 2 && (is_xw(x, s, f, w, XW_NOW) || is_xw(x, s, f, w, XW_CURRENTLY)))
                w--;
            if (!(is_xw(x, s, f, w, XW_WHICH) || is_xw(x, s, f, w, XW_WHO)) ||
                !is_p(s, f, w - 1, ','))
                continue;
            long owner = span_at(s, f, w - 2), owned = span_at(s, f, v + 1);
            if (owner < 0 || owned < 0 || s->spans.v[owned].first != v + 1)
                continue;
            /* the owned name must already be the target: no entity is made to find out */
            int et = nf_entities_find(x->gz, s->text[f], &s->toks[f], &s->ents, &s->spans.v[owned]);
            for (size_t i = 0; et >= 0 && i < out->deal.parties_n; i++)
                if (out->deal.parties[i].entity == et &&
                    out->deal.parties[i].role == NF_ROLE_TARGET) {
                    int eo = party_entity(x, s, owner);
                    if (eo >= 0 && eo != et)
                        add_party(out, eo, NF_ROLE_SELLER);
                    return;
                }
        }
    }
}

/*
 * "X and Y are among the participating investors" under a headline "Z raised $160
 * million": an investment in Z that no frame read, since the investors have a sentence of
 * their own. Read only when no party was found.
 */
static void investors_among(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out)
{
    size_t found = 0;
    for (int f = 0; f < NF_TEXT__CNT; f++) {
        size_t n = lead_end(s, f, LEAD_SENTENCES), start = 0;
        s->f = f;
        for (size_t v = 1; v + 1 < n; v++) {
            if (tok(s, f, v)->flags & NF_TOK_SENT)
                start = v;
            if (!is_xw(x, s, f, v, XW_AMONG))
                continue;
            size_t k = v + 1;
            while (k < n && k < v + 4 && !is_word(s, f, k, NF_W_INVESTORS) &&
                   !is_word(s, f, k, NF_W_BACKERS) && span_at(s, f, k) < 0)
                k++;
            if (k >= n || !(is_word(s, f, k, NF_W_INVESTORS) || is_word(s, f, k, NF_W_BACKERS)))
                continue;
            s->ss = start;
            s->se = n;
            for (long sp = subject_of(s, f, v, 3); sp >= 0; sp = prev_in_list(s, f, sp)) {
                /* "Pension funds are among ...": a capitalised first word is no name */
                const nf_span_t *span = &s->spans.v[sp];
                if (span->type == NF_SPAN_CANDIDATE &&
                    (tok(s, f, span->first)->flags & NF_TOK_SENT))
                    continue;
                int e = party_entity(x, s, sp);
                found += e >= 0 && !deal_has(out, e);
                add_party(out, e, NF_ROLE_INVESTOR);
            }
        }
    }
    if (!found)
        return;
    set_deal_kind(s, out, NF_DEAL_INVESTMENT, 1);
    int f = NF_TEXT_TITLE;
    s->f = f;
    s->ss = 0;
    s->se = s->toks[f].n;
    for (size_t v = 1; v < s->se; v++)
        if ((cues(s, f, v) & C(RAISE)) && (cues(s, f, v) & C(VERB))) {
            int e = party_entity(x, s, subject_of(s, f, v, 6));
            if (e >= 0 && !deal_has(out, e))
                add_party(out, e, NF_ROLE_TARGET);
            return;
        }
}

/* A wire headline in capitals ("ACME CORP TO ACQUIRE WIDGET UNIT"): names cannot be told
 * from lexicon words in it. */
static bool all_caps_title(const scratch_t *s)
{
    size_t words = 0, upper = 0;
    for (size_t i = 0; i < s->toks[NF_TEXT_TITLE].n; i++) {
        const nf_tok_t *t = tok(s, NF_TEXT_TITLE, i);
        if (!(t->flags & NF_TOK_WORD) || t->len < 2)
            continue;
        words++;
        upper += (t->flags & NF_TOK_UPPER) != 0;
    }
    return words >= 3 && upper * 10 >= words * 9;
}

static void fill_deal(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out)
{
    s->deal_rank = 0;
    out->deal.kind = NF_DEAL_OTHER;
    s->caps_title = all_caps_title(s);
    /* under a headline in capitals, the body's lead sentence names the parties first */
    size_t n = s->toks[NF_TEXT_BODY].n;
    if (n && s->caps_title) {
        s->f = NF_TEXT_BODY;
        s->ss = 0;
        for (s->se = 1; s->se < n && s->se < MAX_SENTENCE &&
                        !(tok(s, NF_TEXT_BODY, s->se)->flags & NF_TOK_SENT);
             s->se++)
            ;
        deal_sentence(x, s, out);
    }
    /* when it names any party, the capitals add none: they would repeat the names ("DIAGNOSTIC"
     * for Diagnostic Retrieval Systems Inc) or read a verb as one ("TO MAKE ACQUISITION") */
    size_t title_n = s->toks[NF_TEXT_TITLE].n;
    if (n && out->deal.parties_n && s->caps_title)
        s->toks[NF_TEXT_TITLE].n = 0;
    if (!deal_done(out))
        each_sentence(x, s, out, NF_EXTRACT_DEAL, deal_fn, 3, deal_done);
    s->toks[NF_TEXT_TITLE].n = title_n;
    if (!out->deal.parties_n)
        partner_fallback(x, s, out);
    else
        owner_sells(x, s, out);
    if (!out->deal.parties_n)
        investors_among(x, s, out);
    if (!out->deal.parties_n)
        s->deal_rank = 0;
    /* status from the headline, else the lead sentence */
    int f = s->toks[NF_TEXT_TITLE].n ? NF_TEXT_TITLE : NF_TEXT_BODY;
    size_t end = s->toks[f].n < 600 ? s->toks[f].n : 600;
    if (f == NF_TEXT_BODY)
        for (end = 1; end < s->toks[f].n && !(tok(s, f, end)->flags & NF_TOK_SENT); end++)
            ;
    out->deal.status = status_of(x, s, f, 0, end);
    int a = first_amount(out, NF_KIND_PRICE);
    if (a < 0)
        a = first_amount(out, NF_KIND_INVESTMENT);
    if (a < 0)
        a = first_amount(out, NF_KIND_COMMITMENT);
    out->deal.amount = a;
    if (out->deal.parties_n && s->deal_rank == 0)
        out->deal.kind = NF_DEAL_OTHER;
    out->deal.present = out->deal.parties_n > 0 || a >= 0;
    s->caps_title = false;
}

static void funding_fn(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out, unsigned mask)
{
    funding_sentence(x, s, out, mask);
}

static void fill_funding(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out, unsigned mask)
{
    nf_funding_t *fu = &out->funding;
    each_sentence(x, s, out, mask, funding_fn, 4, NULL);
    /* the round, headline first */
    s->round_off = NO_OFF;
    for (int f = 0; f < NF_TEXT__CNT && s->round_off == NO_OFF; f++)
        for (size_t i = 0; i < s->toks[f].n && i < 400; i++)
            if (round_at(s, f, i))
                break;
    fu->amount = first_amount(out, NF_KIND_ROUND_SIZE);
    if (fu->amount < 0)
        fu->amount = first_amount(out, NF_KIND_INVESTMENT);
    fu->valuation = first_amount(out, NF_KIND_VALUATION);
    /* "Luka, with $4.42 million in Series A, releases ...": the headline's subject */
    if (fu->company < 0 && fu->amount >= 0 && out->amounts[fu->amount].field == NF_TEXT_TITLE &&
        s->span_lo[NF_TEXT_TITLE] < s->span_hi[NF_TEXT_TITLE]) {
        nf_span_t *sp = &s->spans.v[s->span_lo[NF_TEXT_TITLE]];
        s->f = NF_TEXT_TITLE;
        int e = sp->first == 0 ? party_entity(x, s, (long)s->span_lo[NF_TEXT_TITLE]) : -1;
        if (e >= 0 && !public_body(x, s, e) &&
            !(out->entities[e].roles &
              ((1u << NF_ROLE_INVESTOR) | (1u << NF_ROLE_LEAD_INVESTOR)))) {
            const nf_gaz_entry_t *g = nf_entities_gaz(x->gz, &s->ents, e);
            if (!g || g->kind != NF_GAZ_INVESTOR) {
                fu->company = e;
                add_role(out, e, NF_ROLE_FUNDRAISER);
            }
        }
    }
    /* the company a deal names as the target of an investment */
    if (fu->company < 0)
        for (size_t i = 0; i < out->deal.parties_n; i++)
            if (out->deal.parties[i].role == NF_ROLE_TARGET) {
                fu->company = out->deal.parties[i].entity;
                add_role(out, fu->company, NF_ROLE_FUNDRAISER);
                break;
            }
    fu->present = fu->company >= 0 || fu->amount >= 0 || fu->valuation >= 0 ||
                  fu->investors_n > 0 || s->round_off != NO_OFF;
}

static void fill_infra(const nf_extractor_t *x, scratch_t *s, nf_extraction_t *out)
{
    nf_infra_t *in = &out->infra;
    int loc_rank = 0;
    s->location_off = s->capacity_off = NO_OFF;
    for (int f = 0; f < NF_TEXT__CNT; f++) {
        size_t n = s->toks[f].n;
        size_t lim = n < 600 ? n : 600;
        if (in->asset == NF_ASSET_NONE)
            in->asset = asset_of(s, f, 0, lim, false);
        if (loc_rank < 4)
            loc_rank = location_in(x, s, f, 0, lim, loc_rank);
        if (s->capacity_off == NO_OFF)
            capacity_in(s, f, 0, lim);
        if (in->operator_ < 0) {
            s->ss = 0;
            s->se = lim;
            in->operator_ = operator_in(x, s, f, 0, lim);
        }
    }
    /* a compute or capacity contract is run by its supplier */
    for (size_t i = 0; i < out->deal.parties_n; i++)
        if (out->deal.parties[i].role == NF_ROLE_SUPPLIER &&
            (in->asset == NF_ASSET_COMPUTE_CLUSTER || in->asset == NF_ASSET_DATA_CENTER ||
             in->asset == NF_ASSET_POWER))
            in->operator_ = out->deal.parties[i].entity;
    if (in->operator_ >= 0)
        add_role(out, in->operator_, NF_ROLE_OPERATOR);
    in->amount = first_amount(out, NF_KIND_CAPEX);
    if (in->amount < 0)
        in->amount = first_amount(out, NF_KIND_COMMITMENT);
    /* EXTRACTION.md: the build, purchase, contract or loan amount for the asset */
    if (in->amount < 0)
        in->amount = first_amount(out, NF_KIND_PRICE);
    if (in->amount < 0)
        in->amount = first_amount(out, NF_KIND_INVESTMENT);
    for (int f = 0; f < NF_TEXT__CNT && in->asset == NF_ASSET_NONE; f++)
        in->asset = asset_of(s, f, 0, s->toks[f].n < 600 ? s->toks[f].n : 600, true);
    if (in->asset == NF_ASSET_NONE)
        in->asset = NF_ASSET_OTHER;
    in->present = true;
}

/* Entry point ------------------------------------------------------------------------------ */

static void fix_pointers(scratch_t *s, nf_extraction_t *out)
{
    const char *base = s->arena.data ? s->arena.data : "";
    for (size_t i = 0; i < out->amounts_n; i++)
        out->amounts[i].text = base + s->amount_text_off[i];
    for (size_t i = 0; i < out->entities_n; i++) {
        out->entities[i].name = base + s->ents.name_off[i];
        out->entities[i].canonical =
            s->ents.canon_off[i] != NO_OFF &&
                    strcmp(base + s->ents.canon_off[i], base + s->ents.name_off[i]) != 0
                ? base + s->ents.canon_off[i]
                : NULL;
    }
    out->funding.round = s->round_off != NO_OFF ? base + s->round_off : NULL;
    out->infra.location = s->location_off != NO_OFF ? base + s->location_off : NULL;
    out->infra.capacity = s->capacity_off != NO_OFF ? base + s->capacity_off : NULL;
}

int nf_extract(const nf_extractor_t *x, const nf_article_t *article, unsigned mask,
               nf_extraction_t *out)
{
    return nf_extract_tokens(x, article, NULL, mask, out);
}

int nf_extract_tokens(const nf_extractor_t *x, const nf_article_t *article, nf_toks_t *toks,
                      unsigned mask, nf_extraction_t *out)
{
    if (!x || !article || !out)
        return NF_EINVAL;
    if (!out->scratch) {
        out->scratch = calloc(1, sizeof(*out->scratch));
        if (!out->scratch)
            return NF_ENOMEM;
    }
    scratch_t *s = out->scratch;
    nf_extraction_clear(out);
    s->round_off = s->location_off = s->capacity_off = NO_OFF;
    s->ents.out = out;
    s->ents.arena = &s->arena;
    s->text[NF_TEXT_TITLE] = article->title;
    /* a summary is read only when there is no body: it usually repeats the lead */
    s->text[NF_TEXT_SUMMARY] = article->body && *article->body ? NULL : article->summary;
    s->text[NF_TEXT_BODY] = article->body;
    for (int f = 0; f < NF_TEXT__CNT; f++) {
        const char *text = s->text[f];
        s->span_lo[f] = s->span_hi[f] = s->spans.n;
        if (!text || !*text)
            continue;
        if (toks) { /* the caller's tokens, taken in exchange for ours: no copy */
            nf_toks_t mine = s->toks[f];
            s->toks[f] = toks[f];
            toks[f] = mine;
        } else if (nf_tokenise(text, strlen(text), x->lex, &s->toks[f]) != 0) {
            goto oom;
        }
        s->headline[f] = nf_entities_title_case(text, &s->toks[f]);
        if (nf_entities_scan(x->gz, (nf_text_field_t)f, text, &s->toks[f], &s->ents, &s->spans) !=
            0)
            goto oom;
        s->span_hi[f] = s->spans.n;
        s->money_n[f] =
            nf_amounts_find(text, &s->toks[f], mask, s->money[f], NF_EXTRACT_MAX_AMOUNTS);
    }
    collect_amounts(s, out);
    if (mask & NF_EXTRACT_DEAL)
        fill_deal(x, s, out);
    if (mask & NF_EXTRACT_FUNDING)
        fill_funding(x, s, out, mask);
    if (mask & NF_EXTRACT_INFRA)
        fill_infra(x, s, out);
    if (s->arena.oom)
        goto oom;
    fix_pointers(s, out);
    return 0;
oom:
    nf_extraction_clear(out);
    return NF_ENOMEM;
}

/* Encoding ------------------------------------------------------------------------------ */

/* appends a string literal (only a literal compiles) */
#define PUTS(b, lit) nf_buf_append(b, "" lit, sizeof(lit) - 1)

static void puts_str(nf_buf_t *b, const char *str)
{
    nf_buf_append(b, str, strlen(str));
}

/* An integral amount prints as the integer ("%.0f" without printf); others as %.15g. */
static void put_number(nf_buf_t *b, double v)
{
    if (v != v || v > 1e300 || v < -1e300)
        v = 0;
    if (absd(v) < 1e18 && v == (double)(long long)v && (v != 0 || !signbit(v)))
        nf_buf_put_i64(b, (long long)v);
    else
        nf_buf_printf(b, "%.15g", v);
}

static void put_money(nf_buf_t *b, const nf_amount_t *a)
{
    PUTS(b, "{\"value\":");
    put_number(b, a->value);
    if (a->value_high > 0) {
        PUTS(b, ",\"value_high\":");
        put_number(b, a->value_high);
    }
    PUTS(b, ",\"currency\":");
    nf_json_string(b, a->currency);
    PUTS(b, "}");
}

static void put_names(nf_buf_t *b, const nf_extraction_t *ex, const int *ents, size_t n)
{
    PUTS(b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            PUTS(b, ",");
        nf_json_string(b, ex->entities[ents[i]].name);
    }
    PUTS(b, "]");
}

void nf_extraction_encode(const nf_extraction_t *ex, nf_buf_t *b)
{
    PUTS(b, ",\"entities\":[");
    for (size_t i = 0; i < ex->entities_n; i++) {
        const nf_entity_t *e = &ex->entities[i];
        if (i)
            PUTS(b, ",{\"name\":");
        else
            PUTS(b, "{\"name\":");
        nf_json_string(b, e->name);
        if (e->canonical) {
            PUTS(b, ",\"canonical\":");
            nf_json_string(b, e->canonical);
        }
        PUTS(b, ",\"type\":\"");
        puts_str(b, nf_entity_type_name(e->type));
        PUTS(b, "\",\"roles\":[");
        bool first = true;
        for (int r = 0; r < NF_ROLE__CNT; r++)
            if (e->roles & (1u << r)) {
                if (!first)
                    PUTS(b, ",");
                PUTS(b, "\"");
                puts_str(b, ROLE_NAMES[r]);
                PUTS(b, "\"");
                first = false;
            }
        PUTS(b, "],\"mentions\":");
        nf_buf_put_u64(b, e->mentions);
        PUTS(b, "}");
    }
    PUTS(b, "],\"amounts\":[");
    for (size_t i = 0; i < ex->amounts_n; i++) {
        const nf_amount_t *a = &ex->amounts[i];
        if (i)
            PUTS(b, ",{\"text\":");
        else
            PUTS(b, "{\"text\":");
        nf_json_string(b, a->text);
        PUTS(b, ",\"value\":");
        put_number(b, a->value);
        if (a->value_high > 0) {
            PUTS(b, ",\"value_high\":");
            put_number(b, a->value_high);
        }
        PUTS(b, ",\"currency\":\"");
        puts_str(b, a->currency);
        PUTS(b, "\",\"kind\":\"");
        puts_str(b, nf_amount_kind_name(a->kind));
        PUTS(b, "\",\"field\":\"");
        puts_str(b, FIELD_NAMES[a->field]);
        PUTS(b, "\",\"start\":");
        nf_buf_put_u64(b, a->start);
        PUTS(b, ",\"end\":");
        nf_buf_put_u64(b, a->end);
        PUTS(b, "}");
    }
    PUTS(b, "]");
    if (ex->deal.present) {
        const nf_deal_t *d = &ex->deal;
        PUTS(b, ",\"deal\":{\"kind\":\"");
        puts_str(b, nf_deal_kind_name(d->kind));
        PUTS(b, "\",\"parties\":[");
        for (size_t i = 0; i < d->parties_n; i++) {
            if (i)
                PUTS(b, ",{\"name\":");
            else
                PUTS(b, "{\"name\":");
            nf_json_string(b, ex->entities[d->parties[i].entity].name);
            PUTS(b, ",\"role\":\"");
            puts_str(b, nf_role_name(d->parties[i].role));
            PUTS(b, "\"}");
        }
        PUTS(b, "]");
        if (d->amount >= 0) {
            PUTS(b, ",\"amount\":");
            put_money(b, &ex->amounts[d->amount]);
        }
        if (d->status != NF_STATUS_NONE) {
            PUTS(b, ",\"status\":\"");
            puts_str(b, nf_deal_status_name(d->status));
            PUTS(b, "\"");
        }
        PUTS(b, "}");
    }
    if (ex->funding.present) {
        const nf_funding_t *fu = &ex->funding;
        bool sep = false;
        PUTS(b, ",\"funding\":{");
        if (fu->company >= 0) {
            PUTS(b, "\"company\":");
            nf_json_string(b, ex->entities[fu->company].name);
            sep = true;
        }
        if (fu->round) {
            if (sep)
                PUTS(b, ",");
            PUTS(b, "\"round\":");
            nf_json_string(b, fu->round);
            sep = true;
        }
        if (fu->amount >= 0) {
            if (sep)
                PUTS(b, ",");
            PUTS(b, "\"amount\":");
            put_money(b, &ex->amounts[fu->amount]);
            sep = true;
        }
        if (fu->valuation >= 0) {
            if (sep)
                PUTS(b, ",");
            PUTS(b, "\"valuation\":");
            put_money(b, &ex->amounts[fu->valuation]);
            sep = true;
        }
        if (sep)
            PUTS(b, ",");
        PUTS(b, "\"investors\":");
        put_names(b, ex, fu->investors, fu->investors_n);
        PUTS(b, ",\"lead_investors\":");
        put_names(b, ex, fu->leads, fu->leads_n);
        PUTS(b, "}");
    }
    if (ex->infra.present) {
        const nf_infra_t *in = &ex->infra;
        PUTS(b, ",\"infrastructure\":{\"asset\":\"");
        puts_str(b, nf_asset_name(in->asset));
        PUTS(b, "\"");
        if (in->operator_ >= 0) {
            PUTS(b, ",\"operator\":");
            nf_json_string(b, ex->entities[in->operator_].name);
        }
        if (in->location) {
            PUTS(b, ",\"location\":");
            nf_json_string(b, in->location);
        }
        if (in->amount >= 0) {
            PUTS(b, ",\"amount\":");
            put_money(b, &ex->amounts[in->amount]);
        }
        if (in->capacity) {
            PUTS(b, ",\"capacity\":");
            nf_json_string(b, in->capacity);
        }
        PUTS(b, "}");
    }
}
