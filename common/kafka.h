/*
 * kafka: librdkafka glue shared by the consumer and the producer: routing librdkafka's
 * logs into nf_log and the base client settings both clients need.
 */
#ifndef NF_KAFKA_H
#define NF_KAFKA_H

#include <stdbool.h>
#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "config.h"

/* librdkafka log callback that writes through nf_log with module "rdkafka". */
void nf_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf);

/*
 * A new rd_kafka_conf_t with newsflow's logging wired in and the user's `kafka.*`
 * settings for role applied. Returns NULL and fills errstr on failure.
 */
rd_kafka_conf_t *nf_kafka_conf_new(const nf_config_t *conf, nf_kafka_role_t role, char *errstr,
                                   size_t errstr_size);

/*
 * librdkafka retries a refused login for ever, so a wrong password, an unusable SASL
 * mechanism, an untrusted broker certificate or a missing client certificate would
 * leave newsflow waiting without end. When err and reason (from an error_cb) are such
 * a failure (a SASL authentication error, a failed TLS handshake, or a TLS alert about
 * our certificate), fills why with a message that says so and what to check (never a
 * secret), and returns true: the caller then stops. Else returns false.
 */
bool nf_kafka_auth_failed(rd_kafka_t *rk, int err, const char *reason, char *why, size_t size);

/* Sets prop=value on rkconf, filling errstr (naming the property) on failure. */
int nf_kafka_conf_set(rd_kafka_conf_t *rkconf, const char *prop, const char *value, char *errstr,
                      size_t errstr_size);

#endif
