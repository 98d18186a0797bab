/*
 * Unit test for common/: the string buffer, hashing, time formatting, error texts,
 * log level parsing and the log rate limiter (by capturing stderr).
 */
#include "err.h"
#include "log.h"
#include "test.h"
#include "util.h"

#include <fcntl.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

static void test_buf(void)
{
    nf_buf_t b = {0};
    nf_buf_puts(&b, "abc");
    nf_buf_append(&b, "def", 2);
    nf_buf_printf(&b, "-%d-%s", 42, "x");
    CHECK_STR(b.data, "abcde-42-x");
    CHECK_INT(b.len, 10);
    for (int i = 0; i < 10000; i++)
        nf_buf_append(&b, "0123456789", 10);
    CHECK_INT(b.len, 100010);
    CHECK(!b.oom);
    CHECK(b.data[b.len] == '\0');
    nf_buf_reset(&b);
    CHECK_INT(b.len, 0);
    CHECK_STR(b.data, "");
    nf_buf_free(&b);
    CHECK(b.data == NULL);
}

/* nf_buf_put_u64/i64 print what printf prints. */
static void test_numbers(void)
{
    static const int64_t vals[] = {
        0,     1,      -1,        9,         10,        -10,       99,         100,
        12345, -98765, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, 1000000007, -1000000000000LL};
    nf_buf_t b = {0};
    char want[32];
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        nf_buf_reset(&b);
        nf_buf_put_i64(&b, vals[i]);
        snprintf(want, sizeof(want), "%lld", (long long)vals[i]);
        CHECK_STR(b.data, want);
    }
    nf_buf_reset(&b);
    nf_buf_put_u64(&b, UINT64_MAX);
    CHECK_STR(b.data, "18446744073709551615");
    nf_buf_free(&b);
}

/* nf_rfc3339_ms formats by hand: it must agree with gmtime_r on every kind of day. */
static void test_rfc3339(void)
{
    char got[40], want[96];
    /* leap days, century years, year ends, the last millisecond of 9999 */
    static const int64_t fixed[] = {0,
                                    951782400000LL,    /* 2000-02-29 */
                                    4107542400000LL,   /* 2100-03-01 */
                                    1704067199999LL,   /* 2023-12-31T23:59:59.999 */
                                    1709164800000LL,   /* 2024-02-29 */
                                    253402300799999LL, /* 9999-12-31T23:59:59.999 */
                                    253402300800000LL, /* year 10000: the general path */
                                    -1LL,
                                    -86400001LL};
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 20000; i++) {
        int64_t ms;
        if (i < (int)(sizeof(fixed) / sizeof(fixed[0]))) {
            ms = fixed[i];
        } else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            ms = (int64_t)(x % 253402300800000ULL);
        }
        nf_rfc3339_ms(ms, got, sizeof(got));
        time_t secs = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
        if (strcmp(got, want)) {
            CHECK_STR(got, want);
            break;
        }
    }
    /* a buffer too small: cut, and the length says what is there */
    char small[8];
    CHECK_INT(nf_rfc3339_ms(0, small, sizeof(small)), 7);
    CHECK_STR(small, "1970-01");
}

static void test_misc(void)
{
    /* FNV-1a 64 test vectors. */
    CHECK(nf_fnv1a(NF_FNV_SEED, "", 0) == 0xcbf29ce484222325ULL);
    CHECK(nf_fnv1a(NF_FNV_SEED, "a", 1) == 0xaf63dc4c8601ec8cULL);
    char ts[40];
    nf_rfc3339_ms(0, ts, sizeof(ts));
    CHECK_STR(ts, "1970-01-01T00:00:00.000Z");
    nf_rfc3339_ms(1795963481101, ts, sizeof(ts));
    CHECK_STR(ts, "2026-11-29T14:44:41.101Z");
    CHECK(nf_mono_ms() > 0 && nf_wall_ms() > 1700000000000LL);
    CHECK_STR(nf_strerror(NF_OK), "success");
    CHECK_STR(nf_strerror(NF_EREJECTED), "message rejected by Kafka");
    CHECK_STR(nf_strerror(-999), "unknown error");
    CHECK(nf_has_prefix("Kafka.bootstrap", "kafka."));
    CHECK(!nf_has_prefix("kafk", "kafka."));
    CHECK_INT(nf_log_level_parse("DEBUG"), NF_LOG_DEBUG);
    CHECK_INT(nf_log_level_parse("warning"), NF_LOG_WARN);
    CHECK_INT(nf_log_level_parse("loud"), -1);
}

/* Runs fn with stderr redirected to a file; returns the number of lines written. */
static int count_stderr_lines(void (*fn)(void), char *first, size_t first_size)
{
    char path[] = "/tmp/nf_test_log_XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    char buf[8192];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    unlink(path);
    buf[n > 0 ? n : 0] = '\0';
    int lines = 0;
    for (char *p = buf; *p; p++)
        lines += *p == '\n';
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = '\0';
    size_t flen = strlen(buf) < first_size - 1 ? strlen(buf) : first_size - 1;
    memcpy(first, buf, flen);
    first[flen] = '\0';
    return lines;
}

static void log_many(void)
{
    for (int i = 0; i < 100; i++)
        nf_log_ratelimited(NF_LOG_WARN, "test", "same-key", "repeated %d", i);
    nf_log_ratelimited(NF_LOG_WARN, "test", "other-key", "different");
}

static void log_filtered(void)
{
    nf_log(NF_LOG_DEBUG, "test", "not shown %d", 1);
    nf_log(NF_LOG_ERROR, "test", "shown");
}

static void log_json(void)
{
    nf_log_set_json(true);
    nf_log(NF_LOG_INFO, "test", "quote \" and newline \n done");
    nf_log_set_json(false);
}

static int evaluated;
static int side_effect(void)
{
    return ++evaluated;
}

static void test_log(void)
{
    char first[512];
    nf_log_set_level(NF_LOG_INFO);
    CHECK_INT(count_stderr_lines(log_many, first, sizeof(first)), 6); /* burst of 5 + 1 */
    CHECK(strstr(first, "warn") && strstr(first, "test: repeated 0"));
    CHECK_INT(count_stderr_lines(log_filtered, first, sizeof(first)), 1);
    CHECK(strstr(first, "shown") != NULL);
    CHECK_INT(count_stderr_lines(log_json, first, sizeof(first)), 1);
    CHECK(strstr(first, "\"msg\":\"quote \\\" and newline \\u000a done\"") != NULL);
    /* Arguments are not evaluated when the level is off. */
    nf_log(NF_LOG_DEBUG, "test", "%d", side_effect());
    CHECK_INT(evaluated, 0);
}

int main(void)
{
    test_buf();
    test_numbers();
    test_rfc3339();
    test_misc();
    test_log();
    TEST_DONE();
}
