/*
 * support: helpers shared by the Kafka tests (mock and integration): a deterministic
 * article generator, seeding a topic, reading a whole topic back, and the committed
 * offsets of a group. Written for tests: failures abort with a message.
 */
#ifndef NF_TEST_SUPPORT_H
#define NF_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "util.h"

/* Writes article number i into out (reset first). Every `bad_every`-th article
 * (i % bad_every == bad_every - 1) is malformed, cycling through several kinds; returns
 * true if it is valid. bad_every 0: all valid. */
bool nf_test_article(int i, int bad_every, nf_buf_t *out);
/* The id article i carries when valid ("art-<i>"). */
void nf_test_article_id(int i, char *buf, size_t size);

/* Produces n articles to topic through bootstrap (key = id for valid ones), flushed.
 * If delay_every > 0, sleeps delay_us after every delay_every messages. */
void nf_test_seed(const char *bootstrap, const char *topic, int first, int n, int bad_every,
                  int delay_every, int delay_us);

/* One record read back. */
typedef struct nf_test_rec {
    char *key;   /* NUL-terminated copy (or NULL) */
    char *value; /* NUL-terminated copy */
    size_t len;
    char *reason;   /* newsflow.reason header, if any */
    char *error;    /* newsflow.error header, if any */
    char *ce_type;  /* ce_type header, if any */
    bool tombstone; /* null value */
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* the record's timestamp (producer's create time), -1 if none */
    /* Where newsflow read the input (newsflow.source.partition and .offset headers of
     * dead letters and enriched events), -1 without them. */
    int32_t src_partition;
    int64_t src_offset;
} nf_test_rec_t;

typedef struct nf_test_recs {
    nf_test_rec_t *v;
    size_t n, cap;
} nf_test_recs_t;

/* Reads every record of topic (all partitions, from the beginning to the current end). */
void nf_test_read_all(const char *bootstrap, const char *topic, const char *isolation,
                      nf_test_recs_t *out);
void nf_test_recs_free(nf_test_recs_t *recs);

/* Sum over partitions of (high watermark - committed offset of group): 0 when the group
 * has committed everything. Returns -1 if some partition has no commit while it has
 * messages. */
int64_t nf_test_group_lag(const char *bootstrap, const char *group, const char *topic);

/* Sum of the high watermarks of all partitions of topic (its message count if never
 * truncated). Uses rk if given, else a temporary client. */
int64_t nf_test_topic_size(const char *bootstrap, const char *topic);

/*
 * The broker of the integration tests: NF_TEST_BOOTSTRAP. Without it the test is
 * skipped (exit 77), or fails when NF_REQUIRE_BROKER=1 (CI must never skip).
 */
const char *nf_test_bootstrap(void);

/* Waits for child pid up to timeout_s: its exit status, 128 + signal, or -1 after a
 * timeout (the child is then killed). */
int nf_test_wait_exit(int pid, int timeout_s);

/* Creates topic with partitions on a real broker (admin API); ok if it exists. */
void nf_test_create_topic(const char *bootstrap, const char *topic, int partitions);
/* The same with one topic config (e.g. "max.message.bytes", "5000"). */
void nf_test_create_topic_config(const char *bootstrap, const char *topic, int partitions,
                                 const char *name, const char *value);

/* Counts, for ids art-<first>..art-<first+n-1>: in how many records each valid id
 * appears. Fills missing (valid ids never seen) and dups (extra copies). */
void nf_test_count_ids(const nf_test_recs_t *recs, int first, int n, int bad_every, int *missing,
                       int *dups);

#endif
