/*
 * mock: the embedded, in-process Kafka cluster for a zero-setup first run.
 *
 * Used by `newsflow run` only when no `kafka.` setting is given at all. It creates
 * librdkafka's mock cluster, the input, output and dead-letter topics, loads sample
 * articles into the input topic, and points both clients at it. Everything it holds is
 * lost at exit: it is for trying newsflow out, never for production, and says so.
 */
#ifndef NF_MOCK_H
#define NF_MOCK_H

#include <stddef.h>

#include "config.h"

typedef struct nf_mock nf_mock_t;

/* Starts the cluster and seeds it; sets the internal bootstrap settings on conf. */
nf_mock_t *nf_mock_start(nf_config_t *conf, char *errstr, size_t errstr_size);
/* nf_mock_destroy(NULL) is a no-op. */
void nf_mock_destroy(nf_mock_t *mock);
/* Articles loaded into the input topic. */
long nf_mock_seeded(const nf_mock_t *mock);

#endif
