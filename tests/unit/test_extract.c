/*
 * test_extract: the enrichment extractors (pipeline/extract.h): every money form the
 * issue lists, kinds from context, ranges, entities and roles, per-category details, the
 * DESIGN.md example, the golden fixtures in tests/fixtures/extract/ (articles written for
 * these tests), the encoded JSON, and bad input (empty and missing fields, control
 * characters, invalid UTF-8, a 1 MiB body, more amounts and names than fit).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "err.h"
#include "extract.h"
#include "test.h"
#include "tokens.h"
#include "util.h"

static char root_dir[2048];
static char rules_dir[4096];
static char fixtures_dir[4096];

/* The repository root, from this file's path (CMake passes absolute paths). */
static void find_dirs(void)
{
    char root[2048];
    snprintf(root, sizeof(root), "%s", __FILE__);
    char *p = strstr(root, "/tests/unit/");
    if (p) {
        *p = '\0';
    } else {
        const char *home = getenv("NEWSFLOW_HOME"); /* <root>/deploy */
        snprintf(root, sizeof(root), "%s/..", home ? home : ".");
    }
    snprintf(root_dir, sizeof(root_dir), "%s", root);
    snprintf(rules_dir, sizeof(rules_dir), "%s/rules", root);
    snprintf(fixtures_dir, sizeof(fixtures_dir), "%s/tests/fixtures/extract", root);
}

static nf_extractor_t *x;
static nf_extraction_t ex;

static cJSON *schema_root;
static void check_schema(void);
static bool amount_is(int idx, double v);
static bool in_list(const int *ents, size_t n, const char *name);

static void run(const char *title, const char *body, unsigned mask)
{
    nf_article_t a = {0};
    a.id = "t";
    a.title = (char *)title;
    a.body = (char *)body;
    CHECK_INT(nf_extract(x, &a, mask, &ex), 0);
    if (schema_root)
        check_schema();
}

static const nf_amount_t *amount_of(double value, const char *currency)
{
    for (size_t i = 0; i < ex.amounts_n; i++) {
        double d = ex.amounts[i].value - value;
        if (d < 0)
            d = -d;
        if (!strcmp(ex.amounts[i].currency, currency) && d <= 0.005 * (value < 0 ? -value : value))
            return &ex.amounts[i];
    }
    return NULL;
}

/* The entity with this name as written or as the gazetteer's canonical name. */
static int entity_named(const char *name)
{
    for (size_t i = 0; i < ex.entities_n; i++)
        if (!strcmp(ex.entities[i].name, name) ||
            (ex.entities[i].canonical && !strcmp(ex.entities[i].canonical, name)))
            return (int)i;
    return -1;
}

static bool has_party(const char *name, nf_role_t role)
{
    for (size_t i = 0; i < ex.deal.parties_n; i++)
        if (ex.deal.parties[i].role == role &&
            !strcmp(ex.entities[ex.deal.parties[i].entity].name, name))
            return true;
    return false;
}

/* Schema: a small JSON Schema validator for the subset docs/schemas/enrichment.v1.json uses
 * (type, enum, required, properties, additionalProperties, items, $ref, minLength, minimum,
 * the currency pattern). --------------------------------------------------------------- */

static bool validate(const cJSON *schema, const cJSON *v, const char *path);

static const cJSON *resolve(const cJSON *schema)
{
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(schema, "$ref");
    if (cJSON_IsString(ref) && !strncmp(ref->valuestring, "#/$defs/", 8))
        return cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(schema_root, "$defs"), ref->valuestring + 8);
    return schema;
}

static bool type_ok(const char *type, const cJSON *v)
{
    if (!strcmp(type, "object"))
        return cJSON_IsObject(v);
    if (!strcmp(type, "array"))
        return cJSON_IsArray(v);
    if (!strcmp(type, "string"))
        return cJSON_IsString(v);
    if (!strcmp(type, "number"))
        return cJSON_IsNumber(v);
    if (!strcmp(type, "integer"))
        return cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble;
    return false;
}

static bool validate(const cJSON *schema, const cJSON *v, const char *path)
{
    schema = resolve(schema);
    if (!schema) {
        fprintf(stderr, "schema: unresolved $ref at %s\n", path);
        return false;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type");
    if (cJSON_IsString(type) && !type_ok(type->valuestring, v)) {
        fprintf(stderr, "schema: %s is not %s\n", path, type->valuestring);
        return false;
    }
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(schema, "enum"), *e;
    if (en) {
        bool found = false;
        cJSON_ArrayForEach(e, en)
        {
            found |=
                cJSON_IsString(e) && cJSON_IsString(v) && !strcmp(e->valuestring, v->valuestring);
        }
        if (!found) {
            fprintf(stderr, "schema: %s not in enum\n", path);
            return false;
        }
    }
    const cJSON *minlen = cJSON_GetObjectItemCaseSensitive(schema, "minLength");
    if (minlen && cJSON_IsString(v) && strlen(v->valuestring) < (size_t)minlen->valuedouble) {
        fprintf(stderr, "schema: %s too short\n", path);
        return false;
    }
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(schema, "minimum");
    if (min && cJSON_IsNumber(v) && v->valuedouble < min->valuedouble) {
        fprintf(stderr, "schema: %s below minimum\n", path);
        return false;
    }
    const cJSON *pattern = cJSON_GetObjectItemCaseSensitive(schema, "pattern");
    if (pattern && cJSON_IsString(v)) { /* only the ISO 4217 pattern is used */
        const char *c = v->valuestring;
        bool ok = strlen(c) == 3;
        for (int i = 0; ok && i < 3; i++)
            ok = c[i] >= 'A' && c[i] <= 'Z';
        if (!ok) {
            fprintf(stderr, "schema: %s does not match %s\n", path, pattern->valuestring);
            return false;
        }
    }
    char sub[256];
    if (cJSON_IsObject(v)) {
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(schema, "required"))
        {
            if (!cJSON_GetObjectItemCaseSensitive(v, e->valuestring)) {
                fprintf(stderr, "schema: %s lacks %s\n", path, e->valuestring);
                return false;
            }
        }
        bool closed =
            cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties"));
        cJSON_ArrayForEach(e, v)
        {
            const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, e->string);
            snprintf(sub, sizeof(sub), "%s.%s", path, e->string);
            if (!ps && closed) {
                fprintf(stderr, "schema: %s is not allowed\n", sub);
                return false;
            }
            if (ps && !validate(ps, e, sub))
                return false;
        }
    }
    if (cJSON_IsArray(v)) {
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items");
        int i = 0;
        cJSON_ArrayForEach(e, v)
        {
            snprintf(sub, sizeof(sub), "%s[%d]", path, i++);
            if (items && !validate(items, e, sub))
                return false;
        }
    }
    return true;
}

/* Encodes the current extraction inside an object and validates it against the schema. */
static void check_schema(void)
{
    nf_buf_t b = {0};
    nf_buf_puts(&b, "{\"id\":1");
    nf_extraction_encode(&ex, &b);
    nf_buf_puts(&b, "}");
    cJSON *ev = cJSON_Parse(b.data);
    CHECK(ev != NULL);
    if (ev) {
        cJSON_DeleteItemFromObjectCaseSensitive(ev, "id");
        bool ok = validate(schema_root, ev, "$");
        if (!ok)
            fprintf(stderr, "  event: %s\n", b.data);
        CHECK(ok);
    }
    cJSON_Delete(ev);
    nf_buf_free(&b);
}

static void load_schema(const char *root)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/docs/schemas/enrichment.v1.json", root);
    FILE *fp = fopen(path, "r");
    CHECK(fp != NULL);
    if (!fp)
        return;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    schema_root = cJSON_Parse(buf);
    CHECK(schema_root != NULL);
}

/* Tokens ------------------------------------------------------------------------------- */

/* The tokeniser's one-pass hash must equal nf_tok_hash, which the lexicon is built with. */
static void test_tokens(void)
{
    static const char text[] =
        "U.S. Amazon.com Lowe's D'Ieteren 1,052.86 Telef\xc3\x93nica "
        "M.I.T. OpenAI\xe2\x80\x99s $3.9M 20.9p A16Z co-founder \xc3\xa9t\xc3\xa9";
    nf_toks_t toks = {0};
    CHECK_INT(nf_tokenise(text, strlen(text), NULL, &toks), 0);
    CHECK(toks.n > 15);
    for (size_t i = 0; i < toks.n; i++)
        CHECK(toks.v[i].hash == nf_tok_hash(text + toks.v[i].start, toks.v[i].len));
    CHECK(toks.v[0].hash == nf_tok_hash("US", 2));
    CHECK(toks.v[0].len == 4); /* "U.S." keeps its final period */
    CHECK(toks.v[1].hash == nf_tok_hash("amazoncom", 9));
    nf_toks_free(&toks);
}

/*
 * Runs of letters and digits of every length up to 40, at every alignment, in the middle
 * of a text and at its end (where the tokeniser reads byte by byte rather than sixteen
 * at a time): the hash matches nf_tok_hash, and the case flags match a plain count.
 */
static void test_token_runs(void)
{
    char text[128], word[48];
    size_t checked = 0;
    for (size_t len = 1; len <= 40; len++) {
        for (int shape = 0; shape < 5; shape++) {
            for (size_t k = 0; k < len; k++)
                word[k] = (char)('a' + (k * 7 + len) % 26);
            if (shape == 1)
                for (size_t k = 0; k < len; k++)
                    word[k] = (char)(word[k] - 'a' + 'A');
            if (shape == 2)
                word[0] = (char)(word[0] - 'a' + 'A');
            if (shape == 3 && len > 17)
                word[17] = (char)(word[17] - 'a' + 'A'); /* one capital past 16 bytes */
            if (shape == 4)
                word[len / 2] = (char)('0' + len % 10);
            word[len] = '\0';
            size_t up = 0, lo = 0;
            for (size_t k = 0; k < len; k++) {
                up += word[k] >= 'A' && word[k] <= 'Z';
                lo += word[k] >= 'a' && word[k] <= 'z';
            }
            for (size_t pad = 0; pad < 20; pad++) {
                for (int at_end = 0; at_end < 2; at_end++) {
                    snprintf(text, sizeof(text), "%*s%s%s", (int)pad, "", word,
                             at_end ? "" : " and more words after it");
                    nf_toks_t toks = {0};
                    CHECK_INT(nf_tokenise(text, strlen(text), NULL, &toks), 0);
                    const nf_tok_t *t = &toks.v[0]; /* spaces make no token */
                    CHECK(t->len == len);
                    CHECK(t->hash == nf_tok_hash(word, len));
                    bool first_upper = word[0] >= 'A' && word[0] <= 'Z';
                    bool first_lower = word[0] >= 'a' && word[0] <= 'z';
                    bool cap = first_upper || (up && first_lower);
                    if (!(word[0] >= '0' && word[0] <= '9')) {
                        CHECK(!!(t->flags & NF_TOK_CAP) == cap);
                        CHECK(!!(t->flags & NF_TOK_UPPER) == (up >= 2 && !lo));
                    }
                    nf_toks_free(&toks);
                    checked++;
                }
            }
        }
    }
    CHECK(checked == 40 * 5 * 20 * 2);
}

/* Money forms ------------------------------------------------------------------------- */

typedef struct form {
    const char *text;
    double value, high;
    const char *currency;
} form_t;

static void test_forms(void)
{
    static const form_t forms[] = {
        {"Acme gets $50B", 50e9, 0, "USD"},
        {"Acme gets $50 billion", 50e9, 0, "USD"},
        {"Acme gets $50bn", 50e9, 0, "USD"},
        {"Acme gets US$1.2 million", 1.2e6, 0, "USD"},
        {"Acme gets €300m", 300e6, 0, "EUR"},
        {"Acme gets £2 bn", 2e9, 0, "GBP"},
        {"Acme gets ¥1.5 trillion", 1.5e12, 0, "JPY"},
        {"Acme gets 50 billion dollars", 50e9, 0, "USD"},
        {"Acme gets $1-2 billion", 1e9, 2e9, "USD"},
        {"Acme gets up to $10B", 10e9, 0, "USD"},
        {"Acme posts $7.6 billion in revenue", 7.6e9, 0, "USD"},
        {"ACME SAYS NET 75 MLN DLRS", 75e6, 0, "USD"},
        {"Acme pays 15.6 mln U.S. dlr", 15.6e6, 0, "USD"},
        {"Acme pays 17 cts a share", 0.17, 0, "USD"},
        {"Acme pays A$3.5 million", 3.5e6, 0, "AUD"},
        {"Acme pays C$40 million", 40e6, 0, "CAD"},
        {"Acme pays NZ$12m", 12e6, 0, "NZD"},
        {"Acme pays HK$8 billion", 8e9, 0, "HKD"},
        {"Acme gets 1 billion euro", 1e9, 0, "EUR"},
        {"Acme gets 300 million euros", 300e6, 0, "EUR"},
        {"Acme gets Rs 325 crore", 3.25e9, 0, "INR"},
        {"Acme gets USD 40 billion", 40e9, 0, "USD"},
        {"Acme shr 20.9p", 0.209, 0, "GBP"},
        {"The dollar fell to 1.7720 marks", 1.772, 0, "DEM"},
        {"Acme gets 11 Million Dollars", 11e6, 0, "USD"},
        {"Acme gets $195k", 195e3, 0, "USD"},
        {"Acme is worth $4T", 4e12, 0, "USD"},
        {"Acme gets $26.5 mln", 26.5e6, 0, "USD"},
        {"Acme pays 1,052.86 dlrs", 1052.86, 0, "USD"},
        {"Acme values it at $40 to $50 billion", 40e9, 50e9, "USD"},
        {"Acme gets ₹500 crore", 5e9, 0, "INR"},
        {"Acme raises $3.9M", 3.9e6, 0, "USD"},
        {"Acme raises $0.51M", 0.51e6, 0, "USD"},
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        run(forms[i].text, NULL, 0);
        const nf_amount_t *a = amount_of(forms[i].value, forms[i].currency);
        if (!a)
            fprintf(stderr, "form %zu not found: %s\n", i, forms[i].text);
        CHECK(a != NULL);
        CHECK_INT(ex.amounts_n, 1);
        if (a && forms[i].high > 0)
            CHECK(a->value_high > forms[i].high * 0.999 && a->value_high < forms[i].high * 1.001);
        if (a && forms[i].high == 0)
            CHECK(a->value_high == 0);
    }
    /* not money: cashtags, percentages, bare numbers, vague sizes, years */
    static const char *const none[] = {
        "$TMUS jumps 5%",        "Turnover 9.42 billion",      "Acme raises millions",
        "Sales rose 12 percent", "2024 marks a turning point", "Acme hires 5,000 people",
        "A 5G network in 2025",
    };
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        run(none[i], NULL, 0);
        if (ex.amounts_n)
            fprintf(stderr, "unexpected amount in: %s\n", none[i]);
        CHECK_INT(ex.amounts_n, 0);
    }
    /* the same amount twice is one amount; title offsets are kept */
    run("Acme raises $5M", "Acme said it raised $5 million from investors.", 0);
    CHECK_INT(ex.amounts_n, 1);
    CHECK_INT(ex.amounts[0].field, NF_TEXT_TITLE);
    CHECK_INT(ex.amounts[0].start, 12);
    CHECK_INT(ex.amounts[0].end, 15);
    CHECK_STR(ex.amounts[0].text, "$5M");
    /* the same figure in two currencies is two amounts */
    run("EU lends Ukraine 1 billion euro ($1.1 billion)", NULL, 0);
    CHECK_INT(ex.amounts_n, 2);
}

/* Kinds from context ------------------------------------------------------------------ */

typedef struct kind_case {
    const char *title;
    unsigned mask;
    double value;
    nf_amount_kind_t kind;
} kind_case_t;

static void test_kinds(void)
{
    static const kind_case_t cases[] = {
        {"Zentry raises $13B Series F at $183B post-money valuation", NF_EXTRACT_FUNDING, 13e9,
         NF_KIND_ROUND_SIZE},
        {"Zentry raises $13B Series F at $183B post-money valuation", NF_EXTRACT_FUNDING, 183e9,
         NF_KIND_VALUATION},
        {"Holt Labs valued at $12B in early-stage funding", NF_EXTRACT_FUNDING, 12e9,
         NF_KIND_VALUATION},
        {"Brandt to acquire Ocelot for $410 million", NF_EXTRACT_DEAL, 410e6, NF_KIND_PRICE},
        {"Gamma makes $55.5B takeover offer for Delta", NF_EXTRACT_DEAL, 55.5e9, NF_KIND_PRICE},
        {"Orbit signs $38B cloud computing deal with Amazon", NF_EXTRACT_DEAL, 38e9,
         NF_KIND_COMMITMENT},
        {"Google to pay Corvex $920M a month for compute capacity", NF_EXTRACT_DEAL, 920e6,
         NF_KIND_COMMITMENT},
        {"Amazon will invest $10 billion to expand data centers in Ohio", NF_EXTRACT_INFRA, 10e9,
         NF_KIND_CAPEX},
        {"Visa takes a $200M stake in Pinto", NF_EXTRACT_DEAL, 200e6, NF_KIND_INVESTMENT},
        {"Acme reports $7.6 billion in revenue", 0, 7.6e9, NF_KIND_REVENUE},
        {"Acme EPS of $0.80 beats estimates", 0, 0.8, NF_KIND_REVENUE},
        {"Acme prices $750 million bond offering", 0, 750e6, NF_KIND_OTHER},
        {"City wins $5 million grant for fiber", 0, 5e6, NF_KIND_OTHER},
        {"Acme declares dividend of $0.105 per share", 0, 0.105, NF_KIND_OTHER},
        {"Acme pledges $100B in cloud spending", NF_EXTRACT_DEAL, 100e9, NF_KIND_COMMITMENT},
        {"Soyle Micro to build $1.8B semiconductor manufacturing facility", NF_EXTRACT_INFRA, 1.8e9,
         NF_KIND_CAPEX},
        {"Microsoft tops $4T in market value", 0, 4e12, NF_KIND_VALUATION},
        {"Army contract worth up to $21.9 billion goes to Microsoft", NF_EXTRACT_DEAL, 21.9e9,
         NF_KIND_COMMITMENT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run(cases[i].title, NULL, cases[i].mask);
        const nf_amount_t *a = amount_of(cases[i].value, "USD");
        CHECK(a != NULL);
        if (a && a->kind != cases[i].kind)
            fprintf(stderr, "kind case %zu (%s): got %s, want %s\n", i, cases[i].title,
                    nf_amount_kind_name(a->kind), nf_amount_kind_name(cases[i].kind));
        CHECK(a && a->kind == cases[i].kind);
    }
}

/* Entities and roles ------------------------------------------------------------------- */

static void test_entities(void)
{
    run("Pat Vance, chief executive of Ferro Labs GmbH, met Nvidia in Berlin", NULL, 0);
    int p = entity_named("Pat Vance"), o = entity_named("Ferro Labs GmbH"),
        n = entity_named("Nvidia"), l = entity_named("Berlin");
    CHECK(p >= 0 && ex.entities[p].type == NF_ENTITY_PERSON);
    CHECK(o >= 0 && ex.entities[o].type == NF_ENTITY_ORGANIZATION);
    CHECK(n >= 0 && ex.entities[n].type == NF_ENTITY_ORGANIZATION);
    CHECK(l >= 0 && ex.entities[l].type == NF_ENTITY_LOCATION);

    /* aliases and tickers resolve to the canonical name; mentions are counted */
    run("AWS and Amazon Web Services (NASDAQ: AMZN)", "Facebook owner Meta said so.", 0);
    int a = entity_named("Amazon Web Services"), m = entity_named("Meta Platforms");
    CHECK(a >= 0 && ex.entities[a].mentions == 2);
    CHECK(a >= 0 && !strcmp(ex.entities[a].name, "AWS")); /* as first written */
    CHECK(entity_named("Amazon") >= 0);                   /* the ticker's company */
    CHECK(m >= 0 && ex.entities[m].mentions == 2);
    CHECK(m >= 0 && !strcmp(ex.entities[m].name, "Facebook"));

    /* a common word that is also a company is a name only mid-sentence and capitalised */
    run("Shoppers target bargains", "They hit the block.", 0);
    CHECK_INT(ex.entities_n, 0);

    run("Grammarly acquires Superhuman", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Grammarly", NF_ROLE_ACQUIRER));
    CHECK(has_party("Superhuman", NF_ROLE_TARGET));
    CHECK_INT(ex.deal.kind, NF_DEAL_ACQUISITION);
    CHECK_INT(ex.deal.status, NF_STATUS_ANNOUNCED);

    run("Oakridge Partners sells Lindell Software to Carver Holdings", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Oakridge Partners", NF_ROLE_SELLER));
    CHECK(has_party("Carver Holdings", NF_ROLE_ACQUIRER));

    run("Visa invests in Replit", NULL, NF_EXTRACT_DEAL | NF_EXTRACT_FUNDING);
    CHECK(has_party("Visa", NF_ROLE_INVESTOR));
    CHECK(has_party("Replit", NF_ROLE_TARGET));
    CHECK(ex.funding.present && ex.funding.company >= 0 &&
          !strcmp(ex.entities[ex.funding.company].name, "Replit"));

    run("Tallis Corp and Merrow Inc agree to merge", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Tallis Corp", NF_ROLE_PARTNER));
    CHECK(has_party("Merrow Inc", NF_ROLE_PARTNER));
    CHECK_INT(ex.deal.kind, NF_DEAL_MERGER);

    run("Chevron signs power agreement with Microsoft for Texas data center", NULL,
        NF_EXTRACT_DEAL | NF_EXTRACT_INFRA);
    CHECK(has_party("Chevron", NF_ROLE_SUPPLIER));
    CHECK(has_party("Microsoft", NF_ROLE_CUSTOMER));
    CHECK_INT(ex.infra.asset, NF_ASSET_POWER);

    /* status: a deal stated as done is announced; one side's offer and an intended
     * walk-away imply none (EXTRACTION.md) */
    static const struct {
        const char *title;
        nf_deal_status_t status;
    } statuses[] = {
        {"Kestrel Foods reportedly in talks to buy Pomona Farms", NF_STATUS_IN_TALKS},
        {"Brill Media completes acquisition of Tonic Studios", NF_STATUS_COMPLETED},
        {"Vantor walks away from its deal to buy Quell Energy", NF_STATUS_TERMINATED},
        {"Orbit Capital invests in Tessel Robotics", NF_STATUS_ANNOUNCED},
        {"Brill Media sells its radio unit to Tonic Studios", NF_STATUS_ANNOUNCED},
        {"Kestrel Systems and Orbis Airlines to build a maintenance hub", NF_STATUS_ANNOUNCED},
        {"Vantor makes $9 billion takeover offer for Quell Energy", NF_STATUS_NONE},
        {"Vantor is preparing to abandon its takeover of Quell Energy", NF_STATUS_NONE},
    };
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        run(statuses[i].title, NULL, NF_EXTRACT_DEAL);
        CHECK_STR(nf_deal_status_name(ex.deal.status), nf_deal_status_name(statuses[i].status));
    }
    run("Brill Media completes acquisition of Tonic Studios", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Tonic Studios", NF_ROLE_TARGET));

    /* the deal's kind from what changes hands */
    static const struct {
        const char *title;
        nf_deal_kind_t kind;
    } kinds[] = {
        {"Brill Media sells its 15% stake in Tonic Studios to Orbit Capital", NF_DEAL_STAKE},
        {"Brill Media sells its radio unit to Tonic Studios", NF_DEAL_DIVESTITURE},
        {"Orbit Capital buys majority stake in Tonic Studios", NF_DEAL_STAKE},
        {"Orbit Capital buys Tonic Studios for $40 million in cash and shares",
         NF_DEAL_ACQUISITION},
        {"Orbit Capital buys into Tonic Studios", NF_DEAL_INVESTMENT},
        {"Tessel Robotics partners with Marrow Logistics to distribute its robots",
         NF_DEAL_PARTNERSHIP},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        run(kinds[i].title, NULL, NF_EXTRACT_DEAL);
        CHECK_STR(nf_deal_kind_name(ex.deal.kind), nf_deal_kind_name(kinds[i].kind));
    }
    run("Orbit Capital buys into Tonic Studios", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Orbit Capital", NF_ROLE_INVESTOR));
    CHECK(has_party("Tonic Studios", NF_ROLE_TARGET));

    /* investors: not where a company comes from, not unnamed angels, not an adjective */
    run("Tessel Robotics emerges from stealth with $14 million from Orbit Capital", NULL,
        NF_EXTRACT_FUNDING);
    CHECK(entity_named("Orbit Capital") >= 0 &&
          in_list(ex.funding.investors, ex.funding.investors_n, "Orbit Capital"));
    CHECK_INT(ex.funding.investors_n, 1);
    run("Tessel Robotics Raises $24M In Series A Funding From Orbit Capital And Angels", NULL,
        NF_EXTRACT_FUNDING);
    CHECK_INT(ex.funding.investors_n, 1);
    run("Social investing site Tessel raises $1.7M in seed funding", NULL, NF_EXTRACT_FUNDING);
    CHECK_INT(ex.funding.investors_n, 0);
    run("Orbit Capital is in talks to invest $50M in Tessel, and its chief Rowan Tate is leading "
        "the talks",
        NULL, NF_EXTRACT_FUNDING);
    CHECK_INT(ex.funding.leads_n, 0);
    run("Tessel Announces Funding Round Led By Purchase Capital", NULL, NF_EXTRACT_FUNDING);
    CHECK(in_list(ex.funding.leads, ex.funding.leads_n, "Purchase Capital"));

    /* no round is invented */
    run("Pivotal Loop raises $62 million", NULL, NF_EXTRACT_FUNDING);
    CHECK(ex.funding.present && ex.funding.round == NULL);
    /* details are filled only for the categories asked */
    run("Grammarly acquires Superhuman", NULL, 0);
    CHECK(!ex.deal.present && !ex.funding.present && !ex.infra.present);
}

/* Contract frames: who supplies and who buys, from the verb (own sentences). */
static void test_contract_frames(void)
{
    static const struct {
        const char *title, *supplier, *customer;
    } cases[] = {
        {"Kestrel Systems secures $12 million order from Halden Rail", "Kestrel Systems",
         "Halden Rail"},
        {"Kestrel Systems wins maintenance contract with Orbis Airlines", "Kestrel Systems",
         "Orbis Airlines"},
        {"Kestrel Systems lands six-year Orbis Airlines cloud deal", "Kestrel Systems",
         "Orbis Airlines"},
        {"Orbis Airlines awards Kestrel Systems a $30 million contract", "Kestrel Systems",
         "Orbis Airlines"},
        {"Orbis Airlines awarded Kestrel Systems a maintenance contract", "Kestrel Systems",
         "Orbis Airlines"},
        {"Kestrel Systems awarded $5M contract by Orbis Airlines", "Kestrel Systems",
         "Orbis Airlines"},
        {"Kestrel Systems was awarded a contract by Orbis Airlines", "Kestrel Systems",
         "Orbis Airlines"},
        {"Orbis Airlines awards a fleet contract to Kestrel Systems", "Kestrel Systems",
         "Orbis Airlines"},
        {"Kestrel Systems to supply Orbis Airlines with jet engines", "Kestrel Systems",
         "Orbis Airlines"},
        {"Kestrel Systems will supply turbines to Halden Rail", "Kestrel Systems", "Halden Rail"},
        {"Kestrel Systems to provide Orbis Airlines with cloud services", "Kestrel Systems",
         "Orbis Airlines"},
        {"Kestrel Systems licenses its battery technology to Volta Motors", "Kestrel Systems",
         "Volta Motors"},
        {"Volta Motors licenses battery technology from Kestrel Systems", "Kestrel Systems",
         "Volta Motors"},
        {"Kestrel Systems selected by Orbis Airlines to upgrade its fleet", "Kestrel Systems",
         "Orbis Airlines"},
        {"Kestrel Systems has been chosen by Orbis Airlines to supply engines", "Kestrel Systems",
         "Orbis Airlines"},
        {"Halden Rail picks Kestrel Systems for signalling work", "Kestrel Systems", "Halden Rail"},
        {"Orbis Airlines orders 20 jets from Kestrel Systems", "Kestrel Systems", "Orbis Airlines"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run(cases[i].title, NULL, NF_EXTRACT_DEAL);
        bool ok = has_party(cases[i].supplier, NF_ROLE_SUPPLIER) &&
                  has_party(cases[i].customer, NF_ROLE_CUSTOMER) &&
                  ex.deal.kind == NF_DEAL_CONTRACT;
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  (in \"%s\")\n", cases[i].title);
    }
    /* a deal one gets is bought, not won; a round won from investors is no contract */
    run("Palmetto TV gets exclusive deal for Harbor Kids shows", NULL, NF_EXTRACT_DEAL);
    CHECK(!has_party("Palmetto TV", NF_ROLE_SUPPLIER));
    run("Kestrel Systems secures $40 million funding deal from Orbit Capital", NULL,
        NF_EXTRACT_DEAL);
    CHECK(!has_party("Kestrel Systems", NF_ROLE_SUPPLIER));
    /* "supply" as a noun is no frame; a contract with no named buyer names only the seller */
    run("Kestrel Systems warns of supply chain strain at Orbis Airlines", NULL, NF_EXTRACT_DEAL);
    CHECK(!has_party("Kestrel Systems", NF_ROLE_SUPPLIER));
    run("Kestrel Systems wins $40 million contract", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Kestrel Systems", NF_ROLE_SUPPLIER));
    CHECK_INT(ex.deal.parties_n, 1);
}

/* Apposition, place-named companies and the subject of a merger (own sentences). */
/* A headline and one party the deal roles must name in it. */
typedef struct {
    const char *title, *name;
    nf_role_t role;
} role_case_t;

/* Reads each headline for deal roles and checks its party, naming the ones that fail. */
static void check_roles(const role_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        run(cases[i].title, NULL, NF_EXTRACT_DEAL);
        bool ok = has_party(cases[i].name, cases[i].role);
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  (%s as %s in \"%s\")\n", cases[i].name, nf_role_name(cases[i].role),
                    cases[i].title);
    }
}

static void test_noun_phrases(void)
{
    /* a descriptor before a name makes the name the object; the name before it qualifies */
    run("Granite Soft acquires DNS provider Quillo, a rival of Nimbus", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Granite Soft", NF_ROLE_ACQUIRER));
    CHECK(has_party("Quillo", NF_ROLE_TARGET));
    CHECK_INT(ex.deal.kind, NF_DEAL_ACQUISITION);
    run("Granite Soft acquires escrow-as-a-service platform Tilbury Pay", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Tilbury Pay", NF_ROLE_TARGET));
    run("Granite Soft Buys Audience Analytics Firm Quillo For $20M", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Quillo", NF_ROLE_TARGET));
    CHECK(!has_party("Audience Analytics", NF_ROLE_TARGET));
    /* a place followed by a company suffix names a company, but not a site */
    run("Granite Soft buys Boston Dynamics", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Boston Dynamics", NF_ROLE_TARGET));
    run("Granite Soft to build Texas Data Center", NULL, NF_EXTRACT_INFRA);
    CHECK_STR(ex.infra.location, "Texas");
    /* "go public through a merger with Y": the opening subject is the other party */
    run("Marlow Papers to go public through merger with Cobalt Acquisition Corp", NULL,
        NF_EXTRACT_DEAL);
    CHECK(has_party("Marlow Papers", NF_ROLE_PARTNER));
    CHECK(has_party("Cobalt Acquisition Corp", NF_ROLE_PARTNER));
    CHECK_INT(ex.deal.kind, NF_DEAL_MERGER);
    /* more noun phrases and subjects (own sentences) */
    static const role_case_t roles[] = {
        {"Corvane Health nabs $172M IDIQ contract for Navy aviation", "Corvane Health",
         NF_ROLE_SUPPLIER},
        {"Granite Soft beats Orbis to win the Pentagon's $10 billion cloud contract",
         "Granite Soft", NF_ROLE_SUPPLIER},
        {"Granite Soft beats Orbis to win the Pentagon's $10 billion cloud contract", "Pentagon",
         NF_ROLE_CUSTOMER},
        {"Tessel China will reportedly merge with archrival Quillo Rides", "Tessel China",
         NF_ROLE_PARTNER},
        {"Nielsen will acquire Tribune-owned Quillo for $560M", "Quillo", NF_ROLE_TARGET},
        {"Nielsen will acquire Tribune-owned Quillo for $560M", "Tribune", NF_ROLE_SELLER},
        {"Wayin acquires UK marketing platform Quillo", "Quillo", NF_ROLE_TARGET},
        {"Harlow's is acquiring Quillo to build a drive-thru", "Harlow", NF_ROLE_ACQUIRER},
        {"Granite Drilling to acquire the well business and rental assets of High Ridge Energy",
         "High Ridge Energy", NF_ROLE_SELLER},
        {"Unity Announces Merger Agreement with Quillo Labs", "Quillo Labs", NF_ROLE_PARTNER},
        {"Quillo accepts Rowan Tate's buyout deal", "Quillo", NF_ROLE_TARGET},
        {"Software firm Dye & Durham agrees to buy Quillo", "Dye & Durham", NF_ROLE_ACQUIRER},
        {"Marrow Group completes sale of Tenby Foods to Carver Holdings", "Marrow Group",
         NF_ROLE_SELLER},
        {"Marrow Group completes sale of Tenby Foods to Carver Holdings", "Tenby Foods",
         NF_ROLE_TARGET},
        {"Marrow Group completes sale of Tenby Foods to Carver Holdings", "Carver Holdings",
         NF_ROLE_ACQUIRER},
        {"Ledger Advisors advises Tenby Foods in its sale to Carver Holdings", "Tenby Foods",
         NF_ROLE_TARGET},
        {"Orbit Fund will become Tenby Foods's second-largest stakeholder", "Orbit Fund",
         NF_ROLE_INVESTOR},
        {"Tenby Foods stockholders approve acquisition by affiliates of Carver Holdings",
         "Carver Holdings", NF_ROLE_ACQUIRER},
        {"$TNB: Tenby Foods expands its offering with the acquisition of Quillo", "Tenby Foods",
         NF_ROLE_ACQUIRER},
        {"Marrow Group has entered into a definitive agreement to sell its bakery unit to "
         "Carver Holdings",
         "Marrow Group", NF_ROLE_SELLER},
        {"Tenby Foods in talks to be sold to Carver Holdings", "Tenby Foods", NF_ROLE_TARGET},
        {"Tenby Foods in talks to be sold to Carver Holdings", "Carver Holdings", NF_ROLE_ACQUIRER},
        {"Marrow Group is selling its bakery unit to Carver Holdings", "Marrow Group",
         NF_ROLE_SELLER},
        {"Orbit Fund now owns an 18.7% stake in Tenby Foods", "Orbit Fund", NF_ROLE_INVESTOR},
        {"Orbit Fund now owns an 18.7% stake in Tenby Foods", "Tenby Foods", NF_ROLE_TARGET},
        {"Orbit Fund stays majority investor in Tenby Foods", "Orbit Fund", NF_ROLE_ACQUIRER},
        {"Tenby Foods provides update on pending acquisition by affiliates of Carver Holdings "
         "and Orbit Fund",
         "Tenby Foods", NF_ROLE_TARGET},
        {"Tenby Foods provides update on pending acquisition by affiliates of Carver Holdings "
         "and Orbit Fund",
         "Orbit Fund", NF_ROLE_ACQUIRER},
        {"Tenby Bio, a biotech company that treats rare diseases, is in talks to go public "
         "through a merger with blank-check firm Carver Acquisition",
         "Carver Acquisition", NF_ROLE_PARTNER},
        {"Tenby Bio, a biotech company that treats rare diseases, is in talks to go public "
         "through a merger with blank-check firm Carver Acquisition",
         "Tenby Bio", NF_ROLE_PARTNER},
    };
    check_roles(roles, sizeof(roles) / sizeof(roles[0]));
    run("Corvane Health nabs $172M IDIQ contract for Navy aviation", NULL, NF_EXTRACT_DEAL);
    CHECK(!has_party("IDIQ", NF_ROLE_TARGET));
    /* a name that qualifies an unnamed thing is not the target; a currency prefix is no
     * name */
    run("Granite Soft acquires NMN supplements brand for $5 million", NULL, NF_EXTRACT_DEAL);
    CHECK(!has_party("NMN", NF_ROLE_TARGET));
    CHECK(has_party("Granite Soft", NF_ROLE_ACQUIRER));
    run("Investors doubt the proposed C$20 billion takeover of Quillo", NULL, NF_EXTRACT_DEAL);
    CHECK(entity_named("C") < 0);
    CHECK(has_party("Quillo", NF_ROLE_TARGET));
    /* a stake word past the object is not what is bought */
    run("Rowan Tate's bid to buy Quillo sent shares of the company up", NULL, NF_EXTRACT_DEAL);
    CHECK(!has_party("Rowan Tate", NF_ROLE_INVESTOR));

    /* "SPAC" alone is not a party */
    run("Marlow Papers agrees to SPAC deal with Cobalt Acquisition Corp", NULL, NF_EXTRACT_DEAL);
    CHECK(entity_named("SPAC") < 0);
    CHECK(has_party("Marlow Papers", NF_ROLE_PARTNER));
    /* a possessive pronoun refers back to the sentence's subject */
    run("Rowan Tate said his $3bn acquisition of Marlow Papers was on hold", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Rowan Tate", NF_ROLE_ACQUIRER));
    CHECK(has_party("Marlow Papers", NF_ROLE_TARGET));
    /* a country's government is a party (an investor here), never an operator */
    run("The German government plans to take a 25% stake in Halden Power", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("German government", NF_ROLE_INVESTOR));
    CHECK(has_party("Halden Power", NF_ROLE_TARGET));
    run("The U.S. government will fund a fiber network in Ohio", NULL, NF_EXTRACT_INFRA);
    CHECK(ex.infra.operator_ < 0);
    /* "with new customer Y" says who buys */
    run("Halden Leasing closes sale and leaseback with new customer Orbis Airlines", NULL,
        NF_EXTRACT_DEAL);
    CHECK(has_party("Orbis Airlines", NF_ROLE_CUSTOMER));
    CHECK(has_party("Halden Leasing", NF_ROLE_SUPPLIER));
    /* a distributor buys from every content owner listed */
    run("Corvane Cable becomes first provider to distribute Lumen Studios and Brightside online",
        NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Corvane Cable", NF_ROLE_CUSTOMER));
    CHECK(has_party("Lumen Studios", NF_ROLE_SUPPLIER));
    CHECK(has_party("Brightside", NF_ROLE_SUPPLIER));
}

/* Holders who vote on a deal, takeovers as a phrasal verb, "X sale", plural possessives and
 * headline case past a bracketed aside (own sentences). */
static void test_holders_and_takeovers(void)
{
    /* "Y, which owns X": the owner of the target sells, when no seller is named */
    run("Carver to buy Tenby",
        "Quillo, which currently owns Tenby, is optimistic that the sale "
        "will close.",
        NF_EXTRACT_DEAL);
    CHECK(has_party("Quillo", NF_ROLE_SELLER));
    CHECK(has_party("Tenby", NF_ROLE_TARGET));
    run("Carver to buy Tenby", "Quillo, which owns Orrin, is optimistic.", NF_EXTRACT_DEAL);
    CHECK(!has_party("Quillo", NF_ROLE_SELLER));
    static const role_case_t roles[] = {
        /* the company whose holders approve is what is sold, unless the text names another */
        {"Tenby Foods stockholders approve the acquisition", "Tenby Foods", NF_ROLE_TARGET},
        {"Tenby Foods Shareholders Approve Sale to Carver Holdings", "Tenby Foods", NF_ROLE_TARGET},
        {"Tenby Foods Shareholders Approve Sale to Carver Holdings", "Carver Holdings",
         NF_ROLE_ACQUIRER},
        {"Tenby Foods stockholders approve sale of the company to Carver Holdings", "Tenby Foods",
         NF_ROLE_TARGET},
        {"Tenby Foods Shareholders Approve Merger", "Tenby Foods", NF_ROLE_PARTNER},
        {"Tenby Foods shareholders approve acquisition of Quillo", "Tenby Foods", NF_ROLE_ACQUIRER},
        {"Tenby Foods shareholders approve acquisition of Quillo", "Quillo", NF_ROLE_TARGET},
        /* "take over" as a verb, active and passive */
        {"Carver Holdings takes over Tenby Foods", "Carver Holdings", NF_ROLE_ACQUIRER},
        {"Carver Holdings takes over Tenby Foods", "Tenby Foods", NF_ROLE_TARGET},
        {"Tenby Foods is taken over by Carver Holdings", "Tenby Foods", NF_ROLE_TARGET},
        {"Tenby Foods is taken over by Carver Holdings", "Carver Holdings", NF_ROLE_ACQUIRER},
        {"Carver Holdings' takeover of Tenby Foods wins approval", "Carver Holdings",
         NF_ROLE_ACQUIRER},
        /* "X sale": X is what is sold */
        {"Marrow Group completes Tenby Foods sale", "Tenby Foods", NF_ROLE_TARGET},
        {"Marrow Group completes Tenby Foods sale", "Marrow Group", NF_ROLE_SELLER},
        {"Tenby Foods sale to Carver Holdings collapses", "Tenby Foods", NF_ROLE_TARGET},
        {"Tenby Foods sale may be delayed by a high asking price", "Tenby Foods", NF_ROLE_TARGET},
        {"Tenby Foods set to be taken over by a group of lenders", "Tenby Foods", NF_ROLE_TARGET},
        {"Tenby Foods Inc. stockholders approve the acquisition", "Tenby Foods Inc",
         NF_ROLE_TARGET},
        {"Carver Holdings buys Northern Distributors\u2019 retail assets", "Northern Distributors",
         NF_ROLE_SELLER},
        {"Marrow Group Sale Of Bakery Division To Carver Holdings", "Marrow Group", NF_ROLE_SELLER},
        /* a plural possessive owns what is bought, like "Acme's" */
        {"Carver Holdings buys Northern Distributors' retail assets", "Northern Distributors",
         NF_ROLE_SELLER},
        {"Northern Distributors' acquisition of Quillo closes", "Northern Distributors",
         NF_ROLE_ACQUIRER},
        /* a capitalised consortium name is a buyer */
        {"Tenby Foods to be acquired by Pacific Infrastructure Consortium",
         "Pacific Infrastructure Consortium", NF_ROLE_ACQUIRER},
        {"Tenby Foods is to be acquired by a consortium led by Carver Holdings and Orbis Capital",
         "Orbis Capital", NF_ROLE_ACQUIRER},
        {"Tenby Foods is to be acquired by a consortium led by Carver Holdings and Orbis Capital",
         "Carver Holdings", NF_ROLE_ACQUIRER},
        {"Tenby Acquisition Corp. stockholders have approved the proposed business combination "
         "with Quillo",
         "Tenby Acquisition Corp", NF_ROLE_PARTNER},
        {"Carver Merger Corp Completes Sale of Tenby Foods to Orbis Manufacturing Holdings",
         "Orbis Manufacturing Holdings", NF_ROLE_ACQUIRER},
        /* a bracketed aside does not make a headline sentence case */
        {"Granite Soft to Acquire Fin (formerly Quillo)", "Fin", NF_ROLE_TARGET},
        {"Granite Soft to Acquire Fin (formerly Quillo)", "Granite Soft", NF_ROLE_ACQUIRER},
    };
    check_roles(roles, sizeof(roles) / sizeof(roles[0]));
    run("Tenby Foods Shareholders Approve Sale to Carver Holdings", NULL, NF_EXTRACT_DEAL);
    CHECK(entity_named("Tenby Foods Shareholders") < 0);
    CHECK_INT(ex.deal.kind, NF_DEAL_ACQUISITION);
    run("Marrow Group completes Tenby Foods sale", NULL, NF_EXTRACT_DEAL);
    CHECK_INT(ex.deal.kind, NF_DEAL_DIVESTITURE);
    /* holders are those of a name that opens the clause, not of one an adviser precedes */
    run("Tenby Foods Says Adviser Orbis Urges Stockholders To Back Acquisition", NULL,
        NF_EXTRACT_DEAL);
    CHECK_INT((int)ex.deal.parties_n, 0);
    /* a lexicon word that a legal form follows is part of a headline name */
    run("Tenby Acquisition Corp. and Quillo, Inc. Announce Completion of Business Combination",
        NULL, NF_EXTRACT_DEAL);
    CHECK(!has_party("Tenby", NF_ROLE_TARGET));
    /* a product event before "sale" is not sold */
    run("Orbis Prime Day sale starts", NULL, NF_EXTRACT_DEAL);
    CHECK(!has_party("Prime Day", NF_ROLE_TARGET));
    run("Halden Leasing Executes Sale and Leaseback with Orbis Airlines", NULL, NF_EXTRACT_DEAL);
    CHECK(!has_party("Halden Leasing", NF_ROLE_TARGET));
    CHECK(!has_party("Halden Leasing Executes", NF_ROLE_TARGET));
    /* "takes over as CEO" is no takeover */
    run("Rowan Tate takes over as CEO of Tenby Foods", NULL, NF_EXTRACT_DEAL);
    CHECK_INT((int)ex.deal.parties_n, 0);
}

/* A wire headline in capitals: the body's lead sentence names the parties (own text). */
static void test_wire_headlines(void)
{
    run("TALBOT SYSTEMS <TLBS.O> BUYS HARROW UNIT",
        "Talbot Systems Inc said it agreed with Harrow Industries Inc <HRWI.O> to buy its Kestrel "
        "Labs Inc unit for 12 mln dlrs in cash. The deal is expected to close in June.",
        NF_EXTRACT_DEAL);
    CHECK(has_party("Talbot Systems Inc", NF_ROLE_ACQUIRER));
    CHECK(has_party("Kestrel Labs Inc", NF_ROLE_TARGET));
    CHECK(has_party("Harrow Industries Inc", NF_ROLE_SELLER));
    CHECK(!has_party("Harrow Industries Inc", NF_ROLE_ACQUIRER));
    /* the capitals add no second spelling of a name the body gave */
    CHECK(entity_named("TALBOT SYSTEMS") < 0 || !ex.entities[entity_named("TALBOT SYSTEMS")].roles);
    /* "X said it has reached an agreement in principle to buy Y": X buys */
    run("WAVERLY DATA TO MAKE ACQUISITION",
        "Waverly Data Corp said it has reached an agreement in principle to buy Orrin Software "
        "Inc for stock.",
        NF_EXTRACT_DEAL);
    CHECK(has_party("Waverly Data Corp", NF_ROLE_ACQUIRER));
    CHECK(has_party("Orrin Software Inc", NF_ROLE_TARGET));
    CHECK(entity_named("MAKE") < 0 || !ex.entities[entity_named("MAKE")].roles);
    /* a name in wire brackets is a subject, not a ticker */
    run("TALBOT ACQUIRES 50 PCT OF KESTREL",
        "<Talbot Holdings Ltd> said it acquired a 50 pct interest in Kestrel Security Ltd for "
        "five mln dlrs.",
        NF_EXTRACT_DEAL);
    CHECK(has_party("Talbot Holdings Ltd", NF_ROLE_ACQUIRER) ||
          has_party("Talbot Holdings Ltd", NF_ROLE_INVESTOR));
    /* a verb after "to" in capitals is no target */
    run("WAVERLY DATA TO MAKE ACQUISITION", NULL, NF_EXTRACT_DEAL);
    CHECK(entity_named("MAKE") < 0 || !ex.entities[entity_named("MAKE")].roles);
    /* with no body the capitals are read as they are; a wire ticker is skipped */
    run("TALBOT CORP <TLBS.O> TO ACQUIRE KESTREL INC", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("TALBOT CORP", NF_ROLE_ACQUIRER));
    CHECK(has_party("KESTREL INC", NF_ROLE_TARGET));
    /* a known name that a plain word and a legal form follow is another company's */
    run("Talbot Systems buys Apple Orchards Inc", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Apple Orchards Inc", NF_ROLE_TARGET));
}

/* True when the entity exists and no entity is named bad (NULL: no check). */
static bool named_not(const char *name, const char *bad)
{
    return entity_named(name) >= 0 && (!bad || entity_named(bad) < 0);
}

/* Title Case headlines: an unknown verb ends the name before it; real names stay whole. */
static void test_headline_verbs(void)
{
    run("Brill Aviation Executes Lease Agreement For Two Jets With Tenby Air", NULL,
        NF_EXTRACT_DEAL);
    CHECK(named_not("Brill Aviation", "Brill Aviation Executes"));
    CHECK(entity_named("Executes") < 0);
    run("Orrin Freight Wraps Up Sale Of Carver Mills", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Orrin Freight", NF_ROLE_SELLER));
    CHECK(has_party("Carver Mills", NF_ROLE_TARGET));
    run("Halden Direct Bolsters Its Reach With Purchase Of Quillo", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Halden Direct", NF_ROLE_ACQUIRER));
    run("Orrin Brands Executes Deal With Tenby Farms", NULL, NF_EXTRACT_DEAL);
    CHECK(named_not("Orrin Brands", "Orrin Brands Executes"));
    run("Quillo Robotics Obtained A Stake In Tenby Foods", NULL, NF_EXTRACT_DEAL);
    CHECK(named_not("Quillo Robotics", "Quillo Robotics Obtained"));
    /* a plural noun of a name is followed by the verb, or by "to": it stays */
    run("Tenby Scripts Completes Sale Of Unit To Orrin Health", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Tenby Scripts", NF_ROLE_SELLER));
    run("Orrin Materials to Buy Quillo Labs For $2 Billion", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Orrin Materials", NF_ROLE_ACQUIRER));
    run("Carver Living Supply Acquires Tenby Brick", NULL, NF_EXTRACT_DEAL);
    CHECK(entity_named("Carver") < 0);
    /* a word in -as is no verb, and a participle after a name is no object */
    run("Halden Caritas Awarded Contract To Serve Ohio Patients", NULL, NF_EXTRACT_DEAL);
    CHECK(entity_named("Halden") < 0);
    /* after a colon only an article is dropped: "$TNB: First Tenby Realty beats" */
    run("$TNB: First Tenby Realty beats by $0.02, raises guidance", NULL, 0);
    CHECK(entity_named("Tenby Realty") < 0);
    /* and real names */
    run("Express Scripts Completes Sale Of Unit To Tenby Health", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Express Scripts", NF_ROLE_SELLER));
    run("United Airlines Signs Lease Deal With Orrin Leasing", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("United Airlines", NF_ROLE_PARTNER));
    run("Applied Materials to Buy Quillo Labs For $2 Billion", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Applied Materials", NF_ROLE_ACQUIRER));
    run("Marvell Technology Agrees to Acquire Quillo Semis", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Marvell Technology", NF_ROLE_ACQUIRER));
    run("Williams Sells Pipeline Stake To Orbit Partners", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Williams", NF_ROLE_SELLER));
    /* a plural possessive opens a name, even one the lexicon knows as a verb */
    run("Lands' End Inks Supply Deal With Tenby Mills", NULL, NF_EXTRACT_DEAL);
    CHECK(named_not("Lands' End", "End"));
    run("Tenby Mills signed a supply deal with Lands' End on Monday.", NULL, NF_EXTRACT_DEAL);
    CHECK(named_not("Lands' End", "End"));
}

/* Investors named in a sentence of their own, and lists past descriptors. */
static void test_investor_lists(void)
{
    run("Data center operator Tenby Digital (TNBD) raised $160 million in a funding round",
        "The CEO said that Quillo and real estate firm Orrin Companies are among the "
        "participating investors.",
        NF_EXTRACT_DEAL);
    CHECK(has_party("Quillo", NF_ROLE_INVESTOR));
    CHECK(has_party("Orrin Companies", NF_ROLE_INVESTOR));
    CHECK(has_party("Tenby Digital", NF_ROLE_TARGET));
    CHECK_INT(ex.deal.kind, NF_DEAL_INVESTMENT);
    /* investors among whom no name stands are none */
    run("Tenby Digital raised $160 million", "Pension funds are among the investors.",
        NF_EXTRACT_DEAL);
    CHECK_INT(ex.deal.parties_n, 0);
}

/* Wire copy: single-word markers and names written with initials. */
static void test_wire_names(void)
{
    run("QUILLO BUYS STAKE",
        "<Quillotech> said it acquired a 20 pct stake in <Tenby Press Ltd> for 10 mln dlrs.",
        NF_EXTRACT_DEAL);
    CHECK(has_party("Quillotech", NF_ROLE_INVESTOR) || has_party("Quillotech", NF_ROLE_ACQUIRER));
    CHECK(has_party("Tenby Press Ltd", NF_ROLE_TARGET));
    /* the marker names a company even when its word is a lexicon word or a suffix */
    run("STERLING BUYS STAKE",
        "<Sterling> said it acquired a 20 pct stake in <Tenby Press Ltd> for 10 mln dlrs.",
        NF_EXTRACT_DEAL);
    CHECK(has_party("Sterling", NF_ROLE_INVESTOR) || has_party("Sterling", NF_ROLE_ACQUIRER));
    run("TENBY SELLS UNIT", "Tenby Corp said it sold its Orrin unit to <Digital> for 10 mln dlrs.",
        NF_EXTRACT_DEAL);
    CHECK(has_party("Digital", NF_ROLE_ACQUIRER));
    /* a single word in capitals is a ticker, not a marker */
    run("Orrin Corp <ORRN> said it sold its unit.", NULL, 0);
    CHECK(entity_named("ORRN") < 0);
    run("CARVER <CRV> BUYS B AND D",
        "Carver Corp said it completed the purchase of B and D Instruments Inc for two mln dlrs. "
        "B and D had sales of 4,700,000 dlrs.",
        NF_EXTRACT_DEAL);
    CHECK(has_party("B and D Instruments Inc", NF_ROLE_TARGET));
    CHECK(entity_named("B") < 0 && entity_named("D") < 0);
    run("ORRIN TO SELL SHARES",
        "Orrin Bank said it would sell the 4.2 mln B free shares it holds in Tenby AB.",
        NF_EXTRACT_DEAL);
    CHECK(entity_named("B") < 0);
    /* but a single letter before a verb is a name */
    run("X acquires Quillo for $100M", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("X", NF_ROLE_ACQUIRER));
}

/* Where an asset is and who runs it (own sentences). */
static void test_infra_slots(void)
{
    static const char *const places[][2] = {
        /* an unknown town in the locative slot after the asset */
        {"Kestrel Systems drops plans for 244-acre data center in Marrowfield", "Marrowfield"},
        /* where a company is based is not where it builds */
        {"Austin-based Kestrel Systems opens its first data centre in Lagos", "Lagos"},
        {"Kestrel Systems, headquartered in Denver, will build a fab in Ohio", "Ohio"},
        {"Boise, Idaho-based Kestrel Systems will build a chip plant in Clay, N.Y.", "Clay, N.Y."},
    };
    for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
        run(places[i][0], NULL, NF_EXTRACT_INFRA);
        CHECK_STR(ex.infra.location, places[i][1]);
    }
    /* a board or a fund that pays for a network does not run it */
    run("Harbor Broadband Advisory Board approves fiber grant for rural towns", NULL,
        NF_EXTRACT_INFRA);
    CHECK(ex.infra.operator_ < 0);
    run("The board awarded $120 million from the Idaho Capital Projects Fund (CPF) to "
        "broadband projects",
        NULL, NF_EXTRACT_INFRA);
    CHECK(ex.infra.operator_ < 0);
    CHECK(entity_named("Central Pacific Financial") < 0); /* CPF is defined, not a ticker */
    /* an industry term in capitals is no name; a bracketed abbreviation does not hide the
     * subject */
    run("Under the new PPA, the developer Rimlight Compute (RC) has agreed to draw power for "
        "its data centres",
        NULL, NF_EXTRACT_INFRA);
    CHECK(entity_named("PPA") < 0);
    CHECK(ex.infra.operator_ >= 0 &&
          !strcmp(ex.entities[ex.infra.operator_].name, "Rimlight Compute"));
    /* the asset from the words, from a name as a last resort; compute capacity and
     * supercomputers are compute (EXTRACTION.md) */
    static const struct {
        const char *title;
        nf_asset_t asset;
    } assets[] = {
        {"Orbis Fiber is coming to Springfield", NF_ASSET_NETWORK},
        {"Kestrel Systems to pay Orbis $90M a month for compute capacity at its data centers",
         NF_ASSET_COMPUTE_CLUSTER},
        {"Kestrel Systems will build an AI supercomputer at its new data centre",
         NF_ASSET_COMPUTE_CLUSTER},
        {"Kestrel Systems opens a data centre in Lagos with Orbis Fiber", NF_ASSET_DATA_CENTER},
    };
    for (size_t i = 0; i < sizeof(assets) / sizeof(assets[0]); i++) {
        run(assets[i].title, NULL, NF_EXTRACT_INFRA);
        CHECK_STR(nf_asset_name(ex.infra.asset), nf_asset_name(assets[i].asset));
    }
    /* capacity as written, hyphenated or in Mbps */
    run("Kestrel Systems opens a 100-megawatt data center in Ohio", NULL, NF_EXTRACT_INFRA);
    CHECK_STR(ex.infra.capacity, "100-megawatt");
    run("Orbis Fiber brings 400 Mbps to homes in Ohio", NULL, NF_EXTRACT_INFRA);
    CHECK_STR(ex.infra.capacity, "400 Mbps");
    /* the purchase price of an asset is its amount */
    run("Halden Power buys Orbis towers for $550 million", NULL, NF_EXTRACT_INFRA);
    CHECK(amount_is(ex.infra.amount, 550e6));
}

/* Fixtures: articles with expectations ------------------------------------------------ */

static double num(const cJSON *j)
{
    return cJSON_IsNumber(j) ? j->valuedouble : 0;
}

static bool name_is(int e, const char *name)
{
    return e >= 0 && name && !strcmp(ex.entities[e].name, name);
}

static bool amount_is(int idx, double v)
{
    return idx >= 0 && ex.amounts[idx].value > v * 0.995 && ex.amounts[idx].value < v * 1.005;
}

static bool in_list(const int *ents, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (name_is(ents[i], name))
            return true;
    return false;
}

static nf_role_t role_parse(const char *s)
{
    for (int r = 0; r < NF_ROLE__CNT; r++)
        if (!strcmp(nf_role_name((nf_role_t)r), s))
            return (nf_role_t)r;
    return NF_ROLE__CNT;
}

static void check_fixture(const char *id, const cJSON *want)
{
    int before = test_failures;
    const cJSON *amounts = cJSON_GetObjectItemCaseSensitive(want, "amounts"), *a;
    cJSON_ArrayForEach(a, amounts)
    {
        const char *cur = cJSON_GetArrayItem(a, 1)->valuestring;
        const nf_amount_t *got = amount_of(num(cJSON_GetArrayItem(a, 0)), cur);
        CHECK(got != NULL);
        if (got)
            CHECK_STR(nf_amount_kind_name(got->kind), cJSON_GetArrayItem(a, 2)->valuestring);
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(want, "amounts_exact")))
        CHECK_INT(ex.amounts_n, cJSON_GetArraySize(amounts));
    const cJSON *parties = cJSON_GetObjectItemCaseSensitive(want, "parties");
    cJSON_ArrayForEach(a, parties)
    {
        CHECK(has_party(cJSON_GetArrayItem(a, 0)->valuestring,
                        role_parse(cJSON_GetArrayItem(a, 1)->valuestring)));
    }
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(want, "status");
    if (cJSON_IsString(status))
        CHECK_STR(nf_deal_status_name(ex.deal.status), status->valuestring);
    const cJSON *fu = cJSON_GetObjectItemCaseSensitive(want, "funding");
    if (fu) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(fu, "company");
        CHECK(ex.funding.present);
        if (cJSON_IsString(c))
            CHECK(name_is(ex.funding.company, c->valuestring));
        c = cJSON_GetObjectItemCaseSensitive(fu, "round");
        if (cJSON_IsString(c))
            CHECK_STR(ex.funding.round, c->valuestring);
        c = cJSON_GetObjectItemCaseSensitive(fu, "amount");
        if (c)
            CHECK(amount_is(ex.funding.amount, num(c)));
        c = cJSON_GetObjectItemCaseSensitive(fu, "valuation");
        if (c)
            CHECK(amount_is(ex.funding.valuation, num(c)));
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(fu, "investors"))
        {
            CHECK(in_list(ex.funding.investors, ex.funding.investors_n, c->valuestring));
        }
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(fu, "leads"))
        {
            CHECK(in_list(ex.funding.leads, ex.funding.leads_n, c->valuestring));
        }
    }
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(want, "infra");
    if (in) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(in, "asset");
        CHECK(ex.infra.present);
        if (cJSON_IsString(c))
            CHECK_STR(nf_asset_name(ex.infra.asset), c->valuestring);
        c = cJSON_GetObjectItemCaseSensitive(in, "operator");
        if (cJSON_IsString(c)) {
            /* a fuller name of the operator is as good ("Northbeam Data" for "Northbeam") */
            bool ok = ex.infra.operator_ >= 0 && !strncmp(ex.entities[ex.infra.operator_].name,
                                                          c->valuestring, strlen(c->valuestring));
            CHECK(ok);
        }
        c = cJSON_GetObjectItemCaseSensitive(in, "location");
        if (cJSON_IsString(c))
            CHECK_STR(ex.infra.location, c->valuestring);
        c = cJSON_GetObjectItemCaseSensitive(in, "amount");
        if (c)
            CHECK(amount_is(ex.infra.amount, num(c)));
        c = cJSON_GetObjectItemCaseSensitive(in, "capacity");
        if (cJSON_IsString(c))
            CHECK_STR(ex.infra.capacity, c->valuestring);
    }
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(want, "persons"))
    {
        int e = entity_named(a->valuestring);
        CHECK(e >= 0 && ex.entities[e].type == NF_ENTITY_PERSON);
    }
    if (test_failures != before)
        fprintf(stderr, "  (in fixture %s)\n", id);
}

static unsigned mask_of(const cJSON *labels)
{
    unsigned mask = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, labels)
    {
        if (!cJSON_IsString(l))
            continue;
        if (!strcmp(l->valuestring, "deal"))
            mask |= NF_EXTRACT_DEAL;
        else if (!strcmp(l->valuestring, "funding"))
            mask |= NF_EXTRACT_FUNDING;
        else if (!strcmp(l->valuestring, "infrastructure"))
            mask |= NF_EXTRACT_INFRA;
    }
    return mask;
}

static void test_fixture_file(const char *name)
{
    char path[4200], line[8192], err[256];
    snprintf(path, sizeof(path), "%s/%s", fixtures_dir, name);
    FILE *fp = fopen(path, "r");
    CHECK(fp != NULL);
    if (!fp)
        return;
    nf_decode_opts_t opts = {.max_bytes = 1 << 20};
    int n = 0;
    while (fgets(line, sizeof(line), fp)) {
        cJSON *j = cJSON_Parse(line);
        nf_article_t a = {0};
        CHECK(j != NULL);
        if (!j)
            continue;
        CHECK_INT(nf_decode(line, strlen(line), &opts, &a, err, sizeof(err)), NF_REJECT_NONE);
        CHECK_INT(nf_extract(x, &a, mask_of(cJSON_GetObjectItemCaseSensitive(j, "labels")), &ex),
                  0);
        check_fixture(a.id, cJSON_GetObjectItemCaseSensitive(j, "expect"));
        check_schema();
        /* the encoded fields are valid JSON inside an object */
        nf_buf_t b = {0};
        nf_buf_puts(&b, "{\"id\":1");
        nf_extraction_encode(&ex, &b);
        nf_buf_puts(&b, "}");
        cJSON *ev = cJSON_Parse(b.data);
        CHECK(ev != NULL);
        CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(ev, "amounts")));
        CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(ev, "entities")));
        cJSON_Delete(ev);
        nf_buf_free(&b);
        nf_article_clear(&a);
        cJSON_Delete(j);
        n++;
    }
    fclose(fp);
    CHECK(n > 0);
}

/* Encoding ------------------------------------------------------------------------------ */

static void test_encode(void)
{
    run("Zentry raises $1-2 billion Series A led by \"Quote\" Capital at a $9.5B valuation",
        "Zentry, based in Austin, Texas, is building a data center.",
        NF_EXTRACT_FUNDING | NF_EXTRACT_INFRA | NF_EXTRACT_DEAL);
    nf_buf_t b = {0};
    nf_buf_puts(&b, "{");
    nf_extraction_encode(&ex, &b);
    CHECK(b.len > 1 && b.data[1] == ',');
    b.data[1] = ' ';
    nf_buf_puts(&b, "}");
    cJSON *ev = cJSON_Parse(b.data);
    CHECK(ev != NULL);
    const cJSON *amounts = cJSON_GetObjectItemCaseSensitive(ev, "amounts");
    const cJSON *first = cJSON_GetArrayItem(amounts, 0);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(first, "value")));
    CHECK(num(cJSON_GetObjectItemCaseSensitive(first, "value")) == 1e9);
    CHECK(num(cJSON_GetObjectItemCaseSensitive(first, "value_high")) == 2e9);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(first, "currency")->valuestring, "USD");
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(first, "field")->valuestring, "title");
    const cJSON *fu = cJSON_GetObjectItemCaseSensitive(ev, "funding");
    CHECK(cJSON_IsObject(fu));
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(fu, "round")->valuestring, "Series A");
    CHECK(num(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(fu, "valuation"),
                                               "value")) == 9.5e9);
    CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(ev, "infrastructure")));
    cJSON_Delete(ev);
    nf_buf_free(&b);
}

/* Bad input ------------------------------------------------------------------------------ */

static void test_bad_input(void)
{
    nf_article_t a = {0};
    CHECK_INT(nf_extract(NULL, &a, 0, &ex), NF_EINVAL);
    CHECK_INT(nf_extract(x, NULL, 0, &ex), NF_EINVAL);
    CHECK_INT(nf_extract(x, &a, 7, NULL), NF_EINVAL);
    CHECK_INT(nf_extract(x, &a, 7, &ex), 0); /* every field NULL */
    CHECK_INT(ex.amounts_n, 0);
    run("", "", 7);
    CHECK_INT(ex.amounts_n + ex.entities_n, 0);
    run("$", "$$ $- € £ 5 - to $ ,", 7);
    run("\x01\x02$5\x7f billion\x1b", "Acme\x03 raises \t\r\n $3M", 7);
    /* invalid UTF-8 and truncated sequences (the decoder rejects these; be robust anyway) */
    run("\xff\xfe\xe2\x82 Acme \xc3", "\xe2\x82\xac", 7);
    run("Acme raises $5", "€", 7);
    /* a 1 MiB body full of names, money and sentences; more than the tables hold */
    size_t size = 1u << 20;
    char *body = malloc(size + 1);
    const char *piece = "Zanta Labs raises $12.5 million from Orbit Capital, Nvidia and SoftBank. "
                        "Amazon buys Qorvo Systems for €3bn in Dublin, Ireland. \x02 ";
    size_t pl = strlen(piece), off = 0;
    CHECK(body != NULL);
    if (!body)
        return;
    for (int k = 0; off + pl + 32 < size; k++)
        off +=
            (size_t)snprintf(body + off, size - off, "%s Firm%d Corp pays $%d.5M. ", piece, k, k);
    memset(body + off, 'a', size - off);
    body[size] = '\0';
    int64_t t0 = nf_mono_us();
    run("Huge", body, 7);
    int64_t dt = nf_mono_us() - t0;
    CHECK(ex.amounts_n >= 20 && ex.amounts_n <= NF_EXTRACT_MAX_AMOUNTS);
    CHECK(ex.entities_n <= NF_EXTRACT_MAX_ENTITIES);
    fprintf(stderr, "1 MiB body: %lld us\n", (long long)dt);
    /* a 1 MiB run-on body with no full stop and a huge title: bounded work */
    for (off = 0; off + 64 < size;)
        off +=
            (size_t)snprintf(body + off, size - off, "Acme Corp buys Beta Corp and Gamma raises ");
    body[off] = '\0';
    t0 = nf_mono_us();
    run(body, body, 7);
    dt = nf_mono_us() - t0;
    fprintf(stderr, "1 MiB run-on title and body: %lld us\n", (long long)dt);
    CHECK(ex.deal.present);
    /* reuse after a huge article, and clear */
    run("Acme raises $5M", NULL, 7);
    CHECK_INT(ex.amounts_n, 1);
    nf_extraction_clear(&ex);
    CHECK_INT(ex.amounts_n, 0);
    free(body);
    /* a freshly zeroed extraction can be freed and cleared without use */
    nf_extraction_t fresh = {0};
    nf_extraction_clear(&fresh);
    nf_extraction_free(&fresh);
    nf_extraction_free(NULL);
    nf_extraction_clear(NULL);
    nf_extractor_destroy(NULL);
    char err[256];
    CHECK(nf_extractor_new("/nonexistent", err, sizeof(err)) == NULL);
    CHECK(strstr(err, "organizations.tsv") != NULL);
}

/*
 * General frames: voice, prepositions, possessives and lists read the same way whatever the
 * names (own sentences). Each case names one party that must be there.
 */
static void test_general_frames(void)
{
    static const role_case_t roles[] = {
        /* a listed counterpart: every name takes the role */
        {"Marrow Group agreed to sell a majority stake in its towers unit to Carver Holdings and "
         "Orbit Fund",
         "Orbit Fund", NF_ROLE_ACQUIRER},
        {"Tenby Foods agrees to be acquired by Carver Holdings and Orbit Fund for $4B",
         "Orbit Fund", NF_ROLE_ACQUIRER},
        {"Quillo signs licensing deals with Granite Soft, Orbis, and Halden Rail", "Halden Rail",
         NF_ROLE_PARTNER},
        /* a possessive object: the owner sells, the name after it is bought */
        {"Granite Soft offers to buy Orbis's Quillo browser for $3B", "Orbis", NF_ROLE_SELLER},
        {"Granite Soft offers to buy Orbis's Quillo browser for $3B", "Quillo", NF_ROLE_TARGET},
        {"Granite Soft bought Orbis's satellite team", "Orbis", NF_ROLE_SELLER},
        /* a dash compound names both sides */
        {"The next chapter of the Granite Soft\xE2\x80\x93Orbis partnership", "Orbis",
         NF_ROLE_PARTNER},
        /* the press is a party when it is the subject of a deal verb */
        {"The Halden Times acquires review site Quillo", "Halden Times", NF_ROLE_ACQUIRER},
        /* a sale of itself: reflexive, possessive, or weighed with no object */
        {"Tenby Foods agrees to sell itself to Carver Holdings for $1.6 billion", "Tenby Foods",
         NF_ROLE_TARGET},
        {"Snack maker Tenby Foods has hired bankers to advise on a possible sale", "Tenby Foods",
         NF_ROLE_TARGET},
        /* an investment from X; the owner of a deal to buy; who is approved for a takeover */
        {"Tenby Foods Announces Strategic Growth Investment from Orbit Fund", "Orbit Fund",
         NF_ROLE_INVESTOR},
        {"Tenby Foods Announces Strategic Growth Investment from Orbit Fund", "Tenby Foods",
         NF_ROLE_TARGET},
        {"Rowan Tate says he is backing out of his deal to buy Quillo", "Rowan Tate",
         NF_ROLE_ACQUIRER},
        {"Granite Soft receives regulatory approvals for the acquisition of Quillo Security",
         "Granite Soft", NF_ROLE_ACQUIRER},
        /* an agreement to acquire from a seller is no supply contract */
        {"Granite Soft said it signed an agreement to acquire Quillo Life from Orbis Corp",
         "Orbis Corp", NF_ROLE_SELLER},
        /* wire copy: a possessive past the price, and a pronoun past a relative clause */
        {"Tenby Ltd told shareholders not to accept Carver Ltd's 4.00 dlr a share takeover bid",
         "Carver Ltd", NF_ROLE_ACQUIRER},
        {"Tenby Ltd told shareholders not to accept Carver Ltd's 4.00 dlr a share takeover bid",
         "Tenby Ltd", NF_ROLE_TARGET},
        /* a wire marker names a company whole, descriptors and all; assets of Y: Y sells */
        {"<Marrow Inc> said it acquired all the assets of <Business Aviation Inc> of Sioux "
         "Falls",
         "Business Aviation Inc", NF_ROLE_SELLER},
        /* a two-letter subject of a deal verb and a lower-case brand with a suffix are names */
        {"GE Sells Power Conversion Business Quillo To Orbis For $300M", "GE", NF_ROLE_SELLER},
        {"A16Z-backed data firms Quillo, dbt Labs to merge in all-stock deal", "dbt Labs",
         NF_ROLE_PARTNER},
        /* an investment in Y: the possessor, the subject or the opening name invests */
        {"Orbit Capital Announces Strategic Growth Investment in Tenby Partners", "Tenby Partners",
         NF_ROLE_TARGET},
        {"Orbit Capital Announces Strategic Growth Investment in Tenby Partners", "Orbit Capital",
         NF_ROLE_INVESTOR},
        {"Granite Soft's $4B investment in Quillo pays off", "Granite Soft", NF_ROLE_INVESTOR},
        /* listed subjects of a win all supply; a listed press name is a party */
        {"Carver and Orbis just scored a huge federal transportation contract", "Carver",
         NF_ROLE_SUPPLIER},
        {"The Halden Times and Quillo Announce an A.I. Licensing Deal", "Halden Times",
         NF_ROLE_PARTNER},
        /* "The <Acme Ltd> board ... recommended the takeover bid by X": Acme is bought */
        {"The <Tenby Press Ltd> (TPL) board said it unanimously recommended the one billion dlr "
         "takeover bid by <Carver Investments Pty Ltd>",
         "Tenby Press Ltd", NF_ROLE_TARGET},
        /* taking private; a possessor's stake in a named company; an owner selling assets */
        {"The German government to pay $9.8 billion to take Tenby Power private",
         "German government", NF_ROLE_ACQUIRER},
        {"The German government to pay $9.8 billion to take Tenby Power private", "Tenby Power",
         NF_ROLE_TARGET},
        {"What Granite Soft's Quillo stake means for investors", "Granite Soft", NF_ROLE_INVESTOR},
        {"Tenby Mining eyes sale of Russian assets to avoid sanctions", "Tenby Mining",
         NF_ROLE_SELLER},
        /* "his" names a person, not the company before it */
        {"Investor Rowan Tate said he was disappointed in Tenby World Inc's response to his 28 "
         "dlrs a share offer to buy the company",
         "Rowan Tate", NF_ROLE_ACQUIRER},
        /* the business and assets of a named unit bought from its owner */
        {"Carver Services Inc said it agreed in principle to buy the business and assets of "
         "Tenby Repair Service from Tenby Corp",
         "Tenby Corp", NF_ROLE_SELLER},
        {"Carver Services Inc said it agreed in principle to buy the business and assets of "
         "Tenby Repair Service from Tenby Corp",
         "Tenby Repair Service", NF_ROLE_TARGET},
        /* a headline's passive without "is" */
        {"Quillo acquired by Granite Soft for $4.75B", "Quillo", NF_ROLE_TARGET},
        {"Quillo acquired by Granite Soft for $4.75B", "Granite Soft", NF_ROLE_ACQUIRER},
        {"Crunch Report | Quillo Bought For $1.8 Billion", "Quillo", NF_ROLE_TARGET},
        /* a pronoun past adjectives; a passive deal noun's owner is what is bought */
        {"Ledger Advisors advises Tenby Foods on its pending sale to Carver Holdings",
         "Tenby Foods", NF_ROLE_TARGET},
        {"Tenby Corp said it is preparing to negotiate all terms of its proposed acquisition of "
         "Quillo Inc",
         "Tenby Corp", NF_ROLE_ACQUIRER},
        {"Tenby Inc said it is in talks on its possible purchase by a large U.S. company",
         "Tenby Inc", NF_ROLE_TARGET},
        {"Tenby Inc said its leveraged buyout by Carver Corp has been completed", "Carver Corp",
         NF_ROLE_ACQUIRER},
        /* in a headline a city that a plain capitalised word follows names a company */
        {"Cannabis Company Quillo Labs To Acquire Columbia Care For $2 Billion", "Columbia Care",
         NF_ROLE_TARGET},
        /* suitors bid; the owner of what they bid for sells */
        {"Carver Group and Orbit Industries are among suitors for retailer Tenby's wholesale "
         "operations, sources say",
         "Orbit Industries", NF_ROLE_ACQUIRER},
        {"Carver Group and Orbit Industries are among suitors for retailer Tenby's wholesale "
         "operations, sources say",
         "Tenby", NF_ROLE_SELLER},
        /* headlines no frame reads: a sale and leaseback with a customer supplies it, "a
         * deal with Y" with no other name makes Y a partner, a place listed is skipped */
        {"Orrin Leasing Executes Sale and Leaseback Transaction with New Asian Customer Tenby Air",
         "Orrin Leasing", NF_ROLE_SUPPLIER},
        {"Orrin Leasing Executes Sale and Leaseback Transaction with New Asian Customer Tenby Air",
         "Tenby Air", NF_ROLE_CUSTOMER},
        {"An oil major signed a $2B deal with Quillo Fusion Systems", "Quillo Fusion Systems",
         NF_ROLE_PARTNER},
        {"Tenby Semi alongside State of Ohio and Carver University will build $2B chip plant",
         "Carver University", NF_ROLE_PARTNER},
        {"Tenby Semi alongside State of Ohio and Carver University will build $2B chip plant",
         "Tenby Semi", NF_ROLE_PARTNER},
        /* a place qualifying the second of two listed names */
        {"Italy's AI startup Quillo and the UAE's Tenby have partnered to develop a "
         "supercomputer",
         "Quillo", NF_ROLE_PARTNER},
        /* "his acquisition of the company": the company the sentence opens with */
        {"Tenby has called Rowan Tate's attempt to walk away from his $4bn acquisition of the "
         "company invalid",
         "Tenby", NF_ROLE_TARGET},
        /* a second thing bought after the price */
        {"Granite Soft buys Quillo Labs for $385M and Tenby to double down on 5G", "Tenby",
         NF_ROLE_TARGET},
        /* after a colon, "The" opens no name */
        {"WATCH: The German government plans to take a 30% stake in Tenby Power",
         "German government", NF_ROLE_INVESTOR},
        /* reported speech: the speaker's bid, though another name came between */
        {"Carver Inc said it sent a letter to the Tenby Corp board, saying it is prepared to "
         "increase its bid for Tenby to 33 dlrs a share",
         "Carver Inc", NF_ROLE_ACQUIRER},
    };
    check_roles(roles, sizeof(roles) / sizeof(roles[0]));
    run("Tenby Foods board rejects $1bn bid from smaller rival Carver Holdings", NULL,
        NF_EXTRACT_DEAL);
    CHECK(has_party("Carver Holdings", NF_ROLE_ACQUIRER));
    CHECK(has_party("Tenby Foods", NF_ROLE_TARGET));
    run("Granite Soft deal for Orbis unlikely by earnings, people familiar say", NULL,
        NF_EXTRACT_DEAL);
    CHECK(has_party("Granite Soft", NF_ROLE_ACQUIRER));
    CHECK(has_party("Orbis", NF_ROLE_TARGET));
    run("Tenby Foods agrees to sell itself to Carver Holdings", NULL, NF_EXTRACT_DEAL);
    CHECK_INT(ex.deal.kind, NF_DEAL_ACQUISITION);
    /* a contract acquired from a customer is won, not a company bought */
    run("Carver Systems has acquired a $935 million contract from the Navy Quillo Command", NULL,
        NF_EXTRACT_DEAL);
    CHECK(has_party("Carver Systems", NF_ROLE_SUPPLIER));
    CHECK(!has_party("Carver Systems", NF_ROLE_ACQUIRER));
    run("Tenby Corp chairman said it ended talks with Orbis Plc about the possible sale of some "
        "energy assets",
        NULL, NF_EXTRACT_DEAL);
    CHECK(!has_party("Orbis Plc", NF_ROLE_SELLER));
    run("Tenby Inc's chairman said the offer denies shareholders the value of their investment "
        "in Tenby Inc",
        NULL, NF_EXTRACT_DEAL);
    CHECK(ex.deal.parties_n == 0 || !has_party("Tenby Inc", NF_ROLE_TARGET));
    run("Carver Savings said it made a 30 pct investment in Tenby Mortgage Co", NULL,
        NF_EXTRACT_DEAL);
    CHECK_INT(ex.deal.kind, NF_DEAL_STAKE);
    /* a noun between the pronoun and the deal noun stops it; an unnamed subject resolves
     * nothing */
    run("Tenby Inc said it will redeem all of its preferred stock purchase rights", NULL,
        NF_EXTRACT_DEAL);
    CHECK(!has_party("Tenby Inc", NF_ROLE_ACQUIRER));
    run("The company said it now owns part of Quillo Corp and expects to complete its proposed "
        "acquisition of Quillo",
        NULL, NF_EXTRACT_DEAL);
    CHECK(!has_party("Quillo Corp", NF_ROLE_ACQUIRER));
    /* a share stated as a percentage: a minority holder invests, a majority one acquires */
    run("Orbit Fund said it now holds 12.5 pct of Tenby Foods", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Orbit Fund", NF_ROLE_INVESTOR));
    CHECK(has_party("Tenby Foods", NF_ROLE_TARGET));
    CHECK_INT(ex.deal.kind, NF_DEAL_STAKE);
    run("Orbit Fund now owns 100 pct of Tenby Foods", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Orbit Fund", NF_ROLE_ACQUIRER));
    CHECK_INT(ex.deal.kind, NF_DEAL_ACQUISITION);
    run("A Dallas investor, Rowan Tate, told the Securities and Exchange Commission he holds "
        "5.2 pct of Tenby Foods",
        NULL, NF_EXTRACT_DEAL);
    CHECK(!has_party("Securities and Exchange Commission", NF_ROLE_INVESTOR));
    run("Affiliates of Carver Complete $7.6 Billion Acquisition of Tenby Foods", NULL,
        NF_EXTRACT_DEAL);
    CHECK(entity_named("Billion") < 0);
    run("Carver Holdings acquires 9.9 pct of Tenby Foods", NULL, NF_EXTRACT_DEAL);
    CHECK(has_party("Carver Holdings", NF_ROLE_INVESTOR));
    CHECK_INT(ex.deal.kind, NF_DEAL_STAKE);
    /* "wins" names a supplier only with a contract noun */
    run("Orbis wins bid for expedited trial to force Rowan Tate to close the deal", NULL,
        NF_EXTRACT_DEAL);
    CHECK(!has_party("Orbis", NF_ROLE_SUPPLIER));
    /* a capitalised common noun after a possessive is no unit name */
    run("Granite Soft will bid for Orbis's Internet business", NULL, NF_EXTRACT_DEAL);
    CHECK(entity_named("Internet") < 0 || !has_party("Internet", NF_ROLE_TARGET));
    /* "Y's rival Z" is Z, not a unit of Y */
    run("Granite Soft buys Orbis's rival Quillo", NULL, NF_EXTRACT_DEAL);
    CHECK(!has_party("Orbis", NF_ROLE_SELLER));

    /* under a headline in capitals a name must be confirmed: by the body, a ticker, or (no
     * body) by holding no lexicon word */
    run("TENBY TELLS HOLDERS NOT TO ACCEPT CARVER BID",
        "Tenby Resources Ltd told shareholders not to accept Carver Ltd's takeover bid.",
        NF_EXTRACT_DEAL);
    CHECK(entity_named("TENBY TELLS") < 0 || !has_party("TENBY TELLS", NF_ROLE_ACQUIRER));
    CHECK(has_party("Carver Ltd", NF_ROLE_ACQUIRER));
    run("MARROW TO SELL BOTTLED WATER DIVISION",
        "Marrow Holdings Corp said it retained advisers to assist in the sale of its water "
        "business.",
        NF_EXTRACT_DEAL);
    CHECK(entity_named("BOTTLED WATER") < 0 || !has_party("BOTTLED WATER", NF_ROLE_TARGET));
    run("CARVER OFFERS TO RAISE TENBY BUYOUT TO 92.50 DLRS/SHR", NULL, NF_EXTRACT_DEAL);
    CHECK(entity_named("DLRS") < 0 || !has_party("DLRS", NF_ROLE_TARGET));

    /* status: agreed is not done; a plural subject completes; negation; an offer */
    static const struct {
        const char *title;
        nf_deal_status_t status;
    } st[] = {
        {"Tenby Foods agrees to be acquired by Carver Holdings", NF_STATUS_ANNOUNCED},
        {"Tenby Foods and Carver Holdings complete business combination", NF_STATUS_COMPLETED},
        {"TENBY SAYS UNIT TERMINATES MERGER AGREEMENT WITH CARVER", NF_STATUS_TERMINATED},
        {"CARVER SAYS TENBY MERGER PLAN NOT TERMINATED", NF_STATUS_ANNOUNCED},
        {"Granite Soft offers to buy Orbis for $34.5B", NF_STATUS_NONE},
        {"Fivetran and Quillo Labs to merge in all-stock deal", NF_STATUS_ANNOUNCED},
        {"Regulators block Granite Soft's takeover of Orbis", NF_STATUS_TERMINATED},
        {"Granite Soft's deal to buy Quillo is off", NF_STATUS_TERMINATED},
        {"Granite Soft calls off its takeover of Quillo", NF_STATUS_TERMINATED},
        {"Regulator sues to block Granite Soft's takeover of Orbis", NF_STATUS_PENDING},
        {"Tenby Foods board rejects $1bn bid from rival Carver Holdings", NF_STATUS_NONE},
    };
    for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
        run(st[i].title, NULL, NF_EXTRACT_DEAL);
        CHECK_INT(ex.deal.status, st[i].status);
        if (ex.deal.status != st[i].status)
            fprintf(stderr, "  (in \"%s\")\n", st[i].title);
    }
}

int main(void)
{
    char err[512];
    find_dirs();
    load_schema(root_dir);
    x = nf_extractor_new(rules_dir, err, sizeof(err));
    if (!x) {
        fprintf(stderr, "extractor: %s\n", err);
        return 1;
    }
    CHECK(nf_extractor_names(x) > 3000);
    test_tokens();
    test_token_runs();
    test_forms();
    test_kinds();
    test_entities();
    test_contract_frames();
    test_noun_phrases();
    test_general_frames();
    test_holders_and_takeovers();
    test_wire_headlines();
    test_headline_verbs();
    test_wire_names();
    test_investor_lists();
    test_infra_slots();
    test_fixture_file("design-example.jsonl");
    test_fixture_file("articles.jsonl");
    test_encode();
    test_bad_input();
    nf_extraction_free(&ex);
    nf_extractor_destroy(x);
    cJSON_Delete(schema_root);
    TEST_DONE();
}
