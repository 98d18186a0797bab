/*
 * Integration test on a real Apache Kafka broker's SASL listener: deploy/kafka/kafka.sh
 * gives its broker a SASL_PLAINTEXT listener beside the PLAINTEXT one, with PLAIN and
 * SCRAM-SHA-512 and one user, and writes its client settings to a properties file
 * (`kafka.sh sasl-config`): NF_TEST_SASL_CONFIG names that file. Topics are made,
 * seeded and read back through the PLAINTEXT listener (NF_TEST_BOOTSTRAP); newsflow
 * itself talks only to the SASL one, with the `kafka.*` pass-through settings.
 *
 *   plain    `newsflow run -e` with PLAIN, the credentials given as -X flags: every
 *            article enriched, the group committed to the end;
 *   scram    the same with SCRAM-SHA-512. librdkafka before 2.6.1 cannot log in with
 *            SCRAM to a Kafka 4 broker (it repeats the client nonce, librdkafka#4895,
 *            which Kafka 4 refuses as invalid credentials): with such a librdkafka,
 *            newsflow must stop at once, exit 1, and say so; with a fixed one, it must
 *            enrich everything. Either way Kafka's own Java client logs in with SCRAM
 *            (kafka.sh tool, with the Java settings kafka.sh writes beside the file):
 *            the listener and the credential are right;
 *   wrong    a wrong password, given in NEWSFLOW_KAFKA_SASL_PASSWORD, with PLAIN and
 *            with SCRAM: exit 1 within 30 s and a log line naming the authentication
 *            failure, instead of retrying for ever;
 *   tls      the SSL listener (client certificate required) and SASL_SSL with PLAIN,
 *            with the settings kafka.sh writes beside the SASL file (newsflow -c FILE):
 *            every article enriched; SSL without a client certificate, or without the
 *            broker's CA: exit 1 within 30 s, the log naming the TLS handshake;
 *   secrets  no password (right or wrong) ever appears in newsflow's stderr or stdout,
 *            at log.level=debug and with librdkafka's security, broker and conf debug
 *            logs on; `--dump-config` shows kafka.sasl.password=[redacted] whether the
 *            password came from -X, the environment or a properties file.
 *
 * Skips without a broker or without NF_TEST_SASL_CONFIG, unless NF_REQUIRE_BROKER=1
 * (CI), where that is a failure.
 */
#include "support.h"
#include "test.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N              200
#define FAIL_BOUND_S   30
#define WRONG_PASSWORD "not-the-password-4c1d"

static const char *bootstrap;
static const char *sasl_config;
static char sasl_bootstrap[256], username[128], password[256];
static char prefix[64];

/* The value of key in a properties file into out ("" if missing); false if absent. */
static bool conf_get(const char *path, const char *key, char *out, size_t size)
{
    *out = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq)
            continue;
        *eq = '\0';
        if (!strcmp(line, key))
            snprintf(out, size, "%s", eq + 1);
    }
    fclose(f);
    return *out != '\0';
}

/* Reads the SASL client settings kafka.sh wrote (kafka.* keys of newsflow). */
static bool read_sasl_config(const char *path)
{
    return conf_get(path, "kafka.bootstrap.servers", sasl_bootstrap, sizeof(sasl_bootstrap)) &&
           conf_get(path, "kafka.sasl.username", username, sizeof(username)) &&
           conf_get(path, "kafka.sasl.password", password, sizeof(password)) &&
           strlen(password) >= 8;
}

/* A file beside the SASL one (kafka.sh writes them all into its state dir). */
static void sibling(const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s", sasl_config);
    char *slash = strrchr(out, '/');
    size_t dir = slash ? (size_t)(slash + 1 - out) : 0;
    snprintf(out + dir, size - dir, "%s", name);
}

/* The whole of a file as a string (caller frees), "" if unreadable. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *s = NULL;
    size_t len = 0;
    if (f) {
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        s = malloc(n > 0 ? (size_t)n + 1 : 1);
        len = n > 0 ? fread(s, 1, (size_t)n, f) : 0;
        fclose(f);
    } else {
        s = malloc(1);
    }
    s[len] = '\0';
    return s;
}

typedef struct run {
    int rc;
    double secs;
    char *out, *err; /* stdout, stderr */
} run_t;

static void run_free(run_t *r)
{
    free(r->out);
    free(r->err);
}

/*
 * Runs newsflow with args (NULL-terminated) and, if env_password is set, the password in
 * NEWSFLOW_KAFKA_SASL_PASSWORD; waits at most timeout_s (then kills it: rc -1).
 */
static run_t run_newsflow(char *const *args, const char *env_password, int timeout_s)
{
    char out[128], err[128];
    snprintf(out, sizeof(out), "/tmp/%s-%d.out", prefix, (int)nf_mono_ms());
    snprintf(err, sizeof(err), "/tmp/%s-%d.err", prefix, (int)nf_mono_ms());
    int64_t t0 = nf_mono_ms();
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(out, "w", stdout) || !freopen(err, "w", stderr))
            _exit(126);
        if (env_password)
            setenv("NEWSFLOW_KAFKA_SASL_PASSWORD", env_password, 1);
        execv(NF_BINARY, args);
        perror("execv " NF_BINARY);
        _exit(127);
    }
    run_t r = {.rc = nf_test_wait_exit(pid, timeout_s)};
    r.secs = (double)(nf_mono_ms() - t0) / 1000.0;
    r.out = slurp(out);
    r.err = slurp(err);
    unlink(out);
    unlink(err);
    return r;
}

/* No password in what newsflow printed. */
static void check_no_secret(const char *name, const run_t *r, const char *secret)
{
    bool leaked = strstr(r->out, secret) || strstr(r->err, secret);
    if (leaked)
        fprintf(stderr, "[%s] the password appears in newsflow's output\n", name);
    CHECK(!leaked);
}

/* Topics for one case. */
typedef struct topics {
    char in[128], out[128], dlq[128], group[128];
} topics_t;

static void make_topics(const char *name, topics_t *t)
{
    snprintf(t->in, sizeof(t->in), "%s.%s.articles", prefix, name);
    snprintf(t->out, sizeof(t->out), "%s.%s.enriched", prefix, name);
    snprintf(t->dlq, sizeof(t->dlq), "%s.%s.dlq", prefix, name);
    snprintf(t->group, sizeof(t->group), "%s.%s.group", prefix, name);
    nf_test_create_topic(bootstrap, t->in, 2);
    nf_test_create_topic(bootstrap, t->out, 2);
    nf_test_create_topic(bootstrap, t->dlq, 1);
}

/*
 * newsflow run -e on t's topics: with -c config_file if set, then the -X settings in
 * settings (NULL-terminated), and the password in the environment if env_password.
 */
static run_t run_on(const topics_t *t, const char *config_file, const char *const *settings,
                    const char *env_password, bool debug, int timeout_s)
{
    static char kv[32][320];
    char *args[96];
    int n = 0, k = 0;
    args[n++] = NF_BINARY;
    args[n++] = "run";
    if (config_file) {
        args[n++] = "-c";
        args[n++] = (char *)config_file;
    }
    const char *fixed[] = {"kafka.consumer.auto.offset.reset=earliest",
                           "kafka.consumer.session.timeout.ms=6000",
                           "output.deal.topic=",
                           "output.funding.topic=",
                           "output.infrastructure.topic=",
                           "alerts.rules=none",
                           "ops.listen=",
                           debug ? "log.level=debug" : "log.level=info",
                           debug ? "kafka.debug=security,broker,conf" : "log.format=text",
                           NULL};
    snprintf(kv[k++], sizeof(kv[0]), "input.topic=%s", t->in);
    snprintf(kv[k++], sizeof(kv[0]), "output.enriched.topic=%s", t->out);
    snprintf(kv[k++], sizeof(kv[0]), "output.dlq.topic=%s", t->dlq);
    snprintf(kv[k++], sizeof(kv[0]), "group.id=%s", t->group);
    for (int i = 0; fixed[i]; i++)
        snprintf(kv[k++], sizeof(kv[0]), "%s", fixed[i]);
    for (int i = 0; settings && settings[i] && k < 32; i++)
        snprintf(kv[k++], sizeof(kv[0]), "%s", settings[i]);
    for (int i = 0; i < k; i++) {
        args[n++] = "-X";
        args[n++] = kv[i];
    }
    args[n++] = "-e";
    args[n] = NULL;
    return run_newsflow(args, env_password, timeout_s);
}

/*
 * newsflow run -e through the SASL_PLAINTEXT listener with mechanism; the password as a
 * -X flag (flag_password) or in the environment (env_password).
 */
static run_t run_sasl(const topics_t *t, const char *mechanism, const char *flag_password,
                      const char *env_password, bool debug, int timeout_s)
{
    char a_b[300], a_mech[100], a_user[200], a_pw[300];
    snprintf(a_b, sizeof(a_b), "kafka.bootstrap.servers=%s", sasl_bootstrap);
    snprintf(a_mech, sizeof(a_mech), "kafka.sasl.mechanism=%s", mechanism);
    snprintf(a_user, sizeof(a_user), "kafka.sasl.username=%s", username);
    snprintf(a_pw, sizeof(a_pw), "kafka.sasl.password=%s", flag_password ? flag_password : "");
    const char *settings[] = {
        a_b, "kafka.security.protocol=SASL_PLAINTEXT", a_mech, a_user, flag_password ? a_pw : NULL,
        NULL};
    return run_on(t, NULL, settings, env_password, debug, timeout_s);
}

/* A run that must enrich every article. */
static void expect_enriched(const char *name, const topics_t *t, const run_t *r)
{
    fprintf(stderr, "[%s] newsflow exit %d after %.1f s\n", name, r->rc, r->secs);
    CHECK_INT(r->rc, 0);
    if (r->rc != 0) {
        fprintf(stderr, "[%s] newsflow stderr:\n%s\n", name, r->err);
        return;
    }
    nf_test_recs_t out = {0};
    nf_test_read_all(bootstrap, t->out, NULL, &out);
    int missing, dups;
    nf_test_count_ids(&out, 0, N, 0, &missing, &dups);
    fprintf(stderr, "[%s] enriched %zu of %d (missing %d, duplicates %d)\n", name, out.n, N,
            missing, dups);
    CHECK_INT(missing, 0);
    CHECK_INT(dups, 0);
    CHECK_INT(nf_test_group_lag(bootstrap, t->group, t->in), 0);
    nf_test_recs_free(&out);
}

#define SASL_REFUSED "authentication with the brokers failed"
#define TLS_REFUSED  "the TLS handshake with the brokers failed"

/* A run that must stop at once because the login is refused, saying what (above). */
static void expect_refused(const char *name, const run_t *r, const char *what, const char *also)
{
    fprintf(stderr, "[%s] newsflow exit %d after %.1f s\n", name, r->rc, r->secs);
    CHECK_INT(r->rc, 1);
    CHECK(r->secs < FAIL_BOUND_S);
    const char *line = strstr(r->err, what);
    CHECK(line != NULL);
    if (line) {
        const char *end = strchr(line, '\n');
        fprintf(stderr, "[%s] log: %.*s\n", name, end ? (int)(end - line) : (int)strlen(line),
                line);
    }
    if (also)
        CHECK(strstr(r->err, also) != NULL);
}

static void test_plain(void)
{
    topics_t t;
    make_topics("plain", &t);
    nf_test_seed(bootstrap, t.in, 0, N, 0, 0, 0);
    run_t r = run_sasl(&t, "PLAIN", password, NULL, true, 120);
    expect_enriched("plain", &t, &r);
    check_no_secret("plain", &r, password);
    CHECK(strstr(r.err, "sasl.password = [redacted]") != NULL); /* the conf debug log ran */
    run_free(&r);
}

static void test_scram(void)
{
    topics_t t;
    make_topics("scram", &t);
    nf_test_seed(bootstrap, t.in, 0, N, 0, 0, 0);
    run_t r = run_sasl(&t, "SCRAM-SHA-512", password, NULL, false, 120);
    if (rd_kafka_version() >= 0x020601ff) {
        expect_enriched("scram", &t, &r);
    } else {
        fprintf(stderr,
                "[scram] librdkafka %s cannot log in with SCRAM to Kafka 4 (librdkafka#4895): "
                "newsflow must stop and say so\n",
                rd_kafka_version_str());
        expect_refused("scram", &r, SASL_REFUSED, "librdkafka#4895");
    }
    check_no_secret("scram", &r, password);
    run_free(&r);

    /* The broker side: the Java client logs in with SCRAM-SHA-512 and sees the topic. */
    char java[512], cmd[2048], line[512];
    sibling("sasl-client.properties", java, sizeof(java));
    snprintf(cmd, sizeof(cmd),
             "NF_KAFKA_TOOL_OPTS='-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m' "
             "'%s/deploy/kafka/kafka.sh' tool org.apache.kafka.tools.TopicCommand "
             "--bootstrap-server '%s' --command-config '%s' --list 2>&1",
             NF_SOURCE_DIR, sasl_bootstrap, java);
    FILE *f = popen(cmd, "r");
    bool listed = false;
    while (f && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!strcmp(line, t.in))
            listed = true;
        else if (strstr(line, "rror") || strstr(line, "xception"))
            fprintf(stderr, "[scram] java: %s\n", line);
    }
    int rc = f ? pclose(f) : -1;
    fprintf(stderr, "[scram] Java client, SCRAM-SHA-512: %s\n",
            rc == 0 && listed ? "logged in, topic listed" : "FAILED");
    CHECK(rc == 0 && listed);
}

static void test_wrong_password(void)
{
    topics_t t;
    make_topics("wrong", &t);
    nf_test_seed(bootstrap, t.in, 0, 10, 0, 0, 0);
    static const char *const mechanisms[] = {"PLAIN", "SCRAM-SHA-512"};
    for (int i = 0; i < 2; i++) {
        char name[64];
        snprintf(name, sizeof(name), "wrong %s", mechanisms[i]);
        run_t r = run_sasl(&t, mechanisms[i], NULL, WRONG_PASSWORD, i == 0, FAIL_BOUND_S + 30);
        expect_refused(name, &r, SASL_REFUSED, NULL);
        check_no_secret(name, &r, WRONG_PASSWORD);
        check_no_secret(name, &r, password);
        run_free(&r);
    }
    /* Nothing was consumed, nothing committed. */
    CHECK_INT(nf_test_group_lag(bootstrap, t.group, t.in), -1);
}

/*
 * The TLS listeners: SSL with a client certificate, and SASL_SSL with PLAIN (what to use
 * with librdkafka 2.0.2), each with newsflow's settings from kafka.sh's files (-c); then
 * SSL without a client certificate, and SSL without the CA: exit 1 within the bound,
 * naming the TLS handshake.
 */
static void test_tls(void)
{
    char ssl_conf[512], sasl_ssl_conf[512], ssl_b[256], ca[512], cert[512], key[512];
    sibling("ssl.properties", ssl_conf, sizeof(ssl_conf));
    sibling("sasl-ssl.properties", sasl_ssl_conf, sizeof(sasl_ssl_conf));
    if (!conf_get(ssl_conf, "kafka.bootstrap.servers", ssl_b, sizeof(ssl_b)) ||
        !conf_get(ssl_conf, "kafka.ssl.ca.location", ca, sizeof(ca)) ||
        !conf_get(ssl_conf, "kafka.ssl.certificate.location", cert, sizeof(cert)) ||
        !conf_get(ssl_conf, "kafka.ssl.key.location", key, sizeof(key)) ||
        access(sasl_ssl_conf, R_OK)) {
        const char *require = getenv("NF_REQUIRE_BROKER");
        fprintf(stderr, "[tls] %s: no TLS listeners (kafka.sh makes them when openssl exists)\n",
                require && !strcmp(require, "1") ? "FAIL" : "skipped");
        CHECK(!(require && !strcmp(require, "1")));
        return;
    }
    topics_t t;
    make_topics("tls", &t);
    nf_test_seed(bootstrap, t.in, 0, N, 0, 0, 0);
    run_t r = run_on(&t, ssl_conf, NULL, NULL, false, 120);
    expect_enriched("ssl, client certificate", &t, &r);
    run_free(&r);

    topics_t t2;
    make_topics("sasl-ssl", &t2);
    nf_test_seed(bootstrap, t2.in, 0, N, 0, 0, 0);
    r = run_on(&t2, sasl_ssl_conf, NULL, NULL, true, 120);
    expect_enriched("sasl_ssl, PLAIN", &t2, &r);
    check_no_secret("sasl_ssl, PLAIN", &r, password);
    run_free(&r);

    char a_b[300], a_ca[600], a_cert[600], a_key[600];
    snprintf(a_b, sizeof(a_b), "kafka.bootstrap.servers=%s", ssl_b);
    snprintf(a_ca, sizeof(a_ca), "kafka.ssl.ca.location=%s", ca);
    snprintf(a_cert, sizeof(a_cert), "kafka.ssl.certificate.location=%s", cert);
    snprintf(a_key, sizeof(a_key), "kafka.ssl.key.location=%s", key);
    const char *no_cert[] = {a_b, "kafka.security.protocol=SSL", a_ca, NULL};
    r = run_on(&t, NULL, no_cert, NULL, false, FAIL_BOUND_S + 30);
    expect_refused("ssl, no client certificate", &r, TLS_REFUSED, NULL);
    run_free(&r);
    const char *no_ca[] = {a_b, "kafka.security.protocol=SSL", a_cert, a_key, NULL};
    r = run_on(&t, NULL, no_ca, NULL, false, FAIL_BOUND_S + 30);
    expect_refused("ssl, broker's CA not trusted", &r, TLS_REFUSED, "certificate verify failed");
    run_free(&r);
}

static void test_dump_config(void)
{
    char a_pw[300], file[128];
    snprintf(a_pw, sizeof(a_pw), "kafka.sasl.password=%s", password);
    /* The file kafka.sh wrote: its password, bootstrap and mechanism. */
    snprintf(file, sizeof(file), "%s", sasl_config);
    char *from_flag[] = {NF_BINARY, "run", "-b", sasl_bootstrap, "-X", a_pw, "--dump-config", NULL};
    char *from_env[] = {NF_BINARY, "run", "-b", sasl_bootstrap, "--dump-config", NULL};
    char *from_file[] = {NF_BINARY, "run", "-c", file, "--dump-config", NULL};
    struct {
        const char *name;
        char *const *args;
        const char *env;
    } cases[] = {{"dump-config -X", from_flag, NULL},
                 {"dump-config NEWSFLOW_KAFKA_SASL_PASSWORD", from_env, password},
                 {"dump-config -c", from_file, NULL}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_t r = run_newsflow(cases[i].args, cases[i].env, 30);
        CHECK_INT(r.rc, 0);
        bool redacted = strstr(r.out, "kafka.sasl.password=[redacted]") != NULL;
        fprintf(stderr, "[%s] exit %d, kafka.sasl.password %s\n", cases[i].name, r.rc,
                redacted ? "redacted" : "NOT REDACTED");
        CHECK(redacted);
        check_no_secret(cases[i].name, &r, password);
        run_free(&r);
    }
    /* kafka.sh keeps the file private. */
    struct stat st;
    CHECK(stat(file, &st) == 0 && (st.st_mode & 077) == 0);
}

int main(void)
{
    bootstrap = nf_test_bootstrap();
    sasl_config = getenv("NF_TEST_SASL_CONFIG");
    if (!sasl_config || !*sasl_config) {
        const char *require = getenv("NF_REQUIRE_BROKER");
        if (require && !strcmp(require, "1")) {
            fprintf(stderr, "FAIL: NF_REQUIRE_BROKER=1 but NF_TEST_SASL_CONFIG is not set "
                            "(deploy/kafka/kafka.sh sasl-config)\n");
            return 1;
        }
        TEST_SKIP("no SASL listener: set NF_TEST_SASL_CONFIG=$(deploy/kafka/kafka.sh sasl-config)");
    }
    if (!read_sasl_config(sasl_config)) {
        fprintf(stderr,
                "FAIL: %s: want kafka.bootstrap.servers, kafka.sasl.username and "
                "kafka.sasl.password\n",
                sasl_config);
        return 1;
    }
    snprintf(prefix, sizeof(prefix), "sec%ld-%d", (long)time(NULL), (int)getpid());
    fprintf(stderr, "SASL listener %s, user %s; librdkafka %s\n", sasl_bootstrap, username,
            rd_kafka_version_str());

    test_plain();
    test_scram();
    test_wrong_password();
    test_tls();
    test_dump_config();
    TEST_DONE();
}
