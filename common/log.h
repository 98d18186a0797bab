/*
 * Logging: one function for the whole process.
 *
 * nf_log(level, module, fmt, ...) writes one line to stderr, as text
 * ("2026-11-29T14:00:00.123Z WARN consumer: ...") or as a JSON object per line. The macro
 * checks the level before evaluating its arguments, so a debug line costs nothing when
 * debug is off. librdkafka's own logs are routed here by the consumer and producer.
 * nf_log_ratelimited() drops repeats of the same message key beyond a burst per
 * interval and reports how many it suppressed.
 */
#ifndef NF_LOG_H
#define NF_LOG_H

#include <stdbool.h>

typedef enum {
    NF_LOG_ERROR = 0,
    NF_LOG_WARN = 1,
    NF_LOG_INFO = 2,
    NF_LOG_DEBUG = 3,
} nf_log_level_t;

extern int nf_log_current_level;

/* Parses "error", "warn", "info", "debug"; returns -1 if unknown. */
int nf_log_level_parse(const char *name);
const char *nf_log_level_name(nf_log_level_t level);
void nf_log_set_level(nf_log_level_t level);
/* json: true for one JSON object per line, false for text. */
void nf_log_set_json(bool json);

void nf_log_write(nf_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define nf_log(level, module, ...)                                                                 \
    do {                                                                                           \
        if ((int)(level) <= nf_log_current_level)                                                  \
            nf_log_write((level), (module), __VA_ARGS__);                                          \
    } while (0)

/*
 * Rate-limited logging for errors that can repeat per message: at most `burst` lines
 * per `key` every 10 seconds; the next line that passes says how many were dropped.
 * key is any stable string (usually the format string itself).
 */
void nf_log_ratelimited(nf_log_level_t level, const char *module, const char *key, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

/* Maps a syslog level (as librdkafka reports it) to ours. */
nf_log_level_t nf_log_level_from_syslog(int syslog_level);

#endif
