/*
 * pipeline: what happens to one input message, independent of where it came from.
 *
 * decode -> classify -> extract -> story -> [stages] -> encode. The built-in analysis
 * (classifier, extractors, story key and novelty) is loaded from rules.dir; further
 * stages can be registered with nf_pipeline_add_stage() and run in order after it. The same
 * function serves the Kafka loop (`run`, `replay`) and the file mode (`classify`), so both give
 * identical output for identical input. Nothing here knows about Kafka.
 */
#ifndef NF_PIPELINE_H
#define NF_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "alerts.h"
#include "article.h"
#include "classify.h"
#include "config.h"
#include "decode.h"
#include "extract.h"
#include "story.h"
#include "util.h"

typedef struct nf_pipeline nf_pipeline_t;

#define NF_RESULT_MAX_ALERTS 16

/*
 * One analysis stage. run() reads and extends the article; a non-zero return is an
 * internal failure of the stage (logged, and the article goes to the dead-letter topic
 * with reason "stage_failed").
 */
typedef struct nf_stage {
    const char *name;
    int (*run)(void *state, nf_article_t *article, char *errstr, size_t errstr_size);
    void *state;
    void (*destroy)(void *state); /* may be NULL */
} nf_stage_t;

/* The outcome for one message. Zero-initialise; nf_result_clear() between uses. */
typedef struct nf_result {
    nf_reject_t reject;   /* NF_REJECT_NONE if the article was enriched */
    const char *reason;   /* stable reason code when rejected (static) */
    char error[256];      /* detail when rejected */
    nf_article_t article; /* the decoded article (valid when not rejected) */
    nf_buf_t enriched;    /* the enriched event JSON (valid when not rejected) */
    bool deleted;         /* a deletion event: no enriched JSON, tombstones downstream */
    unsigned categories;  /* assigned categories, bit i = category i (0: other) */
    float scores[3];      /* category scores: deal, funding, infrastructure */
    char event_id[24];    /* "evt-<16 hex>" (valid when not rejected) */
    nf_classification_t classification; /* categories, scores, evidence */
    nf_extraction_t extraction;         /* entities, amounts, per-category details */
    nf_story_info_t story;              /* story key and novelty */
    /* Alerts fired by this article (at most one per rule per story in the window). */
    struct {
        const nf_alert_rule_t *rule;
        char id[24];     /* alert id: the Kafka key */
        size_t off, len; /* the alert JSON in alerts_json */
    } alerts[NF_RESULT_MAX_ALERTS];
    int alerts_n;
    nf_buf_t alerts_json;
} nf_result_t;

/*
 * The rules directory the pipeline loads: rules.dir if set, else the installed
 * share/newsflow/rules, else the source tree's rules/. NF_ENOENT (errstr filled) if none.
 */
int nf_pipeline_rules_dir(const nf_config_t *conf, char *buf, size_t size, char *errstr,
                          size_t errstr_size);

/*
 * A rule set: everything the pipeline loads from the rules directory (the classifier's
 * patterns and model, the gazetteer, the alert rules), with a version, the FNV-1a-64 of
 * the files it was loaded from. Loading touches no pipeline, so a new set can be built on
 * another thread while the pipeline runs (SIGHUP reload: app/reload.c), then swapped in
 * between two messages.
 */
typedef struct nf_ruleset nf_ruleset_t;

/* Loads the rule set conf names; NULL with the reason (naming file and line) in errstr. */
nf_ruleset_t *nf_ruleset_load(const nf_config_t *conf, char *errstr, size_t errstr_size);
/* NULL is a no-op. */
void nf_ruleset_destroy(nf_ruleset_t *ruleset);
/* "<16 hex>": the set's version. */
const char *nf_ruleset_version(const nf_ruleset_t *ruleset);
/* A line saying what the set holds, for the log. */
void nf_ruleset_describe(const nf_ruleset_t *ruleset, char *buf, size_t size);

/*
 * Puts ruleset in use and returns the one it replaces (the caller destroys it). The
 * alert rules change with it; a set without alert rules where there were some keeps
 * alerts off. Story state and alert de-duplication are kept.
 */
nf_ruleset_t *nf_pipeline_swap_rules(nf_pipeline_t *pipeline, nf_ruleset_t *ruleset);
/* The rule set in use. */
const nf_ruleset_t *nf_pipeline_ruleset(const nf_pipeline_t *pipeline);

nf_pipeline_t *nf_pipeline_new(const nf_config_t *conf, char *errstr, size_t errstr_size);
/* Destroys the pipeline and its stages. NULL is a no-op. */
void nf_pipeline_destroy(nf_pipeline_t *pipeline);
/* Appends a stage; the pipeline takes ownership of stage->state. */
int nf_pipeline_add_stage(nf_pipeline_t *pipeline, const nf_stage_t *stage);
/* Marks outputs as replayed (replay mode). */
void nf_pipeline_set_replay(nf_pipeline_t *pipeline, bool replay);
/* The alert rules in use (owned by the pipeline), or NULL when alerts are off. */
const nf_alert_rules_t *nf_pipeline_alert_rules(const nf_pipeline_t *pipeline);

/*
 * Processes the message <buf, len> read at src into res (cleared first). Returns
 * NF_OK when res holds an enriched event, NF_EDECODE when it holds a rejection.
 */
int nf_pipeline_process(nf_pipeline_t *pipeline, const char *buf, size_t len,
                        const nf_source_t *src, nf_result_t *res);
void nf_result_clear(nf_result_t *res);
/* Frees the result's buffers for good. */
void nf_result_free(nf_result_t *res);

#endif
