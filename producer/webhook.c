/*
 * webhook: HTTP POST delivery with retries over libevent's evhttp client (see webhook.h).
 *
 * A sender holds a list of destinations; a destination holds a FIFO of queued deliveries
 * and max_concurrent slots, each a connection and the delivery occupying it. A delivery
 * moves from the queue to a slot, alternates there between sending and backing off, and
 * ends on the sender's done list until it is reported.
 *
 * Nothing that can re-enter the module runs from a libevent HTTP callback. libevent calls
 * a request's callback from inside evhttp_make_request when a connect fails at once, and
 * frees the request and touches the connection after the callback returns; so those
 * callbacks only record the outcome, and the sender's own "kick" event reports outcomes
 * (done_cb, which may post or destroy) and starts queued deliveries.
 *
 * A connection that failed or was closed is freed and replaced before its slot sends
 * again, rather than left to libevent to reconnect: an evhttp_connection over an OpenSSL
 * bufferevent cannot reconnect (the SSL object keeps the old session; libevent issue
 * #975), and a fresh one also gives a clean state for telling why an attempt failed.
 */
#include "webhook.h"
#include "err.h"
#include "log.h"
#include "nf_build.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/http.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define NF_WEBHOOK_MAX_CONCURRENT   64
#define NF_WEBHOOK_MAX_HEADERS      64    /* caller headers per post */
#define NF_WEBHOOK_IDLE_MS          60000 /* a destination unused this long is freed */
#define NF_WEBHOOK_RESP_HEADERS_MAX 16384 /* bytes of response headers accepted */
#define NF_WEBHOOK_SNIPPET          120   /* response body bytes quoted in a failure */

typedef struct nf_webhook_dest nf_webhook_dest_t;
typedef struct nf_webhook_msg nf_webhook_msg_t;

typedef enum {
    NF_WEBHOOK_QUEUED,  /* waiting for a slot */
    NF_WEBHOOK_SENDING, /* request in flight; the timer is its deadline */
    NF_WEBHOOK_BACKOFF, /* holding its slot until the timer starts the next attempt */
    NF_WEBHOOK_DONE,    /* outcome known, waiting on the done list to be reported */
} nf_webhook_state_t;

/* One connection of a destination and the delivery occupying it. */
typedef struct nf_webhook_slot {
    nf_webhook_dest_t *dest;
    struct evhttp_connection *evcon; /* NULL until first needed */
    nf_webhook_msg_t *msg;           /* NULL when free */
    bool stale;                      /* failed or closed: replace before sending again */
    bool was_open;                   /* closed after being established, this attempt */
} nf_webhook_slot_t;

struct nf_webhook_dest {
    nf_webhook_t *webhook;
    nf_webhook_dest_t *next;
    char *name;        /* "scheme://host:port": the only form that is logged */
    char *host;        /* to connect to; an IPv6 literal without brackets */
    char *host_header; /* Host header: host as in the URL, ":port" unless the default */
    int port;
    bool tls;
    bool literal;                  /* host is an IP address: no name lookups */
    nf_webhook_msg_t *head, *tail; /* queued deliveries, oldest first */
    int active;                    /* slots occupied */
    struct event *idle_timer;
    nf_webhook_slot_t slots[]; /* opts.max_concurrent of them */
};

struct nf_webhook_msg {
    nf_webhook_msg_t *next; /* in the destination's queue or the done list */
    nf_webhook_dest_t *dest;
    nf_webhook_slot_t *slot; /* while sending or backing off */
    nf_webhook_state_t state;
    struct event *timer;
    struct evhttp_request *req; /* while sending; owned by libevent */
    char *target;               /* path and query */
    char *body;
    size_t len;
    char **headers; /* name, value, name, value, ..., NULL */
    size_t n_headers;
    bool has_content_type;
    bool has_user_agent;
    void *msg_opaque;
    int attempts;
    int req_error;  /* enum evhttp_request_error from the error callback, or -1 */
    int sock_error; /* errno when the error callback ran */
    bool ok;
    char why[256];                        /* why the last attempt failed */
    char reason[512];                     /* what done_cb is told */
    char snippet[NF_WEBHOOK_SNIPPET + 1]; /* start of the last response body */
    size_t snippet_len;
};

struct nf_webhook {
    struct event_base *base;
    struct evdns_base *dns;
    SSL_CTX *ssl_ctx;
    nf_webhook_opts_t opts; /* defaults applied; its strings are not used */
    char *user_agent;
    nf_webhook_done_cb *done_cb;
    void *opaque;
    nf_webhook_dest_t *dests;
    nf_webhook_msg_t *done_head, *done_tail;
    size_t pending;
    struct event *kick;
    bool *destroyed; /* while on_kick runs done_cb: set if it destroyed the sender */
    bool closing;
    bool resolved; /* a connection to a host name was made: lookups may be pending */
    uint64_t rng;
};

static void start_attempt(nf_webhook_msg_t *msg);

/* xorshift64*: jitter needs spread, not secrecy. */
static uint64_t rng_next(nf_webhook_t *webhook)
{
    uint64_t x = webhook->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    webhook->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static void timer_add_ms(struct event *ev, int64_t ms)
{
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(ev, &tv);
}

/* Full jitter: uniform in [0, min(max, base * 2^(failures-1))]. */
static int backoff_ms(nf_webhook_t *webhook, int failures)
{
    int64_t cap = webhook->opts.backoff_base_ms;
    for (int i = 1; i < failures && cap < webhook->opts.backoff_max_ms; i++)
        cap *= 2;
    if (cap > webhook->opts.backoff_max_ms)
        cap = webhook->opts.backoff_max_ms;
    return (int)(rng_next(webhook) % (uint64_t)(cap + 1));
}

/* Retry-After in delta-seconds, in ms capped at cap_ms; -1 if absent or an HTTP date. */
static int retry_after_ms(struct evhttp_request *req, int cap_ms)
{
    const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), "Retry-After");
    if (!v)
        return -1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (*v < '0' || *v > '9')
        return -1;
    int64_t secs = 0;
    for (; *v >= '0' && *v <= '9'; v++)
        if (secs <= cap_ms / 1000 + 1)
            secs = secs * 10 + (*v - '0');
    while (*v == ' ' || *v == '\t')
        v++;
    if (*v)
        return -1;
    return secs * 1000 > cap_ms ? cap_ms : (int)(secs * 1000);
}

/* The text of a socket error worth showing; NULL for stale or uninformative errno. */
static const char *sock_error_text(int err, char *buf, size_t size)
{
    switch (err) {
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
    case EADDRNOTAVAIL:
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
        if (strerror_r(err, buf, size) == 0)
            return buf;
        return NULL;
    default:
        return NULL;
    }
}

/* Keeps the start of a response body, printable ASCII only, for failure reasons. */
static void keep_snippet(nf_webhook_msg_t *msg, struct evbuffer *input)
{
    size_t room = NF_WEBHOOK_SNIPPET - msg->snippet_len;
    if (!input || room == 0)
        return;
    ev_ssize_t n = evbuffer_copyout(input, msg->snippet + msg->snippet_len, room);
    if (n <= 0)
        return;
    for (size_t i = msg->snippet_len; i < msg->snippet_len + (size_t)n; i++) {
        unsigned char c = (unsigned char)msg->snippet[i];
        if (c < 0x20 || c == 0x7f)
            msg->snippet[i] = ' ';
        else if (c >= 0x80)
            msg->snippet[i] = '?';
    }
    msg->snippet_len += (size_t)n;
    while (msg->snippet_len && msg->snippet[msg->snippet_len - 1] == ' ')
        msg->snippet_len--;
    msg->snippet[msg->snippet_len] = '\0';
}

static void dest_update_idle(nf_webhook_dest_t *dest)
{
    if (!dest->head && dest->active == 0)
        timer_add_ms(dest->idle_timer, NF_WEBHOOK_IDLE_MS);
    else
        evtimer_del(dest->idle_timer);
}

/*
 * Ends a delivery: frees its slot and puts it on the done list for on_kick to report.
 * A failure's reason becomes "<last attempt's reason> after N attempts[: body]".
 */
static void finish(nf_webhook_msg_t *msg, bool ok)
{
    nf_webhook_dest_t *dest = msg->dest;
    nf_webhook_t *webhook = dest->webhook;

    evtimer_del(msg->timer);
    if (msg->slot) {
        msg->slot->msg = NULL;
        msg->slot = NULL;
        dest->active--;
    }
    msg->state = NF_WEBHOOK_DONE;
    msg->ok = ok;
    if (!ok) {
        snprintf(msg->reason, sizeof(msg->reason), "%s after %d attempt%s%s%s", msg->why,
                 msg->attempts, msg->attempts == 1 ? "" : "s", msg->snippet_len ? ": " : "",
                 msg->snippet);
        nf_log_ratelimited(NF_LOG_WARN, "webhook", "delivery failed", "%s: delivery failed: %s",
                           dest->name, msg->reason);
    }
    msg->next = NULL;
    if (webhook->done_tail)
        webhook->done_tail->next = msg;
    else
        webhook->done_head = msg;
    webhook->done_tail = msg;
    event_active(webhook->kick, EV_TIMEOUT, 0);
}

/* After a failed attempt (msg->why says why): back off and retry, or give up. */
static void attempt_failed(nf_webhook_msg_t *msg, bool retry, int retry_after)
{
    nf_webhook_t *webhook = msg->dest->webhook;
    if (!retry || msg->attempts >= webhook->opts.max_attempts) {
        finish(msg, false);
        return;
    }
    int delay = retry_after >= 0 ? retry_after : backoff_ms(webhook, msg->attempts);
    nf_log(NF_LOG_DEBUG, "webhook", "%s: attempt %d of %d failed (%s), next in %d ms",
           msg->dest->name, msg->attempts, webhook->opts.max_attempts, msg->why, delay);
    msg->state = NF_WEBHOOK_BACKOFF;
    timer_add_ms(msg->timer, delay);
}

/*
 * Says why an attempt got no HTTP status. libevent reports little: a refused connect
 * reaches the request callback without the error callback (and with errno overwritten),
 * other connect errors arrive as "EOF" with errno restored, and a close by the server
 * is also "EOF". The close callback (was_open) tells whether the connection had been
 * established; DNS and TLS errors are read from the bufferevent.
 */
static void describe_failure(nf_webhook_msg_t *msg)
{
    nf_webhook_slot_t *slot = msg->slot;
    char *r = msg->why;
    size_t n = sizeof(msg->why);
    char errbuf[128];
    struct bufferevent *bev = slot->evcon ? evhttp_connection_get_bufferevent(slot->evcon) : NULL;

    int dns_error = bev ? bufferevent_socket_get_dns_error(bev) : 0;
    if (dns_error && dns_error != EVUTIL_EAI_CANCEL) {
        snprintf(r, n, "cannot resolve %s: %s", msg->dest->host, evutil_gai_strerror(dns_error));
        return;
    }
    if (msg->dest->tls && bev) {
        SSL *ssl = bufferevent_openssl_get_ssl(bev);
        long verify = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
        /* The bufferevent also queues bare SSL_get_error() codes, which have no text:
         * keep the first real OpenSSL error. */
        const char *tls_why = NULL;
        unsigned long e;
        while ((e = bufferevent_get_openssl_error(bev)) != 0)
            if (!tls_why && !ERR_SYSTEM_ERROR(e))
                tls_why = ERR_reason_error_string(e);
        if (verify != X509_V_OK) {
            snprintf(r, n, "TLS certificate verification failed: %s",
                     X509_verify_cert_error_string(verify));
            return;
        }
        if (tls_why) {
            snprintf(r, n, "TLS error: %s", tls_why);
            return;
        }
    }
    const char *sock = sock_error_text(msg->sock_error, errbuf, sizeof(errbuf));
    if (!slot->was_open) {
        if (msg->req_error < 0)
            snprintf(r, n, "connection refused");
        else
            snprintf(r, n, "cannot connect%s%s", sock ? ": " : "", sock ? sock : "");
        return;
    }
    switch (msg->req_error) {
    case EVREQ_HTTP_TIMEOUT:
        snprintf(r, n, "connection idle too long");
        break;
    case EVREQ_HTTP_EOF:
        snprintf(r, n, "connection closed before a complete response%s%s", sock ? ": " : "",
                 sock ? sock : "");
        break;
    case EVREQ_HTTP_INVALID_HEADER:
        snprintf(r, n, "invalid HTTP response");
        break;
    case EVREQ_HTTP_DATA_TOO_LONG:
        snprintf(r, n, "response too large");
        break;
    default:
        snprintf(r, n, "connection error%s%s", sock ? ": " : "", sock ? sock : "");
        break;
    }
}

/* libevent: the request ended, with a response (req has a status) or without. */
static void on_response(struct evhttp_request *req, void *arg)
{
    nf_webhook_msg_t *msg = arg;
    if (msg->state != NF_WEBHOOK_SENDING || !msg->req)
        return;
    msg->req = NULL;
    evtimer_del(msg->timer);

    int code = req ? evhttp_request_get_response_code(req) : 0;
    if (code == 0) {
        msg->slot->stale = true;
        describe_failure(msg);
        attempt_failed(msg, true, -1);
        return;
    }
    if (code >= 200 && code <= 299) {
        finish(msg, true);
        return;
    }
    keep_snippet(msg, evhttp_request_get_input_buffer(req));
    if (code == 429 || (code >= 500 && code <= 599)) {
        snprintf(msg->why, sizeof(msg->why), "HTTP %d", code);
        attempt_failed(msg, true, retry_after_ms(req, msg->dest->webhook->opts.backoff_max_ms));
    } else if (code >= 300 && code <= 399) {
        snprintf(msg->why, sizeof(msg->why), "HTTP %d (redirects are not followed)", code);
        attempt_failed(msg, false, -1);
    } else if (code >= 400 && code <= 499) {
        snprintf(msg->why, sizeof(msg->why), "HTTP %d", code);
        attempt_failed(msg, false, -1);
    } else {
        snprintf(msg->why, sizeof(msg->why), "unexpected HTTP status %d", code);
        attempt_failed(msg, true, -1);
    }
}

/* libevent: why the request is about to fail (called just before on_response). */
static void on_request_error(enum evhttp_request_error error, void *arg)
{
    nf_webhook_msg_t *msg = arg;
    int sock_error = EVUTIL_SOCKET_ERROR();
    /* The deadline's evhttp_cancel_request also lands here, after clearing msg->req. */
    if (msg->state != NF_WEBHOOK_SENDING || !msg->req)
        return;
    msg->req_error = (int)error;
    msg->sock_error = sock_error;
}

/* libevent: part of the response body; libevent drains it on return. */
static void on_response_body(struct evhttp_request *req, void *arg)
{
    keep_snippet(arg, evhttp_request_get_input_buffer(req));
}

/* libevent: an established connection is closing (server close, error, reset or free). */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
    nf_webhook_slot_t *slot = arg;
    slot->stale = true;
    slot->was_open = true;
}

/* The deadline of an attempt, or the end of a backoff. */
static void on_msg_timer(evutil_socket_t fd, short what, void *arg)
{
    nf_webhook_msg_t *msg = arg;
    if (msg->state == NF_WEBHOOK_BACKOFF) {
        start_attempt(msg);
        return;
    }
    if (msg->state != NF_WEBHOOK_SENDING || !msg->req)
        return;
    struct evhttp_request *req = msg->req;
    msg->req = NULL;
    msg->slot->stale = true;
    /* Frees req and resets the connection; on_response is not called. */
    evhttp_cancel_request(req);
    snprintf(msg->why, sizeof(msg->why), "timed out (%d ms)", msg->dest->webhook->opts.timeout_ms);
    attempt_failed(msg, true, -1);
}

/* Host name or IP verification and SNI for one TLS connection. */
static int tls_setup(SSL *ssl, const char *host)
{
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    unsigned char addr[16];
    if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
        return X509_VERIFY_PARAM_set1_ip_asc(param, host) == 1 ? NF_OK : NF_ENOMEM;
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set_tlsext_host_name(ssl, host) != 1 ||
        X509_VERIFY_PARAM_set1_host(param, host, 0) != 1)
        return NF_ENOMEM;
    return NF_OK;
}

/*
 * A new connection for slot, on a bufferevent made here so that it closes its socket
 * when freed (evhttp's own does not): an OpenSSL bufferevent freed during its name
 * lookup does not cancel the lookup, which then connects a socket that only
 * BEV_OPT_CLOSE_ON_FREE will close.
 */
static int slot_connect(nf_webhook_slot_t *slot)
{
    nf_webhook_dest_t *dest = slot->dest;
    nf_webhook_t *webhook = dest->webhook;
    struct bufferevent *bev;

    webhook->resolved |= !dest->literal;
    if (dest->tls) {
        SSL *ssl = SSL_new(webhook->ssl_ctx);
        if (!ssl)
            return NF_ENOMEM;
        if (tls_setup(ssl, dest->host) != NF_OK) {
            SSL_free(ssl);
            return NF_ENOMEM;
        }
        bev = bufferevent_openssl_socket_new(webhook->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                             BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
        if (!bev) {
            SSL_free(ssl);
            return NF_ENOMEM;
        }
        /* Many servers close without close_notify; the body length still frames it. */
        bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    } else {
        bev = bufferevent_socket_new(webhook->base, -1, BEV_OPT_CLOSE_ON_FREE);
        if (!bev)
            return NF_ENOMEM;
    }
    slot->evcon = evhttp_connection_base_bufferevent_new(webhook->base, webhook->dns, bev,
                                                         dest->host, (ev_uint16_t)dest->port);
    if (!slot->evcon) {
        bufferevent_free(bev);
        return NF_ENOMEM;
    }
    /* A backstop only: the attempt's own deadline fires first and says "timed out". */
    int64_t backstop_ms = (int64_t)webhook->opts.timeout_ms + 1000;
    struct timeval tv = {.tv_sec = (time_t)(backstop_ms / 1000),
                         .tv_usec = (suseconds_t)(backstop_ms % 1000) * 1000};
    evhttp_connection_set_timeout_tv(slot->evcon, &tv);
    evhttp_connection_set_retries(slot->evcon, 0);
    evhttp_connection_set_max_headers_size(slot->evcon, NF_WEBHOOK_RESP_HEADERS_MAX);
    evhttp_connection_set_closecb(slot->evcon, on_close, slot);
    slot->stale = false;
    return NF_OK;
}

static int request_fill(nf_webhook_msg_t *msg, struct evhttp_request *req)
{
    nf_webhook_t *webhook = msg->dest->webhook;
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    char len[32];
    snprintf(len, sizeof(len), "%zu", msg->len);

    if (evhttp_add_header(out, "Host", msg->dest->host_header) != 0)
        return NF_ENOMEM;
    if (!msg->has_user_agent && evhttp_add_header(out, "User-Agent", webhook->user_agent) != 0)
        return NF_ENOMEM;
    if (!msg->has_content_type && evhttp_add_header(out, "Content-Type", "application/json") != 0)
        return NF_ENOMEM;
    for (char **h = msg->headers; h && h[0]; h += 2)
        if (evhttp_add_header(out, h[0], h[1]) != 0)
            return NF_ENOMEM;
    if (evhttp_add_header(out, "Content-Length", len) != 0)
        return NF_ENOMEM;
    if (msg->len && evbuffer_add(evhttp_request_get_output_buffer(req), msg->body, msg->len) != 0)
        return NF_ENOMEM;
    return NF_OK;
}

/* Sends msg on its slot, replacing the slot's connection first if it is stale. */
static void start_attempt(nf_webhook_msg_t *msg)
{
    nf_webhook_slot_t *slot = msg->slot;
    nf_webhook_t *webhook = msg->dest->webhook;

    msg->attempts++;
    msg->req_error = -1;
    msg->sock_error = 0;
    msg->snippet_len = 0;
    msg->snippet[0] = '\0';
    msg->state = NF_WEBHOOK_SENDING;
    if (slot->evcon && slot->stale) {
        evhttp_connection_free(slot->evcon);
        slot->evcon = NULL;
    }
    if (!slot->evcon && slot_connect(slot) != NF_OK) {
        snprintf(msg->why, sizeof(msg->why), "cannot create a connection: out of memory");
        attempt_failed(msg, true, -1);
        return;
    }
    slot->was_open = false;

    struct evhttp_request *req = evhttp_request_new(on_response, msg);
    if (!req || request_fill(msg, req) != NF_OK) {
        if (req)
            evhttp_request_free(req);
        snprintf(msg->why, sizeof(msg->why), "cannot build the request: out of memory");
        attempt_failed(msg, true, -1);
        return;
    }
    evhttp_request_set_error_cb(req, on_request_error);
    evhttp_request_set_chunked_cb(req, on_response_body);
    msg->req = req;
    timer_add_ms(msg->timer, webhook->opts.timeout_ms);
    /* on_response may run before this returns, when the connect fails at once. */
    if (evhttp_make_request(slot->evcon, req, EVHTTP_REQ_POST, msg->target) != 0) {
        /* libevent has freed req (http.h: "On failure, the request object is ... freed"). */
        msg->req = NULL;
        evtimer_del(msg->timer);
        slot->stale = true;
        snprintf(msg->why, sizeof(msg->why), "cannot start the request");
        attempt_failed(msg, true, -1);
    }
}

/*
 * Gives free slots to queued deliveries, oldest first; lower slots first, so that a
 * light load keeps reusing one keep-alive connection.
 */
static void dispatch(nf_webhook_dest_t *dest)
{
    nf_webhook_t *webhook = dest->webhook;
    for (int i = 0; i < webhook->opts.max_concurrent && dest->head; i++) {
        nf_webhook_slot_t *slot = &dest->slots[i];
        if (slot->msg)
            continue;
        nf_webhook_msg_t *msg = dest->head;
        dest->head = msg->next;
        if (!dest->head)
            dest->tail = NULL;
        msg->next = NULL;
        slot->msg = msg;
        msg->slot = slot;
        dest->active++;
        start_attempt(msg);
    }
    dest_update_idle(dest);
}

static void msg_free(nf_webhook_msg_t *msg)
{
    if (!msg)
        return;
    if (msg->timer)
        event_free(msg->timer);
    for (size_t i = 0; msg->headers && i < 2 * msg->n_headers; i++)
        free(msg->headers[i]);
    free(msg->headers);
    free(msg->target);
    free(msg->body);
    free(msg);
}

/* Reports one delivery to the caller and frees it. */
static void report(nf_webhook_t *webhook, nf_webhook_msg_t *msg)
{
    webhook->pending--;
    webhook->done_cb(webhook->opaque, msg->msg_opaque, msg->ok, msg->ok ? NULL : msg->reason);
    msg_free(msg);
}

/* The sender's own event: reports outcomes and starts queued deliveries. */
static void on_kick(evutil_socket_t fd, short what, void *arg)
{
    nf_webhook_t *webhook = arg;
    for (nf_webhook_dest_t *dest = webhook->dests; dest; dest = dest->next)
        dispatch(dest);

    bool destroyed = false;
    webhook->destroyed = &destroyed;
    while (webhook->done_head) {
        nf_webhook_msg_t *msg = webhook->done_head;
        webhook->done_head = msg->next;
        if (!webhook->done_head)
            webhook->done_tail = NULL;
        report(webhook, msg);
        if (destroyed)
            return;
    }
    webhook->destroyed = NULL;
}

static void dest_free(nf_webhook_dest_t *dest)
{
    if (!dest)
        return;
    for (int i = 0; i < dest->webhook->opts.max_concurrent; i++)
        if (dest->slots[i].evcon)
            evhttp_connection_free(dest->slots[i].evcon);
    if (dest->idle_timer)
        event_free(dest->idle_timer);
    free(dest->name);
    free(dest->host);
    free(dest->host_header);
    free(dest);
}

/* Frees a destination nobody has used for NF_WEBHOOK_IDLE_MS, with its connections. */
static void on_idle(evutil_socket_t fd, short what, void *arg)
{
    nf_webhook_dest_t *dest = arg;
    nf_webhook_t *webhook = dest->webhook;
    if (dest->head || dest->active)
        return;
    for (nf_webhook_dest_t **p = &webhook->dests; *p; p = &(*p)->next) {
        if (*p == dest) {
            *p = dest->next;
            break;
        }
    }
    dest_free(dest);
}

/* A parsed webhook URL. */
typedef struct nf_webhook_url {
    bool tls;
    int port;
    char host[256];         /* as in the URL (IPv6 in brackets) */
    char connect_host[256]; /* without brackets */
    char *target;           /* path and query, allocated */
} nf_webhook_url_t;

static int url_parse(const char *url, nf_webhook_url_t *u, char *err, size_t err_size)
{
    int rc = NF_EINVAL;
    struct evhttp_uri *uri = evhttp_uri_parse(url);
    if (!uri) {
        snprintf(err, err_size, "not a valid URL");
        return NF_EINVAL;
    }
    const char *scheme = evhttp_uri_get_scheme(uri);
    const char *host = evhttp_uri_get_host(uri);
    const char *path = evhttp_uri_get_path(uri);
    const char *query = evhttp_uri_get_query(uri);
    if (!scheme ||
        (evutil_ascii_strcasecmp(scheme, "http") && evutil_ascii_strcasecmp(scheme, "https"))) {
        snprintf(err, err_size, "only http:// and https:// URLs are supported");
        goto out;
    }
    u->tls = evutil_ascii_strcasecmp(scheme, "https") == 0;
    if (evhttp_uri_get_userinfo(uri)) {
        snprintf(err, err_size,
                 "user information in the URL is not supported: pass an Authorization header");
        goto out;
    }
    if (!host || !*host || strlen(host) >= sizeof(u->host)) {
        snprintf(err, err_size, "the URL has no valid host");
        goto out;
    }
    snprintf(u->host, sizeof(u->host), "%s", host);
    if (host[0] == '[') {
        unsigned char addr[16];
        size_t len = strlen(host);
        snprintf(u->connect_host, sizeof(u->connect_host), "%.*s", (int)(len - 2), host + 1);
        if (inet_pton(AF_INET6, u->connect_host, addr) != 1) {
            snprintf(err, err_size, "the URL's host is not a valid IPv6 address");
            goto out;
        }
    } else {
        snprintf(u->connect_host, sizeof(u->connect_host), "%s", host);
    }
    u->port = evhttp_uri_get_port(uri);
    if (u->port == -1)
        u->port = u->tls ? 443 : 80;
    if (u->port <= 0 || u->port > 65535) {
        snprintf(err, err_size, "the URL's port is not valid");
        goto out;
    }
    if (!path || !*path)
        path = "/";
    size_t size = strlen(path) + (query ? strlen(query) + 1 : 0) + 1;
    u->target = malloc(size);
    if (!u->target) {
        snprintf(err, err_size, "out of memory");
        rc = NF_ENOMEM;
        goto out;
    }
    snprintf(u->target, size, "%s%s%s", path, query ? "?" : "", query ? query : "");
    rc = NF_OK;
out:
    evhttp_uri_free(uri);
    return rc;
}

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Copies "Name: value" headers into msg as name/value pairs, refusing injection. */
static int headers_parse(nf_webhook_msg_t *msg, const char *const *headers, char *err,
                         size_t err_size)
{
    static const char *const reserved[] = {"Host", "Content-Length", "Connection",
                                           "Transfer-Encoding"};
    size_t count = 0;
    while (headers && headers[count])
        count++;
    if (count == 0)
        return NF_OK;
    if (count > NF_WEBHOOK_MAX_HEADERS) {
        snprintf(err, err_size, "more than %d headers", NF_WEBHOOK_MAX_HEADERS);
        return NF_EINVAL;
    }
    msg->headers = calloc(2 * count + 1, sizeof(char *));
    if (!msg->headers)
        return NF_ENOMEM;
    msg->n_headers = count;
    for (size_t i = 0; i < count; i++) {
        const char *h = headers[i];
        const char *colon = strchr(h, ':');
        if (!colon || colon == h) {
            snprintf(err, err_size, "header %zu is not \"Name: value\"", i + 1);
            return NF_EINVAL;
        }
        size_t name_len = (size_t)(colon - h);
        for (size_t k = 0; k < name_len; k++) {
            if (!is_tchar((unsigned char)h[k])) {
                snprintf(err, err_size, "header %zu has an invalid name", i + 1);
                return NF_EINVAL;
            }
        }
        const char *value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        size_t value_len = strlen(value);
        for (size_t k = 0; k < value_len; k++) {
            unsigned char c = (unsigned char)value[k];
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                snprintf(err, err_size, "header %zu has a control character in its value", i + 1);
                return NF_EINVAL;
            }
        }
        while (value_len && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t'))
            value_len--;
        for (size_t k = 0; k < sizeof(reserved) / sizeof(reserved[0]); k++) {
            if (strlen(reserved[k]) == name_len &&
                !evutil_ascii_strncasecmp(h, reserved[k], name_len)) {
                snprintf(err, err_size, "header %s is set by the webhook sender", reserved[k]);
                return NF_EINVAL;
            }
        }
        if (name_len == 12 && !evutil_ascii_strncasecmp(h, "Content-Type", name_len))
            msg->has_content_type = true;
        if (name_len == 10 && !evutil_ascii_strncasecmp(h, "User-Agent", name_len))
            msg->has_user_agent = true;
        msg->headers[2 * i] = strndup(h, name_len);
        msg->headers[2 * i + 1] = strndup(value, value_len);
        if (!msg->headers[2 * i] || !msg->headers[2 * i + 1])
            return NF_ENOMEM;
    }
    return NF_OK;
}

static nf_webhook_dest_t *dest_get(nf_webhook_t *webhook, const nf_webhook_url_t *u)
{
    for (nf_webhook_dest_t *dest = webhook->dests; dest; dest = dest->next)
        if (dest->tls == u->tls && dest->port == u->port &&
            !evutil_ascii_strcasecmp(dest->host, u->connect_host))
            return dest;

    int n = webhook->opts.max_concurrent;
    nf_webhook_dest_t *dest = calloc(1, sizeof(*dest) + (size_t)n * sizeof(dest->slots[0]));
    if (!dest)
        return NULL;
    unsigned char addr[16];
    dest->webhook = webhook;
    dest->tls = u->tls;
    dest->port = u->port;
    dest->literal = inet_pton(AF_INET, u->connect_host, addr) == 1 ||
                    inet_pton(AF_INET6, u->connect_host, addr) == 1;
    for (int i = 0; i < n; i++)
        dest->slots[i].dest = dest;
    nf_buf_t name = {0}, host_header = {0};
    nf_buf_printf(&name, "%s://%s:%d", u->tls ? "https" : "http", u->host, u->port);
    if (u->port == (u->tls ? 443 : 80))
        nf_buf_puts(&host_header, u->host);
    else
        nf_buf_printf(&host_header, "%s:%d", u->host, u->port);
    dest->name = name.data;
    dest->host_header = host_header.data;
    dest->host = strdup(u->connect_host);
    dest->idle_timer = evtimer_new(webhook->base, on_idle, dest);
    if (name.oom || host_header.oom || !dest->name || !dest->host_header || !dest->host ||
        !dest->idle_timer) {
        dest_free(dest);
        return NULL;
    }
    dest->next = webhook->dests;
    webhook->dests = dest;
    return dest;
}

int nf_webhook_post(nf_webhook_t *webhook, const char *url, const char *body, size_t len,
                    const char *const *headers, void *msg_opaque)
{
    char err[160] = "";
    nf_webhook_url_t u = {0};
    nf_webhook_msg_t *msg = NULL;
    int rc;

    if (!webhook || !url || (!body && len))
        return NF_EINVAL;
    if (webhook->closing) {
        nf_log(NF_LOG_WARN, "webhook", "post refused: the webhook sender is shutting down");
        return NF_EINVAL;
    }
    if (webhook->pending >= (size_t)webhook->opts.queue_max)
        return NF_EQUEUEFULL;
    rc = url_parse(url, &u, err, sizeof(err));
    if (rc != NF_OK)
        goto fail;
    rc = NF_ENOMEM;
    msg = calloc(1, sizeof(*msg));
    if (!msg)
        goto fail;
    msg->target = u.target;
    u.target = NULL;
    rc = headers_parse(msg, headers, err, sizeof(err));
    if (rc != NF_OK)
        goto fail;
    rc = NF_ENOMEM;
    msg->body = malloc(len ? len : 1);
    if (!msg->body)
        goto fail;
    if (len)
        memcpy(msg->body, body, len);
    msg->len = len;
    msg->msg_opaque = msg_opaque;
    msg->state = NF_WEBHOOK_QUEUED;
    msg->timer = evtimer_new(webhook->base, on_msg_timer, msg);
    if (!msg->timer)
        goto fail;
    msg->dest = dest_get(webhook, &u);
    if (!msg->dest)
        goto fail;

    if (msg->dest->tail)
        msg->dest->tail->next = msg;
    else
        msg->dest->head = msg;
    msg->dest->tail = msg;
    webhook->pending++;
    evtimer_del(msg->dest->idle_timer);
    event_active(webhook->kick, EV_TIMEOUT, 0);
    return NF_OK;

fail:
    if (rc == NF_ENOMEM && !err[0])
        snprintf(err, sizeof(err), "out of memory");
    /* Never the URL itself: its path or query may hold a secret. */
    nf_log_ratelimited(NF_LOG_WARN, "webhook", "post refused", "webhook post refused: %s", err);
    free(u.target);
    msg_free(msg);
    return rc == NF_ENOMEM ? NF_ENOMEM : NF_EINVAL;
}

size_t nf_webhook_pending(const nf_webhook_t *webhook)
{
    return webhook ? webhook->pending : 0;
}

static int ssl_ctx_init(nf_webhook_t *webhook, const nf_webhook_opts_t *opts, char *errstr,
                        size_t errstr_size)
{
    webhook->ssl_ctx = SSL_CTX_new(TLS_client_method());
    if (!webhook->ssl_ctx)
        goto fail;
    if (SSL_CTX_set_min_proto_version(webhook->ssl_ctx, TLS1_2_VERSION) != 1)
        goto fail;
    SSL_CTX_set_verify(webhook->ssl_ctx, SSL_VERIFY_PEER, NULL);
    if (opts->ca_file || opts->ca_path) {
        if (SSL_CTX_load_verify_locations(webhook->ssl_ctx, opts->ca_file, opts->ca_path) != 1)
            goto fail;
    } else if (SSL_CTX_set_default_verify_paths(webhook->ssl_ctx) != 1) {
        goto fail;
    }
    return NF_OK;

fail : {
    char why[160];
    ERR_error_string_n(ERR_get_error(), why, sizeof(why));
    ERR_clear_error();
    snprintf(errstr, errstr_size, "webhook TLS setup failed (CA file %s, CA path %s): %s",
             opts->ca_file ? opts->ca_file : "default", opts->ca_path ? opts->ca_path : "default",
             why);
    return NF_ECONFIG;
}
}

nf_webhook_t *nf_webhook_new(struct event_base *base, const nf_webhook_opts_t *opts,
                             nf_webhook_done_cb *done_cb, void *opaque, char *errstr,
                             size_t errstr_size)
{
    nf_webhook_opts_t o = opts ? *opts : (nf_webhook_opts_t){0};
    nf_webhook_t *webhook = NULL;

    if (!base || !done_cb) {
        snprintf(errstr, errstr_size, "webhook: an event base and a done callback are required");
        return NULL;
    }
    if (o.timeout_ms < 0 || o.max_attempts < 0 || o.backoff_base_ms < 0 || o.backoff_max_ms < 0 ||
        o.queue_max < 0 || o.max_concurrent < 0 || o.max_concurrent > NF_WEBHOOK_MAX_CONCURRENT) {
        snprintf(errstr, errstr_size,
                 "webhook: options must not be negative, and max_concurrent at most %d",
                 NF_WEBHOOK_MAX_CONCURRENT);
        return NULL;
    }
    if (o.user_agent && strpbrk(o.user_agent, "\r\n")) {
        snprintf(errstr, errstr_size, "webhook: user_agent must be one line");
        return NULL;
    }
    o.timeout_ms = o.timeout_ms ? o.timeout_ms : 5000;
    o.max_attempts = o.max_attempts ? o.max_attempts : 5;
    o.backoff_base_ms = o.backoff_base_ms ? o.backoff_base_ms : 500;
    o.backoff_max_ms = o.backoff_max_ms ? o.backoff_max_ms : 30000;
    o.queue_max = o.queue_max ? o.queue_max : 1000;
    o.max_concurrent = o.max_concurrent ? o.max_concurrent : 4;

    webhook = calloc(1, sizeof(*webhook));
    if (!webhook)
        goto oom;
    webhook->base = base;
    webhook->done_cb = done_cb;
    webhook->opaque = opaque;
    webhook->opts = o;
    webhook->opts.user_agent = webhook->opts.ca_file = webhook->opts.ca_path = NULL;
    webhook->user_agent = strdup(o.user_agent ? o.user_agent : "newsflow/" NF_VERSION);
    webhook->kick = event_new(base, -1, 0, on_kick, webhook);
    if (!webhook->user_agent || !webhook->kick)
        goto oom;
    /* Lookups must not block the loop: libevent's HTTP client calls blocking
     * getaddrinfo() when given no evdns base. DISABLE_WHEN_INACTIVE keeps an idle
     * resolver from holding the loop open. */
    webhook->dns =
        evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    if (!webhook->dns) {
        snprintf(errstr, errstr_size, "webhook: cannot set up the DNS resolver");
        goto fail;
    }
    if (ssl_ctx_init(webhook, &o, errstr, errstr_size) != NF_OK)
        goto fail;
    webhook->rng = ((uint64_t)nf_mono_us() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)webhook) | 1;
    return webhook;

oom:
    snprintf(errstr, errstr_size, "webhook: out of memory");
fail:
    nf_webhook_destroy(webhook);
    return NULL;
}

static void on_free_dns(evutil_socket_t fd, short what, void *arg)
{
    evdns_base_free(arg, 1);
}

void nf_webhook_destroy(nf_webhook_t *webhook)
{
    if (!webhook || webhook->closing)
        return;
    if (webhook->destroyed)
        *webhook->destroyed = true;
    webhook->destroyed = NULL;
    webhook->closing = true;

    /* Connections first: freeing one drops its request without calling back. */
    for (nf_webhook_dest_t *dest = webhook->dests; dest; dest = dest->next) {
        for (int i = 0; i < webhook->opts.max_concurrent; i++) {
            nf_webhook_slot_t *slot = &dest->slots[i];
            if (slot->evcon)
                evhttp_connection_free(slot->evcon);
            slot->evcon = NULL;
            if (slot->msg)
                slot->msg->req = NULL;
        }
    }
    /*
     * Every accepted post is reported once: known outcomes as they are, the rest as
     * "shutdown", oldest first within a destination.
     */
    while (webhook->done_head) {
        nf_webhook_msg_t *msg = webhook->done_head;
        webhook->done_head = msg->next;
        report(webhook, msg);
    }
    webhook->done_tail = NULL;
    while (webhook->dests) {
        nf_webhook_dest_t *dest = webhook->dests;
        for (int i = 0; i < webhook->opts.max_concurrent; i++) {
            nf_webhook_msg_t *msg = dest->slots[i].msg;
            if (!msg)
                continue;
            dest->slots[i].msg = NULL;
            msg->ok = false;
            snprintf(msg->reason, sizeof(msg->reason), "shutdown");
            report(webhook, msg);
        }
        while (dest->head) {
            nf_webhook_msg_t *msg = dest->head;
            dest->head = msg->next;
            msg->ok = false;
            snprintf(msg->reason, sizeof(msg->reason), "shutdown");
            report(webhook, msg);
        }
        webhook->dests = dest->next;
        dest_free(dest);
    }
    if (webhook->kick)
        event_free(webhook->kick);
    /*
     * Freeing the connections cancelled their name lookups, but libevent reports a
     * cancelled lookup from a deferred callback that still reads the resolver: freeing
     * it now is a use-after-free on the next loop iteration. A 1 ms timer runs after
     * those callbacks. Lookups of IP addresses finish at once, so a sender that never
     * resolved a name frees its resolver here. fail_requests=1 ends any lookup still in
     * flight (an OpenSSL bufferevent does not cancel its own), releasing its bufferevent.
     */
    if (webhook->dns) {
        struct timeval later = {0, 1000};
        if (!webhook->resolved ||
            event_base_once(webhook->base, -1, EV_TIMEOUT, on_free_dns, webhook->dns, &later) != 0)
            evdns_base_free(webhook->dns, 1);
    }
    SSL_CTX_free(webhook->ssl_ctx);
    free(webhook->user_agent);
    free(webhook);
}
