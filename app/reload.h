/*
 * reload: SIGHUP reloads the rules and the model without a restart.
 *
 * The new rule set (classifier patterns and model, gazetteer, alert rules: everything
 * nf_ruleset_load() reads) is built on a worker thread beside the running one, so the
 * loop keeps processing while Hyperscan compiles; the worker then wakes the loop through
 * a pipe and the loop swaps the set in between two messages. If the new set does not
 * load (a bad pattern, a missing file, a bad alert rule), the error is logged with the
 * file and line and the running set stays. Nothing is re-read from Kafka and no message
 * is processed twice: processing is single-threaded and the swap happens between
 * messages. A SIGHUP while a reload is running is logged and ignored.
 *
 * Metrics: newsflow_rules_info{version} (1 for the set in use; the version is the
 * FNV-1a-64 of the rule files) and newsflow_rules_reloads_total{result="ok"|"failed"}.
 */
#ifndef NF_RELOAD_H
#define NF_RELOAD_H

#include <event2/event.h>

#include "config.h"
#include "metrics.h"
#include "pipeline.h"

typedef struct nf_reload nf_reload_t;

/*
 * Installs the SIGHUP handler on base for pipeline, which must outlive the result, as
 * must conf (read again on every reload: the same keys, the files re-read) and metrics.
 * Returns NULL with the reason in errstr.
 */
nf_reload_t *nf_reload_new(struct event_base *base, const nf_config_t *conf,
                           nf_pipeline_t *pipeline, nf_metrics_t *metrics, char *errstr,
                           size_t errstr_size);
/* Removes the handler, waiting for a reload in progress. NULL is a no-op. */
void nf_reload_destroy(nf_reload_t *reload);

#endif
