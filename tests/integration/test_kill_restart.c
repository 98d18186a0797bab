/*
 * Kill tests on a real Apache Kafka broker, after the method of Kafka's own
 * transactions_test.py: seed an input topic while newsflow runs, SIGKILL newsflow at
 * random moments at least 10 times, restarting it each time, then let a last run
 * finish, and read every output topic with isolation.level=read_committed.
 *
 *   test_kill_restart eos   processing.guarantee=exactly_once: exactly one enriched
 *                           event per valid input and one dead letter per malformed
 *                           input, no more, no fewer.
 *   test_kill_restart alo   at-least-once: nothing lost; duplicates counted and
 *                           reported.
 *   test_kill_restart broker
 *                           exactly-once, the same kill schedule, and half-way the
 *                           broker itself is SIGKILLed and restarted on its port
 *                           (deploy/kafka/kafka.sh, the broker CI runs; skipped when
 *                           the broker at NF_TEST_BOOTSTRAP is not one kafka.sh runs
 *                           with NF_KAFKA_STATE): exactly once.
 *   test_kill_restart rebalance
 *                           exactly-once with two members in one group (own
 *                           transactional ids), through cooperative rebalances: B
 *                           joins (A commits before its partitions are revoked), B
 *                           leaves cleanly and comes back, A is killed (its partitions
 *                           are lost to B; its open transaction is fenced when it
 *                           restarts), then both run to the end: exactly once.
 *
 * 20,000 articles, 1% malformed, on 4 partitions, seeded in chunks over about 20 s.
 * Skips without NF_TEST_BOOTSTRAP unless NF_REQUIRE_BROKER=1.
 */
#include "support.h"
#include "test.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N         20000
#define BAD_EVERY 100
#define KILLS     10

static const char *bootstrap;
static bool eos;
static char in[128], out[128], dlq[128], group[128], txnid[128];

static pid_t spawn_member(bool exit_on_eof, const char *member)
{
    char a_in[200], a_out[200], a_dlq[200], a_group[200], a_txn[200];
    snprintf(a_in, sizeof(a_in), "input.topic=%s", in);
    snprintf(a_out, sizeof(a_out), "output.enriched.topic=%s", out);
    snprintf(a_dlq, sizeof(a_dlq), "output.dlq.topic=%s", dlq);
    snprintf(a_group, sizeof(a_group), "group.id=%s", group);
    snprintf(a_txn, sizeof(a_txn), "transactional.id=%s%s", txnid, member);
    char *argv[] = {NF_BINARY,
                    "run",
                    "-b",
                    (char *)bootstrap,
                    "-X",
                    a_in,
                    "-X",
                    a_out,
                    "-X",
                    a_dlq,
                    "-X",
                    a_group,
                    "-X",
                    a_txn,
                    "-X",
                    eos ? "processing.guarantee=exactly_once"
                        : "processing.guarantee=at_least_once",
                    "-X",
                    "output.deal.topic=",
                    "-X",
                    "output.funding.topic=",
                    "-X",
                    "output.infrastructure.topic=",
                    "-X",
                    "alerts.rules=none",
                    "-X",
                    "ops.listen=",
                    "-X",
                    "log.level=warn",
                    "-X",
                    "kafka.consumer.auto.offset.reset=earliest",
                    "-X",
                    "kafka.consumer.session.timeout.ms=6000",
                    exit_on_eof ? "-e" : NULL,
                    NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execv(NF_BINARY, argv);
        perror("execv " NF_BINARY);
        _exit(127);
    }
    return pid;
}

static pid_t spawn(bool exit_on_eof)
{
    return spawn_member(exit_on_eof, "");
}

/* Stops pid with sig and checks how it ended. */
static void stop(pid_t pid, int sig, const char *what)
{
    kill(pid, sig);
    int rc = nf_test_wait_exit(pid, 60);
    fprintf(stderr, "[rebalance] %s: exit %d, %lld enriched records so far\n", what, rc,
            (long long)nf_test_topic_size(bootstrap, out));
    CHECK_INT(rc, sig == SIGKILL ? 128 + SIGKILL : 0);
}

/* Two exactly-once members through joins, a clean leave and a kill (see the top). */
static void run_rebalance(void)
{
    pid_t a = spawn_member(false, "-a");
    sleep(4);
    pid_t b = spawn_member(false, "-b"); /* A commits, then gives up half its partitions */
    sleep(6);
    stop(b, SIGTERM, "B left cleanly"); /* B commits before its partitions go back */
    b = spawn_member(false, "-b");
    sleep(6);
    stop(a, SIGKILL, "A killed"); /* A's partitions are lost: B takes them over */
    sleep(2);
    a = spawn_member(false, "-a"); /* fences A's open transaction, rejoins */
    int64_t lag = -1;
    for (int i = 0; i < 240 && lag != 0; i++) {
        sleep(1);
        if (i >= 20) /* the seeder needs 20 s */
            lag = nf_test_group_lag(bootstrap, group, in);
    }
    CHECK_INT(lag, 0);
    stop(a, SIGTERM, "A stopped");
    stop(b, SIGTERM, "B stopped");
}

/* Runs a shell command, returns its first output line in buf (may be NULL). */
static int sh(const char *cmd, char *buf, size_t size)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    char line[512] = "";
    if (!fgets(line, sizeof(line), f))
        line[0] = '\0';
    line[strcspn(line, "\n")] = '\0';
    if (buf)
        snprintf(buf, size, "%s", line);
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define KAFKA_SH NF_SOURCE_DIR "/deploy/kafka/kafka.sh"

/* Is the broker at bootstrap the one kafka.sh runs for NF_KAFKA_STATE? */
static bool broker_is_ours(void)
{
    char b[256];
    return getenv("NF_KAFKA_STATE") && sh(KAFKA_SH " bootstrap 2>/dev/null", b, sizeof(b)) == 0 &&
           !strcmp(b, bootstrap);
}

/* SIGKILLs the broker, then starts it again on the same port and waits until ready. */
static void broker_kill_restart(void)
{
    char pidfile[600], pid[64], cmd[800];
    snprintf(pidfile, sizeof(pidfile), "cat '%s/kafka.pid'", getenv("NF_KAFKA_STATE"));
    CHECK_INT(sh(pidfile, pid, sizeof(pid)), 0);
    int64_t t0 = nf_mono_ms();
    kill((pid_t)atoi(pid), SIGKILL);
    for (int i = 0; i < 100 && kill((pid_t)atoi(pid), 0) == 0; i++)
        usleep(100000);
    sleep(2);
    const char *port = strrchr(bootstrap, ':');
    snprintf(cmd, sizeof(cmd), KAFKA_SH " start --port %s >&2", port ? port + 1 : "9092");
    CHECK_INT(sh(cmd, NULL, 0), 0);
    fprintf(stderr, "[broker] broker SIGKILLed and back after %lld ms\n",
            (long long)(nf_mono_ms() - t0));
}

/* Seeds the input in 40 chunks, one every 500 ms, while newsflow is being killed. */
static void *seeder(void *arg)
{
    for (int c = 0; c < 40; c++) {
        nf_test_seed(bootstrap, in, c * (N / 40), N / 40, BAD_EVERY, 0, 0);
        usleep(500000);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    bootstrap = nf_test_bootstrap();
    bool rebalance = argc > 1 && !strcmp(argv[1], "rebalance");
    bool broker = argc > 1 && !strcmp(argv[1], "broker");
    eos = argc > 1 && (!strcmp(argv[1], "eos") || rebalance || broker);
    const char *mode = rebalance ? "rebalance" : broker ? "broker" : eos ? "eos" : "alo";
    if (broker && !broker_is_ours()) {
        if (getenv("NF_REQUIRE_BROKER") && !strcmp(getenv("NF_REQUIRE_BROKER"), "1")) {
            fprintf(stderr, "the broker at %s is not kafka.sh's for NF_KAFKA_STATE\n", bootstrap);
            return 1;
        }
        TEST_SKIP("the broker at %s is not run by deploy/kafka/kafka.sh with NF_KAFKA_STATE",
                  bootstrap);
    }
    long stamp = (long)time(NULL);
    snprintf(in, sizeof(in), "kill%ld-%d.%s.articles", stamp, (int)getpid(), mode);
    snprintf(out, sizeof(out), "kill%ld-%d.%s.enriched", stamp, (int)getpid(), mode);
    snprintf(dlq, sizeof(dlq), "kill%ld-%d.%s.dlq", stamp, (int)getpid(), mode);
    snprintf(group, sizeof(group), "kill%ld-%d.%s.group", stamp, (int)getpid(), mode);
    snprintf(txnid, sizeof(txnid), "kill%ld-%d.%s.txn", stamp, (int)getpid(), mode);
    nf_test_create_topic(bootstrap, in, 4);
    nf_test_create_topic(bootstrap, out, 4);
    nf_test_create_topic(bootstrap, dlq, 2);

    pthread_t seed_thread;
    pthread_create(&seed_thread, NULL, seeder, NULL);
    srand(20261129);
    for (int k = 0; k < KILLS && !rebalance; k++) {
        pid_t pid = spawn(false);
        /* Between 2.5 and 7.5 s: a restarted member waits up to the session timeout (6 s)
         * for the group to let it in, so most kills land while messages and
         * transactions are in flight, some during start-up or the group join. */
        int ms = 2500 + rand() % 5000;
        usleep((useconds_t)ms * 1000);
        bool broker_down = broker && k == KILLS / 2;
        if (broker_down)
            broker_kill_restart();
        int64_t so_far = nf_test_topic_size(bootstrap, out);
        kill(pid, SIGKILL);
        int rc = nf_test_wait_exit(pid, 30);
        fprintf(stderr, "[%s] kill %d after %d ms: exit %d, %lld enriched records so far\n", mode,
                k + 1, ms, rc, (long long)so_far);
        /* with the broker gone, newsflow may also have stopped by itself (a fatal
         * transaction error exits 1 for the supervisor to restart it) */
        if (!(broker_down && rc == 1))
            CHECK_INT(rc, 128 + SIGKILL);
    }
    if (rebalance)
        run_rebalance();
    pthread_join(seed_thread, NULL);
    if (!rebalance)
        CHECK_INT(nf_test_wait_exit(spawn(true), 300), 0);

    nf_test_recs_t enriched = {0}, dead = {0};
    nf_test_read_all(bootstrap, out, "read_committed", &enriched);
    nf_test_read_all(bootstrap, dlq, "read_committed", &dead);
    int missing, dups;
    nf_test_count_ids(&enriched, 0, N, BAD_EVERY, &missing, &dups);
    int dead_distinct = 0, dead_dups = 0;
    char *seen = calloc(N, 1);
    for (size_t i = 0; i < dead.n; i++) {
        int idx;
        if (dead.v[i].key && sscanf(dead.v[i].key, "bad-%d", &idx) == 1 && idx >= 0 && idx < N) {
            if (seen[idx])
                dead_dups++;
            else
                dead_distinct++;
            seen[idx] = 1;
        }
    }
    free(seen);
    fprintf(stderr,
            "[%s] %d kills; enriched %zu (missing %d, duplicates %d); dead letters %zu "
            "(distinct %d of %d, duplicates %d)\n",
            mode, rebalance ? 1 : KILLS, enriched.n, missing, dups, dead.n, dead_distinct,
            N / BAD_EVERY, dead_dups);
    CHECK_INT(missing, 0);
    CHECK_INT(dead_distinct, N / BAD_EVERY);
    CHECK_INT((int)enriched.n - dups, N - N / BAD_EVERY);
    if (eos) {
        CHECK_INT(dups, 0);
        CHECK_INT(dead_dups, 0);
        CHECK_INT((int)dead.n, N / BAD_EVERY);
    }
    CHECK_INT(nf_test_group_lag(bootstrap, group, in), 0);
    nf_test_recs_free(&enriched);
    nf_test_recs_free(&dead);
    TEST_DONE();
}
