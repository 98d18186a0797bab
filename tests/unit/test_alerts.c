/*
 * Unit test for pipeline/alerts: the shipped rules/alerts.conf loads; a rule file with
 * every key parses into what it says; each kind of mistake fails with a message naming
 * the file, line and rule; currency conversion; every condition kind matching and not
 * matching, with its explanation; and the alert document (newsflow.alert.v1).
 */
#include "alerts.h"
#include "err.h"
#include "test.h"

#include <cjson/cJSON.h>

static char root_dir[2048];

/* The repository root, from this file's path (CMake passes absolute paths). */
static void find_root(void)
{
    snprintf(root_dir, sizeof(root_dir), "%s", __FILE__);
    char *p = strstr(root_dir, "/tests/unit/");
    if (p) {
        *p = '\0';
    } else {
        const char *home = getenv("NEWSFLOW_HOME"); /* <root>/deploy */
        snprintf(root_dir, sizeof(root_dir), "%s/..", home ? home : ".");
    }
}

static nf_alert_rules_t *parse(const char *text, char *err, size_t size)
{
    err[0] = '\0';
    return nf_alert_rules_parse("test.conf", text, strlen(text), err, size);
}

static void test_currency(void)
{
    bool known = false;
    CHECK(nf_currency_to_usd(5.0, "USD", &known) == 5.0 && known);
    double eur = nf_currency_to_usd(1e9, "EUR", &known);
    CHECK(known && eur > 1.0e9 && eur < 1.3e9);
    CHECK(nf_currency_to_usd(1e9, "eur", &known) == eur && known);
    double jpy = nf_currency_to_usd(150e9, "JPY", &known);
    CHECK(known && jpy > 0.8e9 && jpy < 1.3e9);
    double gbp = nf_currency_to_usd(1.0, "GBP", NULL);
    CHECK(gbp > 1.1 && gbp < 1.5);
    CHECK(nf_currency_to_usd(1e9, "XYZ", &known) == 0.0 && !known);
    CHECK(nf_currency_to_usd(1e9, NULL, &known) == 0.0 && !known);
    CHECK(nf_currency_to_usd(1e9, "", &known) == 0.0 && !known);
    /* a legacy currency goes through its fixed euro rate */
    double dem = nf_currency_to_usd(1.95583, "DEM", &known);
    CHECK(known && dem > eur / 1e9 - 1e-9 && dem < eur / 1e9 + 1e-9);
    /* every currency the extractor or the brief names is in the table */
    static const char *const ALL[] = {"USD", "EUR", "GBP", "JPY", "CNY", "INR", "CAD", "AUD",
                                      "CHF", "KRW", "SEK", "NOK", "DKK", "HKD", "SGD", "BRL",
                                      "NZD", "TWD", "MXN", "ZAR", "AED", "SAR", "IDR", "THB",
                                      "MYR", "TRY", "PGK", "DEM", "FRF", "ITL", "NLG", NULL};
    for (int i = 0; ALL[i]; i++) {
        double usd = nf_currency_to_usd(1.0, ALL[i], &known);
        CHECK(known && usd > 0.0);
        if (!known)
            fprintf(stderr, "  missing currency %s\n", ALL[i]);
    }
    CHECK(strlen(nf_currency_table_date()) == 10);
}

static void test_default_file(void)
{
    char path[4096], err[512] = "";
    snprintf(path, sizeof(path), "%s/rules/alerts.conf", root_dir);
    nf_alert_rules_t *rs = nf_alert_rules_load(path, err, sizeof(err));
    CHECK(rs != NULL);
    if (!rs) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK(nf_alert_rules_count(rs) >= 3 && nf_alert_rules_count(rs) <= 5);
    const nf_alert_rule_t *big = nf_alert_rules_find(rs, "big-deal");
    CHECK(big != NULL);
    if (big) {
        CHECK(nf_alert_rule_severity(big) == NF_ALERT_CRITICAL);
        CHECK(nf_alert_rule_to_topic(big));
        CHECK(strlen(nf_alert_rule_description(big)) > 0);
    }
    CHECK(nf_alert_rules_find(rs, "watchlist") != NULL);
    CHECK(nf_alert_rules_find(rs, "nope") == NULL);
    for (int i = 0; i < nf_alert_rules_count(rs); i++) {
        const nf_alert_rule_t *r = nf_alert_rules_get(rs, i);
        CHECK(r != NULL && nf_alert_rule_destination_count(r) >= 1);
    }
    CHECK(nf_alert_rules_get(rs, -1) == NULL);
    CHECK(nf_alert_rules_get(rs, nf_alert_rules_count(rs)) == NULL);

    /* the design's example: Amazon investing USD 50 bn in OpenAI */
    static const char *const investor[] = {"investor"};
    static const char *const fundraiser[] = {"fundraiser"};
    nf_alert_amount_t amounts[] = {{50e9, "USD", "investment"},
                                   {100e9, "USD", "round_size"},
                                   {830e9, "USD", "valuation"},
                                   {11e9, "USD", "capex"}};
    nf_alert_entity_t ents[] = {{"Amazon", "organization", investor, 1},
                                {"OpenAI", "organization", fundraiser, 1}};
    nf_alert_view_t v = {.categories = {"deal", "funding", "infrastructure"},
                         .scores = {0.93f, 0.88f, 0.71f},
                         .ncat = 3,
                         .amounts = amounts,
                         .namounts = 4,
                         .entities = ents,
                         .nentities = 2,
                         .title = "Amazon Eyes $50B OpenAI Investment Despite Anthropic Ties"};
    nf_buf_t why = {0};
    for (int i = 0; i < nf_alert_rules_count(rs); i++) {
        const nf_alert_rule_t *r = nf_alert_rules_get(rs, i);
        nf_buf_reset(&why);
        bool m = nf_alert_rule_matches(r, &v, &why);
        fprintf(stderr, "  design example: %-16s %s: %s\n", nf_alert_rule_name(r),
                m ? "fires" : "quiet", why.data);
        CHECK(m); /* the example is a big deal, a mega round, big infrastructure, ... */
    }
    nf_buf_free(&why);
    nf_alert_rules_destroy(rs);
}

static const char GOOD[] = "# a comment\n"
                           "; another comment\n"
                           "\n"
                           "[rule  everything ]\n"
                           "description = Every key, once or more\r\n"
                           "categories_any = deal, funding\n"
                           "categories_all = deal\n"
                           "min_score = 0.5\n"
                           "min_amount = 500m EUR\n"
                           "amount_kinds = price, investment\n"
                           "watchlist = chips\n"
                           "entity = Acme Corp | Acme | ACME Holdings\n"
                           "roles = acquirer, investor\n"
                           "sources = Reuters, Bloomberg News\n"
                           "sources = The Information\n"
                           "keywords = data  center, AI\n"
                           "severity = critical\n"
                           "destinations = topic, https://hooks.example.com/newsflow?x=1\n"
                           "destinations = http://10.0.0.7:8080/alerts\n"
                           "\n"
                           "[rule minimal]\n"
                           "keywords = gigafactory\n"
                           "severity = info\n"
                           "\n"
                           "[rule hooks-only]\n"
                           "min_amount_usd = 2.5 billion\n"
                           "severity = warning\n"
                           "destinations = http://[::1]:9000/x\n"
                           "\n"
                           "[watchlist chips]\n"
                           "entity = Nvidia | NVIDIA Corporation\n"
                           "entity = Taiwan Semiconductor Manufacturing | TSMC\n";

static void test_parse_good(void)
{
    char err[512];
    nf_alert_rules_t *rs = parse(GOOD, err, sizeof(err));
    CHECK(rs != NULL);
    if (!rs) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK_INT(nf_alert_rules_count(rs), 3);
    const nf_alert_rule_t *r = nf_alert_rules_get(rs, 0);
    CHECK_STR(nf_alert_rule_name(r), "everything");
    CHECK_STR(nf_alert_rule_description(r), "Every key, once or more");
    CHECK_INT(nf_alert_rule_line(r), 4);
    CHECK(nf_alert_rule_severity(r) == NF_ALERT_CRITICAL);
    CHECK_INT(nf_alert_rule_destination_count(r), 3);
    CHECK_STR(nf_alert_rule_destination(r, 0), "topic");
    CHECK_STR(nf_alert_rule_destination(r, 1), "https://hooks.example.com/newsflow?x=1");
    CHECK_STR(nf_alert_rule_destination(r, 2), "http://10.0.0.7:8080/alerts");
    CHECK(nf_alert_rule_destination(r, 3) == NULL);
    CHECK(nf_alert_rule_to_topic(r));

    const nf_alert_rule_t *m = nf_alert_rules_find(rs, "minimal");
    CHECK_STR(nf_alert_rule_description(m), "");
    CHECK_INT(nf_alert_rule_destination_count(m), 1); /* the default */
    CHECK(nf_alert_rule_to_topic(m));
    CHECK(nf_alert_rule_severity(m) == NF_ALERT_INFO);

    const nf_alert_rule_t *h = nf_alert_rules_find(rs, "hooks-only");
    CHECK(!nf_alert_rule_to_topic(h));
    CHECK_STR(nf_alert_rule_destination(h, 0), "http://[::1]:9000/x");
    CHECK_STR(nf_alert_severity_name(nf_alert_rule_severity(h)), "warning");
    CHECK_STR(nf_alert_severity_name(NF_ALERT_CRITICAL), "critical");
    nf_alert_rules_destroy(rs);
    nf_alert_rules_destroy(NULL);
    CHECK_INT(nf_alert_rules_count(NULL), 0);
}

typedef struct bad {
    const char *text;
    const char *expect; /* substring of the message */
} bad_t;

#define R "[rule r1]\nseverity = info\nkeywords = x\n"

static const bad_t BAD[] = {
    {R "min_amout_usd = 1bn\n", "test.conf:4: rule \"r1\": unknown key \"min_amout_usd\""},
    {R "min_score = 1.5\n", "test.conf:4: rule \"r1\": min_score: \"1.5\" is not a number"},
    {R "min_score = high\n", "rule \"r1\": min_score"},
    {R "\n[rule r1]\nseverity = info\nkeywords = y\n",
     "test.conf:5: duplicate rule name \"r1\" (first at line 1)"},
    {R "min_amount = 5m XYZ\n", "test.conf:4: rule \"r1\": min_amount: unknown currency \"XYZ\""},
    {R "min_amount = 5m\n", "rule \"r1\": min_amount: \"5m\" needs a currency code"},
    {R "min_amount_usd = 5m EUR\n", "rule \"r1\": min_amount_usd: unexpected \"EUR\""},
    {R "min_amount_usd = lots\n", "rule \"r1\": min_amount_usd: \"lots\" is not an amount"},
    {R "min_amount_usd = 5zillion\n", "rule \"r1\": min_amount_usd: unexpected \"zillion\""},
    {R "min_amount_usd = -5\n", "rule \"r1\": min_amount_usd: \"-5\" is not an amount"},
    {R "min_amount_usd = 1bn\nmin_amount = 1bn EUR\n",
     "test.conf:5: rule \"r1\": min_amount is given twice"},
    {R "destinations = ftp://example.com/x\n",
     "test.conf:4: rule \"r1\": destinations: \"ftp://example.com/x\" is neither"},
    {R "destinations = http://\n", "rule \"r1\": destinations: \"http://\" is neither"},
    {R "destinations = http://exa mple.com/\n", "rule \"r1\": destinations"},
    {R "destinations = http://example.com:99999/\n", "rule \"r1\": destinations"},
    {R "destinations = http://user:secret@example.com/\n", "rule \"r1\": destinations"},
    {R "destinations = http://example.com:0/\n", "rule \"r1\": destinations"},
    {R "destinations = https://example.com/a\"b\n", "rule \"r1\": destinations"},
    {R "destinations = topic, topic\n", "rule \"r1\": destinations: \"topic\" is listed twice"},
    {R "categories_any = deal, dael\n",
     "test.conf:4: rule \"r1\": categories_any: unknown category \"dael\" (expected deal, funding or infrastructure)"},
    {R "categories_all = other\n", "rule \"r1\": categories_all: unknown category \"other\""},
    {R "roles = buyer\n", "test.conf:4: rule \"r1\": roles: unknown role \"buyer\""},
    {R "min_amount_usd = 1\namount_kinds = cost\n",
     "rule \"r1\": amount_kinds: unknown amount kind \"cost\""},
    {"[rule r1]\nseverity = urgent\n",
     "test.conf:2: rule \"r1\": severity: unknown severity \"urgent\""},
    {R "severity = warning\n", "test.conf:4: rule \"r1\": severity is given twice"},
    {"[rule r1]\nkeywords = x\n\n[rule r2]\nseverity = info\nkeywords = y\n",
     "test.conf:1: rule \"r1\": missing severity"},
    {"[rule r1]\nseverity = info\ndestinations = topic\n",
     "test.conf:1: rule \"r1\": has no conditions"},
    {"[rule r1]\nseverity = info\nkeywords = x\namount_kinds = capex\n",
     "test.conf:1: rule \"r1\": amount_kinds needs min_amount_usd or min_amount"},
    {"severity = info\n", "test.conf:1: \"severity\" outside a [rule NAME] or [watchlist NAME]"},
    {R "[rule r2\n", "test.conf:4: bad section header"},
    {R "[alert r2]\n", "test.conf:4: unknown section \"[alert r2]\""},
    {"[rule big deal]\n", "test.conf:1: bad rule name \"big deal\""},
    {"[rule]\n", "test.conf:1: bad rule name \"\""},
    {R "sources =\n", "test.conf:4: rule \"r1\": sources: empty value"},
    {R "sources = Reuters,, AP\n", "test.conf:4: rule \"r1\": sources: empty item"},
    {R "entity = Acme | | Acme Corp\n", "test.conf:4: rule \"r1\": entity: empty item"},
    {R "just some words\n", "test.conf:4: rule \"r1\": expected \"key = value\""},
    {R "watchlist = nosuch\n", "test.conf:4: rule \"r1\": watchlist: no [watchlist nosuch]"},
    {"[watchlist w]\nentity = A\n[watchlist w]\nentity = B\n" R,
     "test.conf:3: duplicate watchlist name \"w\""},
    {"[watchlist w]\nname = A\n" R, "test.conf:2: watchlist \"w\": unknown key \"name\""},
    {"[watchlist w]\n" R, "test.conf:1: watchlist \"w\": has no entity lines"},
    {"# nothing\n", "test.conf: no [rule NAME] sections"},
};

static void test_parse_errors(void)
{
    char err[512];
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        nf_alert_rules_t *rs = parse(BAD[i].text, err, sizeof(err));
        CHECK(rs == NULL);
        CHECK(strstr(err, BAD[i].expect) != NULL);
        if (rs || !strstr(err, BAD[i].expect))
            fprintf(stderr, "  case %zu: got \"%s\", expected \"%s\"\n", i, err, BAD[i].expect);
        nf_alert_rules_destroy(rs);
    }
    /* a NUL byte inside the text */
    static const char nul[] = "[rule r1]\nseverity = info\nkey\0words = x\n";
    CHECK(nf_alert_rules_parse("test.conf", nul, sizeof(nul) - 1, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "test.conf:3: rule \"r1\": NUL byte") != NULL);
    /* bytes that are not UTF-8, anywhere in the file (found by fuzz_rules) */
    static const char *const not_utf8[] = {
        "[rule r1]\nseverity = info\ndescription = caf\xe9\nkeywords = x\n",
        "[rule r1]\nseverity = info\nkeywords = \xc3\n",
        "[rule r1]\nseverity = info\nkeywords = \xed\xa0\x80\n", /* a surrogate */
        "[rule r1]\nseverity = info\nkeywords = \xc0\xaf\n",     /* overlong */
        "# \xf4\x90\x80\x80\n[rule r1]\nseverity = info\nkeywords = x\n",
    };
    for (size_t i = 0; i < sizeof(not_utf8) / sizeof(not_utf8[0]); i++) {
        CHECK(nf_alert_rules_parse("test.conf", not_utf8[i], strlen(not_utf8[i]), err,
                                   sizeof(err)) == NULL);
        CHECK(strstr(err, "not UTF-8") != NULL);
    }
    static const char utf8[] = "[rule r1]\nseverity = info\nkeywords = caf\xc3\xa9, \xe2\x82\xac, "
                               "\xf0\x9f\x99\x82\n";
    nf_alert_rules_t *ok =
        nf_alert_rules_parse("test.conf", utf8, sizeof(utf8) - 1, err, sizeof(err));
    CHECK(ok != NULL);
    nf_alert_rules_destroy(ok);
    /* a missing file */
    CHECK(nf_alert_rules_load("/nonexistent/alerts.conf", err, sizeof(err)) == NULL);
    CHECK(strstr(err, "/nonexistent/alerts.conf") != NULL);
}

/* Evaluation ------------------------------------------------------------------------------ */

static const char *const ACQUIRER[] = {"acquirer"};
static const char *const TARGET[] = {"target"};
static const char *const INVESTORS[] = {"investor", "lead_investor"};

static nf_alert_amount_t AMOUNTS[] = {
    {600e6, "EUR", "price"}, {2e9, "USD", "revenue"}, {300e6, "XYZ", "price"}};
static nf_alert_entity_t ENTITIES[] = {
    {"Amazon.com, Inc.", "organization", ACQUIRER, 1},
    {"Beta Robotics", "organization", TARGET, 1},
    {"Granite Capital", "organization", INVESTORS, 2},
    {"Andy Jassy", "person", NULL, 0},
};

static nf_alert_view_t base_view(void)
{
    nf_alert_view_t v = {.categories = {"deal"},
                         .scores = {0.9f},
                         .ncat = 1,
                         .amounts = AMOUNTS,
                         .namounts = 3,
                         .entities = ENTITIES,
                         .nentities = 4,
                         .source = "Reuters",
                         .title = "Amazon to buy Beta Robotics for EUR 600 million",
                         .summary = NULL,
                         .body = "The deal gives Amazon's AI unit more warehouse robots. Data "
                                 "\n center demand was not discussed, the company said."};
    return v;
}

static nf_alert_rules_t *rules;

/* Whether the rule written as body (under "[rule t]", severity added) matches v. */
static bool eval(const char *body, const nf_alert_view_t *v, char *why, size_t size)
{
    char text[2048], err[512];
    snprintf(text, sizeof(text), "[rule t]\nseverity = info\n%s\n%s", body,
             "[watchlist big]\nentity = Amazon | Amazon.com Inc | AWS\nentity = Microsoft\n");
    nf_alert_rules_destroy(rules);
    rules = parse(text, err, sizeof(err));
    CHECK(rules != NULL);
    if (!rules) {
        fprintf(stderr, "  %s\n", err);
        return false;
    }
    nf_buf_t b = {0};
    bool m = nf_alert_rule_matches(nf_alert_rules_get(rules, 0), v, &b);
    snprintf(why, size, "%s", b.data ? b.data : "");
    nf_buf_free(&b);
    CHECK(m == nf_alert_rule_matches(nf_alert_rules_get(rules, 0), v, NULL));
    return m;
}

#define MATCH(body, v, expect_why)                                                                 \
    do {                                                                                           \
        char why_[1024];                                                                           \
        bool m_ = eval(body, v, why_, sizeof(why_));                                               \
        CHECK(m_);                                                                                 \
        CHECK(strstr(why_, expect_why) != NULL);                                                   \
        if (!m_ || !strstr(why_, expect_why))                                                      \
            fprintf(stderr, "  %s: why \"%s\", expected \"%s\"\n", body, why_, expect_why);        \
    } while (0)

#define NO_MATCH(body, v, expect_why)                                                              \
    do {                                                                                           \
        char why_[1024];                                                                           \
        bool m_ = eval(body, v, why_, sizeof(why_));                                               \
        CHECK(!m_);                                                                                \
        CHECK(strstr(why_, expect_why) != NULL);                                                   \
        if (m_ || !strstr(why_, expect_why))                                                       \
            fprintf(stderr, "  %s: why \"%s\", expected \"%s\"\n", body, why_, expect_why);        \
    } while (0)

static void test_conditions(void)
{
    nf_alert_view_t v = base_view();

    /* categories any / all, and score */
    MATCH("categories_any = deal, funding", &v, "category deal 0.90");
    NO_MATCH("categories_any = funding, infrastructure", &v, "no match: none of the rule's");
    MATCH("categories_all = deal", &v, "category deal");
    NO_MATCH("categories_all = deal, funding", &v, "no match: not all of the rule's categories");
    nf_alert_view_t two = v;
    two.categories[1] = "funding";
    two.scores[1] = 0.6f;
    two.ncat = 2;
    MATCH("categories_all = deal, funding", &two, "category deal 0.90; category funding 0.60");
    NO_MATCH("categories_all = deal, funding\nmin_score = 0.7", &two, "with score >= 0.70");
    MATCH("min_score = 0.85", &v, "category deal 0.90");
    NO_MATCH("min_score = 0.95", &v, "no match: no category with score >= 0.95");
    nf_alert_view_t other = v;
    other.ncat = 0;
    NO_MATCH("min_score = 0", &other, "no category");
    NO_MATCH("categories_any = deal", &other, "none of the rule's categories");

    /* amounts: converted to USD, kinds, unknown currencies ignored */
    MATCH("min_amount_usd = 500m", &v, "amount USD 2 bn (revenue) >= USD 500 M");
    MATCH("min_amount_usd = 600m\namount_kinds = price", &v,
          "amount EUR 600 M (price, USD 702 M) >= USD 600 M");
    NO_MATCH("min_amount_usd = 800m\namount_kinds = price", &v,
             "no match: no amount of the rule's kinds >= USD 800 M");
    NO_MATCH("min_amount_usd = 3bn", &v, "no match: no amount >= USD 3 bn");
    MATCH("min_amount = 550m EUR\namount_kinds = price", &v, ">= EUR 550 M (USD 643.5 M)");
    NO_MATCH("min_amount = 650m EUR\namount_kinds = price", &v, "no amount");
    MATCH("min_amount = 1.4bn GBP", &v, "USD 2 bn"); /* USD 1.92 bn */
    NO_MATCH("min_amount = 1.5bn GBP", &v,
             "no amount >= GBP 1.5 bn (USD 2.055 bn)"); /* USD 2.06 bn */
    nf_alert_view_t noamt = v;
    noamt.namounts = 0;
    NO_MATCH("min_amount_usd = 0", &noamt, "no amount");

    /* watch-list: aliases, folded names; roles */
    MATCH("watchlist = big", &v, "watch-list Amazon (named Amazon.com, Inc.)");
    MATCH("entity = Beta Robotics", &v, "watch-list Beta Robotics");
    MATCH("entity = BETA   robotics.", &v, "watch-list BETA   robotics.");
    NO_MATCH("entity = Gamma Robotics | Gamma", &v, "no match: no watch-listed entity");
    MATCH("watchlist = big\nroles = acquirer, investor", &v, "watch-list Amazon");
    MATCH("watchlist = big\nroles = acquirer", &v, "as acquirer");
    NO_MATCH("watchlist = big\nroles = target, investor", &v,
             "no watch-listed entity in one of the rule's roles");
    MATCH("entity = Granite Capital\nroles = lead_investor", &v, "as lead_investor");

    /* roles alone */
    MATCH("roles = target", &v, "target Beta Robotics");
    NO_MATCH("roles = seller, operator", &v, "no entity in one of the rule's roles");

    /* sources */
    MATCH("sources = Bloomberg, reuters", &v, "source Reuters");
    NO_MATCH("sources = Bloomberg, AP", &v, "no match: source not in");
    nf_alert_view_t nosrc = v;
    nosrc.source = NULL;
    NO_MATCH("sources = Reuters", &nosrc, "source not in");

    /* keywords: whole words, any case, white space runs */
    MATCH("keywords = robots", &v, "keyword \"robots\" in body");
    MATCH("keywords = ROBOTICS", &v, "keyword \"robotics\" in title");
    MATCH("keywords = ai", &v, "keyword \"ai\" in body");
    MATCH("keywords = data center", &v, "keyword \"data center\" in body");
    NO_MATCH("keywords = robot, said the company, amaz", &v, "none of the rule's keywords");
    nf_alert_view_t sum = v;
    sum.body = NULL;
    sum.summary = "A gigafactory.";
    MATCH("keywords = gigafactory", &sum, "in summary");

    /* conjunction: every condition must hold, why lists them in order */
    MATCH("categories_any = deal\nsources = Reuters\nmin_amount_usd = 1bn\nwatchlist = big\n"
          "roles = acquirer\nkeywords = robots",
          &v,
          "category deal 0.90; source Reuters; amount USD 2 bn (revenue) >= USD 1 bn; watch-list "
          "Amazon (named Amazon.com, Inc.) as acquirer; keyword \"robots\" in body");
    NO_MATCH("categories_any = deal\nsources = Reuters\nkeywords = zebra", &v,
             "no match: none of the rule's keywords");

    /* NULL arguments and an empty view */
    CHECK(!nf_alert_rule_matches(NULL, &v, NULL));
    CHECK(!nf_alert_rule_matches(nf_alert_rules_get(rules, 0), NULL, NULL));
    nf_alert_view_t empty = {0};
    char why[256];
    CHECK(!eval("keywords = x\nwatchlist = big\nsources = a\nmin_amount_usd = 1", &empty, why,
                sizeof(why)));
}

static const char *jstr(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static void test_encode(void)
{
    char err[512];
    nf_alert_rules_t *rs =
        parse("[rule big-deal]\ncategories_any = deal\nwatchlist = big\nseverity = critical\n"
              "[watchlist big]\nentity = Amazon | Amazon.com Inc\n",
              err, sizeof(err));
    CHECK(rs != NULL);
    if (!rs)
        return;
    const nf_alert_rule_t *r = nf_alert_rules_get(rs, 0);
    nf_alert_view_t v = base_view();
    nf_alert_amount_t amounts[] = {{600e6, "EUR", "price"}, {2e9, "USD", "revenue"},
                                   {300e6, "XYZ", "price"}, {600e6, "eur", NULL},
                                   {5e6, "USD", "other"},   {1e9, "JPY", "other"}};
    v.amounts = amounts;
    v.namounts = 6;
    v.title = "Amazon \"buys\" Beta";
    nf_buf_t out = {0};
    nf_buf_puts(&out, "prefix:");
    CHECK_INT(nf_alert_encode(r, &v, "evt-0011223344556677", "art-1", "sty-0123456789abcdef",
                              1764424800123, &out),
              0);
    CHECK(!strncmp(out.data, "prefix:{", 8));
    cJSON *root = cJSON_Parse(out.data + 7);
    CHECK(root != NULL);
    if (!root) {
        fprintf(stderr, "  %s\n", out.data);
        return;
    }
    CHECK_STR(jstr(root, "schema"), "newsflow.alert.v1");
    char id[32];
    nf_alert_id(r, "sty-0123456789abcdef", id, sizeof(id));
    CHECK_STR(jstr(root, "alert_id"), id);
    CHECK(!strncmp(id, "alr-", 4) && strlen(id) == NF_ALERT_ID_LEN);
    CHECK_STR(jstr(root, "rule"), "big-deal");
    CHECK_STR(jstr(root, "severity"), "critical");
    CHECK_STR(jstr(root, "story_key"), "sty-0123456789abcdef");
    CHECK_STR(jstr(root, "fired_at"), "2025-11-29T14:00:00.123Z");
    CHECK_STR(jstr(root, "event_id"), "evt-0011223344556677");
    CHECK_STR(jstr(root, "article_id"), "art-1");
    CHECK_STR(jstr(root, "title"), "Amazon \"buys\" Beta");
    CHECK_STR(jstr(root, "source"), "Reuters");
    cJSON *cats = cJSON_GetObjectItemCaseSensitive(root, "categories");
    CHECK(cJSON_GetArraySize(cats) == 1);
    CHECK_STR(jstr(cJSON_GetArrayItem(cats, 0), "name"), "deal");
    CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cats, 0), "score")->valuedouble >
          0.89);
    /* the three largest in USD, the EUR duplicate and the unknown currency left out */
    cJSON *am = cJSON_GetObjectItemCaseSensitive(root, "amounts");
    CHECK_INT(cJSON_GetArraySize(am), 3);
    cJSON *a0 = cJSON_GetArrayItem(am, 0), *a1 = cJSON_GetArrayItem(am, 1),
          *a2 = cJSON_GetArrayItem(am, 2);
    CHECK_STR(jstr(a0, "currency"), "USD");
    CHECK(cJSON_GetObjectItemCaseSensitive(a0, "usd")->valuedouble == 2e9);
    CHECK_STR(jstr(a1, "currency"), "EUR");
    CHECK_STR(jstr(a1, "kind"), "price");
    CHECK(cJSON_GetObjectItemCaseSensitive(a1, "value")->valuedouble == 600e6);
    CHECK_STR(jstr(a2, "currency"), "JPY");
    CHECK(cJSON_GetObjectItemCaseSensitive(a0, "usd")->valuedouble >
          cJSON_GetObjectItemCaseSensitive(a1, "usd")->valuedouble);
    cJSON *ents = cJSON_GetObjectItemCaseSensitive(root, "entities");
    CHECK_INT(cJSON_GetArraySize(ents), 1);
    CHECK_STR(jstr(cJSON_GetArrayItem(ents, 0), "name"), "Amazon.com, Inc.");
    CHECK_STR(jstr(cJSON_GetArrayItem(ents, 0), "watch"), "Amazon");
    CHECK_STR(cJSON_GetArrayItem(
                  cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ents, 0), "roles"), 0)
                  ->valuestring,
              "acquirer");
    CHECK_STR(jstr(root, "why"), "category deal 0.90; watch-list Amazon (named Amazon.com, Inc.)");
    cJSON_Delete(root);

    /* deterministic id: same rule and story, same id; another story, another id */
    char id2[32], id3[32];
    nf_alert_id(r, "sty-0123456789abcdef", id2, sizeof(id2));
    nf_alert_id(r, "sty-fedcba9876543210", id3, sizeof(id3));
    CHECK_STR(id2, id);
    CHECK(strcmp(id3, id) != 0);

    /* optional fields omitted; a rule that does not match writes nothing */
    nf_buf_reset(&out);
    v.title = NULL;
    v.source = NULL;
    CHECK_INT(nf_alert_encode(r, &v, "e", "a", "s", 0, &out), 0);
    CHECK(strstr(out.data, "\"title\"") == NULL && strstr(out.data, "\"source\"") == NULL);
    nf_buf_reset(&out);
    nf_alert_view_t nomatch = v;
    nomatch.nentities = 0;
    CHECK_INT(nf_alert_encode(r, &nomatch, "e", "a", "s", 0, &out), NF_EINVAL);
    CHECK_INT(out.len, 0);
    CHECK_INT(nf_alert_encode(r, &v, NULL, "a", "s", 0, &out), NF_EINVAL);
    CHECK_INT(nf_alert_encode(r, &v, "e", "a", NULL, 0, &out), NF_EINVAL);
    nf_buf_free(&out);
    nf_alert_rules_destroy(rs);
}

int main(void)
{
    find_root();
    test_currency();
    test_default_file();
    test_parse_good();
    test_parse_errors();
    test_conditions();
    test_encode();
    nf_alert_rules_destroy(rules);
    TEST_DONE();
}
