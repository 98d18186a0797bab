/*
 * pipeline: the per-message stage chain (see pipeline.h). It owns no I/O: callers hand
 * it bytes and a source position and get back an encoded event or a rejection.
 *
 * Each text field is tokenised once per article, here (pipeline/tokens.h, with the
 * extractor's lexicon, so that extraction can take the tokens as its own), and the same
 * tokens go to the classifier
 * (words() phrases, the model's n-grams) and then to extraction, which takes them over:
 * one definition of a word for the whole pipeline, and one pass over the text instead of
 * three.
 */
#include "pipeline.h"
#include "encode.h"
#include "err.h"
#include "log.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STAGES_MAX 16

/* Alert de-duplication: (rule, story key) -> when it last fired. A collision merely
 * forgets an older entry, which can at worst repeat an alert. */
#define ALERT_SEEN_SLOTS 16384

typedef struct alert_seen {
    uint64_t hash;
    int64_t at_ms;
} alert_seen_t;

struct nf_ruleset {
    nf_classifier_t *classifier;
    nf_extractor_t *extractor;
    nf_alert_rules_t *rules; /* NULL: alerts off */
    char dir[4096];
    char alerts_path[4200];
    char version[17];
};

struct nf_pipeline {
    nf_decode_opts_t decode_opts;
    nf_ruleset_t *set;
    /* the set's parts, for the hot path */
    nf_alert_rules_t *rules;
    nf_classifier_t *classifier;
    nf_extractor_t *extractor;
    bool alerts_in_replay;
    int64_t window_ms;
    alert_seen_t *seen;
    nf_story_t *story;
    nf_toks_t toks[NF_FIELD__CNT]; /* the article's fields, tokenised once */
    nf_stage_t stages[STAGES_MAX];
    int stages_n;
    bool replay;
};

int nf_pipeline_rules_dir(const nf_config_t *conf, char *buf, size_t size, char *errstr,
                          size_t errstr_size)
{
    if (*conf->rules_dir) {
        snprintf(buf, size, "%s", conf->rules_dir);
        return NF_OK;
    }
    if (nf_data_path("rules", buf, size)) {
        snprintf(
            errstr, errstr_size,
            "rules directory not found (installed share/newsflow/rules or the source tree); set rules.dir");
        return NF_ENOENT;
    }
    return NF_OK;
}

static uint64_t hash_file(uint64_t h, const char *path)
{
    FILE *f = fopen(path, "rb");
    char buf[65536];
    size_t n;
    while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
        h = nf_fnv1a(h, buf, n);
    if (f)
        fclose(f);
    return h;
}

/* FNV-1a-64 over the names and contents of the regular files under dir, in name order. */
static uint64_t hash_tree(uint64_t h, const char *dir, int depth)
{
    struct dirent **names = NULL;
    int n = depth > 4 ? -1 : scandir(dir, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        char path[4600];
        struct stat st;
        if (name[0] != '.' &&
            snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path) &&
            !stat(path, &st)) {
            if (S_ISDIR(st.st_mode)) {
                h = hash_tree(h, path, depth + 1);
            } else if (S_ISREG(st.st_mode)) {
                h = nf_fnv1a(h, name, strlen(name) + 1);
                h = hash_file(h, path);
            }
        }
        free(names[i]);
    }
    free(names);
    return h;
}

nf_ruleset_t *nf_ruleset_load(const nf_config_t *conf, char *errstr, size_t errstr_size)
{
    nf_ruleset_t *rs = calloc(1, sizeof(*rs));
    char err[512];
    if (!rs) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (nf_pipeline_rules_dir(conf, rs->dir, sizeof(rs->dir), errstr, errstr_size))
        goto err;
    rs->classifier = nf_classifier_new(rs->dir, NULL, err, sizeof(err));
    if (!rs->classifier) {
        snprintf(errstr, errstr_size, "rules.dir %s: %s", rs->dir, err);
        goto err;
    }
    for (int i = 0; i < NF_CAT__CNT; i++)
        if (conf->threshold[i] >= 0)
            nf_classifier_set_threshold(rs->classifier, i, (float)conf->threshold[i]);
    rs->extractor = nf_extractor_new(rs->dir, err, sizeof(err));
    if (!rs->extractor) {
        snprintf(errstr, errstr_size, "rules.dir %s: %s", rs->dir, err);
        goto err;
    }
    if (strcmp(conf->alerts_rules, "none")) {
        if (*conf->alerts_rules)
            snprintf(rs->alerts_path, sizeof(rs->alerts_path), "%s", conf->alerts_rules);
        else
            snprintf(rs->alerts_path, sizeof(rs->alerts_path), "%s/alerts.conf", rs->dir);
        rs->rules = nf_alert_rules_load(rs->alerts_path, err, sizeof(err));
        if (!rs->rules) {
            snprintf(errstr, errstr_size, "alert rules: %s", err);
            goto err;
        }
    }
    uint64_t h = hash_tree(NF_FNV_SEED, rs->dir, 0);
    if (*conf->alerts_rules && rs->rules)
        h = hash_file(h, rs->alerts_path);
    snprintf(rs->version, sizeof(rs->version), "%016" PRIx64, h);
    return rs;
err:
    nf_ruleset_destroy(rs);
    return NULL;
}

void nf_ruleset_destroy(nf_ruleset_t *rs)
{
    if (!rs)
        return;
    nf_classifier_destroy(rs->classifier);
    nf_extractor_destroy(rs->extractor);
    nf_alert_rules_destroy(rs->rules);
    free(rs);
}

const char *nf_ruleset_version(const nf_ruleset_t *rs)
{
    return rs ? rs->version : "";
}

void nf_ruleset_describe(const nf_ruleset_t *rs, char *buf, size_t size)
{
    int n = snprintf(
        buf, size,
        "rules %s from %s: %zu patterns, model %s, thresholds %.2f/%.2f/%.2f, %zu names in the "
        "gazetteer",
        rs->version, rs->dir, nf_classifier_pattern_count(rs->classifier),
        nf_classifier_has_model(rs->classifier) ? "loaded" : "none",
        nf_classifier_threshold(rs->classifier, NF_CAT_DEAL),
        nf_classifier_threshold(rs->classifier, NF_CAT_FUNDING),
        nf_classifier_threshold(rs->classifier, NF_CAT_INFRA), nf_extractor_names(rs->extractor));
    if (n >= 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n,
                 rs->rules ? ", %d alert rule(s) from %s" : ", no alerts",
                 nf_alert_rules_count(rs->rules), rs->alerts_path);
}

nf_ruleset_t *nf_pipeline_swap_rules(nf_pipeline_t *p, nf_ruleset_t *rs)
{
    nf_ruleset_t *old = p->set;
    if (rs->rules && !p->seen) {
        /* alerts were off and cannot start without their de-duplication table */
        nf_alert_rules_destroy(rs->rules);
        rs->rules = NULL;
    }
    p->set = rs;
    p->classifier = rs->classifier;
    p->extractor = rs->extractor;
    p->rules = rs->rules;
    return old;
}

const nf_ruleset_t *nf_pipeline_ruleset(const nf_pipeline_t *p)
{
    return p ? p->set : NULL;
}

nf_pipeline_t *nf_pipeline_new(const nf_config_t *conf, char *errstr, size_t errstr_size)
{
    nf_pipeline_t *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    p->decode_opts.max_bytes = (size_t)conf->input_max_bytes;
    char err[512];
    nf_ruleset_t *rs = nf_ruleset_load(conf, errstr, errstr_size);
    if (!rs)
        goto err;
    if (rs->rules && !(p->seen = calloc(ALERT_SEEN_SLOTS, sizeof(*p->seen)))) {
        nf_ruleset_destroy(rs);
        snprintf(errstr, errstr_size, "out of memory");
        goto err;
    }
    nf_pipeline_swap_rules(p, rs);
    nf_story_opts_t sopts = {.window_ms = conf->story_window_ms,
                             .max_entries = (uint32_t)conf->story_max_entries};
    p->story = nf_story_new(&sopts, err, sizeof(err));
    if (!p->story) {
        snprintf(errstr, errstr_size, "%s", err);
        goto err;
    }
    char what[1024];
    nf_ruleset_describe(rs, what, sizeof(what));
    nf_log(NF_LOG_INFO, "pipeline", "%s", what);
    p->alerts_in_replay = conf->replay_alerts;
    p->window_ms = conf->story_window_ms;
    return p;
err:
    nf_pipeline_destroy(p);
    return NULL;
}

void nf_pipeline_destroy(nf_pipeline_t *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->stages_n; i++)
        if (p->stages[i].destroy)
            p->stages[i].destroy(p->stages[i].state);
    nf_ruleset_destroy(p->set);
    nf_story_destroy(p->story);
    for (int f = 0; f < NF_FIELD__CNT; f++)
        nf_toks_free(&p->toks[f]);
    free(p->seen);
    free(p);
}

int nf_pipeline_add_stage(nf_pipeline_t *p, const nf_stage_t *stage)
{
    if (p->stages_n == STAGES_MAX)
        return NF_EINVAL;
    p->stages[p->stages_n++] = *stage;
    return NF_OK;
}

const nf_alert_rules_t *nf_pipeline_alert_rules(const nf_pipeline_t *p)
{
    return p ? p->rules : NULL;
}

void nf_pipeline_set_replay(nf_pipeline_t *p, bool replay)
{
    p->replay = replay;
}

void nf_result_clear(nf_result_t *res)
{
    nf_article_clear(&res->article);
    nf_buf_reset(&res->enriched);
    res->reject = NF_REJECT_NONE;
    res->reason = NULL;
    res->error[0] = '\0';
    res->deleted = false;
    res->categories = 0;
    res->event_id[0] = '\0';
    nf_extraction_clear(&res->extraction);
    memset(&res->story, 0, sizeof(res->story));
    res->alerts_n = 0;
    nf_buf_reset(&res->alerts_json);
    memset(res->scores, 0, sizeof(res->scores));
}

void nf_result_free(nf_result_t *res)
{
    nf_article_clear(&res->article);
    nf_buf_free(&res->enriched);
    nf_extraction_free(&res->extraction);
    nf_buf_free(&res->alerts_json);
}

/*
 * Evaluates the alert rules over the article's analysis. A rule fires at most once per
 * story within the novelty window (story.window.ms): copies of a story alert once.
 * Replayed events never alert unless replay.alerts is set.
 */
static void evaluate_alerts(nf_pipeline_t *p, nf_result_t *res)
{
    if (!p->rules || (p->replay && !p->alerts_in_replay))
        return;
    static const char *const cat_names[3] = {"deal", "funding", "infrastructure"};
    nf_alert_view_t view = {.source = res->article.source,
                            .title = res->article.title,
                            .summary = res->article.summary,
                            .body = res->article.body};
    for (int i = 0; i < 3; i++) {
        if (res->categories & (1u << i)) {
            view.categories[view.ncat] = cat_names[i];
            view.scores[view.ncat++] = res->scores[i];
        }
    }
    nf_alert_amount_t amounts[NF_EXTRACT_MAX_AMOUNTS];
    for (size_t i = 0; i < res->extraction.amounts_n; i++) {
        const nf_amount_t *a = &res->extraction.amounts[i];
        amounts[i] = (nf_alert_amount_t){a->value, a->currency, nf_amount_kind_name(a->kind)};
    }
    view.amounts = amounts;
    view.namounts = (int)res->extraction.amounts_n;
    nf_alert_entity_t entities[NF_EXTRACT_MAX_ENTITIES];
    const char *roles[NF_EXTRACT_MAX_ENTITIES][NF_ROLE__CNT];
    for (size_t i = 0; i < res->extraction.entities_n; i++) {
        const nf_entity_t *e = &res->extraction.entities[i];
        int nr = 0;
        for (int r = 0; r < NF_ROLE__CNT; r++)
            if (e->roles & (1u << r))
                roles[i][nr++] = nf_role_name((nf_role_t)r);
        entities[i] = (nf_alert_entity_t){e->canonical ? e->canonical : e->name,
                                          nf_entity_type_name(e->type), roles[i], nr};
    }
    view.entities = entities;
    view.nentities = (int)res->extraction.entities_n;

    int64_t now = nf_wall_ms();
    for (int i = 0; i < nf_alert_rules_count(p->rules) && res->alerts_n < NF_RESULT_MAX_ALERTS;
         i++) {
        const nf_alert_rule_t *rule = nf_alert_rules_get(p->rules, i);
        if (!nf_alert_rule_matches(rule, &view, NULL))
            continue;
        const char *name = nf_alert_rule_name(rule);
        uint64_t h = nf_fnv1a(NF_FNV_SEED, name, strlen(name) + 1);
        h = nf_fnv1a(h, res->story.key, strlen(res->story.key));
        alert_seen_t *slot = &p->seen[h % ALERT_SEEN_SLOTS];
        if (slot->hash == h && now - slot->at_ms < p->window_ms)
            continue; /* this story already alerted for this rule */
        size_t off = res->alerts_json.len;
        if (nf_alert_encode(rule, &view, res->event_id, res->article.id, res->story.key, now,
                            &res->alerts_json))
            continue;
        slot->hash = h;
        slot->at_ms = now;
        res->alerts[res->alerts_n].rule = rule;
        nf_alert_id(rule, res->story.key, res->alerts[res->alerts_n].id, sizeof(res->alerts[0].id));
        res->alerts[res->alerts_n].off = off;
        res->alerts[res->alerts_n].len = res->alerts_json.len - off;
        res->alerts_n++;
    }
}

/* The analysis fields of the enriched event, in schema order. */
static void encode_analysis(const void *ctx, nf_buf_t *out)
{
    const nf_result_t *res = ctx;
    nf_classification_encode(&res->classification, &res->article, out);
    nf_extraction_encode(&res->extraction, out);
    nf_story_encode(&res->story, out);
}

/* The story's "lead": the summary, else the start of the body. */
static const char *story_lead(const nf_article_t *a)
{
    return a->summary ? a->summary : a->body;
}

int nf_pipeline_process(nf_pipeline_t *p, const char *buf, size_t len, const nf_source_t *src,
                        nf_result_t *res)
{
    int64_t t0 = nf_mono_us();
    nf_result_clear(res);
    res->reject =
        nf_decode(buf, len, &p->decode_opts, &res->article, res->error, sizeof(res->error));
    if (res->reject != NF_REJECT_NONE) {
        res->reason = nf_reject_name(res->reject);
        return NF_EDECODE;
    }
    nf_event_id(&res->article, src, res->event_id, sizeof(res->event_id));
    if (res->article.deleted) {
        res->deleted = true;
        return NF_OK;
    }
    const char *fields[NF_FIELD__CNT] = {res->article.title, res->article.body,
                                         res->article.summary};
    /* one token array serves both: classify indexes it by NF_FIELD_*, extract by NF_TEXT_* */
    _Static_assert(NF_FIELD_TITLE == (int)NF_TEXT_TITLE && NF_FIELD_BODY == (int)NF_TEXT_BODY &&
                       NF_FIELD_SUMMARY == (int)NF_TEXT_SUMMARY &&
                       (int)NF_FIELD__CNT == (int)NF_TEXT__CNT,
                   "field orders of classify.h and extract.h differ");
    const nf_lexicon_t *lexicon = nf_extractor_lexicon(p->extractor);
    for (int f = 0; f < NF_FIELD__CNT; f++) {
        p->toks[f].n = 0;
        if (fields[f] && nf_tokenise(fields[f], strlen(fields[f]), lexicon, &p->toks[f])) {
            snprintf(res->error, sizeof(res->error), "tokenising failed (out of memory)");
            res->reject = NF_REJECT__CNT;
            res->reason = "stage_failed";
            return NF_EDECODE;
        }
    }
    if (nf_classify_tokens(p->classifier, &res->article, p->toks, &res->classification)) {
        snprintf(res->error, sizeof(res->error), "classification failed");
        res->reject = NF_REJECT__CNT;
        res->reason = "stage_failed";
        return NF_EDECODE;
    }
    for (int i = 0; i < NF_CAT__CNT; i++) {
        res->scores[i] = res->classification.score[i];
        if (res->classification.assigned[i])
            res->categories |= 1u << i;
    }
    if (nf_extract_tokens(p->extractor, &res->article, p->toks, res->categories,
                          &res->extraction)) {
        snprintf(res->error, sizeof(res->error), "extraction failed (out of memory)");
        res->reject = NF_REJECT__CNT;
        res->reason = "stage_failed";
        return NF_EDECODE;
    }
    if (nf_story_observe(p->story, res->article.id, res->article.title ? res->article.title : "",
                         story_lead(&res->article), nf_wall_ms(), &res->story)) {
        snprintf(res->error, sizeof(res->error), "story key failed (out of memory)");
        res->reject = NF_REJECT__CNT;
        res->reason = "stage_failed";
        return NF_EDECODE;
    }
    evaluate_alerts(p, res);
    for (int i = 0; i < p->stages_n; i++) {
        char err[200] = "";
        if (p->stages[i].run(p->stages[i].state, &res->article, err, sizeof(err))) {
            nf_log_ratelimited(NF_LOG_ERROR, "pipeline", p->stages[i].name,
                               "stage %s failed on article %s: %s", p->stages[i].name,
                               res->article.id, err);
            snprintf(res->error, sizeof(res->error), "stage %s: %s", p->stages[i].name, err);
            res->reject = NF_REJECT__CNT;
            res->reason = "stage_failed";
            nf_article_clear(&res->article);
            return NF_EDECODE;
        }
    }
    nf_encode_info_t info = {
        .source = src,
        .event_id = res->event_id,
        .processed_at_ms = nf_wall_ms(),
        .processing_us = nf_mono_us() - t0,
        .replay = p->replay,
        .extra = encode_analysis,
        .extra_ctx = res,
    };
    nf_encode_enriched(&res->article, &info, &res->enriched);
    if (res->enriched.oom) {
        snprintf(res->error, sizeof(res->error), "out of memory while encoding");
        res->reject = NF_REJECT__CNT;
        res->reason = "internal_error";
        return NF_EDECODE;
    }
    return NF_OK;
}
