/*
 * classify: the rule layer (taxonomy and patterns from rules/classifier/, one Hyperscan
 * database) and the glue that turns its hits and the article's words into features for
 * the linear model, then into scores, labels, subtypes and evidence.
 *
 * Per article the work is: one hs_scan() per present field, with matches recorded into a
 * fixed array (a repeat hit of a rule that overlaps its previous hit widens that span
 * rather than adding one); words() phrases looked up on the field's tokens, which the
 * caller made once for the whole pipeline (pipeline/tokens.h; the same tokens give the
 * model's n-grams and feed extraction); a pass in which negative patterns cancel the
 * positive hits they overlap ("investment bank" cancels "invest"); per-category rule
 * scores; features (hashed n-grams, rule hits, the rule scores); the model. Nothing is
 * allocated: all working memory is sized when the classifier is built (nf_classify(),
 * which tokenises for callers that have no tokens, grows its token buffers once).
 *
 * Rule kinds, from the first part of the rule id (see rules/classifier/README.md):
 *   <category>.<subtype>.<name>  positive evidence for category, naming its subtype
 *   neg.<target>.<name>          "not evidence": cancels overlapping positive hits of
 *                                target (a category or "all"), plus its own weight
 *   hedge.<target>.<name>        article-level doubt (outlook, earnings, opinion): its
 *                                weight lowers target's rule score
 *   ctx.<name>                   a feature for the model only (amounts, tickers, ...)
 *   term.<name>                  a building block for near() rules; no feature, no score
 *
 * A rule's pattern is either a Hyperscan expression or near(term.a, term.b, N): a hit
 * of term a followed, within N bytes and without a sentence break in between, by a hit
 * of term b; the span runs from a's start to b's end. Proximity is done here rather than
 * as "a[^.]{0,N}b" in the expression because Hyperscan cannot track the start of match
 * (SOM_LEFTMOST) through such bounded repeats ("Pattern is too large").
 *
 * A \b at the very start or end of an expression is taken off before compiling and
 * checked in the match callback instead: word-boundary assertions on hundreds of
 * caseless patterns made Hyperscan's compile take about 9 s and its database 6 MB; the
 * same patterns without them compile in about 1 s. The check is the same test \b makes
 * (a word character on exactly one side), applied at the reported start and end.
 */
#include "classify.h"

#include <errno.h>
#include <hs/hs.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "encode.h"
#include "err.h"
#include "log.h"

#define MATCH_MAX    1024 /* matches recorded per article; further hits only count */
#define SUBTYPE_MAX  64
#define RULE_ID_MAX  96
#define PATTERN_MAX  16384
#define FIELD_GROUPS 2 /* title, and body + summary */

enum { KIND_POS, KIND_NEG, KIND_HEDGE, KIND_CTX, KIND_TERM };

/* Where a rule's hits come from. */
enum { SRC_HS, SRC_NEAR, SRC_WORDS, SRC_BUILTIN };

/* builtin(...) lexical classes, found by scan_numbers() */
enum { BI_NUMBER, BI_MONEY, BI_AMOUNT, BI_BIG_AMOUNT, BI_POWER, BI_PCT, BI_HASHTAG, BI__CNT };
static const char *const builtin_names[BI__CNT] = {"number", "money", "amount", "big_amount",
                                                   "power",  "pct",   "hashtag"};
#define BI_RULES_MAX 8

#define LEX_MAX_TOKENS  6  /* longest words() phrase */
#define LEX_FILTER_BITS 16 /* prefilter of words() keys: 2^16 bits, 8 KB */

/* One words() phrase: its tokens' hashes; chained per lookup key. */
typedef struct lex_phrase {
    uint64_t tok[LEX_MAX_TOKENS];
    uint32_t rule;
    uint8_t ntok;
    int32_t next;
} lex_phrase_t;

typedef struct lex_slot {
    uint64_t key; /* 0: empty */
    int32_t head;
} lex_slot_t;

typedef struct rule {
    char *id;         /* owned */
    char *pattern;    /* owned; NULL for a near() rule */
    uint64_t id_hash; /* feature key */
    int32_t near_a;   /* near(): the two terms (rule indices) and the gap; -1 otherwise */
    int32_t near_b;
    uint32_t near_gap;
    uint8_t source;   /* SRC_* */
    int8_t builtin;   /* SRC_BUILTIN: BI_* */
    bool bound_start; /* the pattern began with \b: checked here, not by Hyperscan */
    bool bound_end;   /* the pattern ended with \b */
    float weight;
    uint8_t kind;
    int8_t category;   /* KIND_POS: its category */
    uint8_t target;    /* KIND_NEG/HEDGE: bit mask of categories */
    uint8_t scope;     /* bit mask of fields */
    int16_t subtype;   /* index into subtypes, -1 for "generic" */
    uint16_t owner;    /* the rule whose hits these are: itself, or for a "+" line the
                          first line of its rule */
    unsigned hs_flags; /* caseless unless "cs" */
    int line;
} rule_t;

typedef struct subtype {
    char *name; /* owned */
    int category;
} subtype_t;

typedef struct match {
    uint32_t start, end;
    uint32_t gap_start, gap_end; /* near(): the text between the two terms, else empty */
    uint16_t rule;
    uint8_t field;
    uint8_t cancelled; /* bit mask of categories for which a negative pattern cancels it */
} match_t;

struct nf_classifier {
    rule_t *rules;
    size_t nrules;
    subtype_t subtypes[SUBTYPE_MAX];
    int nsubtypes;
    hs_database_t *db;
    hs_scratch_t *scratch;
    nf_model_t *model; /* NULL: rules only */
    uint32_t hash_bits;
    float threshold[NF_CAT__CNT];

    /* per-article working memory */
    match_t matches[MATCH_MAX];
    size_t nmatches;
    uint32_t gen;       /* scan generation, for last_gen */
    uint32_t *last_gen; /* [nrules]: gen of the rule's last recorded match */
    uint32_t *last_idx; /* [nrules]: index of that match */
    uint16_t *count;    /* [nrules][FIELD_GROUPS], hits not cancelled */
    uint16_t *overflow; /* [nrules][FIELD_GROUPS], hits beyond MATCH_MAX */
    uint64_t *touched;  /* [nrules / 64 + 1]: rules whose count or overflow is not zero */
    int32_t *head;      /* [nrules]: first match of the rule in the current field, -1 */
    int32_t next[MATCH_MAX];
    /*
     * The positive matches, the negative ones, and all but the terms' (most matches are
     * terms' words, which only near() reads), each in match order.
     */
    uint16_t pos_idx[MATCH_MAX];
    uint16_t neg_idx[MATCH_MAX];
    uint16_t hit_idx[MATCH_MAX];
    size_t npos, nneg, nhits;
    size_t *near_rules; /* indices of the near() rules, in file order */
    size_t nnear;
    size_t nhs;            /* expressions in the Hyperscan database */
    lex_phrase_t *phrases; /* words() phrases */
    size_t nphrases;
    lex_slot_t *slots; /* key -> first phrase, open addressing */
    size_t nslots;
    /*
     * Two bit filters by lex_filter_bit, interleaved a 64-bit word each so that a token's
     * two tests read one cache line: word 2w, the keys present; word 2w + 1, the lex_key1
     * of the first token of phrases of two or more tokens.
     */
    uint64_t lex_bits[2 * (1u << LEX_FILTER_BITS) / 64];
    uint32_t bi_rules[BI__CNT][BI_RULES_MAX]; /* builtin() rules by class */
    int bi_n[BI__CNT];
    bool any_builtin;
    nf_toks_t own[NF_FIELD__CNT]; /* nf_classify()'s tokens of the article's fields */
    float sub_score[SUBTYPE_MAX]; /* evidence per subtype, last article */
    int field;                    /* field being scanned */
    bool wide;                    /* it has a non-ASCII byte (nf_toks_t.wide) */
    const char *text;             /* its text */
    size_t text_len;
    nf_featvec_t fv;
};

static const char *const category_names[NF_CAT__CNT] = {"deal", "funding", "infrastructure"};
static const char *const field_names[NF_FIELD__CNT] = {"title", "body", "summary"};

const char *nf_category_name(int category)
{
    if (category < 0 || category >= NF_CAT__CNT)
        return "other";
    return category_names[category];
}

int nf_category_parse(const char *name)
{
    for (int c = 0; c < NF_CAT__CNT; c++)
        if (strcmp(name, category_names[c]) == 0)
            return c;
    return -1;
}

const char *nf_field_name(int field)
{
    if (field < 0 || field >= NF_FIELD__CNT)
        return "unknown";
    return field_names[field];
}

/* ---- loading ---- */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Splits off the next whitespace-delimited word of *s; NULL at end of line. */
static char *next_word(char **s)
{
    char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return NULL;
    char *w = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    if (*p)
        *p++ = '\0';
    *s = p;
    return w;
}

static bool valid_id(const char *s)
{
    if (!*s || strlen(s) >= RULE_ID_MAX)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '.'))
            return false;
    return true;
}

static int find_subtype(const nf_classifier_t *cls, int category, const char *name)
{
    for (int i = 0; i < cls->nsubtypes; i++)
        if (cls->subtypes[i].category == category && strcmp(cls->subtypes[i].name, name) == 0)
            return i;
    return -1;
}

static int load_taxonomy(nf_classifier_t *cls, const char *path, char *errstr, size_t errstr_size)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(errstr, errstr_size, "cannot open %s: %s", path, strerror(errno));
        return errno == ENOENT ? NF_ENOENT : NF_EIO;
    }
    char line[1024];
    int lineno = 0, rc = NF_OK;
    while (fgets(line, sizeof(line), fp)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *cat = next_word(&s), *sub = next_word(&s);
        int c = cat ? nf_category_parse(cat) : -1;
        if (c < 0 || !sub || !valid_id(sub) || strchr(sub, '.')) {
            snprintf(errstr, errstr_size,
                     "%s:%d: expected \"<category> <subtype> <description>\" with category "
                     "deal, funding or infrastructure",
                     path, lineno);
            rc = NF_ECONFIG;
            break;
        }
        if (find_subtype(cls, c, sub) >= 0) {
            snprintf(errstr, errstr_size, "%s:%d: subtype %s.%s defined twice", path, lineno, cat,
                     sub);
            rc = NF_ECONFIG;
            break;
        }
        if (cls->nsubtypes == SUBTYPE_MAX) {
            snprintf(errstr, errstr_size, "%s:%d: more than %d subtypes", path, lineno,
                     SUBTYPE_MAX);
            rc = NF_ECONFIG;
            break;
        }
        char *name = strdup(sub);
        if (!name) {
            rc = NF_ENOMEM;
            snprintf(errstr, errstr_size, "out of memory");
            break;
        }
        cls->subtypes[cls->nsubtypes].name = name;
        cls->subtypes[cls->nsubtypes].category = c;
        cls->nsubtypes++;
    }
    fclose(fp);
    return rc;
}

/* Parses "any", "title", "body" (body also covers summary), optionally ",cs". */
static bool parse_scope(const char *s, uint8_t *scope, unsigned *flags)
{
    char buf[32];
    if (strlen(s) >= sizeof(buf))
        return false;
    strcpy(buf, s);
    char *comma = strchr(buf, ',');
    *flags = HS_FLAG_CASELESS | HS_FLAG_SOM_LEFTMOST;
    if (comma) {
        *comma = '\0';
        if (strcmp(comma + 1, "cs") != 0)
            return false;
        *flags &= ~(unsigned)HS_FLAG_CASELESS;
    }
    if (strcmp(buf, "any") == 0)
        *scope = 1u << NF_FIELD_TITLE | 1u << NF_FIELD_BODY | 1u << NF_FIELD_SUMMARY;
    else if (strcmp(buf, "title") == 0)
        *scope = 1u << NF_FIELD_TITLE;
    else if (strcmp(buf, "body") == 0)
        *scope = 1u << NF_FIELD_BODY | 1u << NF_FIELD_SUMMARY;
    else
        return false;
    return true;
}

/* Fills the kind, category, target and subtype of r from its id. */
static bool parse_rule_id(nf_classifier_t *cls, rule_t *r, char *why, size_t why_size)
{
    char buf[RULE_ID_MAX];
    strcpy(buf, r->id);
    char *first = buf, *second = strchr(first, '.'), *third = NULL;
    if (!second) {
        snprintf(why, why_size, "rule id %s has no '.'", r->id);
        return false;
    }
    *second++ = '\0';
    third = strchr(second, '.');
    if (third)
        *third++ = '\0';
    r->subtype = -1;
    r->category = -1;
    r->target = 0;
    if (strcmp(first, "ctx") == 0 || strcmp(first, "term") == 0) {
        r->kind = first[0] == 'c' ? KIND_CTX : KIND_TERM;
        return true;
    }
    if (!third || !*third) {
        snprintf(why, why_size, "rule id %s: expected <kind>.<which>.<name>", r->id);
        return false;
    }
    if (strcmp(first, "neg") == 0 || strcmp(first, "hedge") == 0) {
        r->kind = first[0] == 'n' ? KIND_NEG : KIND_HEDGE;
        int c = nf_category_parse(second);
        if (c < 0 && strcmp(second, "all") != 0) {
            snprintf(why, why_size, "rule id %s: target must be a category or \"all\"", r->id);
            return false;
        }
        r->target = c < 0 ? (1u << NF_CAT__CNT) - 1 : 1u << c;
        return true;
    }
    int c = nf_category_parse(first);
    if (c < 0) {
        snprintf(why, why_size,
                 "rule id %s: must start with a category, \"neg\", \"hedge\", \"ctx\" or "
                 "\"term\"",
                 r->id);
        return false;
    }
    r->kind = KIND_POS;
    r->category = (int8_t)c;
    if (strcmp(second, "generic") != 0) {
        r->subtype = (int16_t)find_subtype(cls, c, second);
        if (r->subtype < 0) {
            snprintf(why, why_size, "rule id %s: subtype %s.%s is not in the taxonomy", r->id,
                     first, second);
            return false;
        }
    }
    return true;
}

static int load_patterns(nf_classifier_t *cls, const char *path, char *errstr, size_t errstr_size)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(errstr, errstr_size, "cannot open %s: %s", path, strerror(errno));
        return errno == ENOENT ? NF_ENOENT : NF_EIO;
    }
    char line[PATTERN_MAX + 256], why[256];
    int lineno = 0, rc = NF_OK;
    size_t cap = 0;
    while (fgets(line, sizeof(line), fp)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(fp)) {
            snprintf(errstr, errstr_size, "%s:%d: line longer than %d bytes", path, lineno,
                     PATTERN_MAX);
            rc = NF_ECONFIG;
            break;
        }
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *id = next_word(&s), *weight = next_word(&s), *scope = next_word(&s);
        char *pattern = trim(s);
        if (!id || !weight || !scope || !*pattern) {
            snprintf(errstr, errstr_size,
                     "%s:%d: expected \"<rule-id> <weight> <scope> <pattern>\"", path, lineno);
            rc = NF_ECONFIG;
            break;
        }
        if (cls->nrules == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            rule_t *nr = realloc(cls->rules, ncap * sizeof(*nr));
            if (!nr) {
                snprintf(errstr, errstr_size, "out of memory");
                rc = NF_ENOMEM;
                break;
            }
            cls->rules = nr;
            cap = ncap;
        }
        rule_t *r = &cls->rules[cls->nrules];
        memset(r, 0, sizeof(*r));
        r->line = lineno;
        r->owner = (uint16_t)cls->nrules;
        /*
         * Weight "+": more patterns of the rule on the line above (same id and scope),
         * whose hits count as that rule's, as if they were one more alternative of its
         * expression. Lets a rule keep its multi-word phrases in the Hyperscan database
         * while its frequent single words are looked up as words().
         */
        bool more = strcmp(weight, "+") == 0;
        const rule_t *prev =
            more && cls->nrules ? &cls->rules[cls->rules[cls->nrules - 1].owner] : NULL;
        if (more && (!prev || strcmp(prev->id, id) != 0)) {
            snprintf(errstr, errstr_size,
                     "%s:%d: weight \"+\" continues the rule of the line above, and %s is not it",
                     path, lineno, id);
            rc = NF_ECONFIG;
            break;
        }
        char *end = NULL;
        errno = 0;
        double w = more ? prev->weight : strtod(weight, &end);
        if (more)
            end = weight + 1;
        if (!valid_id(id)) {
            snprintf(errstr, errstr_size, "%s:%d: bad rule id \"%s\" (use a-z, 0-9, _ and .)", path,
                     lineno, id);
            rc = NF_ECONFIG;
            break;
        }
        if (errno || !end || *end || !isfinite(w) || w < -20 || w > 20) {
            snprintf(errstr, errstr_size, "%s:%d: weight \"%s\" is not a number in [-20, 20]", path,
                     lineno, weight);
            rc = NF_ECONFIG;
            break;
        }
        if (!parse_scope(scope, &r->scope, &r->hs_flags)) {
            snprintf(errstr, errstr_size,
                     "%s:%d: scope \"%s\" must be any, title or body, optionally with \",cs\"",
                     path, lineno, scope);
            rc = NF_ECONFIG;
            break;
        }
        if (prev && prev->scope != r->scope) {
            snprintf(errstr, errstr_size, "%s:%d: a \"+\" line must have the scope of its rule",
                     path, lineno);
            rc = NF_ECONFIG;
            break;
        }
        if (prev)
            r->owner = (uint16_t)(prev - cls->rules);
        r->id = strdup(id);
        r->pattern = strdup(pattern);
        cls->nrules++; /* from here on destroy() frees id and pattern */
        if (!r->id || !r->pattern) {
            snprintf(errstr, errstr_size, "out of memory");
            rc = NF_ENOMEM;
            break;
        }
        r->weight = (float)w;
        r->id_hash = nf_fnv1a(NF_FNV_SEED, id, strlen(id));
        r->near_a = r->near_b = -1;
        r->source = strncmp(pattern, "near(", 5) == 0      ? SRC_NEAR
                    : strncmp(pattern, "words(", 6) == 0   ? SRC_WORDS
                    : strncmp(pattern, "builtin(", 8) == 0 ? SRC_BUILTIN
                                                           : SRC_HS;
        r->builtin = -1;
        if (r->source == SRC_BUILTIN) {
            for (int b = 0; b < BI__CNT; b++) {
                size_t bl = strlen(builtin_names[b]);
                if (strncmp(pattern + 8, builtin_names[b], bl) == 0 &&
                    strcmp(pattern + 8 + bl, ")") == 0)
                    r->builtin = (int8_t)b;
            }
            if (r->builtin < 0) {
                snprintf(
                    errstr, errstr_size,
                    "%s:%d: unknown %s (number, money, amount, big_amount, power, pct, hashtag)",
                    path, lineno, pattern);
                rc = NF_ECONFIG;
                break;
            }
        }
        if (r->source == SRC_HS) {
            size_t plen = strlen(r->pattern);
            if (plen > 2 && strncmp(r->pattern, "\\b", 2) == 0) {
                memmove(r->pattern, r->pattern + 2, plen - 1);
                plen -= 2;
                r->bound_start = true;
            }
            if (plen > 2 && strcmp(r->pattern + plen - 2, "\\b") == 0 &&
                (plen < 3 || r->pattern[plen - 3] != '\\')) {
                r->pattern[plen - 2] = '\0';
                r->bound_end = true;
            }
        }
        if (!parse_rule_id(cls, r, why, sizeof(why))) {
            snprintf(errstr, errstr_size, "%s:%d: %s", path, lineno, why);
            rc = NF_ECONFIG;
            break;
        }
        if ((r->kind == KIND_POS && r->weight <= 0) ||
            ((r->kind == KIND_NEG || r->kind == KIND_HEDGE) && r->weight > 0) ||
            ((r->kind == KIND_CTX || r->kind == KIND_TERM) && r->weight != 0)) {
            snprintf(errstr, errstr_size,
                     "%s:%d: weight %s does not suit rule %s (positive rules > 0, neg and hedge "
                     "<= 0, ctx and term = 0)",
                     path, lineno, weight, id);
            rc = NF_ECONFIG;
            break;
        }
        if (cls->nrules > 65535) {
            snprintf(errstr, errstr_size, "%s:%d: too many patterns", path, lineno);
            rc = NF_ECONFIG;
            break;
        }
    }
    fclose(fp);
    if (rc == NF_OK && cls->nrules == 0) {
        snprintf(errstr, errstr_size, "%s: no patterns", path);
        rc = NF_ECONFIG;
    }
    return rc;
}

static int find_term(const nf_classifier_t *cls, const char *name, size_t len)
{
    for (size_t i = 0; i < cls->nrules; i++) {
        const rule_t *r = &cls->rules[i];
        if (r->kind == KIND_TERM && strlen(r->id) == len && memcmp(r->id, name, len) == 0)
            return (int)i;
    }
    return -1;
}

/* Parses "near(term.a, term.b, N)" of every near rule into term indices and a gap. */
static int resolve_near(nf_classifier_t *cls, const char *path, char *errstr, size_t errstr_size)
{
    for (size_t i = 0; i < cls->nrules; i++) {
        const rule_t *r = &cls->rules[i];
        if (r->kind == KIND_TERM &&
            (r->source == SRC_NEAR || find_term(cls, r->id, strlen(r->id)) != (int)i)) {
            snprintf(errstr, errstr_size,
                     "%s:%d: term %s must be one pattern, words() or builtin(), defined once", path,
                     r->line, r->id);
            return NF_ECONFIG;
        }
    }
    size_t nnear = 0;
    for (size_t i = 0; i < cls->nrules; i++)
        nnear += cls->rules[i].source == SRC_NEAR;
    cls->near_rules = malloc((nnear ? nnear : 1) * sizeof(*cls->near_rules));
    if (!cls->near_rules) {
        snprintf(errstr, errstr_size, "out of memory");
        return NF_ENOMEM;
    }
    for (size_t i = 0; i < cls->nrules; i++) {
        rule_t *r = &cls->rules[i];
        if (r->source != SRC_NEAR)
            continue;
        const char *p = r->pattern + 5, *a = p, *b, *n;
        size_t alen, blen;
        while (*a == ' ')
            a++;
        alen = strcspn(a, ", )");
        b = a + alen;
        while (*b == ' ' || *b == ',')
            b++;
        blen = strcspn(b, ", )");
        n = b + blen;
        while (*n == ' ' || *n == ',')
            n++;
        char *end = NULL;
        long gap = strtol(n, &end, 10);
        while (end && *end == ' ')
            end++;
        r->near_a = find_term(cls, a, alen);
        r->near_b = find_term(cls, b, blen);
        if (r->near_a < 0 || r->near_b < 0 || !end || end == n || *end != ')' || end[1] ||
            gap < 0 || gap > 1000) {
            snprintf(errstr, errstr_size,
                     "%s:%d: rule %s: expected near(term.<a>, term.<b>, <bytes 0-1000>) with "
                     "defined terms: %s",
                     path, r->line, r->id, r->pattern);
            return NF_ECONFIG;
        }
        r->near_gap = (uint32_t)gap;
        cls->near_rules[cls->nnear++] = i;
    }
    return NF_OK;
}

static int compile_db(nf_classifier_t *cls, const char *path, char *errstr, size_t errstr_size)
{
    size_t n = cls->nrules;
    const char **exprs = malloc(n * sizeof(*exprs));
    unsigned *flags = malloc(n * sizeof(*flags)), *ids = malloc(n * sizeof(*ids));
    int rc = NF_OK;
    if (!exprs || !flags || !ids) {
        snprintf(errstr, errstr_size, "out of memory");
        rc = NF_ENOMEM;
        goto done;
    }
    unsigned k = 0;
    for (size_t i = 0; i < n; i++) {
        if (cls->rules[i].source != SRC_HS)
            continue;
        exprs[k] = cls->rules[i].pattern;
        flags[k] = cls->rules[i].hs_flags;
        ids[k] = (unsigned)i;
        k++;
    }
    cls->nhs = k;
    if (k == 0)
        goto done; /* nothing for Hyperscan: words(), builtin() and near() only */
    hs_compile_error_t *err = NULL;
    if (hs_compile_multi(exprs, flags, ids, k, HS_MODE_BLOCK, NULL, &cls->db, &err) != HS_SUCCESS) {
        if (err && err->expression >= 0 && (unsigned)err->expression < k) {
            const rule_t *r = &cls->rules[ids[err->expression]];
            snprintf(errstr, errstr_size, "%s:%d: rule %s: %s: /%s/", path, r->line, r->id,
                     err->message, r->pattern);
        } else {
            snprintf(errstr, errstr_size, "%s: Hyperscan: %s", path,
                     err ? err->message : "compile failed");
        }
        hs_free_compile_error(err);
        rc = NF_ECONFIG;
        goto done;
    }
    if (hs_alloc_scratch(cls->db, &cls->scratch) != HS_SUCCESS) {
        snprintf(errstr, errstr_size, "cannot allocate Hyperscan scratch");
        rc = NF_ENOMEM;
    }
done:
    free(exprs);
    free(flags);
    free(ids);
    return rc;
}

/* ---- words(): phrases matched on tokens ---- */

/*
 * Lookup keys: a one-token phrase by its token, longer ones by their first two. Token
 * hashes (nf_tokenise's) are fully mixed; bit 0 is forced so that 0 can mean "empty
 * slot".
 */
static inline uint64_t lex_key1(uint64_t t0)
{
    return t0 | 1;
}

static inline uint64_t lex_key2(uint64_t t0, uint64_t t1)
{
    return ((t0 ^ (t1 >> 7)) * 0x9e3779b97f4a7c15ULL) | 1;
}

/* A bit per key bucket: most tokens start no phrase, and one bit test says so. */
static inline uint32_t lex_filter_bit(uint64_t key)
{
    return (uint32_t)(key >> (64 - LEX_FILTER_BITS));
}

/* The first term (word or number: nf_tok_is_term) of toks[i..n); n if none. */
static inline size_t next_term(const nf_tok_t *t, size_t i, size_t n)
{
    while (i < n && !nf_tok_is_term(&t[i]))
        i++;
    return i;
}

static int lex_slot_of(const nf_classifier_t *cls, uint64_t key)
{
    size_t mask = cls->nslots - 1, i = (size_t)(key >> 32) & mask; /* bit 0 is always set */
    while (cls->slots[i].key && cls->slots[i].key != key)
        i = (i + 1) & mask;
    return (int)i;
}

/* Parses words(a|b c|...) of every such rule into the phrase table. */
static int build_lexicon(nf_classifier_t *cls, const char *path, char *errstr, size_t errstr_size)
{
    size_t total = 0;
    for (size_t i = 0; i < cls->nrules; i++)
        if (cls->rules[i].source == SRC_WORDS)
            for (const char *p = cls->rules[i].pattern; *p; p++)
                total += *p == '|' || *p == '(';
    if (total == 0)
        return NF_OK;
    cls->phrases = calloc(total, sizeof(*cls->phrases));
    cls->nslots = 64;
    while (cls->nslots < 2 * total)
        cls->nslots *= 2;
    cls->slots = calloc(cls->nslots, sizeof(*cls->slots));
    if (!cls->phrases || !cls->slots) {
        snprintf(errstr, errstr_size, "out of memory");
        return NF_ENOMEM;
    }
    for (size_t i = 0; i < cls->nrules; i++) {
        const rule_t *r = &cls->rules[i];
        if (r->source != SRC_WORDS)
            continue;
        const char *p = r->pattern + 6, *end = strrchr(p, ')');
        if (!end || end[1] != '\0' || end == p) {
            snprintf(errstr, errstr_size, "%s:%d: rule %s: expected words(a|b c|...)", path,
                     r->line, r->id);
            return NF_ECONFIG;
        }
        while (p < end) {
            const char *bar = memchr(p, '|', (size_t)(end - p));
            size_t plen = bar ? (size_t)(bar - p) : (size_t)(end - p);
            lex_phrase_t *ph = &cls->phrases[cls->nphrases];
            ph->ntok = 0;
            /* a phrase is tokenised as the text is, and matched on its terms */
            if (nf_tokenise(p, plen, NULL, &cls->own[0]) != 0) {
                snprintf(errstr, errstr_size, "out of memory");
                return NF_ENOMEM;
            }
            for (size_t k = 0; k < cls->own[0].n; k++) {
                if (!nf_tok_is_term(&cls->own[0].v[k]))
                    continue;
                if (ph->ntok == LEX_MAX_TOKENS) {
                    snprintf(errstr, errstr_size, "%s:%d: rule %s: a phrase has more than %d words",
                             path, r->line, r->id, LEX_MAX_TOKENS);
                    return NF_ECONFIG;
                }
                ph->tok[ph->ntok++] = cls->own[0].v[k].hash;
            }
            cls->own[0].n = 0;
            if (ph->ntok == 0) {
                snprintf(errstr, errstr_size, "%s:%d: rule %s: empty phrase in words()", path,
                         r->line, r->id);
                return NF_ECONFIG;
            }
            ph->rule = (uint32_t)i;
            uint64_t key = ph->ntok == 1 ? lex_key1(ph->tok[0]) : lex_key2(ph->tok[0], ph->tok[1]);
            int slot = lex_slot_of(cls, key);
            cls->slots[slot].key = key;
            uint32_t bit = lex_filter_bit(key);
            cls->lex_bits[bit / 64 * 2] |= 1ULL << (bit % 64);
            if (ph->ntok > 1) {
                bit = lex_filter_bit(lex_key1(ph->tok[0]));
                cls->lex_bits[bit / 64 * 2 + 1] |= 1ULL << (bit % 64);
            }
            ph->next = cls->slots[slot].key == key && cls->nphrases && cls->slots[slot].head
                           ? cls->slots[slot].head - 1
                           : -1;
            cls->slots[slot].head = (int32_t)cls->nphrases + 1; /* 0 means none */
            cls->nphrases++;
            p += plen + (bar ? 1 : 0);
        }
    }
    return NF_OK;
}

static inline void add_match(nf_classifier_t *cls, unsigned id, uint64_t from, uint64_t to,
                             uint32_t gap_start, uint32_t gap_end);

/*
 * The phrases that start at the term t[i] of t[0..n). Most tokens start none: one bit
 * test on the token's own key says so for one-token phrases, and one more (on the same
 * key, in the same cache line) for longer ones before their two-token key is even
 * computed. A phrase's words are consecutive terms: punctuation between them is passed
 * over. A key's chain holds the phrases of that key, last defined first; the tokens are
 * compared all the same (a key is a hash). f and mask: the token's pair of filter words
 * and its bit in them.
 */
static inline void match_phrases_at(nf_classifier_t *cls, const nf_tok_t *t, size_t i, size_t n,
                                    const uint64_t *f, uint64_t mask)
{
    uint64_t h0 = t[i].hash, key = lex_key1(h0);
    uint32_t bit;
    if (f[0] & mask) {
        const lex_slot_t *slot = &cls->slots[lex_slot_of(cls, key)];
        if (slot->key == key) {
            uint64_t end = (uint64_t)t[i].start + t[i].len;
            for (int32_t k = slot->head - 1; k >= 0; k = cls->phrases[k].next) {
                const lex_phrase_t *ph = &cls->phrases[k];
                if (ph->ntok == 1 && ph->tok[0] == h0)
                    add_match(cls, ph->rule, t[i].start, end, 0, 0);
            }
        }
    }
    if (!(f[1] & mask))
        return;
    size_t j = next_term(t, i + 1, n);
    if (j >= n)
        return;
    uint64_t h1 = t[j].hash;
    key = lex_key2(h0, h1);
    bit = lex_filter_bit(key);
    if (!((cls->lex_bits[bit / 64 * 2] >> (bit % 64)) & 1))
        return;
    const lex_slot_t *slot = &cls->slots[lex_slot_of(cls, key)];
    if (slot->key != key)
        return;
    for (int32_t k = slot->head - 1; k >= 0; k = cls->phrases[k].next) {
        const lex_phrase_t *ph = &cls->phrases[k];
        if (ph->ntok < 2 || ph->tok[0] != h0 || ph->tok[1] != h1)
            continue;
        size_t last = j;
        int w = 2;
        for (; w < ph->ntok; w++) {
            size_t at = next_term(t, last + 1, n);
            if (at >= n || t[at].hash != ph->tok[w])
                break;
            last = at;
        }
        if (w == ph->ntok)
            add_match(cls, ph->rule, t[i].start, (uint64_t)t[last].start + t[last].len, 0, 0);
    }
}

/*
 * Matches every words() phrase in a field: one or two hash lookups per term that passes
 * the filters. A term's filter bit is lex_filter_bit(lex_key1(hash)), the hash's top
 * bits (lex_key1 sets bit 0 only); most terms fail both filters, tested at once.
 */
static void scan_words(nf_classifier_t *cls, const nf_toks_t *toks)
{
    const nf_tok_t *t = toks->v;
    size_t n = toks->n;
    if (!cls->nphrases)
        return;
    for (size_t i = 0; i < n; i++) {
        if (!nf_tok_is_term(&t[i]))
            continue;
        uint32_t bit = lex_filter_bit(t[i].hash);
        const uint64_t *f = &cls->lex_bits[bit / 64 * 2];
        uint64_t mask = 1ULL << (bit % 64);
        if ((f[0] | f[1]) & mask)
            match_phrases_at(cls, t, i, n, f, mask);
    }
}

/* ---- builtin(): numbers, money, amounts, power and percentages ---- */

static inline bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Whether text[i..] starts with word w (caseless), not followed by a letter or digit. */
static size_t word_at(const char *text, size_t len, size_t i, const char *w)
{
    if (i >= len || ((unsigned char)text[i] | 0x20) != ((unsigned char)w[0] | 0x20))
        return 0;
    size_t n = strlen(w);
    if (i + n > len || strncasecmp(text + i, w, n) != 0)
        return 0;
    if (i + n < len && is_alnum((unsigned char)text[i + n]))
        return 0;
    return n;
}

/* Length of a currency sign or code that ends just before i (one space allowed). */
static size_t currency_before(const char *text, size_t i)
{
    const unsigned char *s = (const unsigned char *)text;
    if (i > 0 && s[i - 1] == ' ')
        i--;
    if (i >= 1 && s[i - 1] == '$') {
        size_t k = i - 1, letters = 0;
        while (k > 0 && letters < 2 && s[k - 1] >= 'A' && s[k - 1] <= 'Z') {
            k--;
            letters++;
        }
        if (k > 0 && is_alnum(s[k - 1]))
            k = i - 1; /* "AB$" inside a word: the sign alone */
        return i - k;
    }
    if (i >= 2 && s[i - 2] == 0xC2 && (s[i - 1] == 0xA3 || s[i - 1] == 0xA5))
        return 2; /* £ ¥ */
    if (i >= 3 && s[i - 3] == 0xE2 && s[i - 2] == 0x82 && (s[i - 1] == 0xAC || s[i - 1] == 0xB9))
        return 3; /* € ₹ */
    if (i == 0 || !(s[i - 1] == '.' || (s[i - 1] >= 'A' && s[i - 1] <= 'Z') || s[i - 1] == 's'))
        return 0;
    static const char *const codes[] = {"USD", "EUR", "GBP", "INR", "CHF", "SEK",
                                        "JPY", "CNY", "RMB", "Rs.", "Rs"};
    for (size_t c = 0; c < sizeof(codes) / sizeof(*codes); c++) {
        size_t n = strlen(codes[c]);
        if (i >= n && memcmp(text + i - n, codes[c], n) == 0 && (i == n || !is_alnum(s[i - n - 1])))
            return n;
    }
    return 0;
}

static void emit_builtin(nf_classifier_t *cls, int b, size_t from, size_t to)
{
    for (int k = 0; k < cls->bi_n[b]; k++)
        add_match(cls, cls->bi_rules[b][k], from, to, 0, 0);
}

#if !defined(__SSE2__)
/*
 * Whether any of the 8 bytes at p is an ASCII digit: xor with '0' maps the digits, and
 * only them, to bytes 0..9, whose high nibble is 0 and whose low nibble plus 6 does not
 * carry into bit 4; a zero byte of the combined test is a digit (exact).
 */
static inline bool chunk_has_digit(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101ull;
    uint64_t v;
    memcpy(&v, p, 8);
    v ^= ones * '0';
    uint64_t c = (v & (ones * 0xF0)) | (((v & (ones * 0x0F)) + ones * 6) & (ones * 0x10));
    return ((c - ones) & ~c & (ones * 0x80)) != 0;
}
#endif

#if defined(__SSE2__)
/*
 * Bit k set: byte p[k] is an ASCII digit (p[k] - '0', unsigned, is at most 9) or equals
 * a byte of tag (every byte '#', and every byte '@', or 0 to find no tags: a field has
 * no NUL byte).
 */
static inline unsigned digit_or_tag_mask(const unsigned char *p, __m128i tag1, __m128i tag2)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
    __m128i tag = _mm_or_si128(_mm_cmpeq_epi8(v, tag1), _mm_cmpeq_epi8(v, tag2));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(digit, tag));
}
#endif

/*
 * The first offset at or after i that holds a digit or one of the tag bytes t1, t2 (0:
 * none), or one in the last few bytes of text, which are then looked at one by one.
 */
static inline size_t skip_plain(const unsigned char *s, size_t i, size_t len, char t1, char t2)
{
#if defined(__SSE2__)
    const __m128i tag1 = _mm_set1_epi8(t1), tag2 = _mm_set1_epi8(t2);
    for (; len - i >= 16; i += 16) {
        unsigned m = digit_or_tag_mask(s + i, tag1, tag2);
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#else
    if (!t1 && !t2)
        while (len - i >= 8 && !chunk_has_digit(s + i))
            i += 8;
#endif
    return i;
}

/*
 * One pass over the digits of text. A number is a digit run (with inner '.' or ',') that
 * does not continue a word ("H100" is no number). Around it: a currency sign or code
 * before (money), a scale after ("million", "bn", or a letter glued on: "$50B", "300m"),
 * a power unit (MW, GW, megawatts) or a percent sign or word. The same pass finds
 * hashtags and handles ('#' or '@' before an ASCII letter) when a rule asks for them:
 * as a Hyperscan expression, [#@][A-Za-z] cost about 4,000 instructions per 3 KB article
 * with no hit at all (two-byte literals slow its literal matcher down), here next to
 * nothing.
 */
static void scan_numbers(nf_classifier_t *cls, const char *text, size_t len)
{
    static const char *const scales[] = {"million", "billion", "trillion", "mln",   "bln",
                                         "mn",      "bn",      "tn",       "crore", "lakh"};
    static const char *const units[] = {"MW",       "GW",        "megawatts",
                                        "megawatt", "gigawatts", "gigawatt"};
    static const char *const pcts[] = {"%", "pct", "percent", "per cent"};
    const unsigned char *s = (const unsigned char *)text;
    const bool tags = cls->bi_n[BI_HASHTAG] > 0;
    size_t i = 0;
    while (i < len) {
        /* most of a text is neither digits nor tags */
        i = skip_plain(s, i, len, tags ? '#' : 0, tags ? '@' : 0);
        if (i >= len)
            break;
        if (tags && (s[i] == '#' || s[i] == '@')) {
            unsigned char c = i + 1 < len ? (unsigned char)(s[i + 1] | 0x20) : 0;
            if (c >= 'a' && c <= 'z')
                emit_builtin(cls, BI_HASHTAG, i, i + 2);
            i++;
            continue;
        }
        if (!(s[i] >= '0' && s[i] <= '9') || (i > 0 && is_alnum(s[i - 1]))) {
            i++;
            continue;
        }
        size_t start = i, end = i;
        while (end < len && ((s[end] >= '0' && s[end] <= '9') ||
                             ((s[end] == '.' || s[end] == ',') && end + 1 < len &&
                              s[end + 1] >= '0' && s[end + 1] <= '9')))
            end++;
        i = end;
        /*
         * What follows: a scale word, glued ("1.5bn") or after one space ("3 million"); a
         * lone letter glued on ("$50B", "300m"; "20k" is a number); or a unit. Anything
         * else glued on ("3rd", "5G", "H100s") makes it no amount.
         */
        size_t scale_end = 0, at = end < len && s[end] == ' ' ? end + 1 : end;
        bool big = false, kilo = false;
        for (size_t k = 0; k < sizeof(scales) / sizeof(*scales) && !scale_end; k++) {
            size_t n = word_at(text, len, end, scales[k]);
            if (!n && at != end)
                n = word_at(text, len, at, scales[k]) ? word_at(text, len, at, scales[k]) + 1 : 0;
            if (n) {
                scale_end = end + n;
                big = k == 1 || k == 2 || k == 4 || k == 6 || k == 7;
            }
        }
        if (!scale_end && end < len && (end + 1 >= len || !is_alnum(s[end + 1]))) {
            unsigned char c = (unsigned char)(s[end] | 0x20);
            if (c == 'm' || c == 'b' || c == 't') {
                scale_end = end + 1;
                big = c != 'm';
            } else if (c == 'k') {
                kilo = true;
            }
        }
        bool glued = scale_end > end && s[end] != ' ';
        if (end < len && is_alnum(s[end]) && !glued && !kilo)
            continue; /* "3rd", "5G", "H100s": not an amount */
        emit_builtin(cls, BI_NUMBER, start, kilo ? end + 1 : end);

        size_t cur = currency_before(text, start);
        if (cur)
            emit_builtin(cls, BI_MONEY, start - cur, scale_end ? scale_end : end);
        if (cur || scale_end) {
            emit_builtin(cls, BI_AMOUNT, start - cur, scale_end ? scale_end : end);
            if (big)
                emit_builtin(cls, BI_BIG_AMOUNT, start - cur, scale_end);
        }
        if (!glued && !kilo) {
            for (size_t k = 0; k < sizeof(units) / sizeof(*units); k++) {
                size_t n = word_at(text, len, at, units[k]);
                if (n) {
                    emit_builtin(cls, BI_POWER, start, at + n);
                    break;
                }
            }
            for (size_t k = 0; k < sizeof(pcts) / sizeof(*pcts); k++) {
                size_t n = k == 0 ? (at < len && s[at] == '%') : word_at(text, len, at, pcts[k]);
                if (n) {
                    emit_builtin(cls, BI_PCT, start, at + n);
                    break;
                }
            }
        }
    }
}

nf_classifier_t *nf_classifier_new(const char *rules_dir, const nf_classifier_opts_t *opts,
                                   char *errstr, size_t errstr_size)
{
    char path[4096];
    nf_classifier_opts_t defaults = {0};
    if (!opts)
        opts = &defaults;
    if (!rules_dir || !*rules_dir) {
        snprintf(errstr, errstr_size, "no rules directory given");
        return NULL;
    }
    nf_classifier_t *cls = calloc(1, sizeof(*cls));
    if (!cls) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/classifier/taxonomy.txt", rules_dir);
    if (load_taxonomy(cls, path, errstr, errstr_size) != NF_OK)
        goto fail;
    snprintf(path, sizeof(path), "%s/classifier/patterns.txt", rules_dir);
    if (load_patterns(cls, path, errstr, errstr_size) != NF_OK)
        goto fail;
    if (resolve_near(cls, path, errstr, errstr_size) != NF_OK)
        goto fail;
    if (build_lexicon(cls, path, errstr, errstr_size) != NF_OK)
        goto fail;
    for (size_t i = 0; i < cls->nrules; i++) {
        const rule_t *r = &cls->rules[i];
        if (r->source != SRC_BUILTIN)
            continue;
        if (cls->bi_n[r->builtin] == BI_RULES_MAX) {
            snprintf(errstr, errstr_size, "%s:%d: more than %d rules use builtin(%s)", path,
                     r->line, BI_RULES_MAX, builtin_names[r->builtin]);
            goto fail;
        }
        cls->bi_rules[r->builtin][cls->bi_n[r->builtin]++] = (uint32_t)i;
        cls->any_builtin = true;
    }
    if (compile_db(cls, path, errstr, errstr_size) != NF_OK)
        goto fail;

    if (!opts->model_path || *opts->model_path) {
        const char *mp = opts->model_path;
        if (!mp) {
            snprintf(path, sizeof(path), "%s/model.bin", rules_dir);
            mp = path;
        }
        if (nf_model_load(mp, &cls->model, errstr, errstr_size) != NF_OK)
            goto fail;
        cls->hash_bits = cls->model->hash_bits;
        for (int c = 0; c < NF_CAT__CNT; c++)
            cls->threshold[c] = cls->model->threshold[c];
    } else {
        cls->hash_bits = opts->hash_bits ? opts->hash_bits : NF_MODEL_HASH_BITS;
        if (cls->hash_bits < NF_MODEL_MIN_BITS || cls->hash_bits > NF_MODEL_MAX_BITS) {
            snprintf(errstr, errstr_size, "hash_bits %u out of [%d, %d]", cls->hash_bits,
                     NF_MODEL_MIN_BITS, NF_MODEL_MAX_BITS);
            goto fail;
        }
        for (int c = 0; c < NF_CAT__CNT; c++)
            cls->threshold[c] = 0.5f;
    }

    cls->last_gen = calloc(cls->nrules, sizeof(*cls->last_gen));
    cls->last_idx = calloc(cls->nrules, sizeof(*cls->last_idx));
    cls->count = calloc(cls->nrules * FIELD_GROUPS, sizeof(*cls->count));
    cls->overflow = calloc(cls->nrules * FIELD_GROUPS, sizeof(*cls->overflow));
    cls->head = malloc(cls->nrules * sizeof(*cls->head));
    cls->touched = calloc((cls->nrules + 63) / 64, sizeof(*cls->touched));
    /* per token: unigram and bigram, in up to 4 namespaces (title) or 2 (body) */
    cls->fv.cap = 8 * NF_TITLE_MAX_TOKENS + 4 * NF_BODY_MAX_TOKENS + 2 * FIELD_GROUPS * cls->nrules;
    cls->fv.v = malloc(cls->fv.cap * sizeof(*cls->fv.v));
    if (!cls->last_gen || !cls->last_idx || !cls->count || !cls->overflow || !cls->head ||
        !cls->touched || !cls->fv.v) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < cls->nrules; i++)
        cls->head[i] = -1;
    return cls;
fail:
    nf_classifier_destroy(cls);
    return NULL;
}

void nf_classifier_destroy(nf_classifier_t *cls)
{
    if (!cls)
        return;
    for (size_t i = 0; i < cls->nrules; i++) {
        free(cls->rules[i].id);
        free(cls->rules[i].pattern);
    }
    free(cls->rules);
    for (int i = 0; i < cls->nsubtypes; i++)
        free(cls->subtypes[i].name);
    hs_free_scratch(cls->scratch);
    hs_free_database(cls->db);
    nf_model_destroy(cls->model);
    free(cls->last_gen);
    free(cls->last_idx);
    free(cls->count);
    free(cls->overflow);
    free(cls->head);
    free(cls->touched);
    free(cls->near_rules);
    free(cls->phrases);
    free(cls->slots);
    free(cls->fv.v);
    for (int f = 0; f < NF_FIELD__CNT; f++)
        nf_toks_free(&cls->own[f]);
    free(cls);
}

int nf_classifier_set_threshold(nf_classifier_t *cls, int category, float t)
{
    if (category < 0 || category >= NF_CAT__CNT || !(t > 0.0f && t < 1.0f))
        return NF_EINVAL;
    cls->threshold[category] = t;
    return NF_OK;
}

float nf_classifier_threshold(const nf_classifier_t *cls, int category)
{
    if (category < 0 || category >= NF_CAT__CNT)
        return 0.0f;
    return cls->threshold[category];
}

bool nf_classifier_has_model(const nf_classifier_t *cls)
{
    return cls->model != NULL;
}

size_t nf_classifier_pattern_count(const nf_classifier_t *cls)
{
    return cls->nrules;
}

const nf_featvec_t *nf_classifier_last_features(const nf_classifier_t *cls)
{
    return &cls->fv;
}

int nf_classifier_subtype_index(const nf_classifier_t *cls, const char *name)
{
    const char *dot = strchr(name, '.');
    if (!dot)
        return -1;
    char cat[32];
    size_t n = (size_t)(dot - name);
    if (n >= sizeof(cat))
        return -1;
    memcpy(cat, name, n);
    cat[n] = '\0';
    int c = nf_category_parse(cat);
    return c < 0 ? -1 : find_subtype(cls, c, dot + 1);
}

float nf_classifier_last_subtype_score(const nf_classifier_t *cls, int subtype)
{
    if (subtype < 0 || subtype >= cls->nsubtypes)
        return 0.0f;
    return cls->sub_score[subtype];
}

/* ---- classifying ---- */

/*
 * Hyperscan calls this for every match, in order of end offset. A rule's hits that
 * overlap (or touch) its previous hit in the same field are merged into one span: with
 * SOM_LEFTMOST a pattern such as "acquir\w*" reports each possible end, and one word is
 * one piece of evidence.
 */
static inline void add_match(nf_classifier_t *cls, unsigned id, uint64_t from, uint64_t to,
                             uint32_t gap_start, uint32_t gap_end)
{
    id = cls->rules[id].owner;
    const rule_t *r = &cls->rules[id];
    if (!(r->scope & (1u << cls->field)))
        return;
    if (cls->last_gen[id] == cls->gen) {
        match_t *m = &cls->matches[cls->last_idx[id]];
        if (from <= m->end && to >= m->start) {
            if (to > m->end)
                m->end = (uint32_t)to;
            if (from < m->start)
                m->start = (uint32_t)from;
            return;
        }
    }
    if (cls->nmatches == MATCH_MAX) {
        int g = cls->field == NF_FIELD_TITLE ? 0 : 1;
        cls->touched[id / 64] |= 1ull << (id % 64);
        if (cls->overflow[id * FIELD_GROUPS + g] < UINT16_MAX)
            cls->overflow[id * FIELD_GROUPS + g]++;
        return;
    }
    match_t *m = &cls->matches[cls->nmatches];
    m->start = (uint32_t)from;
    m->end = (uint32_t)to;
    m->gap_start = gap_start;
    m->gap_end = gap_end;
    m->rule = (uint16_t)id;
    m->field = (uint8_t)cls->field;
    m->cancelled = 0;
    cls->last_gen[id] = cls->gen;
    cls->last_idx[id] = (uint32_t)cls->nmatches;
    cls->nmatches++;
}

static inline bool is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* \b at offset i of the text being scanned. */
static inline bool boundary_at(const nf_classifier_t *cls, unsigned long long i)
{
    bool before = i > 0 && is_word((unsigned char)cls->text[i - 1]);
    bool after = i < cls->text_len && is_word((unsigned char)cls->text[i]);
    return before != after;
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *ctx)
{
    nf_classifier_t *cls = ctx;
    const rule_t *r = &cls->rules[id];
    (void)flags;
    if ((r->bound_start && !boundary_at(cls, from)) || (r->bound_end && !boundary_at(cls, to)))
        return 0;
    add_match(cls, id, from, to, 0, 0);
    return 0;
}

/*
 * Whether <text+from, text+to> holds a sentence break: "; ", "! ", "? ", " | ", or ". "
 * after a lowercase letter, digit or closing mark (so "U.S. data center" is one
 * sentence and "built. Data" is two).
 */
static bool crosses_sentence(const char *text, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to && text[i]; i++) {
        char c = text[i];
        if (text[i + 1] != ' ')
            continue;
        if (c == ';' || c == '!' || c == '?' || c == '|')
            return true;
        if (c == '.' && i > 0) {
            char p = text[i - 1];
            if ((p >= 'a' && p <= 'z') || (p >= '0' && p <= '9') || p == ')' || p == '"')
                return true;
        }
    }
    return false;
}

/*
 * Moves span ends off UTF-8 continuation bytes, so that evidence text is always whole
 * characters (a pattern that ends in a class such as [^.] could stop inside one).
 */
static void snap_to_characters(nf_classifier_t *cls, size_t first, const char *text, size_t len)
{
    for (size_t i = first; i < cls->nmatches; i++) {
        match_t *m = &cls->matches[i];
        while (m->start < m->end && ((unsigned char)text[m->start] & 0xC0) == 0x80)
            m->start++;
        while (m->end > m->start && m->end < len && ((unsigned char)text[m->end] & 0xC0) == 0x80)
            m->end--;
    }
}

/*
 * Evaluates the near() rules over the matches of the field just scanned, which are
 * matches[first, nmatches). Term hits are chained per rule so that each near() rule
 * looks at its own two terms only.
 */
static void match_near(nf_classifier_t *cls, size_t first, const char *text)
{
    if (cls->nnear == 0)
        return;
    /* head[] is all -1 between calls: only the rules hit in this field are chained */
    for (size_t i = cls->nmatches; i-- > first;) {
        cls->next[i] = cls->head[cls->matches[i].rule];
        cls->head[cls->matches[i].rule] = (int32_t)i;
    }
    size_t last = cls->nmatches;
    for (size_t k = 0; k < cls->nnear; k++) {
        size_t id = cls->near_rules[k];
        const rule_t *r = &cls->rules[id];
        if (!(r->scope & (1u << cls->field)))
            continue;
        for (int32_t a = cls->head[r->near_a]; a >= 0; a = cls->next[a]) {
            uint32_t a_start = cls->matches[a].start, a_end = cls->matches[a].end;
            for (int32_t b = cls->head[r->near_b]; b >= 0; b = cls->next[b]) {
                const match_t *mb = &cls->matches[b];
                if ((size_t)b >= last || mb->start < a_end || mb->start - a_end > r->near_gap ||
                    crosses_sentence(text, a_end, mb->start))
                    continue;
                add_match(cls, (unsigned)id, a_start, mb->end, a_end, mb->start);
                break;
            }
        }
    }
    for (size_t i = first; i < last; i++)
        cls->head[cls->matches[i].rule] = -1;
}

/*
 * Wire style: a headline in capitals ("GENCORP TO SELL RKO UNIT"), as 1980s news wires
 * wrote them. Such articles get a second, style-specific copy of every feature, so the
 * model can learn where wire copy differs (the Reuters "acq" label, the largest labeled
 * source, counts takeovers and stakes but not contracts or partnerships) without
 * bending the weights that modern headlines use. Mixed-case headlines get the shared
 * features only.
 */
static bool is_wire_style(const char *title)
{
    int upper = 0;
    if (!title)
        return false;
    for (const char *p = title; *p; p++) {
        if (*p >= 'a' && *p <= 'z')
            return false;
        upper += *p >= 'A' && *p <= 'Z';
    }
    return upper >= 4;
}

/* Diminishing returns for repeated hits: 1, 1.5, 2, 2, ... */
static float hits_value(unsigned n)
{
    return n == 0 ? 0.0f : n == 1 ? 1.0f : n == 2 ? 1.5f : 2.0f;
}

static float clampf(float x, float lo, float hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static float sigmoidf(float z)
{
    return 1.0f / (1.0f + expf(-z));
}

/* How much a hit counts as evidence: title hits are the headline's claim. */
static float evidence_strength(const rule_t *r, const match_t *m)
{
    return r->weight * (m->field == NF_FIELD_TITLE ? 1.5f : 1.0f);
}

/* The strongest uncancelled positive hits of each category, in one pass over the hits. */
static void pick_evidence(const nf_classifier_t *cls, nf_classification_t *out)
{
    int count[NF_CAT__CNT] = {0};
    for (size_t i = 0; i < cls->npos; i++) {
        const match_t *m = &cls->matches[cls->pos_idx[i]];
        const rule_t *r = &cls->rules[m->rule];
        int c = r->category;
        if ((m->cancelled >> c) & 1)
            continue;
        nf_evidence_t *ev = out->evidence[c];
        int n = count[c];
        float s = evidence_strength(r, m);
        /* insertion into the top NF_EVIDENCE_MAX by strength, then field, then start */
        int pos = n;
        while (pos > 0) {
            const nf_evidence_t *p = &ev[pos - 1];
            float ps = p->weight * (p->field == NF_FIELD_TITLE ? 1.5f : 1.0f);
            if (ps > s || (ps == s &&
                           (p->field < m->field || (p->field == m->field && p->start <= m->start))))
                break;
            pos--;
        }
        if (pos >= NF_EVIDENCE_MAX)
            continue;
        if (n < NF_EVIDENCE_MAX)
            n++;
        memmove(&ev[pos + 1], &ev[pos], (size_t)(n - 1 - pos) * sizeof(*ev));
        ev[pos].field = m->field;
        ev[pos].start = m->start;
        ev[pos].end = m->end;
        ev[pos].rule = r->id;
        ev[pos].weight = r->weight;
        count[c] = n;
    }
    for (int c = 0; c < NF_CAT__CNT; c++)
        out->evidence_n[c] = count[c];
}

/* The first rule at or after id with hits in the current article; nrules if none. */
static size_t next_touched(const nf_classifier_t *cls, size_t id)
{
    size_t words = (cls->nrules + 63) / 64;
    for (size_t w = id / 64; w < words; w++) {
        uint64_t bits = cls->touched[w];
        if (w == id / 64)
            bits &= ~0ull << (id % 64);
        if (bits)
            return w * 64 + (size_t)__builtin_ctzll(bits);
    }
    return cls->nrules;
}

int nf_classify(nf_classifier_t *cls, const nf_article_t *article, nf_classification_t *out)
{
    const char *fields[NF_FIELD__CNT] = {article->title, article->body, article->summary};
    for (int f = 0; f < NF_FIELD__CNT; f++) {
        cls->own[f].n = 0;
        if (fields[f] && nf_tokenise(fields[f], strlen(fields[f]), NULL, &cls->own[f]) != 0) {
            memset(out, 0, sizeof(*out));
            out->primary = -1;
            return NF_ENOMEM;
        }
    }
    return nf_classify_tokens(cls, article, cls->own, out);
}

int nf_classify_tokens(nf_classifier_t *cls, const nf_article_t *article,
                       const nf_toks_t toks[NF_FIELD__CNT], nf_classification_t *out)
{
    const char *fields[NF_FIELD__CNT] = {article->title, article->body, article->summary};
    float score[NF_CAT__CNT][FIELD_GROUPS] = {{0}};
    float *sub_score = cls->sub_score;
    int rc = NF_OK;

    memset(out, 0, sizeof(*out));
    out->primary = -1;
    cls->nmatches = 0;
    /* counts are zero but for the rules the last article touched */
    for (size_t w = 0; w < (cls->nrules + 63) / 64; w++) {
        for (uint64_t bits = cls->touched[w]; bits; bits &= bits - 1) {
            size_t id = w * 64 + (size_t)__builtin_ctzll(bits);
            for (int g = 0; g < FIELD_GROUPS; g++)
                cls->count[id * FIELD_GROUPS + g] = cls->overflow[id * FIELD_GROUPS + g] = 0;
        }
        cls->touched[w] = 0;
    }
    nf_featvec_reset(&cls->fv);

    size_t flen[NF_FIELD__CNT];
    for (int f = 0; f < NF_FIELD__CNT; f++) {
        size_t len = flen[f] = fields[f] ? strlen(fields[f]) : 0;
        if (len == 0)
            continue;
        if (len > UINT32_MAX)
            len = UINT32_MAX;
        cls->field = f;
        if (++cls->gen == 0) { /* wrapped: forget every rule's last match */
            memset(cls->last_gen, 0, cls->nrules * sizeof(*cls->last_gen));
            cls->gen = 1;
        }
        size_t first = cls->nmatches;
        cls->text = fields[f];
        cls->text_len = len;
        hs_error_t err = HS_SUCCESS;
        if (cls->db)
            err = hs_scan(cls->db, fields[f], (unsigned)len, 0, cls->scratch, on_match, cls);
        cls->wide = toks[f].wide;
        scan_words(cls, &toks[f]);
        if (cls->any_builtin)
            scan_numbers(cls, fields[f], len);
        match_near(cls, first, fields[f]);
        if (cls->wide) /* in ASCII text every offset is a character boundary */
            snap_to_characters(cls, first, fields[f], len);
        if (err != HS_SUCCESS) {
            nf_log_ratelimited(NF_LOG_ERROR, "classify", "hs_scan", "hs_scan failed: %d (%s %s)",
                               (int)err, article->id ? article->id : "?", nf_field_name(f));
            rc = NF_EINVAL;
        }
    }

    /*
     * Negative patterns cancel the positive hits they overlap, in the same field; for a
     * near() hit, overlapping only the text between its two terms does not count.
     */
    size_t npos = 0, nneg = 0, nhits = 0;
    for (size_t i = 0; i < cls->nmatches; i++) {
        uint8_t kind = cls->rules[cls->matches[i].rule].kind;
        if (kind == KIND_TERM)
            continue;
        cls->hit_idx[nhits++] = (uint16_t)i;
        if (kind == KIND_POS)
            cls->pos_idx[npos++] = (uint16_t)i;
        else if (kind == KIND_NEG)
            cls->neg_idx[nneg++] = (uint16_t)i;
    }
    cls->npos = npos;
    cls->nneg = nneg;
    cls->nhits = nhits;
    for (size_t i = 0; i < nneg; i++) {
        const match_t *n = &cls->matches[cls->neg_idx[i]];
        const rule_t *nr = &cls->rules[n->rule];
        for (size_t j = 0; j < npos; j++) {
            match_t *p = &cls->matches[cls->pos_idx[j]];
            const rule_t *pr = &cls->rules[p->rule];
            if (p->field == n->field && (nr->target >> pr->category) & 1 && p->start < n->end &&
                n->start < p->end && !(n->start >= p->gap_start && n->end <= p->gap_end))
                p->cancelled |= (uint8_t)(1u << pr->category);
        }
    }

    bool wire = is_wire_style(fields[NF_FIELD_TITLE]);
    unsigned fflags = wire ? NF_FEAT_WIRE : 0;

    /* hit counts per rule and field group, rule scores, subtype scores */
    for (int i = 0; i < cls->nsubtypes; i++)
        sub_score[i] = 0.0f;
    for (size_t i = 0; i < nhits; i++) { /* a term's hits are no feature and no score */
        const match_t *m = &cls->matches[cls->hit_idx[i]];
        const rule_t *r = &cls->rules[m->rule];
        if (r->kind == KIND_POS && (m->cancelled >> r->category) & 1)
            continue;
        int g = m->field == NF_FIELD_TITLE ? 0 : 1;
        cls->touched[m->rule / 64] |= 1ull << (m->rule % 64);
        if (cls->count[m->rule * FIELD_GROUPS + g] < UINT16_MAX)
            cls->count[m->rule * FIELD_GROUPS + g]++;
        if (r->kind == KIND_POS && r->subtype >= 0)
            sub_score[r->subtype] += evidence_strength(r, m);
    }
    /* the rules with hits, in rule order (the order of the features) */
    for (size_t id = next_touched(cls, 0); id < cls->nrules; id = next_touched(cls, id + 1)) {
        const rule_t *r = &cls->rules[id];
        if (r->kind == KIND_TERM)
            continue;
        for (int g = 0; g < FIELD_GROUPS; g++) {
            unsigned n =
                (unsigned)cls->count[id * FIELD_GROUPS + g] + cls->overflow[id * FIELD_GROUPS + g];
            if (n == 0)
                continue;
            float v = hits_value(n);
            /*
             * A rule's hit is a feature of its own category only. Letting every rule
             * feed every category (and the dense rule scores likewise) gained about
             * 0.01 of cross-validated macro-F1, inside the noise, and taught the model
             * that a strong deal makes a funding round less likely: the DESIGN.md
             * article (a strategic investment inside a round) lost its funding label.
             */
            unsigned cats = r->kind == KIND_POS ? 1u << r->category : r->target;
            nf_features_rule(&cls->fv, cls->hash_bits, r->id_hash,
                             g == 0 ? NF_FEATURE_NS_RULE_T : NF_FEATURE_NS_RULE_B, fflags, cats, v);
            if (r->kind == KIND_POS) {
                score[r->category][g] += r->weight * v;
            } else if (r->kind == KIND_NEG || r->kind == KIND_HEDGE) {
                for (int c = 0; c < NF_CAT__CNT; c++)
                    if ((r->target >> c) & 1)
                        score[c][g] += r->weight * v;
            }
        }
    }

    /* word features: the title, then the body (or the summary when there is no body) */
    if (flen[NF_FIELD_TITLE])
        nf_features_tokens(&cls->fv, cls->hash_bits, fields[NF_FIELD_TITLE], toks[NF_FIELD_TITLE].v,
                           toks[NF_FIELD_TITLE].n, fflags | NF_FEAT_TITLE, NF_TITLE_MAX_TOKENS);
    int bf = flen[NF_FIELD_BODY] ? NF_FIELD_BODY : NF_FIELD_SUMMARY;
    bool has_body = flen[bf] > 0;
    if (has_body)
        nf_features_tokens(&cls->fv, cls->hash_bits, fields[bf], toks[bf].v, toks[bf].n, fflags,
                           NF_BODY_MAX_TOKENS);
    for (int c = 0; c < NF_CAT__CNT; c++) {
        cls->fv.dense[2 * c] = clampf(score[c][0] / 4.0f, -3.0f, 3.0f);
        cls->fv.dense[2 * c + 1] = clampf(score[c][1] / 4.0f, -3.0f, 3.0f);
        out->rule_score[c] = score[c][0] + 0.5f * score[c][1];
    }
    cls->fv.dense[6] = has_body ? 1.0f : 0.0f;
    cls->fv.dense[7] = wire ? 1.0f : 0.0f;

    if (cls->model) {
        nf_model_score(cls->model, &cls->fv, out->score);
    } else {
        /* rules only: a rule score of 2 (one strong title hit) is an even chance */
        for (int c = 0; c < NF_CAT__CNT; c++)
            out->score[c] = sigmoidf(1.5f * (out->rule_score[c] - 2.0f));
    }

    pick_evidence(cls, out);
    for (int c = 0; c < NF_CAT__CNT; c++) {
        out->assigned[c] = out->score[c] >= cls->threshold[c];
        if (out->assigned[c] && (out->primary < 0 || out->score[c] > out->score[out->primary]))
            out->primary = c;
        int best = -1;
        for (int i = 0; i < cls->nsubtypes; i++)
            if (cls->subtypes[i].category == c && sub_score[i] > 0.0f &&
                (best < 0 || sub_score[i] > sub_score[best]))
                best = i;
        out->subtype[c] = best >= 0 ? cls->subtypes[best].name : NULL;
    }
    return rc;
}

/* ---- output ---- */

/* appends a string literal (only a literal compiles) */
#define PUTS(out, lit) nf_buf_append(out, "" lit, sizeof(lit) - 1)

static void puts_str(nf_buf_t *out, const char *str)
{
    nf_buf_append(out, str, strlen(str));
}

/*
 * A score as a short JSON number: what "%.3f" prints, less trailing zeros. A float times
 * 1000 is exact in a double (24 + 10 significant bits), so rounding that product to the
 * nearest integer, ties to even as printf does, gives printf's digits without printf.
 */
static void put_score(nf_buf_t *out, float score)
{
    double k = nearbyint((double)clampf(score, 0.0f, 1.0f) * 1000.0);
    char num[16];
    size_t n = 0;
    if (!(k >= 0.0 && k <= 1000.0)) { /* NaN: printed as printf prints it */
        snprintf(num, sizeof(num), "%.3f", (double)score);
        nf_buf_append(out, num, strlen(num));
        return;
    }
    unsigned v = (unsigned)k;
    num[n++] = (char)('0' + v / 1000);
    v %= 1000;
    if (v) {
        num[n++] = '.';
        num[n++] = (char)('0' + v / 100);
        num[n++] = (char)('0' + v / 10 % 10);
        num[n++] = (char)('0' + v % 10);
        while (num[n - 1] == '0')
            n--;
    }
    nf_buf_append(out, num, n);
}

void nf_classification_encode(const nf_classification_t *cls, const nf_article_t *article,
                              nf_buf_t *out)
{
    const char *fields[NF_FIELD__CNT] = {article->title, article->body, article->summary};
    size_t lens[NF_FIELD__CNT] = {0};
    bool have_len[NF_FIELD__CNT] = {false};
    int order[NF_CAT__CNT], n = 0;
    for (int c = 0; c < NF_CAT__CNT; c++) {
        if (!cls->assigned[c])
            continue;
        int pos = n++;
        while (pos > 0 && cls->score[order[pos - 1]] < cls->score[c]) {
            order[pos] = order[pos - 1];
            pos--;
        }
        order[pos] = c;
    }
    PUTS(out, ",\"categories\":[");
    for (int k = 0; k < n; k++) {
        int c = order[k];
        if (k)
            PUTS(out, ",");
        PUTS(out, "{\"name\":\"");
        puts_str(out, nf_category_name(c));
        PUTS(out, "\",\"score\":");
        put_score(out, cls->score[c]);
        if (cls->subtype[c]) {
            PUTS(out, ",\"subtype\":");
            nf_json_string(out, cls->subtype[c]);
        }
        PUTS(out, ",\"evidence\":[");
        int written = 0;
        for (int i = 0; i < cls->evidence_n[c]; i++) {
            const nf_evidence_t *ev = &cls->evidence[c][i];
            const char *text =
                ev->field >= 0 && ev->field < NF_FIELD__CNT ? fields[ev->field] : NULL;
            if (text && !have_len[ev->field]) {
                lens[ev->field] = strlen(text);
                have_len[ev->field] = true;
            }
            size_t len = text ? lens[ev->field] : 0;
            if (!text || ev->end > len || ev->start >= ev->end)
                continue; /* not the article that was classified: say nothing wrong */
            if (written++)
                PUTS(out, ",");
            PUTS(out, "{\"field\":\"");
            puts_str(out, nf_field_name(ev->field));
            PUTS(out, "\",\"start\":");
            nf_buf_put_u64(out, ev->start);
            PUTS(out, ",\"end\":");
            nf_buf_put_u64(out, ev->end);
            PUTS(out, ",\"text\":");
            nf_json_string_n(out, text + ev->start, ev->end - ev->start);
            PUTS(out, ",\"rule\":");
            nf_json_string(out, ev->rule);
            PUTS(out, "}");
        }
        PUTS(out, "]}");
    }
    PUTS(out, "],\"primary_category\":\"");
    puts_str(out, nf_category_name(cls->primary));
    PUTS(out, "\"");
}
