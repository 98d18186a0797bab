/*
 * offsets: at-least-once bookkeeping for input offsets.
 *
 * Every consumed message gets an nf_inflight_t with a reference count: one reference
 * for the processing step, one more for each output produced from it. When the count
 * drops to zero the message is done. Per partition, messages complete in any order
 * (deliveries to different output partitions return out of order), but an offset may
 * only be stored once every earlier offset of that partition is done: the tracker keeps
 * each partition's in-flight messages in offset order and, when the head is done, pops
 * the contiguous done prefix and reports `last popped + 1` to the store callback.
 *
 * A revoked partition is detached: its remaining entries stay valid (their deliveries
 * may still arrive) but completing them stores nothing, and a later re-assignment of the
 * same partition starts a fresh queue.
 */
#ifndef NF_OFFSETS_H
#define NF_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

typedef struct nf_offsets nf_offsets_t;
typedef struct nf_inflight nf_inflight_t;

/* Called with the next offset to consume (done offset + 1) when a prefix completes. */
typedef void(nf_offsets_store_cb)(void *opaque, const char *topic, int32_t partition,
                                  int64_t next_offset);

nf_offsets_t *nf_offsets_new(nf_offsets_store_cb *store_cb, void *opaque);
/* Frees everything, including entries still referenced. NULL is a no-op. */
void nf_offsets_destroy(nf_offsets_t *offsets);

/*
 * Starts tracking a consumed message of `bytes` size. Offsets of one partition must be
 * tracked in increasing order. Returns the entry holding one reference, or NULL on
 * allocation failure.
 */
nf_inflight_t *nf_offsets_track(nf_offsets_t *offsets, const char *topic, int32_t partition,
                                int64_t offset, size_t bytes);
void nf_inflight_ref(nf_inflight_t *inflight);
/* Drops a reference; the last one completes the entry (and may store offsets). */
void nf_inflight_unref(nf_inflight_t *inflight);
int64_t nf_inflight_offset(const nf_inflight_t *inflight);
int32_t nf_inflight_partition(const nf_inflight_t *inflight);
const char *nf_inflight_topic(const nf_inflight_t *inflight);
/* The input message's timestamp (epoch ms, -1 unknown), for end-to-end latency. */
void nf_inflight_set_timestamp(nf_inflight_t *inflight, int64_t timestamp_ms);
int64_t nf_inflight_timestamp(const nf_inflight_t *inflight);

/* Detaches a partition (revoked or lost): see the top of this file. */
void nf_offsets_drop_partition(nf_offsets_t *offsets, const char *topic, int32_t partition);

/* Messages tracked and not yet done, and their bytes, across all partitions. */
size_t nf_offsets_inflight(const nf_offsets_t *offsets);
size_t nf_offsets_inflight_bytes(const nf_offsets_t *offsets);

#endif
