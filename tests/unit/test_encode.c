/*
 * Unit test for pipeline/encode and pipeline/pipeline: the enriched envelope is valid
 * JSON with the documented fields, escapes control characters and quotes, has a
 * deterministic event id, and the pipeline maps rejections to reason codes.
 */
#include "encode.h"
#include "pipeline.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

static const char *jstr(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static void test_envelope(void)
{
    char *authors[] = {"A. Writer", "B \"Quote\" Person"};
    nf_article_t a = {
        .id = "a-1",
        .title = "Tab\there, newline\nthere, ctrl \x01 and \\ backslash",
        .body = "Body text \xe2\x82\xac 5",
        .url = "https://example.com/x",
        .authors = authors,
        .authors_n = 2,
    };
    nf_source_t src = {
        .topic = "news.articles", .partition = 3, .offset = 42, .timestamp_ms = 1700000000123};
    nf_encode_info_t info = {
        .source = &src, .processed_at_ms = 1700000001000, .processing_us = 17, .replay = false};
    nf_buf_t out = {0};
    nf_encode_enriched(&a, &info, &out);
    cJSON *root = cJSON_ParseWithLength(out.data, out.len);
    CHECK(root != NULL);
    CHECK_STR(jstr(root, "schema"), "newsflow.enriched.v1");
    CHECK_STR(jstr(root, "article_id"), "a-1");
    const char *evid = jstr(root, "event_id");
    CHECK(evid && !strncmp(evid, "evt-", 4) && strlen(evid) == 20);
    cJSON *art = cJSON_GetObjectItemCaseSensitive(root, "article");
    CHECK_STR(jstr(art, "title"), a.title);
    CHECK_STR(jstr(art, "body"), a.body);
    CHECK(cJSON_GetObjectItemCaseSensitive(art, "summary") == NULL);
    cJSON *au = cJSON_GetObjectItemCaseSensitive(art, "authors");
    CHECK(cJSON_GetArraySize(au) == 2);
    CHECK_STR(cJSON_GetArrayItem(au, 1)->valuestring, authors[1]);
    cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "source");
    CHECK_STR(jstr(s, "topic"), "news.articles");
    CHECK_INT(cJSON_GetObjectItemCaseSensitive(s, "partition")->valueint, 3);
    CHECK_INT(cJSON_GetObjectItemCaseSensitive(s, "offset")->valuedouble, 42);
    CHECK_STR(jstr(s, "timestamp"), "2023-11-14T22:13:20.123Z");
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(root, "replay")));
    CHECK_STR(jstr(root, "processed_at"), "2023-11-14T22:13:21.000Z");

    /* The event id is "evt-" and 16 hex digits, cut to the buffer as snprintf cuts. */
    for (size_t size = 0; size <= 22; size++) {
        char got[24] = "untouched", want[24] = "untouched";
        nf_event_id(&a, &src, got, size);
        uint64_t h = strtoull(evid + 4, NULL, 16);
        snprintf(want, size, "evt-%016" PRIx64, h);
        CHECK_STR(got, want);
    }

    /* Same article at the same position: same event id; another offset: another id. */
    char id1[32], id2[32], id3[32];
    nf_event_id(&a, &src, id1, sizeof(id1));
    nf_event_id(&a, &src, id2, sizeof(id2));
    src.offset = 43;
    nf_event_id(&a, &src, id3, sizeof(id3));
    CHECK_STR(id1, id2);
    CHECK(strcmp(id1, id3) != 0);
    cJSON_Delete(root);
    nf_buf_free(&out);
}

/* The escaping the writer must match, a byte at a time. */
static void ref_json_string(nf_buf_t *out, const char *s, size_t len)
{
    nf_buf_puts(out, "\"");
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[8];
        if (ch == '"' || ch == '\\')
            snprintf(esc, sizeof(esc), "\\%c", ch);
        else if (ch == '\n')
            snprintf(esc, sizeof(esc), "\\n");
        else if (ch == '\t')
            snprintf(esc, sizeof(esc), "\\t");
        else if (ch == '\r')
            snprintf(esc, sizeof(esc), "\\r");
        else if (ch < 0x20)
            snprintf(esc, sizeof(esc), "\\u%04x", ch);
        else {
            nf_buf_append(out, (const char *)&ch, 1);
            continue;
        }
        nf_buf_append(out, esc, strlen(esc));
    }
    nf_buf_puts(out, "\"");
}

/*
 * nf_json_string_n works 32 (AVX2), 16 and 8 bytes at a time and copies a plain tail
 * with two overlapping loads: every byte that needs escaping must be found wherever it
 * sits in a chunk or in the tail, next to bytes >= 0x80 (borrows in the word tricks),
 * and NUL and invalid UTF-8 must come out as before (\u0000; bytes as they are). main()
 * runs the test again with NF_NO_AVX2=1, for the path without AVX2.
 */
static void test_json_string(void)
{
    static const char *const cases[][2] = {
        {"", "\"\""},
        {"plain ascii text longer than one chunk", "\"plain ascii text longer than one chunk\""},
        {"a\"b\\c", "\"a\\\"b\\\\c\""},
        {"\x01\x1f\x7f\n\t\r\b\f", "\"\\u0001\\u001f\x7f\\n\\t\\r\\u0008\\u000c\""},
        {"12345678\"", "\"12345678\\\"\""},
        {"1234567\"", "\"1234567\\\"\""},
        {"\xff\xfe\x80\xa0\xc0\x21\x22\x5b\x5c\x5d", "\"\xff\xfe\x80\xa0\xc0!\\\"[\\\\]\""},
        {"\xe2\x82\xac 5 \xf0\x9f\x98\x80", "\"\xe2\x82\xac 5 \xf0\x9f\x98\x80\""},
    };
    nf_buf_t got = {0}, want = {0};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        nf_buf_reset(&got);
        nf_json_string(&got, cases[i][0]);
        CHECK_STR(got.data, cases[i][1]);
    }
    nf_buf_reset(&got);
    nf_json_string(&got, NULL);
    CHECK_STR(got.data, "null");

    /* a NUL inside <ptr, len> */
    nf_buf_reset(&got);
    nf_json_string_n(&got, "a\0b", 3);
    CHECK_STR(got.data, "\"a\\u0000b\"");

    /* every byte value at every offset of the 32-, 16- and 8-byte chunks and of the
     * tail, and a second byte to escape after it */
    char text[80];
    for (int b = 0; b < 256; b++) {
        for (size_t len = 1; len <= sizeof(text); len++) {
            for (size_t at = 0; at < len; at++) {
                memset(text, 'x', sizeof(text));
                for (size_t k = 0; k < len; k++)
                    text[k] = k % 3 ? (char)0xe9 : 'a'; /* high bytes around it */
                text[at] = (char)b;
                if (len - at > 2 && b & 1)
                    text[len - 1 - (size_t)b % (len - at - 1)] = '"';
                nf_buf_reset(&got);
                nf_buf_reset(&want);
                nf_json_string_n(&got, text, len);
                ref_json_string(&want, text, len);
                if (got.len != want.len || memcmp(got.data, want.data, got.len)) {
                    CHECK(!"nf_json_string_n differs from the byte-at-a-time escaping");
                    fprintf(stderr, "  byte 0x%02x at %zu of %zu\n", b, at, len);
                }
            }
        }
    }
    nf_buf_free(&got);
    nf_buf_free(&want);
}

static void test_pipeline(void)
{
    char errstr[256];
    nf_config_t *conf = nf_config_new();
    nf_pipeline_t *p = nf_pipeline_new(conf, errstr, sizeof(errstr));
    CHECK(p != NULL);
    nf_source_t src = {.topic = "in", .partition = 0, .offset = 1, .timestamp_ms = -1};
    nf_result_t res = {0};

    const char *ok = "{\"id\":\"x1\",\"headline\":\"Hello &amp; welcome\",\"text\":\"Body\"}";
    CHECK_INT(nf_pipeline_process(p, ok, strlen(ok), &src, &res), 0);
    CHECK_STR(res.article.title, "Hello & welcome");
    cJSON *root = cJSON_ParseWithLength(res.enriched.data, res.enriched.len);
    CHECK(root != NULL);
    CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "source"),
                                           "timestamp") == NULL);
    cJSON_Delete(root);

    const char *bad = "{\"id\":\"x2\",\"title\":";
    CHECK(nf_pipeline_process(p, bad, strlen(bad), &src, &res) != 0);
    CHECK_STR(res.reason, "invalid_json");
    CHECK(res.error[0] != '\0');
    CHECK_INT(res.enriched.len, 0);

    const char *noid = "{\"title\":\"no id\"}";
    CHECK(nf_pipeline_process(p, noid, strlen(noid), &src, &res) != 0);
    CHECK_STR(res.reason, "missing_id");

    /* Replay marks the output. */
    nf_pipeline_set_replay(p, true);
    CHECK_INT(nf_pipeline_process(p, ok, strlen(ok), &src, &res), 0);
    CHECK(strstr(res.enriched.data, "\"replay\":true") != NULL);

    nf_result_free(&res);
    nf_pipeline_destroy(p);
    nf_config_destroy(conf);
}

/* Alerts: a rule fires once per story (a near-copy does not fire again), never on a
 * replay, and the alert document carries the rule, the story key and the article. */
static void test_alerts(void)
{
    char path[] = "/tmp/nf_test_alerts_XXXXXX";
    int fd = mkstemp(path);
    FILE *fp = fdopen(fd, "w");
    fprintf(fp, "[rule merger-talk]\nkeywords = merger\nseverity = warning\n");
    fclose(fp);
    char errstr[256];
    nf_config_t *conf = nf_config_new();
    CHECK_INT(nf_config_set(conf, "alerts.rules", path, "test", errstr, sizeof(errstr)), 0);
    nf_pipeline_t *p = nf_pipeline_new(conf, errstr, sizeof(errstr));
    CHECK(p != NULL);
    if (!p) {
        fprintf(stderr, "%s\n", errstr);
        return;
    }
    nf_source_t src = {.topic = "in", .partition = 0, .offset = 1, .timestamp_ms = -1};
    nf_result_t res = {0};
    const char *a1 =
        "{\"id\":\"m1\",\"title\":\"Acme and Beta Industries agree merger of equals\","
        "\"body\":\"The boards of Acme and Beta Industries approved the merger on Monday.\"}";
    const char *a2 =
        "{\"id\":\"m2\",\"title\":\"Acme and Beta Industries agree merger of equals - "
        "Example Wire\",\"body\":\"The boards of Acme and Beta Industries approved the "
        "merger on Monday.\"}";
    const char *a3 = "{\"id\":\"m3\",\"title\":\"City opens a new library\",\"body\":\"No "
                     "corporate news here at all.\"}";
    CHECK_INT(nf_pipeline_process(p, a1, strlen(a1), &src, &res), 0);
    CHECK_INT(res.alerts_n, 1);
    if (res.alerts_n == 1) {
        cJSON *alert =
            cJSON_ParseWithLength(res.alerts_json.data + res.alerts[0].off, res.alerts[0].len);
        CHECK(alert != NULL);
        CHECK_STR(jstr(alert, "schema"), "newsflow.alert.v1");
        CHECK_STR(jstr(alert, "rule"), "merger-talk");
        CHECK_STR(jstr(alert, "article_id"), "m1");
        CHECK_STR(jstr(alert, "story_key"), res.story.key);
        cJSON_Delete(alert);
    }
    char key1[32];
    snprintf(key1, sizeof(key1), "%s", res.story.key);
    src.offset = 2;
    CHECK_INT(nf_pipeline_process(p, a2, strlen(a2), &src, &res), 0);
    CHECK_STR(res.story.key, key1);
    CHECK_INT(res.alerts_n, 0); /* same story: no second alert */
    src.offset = 3;
    CHECK_INT(nf_pipeline_process(p, a3, strlen(a3), &src, &res), 0);
    CHECK_INT(res.alerts_n, 0);
    nf_pipeline_set_replay(p, true);
    const char *a4 = "{\"id\":\"m4\",\"title\":\"Gamma and Delta call off merger\"}";
    CHECK_INT(nf_pipeline_process(p, a4, strlen(a4), &src, &res), 0);
    CHECK_INT(res.alerts_n, 0); /* replays never alert by default */
    nf_result_free(&res);
    nf_pipeline_destroy(p);
    nf_config_destroy(conf);
    unlink(path);
}

int main(int argc, char **argv)
{
    (void)argc;
    test_envelope();
    test_json_string();
    if (!getenv("NF_NO_AVX2")) {
        /* once more without the AVX2 path (the escaping test only matters there) */
        char cmd[4096];
        snprintf(cmd, sizeof(cmd), "NF_NO_AVX2=1 '%s'", argv[0]);
        CHECK(strlen(argv[0]) < 4000 && !strchr(argv[0], '\'') && system(cmd) == 0);
    }
    test_pipeline();
    test_alerts();
    TEST_DONE();
}
