/*
 * kafka: what the consumer and producer share in talking to librdkafka. Logs are
 * requested on the client's queue (log.queue=true) so that, once the owner calls
 * rd_kafka_set_log_queue(), they are emitted on the loop thread like everything else.
 */
#include "kafka.h"
#include "err.h"
#include "log.h"

#include <stdio.h>

void nf_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    nf_log_level_t lvl = nf_log_level_from_syslog(level);
    nf_log(lvl, "rdkafka", "%s: [%s] %s", rk ? rd_kafka_name(rk) : "-", fac, buf);
}

int nf_kafka_conf_set(rd_kafka_conf_t *rkconf, const char *prop, const char *value, char *errstr,
                      size_t errstr_size)
{
    char rkerr[512];
    if (rd_kafka_conf_set(rkconf, prop, value, rkerr, sizeof(rkerr)) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errstr_size, "%s: %s", prop, rkerr);
        return NF_ECONFIG;
    }
    return NF_OK;
}

rd_kafka_conf_t *nf_kafka_conf_new(const nf_config_t *conf, nf_kafka_role_t role, char *errstr,
                                   size_t errstr_size)
{
    rd_kafka_conf_t *rkconf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(rkconf, nf_kafka_log_cb);
    if (nf_kafka_conf_set(rkconf, "log.queue", "true", errstr, errstr_size) ||
        nf_kafka_conf_set(rkconf, "client.id",
                          role == NF_KAFKA_CONSUMER ? "newsflow-consumer" : "newsflow-producer",
                          errstr, errstr_size) ||
        nf_config_apply_kafka(conf, role, rkconf, errstr, errstr_size)) {
        rd_kafka_conf_destroy(rkconf);
        return NULL;
    }
    return rkconf;
}
