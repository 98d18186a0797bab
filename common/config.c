/*
 * config: one table describes every newsflow setting; parsing from files, environment
 * and flags, validation, the effective dump and the Markdown reference are all driven
 * by it (the Fluent Bit config-map pattern). `kafka.*` settings are validated against
 * librdkafka's own table by setting them on a scratch rd_kafka_conf_t, and kept in
 * order so they can be replayed onto the real client configurations later.
 */
#include "config.h"
#include "err.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum { T_STRING, T_INT, T_BOOL, T_ENUM, T_DOUBLE } nf_conf_type_t;

typedef struct nf_conf_entry {
    const char *name;
    nf_conf_type_t type;
    const char *def;
    size_t offset;
    int64_t min, max;          /* T_INT bounds */
    const char *const *values; /* T_ENUM names, index = stored value; NULL-terminated */
    const char *desc;
} nf_conf_entry_t;

static const char *const print_values[] = {"auto", "true", "false", NULL};
static const char *const level_values[] = {"error", "warn", "info", "debug", NULL};
static const char *const format_values[] = {"text", "json", NULL};
static const char *const guarantee_values[] = {"at_least_once", "exactly_once", NULL};

#define OFF(f) offsetof(nf_config_t, f)

static const nf_conf_entry_t conf_table[] = {
    {"input.topic", T_STRING, "news.articles", OFF(input_topic), 0, 0, NULL,
     "Topic the article events are consumed from."},
    {"group.id", T_STRING, "newsflow", OFF(group_id), 0, 0, NULL,
     "Consumer group of the streaming service. Instances with the same group share the input partitions."},
    {"output.enriched.topic", T_STRING, "news.enriched", OFF(enriched_topic), 0, 0, NULL,
     "Topic every enriched event is produced to, keyed by article id."},
    {"output.deal.topic", T_STRING, "news.deal", OFF(route_topic[0]), 0, 0, NULL,
     "Topic that also receives every enriched event classified as a deal. Empty: not routed."},
    {"output.funding.topic", T_STRING, "news.funding", OFF(route_topic[1]), 0, 0, NULL,
     "Topic that also receives every enriched event classified as a funding round. Empty: not routed."},
    {"output.infrastructure.topic", T_STRING, "news.infrastructure", OFF(route_topic[2]), 0, 0,
     NULL,
     "Topic that also receives every enriched event classified as infrastructure. Empty: not routed."},
    {"output.other.topic", T_STRING, "", OFF(route_topic[3]), 0, 0, NULL,
     "Topic that also receives enriched events in no category. Empty (default): they go to output.enriched.topic only."},
    {"output.dlq.topic", T_STRING, "news.dlq", OFF(dlq_topic), 0, 0, NULL,
     "Dead-letter topic: rejected inputs with the original bytes and the reason in headers."},
    {"input.max.bytes", T_INT, "1048576", OFF(input_max_bytes), 1, 1073741824, NULL,
     "Largest accepted input message in bytes; larger ones are dead-lettered as too_large."},
    {"pipeline.max.inflight", T_INT, "10000", OFF(max_inflight), 1, 10000000, NULL,
     "Most input messages whose outputs are not yet delivered; above it the consumer pauses."},
    {"pipeline.max.inflight.bytes", T_INT, "67108864", OFF(max_inflight_bytes), 1024,
     INT64_C(68719476736), NULL,
     "Most bytes of input messages in flight; above it the consumer pauses. Bounds memory."},
    {"consumer.batch.max", T_INT, "1000", OFF(consumer_batch_max), 1, 1000000, NULL,
     "Most messages handled per loop wake-up before other events get a turn."},
    {"consumer.poll.interval.ms", T_INT, "100", OFF(poll_interval_ms), 1, 60000, NULL,
     "Period of the zero-timeout poll that keeps the consumer alive in the group when idle."},
    {"shutdown.timeout.ms", T_INT, "30000", OFF(shutdown_timeout_ms), 0, 3600000, NULL,
     "How long a clean shutdown waits for outstanding deliveries before giving up."},
    {"run.exit.on.eof", T_BOOL, "false", OFF(exit_on_eof), 0, 0, NULL,
     "Exit (cleanly, offsets committed) once every assigned partition is at its end and all outputs are delivered."},
    {"processing.guarantee", T_ENUM, "at_least_once", OFF(guarantee), 0, 0, guarantee_values,
     "at_least_once: offsets committed after outputs are delivered; exactly_once: outputs and input offsets committed in one Kafka transaction."},
    {"transactional.id", T_STRING, "", OFF(transactional_id), 0, 0, NULL,
     "Exactly-once: the producer's transactional id, stable across restarts of this instance and unique among instances. Empty: newsflow-<group.id>-<host name>."},
    {"transaction.max.messages", T_INT, "1000", OFF(txn_messages), 1, 1000000, NULL,
     "Exactly-once: commit the open transaction after this many input messages."},
    {"transaction.interval.ms", T_INT, "100", OFF(txn_interval_ms), 1, 600000, NULL,
     "Exactly-once: commit the open transaction at least this often (ms). Outputs become visible to read_committed consumers at commit."},
    {"output.print", T_ENUM, "auto", OFF(output_print), 0, 0, print_values,
     "Print each delivered enriched event to stdout: auto (only with the embedded cluster), true, false."},
    {"log.level", T_ENUM, "info", OFF(log_level), 0, 0, level_values,
     "Least severe log level written: error, warn, info, debug."},
    {"log.format", T_ENUM, "text", OFF(log_format), 0, 0, format_values,
     "Log line format on stderr: text or json (one object per line)."},
    {"classifier.threshold.deal", T_DOUBLE, "-1", OFF(threshold[0]), -1, 1, NULL,
     "Score at or above which an article is a deal. -1: the threshold stored with the model."},
    {"classifier.threshold.funding", T_DOUBLE, "-1", OFF(threshold[1]), -1, 1, NULL,
     "Score at or above which an article is a funding round. -1: the model's threshold."},
    {"classifier.threshold.infrastructure", T_DOUBLE, "-1", OFF(threshold[2]), -1, 1, NULL,
     "Score at or above which an article is infrastructure news. -1: the model's threshold."},
    {"story.window.ms", T_INT, "86400000", OFF(story_window_ms), 1000, INT64_C(2592000000), NULL,
     "Novelty window: copies of a story within it share its key and lower its novelty; older state is forgotten."},
    {"story.max.entries", T_INT, "50000", OFF(story_max_entries), 100, 4000000, NULL,
     "Most articles remembered for near-duplicate detection (about 520 bytes each, allocated at start)."},
    {"alerts.rules", T_STRING, "", OFF(alerts_rules), 0, 0, NULL,
     "Alert rules file (docs/alerts.md). Empty: alerts.conf in the rules directory; none: no alerts."},
    {"output.alerts.topic", T_STRING, "news.alerts", OFF(alerts_topic), 0, 0, NULL,
     "Topic alerts are produced to (newsflow.alert.v1), keyed by alert id (rule and story key)."},
    {"alerts.candidates.topic", T_STRING, "news.alert-candidates", OFF(alerts_candidates_topic), 0,
     0, NULL,
     "Internal topic of alert candidates, keyed by rule: every member of the group sends its candidates there and consumes its share, so that copies of a story arriving on different partitions alert once (docs/alerts.md). Empty: each instance decides alone (one instance only)."},
    {"replay.alerts", T_BOOL, "false", OFF(replay_alerts), 0, 0, NULL,
     "Let a replay fire alerts too (replay --alerts). Off: replayed events never alert."},
    {"ops.listen", T_STRING, "127.0.0.1:8479", OFF(ops_listen), 0, 0, NULL,
     "Address of the ops HTTP endpoint (/metrics, /healthz, /readyz) as host:port; port 0 picks a free port; empty disables it. Binds to loopback unless told otherwise."},
    {"rules.dir", T_STRING, "", OFF(rules_dir), 0, 0, NULL,
     "Directory of rules and models. Empty: the installed share/newsflow/rules, else the source tree's rules/."},
    {"mock.seed.file", T_STRING, "", OFF(mock_seed_file), 0, 0, NULL,
     "Articles (JSONL) loaded into the embedded cluster's input topic at start. Empty: the bundled samples."},
    {"mock.partitions", T_INT, "2", OFF(mock_partitions), 1, 64, NULL,
     "Partitions of each topic in the embedded cluster."},
};

#define CONF_N (sizeof(conf_table) / sizeof(conf_table[0]))

typedef struct kv {
    char *key; /* full key including the kafka. prefix */
    char *value;
    bool internal;
} kv_t;

struct nf_config_priv {
    bool set[CONF_N];
    kv_t *kafka;
    size_t kafka_n, kafka_cap;
    rd_kafka_conf_t *scratch;
};

static const nf_conf_entry_t *find_entry(const char *key, size_t *idx)
{
    for (size_t i = 0; i < CONF_N; i++) {
        if (!strcmp(conf_table[i].name, key)) {
            if (idx)
                *idx = i;
            return &conf_table[i];
        }
    }
    return NULL;
}

static int parse_bool(const char *value, bool *out)
{
    if (!strcasecmp(value, "true") || !strcmp(value, "1") || !strcasecmp(value, "yes") ||
        !strcasecmp(value, "on")) {
        *out = true;
        return 0;
    }
    if (!strcasecmp(value, "false") || !strcmp(value, "0") || !strcasecmp(value, "no") ||
        !strcasecmp(value, "off")) {
        *out = false;
        return 0;
    }
    return -1;
}

static int set_entry(nf_config_t *conf, const nf_conf_entry_t *e, const char *value,
                     const char *source, char *errstr, size_t errstr_size)
{
    char *field = (char *)conf + e->offset;
    switch (e->type) {
    case T_STRING: {
        char *copy = strdup(value);
        if (!copy) {
            snprintf(errstr, errstr_size, "out of memory");
            return NF_ENOMEM;
        }
        free(*(char **)field);
        *(char **)field = copy;
        return NF_OK;
    }
    case T_INT: {
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno || end == value || *end) {
            snprintf(errstr, errstr_size, "%s: %s: \"%s\" is not an integer", source, e->name,
                     value);
            return NF_ECONFIG;
        }
        if (v < e->min || v > e->max) {
            snprintf(errstr, errstr_size, "%s: %s: %lld is out of range [%lld, %lld]", source,
                     e->name, v, (long long)e->min, (long long)e->max);
            return NF_ECONFIG;
        }
        *(int64_t *)field = v;
        return NF_OK;
    }
    case T_DOUBLE: {
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        /* strtod() takes "nan", which every range comparison below would let through. */
        if (errno || end == value || *end || isnan(v)) {
            snprintf(errstr, errstr_size, "%s: %s: \"%s\" is not a number", source, e->name, value);
            return NF_ECONFIG;
        }
        if (v < (double)e->min || v > (double)e->max) {
            snprintf(errstr, errstr_size, "%s: %s: %g is out of range [%lld, %lld]", source,
                     e->name, v, (long long)e->min, (long long)e->max);
            return NF_ECONFIG;
        }
        *(double *)field = v;
        return NF_OK;
    }
    case T_BOOL:
        if (parse_bool(value, (bool *)field)) {
            snprintf(errstr, errstr_size, "%s: %s: \"%s\" is not a boolean (use true or false)",
                     source, e->name, value);
            return NF_ECONFIG;
        }
        return NF_OK;
    case T_ENUM:
        for (int i = 0; e->values[i]; i++) {
            if (!strcasecmp(value, e->values[i])) {
                *(int *)field = i;
                return NF_OK;
            }
        }
        {
            char allowed[256] = "";
            for (int i = 0; e->values[i]; i++) {
                strncat(allowed, i ? ", " : "", sizeof(allowed) - strlen(allowed) - 1);
                strncat(allowed, e->values[i], sizeof(allowed) - strlen(allowed) - 1);
            }
            snprintf(errstr, errstr_size, "%s: %s: \"%s\" is not one of: %s", source, e->name,
                     value, allowed);
        }
        return NF_ECONFIG;
    }
    return NF_ECONFIG;
}

nf_config_t *nf_config_new(void)
{
    nf_config_t *conf = calloc(1, sizeof(*conf));
    if (!conf)
        return NULL;
    conf->priv = calloc(1, sizeof(*conf->priv));
    if (!conf->priv)
        goto err_conf;
    conf->priv->scratch = rd_kafka_conf_new();
    if (!conf->priv->scratch)
        goto err_priv;
    char errstr[256];
    for (size_t i = 0; i < CONF_N; i++) {
        if (set_entry(conf, &conf_table[i], conf_table[i].def, "default", errstr, sizeof(errstr)))
            goto err_all;
    }
    return conf;

err_all:
    nf_config_destroy(conf);
    return NULL;
err_priv:
    free(conf->priv);
err_conf:
    free(conf);
    return NULL;
}

void nf_config_destroy(nf_config_t *conf)
{
    if (!conf)
        return;
    for (size_t i = 0; i < CONF_N; i++)
        if (conf_table[i].type == T_STRING)
            free(*(char **)((char *)conf + conf_table[i].offset));
    if (conf->priv) {
        for (size_t i = 0; i < conf->priv->kafka_n; i++) {
            free(conf->priv->kafka[i].key);
            free(conf->priv->kafka[i].value);
        }
        free(conf->priv->kafka);
        if (conf->priv->scratch)
            rd_kafka_conf_destroy(conf->priv->scratch);
        free(conf->priv);
    }
    free(conf);
}

/* Strips the kafka., kafka.consumer. or kafka.producer. prefix. */
static const char *kafka_prop(const char *key)
{
    if (!strncmp(key, "kafka.consumer.", 15))
        return key + 15;
    if (!strncmp(key, "kafka.producer.", 15))
        return key + 15;
    return key + 6;
}

static int kafka_put(nf_config_t *conf, const char *key, const char *value, bool internal)
{
    struct nf_config_priv *p = conf->priv;
    for (size_t i = 0; i < p->kafka_n; i++) {
        if (!strcmp(p->kafka[i].key, key)) {
            char *v = strdup(value);
            if (!v)
                return NF_ENOMEM;
            free(p->kafka[i].value);
            p->kafka[i].value = v;
            p->kafka[i].internal = p->kafka[i].internal && internal;
            return NF_OK;
        }
    }
    if (p->kafka_n == p->kafka_cap) {
        size_t cap = p->kafka_cap ? p->kafka_cap * 2 : 16;
        kv_t *kv = realloc(p->kafka, cap * sizeof(*kv));
        if (!kv)
            return NF_ENOMEM;
        p->kafka = kv;
        p->kafka_cap = cap;
    }
    kv_t *kv = &p->kafka[p->kafka_n];
    kv->key = strdup(key);
    kv->value = strdup(value);
    kv->internal = internal;
    if (!kv->key || !kv->value) {
        free(kv->key);
        free(kv->value);
        return NF_ENOMEM;
    }
    p->kafka_n++;
    return NF_OK;
}

/*
 * Settings newsflow itself owns on the Kafka clients. Letting users override them would
 * silently break the delivery guarantees, so they are refused with the reason.
 */
static const struct {
    const char *prop;
    const char *why;
} kafka_reserved[] = {
    {"enable.auto.offset.store", "offsets are stored only after outputs are delivered"},
    {"group.id", "use the group.id key"},
    {"enable.idempotence", "the producer is always idempotent"},
    {"partition.assignment.strategy", "newsflow uses cooperative-sticky rebalancing"},
    {"enable.partition.eof", "use run.exit.on.eof"},
    {"transactional.id", "use the transactional.id key"},
    {"enable.auto.commit", "newsflow decides how offsets are committed (processing.guarantee)"},
};

int nf_config_set(nf_config_t *conf, const char *key, const char *value, const char *source,
                  char *errstr, size_t errstr_size)
{
    if (!strncmp(key, "kafka.", 6)) {
        const char *prop = kafka_prop(key);
        if (!*prop) {
            snprintf(errstr, errstr_size, "%s: \"%s\" names no Kafka property", source, key);
            return NF_ECONFIG;
        }
        for (size_t i = 0; i < sizeof(kafka_reserved) / sizeof(kafka_reserved[0]); i++) {
            if (!strcmp(prop, kafka_reserved[i].prop)) {
                snprintf(errstr, errstr_size, "%s: %s cannot be set: %s", source, key,
                         kafka_reserved[i].why);
                return NF_ECONFIG;
            }
        }
        char rkerr[512];
        rd_kafka_conf_res_t res =
            rd_kafka_conf_set(conf->priv->scratch, prop, value, rkerr, sizeof(rkerr));
        if (res == RD_KAFKA_CONF_UNKNOWN) {
            snprintf(
                errstr, errstr_size,
                "%s: %s: \"%s\" is not a librdkafka property (see librdkafka's CONFIGURATION.md)",
                source, key, prop);
            return NF_ECONFIG;
        }
        if (res != RD_KAFKA_CONF_OK) {
            snprintf(errstr, errstr_size, "%s: %s: %s", source, key, rkerr);
            return NF_ECONFIG;
        }
        if (kafka_put(conf, key, value, false)) {
            snprintf(errstr, errstr_size, "out of memory");
            return NF_ENOMEM;
        }
        return NF_OK;
    }
    size_t idx;
    const nf_conf_entry_t *e = find_entry(key, &idx);
    if (!e) {
        snprintf(
            errstr, errstr_size,
            "%s: unknown configuration key \"%s\" (see `newsflow --help-config`; Kafka client settings take the kafka. prefix)",
            source, key);
        return NF_ECONFIG;
    }
    int err = set_entry(conf, e, value, source, errstr, errstr_size);
    if (!err)
        conf->priv->set[idx] = true;
    return err;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

int nf_config_load_file(nf_config_t *conf, const char *path, char *errstr, size_t errstr_size)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(errstr, errstr_size, "cannot open config file %s: %s", path, strerror(errno));
        return NF_ECONFIG;
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, err = NF_OK;
    while (getline(&line, &cap, fp) != -1) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#' || *s == '!')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(errstr, errstr_size, "%s:%d: expected key=value, got \"%s\"", path, lineno, s);
            err = NF_ECONFIG;
            break;
        }
        *eq = '\0';
        char source[300];
        snprintf(source, sizeof(source), "%s:%d", path, lineno);
        if ((err = nf_config_set(conf, trim(s), trim(eq + 1), source, errstr, errstr_size)))
            break;
    }
    free(line);
    fclose(fp);
    return err;
}

int nf_config_load_env(nf_config_t *conf, char *const *envp, char *errstr, size_t errstr_size)
{
    static const char prefix[] = "NEWSFLOW_";
    for (; envp && *envp; envp++) {
        if (strncmp(*envp, prefix, sizeof(prefix) - 1))
            continue;
        const char *name = *envp + sizeof(prefix) - 1;
        const char *eq = strchr(name, '=');
        if (!eq || eq == name)
            continue;
        char key[256];
        size_t n = (size_t)(eq - name);
        if (n >= sizeof(key))
            n = sizeof(key) - 1;
        for (size_t i = 0; i < n; i++)
            key[i] = name[i] == '_' ? '.' : (char)tolower((unsigned char)name[i]);
        key[n] = '\0';
        char source[300];
        snprintf(source, sizeof(source), "environment NEWSFLOW_%.*s", (int)n, name);
        int err = nf_config_set(conf, key, eq + 1, source, errstr, errstr_size);
        if (err)
            return err;
    }
    return NF_OK;
}

bool nf_config_is_set(const nf_config_t *conf, const char *key)
{
    size_t idx;
    if (find_entry(key, &idx))
        return conf->priv->set[idx];
    for (size_t i = 0; i < conf->priv->kafka_n; i++)
        if (!strcmp(conf->priv->kafka[i].key, key) && !conf->priv->kafka[i].internal)
            return true;
    return false;
}

bool nf_config_has_kafka(const nf_config_t *conf)
{
    for (size_t i = 0; i < conf->priv->kafka_n; i++)
        if (!conf->priv->kafka[i].internal)
            return true;
    return false;
}

int nf_config_set_kafka_internal(nf_config_t *conf, const char *prop, const char *value)
{
    char key[256];
    snprintf(key, sizeof(key), "kafka.%s", prop);
    return kafka_put(conf, key, value, true);
}

int nf_config_apply_kafka(const nf_config_t *conf, nf_kafka_role_t role, rd_kafka_conf_t *rkconf,
                          char *errstr, size_t errstr_size)
{
    /* Shared settings first, so role-specific ones override them. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < conf->priv->kafka_n; i++) {
            const char *key = conf->priv->kafka[i].key;
            bool consumer = !strncmp(key, "kafka.consumer.", 15);
            bool producer = !strncmp(key, "kafka.producer.", 15);
            if (pass == 0 && (consumer || producer))
                continue;
            if (pass == 1 && !((consumer && role == NF_KAFKA_CONSUMER) ||
                               (producer && role == NF_KAFKA_PRODUCER)))
                continue;
            char rkerr[512];
            if (rd_kafka_conf_set(rkconf, kafka_prop(key), conf->priv->kafka[i].value, rkerr,
                                  sizeof(rkerr)) != RD_KAFKA_CONF_OK) {
                snprintf(errstr, errstr_size, "%s: %s", key, rkerr);
                return NF_ECONFIG;
            }
        }
    }
    return NF_OK;
}

bool nf_config_is_secret(const char *key)
{
    static const char *const words[] = {"password",    "secret",       "sasl.oauthbearer.config",
                                        "ssl.key.pem", "ssl.keystore", "ssl_key",
                                        "private",     "token",        "credential"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strstr(key, words[i]))
            return true;
    return false;
}

static void format_value(const nf_config_t *conf, const nf_conf_entry_t *e, char *buf, size_t size)
{
    const char *field = (const char *)conf + e->offset;
    switch (e->type) {
    case T_STRING:
        snprintf(buf, size, "%s", *(char *const *)field);
        break;
    case T_INT:
        snprintf(buf, size, "%lld", (long long)*(const int64_t *)field);
        break;
    case T_BOOL:
        snprintf(buf, size, "%s", *(const bool *)field ? "true" : "false");
        break;
    case T_DOUBLE:
        snprintf(buf, size, "%g", *(const double *)field);
        break;
    case T_ENUM:
        snprintf(buf, size, "%s", e->values[*(const int *)field]);
        break;
    }
}

void nf_config_dump(const nf_config_t *conf, FILE *out)
{
    fprintf(out, "# newsflow effective configuration (default, file, environment, flags)\n");
    for (size_t i = 0; i < CONF_N; i++) {
        char value[1024];
        format_value(conf, &conf_table[i], value, sizeof(value));
        fprintf(out, "%s=%s%s\n", conf_table[i].name, value,
                conf->priv->set[i] ? "" : "  # default");
    }
    for (size_t i = 0; i < conf->priv->kafka_n; i++) {
        const kv_t *kv = &conf->priv->kafka[i];
        fprintf(out, "%s=%s%s\n", kv->key, nf_config_is_secret(kv->key) ? "[redacted]" : kv->value,
                kv->internal ? "  # set by newsflow" : "");
    }
}

void nf_config_print_reference(FILE *out)
{
    static const char *const type_names[] = {"string", "integer", "boolean", "enum", "number"};
    fprintf(out,
            "# Configuration reference\n"
            "\n"
            "Generated by `newsflow run --help-config` from the program's own table; a test\n"
            "fails when this file is out of date. Do not edit by hand.\n"
            "\n"
            "Sources, later overriding earlier: built-in defaults, the properties file given\n"
            "with `-c FILE` (`key=value` lines, `#` comments), environment variables\n"
            "`NEWSFLOW_<KEY>` (upper case, `.` written as `_`: `NEWSFLOW_INPUT_TOPIC`,\n"
            "`NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS`), and `-X key=value` flags. Unknown keys and\n"
            "bad values stop start-up with a message naming the key and where it was set.\n"
            "`newsflow run --dump-config` prints the effective configuration, secrets\n"
            "redacted.\n"
            "\n"
            "## Kafka client settings\n"
            "\n"
            "`kafka.<property>` passes `<property>` to both librdkafka clients,\n"
            "`kafka.consumer.<property>` to the consumer only and `kafka.producer.<property>`\n"
            "to the producer only (see librdkafka's CONFIGURATION.md for the properties).\n"
            "They are checked against librdkafka when set. newsflow owns a few settings and\n"
            "refuses them: `enable.auto.offset.store`, `group.id` (use the `group.id` key),\n"
            "`enable.idempotence`, `partition.assignment.strategy`, `enable.partition.eof`.\n"
            "Unless set, the producer uses `compression.type=lz4`, `linger.ms=1` (latency)\n"
            "and a `message.max.bytes` 64 KiB above the larger of twice `input.max.bytes`\n"
            "and the consumer's `receive.message.max.bytes` (so that any input it fetches\n"
            "can be dead-lettered whole), and the consumer `queued.max.messages.kbytes=16384`,\n"
            "`max.partition.fetch.bytes=262144`, `auto.commit.interval.ms=1000` and\n"
            "`statistics.interval.ms=5000`.\n"
            "\n"
            "With no `kafka.` setting at all, `newsflow run` starts an embedded in-process\n"
            "cluster with sample articles (for trying it out; it warns that it is not for\n"
            "production). Any `kafka.` setting turns that off, and then\n"
            "`kafka.bootstrap.servers` is required.\n"
            "\n"
            "## newsflow settings\n"
            "\n");
    fprintf(out, "| key | type | default | meaning |\n|---|---|---|---|\n");
    for (size_t i = 0; i < CONF_N; i++) {
        const nf_conf_entry_t *e = &conf_table[i];
        char type[128];
        if (e->type == T_INT || e->type == T_DOUBLE)
            snprintf(type, sizeof(type), "%s %lld..%lld", type_names[e->type], (long long)e->min,
                     (long long)e->max);
        else
            snprintf(type, sizeof(type), "%s", type_names[e->type]);
        fprintf(out, "| `%s` | %s | `%s` | %s |\n", e->name, type, *e->def ? e->def : "(empty)",
                e->desc);
    }
}
