/*
 * entities: names in a tokenised field, and the article's entity table.
 *
 * The scan walks the tokens once. At a capitalised token it first tries the gazetteer
 * (longest match, walking on while the key is a prefix of a longer name), then a person
 * title ("CEO", "chief executive"), then collects the capitalised run that starts there.
 * In a headline written in Title Case or in capitals, capitalisation says nothing, so a
 * run also stops at any word the lexicon knows (verbs, descriptors like "startup",
 * function words) and at an unknown word that its shape and the object after it show to be
 * a verb ("CDB Aviation Executes Lease ..."); in running text only a sentence-initial
 * function word (or an article after a colon) is dropped.
 * A run is cut where a gazetteer name starts inside it, so "Cannabis Company Cresco
 * Labs" yields "Cresco Labs" as its own span.
 */
#include "entities.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

#define C(x) NF_CUE(NF_CUE_##x)

/* Words that end a capitalised run in a headline: every lexicon class but places. */
static const uint64_t HEADLINE_BREAK =
    C(VALUATION) | C(ROUND) | C(INVEST) | C(REVENUE) | C(PRICE) | C(OTHERMONEY) | C(ACQUIRE) |
    C(SELL) | C(MERGE) | C(PARTNER) | C(CONTRACT) | C(RAISE) | C(STAKE) | C(LEAD) | C(TALKS) |
    C(RUMOR) | C(COMPLETE) | C(TERMINATE) | C(BLOCK) | C(PENDING) | C(ANNOUNCE) | C(FUNC) |
    C(DESC) | C(FROM) | C(BY) | C(WITH) | C(IN) | C(TO) | C(FOR) | C(AND) | C(AT) | C(OF) |
    C(VERB) | C(BUILD) | C(DC) | C(COMPUTE) | C(FAB) | C(NETWORK) | C(POWER) | C(SUPPLY) |
    C(COMMIT) | C(GOV) | C(CUSTOMER) | C(REGION) | C(JV);

static bool is_punct(const char *text, const nf_tok_t *t, char c);

bool nf_entities_title_case(const char *text, const nf_toks_t *toks)
{
    size_t words = 0, caps = 0;
    int depth = 0;
    for (size_t i = 1; i < toks->n; i++) {
        const nf_tok_t *t = &toks->v[i];
        /* an aside in brackets is not headline case: "Fin (formerly Intercom)" */
        if (is_punct(text, t, '(') || is_punct(text, t, ')')) {
            depth += is_punct(text, t, '(') ? 1 : (depth > 0 ? -1 : 0);
            continue;
        }
        /* a hashtag is no headline word: "... With VMware Acquisition. #markets #finance" */
        if (is_punct(text, &toks->v[i - 1], '#') && !(t->flags & NF_TOK_SPACE))
            continue;
        /* a capitalised three-letter word counts ("to Acquire Fin"), a lower-case one
         * ("for", "and") or an acronym does not */
        bool short_cap = t->len == 3 && (t->flags & NF_TOK_CAP) && !(t->flags & NF_TOK_UPPER);
        if (depth > 0 || !(t->flags & NF_TOK_WORD) || (t->len < 4 && !short_cap) ||
            (t->flags & NF_TOK_POSS))
            continue;
        words++;
        if (t->flags & (NF_TOK_CAP | NF_TOK_UPPER))
            caps++;
        if (words >= 40)
            break;
    }
    return words >= 2 && caps * 4 >= words * 3;
}

static bool is_punct(const char *text, const nf_tok_t *t, char c)
{
    return (t->flags & NF_TOK_PUNCT) && t->len == 1 && text[t->start] == c;
}

static bool all_upper_letters(const char *text, const nf_tok_t *t)
{
    if (!(t->flags & NF_TOK_WORD) || t->len > 6)
        return false;
    for (uint32_t i = 0; i < t->len; i++) {
        char c = text[t->start + i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'))
            return false;
    }
    return true;
}

static int spans_push(nf_spans_t *spans, uint32_t first, uint32_t last, int type, int field,
                      int32_t gaz)
{
    if (spans->n == spans->cap) {
        size_t cap = spans->cap ? spans->cap * 2 : 64;
        nf_span_t *v = realloc(spans->v, cap * sizeof(*v));
        if (!v)
            return NF_ENOMEM;
        spans->v = v;
        spans->cap = cap;
    }
    nf_span_t *s = &spans->v[spans->n++];
    s->first = first;
    s->last = last;
    s->type = (uint8_t)type;
    s->field = (uint8_t)field;
    s->gaz = gaz;
    s->entity = -1;
    s->ticker = 0;
    return 0;
}

/* Key of a span's words for merging mentions: lower-cased, suffixes left out. */
static uint64_t span_key(const nf_gazetteer_t *gz, const char *text, const nf_toks_t *toks,
                         const nf_span_t *s)
{
    uint64_t key = 0;
    size_t words = 0;
    for (uint32_t i = s->first; i <= s->last; i++) {
        const nf_tok_t *t = &toks->v[i];
        if (t->flags & NF_TOK_PUNCT)
            continue;
        if (i > s->first && nf_gazetteer_suffix(gz, t->hash))
            continue;
        key = nf_tok_chain(key, t->hash);
        words++;
    }
    (void)text;
    return words ? key : 1;
}

const nf_gaz_entry_t *nf_entities_gaz(const nf_gazetteer_t *gz, const nf_ents_t *ents, int entity)
{
    if (entity < 0 || ents->gaz[entity] < 0)
        return NULL;
    return nf_gazetteer_entry(gz, ents->gaz[entity]);
}

static nf_entity_type_t type_of_span(const nf_gazetteer_t *gz, const nf_span_t *s)
{
    if (s->type == NF_SPAN_PERSON)
        return NF_ENTITY_PERSON;
    if (s->type == NF_SPAN_PLACE)
        return NF_ENTITY_LOCATION;
    if (s->gaz >= 0) {
        const nf_gaz_entry_t *e = nf_gazetteer_entry(gz, s->gaz);
        if (e && e->kind >= NF_GAZ_COUNTRY)
            return NF_ENTITY_LOCATION;
    }
    return NF_ENTITY_ORGANIZATION;
}

/* Whether the first n bytes of str (up to its NUL) hold a lower-case ASCII letter. */
static bool has_lower(const char *str, size_t n)
{
    for (size_t i = 0; i < n && str[i]; i++)
        if (str[i] >= 'a' && str[i] <= 'z')
            return true;
    return false;
}

int nf_entities_find(const nf_gazetteer_t *gz, const char *text, const nf_toks_t *toks,
                     const nf_ents_t *ents, const nf_span_t *s)
{
    if (s->entity >= 0)
        return s->entity;
    uint64_t key =
        s->gaz >= 0 ? (0x8000000000000000ull | (uint64_t)s->gaz) : span_key(gz, text, toks, s);
    for (size_t e = 0; e < ents->out->entities_n; e++)
        if (ents->norm[e] == key)
            return (int)e;
    return -1;
}

int nf_entities_of_span(const nf_gazetteer_t *gz, const char *text, const nf_toks_t *toks,
                        nf_ents_t *ents, nf_span_t *s)
{
    nf_extraction_t *out = ents->out;
    if (s->entity >= 0)
        return s->entity;
    uint64_t key =
        s->gaz >= 0 ? (0x8000000000000000ull | (uint64_t)s->gaz) : span_key(gz, text, toks, s);
    for (size_t e = 0; e < out->entities_n; e++) {
        if (ents->norm[e] == key) {
            s->entity = (int32_t)e;
            out->entities[e].mentions++;
            uint32_t a = toks->v[s->first].start;
            uint32_t b = toks->v[s->last].start + toks->v[s->last].len;
            /* a name first seen in a headline in capitals ("TALBOT SYSTEMS") is reported as
             * the text writes it in mixed case ("Talbot Systems Inc") */
            if (s->gaz < 0 && !has_lower(ents->arena->data + ents->name_off[e], SIZE_MAX) &&
                has_lower(text + a, b - a)) {
                ents->name_off[e] = ents->arena->len;
                nf_buf_append(ents->arena, text + a, b - a);
                nf_buf_append(ents->arena, "", 1);
            }
            return s->entity;
        }
    }
    if (out->entities_n == NF_EXTRACT_MAX_ENTITIES)
        return -1;
    size_t e = out->entities_n++;
    nf_entity_t *ent = &out->entities[e];
    memset(ent, 0, sizeof(*ent));
    ent->type = type_of_span(gz, s);
    ent->mentions = 1;
    ents->gaz[e] = s->gaz;
    ents->norm[e] = key;
    ents->first_field[e] = s->field;
    ents->first_tok[e] = s->first;
    /* the name as written (what a reader and the annotators see), the canonical beside it */
    ents->name_off[e] = ents->arena->len;
    if (s->gaz >= 0 && s->ticker) {
        nf_buf_puts(ents->arena, nf_gazetteer_entry(gz, s->gaz)->name);
    } else {
        uint32_t a = toks->v[s->first].start;
        uint32_t b = toks->v[s->last].start + toks->v[s->last].len;
        nf_buf_append(ents->arena, text + a, b - a);
    }
    nf_buf_append(ents->arena, "", 1); /* keep the NUL inside the arena */
    ents->canon_off[e] = (size_t)-1;
    if (s->gaz >= 0) {
        ents->canon_off[e] = ents->arena->len;
        nf_buf_puts(ents->arena, nf_gazetteer_entry(gz, s->gaz)->name);
        nf_buf_append(ents->arena, "", 1);
    }
    s->entity = (int32_t)e;
    return s->entity;
}

/* Longest gazetteer name starting at token i: returns its last token or -1. */
static long gaz_match(const nf_gazetteer_t *gz, const char *text, const nf_toks_t *toks, size_t i,
                      int32_t *entry, bool *weak)
{
    uint64_t key = 0;
    long best = -1;
    if (i >= toks->n || !nf_gazetteer_may_start(gz, toks->v[i].hash))
        return -1;
    for (size_t j = i, used = 0; j < toks->n && used < 10; j++) {
        const nf_tok_t *t = &toks->v[j];
        if (is_punct(text, t, '.') && j > i)
            continue;
        if (t->flags & NF_TOK_POSS)
            break;
        int32_t e = -1;
        key = nf_tok_chain(key, t->hash);
        used++;
        unsigned f = nf_gazetteer_name(gz, key, &e);
        if (!f)
            break;
        if ((f & NF_GAZ_NAME) && e >= 0) {
            best = (long)j;
            *entry = e;
            *weak = f & NF_GAZ_WEAK;
        }
        if (!(f & NF_GAZ_PREFIX))
            break;
    }
    /* a trailing '.' belongs to the sentence, not the name */
    while (best > (long)i && is_punct(text, &toks->v[best], '.'))
        best--;
    return best;
}

/* Length in tokens of a person title starting at i, 0 if none. */
static size_t title_at(const nf_gazetteer_t *gz, const nf_toks_t *toks, size_t i)
{
    uint64_t key = 0;
    size_t best = 0;
    if (i >= toks->n || !nf_gazetteer_may_start_title(gz, toks->v[i].hash))
        return 0;
    for (size_t j = i; j < toks->n && j < i + 4; j++) {
        key = nf_tok_chain(key, toks->v[j].hash);
        unsigned f = nf_gazetteer_title(gz, key);
        if (f & NF_GAZ_NAME)
            best = j - i + 1;
        if (!(f & NF_GAZ_PREFIX))
            break;
    }
    return best;
}

static bool capital(const nf_tok_t *t)
{
    return (t->flags & NF_TOK_WORD) && (t->flags & (NF_TOK_CAP | NF_TOK_UPPER)) &&
           !(t->flags & NF_TOK_POSS);
}

static int add_span(const nf_gazetteer_t *gz, const char *text, const nf_toks_t *toks,
                    nf_ents_t *ents, nf_spans_t *spans, uint32_t first, uint32_t last, int type,
                    int field, int32_t entry)
{
    if (spans_push(spans, first, last, type, field, entry) != 0)
        return NF_ENOMEM;
    nf_span_t *s = &spans->v[spans->n - 1];
    if (type != NF_SPAN_CANDIDATE) {
        nf_entities_of_span(gz, text, toks, ents, s);
    } else {
        /* a candidate that repeats a known entity is a mention of it */
        uint64_t key = span_key(gz, text, toks, s);
        for (size_t e = 0; e < ents->out->entities_n; e++)
            if (ents->norm[e] == key) {
                s->entity = (int32_t)e;
                ents->out->entities[e].mentions++;
                break;
            }
    }
    return 0;
}

/* A company named by its ticker ("<DEC>", "$BRDG"): reported under its canonical name. */
static int add_ticker(const nf_gazetteer_t *gz, const char *text, const nf_toks_t *toks,
                      nf_ents_t *ents, nf_spans_t *spans, uint32_t at, int field, int32_t entry)
{
    if (spans_push(spans, at, at, NF_SPAN_ORG, field, entry) != 0)
        return NF_ENOMEM;
    spans->v[spans->n - 1].ticker = 1;
    nf_entities_of_span(gz, text, toks, ents, &spans->v[spans->n - 1]);
    return 0;
}

/*
 * Whether a and b, either side of "and", are the initials of a wire copy name: "B and D",
 * "AT and T" (capital words of one or two letters, at least one a single letter).
 */
static bool letters_and(const nf_tok_t *a, const nf_tok_t *b)
{
    return a->len <= 2 && b->len <= 2 && (a->len == 1 || b->len == 1) &&
           (a->flags & (NF_TOK_CAP | NF_TOK_UPPER)) && (b->flags & (NF_TOK_CAP | NF_TOK_UPPER)) &&
           (a->flags & NF_TOK_WORD) && (b->flags & NF_TOK_WORD) && !(a->flags & NF_TOK_NUM) &&
           !(b->flags & NF_TOK_NUM);
}

/*
 * Whether the word at j ends in "s" and an apostrophe follows it unspaced: "Lands' End".
 * Not a company suffix ("Acme Holdings' unit") nor a lexicon word ("Investors'",
 * "Acquisitions'") unless a verb ("Lands"), since no verb takes the apostrophe.
 */
static bool plural_possessive(const nf_gazetteer_t *gz, const char *text, const nf_toks_t *toks,
                              size_t j)
{
    const nf_tok_t *w = &toks->v[j], *a = &toks->v[j + 1];
    if (!(a->flags & NF_TOK_PUNCT) || (a->flags & NF_TOK_SPACE) || !(w->flags & NF_TOK_WORD) ||
        text[w->start + w->len - 1] != 's' || (w->cues && !(w->cues & C(VERB))) ||
        (w->cues & (C(FUNC) | C(DESC) | C(GOV) | C(NATION) | C(CUSTOMER))) ||
        nf_gazetteer_suffix(gz, w->hash))
        return false;
    const char *p = text + a->start;
    return (a->len == 1 && p[0] == '\'') ||
           (a->len == 3 && (unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x80 &&
            (unsigned char)p[2] == 0x99);
}

/* Legal-form suffixes, which belong to any company's name ("Nvidia Corp"). */
static bool legal_suffix(const nf_tok_t *t)
{
    switch (t->word) {
    case NF_W_INC:
    case NF_W_CORP:
    case NF_W_LTD:
    case NF_W_CO:
    case NF_W_LLC:
    case NF_W_PLC:
    case NF_W_AG:
    case NF_W_SA:
    case NF_W_NV:
    case NF_W_SE:
    case NF_W_GMBH:
    case NF_W_HOLDINGS:
    case NF_W_GROUP:
    case NF_W_LIMITED:
    case NF_W_CORPORATION:
    case NF_W_COMPANY:
    case NF_W_INCORPORATED:
        return true;
    default:
        return false;
    }
}

/* Suffix-like words that also describe a site: "Data", "Power", "Cloud", "Fiber". */
static const uint64_t PLACE_NOUNS = C(DC) | C(POWER) | C(NETWORK) | C(BUILD) | C(COMPUTE) |
                                    C(DESC) | C(SUPPLY) | C(FAB) | C(REGION);

/* Lexicon classes of the verbs a party is the subject of ("acquires", "sells", "backs"). */
static const uint64_t DEAL_VERBS = C(ACQUIRE) | C(SELL) | C(MERGE) | C(PARTNER) | C(INVEST) |
                                   C(RAISE) | C(ANNOUNCE) | C(CONTRACT) | C(COMPLETE) |
                                   C(TERMINATE) | C(BLOCK) | C(LEAD);

/* Words that are never a name by themselves: "Dutch", "March", "Startup", "Says". */
static const uint64_t NOT_A_NAME = C(FUNC) | C(DESC) | C(VERB) | C(GOV) | C(NATION) | C(TO) |
                                   C(FROM) | C(WITH) | C(BY) | C(IN) | C(FOR) | C(AND) | C(AT) |
                                   C(OF);

/*
 * "Capital Projects Fund (CPF)": the bracketed capitals at i + 1 spell the initials of the
 * capitalised words before the bracket at i, so they define an abbreviation, not a ticker.
 */
static bool defines_abbreviation(const char *text, const nf_toks_t *toks, size_t i)
{
    const nf_tok_t *ab = &toks->v[i + 1];
    size_t len = ab->len;
    if (len < 2 || len > 6 || i < len)
        return false;
    for (size_t k = 0; k < len; k++) {
        const nf_tok_t *w = &toks->v[i - len + k];
        if (!(w->flags & NF_TOK_WORD) || !(w->flags & (NF_TOK_CAP | NF_TOK_UPPER)) ||
            (text[w->start] | 0x20) != (text[ab->start + k] | 0x20))
            return false;
    }
    return true;
}

static bool common_abbreviation(const char *text, const nf_tok_t *t)
{
    static const char *const words[] = {"SPAC", "SPACs", "IPO", "IPOs", "CEO", "CFO",
                                        "PCT",  "ETF",   "M&A", "LBO",  "PE",  "VC"};
    if (!(t->flags & NF_TOK_UPPER) || t->len > 5)
        return false;
    /* "PPA", "SMR", "GPU", "LTE": an industry term the lexicon knows */
    if (t->cues & (C(POWER) | C(NETWORK) | C(DC) | C(COMPUTE) | C(FAB) | C(DEBT)))
        return true;
    for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
        if (nf_tok_is(text, t, words[k]))
            return true;
    return false;
}

/*
 * The '>' closing a wire company marker opened at i ("<Business Aviation Inc>",
 * "<Genentech>"): one to eight capitalised words (a legal suffix, "&", "." and "," allowed)
 * with no space after '<', that the gazetteer does not name whole. A single word must be
 * mixed case: one in capitals is a ticker ("<DEC>"). 0 when there is none.
 */
static size_t marker_end(const nf_gazetteer_t *gz, const char *text, const nf_toks_t *toks,
                         size_t i)
{
    if (!is_punct(text, &toks->v[i], '<') || i + 2 >= toks->n ||
        (toks->v[i + 1].flags & NF_TOK_SPACE))
        return 0;
    size_t words = 0, k = i + 1;
    for (; k < toks->n && k < i + 12 && !is_punct(text, &toks->v[k], '>'); k++) {
        const nf_tok_t *w = &toks->v[k];
        if (w->flags & NF_TOK_WORD) {
            if (!(w->flags & (NF_TOK_CAP | NF_TOK_UPPER)) && !legal_suffix(w))
                return 0;
            words++;
        } else if (!is_punct(text, w, '.') && !is_punct(text, w, '&') && !is_punct(text, w, ',') &&
                   !is_punct(text, w, '-')) {
            return 0;
        }
    }
    if (k >= toks->n || !is_punct(text, &toks->v[k], '>') || words == 0 ||
        (words == 1 && (!(toks->v[i + 1].flags & NF_TOK_CAP) ||
                        (toks->v[i + 1].flags & NF_TOK_UPPER) || k != i + 2)))
        return 0;
    int32_t entry = -1;
    bool weak = false;
    long last = gaz_match(gz, text, toks, i + 1, &entry, &weak);
    return last >= 0 && (size_t)last + 1 >= k ? 0 : k;
}

/*
 * Whether the word t is shaped like an inflected verb: at least five letters, lower case
 * after its capital, ending in "es", "ed", "ing", or an "s" that no 's', 'u', 'i', 'a' or
 * 'o' comes before ("Executes", "Obtained", "Enters"; not "Express", "Nexus", "Genesis",
 * "Caritas", "Bros").
 */
static bool verb_shaped(const char *text, const nf_tok_t *t)
{
    if (t->len < 5 || (t->flags & (NF_TOK_UPPER | NF_TOK_POSS)) || !(t->flags & NF_TOK_WORD))
        return false;
    const char *w = text + t->start, *end = w + t->len;
    bool shape = end[-1] == 'd'   ? end[-2] == 'e'
                 : end[-1] == 'g' ? end[-2] == 'n' && end[-3] == 'i'
                                  : end[-1] == 's' && !strchr("suiao", end[-2]);
    for (uint32_t k = 1; shape && k < t->len; k++)
        shape = w[k] >= 'a' && w[k] <= 'z';
    return shape;
}

/* Lexicon classes of the nouns a deal verb takes as its object ("Sale", "Lease", "Stake"). */
static const uint64_t OBJECT_NOUNS = C(COMMIT) | C(CONTRACT) | C(SELL) | C(ACQUIRE) | C(STAKE) |
                                     C(MERGE) | C(PARTNER) | C(ROUND) | C(INVEST) | C(OTHERMONEY);

/*
 * In a Title Case headline, whether the unknown capitalised word at k inside a name's run
 * is the headline's verb: "CDB Aviation Executes Lease Agreement For ...". Capitals say
 * nothing there, so the word's shape and what follows decide: a verb-shaped word the
 * lexicon does not know, that is no company suffix, followed by what opens an object (an
 * article or "its", a number or money, "Up", or, after a word not in -ing, a deal noun
 * that is neither a verb nor a participle: "Outdoor Living Supply" stays whole). A plural
 * noun of a name is followed by the verb ("Express Scripts Completes ...") or by "to"
 * ("Applied Materials to Buy ..."), which do not cut it.
 */
static bool headline_verb(const nf_gazetteer_t *gz, const char *text, const nf_toks_t *toks,
                          size_t k)
{
    const nf_tok_t *v = &toks->v[k];
    if (k + 1 >= toks->n || v->cues || !(v->flags & NF_TOK_CAP))
        return false;
    const nf_tok_t *o = &toks->v[k + 1];
    bool object = is_punct(text, o, '$') || (o->flags & NF_TOK_NUM) || o->word == NF_W_A ||
                  o->word == NF_W_AN || o->word == NF_W_THE || o->word == NF_W_ITS ||
                  o->word == NF_W_UP;
    /* "Outdoor Living Supply": a word in -ing before a noun is more often part of the name;
     * and a participle is no object ("AmeriHealth Caritas Awarded Contract") */
    if (!object && (o->flags & NF_TOK_WORD) && (o->cues & OBJECT_NOUNS) &&
        !(o->cues & (C(VERB) | C(ANNOUNCE) | C(COMPLETE) | C(LEAD) | C(RAISE))) && o->len > 2 &&
        !(text[o->start + o->len - 2] == 'e' && text[o->start + o->len - 1] == 'd'))
        object = text[v->start + v->len - 1] != 'g';
    return object && verb_shaped(text, v) && !nf_gazetteer_suffix(gz, v->hash);
}

int nf_entities_scan(const nf_gazetteer_t *gz, nf_text_field_t field, const char *text,
                     nf_toks_t *toks, nf_ents_t *ents, nf_spans_t *spans)
{
    bool headline = nf_entities_title_case(text, toks);
    size_t n = toks->n;
    for (size_t i = 0; i < n; i++) {
        const nf_tok_t *t = &toks->v[i];
        int32_t entry = -1;
        bool weak = false;
        /* tickers: "$TMUS", "<DEC>", "(NASDAQ: MU)", "(APLD)" */
        if ((t->flags & NF_TOK_PUNCT) && i + 1 < n &&
            (is_punct(text, t, '$') || is_punct(text, t, '<') || is_punct(text, t, '(')) &&
            !(toks->v[i + 1].flags & NF_TOK_SPACE) && all_upper_letters(text, &toks->v[i + 1])) {
            bool closed =
                is_punct(text, t, '$') || (i + 2 < n && (is_punct(text, &toks->v[i + 2], '>') ||
                                                         is_punct(text, &toks->v[i + 2], ')')));
            int32_t e = closed && !(is_punct(text, t, '(') && defines_abbreviation(text, toks, i))
                            ? nf_gazetteer_ticker(gz, toks->v[i + 1].hash)
                            : -1;
            if (e >= 0) {
                if (add_ticker(gz, text, toks, ents, spans, (uint32_t)i + 1, field, e) != 0)
                    return NF_ENOMEM;
                i++;
                continue;
            }
            if (is_punct(text, t, '$')) { /* unknown cashtag: not a name */
                i++;
                continue;
            }
        }
        /* a wire company marker: "<Business Aviation Inc>", "<Edward J. DeBartolo Corp>" names
         * a company whole, descriptors and all, unless the gazetteer knows the name */
        size_t close = marker_end(gz, text, toks, i);
        if (close) {
            if (add_span(gz, text, toks, ents, spans, (uint32_t)i + 1, (uint32_t)close - 1,
                         NF_SPAN_ORG, field, -1) != 0)
                return NF_ENOMEM;
            i = close;
            continue;
        }
        if ((t->flags & NF_TOK_PUNCT) && i + 3 < n && is_punct(text, t, '(') &&
            toks->v[i + 1].flags & NF_TOK_UPPER && is_punct(text, &toks->v[i + 2], ':') &&
            all_upper_letters(text, &toks->v[i + 3])) {
            int32_t e = nf_gazetteer_ticker(gz, toks->v[i + 3].hash);
            if (e >= 0 && add_span(gz, text, toks, ents, spans, (uint32_t)i + 3, (uint32_t)i + 3,
                                   NF_SPAN_ORG, field, e) != 0)
                return NF_ENOMEM;
            i += 3;
            continue;
        }
        if (!(t->flags & (NF_TOK_WORD | NF_TOK_NUM)) || (t->flags & NF_TOK_POSS))
            continue;
        /* gazetteer */
        if (t->flags & (NF_TOK_CAP | NF_TOK_UPPER | NF_TOK_NUM)) {
            long last = gaz_match(gz, text, toks, i, &entry, &weak);
            const nf_gaz_entry_t *e = last >= 0 ? nf_gazetteer_entry(gz, entry) : NULL;
            bool ok = e != NULL;
            if (ok && weak && (headline || (t->flags & NF_TOK_SENT) || !(t->flags & NF_TOK_CAP)))
                ok = false;
            /* a weak name followed by another capitalised word is part of another name:
             * "Fox Research Inc" */
            if (ok && weak && (size_t)last + 1 < n && capital(&toks->v[last + 1]))
                ok = false;
            /* so is any name that a plain capitalised word and a legal form follow ("Fox
             * Research Inc" is not Fox) */
            if (ok && (size_t)last + 2 < n && capital(&toks->v[last + 1]) &&
                !toks->v[last + 1].cues && !nf_gazetteer_suffix(gz, toks->v[last + 1].hash) &&
                legal_suffix(&toks->v[last + 2]))
                ok = false;
            /* an all-caps match of a mixed-case name ("ARM" for Arm) only in capitals text */
            if (ok && (t->flags & NF_TOK_NUM) && last == (long)i)
                ok = false;
            if (ok) {
                size_t l = (size_t)last;
                bool other_name = false;
                /* "Nvidia Corp", "Amazon.com Inc."; but "Lumen Energy" is not Lumen Technologies */
                while (l + 1 < n && nf_gazetteer_suffix(gz, toks->v[l + 1].hash) &&
                       (toks->v[l + 1].flags & NF_TOK_CAP) && e->kind <= NF_GAZ_PUBLIC_BODY &&
                       !((toks->v[l + 1].cues & (C(PARTNER) | C(VERB))) && l + 2 < n &&
                         toks->v[l + 2].word == NF_W_WITH)) {
                    other_name |= !legal_suffix(&toks->v[l + 1]);
                    l++;
                }
                if (other_name)
                    entry = -1;
                int type = e->kind >= NF_GAZ_COUNTRY ? NF_SPAN_PLACE : NF_SPAN_ORG;
                /* "Boston Dynamics", "Durham Labs Inc": a place that a company suffix follows
                 * names a company; not "Texas Data Center" or "Ohio Power plant" */
                while (type == NF_SPAN_PLACE && !weak && l + 1 < n &&
                       nf_gazetteer_suffix(gz, toks->v[l + 1].hash) &&
                       (toks->v[l + 1].flags & NF_TOK_CAP) &&
                       !(toks->v[l + 1].cues & PLACE_NOUNS) &&
                       !(l + 2 < n && (toks->v[l + 2].cues & PLACE_NOUNS))) {
                    l++;
                    entry = -1;
                    /* the rest of the name: "Idaho Capital Projects Fund" */
                    while (l + 1 < n && capital(&toks->v[l + 1]) &&
                           (!toks->v[l + 1].cues || nf_gazetteer_suffix(gz, toks->v[l + 1].hash)) &&
                           !(toks->v[l + 1].cues & PLACE_NOUNS))
                        l++;
                }
                /* "Columbia Care", "Arizona Solar Partners": in a headline a city or state
                 * that a plain capitalised word follows starts a company's name */
                if (type == NF_SPAN_PLACE && headline && !weak && l + 1 < n &&
                    e->kind > NF_GAZ_COUNTRY && capital(&toks->v[l + 1]) && !toks->v[l + 1].cues &&
                    !(toks->v[l + 1].flags & NF_TOK_UPPER)) {
                    int32_t e2 = -1;
                    bool w2 = false;
                    if (gaz_match(gz, text, toks, l + 1, &e2, &w2) < 0) {
                        l++;
                        entry = -1;
                    }
                }
                /* "the U.S. government", "Germany's government": a country's government
                 * is a party, not a place */
                if (e->kind == NF_GAZ_COUNTRY && l + 1 < n &&
                    nf_tok_is(text, &toks->v[l + 1], "government")) {
                    l++;
                    entry = -1;
                }
                if (entry < 0 && e->kind >= NF_GAZ_COUNTRY)
                    type = NF_SPAN_ORG;
                if (add_span(gz, text, toks, ents, spans, (uint32_t)i, (uint32_t)l, type, field,
                             entry) != 0)
                    return NF_ENOMEM;
                i = l;
                continue;
            }
        }
        /* person title followed by a name: "CEO Andy Jassy" (a title is at most three
         * words, so one of the next three must be capitalised) */
        size_t tl = 0;
        if ((i + 1 < n && capital(&toks->v[i + 1])) || (i + 2 < n && capital(&toks->v[i + 2])) ||
            (i + 3 < n && capital(&toks->v[i + 3])))
            tl = title_at(gz, toks, i);
        if (tl && i + tl + 1 < n && capital(&toks->v[i + tl]) && capital(&toks->v[i + tl + 1]) &&
            !(toks->v[i + tl].cues & (C(FUNC) | C(VERB)))) {
            size_t a = i + tl, b = a + 1;
            if (b + 1 < n && capital(&toks->v[b + 1]) && !(toks->v[b + 1].cues & HEADLINE_BREAK))
                b++;
            int32_t pe = -1;
            bool pw;
            if (gaz_match(gz, text, toks, a, &pe, &pw) < 0) {
                if (add_span(gz, text, toks, ents, spans, (uint32_t)a, (uint32_t)b, NF_SPAN_PERSON,
                             field, -1) != 0)
                    return NF_ENOMEM;
                i = b;
                continue;
            }
        }
        /* a lower-case brand that a company suffix follows: "dbt Labs", "eToro Group" */
        if (!capital(t) && (t->flags & NF_TOK_WORD) && !t->cues && t->len >= 2 && i + 1 < n &&
            capital(&toks->v[i + 1]) && nf_gazetteer_suffix(gz, toks->v[i + 1].hash) &&
            !(toks->v[i + 1].cues & PLACE_NOUNS)) {
            if (add_span(gz, text, toks, ents, spans, (uint32_t)i, (uint32_t)i + 1, NF_SPAN_ORG,
                         field, -1) != 0)
                return NF_ENOMEM;
            i++;
            continue;
        }
        /* a lower-case brand opening a sentence before a deal verb: "aptihealth raises" */
        if (!capital(t) && (t->flags & NF_TOK_SENT) && (t->flags & NF_TOK_WORD) && !t->cues &&
            t->len >= 3 && i + 1 < n &&
            (toks->v[i + 1].cues & (C(RAISE) | C(ACQUIRE) | C(PARTNER) | C(SELL) | C(INVEST)))) {
            if (add_span(gz, text, toks, ents, spans, (uint32_t)i, (uint32_t)i, NF_SPAN_CANDIDATE,
                         field, -1) != 0)
                return NF_ENOMEM;
            continue;
        }
        if (!capital(t))
            continue;
        /* "the German government": a nationality and "government" name a party */
        if ((t->cues & C(NATION)) && i + 1 < n && nf_tok_is(text, &toks->v[i + 1], "government")) {
            if (add_span(gz, text, toks, ents, spans, (uint32_t)i, (uint32_t)i + 1, NF_SPAN_ORG,
                         field, -1) != 0)
                return NF_ENOMEM;
            i++;
            continue;
        }
        /* "Lands' End": no verb takes a plural possessive's apostrophe */
        bool possessive = i + 2 < n && plural_possessive(gz, text, toks, i) &&
                          capital(&toks->v[i + 2]) && !toks->v[i + 2].cues;
        /* a sentence-initial function word or descriptor ("Startup Nexaro") is not a name,
         * nor is an article after a colon ("WATCH: The German government ...", but "$FR:
         * First Industrial Realty") */
        if ((t->cues & (C(FUNC) | C(VERB) | C(DESC))) &&
            ((t->flags & NF_TOK_SENT) ||
             (i > 0 && (t->word == NF_W_THE || t->word == NF_W_A || t->word == NF_W_AN) &&
              is_punct(text, &toks->v[i - 1], ':'))) &&
            !headline && !nf_gazetteer_suffix(gz, t->hash) && !possessive)
            continue;
        /* "Led by Purchase Capital", "from Deal Partners": after "by" or "from", a
         * lexicon word that a company suffix follows starts a name */
        bool named_after = i > 0 && (toks->v[i - 1].cues & (C(BY) | C(FROM))) && i + 1 < n &&
                           capital(&toks->v[i + 1]) &&
                           nf_gazetteer_suffix(gz, toks->v[i + 1].hash) &&
                           !(toks->v[i + 1].cues & PLACE_NOUNS);
        if (headline && (t->cues & HEADLINE_BREAK) && !nf_gazetteer_suffix(gz, t->hash) &&
            !named_after && !possessive)
            continue;
        /* capitalised run */
        size_t j = i;
        while (j + 1 < n) {
            const nf_tok_t *u = &toks->v[j + 1];
            size_t k = j + 1;
            /* "Lands' End": a plural possessive opening a name */
            if (j == i && possessive) {
                j = k + 1;
                continue;
            }
            /* "Dye & Durham", "Hewlett-Packard"; wire copy's "B and D Inc", "AT and T" */
            if ((is_punct(text, u, '&') || (is_punct(text, u, '-') && !(u->flags & NF_TOK_SPACE)) ||
                 (u->word == NF_W_AND && k + 1 < n && letters_and(&toks->v[j], &toks->v[k + 1]))) &&
                k + 1 < n && capital(&toks->v[k + 1])) {
                k++;
                u = &toks->v[k];
            } else if (!capital(u)) {
                break;
            }
            /* a country inside a company's name: "Spark New Zealand" (not in a headline,
             * where capitals say nothing) */
            int32_t ec;
            bool wc;
            long cend = gaz_match(gz, text, toks, k, &ec, &wc);
            if (!headline && cend >= 0 && !wc &&
                nf_gazetteer_entry(gz, ec)->kind == NF_GAZ_COUNTRY &&
                !(u->cues & (C(IN) | C(OF) | C(FOR) | C(TO) | C(AT) | C(FROM) | C(AND)))) {
                j = (size_t)cend;
                continue;
            }
            bool suffix = nf_gazetteer_suffix(gz, u->hash);
            if (headline && headline_verb(gz, text, toks, k)) {
                /* as a verb it starts no name, and the role patterns read it as one */
                toks->v[k].cues |= C(VERB);
                break;
            }
            /* a lexicon word that a legal form follows is part of the name: "Tenby
             * Acquisition Corp", "Carver Merger Corp" */
            if (headline && (u->cues & HEADLINE_BREAK) && !suffix &&
                !(k + 1 < n && legal_suffix(&toks->v[k + 1]) && capital(&toks->v[k + 1])))
                break;
            /* "Acme Shareholders Approve ...": the holders are not part of the name */
            if (nf_tok_is(text, u, "Shareholders") || nf_tok_is(text, u, "Stockholders"))
                break;
            if (!headline && (u->cues & (C(FUNC) | C(VERB))) && !suffix &&
                !(u->flags & NF_TOK_UPPER))
                break;
            /* a known organisation starts here: end the run before it (a place does not:
             * "Spark New Zealand", nor a place joined by "&": "Dye & Durham") */
            if (!suffix && cend >= 0 && !wc && nf_gazetteer_entry(gz, ec)->kind != NF_GAZ_COUNTRY &&
                !(k == j + 2 && is_punct(text, &toks->v[j + 1], '&') &&
                  nf_gazetteer_entry(gz, ec)->kind >= NF_GAZ_COUNTRY))
                break;
            j = k;
        }
        /* "Velo3D Partners with Hartech": a verb, not a suffix */
        if (j > i && (toks->v[j].cues & (C(PARTNER) | C(VERB))) && j + 1 < n &&
            toks->v[j + 1].word == NF_W_WITH)
            j--;
        /* runs of suffixes, descriptors, nationalities or months are not names */
        bool named = false;
        for (size_t k = i; k <= j; k++)
            if ((toks->v[k].flags & NF_TOK_WORD) && !nf_gazetteer_suffix(gz, toks->v[k].hash) &&
                !(toks->v[k].cues & NOT_A_NAME))
                named = true;
        if (!named) {
            i = j;
            continue;
        }
        /* "C$20 billion", "A$5M": a currency prefix, not a name */
        if (i == j && toks->v[i].len <= 2 && i + 1 < n && is_punct(text, &toks->v[i + 1], '$') &&
            !(toks->v[i + 1].flags & NF_TOK_SPACE)) {
            continue;
        }
        /* "4.2 mln B free shares", "A shares": a lone capital letter before a lower-case
         * word is a share class, not a name; but before a verb it is ("X acquires ...") */
        if (i == j && toks->v[i].len == 1 && i + 1 < n && (toks->v[i + 1].flags & NF_TOK_WORD) &&
            !(toks->v[i + 1].flags & (NF_TOK_CAP | NF_TOK_UPPER)) &&
            !(toks->v[i + 1].cues & (C(VERB) | DEAL_VERBS))) {
            continue;
        }
        /* "$7.6 Billion Acquisition": a scale word alone is not a name */
        if (i == j && (toks->v[i].word == NF_W_BILLION || toks->v[i].word == NF_W_MILLION ||
                       toks->v[i].word == NF_W_THOUSAND)) {
            continue;
        }
        /* "SPAC", "IPO": a common abbreviation alone is not a name */
        if (i == j && common_abbreviation(text, &toks->v[i])) {
            continue;
        }
        /* "TV", "End-to-end": a two-letter capital word or the head of a compound; but the
         * subject of a deal verb is a name ("HP Sells Network Security Business") */
        if (i == j && ((toks->v[i].flags & NF_TOK_UPPER) && toks->v[i].len <= 2) &&
            !(i + 1 < n && (toks->v[i + 1].cues & C(VERB)) &&
              (toks->v[i + 1].cues & (C(ACQUIRE) | C(SELL) | C(MERGE) | C(PARTNER) | C(INVEST))))) {
            continue;
        }
        /* ... but "Tribune-owned", "Orbit-backed" name their owner or backer */
        if (j + 2 < n && is_punct(text, &toks->v[j + 1], '-') &&
            !(toks->v[j + 1].flags & NF_TOK_SPACE) && !(toks->v[j + 2].flags & NF_TOK_CAP) &&
            (toks->v[j + 2].flags & NF_TOK_WORD) && !nf_tok_is(text, &toks->v[j + 2], "owned") &&
            !nf_tok_is(text, &toks->v[j + 2], "backed")) {
            i = j;
            continue;
        }
        /* "(SMRs)": an abbreviation defined in brackets is not a party */
        if (i > 0 && is_punct(text, &toks->v[i - 1], '(') && j + 1 < n &&
            is_punct(text, &toks->v[j + 1], ')')) {
            i = j;
            continue;
        }
        int type = NF_SPAN_CANDIDATE;
        const nf_tok_t *lt = &toks->v[j];
        if (j > i && nf_gazetteer_suffix(gz, lt->hash))
            type = NF_SPAN_ORG;
        else if (j > i && (lt->word == NF_W_COUNTY || lt->word == NF_W_PARISH))
            type = NF_SPAN_PLACE;
        else if (j > i && j - i <= 2 && i > 0 && title_at(gz, toks, i - 1) == 1 &&
                 !(toks->v[i - 1].flags & NF_TOK_CAP))
            type = NF_SPAN_PERSON;
        else if (j > i && j - i <= 2 && j + 2 < n && is_punct(text, &toks->v[j + 1], ',') &&
                 (title_at(gz, toks, j + 2) ||
                  (toks->v[j + 2].word == NF_W_THE && title_at(gz, toks, j + 3))))
            type = NF_SPAN_PERSON;
        if (add_span(gz, text, toks, ents, spans, (uint32_t)i, (uint32_t)j, type, field, -1) != 0)
            return NF_ENOMEM;
        i = j;
    }
    return 0;
}
