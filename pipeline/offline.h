/*
 * offline: `newsflow classify`, the pipeline over files with no Kafka.
 *
 * Reads article JSONL from files or stdin, runs exactly the pipeline the streaming
 * service runs, and writes one enriched event per line to out. A line that is rejected
 * is reported on stderr with its file, line number and reason, and the run goes on.
 * The source coordinates of each event are the file name (topic), -1 (partition) and
 * the line number (offset).
 */
#ifndef NF_OFFLINE_H
#define NF_OFFLINE_H

#include <stdint.h>
#include <stdio.h>

#include "pipeline.h"

typedef struct nf_offline_stats {
    uint64_t lines;    /* non-blank lines read */
    uint64_t enriched; /* events written */
    uint64_t rejected; /* lines rejected (reported on stderr) */
} nf_offline_stats_t;

/*
 * Processes paths[0..n) in order ("-" is stdin; n == 0 means stdin). Returns NF_OK,
 * or NF_EIO if a file cannot be read or out cannot be written (processing stops).
 */
int nf_offline_classify(nf_pipeline_t *pipeline, const char *const *paths, int n, FILE *out,
                        nf_offline_stats_t *stats);

#endif
