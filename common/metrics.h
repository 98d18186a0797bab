/*
 * metrics: the process's Prometheus metrics registry.
 *
 * Counters, gauges and histograms, each with at most one label (topic, reason, rule,
 * partition, ...), registered once at start-up and updated on the loop thread; the ops
 * endpoint renders them in the Prometheus text format. Names follow Prometheus
 * conventions: newsflow_<subsystem>_<name>, `_total` for counters, base units
 * (seconds, bytes). Not thread-safe: everything runs on the one loop thread.
 */
#ifndef NF_METRICS_H
#define NF_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

typedef struct nf_metrics nf_metrics_t;
typedef struct nf_metric nf_metric_t;

typedef enum { NF_METRIC_COUNTER, NF_METRIC_GAUGE, NF_METRIC_HISTOGRAM } nf_metric_type_t;

nf_metrics_t *nf_metrics_new(void);
/* nf_metrics_destroy(NULL) is a no-op. */
void nf_metrics_destroy(nf_metrics_t *metrics);

/*
 * Registers a metric. label is the name of its one label, or NULL for none. For
 * histograms, buckets[0..nbuckets) are the upper bounds in increasing order (+Inf is
 * implicit). Returns NULL on allocation failure; the registry owns the metric.
 */
nf_metric_t *nf_metric_new(nf_metrics_t *metrics, nf_metric_type_t type, const char *name,
                           const char *help, const char *label, const double *buckets,
                           int nbuckets);

/* Counter: adds v (>= 0). Gauge: adds v (may be negative). value: the label's value or
 * NULL when the metric has no label. */
void nf_metric_add(nf_metric_t *metric, const char *value, double v);
/* Gauge: sets. */
void nf_metric_set(nf_metric_t *metric, const char *value, double v);
/* Histogram: records one observation. */
void nf_metric_observe(nf_metric_t *metric, const char *value, double v);
/* The current value of a counter or gauge series (0 if never touched). */
double nf_metric_get(const nf_metric_t *metric, const char *value);
/* Histogram: the q-quantile (0..1) estimated from the buckets, NAN if empty. */
double nf_metric_quantile(const nf_metric_t *metric, const char *value, double q);
/* Drops every series of a labelled metric (e.g. per-partition gauges on rebalance). */
void nf_metric_reset(nf_metric_t *metric);

/* Appends the Prometheus text exposition (format 0.0.4) of every metric. */
void nf_metrics_render(const nf_metrics_t *metrics, nf_buf_t *out);

#endif
