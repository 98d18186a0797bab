/*
 * Unit test for consumer/offsets: an input offset is stored only when it and every
 * earlier offset of its partition are done, whatever order deliveries come back in.
 */
#include "offsets.h"
#include "test.h"

/* The last offset stored per partition, and how many stores happened. */
static int64_t stored_last[8];
static int stored_n;

static void store_cb(void *opaque, const char *topic, int32_t partition, int64_t next)
{
    if (!strcmp(topic, "t") && partition >= 0 && partition < 8)
        stored_last[partition] = next;
    stored_n++;
}

static void reset(void)
{
    stored_n = 0;
    for (int i = 0; i < 8; i++)
        stored_last[i] = -1;
}

static int64_t last_stored(int32_t partition)
{
    return stored_last[partition];
}

static void test_in_order(void)
{
    reset();
    nf_offsets_t *o = nf_offsets_new(store_cb, NULL);
    nf_inflight_t *a = nf_offsets_track(o, "t", 0, 10, 100);
    nf_inflight_t *b = nf_offsets_track(o, "t", 0, 11, 50);
    CHECK_INT(nf_offsets_inflight(o), 2);
    CHECK_INT(nf_offsets_inflight_bytes(o), 150);
    nf_inflight_unref(a);
    CHECK_INT(stored_n, 1);
    CHECK_INT(last_stored(0), 11);
    nf_inflight_unref(b);
    CHECK_INT(last_stored(0), 12);
    CHECK_INT(nf_offsets_inflight(o), 0);
    CHECK_INT(nf_offsets_inflight_bytes(o), 0);
    nf_offsets_destroy(o);
}

/* Deliveries return 3, 1, 2 (out of order): nothing is stored until 1 is done, then
 * only the contiguous prefix. */
static void test_out_of_order(void)
{
    reset();
    nf_offsets_t *o = nf_offsets_new(store_cb, NULL);
    nf_inflight_t *e[4];
    for (int i = 0; i < 4; i++) {
        e[i] = nf_offsets_track(o, "t", 0, i, 1);
        nf_inflight_ref(e[i]);   /* an output in flight */
        nf_inflight_unref(e[i]); /* processing done */
    }
    CHECK_INT(stored_n, 0);
    nf_inflight_unref(e[3]);
    CHECK_INT(stored_n, 0);
    nf_inflight_unref(e[1]);
    CHECK_INT(stored_n, 0);
    nf_inflight_unref(e[0]);
    CHECK_INT(stored_n, 1);
    CHECK_INT(last_stored(0), 2); /* 0 and 1 done; 2 is not */
    nf_inflight_unref(e[2]);
    CHECK_INT(stored_n, 2);
    CHECK_INT(last_stored(0), 4); /* 2 and 3 */
    nf_offsets_destroy(o);
}

/* Several outputs per message: only the last delivery completes it. Partitions are
 * independent. */
static void test_multi_output_and_partitions(void)
{
    reset();
    nf_offsets_t *o = nf_offsets_new(store_cb, NULL);
    nf_inflight_t *p0 = nf_offsets_track(o, "t", 0, 5, 1);
    nf_inflight_t *p1 = nf_offsets_track(o, "t", 1, 7, 1);
    nf_inflight_ref(p0);
    nf_inflight_ref(p0);
    nf_inflight_unref(p0);
    nf_inflight_unref(p1);
    CHECK_INT(last_stored(1), 8);
    CHECK_INT(last_stored(0), -1);
    nf_inflight_unref(p0);
    CHECK_INT(last_stored(0), -1);
    nf_inflight_unref(p0);
    CHECK_INT(last_stored(0), 6);
    nf_offsets_destroy(o);
}

/* A revoked partition stores nothing more, and its late deliveries are harmless; a
 * re-assignment starts fresh. */
static void test_drop_partition(void)
{
    reset();
    nf_offsets_t *o = nf_offsets_new(store_cb, NULL);
    nf_inflight_t *a = nf_offsets_track(o, "t", 0, 1, 10);
    nf_offsets_drop_partition(o, "t", 0);
    CHECK_INT(nf_offsets_inflight(o), 1);
    nf_inflight_t *b = nf_offsets_track(o, "t", 0, 100, 10);
    nf_inflight_unref(a); /* late delivery of the old generation */
    CHECK_INT(stored_n, 0);
    nf_inflight_unref(b);
    CHECK_INT(stored_n, 1);
    CHECK_INT(last_stored(0), 101);
    CHECK_INT(nf_offsets_inflight(o), 0);
    /* Dropping an unknown or empty partition is a no-op. */
    nf_offsets_drop_partition(o, "t", 9);
    nf_offsets_drop_partition(o, "t", 0);
    nf_offsets_destroy(o);
    nf_offsets_destroy(NULL);
}

/* A larger randomised run: complete in a shuffled order, and check after every step
 * that the stored offset equals the first not-done offset. */
static void test_random(void)
{
    enum { N = 2000 };
    reset();
    nf_offsets_t *o = nf_offsets_new(store_cb, NULL);
    static nf_inflight_t *e[N];
    static int order[N];
    static char done[N];
    for (int i = 0; i < N; i++) {
        e[i] = nf_offsets_track(o, "t", 3, 1000 + i, 1);
        order[i] = i;
    }
    unsigned seed = 12345;
    for (int i = N - 1; i > 0; i--) {
        seed = seed * 1103515245u + 12345u;
        int j = (int)(seed % (unsigned)(i + 1));
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    int ok = 1;
    for (int k = 0; k < N; k++) {
        int i = order[k];
        nf_inflight_unref(e[i]);
        done[i] = 1;
        int first = 0;
        while (first < N && done[first])
            first++;
        int64_t expect = first == 0 ? -1 : 1000 + first;
        if (last_stored(3) != expect)
            ok = 0;
    }
    CHECK(ok);
    CHECK_INT(last_stored(3), 1000 + N);
    CHECK_INT(nf_offsets_inflight(o), 0);
    nf_offsets_destroy(o);
}

int main(void)
{
    test_in_order();
    test_out_of_order();
    test_multi_output_and_partitions();
    test_drop_partition();
    test_random();
    TEST_DONE();
}
