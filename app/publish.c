/*
 * publish: a file-to-topic loader (see publish.h). A plain idempotent producer, driven
 * synchronously: produce, poll for delivery reports, wait when the local queue is full.
 * Delivery failures are counted and reported; the exit code says whether all landed.
 */
#include "publish.h"
#include "decode.h"
#include "err.h"
#include "kafka.h"
#include "lines.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct pub_state {
    uint64_t sent, delivered, failed, keyless;
    char last_error[256];
} pub_state_t;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    pub_state_t *st = opaque;
    if (rkm->err) {
        st->failed++;
        snprintf(st->last_error, sizeof(st->last_error), "%s", rd_kafka_err2str(rkm->err));
    } else {
        st->delivered++;
    }
}

static void progress(const pub_state_t *st, const nf_lines_t *lines, int64_t t0, bool tty,
                     bool final)
{
    double secs = (double)(nf_mono_ms() - t0) / 1000.0;
    double rate = secs > 0 ? (double)st->sent / secs : 0;
    int64_t size = nf_lines_size(lines), off = nf_lines_offset(lines);
    if (tty) {
        if (size > 0) {
            double frac = (double)off / (double)size;
            char bar[31];
            for (int i = 0; i < 30; i++)
                bar[i] = i < (int)(frac * 30) ? '#' : '.';
            bar[30] = '\0';
            double eta = frac > 0 ? secs * (1 - frac) / frac : 0;
            fprintf(stderr, "\r%s [%s] %5.1f%% %llu sent %8.0f msg/s ETA %4.0f s%s",
                    nf_lines_name(lines), bar, frac * 100, (unsigned long long)st->sent, rate, eta,
                    final ? "\n" : "");
        } else {
            fprintf(stderr, "\r%s %llu sent %8.0f msg/s%s", nf_lines_name(lines),
                    (unsigned long long)st->sent, rate, final ? "\n" : "");
        }
    } else if (!final) {
        nf_log(NF_LOG_INFO, "publish", "%s: %llu sent, %.0f msg/s", nf_lines_name(lines),
               (unsigned long long)st->sent, rate);
    }
}

int nf_publish(const nf_config_t *conf, const nf_publish_opts_t *opts)
{
    char errstr[512];
    pub_state_t st = {0};
    rd_kafka_conf_t *rkconf = nf_kafka_conf_new(conf, NF_KAFKA_PRODUCER, errstr, sizeof(errstr));
    if (!rkconf) {
        fprintf(stderr, "newsflow publish: %s\n", errstr);
        return 2;
    }
    if (nf_kafka_conf_set(rkconf, "enable.idempotence", "true", errstr, sizeof(errstr)) ||
        (!nf_config_is_set(conf, "kafka.linger.ms") &&
         !nf_config_is_set(conf, "kafka.producer.linger.ms") &&
         nf_kafka_conf_set(rkconf, "linger.ms", "50", errstr, sizeof(errstr)))) {
        fprintf(stderr, "newsflow publish: %s\n", errstr);
        rd_kafka_conf_destroy(rkconf);
        return 2;
    }
    rd_kafka_conf_set_dr_msg_cb(rkconf, dr_cb);
    rd_kafka_conf_set_opaque(rkconf, &st);
    char rkerr[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, rkconf, rkerr, sizeof(rkerr));
    if (!rk) {
        rd_kafka_conf_destroy(rkconf);
        fprintf(stderr, "newsflow publish: cannot create producer: %s\n", rkerr);
        return 1;
    }
    const char *topic = opts->topic ? opts->topic : conf->input_topic;
    static const char *const stdin_only[] = {"-"};
    const char *const *paths = opts->npaths ? opts->paths : stdin_only;
    int npaths = opts->npaths ? opts->npaths : 1;
    bool tty = opts->progress && isatty(STDERR_FILENO);
    nf_decode_opts_t dopts = {.max_bytes = (size_t)conf->input_max_bytes};
    nf_article_t article = {0};
    int rc = 0;
    int64_t t0 = nf_mono_ms();

    for (int f = 0; f < npaths && rc == 0; f++) {
        nf_lines_t *lines = nf_lines_open(paths[f], errstr, sizeof(errstr));
        if (!lines) {
            fprintf(stderr, "newsflow publish: %s\n", errstr);
            rc = 1;
            break;
        }
        const char *line;
        size_t len;
        int64_t lineno, last_progress = nf_mono_ms();
        int lrc;
        while ((lrc = nf_lines_next(lines, &line, &len, &lineno)) == 1) {
            char derr[64];
            const char *key = NULL;
            if (nf_decode(line, len, &dopts, &article, derr, sizeof(derr)) == NF_REJECT_NONE)
                key = article.id;
            else
                st.keyless++;
            rd_kafka_resp_err_t err;
            while ((err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                            RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
                                            RD_KAFKA_V_VALUE((void *)line, len), RD_KAFKA_V_END)) ==
                   RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(rk, 100);
            nf_article_clear(&article);
            if (err) {
                fprintf(stderr, "newsflow publish: %s:%lld: %s\n", nf_lines_name(lines),
                        (long long)lineno, rd_kafka_err2str(err));
                rc = 1;
                break;
            }
            st.sent++;
            rd_kafka_poll(rk, 0);
            if (opts->progress && nf_mono_ms() - last_progress >= (tty ? 250 : 5000)) {
                progress(&st, lines, t0, tty, false);
                last_progress = nf_mono_ms();
            }
        }
        if (lrc < 0) {
            fprintf(stderr, "newsflow publish: cannot read %s\n", nf_lines_name(lines));
            rc = 1;
        }
        if (opts->progress)
            progress(&st, lines, t0, tty, true);
        nf_lines_close(lines);
    }
    while (rd_kafka_outq_len(rk) > 0 && rd_kafka_flush(rk, 1000) == RD_KAFKA_RESP_ERR__TIMED_OUT)
        ;
    rd_kafka_destroy(rk);
    fprintf(stderr,
            "publish: %llu line(s) sent to %s, %llu delivered, %llu failed%s%s; %llu not valid "
            "articles (sent without a key: newsflow run dead-letters them); %.1f s\n",
            (unsigned long long)st.sent, topic, (unsigned long long)st.delivered,
            (unsigned long long)st.failed, st.failed ? ": " : "", st.failed ? st.last_error : "",
            (unsigned long long)st.keyless, (double)(nf_mono_ms() - t0) / 1000.0);
    return rc ? rc : st.failed ? 1 : 0;
}
