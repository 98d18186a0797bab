/*
 * Unit test for common/config: defaults, types and bounds, unknown keys, kafka.*
 * pass-through validation, and precedence file < environment < flags.
 */
#include "config.h"
#include "err.h"
#include "test.h"

#include <unistd.h>

static char errstr[512];

static void test_defaults(void)
{
    nf_config_t *c = nf_config_new();
    CHECK(c != NULL);
    CHECK_STR(c->input_topic, "news.articles");
    CHECK_STR(c->dlq_topic, "news.dlq");
    CHECK_INT(c->input_max_bytes, 1048576);
    CHECK(!c->exit_on_eof);
    CHECK(!nf_config_has_kafka(c));
    CHECK(!nf_config_is_set(c, "input.topic"));
    nf_config_destroy(c);
    nf_config_destroy(NULL);
}

static void test_values(void)
{
    nf_config_t *c = nf_config_new();
    CHECK_INT(nf_config_set(c, "input.topic", "in", "t", errstr, sizeof(errstr)), NF_OK);
    CHECK_STR(c->input_topic, "in");
    CHECK(nf_config_is_set(c, "input.topic"));
    CHECK_INT(nf_config_set(c, "input.max.bytes", "2048", "t", errstr, sizeof(errstr)), NF_OK);
    CHECK_INT(c->input_max_bytes, 2048);
    CHECK_INT(nf_config_set(c, "input.max.bytes", "12x", "t", errstr, sizeof(errstr)), NF_ECONFIG);
    CHECK(strstr(errstr, "input.max.bytes") != NULL);
    CHECK_INT(nf_config_set(c, "input.max.bytes", "0", "t", errstr, sizeof(errstr)), NF_ECONFIG);
    CHECK(strstr(errstr, "out of range") != NULL);
    CHECK_INT(c->input_max_bytes, 2048); /* unchanged by a failed set */
    CHECK_INT(nf_config_set(c, "run.exit.on.eof", "yes", "t", errstr, sizeof(errstr)), NF_OK);
    CHECK(c->exit_on_eof);
    CHECK_INT(nf_config_set(c, "run.exit.on.eof", "maybe", "t", errstr, sizeof(errstr)),
              NF_ECONFIG);
    CHECK_INT(nf_config_set(c, "log.level", "debug", "t", errstr, sizeof(errstr)), NF_OK);
    CHECK_INT(c->log_level, 3);
    CHECK_INT(nf_config_set(c, "log.level", "loud", "t", errstr, sizeof(errstr)), NF_ECONFIG);
    CHECK(strstr(errstr, "error, warn, info, debug") != NULL);
    CHECK_INT(nf_config_set(c, "no.such.key", "1", "t", errstr, sizeof(errstr)), NF_ECONFIG);
    CHECK(strstr(errstr, "no.such.key") != NULL);
    /* Found by fuzz_config: "nan" passed the range check of a number. */
    const char *const not_numbers[] = {"nan", "NaN", "-nan", "nan(0x1)", "inf", "1e999", ""};
    for (size_t i = 0; i < sizeof(not_numbers) / sizeof(not_numbers[0]); i++)
        CHECK_INT(nf_config_set(c, "classifier.threshold.deal", not_numbers[i], "t", errstr,
                                sizeof(errstr)),
                  NF_ECONFIG);
    CHECK(c->threshold[0] == -1);
    nf_config_destroy(c);
}

static void test_kafka(void)
{
    nf_config_t *c = nf_config_new();
    CHECK_INT(nf_config_set(c, "kafka.bootstrap.servers", "h:9092", "t", errstr, sizeof(errstr)),
              NF_OK);
    CHECK(nf_config_has_kafka(c));
    CHECK_INT(nf_config_set(c, "kafka.no.such.prop", "1", "t", errstr, sizeof(errstr)), NF_ECONFIG);
    CHECK(strstr(errstr, "no.such.prop") != NULL);
    CHECK_INT(nf_config_set(c, "kafka.linger.ms", "-5", "t", errstr, sizeof(errstr)), NF_ECONFIG);
    CHECK_INT(
        nf_config_set(c, "kafka.enable.auto.offset.store", "true", "t", errstr, sizeof(errstr)),
        NF_ECONFIG);
    CHECK_INT(
        nf_config_set(c, "kafka.consumer.session.timeout.ms", "7000", "t", errstr, sizeof(errstr)),
        NF_OK);
    CHECK_INT(nf_config_set(c, "kafka.producer.linger.ms", "7", "t", errstr, sizeof(errstr)),
              NF_OK);
    CHECK_INT(nf_config_set(c, "kafka.sasl.password", "hunter2", "t", errstr, sizeof(errstr)),
              NF_OK);

    /* Role-specific keys reach only their client. */
    char v[64];
    size_t vs = sizeof(v);
    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    CHECK_INT(nf_config_apply_kafka(c, NF_KAFKA_PRODUCER, pc, errstr, sizeof(errstr)), NF_OK);
    CHECK(rd_kafka_conf_get(pc, "linger.ms", v, &vs) == RD_KAFKA_CONF_OK);
    CHECK_STR(v, "7");
    vs = sizeof(v);
    CHECK(rd_kafka_conf_get(pc, "session.timeout.ms", v, &vs) == RD_KAFKA_CONF_OK);
    CHECK(strcmp(v, "7000") != 0);
    rd_kafka_conf_destroy(pc);
    rd_kafka_conf_t *cc = rd_kafka_conf_new();
    CHECK_INT(nf_config_apply_kafka(c, NF_KAFKA_CONSUMER, cc, errstr, sizeof(errstr)), NF_OK);
    vs = sizeof(v);
    CHECK(rd_kafka_conf_get(cc, "session.timeout.ms", v, &vs) == RD_KAFKA_CONF_OK);
    CHECK_STR(v, "7000");
    vs = sizeof(v);
    CHECK(rd_kafka_conf_get(cc, "bootstrap.servers", v, &vs) == RD_KAFKA_CONF_OK);
    CHECK_STR(v, "h:9092");
    rd_kafka_conf_destroy(cc);

    /* The dump redacts secrets. */
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    nf_config_dump(c, fp);
    fclose(fp);
    CHECK(strstr(buf, "hunter2") == NULL);
    CHECK(strstr(buf, "kafka.sasl.password=[redacted]") != NULL);
    CHECK(strstr(buf, "input.topic=news.articles") != NULL);
    free(buf);
    nf_config_destroy(c);

    /* Internal settings (the embedded cluster's) do not count as user Kafka settings. */
    c = nf_config_new();
    CHECK_INT(nf_config_set_kafka_internal(c, "bootstrap.servers", "127.0.0.1:1"), NF_OK);
    CHECK(!nf_config_has_kafka(c));
    nf_config_destroy(c);
}

/* defaults < file < environment < flags */
static void test_precedence(void)
{
    char path[] = "/tmp/nf_test_config_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fprintf(fp, "# comment\n\ninput.topic = from-file\ngroup.id=file-group\n"
                "output.dlq.topic=file-dlq\nkafka.client.rack = r1\n");
    fclose(fp);

    nf_config_t *c = nf_config_new();
    CHECK_INT(nf_config_load_file(c, path, errstr, sizeof(errstr)), NF_OK);
    char *env[] = {"NEWSFLOW_INPUT_TOPIC=from-env", "NEWSFLOW_GROUP_ID=env-group",
                   "NEWSFLOW_KAFKA_CLIENT_RACK=r2", "OTHER=1", NULL};
    CHECK_INT(nf_config_load_env(c, env, errstr, sizeof(errstr)), NF_OK);
    CHECK_INT(nf_config_set(c, "input.topic", "from-flag", "flag", errstr, sizeof(errstr)), NF_OK);
    CHECK_STR(c->input_topic, "from-flag");
    CHECK_STR(c->group_id, "env-group");
    CHECK_STR(c->dlq_topic, "file-dlq");
    CHECK_STR(c->enriched_topic, "news.enriched");
    char v[32];
    size_t vs = sizeof(v);
    rd_kafka_conf_t *rc = rd_kafka_conf_new();
    nf_config_apply_kafka(c, NF_KAFKA_CONSUMER, rc, errstr, sizeof(errstr));
    rd_kafka_conf_get(rc, "client.rack", v, &vs);
    CHECK_STR(v, "r2");
    rd_kafka_conf_destroy(rc);
    nf_config_destroy(c);

    /* Errors name the file and line, or the variable. */
    fp = fopen(path, "w");
    fprintf(fp, "input.topic=x\nbogus.key=1\n");
    fclose(fp);
    c = nf_config_new();
    CHECK_INT(nf_config_load_file(c, path, errstr, sizeof(errstr)), NF_ECONFIG);
    CHECK(strstr(errstr, ":2:") != NULL && strstr(errstr, "bogus.key") != NULL);
    fp = fopen(path, "w");
    fprintf(fp, "just a line\n");
    fclose(fp);
    CHECK_INT(nf_config_load_file(c, path, errstr, sizeof(errstr)), NF_ECONFIG);
    CHECK(strstr(errstr, "key=value") != NULL);
    char *badenv[] = {"NEWSFLOW_PIPELINE_MAX_INFLIGHT=lots", NULL};
    CHECK_INT(nf_config_load_env(c, badenv, errstr, sizeof(errstr)), NF_ECONFIG);
    CHECK(strstr(errstr, "NEWSFLOW_PIPELINE_MAX_INFLIGHT") != NULL);
    CHECK_INT(nf_config_load_file(c, "/nonexistent/x.properties", errstr, sizeof(errstr)),
              NF_ECONFIG);
    nf_config_destroy(c);
    unlink(path);
}

static void test_reference(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    nf_config_print_reference(fp);
    fclose(fp);
    CHECK(strstr(buf, "| `input.topic` | string | `news.articles` |") != NULL);
    CHECK(strstr(buf, "`shutdown.timeout.ms`") != NULL);
    free(buf);
}

int main(void)
{
    test_defaults();
    test_values();
    test_kafka();
    test_precedence();
    test_reference();
    TEST_DONE();
}
