/*
 * util: small helpers every module needs: clocks, a growable string buffer, hashing
 * and JSON-safe string output. No module state lives here.
 */
#ifndef NF_UTIL_H
#define NF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Monotonic clock in milliseconds / microseconds, for intervals. */
int64_t nf_mono_ms(void);
int64_t nf_mono_us(void);
/* Wall clock in milliseconds since the epoch, for timestamps. */
int64_t nf_wall_ms(void);
/*
 * Formats epoch milliseconds as RFC 3339 UTC with milliseconds ("...T..:..:..123Z").
 * Returns the length of what was written into buf (cut to size - 1 if it did not fit).
 */
size_t nf_rfc3339_ms(int64_t epoch_ms, char *buf, size_t size);

/* 64-bit FNV-1a over <ptr, len>, chained through seed (use NF_FNV_SEED to start). */
#define NF_FNV_SEED 0xcbf29ce484222325ULL
uint64_t nf_fnv1a(uint64_t seed, const void *ptr, size_t len);

/* A growable byte buffer, always NUL-terminated. Zero-initialise before first use. */
typedef struct nf_buf {
    char *data;
    size_t len;
    size_t cap;
    bool oom; /* an allocation failed: contents are truncated */
} nf_buf_t;

void nf_buf_append(nf_buf_t *buf, const char *ptr, size_t len);
void nf_buf_puts(nf_buf_t *buf, const char *str);
void nf_buf_printf(nf_buf_t *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void nf_buf_reset(nf_buf_t *buf);
void nf_buf_free(nf_buf_t *buf);
/*
 * Makes room for extra more bytes (and the NUL) so that a writer may fill
 * data[len .. len + extra) directly, then advance len and re-terminate. False, with oom
 * set, when memory runs out (or oom was already set).
 */
bool nf_buf_reserve(nf_buf_t *buf, size_t extra);
/* Appends v in decimal, as printf's %llu / %lld would, without printf. */
void nf_buf_put_u64(nf_buf_t *buf, uint64_t v);
void nf_buf_put_i64(nf_buf_t *buf, int64_t v);

/*
 * Resolves a bundled data path (e.g. "rules", "samples/articles.jsonl") to a readable
 * one: the installed data directory first, then the source tree this binary was built
 * from (so a build tree works without installing). NF_ENOENT if neither has it.
 */
int nf_data_path(const char *relative, char *buf, size_t size);

/* strdup that returns NULL for NULL input. */
char *nf_strdup0(const char *str);
/* Case-insensitive test for a prefix. */
bool nf_has_prefix(const char *str, const char *prefix);

#endif
