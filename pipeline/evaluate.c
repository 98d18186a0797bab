/*
 * evaluate: reading labeled JSONL, training the classifier's model, and the per-file
 * evaluation report.
 *
 * Training keeps every example's features in memory (one arena of nf_feat_t, a few tens
 * of megabytes for the shared dev files), fits k models for the cross-validated
 * thresholds and one final model, and writes the file. Everything that could make two
 * runs differ is pinned: files are read in the order given, duplicates resolved by a
 * fixed rule, folds and the held-out split come from hashes of the id, and the fitting
 * order from a seeded generator.
 */
#include "evaluate.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decode.h"
#include "err.h"
#include "log.h"

#define LABELED_MAX_BYTES (64u << 20)
#define THRESH_LO         0.05f
#define THRESH_STEPS      91   /* 0.05, 0.06, ..., 0.95 */
#define THRESH_WINDOW     2    /* smoothing: +-2 steps */
#define THRESH_TOLERANCE  0.01 /* smoothed F1 this close to the best counts as tied */
#define ALL_CATS          ((1u << NF_CAT__CNT) - 1)

bool nf_is_heldout(const char *id)
{
    return id && nf_fnv1a(NF_FNV_SEED, id, strlen(id)) % 5 == 0;
}

/* The cross-validation fold of a training item: a second, independent cut of the hash. */
static int fold_of(const char *id, int folds)
{
    uint64_t h = nf_fnv1a(NF_FNV_SEED, id, strlen(id));
    return (int)((h / 5) % (uint64_t)folds);
}

const char *nf_split_name(nf_split_t split)
{
    switch (split) {
    case NF_SPLIT_HELDOUT:
        return "heldout";
    case NF_SPLIT_ALL:
        return "all";
    case NF_SPLIT_TRAIN:
        return "train";
    }
    return "unknown";
}

static bool split_wants(nf_split_t split, const char *id)
{
    if (split == NF_SPLIT_ALL)
        return true;
    return nf_is_heldout(id) == (split == NF_SPLIT_HELDOUT);
}

int nf_labels_parse(const char *line, size_t len, uint8_t *labels, char *errstr, size_t errstr_size)
{
    cJSON *root = cJSON_ParseWithLengthOpts(line, len, NULL, 0);
    int rc = NF_EINVAL;
    *labels = 0;
    if (!root || !cJSON_IsObject(root)) {
        snprintf(errstr, errstr_size, "not a JSON object");
        goto done;
    }
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "labels");
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) {
        snprintf(errstr, errstr_size, "no \"labels\" array");
        goto done;
    }
    bool other = false;
    const cJSON *item;
    cJSON_ArrayForEach(item, arr)
    {
        if (!cJSON_IsString(item)) {
            snprintf(errstr, errstr_size, "a label is not a string");
            goto done;
        }
        int c = nf_category_parse(item->valuestring);
        if (c >= 0)
            *labels |= (uint8_t)(1u << c);
        else if (strcmp(item->valuestring, "other") == 0)
            other = true;
        else {
            snprintf(errstr, errstr_size, "unknown label \"%.40s\"", item->valuestring);
            goto done;
        }
    }
    if (other && *labels) {
        snprintf(errstr, errstr_size, "\"other\" combined with a category");
        goto done;
    }
    rc = NF_OK;
done:
    cJSON_Delete(root);
    return rc;
}

/* ---- reading labeled files ---- */

typedef struct reader {
    FILE *fp;
    const char *path;
    char *line;
    size_t cap;
    int lineno;
    int rejected; /* lines the decoder refused */
} reader_t;

static int reader_open(reader_t *r, const char *path, char *errstr, size_t errstr_size)
{
    memset(r, 0, sizeof(*r));
    r->path = path;
    r->fp = fopen(path, "r");
    if (!r->fp) {
        snprintf(errstr, errstr_size, "cannot open %s: %s", path, strerror(errno));
        return NF_EIO;
    }
    return NF_OK;
}

static void reader_close(reader_t *r)
{
    if (r->fp)
        fclose(r->fp);
    free(r->line);
    r->fp = NULL;
    r->line = NULL;
}

/*
 * Reads the next usable item: returns 1 with *article (cleared by the caller between
 * items) and *labels set, 0 at end of file, or a negative NF_E code with errstr set.
 */
static int reader_next(reader_t *r, nf_article_t *article, uint8_t *labels, char *errstr,
                       size_t errstr_size)
{
    nf_decode_opts_t dopts = {.max_bytes = LABELED_MAX_BYTES};
    char why[256];
    for (;;) {
        errno = 0;
        ssize_t n = getline(&r->line, &r->cap, r->fp);
        if (n < 0) {
            if (ferror(r->fp)) {
                snprintf(errstr, errstr_size, "%s: read error: %s", r->path, strerror(errno));
                return NF_EIO;
            }
            return 0;
        }
        r->lineno++;
        size_t len = (size_t)n;
        while (len > 0 && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r'))
            len--;
        size_t k = 0;
        while (k < len && (r->line[k] == ' ' || r->line[k] == '\t'))
            k++;
        if (k == len)
            continue;
        if (nf_labels_parse(r->line, len, labels, why, sizeof(why)) != NF_OK) {
            snprintf(errstr, errstr_size, "%s:%d: %s", r->path, r->lineno, why);
            return NF_EINVAL;
        }
        nf_reject_t rej = nf_decode(r->line, len, &dopts, article, why, sizeof(why));
        if (rej != NF_REJECT_NONE) {
            if (r->rejected++ < 3)
                nf_log(NF_LOG_WARN, "evaluate", "%s:%d: skipped (%s: %s)", r->path, r->lineno,
                       nf_reject_name(rej), why);
            continue;
        }
        return 1;
    }
}

/* ---- file specs ---- */

#define GAPS_MAX 8

typedef struct file_spec {
    char path[4096];
    float weight, other;
    uint8_t cats;
    bool tune;
    bool all;                /* no held-out part: every item trains */
    char gaps[GAPS_MAX][64]; /* "<category>.<subtype>" the file's labels do not cover */
    int ngaps;
} file_spec_t;

static int parse_spec(const char *arg, file_spec_t *spec, char *errstr, size_t errstr_size)
{
    struct stat st;
    spec->weight = 1.0f;
    spec->other = 1.0f;
    spec->cats = ALL_CATS;
    spec->tune = true;
    const char *at = strrchr(arg, '@');
    if (!at || stat(arg, &st) == 0) {
        if (strlen(arg) >= sizeof(spec->path)) {
            snprintf(errstr, errstr_size, "path too long: %.80s...", arg);
            return NF_EINVAL;
        }
        strcpy(spec->path, arg);
        return NF_OK;
    }
    size_t plen = (size_t)(at - arg);
    if (plen == 0 || plen >= sizeof(spec->path)) {
        snprintf(errstr, errstr_size, "bad file argument \"%s\"", arg);
        return NF_EINVAL;
    }
    memcpy(spec->path, arg, plen);
    spec->path[plen] = '\0';
    char opts[512];
    if (strlen(at + 1) >= sizeof(opts)) {
        snprintf(errstr, errstr_size, "options too long in \"%s\"", arg);
        return NF_EINVAL;
    }
    strcpy(opts, at + 1);
    char *save = NULL;
    for (char *kv = strtok_r(opts, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            snprintf(errstr, errstr_size, "\"%s\": option \"%s\" is not key=value", arg, kv);
            return NF_EINVAL;
        }
        *eq = '\0';
        const char *key = kv, *val = eq + 1;
        char *end = NULL;
        if (strcmp(key, "weight") == 0 || strcmp(key, "other") == 0) {
            double v = strtod(val, &end);
            if (!end || *end || !(v > 0 && v <= 100)) {
                snprintf(errstr, errstr_size, "\"%s\": %s must be a number in (0, 100]", arg, key);
                return NF_EINVAL;
            }
            if (key[0] == 'w')
                spec->weight = (float)v;
            else
                spec->other = (float)v;
        } else if (strcmp(key, "cats") == 0) {
            char cats[128], *s2 = NULL;
            snprintf(cats, sizeof(cats), "%s", val);
            spec->cats = 0;
            for (char *c = strtok_r(cats, "+", &s2); c; c = strtok_r(NULL, "+", &s2)) {
                int cat = nf_category_parse(c);
                if (cat < 0) {
                    snprintf(errstr, errstr_size, "\"%s\": unknown category \"%s\" in cats", arg,
                             c);
                    return NF_EINVAL;
                }
                spec->cats |= (uint8_t)(1u << cat);
            }
            if (!spec->cats) {
                snprintf(errstr, errstr_size, "\"%s\": cats is empty", arg);
                return NF_EINVAL;
            }
        } else if (strcmp(key, "gaps") == 0) {
            char gaps[256], *s2 = NULL;
            snprintf(gaps, sizeof(gaps), "%s", val);
            for (char *g = strtok_r(gaps, "+", &s2); g; g = strtok_r(NULL, "+", &s2)) {
                if (spec->ngaps == GAPS_MAX || strlen(g) >= sizeof(spec->gaps[0])) {
                    snprintf(errstr, errstr_size, "\"%s\": too many or too long gaps", arg);
                    return NF_EINVAL;
                }
                strcpy(spec->gaps[spec->ngaps++], g);
            }
        } else if (strcmp(key, "split") == 0) {
            if (strcmp(val, "all") != 0 && strcmp(val, "train") != 0) {
                snprintf(errstr, errstr_size, "\"%s\": split must be all or train", arg);
                return NF_EINVAL;
            }
            spec->all = val[0] == 'a';
        } else if (strcmp(key, "tune") == 0) {
            if (strcmp(val, "0") != 0 && strcmp(val, "1") != 0) {
                snprintf(errstr, errstr_size, "\"%s\": tune must be 0 or 1", arg);
                return NF_EINVAL;
            }
            spec->tune = val[0] == '1';
        } else {
            snprintf(errstr, errstr_size,
                     "\"%s\": unknown option \"%s\" (weight, other, cats, gaps, split, tune)", arg,
                     key);
            return NF_EINVAL;
        }
    }
    return NF_OK;
}

/* ---- training ---- */

void nf_train_opts_init(nf_train_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->epochs = 6;
    opts->learning_rate = 0.2f;
    opts->l2 = 1e-5f;
    opts->seed = 20261129;
    opts->hash_bits = NF_MODEL_HASH_BITS;
    opts->folds = 5;
    opts->bags = 5;
}

typedef struct texample {
    char *id;
    size_t off; /* into the feature arena */
    uint32_t nfeat;
    float dense[NF_MODEL_DENSE];
    uint8_t labels, cat_mask;
    float weight;
    int file;
    int fold;
    bool tune;
    float rule_score[NF_CAT__CNT];
} texample_t;

typedef struct trainset {
    texample_t *ex;
    size_t n, cap;
    nf_feat_t *arena;
    size_t arena_n, arena_cap;
    /* id -> example index, open addressing on the id's hash */
    int64_t *slots;
    size_t nslots;
} trainset_t;

static void trainset_free(trainset_t *ts)
{
    for (size_t i = 0; i < ts->n; i++)
        free(ts->ex[i].id);
    free(ts->ex);
    free(ts->arena);
    free(ts->slots);
}

static bool trainset_grow_slots(trainset_t *ts)
{
    size_t nslots = ts->nslots ? ts->nslots * 2 : 1 << 14;
    int64_t *slots = malloc(nslots * sizeof(*slots));
    if (!slots)
        return false;
    for (size_t i = 0; i < nslots; i++)
        slots[i] = -1;
    for (size_t i = 0; i < ts->n; i++) {
        const char *id = ts->ex[i].id;
        size_t s = nf_fnv1a(NF_FNV_SEED, id, strlen(id)) & (nslots - 1);
        while (slots[s] >= 0)
            s = (s + 1) & (nslots - 1);
        slots[s] = (int64_t)i;
    }
    free(ts->slots);
    ts->slots = slots;
    ts->nslots = nslots;
    return true;
}

/* Returns the slot for id: holding its example, or empty (-1) where it would go. */
static size_t trainset_find(const trainset_t *ts, const char *id)
{
    size_t s = nf_fnv1a(NF_FNV_SEED, id, strlen(id)) & (ts->nslots - 1);
    while (ts->slots[s] >= 0 && strcmp(ts->ex[ts->slots[s]].id, id) != 0)
        s = (s + 1) & (ts->nslots - 1);
    return s;
}

static bool arena_append(trainset_t *ts, const nf_featvec_t *fv, size_t *off)
{
    if (ts->arena_n + fv->n > ts->arena_cap) {
        size_t cap = ts->arena_cap ? ts->arena_cap : 1 << 20;
        while (cap < ts->arena_n + fv->n)
            cap *= 2;
        nf_feat_t *a = realloc(ts->arena, cap * sizeof(*a));
        if (!a)
            return false;
        ts->arena = a;
        ts->arena_cap = cap;
    }
    memcpy(ts->arena + ts->arena_n, fv->v, fv->n * sizeof(*fv->v));
    *off = ts->arena_n;
    ts->arena_n += fv->n;
    return true;
}

typedef struct file_counts {
    int read, heldout, duplicate, replaced, rejected, gapped;
} file_counts_t;

static int load_training_file(nf_classifier_t *cls, const file_spec_t *spec, int file, int folds,
                              bool use_heldout, trainset_t *ts, file_counts_t *fc,
                              const file_spec_t *specs, char *errstr, size_t errstr_size)
{
    reader_t r;
    nf_article_t article = {0};
    nf_classification_t res;
    uint8_t labels;
    int gap_idx[GAPS_MAX], gap_cat[GAPS_MAX];
    for (int g = 0; g < spec->ngaps; g++) {
        char cat[32];
        snprintf(cat, sizeof(cat), "%.*s", (int)strcspn(spec->gaps[g], "."), spec->gaps[g]);
        gap_cat[g] = nf_category_parse(cat);
        gap_idx[g] = nf_classifier_subtype_index(cls, spec->gaps[g]);
        if (gap_idx[g] < 0 || gap_cat[g] < 0) {
            snprintf(errstr, errstr_size, "%s: gaps: unknown subtype \"%s\" (<category>.<subtype>)",
                     spec->path, spec->gaps[g]);
            return NF_EINVAL;
        }
    }
    int rc = reader_open(&r, spec->path, errstr, errstr_size);
    if (rc != NF_OK)
        return rc;
    for (;;) {
        nf_article_clear(&article);
        int got = reader_next(&r, &article, &labels, errstr, errstr_size);
        if (got <= 0) {
            rc = got;
            break;
        }
        fc->read++;
        if (!use_heldout && !spec->all && nf_is_heldout(article.id)) {
            fc->heldout++;
            continue;
        }
        if ((ts->n + 1) * 2 > ts->nslots && !trainset_grow_slots(ts)) {
            rc = NF_ENOMEM;
            break;
        }
        size_t slot = trainset_find(ts, article.id);
        texample_t *e;
        if (ts->slots[slot] >= 0) {
            e = &ts->ex[ts->slots[slot]];
            if (!(spec->weight > specs[e->file].weight)) {
                fc->duplicate++;
                continue;
            }
            fc->replaced++;
        } else {
            if (ts->n == ts->cap) {
                size_t cap = ts->cap ? ts->cap * 2 : 4096;
                texample_t *ex = realloc(ts->ex, cap * sizeof(*ex));
                if (!ex) {
                    rc = NF_ENOMEM;
                    break;
                }
                ts->ex = ex;
                ts->cap = cap;
            }
            e = &ts->ex[ts->n];
            memset(e, 0, sizeof(*e));
            e->id = strdup(article.id);
            if (!e->id) {
                rc = NF_ENOMEM;
                break;
            }
            ts->slots[slot] = (int64_t)ts->n++;
        }
        nf_classify(cls, &article, &res);
        const nf_featvec_t *fv = nf_classifier_last_features(cls);
        if (!arena_append(ts, fv, &e->off)) {
            rc = NF_ENOMEM;
            break;
        }
        e->nfeat = (uint32_t)fv->n;
        memcpy(e->rule_score, res.rule_score, sizeof(e->rule_score));
        memcpy(e->dense, fv->dense, sizeof(e->dense));
        e->labels = labels;
        e->cat_mask = spec->cats;
        for (int g = 0; g < spec->ngaps; g++) {
            /* a negative with evidence of a subtype the file does not label is no negative */
            int c = gap_cat[g];
            if (!((labels >> c) & 1) && nf_classifier_last_subtype_score(cls, gap_idx[g]) > 0.0f) {
                e->cat_mask &= (uint8_t) ~(1u << c);
                fc->gapped++;
            }
        }
        e->weight = spec->weight * (labels == 0 ? spec->other : 1.0f);
        e->file = file;
        e->fold = folds > 1 ? fold_of(article.id, folds) : 0;
        e->tune = spec->tune;
    }
    if (rc == NF_ENOMEM)
        snprintf(errstr, errstr_size, "out of memory reading %s", spec->path);
    fc->rejected = r.rejected;
    nf_article_clear(&article);
    reader_close(&r);
    return rc;
}

/* Fits a model on the examples of ts whose fold is not `skip_fold` (-1: all). */
static int fit_subset(const trainset_t *ts, int skip_fold, const nf_train_opts_t *opts,
                      nf_model_t **out)
{
    nf_model_t *model = nf_model_new(opts->hash_bits);
    nf_example_t *ex = malloc((ts->n ? ts->n : 1) * sizeof(*ex));
    size_t n = 0;
    int rc = NF_ENOMEM;
    if (!model || !ex)
        goto done;
    for (size_t i = 0; i < ts->n; i++) {
        const texample_t *t = &ts->ex[i];
        if (t->fold == skip_fold)
            continue;
        ex[n].feat = ts->arena + t->off;
        ex[n].nfeat = t->nfeat;
        memcpy(ex[n].dense, t->dense, sizeof(ex[n].dense));
        ex[n].labels = t->labels;
        ex[n].cat_mask = t->cat_mask;
        ex[n].weight = t->weight;
        n++;
    }
    /*
     * Bagging over example orders: SGD on a few hundred hand-labeled items lands in a
     * different place for every shuffle (the chosen thresholds moved from 0.18 to 0.52
     * with the seed alone). The model is linear, so the mean of the weights of `bags`
     * fits is the mean of their margins: one model, the variance of the order averaged
     * out.
     */
    size_t nw = ((size_t)1 << opts->hash_bits) * NF_MODEL_CATS;
    uint64_t seed = opts->seed;
    for (int b = 0; b < opts->bags; b++) {
        nf_model_t *fit = b == 0 ? model : nf_model_new(opts->hash_bits);
        rc = NF_ENOMEM;
        if (!fit)
            goto done;
        nf_model_init_prior(fit);
        nf_fit_opts_t fo = {.epochs = opts->epochs,
                            .learning_rate = opts->learning_rate,
                            .l2 = opts->l2,
                            .seed = seed};
        seed = nf_splitmix64(&seed);
        rc = nf_model_fit(fit, ex, n, &fo);
        if (rc == NF_OK && fit != model) {
            for (size_t i = 0; i < nw; i++)
                model->w[i] += fit->w[i];
            for (int c = 0; c < NF_MODEL_CATS; c++) {
                model->bias[c] += fit->bias[c];
                for (int d = 0; d < NF_MODEL_DENSE; d++)
                    model->dense[c][d] += fit->dense[c][d];
            }
        }
        if (fit != model)
            nf_model_destroy(fit);
        if (rc != NF_OK)
            goto done;
    }
    if (opts->bags > 1) {
        float inv = 1.0f / (float)opts->bags;
        for (size_t i = 0; i < nw; i++)
            model->w[i] *= inv;
        for (int c = 0; c < NF_MODEL_CATS; c++) {
            model->bias[c] *= inv;
            for (int d = 0; d < NF_MODEL_DENSE; d++)
                model->dense[c][d] *= inv;
        }
    }
    *out = model;
    model = NULL;
done:
    free(ex);
    nf_model_destroy(model);
    return rc;
}

static void score_example(const nf_model_t *model, const trainset_t *ts, const texample_t *t,
                          float prob[NF_MODEL_CATS])
{
    nf_featvec_t fv = {.v = ts->arena + t->off, .n = t->nfeat, .cap = t->nfeat};
    memcpy(fv.dense, t->dense, sizeof(fv.dense));
    nf_model_score(model, &fv, prob);
}

static double f1_of(int tp, int fp, int fn)
{
    return tp == 0 ? 0.0 : 2.0 * tp / (2.0 * tp + fp + fn);
}

/*
 * Picks the threshold of category c from out-of-fold scores (see nf_train()): F1 is
 * smoothed over +-THRESH_WINDOW steps, and among the thresholds within THRESH_TOLERANCE of
 * the best smoothed F1 the one nearest 0.5 wins. Out-of-fold F1 curves are flat over a
 * wide range, and the exact peak of a flat curve is noise; 0.5 is where a calibrated
 * model's own judgement lies.
 */
static float choose_threshold(const trainset_t *ts, const float (*oof)[NF_MODEL_CATS], int c)
{
    double f1[THRESH_STEPS], smooth[THRESH_STEPS], best_f1 = 0.0;
    for (int s = 0; s < THRESH_STEPS; s++) {
        float t = THRESH_LO + 0.01f * (float)s;
        int tp = 0, fp = 0, fn = 0;
        for (size_t i = 0; i < ts->n; i++) {
            const texample_t *e = &ts->ex[i];
            if (!e->tune || !((e->cat_mask >> c) & 1))
                continue;
            bool gold = (e->labels >> c) & 1, pred = oof[i][c] >= t;
            tp += gold && pred;
            fp += !gold && pred;
            fn += gold && !pred;
        }
        f1[s] = f1_of(tp, fp, fn);
    }
    for (int s = 0; s < THRESH_STEPS; s++) {
        double sum = 0;
        int n = 0;
        for (int k = s - THRESH_WINDOW; k <= s + THRESH_WINDOW; k++)
            if (k >= 0 && k < THRESH_STEPS) {
                sum += f1[k];
                n++;
            }
        smooth[s] = sum / n;
        if (smooth[s] > best_f1)
            best_f1 = smooth[s];
    }
    int best = -1;
    for (int s = 0; s < THRESH_STEPS; s++) {
        if (smooth[s] < best_f1 - THRESH_TOLERANCE)
            continue;
        float t = THRESH_LO + 0.01f * (float)s, bt = THRESH_LO + 0.01f * (float)best;
        if (best < 0 || fabsf(t - 0.5f) < fabsf(bt - 0.5f))
            best = s;
    }
    return THRESH_LO + 0.01f * (float)best;
}

static void log_cv_report(FILE *log, const trainset_t *ts, const float (*oof)[NF_MODEL_CATS],
                          const float *thr, const file_spec_t *specs, int nfiles)
{
    fprintf(log, "cross-validated (out-of-fold) scores on the training items, per file:\n");
    for (int f = 0; f < nfiles; f++) {
        int tp[NF_CAT__CNT] = {0}, fp[NF_CAT__CNT] = {0}, fn[NF_CAT__CNT] = {0}, n = 0;
        for (size_t i = 0; i < ts->n; i++) {
            const texample_t *e = &ts->ex[i];
            if (e->file != f)
                continue;
            n++;
            for (int c = 0; c < NF_CAT__CNT; c++) {
                bool gold = (e->labels >> c) & 1, pred = oof[i][c] >= thr[c];
                tp[c] += gold && pred;
                fp[c] += !gold && pred;
                fn[c] += gold && !pred;
            }
        }
        fprintf(log, "  %s (%d items):", specs[f].path, n);
        double sum = 0;
        int k = 0;
        for (int c = 0; c < NF_CAT__CNT; c++) {
            if (tp[c] + fn[c] == 0) {
                fprintf(log, " %s -/%d fp", nf_category_name(c), fp[c]);
                continue;
            }
            double f1 = f1_of(tp[c], fp[c], fn[c]);
            sum += f1;
            k++;
            fprintf(log, " %s P%.3f R%.3f F%.3f", nf_category_name(c),
                    tp[c] + fp[c] ? (double)tp[c] / (tp[c] + fp[c]) : 0.0,
                    (double)tp[c] / (tp[c] + fn[c]), f1);
        }
        if (k)
            fprintf(log, " macro %.3f", sum / k);
        fprintf(log, "\n");
    }
}

int nf_train(const char *const *files, int nfiles, const char *rules_dir, const char *model_out,
             const nf_train_opts_t *opts_in, char *errstr, size_t errstr_size)
{
    nf_train_opts_t opts;
    file_spec_t *specs = NULL;
    nf_classifier_t *cls = NULL;
    nf_model_t *model = NULL;
    trainset_t ts = {0};
    float(*oof)[NF_MODEL_CATS] = NULL;
    float thr[NF_MODEL_CATS] = {0.5f, 0.5f, 0.5f};
    int rc = NF_EINVAL;

    nf_train_opts_init(&opts);
    if (opts_in) {
        /* a zeroed field means "the default", so that {0} is a valid start */
        nf_train_opts_t d = opts;
        opts = *opts_in;
        if (opts.epochs == 0)
            opts.epochs = d.epochs;
        if (opts.learning_rate == 0.0f)
            opts.learning_rate = d.learning_rate;
        if (opts.l2 == 0.0f)
            opts.l2 = d.l2;
        if (opts.seed == 0)
            opts.seed = d.seed;
        if (opts.hash_bits == 0)
            opts.hash_bits = d.hash_bits;
        if (opts.folds == 0)
            opts.folds = d.folds;
        if (opts.bags == 0)
            opts.bags = d.bags;
    }
    if (!files || nfiles <= 0) {
        snprintf(errstr, errstr_size, "no labeled files given");
        return NF_EINVAL;
    }
    if (!rules_dir || !*rules_dir || !model_out || !*model_out) {
        snprintf(errstr, errstr_size, "a rules directory and a model output path are needed");
        return NF_EINVAL;
    }
    if (opts.epochs < 1 || opts.epochs > 1000 || !(opts.learning_rate > 0) ||
        !(opts.learning_rate <= 10) || !(opts.l2 >= 0 && opts.l2 < 1) ||
        opts.hash_bits < NF_MODEL_MIN_BITS || opts.hash_bits > NF_MODEL_MAX_BITS ||
        opts.folds < 0 || opts.folds > 20 || opts.bags < 1 || opts.bags > 64) {
        snprintf(errstr, errstr_size,
                 "bad training options (epochs 1-1000, learning rate (0, 10], l2 [0, 1), hash "
                 "bits %d-%d, folds 0-20, bags 1-64)",
                 NF_MODEL_MIN_BITS, NF_MODEL_MAX_BITS);
        return NF_EINVAL;
    }
    specs = calloc((size_t)nfiles, sizeof(*specs));
    if (!specs) {
        snprintf(errstr, errstr_size, "out of memory");
        return NF_ENOMEM;
    }
    for (int f = 0; f < nfiles; f++) {
        if (!files[f] || !*files[f]) {
            snprintf(errstr, errstr_size, "empty file argument");
            goto done;
        }
        if ((rc = parse_spec(files[f], &specs[f], errstr, errstr_size)) != NF_OK)
            goto done;
    }

    nf_classifier_opts_t copts = {.model_path = "", .hash_bits = opts.hash_bits};
    cls = nf_classifier_new(rules_dir, &copts, errstr, errstr_size);
    if (!cls) {
        rc = NF_ECONFIG;
        goto done;
    }
    for (int f = 0; f < nfiles; f++) {
        file_counts_t fc = {0};
        rc = load_training_file(cls, &specs[f], f, opts.folds, opts.use_heldout, &ts, &fc, specs,
                                errstr, errstr_size);
        if (rc != NF_OK)
            goto done;
        if (opts.log)
            fprintf(opts.log,
                    "%s: %d items read, %d held out, %d duplicates skipped, %d replaced, %d "
                    "rejected by the decoder, %d negatives dropped for gaps\n",
                    specs[f].path, fc.read, fc.heldout, fc.duplicate, fc.replaced, fc.rejected,
                    fc.gapped);
    }
    if (ts.n == 0) {
        snprintf(errstr, errstr_size, "no training items in the given files");
        rc = NF_EINVAL;
        goto done;
    }
    if (opts.log)
        fprintf(opts.log, "%zu training items, %zu features\n", ts.n, ts.arena_n);

    if (opts.folds > 1) {
        oof = calloc(ts.n, sizeof(*oof));
        if (!oof) {
            rc = NF_ENOMEM;
            snprintf(errstr, errstr_size, "out of memory");
            goto done;
        }
        for (int k = 0; k < opts.folds; k++) {
            nf_model_t *m = NULL;
            if ((rc = fit_subset(&ts, k, &opts, &m)) != NF_OK) {
                snprintf(errstr, errstr_size, "out of memory fitting fold %d", k);
                goto done;
            }
            for (size_t i = 0; i < ts.n; i++)
                if (ts.ex[i].fold == k)
                    score_example(m, &ts, &ts.ex[i], oof[i]);
            nf_model_destroy(m);
        }
        for (int c = 0; c < NF_CAT__CNT; c++)
            thr[c] = choose_threshold(&ts, (const float(*)[NF_MODEL_CATS])oof, c);
        if (opts.oof_out) {
            FILE *dump = fopen(opts.oof_out, "w");
            if (!dump) {
                snprintf(errstr, errstr_size, "cannot create %s: %s", opts.oof_out,
                         strerror(errno));
                rc = NF_EIO;
                goto done;
            }
            for (size_t i = 0; i < ts.n; i++)
                fprintf(dump, "%d %s %u %.4f %.4f %.4f %.3f %.3f %.3f\n", ts.ex[i].file,
                        ts.ex[i].id, ts.ex[i].labels, (double)oof[i][0], (double)oof[i][1],
                        (double)oof[i][2], (double)ts.ex[i].rule_score[0],
                        (double)ts.ex[i].rule_score[1], (double)ts.ex[i].rule_score[2]);
            if (fclose(dump) != 0) {
                snprintf(errstr, errstr_size, "cannot write %s", opts.oof_out);
                rc = NF_EIO;
                goto done;
            }
        }
        if (opts.log) {
            fprintf(opts.log, "thresholds (%d-fold cross-validation):", opts.folds);
            for (int c = 0; c < NF_CAT__CNT; c++)
                fprintf(opts.log, " %s %.2f", nf_category_name(c), (double)thr[c]);
            fprintf(opts.log, "\n");
            log_cv_report(opts.log, &ts, (const float(*)[NF_MODEL_CATS])oof, thr, specs, nfiles);
        }
    }

    if ((rc = fit_subset(&ts, -1, &opts, &model)) != NF_OK) {
        snprintf(errstr, errstr_size, "out of memory fitting the model");
        goto done;
    }
    for (int c = 0; c < NF_CAT__CNT; c++)
        model->threshold[c] = thr[c];
    nf_model_quantize(model);
    rc = nf_model_save(model, model_out, errstr, errstr_size);
    if (rc == NF_OK && opts.log)
        fprintf(opts.log, "model written to %s\n", model_out);
done:
    nf_model_destroy(model);
    free(oof);
    trainset_free(&ts);
    nf_classifier_destroy(cls);
    free(specs);
    return rc;
}

/* ---- evaluation ---- */

typedef struct misclassified {
    char *id;
    uint8_t gold, pred;
} misclassified_t;

typedef struct file_stats {
    int items, rejected;
    int tp[NF_CAT__CNT], fp[NF_CAT__CNT], fn[NF_CAT__CNT];
    int confusion[NF_CAT__CNT + 1][NF_CAT__CNT + 1];
    misclassified_t *mis;
    size_t nmis, capmis;
    int total_mis;
} file_stats_t;

static void stats_free(file_stats_t *st)
{
    for (size_t i = 0; i < st->nmis; i++)
        free(st->mis[i].id);
    free(st->mis);
}

static void labels_text(uint8_t mask, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!mask) {
        snprintf(buf, size, "other");
        return;
    }
    size_t n = 0;
    for (int c = 0; c < NF_CAT__CNT; c++)
        if ((mask >> c) & 1)
            n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s", n ? "+" : "",
                                  nf_category_name(c));
}

static double ratio(int a, int b)
{
    return b ? (double)a / b : 0.0;
}

static int eval_file(nf_classifier_t *cls, const char *path, const nf_eval_opts_t *opts,
                     file_stats_t *st, char *errstr, size_t errstr_size)
{
    reader_t r;
    nf_article_t article = {0};
    nf_classification_t res;
    uint8_t gold;
    int rc = reader_open(&r, path, errstr, errstr_size);
    if (rc != NF_OK)
        return rc;
    for (;;) {
        nf_article_clear(&article);
        int got = reader_next(&r, &article, &gold, errstr, errstr_size);
        if (got <= 0) {
            rc = got;
            break;
        }
        if (!split_wants(opts->split, article.id))
            continue;
        st->items++;
        nf_classify(cls, &article, &res);
        uint8_t pred = 0;
        for (int c = 0; c < NF_CAT__CNT; c++) {
            bool g = (gold >> c) & 1, p = res.assigned[c];
            pred |= (uint8_t)(p << c);
            st->tp[c] += g && p;
            st->fp[c] += !g && p;
            st->fn[c] += g && !p;
        }
        for (int g = 0; g <= NF_CAT__CNT; g++) {
            bool in_gold = g < NF_CAT__CNT ? (gold >> g) & 1 : gold == 0;
            if (!in_gold)
                continue;
            for (int p = 0; p <= NF_CAT__CNT; p++)
                if (p < NF_CAT__CNT ? (pred >> p) & 1 : pred == 0)
                    st->confusion[g][p]++;
        }
        if (pred == gold)
            continue;
        st->total_mis++;
        if (opts->max_ids >= 0 && st->nmis >= (size_t)opts->max_ids)
            continue;
        if (st->nmis == st->capmis) {
            size_t cap = st->capmis ? st->capmis * 2 : 64;
            misclassified_t *m = realloc(st->mis, cap * sizeof(*m));
            if (!m) {
                rc = NF_ENOMEM;
                snprintf(errstr, errstr_size, "out of memory");
                break;
            }
            st->mis = m;
            st->capmis = cap;
        }
        st->mis[st->nmis].id = strdup(article.id);
        st->mis[st->nmis].gold = gold;
        st->mis[st->nmis].pred = pred;
        if (!st->mis[st->nmis].id) {
            rc = NF_ENOMEM;
            snprintf(errstr, errstr_size, "out of memory");
            break;
        }
        st->nmis++;
    }
    st->rejected = r.rejected;
    nf_article_clear(&article);
    reader_close(&r);
    return rc;
}

/* Macro F1 over the categories with gold items in the file; -1 when there are none. */
static double macro_f1(const file_stats_t *st, int *ncats)
{
    double sum = 0;
    *ncats = 0;
    for (int c = 0; c < NF_CAT__CNT; c++) {
        if (st->tp[c] + st->fn[c] == 0)
            continue;
        sum += f1_of(st->tp[c], st->fp[c], st->fn[c]);
        (*ncats)++;
    }
    return *ncats ? sum / *ncats : -1.0;
}

static void report_text(FILE *out, const char *path, const nf_classifier_t *cls,
                        const nf_eval_opts_t *opts, const file_stats_t *st)
{
    char g[64], p[64];
    fprintf(out, "== %s  split %s  items %d  (decoder rejected %d)\n", path,
            nf_split_name(opts->split), st->items, st->rejected);
    fprintf(out, "   model %s; thresholds deal %.2f funding %.2f infrastructure %.2f\n",
            nf_classifier_has_model(cls) ? "loaded" : "none (rules only)",
            (double)nf_classifier_threshold(cls, NF_CAT_DEAL),
            (double)nf_classifier_threshold(cls, NF_CAT_FUNDING),
            (double)nf_classifier_threshold(cls, NF_CAT_INFRA));
    fprintf(out, "   %-15s %5s %5s %5s %5s %5s %9s %7s %7s\n", "category", "gold", "pred", "tp",
            "fp", "fn", "precision", "recall", "f1");
    for (int c = 0; c < NF_CAT__CNT; c++) {
        int gold = st->tp[c] + st->fn[c], pred = st->tp[c] + st->fp[c];
        fprintf(out, "   %-15s %5d %5d %5d %5d %5d ", nf_category_name(c), gold, pred, st->tp[c],
                st->fp[c], st->fn[c]);
        if (gold == 0)
            fprintf(out, "%9s %7s %7s  (no gold items)\n", pred ? "0.000" : "-", "-", "-");
        else
            fprintf(out, "%9.3f %7.3f %7.3f\n", ratio(st->tp[c], pred), ratio(st->tp[c], gold),
                    f1_of(st->tp[c], st->fp[c], st->fn[c]));
    }
    int ncats;
    double m = macro_f1(st, &ncats);
    if (m >= 0)
        fprintf(out, "   macro-F1 over the %d categories with gold items: %.3f\n", ncats, m);
    fprintf(out, "   confusion (rows gold, columns predicted):\n   %-15s", "");
    for (int c = 0; c <= NF_CAT__CNT; c++)
        fprintf(out, " %14s", nf_category_name(c < NF_CAT__CNT ? c : -1));
    fprintf(out, "\n");
    for (int r = 0; r <= NF_CAT__CNT; r++) {
        fprintf(out, "   %-15s", nf_category_name(r < NF_CAT__CNT ? r : -1));
        for (int c = 0; c <= NF_CAT__CNT; c++)
            fprintf(out, " %14d", st->confusion[r][c]);
        fprintf(out, "\n");
    }
    fprintf(out, "   misclassified: %d", st->total_mis);
    if ((size_t)st->total_mis > st->nmis)
        fprintf(out, " (first %zu listed)", st->nmis);
    fprintf(out, "\n");
    for (size_t i = 0; i < st->nmis; i++) {
        labels_text(st->mis[i].gold, g, sizeof(g));
        labels_text(st->mis[i].pred, p, sizeof(p));
        fprintf(out, "     %-28s gold %-30s predicted %s\n", st->mis[i].id, g, p);
    }
}

static cJSON *labels_json(uint8_t mask)
{
    cJSON *arr = cJSON_CreateArray();
    if (!mask)
        cJSON_AddItemToArray(arr, cJSON_CreateString("other"));
    for (int c = 0; c < NF_CAT__CNT; c++)
        if ((mask >> c) & 1)
            cJSON_AddItemToArray(arr, cJSON_CreateString(nf_category_name(c)));
    return arr;
}

static cJSON *report_json(const char *path, const nf_eval_opts_t *opts, const file_stats_t *st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", path);
    cJSON_AddStringToObject(o, "split", nf_split_name(opts->split));
    cJSON_AddNumberToObject(o, "items", st->items);
    cJSON_AddNumberToObject(o, "rejected", st->rejected);
    cJSON *cats = cJSON_AddObjectToObject(o, "categories");
    for (int c = 0; c < NF_CAT__CNT; c++) {
        cJSON *k = cJSON_AddObjectToObject(cats, nf_category_name(c));
        int gold = st->tp[c] + st->fn[c], pred = st->tp[c] + st->fp[c];
        cJSON_AddNumberToObject(k, "gold", gold);
        cJSON_AddNumberToObject(k, "predicted", pred);
        cJSON_AddNumberToObject(k, "tp", st->tp[c]);
        cJSON_AddNumberToObject(k, "fp", st->fp[c]);
        cJSON_AddNumberToObject(k, "fn", st->fn[c]);
        if (gold) {
            cJSON_AddNumberToObject(k, "precision", ratio(st->tp[c], pred));
            cJSON_AddNumberToObject(k, "recall", ratio(st->tp[c], gold));
            cJSON_AddNumberToObject(k, "f1", f1_of(st->tp[c], st->fp[c], st->fn[c]));
        } else {
            cJSON_AddNullToObject(k, "precision");
            cJSON_AddNullToObject(k, "recall");
            cJSON_AddNullToObject(k, "f1");
        }
    }
    int ncats;
    double m = macro_f1(st, &ncats);
    if (m >= 0)
        cJSON_AddNumberToObject(o, "macro_f1", m);
    else
        cJSON_AddNullToObject(o, "macro_f1");
    cJSON_AddNumberToObject(o, "macro_f1_categories", ncats);
    cJSON *conf = cJSON_AddObjectToObject(o, "confusion");
    cJSON *names = cJSON_AddArrayToObject(conf, "labels");
    cJSON *rows = cJSON_AddArrayToObject(conf, "matrix");
    for (int r = 0; r <= NF_CAT__CNT; r++) {
        cJSON_AddItemToArray(names, cJSON_CreateString(nf_category_name(r < NF_CAT__CNT ? r : -1)));
        cJSON *row = cJSON_CreateArray();
        for (int c = 0; c <= NF_CAT__CNT; c++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber(st->confusion[r][c]));
        cJSON_AddItemToArray(rows, row);
    }
    cJSON_AddNumberToObject(o, "misclassified_total", st->total_mis);
    cJSON *mis = cJSON_AddArrayToObject(o, "misclassified");
    for (size_t i = 0; i < st->nmis; i++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "id", st->mis[i].id);
        cJSON_AddItemToObject(item, "gold", labels_json(st->mis[i].gold));
        cJSON_AddItemToObject(item, "predicted", labels_json(st->mis[i].pred));
        cJSON_AddItemToArray(mis, item);
    }
    return o;
}

int nf_eval(nf_classifier_t *cls, const char *const *files, int nfiles,
            const nf_eval_opts_t *opts_in, FILE *out, char *errstr, size_t errstr_size)
{
    nf_eval_opts_t opts = {.json = false, .split = NF_SPLIT_HELDOUT, .max_ids = 50};
    if (opts_in)
        opts = *opts_in;
    if (!cls || !out) {
        snprintf(errstr, errstr_size, "no classifier or output");
        return NF_EINVAL;
    }
    if (!files || nfiles <= 0) {
        snprintf(errstr, errstr_size, "no labeled files given");
        return NF_EINVAL;
    }
    if (opts.split != NF_SPLIT_HELDOUT && opts.split != NF_SPLIT_ALL &&
        opts.split != NF_SPLIT_TRAIN) {
        snprintf(errstr, errstr_size, "unknown split");
        return NF_EINVAL;
    }
    for (int f = 0; f < nfiles; f++)
        if (!files[f] || !*files[f]) {
            snprintf(errstr, errstr_size, "empty file argument");
            return NF_EINVAL;
        }
    cJSON *root = NULL, *arr = NULL;
    if (opts.json) {
        root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "split", nf_split_name(opts.split));
        cJSON_AddBoolToObject(root, "model", nf_classifier_has_model(cls));
        cJSON *t = cJSON_AddObjectToObject(root, "thresholds");
        for (int c = 0; c < NF_CAT__CNT; c++)
            cJSON_AddNumberToObject(t, nf_category_name(c),
                                    (double)nf_classifier_threshold(cls, c));
        arr = cJSON_AddArrayToObject(root, "files");
    }
    int rc = NF_OK;
    for (int f = 0; f < nfiles && rc == NF_OK; f++) {
        file_stats_t st;
        memset(&st, 0, sizeof(st));
        rc = eval_file(cls, files[f], &opts, &st, errstr, errstr_size);
        if (rc == NF_OK) {
            if (opts.json)
                cJSON_AddItemToArray(arr, report_json(files[f], &opts, &st));
            else
                report_text(out, files[f], cls, &opts, &st);
        }
        stats_free(&st);
    }
    if (opts.json) {
        if (rc == NF_OK) {
            char *text = cJSON_PrintUnformatted(root);
            if (text) {
                fprintf(out, "%s\n", text);
                cJSON_free(text);
            } else {
                rc = NF_ENOMEM;
                snprintf(errstr, errstr_size, "out of memory");
            }
        }
        cJSON_Delete(root);
    }
    if (rc == NF_OK && ferror(out)) {
        snprintf(errstr, errstr_size, "cannot write the report");
        rc = NF_EIO;
    }
    return rc;
}
