/*
 * alerts: a small line parser for the rules file, a validator that names the rule and
 * line at fault, an evaluator over nf_alert_view_t, and the alert writer.
 *
 * The file is read whole and parsed line by line into sections ([rule NAME],
 * [watchlist NAME]); a section is checked when the next one starts and references
 * between sections (a rule's "watchlist = NAME") are resolved once the file is read, so
 * sections may come in any order. Every string the set keeps is copied into a pool that
 * nf_alert_rules_destroy() frees, so a rule holds no allocations of its own apart from
 * its arrays.
 *
 * Names (watch-listed entities, publishers) are compared folded: ASCII case ignored,
 * full stops and commas dropped, runs of white space taken as one space, leading and
 * trailing space ignored. A rule's watch-list is an array of folded-name hashes sorted
 * for binary search, so a rule with thousands of aliases costs a few probes per entity.
 */
#include "alerts.h"
#include "encode.h"
#include "err.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_LEN 64
#define MATCHED_MAX  16 /* watch-listed entities reported in an alert */
#define TOP_AMOUNTS  3

/* Vocabularies ------------------------------------------------------------------------- */

static const char *const CATEGORIES[] = {"deal", "funding", "infrastructure", NULL};
static const char *const ROLES[] = {"investor", "lead_investor", "acquirer", "target",
                                    "seller",   "fundraiser",    "partner",  "operator",
                                    "customer", "supplier",      NULL};
static const char *const KINDS[] = {"investment", "round_size", "valuation", "capex", "revenue",
                                    "commitment", "price",      "other",     NULL};
static const char *const SEVERITIES[] = {"info", "warning", "critical", NULL};

static int lookup(const char *const *names, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

/* "a, b or c" into buf. */
static const char *name_list(const char *const *names, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; names[i] && n < size; i++) {
        const char *joint = i == 0 ? "" : names[i + 1] ? ", " : " or ";
        n += (size_t)snprintf(buf + n, size - n, "%s%s", joint, names[i]);
    }
    return buf;
}

const char *nf_alert_severity_name(nf_alert_severity_t severity)
{
    return (unsigned)severity <= NF_ALERT_CRITICAL ? SEVERITIES[severity] : "info";
}

/* Currencies --------------------------------------------------------------------------- */

/*
 * USD per unit of currency: approximate reference rates as of CURRENCY_DATE, rounded to
 * about three significant figures; documented in docs/alerts.md. Pegged currencies use
 * their peg. They serve thresholds such as "over USD 1 bn", not accounting.
 */
#define CURRENCY_DATE "2025-06-30"

typedef struct currency {
    const char *iso;
    double usd;
} currency_t;

#define EUR_USD 1.17
static const currency_t CURRENCIES[] = {
    {"USD", 1.0},
    {"EUR", EUR_USD},
    {"GBP", 1.37},
    {"JPY", 0.00694},
    {"CNY", 0.1396},
    {"INR", 0.01167},
    {"CAD", 0.733},
    {"AUD", 0.655},
    {"NZD", 0.607},
    {"CHF", 1.255},
    {"KRW", 0.000738},
    {"SEK", 0.1049},
    {"NOK", 0.0988},
    {"DKK", 0.1568},
    {"HKD", 0.1274},
    {"SGD", 0.785},
    {"TWD", 0.0343},
    {"BRL", 0.1833},
    {"MXN", 0.0532},
    {"ZAR", 0.0563},
    {"AED", 1 / 3.6725},
    {"SAR", 1 / 3.75},
    {"QAR", 1 / 3.64},
    {"KWD", 3.27},
    {"ILS", 0.297},
    {"TRY", 0.0251},
    {"PLN", 0.277},
    {"CZK", 0.0474},
    {"HUF", 0.00293},
    {"RUB", 0.01274},
    {"IDR", 0.0000617},
    {"THB", 0.0307},
    {"MYR", 0.2375},
    {"PHP", 0.01776},
    {"VND", 0.0000383},
    {"PKR", 0.00353},
    {"EGP", 0.0201},
    {"NGN", 0.000654},
    {"CLP", 0.00107},
    {"COP", 0.000245},
    {"PGK", 0.243},
    /* legacy euro-zone currencies, at their irrevocable euro conversion rates */
    {"DEM", EUR_USD / 1.95583},
    {"FRF", EUR_USD / 6.55957},
    {"ITL", EUR_USD / 1936.27},
    {"NLG", EUR_USD / 2.20371},
    {"ESP", EUR_USD / 166.386},
    {"BEF", EUR_USD / 40.3399},
    {"ATS", EUR_USD / 13.7603},
    {"FIM", EUR_USD / 5.94573},
    {"PTE", EUR_USD / 200.482},
    {"IEP", EUR_USD / 0.787564},
    {NULL, 0.0},
};

static const currency_t *currency_find(const char *iso)
{
    if (!iso)
        return NULL;
    for (const currency_t *c = CURRENCIES; c->iso; c++)
        if (!strcasecmp(c->iso, iso))
            return c;
    return NULL;
}

double nf_currency_to_usd(double value, const char *iso, bool *known)
{
    const currency_t *c = currency_find(iso);
    if (known)
        *known = c != NULL;
    return c ? value * c->usd : 0.0;
}

const char *nf_currency_table_date(void)
{
    return CURRENCY_DATE;
}

/* An amount for people: "USD 1.5 bn", "EUR 500 M", "GBP 250 k", "USD 750". */
static void human_amount(char *buf, size_t size, double value, const char *iso)
{
    char code[4] = "???";
    for (int i = 0; i < 3 && iso && iso[i]; i++)
        code[i] = (char)(iso[i] >= 'a' && iso[i] <= 'z' ? iso[i] - 32 : iso[i]);
    static const struct {
        double scale;
        const char *unit;
    } UNITS[] = {{1e12, " tn"}, {1e9, " bn"}, {1e6, " M"}, {1e3, " k"}, {1.0, ""}};
    int u = 0;
    while (u < 4 && !(value >= UNITS[u].scale))
        u++;
    snprintf(buf, size, "%s %.4g%s", code, value / UNITS[u].scale, UNITS[u].unit);
}

/* Folded names --------------------------------------------------------------------------- */

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Letters, digits and every byte of a non-ASCII character count as word characters. */
static bool is_word(unsigned char c)
{
    return (lower(c) >= 'a' && lower(c) <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

typedef struct fold {
    const unsigned char *p;
    bool started, space;
} fold_t;

/* Next byte of the folded form of a name, or -1 at its end. */
static int fold_next(fold_t *f)
{
    for (;;) {
        unsigned char c = *f->p;
        if (!c)
            return -1;
        if (c == '.' || c == ',') {
            f->p++;
            continue;
        }
        if (is_space(c)) {
            f->space = f->started;
            f->p++;
            continue;
        }
        if (f->space) {
            f->space = false;
            return ' ';
        }
        f->started = true;
        f->p++;
        return lower(c);
    }
}

static uint64_t fold_hash(const char *s)
{
    fold_t f = {(const unsigned char *)s, false, false};
    uint64_t h = NF_FNV_SEED;
    for (int c; (c = fold_next(&f)) >= 0;) {
        h ^= (unsigned char)c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static bool fold_equal(const char *a, const char *b)
{
    fold_t fa = {(const unsigned char *)a, false, false};
    fold_t fb = {(const unsigned char *)b, false, false};
    for (;;) {
        int ca = fold_next(&fa), cb = fold_next(&fb);
        if (ca != cb)
            return false;
        if (ca < 0)
            return true;
    }
}

/* Data structures ------------------------------------------------------------------------ */

typedef struct alias {
    uint64_t hash; /* of the folded alias */
    const char *alias;
    const char *canonical; /* the entry's first name */
} alias_t;

typedef struct aliases {
    alias_t *v;
    int n, cap;
} aliases_t;

typedef struct strs {
    const char **v;
    int n, cap;
} strs_t;

typedef struct listref {
    const char *name;
    int line;
} listref_t;

enum {
    K_DESCRIPTION,
    K_CATEGORIES_ANY,
    K_CATEGORIES_ALL,
    K_MIN_SCORE,
    K_MIN_AMOUNT_USD,
    K_MIN_AMOUNT,
    K_AMOUNT_KINDS,
    K_WATCHLIST,
    K_ENTITY,
    K_ROLES,
    K_SOURCES,
    K_KEYWORDS,
    K_SEVERITY,
    K_DESTINATIONS,
    K__CNT
};

static const char *const RULE_KEYS[] = {
    "description", "categories_any", "categories_all", "min_score",    "min_amount_usd",
    "min_amount",  "amount_kinds",   "watchlist",      "entity",       "roles",
    "sources",     "keywords",       "severity",       "destinations", NULL};

struct nf_alert_rule {
    const char *name;
    const char *description;
    int line;
    unsigned set; /* bit per key given */
    nf_alert_severity_t severity;
    unsigned cat_any, cat_all; /* bit per CATEGORIES index */
    bool has_min_score, has_min_amount;
    double min_score;
    double min_usd;
    char min_text[64]; /* the minimum amount for people ("EUR 500 M (USD 585 M)") */
    unsigned kinds;    /* bit per KINDS index; 0: any */
    unsigned roles;    /* bit per ROLES index; 0: any */
    aliases_t watch;   /* sorted by hash once loaded */
    listref_t *lists;  /* watchlist references, resolved once the file is read */
    int nlists, caplists;
    strs_t sources, keywords, dests;
    bool to_topic;
};

typedef struct watchlist {
    const char *name;
    int line;
    aliases_t aliases;
} watchlist_t;

struct nf_alert_rules {
    nf_alert_rule_t **rules;
    int n, cap;
    watchlist_t *lists;
    int nlists, caplists;
    char **pool; /* every string kept */
    size_t npool, cappool;
};

/*
 * Returns v with room for need elements of size elem (capacity *cap), reallocated if
 * needed; NULL when out of memory, v then unchanged.
 */
static void *grow(void *v, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return v;
    int ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    void *nv = realloc(v, (size_t)ncap * elem);
    if (nv)
        *cap = ncap;
    return nv;
}

static const char *keep(nf_alert_rules_t *rs, const char *s, size_t len)
{
    if (rs->npool == rs->cappool) {
        size_t ncap = rs->cappool ? rs->cappool * 2 : 64;
        char **np = realloc(rs->pool, ncap * sizeof(*np));
        if (!np)
            return NULL;
        rs->pool = np;
        rs->cappool = ncap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    rs->pool[rs->npool++] = copy;
    return copy;
}

static void rule_free(nf_alert_rule_t *r)
{
    if (!r)
        return;
    free(r->watch.v);
    free(r->lists);
    free(r->sources.v);
    free(r->keywords.v);
    free(r->dests.v);
    free(r);
}

void nf_alert_rules_destroy(nf_alert_rules_t *rs)
{
    if (!rs)
        return;
    for (int i = 0; i < rs->n; i++)
        rule_free(rs->rules[i]);
    free(rs->rules);
    for (int i = 0; i < rs->nlists; i++)
        free(rs->lists[i].aliases.v);
    free(rs->lists);
    for (size_t i = 0; i < rs->npool; i++)
        free(rs->pool[i]);
    free(rs->pool);
    free(rs);
}

/* Parser -------------------------------------------------------------------------------- */

typedef struct parser {
    nf_alert_rules_t *rs;
    const char *file;
    int line;
    nf_alert_rule_t *rule; /* the [rule] section being read */
    int list;              /* the [watchlist] section being read (index), or -1 */
    int section_line;
    char *errstr;
    size_t errsize;
} parser_t;

/* Formats "<file>:<line>: rule "<name>": <message>" into errstr; returns NF_ECONFIG. */
static int perr(parser_t *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int perr(parser_t *p, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (p->rule)
        snprintf(p->errstr, p->errsize, "%s:%d: rule \"%s\": %s", p->file, line, p->rule->name,
                 msg);
    else if (p->list >= 0)
        snprintf(p->errstr, p->errsize, "%s:%d: watchlist \"%s\": %s", p->file, line,
                 p->rs->lists[p->list].name, msg);
    else
        snprintf(p->errstr, p->errsize, "%s:%d: %s", p->file, line, msg);
    return NF_ECONFIG;
}

static int oom(parser_t *p)
{
    snprintf(p->errstr, p->errsize, "%s: out of memory", p->file);
    return NF_ENOMEM;
}

/* Trims <*s, *len> of white space on both ends. */
static void trim(const char **s, size_t *len)
{
    while (*len && is_space((unsigned char)**s))
        (*s)++, (*len)--;
    while (*len && is_space((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

/*
 * Offset of the first byte of <s, len> that is not well-formed UTF-8 (overlongs,
 * surrogates and code points above U+10FFFF included), or len. The file is documented
 * as UTF-8, and its strings reach alert documents and webhooks verbatim.
 */
static size_t utf8_bad(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i], lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c < 0xC2 || c > 0xF4)
            return i;
        size_t need = c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        else if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        if (len - i <= need)
            return i;
        for (size_t k = 1; k <= need; k++)
            if (s[i + k] < (k == 1 ? lo : 0x80) || s[i + k] > (k == 1 ? hi : 0xBF))
                return i;
        i += need + 1;
    }
    return len;
}

typedef int (*item_fn)(parser_t *p, const char *item, void *arg);

/* Calls fn for each sep-separated, trimmed item of value; an empty item is an error. */
static int each_item(parser_t *p, const char *key, const char *value, char sep, item_fn fn,
                     void *arg)
{
    const char *s = value;
    for (;;) {
        const char *end = strchr(s, sep);
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *item = s;
        trim(&item, &len);
        if (!len)
            return perr(p, p->line, "%s: empty item in \"%s\"", key, value);
        const char *copy = keep(p->rs, item, len);
        if (!copy)
            return oom(p);
        int rc = fn(p, copy, arg);
        if (rc)
            return rc;
        if (!end)
            return NF_OK;
        s = end + 1;
    }
}

typedef struct enum_arg {
    const char *key, *what;
    const char *const *names;
    unsigned *bits;
} enum_arg_t;

static int enum_item(parser_t *p, const char *item, void *arg)
{
    enum_arg_t *e = arg;
    int i = lookup(e->names, item);
    char names[256];
    if (i < 0)
        return perr(p, p->line, "%s: unknown %s \"%s\" (expected %s)", e->key, e->what, item,
                    name_list(e->names, names, sizeof(names)));
    *e->bits |= 1u << i;
    return NF_OK;
}

static int str_item(parser_t *p, const char *item, void *arg)
{
    strs_t *v = arg;
    const char **nv = grow(v->v, &v->cap, v->n + 1, sizeof(*nv));
    if (!nv)
        return oom(p);
    v->v = nv;
    v->v[v->n++] = item;
    return NF_OK;
}

/* A keyword: lowercased, inner white space as single spaces. */
static int keyword_item(parser_t *p, const char *item, void *arg)
{
    char *k = (char *)item; /* a pool copy, ours to rewrite */
    size_t n = 0;
    for (size_t i = 0; k[i]; i++) {
        unsigned char c = (unsigned char)k[i];
        if (is_space(c)) {
            if (n && k[n - 1] != ' ')
                k[n++] = ' ';
            continue;
        }
        k[n++] = (char)lower(c);
    }
    k[n] = '\0';
    return str_item(p, k, arg);
}

/*
 * Whether url is an absolute http or https URL with a host (a name, IPv4 or bracketed
 * IPv6 address), an optional port in 1-65535, and no white space, control characters,
 * quotes or angle brackets.
 */
static bool valid_url(const char *url)
{
    const char *s;
    if (!strncmp(url, "http://", 7))
        s = url + 7;
    else if (!strncmp(url, "https://", 8))
        s = url + 8;
    else
        return false;
    const char *h = s;
    if (*s == '[') {
        s++;
        while (*s && *s != ']' && (strchr("0123456789abcdefABCDEF:.", *s) != NULL))
            s++;
        if (*s != ']' || s == h + 1)
            return false;
        s++;
    } else {
        while (*s && (is_word((unsigned char)*s) || *s == '.' || *s == '-') &&
               (unsigned char)*s < 0x80)
            s++;
        if (s == h || *h == '.' || *h == '-')
            return false;
    }
    if (*s == ':') {
        s++;
        long port = 0;
        const char *d = s;
        while (*s >= '0' && *s <= '9' && s - d < 6)
            port = port * 10 + (*s++ - '0');
        if (s == d || port < 1 || port > 65535)
            return false;
    }
    if (*s && *s != '/' && *s != '?' && *s != '#')
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\')
            return false;
    }
    return true;
}

static int dest_item(parser_t *p, const char *item, void *arg)
{
    nf_alert_rule_t *r = arg;
    if (strcmp(item, "topic") && !valid_url(item))
        return perr(p, p->line,
                    "destinations: \"%s\" is neither \"topic\" nor an http:// or https:// URL",
                    item);
    for (int i = 0; i < r->dests.n; i++)
        if (!strcmp(r->dests.v[i], item))
            return perr(p, p->line, "destinations: \"%s\" is listed twice", item);
    if (!strcmp(item, "topic"))
        r->to_topic = true;
    return str_item(p, item, &r->dests);
}

static int listref_item(parser_t *p, const char *item, void *arg)
{
    nf_alert_rule_t *r = arg;
    listref_t *nl = grow(r->lists, &r->caplists, r->nlists + 1, sizeof(*nl));
    if (!nl)
        return oom(p);
    r->lists = nl;
    r->lists[r->nlists++] = (listref_t){item, p->line};
    return NF_OK;
}

typedef struct entity_arg {
    aliases_t *out;
    const char *canonical;
} entity_arg_t;

static int alias_item(parser_t *p, const char *item, void *arg)
{
    entity_arg_t *e = arg;
    if (!e->canonical)
        e->canonical = item;
    alias_t *nv = grow(e->out->v, &e->out->cap, e->out->n + 1, sizeof(*nv));
    if (!nv)
        return oom(p);
    e->out->v = nv;
    e->out->v[e->out->n++] = (alias_t){fold_hash(item), item, e->canonical};
    return NF_OK;
}

/* "Amazon | Amazon.com | AWS": one watch-listed entity, its canonical name first. */
static int parse_entity(parser_t *p, const char *value, aliases_t *out)
{
    entity_arg_t e = {out, NULL};
    return each_item(p, "entity", value, '|', alias_item, &e);
}

/*
 * "1bn", "1.5 billion", "500m", "250k", "1e9", "1,000,000": a non-negative amount, into
 * *value; the rest of the text (trimmed) is left in *rest.
 */
static bool parse_amount(const char *s, double *value, const char **rest)
{
    char num[64];
    size_t n = 0;
    while (is_space((unsigned char)*s))
        s++;
    if (!((*s >= '0' && *s <= '9') || *s == '.'))
        return false;
    while (*s && n + 1 < sizeof(num) &&
           ((*s >= '0' && *s <= '9') || *s == '.' || *s == ',' || *s == '_' ||
            ((*s == 'e' || *s == 'E') && s[1] >= '0' && s[1] <= '9'))) {
        if (*s != ',' && *s != '_')
            num[n++] = *s;
        s++;
    }
    num[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(num, &end);
    if (*end || errno || !isfinite(v) || v < 0)
        return false;
    while (is_space((unsigned char)*s))
        s++;
    static const struct {
        const char *word;
        double scale;
    } SCALES[] = {{"thousand", 1e3}, {"k", 1e3},  {"million", 1e6}, {"mln", 1e6},
                  {"mn", 1e6},       {"mm", 1e6}, {"m", 1e6},       {"billion", 1e9},
                  {"bln", 1e9},      {"bn", 1e9}, {"b", 1e9},       {"trillion", 1e12},
                  {"tn", 1e12},      {"t", 1e12}, {NULL, 0}};
    size_t wl = 0;
    while ((lower((unsigned char)s[wl]) >= 'a' && lower((unsigned char)s[wl]) <= 'z'))
        wl++;
    for (int i = 0; wl && SCALES[i].word; i++)
        if (strlen(SCALES[i].word) == wl && !strncasecmp(s, SCALES[i].word, wl)) {
            v *= SCALES[i].scale;
            s += wl;
            break;
        }
    while (is_space((unsigned char)*s))
        s++;
    *value = v;
    *rest = s;
    return true;
}

static int parse_min_amount(parser_t *p, nf_alert_rule_t *r, int key, const char *key_name,
                            const char *value)
{
    double v;
    const char *rest;
    if (!parse_amount(value, &v, &rest))
        return perr(p, p->line,
                    "%s: \"%s\" is not an amount (a number, optionally with k, m, bn or tn)",
                    key_name, value);
    const char *iso = rest;
    if (key == K_MIN_AMOUNT_USD) {
        if (*rest && strcasecmp(rest, "USD"))
            return perr(p, p->line, "%s: unexpected \"%s\" after the amount (the amount is in USD)",
                        key_name, rest);
        iso = "USD";
    } else if (!*rest) {
        return perr(p, p->line, "%s: \"%s\" needs a currency code (\"500m EUR\")", key_name, value);
    }
    bool known;
    double usd = nf_currency_to_usd(v, iso, &known);
    if (!known)
        return perr(p, p->line, "%s: unknown currency \"%s\" (see docs/alerts.md)", key_name, iso);
    r->has_min_amount = true;
    r->min_usd = usd;
    human_amount(r->min_text, sizeof(r->min_text), v, iso);
    if (strcasecmp(iso, "USD")) {
        char u[32];
        human_amount(u, sizeof(u), usd, "USD");
        size_t n = strlen(r->min_text);
        snprintf(r->min_text + n, sizeof(r->min_text) - n, " (%s)", u);
    }
    return NF_OK;
}

static int rule_key(parser_t *p, const char *key, const char *value)
{
    nf_alert_rule_t *r = p->rule;
    int k = lookup(RULE_KEYS, key);
    char names[512];
    if (k < 0)
        return perr(p, p->line, "unknown key \"%s\" (expected %s)", key,
                    name_list(RULE_KEYS, names, sizeof(names)));
    /* Single-valued keys may be given once; list keys accumulate. */
    int slot = k == K_MIN_AMOUNT ? K_MIN_AMOUNT_USD : k;
    bool single = k == K_DESCRIPTION || k == K_MIN_SCORE || k == K_MIN_AMOUNT_USD ||
                  k == K_MIN_AMOUNT || k == K_SEVERITY;
    if (single && (r->set & (1u << slot)))
        return perr(p, p->line, "%s is given twice", k == slot ? key : "min_amount");
    r->set |= 1u << slot;

    switch (k) {
    case K_DESCRIPTION:
        r->description = keep(p->rs, value, strlen(value));
        return r->description ? NF_OK : oom(p);
    case K_CATEGORIES_ANY:
    case K_CATEGORIES_ALL: {
        enum_arg_t e = {key, "category", CATEGORIES,
                        k == K_CATEGORIES_ANY ? &r->cat_any : &r->cat_all};
        return each_item(p, key, value, ',', enum_item, &e);
    }
    case K_MIN_SCORE: {
        char *end;
        double v = strtod(value, &end);
        if (end == value || *end || !(v >= 0.0 && v <= 1.0))
            return perr(p, p->line, "min_score: \"%s\" is not a number from 0 to 1", value);
        r->has_min_score = true;
        r->min_score = v;
        return NF_OK;
    }
    case K_MIN_AMOUNT_USD:
    case K_MIN_AMOUNT:
        return parse_min_amount(p, r, k, key, value);
    case K_AMOUNT_KINDS: {
        enum_arg_t e = {key, "amount kind", KINDS, &r->kinds};
        return each_item(p, key, value, ',', enum_item, &e);
    }
    case K_ROLES: {
        enum_arg_t e = {key, "role", ROLES, &r->roles};
        return each_item(p, key, value, ',', enum_item, &e);
    }
    case K_WATCHLIST:
        return each_item(p, key, value, ',', listref_item, r);
    case K_ENTITY:
        return parse_entity(p, value, &r->watch);
    case K_SOURCES:
        return each_item(p, key, value, ',', str_item, &r->sources);
    case K_KEYWORDS:
        return each_item(p, key, value, ',', keyword_item, &r->keywords);
    case K_DESTINATIONS:
        return each_item(p, key, value, ',', dest_item, r);
    case K_SEVERITY: {
        int s = lookup(SEVERITIES, value);
        if (s < 0)
            return perr(p, p->line, "severity: unknown severity \"%s\" (expected %s)", value,
                        name_list(SEVERITIES, names, sizeof(names)));
        r->severity = (nf_alert_severity_t)s;
        return NF_OK;
    }
    }
    return NF_OK;
}

/* Checks the section being closed. */
static int end_section(parser_t *p)
{
    nf_alert_rule_t *r = p->rule;
    if (r) {
        if (!(r->set & (1u << K_SEVERITY)))
            return perr(p, p->section_line, "missing severity (info, warning or critical)");
        bool conditions = r->cat_any || r->cat_all || r->has_min_score || r->has_min_amount ||
                          r->watch.n || r->nlists || r->roles || r->sources.n || r->keywords.n;
        if (!conditions)
            return perr(p, p->section_line, "has no conditions: it would fire on every article");
        if (r->kinds && !r->has_min_amount)
            return perr(p, p->section_line, "amount_kinds needs min_amount_usd or min_amount");
        if (!r->dests.n) {
            r->to_topic = true;
            if (str_item(p, "topic", &r->dests))
                return NF_ENOMEM;
        }
    } else if (p->list >= 0 && !p->rs->lists[p->list].aliases.n) {
        return perr(p, p->section_line, "has no entity lines");
    }
    p->rule = NULL;
    p->list = -1;
    return NF_OK;
}

static bool valid_name(const char *s, size_t len)
{
    if (!len || len > NAME_MAX_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(is_word(c) && c < 0x80) && c != '-' && c != '_' && c != '.')
            return false;
    }
    return true;
}

static int section(parser_t *p, const char *s, size_t len)
{
    int rc = end_section(p);
    if (rc)
        return rc;
    if (len < 2 || s[len - 1] != ']')
        return perr(p, p->line, "bad section header (expected [rule NAME] or [watchlist NAME])");
    s++;
    len -= 2;
    trim(&s, &len);
    size_t kl = 0;
    while (kl < len && !is_space((unsigned char)s[kl]))
        kl++;
    const char *name = s + kl;
    size_t nl = len - kl;
    trim(&name, &nl);
    bool is_rule = kl == 4 && !strncmp(s, "rule", 4);
    bool is_list = kl == 9 && !strncmp(s, "watchlist", 9);
    if (!is_rule && !is_list)
        return perr(p, p->line,
                    "unknown section \"[%.*s]\" (expected [rule NAME] or [watchlist NAME])",
                    (int)len, s);
    if (!valid_name(name, nl))
        return perr(p, p->line, "bad %s name \"%.*s\" (1 to 64 letters, digits, '-', '_' or '.')",
                    is_rule ? "rule" : "watchlist", (int)nl, name);
    const char *copy = keep(p->rs, name, nl);
    if (!copy)
        return oom(p);
    p->section_line = p->line;
    if (is_rule) {
        for (int i = 0; i < p->rs->n; i++)
            if (!strcmp(p->rs->rules[i]->name, copy))
                return perr(p, p->line, "duplicate rule name \"%s\" (first at line %d)", copy,
                            p->rs->rules[i]->line);
        nf_alert_rule_t **nv = grow(p->rs->rules, &p->rs->cap, p->rs->n + 1, sizeof(*nv));
        if (!nv)
            return oom(p);
        p->rs->rules = nv;
        nf_alert_rule_t *r = calloc(1, sizeof(*r));
        if (!r)
            return oom(p);
        r->name = copy;
        r->description = "";
        r->line = p->line;
        p->rs->rules[p->rs->n++] = r;
        p->rule = r;
    } else {
        for (int i = 0; i < p->rs->nlists; i++)
            if (!strcmp(p->rs->lists[i].name, copy))
                return perr(p, p->line, "duplicate watchlist name \"%s\" (first at line %d)", copy,
                            p->rs->lists[i].line);
        watchlist_t *nv = grow(p->rs->lists, &p->rs->caplists, p->rs->nlists + 1, sizeof(*nv));
        if (!nv)
            return oom(p);
        p->rs->lists = nv;
        p->rs->lists[p->rs->nlists] = (watchlist_t){copy, p->line, {NULL, 0, 0}};
        p->list = p->rs->nlists++;
    }
    return NF_OK;
}

static int key_value(parser_t *p, const char *s, size_t len)
{
    const char *eq = memchr(s, '=', len);
    if (!eq)
        return perr(p, p->line, "expected \"key = value\", a [section] or a # comment");
    const char *k = s, *v = eq + 1;
    size_t kl = (size_t)(eq - s), vl = len - kl - 1;
    trim(&k, &kl);
    trim(&v, &vl);
    char key[64];
    if (!kl || kl >= sizeof(key))
        return perr(p, p->line, "bad key \"%.*s\"", (int)kl, k);
    memcpy(key, k, kl);
    key[kl] = '\0';
    if (!p->rule && p->list < 0)
        return perr(p, p->line, "\"%s\" outside a [rule NAME] or [watchlist NAME] section", key);
    if (!vl)
        return perr(p, p->line, "%s: empty value", key);
    char *value = malloc(vl + 1);
    if (!value)
        return oom(p);
    memcpy(value, v, vl);
    value[vl] = '\0';
    int rc;
    if (p->rule)
        rc = rule_key(p, key, value);
    else if (strcmp(key, "entity"))
        rc = perr(p, p->line, "unknown key \"%s\" (a watchlist has only entity lines)", key);
    else
        rc = parse_entity(p, value, &p->rs->lists[p->list].aliases);
    free(value);
    return rc;
}

static int cmp_alias(const void *a, const void *b)
{
    const alias_t *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return strcmp(x->alias, y->alias);
}

/* Adds the referenced watchlists to each rule's own entities and sorts them for lookup. */
static int resolve(parser_t *p)
{
    for (int i = 0; i < p->rs->n; i++) {
        nf_alert_rule_t *r = p->rs->rules[i];
        for (int j = 0; j < r->nlists; j++) {
            const watchlist_t *wl = NULL;
            for (int k = 0; k < p->rs->nlists && !wl; k++)
                if (!strcmp(p->rs->lists[k].name, r->lists[j].name))
                    wl = &p->rs->lists[k];
            if (!wl) {
                p->rule = r;
                return perr(p, r->lists[j].line, "watchlist: no [watchlist %s] in the file",
                            r->lists[j].name);
            }
            alias_t *nv = grow(r->watch.v, &r->watch.cap, r->watch.n + wl->aliases.n, sizeof(*nv));
            if (!nv)
                return oom(p);
            r->watch.v = nv;
            memcpy(r->watch.v + r->watch.n, wl->aliases.v,
                   (size_t)wl->aliases.n * sizeof(*r->watch.v));
            r->watch.n += wl->aliases.n;
        }
        if (r->watch.n)
            qsort(r->watch.v, (size_t)r->watch.n, sizeof(*r->watch.v), cmp_alias);
    }
    return NF_OK;
}

nf_alert_rules_t *nf_alert_rules_parse(const char *name, const char *text, size_t len, char *errstr,
                                       size_t errstr_size)
{
    nf_alert_rules_t *rs = calloc(1, sizeof(*rs));
    parser_t p = {rs, name ? name : "(rules)", 0, NULL, -1, 0, errstr, errstr_size};
    if (!rs) {
        snprintf(errstr, errstr_size, "%s: out of memory", p.file);
        return NULL;
    }
    int rc = NF_OK;
    size_t pos = 0;
    while (pos < len && !rc) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - s) : len - pos;
        pos += ll + 1;
        p.line++;
        if (memchr(s, '\0', ll)) {
            rc = perr(&p, p.line, "NUL byte in line");
            break;
        }
        size_t bad = utf8_bad((const unsigned char *)s, ll);
        if (bad < ll) {
            rc = perr(&p, p.line, "not UTF-8 (byte %zu of the line)", bad + 1);
            break;
        }
        trim(&s, &ll);
        if (!ll || *s == '#' || *s == ';')
            continue;
        rc = *s == '[' ? section(&p, s, ll) : key_value(&p, s, ll);
    }
    if (!rc)
        rc = end_section(&p);
    if (!rc)
        rc = resolve(&p);
    if (!rc && rs->n == 0) {
        snprintf(errstr, errstr_size, "%s: no [rule NAME] sections", p.file);
        rc = NF_ECONFIG;
    }
    if (rc) {
        nf_alert_rules_destroy(rs);
        return NULL;
    }
    return rs;
}

nf_alert_rules_t *nf_alert_rules_load(const char *path, char *errstr, size_t errstr_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    nf_buf_t text = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        nf_buf_append(&text, chunk, n);
    bool failed = ferror(f) != 0;
    fclose(f);
    nf_alert_rules_t *rs = NULL;
    if (failed)
        snprintf(errstr, errstr_size, "%s: read error", path);
    else if (text.oom)
        snprintf(errstr, errstr_size, "%s: out of memory", path);
    else
        rs = nf_alert_rules_parse(path, text.data ? text.data : "", text.len, errstr, errstr_size);
    nf_buf_free(&text);
    return rs;
}

/* Accessors ------------------------------------------------------------------------------ */

int nf_alert_rules_count(const nf_alert_rules_t *rs)
{
    return rs ? rs->n : 0;
}

const nf_alert_rule_t *nf_alert_rules_get(const nf_alert_rules_t *rs, int i)
{
    return rs && i >= 0 && i < rs->n ? rs->rules[i] : NULL;
}

const nf_alert_rule_t *nf_alert_rules_find(const nf_alert_rules_t *rs, const char *name)
{
    for (int i = 0; rs && name && i < rs->n; i++)
        if (!strcmp(rs->rules[i]->name, name))
            return rs->rules[i];
    return NULL;
}

const char *nf_alert_rule_name(const nf_alert_rule_t *r)
{
    return r->name;
}

const char *nf_alert_rule_description(const nf_alert_rule_t *r)
{
    return r->description;
}

int nf_alert_rule_line(const nf_alert_rule_t *r)
{
    return r->line;
}

nf_alert_severity_t nf_alert_rule_severity(const nf_alert_rule_t *r)
{
    return r->severity;
}

int nf_alert_rule_destination_count(const nf_alert_rule_t *r)
{
    return r->dests.n;
}

const char *nf_alert_rule_destination(const nf_alert_rule_t *r, int i)
{
    return i >= 0 && i < r->dests.n ? r->dests.v[i] : NULL;
}

bool nf_alert_rule_to_topic(const nf_alert_rule_t *r)
{
    return r->to_topic;
}

/* Evaluation ----------------------------------------------------------------------------- */

typedef struct match {
    int entity[MATCHED_MAX];        /* view entities that matched the watch-list */
    const char *watch[MATCHED_MAX]; /* the canonical watch-list name each matched */
    int n;
} match_t;

static unsigned role_bits(const nf_alert_entity_t *e)
{
    unsigned bits = 0;
    for (int i = 0; i < e->nroles && e->roles; i++) {
        int r = lookup(ROLES, e->roles[i]);
        if (r >= 0)
            bits |= 1u << r;
    }
    return bits;
}

/* The first role of bits that is also in want, for why. */
static const char *role_name(unsigned bits, unsigned want)
{
    for (int i = 0; ROLES[i]; i++)
        if (bits & want & (1u << i))
            return ROLES[i];
    return "";
}

static const alias_t *watch_find(const nf_alert_rule_t *r, const char *name)
{
    if (!name || !r->watch.n)
        return NULL;
    uint64_t h = fold_hash(name);
    int lo = 0, hi = r->watch.n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (r->watch.v[mid].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (int i = lo; i < r->watch.n && r->watch.v[i].hash == h; i++)
        if (fold_equal(r->watch.v[i].alias, name))
            return &r->watch.v[i];
    return NULL;
}

/*
 * Whether the keyword (lowercased, single spaces) occurs in text case-insensitively, as
 * whole words: a keyword that starts or ends with a word character does not match inside
 * a longer word. A space in the keyword matches any run of white space.
 */
static bool has_keyword(const char *text, const char *kw)
{
    if (!text)
        return false;
    const unsigned char *t = (const unsigned char *)text;
    const unsigned char *k = (const unsigned char *)kw;
    size_t kl = strlen(kw);
    bool word_start = is_word(k[0]), word_end = is_word(k[kl - 1]);
    for (size_t i = 0; t[i]; i++) {
        if (lower(t[i]) != k[0] || (word_start && i > 0 && is_word(t[i - 1])))
            continue;
        size_t j = 1, e = i + 1;
        while (j < kl && t[e]) {
            if (k[j] == ' ' && is_space(t[e])) {
                while (is_space(t[e]))
                    e++;
                j++;
            } else if (lower(t[e]) == k[j]) {
                e++;
                j++;
            } else {
                break;
            }
        }
        if (j == kl && !(word_end && is_word(t[e])))
            return true;
    }
    return false;
}

static void sep(nf_buf_t *why, size_t start)
{
    if (why && why->len > start)
        nf_buf_puts(why, "; ");
}

/*
 * Evaluates the rule's conditions, cheapest first, stopping at the first that fails.
 * why (optional) receives what matched, or, on failure, only the reason.
 */
static bool evaluate(const nf_alert_rule_t *r, const nf_alert_view_t *v, nf_buf_t *why, match_t *m)
{
    size_t start = why ? why->len : 0;
    const char *fail = NULL;
    char failbuf[160];
    m->n = 0;
    int ncat = v->ncat < 0                         ? 0
               : v->ncat > NF_ALERT_MAX_CATEGORIES ? NF_ALERT_MAX_CATEGORIES
                                                   : v->ncat;
    double min_score = r->has_min_score ? r->min_score : 0.0;

    /* categories and score */
    if (r->cat_any || r->cat_all || r->has_min_score) {
        unsigned have = 0;
        for (int i = 0; i < ncat; i++) {
            int c = lookup(CATEGORIES, v->categories[i]);
            if (c >= 0 && v->scores[i] >= min_score)
                have |= 1u << c;
        }
        unsigned want = r->cat_any | r->cat_all;
        bool ok = (!r->cat_any || (have & r->cat_any)) &&
                  (!r->cat_all || (have & r->cat_all) == r->cat_all) && (want || have);
        if (!ok) {
            const char *what = r->cat_any && !(have & r->cat_any) ? "none of the rule's categories"
                               : r->cat_all ? "not all of the rule's categories"
                                            : "no category";
            snprintf(failbuf, sizeof(failbuf), "%s with score >= %.2f", what, min_score);
            fail = failbuf;
            goto out;
        }
        if (why) {
            for (int i = 0; i < ncat; i++) {
                int c = lookup(CATEGORIES, v->categories[i]);
                if (c >= 0 && (have & (1u << c)) && (!want || (want & (1u << c)))) {
                    sep(why, start);
                    nf_buf_printf(why, "category %s %.2f", CATEGORIES[c], (double)v->scores[i]);
                }
            }
        }
    }

    /* sources */
    if (r->sources.n) {
        int hit = -1;
        for (int i = 0; i < r->sources.n && hit < 0 && v->source; i++)
            if (fold_equal(r->sources.v[i], v->source))
                hit = i;
        if (hit < 0) {
            fail = "source not in the rule's sources";
            goto out;
        }
        if (why) {
            sep(why, start);
            nf_buf_printf(why, "source %s", v->source);
        }
    }

    /* minimum amount */
    if (r->has_min_amount) {
        int best = -1;
        double best_usd = 0.0;
        for (int i = 0; i < v->namounts && v->amounts; i++) {
            const nf_alert_amount_t *a = &v->amounts[i];
            bool known;
            double usd = nf_currency_to_usd(a->value, a->currency, &known);
            if (!known || !isfinite(usd) || usd < r->min_usd)
                continue;
            if (r->kinds) {
                int k = lookup(KINDS, a->kind);
                if (k < 0 || !(r->kinds & (1u << k)))
                    continue;
            }
            if (best < 0 || usd > best_usd)
                best = i, best_usd = usd;
        }
        if (best < 0) {
            snprintf(failbuf, sizeof(failbuf), "no amount%s >= %s",
                     r->kinds ? " of the rule's kinds" : "", r->min_text);
            fail = failbuf;
            goto out;
        }
        if (why) {
            const nf_alert_amount_t *a = &v->amounts[best];
            sep(why, start);
            char h[32], u[32] = "";
            human_amount(h, sizeof(h), a->value, a->currency);
            if (strcasecmp(a->currency, "USD"))
                human_amount(u, sizeof(u), best_usd, "USD");
            nf_buf_printf(why, "amount %s (%s%s%s) >= %s", h, a->kind ? a->kind : "amount",
                          u[0] ? ", " : "", u, r->min_text);
        }
    }

    /* watch-list, with roles */
    if (r->watch.n) {
        for (int i = 0; i < v->nentities && v->entities; i++) {
            const nf_alert_entity_t *e = &v->entities[i];
            const alias_t *a = watch_find(r, e->name);
            if (!a)
                continue;
            unsigned bits = role_bits(e);
            if (r->roles && !(bits & r->roles))
                continue;
            bool dup = false;
            for (int j = 0; j < m->n && !dup; j++)
                dup = m->watch[j] == a->canonical &&
                      fold_equal(v->entities[m->entity[j]].name, e->name);
            if (dup || m->n == MATCHED_MAX)
                continue;
            m->entity[m->n] = i;
            m->watch[m->n++] = a->canonical;
            if (why) {
                sep(why, start);
                nf_buf_printf(why, "watch-list %s", a->canonical);
                if (strcmp(a->canonical, e->name))
                    nf_buf_printf(why, " (named %s)", e->name);
                if (r->roles)
                    nf_buf_printf(why, " as %s", role_name(bits, r->roles));
            }
        }
        if (!m->n) {
            fail = r->roles ? "no watch-listed entity in one of the rule's roles"
                            : "no watch-listed entity";
            goto out;
        }
    } else if (r->roles) {
        int hit = -1;
        unsigned bits = 0;
        for (int i = 0; i < v->nentities && v->entities && hit < 0; i++)
            if ((bits = role_bits(&v->entities[i])) & r->roles)
                hit = i;
        if (hit < 0) {
            fail = "no entity in one of the rule's roles";
            goto out;
        }
        if (why) {
            sep(why, start);
            const char *name = v->entities[hit].name;
            nf_buf_printf(why, "%s %s", role_name(bits, r->roles), name ? name : "(unnamed)");
        }
    }

    /* keywords */
    if (r->keywords.n) {
        const char *fields[] = {v->title, v->summary, v->body};
        static const char *const field_names[] = {"title", "summary", "body"};
        int hit = -1, field = -1;
        for (int f = 0; f < 3 && hit < 0; f++)
            for (int i = 0; i < r->keywords.n && hit < 0; i++)
                if (has_keyword(fields[f], r->keywords.v[i]))
                    hit = i, field = f;
        if (hit < 0) {
            fail = "none of the rule's keywords";
            goto out;
        }
        if (why) {
            sep(why, start);
            nf_buf_printf(why, "keyword \"%s\" in %s", r->keywords.v[hit], field_names[field]);
        }
    }

out:
    if (fail) {
        m->n = 0;
        if (why) {
            if (!why->oom && why->data) {
                why->len = start;
                why->data[start] = '\0';
            }
            nf_buf_printf(why, "no match: %s", fail);
        }
        return false;
    }
    return true;
}

bool nf_alert_rule_matches(const nf_alert_rule_t *rule, const nf_alert_view_t *view, nf_buf_t *why)
{
    if (!rule || !view)
        return false;
    match_t m;
    return evaluate(rule, view, why, &m);
}

/* Alert document ------------------------------------------------------------------------ */

void nf_alert_id(const nf_alert_rule_t *rule, const char *story_key, char *buf, size_t size)
{
    nf_alert_id_named(rule->name, story_key, buf, size);
}

void nf_alert_id_named(const char *rule_name, const char *story_key, char *buf, size_t size)
{
    uint64_t h = nf_fnv1a(NF_FNV_SEED, "alert:", 6);
    h = nf_fnv1a(h, rule_name, strlen(rule_name) + 1);
    h = nf_fnv1a(h, story_key, strlen(story_key));
    snprintf(buf, size, "alr-%016" PRIx64, h);
}

static void json_field(nf_buf_t *out, const char *name, const char *value)
{
    nf_buf_printf(out, ",\"%s\":", name);
    nf_json_string(out, value);
}

/* v rounded to cents (without libm: amounts stay far below 2^63 cents). */
static double cents(double v)
{
    double c = v * 100.0;
    if (!(c < 9.0e18 && c > -9.0e18))
        return v;
    return (double)(int64_t)(c + (c < 0 ? -0.5 : 0.5)) / 100.0;
}

/* Appends the amounts array: the TOP_AMOUNTS largest distinct amounts in USD. */
static void encode_amounts(const nf_alert_view_t *v, nf_buf_t *out)
{
    int top[TOP_AMOUNTS];
    double top_usd[TOP_AMOUNTS];
    int n = 0;
    for (int i = 0; i < v->namounts && v->amounts; i++) {
        const nf_alert_amount_t *a = &v->amounts[i];
        bool known;
        double usd = nf_currency_to_usd(a->value, a->currency, &known);
        if (!known || !isfinite(usd) || !isfinite(a->value))
            continue;
        bool dup = false;
        for (int j = 0; j < n && !dup; j++)
            dup = v->amounts[top[j]].value == a->value &&
                  !strcasecmp(v->amounts[top[j]].currency, a->currency);
        if (dup)
            continue;
        int pos = n < TOP_AMOUNTS ? n++ : TOP_AMOUNTS;
        if (pos == TOP_AMOUNTS) {
            if (usd <= top_usd[TOP_AMOUNTS - 1])
                continue;
            pos = TOP_AMOUNTS - 1;
        }
        while (pos > 0 && top_usd[pos - 1] < usd) {
            top[pos] = top[pos - 1];
            top_usd[pos] = top_usd[pos - 1];
            pos--;
        }
        top[pos] = i;
        top_usd[pos] = usd;
    }
    nf_buf_puts(out, ",\"amounts\":[");
    for (int j = 0; j < n; j++) {
        const nf_alert_amount_t *a = &v->amounts[top[j]];
        char iso[4] = {0};
        for (int k = 0; k < 3 && a->currency[k]; k++)
            iso[k] = (char)(a->currency[k] & ~0x20);
        nf_buf_printf(out, "%s{\"value\":%.15g,\"currency\":\"%s\",\"usd\":%.15g", j ? "," : "",
                      a->value, iso, cents(top_usd[j]));
        if (a->kind)
            json_field(out, "kind", a->kind);
        nf_buf_puts(out, "}");
    }
    nf_buf_puts(out, "]");
}

int nf_alert_encode(const nf_alert_rule_t *rule, const nf_alert_view_t *view, const char *event_id,
                    const char *article_id, const char *story_key, int64_t now_ms, nf_buf_t *out)
{
    if (!rule || !view || !event_id || !article_id || !story_key || !out)
        return NF_EINVAL;
    nf_buf_t why = {0};
    match_t m;
    if (!evaluate(rule, view, &why, &m)) {
        nf_buf_free(&why);
        return NF_EINVAL;
    }
    char id[32], ts[40];
    nf_alert_id(rule, story_key, id, sizeof(id));
    nf_rfc3339_ms(now_ms, ts, sizeof(ts));

    nf_buf_printf(out, "{\"schema\":\"newsflow.alert.v1\",\"alert_id\":\"%s\"", id);
    json_field(out, "rule", rule->name);
    nf_buf_printf(out, ",\"severity\":\"%s\"", nf_alert_severity_name(rule->severity));
    json_field(out, "story_key", story_key);
    nf_buf_printf(out, ",\"fired_at\":\"%s\"", ts);
    json_field(out, "event_id", event_id);
    json_field(out, "article_id", article_id);
    if (view->title)
        json_field(out, "title", view->title);
    if (view->source)
        json_field(out, "source", view->source);

    nf_buf_puts(out, ",\"categories\":[");
    int ncat = view->ncat < 0                         ? 0
               : view->ncat > NF_ALERT_MAX_CATEGORIES ? NF_ALERT_MAX_CATEGORIES
                                                      : view->ncat;
    bool first = true;
    for (int i = 0; i < ncat; i++) {
        if (!view->categories[i])
            continue;
        double s = view->scores[i];
        s = s < 0.0 ? 0.0 : s > 1.0 ? 1.0 : s;
        nf_buf_puts(out, first ? "{\"name\":" : ",{\"name\":");
        nf_json_string(out, view->categories[i]);
        nf_buf_printf(out, ",\"score\":%.3f}", s);
        first = false;
    }
    nf_buf_puts(out, "]");

    encode_amounts(view, out);

    nf_buf_puts(out, ",\"entities\":[");
    for (int j = 0; j < m.n; j++) {
        const nf_alert_entity_t *e = &view->entities[m.entity[j]];
        nf_buf_puts(out, j ? ",{\"name\":" : "{\"name\":");
        nf_json_string(out, e->name);
        json_field(out, "watch", m.watch[j]);
        if (e->type)
            json_field(out, "type", e->type);
        nf_buf_puts(out, ",\"roles\":[");
        for (int k = 0; k < e->nroles && e->roles; k++) {
            if (k)
                nf_buf_puts(out, ",");
            nf_json_string(out, e->roles[k]);
        }
        nf_buf_puts(out, "]}");
    }
    nf_buf_puts(out, "]");
    json_field(out, "why", why.data ? why.data : "");
    nf_buf_puts(out, "}");
    nf_buf_free(&why);
    return NF_OK;
}
