/*
 * ops: /metrics, /healthz and /readyz over libevent's evhttp (see ops.h). Requests are
 * answered on the loop thread, so a reply is itself evidence that the loop turns.
 */
#include "ops.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#define HEARTBEAT_STALE_MS 5000

struct nf_ops {
    struct evhttp *http;
    struct evhttp_bound_socket *sock;
    nf_loop_t *loop;
    bool embedded;
    int port;
    nf_buf_t buf;
};

static void reply(struct evhttp_request *req, int code, const char *reason, const char *type,
                  const char *body, size_t len)
{
    struct evkeyvalq *hdrs = evhttp_request_get_output_headers(req);
    evhttp_add_header(hdrs, "Content-Type", type);
    evhttp_add_header(hdrs, "Cache-Control", "no-store");
    struct evbuffer *out = evbuffer_new();
    if (out && evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
        evbuffer_add(out, body, len);
    evhttp_send_reply(req, code, reason, out);
    if (out)
        evbuffer_free(out);
}

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
    reply(req, code, reason, "text/plain; charset=utf-8", text, strlen(text));
}

static void on_request(struct evhttp_request *req, void *arg)
{
    nf_ops_t *ops = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (!path) {
        reply_text(req, 400, "Bad Request", "bad request\n");
        return;
    }
    if (!strcmp(path, "/metrics")) {
        nf_buf_reset(&ops->buf);
        nf_metrics_render(nf_loop_metrics(ops->loop), &ops->buf);
        reply(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", ops->buf.data,
              ops->buf.len);
    } else if (!strcmp(path, "/healthz")) {
        int64_t age = nf_mono_ms() - nf_loop_heartbeat_ms(ops->loop);
        char text[128];
        snprintf(text, sizeof(text), "%s: last loop tick %lld ms ago\n",
                 age < HEARTBEAT_STALE_MS ? "ok" : "stalled", (long long)age);
        reply_text(req, age < HEARTBEAT_STALE_MS ? 200 : 503,
                   age < HEARTBEAT_STALE_MS ? "OK" : "Service Unavailable", text);
    } else if (!strcmp(path, "/readyz")) {
        int parts = nf_loop_assigned(ops->loop), brokers = nf_loop_brokers_up(ops->loop);
        char text[256];
        bool ready = parts > 0 && brokers != 0;
        if (!ready)
            snprintf(text, sizeof(text), "not ready: %s\n",
                     brokers == 0 ? "no broker connected" : "no partitions assigned yet");
        else
            snprintf(text, sizeof(text), "ready: %d partition(s) assigned%s\n", parts,
                     ops->embedded
                         ? "; EMBEDDED IN-PROCESS CLUSTER: not for production, data is lost at exit"
                         : "");
        reply_text(req, ready ? 200 : 503, ready ? "OK" : "Service Unavailable", text);
    } else {
        reply_text(req, 404, "Not Found", "not found: /metrics, /healthz, /readyz\n");
    }
}

nf_ops_t *nf_ops_new(struct event_base *base, const char *listen, nf_loop_t *loop, bool embedded,
                     char *errstr, size_t errstr_size)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof(host) || *end || port < 0 ||
        port > 65535) {
        snprintf(errstr, errstr_size, "ops.listen: \"%s\" is not host:port", listen);
        return NULL;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    nf_ops_t *ops = calloc(1, sizeof(*ops));
    if (!ops) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    ops->loop = loop;
    ops->embedded = embedded;
    ops->http = evhttp_new(base);
    if (!ops->http) {
        snprintf(errstr, errstr_size, "cannot create the ops HTTP server");
        goto err;
    }
    /* Small limits: these paths take no input, and slow clients must not linger. */
    evhttp_set_allowed_methods(ops->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_max_headers_size(ops->http, 8192);
    evhttp_set_max_body_size(ops->http, 1024);
    evhttp_set_timeout(ops->http, 10);
    evhttp_set_gencb(ops->http, on_request, ops);
    ops->sock = evhttp_bind_socket_with_handle(ops->http, host, (ev_uint16_t)port);
    if (!ops->sock) {
        snprintf(errstr, errstr_size,
                 "ops.listen: cannot listen on %s (in use, or not a local address)", listen);
        goto err;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    evutil_socket_t fd = evhttp_bound_socket_get_fd(ops->sock);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        ops->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    nf_log(NF_LOG_INFO, "ops", "serving /metrics, /healthz, /readyz on http://%s:%d/", host,
           ops->port);
    return ops;
err:
    nf_ops_destroy(ops);
    return NULL;
}

int nf_ops_port(const nf_ops_t *ops)
{
    return ops->port;
}

void nf_ops_destroy(nf_ops_t *ops)
{
    if (!ops)
        return;
    if (ops->http)
        evhttp_free(ops->http);
    nf_buf_free(&ops->buf);
    free(ops);
}
