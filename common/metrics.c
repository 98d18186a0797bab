/*
 * metrics: a small Prometheus registry (see metrics.h). Series of a labelled metric
 * live in a plain array searched linearly: label values are few (topics, reasons,
 * rules, partitions), and a lookup is cheaper than hashing at that size.
 */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct series {
    char *value; /* label value, NULL for the unlabelled series */
    double v;    /* counter / gauge value; histogram sum */
    uint64_t count;
    uint64_t *buckets; /* histogram: cumulative counts are computed at render time */
} series_t;

struct nf_metric {
    nf_metric_type_t type;
    char *name, *help, *label;
    double *bounds;
    int nbounds;
    series_t *series;
    int nseries, cap;
    nf_metric_t *next;
};

struct nf_metrics {
    nf_metric_t *head, *tail;
};

nf_metrics_t *nf_metrics_new(void)
{
    return calloc(1, sizeof(nf_metrics_t));
}

static void metric_free(nf_metric_t *m)
{
    for (int i = 0; i < m->nseries; i++) {
        free(m->series[i].value);
        free(m->series[i].buckets);
    }
    free(m->series);
    free(m->bounds);
    free(m->name);
    free(m->help);
    free(m->label);
    free(m);
}

void nf_metrics_destroy(nf_metrics_t *metrics)
{
    if (!metrics)
        return;
    nf_metric_t *m = metrics->head;
    while (m) {
        nf_metric_t *next = m->next;
        metric_free(m);
        m = next;
    }
    free(metrics);
}

nf_metric_t *nf_metric_new(nf_metrics_t *metrics, nf_metric_type_t type, const char *name,
                           const char *help, const char *label, const double *buckets, int nbuckets)
{
    nf_metric_t *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->type = type;
    m->name = strdup(name);
    m->help = strdup(help);
    m->label = label ? strdup(label) : NULL;
    if (type == NF_METRIC_HISTOGRAM && nbuckets > 0) {
        m->bounds = malloc((size_t)nbuckets * sizeof(*m->bounds));
        if (m->bounds)
            memcpy(m->bounds, buckets, (size_t)nbuckets * sizeof(*m->bounds));
        m->nbounds = nbuckets;
    }
    if (!m->name || !m->help || (label && !m->label) ||
        (type == NF_METRIC_HISTOGRAM && nbuckets > 0 && !m->bounds)) {
        metric_free(m);
        return NULL;
    }
    if (metrics->tail)
        metrics->tail->next = m;
    else
        metrics->head = m;
    metrics->tail = m;
    return m;
}

static series_t *series_get(nf_metric_t *m, const char *value, bool create)
{
    for (int i = 0; i < m->nseries; i++) {
        const char *v = m->series[i].value;
        if ((!v && !value) || (v && value && !strcmp(v, value)))
            return &m->series[i];
    }
    if (!create)
        return NULL;
    if (m->nseries == m->cap) {
        int cap = m->cap ? m->cap * 2 : 4;
        series_t *s = realloc(m->series, (size_t)cap * sizeof(*s));
        if (!s)
            return NULL;
        m->series = s;
        m->cap = cap;
    }
    series_t *s = &m->series[m->nseries];
    memset(s, 0, sizeof(*s));
    if (value && !(s->value = strdup(value)))
        return NULL;
    if (m->type == NF_METRIC_HISTOGRAM &&
        !(s->buckets = calloc((size_t)m->nbounds + 1, sizeof(*s->buckets)))) {
        free(s->value);
        return NULL;
    }
    m->nseries++;
    return s;
}

void nf_metric_add(nf_metric_t *m, const char *value, double v)
{
    series_t *s = m ? series_get(m, value, true) : NULL;
    if (s)
        s->v += v;
}

void nf_metric_set(nf_metric_t *m, const char *value, double v)
{
    series_t *s = m ? series_get(m, value, true) : NULL;
    if (s)
        s->v = v;
}

void nf_metric_observe(nf_metric_t *m, const char *value, double v)
{
    series_t *s = m ? series_get(m, value, true) : NULL;
    if (!s)
        return;
    int i = 0;
    while (i < m->nbounds && v > m->bounds[i])
        i++;
    s->buckets[i]++;
    s->count++;
    s->v += v;
}

double nf_metric_get(const nf_metric_t *m, const char *value)
{
    const series_t *s = series_get((nf_metric_t *)m, value, false);
    return s ? s->v : 0;
}

double nf_metric_quantile(const nf_metric_t *m, const char *value, double q)
{
    const series_t *s = series_get((nf_metric_t *)m, value, false);
    if (!s || !s->count)
        return NAN;
    double rank = q * (double)s->count;
    uint64_t cum = 0;
    for (int i = 0; i <= m->nbounds; i++) {
        uint64_t prev = cum;
        cum += s->buckets[i];
        if ((double)cum >= rank && s->buckets[i]) {
            if (i == m->nbounds)
                return m->nbounds ? m->bounds[m->nbounds - 1] : NAN;
            double lo = i ? m->bounds[i - 1] : 0, hi = m->bounds[i];
            return lo + (hi - lo) * (rank - (double)prev) / (double)s->buckets[i];
        }
    }
    return m->nbounds ? m->bounds[m->nbounds - 1] : NAN;
}

void nf_metric_reset(nf_metric_t *m)
{
    for (int i = 0; i < m->nseries; i++) {
        free(m->series[i].value);
        free(m->series[i].buckets);
    }
    m->nseries = 0;
}

/* Label values are escaped as the text format requires: backslash, quote, newline. */
static void label_pair(nf_buf_t *out, const char *name, const char *value)
{
    nf_buf_printf(out, "%s=\"", name);
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == '"')
            nf_buf_append(out, "\\", 1);
        if (*p == '\n')
            nf_buf_puts(out, "\\n");
        else
            nf_buf_append(out, p, 1);
    }
    nf_buf_append(out, "\"", 1);
}

static void labels(nf_buf_t *out, const nf_metric_t *m, const series_t *s, const char *le)
{
    bool any = (m->label && s->value) || le;
    if (!any)
        return;
    nf_buf_append(out, "{", 1);
    if (m->label && s->value)
        label_pair(out, m->label, s->value);
    if (le) {
        if (m->label && s->value)
            nf_buf_append(out, ",", 1);
        label_pair(out, "le", le);
    }
    nf_buf_append(out, "}", 1);
}

void nf_metrics_render(const nf_metrics_t *metrics, nf_buf_t *out)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    for (const nf_metric_t *m = metrics->head; m; m = m->next) {
        nf_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
                      types[m->type]);
        if (!m->nseries && !m->label && m->type != NF_METRIC_HISTOGRAM)
            nf_buf_printf(out, "%s 0\n", m->name);
        for (int i = 0; i < m->nseries; i++) {
            const series_t *s = &m->series[i];
            if (m->type != NF_METRIC_HISTOGRAM) {
                nf_buf_puts(out, m->name);
                labels(out, m, s, NULL);
                nf_buf_printf(out, " %.17g\n", s->v);
                continue;
            }
            uint64_t cum = 0;
            for (int b = 0; b <= m->nbounds; b++) {
                char le[32];
                cum += s->buckets[b];
                if (b < m->nbounds)
                    snprintf(le, sizeof(le), "%g", m->bounds[b]);
                else
                    snprintf(le, sizeof(le), "+Inf");
                nf_buf_printf(out, "%s_bucket", m->name);
                labels(out, m, s, le);
                nf_buf_printf(out, " %llu\n", (unsigned long long)cum);
            }
            nf_buf_printf(out, "%s_sum", m->name);
            labels(out, m, s, NULL);
            nf_buf_printf(out, " %.17g\n%s_count", s->v, m->name);
            labels(out, m, s, NULL);
            nf_buf_printf(out, " %llu\n", (unsigned long long)s->count);
        }
    }
}
