/*
 * main: the `newsflow` command line.
 *
 * Parses the sub-command and its flags, builds the configuration (defaults, file,
 * environment, flags, in that order of precedence), and runs the chosen mode. This is
 * the only place that exits the process. Exit codes: 0 success, 1 runtime failure,
 * 2 usage or configuration error, 3 shutdown with outputs still undelivered.
 *
 * Signals: the first SIGINT/SIGTERM starts a clean shutdown through libevent; the
 * signal events are then removed, which restores the default action, so a second
 * signal ends the process at once.
 */
#include "classify.h"
#include "config.h"
#include "err.h"
#include "evaluate.h"
#include "log.h"
#include "loop.h"
#include "mock.h"
#include "nf_build.h"
#include "offline.h"
#include "ops.h"
#include "reload.h"
#include "pipeline.h"
#include "publish.h"
#include "range.h"
#include "util.h"

#include <event2/event.h>
#include <getopt.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_UNDELIVERED = 3 };

static void usage_main(FILE *out)
{
    fprintf(out,
            "newsflow %s: real-time news-event processor for Apache Kafka\n"
            "\n"
            "Usage: newsflow <command> [options]\n"
            "\n"
            "Commands:\n"
            "  run        consume articles, enrich them and republish (the streaming service)\n"
            "  replay     reprocess a time or offset range of the input topic (backfill)\n"
            "  classify   enrich article JSONL from files or stdin to stdout, without Kafka\n"
            "  publish    load article JSONL files (plain or gzip) into a topic\n"
            "  eval       precision, recall and F1 of the classifier on labeled JSONL files\n"
            "  train      train the classifier's model on labeled JSONL files\n"
            "  version    print the version\n"
            "  help       this help; `newsflow <command> --help` for a command's options\n"
            "\n"
            "With no kafka.* setting, `run` starts an embedded in-process Kafka cluster\n"
            "loaded with sample articles, for a first look. See README.md and docs/.\n",
            NF_VERSION);
}

static void usage_common(FILE *out)
{
    fprintf(out,
            "Configuration (later sources override earlier ones):\n"
            "  -c, --config FILE     properties file of key=value lines\n"
            "  NEWSFLOW_<KEY>        environment, e.g. NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS\n"
            "  -X, --set KEY=VALUE   set any key; kafka.<prop> passes <prop> to librdkafka\n"
            "      --dump-config     print the effective configuration (secrets redacted), exit\n"
            "      --help-config     print every configuration key with its default, exit\n"
            "  -h, --help            this help\n");
}

static void usage_run(FILE *out)
{
    fprintf(out,
            "Usage: newsflow run [options]\n"
            "\n"
            "Consumes article events from input.topic in consumer group group.id, enriches\n"
            "them, and produces enriched events to output.enriched.topic and rejected inputs\n"
            "to output.dlq.topic, at least once. Stops cleanly on SIGINT/SIGTERM.\n"
            "\n"
            "  -b, --brokers LIST    same as -X kafka.bootstrap.servers=LIST\n"
            "  -e, --exit-on-eof     exit once all assigned partitions are consumed and delivered\n"
            "  -p, --print           print each delivered enriched event to stdout\n"
            "  -v, --verbose         same as -X log.level=debug\n"
            "\n");
    usage_common(out);
}

static void usage_classify(FILE *out)
{
    fprintf(out, "Usage: newsflow classify [options] [FILE...]\n"
                 "\n"
                 "Reads article JSONL from each FILE (or stdin when none or \"-\"), runs the same\n"
                 "pipeline as `run`, and writes one enriched event per line to stdout. Rejected\n"
                 "lines are reported on stderr as FILE:LINE: reason: detail, and the run goes on.\n"
                 "Exit status 0 unless a file cannot be read or stdout cannot be written.\n"
                 "\n");
    usage_common(out);
}

static void usage_replay(FILE *out)
{
    fprintf(
        out,
        "Usage: newsflow replay --from POS [--to POS] [options]\n"
        "\n"
        "Reprocesses [from, to) of every partition of input.topic and stops at the end\n"
        "offsets computed at start, even while new messages arrive. Partitions are\n"
        "assigned directly (no group join) and offsets are committed to a replay group,\n"
        "never to the live group.id. Outputs carry \"replay\": true and the header\n"
        "newsflow.replay: true.\n"
        "\n"
        "POS: beginning | now | an RFC 3339 time (2026-11-29T10:00:00Z: the first\n"
        "     message at or after it) | partition:offset,partition:offset\n"
        "\n"
        "      --from POS           start of the range (required)\n"
        "      --to POS             end of the range, exclusive (default: now)\n"
        "      --rate N             at most N input messages per second (default: no limit)\n"
        "      --output-suffix S    write to <topic>S (e.g. .backfill) instead of the live topics\n"
        "      --group G            consumer group for the replay's commits\n"
        "                           (default: <group.id>-replay-<hash of the range>)\n"
        "      --alerts             fire alerts for replayed events too (default: never)\n"
        "      --no-progress        no progress bar or progress lines\n"
        "  -b, --brokers LIST       same as -X kafka.bootstrap.servers=LIST\n"
        "\n");
    usage_common(out);
}

static void usage_publish(FILE *out)
{
    fprintf(out, "Usage: newsflow publish [options] [FILE...]\n"
                 "\n"
                 "Loads article JSONL (plain or gzip; stdin when no FILE or \"-\") into a topic,\n"
                 "one message per line keyed by the article id, for backfilling from archives.\n"
                 "Lines without a usable id are sent without a key (newsflow run dead-letters\n"
                 "them with the reason). Exit status 0 when every line was delivered.\n"
                 "\n"
                 "  -t, --topic TOPIC     target topic (default: input.topic)\n"
                 "  -b, --brokers LIST    same as -X kafka.bootstrap.servers=LIST\n"
                 "      --no-progress     no progress bar or progress lines\n"
                 "\n");
    usage_common(out);
}

static void usage_eval(FILE *out)
{
    fprintf(out,
            "Usage: newsflow eval [options] LABELED.jsonl...\n"
            "\n"
            "Scores the classifier on each file separately (never pooled): per category\n"
            "precision, recall and F1, macro F1, a confusion table and the misclassified ids.\n"
            "Labeled lines are articles with \"labels\": [\"deal\", \"funding\",\n"
            "\"infrastructure\" or \"other\"]. By default only the held-out part of each file\n"
            "(never used in training; see rules/classifier/README.md) is scored.\n"
            "\n"
            "      --json            one JSON document instead of text\n"
            "      --split WHICH     heldout (default), train or all\n"
            "      --max-ids N       misclassified ids listed per file (default 20, -1: all)\n"
            "      --model FILE      model to evaluate (default: model.bin in rules.dir)\n"
            "\n");
    usage_common(out);
}

static void usage_train(FILE *out)
{
    fprintf(out,
            "Usage: newsflow train [options] -o MODEL LABELED.jsonl...\n"
            "\n"
            "Trains the classifier's linear model (hashed word n-grams and rule features,\n"
            "one logistic regression per category, AdaGrad) on the training part of each\n"
            "file and chooses thresholds by cross-validation. Deterministic: the same files\n"
            "in the same order give a byte-identical model. The model holds weights only.\n"
            "\n"
            "  -o, --output MODEL    where to write the model (required)\n"
            "      --epochs N        passes over the data (default 6)\n"
            "      --seed N          example order seed (default 20261129)\n"
            "      --folds N         cross-validation folds for thresholds (default 5)\n"
            "      --use-heldout     train on the held-out part too (then eval --split heldout\n"
            "                        no longer measures unseen data)\n"
            "      --learning-rate R AdaGrad base rate (default 0.2)\n"
            "      --l2 X            L2 shrinkage per weight update (default 1e-5)\n"
            "      --bags N          fits over different example orders, averaged (default 5)\n"
            "      --oof FILE        write each training item's out-of-fold scores to FILE\n"
            "                        (file index, id, label bits, 3 scores, 3 rule scores)\n"
            "\n");
    usage_common(out);
}

typedef struct cli {
    const char *config_file;
    char **sets; /* "key=value" in command-line order */
    int sets_n;
    bool dump_config;
    bool help_config;
} cli_t;

static int cli_add_set(cli_t *cli, const char *kv)
{
    char **sets = realloc(cli->sets, (size_t)(cli->sets_n + 1) * sizeof(*sets));
    if (!sets)
        return NF_ENOMEM;
    cli->sets = sets;
    cli->sets[cli->sets_n++] = (char *)kv;
    return NF_OK;
}

/* The options every command shares (-c, -X, --dump-config); true if opt was one. */
static bool common_opt(cli_t *cli, int opt)
{
    switch (opt) {
    case 'c':
        cli->config_file = optarg;
        return true;
    case 'X':
        cli_add_set(cli, optarg);
        return true;
    case 'D':
        cli->dump_config = true;
        return true;
    default:
        return false;
    }
}

/*
 * Builds the configuration in precedence order. Flags that are shorthands (-b, -e, ...)
 * were already turned into KEY=VALUE sets by the caller, in command-line order.
 */
static nf_config_t *build_config(const cli_t *cli)
{
    char errstr[768];
    nf_config_t *conf = nf_config_new();
    if (!conf) {
        fprintf(stderr, "newsflow: out of memory\n");
        return NULL;
    }
    if (cli->config_file && nf_config_load_file(conf, cli->config_file, errstr, sizeof(errstr)))
        goto err;
    if (nf_config_load_env(conf, environ, errstr, sizeof(errstr)))
        goto err;
    for (int i = 0; i < cli->sets_n; i++) {
        char *kv = strdup(cli->sets[i]);
        if (!kv)
            goto err;
        char *eq = strchr(kv, '=');
        if (!eq) {
            snprintf(errstr, sizeof(errstr), "-X %s: expected KEY=VALUE", cli->sets[i]);
            free(kv);
            goto err;
        }
        *eq = '\0';
        char source[300];
        snprintf(source, sizeof(source), "flag -X %s", kv);
        int rc = nf_config_set(conf, kv, eq + 1, source, errstr, sizeof(errstr));
        free(kv);
        if (rc)
            goto err;
    }
    nf_log_set_level(conf->log_level);
    nf_log_set_json(conf->log_format == 1);
    return conf;

err:
    fprintf(stderr, "newsflow: configuration error: %s\n", errstr);
    nf_config_destroy(conf);
    return NULL;
}

static struct event *sig_events[2];

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    nf_loop_t *loop = arg;
    nf_log(NF_LOG_INFO, "main", "received %s: shutting down (send it again to exit at once)",
           sig == SIGINT ? "SIGINT" : "SIGTERM");
    /* Deleting the events restores the default action for the next signal. */
    for (int i = 0; i < 2; i++)
        if (sig_events[i])
            event_del(sig_events[i]);
    nf_loop_shutdown(loop);
}

/*
 * Runs the Kafka loop (the streaming service, or a replay) until it stops: builds the
 * event base, the pipeline, the loop and the signal events, dispatches, then frees in
 * reverse order. Returns the process exit code; stats, if given, receives the loop's
 * final statistics.
 */
static int serve(nf_config_t *conf, const nf_loop_replay_t *replay, nf_loop_stats_t *stats,
                 bool embedded)
{
    char errstr[768];
    int rc = EXIT_RUNTIME;
    struct event_base *base = event_base_new();
    nf_pipeline_t *pipeline = NULL;
    nf_loop_t *loop = NULL;
    nf_ops_t *ops = NULL;
    nf_reload_t *reload = NULL;
    struct event *ev_int = NULL, *ev_term = NULL;
    if (!base) {
        fprintf(stderr, "newsflow: cannot create event loop\n");
        goto cleanup;
    }
    pipeline = nf_pipeline_new(conf, errstr, sizeof(errstr));
    if (!pipeline) {
        fprintf(stderr, "newsflow: %s\n", errstr);
        goto cleanup;
    }
    nf_pipeline_set_replay(pipeline, replay != NULL);
    loop = nf_loop_new(conf, base, pipeline, replay, errstr, sizeof(errstr));
    if (!loop) {
        fprintf(stderr, "newsflow: %s\n", errstr);
        goto cleanup;
    }
    if (*conf->ops_listen &&
        !(ops = nf_ops_new(base, conf->ops_listen, loop, embedded, errstr, sizeof(errstr)))) {
        fprintf(stderr, "newsflow: %s\n", errstr);
        goto cleanup;
    }
    reload = nf_reload_new(base, conf, pipeline, nf_loop_metrics(loop), errstr, sizeof(errstr));
    if (!reload) {
        fprintf(stderr, "newsflow: %s\n", errstr);
        goto cleanup;
    }
    ev_int = evsignal_new(base, SIGINT, on_signal, loop);
    ev_term = evsignal_new(base, SIGTERM, on_signal, loop);
    sig_events[0] = ev_int;
    sig_events[1] = ev_term;
    if (!ev_int || !ev_term || event_add(ev_int, NULL) || event_add(ev_term, NULL)) {
        fprintf(stderr, "newsflow: cannot install signal handlers\n");
        goto cleanup;
    }
    nf_log(NF_LOG_INFO, "main", "newsflow %s %s: %s -> %s (dead letters: %s)", NF_VERSION,
           replay ? "replaying" : "running", conf->input_topic, conf->enriched_topic,
           conf->dlq_topic);
    int lrc = nf_loop_run(loop);
    rc = lrc == NF_OK ? 0 : lrc == NF_ETIMEDOUT ? EXIT_UNDELIVERED : EXIT_RUNTIME;
    if (stats)
        *stats = *nf_loop_stats(loop);

cleanup:
    /* In reverse order of creation. Removing the signal events restores the default
     * action, so a signal during a slow teardown ends the process at once. */
    if (ev_term)
        event_free(ev_term);
    if (ev_int)
        event_free(ev_int);
    sig_events[0] = sig_events[1] = NULL;
    nf_reload_destroy(reload);
    nf_ops_destroy(ops);
    nf_loop_destroy(loop);
    nf_pipeline_destroy(pipeline);
    if (base) {
        /* The webhook sender frees its DNS resolver from a 1 ms timer: let it run. */
        event_base_loop(base, EVLOOP_ONCE);
        event_base_free(base);
    }
    return rc;
}

/* Sub-command `run`. */
static int cmd_run(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},  {"set", required_argument, NULL, 'X'},
        {"brokers", required_argument, NULL, 'b'}, {"exit-on-eof", no_argument, NULL, 'e'},
        {"print", no_argument, NULL, 'p'},         {"verbose", no_argument, NULL, 'v'},
        {"dump-config", no_argument, NULL, 'D'},   {"help-config", no_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    char *owned[3] = {NULL, NULL, NULL};
    int opt, rc = EXIT_USAGE;
    while ((opt = getopt_long(argc, argv, "c:X:b:epvh", opts, NULL)) != -1) {
        if (common_opt(cli, opt))
            continue;
        switch (opt) {
        case 'b':
            free(owned[0]);
            owned[0] = malloc(strlen(optarg) + 32);
            if (!owned[0])
                goto out;
            sprintf(owned[0], "kafka.bootstrap.servers=%s", optarg);
            cli_add_set(cli, owned[0]);
            break;
        case 'e':
            cli_add_set(cli, "run.exit.on.eof=true");
            break;
        case 'p':
            cli_add_set(cli, "output.print=true");
            break;
        case 'v':
            cli_add_set(cli, "log.level=debug");
            break;
        case 'H':
            nf_config_print_reference(stdout);
            rc = 0;
            goto out;
        case 'h':
            usage_run(stdout);
            rc = 0;
            goto out;
        default:
            usage_run(stderr);
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "newsflow run: unexpected argument \"%s\"\n", argv[optind]);
        goto out;
    }

    nf_config_t *conf = build_config(cli);
    if (!conf)
        goto out;
    if (cli->dump_config) {
        nf_config_dump(conf, stdout);
        nf_config_destroy(conf);
        rc = 0;
        goto out;
    }

    char errstr[768];
    nf_mock_t *mock = NULL;
    if (!nf_config_has_kafka(conf)) {
        mock = nf_mock_start(conf, errstr, sizeof(errstr));
        if (!mock) {
            fprintf(stderr, "newsflow: %s\n", errstr);
            nf_config_destroy(conf);
            rc = EXIT_RUNTIME;
            goto out;
        }
        if (conf->output_print == NF_OUTPUT_PRINT_AUTO)
            conf->output_print = NF_OUTPUT_PRINT_ON;
    } else if (!nf_config_is_set(conf, "kafka.bootstrap.servers")) {
        fprintf(
            stderr,
            "newsflow: configuration error: kafka.* settings are given but kafka.bootstrap.servers is not: set it to your brokers (the embedded cluster is only used when no kafka.* setting is given)\n");
        nf_config_destroy(conf);
        goto out;
    }

    rc = serve(conf, NULL, NULL, mock != NULL);
    nf_mock_destroy(mock);
    nf_config_destroy(conf);
out:
    free(owned[0]);
    return rc;
}

/* Sub-command `replay`. */
static int cmd_replay(cli_t *cli, int argc, char **argv)
{
    enum { O_FROM = 1000, O_TO, O_RATE, O_SUFFIX, O_GROUP, O_NOPROGRESS, O_ALERTS };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 'X'},
        {"brokers", required_argument, NULL, 'b'},
        {"from", required_argument, NULL, O_FROM},
        {"to", required_argument, NULL, O_TO},
        {"rate", required_argument, NULL, O_RATE},
        {"output-suffix", required_argument, NULL, O_SUFFIX},
        {"group", required_argument, NULL, O_GROUP},
        {"no-progress", no_argument, NULL, O_NOPROGRESS},
        {"alerts", no_argument, NULL, O_ALERTS},
        {"dump-config", no_argument, NULL, 'D'},
        {"help-config", no_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *from = NULL, *to = "now", *suffix = NULL, *group = NULL;
    double rate = 0;
    bool progress = true;
    char brokers[1024] = "";
    int opt;
    while ((opt = getopt_long(argc, argv, "c:X:b:h", opts, NULL)) != -1) {
        if (common_opt(cli, opt))
            continue;
        switch (opt) {
        case 'b':
            snprintf(brokers, sizeof(brokers), "kafka.bootstrap.servers=%s", optarg);
            cli_add_set(cli, brokers);
            break;
        case O_FROM:
            from = optarg;
            break;
        case O_TO:
            to = optarg;
            break;
        case O_RATE: {
            char *end;
            rate = strtod(optarg, &end);
            if (*end || rate <= 0) {
                fprintf(stderr, "newsflow replay: --rate %s: expected a positive number\n", optarg);
                return EXIT_USAGE;
            }
            break;
        }
        case O_SUFFIX:
            suffix = optarg;
            break;
        case O_GROUP:
            group = optarg;
            break;
        case O_NOPROGRESS:
            progress = false;
            break;
        case O_ALERTS:
            cli_add_set(cli, "replay.alerts=true");
            break;
        case 'H':
            nf_config_print_reference(stdout);
            return 0;
        case 'h':
            usage_replay(stdout);
            return 0;
        default:
            usage_replay(stderr);
            return EXIT_USAGE;
        }
    }
    if (!from || optind < argc) {
        fprintf(stderr, "newsflow replay: %s\n\n",
                !from ? "--from is required" : "unexpected argument");
        usage_replay(stderr);
        return EXIT_USAGE;
    }
    nf_config_t *conf = build_config(cli);
    if (!conf)
        return EXIT_USAGE;
    if (cli->dump_config) {
        nf_config_dump(conf, stdout);
        nf_config_destroy(conf);
        return 0;
    }
    int rc = EXIT_USAGE;
    char errstr[768];
    nf_pos_t pfrom = {0}, pto = {0};
    rd_kafka_topic_partition_list_t *start = NULL, *end = NULL;
    if (!nf_config_is_set(conf, "kafka.bootstrap.servers")) {
        fprintf(
            stderr,
            "newsflow replay: set kafka.bootstrap.servers (-b): a replay reads an existing topic\n");
        goto out;
    }
    if (nf_pos_parse(from, conf->input_topic, &pfrom, errstr, sizeof(errstr)) ||
        nf_pos_parse(to, conf->input_topic, &pto, errstr, sizeof(errstr))) {
        fprintf(stderr, "newsflow replay: %s\n", errstr);
        goto out;
    }
    /* The replay's own group: never the live one, stable for the same range. */
    char gname[512];
    if (!group) {
        uint64_t h = nf_fnv1a(NF_FNV_SEED, conf->input_topic, strlen(conf->input_topic));
        h = nf_fnv1a(h, from, strlen(from));
        h = nf_fnv1a(h, to, strlen(to));
        snprintf(gname, sizeof(gname), "%s-replay-%08x", conf->group_id, (unsigned)(h >> 32));
        group = gname;
    }
    if (!strcmp(group, conf->group_id)) {
        fprintf(stderr, "newsflow replay: --group must differ from the live group.id %s\n",
                conf->group_id);
        goto out;
    }
    /* A replay usually runs beside the live service: no ops endpoint unless asked. */
    if ((!nf_config_is_set(conf, "ops.listen") &&
         nf_config_set(conf, "ops.listen", "", "replay", errstr, sizeof(errstr))) ||
        nf_config_set(conf, "group.id", group, "replay", errstr, sizeof(errstr))) {
        fprintf(stderr, "newsflow replay: %s\n", errstr);
        goto out;
    }
    rc = EXIT_RUNTIME;
    if (nf_range_resolve(conf, &pfrom, &pto, &start, &end, errstr, sizeof(errstr))) {
        fprintf(stderr, "newsflow replay: %s\n", errstr);
        goto out;
    }
    int64_t total = 0;
    for (int i = 0; i < start->cnt; i++) {
        total += end->elems[i].offset - start->elems[i].offset;
        nf_log(NF_LOG_INFO, "replay", "%s [%d]: offsets %lld to %lld", start->elems[i].topic,
               (int)start->elems[i].partition, (long long)start->elems[i].offset,
               (long long)end->elems[i].offset);
    }
    nf_log(NF_LOG_INFO, "replay", "%lld message(s) in %d partition(s), group %s%s%s",
           (long long)total, start->cnt, group, suffix ? ", outputs to <topic>" : "",
           suffix ? suffix : "");
    if (total == 0) {
        nf_log(NF_LOG_WARN, "replay", "nothing to replay in that range");
        rc = 0;
        goto out;
    }
    nf_loop_replay_t replay = {
        .start = start, .end = end, .rate = rate, .topic_suffix = suffix, .progress = progress};
    nf_loop_stats_t st = {0};
    int64_t t0 = nf_mono_ms();
    rc = serve(conf, &replay, &st, false);
    fprintf(stderr,
            "replay: %llu article(s) in %.1f s: %llu enriched (deal %llu, funding %llu, "
            "infrastructure %llu, other %llu), %llu deletion(s), %llu dead letter(s)\n",
            (unsigned long long)st.consumed, (double)(nf_mono_ms() - t0) / 1000.0,
            (unsigned long long)st.enriched, (unsigned long long)st.category[0],
            (unsigned long long)st.category[1], (unsigned long long)st.category[2],
            (unsigned long long)st.category[3], (unsigned long long)st.deleted,
            (unsigned long long)st.dead_lettered);
out:
    if (start)
        rd_kafka_topic_partition_list_destroy(start);
    if (end)
        rd_kafka_topic_partition_list_destroy(end);
    nf_pos_clear(&pfrom);
    nf_pos_clear(&pto);
    nf_config_destroy(conf);
    return rc;
}

/* Sub-command `publish`. */
static int cmd_publish(cli_t *cli, int argc, char **argv)
{
    enum { O_NOPROGRESS = 1000 };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 'X'},
        {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"no-progress", no_argument, NULL, O_NOPROGRESS},
        {"dump-config", no_argument, NULL, 'D'},
        {"help-config", no_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    nf_publish_opts_t popts = {.progress = true};
    char brokers[1024];
    int opt;
    while ((opt = getopt_long(argc, argv, "c:X:b:t:h", opts, NULL)) != -1) {
        if (common_opt(cli, opt))
            continue;
        switch (opt) {
        case 'b':
            snprintf(brokers, sizeof(brokers), "kafka.bootstrap.servers=%s", optarg);
            cli_add_set(cli, brokers);
            break;
        case 't':
            popts.topic = optarg;
            break;
        case O_NOPROGRESS:
            popts.progress = false;
            break;
        case 'H':
            nf_config_print_reference(stdout);
            return 0;
        case 'h':
            usage_publish(stdout);
            return 0;
        default:
            usage_publish(stderr);
            return EXIT_USAGE;
        }
    }
    nf_config_t *conf = build_config(cli);
    if (!conf)
        return EXIT_USAGE;
    int rc;
    if (cli->dump_config) {
        nf_config_dump(conf, stdout);
        rc = 0;
    } else if (!nf_config_is_set(conf, "kafka.bootstrap.servers")) {
        fprintf(stderr, "newsflow publish: set kafka.bootstrap.servers (-b)\n");
        rc = EXIT_USAGE;
    } else {
        popts.paths = (const char *const *)argv + optind;
        popts.npaths = argc - optind;
        rc = nf_publish(conf, &popts);
    }
    nf_config_destroy(conf);
    return rc;
}

/* Sub-commands `eval` and `train`. */
static int cmd_eval_train(cli_t *cli, int argc, char **argv, bool train)
{
    enum {
        O_JSON = 1000,
        O_SPLIT,
        O_MAXIDS,
        O_MODEL,
        O_EPOCHS,
        O_SEED,
        O_FOLDS,
        O_HELDOUT,
        O_OOF,
        O_RATE,
        O_L2,
        O_BAGS
    };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 'X'},
        {"json", no_argument, NULL, O_JSON},
        {"split", required_argument, NULL, O_SPLIT},
        {"max-ids", required_argument, NULL, O_MAXIDS},
        {"model", required_argument, NULL, O_MODEL},
        {"output", required_argument, NULL, 'o'},
        {"epochs", required_argument, NULL, O_EPOCHS},
        {"seed", required_argument, NULL, O_SEED},
        {"folds", required_argument, NULL, O_FOLDS},
        {"use-heldout", no_argument, NULL, O_HELDOUT},
        {"oof", required_argument, NULL, O_OOF},
        {"learning-rate", required_argument, NULL, O_RATE},
        {"l2", required_argument, NULL, O_L2},
        {"bags", required_argument, NULL, O_BAGS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    nf_eval_opts_t eopts = {.json = false, .split = NF_SPLIT_HELDOUT, .max_ids = 20};
    nf_train_opts_t topts = {0};
    const char *model = NULL, *output = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "c:X:o:h", opts, NULL)) != -1) {
        if (common_opt(cli, opt))
            continue;
        switch (opt) {
        case O_JSON:
            eopts.json = true;
            break;
        case O_SPLIT:
            if (!strcmp(optarg, "heldout"))
                eopts.split = NF_SPLIT_HELDOUT;
            else if (!strcmp(optarg, "all"))
                eopts.split = NF_SPLIT_ALL;
            else if (!strcmp(optarg, "train"))
                eopts.split = NF_SPLIT_TRAIN;
            else {
                fprintf(stderr, "newsflow eval: --split %s: use heldout, train or all\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case O_MAXIDS:
            eopts.max_ids = atoi(optarg);
            break;
        case O_MODEL:
            model = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case O_EPOCHS:
            topts.epochs = atoi(optarg);
            break;
        case O_SEED:
            topts.seed = strtoull(optarg, NULL, 10);
            break;
        case O_FOLDS:
            topts.folds = atoi(optarg);
            break;
        case O_HELDOUT:
            topts.use_heldout = true;
            break;
        case O_OOF:
            topts.oof_out = optarg;
            break;
        case O_RATE:
            topts.learning_rate = strtof(optarg, NULL);
            break;
        case O_L2:
            topts.l2 = strtof(optarg, NULL);
            break;
        case O_BAGS:
            topts.bags = atoi(optarg);
            break;
        case 'h':
            train ? usage_train(stdout) : usage_eval(stdout);
            return 0;
        default:
            train ? usage_train(stderr) : usage_eval(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc || (train && !output)) {
        fprintf(stderr, "newsflow %s: %s\n\n", train ? "train" : "eval",
                optind >= argc ? "no labeled files given" : "-o MODEL is required");
        train ? usage_train(stderr) : usage_eval(stderr);
        return EXIT_USAGE;
    }
    nf_config_t *conf = build_config(cli);
    if (!conf)
        return EXIT_USAGE;
    char rules[4096], errstr[1024];
    int rc = EXIT_RUNTIME;
    if (nf_pipeline_rules_dir(conf, rules, sizeof(rules), errstr, sizeof(errstr))) {
        fprintf(stderr, "newsflow: %s\n", errstr);
        goto out;
    }
    const char *const *files = (const char *const *)argv + optind;
    int nfiles = argc - optind;
    if (train) {
        topts.log = stderr;
        if (nf_train(files, nfiles, rules, output, &topts, errstr, sizeof(errstr))) {
            fprintf(stderr, "newsflow train: %s\n", errstr);
            goto out;
        }
        rc = 0;
        goto out;
    }
    nf_classifier_opts_t copts = {.model_path = model};
    nf_classifier_t *classifier = nf_classifier_new(rules, &copts, errstr, sizeof(errstr));
    if (!classifier) {
        fprintf(stderr, "newsflow eval: %s\n", errstr);
        goto out;
    }
    for (int i = 0; i < NF_CAT__CNT; i++)
        if (conf->threshold[i] >= 0)
            nf_classifier_set_threshold(classifier, i, (float)conf->threshold[i]);
    if (nf_eval(classifier, files, nfiles, &eopts, stdout, errstr, sizeof(errstr)))
        fprintf(stderr, "newsflow eval: %s\n", errstr);
    else
        rc = 0;
    nf_classifier_destroy(classifier);
out:
    nf_config_destroy(conf);
    return rc;
}

/* Sub-command `classify`. */
static int cmd_classify(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, 'X'},
        {"dump-config", no_argument, NULL, 'D'},  {"help-config", no_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "c:X:h", opts, NULL)) != -1) {
        if (common_opt(cli, opt))
            continue;
        switch (opt) {
        case 'H':
            nf_config_print_reference(stdout);
            return 0;
        case 'h':
            usage_classify(stdout);
            return 0;
        default:
            usage_classify(stderr);
            return EXIT_USAGE;
        }
    }
    nf_config_t *conf = build_config(cli);
    if (!conf)
        return EXIT_USAGE;
    if (cli->dump_config) {
        nf_config_dump(conf, stdout);
        nf_config_destroy(conf);
        return 0;
    }
    char errstr[768];
    nf_pipeline_t *pipeline = nf_pipeline_new(conf, errstr, sizeof(errstr));
    if (!pipeline) {
        fprintf(stderr, "newsflow: %s\n", errstr);
        nf_config_destroy(conf);
        return EXIT_RUNTIME;
    }
    nf_offline_stats_t stats;
    int64_t t0 = nf_mono_us();
    int rc = nf_offline_classify(pipeline, (const char *const *)argv + optind, argc - optind,
                                 stdout, &stats);
    double secs = (double)(nf_mono_us() - t0) / 1e6;
    nf_log(NF_LOG_INFO, "classify",
           "%llu line(s): %llu enriched, %llu rejected in %.3f s (%.0f lines/s)",
           (unsigned long long)stats.lines, (unsigned long long)stats.enriched,
           (unsigned long long)stats.rejected, secs, secs > 0 ? (double)stats.lines / secs : 0.0);
    nf_pipeline_destroy(pipeline);
    nf_config_destroy(conf);
    return rc == NF_OK ? 0 : EXIT_RUNTIME;
}

int main(int argc, char **argv)
{
#if defined(__GLIBC__)
    /*
     * A fixed mmap threshold: glibc raises it after the first large free, and then
     * librdkafka's fetch and decompression buffers fragment the heap arenas (bench/:
     * peak RSS through a backlog 94 -> 84-89 MB, same CPU). glibc's own environment
     * setting, MALLOC_MMAP_THRESHOLD_, wins when given.
     */
    if (!getenv("MALLOC_MMAP_THRESHOLD_"))
        mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage_main(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    cli_t cli = {0};
    int rc;
    if (!strcmp(cmd, "run")) {
        rc = cmd_run(&cli, argc - 1, argv + 1);
    } else if (!strcmp(cmd, "replay")) {
        rc = cmd_replay(&cli, argc - 1, argv + 1);
    } else if (!strcmp(cmd, "publish")) {
        rc = cmd_publish(&cli, argc - 1, argv + 1);
    } else if (!strcmp(cmd, "eval")) {
        rc = cmd_eval_train(&cli, argc - 1, argv + 1, false);
    } else if (!strcmp(cmd, "train")) {
        rc = cmd_eval_train(&cli, argc - 1, argv + 1, true);
    } else if (!strcmp(cmd, "classify")) {
        rc = cmd_classify(&cli, argc - 1, argv + 1);
    } else if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("newsflow %s (librdkafka %s)\n", NF_VERSION, rd_kafka_version_str());
        rc = 0;
    } else if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage_main(stdout);
        rc = 0;
    } else {
        fprintf(stderr, "newsflow: unknown command \"%s\"\n\n", cmd);
        usage_main(stderr);
        rc = EXIT_USAGE;
    }
    free(cli.sets);
    return rc;
}
