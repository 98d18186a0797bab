/*
 * model: the learned layer of the classifier, a linear model with one logistic
 * regression per category over hashed features.
 *
 * Features are sparse (index, value) pairs in a fixed hashed space of 2^hash_bits
 * buckets (word unigrams and bigrams of the title and body, and rule hits), plus a few
 * dense features (the rule layer's per-category scores). nf_features_tokens() turns a
 * tokenised text into features without allocating: it writes into a caller-owned
 * nf_featvec_t of fixed capacity and drops what does not fit. The model stores, per
 * bucket, one weight per category side by side, so one feature costs one cache line
 * whatever the category count.
 *
 * Training (nf_model_fit) is deterministic: AdaGrad-scaled SGD on the logistic loss with
 * L2 shrinkage of the touched weights, a fixed number of epochs, and an example order
 * shuffled per epoch by a seeded SplitMix64 generator. The same examples, options and
 * seed give bit-identical weights.
 *
 * The model file (nf_model_save/nf_model_load) holds numbers only, never text: a header,
 * thresholds, biases, dense weights and the non-zero buckets (delta-coded bucket numbers,
 * weights as 16-bit multiples of a per-category step), little-endian, ending in an
 * FNV-1a checksum. Its layout is described in rules/classifier/README.md.
 */
#ifndef NF_MODEL_H
#define NF_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokens.h"

#define NF_MODEL_CATS  3 /* deal, funding, infrastructure (nf_category_t order) */
#define NF_MODEL_DENSE 8 /* rule scores per category x {title, body}, has_body, wire */
/* Which categories each dense feature applies to: a rule score counts for its own. */
#define NF_DENSE_CATS                                                                              \
    {                                                                                              \
        1, 1, 2, 2, 4, 4, 7, 7                                                                     \
    }
#define NF_MODEL_HASH_BITS   18 /* default size of the hashed feature space */
#define NF_MODEL_MIN_BITS    10
#define NF_MODEL_MAX_BITS    24
#define NF_TITLE_MAX_TOKENS  64   /* title tokens turned into features */
#define NF_BODY_MAX_TOKENS   320  /* body tokens turned into features (the lead) */
#define NF_TEXT_SCALE        0.2f /* value of a title n-gram feature */
#define NF_BODY_SCALE        0.9f /* body n-grams: NF_BODY_SCALE / sqrt(body tokens) */
#define NF_FEATURE_NS_TITLE  1    /* namespace: n-grams seen in the title only */
#define NF_FEATURE_NS_ANY    2    /* namespace: n-grams of title and body alike */
#define NF_FEATURE_NS_RULE_T 3    /* namespace: rule hits in the title */
#define NF_FEATURE_NS_RULE_B 4    /* namespace: rule hits in the body or summary */
#define NF_FEAT_TITLE        1u   /* nf_features_tokens: the text is a title */
#define NF_FEAT_WIRE         2u   /* also emit the wire-style copy of each feature */

typedef struct nf_feat {
    uint32_t idx; /* low 24 bits: bucket in [0, 2^hash_bits); high 8: NF_FEAT_CATS mask */
    float val;
} nf_feat_t;

/*
 * A feature may apply to some categories only (a positive rule's hit is evidence for its
 * own category, and says nothing against the others): the mask of those categories sits
 * in the top byte of idx, 0 meaning all. The model neither scores nor trains the weights
 * of the other categories for it.
 */
#define NF_FEAT_BUCKET(idx) ((idx)&0xFFFFFFu)
#define NF_FEAT_CATS(idx)   ((idx) >> 24)

/*
 * A feature vector of fixed capacity. The caller owns v (cap entries); n counts the
 * entries in use; full is set when a feature was dropped for lack of room.
 */
typedef struct nf_featvec {
    nf_feat_t *v;
    size_t n;
    size_t cap;
    bool full;
    float dense[NF_MODEL_DENSE];
} nf_featvec_t;

typedef struct nf_model {
    uint32_t hash_bits;
    float *w; /* [1 << hash_bits][NF_MODEL_CATS] and one float of padding, owned */
    float bias[NF_MODEL_CATS];
    float dense[NF_MODEL_CATS][NF_MODEL_DENSE];
    float threshold[NF_MODEL_CATS]; /* decision thresholds chosen at training time */
    float qstep[NF_MODEL_CATS];     /* weight quantisation step per category, 0 if none */
} nf_model_t;

/* Resets fv to empty (keeps its storage). */
void nf_featvec_reset(nf_featvec_t *fv);

/*
 * Appends the features of a tokenised text (tok[0..ntok): nf_tokenise() of text) to fv:
 * its terms (nf_tok_is_term: words by their token hash, numbers by their shape, digit
 * runs folded to one "0") and its currency signs (one token), as unigrams and bigrams,
 * in the NF_FEATURE_NS_ANY namespace and, with NF_FEAT_TITLE, also in
 * NF_FEATURE_NS_TITLE. With NF_FEAT_WIRE every feature is emitted once more under a
 * wire-style salt (see classify.c for why). At most max_tokens of these are read. Title
 * features weigh a fixed amount; other fields' weigh in proportion to 1/sqrt(tokens), so
 * that a long body does not drown its title. Returns the tokens read.
 */
size_t nf_features_tokens(nf_featvec_t *fv, uint32_t hash_bits, const char *text,
                          const nf_tok_t *tok, size_t ntok, unsigned flags, size_t max_tokens);

/*
 * Appends the feature of a rule (by the hash of its id) in namespace ns with value val,
 * for the categories in cats (bit mask, 0: all), and its wire-style copy with
 * NF_FEAT_WIRE.
 */
void nf_features_rule(nf_featvec_t *fv, uint32_t hash_bits, uint64_t rule_hash, int ns,
                      unsigned flags, unsigned cats, float val);

/* A new zeroed model with 2^hash_bits buckets and thresholds of 0.5; NULL on failure. */
nf_model_t *nf_model_new(uint32_t hash_bits);
/* NULL is a no-op. */
void nf_model_destroy(nf_model_t *model);

/*
 * Sets the weights that make the model score exactly like the rules-only scorer
 * (classify.c): the own-category rule scores weigh 1.5 (title) and 0.75 (body) per rule
 * point with a bias of -3. Training starts here, so that the learned layer is a
 * correction of the rules and falls back to them where the data says nothing.
 */
void nf_model_init_prior(nf_model_t *model);

/*
 * Rounds every hashed weight to a multiple of its category's step (max |w| / 32767) so
 * that the model equals, bit for bit, what nf_model_save() writes and nf_model_load()
 * reads back. Call before saving (nf_train does).
 */
void nf_model_quantize(nf_model_t *model);

/* Writes prob[c], the probability of each category, for the features fv. */
void nf_model_score(const nf_model_t *model, const nf_featvec_t *fv, float prob[NF_MODEL_CATS]);

/*
 * Loads a model file. On success returns 0 and *out owns a new model; on failure returns
 * NF_EIO, NF_EINVAL (not a model file, wrong version, bad checksum) or NF_ENOMEM and
 * describes the problem in errstr.
 */
int nf_model_load(const char *path, nf_model_t **out, char *errstr, size_t errstr_size);

/*
 * Saves model to path (written to path.tmp and renamed, so a reader never sees half a
 * file). Buckets whose weights are all zero are not stored; the others are stored as
 * multiples of the quantisation step, so a model not passed through nf_model_quantize()
 * is rounded on the way out. The bytes depend only on the model's numbers. Returns 0,
 * NF_EINVAL, NF_EIO or NF_ENOMEM.
 */
int nf_model_save(const nf_model_t *model, const char *path, char *errstr, size_t errstr_size);

/* One training example; the trainer does not own the arrays it points to. */
typedef struct nf_example {
    const nf_feat_t *feat;
    uint32_t nfeat;
    float dense[NF_MODEL_DENSE];
    uint8_t labels;   /* bit c set: the example belongs to category c */
    uint8_t cat_mask; /* bit c set: the example's label for category c is trusted */
    float weight;     /* > 0 */
} nf_example_t;

typedef struct nf_fit_opts {
    int epochs;
    float learning_rate; /* AdaGrad base rate */
    float l2;            /* shrinkage per update of a touched weight */
    uint64_t seed;       /* example order */
} nf_fit_opts_t;

/*
 * Fits model (which must be zeroed, as from nf_model_new) to the n examples. Returns 0
 * or NF_ENOMEM. Thresholds are not touched.
 */
int nf_model_fit(nf_model_t *model, const nf_example_t *ex, size_t n, const nf_fit_opts_t *opts);

/* SplitMix64: the deterministic generator used for shuffling. */
uint64_t nf_splitmix64(uint64_t *state);

#endif
