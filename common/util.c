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

/*
 * Days since 1970-01-01 to a civil date (proleptic Gregorian), after Howard Hinnant's
 * days_from_civil inverse: exact for every day, no table, no time zone lock.
 */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/*
 * Runs once or twice per event: formatted by hand rather than with gmtime_r (which
 * takes glibc's time zone lock) and snprintf. Years outside 0..9999 and times before
 * the epoch keep the general path, which prints them as it always has.
 */
size_t nf_rfc3339_ms(int64_t epoch_ms, char *buf, size_t size)
{
    if (epoch_ms >= 0 && epoch_ms < 253402300800000LL && size >= 25) {
        int64_t secs = epoch_ms / 1000, y;
        unsigned ms = (unsigned)(epoch_ms % 1000), sod = (unsigned)(secs % 86400), m, d;
        civil_from_days(secs / 86400, &y, &m, &d);
        put2(buf, (unsigned)(y / 100));
        put2(buf + 2, (unsigned)(y % 100));
        buf[4] = '-';
        put2(buf + 5, m);
        buf[7] = '-';
        put2(buf + 8, d);
        buf[10] = 'T';
        put2(buf + 11, sod / 3600);
        buf[13] = ':';
        put2(buf + 14, sod / 60 % 60);
        buf[16] = ':';
        put2(buf + 17, sod % 60);
        buf[19] = '.';
        buf[20] = (char)('0' + ms / 100);
        put2(buf + 21, ms % 100);
        buf[23] = 'Z';
        buf[24] = '\0';
        return 24;
    }
    time_t secs = (time_t)(epoch_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int n =
        snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(epoch_ms % 1000));
    if (n < 0 || size == 0)
        return 0;
    return (size_t)n < size ? (size_t)n : size - 1;
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

bool nf_buf_reserve(nf_buf_t *buf, size_t extra)
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
    if (!nf_buf_reserve(buf, len))
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
    if (need < 0 || !nf_buf_reserve(buf, (size_t)need))
        return;
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)need + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)need;
}

void nf_buf_put_u64(nf_buf_t *buf, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[sizeof(tmp) - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    nf_buf_append(buf, tmp + sizeof(tmp) - n, n);
}

void nf_buf_put_i64(nf_buf_t *buf, int64_t v)
{
    if (v < 0) {
        nf_buf_append(buf, "-", 1);
        nf_buf_put_u64(buf, (uint64_t)0 - (uint64_t)v);
    } else {
        nf_buf_put_u64(buf, (uint64_t)v);
    }
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
