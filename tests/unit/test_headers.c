/*
 * Unit test for the headers of newsflow's outputs: the CloudEvents 1.0 attributes in
 * Kafka binary mode (producer/cloudevents.h) on enriched events, tombstones and alerts,
 * and the dead-letter headers (producer/producer.h): every header present with the right
 * value, the time in RFC 3339 UTC, the replay marker only on replays, and the required
 * fields refused when missing.
 */
#include "cloudevents.h"
#include "producer.h"
#include "test.h"

#include <ctype.h>

/* The value of header name as a string ("" for an empty one), or NULL when absent. */
static const char *get(rd_kafka_headers_t *h, const char *name, char *buf, size_t size)
{
    const void *v;
    size_t len;
    if (rd_kafka_header_get_last(h, name, &v, &len))
        return NULL;
    snprintf(buf, size, "%.*s", (int)len, v ? (const char *)v : "");
    return buf;
}

static bool is_rfc3339_ms_utc(const char *s)
{
    /* 2026-11-29T18:00:00.123Z */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (!s || strlen(s) != sizeof(shape) - 1)
        return false;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return false;
    return true;
}

static void test_cloudevents(void)
{
    char b[256];
    nf_ce_info_t info = {.type = "newsflow.article.enriched.v1",
                         .id = "evt-0123456789abcdef",
                         .source = "/newsflow/news.articles",
                         .subject = "art-42",
                         .input_topic = "news.articles",
                         .input_partition = 3,
                         .input_offset = 1234567890123LL,
                         .time_ms = 1796000000123LL,
                         .replay = false};
    rd_kafka_headers_t *h = nf_ce_headers_new(&info);
    CHECK(h != NULL);
    if (!h)
        return;
    CHECK_STR(get(h, "ce_specversion", b, sizeof(b)), "1.0");
    CHECK_STR(get(h, "ce_id", b, sizeof(b)), "evt-0123456789abcdef");
    CHECK_STR(get(h, "ce_source", b, sizeof(b)), "/newsflow/news.articles");
    CHECK_STR(get(h, "ce_type", b, sizeof(b)), "newsflow.article.enriched.v1");
    CHECK_STR(get(h, "ce_subject", b, sizeof(b)), "art-42");
    CHECK_STR(get(h, "ce_time", b, sizeof(b)), "2026-11-30T00:53:20.123Z");
    CHECK(is_rfc3339_ms_utc(get(h, "ce_time", b, sizeof(b))));
    CHECK_STR(get(h, "content-type", b, sizeof(b)), "application/json");
    CHECK_STR(get(h, "newsflow.source.topic", b, sizeof(b)), "news.articles");
    CHECK_STR(get(h, "newsflow.source.partition", b, sizeof(b)), "3");
    CHECK_STR(get(h, "newsflow.source.offset", b, sizeof(b)), "1234567890123");
    CHECK(get(h, "newsflow.replay", b, sizeof(b)) == NULL);
    CHECK_INT(rd_kafka_header_cnt(h), 10);
    /* binary mode: the attributes come first, in the order of the spec's table */
    const char *name;
    const void *v;
    size_t len;
    CHECK(rd_kafka_header_get_all(h, 0, &name, &v, &len) == RD_KAFKA_RESP_ERR_NO_ERROR);
    CHECK_STR(name, "ce_specversion");
    rd_kafka_headers_destroy(h);

    /* an alert on a replay, without a subject */
    info.type = "newsflow.alert.v1";
    info.id = "alr-00000000000000ff";
    info.subject = NULL;
    info.replay = true;
    h = nf_ce_headers_new(&info);
    CHECK(h != NULL);
    if (h) {
        CHECK_STR(get(h, "ce_type", b, sizeof(b)), "newsflow.alert.v1");
        CHECK(get(h, "ce_subject", b, sizeof(b)) == NULL);
        CHECK_STR(get(h, "newsflow.replay", b, sizeof(b)), "true");
        rd_kafka_headers_destroy(h);
    }

    /* required attributes */
    nf_ce_info_t bad = info;
    bad.type = NULL;
    CHECK(nf_ce_headers_new(&bad) == NULL);
    bad = info;
    bad.id = NULL;
    CHECK(nf_ce_headers_new(&bad) == NULL);
    bad = info;
    bad.source = NULL;
    CHECK(nf_ce_headers_new(&bad) == NULL);
    bad = info;
    bad.input_topic = NULL;
    CHECK(nf_ce_headers_new(&bad) == NULL);
    CHECK(nf_ce_headers_new(NULL) == NULL);
}

static void test_dead_letter(void)
{
    char b[256];
    nf_dlq_info_t info = {.reason = "invalid_json",
                          .error = "JSON syntax error at or near byte offset 7",
                          .topic = "news.articles",
                          .partition = 1,
                          .offset = 77,
                          .timestamp_ms = 1796000000000LL};
    rd_kafka_headers_t *h = nf_dlq_headers_new(&info);
    CHECK(h != NULL);
    if (!h)
        return;
    CHECK_STR(get(h, "newsflow.reason", b, sizeof(b)), "invalid_json");
    CHECK_STR(get(h, "newsflow.error", b, sizeof(b)), "JSON syntax error at or near byte offset 7");
    CHECK_STR(get(h, "newsflow.source.topic", b, sizeof(b)), "news.articles");
    CHECK_STR(get(h, "newsflow.source.partition", b, sizeof(b)), "1");
    CHECK_STR(get(h, "newsflow.source.offset", b, sizeof(b)), "77");
    CHECK_STR(get(h, "newsflow.source.timestamp", b, sizeof(b)), "1796000000000");
    rd_kafka_headers_destroy(h);
    info.timestamp_ms = -1; /* unknown: no header */
    info.error = NULL;
    h = nf_dlq_headers_new(&info);
    CHECK(h != NULL);
    if (h) {
        CHECK(get(h, "newsflow.source.timestamp", b, sizeof(b)) == NULL);
        CHECK_STR(get(h, "newsflow.error", b, sizeof(b)), "");
        rd_kafka_headers_destroy(h);
    }
}

int main(void)
{
    test_cloudevents();
    test_dead_letter();
    TEST_DONE();
}
