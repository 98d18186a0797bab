/*
 * evaluate: the offline side of the classifier, over labeled JSONL files: training the
 * model (`newsflow train`) and measuring the classifier (`newsflow eval`).
 *
 * A labeled file has one JSON object a line with an id, a title and/or body (any field
 * names nf_decode() accepts) and "labels": an array of "deal", "funding",
 * "infrastructure", or just ["other"]. Lines are decoded with nf_decode(), so training
 * sees exactly the normalised text that classification sees at run time.
 *
 * The held-out split is fixed and shared by both: an item is held out when
 * nf_fnv1a(NF_FNV_SEED, id) % 5 == 0 (about 20% of every file, the same items whatever
 * the file order, and the same item in two files falls on the same side). nf_train()
 * never reads held-out items unless told to; nf_eval() reports on them by default.
 */
#ifndef NF_EVALUATE_H
#define NF_EVALUATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "classify.h"

/* Whether the item with this id belongs to the held-out 20%. */
bool nf_is_heldout(const char *id);

/*
 * Parses the "labels" array of a labeled JSON line into a bit mask of categories
 * (bit c for nf_category_t c; 0 for ["other"]). Returns 0, or NF_EINVAL with the reason
 * in errstr (not JSON, no labels, unknown label, "other" combined with a category).
 */
int nf_labels_parse(const char *line, size_t len, uint8_t *labels, char *errstr,
                    size_t errstr_size);

/*
 * Training options. A field left at 0 takes its default, so a zeroed struct (or NULL)
 * means all defaults; nf_train_opts_init() writes them out.
 */
typedef struct nf_train_opts {
    int epochs;          /* passes over the data (default 6) */
    float learning_rate; /* AdaGrad base rate (default 0.2) */
    float l2;            /* shrinkage per touched-weight update (default 1e-5) */
    uint64_t seed;       /* example order (default 20261129) */
    int bags;            /* fits over different example orders, averaged (default 5) */
    uint32_t hash_bits;  /* hashed feature space (default NF_MODEL_HASH_BITS) */
    int folds;           /* cross-validation folds for choosing thresholds (default 5; 1: no
                            cross-validation, thresholds 0.5) */
    bool use_heldout;    /* also train on the held-out items (default false: never) */
    FILE *log;           /* progress and the cross-validation report; NULL: quiet */
    const char *oof_out; /* if set, each training item's out-of-fold scores are written
                            there, one line each: file index, id, gold label mask, the
                            three model scores, the three rule scores (for analysis) */
} nf_train_opts_t;

/* Fills opts with the defaults above. */
void nf_train_opts_init(nf_train_opts_t *opts);

/*
 * Trains a model from labeled files and writes it to model_out.
 *
 * Each file argument is a path, optionally followed by "@" and comma-separated options
 * (a path that exists as given is never split):
 *   weight=W   loss weight of the file's items (default 1)
 *   other=W    extra factor for its items labeled only "other" (default 1): below 1 for
 *              files whose "other" hides positives
 *   cats=C+C   the categories whose labels the file can be trusted for (default all);
 *              for the others its items are neither positive nor negative
 *   tune=0|1   whether its items take part in choosing thresholds (default 1)
 * e.g. "twitter.jsonl@weight=0.5,other=0.3,cats=deal". An id seen in several files is
 * kept once, from the file with the highest weight (the first on ties).
 *
 * Features come from the classifier built from rules_dir (rules only, no model). The
 * thresholds stored with the model are chosen by k-fold cross-validation on the
 * training items (folds by a second hash of the id): for each category, the threshold
 * that maximises F1 over the tune files' out-of-fold scores (F1 averaged over a +-0.02
 * window, so that a lone spike does not win). The final model is then fitted on all
 * training items. Deterministic: same files, order, options and rules give a
 * byte-identical model file.
 *
 * Returns 0, or NF_EINVAL (bad arguments or labeled data; errstr says which file and
 * line), NF_EIO, NF_ENOMEM, NF_ECONFIG (rules).
 */
int nf_train(const char *const *files, int nfiles, const char *rules_dir, const char *model_out,
             const nf_train_opts_t *opts, char *errstr, size_t errstr_size);

typedef enum {
    NF_SPLIT_HELDOUT = 0, /* only held-out items (default) */
    NF_SPLIT_ALL,         /* every item */
    NF_SPLIT_TRAIN,       /* only the training part */
} nf_split_t;

/* "heldout", "all", "train". */
const char *nf_split_name(nf_split_t split);

typedef struct nf_eval_opts {
    bool json;        /* one JSON document instead of text */
    nf_split_t split; /* which items to score */
    int max_ids;      /* misclassified ids listed per file; -1: all */
} nf_eval_opts_t;

/*
 * Scores classifier against each labeled file separately (never pooled) and writes the
 * report to out: per category true/false positives, false negatives, precision, recall
 * and F1; macro F1 over the categories that have gold items in the file; a confusion
 * table; the misclassified ids with gold and predicted labels.
 *
 * The confusion table is the multi-label one: rows are gold labels, columns predicted
 * labels (deal, funding, infrastructure, other), and an item adds one to every
 * (gold label, predicted label) pair it has, so an item that is exactly right adds to
 * the diagonal only.
 *
 * Lines the decoder rejects (no text, ...) are skipped and counted. Returns 0, or
 * NF_EINVAL (bad arguments, a line without valid labels: errstr names file and line),
 * NF_EIO.
 */
int nf_eval(nf_classifier_t *classifier, const char *const *files, int nfiles,
            const nf_eval_opts_t *opts, FILE *out, char *errstr, size_t errstr_size);

#endif
