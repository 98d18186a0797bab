/*
 * ops: the operations HTTP endpoint (libevent's HTTP server on the loop's base).
 *
 * Three paths, nothing else: /metrics (Prometheus text format), /healthz (the event loop
 * is turning: a stalled loop cannot answer, or answers 503 if its heartbeat is older
 * than 5 s) and /readyz (partitions assigned and brokers connected, else 503 with the
 * reason). GET and HEAD only; it binds to loopback unless told otherwise, and limits
 * header size, body size and how long a slow client may take.
 */
#ifndef NF_OPS_H
#define NF_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

#include "loop.h"

typedef struct nf_ops nf_ops_t;

/*
 * Listens on listen ("host:port"; port 0 picks a free one). embedded: the process runs
 * against the in-process mock cluster, which /readyz reports. Returns NULL and fills
 * errstr on failure.
 */
nf_ops_t *nf_ops_new(struct event_base *base, const char *listen, nf_loop_t *loop, bool embedded,
                     char *errstr, size_t errstr_size);
/* The port actually bound. */
int nf_ops_port(const nf_ops_t *ops);
/* nf_ops_destroy(NULL) is a no-op. */
void nf_ops_destroy(nf_ops_t *ops);

#endif
