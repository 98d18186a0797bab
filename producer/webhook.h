/*
 * webhook: delivers alert documents by HTTP POST on the caller's libevent loop.
 *
 * nf_webhook_post() copies a JSON body into a bounded queue and returns at once; the
 * module sends it with libevent's HTTP client (http:// and https://, never blocking the
 * loop), retries failures with exponential backoff and full jitter, and reports the
 * outcome of every accepted post exactly once through done_cb, so that the caller can
 * send what could not be delivered to the dead-letter topic.
 *
 * Each destination (scheme, host, port) has a FIFO queue and up to max_concurrent
 * keep-alive connections. A libevent evhttp_connection carries one request at a time
 * (requests made on a busy connection wait inside libevent, with no bound and no
 * deadline), so concurrency comes from several connections, never from stacking
 * requests on one. A delivery keeps its connection slot while it waits to retry, so a
 * failing destination gets at most max_concurrent deliveries in progress and the rest
 * wait in order behind them.
 *
 * Outcome of one attempt:
 *   2xx                          delivered (ok=true)
 *   429, 5xx                     retried; Retry-After in seconds is honoured, capped at
 *                                backoff_max_ms
 *   3xx, other 4xx               permanent failure, no retry (redirects are not followed)
 *   anything else: connection refused or reset, DNS or TLS failure, invalid response or
 *   status, timeout              retried
 * The delay before attempt n+1 is a uniform random value in [0, min(backoff_max_ms,
 * backoff_base_ms * 2^(n-1))]. timeout_ms bounds a whole attempt: name resolution,
 * connect, TLS handshake, request and response. (libevent's own timeout only limits
 * inactivity, so a server that trickles bytes would never trip it.)
 *
 * Names are resolved asynchronously (evdns, from /etc/resolv.conf and /etc/hosts). A
 * connection tries only the first address a name resolves to, with no fallback to the
 * others: a limitation of libevent's HTTP client.
 *
 * Delivery is at least once: a server that processed a request but whose response was
 * lost gets it again. Receivers should deduplicate, e.g. on the CloudEvents id header.
 *
 * https verifies the server certificate against the system trust store (or ca_file /
 * ca_path) and the host name (or IP address) in the URL, with SNI; TLS 1.2 or later.
 * There is no option to turn verification off.
 *
 * Logs name a destination as scheme://host:port only: webhook paths and queries often
 * carry secrets, so they are never logged.
 *
 * Single-threaded: every function must be called on the thread that runs the loop. The
 * process must ignore SIGPIPE (app/main.c does): libevent writes to sockets with plain
 * write calls, and a server that closes mid-request would otherwise kill the process.
 */
#ifndef NF_WEBHOOK_H
#define NF_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

typedef struct nf_webhook nf_webhook_t;

/* Settings; zero (or NULL) means the default given. Negative numbers are invalid. */
typedef struct nf_webhook_opts {
    int timeout_ms;         /* deadline of one attempt; 5000 */
    int max_attempts;       /* attempts per delivery, the first included; 5 */
    int backoff_base_ms;    /* backoff before the second attempt (before jitter); 500 */
    int backoff_max_ms;     /* cap on any backoff, and on Retry-After; 30000 */
    int queue_max;          /* deliveries accepted and not yet reported; 1000 */
    int max_concurrent;     /* deliveries in progress per destination; 4 (at most 64) */
    const char *user_agent; /* User-Agent header; "newsflow/<version>" */
    const char *ca_file;    /* PEM file of trusted CAs for https; the system store */
    const char *ca_path;    /* directory of hashed CA certificates for https */
} nf_webhook_opts_t;

/*
 * The outcome of one accepted post, called exactly once for each, on the loop thread.
 * msg_opaque is the caller's pointer given to nf_webhook_post. ok is true when the
 * server answered 2xx. Otherwise reason says why, e.g. "HTTP 503 after 5 attempts",
 * "connection refused after 5 attempts", "HTTP 400 after 1 attempt: <start of the
 * response body>" or "shutdown"; it is owned by the module and valid only during the
 * call (NULL when ok).
 *
 * done_cb runs from the module's own event callback, never from inside a libevent HTTP
 * callback, so it may call nf_webhook_post (to re-queue) and nf_webhook_destroy. It is
 * also called from within nf_webhook_destroy, for deliveries cut short by it.
 */
typedef void(nf_webhook_done_cb)(void *opaque, void *msg_opaque, bool ok, const char *reason);

/*
 * Creates a sender on base (borrowed: it must outlive the sender). opts may be NULL
 * (all defaults) and is copied, strings included. done_cb is required; opaque is passed
 * back to it. Creation reads /etc/resolv.conf, /etc/hosts and the CA store once, so
 * call it at start-up. Returns NULL and fills errstr on failure (invalid options, a CA
 * file that does not load, out of memory).
 */
nf_webhook_t *nf_webhook_new(struct event_base *base, const nf_webhook_opts_t *opts,
                             nf_webhook_done_cb *done_cb, void *opaque, char *errstr,
                             size_t errstr_size);

/*
 * Cancels everything and frees the sender. done_cb is first called for every accepted
 * post not yet reported: with the real outcome if it was already known, otherwise with
 * ok=false and reason "shutdown" (nothing more is sent). nf_webhook_post fails with
 * NF_EINVAL during these calls. nf_webhook_destroy(NULL) is a no-op.
 *
 * To drain instead of cancelling: stop posting and keep running the loop until
 * nf_webhook_pending() is 0 (or a deadline passes), then destroy. Note that idle
 * keep-alive connections and timers stay registered on the base, so a loop that waits
 * for "no more events" does not end while the sender exists.
 *
 * If the sender ever connected to a host name (not an IP address), destroy leaves its
 * resolver to a 1 ms timer on base: libevent reports cancelled lookups from deferred
 * callbacks that still read the resolver. Run the loop once more (e.g. a short
 * event_base_loopexit) before event_base_free, or the resolver is leaked.
 */
void nf_webhook_destroy(nf_webhook_t *webhook);

/*
 * Queues one POST of <body, len> to url ("http://host[:port]/path?query" or https://).
 * The body, the URL and the headers are copied; body may be NULL when len is 0.
 * headers is a NULL-terminated array of "Name: value" strings (e.g. CloudEvents ce-*
 * headers) or NULL; Content-Type defaults to application/json and User-Agent to the
 * configured one unless headers set them; Host, Content-Length, Connection and
 * Transfer-Encoding are the module's and are refused. msg_opaque is handed back to
 * done_cb.
 *
 * Returns NF_OK (done_cb will report the outcome), NF_EQUEUEFULL (queue_max deliveries
 * are pending: the caller decides whether to wait or dead-letter), NF_EINVAL (bad URL
 * or header, user information in the URL, during destroy; logged) or NF_ENOMEM. done_cb
 * is never called for a post that did not return NF_OK.
 */
int nf_webhook_post(nf_webhook_t *webhook, const char *url, const char *body, size_t len,
                    const char *const *headers, void *msg_opaque);

/* Accepted posts not yet reported through done_cb: queued, in flight or backing off. */
size_t nf_webhook_pending(const nf_webhook_t *webhook);

#endif
