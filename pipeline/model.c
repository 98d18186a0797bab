/*
 * model: hashed features, the per-category logistic regressions, their training and
 * their file format.
 *
 * The features' tokens are the pipeline's own (pipeline/tokens.h): the terms (words and
 * numbers) of nf_tokenise(), by the hash it already computed, so a field is split and
 * hashed once for the classifier, the model and extraction alike. On top of that view
 * the model folds number shapes (every run of digits, with inner '.' or ',', is one "0",
 * so "$50B" and "$3.9M" share "$ 0b"/"$ 0m") and makes every currency sign ($, €, £, ¥)
 * one token; other punctuation is not a token. Unigram and bigram hashes are salted per
 * namespace before they are cut to a bucket.
 */
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "err.h"
#include "util.h"

#define MODEL_MAGIC   "NFCM"
#define MODEL_VERSION 1u

/* Salts that keep namespaces (and unigrams from bigrams) apart in the hashed space. */
static const uint64_t ns_salt[5] = {0, 0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL,
                                    0x94d049bb133111ebULL, 0x2545f4914f6cdd1dULL};
#define BIGRAM_SALT   0x6a09e667f3bcc909ULL
#define WIRE_SALT     0xbb67ae8584caa73bULL
#define CURRENCY_HASH 0x3c6ef372fe94f82bULL /* the one token of every currency sign */

/* The finaliser of SplitMix64/MurmurHash3: spreads FNV's weak low bits. */
static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline uint32_t bucket_of(uint64_t h, uint32_t bits)
{
    return (uint32_t)(mix64(h) >> (64 - bits));
}

static inline void push(nf_featvec_t *fv, uint32_t idx, float val)
{
    if (fv->n >= fv->cap) {
        fv->full = true;
        return;
    }
    fv->v[fv->n].idx = idx;
    fv->v[fv->n].val = val;
    fv->n++;
}

void nf_featvec_reset(nf_featvec_t *fv)
{
    fv->n = 0;
    fv->full = false;
    memset(fv->dense, 0, sizeof(fv->dense));
}

/*
 * The model's hash of a number token: its digit runs (with the '.' and ',' inside them)
 * fold to one "0" and its letters are lower-cased, so "$50B" and "$3.9B" share the
 * n-gram "$ 0b" and every year is the same "0". Numbers are a few tokens in twenty,
 * so hashing them a second time, for their shape, costs little.
 */
static uint64_t number_shape(const char *text, const nf_tok_t *tok)
{
    char buf[32];
    size_t n = 0;
    bool digits = false;
    for (uint32_t i = 0; i < tok->len && n < sizeof(buf); i++) {
        unsigned char c = (unsigned char)text[tok->start + i];
        if (c >= '0' && c <= '9') {
            if (!digits)
                buf[n++] = '0';
            digits = true;
        } else if ((c == '.' || c == ',') && digits) {
            continue;
        } else {
            buf[n++] = (char)c;
            digits = false;
        }
    }
    return nf_tok_hash(buf, n);
}

/* Whether a punctuation token is a currency sign: $, £, ¥, or U+20A0..U+20CF (€, ₹, ...). */
static bool is_currency(const char *text, const nf_tok_t *tok)
{
    const unsigned char *p = (const unsigned char *)text + tok->start;
    return p[0] == '$' || (tok->len == 2 && p[0] == 0xC2 && (p[1] == 0xA3 || p[1] == 0xA5)) ||
           (tok->len == 3 && p[0] == 0xE2 && p[1] == 0x82);
}

/*
 * A bucket of an n-gram hash in a namespace. Token hashes come out of nf_tokenise fully
 * mixed, so one multiply-shift of the salted hash spreads them; no finaliser per feature.
 */
static inline uint32_t ngram_bucket(uint64_t h, uint64_t salt, uint32_t bits)
{
    return (uint32_t)(((h ^ salt) * 0x9e3779b97f4a7c15ULL) >> (64 - bits));
}

/* The value of every body n-gram feature of a body of ntok > 0 terms. */
static inline float body_value(size_t ntok)
{
    float scale = NF_BODY_SCALE / NF_TEXT_SCALE / sqrtf((float)ntok);
    return NF_TEXT_SCALE * scale;
}

/*
 * The features of one term of hash h after the term of hash prev (have_prev), written
 * at *o up to oend (what does not fit is dropped and *full set): its unigram in each of
 * the nsalts namespaces, then its bigram in each. bsalts[k] is salts[k] ^ BIGRAM_SALT,
 * so the bigram's bucket is one xor, multiply and shift away from the chained key.
 * Inlined with a constant nsalts, so that the loops over the namespaces unroll.
 */
static inline nf_feat_t *term_features(nf_feat_t *o, const nf_feat_t *oend, bool *full, uint64_t h,
                                       uint64_t prev, bool have_prev, const uint64_t *salts,
                                       const uint64_t *bsalts, int nsalts, uint32_t bits, float val)
{
    for (int k = 0; k < nsalts; k++) {
        if (o == oend) {
            *full = true;
            return o;
        }
        *o++ = (nf_feat_t){ngram_bucket(h, salts[k], bits), val};
    }
    if (have_prev) {
        uint64_t bg = nf_tok_chain(prev, h);
        for (int k = 0; k < nsalts; k++) {
            if (o == oend) {
                *full = true;
                return o;
            }
            *o++ = (nf_feat_t){ngram_bucket(bg, bsalts[k], bits), val};
        }
    }
    return o;
}

/*
 * The hash a token stands for in the n-grams, in *h: a word's token hash, a number's
 * shape, CURRENCY_HASH for a currency sign. False for other punctuation, which is no term.
 */
static inline bool term_hash(const char *text, const nf_tok_t *t, uint64_t *h)
{
    if (!(t->flags & (NF_TOK_PUNCT | NF_TOK_NUM))) {
        *h = t->hash;
        return true;
    }
    if (t->flags & NF_TOK_NUM) {
        *h = number_shape(text, t);
        return true;
    }
    *h = CURRENCY_HASH;
    return is_currency(text, t);
}

/*
 * nf_features_tokens' loop over the tokens, with nsalts a constant where it is inlined.
 * Writes from fv->v[fv->n] on and returns the terms read; fv->n is the caller's to set.
 * The first term has no bigram; after it, as long as the vector surely has room for a
 * term's features, they are written without a test each.
 */
static inline size_t text_features(nf_featvec_t *fv, uint32_t bits, const char *text,
                                   const nf_tok_t *tok, size_t ntok_in, size_t max_tokens,
                                   const uint64_t *salts, int nsalts, float val, nf_feat_t **end)
{
    uint64_t bsalts[4], prev = 0, h;
    nf_feat_t *o = fv->v + fv->n;
    const nf_feat_t *oend = fv->v + fv->cap;
    size_t ntok = 0, i = 0;
    bool full = fv->full;
    for (int k = 0; k < nsalts; k++)
        bsalts[k] = salts[k] ^ BIGRAM_SALT;
    for (; i < ntok_in && max_tokens > 0; i++) {
        if (term_hash(text, &tok[i], &h)) {
            o = term_features(o, oend, &full, h, 0, false, salts, bsalts, nsalts, bits, val);
            ntok = 1;
            prev = h;
            i++;
            break;
        }
    }
    /* the terms whose features surely fit, up to max_tokens: no test per feature */
    size_t fit = (size_t)(oend - o) / (size_t)(2 * nsalts);
    size_t lim = max_tokens - ntok < fit ? max_tokens : ntok + fit;
    for (; i < ntok_in && ntok < lim; i++) {
        if (!term_hash(text, &tok[i], &h))
            continue;
        ntok++;
        uint64_t bg = nf_tok_chain(prev, h);
        for (int k = 0; k < nsalts; k++)
            o[k] = (nf_feat_t){ngram_bucket(h, salts[k], bits), val};
        for (int k = 0; k < nsalts; k++)
            o[nsalts + k] = (nf_feat_t){ngram_bucket(bg, bsalts[k], bits), val};
        o += 2 * nsalts;
        prev = h;
    }
    /* a vector nearly full: the rest feature by feature, dropping what does not fit */
    for (; i < ntok_in && ntok < max_tokens; i++) {
        if (!term_hash(text, &tok[i], &h))
            continue;
        ntok++;
        o = term_features(o, oend, &full, h, prev, true, salts, bsalts, nsalts, bits, val);
        prev = h;
    }
    fv->full = full;
    *end = o;
    return ntok;
}

size_t nf_features_tokens(nf_featvec_t *fv, uint32_t hash_bits, const char *text,
                          const nf_tok_t *tok, size_t ntok_in, unsigned flags, size_t max_tokens)
{
    size_t ntok, first = fv->n;
    uint64_t salts[4];
    bool title = flags & NF_FEAT_TITLE;
    int nsalts = 0;
    nf_feat_t *end;

    salts[nsalts++] = ns_salt[NF_FEATURE_NS_ANY];
    if (title)
        salts[nsalts++] = ns_salt[NF_FEATURE_NS_TITLE];
    if (flags & NF_FEAT_WIRE) {
        salts[nsalts++] = ns_salt[NF_FEATURE_NS_ANY] ^ WIRE_SALT;
        if (title)
            salts[nsalts++] = ns_salt[NF_FEATURE_NS_TITLE] ^ WIRE_SALT;
    }
    /*
     * Body features weigh NF_BODY_SCALE / sqrt(terms read). A body of at least
     * max_tokens terms (the usual 3 KB article) gets that weight as it is written; a
     * shorter one is written at NF_TEXT_SCALE and set to its own weight after. Either
     * way a value is the one product NF_TEXT_SCALE * scale, as before.
     */
    float val = title ? NF_TEXT_SCALE : body_value(max_tokens);
    if (nsalts == 1)
        ntok = text_features(fv, hash_bits, text, tok, ntok_in, max_tokens, salts, 1, val, &end);
    else if (nsalts == 2)
        ntok = text_features(fv, hash_bits, text, tok, ntok_in, max_tokens, salts, 2, val, &end);
    else
        ntok = text_features(fv, hash_bits, text, tok, ntok_in, max_tokens, salts, 4, val, &end);
    fv->n = (size_t)(end - fv->v);
    if (!title && ntok > 0 && ntok != max_tokens) {
        val = body_value(ntok);
        for (size_t k = first; k < fv->n; k++)
            fv->v[k].val = val;
    }
    return ntok;
}

void nf_features_rule(nf_featvec_t *fv, uint32_t hash_bits, uint64_t rule_hash, int ns,
                      unsigned flags, unsigned cats, float val)
{
    uint64_t salt = ns_salt[(unsigned)ns < 5 ? ns : NF_FEATURE_NS_RULE_T];
    uint32_t mask = (cats & 0xFFu) << 24;
    push(fv, bucket_of(rule_hash ^ salt, hash_bits) | mask, val);
    if (flags & NF_FEAT_WIRE)
        push(fv, bucket_of(rule_hash ^ salt ^ WIRE_SALT, hash_bits) | mask, val);
}

nf_model_t *nf_model_new(uint32_t hash_bits)
{
    if (hash_bits < NF_MODEL_MIN_BITS || hash_bits > NF_MODEL_MAX_BITS)
        return NULL;
    nf_model_t *model = calloc(1, sizeof(*model));
    if (!model)
        return NULL;
    model->hash_bits = hash_bits;
    /* one float more than the buckets: margins() reads a bucket as four floats */
    model->w = calloc(((size_t)1 << hash_bits) * NF_MODEL_CATS + 1, sizeof(float));
    if (!model->w) {
        free(model);
        return NULL;
    }
    for (int c = 0; c < NF_MODEL_CATS; c++)
        model->threshold[c] = 0.5f;
    return model;
}

void nf_model_destroy(nf_model_t *model)
{
    if (!model)
        return;
    free(model->w);
    free(model);
}

static inline float sigmoid(float z)
{
    if (z > 30.0f)
        z = 30.0f;
    else if (z < -30.0f)
        z = -30.0f;
    return 1.0f / (1.0f + expf(-z));
}

static const uint8_t dense_cats[NF_MODEL_DENSE] = NF_DENSE_CATS;

#if defined(__SSE2__)
_Static_assert(NF_MODEL_CATS == 3, "margins() adds a bucket's weights as four floats");

/*
 * acc + a feature's products in lanes 0..2 (lane 3 is not a category). A feature of
 * some categories only changes theirs: the others keep acc's lanes bit for bit.
 */
static inline __m128 add_feature(__m128 acc, const float *w, const nf_feat_t *f)
{
    uint32_t idx = f->idx;
    if (idx == NF_FEAT_BUCKET(idx)) /* all categories: idx is the bucket */
        return _mm_add_ps(
            acc, _mm_mul_ps(_mm_loadu_ps(w + (size_t)idx * NF_MODEL_CATS), _mm_set1_ps(f->val)));
    unsigned cats = NF_FEAT_CATS(idx);
    __m128 wb = _mm_loadu_ps(w + (size_t)NF_FEAT_BUCKET(idx) * NF_MODEL_CATS);
    __m128 sum = _mm_add_ps(acc, _mm_mul_ps(wb, _mm_set1_ps(f->val)));
    __m128 on = _mm_castsi128_ps(
        _mm_setr_epi32(-(int)(cats & 1), -(int)((cats >> 1) & 1), -(int)((cats >> 2) & 1), 0));
    return _mm_or_ps(_mm_and_ps(on, sum), _mm_andnot_ps(on, acc));
}
#endif

static void margins(const nf_model_t *model, const nf_feat_t *feat, size_t n, const float *dense,
                    float z[NF_MODEL_CATS])
{
    for (int c = 0; c < NF_MODEL_CATS; c++) {
        float s = model->bias[c];
        for (int d = 0; d < NF_MODEL_DENSE; d++)
            if ((dense_cats[d] >> c) & 1)
                s += model->dense[c][d] * dense[d];
        z[c] = s;
    }
    const float *w = model->w;
#if defined(__SSE2__)
    /*
     * One feature is one multiply and one add of four lanes: a bucket's three weights
     * and (ignored) the next bucket's first, or the padding float after the last. Each
     * lane adds the same products in the same order as the scalar loop below, so the
     * margins are bit for bit the same.
     */
    __m128 acc = _mm_setr_ps(z[0], z[1], z[2], 0.0f);
    size_t k = 0;
    /* the weights are megabytes and the buckets random: ask for them ahead */
    for (; k + 9 < n; k += 2) { /* two at a time: half the loop's own instructions */
        __builtin_prefetch(w + (size_t)NF_FEAT_BUCKET(feat[k + 8].idx) * NF_MODEL_CATS);
        __builtin_prefetch(w + (size_t)NF_FEAT_BUCKET(feat[k + 9].idx) * NF_MODEL_CATS);
        acc = add_feature(acc, w, &feat[k]);
        acc = add_feature(acc, w, &feat[k + 1]);
    }
    for (; k < n; k++)
        acc = add_feature(acc, w, &feat[k]);
    float lanes[4];
    _mm_storeu_ps(lanes, acc);
    for (int c = 0; c < NF_MODEL_CATS; c++)
        z[c] = lanes[c];
#else
    for (size_t k = 0; k < n; k++) {
        if (k + 8 < n)
            __builtin_prefetch(w + (size_t)NF_FEAT_BUCKET(feat[k + 8].idx) * NF_MODEL_CATS);
        uint32_t idx = feat[k].idx, cats = NF_FEAT_CATS(idx);
        const float *wb = w + (size_t)NF_FEAT_BUCKET(idx) * NF_MODEL_CATS;
        float v = feat[k].val;
        if (!cats) {
            z[0] += wb[0] * v;
            z[1] += wb[1] * v;
            z[2] += wb[2] * v;
        } else {
            for (int c = 0; c < NF_MODEL_CATS; c++)
                if ((cats >> c) & 1)
                    z[c] += wb[c] * v;
        }
    }
#endif
}

void nf_model_score(const nf_model_t *model, const nf_featvec_t *fv, float prob[NF_MODEL_CATS])
{
    float z[NF_MODEL_CATS];
    margins(model, fv->v, fv->n, fv->dense, z);
    for (int c = 0; c < NF_MODEL_CATS; c++)
        prob[c] = sigmoid(z[c]);
}

uint64_t nf_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/*
 * AdaGrad keeps one squared-gradient sum per weight, so that rare features (most
 * n-grams) keep a large step while frequent ones settle. L2 shrinkage is applied only
 * when a weight is touched: exact decay of all 2^bits weights per step would cost far
 * more than the examples themselves and changes little for sparse text features.
 */
int nf_model_fit(nf_model_t *model, const nf_example_t *ex, size_t n, const nf_fit_opts_t *opts)
{
    size_t nb = (size_t)1 << model->hash_bits;
    float *g2 = calloc(nb, NF_MODEL_CATS * sizeof(float));
    size_t *order = malloc((n ? n : 1) * sizeof(*order));
    float g2_bias[NF_MODEL_CATS] = {0}, g2_dense[NF_MODEL_CATS][NF_MODEL_DENSE] = {{0}};
    if (!g2 || !order) {
        free(g2);
        free(order);
        return NF_ENOMEM;
    }
    const float eps = 1e-6f, lr = opts->learning_rate, keep = 1.0f - opts->l2;
    uint64_t rng = opts->seed;
    for (size_t i = 0; i < n; i++)
        order[i] = i;

    for (int epoch = 0; epoch < opts->epochs; epoch++) {
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)(nf_splitmix64(&rng) % i);
            size_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t k = 0; k < n; k++) {
            const nf_example_t *e = &ex[order[k]];
            float z[NF_MODEL_CATS], g[NF_MODEL_CATS];
            margins(model, e->feat, e->nfeat, e->dense, z);
            for (int c = 0; c < NF_MODEL_CATS; c++) {
                float y = (e->labels >> c) & 1 ? 1.0f : 0.0f;
                g[c] = (e->cat_mask >> c) & 1 ? (sigmoid(z[c]) - y) * e->weight : 0.0f;
                if (g[c] == 0.0f)
                    continue;
                g2_bias[c] += g[c] * g[c];
                model->bias[c] -= lr * g[c] / sqrtf(g2_bias[c] + eps);
                for (int d = 0; d < NF_MODEL_DENSE; d++) {
                    if (!((dense_cats[d] >> c) & 1))
                        continue;
                    float gd = g[c] * e->dense[d];
                    if (gd == 0.0f)
                        continue;
                    g2_dense[c][d] += gd * gd;
                    model->dense[c][d] =
                        model->dense[c][d] * keep - lr * gd / sqrtf(g2_dense[c][d] + eps);
                }
            }
            for (uint32_t f = 0; f < e->nfeat; f++) {
                uint32_t idx = e->feat[f].idx, cats = NF_FEAT_CATS(idx);
                size_t base = (size_t)NF_FEAT_BUCKET(idx) * NF_MODEL_CATS;
                float v = e->feat[f].val;
                for (int c = 0; c < NF_MODEL_CATS; c++) {
                    float gf = g[c] * v;
                    if (gf == 0.0f || (cats && !((cats >> c) & 1)))
                        continue;
                    g2[base + c] += gf * gf;
                    model->w[base + c] =
                        model->w[base + c] * keep - lr * gf / sqrtf(g2[base + c] + eps);
                }
            }
        }
    }
    free(g2);
    free(order);
    return NF_OK;
}

void nf_model_init_prior(nf_model_t *model)
{
    for (int c = 0; c < NF_MODEL_CATS; c++) {
        /* dense features are rule scores / 4 (classify.c): 1.5 * 4 and 0.75 * 4 */
        model->dense[c][2 * c] = 6.0f;
        model->dense[c][2 * c + 1] = 3.0f;
        model->bias[c] = -3.0f;
    }
}

#define QMAX 32767

static float quant_step(const nf_model_t *model, int c)
{
    size_t nb = (size_t)1 << model->hash_bits;
    float max = 0.0f;
    for (size_t b = 0; b < nb; b++) {
        float a = fabsf(model->w[b * NF_MODEL_CATS + c]);
        if (a > max)
            max = a;
    }
    return max > 0.0f ? max / QMAX : 0.0f;
}

static int16_t quant(float w, float step)
{
    if (step == 0.0f)
        return 0;
    long q = lrintf(w / step);
    return (int16_t)(q > QMAX ? QMAX : q < -QMAX ? -QMAX : q);
}

void nf_model_quantize(nf_model_t *model)
{
    size_t nb = (size_t)1 << model->hash_bits;
    for (int c = 0; c < NF_MODEL_CATS; c++) {
        float step = quant_step(model, c);
        model->qstep[c] = step;
        for (size_t b = 0; b < nb; b++) {
            float *w = &model->w[b * NF_MODEL_CATS + c];
            *w = (float)quant(*w, step) * step;
        }
    }
}

/* ---- file format ---- */

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_f32(unsigned char *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, sizeof(v));
    put_u32(p, v);
}

static float get_f32(const unsigned char *p)
{
    uint32_t v = get_u32(p);
    float f;
    memcpy(&f, &v, sizeof(f));
    return f;
}

/* LEB128: 7 bits a byte, low first, high bit set on all but the last byte. */
static size_t put_varint(unsigned char *p, uint32_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

static bool get_varint(const unsigned char **p, const unsigned char *end, uint32_t *v)
{
    uint32_t r = 0;
    for (int shift = 0; shift < 35 && *p < end; shift += 7) {
        unsigned char b = *(*p)++;
        r |= (uint32_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

#define HEADER_BYTES (4 + 4 * 4)
#define FIXED_FLOATS (NF_MODEL_CATS * (3 + NF_MODEL_DENSE))
#define ENTRY_MAX    (5 + 2 * NF_MODEL_CATS)

int nf_model_save(const nf_model_t *model, const char *path, char *errstr, size_t errstr_size)
{
    size_t nb = (size_t)1 << model->hash_bits, nnz = 0;
    float step[NF_MODEL_CATS];
    for (int c = 0; c < NF_MODEL_CATS; c++)
        step[c] = model->qstep[c] > 0.0f ? model->qstep[c] : quant_step(model, c);
    for (size_t b = 0; b < nb; b++) {
        const float *w = model->w + b * NF_MODEL_CATS;
        if (quant(w[0], step[0]) || quant(w[1], step[1]) || quant(w[2], step[2]))
            nnz++;
    }
    size_t cap = HEADER_BYTES + 4 * FIXED_FLOATS + 4 + nnz * ENTRY_MAX + 8;
    unsigned char *buf = malloc(cap), *p = buf;
    if (!buf) {
        snprintf(errstr, errstr_size, "out of memory for a %zu-byte model", cap);
        return NF_ENOMEM;
    }
    memcpy(p, MODEL_MAGIC, 4);
    put_u32(p + 4, MODEL_VERSION);
    put_u32(p + 8, NF_MODEL_CATS);
    put_u32(p + 12, NF_MODEL_DENSE);
    put_u32(p + 16, model->hash_bits);
    p += HEADER_BYTES;
    for (int c = 0; c < NF_MODEL_CATS; c++, p += 4)
        put_f32(p, model->threshold[c]);
    for (int c = 0; c < NF_MODEL_CATS; c++, p += 4)
        put_f32(p, model->bias[c]);
    for (int c = 0; c < NF_MODEL_CATS; c++)
        for (int d = 0; d < NF_MODEL_DENSE; d++, p += 4)
            put_f32(p, model->dense[c][d]);
    for (int c = 0; c < NF_MODEL_CATS; c++, p += 4)
        put_f32(p, step[c]);
    put_u32(p, (uint32_t)nnz);
    p += 4;
    size_t next = 0; /* entries store the bucket's distance from the previous one + 1 */
    for (size_t b = 0; b < nb; b++) {
        const float *w = model->w + b * NF_MODEL_CATS;
        int16_t q[NF_MODEL_CATS];
        for (int c = 0; c < NF_MODEL_CATS; c++)
            q[c] = quant(w[c], step[c]);
        if (!q[0] && !q[1] && !q[2])
            continue;
        p += put_varint(p, (uint32_t)(b - next));
        next = b + 1;
        for (int c = 0; c < NF_MODEL_CATS; c++, p += 2) {
            uint16_t u = (uint16_t)q[c];
            p[0] = (unsigned char)u;
            p[1] = (unsigned char)(u >> 8);
        }
    }
    uint64_t sum = nf_fnv1a(NF_FNV_SEED, buf, (size_t)(p - buf));
    put_u32(p, (uint32_t)sum);
    put_u32(p + 4, (uint32_t)(sum >> 32));
    p += 8;
    size_t size = (size_t)(p - buf);

    char tmp[4096];
    int rc = NF_OK;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        snprintf(errstr, errstr_size, "model path too long: %s", path);
        free(buf);
        return NF_EINVAL;
    }
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        snprintf(errstr, errstr_size, "cannot create %s: %s", tmp, strerror(errno));
        free(buf);
        return NF_EIO;
    }
    if (fwrite(buf, 1, size, fp) != size) {
        snprintf(errstr, errstr_size, "cannot write %s: %s", tmp, strerror(errno));
        rc = NF_EIO;
    }
    if (fclose(fp) != 0 && rc == NF_OK) {
        snprintf(errstr, errstr_size, "cannot write %s: %s", tmp, strerror(errno));
        rc = NF_EIO;
    }
    if (rc == NF_OK && rename(tmp, path) != 0) {
        snprintf(errstr, errstr_size, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        rc = NF_EIO;
    }
    if (rc != NF_OK)
        remove(tmp);
    free(buf);
    return rc;
}

static unsigned char *read_all(const char *path, size_t *len, char *errstr, size_t errstr_size,
                               int *rc)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(errstr, errstr_size, "cannot open model %s: %s", path, strerror(errno));
        *rc = errno == ENOENT ? NF_ENOENT : NF_EIO;
        return NULL;
    }
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 1 << 16;
            unsigned char *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                free(buf);
                fclose(fp);
                snprintf(errstr, errstr_size, "out of memory reading %s", path);
                *rc = NF_ENOMEM;
                return NULL;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        free(buf);
        fclose(fp);
        snprintf(errstr, errstr_size, "cannot read %s", path);
        *rc = NF_EIO;
        return NULL;
    }
    fclose(fp);
    *len = n;
    return buf;
}

int nf_model_load(const char *path, nf_model_t **out, char *errstr, size_t errstr_size)
{
    size_t len = 0;
    int rc = NF_OK;
    unsigned char *buf = read_all(path, &len, errstr, errstr_size, &rc);
    if (!buf)
        return rc;
    nf_model_t *model = NULL;
    rc = NF_EINVAL;
    if (len < HEADER_BYTES + 4 * FIXED_FLOATS + 4 + 8 || memcmp(buf, MODEL_MAGIC, 4) != 0) {
        snprintf(errstr, errstr_size, "%s is not a newsflow model file", path);
        goto done;
    }
    uint64_t sum = nf_fnv1a(NF_FNV_SEED, buf, len - 8);
    if (get_u32(buf + len - 8) != (uint32_t)sum ||
        get_u32(buf + len - 4) != (uint32_t)(sum >> 32)) {
        snprintf(errstr, errstr_size, "%s: checksum mismatch (truncated or corrupt)", path);
        goto done;
    }
    uint32_t version = get_u32(buf + 4), cats = get_u32(buf + 8), dense = get_u32(buf + 12);
    uint32_t bits = get_u32(buf + 16);
    if (version != MODEL_VERSION || cats != NF_MODEL_CATS || dense != NF_MODEL_DENSE) {
        snprintf(errstr, errstr_size,
                 "%s: unsupported model (version %u, %u categories, %u dense features)", path,
                 version, cats, dense);
        goto done;
    }
    if (bits < NF_MODEL_MIN_BITS || bits > NF_MODEL_MAX_BITS) {
        snprintf(errstr, errstr_size, "%s: hash size of %u bits out of range", path, bits);
        goto done;
    }
    const unsigned char *p = buf + HEADER_BYTES;
    const unsigned char *end = buf + len - 8;
    model = nf_model_new(bits);
    if (!model) {
        snprintf(errstr, errstr_size, "out of memory for a %u-bit model", bits);
        rc = NF_ENOMEM;
        goto done;
    }
    for (int c = 0; c < NF_MODEL_CATS; c++, p += 4)
        model->threshold[c] = get_f32(p);
    for (int c = 0; c < NF_MODEL_CATS; c++, p += 4)
        model->bias[c] = get_f32(p);
    for (int c = 0; c < NF_MODEL_CATS; c++)
        for (int d = 0; d < NF_MODEL_DENSE; d++, p += 4)
            model->dense[c][d] = get_f32(p);
    for (int c = 0; c < NF_MODEL_CATS; c++, p += 4)
        model->qstep[c] = get_f32(p);
    uint32_t nnz = get_u32(p);
    p += 4;
    size_t next = 0;
    for (uint32_t k = 0; k < nnz; k++) {
        uint32_t delta;
        if (!get_varint(&p, end, &delta) || end - p < 2 * NF_MODEL_CATS) {
            snprintf(errstr, errstr_size, "%s: weight entry %u is truncated", path, k);
            goto done;
        }
        size_t b = next + delta;
        if (b >> bits) {
            snprintf(errstr, errstr_size, "%s: bucket %zu out of range", path, b);
            goto done;
        }
        for (int c = 0; c < NF_MODEL_CATS; c++, p += 2) {
            int16_t q = (int16_t)(uint16_t)(p[0] | p[1] << 8);
            model->w[b * NF_MODEL_CATS + c] = (float)q * model->qstep[c];
        }
        next = b + 1;
    }
    if (p != end) {
        snprintf(errstr, errstr_size, "%s: %zu unexpected bytes after the weights", path,
                 (size_t)(end - p));
        goto done;
    }
    for (int c = 0; c < NF_MODEL_CATS; c++) {
        float t = model->threshold[c];
        if (!(t > 0.0f && t < 1.0f) || !isfinite(model->bias[c]) || !isfinite(model->qstep[c])) {
            snprintf(errstr, errstr_size, "%s: category %d: threshold, bias or step invalid", path,
                     c);
            goto done;
        }
    }
    rc = NF_OK;
    *out = model;
    model = NULL;
done:
    nf_model_destroy(model);
    free(buf);
    return rc;
}
