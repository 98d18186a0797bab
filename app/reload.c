/*
 * reload: SIGHUP reloads the rules and the model (see reload.h).
 *
 * One worker thread at a time. It touches only what it builds and conf, which nobody
 * writes while the service runs; the pipeline is only ever touched on the loop thread,
 * when the pipe says the worker is done.
 */
#include "reload.h"

#include "err.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct nf_reload {
    const nf_config_t *conf;
    nf_pipeline_t *pipeline;
    struct event *ev_hup;
    struct event *ev_done;
    int pipefd[2];
    pthread_t thread;
    bool running;
    /* the worker's result, read after the join */
    nf_ruleset_t *loaded;
    char error[1024];
    int64_t started_ms;
    nf_metric_t *info, *reloads;
};

static void *worker(void *arg)
{
    nf_reload_t *r = arg;
    r->loaded = nf_ruleset_load(r->conf, r->error, sizeof(r->error));
    ssize_t w;
    do
        w = write(r->pipefd[1], "x", 1);
    while (w < 0 && errno == EINTR);
    return NULL;
}

/* On the loop thread: the worker is done. Swap, or keep the running set. */
static void on_done(evutil_socket_t fd, short what, void *arg)
{
    nf_reload_t *r = arg;
    (void)what;
    char b[16];
    while (read(fd, b, sizeof(b)) > 0)
        ;
    if (!r->running)
        return;
    pthread_join(r->thread, NULL);
    r->running = false;
    double secs = (double)(nf_mono_ms() - r->started_ms) / 1000.0;
    if (!r->loaded) {
        nf_metric_add(r->reloads, "failed", 1);
        nf_log(NF_LOG_ERROR, "reload", "SIGHUP: new rules refused, the running rules stay (%s): %s",
               nf_ruleset_version(nf_pipeline_ruleset(r->pipeline)), r->error);
        return;
    }
    nf_ruleset_t *old = nf_pipeline_swap_rules(r->pipeline, r->loaded);
    r->loaded = NULL;
    const nf_ruleset_t *now = nf_pipeline_ruleset(r->pipeline);
    nf_metric_reset(r->info);
    nf_metric_set(r->info, nf_ruleset_version(now), 1);
    nf_metric_add(r->reloads, "ok", 1);
    char desc[1200];
    nf_ruleset_describe(now, desc, sizeof(desc));
    nf_log(NF_LOG_INFO, "reload", "SIGHUP: reloaded in %.2f s (was %s): %s", secs,
           nf_ruleset_version(old), desc);
    nf_ruleset_destroy(old);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    nf_reload_t *r = arg;
    (void)sig;
    (void)what;
    if (r->running) {
        nf_log(NF_LOG_WARN, "reload", "SIGHUP: a reload is already running; ignored");
        return;
    }
    nf_log(NF_LOG_INFO, "reload", "SIGHUP: loading the rules beside the running set");
    r->started_ms = nf_mono_ms();
    r->error[0] = '\0';
    /* the worker must not take the process's signals */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&r->thread, NULL, worker, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        nf_metric_add(r->reloads, "failed", 1);
        nf_log(NF_LOG_ERROR, "reload", "SIGHUP: cannot start the reload: %s", strerror(err));
        return;
    }
    r->running = true;
}

nf_reload_t *nf_reload_new(struct event_base *base, const nf_config_t *conf,
                           nf_pipeline_t *pipeline, nf_metrics_t *metrics, char *errstr,
                           size_t errstr_size)
{
    nf_reload_t *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    r->conf = conf;
    r->pipeline = pipeline;
    r->pipefd[0] = r->pipefd[1] = -1;
    if (pipe(r->pipefd) || fcntl(r->pipefd[0], F_SETFL, O_NONBLOCK) ||
        fcntl(r->pipefd[0], F_SETFD, FD_CLOEXEC) || fcntl(r->pipefd[1], F_SETFD, FD_CLOEXEC)) {
        snprintf(errstr, errstr_size, "cannot create the reload pipe: %s", strerror(errno));
        goto err;
    }
    r->info = nf_metric_new(metrics, NF_METRIC_GAUGE, "newsflow_rules_info",
                            "The rule set in use (1), by version: FNV-1a-64 of the rule files.",
                            "version", NULL, 0);
    r->reloads = nf_metric_new(metrics, NF_METRIC_COUNTER, "newsflow_rules_reloads_total",
                               "SIGHUP reloads of the rules and model, by result (ok, failed).",
                               "result", NULL, 0);
    r->ev_hup = evsignal_new(base, SIGHUP, on_hup, r);
    r->ev_done = event_new(base, r->pipefd[0], EV_READ | EV_PERSIST, on_done, r);
    if (!r->info || !r->reloads || !r->ev_hup || !r->ev_done || event_add(r->ev_hup, NULL) ||
        event_add(r->ev_done, NULL)) {
        snprintf(errstr, errstr_size, "cannot install the SIGHUP handler");
        goto err;
    }
    nf_metric_set(r->info, nf_ruleset_version(nf_pipeline_ruleset(pipeline)), 1);
    return r;
err:
    nf_reload_destroy(r);
    return NULL;
}

void nf_reload_destroy(nf_reload_t *r)
{
    if (!r)
        return;
    if (r->running) {
        pthread_join(r->thread, NULL);
        nf_ruleset_destroy(r->loaded);
    }
    if (r->ev_hup)
        event_free(r->ev_hup);
    if (r->ev_done)
        event_free(r->ev_done);
    if (r->pipefd[0] >= 0)
        close(r->pipefd[0]);
    if (r->pipefd[1] >= 0)
        close(r->pipefd[1]);
    free(r);
}
