/*
 * Unit test for common/metrics: counters, gauges and histograms with and without a
 * label, the Prometheus text format (HELP/TYPE, escaping, cumulative buckets, +Inf,
 * _sum and _count), quantile estimates, and reset.
 */
#include "metrics.h"
#include "test.h"

#include <math.h>

int main(void)
{
    nf_metrics_t *m = nf_metrics_new();
    nf_metric_t *c = nf_metric_new(m, NF_METRIC_COUNTER, "newsflow_test_messages_total",
                                   "Messages.", NULL, NULL, 0);
    nf_metric_t *r = nf_metric_new(m, NF_METRIC_COUNTER, "newsflow_test_dead_letters_total",
                                   "Dead letters by reason.", "reason", NULL, 0);
    nf_metric_t *g =
        nf_metric_new(m, NF_METRIC_GAUGE, "newsflow_test_inflight", "In flight.", NULL, NULL, 0);
    double bounds[] = {0.001, 0.01, 0.1};
    nf_metric_t *h = nf_metric_new(m, NF_METRIC_HISTOGRAM, "newsflow_test_latency_seconds",
                                   "Latency.", NULL, bounds, 3);
    CHECK(c && r && g && h);

    nf_buf_t out = {0};
    nf_metrics_render(m, &out);
    CHECK(strstr(out.data,
                 "# TYPE newsflow_test_messages_total counter\nnewsflow_test_messages_total 0\n"));
    CHECK(!strstr(out.data, "newsflow_test_dead_letters_total{"));

    nf_metric_add(c, NULL, 3);
    nf_metric_add(r, "invalid_json", 2);
    nf_metric_add(r, "weird \"x\"\\", 1);
    nf_metric_set(g, NULL, 7);
    nf_metric_add(g, NULL, -2);
    nf_metric_observe(h, NULL, 0.0005);
    nf_metric_observe(h, NULL, 0.005);
    nf_metric_observe(h, NULL, 0.005);
    nf_metric_observe(h, NULL, 5);
    CHECK(nf_metric_get(c, NULL) == 3);
    CHECK(nf_metric_get(g, NULL) == 5);
    CHECK(nf_metric_get(r, "invalid_json") == 2);
    CHECK(nf_metric_get(r, "nope") == 0);

    nf_buf_reset(&out);
    nf_metrics_render(m, &out);
    CHECK(strstr(out.data, "newsflow_test_messages_total 3\n"));
    CHECK(strstr(out.data, "newsflow_test_dead_letters_total{reason=\"invalid_json\"} 2\n"));
    CHECK(strstr(out.data, "{reason=\"weird \\\"x\\\"\\\\\"} 1\n"));
    CHECK(strstr(out.data, "newsflow_test_inflight 5\n"));
    CHECK(strstr(out.data, "newsflow_test_latency_seconds_bucket{le=\"0.001\"} 1\n"));
    CHECK(strstr(out.data, "newsflow_test_latency_seconds_bucket{le=\"0.01\"} 3\n"));
    CHECK(strstr(out.data, "newsflow_test_latency_seconds_bucket{le=\"0.1\"} 3\n"));
    CHECK(strstr(out.data, "newsflow_test_latency_seconds_bucket{le=\"+Inf\"} 4\n"));
    CHECK(strstr(out.data, "newsflow_test_latency_seconds_count 4\n"));
    CHECK(strstr(out.data, "newsflow_test_latency_seconds_sum 5.0105"));

    /* Quantiles interpolate within the bucket that holds the rank. */
    double p50 = nf_metric_quantile(h, NULL, 0.5);
    CHECK(p50 > 0.001 && p50 <= 0.01);
    CHECK(isnan(nf_metric_quantile(h, "none", 0.5)));

    nf_metric_reset(r);
    CHECK(nf_metric_get(r, "invalid_json") == 0);
    nf_buf_free(&out);
    nf_metrics_destroy(m);
    nf_metrics_destroy(NULL);
    TEST_DONE();
}
