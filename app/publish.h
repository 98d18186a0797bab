/*
 * publish: `newsflow publish FILE...`, loading article JSONL (plain or gzip) into a
 * Kafka topic for backfilling from archives. Each line becomes one message, keyed by
 * the article id as the decoder derives it (so a compacted topic keeps one version per
 * article); a line with no usable id is still published, without a key, so that the
 * pipeline dead-letters it with its reason rather than losing it here.
 */
#ifndef NF_PUBLISH_H
#define NF_PUBLISH_H

#include <stdbool.h>

#include "config.h"

typedef struct nf_publish_opts {
    const char *topic;        /* target topic (default: conf->input_topic) */
    const char *const *paths; /* files, "-" for stdin */
    int npaths;
    bool progress; /* progress bar (tty) or lines on stderr */
} nf_publish_opts_t;

/* Publishes everything, flushes, and prints a summary. Returns a process exit code. */
int nf_publish(const nf_config_t *conf, const nf_publish_opts_t *opts);

#endif
