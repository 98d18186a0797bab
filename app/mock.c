/*
 * mock: librdkafka's in-process cluster (rdkafka_mock.h) set up as a disposable
 * stand-in for Kafka, so that `newsflow run` with no configuration shows the whole job.
 * See mock.h for when it is used; the warnings it prints are deliberate.
 */
#include "mock.h"
#include "err.h"
#include "kafka.h"
#include "log.h"
#include "nf_build.h"
#include "util.h"

#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct nf_mock {
    rd_kafka_t *rk; /* owns the mock cluster */
    rd_kafka_mock_cluster_t *mcluster;
    long seeded;
};

static int seed(nf_mock_t *mock, const char *bootstraps, const char *topic, const char *path,
                char *errstr, size_t errstr_size)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(errstr, errstr_size, "cannot open sample articles %s", path);
        return NF_EIO;
    }
    rd_kafka_conf_t *rkconf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(rkconf, nf_kafka_log_cb);
    if (nf_kafka_conf_set(rkconf, "bootstrap.servers", bootstraps, errstr, errstr_size)) {
        rd_kafka_conf_destroy(rkconf);
        fclose(fp);
        return NF_ECONFIG;
    }
    char rkerr[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, rkconf, rkerr, sizeof(rkerr));
    if (!rk) {
        rd_kafka_conf_destroy(rkconf);
        fclose(fp);
        snprintf(errstr, errstr_size, "cannot create seeding producer: %s", rkerr);
        return NF_EKAFKA;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int err = NF_OK;
    while ((n = getline(&line, &cap, fp)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (!n)
            continue;
        rd_kafka_resp_err_t rerr =
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_VALUE(line, (size_t)n), RD_KAFKA_V_END);
        if (rerr) {
            snprintf(errstr, errstr_size, "cannot seed %s: %s", topic, rd_kafka_err2str(rerr));
            err = NF_EKAFKA;
            break;
        }
        mock->seeded++;
    }
    free(line);
    fclose(fp);
    if (!err && rd_kafka_flush(rk, 10000)) {
        snprintf(errstr, errstr_size, "timed out seeding %s", topic);
        err = NF_ETIMEDOUT;
    }
    rd_kafka_destroy(rk);
    return err;
}

nf_mock_t *nf_mock_start(nf_config_t *conf, char *errstr, size_t errstr_size)
{
    nf_mock_t *mock = calloc(1, sizeof(*mock));
    if (!mock) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    rd_kafka_conf_t *rkconf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(rkconf, nf_kafka_log_cb);
    char rkerr[256];
    /* This handle only owns the cluster; it never connects, so its "no bootstrap.servers"
     * notice would only mislead. */
    rd_kafka_conf_set(rkconf, "log_level", "3", rkerr, sizeof(rkerr));
    mock->rk = rd_kafka_new(RD_KAFKA_PRODUCER, rkconf, rkerr, sizeof(rkerr));
    if (!mock->rk) {
        rd_kafka_conf_destroy(rkconf);
        snprintf(errstr, errstr_size, "cannot create embedded cluster: %s", rkerr);
        goto err;
    }
    mock->mcluster = rd_kafka_mock_cluster_new(mock->rk, 1);
    if (!mock->mcluster) {
        snprintf(errstr, errstr_size, "cannot create embedded cluster");
        goto err;
    }
    const char *topics[] = {
        conf->input_topic,    conf->enriched_topic, conf->dlq_topic,
        conf->alerts_topic,   conf->route_topic[0], conf->route_topic[1],
        conf->route_topic[2], conf->route_topic[3], conf->alerts_candidates_topic};
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++)
        if (*topics[i])
            rd_kafka_mock_topic_create(mock->mcluster, topics[i], (int)conf->mock_partitions, 1);
    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mock->mcluster);

    /* The mock group coordinator waits session.timeout.ms - 1 s in rebalances. */
    if (nf_config_set_kafka_internal(conf, "bootstrap.servers", bootstraps) ||
        nf_config_set_kafka_internal(conf, "consumer.session.timeout.ms", "3000") ||
        nf_config_set_kafka_internal(conf, "consumer.heartbeat.interval.ms", "500") ||
        nf_config_set_kafka_internal(conf, "consumer.auto.offset.reset", "earliest")) {
        snprintf(errstr, errstr_size, "out of memory");
        goto err;
    }

    char path[4096];
    if (*conf->mock_seed_file)
        snprintf(path, sizeof(path), "%s", conf->mock_seed_file);
    else if (nf_data_path("samples/articles.jsonl", path, sizeof(path))) {
        snprintf(errstr, errstr_size, "bundled sample articles not found (set mock.seed.file)");
        goto err;
    }
    if (seed(mock, bootstraps, conf->input_topic, path, errstr, errstr_size))
        goto err;
    nf_log(
        NF_LOG_WARN, "mock",
        "EMBEDDED KAFKA CLUSTER: no kafka.* setting was given, so newsflow is running against an in-process mock cluster (%s) that forgets everything at exit. For trying newsflow out only, never for production: set kafka.bootstrap.servers to use a real cluster.",
        bootstraps);
    nf_log(NF_LOG_INFO, "mock", "loaded %ld sample article(s) from %s into %s", mock->seeded, path,
           conf->input_topic);
    return mock;

err:
    nf_mock_destroy(mock);
    return NULL;
}

void nf_mock_destroy(nf_mock_t *mock)
{
    if (!mock)
        return;
    if (mock->mcluster)
        rd_kafka_mock_cluster_destroy(mock->mcluster);
    if (mock->rk)
        rd_kafka_destroy(mock->rk);
    free(mock);
}

long nf_mock_seeded(const nf_mock_t *mock)
{
    return mock->seeded;
}
