/*
 * The ops endpoint, end to end: `newsflow run` on the embedded cluster with ops.listen
 * on a free port. /readyz turns 200 once partitions are assigned (and names the
 * embedded cluster), /healthz is 200, /metrics counts the sample articles and dead
 * letters, other paths are 404, other methods are refused, a malformed request gets a
 * 400 and a client that sends nothing does not block others; SIGTERM then stops the
 * process with status 0.
 */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int port;

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    return ntohs(sa.sin_port);
}

static int connect_ops(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        close(fd);
        return -1;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Sends raw request text; returns the status code and copies the response. */
static int request(const char *raw, char *resp, size_t size)
{
    int fd = connect_ops();
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, raw, strlen(raw));
    (void)w;
    size_t n = 0;
    ssize_t r;
    while (n + 1 < size && (r = read(fd, resp + n, size - 1 - n)) > 0)
        n += (size_t)r;
    resp[n] = '\0';
    close(fd);
    int code = -1;
    sscanf(resp, "HTTP/1.%*d %d", &code);
    return code;
}

static int get(const char *path, char *resp, size_t size)
{
    char raw[256];
    snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    return request(raw, resp, size);
}

int main(void)
{
    port = free_port();
    char listen[64];
    snprintf(listen, sizeof(listen), "ops.listen=127.0.0.1:%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {NF_BINARY,        "run", "-X", listen, "-X", "output.print=false", "-X",
                        "log.level=warn", NULL};
        execv(NF_BINARY, argv);
        _exit(127);
    }
    static char resp[65536];
    int code = -1;
    for (int i = 0; i < 300 && code != 200; i++) {
        usleep(100000);
        code = get("/readyz", resp, sizeof(resp));
    }
    CHECK_INT(code, 200);
    CHECK(strstr(resp, "EMBEDDED") != NULL);
    CHECK_INT(get("/healthz", resp, sizeof(resp)), 200);
    CHECK(strstr(resp, "ok: last loop tick") != NULL);

    /* The 8 sample articles: 6 enriched, 2 dead letters (eventually). */
    bool counted = false;
    for (int i = 0; i < 100 && !counted; i++) {
        CHECK_INT(get("/metrics", resp, sizeof(resp)), 200);
        counted = strstr(resp, "newsflow_messages_consumed_total 8\n") &&
                  strstr(resp, "newsflow_events_enriched_total 6\n") &&
                  strstr(resp, "newsflow_dead_letters_total{reason=\"invalid_json\"} 1\n");
        if (!counted)
            usleep(100000);
    }
    CHECK(counted);
    CHECK(strstr(resp, "# TYPE newsflow_end_to_end_latency_seconds histogram") != NULL);
    CHECK(strstr(resp, "text/plain; version=0.0.4") != NULL);

    CHECK_INT(get("/", resp, sizeof(resp)), 404);
    CHECK_INT(get("/metrics/../etc/passwd", resp, sizeof(resp)), 404);
    int post = request("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: "
                       "close\r\n\r\n",
                       resp, sizeof(resp));
    CHECK(post == 405 || post == 501);
    CHECK_INT(request("GARBAGE\r\n\r\n", resp, sizeof(resp)), 400);

    /* A client that connects and sends nothing does not hold up others. */
    int idle = connect_ops();
    CHECK(idle >= 0);
    CHECK_INT(get("/healthz", resp, sizeof(resp)), 200);
    /* An oversized header is refused, and the server lives on. */
    static char big[20000];
    int n = snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(big + n, 'a', 12000);
    strcpy(big + n + 12000, "\r\n\r\n");
    int big_code = request(big, resp, sizeof(resp));
    CHECK(big_code == 400 || big_code == 413 || big_code == 431 || big_code == -1);
    CHECK_INT(get("/healthz", resp, sizeof(resp)), 200);
    close(idle);

    kill(pid, SIGTERM);
    int status = -1;
    for (int i = 0; i < 300; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        usleep(100000);
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    TEST_DONE();
}
