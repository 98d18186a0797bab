/*
 * util: clocks, the string buffer and hashing shared by all modules. Kept free of any
 * Kafka or news knowledge so that every layer may use it.
 */
#include "util.h"
#include "err.h"
#include "nf_build.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int64_t nf_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t nf_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t nf_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void nf_rfc3339_ms(int64_t epoch_ms, char *buf, size_t size)
{
    time_t secs = (time_t)(epoch_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(epoch_ms % 1000));
}

uint64_t nf_fnv1a(uint64_t seed, const void *ptr, size_t len)
{
    const unsigned char *p = ptr;
    uint64_t h = seed;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static bool buf_reserve(nf_buf_t *buf, size_t extra)
{
    if (buf->oom)
        return false;
    if (buf->len + extra + 1 <= buf->cap)
        return true;
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap < buf->len + extra + 1)
        cap *= 2;
    char *data = realloc(buf->data, cap);
    if (!data) {
        buf->oom = true;
        return false;
    }
    buf->data = data;
    buf->cap = cap;
    return true;
}

void nf_buf_append(nf_buf_t *buf, const char *ptr, size_t len)
{
    if (!buf_reserve(buf, len))
        return;
    memcpy(buf->data + buf->len, ptr, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
}

void nf_buf_puts(nf_buf_t *buf, const char *str)
{
    nf_buf_append(buf, str, strlen(str));
}

void nf_buf_printf(nf_buf_t *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0 || !buf_reserve(buf, (size_t)need))
        return;
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)need + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)need;
}

void nf_buf_reset(nf_buf_t *buf)
{
    buf->len = 0;
    buf->oom = false;
    if (buf->data)
        buf->data[0] = '\0';
}

void nf_buf_free(nf_buf_t *buf)
{
    free(buf->data);
    memset(buf, 0, sizeof(*buf));
}

char *nf_strdup0(const char *str)
{
    return str ? strdup(str) : NULL;
}

bool nf_has_prefix(const char *str, const char *prefix)
{
    return strncasecmp(str, prefix, strlen(prefix)) == 0;
}

int nf_data_path(const char *relative, char *buf, size_t size)
{
    const char *roots[] = {NF_DATADIR, NF_SOURCE_DIR "/deploy", NF_SOURCE_DIR};
    for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
        snprintf(buf, size, "%s/%s", roots[i], relative);
        if (access(buf, R_OK) == 0)
            return NF_OK;
    }
    return NF_ENOENT;
}
