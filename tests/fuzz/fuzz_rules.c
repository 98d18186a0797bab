/*
 * fuzz_rules: the two rule-file parsers, fed arbitrary text. The first byte of the input
 * picks which; the rest is the file.
 *
 *   'p'   rules/classifier/patterns.txt, through nf_classifier_new() (rules-only, no
 *         model): taxonomy and pattern loading, near() and words() resolution, the
 *         Hyperscan compile. Text before a line "%%" is taxonomy.txt instead of the real
 *         one. A classifier that loads then classifies a fixed article, and its
 *         classification must encode to valid JSON. The loader reads only from a
 *         directory, so the text is written to a scratch directory first.
 *   other rules/alerts.conf, through nf_alert_rules_parse() (from memory). A rule set
 *         that loads is walked with every accessor, and each rule is evaluated and
 *         encoded against a fixed article view; alert documents must be valid JSON.
 *
 * Compiling a Hyperscan database costs milliseconds per input, so 'p' inputs run at
 * hundreds per second where alert inputs run at tens of thousands; keep -max_len small
 * (4096). At exit the target prints how many inputs of each kind it ran.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <string.h>

#include "alerts.h"
#include "article.h"
#include "classify.h"
#include "fuzz.h"
#include "log.h"

static const char *rules_dir, *taxonomy_path, *patterns_path;
static char *real_taxonomy;
static size_t real_taxonomy_len;
static unsigned long long n_alerts, n_patterns, n_patterns_loaded, n_alerts_loaded;

static void report(void)
{
    fprintf(stderr,
            "fuzz_rules: %llu alerts.conf inputs (%llu loaded), %llu patterns.txt inputs (%llu "
            "loaded)\n",
            n_alerts, n_alerts_loaded, n_patterns, n_patterns_loaded);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    nf_log_set_level(NF_LOG_ERROR);
    FILE *fp = fopen(NF_SOURCE_DIR "/rules/classifier/taxonomy.txt", "rb");
    fuzz_check(fp, "cannot open the taxonomy");
    static char buf[1 << 16];
    real_taxonomy_len = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    real_taxonomy = buf;
    rules_dir = fuzz_scratch("", false);
    fuzz_scratch("classifier", true);
    taxonomy_path = fuzz_scratch("classifier/taxonomy.txt", false);
    patterns_path = fuzz_scratch("classifier/patterns.txt", false);
    atexit(report);
    return 0;
}

static void check_json(const char *what, const char *json, size_t len)
{
    fuzz_check(fuzz_utf8_valid((const unsigned char *)json, len), "%s is not UTF-8: %.*s", what,
               (int)len, json);
    cJSON *root = cJSON_ParseWithLength(json, len);
    fuzz_check(root && cJSON_IsObject(root), "%s is not a JSON object: %.*s", what, (int)len, json);
    cJSON_Delete(root);
}

static void fuzz_patterns(const uint8_t *text, size_t size)
{
    const uint8_t *patterns = text;
    size_t patterns_len = size;
    const char *tax = real_taxonomy;
    size_t tax_len = real_taxonomy_len;
    for (size_t i = 0; i + 3 <= size; i++) {
        if ((i == 0 || text[i - 1] == '\n') && memcmp(text + i, "%%", 2) == 0 &&
            (i + 2 == size || text[i + 2] == '\n')) {
            tax = (const char *)text;
            tax_len = i;
            patterns = text + i + 3 > text + size ? text + size : text + i + 3;
            patterns_len = size - (size_t)(patterns - text);
            break;
        }
    }
    fuzz_write(taxonomy_path, tax, tax_len);
    fuzz_write(patterns_path, patterns, patterns_len);

    char errstr[1024] = "";
    nf_classifier_opts_t opts = {.model_path = "", .hash_bits = 12};
    nf_classifier_t *cls = nf_classifier_new(rules_dir, &opts, errstr, sizeof(errstr));
    if (!cls) {
        fuzz_check(errstr[0], "load failed without a message");
        return;
    }
    n_patterns_loaded++;
    fuzz_check(nf_classifier_pattern_count(cls) > 0, "loaded without patterns");
    static char title[] = "Acme to buy Beta Corp for $5.5bn; Gamma raises 20 mln euros",
                body[] = "Acme Corp agreed to acquire Beta, the 300 MW data center operator, "
                         "in a deal worth US$5.5 billion (10% premium). Investment bank Delta "
                         "advised. Separately, Gamma closed a Series B round led by Epsilon.",
                summary[] = "Deal: Acme & Beta. Not an earnings outlook.";
    nf_article_t article = {.id = "a1", .title = title, .body = body, .summary = summary};
    nf_classification_t out;
    fuzz_check(nf_classify(cls, &article, &out) == 0, "classify failed");
    nf_buf_t json = {0};
    nf_buf_puts(&json, "{\"x\":0");
    nf_classification_encode(&out, &article, &json);
    nf_buf_puts(&json, "}");
    check_json("classification", json.data, json.len);
    nf_buf_free(&json);
    nf_classifier_destroy(cls);
}

static void fuzz_alerts(const uint8_t *text, size_t size)
{
    char errstr[1024] = "";
    nf_alert_rules_t *rules =
        nf_alert_rules_parse("fuzz.conf", (const char *)text, size, errstr, sizeof(errstr));
    if (!rules) {
        fuzz_check(errstr[0], "load failed without a message");
        return;
    }
    n_alerts_loaded++;
    int n = nf_alert_rules_count(rules);
    fuzz_check(n > 0, "a rule set without rules");
    fuzz_check(!nf_alert_rules_get(rules, n) && !nf_alert_rules_get(rules, -1), "out of range");

    static const char *const roles_a[] = {"acquirer", "investor"}, *const roles_b[] = {"target"};
    static const nf_alert_amount_t amounts[] = {{5.5e9, "USD", "price"},
                                                {2e7, "EUR", "round_size"},
                                                {1e12, "JPY", NULL},
                                                {1, "XXX", "other"}};
    static const nf_alert_entity_t entities[] = {
        {"Amazon", "organization", roles_a, 2},
        {"Beta Corp", "organization", roles_b, 1},
        {"Paris", "location", NULL, 0},
        {NULL, NULL, NULL, 0},
    };
    nf_alert_view_t view = {.categories = {"deal", "funding"},
                            .scores = {0.9f, 0.55f},
                            .ncat = 2,
                            .amounts = amounts,
                            .namounts = 4,
                            .entities = entities,
                            .nentities = 4,
                            .source = "Reuters",
                            .title = "Amazon to buy Beta Corp for $5.5bn",
                            .summary = NULL,
                            .body = "The AI data center deal, a $5.5 billion purchase."};
    nf_buf_t buf = {0};
    for (int i = 0; i < n; i++) {
        const nf_alert_rule_t *rule = nf_alert_rules_get(rules, i);
        fuzz_check(rule, "rule %d of %d missing", i, n);
        const char *name = nf_alert_rule_name(rule);
        fuzz_check(name && fuzz_str_valid(name), "rule name");
        fuzz_check(nf_alert_rules_find(rules, name) == rule, "rule %s not found by name", name);
        fuzz_check(fuzz_str_valid(nf_alert_rule_description(rule)), "description");
        fuzz_check(nf_alert_rule_line(rule) > 0, "line");
        fuzz_check(nf_alert_severity_name(nf_alert_rule_severity(rule)), "severity");
        int nd = nf_alert_rule_destination_count(rule);
        for (int d = 0; d < nd; d++)
            fuzz_check(nf_alert_rule_destination(rule, d), "destination %d", d);
        nf_alert_rule_to_topic(rule);

        nf_buf_reset(&buf);
        bool match = nf_alert_rule_matches(rule, &view, &buf);
        fuzz_check(!buf.oom && fuzz_utf8_valid((const unsigned char *)buf.data, buf.len),
                   "why is not UTF-8");
        nf_buf_reset(&buf);
        int rc = nf_alert_encode(rule, &view, "evt-0123456789abcdef", "a1", "sty-0", 1767225600000,
                                 &buf);
        fuzz_check((rc == 0) == match, "encode %d but matches %d", rc, match);
        if (rc == 0)
            check_json("alert", buf.data, buf.len);
        char id[NF_ALERT_ID_LEN + 1];
        nf_alert_id(rule, "sty-0", id, sizeof(id));
        fuzz_check(strlen(id) == NF_ALERT_ID_LEN, "alert id %s", id);
    }
    nf_buf_free(&buf);
    nf_alert_rules_destroy(rules);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] == 'p') {
        n_patterns++;
        fuzz_patterns(data + 1, size - 1);
    } else {
        n_alerts++;
        fuzz_alerts(data + 1, size - 1);
    }
    return 0;
}
