/*
 * log: the single sink for every log line of the process, librdkafka's included.
 *
 * Lines go to stderr so that stdout stays free for data (classify output, printed
 * events). Text format is meant for people, JSON for log shippers. A line is built in a
 * local buffer and written with one write so concurrent writers (librdkafka threads,
 * before log.queue routing is set up) do not interleave within a line.
 */
#include "log.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

int nf_log_current_level = NF_LOG_INFO;
static bool log_json;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int nf_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(name, level_names[i]))
            return i;
    if (!strcasecmp(name, "warning"))
        return NF_LOG_WARN;
    return -1;
}

const char *nf_log_level_name(nf_log_level_t level)
{
    return (level >= 0 && level <= NF_LOG_DEBUG) ? level_names[level] : "?";
}

void nf_log_set_level(nf_log_level_t level)
{
    nf_log_current_level = level;
}

void nf_log_set_json(bool json)
{
    log_json = json;
}

nf_log_level_t nf_log_level_from_syslog(int syslog_level)
{
    if (syslog_level <= LOG_ERR)
        return NF_LOG_ERROR;
    if (syslog_level == LOG_WARNING)
        return NF_LOG_WARN;
    if (syslog_level <= LOG_INFO)
        return NF_LOG_INFO;
    return NF_LOG_DEBUG;
}

/* Appends msg as a JSON string body (without quotes), escaping what JSON requires. */
static void json_escape(char *out, size_t size, size_t *pos, const char *msg)
{
    for (const unsigned char *p = (const unsigned char *)msg; *p && *pos + 7 < size; p++) {
        if (*p == '"' || *p == '\\') {
            out[(*pos)++] = '\\';
            out[(*pos)++] = (char)*p;
        } else if (*p < 0x20) {
            *pos += (size_t)snprintf(out + *pos, size - *pos, "\\u%04x", *p);
        } else {
            out[(*pos)++] = (char)*p;
        }
    }
}

__attribute__((format(printf, 3, 0))) static void
log_vwrite(nf_log_level_t level, const char *module, const char *fmt, va_list ap)
{
    char msg[2048], line[4608], ts[40];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    nf_rfc3339_ms(nf_wall_ms(), ts, sizeof(ts));
    size_t n;
    if (log_json) {
        n = (size_t)snprintf(line, sizeof(line), "{\"ts\":\"%s\",\"level\":\"%s\",\"module\":\"",
                             ts, level_names[level]);
        json_escape(line, sizeof(line), &n, module);
        n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"msg\":\"");
        json_escape(line, sizeof(line), &n, msg);
        n += (size_t)snprintf(line + n, sizeof(line) - n, "\"}\n");
    } else {
        n = (size_t)snprintf(line, sizeof(line), "%s %-5s %s: %s\n", ts, level_names[level], module,
                             msg);
    }
    if (n >= sizeof(line))
        n = sizeof(line) - 1;
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}

void nf_log_write(nf_log_level_t level, const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, module, fmt, ap);
    va_end(ap);
}

/*
 * A small fixed table is enough: rate-limited call sites are few. Keys are copied
 * (callers may pass transient strings such as a librdkafka error text); a key that
 * finds no slot evicts the one whose window started longest ago.
 */
#define RL_SLOTS       32
#define RL_INTERVAL_MS 10000
#define RL_BURST       5

static struct {
    char key[96];
    int64_t window_start;
    int count;
    int suppressed;
} rl_slots[RL_SLOTS];

void nf_log_ratelimited(nf_log_level_t level, const char *module, const char *key, const char *fmt,
                        ...)
{
    if ((int)level > nf_log_current_level)
        return;
    int64_t now = nf_mono_ms();
    int slot = -1, oldest = 0;
    for (int i = 0; i < RL_SLOTS; i++) {
        if (!strncmp(rl_slots[i].key, key, sizeof(rl_slots[i].key) - 1)) {
            slot = i;
            break;
        }
        if (rl_slots[i].window_start < rl_slots[oldest].window_start)
            oldest = i;
    }
    if (slot < 0) {
        slot = oldest;
        snprintf(rl_slots[slot].key, sizeof(rl_slots[slot].key), "%s", key);
        rl_slots[slot].window_start = now;
        rl_slots[slot].count = 0;
        rl_slots[slot].suppressed = 0;
    }
    if (now - rl_slots[slot].window_start >= RL_INTERVAL_MS) {
        if (rl_slots[slot].suppressed)
            nf_log_write(level, module, "(%d similar messages suppressed in the last %d s)",
                         rl_slots[slot].suppressed, RL_INTERVAL_MS / 1000);
        rl_slots[slot].window_start = now;
        rl_slots[slot].count = 0;
        rl_slots[slot].suppressed = 0;
    }
    if (rl_slots[slot].count >= RL_BURST) {
        rl_slots[slot].suppressed++;
        return;
    }
    rl_slots[slot].count++;
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, module, fmt, ap);
    va_end(ap);
}
