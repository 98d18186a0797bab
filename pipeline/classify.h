/*
 * classify: decides which of newsflow's categories an article belongs to (deal, funding,
 * infrastructure; none of them is "other"), how sure it is, and why.
 *
 * Two layers work together. The rule layer is data: the taxonomy and the weighted,
 * negative and hedge patterns in <rules_dir>/classifier/ (format in the README there).
 * Every regular expression of every rule is compiled into one Hyperscan database, and
 * each field of an article is scanned once by it and once by a number scanner
 * (builtin()), whatever the number of rules; the words() phrase lists are matched on the
 * field's tokens (pipeline/tokens.h), the same tokens the model's n-grams and the
 * extractors read. Its hits give evidence spans, a subtype per category, and features.
 * The learned layer is a linear model (model.h) over hashed word n-grams plus those rule
 * features, loaded from <rules_dir>/model.bin; a category's
 * score is the model's probability, and the category is assigned when the score reaches
 * its threshold (chosen at training time, adjustable with
 * nf_classifier_set_threshold()). Without a model the classifier runs on rules alone
 * (documented in the README), which is meant for tests and for bootstrapping training.
 *
 * A classifier is for one thread at a time: it owns one Hyperscan scratch and the
 * per-article working memory, so nf_classify_tokens() allocates nothing (nf_classify()
 * only grows its token buffers to the longest field seen). Use one per thread.
 */
#ifndef NF_CLASSIFY_H
#define NF_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "article.h"
#include "model.h"
#include "tokens.h"
#include "util.h"

typedef enum { NF_CAT_DEAL = 0, NF_CAT_FUNDING = 1, NF_CAT_INFRA = 2, NF_CAT__CNT } nf_category_t;

/* "deal", "funding", "infrastructure"; "other" for anything else. Never NULL. */
const char *nf_category_name(int category);
/* The category named name, or -1 (also for "other"). */
int nf_category_parse(const char *name);

typedef enum {
    NF_FIELD_TITLE = 0,
    NF_FIELD_BODY = 1,
    NF_FIELD_SUMMARY = 2,
    NF_FIELD__CNT
} nf_field_t;

/* "title", "body", "summary". */
const char *nf_field_name(int field);

#define NF_EVIDENCE_MAX 8

/*
 * One matched span: bytes [start, end) of the article's normalised field (the string in
 * nf_article_t, as the decoder left it). rule is the rule id; it points into the
 * classifier and stays valid until the classifier is destroyed.
 */
typedef struct nf_evidence {
    int field; /* nf_field_t */
    uint32_t start, end;
    const char *rule;
    float weight; /* the rule's weight */
} nf_evidence_t;

/*
 * The result for one article. Fixed-size, so that classifying allocates nothing; the
 * const char pointers (subtype, evidence rule) point into the classifier and stay valid
 * until it is destroyed: keep the classifier alive while results are in use (across a
 * rules reload, destroy the old classifier only after its results are encoded).
 */
typedef struct nf_classification {
    float score[NF_CAT__CNT];         /* probability in [0, 1] */
    bool assigned[NF_CAT__CNT];       /* score >= threshold */
    int primary;                      /* assigned category with the highest score; -1: other */
    const char *subtype[NF_CAT__CNT]; /* strongest subtype with evidence, or NULL */
    nf_evidence_t evidence[NF_CAT__CNT][NF_EVIDENCE_MAX]; /* strongest first */
    int evidence_n[NF_CAT__CNT];
    float rule_score[NF_CAT__CNT]; /* the rule layer's own score (title + body / 2) */
} nf_classification_t;

typedef struct nf_classifier nf_classifier_t;

typedef struct nf_classifier_opts {
    /*
     * Model file. NULL: <rules_dir>/model.bin, which must exist. "": no model, rules-only
     * scoring.
     */
    const char *model_path;
    /* Size of the hashed feature space when there is no model (0: NF_MODEL_HASH_BITS). */
    uint32_t hash_bits;
} nf_classifier_opts_t;

/*
 * Loads the taxonomy, the patterns and the model from rules_dir and compiles the
 * patterns into one Hyperscan database. opts may be NULL (defaults). Returns NULL on
 * failure with the reason (file, line and pattern for a bad rule) in errstr.
 */
nf_classifier_t *nf_classifier_new(const char *rules_dir, const nf_classifier_opts_t *opts,
                                   char *errstr, size_t errstr_size);
/* NULL is a no-op. */
void nf_classifier_destroy(nf_classifier_t *classifier);

/* Sets the assignment threshold of a category; t in (0, 1), else NF_EINVAL. */
int nf_classifier_set_threshold(nf_classifier_t *classifier, int category, float t);
float nf_classifier_threshold(const nf_classifier_t *classifier, int category);
/* Whether a model is loaded (false: rules-only scoring). */
bool nf_classifier_has_model(const nf_classifier_t *classifier);
/* Number of patterns compiled. */
size_t nf_classifier_pattern_count(const nf_classifier_t *classifier);

/*
 * Classifies article into *out (overwritten), its fields already tokenised: toks[f] is
 * nf_tokenise() of field f (NF_FIELD_* order; with or without a lexicon, whose cues the
 * classifier does not read; an absent field's entry is not read). The caller keeps
 * toks. Scans each present field once. Returns 0, or NF_EINVAL if Hyperscan fails
 * (logged, out cleared to "other").
 */
int nf_classify_tokens(nf_classifier_t *classifier, const nf_article_t *article,
                       const nf_toks_t toks[NF_FIELD__CNT], nf_classification_t *out);

/*
 * nf_classify_tokens() of the article tokenised here, into the classifier's own buffers:
 * for callers that do not share the tokens (training, tests). Same result. Returns as
 * nf_classify_tokens(), or NF_ENOMEM.
 */
int nf_classify(nf_classifier_t *classifier, const nf_article_t *article, nf_classification_t *out);

/*
 * The feature vector of the last nf_classify() call (for the trainer): owned by the
 * classifier, valid until the next call.
 */
const nf_featvec_t *nf_classifier_last_features(const nf_classifier_t *classifier);

/*
 * Subtype evidence of the last nf_classify() call (for the trainer): the index of a
 * subtype named "<category>.<subtype>" (-1 if unknown), and the summed strength of its
 * uncancelled hits (0 when none).
 */
int nf_classifier_subtype_index(const nf_classifier_t *classifier, const char *name);
float nf_classifier_last_subtype_score(const nf_classifier_t *classifier, int subtype);

/*
 * Appends the classification to an event being written, exactly:
 *   ,"categories":[{"name":"deal","score":0.93,"subtype":"acquisition","evidence":
 *   [{"field":"title","start":0,"end":12,"text":"...","rule":"deal.acquisition.verb"}]}],
 *   "primary_category":"deal"
 * categories lists the assigned ones only (highest score first), subtype is omitted when
 * there is none, primary_category is "other" when none is assigned. article must be the
 * one classified (evidence text is cut from its fields).
 */
void nf_classification_encode(const nf_classification_t *cls, const nf_article_t *article,
                              nf_buf_t *out);

#endif
