/*
 * Unit test for producer/webhook: delivery, retries, backoff, timeouts, the queue bound,
 * shutdown, and https, against receivers that run in this process on the same event base.
 *
 * An evhttp server on 127.0.0.1 (ephemeral port) behaves by path: /ok, /fail/N (503 for
 * the first N requests of a message id, then 200), /status/C, /retry-after/S (429 once),
 * /hang (never answers), /delay/MS, /close (200 with Connection: close). It records every
 * request. The same server behind TLS, with a certificate made here for "localhost",
 * tests https; a raw TCP listener plays broken servers (garbage, early close, truncated
 * body, oversized headers). Every wait is event_base_dispatch with a stop condition and
 * a deadline, so a hang fails the test instead of blocking it.
 */
#include "err.h"
#include "test.h"
#include "util.h"
#include "webhook.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define MAX_SEEN    512
#define MAX_HUNG    64
#define MAX_RESULTS 256
#define WAIT_MS     15000 /* generous: the suite also runs under valgrind */

/* One request as the server saw it. */
typedef struct seen {
    int id;
    char path[64];
    char body[128];
    char content_type[64];
    char content_length[16];
    char host[64];
    char user_agent[64];
    char ce_id[64];
    int64_t at_us;
    int peer_port;
} seen_t;

typedef struct server {
    struct evhttp *http;
    int port;
    seen_t seen[MAX_SEEN];
    int n_seen;
    struct evhttp_request *hung[MAX_HUNG];
    int n_hung;
    int in_flight, max_in_flight; /* /delay requests not yet answered */
} server_t;

typedef struct result {
    int id;
    bool ok;
    char reason[512];
    int64_t at_us;
} result_t;

/* What done_cb saw, and what it should do next. */
typedef struct client {
    result_t results[MAX_RESULTS];
    int n_done;
    nf_webhook_t *webhook;
    bool destroy_in_cb; /* destroy the sender from the first done_cb */
    int repost_id;      /* post this id from done_cb of id 1 (0: no) */
    int port;           /* for the re-post */
} client_t;

static struct event_base *base;
static server_t srv;     /* plain http */
static server_t tls_srv; /* the same behind TLS */
static client_t cl;

/* ---- waiting ---- */

typedef bool (*cond_fn)(void *arg);

typedef struct runner {
    cond_fn cond;
    void *arg;
    bool timed_out;
} runner_t;

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    runner_t *r = arg;
    if (r->cond(r->arg))
        event_base_loopbreak(base);
}

static void on_wait_deadline(evutil_socket_t fd, short what, void *arg)
{
    runner_t *r = arg;
    r->timed_out = true;
    event_base_loopbreak(base);
}

/* Runs the loop until cond(arg) holds or timeout_ms passes; false on timeout. */
static bool run_until(cond_fn cond, void *arg, int timeout_ms)
{
    runner_t r = {cond, arg, false};
    if (cond(arg))
        return true;
    struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, &r);
    struct event *deadline = evtimer_new(base, on_wait_deadline, &r);
    struct timeval tick_tv = {0, 2000};
    struct timeval deadline_tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    event_add(tick, &tick_tv);
    evtimer_add(deadline, &deadline_tv);
    event_base_dispatch(base);
    event_free(tick);
    event_free(deadline);
    return !r.timed_out;
}

static bool never(void *arg)
{
    return false;
}

/* Runs the loop for ms, whatever happens. */
static void run_for(int ms)
{
    run_until(never, NULL, ms);
}

static bool done_at_least(void *arg)
{
    return cl.n_done >= *(int *)arg;
}

static bool wait_done(int n)
{
    return run_until(done_at_least, &n, WAIT_MS);
}

/* ---- the receiver ---- */

static int count_for(const server_t *s, int id)
{
    int n = 0;
    for (int i = 0; i < s->n_seen; i++)
        n += s->seen[i].id == id;
    return n;
}

/* The k-th request (from 0) the server saw for id, or NULL. */
static const seen_t *seen_for(const server_t *s, int id, int k)
{
    for (int i = 0; i < s->n_seen; i++)
        if (s->seen[i].id == id && k-- == 0)
            return &s->seen[i];
    return NULL;
}

static void copy_header(struct evhttp_request *req, const char *name, char *out, size_t size)
{
    const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
    snprintf(out, size, "%s", v ? v : "");
}

static void reply(struct evhttp_request *req, int code, const char *body)
{
    struct evbuffer *buf = evbuffer_new();
    evbuffer_add_printf(buf, "%s", body);
    evhttp_send_reply(req, code, NULL, buf);
    evbuffer_free(buf);
}

typedef struct delayed {
    server_t *s;
    struct evhttp_request *req;
} delayed_t;

static void on_delayed_reply(evutil_socket_t fd, short what, void *arg)
{
    delayed_t *d = arg;
    d->s->in_flight--;
    reply(d->req, 200, "late");
    free(d);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    server_t *s = arg;
    const char *uri = evhttp_request_get_uri(req);
    int id = 0, n = 0;
    char buf[32];

    if (s->n_seen < MAX_SEEN) {
        seen_t *r = &s->seen[s->n_seen++];
        memset(r, 0, sizeof(*r));
        copy_header(req, "X-Test-Id", buf, sizeof(buf));
        r->id = id = atoi(buf);
        snprintf(r->path, sizeof(r->path), "%s", uri);
        ev_ssize_t len =
            evbuffer_copyout(evhttp_request_get_input_buffer(req), r->body, sizeof(r->body) - 1);
        r->body[len > 0 ? len : 0] = '\0';
        copy_header(req, "Content-Type", r->content_type, sizeof(r->content_type));
        copy_header(req, "Content-Length", r->content_length, sizeof(r->content_length));
        copy_header(req, "Host", r->host, sizeof(r->host));
        copy_header(req, "User-Agent", r->user_agent, sizeof(r->user_agent));
        copy_header(req, "ce-id", r->ce_id, sizeof(r->ce_id));
        r->at_us = nf_mono_us();
        char *peer;
        ev_uint16_t peer_port;
        evhttp_connection_get_peer(evhttp_request_get_connection(req), &peer, &peer_port);
        r->peer_port = peer_port;
    }
    int seen = count_for(s, id);

    if (!strcmp(uri, "/ok")) {
        reply(req, 200, "ok");
    } else if (sscanf(uri, "/fail/%d", &n) == 1) {
        reply(req, seen <= n ? 503 : 200, seen <= n ? "busy" : "ok");
    } else if (sscanf(uri, "/status/%d", &n) == 1) {
        reply(req, n, "nope: field \"x\" is required\n");
    } else if (sscanf(uri, "/retry-after/%d", &n) == 1) {
        if (seen == 1) {
            snprintf(buf, sizeof(buf), "%d", n);
            evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", buf);
            reply(req, 429, "slow down");
        } else {
            reply(req, 200, "ok");
        }
    } else if (!strcmp(uri, "/hang")) {
        if (s->n_hung < MAX_HUNG)
            s->hung[s->n_hung++] = req;
        else
            reply(req, 500, "too many");
    } else if (sscanf(uri, "/delay/%d", &n) == 1) {
        delayed_t *d = malloc(sizeof(*d));
        d->s = s;
        d->req = req;
        if (++s->in_flight > s->max_in_flight)
            s->max_in_flight = s->in_flight;
        struct timeval tv = {n / 1000, (n % 1000) * 1000};
        event_base_once(base, -1, EV_TIMEOUT, on_delayed_reply, d, &tv);
    } else if (!strcmp(uri, "/close")) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        reply(req, 200, "bye");
    } else {
        reply(req, 404, "no such path");
    }
}

/* Answers every /hang request so that none is leaked (a detached one is just freed). */
static void release_hung(server_t *s)
{
    for (int i = 0; i < s->n_hung; i++)
        evhttp_send_reply(s->hung[i], 200, "OK", NULL);
    s->n_hung = 0;
}

static void server_reset(server_t *s)
{
    s->n_seen = 0;
    s->max_in_flight = 0;
}

static int bound_port(evutil_socket_t fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int server_start(server_t *s)
{
    memset(s, 0, sizeof(*s));
    s->http = evhttp_new(base);
    if (!s->http)
        return -1;
    evhttp_set_gencb(s->http, on_request, s);
    struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0);
    if (!bound)
        return -1;
    s->port = bound_port(evhttp_bound_socket_get_fd(bound));
    return s->port > 0 ? 0 : -1;
}

/* A TCP port with nothing listening on it (bound, then closed). */
static int closed_port(void)
{
    evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&sin, sizeof(sin));
    int port = bound_port(fd);
    close(fd);
    return port;
}

/* ---- the sender side ---- */

static void on_done(void *opaque, void *msg_opaque, bool ok, const char *reason)
{
    client_t *c = opaque;
    int id = (int)(intptr_t)msg_opaque;
    if (c->n_done < MAX_RESULTS) {
        result_t *r = &c->results[c->n_done];
        r->id = id;
        r->ok = ok;
        snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "(null)");
        r->at_us = nf_mono_us();
    }
    c->n_done++;
    CHECK(ok == (reason == NULL));
    if (c->destroy_in_cb) {
        c->destroy_in_cb = false;
        nf_webhook_t *w = c->webhook;
        c->webhook = NULL;
        nf_webhook_destroy(w);
    }
    if (c->repost_id && id == 1 && c->webhook) {
        char url[64], body[32];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok", c->port);
        snprintf(body, sizeof(body), "{\"id\":%d}", c->repost_id);
        char idh[32];
        snprintf(idh, sizeof(idh), "X-Test-Id: %d", c->repost_id);
        const char *headers[] = {idh, NULL};
        CHECK_INT(nf_webhook_post(c->webhook, url, body, strlen(body), headers,
                                  (void *)(intptr_t)c->repost_id),
                  NF_OK);
    }
}

static const result_t *result_for(int id)
{
    for (int i = 0; i < cl.n_done && i < MAX_RESULTS; i++)
        if (cl.results[i].id == id)
            return &cl.results[i];
    return NULL;
}

static int results_for(int id)
{
    int n = 0;
    for (int i = 0; i < cl.n_done && i < MAX_RESULTS; i++)
        n += cl.results[i].id == id;
    return n;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return s && !strncmp(s, prefix, strlen(prefix));
}

static char test_ca[64]; /* PEM of the test server's certificate */

/*
 * A sender recording into cl. It trusts only the test certificate unless system_store:
 * parsing the system's whole CA bundle costs seconds under valgrind.
 */
static nf_webhook_t *client_new_store(const nf_webhook_opts_t *opts, bool system_store)
{
    char err[256] = "";
    nf_webhook_opts_t o = opts ? *opts : (nf_webhook_opts_t){0};
    if (!o.ca_file && !system_store)
        o.ca_file = test_ca;
    memset(&cl, 0, sizeof(cl));
    cl.webhook = nf_webhook_new(base, &o, on_done, &cl, err, sizeof(err));
    if (!cl.webhook)
        fprintf(stderr, "nf_webhook_new: %s\n", err);
    CHECK(cl.webhook != NULL);
    return cl.webhook;
}

static nf_webhook_t *client_new(const nf_webhook_opts_t *opts)
{
    return client_new_store(opts, false);
}

static int post_to(const char *scheme, const char *host, int port, const char *path, int id)
{
    char url[128], body[64], idh[32];
    snprintf(url, sizeof(url), "%s://%s:%d%s", scheme, host, port, path);
    snprintf(body, sizeof(body), "{\"id\":%d,\"x\":\"caf\xc3\xa9\"}", id);
    snprintf(idh, sizeof(idh), "X-Test-Id: %d", id);
    const char *headers[] = {idh, "ce-id: abc-123", "ce-specversion:1.0", NULL};
    return nf_webhook_post(cl.webhook, url, body, strlen(body), headers, (void *)(intptr_t)id);
}

static int post(int port, const char *path, int id)
{
    return post_to("http", "127.0.0.1", port, path, id);
}

/* ---- tests ---- */

static void test_options_and_validation(void)
{
    char err[256] = "";
    nf_webhook_opts_t bad = {.timeout_ms = -1};
    CHECK(nf_webhook_new(base, &bad, on_done, &cl, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "negative") != NULL);
    nf_webhook_opts_t bad_ca = {.ca_file = "/nonexistent/ca.pem"};
    CHECK(nf_webhook_new(base, &bad_ca, on_done, &cl, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "TLS setup failed") != NULL);
    CHECK(nf_webhook_new(base, NULL, NULL, &cl, err, sizeof(err)) == NULL);
    nf_webhook_destroy(NULL);
    CHECK_INT(nf_webhook_pending(NULL), 0);

    nf_webhook_t *w = client_new(NULL);
    if (!w)
        return;
    const char *bad_urls[] = {"ftp://127.0.0.1/x",
                              "http://",
                              "not a url",
                              "127.0.0.1:8080/x",
                              "http://user:secret@127.0.0.1/x",
                              "http://127.0.0.1:0/x",
                              "http://127.0.0.1:99999/x",
                              "http://[zz::1]/x",
                              "http://exa mple.com/"};
    for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
        int rc = nf_webhook_post(w, bad_urls[i], "{}", 2, NULL, NULL);
        if (rc != NF_EINVAL)
            fprintf(stderr, "accepted bad URL %s\n", bad_urls[i]);
        CHECK_INT(rc, NF_EINVAL);
    }
    const char *no_colon[] = {"X-Test-Id 1", NULL};
    const char *injection[] = {"X-A: b\r\nX-Evil: 1", NULL};
    const char *bad_name[] = {"X A: b", NULL};
    const char *host[] = {"host: evil.example", NULL};
    const char *length[] = {"Content-Length: 1", NULL};
    const char *const *bad_headers[] = {no_colon, injection, bad_name, host, length};
    for (size_t i = 0; i < sizeof(bad_headers) / sizeof(bad_headers[0]); i++)
        CHECK_INT(nf_webhook_post(w, "http://127.0.0.1:1/x", "{}", 2, bad_headers[i], NULL),
                  NF_EINVAL);
    CHECK_INT(nf_webhook_post(w, "http://127.0.0.1:1/x", NULL, 5, NULL, NULL), NF_EINVAL);
    CHECK_INT(nf_webhook_pending(w), 0);

    /* Accepted, never sent: destroy reports each exactly once as "shutdown". */
    CHECK_INT(nf_webhook_post(w, "https://127.0.0.1:1/x", "{}", 2, NULL, (void *)1), NF_OK);
    CHECK_INT(nf_webhook_post(w, "http://[::1]:1/x?a=b#frag", NULL, 0, NULL, (void *)2), NF_OK);
    CHECK_INT(nf_webhook_pending(w), 2);
    nf_webhook_destroy(w);
    CHECK_INT(cl.n_done, 2);
    CHECK(result_for(1) && !result_for(1)->ok);
    CHECK_STR(result_for(1) ? result_for(1)->reason : NULL, "shutdown");
    CHECK_STR(result_for(2) ? result_for(2)->reason : NULL, "shutdown");
}

static void test_success(void)
{
    nf_webhook_opts_t opts = {.user_agent = "newsflow-test/1"};
    nf_webhook_t *w = client_new(&opts);
    if (!w)
        return;
    server_reset(&srv);

    /* One at a time: every request should reuse the first keep-alive connection. */
    for (int id = 1; id <= 3; id++) {
        CHECK_INT(post(srv.port, "/ok", id), NF_OK);
        CHECK_INT(nf_webhook_pending(w), 1);
        CHECK(wait_done(id));
        CHECK_INT(nf_webhook_pending(w), 0);
        const result_t *r = result_for(id);
        CHECK(r && r->ok);
        CHECK_STR(r ? r->reason : NULL, "(null)");
    }
    CHECK_INT(srv.n_seen, 3);
    char expect_host[32], expect_body[64], expect_len[24];
    snprintf(expect_host, sizeof(expect_host), "127.0.0.1:%d", srv.port);
    for (int id = 1; id <= 3; id++) {
        const seen_t *s = seen_for(&srv, id, 0);
        CHECK(s != NULL);
        if (!s)
            continue;
        snprintf(expect_body, sizeof(expect_body), "{\"id\":%d,\"x\":\"caf\xc3\xa9\"}", id);
        snprintf(expect_len, sizeof(expect_len), "%zu", strlen(expect_body));
        CHECK_STR(s->path, "/ok");
        CHECK_STR(s->body, expect_body);
        CHECK_STR(s->content_type, "application/json");
        CHECK_STR(s->content_length, expect_len);
        CHECK_STR(s->host, expect_host);
        CHECK_STR(s->user_agent, "newsflow-test/1");
        CHECK_STR(s->ce_id, "abc-123");
        CHECK_INT(s->peer_port, srv.seen[0].peer_port);
    }

    /* A burst, and a caller's Content-Type replacing the default. */
    const char *headers[] = {"Content-Type: application/cloudevents+json", "X-Test-Id: 9", NULL};
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok", srv.port);
    CHECK_INT(nf_webhook_post(w, url, "{}", 2, headers, (void *)9), NF_OK);
    for (int id = 10; id < 20; id++)
        CHECK_INT(post(srv.port, "/ok", id), NF_OK);
    CHECK_INT(nf_webhook_pending(w), 11);
    CHECK(wait_done(14));
    CHECK_INT(nf_webhook_pending(w), 0);
    for (int i = 0; i < cl.n_done; i++)
        CHECK(cl.results[i].ok);
    const seen_t *s = seen_for(&srv, 9, 0);
    CHECK_STR(s ? s->content_type : NULL, "application/cloudevents+json");
    nf_webhook_destroy(w);
    CHECK_INT(cl.n_done, 14);
}

static void test_retry_and_permanent(void)
{
    nf_webhook_opts_t opts = {.backoff_base_ms = 10, .max_attempts = 3};
    nf_webhook_t *w = client_new(&opts);
    if (!w)
        return;
    server_reset(&srv);

    CHECK_INT(post(srv.port, "/fail/2", 1), NF_OK);   /* 503, 503, 200 */
    CHECK_INT(post(srv.port, "/fail/100", 2), NF_OK); /* 503 until it gives up */
    CHECK_INT(post(srv.port, "/status/400", 3), NF_OK);
    CHECK_INT(post(srv.port, "/status/302", 4), NF_OK);
    CHECK_INT(post(srv.port, "/status/404", 5), NF_OK);
    CHECK_INT(post(srv.port, "/status/500", 6), NF_OK);
    CHECK(wait_done(6));

    const result_t *r = result_for(1);
    CHECK(r && r->ok);
    CHECK_INT(count_for(&srv, 1), 3);

    r = result_for(2);
    CHECK(r && !r->ok);
    CHECK_STR(r ? r->reason : NULL, "HTTP 503 after 3 attempts: busy");
    CHECK_INT(count_for(&srv, 2), 3);

    r = result_for(3);
    CHECK(r && !r->ok);
    CHECK_STR(r ? r->reason : NULL, "HTTP 400 after 1 attempt: nope: field \"x\" is required");
    CHECK_INT(count_for(&srv, 3), 1);

    r = result_for(4);
    CHECK(r && !r->ok && has_prefix(r->reason, "HTTP 302 (redirects are not followed)"));
    CHECK_INT(count_for(&srv, 4), 1);
    r = result_for(5);
    CHECK(r && !r->ok && has_prefix(r->reason, "HTTP 404 after 1 attempt"));
    CHECK_INT(count_for(&srv, 5), 1);
    r = result_for(6);
    CHECK(r && !r->ok && has_prefix(r->reason, "HTTP 500 after 3 attempts"));
    CHECK_INT(count_for(&srv, 6), 3);
    for (int id = 1; id <= 6; id++)
        CHECK_INT(results_for(id), 1);
    nf_webhook_destroy(w);
    CHECK_INT(cl.n_done, 6);
}

static void test_timeout(void)
{
    nf_webhook_opts_t opts = {.timeout_ms = 100, .max_attempts = 2, .backoff_base_ms = 10};
    nf_webhook_t *w = client_new(&opts);
    if (!w)
        return;
    server_reset(&srv);
    int64_t start = nf_mono_us();
    CHECK_INT(post(srv.port, "/hang", 1), NF_OK);
    CHECK(wait_done(1));
    int64_t took_ms = (nf_mono_us() - start) / 1000;
    const result_t *r = result_for(1);
    CHECK(r && !r->ok);
    CHECK_STR(r ? r->reason : NULL, "timed out (100 ms) after 2 attempts");
    CHECK_INT(count_for(&srv, 1), 2);
    /* libevent's timers run on CLOCK_MONOTONIC_COARSE: each may fire a few ms early. */
    CHECK(took_ms >= 190);
    CHECK(took_ms < 2000);
    release_hung(&srv);
    nf_webhook_destroy(w);
}

static void test_refused(void)
{
    nf_webhook_opts_t opts = {.max_attempts = 2, .backoff_base_ms = 10};
    nf_webhook_t *w = client_new(&opts);
    if (!w)
        return;
    int port = closed_port();
    CHECK_INT(post(port, "/x", 1), NF_OK);
    CHECK_INT(post_to("https", "127.0.0.1", port, "/x", 2), NF_OK);
    CHECK(wait_done(2));
    const result_t *r = result_for(1);
    CHECK(r && !r->ok);
    CHECK_STR(r ? r->reason : NULL, "connection refused after 2 attempts");
    r = result_for(2);
    CHECK(r && !r->ok && strstr(r->reason, "after 2 attempts"));
    fprintf(stderr, "  https to a closed port: %s\n", r ? r->reason : "?");
    nf_webhook_destroy(w);
}

static void test_queue_bound_and_concurrency(void)
{
    nf_webhook_opts_t opts = {.queue_max = 3, .max_concurrent = 2};
    nf_webhook_t *w = client_new(&opts);
    if (!w)
        return;
    server_reset(&srv);
    CHECK_INT(post(srv.port, "/delay/30", 1), NF_OK);
    CHECK_INT(post(srv.port, "/delay/30", 2), NF_OK);
    CHECK_INT(post(srv.port, "/delay/30", 3), NF_OK);
    CHECK_INT(post(srv.port, "/delay/30", 4), NF_EQUEUEFULL);
    CHECK_INT(nf_webhook_pending(w), 3);
    CHECK(wait_done(3));
    CHECK_INT(nf_webhook_pending(w), 0);
    /* Room again; never more than two at a time. */
    for (int id = 5; id <= 7; id++)
        CHECK_INT(post(srv.port, "/delay/30", id), NF_OK);
    CHECK(wait_done(6));
    for (int i = 0; i < cl.n_done; i++)
        CHECK(cl.results[i].ok);
    CHECK_INT(srv.max_in_flight, 2);
    CHECK_INT(count_for(&srv, 4), 0);
    nf_webhook_destroy(w);
}

/*
 * Delays are random in [0, base * 2^(n-1)], so growth shows in averages: with base 80 ms
 * the gap before attempt 5 averages 320 ms against 40 ms before attempt 2.
 */
static void test_backoff_grows(void)
{
    enum { N = 24, FAILS = 4, BASE = 80 };
    nf_webhook_opts_t opts = {
        .backoff_base_ms = BASE, .backoff_max_ms = 1000, .max_attempts = 6, .max_concurrent = N};
    nf_webhook_t *w = client_new(&opts);
    if (!w)
        return;
    server_reset(&srv);
    char path[32];
    snprintf(path, sizeof(path), "/fail/%d", FAILS);
    for (int id = 1; id <= N; id++)
        CHECK_INT(post(srv.port, path, id), NF_OK);
    CHECK(wait_done(N));

    double mean[FAILS] = {0};
    for (int id = 1; id <= N; id++) {
        CHECK(result_for(id) && result_for(id)->ok);
        CHECK_INT(count_for(&srv, id), FAILS + 1);
        for (int k = 0; k < FAILS; k++) {
            const seen_t *a = seen_for(&srv, id, k), *b = seen_for(&srv, id, k + 1);
            if (a && b)
                mean[k] += (double)(b->at_us - a->at_us) / 1000.0 / N;
        }
    }
    fprintf(stderr, "  mean backoff gaps (ms): %.1f %.1f %.1f %.1f (caps 80 160 320 640)\n",
            mean[0], mean[1], mean[2], mean[3]);
    /* Expected means 40, 80, 160, 320 ms plus the loop's latency (tens of ms under
     * valgrind); the margins are four standard deviations of a mean of N. */
    CHECK(mean[3] > mean[0] + 120);
    CHECK(mean[2] > mean[0] + 40);
    for (int k = 0; k < FAILS; k++)
        CHECK(mean[k] <= (BASE << k) + 60); /* never beyond the cap, plus loop latency */
    nf_webhook_destroy(w);
}

static void test_retry_after(void)
{
    /* Retry-After: 1 (1000 ms) is honoured but capped at backoff_max_ms. */
    nf_webhook_opts_t opts = {.backoff_base_ms = 5, .backoff_max_ms = 300};
    nf_webhook_t *w = client_new(&opts);
    if (!w)
        return;
    server_reset(&srv);
    CHECK_INT(post(srv.port, "/retry-after/1", 1), NF_OK);
    CHECK(wait_done(1));
    CHECK(result_for(1) && result_for(1)->ok);
    CHECK_INT(count_for(&srv, 1), 2);
    const seen_t *a = seen_for(&srv, 1, 0), *b = seen_for(&srv, 1, 1);
    if (a && b) {
        int64_t gap_ms = (b->at_us - a->at_us) / 1000;
        fprintf(stderr, "  gap after 429 with Retry-After: 1: %lld ms\n", (long long)gap_ms);
        CHECK(gap_ms >= 290);
        CHECK(gap_ms < 900);
    }
    nf_webhook_destroy(w);
}

static void test_shutdown_and_reentry(void)
{
    /* Destroy with deliveries in flight and queued: each reported once, as "shutdown". */
    nf_webhook_opts_t opts = {.max_concurrent = 1};
    nf_webhook_t *w = client_new(&opts);
    if (!w)
        return;
    server_reset(&srv);
    CHECK_INT(post(srv.port, "/hang", 1), NF_OK);
    CHECK_INT(post(srv.port, "/hang", 2), NF_OK);
    CHECK_INT(post(srv.port, "/hang", 3), NF_OK);
    run_for(100);
    CHECK_INT(cl.n_done, 0);
    CHECK_INT(count_for(&srv, 1), 1);
    nf_webhook_destroy(w);
    CHECK_INT(cl.n_done, 3);
    for (int id = 1; id <= 3; id++) {
        CHECK_INT(results_for(id), 1);
        CHECK_STR(result_for(id) ? result_for(id)->reason : NULL, "shutdown");
    }
    release_hung(&srv);

    /* Destroy from inside done_cb: the other delivery is still reported exactly once. */
    w = client_new(&opts);
    if (!w)
        return;
    cl.destroy_in_cb = true;
    CHECK_INT(post(srv.port, "/ok", 1), NF_OK);
    CHECK_INT(post(srv.port, "/ok", 2), NF_OK);
    CHECK(wait_done(2));
    run_for(20);
    CHECK_INT(cl.n_done, 2);
    CHECK(cl.webhook == NULL);

    /* Post from inside done_cb. */
    w = client_new(NULL);
    if (!w)
        return;
    cl.repost_id = 2;
    cl.port = srv.port;
    CHECK_INT(post(srv.port, "/ok", 1), NF_OK);
    CHECK(wait_done(2));
    CHECK(result_for(2) && result_for(2)->ok);
    nf_webhook_destroy(w);
}

/* ---- broken servers: a raw TCP listener ---- */

typedef enum { RAW_GARBAGE, RAW_CLOSE, RAW_TRUNCATED, RAW_HUGE_HEADER, RAW_RESET } raw_mode_t;

typedef struct raw_server {
    struct evconnlistener *listener;
    int port;
    raw_mode_t mode;
    int accepted;
    struct bufferevent *bevs[32];
    int n_bevs;
} raw_server_t;

static void raw_free_bev(raw_server_t *r, struct bufferevent *bev)
{
    for (int i = 0; i < r->n_bevs; i++) {
        if (r->bevs[i] == bev) {
            r->bevs[i] = r->bevs[--r->n_bevs];
            break;
        }
    }
    bufferevent_free(bev);
}

static void raw_on_written(struct bufferevent *bev, void *arg)
{
    raw_free_bev(arg, bev);
}

static void raw_on_read(struct bufferevent *bev, void *arg)
{
    raw_server_t *r = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (evbuffer_search(in, "\r\n\r\n", 4, NULL).pos < 0)
        return;
    evbuffer_drain(in, evbuffer_get_length(in));
    bufferevent_setcb(bev, NULL, raw_on_written, NULL, r);
    struct evbuffer *out = bufferevent_get_output(bev);
    switch (r->mode) {
    case RAW_GARBAGE:
        evbuffer_add_printf(out, "THIS IS NOT HTTP\r\n\r\n");
        break;
    case RAW_TRUNCATED:
        evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
        break;
    case RAW_HUGE_HEADER:
        evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\nX-Big: ");
        for (int i = 0; i < 2000; i++)
            evbuffer_add_printf(out, "aaaaaaaaaa");
        evbuffer_add_printf(out, "\r\n\r\n");
        break;
    case RAW_RESET: {
        struct linger lg = {1, 0};
        setsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        raw_free_bev(r, bev);
        break;
    }
    default:
        break;
    }
}

static void raw_on_event(struct bufferevent *bev, short what, void *arg)
{
    raw_free_bev(arg, bev);
}

static void raw_on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                          int socklen, void *arg)
{
    raw_server_t *r = arg;
    r->accepted++;
    if (r->mode == RAW_CLOSE || r->n_bevs == 32) {
        evutil_closesocket(fd);
        return;
    }
    struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    r->bevs[r->n_bevs++] = bev;
    bufferevent_setcb(bev, raw_on_read, NULL, raw_on_event, r);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void test_broken_servers(void)
{
    static const struct {
        raw_mode_t mode;
        const char *reason;
    } cases[] = {
        {RAW_GARBAGE, "invalid HTTP response after 2 attempts"},
        {RAW_CLOSE, "connection closed before a complete response"},
        {RAW_TRUNCATED, "connection closed before a complete response"},
        {RAW_HUGE_HEADER, "invalid HTTP response after 2 attempts"},
        {RAW_RESET, "connection closed before a complete response"},
    };
    raw_server_t r = {0};
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    r.listener =
        evconnlistener_new_bind(base, raw_on_accept, &r, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                -1, (struct sockaddr *)&sin, sizeof(sin));
    CHECK(r.listener != NULL);
    if (!r.listener)
        return;
    r.port = bound_port(evconnlistener_get_fd(r.listener));

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        nf_webhook_opts_t opts = {.max_attempts = 2, .backoff_base_ms = 5, .timeout_ms = 2000};
        nf_webhook_t *w = client_new(&opts);
        if (!w)
            break;
        r.mode = cases[i].mode;
        r.accepted = 0;
        CHECK_INT(post(r.port, "/x", 1), NF_OK);
        CHECK(wait_done(1));
        const result_t *res = result_for(1);
        CHECK(res && !res->ok);
        fprintf(stderr, "  broken server %zu: %s\n", i, res ? res->reason : "?");
        CHECK(res && has_prefix(res->reason, cases[i].reason));
        CHECK_INT(r.accepted, 2);
        nf_webhook_destroy(w);
    }
    while (r.n_bevs)
        raw_free_bev(&r, r.bevs[0]);
    evconnlistener_free(r.listener);
}

static void test_dns(void)
{
    /* Resolution is asynchronous: the result depends on the network, but must be a
     * failure, reported once, without blocking or leaking; then destroy mid-lookup. */
    nf_webhook_opts_t opts = {.max_attempts = 1, .timeout_ms = 300};
    nf_webhook_t *w = client_new(&opts);
    if (!w)
        return;
    int64_t start = nf_mono_us();
    CHECK_INT(nf_webhook_post(w, "http://nf-webhook-test.invalid/x", "{}", 2, NULL, (void *)1),
              NF_OK);
    CHECK((nf_mono_us() - start) / 1000 < 50);
    CHECK(wait_done(1));
    const result_t *r = result_for(1);
    CHECK(r && !r->ok);
    fprintf(stderr, "  unknown host: %s\n", r ? r->reason : "?");
    CHECK_INT(nf_webhook_post(w, "http://nf-webhook-test-2.invalid/x", "{}", 2, NULL, (void *)2),
              NF_OK);
    CHECK_INT(nf_webhook_post(w, "https://nf-webhook-test-3.invalid/x", "{}", 2, NULL, (void *)3),
              NF_OK);
    run_for(10);
    nf_webhook_destroy(w);
    CHECK_INT(cl.n_done, 3);
}

/* ---- https ---- */

static SSL_CTX *server_ssl_ctx;

static struct bufferevent *tls_bevcb(struct event_base *b, void *arg)
{
    return bufferevent_openssl_socket_new(b, -1, SSL_new(server_ssl_ctx), BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
}

/* A self-signed certificate for DNS name "localhost" only; written to ca_path as PEM. */
static bool make_tls_server(char *ca_path, size_t ca_path_size)
{
    bool ok = false;
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    X509 *x509 = X509_new();
    if (!pkey || !x509)
        goto out;
    ASN1_INTEGER_set(X509_get_serialNumber(x509), 1);
    X509_set_version(x509, 2);
    X509_gmtime_adj(X509_getm_notBefore(x509), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x509), 3600);
    X509_set_pubkey(x509, pkey);
    X509_NAME *name = X509_get_subject_name(x509);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(x509, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x509, x509, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:localhost");
    if (!ext)
        goto out;
    X509_add_ext(x509, ext, -1);
    X509_EXTENSION_free(ext);
    if (!X509_sign(x509, pkey, EVP_sha256()))
        goto out;

    snprintf(ca_path, ca_path_size, "/tmp/nf_webhook_ca_XXXXXX");
    int fd = mkstemp(ca_path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f)
        goto out;
    PEM_write_X509(f, x509);
    fclose(f);

    server_ssl_ctx = SSL_CTX_new(TLS_server_method());
    if (!server_ssl_ctx || SSL_CTX_use_certificate(server_ssl_ctx, x509) != 1 ||
        SSL_CTX_use_PrivateKey(server_ssl_ctx, pkey) != 1)
        goto out;
    if (server_start(&tls_srv) != 0)
        goto out;
    evhttp_set_bevcb(tls_srv.http, tls_bevcb, NULL);
    /* "localhost" may resolve to ::1 first, and libevent tries only the first address. */
    evhttp_bind_socket(tls_srv.http, "::1", (ev_uint16_t)tls_srv.port);
    ok = true;
out:
    X509_free(x509);
    EVP_PKEY_free(pkey);
    return ok;
}

static void test_https(void)
{
    nf_webhook_opts_t opts = {.max_attempts = 1};
    nf_webhook_t *w = client_new(&opts);
    if (!w)
        return;
    /* Trusted, name matches; a Connection: close in between forces a new TLS session. */
    CHECK_INT(post_to("https", "localhost", tls_srv.port, "/ok", 1), NF_OK);
    CHECK(wait_done(1));
    CHECK_INT(post_to("https", "localhost", tls_srv.port, "/close", 2), NF_OK);
    CHECK(wait_done(2));
    CHECK_INT(post_to("https", "localhost", tls_srv.port, "/ok", 3), NF_OK);
    CHECK(wait_done(3));
    CHECK_INT(post_to("https", "localhost", tls_srv.port, "/ok", 4), NF_OK);
    CHECK(wait_done(4));
    for (int id = 1; id <= 4; id++) {
        const result_t *r = result_for(id);
        CHECK(r && r->ok);
        if (r && !r->ok)
            fprintf(stderr, "  https %d: %s\n", id, r->reason);
    }
    const seen_t *s1 = seen_for(&tls_srv, 1, 0), *s2 = seen_for(&tls_srv, 2, 0);
    const seen_t *s3 = seen_for(&tls_srv, 3, 0), *s4 = seen_for(&tls_srv, 4, 0);
    CHECK(s1 && s2 && s3 && s4);
    if (s1 && s2 && s3 && s4) {
        char host[32];
        snprintf(host, sizeof(host), "localhost:%d", tls_srv.port);
        CHECK_STR(s1->host, host);
        CHECK(strstr(s1->body, "\"id\":1") != NULL);
        CHECK_INT(s2->peer_port, s1->peer_port); /* kept alive */
        CHECK(s3->peer_port != s2->peer_port);   /* reconnected after Connection: close */
        CHECK_INT(s4->peer_port, s3->peer_port);
    }
    /* Trusted certificate, but not for this name (no IP address in it). */
    CHECK_INT(post_to("https", "127.0.0.1", tls_srv.port, "/ok", 5), NF_OK);
    /* TLS to a plain HTTP server. */
    CHECK_INT(post_to("https", "127.0.0.1", srv.port, "/ok", 6), NF_OK);
    CHECK(wait_done(6));
    const result_t *r = result_for(5);
    CHECK(r && !r->ok && has_prefix(r->reason, "TLS certificate verification failed"));
    fprintf(stderr, "  https, name mismatch: %s\n", r ? r->reason : "?");
    r = result_for(6);
    CHECK(r && !r->ok && has_prefix(r->reason, "TLS"));
    fprintf(stderr, "  https to a plain server: %s\n", r ? r->reason : "?");
    CHECK_INT(count_for(&tls_srv, 5), 0);
    nf_webhook_destroy(w);

    /* The system trust store does not know our certificate. */
    w = client_new_store(&opts, true);
    if (!w)
        return;
    CHECK_INT(post_to("https", "localhost", tls_srv.port, "/ok", 7), NF_OK);
    CHECK(wait_done(1));
    r = result_for(7);
    CHECK(r && !r->ok && has_prefix(r->reason, "TLS certificate verification failed"));
    fprintf(stderr, "  https, untrusted: %s\n", r ? r->reason : "?");
    CHECK_INT(count_for(&tls_srv, 7), 0);
    nf_webhook_destroy(w);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    CHECK(base != NULL);
    if (!base || server_start(&srv) != 0 || !make_tls_server(test_ca, sizeof(test_ca))) {
        fprintf(stderr, "cannot start the test HTTP servers\n");
        return 1;
    }
    static const struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
        {"options and validation", test_options_and_validation},
        {"success", test_success},
        {"retry and permanent", test_retry_and_permanent},
        {"timeout", test_timeout},
        {"refused", test_refused},
        {"queue bound and concurrency", test_queue_bound_and_concurrency},
        {"backoff grows", test_backoff_grows},
        {"retry-after", test_retry_after},
        {"shutdown and re-entry", test_shutdown_and_reentry},
        {"broken servers", test_broken_servers},
        {"dns", test_dns},
        {"https", test_https},
    };
    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        int64_t start = nf_mono_us();
        tests[i].fn();
        fprintf(stderr, "%s: %lld ms\n", tests[i].name, (long long)(nf_mono_us() - start) / 1000);
    }

    release_hung(&srv);
    release_hung(&tls_srv);
    run_for(20);
    evhttp_free(srv.http);
    if (tls_srv.http)
        evhttp_free(tls_srv.http);
    SSL_CTX_free(server_ssl_ctx);
    event_base_free(base);
    unlink(test_ca);
    TEST_DONE();
}
