/*
 * fuzz_pipeline: the whole per-message analysis, nf_pipeline_process(): decode,
 * classify (the real rules/classifier patterns and model), extract (the real
 * gazetteer), story key and novelty, the alert rules of rules/alerts.conf, and the
 * enriched event's encoder. The pipeline is built once in LLVMFuzzerInitialize (compiling
 * the Hyperscan database takes seconds) and keeps its story state across inputs, as the
 * service does; story.max.entries is at its minimum (100) so that eviction is exercised.
 *
 * Each input is processed twice:
 *   1. as the raw message value (mostly rejected by the decoder: hostile JSON);
 *   2. wrapped into a valid article, so that arbitrary text reaches the deep stages:
 *      the input is split at '|' into title, body, summary, source, author, published_at,
 *      language and url, each JSON-escaped, with bytes that are not UTF-8 replaced by
 *      U+FFFD and NUL by a space (both would be rejected at decode otherwise).
 * Oracles beyond ASan/UBSan/leaks: an accepted article yields an enriched event that is
 * well-formed UTF-8 and exactly one strict RFC 8259 JSON object (fuzz_json_object()),
 * finite scores in [0, 1], and every alert document is one too; the wrapped article is
 * never rejected.
 *
 * Speed, on replays of the corpus (inputs of about 1 KB): about 3 ms of CPU per input under
 * ASan+UBSan, 2 ms under UBSan alone. Nearly all of it is the pipeline's own code, and
 * about 70% of that is libFuzzer's comparison tracing (-fsanitize-coverage=trace-cmp, on
 * every byte and hash compared); the rules are loaded once and nothing is set up per
 * input. A UBSan build without trace-cmp (tests/fuzz/README.md) takes about 0.3 ms.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "log.h"
#include "pipeline.h"

static nf_pipeline_t *pipeline;
static nf_result_t result;
static nf_buf_t wrapped;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char errstr[1024];
    nf_log_set_level(NF_LOG_ERROR);
    nf_config_t *conf = nf_config_new();
    fuzz_check(conf, "out of memory");
    fuzz_check(
        !nf_config_set(conf, "rules.dir", NF_SOURCE_DIR "/rules", "fuzz", errstr, sizeof(errstr)) &&
            !nf_config_set(conf, "story.max.entries", "100", "fuzz", errstr, sizeof(errstr)),
        "%s", errstr);
    pipeline = nf_pipeline_new(conf, errstr, sizeof(errstr));
    fuzz_check(pipeline, "%s", errstr);
    nf_config_destroy(conf);
    return 0;
}

static void check_json(const char *what, const char *json, size_t len)
{
    size_t at;
    fuzz_check(fuzz_utf8_valid((const unsigned char *)json, len), "%s is not UTF-8: %.*s", what,
               (int)len, json);
    fuzz_check(fuzz_json_object(json, len, &at), "%s is not a JSON object (at byte %zu): %.*s",
               what, at, (int)len, json);
}

/* Returns whether the message was enriched (or was a deletion). */
static bool process(const char *buf, size_t len)
{
    static const nf_source_t src = {
        .topic = "fuzz", .partition = 0, .offset = 1, .timestamp_ms = 1767225600000};
    int rc = nf_pipeline_process(pipeline, buf, len, &src, &result);
    if (rc != NF_OK) {
        fuzz_check(result.reason && result.error[0], "rejected without a reason or detail");
        return false;
    }
    if (result.deleted)
        return true;
    fuzz_check(result.enriched.len > 0 && !result.enriched.oom, "no enriched event");
    check_json("enriched event", result.enriched.data, result.enriched.len);
    for (int i = 0; i < NF_CAT__CNT; i++)
        fuzz_check(isfinite(result.scores[i]) && result.scores[i] >= 0 && result.scores[i] <= 1,
                   "score %d is %g", i, (double)result.scores[i]);
    for (int i = 0; i < result.alerts_n; i++)
        check_json("alert", result.alerts_json.data + result.alerts[i].off, result.alerts[i].len);
    return true;
}

/* Appends <s, len> as the body of a JSON string, made valid UTF-8 without NUL bytes. */
static void put_text(nf_buf_t *out, const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            nf_buf_append(out, esc, 2);
            i++;
        } else if (c == 0) {
            nf_buf_append(out, " ", 1);
            i++;
        } else if (c < 0x20) {
            nf_buf_printf(out, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            nf_buf_append(out, (const char *)&c, 1);
            i++;
        } else {
            size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (n <= len - i && fuzz_utf8_valid(s + i, n)) {
                nf_buf_append(out, (const char *)s + i, n);
                i += n;
            } else {
                nf_buf_puts(out, "\\ufffd");
                i++;
            }
        }
    }
}

static void wrap(const uint8_t *data, size_t size)
{
    static const char *const fields[] = {"title",  "body",         "summary",  "source",
                                         "author", "published_at", "language", "url"};
    nf_buf_reset(&wrapped);
    nf_buf_printf(&wrapped, "{\"id\":\"fuzz-%016llx\"",
                  (unsigned long long)nf_fnv1a(NF_FNV_SEED, data, size));
    size_t start = 0;
    for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]) && start <= size; f++) {
        const uint8_t *bar = f + 1 < sizeof(fields) / sizeof(fields[0])
                                 ? memchr(data + start, '|', size - start)
                                 : NULL;
        size_t end = bar ? (size_t)(bar - data) : size;
        nf_buf_printf(&wrapped, ",\"%s\":\"", fields[f]);
        put_text(&wrapped, data + start, end - start);
        nf_buf_puts(&wrapped, "\"");
        start = end + 1;
    }
    /* A title that normalises to nothing would be rejected as missing_text. */
    nf_buf_puts(&wrapped, ",\"headline\":\"fuzz\"}");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    process((const char *)data, size);
    wrap(data, size);
    fuzz_check(process(wrapped.data, wrapped.len), "wrapped article rejected: %s: %s: %s",
               result.reason, result.error, wrapped.data);
    return 0;
}
