/*
 * config: the configuration table and its three sources.
 *
 * Every newsflow key is a row of one table {name, type, default, offset, description}:
 * parsing, validation, --dump-config and docs/configuration.md all come from it, so
 * they cannot disagree. Sources apply in order of precedence: defaults, then a
 * `key=value` properties file, then NEWSFLOW_... environment variables, then
 * command-line flags; later sources override earlier ones.
 *
 * Keys under `kafka.` pass straight to librdkafka: `kafka.X` to both clients,
 * `kafka.consumer.X` to the consumer only and `kafka.producer.X` to the producer only.
 * They are checked against librdkafka's own property table when set, so an unknown or
 * malformed Kafka property stops start-up with librdkafka's message. Any other unknown
 * key is an error.
 */
#ifndef NF_CONFIG_H
#define NF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>

typedef enum {
    NF_AT_LEAST_ONCE = 0,
    NF_EXACTLY_ONCE = 1,
} nf_guarantee_t;

typedef enum {
    NF_OUTPUT_PRINT_AUTO = 0, /* print delivered events only with the embedded cluster */
    NF_OUTPUT_PRINT_ON,
    NF_OUTPUT_PRINT_OFF,
} nf_output_print_t;

/* The effective configuration. Strings are owned by the config. */
typedef struct nf_config {
    char *input_topic;
    char *group_id;
    char *enriched_topic;
    char *dlq_topic;
    char *route_topic[4]; /* deal, funding, infrastructure, other; "" = not routed */
    int64_t input_max_bytes;
    int64_t max_inflight;
    int64_t max_inflight_bytes;
    int64_t consumer_batch_max;
    int64_t poll_interval_ms;
    int64_t shutdown_timeout_ms;
    bool exit_on_eof;
    int guarantee;             /* nf_guarantee_t */
    char *transactional_id;    /* exactly-once: "" = derived from the host name */
    int64_t txn_messages;      /* exactly-once: commit after this many input messages */
    int64_t txn_interval_ms;   /* exactly-once: or after this long */
    int output_print;          /* nf_output_print_t */
    int log_level;             /* nf_log_level_t */
    int log_format;            /* 0 text, 1 json */
    double threshold[3];       /* classifier thresholds (deal, funding, infra); -1: model's */
    int64_t story_window_ms;   /* novelty window */
    int64_t story_max_entries; /* story state bound */
    char *alerts_rules; /* alert rules file; "" = <rules dir>/alerts.conf; "none" = no alerts */
    char *alerts_topic; /* alerts output topic */
    char *alerts_candidates_topic; /* internal topic where one member decides each alert */
    bool replay_alerts;            /* replay: alert as well (off by default) */
    char *ops_listen;              /* host:port of the ops endpoint; "" disables it */
    char *rules_dir;
    char *mock_seed_file;
    int64_t mock_partitions;

    /* Private: pass-through and bookkeeping. Use the functions below. */
    struct nf_config_priv *priv;
} nf_config_t;

/* Which Kafka client a pass-through setting is applied to. */
typedef enum { NF_KAFKA_CONSUMER, NF_KAFKA_PRODUCER } nf_kafka_role_t;

/* A config with every default set; NULL on allocation failure. */
nf_config_t *nf_config_new(void);
/* nf_config_destroy(NULL) is a no-op. */
void nf_config_destroy(nf_config_t *conf);

/*
 * Sets key to value (from source, e.g. "file:3", "env", "flag", shown in errors).
 * Returns NF_OK or NF_ECONFIG with a message naming the key in errstr.
 */
int nf_config_set(nf_config_t *conf, const char *key, const char *value, const char *source,
                  char *errstr, size_t errstr_size);
/* Loads a properties file: `key=value` lines, `#` comments, blank lines ignored. */
int nf_config_load_file(nf_config_t *conf, const char *path, char *errstr, size_t errstr_size);
/*
 * Applies NEWSFLOW_<KEY> variables from envp (NULL-terminated "NAME=value" array): the
 * key is the name after the prefix, lower-cased, with '_' read as '.'
 * (NEWSFLOW_INPUT_TOPIC -> input.topic, NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS ->
 * kafka.bootstrap.servers).
 */
int nf_config_load_env(nf_config_t *conf, char *const *envp, char *errstr, size_t errstr_size);

/* True if key was set by any source (not left at its default). */
bool nf_config_is_set(const nf_config_t *conf, const char *key);
/* True if any `kafka.` key was set. */
bool nf_config_has_kafka(const nf_config_t *conf);
/*
 * Sets a pass-through Kafka property programmatically (used for the embedded cluster's
 * bootstrap). Does not count as user-set for nf_config_has_kafka().
 */
int nf_config_set_kafka_internal(nf_config_t *conf, const char *prop, const char *value);
/* Applies the pass-through settings for role to rkconf. */
int nf_config_apply_kafka(const nf_config_t *conf, nf_kafka_role_t role, rd_kafka_conf_t *rkconf,
                          char *errstr, size_t errstr_size);

/* Prints the effective configuration as a properties file, secrets redacted. */
void nf_config_dump(const nf_config_t *conf, FILE *out);
/* Prints the configuration reference (every key, type, default, meaning) as Markdown. */
void nf_config_print_reference(FILE *out);
/* True if a property name looks secret (passwords, keys, SASL/OAuth settings). */
bool nf_config_is_secret(const char *key);

#endif
