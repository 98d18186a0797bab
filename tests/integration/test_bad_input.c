/*
 * Integration test on a real Apache Kafka broker (NF_TEST_BOOTSTRAP): a corpus of
 * hostile inputs (issue 7). Every input the decoder's contract (docs/events.md, "What
 * the decoder accepts") rejects must reach the dead-letter topic exactly once, byte for
 * byte, with its original key and the expected newsflow.reason; every input it accepts
 * must be enriched exactly once; and the `newsflow run` process must still be running
 * at the end, then stop cleanly on SIGTERM with everything committed.
 *
 * The corpus: truncated and otherwise broken JSON, invalid UTF-8 of every kind, NUL
 * bytes and \u0000 escapes, nesting 10 and 5000 levels deep, 1 MiB and 10 MiB bodies
 * (around input.max.bytes, the limit newsflow applies, with its default of 1 MiB),
 * wrong types, huge numbers, duplicate keys, empty and null messages, and non-JSON.
 * Each hostile input is followed by a valid article, so that good and bad interleave in
 * every partition.
 *
 * The input and dead-letter topics are created with max.message.bytes of 16 MiB and the
 * enriched topic with 4 MiB, as docs/operations.md asks of a deployment that takes
 * inputs that large; everything else is newsflow's defaults. Inputs are matched with
 * outputs by the source partition and offset headers newsflow writes, so that inputs
 * without a key or id are checked too. Prints the corpus by expected outcome.
 * Skips without a broker, unless NF_REQUIRE_BROKER=1 (CI), where that is a failure.
 */
#include "support.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB             (1024 * 1024)
#define INPUT_MAX_BYTES MIB /* newsflow's default input.max.bytes */

typedef struct hcase {
    const char *name;
    const char *reason; /* expected newsflow.reason; NULL: accepted (enriched) */
    const char *id;     /* accepted: the article id the enriched event must carry */
    const char *title;  /* accepted: its article.title, if checked */
    nf_buf_t value;
    bool null_value; /* produced with a null value */
    char key[32];    /* "" : produced without a key */
    int32_t partition;
    int64_t offset; /* where it was written (delivery report), -1 until then */
    int found_dlq, found_enriched;
} hcase_t;

static const char *bootstrap;
static hcase_t *cases;
static int ncases, cap_cases;

static hcase_t *add(const char *name, const char *reason, const char *value, size_t len)
{
    if (ncases == cap_cases) {
        cap_cases = cap_cases ? cap_cases * 2 : 128;
        cases = realloc(cases, (size_t)cap_cases * sizeof(*cases));
        if (!cases)
            abort();
    }
    hcase_t *c = &cases[ncases++];
    memset(c, 0, sizeof(*c));
    c->name = name;
    c->reason = reason;
    c->offset = -1;
    if (value)
        nf_buf_append(&c->value, value, len);
    snprintf(c->key, sizeof(c->key), "hostile-%d", ncases - 1);
    return c;
}

/* A hostile input from a string literal, which may contain NUL bytes. */
#define BAD(name, reason, lit)          add(name, reason, lit, sizeof(lit) - 1)
#define ACCEPTED(name, article_id, lit) (add(name, NULL, lit, sizeof(lit) - 1)->id = article_id)

/* Appends exactly n bytes of pseudo-random lower-case words: text that compresses badly,
 * so that the broker's size limits see about the real size. */
static void random_words(nf_buf_t *b, size_t n)
{
    static unsigned x = 12345;
    size_t start = b->len;
    if (!nf_buf_reserve(b, n + 16))
        abort();
    while (b->len - start < n) {
        x = x * 1103515245u + 12345u;
        int wl = 3 + (int)((x >> 16) % 8);
        for (int i = 0; i < wl; i++) {
            x = x * 1103515245u + 12345u;
            b->data[b->len++] = (char)('a' + (x >> 16) % 26);
        }
        b->data[b->len++] = ' ';
    }
    b->len = start + n;
    b->data[b->len - 1] = 'z';
    b->data[b->len] = '\0';
}

/* An article of exactly total bytes: {"id":"<id>","title":"Big","body":"<words>"}. */
static void sized_article(nf_buf_t *b, const char *id, size_t total)
{
    nf_buf_printf(b, "{\"id\":\"%s\",\"title\":\"Big\",\"body\":\"", id);
    size_t head = b->len;
    random_words(b, total - head - 2);
    nf_buf_puts(b, "\"}");
}

static void build_corpus(void)
{
    hcase_t *c;

    /* ---- empty ---- */
    BAD("zero-length value", "empty", "");
    c = add("null value without a key", "empty", NULL, 0);
    c->null_value = true;
    c->key[0] = '\0'; /* with a key, a null value is a deletion (a tombstone) */

    /* ---- too_large: more than input.max.bytes, whatever the bytes are ---- */
    c = add("1 MiB body (input.max.bytes + 34 bytes)", "too_large", NULL, 0);
    sized_article(&c->value, "big-1mib", INPUT_MAX_BYTES + 34);
    c = add("one byte over input.max.bytes", "too_large", NULL, 0);
    sized_article(&c->value, "big-over", INPUT_MAX_BYTES + 1);
    c = add("10 MiB body", "too_large", NULL, 0);
    sized_article(&c->value, "big-10mib", 10 * MIB + 40);
    c = add("2 MiB of non-JSON garbage", "too_large", NULL, 0);
    random_words(&c->value, 2 * MIB);
    c = add("3 MiB of invalid UTF-8 (size is checked first)", "too_large", NULL, 0);
    for (size_t i = 0; i < 3 * MIB; i++)
        nf_buf_append(&c->value, "\xff", 1);

    /* ---- invalid_utf8: the whole message must be UTF-8, ignored fields included ---- */
    BAD("0xFF byte in title", "invalid_utf8", "{\"id\":\"u1\",\"title\":\"bad \xff byte\"}");
    BAD("overlong slash C0 AF", "invalid_utf8", "{\"id\":\"u2\",\"title\":\"a\xc0\xaf b\"}");
    BAD("overlong NUL C0 80", "invalid_utf8", "{\"id\":\"u3\",\"title\":\"a\xc0\x80 b\"}");
    BAD("UTF-16 surrogate ED A0 80", "invalid_utf8", "{\"id\":\"u4\",\"title\":\"a\xed\xa0\x80\"}");
    BAD("CESU-8 emoji", "invalid_utf8",
        "{\"id\":\"u5\",\"title\":\"smile \xed\xa0\xbd\xed\xb8\x80\"}");
    BAD("code point above U+10FFFF", "invalid_utf8",
        "{\"id\":\"u6\",\"title\":\"a\xf4\x90\x80\x80\"}");
    BAD("lone continuation byte", "invalid_utf8", "{\"id\":\"u7\",\"title\":\"a\x80 b\"}");
    BAD("truncated sequence at the end", "invalid_utf8",
        "{\"id\":\"u8\",\"title\":\"euro \xe2\x82");
    BAD("Latin-1 text", "invalid_utf8", "{\"id\":\"u9\",\"title\":\"caf\xe9 cr\xe8me\"}");
    BAD("invalid UTF-8 in an ignored field", "invalid_utf8",
        "{\"id\":\"u10\",\"title\":\"ok\",\"extra\":\"\xfe\"}");
    BAD("invalid UTF-8 in a field name", "invalid_utf8",
        "{\"id\":\"u11\",\"ti\xfftle\":\"x\",\"title\":\"ok\"}");
    BAD("UTF-16LE with byte order mark", "invalid_utf8",
        "\xff\xfe{\0\"\0i\0d\0\"\0:\0\"\0x\0\"\0}\0");
    BAD("5-byte sequence F8", "invalid_utf8",
        "{\"id\":\"u13\",\"title\":\"a\xf8\x88\x80\x80\x80\"}");

    /* ---- invalid_json ---- */
    BAD("truncated in a string", "invalid_json", "{\"id\":\"j1\",\"title\":\"Truncat");
    BAD("truncated after a comma", "invalid_json", "{\"id\":\"j2\",");
    BAD("a lone brace", "invalid_json", "{");
    BAD("trailing garbage", "invalid_json", "{\"id\":\"j4\",\"title\":\"t\"} trailing");
    BAD("two objects in one message", "invalid_json",
        "{\"id\":\"j5\",\"title\":\"a\"}{\"id\":\"j5b\",\"title\":\"b\"}");
    BAD("plain text", "invalid_json", "Acme buys Widget Co for $5 billion");
    BAD("XML", "invalid_json", "<article><id>j7</id><title>XML</title></article>");
    BAD("whitespace only", "invalid_json", "  \n\t ");
    BAD("raw NUL byte in a string", "invalid_json", "{\"id\":\"j9\",\"title\":\"nul \0 here\"}");
    BAD("NUL byte after the object", "invalid_json", "{\"id\":\"j10\",\"title\":\"t\"}\0");
    BAD("\\u0000 escape in title", "invalid_json", "{\"id\":\"j11\",\"title\":\"a\\u0000b\"}");
    BAD("single quotes", "invalid_json", "{'id':'j12','title':'t'}");
    BAD("trailing comma", "invalid_json", "{\"id\":\"j13\",\"title\":\"t\",}");
    BAD("comment", "invalid_json", "{/* c */\"id\":\"j14\",\"title\":\"t\"}");
    BAD("NaN literal", "invalid_json", "{\"id\":\"j15\",\"title\":\"t\",\"score\":NaN}");
    BAD("Infinity literal", "invalid_json", "{\"id\":\"j15b\",\"title\":\"t\",\"n\":-Infinity}");
    BAD("invalid escape \\x41", "invalid_json", "{\"id\":\"j16\",\"title\":\"\\x41\"}");
    BAD("lone low surrogate escape", "invalid_json", "{\"id\":\"j17\",\"title\":\"\\udc00\"}");
    BAD("unpaired high surrogate escape", "invalid_json",
        "{\"id\":\"j18\",\"title\":\"\\ud800x\"}");
    BAD("two byte order marks", "invalid_json",
        "\xef\xbb\xbf\xef\xbb\xbf{\"id\":\"j19\",\"title\":\"t\"}");
    BAD("unquoted key", "invalid_json", "{id:\"j20\",title:\"t\"}");
    c = add("5000-level nesting (parser limit 1000)", "invalid_json", NULL, 0);
    nf_buf_puts(&c->value, "{\"id\":\"j21\",\"title\":\"deep\",\"x\":");
    for (int i = 0; i < 5000; i++)
        nf_buf_puts(&c->value, "[");
    for (int i = 0; i < 5000; i++)
        nf_buf_puts(&c->value, "]");
    nf_buf_puts(&c->value, "}");

    /* ---- not_object ---- */
    BAD("top-level array", "not_object", "[\"n1\",\"title\"]");
    BAD("top-level string", "not_object", "\"just a string\"");
    BAD("top-level number", "not_object", "42");
    BAD("top-level null", "not_object", "null");
    BAD("top-level true", "not_object", "true");
    BAD("top-level false", "not_object", "false");
    BAD("10-level-deep arrays", "not_object", "[[[[[[[[[[\"n6\"]]]]]]]]]]");
    BAD("a batch of articles", "not_object",
        "[{\"id\":\"n7a\",\"title\":\"a\"},{\"id\":\"n7b\",\"title\":\"b\"}]");
    BAD("double-encoded JSON", "not_object", "\"{\\\"id\\\":\\\"n8\\\",\\\"title\\\":\\\"t\\\"}\"");

    /* ---- wrong_type ---- */
    BAD("title is a number", "wrong_type", "{\"id\":\"w1\",\"title\":5}");
    BAD("id is a boolean", "wrong_type", "{\"id\":true,\"title\":\"t\"}");
    BAD("id is a fraction", "wrong_type", "{\"id\":1.5,\"title\":\"t\"}");
    BAD("id is 1e400 (infinite)", "wrong_type", "{\"id\":1e400,\"title\":\"t\"}");
    BAD("id beyond 2^53", "wrong_type", "{\"id\":9007199254740993,\"title\":\"t\"}");
    BAD("id is an object", "wrong_type", "{\"id\":{\"value\":\"w6\"},\"title\":\"t\"}");
    BAD("body is an array", "wrong_type", "{\"id\":\"w7\",\"title\":\"t\",\"body\":[\"x\"]}");
    BAD("title nested 10 levels deep", "wrong_type",
        "{\"id\":\"w8\",\"title\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":"
        "\"t\"}}}}}}}}}}");
    BAD("authors holds numbers", "wrong_type", "{\"id\":\"w9\",\"title\":\"t\",\"authors\":[1,2]}");
    BAD("source is a number", "wrong_type", "{\"id\":\"w10\",\"title\":\"t\",\"source\":42}");
    BAD("source.name is a number", "wrong_type",
        "{\"id\":\"w11\",\"title\":\"t\",\"source\":{\"name\":5}}");
    BAD("deleted is a string", "wrong_type",
        "{\"id\":\"w12\",\"title\":\"t\",\"deleted\":\"yes\"}");
    BAD("url is a boolean", "wrong_type", "{\"title\":\"t\",\"url\":false}");
    BAD("op is a number", "wrong_type", "{\"id\":\"w13b\",\"title\":\"t\",\"op\":1}");
    BAD("published_at is a number", "wrong_type",
        "{\"id\":\"w14\",\"title\":\"t\",\"published_at\":20261129}");
    BAD("headline is an object", "wrong_type", "{\"id\":\"w15\",\"headline\":{}}");
    BAD("language is an array", "wrong_type", "{\"id\":\"w16\",\"title\":\"t\",\"lang\":[\"en\"]}");

    /* ---- missing_id ---- */
    BAD("no id, no url", "missing_id", "{\"title\":\"t\",\"body\":\"b\"}");
    BAD("id null", "missing_id", "{\"id\":null,\"title\":\"t\"}");
    BAD("id blank", "missing_id", "{\"id\":\"   \",\"title\":\"t\"}");
    BAD("empty object", "missing_id", "{}");
    BAD("ID in upper case (names are case-sensitive)", "missing_id",
        "{\"ID\":\"i5\",\"title\":\"t\"}");
    BAD("empty url instead of an id", "missing_id", "{\"url\":\"\",\"title\":\"t\"}");

    /* ---- missing_text ---- */
    BAD("id only", "missing_text", "{\"id\":\"x1\"}");
    BAD("blank title and body", "missing_text", "{\"id\":\"x2\",\"title\":\"  \",\"body\":\"\"}");
    BAD("markup only", "missing_text", "{\"id\":\"x3\",\"title\":\"<p><br/></p>\"}");
    BAD("entities that are spaces", "missing_text", "{\"id\":\"x4\",\"title\":\"&nbsp;&#160;\"}");
    BAD("zero-width characters only", "missing_text",
        "{\"id\":\"x5\",\"title\":\"\xe2\x80\x8b\xe2\x80\x8b\"}");
    BAD("summary but no title or body", "missing_text", "{\"id\":\"x6\",\"summary\":\"s\"}");
    BAD("deleted false and no text", "missing_text", "{\"id\":\"x7\",\"deleted\":false}");
    BAD("script element only", "missing_text",
        "{\"id\":\"x8\",\"body\":\"<script>alert(1)</script>\"}");

    /* ---- accepted: hostile-looking, but within the contract ---- */
    ACCEPTED("duplicate title key (the first wins)", "dup-1",
             "{\"id\":\"dup-1\",\"title\":\"first\",\"title\":\"second\"}");
    cases[ncases - 1].title = "first";
    ACCEPTED("duplicate id key (the first wins)", "dup-2a",
             "{\"id\":\"dup-2a\",\"id\":\"dup-2b\",\"title\":\"Two ids\"}");
    ACCEPTED("1e400 in an ignored field", "num-1",
             "{\"id\":\"num-1\",\"title\":\"Big number\",\"views\":1e400}");
    c = add("300-digit integer in an ignored field", NULL, NULL, 0);
    c->id = "num-3";
    nf_buf_puts(&c->value, "{\"id\":\"num-3\",\"title\":\"Huge integer\",\"views\":");
    for (int i = 0; i < 300; i++)
        nf_buf_puts(&c->value, "9");
    nf_buf_puts(&c->value, "}");
    ACCEPTED(
        "30-digit integer in an ignored field", "num-2",
        "{\"id\":\"num-2\",\"title\":\"Big integer\",\"views\":123456789012345678901234567890}");
    ACCEPTED("integer id", "42", "{\"id\":42,\"title\":\"Numeric id\"}");
    ACCEPTED("10-level nesting in an ignored field", "deep-1",
             "{\"id\":\"deep-1\",\"title\":\"Deep meta\",\"meta\":[[[[[[[[[[1]]]]]]]]]]}");
    ACCEPTED("byte order mark", "bom-1", "\xef\xbb\xbf{\"id\":\"bom-1\",\"title\":\"BOM\"}");
    ACCEPTED("raw control characters in a string", "ctl-1",
             "{\"id\":\"ctl-1\",\"title\":\"tab\there\x01 bell\x07\"}");
    cases[ncases - 1].title = "tab here\x01 bell\x07";
    ACCEPTED("4-byte UTF-8 and escaped surrogate pair", "emoji-1",
             "{\"id\":\"emoji-1\",\"title\":\"Rocket \xf0\x9f\x9a\x80 \\ud83d\\ude00\"}");
    ACCEPTED("HTML with script in the body", "html-1",
             "{\"id\":\"html-1\",\"title\":\"<b>Acme</b> &amp; Co\",\"body\":\"<script>x()</"
             "script><p>Text</p>\"}");
    ACCEPTED("unknown fields of every type", "extra-1",
             "{\"id\":\"extra-1\",\"title\":\"t\",\"a\":null,\"b\":[],\"c\":{},\"d\":false,"
             "\"e\":-0.0e-5}");
    ACCEPTED("null title, body given", "null-1",
             "{\"id\":\"null-1\",\"title\":null,\"body\":\"b\"}");
    c = add("exactly input.max.bytes", NULL, NULL, 0);
    c->id = "big-exact";
    sized_article(&c->value, "big-exact", INPUT_MAX_BYTES);
    c = add("500-level nesting in an ignored field", NULL, NULL, 0);
    c->id = "deep-500";
    nf_buf_puts(&c->value, "{\"id\":\"deep-500\",\"title\":\"Deeper\",\"x\":");
    for (int i = 0; i < 500; i++)
        nf_buf_puts(&c->value, "[");
    for (int i = 0; i < 500; i++)
        nf_buf_puts(&c->value, "]");
    nf_buf_puts(&c->value, "}");
}

static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    hcase_t *c = m->_private;
    if (m->err) {
        fprintf(stderr, "producing %s failed: %s\n", c ? c->name : "a valid article",
                rd_kafka_err2str(m->err));
        exit(1);
    }
    if (c) {
        c->partition = m->partition;
        c->offset = m->offset;
    }
}

/*
 * Writes the corpus to topic, each hostile input followed by a valid article (key and
 * id "art-<i>"); records where each hostile input landed.
 */
static void seed(const char *topic)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "message.max.bytes", "20000000", errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "compression.type", "lz4", errstr, sizeof(errstr))) {
        fprintf(stderr, "producer config: %s\n", errstr);
        exit(1);
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_dr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "producer: %s\n", errstr);
        exit(1);
    }
    nf_buf_t good = {0};
    for (int i = 0; i < ncases; i++) {
        hcase_t *c = &cases[i];
        rd_kafka_resp_err_t err;
        /* A zero-length value needs a non-NULL pointer, or it is produced as null. */
        const void *val = c->null_value ? NULL : c->value.data ? c->value.data : "";
        while ((err = rd_kafka_producev(
                    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_KEY(c->key[0] ? c->key : NULL, strlen(c->key)),
                    RD_KAFKA_V_VALUE((void *)val, c->value.len), RD_KAFKA_V_OPAQUE(c),
                    RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        if (err) {
            fprintf(stderr, "produce %s: %s\n", c->name, rd_kafka_err2str(err));
            exit(1);
        }
        char key[32];
        nf_test_article(i, 0, &good);
        nf_test_article_id(i, key, sizeof(key));
        while ((err = rd_kafka_producev(
                    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(good.data, good.len),
                    RD_KAFKA_V_OPAQUE(NULL), RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        if (err) {
            fprintf(stderr, "produce %s: %s\n", key, rd_kafka_err2str(err));
            exit(1);
        }
        rd_kafka_poll(rk, 0);
    }
    if (rd_kafka_flush(rk, 120000)) {
        fprintf(stderr, "flush to %s timed out\n", topic);
        exit(1);
    }
    nf_buf_free(&good);
    rd_kafka_destroy(rk);
}

static pid_t spawn(const char *in, const char *out, const char *dlq, const char *group)
{
    char a_in[160], a_out[160], a_dlq[160], a_group[160];
    snprintf(a_in, sizeof(a_in), "input.topic=%s", in);
    snprintf(a_out, sizeof(a_out), "output.enriched.topic=%s", out);
    snprintf(a_dlq, sizeof(a_dlq), "output.dlq.topic=%s", dlq);
    snprintf(a_group, sizeof(a_group), "group.id=%s", group);
    char *argv[] = {NF_BINARY, "run",
                    "-b",      (char *)bootstrap,
                    "-X",      a_in,
                    "-X",      a_out,
                    "-X",      a_dlq,
                    "-X",      a_group,
                    "-X",      "log.level=warn",
                    "-X",      "kafka.consumer.auto.offset.reset=earliest",
                    "-X",      "kafka.consumer.session.timeout.ms=6000",
                    "-X",      "output.deal.topic=",
                    "-X",      "output.funding.topic=",
                    "-X",      "output.infrastructure.topic=",
                    "-X",      "alerts.rules=none",
                    "-X",      "ops.listen=",
                    NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execv(NF_BINARY, argv);
        perror("execv " NF_BINARY);
        _exit(127);
    }
    return pid;
}

/*
 * What is wrong with an enriched event, or NULL: it must be strict JSON text (no raw
 * control characters, which cJSON would let through), an object whose article_id is its
 * key, and for an accepted hostile input the title the contract gives.
 */
static const char *enriched_invalid(const nf_test_rec_t *r, const hcase_t *c)
{
    for (size_t i = 0; i < r->len; i++)
        if ((unsigned char)r->value[i] < 0x20 && !strchr("\t\n\r", r->value[i]))
            return "raw control character in the JSON text";
    cJSON *root = cJSON_ParseWithLength(r->value, r->len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return "not a JSON object";
    }
    const char *why = NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "article_id");
    const cJSON *article = cJSON_GetObjectItemCaseSensitive(root, "article");
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(article, "title");
    if (!cJSON_IsString(id) || !r->key || strcmp(id->valuestring, r->key))
        why = "article_id is not the key";
    else if (c && c->title && (!cJSON_IsString(title) || strcmp(title->valuestring, c->title)))
        why = "unexpected article.title";
    cJSON_Delete(root);
    return why;
}

static hcase_t *case_at(int32_t partition, int64_t offset)
{
    for (int i = 0; i < ncases; i++)
        if (cases[i].partition == partition && cases[i].offset == offset)
            return &cases[i];
    return NULL;
}

/* Prints the corpus by expected outcome. */
static void print_corpus(void)
{
    static const char *const outcomes[] = {"empty",        "too_large",    "invalid_utf8",
                                           "invalid_json", "not_object",   "wrong_type",
                                           "missing_id",   "missing_text", NULL};
    int total = 0;
    for (int o = 0; outcomes[o]; o++) {
        int n = 0;
        for (int i = 0; i < ncases; i++)
            n += cases[i].reason && !strcmp(cases[i].reason, outcomes[o]);
        fprintf(stderr, "  %-13s %d\n", outcomes[o], n);
        total += n;
    }
    fprintf(stderr, "  %-13s %d\n  %-13s %d hostile inputs, %d dead-lettered\n", "accepted",
            ncases - total, "in all", ncases, total);
}

int main(void)
{
    bootstrap = nf_test_bootstrap();
    char prefix[64], in[96], out[96], dlq[96], group[96];
    snprintf(prefix, sizeof(prefix), "bad%ld-%d", (long)time(NULL), (int)getpid());
    snprintf(in, sizeof(in), "%s.articles", prefix);
    snprintf(out, sizeof(out), "%s.enriched", prefix);
    snprintf(dlq, sizeof(dlq), "%s.dlq", prefix);
    snprintf(group, sizeof(group), "%s.group", prefix);
    int64_t t0 = nf_mono_ms();

    build_corpus();
    fprintf(stderr, "[bad-input] corpus:\n");
    print_corpus();
    int dead_expected = 0;
    for (int i = 0; i < ncases; i++)
        dead_expected += cases[i].reason != NULL;
    int enriched_expected = ncases + (ncases - dead_expected); /* valid articles + accepted */

    /* Room for the 10 MiB inputs on the input and dead-letter topics, and for the
     * enriched event of an input of input.max.bytes (docs/operations.md). */
    nf_test_create_topic_config(bootstrap, in, 2, "max.message.bytes", "16777216");
    nf_test_create_topic_config(bootstrap, out, 2, "max.message.bytes", "4194304");
    nf_test_create_topic_config(bootstrap, dlq, 1, "max.message.bytes", "16777216");
    seed(in);

    pid_t pid = spawn(in, out, dlq, group);
    int64_t done = 0, t_run = nf_mono_ms();
    int rc = -1;
    while (nf_mono_ms() - t_run < 300000) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            pid = -1;
            break;
        }
        done = nf_test_topic_size(bootstrap, out) + nf_test_topic_size(bootstrap, dlq);
        if (done >= enriched_expected + dead_expected)
            break;
        usleep(100000);
    }
    fprintf(stderr, "[bad-input] %lld of %d outputs after %lld ms\n", (long long)done,
            enriched_expected + dead_expected, (long long)(nf_mono_ms() - t_run));
    /* Still running after all of it: then a clean stop. */
    CHECK(pid > 0);
    if (pid > 0) {
        sleep(1); /* nothing more should come, and it should not die on the way */
        int status;
        CHECK(waitpid(pid, &status, WNOHANG) == 0);
        kill(pid, SIGTERM);
        rc = nf_test_wait_exit(pid, 60);
        CHECK_INT(rc, 0);
    } else {
        fprintf(stderr, "[bad-input] newsflow exited with %d before all outputs appeared\n", rc);
    }

    nf_test_recs_t enriched = {0}, dead = {0};
    nf_test_read_all(bootstrap, out, NULL, &enriched);
    nf_test_read_all(bootstrap, dlq, NULL, &dead);

    /* Dead letters: each a hostile input, with its reason, key and bytes. */
    int wrong = 0;
    for (size_t i = 0; i < dead.n; i++) {
        nf_test_rec_t *r = &dead.v[i];
        hcase_t *c = case_at(r->src_partition, r->src_offset);
        const char *why = NULL;
        if (!c)
            why = "not a hostile input";
        else if (!c->reason)
            why = "accepted by the contract";
        else if (!r->reason || strcmp(r->reason, c->reason))
            why = "wrong reason";
        else if (r->len != c->value.len || (r->len && memcmp(r->value, c->value.data, r->len)))
            why = "bytes differ";
        else if (c->key[0] ? !r->key || strcmp(r->key, c->key) : r->key != NULL)
            why = "key differs";
        else if (c->null_value != r->tombstone)
            why = "null value differs";
        if (c)
            c->found_dlq++;
        if (why) {
            wrong++;
            fprintf(stderr,
                    "[bad-input] dead letter [%d] @%lld (%s): %s: reason %s (%s), %zu bytes\n",
                    (int)r->src_partition, (long long)r->src_offset, c ? c->name : "?", why,
                    r->reason ? r->reason : "(none)", r->error ? r->error : "", r->len);
        }
    }
    /* Enriched events: the valid articles and the accepted hostile inputs. */
    char *seen_valid = calloc((size_t)ncases, 1);
    for (size_t i = 0; i < enriched.n; i++) {
        nf_test_rec_t *r = &enriched.v[i];
        hcase_t *c = case_at(r->src_partition, r->src_offset);
        int idx;
        const char *bad_json = enriched_invalid(r, c);
        if (bad_json) {
            wrong++;
            fprintf(stderr, "[bad-input] enriched event %s (%s): %s\n", r->key ? r->key : "-",
                    c ? c->name : "valid article", bad_json);
        }
        if (c) {
            c->found_enriched++;
            if (c->reason || !r->key || strcmp(r->key, c->id)) {
                wrong++;
                fprintf(stderr, "[bad-input] enriched event for %s: key %s, expected %s\n", c->name,
                        r->key ? r->key : "(none)", c->reason ? "a dead letter" : c->id);
            }
        } else if (r->key && sscanf(r->key, "art-%d", &idx) == 1 && idx >= 0 && idx < ncases) {
            seen_valid[idx]++;
        } else {
            wrong++;
            fprintf(stderr, "[bad-input] unexpected enriched event %s\n", r->key ? r->key : "-");
        }
    }
    int lost = 0, dups = 0;
    for (int i = 0; i < ncases; i++) {
        hcase_t *c = &cases[i];
        int n = c->reason ? c->found_dlq : c->found_enriched;
        if (n != 1 || c->found_dlq + c->found_enriched != 1)
            fprintf(stderr, "[bad-input] %s (expected %s): %d dead letter(s), %d enriched\n",
                    c->name, c->reason ? c->reason : "accepted", c->found_dlq, c->found_enriched);
        lost += c->found_dlq + c->found_enriched == 0;
        dups += c->found_dlq + c->found_enriched > 1;
        lost += !seen_valid[i];
        dups += seen_valid[i] > 1;
    }
    fprintf(stderr,
            "[bad-input] %zu dead letters (expected %d), %zu enriched (expected %d); wrong %d, "
            "lost %d, duplicated %d; %lld ms in all\n",
            dead.n, dead_expected, enriched.n, enriched_expected, wrong, lost, dups,
            (long long)(nf_mono_ms() - t0));
    CHECK_INT(wrong, 0);
    CHECK_INT(lost, 0);
    CHECK_INT(dups, 0);
    CHECK_INT(dead.n, dead_expected);
    CHECK_INT(enriched.n, enriched_expected);
    CHECK_INT(nf_test_group_lag(bootstrap, group, in), 0);

    free(seen_valid);
    nf_test_recs_free(&enriched);
    nf_test_recs_free(&dead);
    for (int i = 0; i < ncases; i++)
        nf_buf_free(&cases[i].value);
    free(cases);
    TEST_DONE();
}
