/*
 * fuzz_config: the configuration parser (common/config.c) fed arbitrary text, from its
 * three sources in precedence order. The input is split at lines "%%" into up to three
 * parts:
 *
 *   1. a properties file (`key=value` lines, comments), loaded by nf_config_load_file()
 *      from a scratch file, since the loader reads only from a path;
 *   2. environment entries, one "NAME=value" a line, for nf_config_load_env();
 *   3. command-line flags, one "key=value" a line, split at the first '=' and applied
 *      with nf_config_set() exactly as `-X key=value` is in app/main.c.
 *
 * Every source runs on a fresh config. A source that fails must say why; the config is
 * then destroyed (leaks are caught). One that succeeds must leave every value in range;
 * the effective dump is written (to /dev/null) and, when Kafka settings were given,
 * they are applied to fresh librdkafka configurations for both clients, which must
 * accept what the parser accepted. `kafka.*` values are checked by librdkafka itself,
 * which is not instrumented here: its code is exercised but not explored.
 */
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"

#define ENV_MAX 64

static const char *props_path;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    nf_log_set_level(NF_LOG_ERROR);
    props_path = fuzz_scratch("newsflow.properties", false);
    devnull = fopen("/dev/null", "w");
    fuzz_check(devnull, "cannot open /dev/null");
    return 0;
}

/* Checks what the table promises of a config that loaded. */
static void check_config(const nf_config_t *conf)
{
    const char *strings[] = {conf->input_topic,    conf->group_id,       conf->enriched_topic,
                             conf->dlq_topic,      conf->route_topic[0], conf->route_topic[1],
                             conf->route_topic[2], conf->route_topic[3], conf->transactional_id,
                             conf->alerts_rules,   conf->alerts_topic,   conf->ops_listen,
                             conf->rules_dir,      conf->mock_seed_file};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        fuzz_check(strings[i], "string %zu is NULL", i);
    fuzz_check(conf->input_max_bytes >= 1 && conf->input_max_bytes <= 1073741824,
               "input.max.bytes");
    fuzz_check(conf->max_inflight >= 1, "pipeline.max.inflight");
    fuzz_check(conf->guarantee == NF_AT_LEAST_ONCE || conf->guarantee == NF_EXACTLY_ONCE,
               "guarantee %d", conf->guarantee);
    fuzz_check(conf->log_level >= NF_LOG_ERROR && conf->log_level <= NF_LOG_DEBUG, "log.level");
    for (int i = 0; i < 3; i++)
        fuzz_check(conf->threshold[i] >= -1 && conf->threshold[i] <= 1, "threshold %d %g", i,
                   conf->threshold[i]);
    fuzz_check(conf->story_max_entries >= 100 && conf->story_max_entries <= 4000000,
               "story.max.entries");

    nf_config_dump(conf, devnull);
    if (nf_config_has_kafka(conf)) {
        for (int role = NF_KAFKA_CONSUMER; role <= NF_KAFKA_PRODUCER; role++) {
            rd_kafka_conf_t *rk = rd_kafka_conf_new();
            char errstr[512] = "";
            int rc = nf_config_apply_kafka(conf, (nf_kafka_role_t)role, rk, errstr, sizeof(errstr));
            fuzz_check(rc == 0, "librdkafka refused what the parser accepted: %s", errstr);
            rd_kafka_conf_destroy(rk);
        }
    }
}

/* The next line of <p, end>, NUL-terminated in place of its '\n' (or at end). */
static char *next_line(char **p, char *end)
{
    if (*p >= end)
        return NULL;
    char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *end = '\0';
        *p = end;
    }
    return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    fuzz_check(text, "out of memory");
    memcpy(text, data, size);
    text[size] = '\0';
    char *end = text + size;

    /* Part 1: up to a line "%%". */
    char *props_end = end, *rest = end;
    for (char *p = text; p < end; p++) {
        if ((p == text || p[-1] == '\n') && end - p >= 2 && memcmp(p, "%%", 2) == 0 &&
            (end - p == 2 || p[2] == '\n')) {
            props_end = p;
            rest = end - p == 2 ? end : p + 3;
            break;
        }
    }
    fuzz_write(props_path, text, (size_t)(props_end - text));

    char errstr[1024] = "";
    nf_config_t *conf = nf_config_new();
    fuzz_check(conf, "out of memory");
    if (nf_config_load_file(conf, props_path, errstr, sizeof(errstr))) {
        fuzz_check(errstr[0], "file refused without a message");
        goto done;
    }

    /* Part 2: environment, up to the next line "%%". */
    char *env[ENV_MAX + 1];
    int nenv = 0;
    char *line;
    while ((line = next_line(&rest, end)) && strcmp(line, "%%") != 0)
        if (nenv < ENV_MAX)
            env[nenv++] = line;
    env[nenv] = NULL;
    if (nf_config_load_env(conf, env, errstr, sizeof(errstr))) {
        fuzz_check(errstr[0], "environment refused without a message");
        goto done;
    }

    /* Part 3: -X flags. */
    while ((line = next_line(&rest, end))) {
        char *eq = strchr(line, '=');
        if (!eq)
            continue; /* main.c refuses these before the config sees them */
        *eq = '\0';
        char source[300];
        snprintf(source, sizeof(source), "flag -X %s", line);
        if (nf_config_set(conf, line, eq + 1, source, errstr, sizeof(errstr))) {
            fuzz_check(errstr[0], "flag refused without a message");
            goto done;
        }
        fuzz_check(nf_config_is_set(conf, line), "%s set but not marked set", line);
    }
    check_config(conf);
done:
    nf_config_destroy(conf);
    free(text);
    return 0;
}
