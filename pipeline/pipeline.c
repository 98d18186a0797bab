/*
 * pipeline: the per-message stage chain (see pipeline.h). It owns no I/O: callers hand
 * it bytes and a source position and get back an encoded event or a rejection.
 */
#include "pipeline.h"
#include "encode.h"
#include "err.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAGES_MAX 16

struct nf_pipeline {
    nf_decode_opts_t decode_opts;
    nf_extractor_t *extractor;
    nf_story_t *story;
    nf_stage_t stages[STAGES_MAX];
    int stages_n;
    bool replay;
};

nf_pipeline_t *nf_pipeline_new(const nf_config_t *conf, char *errstr, size_t errstr_size)
{
    nf_pipeline_t *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    p->decode_opts.max_bytes = (size_t)conf->input_max_bytes;

    char rules[4096];
    if (*conf->rules_dir)
        snprintf(rules, sizeof(rules), "%s", conf->rules_dir);
    else if (nf_data_path("rules", rules, sizeof(rules))) {
        snprintf(
            errstr, errstr_size,
            "rules directory not found (installed share/newsflow/rules or the source tree); set rules.dir");
        goto err;
    }
    char err[512];
    p->extractor = nf_extractor_new(rules, err, sizeof(err));
    if (!p->extractor) {
        snprintf(errstr, errstr_size, "rules.dir %s: %s", rules, err);
        goto err;
    }
    nf_story_opts_t sopts = {.window_ms = conf->story_window_ms,
                             .max_entries = (uint32_t)conf->story_max_entries};
    p->story = nf_story_new(&sopts, err, sizeof(err));
    if (!p->story) {
        snprintf(errstr, errstr_size, "%s", err);
        goto err;
    }
    nf_log(NF_LOG_INFO, "pipeline", "rules from %s: %zu names in the gazetteer", rules,
           nf_extractor_names(p->extractor));
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
    nf_extractor_destroy(p->extractor);
    nf_story_destroy(p->story);
    free(p);
}

int nf_pipeline_add_stage(nf_pipeline_t *p, const nf_stage_t *stage)
{
    if (p->stages_n == STAGES_MAX)
        return NF_EINVAL;
    p->stages[p->stages_n++] = *stage;
    return NF_OK;
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
}

void nf_result_free(nf_result_t *res)
{
    nf_article_clear(&res->article);
    nf_buf_free(&res->enriched);
    nf_extraction_free(&res->extraction);
}

/* The analysis fields of the enriched event, in schema order. */
static void encode_analysis(const void *ctx, nf_buf_t *out)
{
    const nf_result_t *res = ctx;
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
    if (nf_extract(p->extractor, &res->article, res->categories, &res->extraction)) {
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
