/*
 * kafka: what the consumer and producer share in talking to librdkafka. Logs are
 * requested on the client's queue (log.queue=true) so that, once the owner calls
 * rd_kafka_set_log_queue(), they are emitted on the loop thread like everything else.
 */
#include "kafka.h"
#include "err.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

void nf_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    nf_log_level_t lvl = nf_log_level_from_syslog(level);
    nf_log(lvl, "rdkafka", "%s: [%s] %s", rk ? rd_kafka_name(rk) : "-", fac, buf);
}

/* A TLS handshake the other side refused because of our certificate (a TLS alert about
 * it): librdkafka reports that as a transport error. */
static bool tls_alert_about_certificate(const char *reason)
{
    return strstr(reason, "SSL alert number") && strstr(reason, "certificate");
}

bool nf_kafka_auth_failed(rd_kafka_t *rk, int err, const char *reason, char *why, size_t size)
{
    if (err == RD_KAFKA_RESP_ERR__SSL ||
        (err == RD_KAFKA_RESP_ERR__TRANSPORT && tls_alert_about_certificate(reason))) {
        snprintf(why, size,
                 "the TLS handshake with the brokers failed: %s. Check kafka.ssl.ca.location "
                 "(the CA of the brokers' certificates) and, where the brokers require client "
                 "certificates, kafka.ssl.certificate.location and kafka.ssl.key.location.",
                 reason);
        return true;
    }
    if (err != RD_KAFKA_RESP_ERR__AUTHENTICATION)
        return false;
    char mech[64];
    size_t n = sizeof(mech);
    if (rd_kafka_conf_get(rd_kafka_conf(rk), "sasl.mechanisms", mech, &n) != RD_KAFKA_CONF_OK)
        snprintf(mech, sizeof(mech), "?");
    int len = snprintf(why, size,
                       "authentication with the brokers failed: %s. Check kafka.security.protocol, "
                       "kafka.sasl.mechanism (%s), kafka.sasl.username and kafka.sasl.password.",
                       reason, mech);
    /* librdkafka before 2.6.1 repeats the client nonce in the SCRAM client-final message
     * (librdkafka#4895); Kafka 4 brokers check it strictly and refuse the login. */
    if (!strncmp(mech, "SCRAM-", 6) && rd_kafka_version() < 0x020601ff && len > 0 &&
        (size_t)len < size)
        snprintf(why + len, size - (size_t)len,
                 " Note: librdkafka %s cannot log in with SCRAM to Kafka 4.0 and later brokers "
                 "(librdkafka#4895, fixed in 2.6.1); there, use PLAIN over TLS (SASL_SSL) or a "
                 "newer librdkafka.",
                 rd_kafka_version_str());
    return true;
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
