/*
 * test_decode: unit tests for the message decoder and the text normaliser.
 *
 * Every input is copied into a heap block of exactly its length before decoding, so
 * that AddressSanitizer catches any read past the end of a message (real messages are
 * not NUL-terminated). Each failed check prints file:line and the condition; the exit
 * status is non-zero if any check failed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "decode.h"
#include "util.h"

static int checks, failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

/* Like CHECK, for a failure reported on behalf of a caller's line. */
#define CHECK_AT(line, cond, ...)                                                                  \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, (line), #cond);                 \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define MIB ((size_t)1 << 20)

static const nf_decode_opts_t default_opts = {.max_bytes = MIB};

static char errbuf[512];

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static bool is_zeroed(const nf_article_t *article)
{
    static const nf_article_t zero;
    return memcmp(article, &zero, sizeof(zero)) == 0;
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static bool same_article(const nf_article_t *a, const nf_article_t *b)
{
    if (!same_str(a->id, b->id) || !same_str(a->title, b->title) || !same_str(a->body, b->body) ||
        !same_str(a->summary, b->summary) || !same_str(a->url, b->url) ||
        !same_str(a->source, b->source) || !same_str(a->published_at, b->published_at) ||
        !same_str(a->language, b->language) || a->authors_n != b->authors_n ||
        a->id_derived != b->id_derived || a->deleted != b->deleted)
        return false;
    for (size_t i = 0; i < a->authors_n; i++)
        if (!same_str(a->authors[i], b->authors[i]))
            return false;
    return true;
}

static int differential_failures;

/*
 * Decodes <data, len> from an exactly-sized heap copy. Every message is decoded twice:
 * as the pipeline does (the fast parser first) and with cJSON only; the reason, the
 * detail and every field must agree, so that every input of these tests checks that the
 * fast path changes nothing.
 */
static nf_reject_t decode_n(const char *data, size_t len, const nf_decode_opts_t *opts,
                            nf_article_t *article)
{
    char *copy = malloc(len ? len : 1);
    if (!copy) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    memcpy(copy, data, len);
    nf_decode_opts_t slow = opts ? *opts : (nf_decode_opts_t){.max_bytes = SIZE_MAX};
    slow.cjson_only = true;
    char slow_err[sizeof(errbuf)];
    nf_article_t slow_article = {0};
    nf_reject_t slow_reason =
        nf_decode(copy, len, &slow, &slow_article, slow_err, sizeof(slow_err));
    errbuf[0] = '\0';
    nf_reject_t reason = nf_decode(copy, len, opts, article, errbuf, sizeof(errbuf));
    checks++;
    if (reason != slow_reason || strcmp(errbuf, slow_err) ||
        !same_article(article, &slow_article)) {
        failures++;
        differential_failures++;
        fprintf(stderr, "fast and cJSON decoding differ (%s/%s, \"%s\"/\"%s\") on: %.*s\n",
                nf_reject_name(reason), nf_reject_name(slow_reason), errbuf, slow_err,
                (int)(len < 300 ? len : 300), data);
    }
    nf_article_clear(&slow_article);
    free(copy);
    return reason;
}

static nf_reject_t decode_s(const char *json, nf_article_t *article)
{
    return decode_n(json, strlen(json), &default_opts, article);
}

/*
 * Expects <data, len> to be rejected for reason, with detail containing want (if not
 * NULL), and the article left zeroed.
 */
static void reject_n(int line, const char *data, size_t len, size_t max_bytes, nf_reject_t want,
                     const char *detail)
{
    nf_decode_opts_t opts = {.max_bytes = max_bytes};
    nf_article_t article = {0};
    nf_reject_t got = decode_n(data, len, &opts, &article);
    CHECK_AT(line, got == want, "got %s (%s), want %s", nf_reject_name(got), errbuf,
             nf_reject_name(want));
    CHECK_AT(line, !detail || strstr(errbuf, detail), "detail \"%s\" lacks \"%s\"", errbuf, detail);
    CHECK_AT(line, got == NF_REJECT_NONE || errbuf[0], "no detail for %s", nf_reject_name(got));
    CHECK_AT(line, got == NF_REJECT_NONE || is_zeroed(&article), "article not cleared");
    nf_article_clear(&article);
}

#define REJECT(json, want, detail)        reject_n(__LINE__, (json), strlen(json), MIB, (want), (detail))
#define REJECT_N(data, len, want, detail) reject_n(__LINE__, (data), (len), MIB, (want), (detail))

/* Expects json to decode; the caller checks fields and clears the article. */
static bool accept_s(int line, const char *json, nf_article_t *article)
{
    nf_reject_t got = decode_s(json, article);
    CHECK_AT(line, got == NF_REJECT_NONE, "got %s (%s) for %s", nf_reject_name(got), errbuf, json);
    return got == NF_REJECT_NONE;
}

#define ACCEPT(json, article) accept_s(__LINE__, (json), (article))

/* Decodes json and checks one field of the result (NULL: absent). */
#define FIELD_IS(json, field, want)                                                                \
    do {                                                                                           \
        nf_article_t fa_ = {0};                                                                    \
        if (accept_s(__LINE__, (json), &fa_))                                                      \
            CHECK_AT(__LINE__, str_eq(fa_.field, (want)), "%s is \"%s\", want \"%s\"", #field,     \
                     fa_.field ? fa_.field : "(null)", (want) ? (want) : "(null)");                \
        nf_article_clear(&fa_);                                                                    \
    } while (0)

static void norm_is(int line, const char *in, const char *want)
{
    char *text = strdup(in);
    size_t in_len = strlen(in);
    size_t len = nf_text_normalise(text);
    CHECK_AT(line, strcmp(text, want) == 0, "normalise(\"%s\") = \"%s\", want \"%s\"", in, text,
             want);
    CHECK_AT(line, len == strlen(text), "returned length %zu, string length %zu", len,
             strlen(text));
    CHECK_AT(line, len <= in_len, "output longer than input");
    free(text);
}

#define NORM(in, want) norm_is(__LINE__, (in), (want))

/* Builds "{" repeated depth times, then the closers, wrapped as the value of "x". */
static char *nested(size_t depth, bool as_field)
{
    nf_buf_t buf = {0};
    if (as_field)
        nf_buf_puts(&buf, "{\"id\":\"n\",\"title\":\"t\",\"x\":");
    for (size_t i = 0; i < depth; i++)
        nf_buf_puts(&buf, i % 2 ? "[" : "{\"k\":");
    nf_buf_puts(&buf, "1");
    for (size_t i = depth; i > 0; i--)
        nf_buf_puts(&buf, (i - 1) % 2 ? "]" : "}");
    if (as_field)
        nf_buf_puts(&buf, "}");
    if (buf.oom) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return buf.data;
}

/* A message with a body of body_len 'x' bytes. */
static char *big_message(size_t body_len, size_t *len)
{
    static const char head[] = "{\"id\":\"big\",\"title\":\"Big\",\"body\":\"";
    static const char tail[] = "\"}";
    size_t n = sizeof(head) - 1 + body_len + sizeof(tail) - 1;
    char *msg = malloc(n);
    if (!msg) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    memcpy(msg, head, sizeof(head) - 1);
    memset(msg + sizeof(head) - 1, 'x', body_len);
    memcpy(msg + sizeof(head) - 1 + body_len, tail, sizeof(tail) - 1);
    *len = n;
    return msg;
}

static void test_reject_names(void)
{
    CHECK(str_eq(nf_reject_name(NF_REJECT_NONE), "none"));
    CHECK(str_eq(nf_reject_name(NF_REJECT_EMPTY), "empty"));
    CHECK(str_eq(nf_reject_name(NF_REJECT_TOO_LARGE), "too_large"));
    CHECK(str_eq(nf_reject_name(NF_REJECT_INVALID_UTF8), "invalid_utf8"));
    CHECK(str_eq(nf_reject_name(NF_REJECT_INVALID_JSON), "invalid_json"));
    CHECK(str_eq(nf_reject_name(NF_REJECT_NOT_OBJECT), "not_object"));
    CHECK(str_eq(nf_reject_name(NF_REJECT_WRONG_TYPE), "wrong_type"));
    CHECK(str_eq(nf_reject_name(NF_REJECT_MISSING_ID), "missing_id"));
    CHECK(str_eq(nf_reject_name(NF_REJECT_MISSING_TEXT), "missing_text"));
    CHECK(nf_reject_name(NF_REJECT__CNT) != NULL);
    CHECK(nf_reject_name((nf_reject_t)-1) != NULL);
}

static void test_article_clear(void)
{
    nf_article_clear(NULL);
    nf_article_t article = {0};
    nf_article_clear(&article);
    CHECK(is_zeroed(&article));
    article.id = strdup("x");
    article.title = strdup("t");
    article.authors = calloc(2, sizeof(char *));
    article.authors[0] = strdup("a");
    article.authors[1] = strdup("b");
    article.authors_n = 2;
    article.id_derived = 1;
    nf_article_clear(&article);
    CHECK(is_zeroed(&article));
}

static void test_empty_and_size(void)
{
    nf_article_t article = {0};
    char err[64];

    REJECT_N("", 0, NF_REJECT_EMPTY, "empty");
    CHECK(nf_decode(NULL, 0, &default_opts, &article, err, sizeof(err)) == NF_REJECT_EMPTY);
    CHECK(nf_decode(NULL, 10, &default_opts, &article, err, sizeof(err)) == NF_REJECT_EMPTY);
    CHECK(is_zeroed(&article));

    /* too_large is checked on the raw length, before anything else. */
    reject_n(__LINE__, "{\"id\":1}", 8, 7, NF_REJECT_TOO_LARGE, "8 bytes");
    reject_n(__LINE__, "\xff\xff\xff", 3, 2, NF_REJECT_TOO_LARGE, NULL);
    reject_n(__LINE__, "{\"id\":\"1\",\"title\":\"t\"}", 22, 22, NF_REJECT_NONE, NULL);

    size_t len;
    char *msg = big_message(MIB, &len);
    reject_n(__LINE__, msg, len, 2 * MIB, NF_REJECT_NONE, NULL);
    nf_decode_opts_t two = {.max_bytes = 2 * MIB};
    if (decode_n(msg, len, &two, &article) == NF_REJECT_NONE)
        CHECK(article.body && strlen(article.body) == MIB);
    nf_article_clear(&article);
    reject_n(__LINE__, msg, len, MIB, NF_REJECT_TOO_LARGE, "input.max.bytes");
    free(msg);

    msg = big_message(10 * MIB, &len);
    reject_n(__LINE__, msg, len, MIB, NF_REJECT_TOO_LARGE, NULL);
    free(msg);

    /* No opts: no limit. Tiny or absent errstr: still safe. */
    CHECK(nf_decode("{\"id\":1,\"title\":\"t\"}", 20, NULL, &article, NULL, 0) == NF_REJECT_NONE);
    nf_article_clear(&article);
    CHECK(nf_decode("[1]", 3, NULL, &article, NULL, 0) == NF_REJECT_NOT_OBJECT);
    CHECK(nf_decode("[1]", 3, NULL, &article, err, 1) == NF_REJECT_NOT_OBJECT && err[0] == '\0');
    CHECK(nf_decode("[1]", 3, NULL, &article, err, 8) == NF_REJECT_NOT_OBJECT && strlen(err) == 7);
    CHECK(is_zeroed(&article));
}

static void test_invalid_utf8(void)
{
    REJECT("{\"id\":\"1\",\"title\":\"a\x80\"}", NF_REJECT_INVALID_UTF8, "continuation");
    REJECT("{\"id\":\"1\",\"title\":\"\xC0\xAF\"}", NF_REJECT_INVALID_UTF8, "overlong");
    REJECT("{\"id\":\"1\",\"title\":\"\xC1\xBF\"}", NF_REJECT_INVALID_UTF8, "overlong");
    REJECT("{\"id\":\"1\",\"title\":\"\xE0\x80\xAF\"}", NF_REJECT_INVALID_UTF8, "overlong");
    REJECT("{\"id\":\"1\",\"title\":\"\xF0\x80\x80\xAF\"}", NF_REJECT_INVALID_UTF8, "overlong");
    REJECT("{\"id\":\"1\",\"title\":\"\xED\xA0\x80\"}", NF_REJECT_INVALID_UTF8, "surrogate");
    REJECT("{\"id\":\"1\",\"title\":\"\xED\xBF\xBF\"}", NF_REJECT_INVALID_UTF8, "surrogate");
    REJECT("{\"id\":\"1\",\"title\":\"\xF4\x90\x80\x80\"}", NF_REJECT_INVALID_UTF8, "U+10FFFF");
    REJECT("{\"id\":\"1\",\"title\":\"\xF5\x80\x80\x80\"}", NF_REJECT_INVALID_UTF8, "U+10FFFF");
    REJECT("{\"id\":\"1\",\"title\":\"\xFF\"}", NF_REJECT_INVALID_UTF8, "invalid byte");
    REJECT("{\"id\":\"1\",\"title\":\"\xE2\x82\"}", NF_REJECT_INVALID_UTF8, "truncated");
    /* Truncated sequence at the very end of the message, and the offset reported. */
    REJECT("{\"id\":\"1\"}\xE2\x82", NF_REJECT_INVALID_UTF8, "byte offset 10");
    REJECT("{\"id\":\"1\"}\xF0\x9F\x98", NF_REJECT_INVALID_UTF8, "truncated");
    REJECT("\xC3", NF_REJECT_INVALID_UTF8, "byte offset 0");
    /* UTF-8 comes before JSON: broken JSON with bad bytes is invalid_utf8. */
    REJECT("\xFF{", NF_REJECT_INVALID_UTF8, NULL);
    /* The largest code points are fine. */
    FIELD_IS("{\"id\":\"1\",\"title\":\"\xF4\x8F\xBF\xBF \xEF\xBF\xBF\"}", title,
             "\xF4\x8F\xBF\xBF \xEF\xBF\xBF");
}

static void test_invalid_json(void)
{
    REJECT("{\"id\":", NF_REJECT_INVALID_JSON, "byte offset");
    REJECT("{\"id\":\"1\",\"title\":\"t\"", NF_REJECT_INVALID_JSON, NULL);
    REJECT("{\"id\":\"1\",\"title\":\"unterminated}", NF_REJECT_INVALID_JSON, NULL);
    REJECT("hello", NF_REJECT_INVALID_JSON, NULL);
    REJECT("   ", NF_REJECT_INVALID_JSON, NULL);
    REJECT("{\"id\":1,}", NF_REJECT_INVALID_JSON, NULL);
    REJECT("{'id':1}", NF_REJECT_INVALID_JSON, NULL);
    REJECT("{\"id\":NaN}", NF_REJECT_INVALID_JSON, NULL);
    REJECT("{\"title\":\"\\ud800\"}", NF_REJECT_INVALID_JSON, NULL); /* lone surrogate */
    REJECT("{\"title\":\"\\x41\"}", NF_REJECT_INVALID_JSON, NULL);
    REJECT("{\"id\":tru}", NF_REJECT_INVALID_JSON, "byte offset 6");

    /* Trailing garbage after a complete value; trailing whitespace is fine. */
    REJECT("{\"id\":\"1\",\"title\":\"t\"} x", NF_REJECT_INVALID_JSON, "byte offset 23");
    REJECT("{\"id\":\"1\",\"title\":\"t\"}{}", NF_REJECT_INVALID_JSON, "after the JSON value");
    REJECT("{\"id\":\"1\",\"title\":\"t\"},", NF_REJECT_INVALID_JSON, NULL);
    REJECT("[1]]", NF_REJECT_INVALID_JSON, NULL);
    FIELD_IS(" \t{\"id\":\"1\",\"title\":\"t\"} \r\n", id, "1");

    /* NUL: raw byte anywhere, or the \u0000 escape; an escaped backslash is just text. */
    REJECT_N("{\"id\":\"1\",\"title\":\"a\0b\"}", 24, NF_REJECT_INVALID_JSON, "NUL byte");
    REJECT_N("{\"id\":\"1\",\"title\":\"t\"}\0", 23, NF_REJECT_INVALID_JSON, "offset 22");
    REJECT("{\"id\":\"1\",\"title\":\"a\\u0000b\"}", NF_REJECT_INVALID_JSON,
           "NUL character in string");
    REJECT("{\"id\":\"1\",\"title\":\"t\",\"x\":[\"\\u0000\"]}", NF_REJECT_INVALID_JSON,
           "NUL character in string");
    REJECT("{\"id\":\"1\",\"title\":\"t\",\"\\u0000\":1}", NF_REJECT_INVALID_JSON,
           "NUL character in string");
    REJECT("{\"id\":\"1\",\"title\":\"\\\\\\u0000\"}", NF_REJECT_INVALID_JSON,
           "NUL character in string");
    FIELD_IS("{\"id\":\"1\",\"title\":\"a\\\\u0000b\"}", title, "a\\u0000b");
    FIELD_IS("{\"id\":\"1\",\"title\":\"\\\"\\\\u0000\"}", title, "\"\\u0000");
    FIELD_IS("{\"id\":\"1\",\"title\":\"a\\u0001b\"}", title,
             "a\x01"
             "b");

    /* Byte order mark: skipped; alone it is not JSON; offsets count from the BOM. */
    FIELD_IS("\xEF\xBB\xBF{\"id\":\"bom\",\"title\":\"t\"}", id, "bom");
    REJECT("\xEF\xBB\xBF", NF_REJECT_INVALID_JSON, NULL);
    REJECT("\xEF\xBB\xBF{\"id\":tru}", NF_REJECT_INVALID_JSON, "byte offset 9");
    REJECT("\xEF\xBB\xBF\xEF\xBB\xBF{}", NF_REJECT_INVALID_JSON, NULL);

    /* Nesting: 10 levels inside a field are fine, 2000 exceed cJSON's limit of 1000. */
    char *deep = nested(10, true);
    FIELD_IS(deep, id, "n");
    free(deep);
    deep = nested(2000, true);
    REJECT(deep, NF_REJECT_INVALID_JSON, NULL);
    free(deep);
    deep = nested(2000, false);
    REJECT(deep, NF_REJECT_INVALID_JSON, NULL);
    free(deep);

    /* Every proper prefix of a valid message is rejected, and never crashes. */
    static const char full[] = "{\"id\":\"p\",\"title\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\","
                               "\"authors\":[\"a\",\"b\"],\"n\":-1.5e3,\"ok\":true}";
    nf_article_t article = {0};
    CHECK(decode_n(full, sizeof(full) - 1, &default_opts, &article) == NF_REJECT_NONE);
    nf_article_clear(&article);
    for (size_t n = 1; n < sizeof(full) - 1; n++) {
        nf_reject_t got = decode_n(full, n, &default_opts, &article);
        CHECK_AT(__LINE__, got == NF_REJECT_INVALID_JSON || got == NF_REJECT_INVALID_UTF8,
                 "prefix %zu: %s", n, nf_reject_name(got));
        CHECK(is_zeroed(&article));
    }
}

static void test_not_object(void)
{
    REJECT("[]", NF_REJECT_NOT_OBJECT, "array");
    REJECT("[{\"id\":\"1\",\"title\":\"t\"}]", NF_REJECT_NOT_OBJECT, NULL);
    REJECT("\"text\"", NF_REJECT_NOT_OBJECT, "string");
    REJECT("42", NF_REJECT_NOT_OBJECT, "number");
    REJECT("true", NF_REJECT_NOT_OBJECT, "boolean");
    REJECT("null", NF_REJECT_NOT_OBJECT, "null");
    REJECT("[[[[[[[[[[1]]]]]]]]]]", NF_REJECT_NOT_OBJECT, NULL);
}

static void test_wrong_type(void)
{
    static const struct {
        const char *json;
        const char *detail;
    } cases[] = {
        {"{\"id\":true,\"title\":\"t\"}",
         "field \"id\" must be a string or an integer, got boolean"},
        {"{\"id\":[\"1\"],\"title\":\"t\"}", "\"id\""},
        {"{\"id\":{},\"title\":\"t\"}", "got object"},
        {"{\"id\":1.5,\"title\":\"t\"}", "got number 1.5"},
        {"{\"id\":1e300,\"title\":\"t\"}", "\"id\""},
        {"{\"id\":1e400,\"title\":\"t\"}", "\"id\""},
        {"{\"id\":9007199254740992,\"title\":\"t\"}", "2^53"},
        {"{\"id\":12345678901234567890,\"title\":\"t\"}", "\"id\""},
        {"{\"id\":\"1\",\"title\":5}", "field \"title\" must be a string, got number"},
        {"{\"id\":\"1\",\"headline\":false}", "field \"headline\" must be a string, got boolean"},
        {"{\"id\":\"1\",\"title\":\"t\",\"body\":[]}",
         "field \"body\" must be a string, got array"},
        {"{\"id\":\"1\",\"content\":{}}", "field \"content\" must be a string, got object"},
        {"{\"id\":\"1\",\"text\":1}", "field \"text\""},
        {"{\"id\":\"1\",\"title\":\"t\",\"summary\":1}", "field \"summary\""},
        {"{\"id\":\"1\",\"title\":\"t\",\"description\":[]}", "field \"description\""},
        {"{\"id\":\"1\",\"title\":\"t\",\"url\":1}", "field \"url\" must be a string, got number"},
        {"{\"title\":\"t\",\"link\":{}}", "field \"link\""},
        {"{\"id\":\"1\",\"title\":\"t\",\"source\":1}",
         "field \"source\" must be a string or an object, got number"},
        {"{\"id\":\"1\",\"title\":\"t\",\"source\":[\"x\"]}", "field \"source\""},
        {"{\"id\":\"1\",\"title\":\"t\",\"source\":{\"name\":3}}",
         "field \"source.name\" must be a string, got number"},
        {"{\"id\":\"1\",\"title\":\"t\",\"published_at\":1700000000}", "field \"published_at\""},
        {"{\"id\":\"1\",\"title\":\"t\",\"published\":true}", "field \"published\""},
        {"{\"id\":\"1\",\"title\":\"t\",\"date\":{}}", "field \"date\""},
        {"{\"id\":\"1\",\"title\":\"t\",\"language\":1}", "field \"language\""},
        {"{\"id\":\"1\",\"title\":\"t\",\"lang\":[]}", "field \"lang\""},
        {"{\"id\":\"1\",\"title\":\"t\",\"authors\":1}",
         "field \"authors\" must be a string or an array of strings, got number"},
        {"{\"id\":\"1\",\"title\":\"t\",\"authors\":[\"a\",1]}", "got number at index 1"},
        {"{\"id\":\"1\",\"title\":\"t\",\"authors\":[\"a\",null]}", "got null at index 1"},
        {"{\"id\":\"1\",\"title\":\"t\",\"authors\":[[\"a\"]]}", "got array at index 0"},
        {"{\"id\":\"1\",\"title\":\"t\",\"author\":true}", "field \"author\""},
        {"{\"id\":\"1\",\"title\":\"t\",\"author\":{\"name\":\"x\"}}", "field \"author\""},
        /* The first usable alias wins; one of the wrong type is not skipped. */
        {"{\"id\":\"1\",\"title\":1,\"headline\":\"h\"}", "field \"title\""},
        /* wrong_type comes before missing_id and missing_text. */
        {"{\"lang\":1}", "field \"lang\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        reject_n(__LINE__, cases[i].json, strlen(cases[i].json), MIB, NF_REJECT_WRONG_TYPE,
                 cases[i].detail);
}

static void test_missing(void)
{
    REJECT("{}", NF_REJECT_MISSING_ID, NULL);
    REJECT("{\"title\":\"t\"}", NF_REJECT_MISSING_ID, "\"id\"");
    REJECT("{\"id\":\"\",\"title\":\"t\"}", NF_REJECT_MISSING_ID, NULL);
    REJECT("{\"id\":\" \\t\\n\",\"title\":\"t\"}", NF_REJECT_MISSING_ID, NULL);
    REJECT("{\"id\":null,\"title\":\"t\"}", NF_REJECT_MISSING_ID, NULL);
    REJECT("{\"url\":\"\",\"title\":\"t\"}", NF_REJECT_MISSING_ID, NULL);
    REJECT("{\"url\":null,\"link\":\"  \",\"title\":\"t\"}", NF_REJECT_MISSING_ID, NULL);
    REJECT("{\"ID\":\"1\",\"title\":\"t\"}", NF_REJECT_MISSING_ID, NULL); /* case matters */
    /* missing_id comes before missing_text. */
    REJECT("{\"summary\":\"s\"}", NF_REJECT_MISSING_ID, NULL);

    REJECT("{\"id\":\"1\"}", NF_REJECT_MISSING_TEXT, "\"title\"");
    REJECT("{\"id\":\"1\",\"summary\":\"only a summary\"}", NF_REJECT_MISSING_TEXT, NULL);
    REJECT("{\"id\":\"1\",\"title\":\"\",\"body\":\"\"}", NF_REJECT_MISSING_TEXT, NULL);
    REJECT("{\"id\":\"1\",\"title\":\" \\n\\t \"}", NF_REJECT_MISSING_TEXT, NULL);
    REJECT("{\"id\":\"1\",\"title\":\"<p> </p>\",\"body\":\"&nbsp;\"}", NF_REJECT_MISSING_TEXT,
           NULL);
    REJECT("{\"id\":\"1\",\"title\":null,\"body\":null}", NF_REJECT_MISSING_TEXT, NULL);
    REJECT("{\"url\":\"https://x.test/a\"}", NF_REJECT_MISSING_TEXT, NULL);
}

static void test_full_article(void)
{
    nf_article_t article = {0};
    if (ACCEPT("{\"id\":\" a-1 \",\"title\":\" <b>Big</b>  news &amp; more \","
               "\"body\":\"<p>First.</p><p>Second&nbsp;para.</p>\",\"summary\":\"Short\","
               "\"url\":\" https://x.test/a?b=1&amp;c=2 \",\"source\":\"  Daily  Planet \","
               "\"published_at\":\" 2026-01-02T03:04:05Z \",\"language\":\" en \","
               "\"authors\":[\"  Lois   Lane \",\"\",\"<i>Clark</i> Kent\",\"   \"],"
               "\"extra\":{\"ignored\":[1,2,3]}}",
               &article)) {
        CHECK(str_eq(article.id, "a-1"));
        CHECK(article.id_derived == 0);
        CHECK(str_eq(article.title, "Big news & more"));
        CHECK(str_eq(article.body, "First. Second para."));
        CHECK(str_eq(article.summary, "Short"));
        CHECK(str_eq(article.url, "https://x.test/a?b=1&amp;c=2")); /* only trimmed */
        CHECK(str_eq(article.source, "Daily Planet"));
        CHECK(str_eq(article.published_at, "2026-01-02T03:04:05Z"));
        CHECK(str_eq(article.language, "en"));
        CHECK(article.authors_n == 2);
        if (article.authors_n == 2) {
            CHECK(str_eq(article.authors[0], "Lois Lane"));
            CHECK(str_eq(article.authors[1], "Clark Kent"));
        }
    }
    nf_article_clear(&article);

    /* The same article can be decoded into again after clearing. */
    if (ACCEPT("{\"id\":\"a-2\",\"body\":\"only body\"}", &article)) {
        CHECK(str_eq(article.id, "a-2"));
        CHECK(article.title == NULL);
        CHECK(str_eq(article.body, "only body"));
        CHECK(article.summary == NULL && article.url == NULL && article.source == NULL);
        CHECK(article.published_at == NULL && article.language == NULL);
        CHECK(article.authors == NULL && article.authors_n == 0);
    }
    nf_article_clear(&article);

    /* Whitespace-only title with a body: accepted, title absent. */
    if (ACCEPT("{\"id\":\"w\",\"title\":\"   \",\"body\":\"text\"}", &article)) {
        CHECK(article.title == NULL);
        CHECK(str_eq(article.body, "text"));
    }
    nf_article_clear(&article);
}

static void test_aliases(void)
{
    FIELD_IS("{\"id\":\"1\",\"headline\":\"H\"}", title, "H");
    FIELD_IS("{\"id\":\"1\",\"content\":\"C\"}", body, "C");
    FIELD_IS("{\"id\":\"1\",\"text\":\"T\"}", body, "T");
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"description\":\"D\"}", summary, "D");
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"link\":\"L\"}", url, "L");
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"published\":\"P\"}", published_at, "P");
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"date\":\"D\"}", published_at, "D");
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"lang\":\"de\"}", language, "de");

    /* Preference follows decode.h's order, whatever the order in the message. */
    FIELD_IS("{\"id\":\"1\",\"headline\":\"H\",\"title\":\"T\"}", title, "T");
    FIELD_IS("{\"id\":\"1\",\"text\":\"X\",\"content\":\"C\",\"body\":\"B\"}", body, "B");
    FIELD_IS("{\"id\":\"1\",\"text\":\"X\",\"content\":\"C\"}", body, "C");
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"description\":\"D\",\"summary\":\"S\"}", summary,
             "S");
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"link\":\"L\",\"url\":\"U\"}", url, "U");
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"date\":\"D\",\"published\":\"P\"}", published_at,
             "P");
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"date\":\"D\",\"published_at\":\"A\","
             "\"published\":\"P\"}",
             published_at, "A");
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"lang\":\"de\",\"language\":\"fr\"}", language, "fr");
    /* Null or empty counts as absent, so the next alias is used. */
    FIELD_IS("{\"id\":\"1\",\"title\":null,\"headline\":\"H\"}", title, "H");
    FIELD_IS("{\"id\":\"1\",\"title\":\" <br> \",\"headline\":\"H\"}", title, "H");
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"url\":\"\",\"link\":\"L\"}", url, "L");
    /* After a usable value, later aliases are not looked at, even of the wrong type. */
    FIELD_IS("{\"id\":\"1\",\"title\":\"T\",\"headline\":7}", title, "T");

    nf_article_t article = {0};
    if (ACCEPT("{\"id\":\"1\",\"title\":\"t\",\"author\":\" Jane  Doe \"}", &article)) {
        CHECK(article.authors_n == 1);
        CHECK(article.authors_n == 1 && str_eq(article.authors[0], "Jane Doe"));
    }
    nf_article_clear(&article);
    if (ACCEPT("{\"id\":\"1\",\"title\":\"t\",\"author\":[\"A\",\"B\"]}", &article)) {
        CHECK(article.authors_n == 2);
        CHECK(article.authors_n == 2 && str_eq(article.authors[1], "B"));
    }
    nf_article_clear(&article);
    if (ACCEPT("{\"id\":\"1\",\"title\":\"t\",\"author\":\"X\",\"authors\":[\"Y\"]}", &article))
        CHECK(article.authors_n == 1 && str_eq(article.authors[0], "Y"));
    nf_article_clear(&article);
    if (ACCEPT("{\"id\":\"1\",\"title\":\"t\",\"authors\":[],\"author\":\"X\"}", &article))
        CHECK(article.authors_n == 1 && str_eq(article.authors[0], "X"));
    nf_article_clear(&article);
    if (ACCEPT("{\"id\":\"1\",\"title\":\"t\",\"authors\":[\" \"]}", &article))
        CHECK(article.authors == NULL && article.authors_n == 0);
    nf_article_clear(&article);

    /* source as an object. */
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"source\":{\"name\":\" The &lt;Times&gt; \","
             "\"id\":\"times\"}}",
             source, "The <Times>");
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"source\":{\"id\":\"times\"}}", source, NULL);
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"source\":{\"name\":null}}", source, NULL);
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"source\":{}}", source, NULL);
}

static void test_ids(void)
{
    FIELD_IS("{\"id\":12345,\"title\":\"t\"}", id, "12345");
    FIELD_IS("{\"id\":0,\"title\":\"t\"}", id, "0");
    FIELD_IS("{\"id\":-0,\"title\":\"t\"}", id, "0");
    FIELD_IS("{\"id\":-7,\"title\":\"t\"}", id, "-7");
    FIELD_IS("{\"id\":1e3,\"title\":\"t\"}", id, "1000");
    FIELD_IS("{\"id\":2.0,\"title\":\"t\"}", id, "2");
    FIELD_IS("{\"id\":9007199254740991,\"title\":\"t\"}", id, "9007199254740991");
    FIELD_IS("{\"id\":-9007199254740991,\"title\":\"t\"}", id, "-9007199254740991");
    FIELD_IS("{\"id\":\"0042\",\"title\":\"t\"}", id, "0042"); /* strings are kept as given */
    /* Ids are only trimmed, never normalised. */
    FIELD_IS("{\"id\":\" a&amp;b  c \",\"title\":\"t\"}", id, "a&amp;b  c");

    /* Derived from the url: "url-" and 16 lowercase hex digits of FNV-1a, stable. */
    static const char url[] = "https://news.example/2026/01/story?x=1";
    char want[32];
    snprintf(want, sizeof(want), "url-%016" PRIx64, nf_fnv1a(NF_FNV_SEED, url, strlen(url)));
    nf_article_t a1 = {0}, a2 = {0}, a3 = {0};
    bool ok1 = ACCEPT("{\"url\":\"https://news.example/2026/01/story?x=1\",\"title\":\"t\"}", &a1);
    bool ok2 = ACCEPT("{\"title\":\"t\",\"id\":null,\"link\":\"  "
                      "https://news.example/2026/01/story?x=1\\n\"}",
                      &a2);
    bool ok3 = ACCEPT("{\"url\":\"https://news.example/2026/01/story?x=2\",\"title\":\"t\"}", &a3);
    if (ok1 && ok2 && ok3) {
        CHECK(strlen(a1.id) == 20);
        CHECK(strncmp(a1.id, "url-", 4) == 0);
        CHECK(strspn(a1.id + 4, "0123456789abcdef") == 16);
        CHECK(str_eq(a1.id, want));
        CHECK(a1.id_derived == 1);
        CHECK(str_eq(a1.id, a2.id)); /* trimmed before hashing, same for link */
        CHECK(a2.id_derived == 1);
        CHECK(!str_eq(a1.id, a3.id));
        CHECK(str_eq(a1.url, url));
    }
    nf_article_clear(&a1);
    nf_article_clear(&a2);
    nf_article_clear(&a3);
    /* An explicit id wins over the url. */
    if (ACCEPT("{\"id\":\"x\",\"url\":\"https://a.test/\",\"title\":\"t\"}", &a1))
        CHECK(str_eq(a1.id, "x") && a1.id_derived == 0);
    nf_article_clear(&a1);
}

static void test_nulls_and_numbers(void)
{
    nf_article_t article = {0};
    if (ACCEPT("{\"id\":\"1\",\"title\":\"t\",\"body\":null,\"summary\":null,\"url\":null,"
               "\"source\":null,\"published_at\":null,\"language\":null,\"authors\":null,"
               "\"headline\":null,\"content\":null,\"author\":null}",
               &article)) {
        CHECK(article.body == NULL && article.summary == NULL && article.url == NULL);
        CHECK(article.source == NULL && article.published_at == NULL);
        CHECK(article.language == NULL && article.authors == NULL && article.authors_n == 0);
    }
    nf_article_clear(&article);

    /* Huge numbers elsewhere in the message are not our business. */
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"views\":1e999999,\"n\":-1e-999999}", id, "1");
    nf_buf_t buf = {0};
    nf_buf_puts(&buf, "{\"id\":\"1\",\"title\":\"t\",\"n\":");
    for (int i = 0; i < 500; i++)
        nf_buf_puts(&buf, "9");
    nf_buf_puts(&buf, "}");
    FIELD_IS(buf.data, id, "1");
    nf_buf_free(&buf);
}

static void test_duplicates(void)
{
    /* cJSON keeps both; lookups find the first. It must be the same every time. */
    for (int i = 0; i < 3; i++) {
        FIELD_IS("{\"id\":\"a\",\"id\":\"b\",\"title\":\"t\"}", id, "a");
        FIELD_IS("{\"id\":\"1\",\"title\":\"first\",\"title\":\"second\"}", title, "first");
    }
    REJECT("{\"id\":\"1\",\"title\":1,\"title\":\"t\"}", NF_REJECT_WRONG_TYPE, NULL);
    FIELD_IS("{\"id\":\"1\",\"title\":\"t\",\"title\":1}", title, "t");
}

static void test_encodings(void)
{
    FIELD_IS("{\"id\":\"1\",\"title\":\"Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC "
             "\xF0\x9F\x98\x80\"}",
             title, "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80");
    FIELD_IS("{\"id\":\"1\",\"title\":\"\\u00e9\\u65e5 \\ud83d\\ude00\"}", title,
             "\xC3\xA9\xE6\x97\xA5 \xF0\x9F\x98\x80");
    /* Emoji with ZWJ sequences survive (only U+200B and friends are dropped). */
    FIELD_IS("{\"id\":\"1\",\"title\":\"\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x92\xBB\"}", title,
             "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x92\xBB");
    /* Unicode keys are fine and ignored. */
    FIELD_IS("{\"\xC3\xBC\":1,\"id\":\"\xC3\xBC\",\"title\":\"t\"}", id, "\xC3\xBC");
    /* Escapes that decode to whitespace are collapsed. */
    FIELD_IS("{\"id\":\"1\",\"title\":\"a\\n\\t\\r b\\u00a0\\u2009c\\u200bd\"}", title, "a b cd");
}

static void test_normalise(void)
{
    CHECK(nf_text_normalise(NULL) == 0);
    NORM("", "");
    NORM("   ", "");
    NORM("plain", "plain");
    NORM("  lots \t\n of \r\f\v  space  ", "lots of space");

    /* Entities. */
    NORM("&amp;lt;", "&lt;");
    NORM("AT&T", "AT&T");
    NORM("AT&T;", "AT&T;");
    NORM("&#8364;", "\xE2\x82\xAC");
    NORM("&#x20AC; &#X20ac;", "\xE2\x82\xAC \xE2\x82\xAC");
    NORM("&lt;&gt;&quot;&apos;&#39;&amp;", "<>\"''&");
    NORM("&lt;p&gt;not a tag&lt;/p&gt;", "<p>not a tag</p>");
    NORM("a&nbsp;&nbsp;b", "a b");
    NORM("&nbsp;lead and trail&nbsp;", "lead and trail");
    NORM("x&mdash;y&ndash;z&hellip;", "x\xE2\x80\x94y\xE2\x80\x93z\xE2\x80\xA6");
    NORM("&lsquo;a&rsquo; &ldquo;b&rdquo;", "\xE2\x80\x98"
                                            "a\xE2\x80\x99 \xE2\x80\x9C"
                                            "b\xE2\x80\x9D");
    NORM("&euro;&pound;&yen;&copy;&reg;&trade;", "\xE2\x82\xAC\xC2\xA3\xC2\xA5\xC2\xA9\xC2\xAE"
                                                 "\xE2\x84\xA2");
    NORM("caf&eacute; &Eacute;cole", "caf\xC3\xA9 \xC3\x89"
                                     "cole");
    NORM("&#65;&#x42;&#0067;", "ABC");
    NORM("&#x10FFFF;", "\xF4\x8F\xBF\xBF");
    NORM("&#0;", "\xEF\xBF\xBD");
    NORM("&#x0;", "\xEF\xBF\xBD");
    NORM("&#xD800;", "\xEF\xBF\xBD");
    NORM("&#57343;", "\xEF\xBF\xBD");
    NORM("&#x110000;", "\xEF\xBF\xBD");
    NORM("&#1114112;", "\xEF\xBF\xBD");
    NORM("&#99999999999999999999;", "\xEF\xBF\xBD");
    NORM("&#150;&#151;&#146;", "\xE2\x80\x93\xE2\x80\x94\xE2\x80\x99"); /* Windows-1252 */
    NORM("&#32;a&#10;&#160;b", "a b");
    NORM("zero&#8203;width", "zerowidth");
    NORM("&unknown; &AMP; &amp &; &#; &#x; &#12 &#xZZ;",
         "&unknown; &AMP; &amp &; &#; &#x; &#12 &#xZZ;");
    NORM("&verylongentityname;", "&verylongentityname;");
    NORM("&&amp;&", "&&&");

    /* Tags. */
    NORM("<p>Hello</p><p>world</p>", "Hello world");
    NORM("a <b>bold</b> c", "a bold c");
    NORM("line<br/>break<br />again", "line break again");
    NORM("<a href=\"x?a=1&amp;b=2\">link</a>", "link");
    NORM("<!-- a comment > with gt -->text", "text");
    NORM("<!doctype html><?xml x?>t", "t");
    NORM("<script>if (a < b && c > d) x();</script>after", "after");
    NORM("<SCRIPT type=\"x\">var s = '<p>';</Script >after", "after");
    NORM("<style>p { color: red; }</style>styled", "styled");
    NORM("<scripted>kept</scripted>", "kept");
    NORM("<script>unterminated", "unterminated");
    NORM("a < b", "a < b");
    NORM("a<3 b", "a<3 b");
    NORM("x<y", "x<y");
    NORM("<", "<");
    NORM("<p", "<p");
    NORM("a <b unterminated", "a <b unterminated");
    NORM("1 > 0", "1 > 0");
    NORM("<>", "<>");
    /* wire copy's company markers are text, not tags */
    NORM("<Jannock Ltd> said it agreed", "<Jannock Ltd> said it agreed");
    NORM("Acme Corp <Acme Holdings Inc.> said", "Acme Corp <Acme Holdings Inc.> said");
    NORM("<Div>x</Div>", "x");
    NORM("<Input disabled>x", "x");
    /* a single capitalised, mixed-case word is a marker unless an HTML element has
     * that name, in any case */
    NORM("<Genentech>", "<Genentech>");
    NORM("said <Jannock> agreed", "said <Jannock> agreed");
    NORM("<Wal-Mart> and <Dun.Co>", "<Wal-Mart> and <Dun.Co>");
    NORM("<Span>s</Span>", "s");
    NORM("<Table>cell", "cell");
    NORM("<Body>b", "b");
    NORM("<Section>x<Title>y", "x y");
    NORM("<Blockquote>q", "q");
    NORM("<H1>h", "h");
    NORM("<Genentech Inc.>", "<Genentech Inc.>");
    NORM("<Genen tech>", "");
    NORM("<Genentech's>", "");
    NORM("<Table border=1>cell", "cell");
    NORM("<Span class=\"a\">s", "s");
    NORM("<P>para<BR>", "para");
    NORM("<Abc", "<Abc");

    /* Unicode whitespace and invisible characters. */
    NORM("a\xC2\xA0\xC2\xA0"
         "b",
         "a b");
    NORM("a\xE2\x80\x89"
         "b\xE3\x80\x80"
         "c\xE2\x80\xA8"
         "d",
         "a b c d");
    NORM("zero\xE2\x80\x8Bwidth\xEF\xBB\xBF", "zerowidth");
    NORM("soft\xC2\xADhyphen", "softhyphen");
    NORM("\xE2\x80\x8B \xE2\x80\x8B", "");
    /* Bytes that are not UTF-8 pass through untouched, without crashing. */
    NORM("\xFF a \xC3", "\xFF a \xC3");
    NORM("\xE2\x80", "\xE2\x80");

    /*
     * Every separator, tag, entity and removed character (and a control byte, which
     * stays) at every offset of a long plain text, before and after the sixteen-byte
     * steps of the run loop take over.
     */
    static const char *const special[][2] = {{"  ", " "},
                                             {"\t", " "},
                                             {"\n\n", " "},
                                             {"&amp;", "&"},
                                             {"<b>", " "},
                                             {"\xC2\xA0", " "},
                                             {"\xE2\x80\x8B", ""},
                                             {" ", " "},
                                             {"\xE2\x80\x94", "\xE2\x80\x94"},
                                             {"<", "<"},
                                             {"&", "&"},
                                             {" \x01", " \x01"},
                                             {"\xC3\xA9", "\xC3\xA9"}};
    size_t runs = 0;
    for (size_t k = 0; k < sizeof(special) / sizeof(special[0]); k++) {
        for (size_t at = 1; at < 50; at++) {
            char in[160], want[160];
            static const char plain[] =
                "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWX";
            snprintf(in, sizeof(in), "%.*s%s%s", (int)at, plain, special[k][0], plain);
            snprintf(want, sizeof(want), "%.*s%s%s", (int)at, plain, special[k][1], plain);
            norm_is(__LINE__, in, want);
            runs++;
        }
    }
    CHECK(runs == 13 * 49);

    /* Pathological inputs stay linear (this would take minutes if quadratic). */
    size_t n = 2 * MIB;
    char *text = malloc(n + 1);
    for (size_t i = 0; i < n; i += 2)
        memcpy(text + i, "<a", 2);
    text[n] = '\0';
    CHECK(nf_text_normalise(text) == n);
    for (size_t i = 0; i < n; i += 5)
        memcpy(text + i, i + 5 <= n ? "<!--x" : "<<<<<", i + 5 <= n ? 5 : n - i);
    text[n] = '\0';
    CHECK(nf_text_normalise(text) == n);
    for (size_t i = 0; i < n; i += 8)
        memcpy(text + i, i + 8 <= n ? "<script>" : "<<<<<<<<", i + 8 <= n ? 8 : n - i);
    text[n] = '\0';
    CHECK(nf_text_normalise(text) == 0);
    free(text);
}

/*
 * Random mutations of valid messages: whatever comes out, there must be no crash or leak
 * and a rejected article must be left zeroed. A fixed seed keeps failures reproducible.
 */
static void test_mutations(void)
{
    static const char *const seeds[] = {
        "{\"id\":\"m\",\"title\":\"<b>T</b> &amp; \\u00e9\",\"authors\":[\"a\",\"b\"],"
        "\"source\":{\"name\":\"S\"},\"n\":[1,2.5e3,null,true,{\"x\":\"\\\\u0000\"}]}",
        "\xEF\xBB\xBF{\"url\":\"https://x.test/\xC3\xA9\",\"body\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\"}",
    };
    static const char alphabet[] = "{}[]\",:\\u0 \x00\x80\xC3\xED\xF4<>&;#tnfe1-.";
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    int accepted = 0;

    for (int iter = 0; iter < 20000; iter++) {
        const char *seed = seeds[iter % 2];
        size_t len = strlen(seed);
        char msg[512];
        memcpy(msg, seed, len);
        int edits = 1 + iter % 4;
        for (int e = 0; e < edits; e++) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            size_t pos = (size_t)(state % len);
            unsigned char op = (unsigned char)(state >> 32) % 3;
            char c = alphabet[(state >> 40) % (sizeof(alphabet) - 1)];
            if (op == 0) {
                msg[pos] = c;
            } else if (op == 1 && len > 1) {
                memmove(msg + pos, msg + pos + 1, len - pos - 1);
                len--;
            } else if (len < sizeof(msg) - 1) {
                memmove(msg + pos + 1, msg + pos, len - pos);
                msg[pos] = c;
                len++;
            }
        }
        nf_article_t article = {0};
        nf_reject_t got = decode_n(msg, len, &default_opts, &article);
        CHECK((unsigned)got < NF_REJECT__CNT);
        if (got == NF_REJECT_NONE) {
            accepted++;
            CHECK(article.id && (article.title || article.body));
        } else {
            CHECK(is_zeroed(&article) && errbuf[0]);
        }
        nf_article_clear(&article);
    }
    CHECK(accepted > 0);
}

/* Deletion events need only an id; a malformed "deleted" or "op" is wrong_type. */
static void test_deletions(void)
{
    nf_article_t a = {0};
    if (ACCEPT("{\"id\":\"d1\",\"deleted\":true}", &a))
        CHECK(a.deleted && str_eq(a.id, "d1") && !a.title);
    nf_article_clear(&a);
    if (ACCEPT("{\"url\":\"https://x.example/a\",\"op\":\"DELETE\"}", &a))
        CHECK(a.deleted && a.id_derived);
    nf_article_clear(&a);
    if (ACCEPT("{\"id\":\"d2\",\"deleted\":false,\"title\":\"kept\"}", &a))
        CHECK(!a.deleted);
    nf_article_clear(&a);
    if (ACCEPT("{\"id\":\"d3\",\"op\":\"upsert\",\"title\":\"kept\"}", &a))
        CHECK(!a.deleted);
    nf_article_clear(&a);
    REJECT("{\"id\":\"d4\",\"deleted\":\"yes\"}", NF_REJECT_WRONG_TYPE, "\"deleted\"");
    REJECT("{\"id\":\"d5\",\"op\":1}", NF_REJECT_WRONG_TYPE, "\"op\"");
    REJECT("{\"deleted\":true}", NF_REJECT_MISSING_ID, NULL);
    REJECT("{\"id\":\"d6\",\"deleted\":false}", NF_REJECT_MISSING_TEXT, NULL);
}

/*
 * Inputs at the edges of the fast parser: what it must take (escapes, source objects,
 * author arrays, duplicates, nesting, white space) and what it must leave to cJSON (raw
 * control bytes, \u0000, surrogates, leading zeros, long numbers, odd white space, deep
 * nesting). decode_n() checks every one against the cJSON-only decoding; the few
 * expectations here pin the values themselves.
 */
static void test_fast_path(void)
{
    static const char *const inputs[] = {
        "{\"id\":\"f1\",\"title\":\"caf\\u00e9 \\u20ac5 \\/ \\\\ \\\" \\t\\n\"}",
        "{\"id\":\"f2\",\"title\":\"x\",\"source\":{\"id\":null,\"name\":\"Reuters\"}}",
        "{\"id\":\"f3\",\"title\":\"x\",\"source\":{\"name\":null}}",
        "{\"id\":\"f4\",\"title\":\"x\",\"source\":{\"name\":7}}",
        "{\"id\":\"f5\",\"title\":\"x\",\"authors\":[\"A\",\" \",\"B &amp; C\"]}",
        "{\"id\":\"f6\",\"title\":\"x\",\"authors\":[],\"author\":\"Solo\"}",
        "{\"id\":\"f7\",\"title\":\"x\",\"authors\":[\" \"],\"author\":[\"Z\"]}",
        "{\"id\":\"f8\",\"title\":\"x\",\"authors\":[\"A\",2]}",
        "{\"id\":\"f9\",\"title\":\"first\",\"title\":\"second\",\"id\":\"other\"}",
        "{\"id\":\"f10\",\"title\":\" \",\"headline\":\"the headline\"}",
        "{\"id\":\"f11\",\"title\":\" \",\"headline\":5}",
        "{\"id\":\"f12\",\"title\":\"x\",\"extra\":{\"a\":[1,-2.5e-3,true,false,null,{\"b\":[]}]}}",
        " \r\n\t{ \"id\" : \"f13\" , \"title\" : \"x\" } \n",
        "\x0b{\"id\":\"f14\",\"title\":\"x\"}",
        "{\"id\":\"f15\",\"title\":\"raw\x01control\"}",
        "{\"id\":\"f16\",\"title\":\"nul \\u0000 escape\"}",
        "{\"id\":\"f17\",\"title\":\"pair \\ud83d\\ude00 and lone \\ud83d\"}",
        "{\"id\":\"f18\",\"title\":\"x\",\"n\":01}",
        "{\"id\":\"f19\",\"title\":\"x\",\"n\":1234567890123456789012345678901234567890123456789012345678901234567890}",
        "{\"id\":\"f20\",\"title\":\"x\",\"n\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
        "{\"ti\\u0074le\":\"escaped key\",\"id\":\"f21\"}",
        "{\"id\":\"f22\",\"title\":\"x\",\"op\":\"DELETE\"}",
        "{\"id\":\"f23\",\"title\":\"x\",\"op\":\"del\\u0065te\"}",
        "{\"id\":\"f24\",\"title\":\"x\",\"deleted\":false,\"op\":null}",
        "{\"id\":42,\"title\":\"number id\"}",
        "{\"id\":\"f26\",\"title\":\"x\",}",
        "{\"id\":\"f27\",\"title\":\"x\"} x",
        "{\"id\":\"f28\",\"title\":\"bad \\x escape\"}",
        "{\"url\":\"https://example.com/a\",\"body\":\"  only a body  \"}",
        "{}",
    };
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        nf_article_t a = {0};
        decode_s(inputs[i], &a);
        nf_article_clear(&a);
    }
    nf_article_t a = {0};
    if (ACCEPT(inputs[0], &a))
        CHECK(!strcmp(a.title, "caf\xc3\xa9 \xe2\x82\xac"
                               "5 / \\ \""));
    nf_article_clear(&a);
    if (ACCEPT(inputs[1], &a))
        CHECK(a.source && !strcmp(a.source, "Reuters"));
    nf_article_clear(&a);
    if (ACCEPT(inputs[4], &a))
        CHECK(a.authors_n == 2 && !strcmp(a.authors[1], "B & C"));
    nf_article_clear(&a);
    if (ACCEPT(inputs[8], &a))
        CHECK(!strcmp(a.title, "first") && !strcmp(a.id, "f9"));
    nf_article_clear(&a);
    CHECK(differential_failures == 0);
}

/*
 * The fast parser skips plain string bytes sixteen and eight at a time and copies the
 * runs between escapes whole: every special (a quote, a backslash escape, a control
 * byte) at every offset of strings up to 40 bytes, decoded both ways by decode_n.
 */
static void test_string_offsets(void)
{
    static const char *const specials[] = {"\\\"", "\\\\", "\\n", "\\u00e9", "\\u20ac",
                                           "\\/",  "\x01", "\"",  "\xc3\xa9"};
    char text[64], json[256];
    for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
        for (size_t len = 1; len <= 40; len++) {
            for (size_t at = 0; at < len; at++) {
                size_t n = 0;
                for (size_t i = 0; i < len; i++) {
                    if (i == at) {
                        memcpy(text + n, specials[k], strlen(specials[k]));
                        n += strlen(specials[k]);
                    } else {
                        text[n++] = (char)('a' + i % 26);
                    }
                }
                text[n] = '\0';
                snprintf(json, sizeof(json), "{\"id\":\"o\",\"title\":\"%s\",\"body\":\"%s %s\"}",
                         text, text, text);
                nf_article_t a = {0};
                decode_s(json, &a);
                nf_article_clear(&a);
            }
        }
    }
    nf_article_t a = {0};
    if (ACCEPT("{\"id\":\"o\",\"title\":\"0123456789abcdefghijklmn\\u00e9opq\\\"r\"}", &a))
        CHECK(!strcmp(a.title, "0123456789abcdefghijklmn\xc3\xa9opq\"r"));
    nf_article_clear(&a);
    CHECK(differential_failures == 0);
}

int main(void)
{
    test_reject_names();
    test_article_clear();
    test_empty_and_size();
    test_invalid_utf8();
    test_invalid_json();
    test_not_object();
    test_wrong_type();
    test_missing();
    test_full_article();
    test_aliases();
    test_ids();
    test_nulls_and_numbers();
    test_duplicates();
    test_encodings();
    test_normalise();
    test_mutations();
    test_deletions();
    test_fast_path();
    test_string_offsets();

    if (failures) {
        fprintf(stderr, "test_decode: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_decode: all %d checks passed\n", checks);
    return 0;
}
