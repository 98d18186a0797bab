/*
 * offsets: per-partition ordered queues of in-flight input messages, so that an input
 * offset is stored only after every output of it and of every earlier message in the
 * same partition has been delivered. See offsets.h for the model.
 *
 * Entries live in a doubly linked list per partition in consumption order; completion
 * only flips a flag unless the entry is the head, so the cost is O(1) amortised per
 * message. Partitions are few, so they are kept in a plain list.
 */
#include "offsets.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

typedef struct nf_partq {
    LIST_ENTRY(nf_partq) link;
    nf_offsets_t *offsets;
    char *topic;
    int32_t partition;
    bool detached;
    size_t n; /* entries in q */
    TAILQ_HEAD(, nf_inflight) q;
} nf_partq_t;

struct nf_inflight {
    TAILQ_ENTRY(nf_inflight) link;
    nf_partq_t *pq;
    int64_t offset;
    int64_t timestamp_ms;
    size_t bytes;
    int refcnt;
    bool done;
};

struct nf_offsets {
    LIST_HEAD(, nf_partq) parts;    /* attached partitions */
    LIST_HEAD(, nf_partq) detached; /* revoked partitions with entries outstanding */
    nf_offsets_store_cb *store_cb;
    void *opaque;
    size_t inflight;
    size_t inflight_bytes;
};

nf_offsets_t *nf_offsets_new(nf_offsets_store_cb *store_cb, void *opaque)
{
    nf_offsets_t *o = calloc(1, sizeof(*o));
    if (!o)
        return NULL;
    LIST_INIT(&o->parts);
    LIST_INIT(&o->detached);
    o->store_cb = store_cb;
    o->opaque = opaque;
    return o;
}

static void partq_free(nf_partq_t *pq)
{
    nf_inflight_t *e;
    while ((e = TAILQ_FIRST(&pq->q))) {
        TAILQ_REMOVE(&pq->q, e, link);
        free(e);
    }
    LIST_REMOVE(pq, link);
    free(pq->topic);
    free(pq);
}

void nf_offsets_destroy(nf_offsets_t *o)
{
    if (!o)
        return;
    while (!LIST_EMPTY(&o->parts))
        partq_free(LIST_FIRST(&o->parts));
    while (!LIST_EMPTY(&o->detached))
        partq_free(LIST_FIRST(&o->detached));
    free(o);
}

static nf_partq_t *partq_get(nf_offsets_t *o, const char *topic, int32_t partition)
{
    nf_partq_t *pq;
    LIST_FOREACH(pq, &o->parts, link)
    {
        if (pq->partition == partition && !strcmp(pq->topic, topic))
            return pq;
    }
    pq = calloc(1, sizeof(*pq));
    if (!pq)
        return NULL;
    pq->topic = strdup(topic);
    if (!pq->topic) {
        free(pq);
        return NULL;
    }
    pq->offsets = o;
    pq->partition = partition;
    TAILQ_INIT(&pq->q);
    LIST_INSERT_HEAD(&o->parts, pq, link);
    return pq;
}

nf_inflight_t *nf_offsets_track(nf_offsets_t *o, const char *topic, int32_t partition,
                                int64_t offset, size_t bytes)
{
    nf_partq_t *pq = partq_get(o, topic, partition);
    if (!pq)
        return NULL;
    nf_inflight_t *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->pq = pq;
    e->offset = offset;
    e->bytes = bytes;
    e->refcnt = 1;
    TAILQ_INSERT_TAIL(&pq->q, e, link);
    pq->n++;
    o->inflight++;
    o->inflight_bytes += bytes;
    return e;
}

void nf_inflight_ref(nf_inflight_t *e)
{
    e->refcnt++;
}

int64_t nf_inflight_offset(const nf_inflight_t *e)
{
    return e->offset;
}

int32_t nf_inflight_partition(const nf_inflight_t *e)
{
    return e->pq->partition;
}

void nf_inflight_set_timestamp(nf_inflight_t *e, int64_t timestamp_ms)
{
    e->timestamp_ms = timestamp_ms;
}

int64_t nf_inflight_timestamp(const nf_inflight_t *e)
{
    return e->timestamp_ms;
}

const char *nf_inflight_topic(const nf_inflight_t *e)
{
    return e->pq->topic;
}

void nf_inflight_unref(nf_inflight_t *e)
{
    if (--e->refcnt > 0)
        return;
    nf_partq_t *pq = e->pq;
    nf_offsets_t *o = pq->offsets;
    e->done = true;
    o->inflight--;
    o->inflight_bytes -= e->bytes;

    int64_t next = -1;
    nf_inflight_t *head;
    while ((head = TAILQ_FIRST(&pq->q)) && head->done) {
        next = head->offset + 1;
        TAILQ_REMOVE(&pq->q, head, link);
        pq->n--;
        free(head);
    }
    if (pq->detached) {
        if (!pq->n)
            partq_free(pq);
        return;
    }
    if (next >= 0 && o->store_cb)
        o->store_cb(o->opaque, pq->topic, pq->partition, next);
}

void nf_offsets_drop_partition(nf_offsets_t *o, const char *topic, int32_t partition)
{
    nf_partq_t *pq;
    LIST_FOREACH(pq, &o->parts, link)
    {
        if (pq->partition == partition && !strcmp(pq->topic, topic))
            break;
    }
    if (!pq)
        return;
    LIST_REMOVE(pq, link);
    if (!pq->n) {
        free(pq->topic);
        free(pq);
        return;
    }
    pq->detached = true;
    LIST_INSERT_HEAD(&o->detached, pq, link);
}

size_t nf_offsets_inflight(const nf_offsets_t *o)
{
    return o->inflight;
}

size_t nf_offsets_inflight_bytes(const nf_offsets_t *o)
{
    return o->inflight_bytes;
}
