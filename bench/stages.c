/*
 * stages: where `newsflow classify` spends its time, stage by stage.
 *
 *   bench/stages FILE.jsonl [RULES_DIR]
 *
 * Reads the whole file into memory first (so that no I/O is timed), then makes two
 * passes over its lines. The first runs the pipeline's stages one by one as
 * nf_pipeline_process() chains them (decode, tokenise, classify, extract, story, encode:
 * each field is tokenised once, and classify and extract share the tokens) and times
 * each; the second runs nf_pipeline_process() itself, which is what `newsflow classify`
 * does per line. Figures are per article: microseconds of this thread's CPU time and,
 * where the kernel lets us count them (perf_event_paranoid <= 2), thousands of user-space
 * instructions and cycles, which a busy shared machine disturbs far less than time. Not
 * installed; built with the rest so that it cannot rot.
 *
 * Where no counters are available (containers), or to see where inside a stage the
 * instructions go, run pass 2 under callgrind, which counts instructions exactly and the
 * same on every run however loaded the machine is:
 *
 *   python3 bench/gen_articles.py 2000 > /tmp/a.jsonl
 *   valgrind --tool=callgrind --toggle-collect=nf_pipeline_process \
 *       build/bench/stages /tmp/a.jsonl rules
 *   callgrind_annotate --inclusive=yes callgrind.out.<pid>
 *
 * and divide by 2,000 for instructions per article (a Release build with -g added to
 * CMAKE_C_FLAGS_RELEASE annotates source lines without changing the code).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>

#include "classify.h"
#include "config.h"
#include "decode.h"
#include "encode.h"
#include "extract.h"
#include "log.h"
#include "nf_build.h"
#include "pipeline.h"
#include "story.h"
#include "tokens.h"

enum { ST_DECODE, ST_TOKENISE, ST_CLASSIFY, ST_EXTRACT, ST_STORY, ST_ENCODE, ST__CNT };
static const char *const stage_names[ST__CNT] = {"decode",  "tokenise", "classify",
                                                 "extract", "story",    "encode"};

/* One reading of the meters: thread CPU time, user instructions and cycles. */
typedef struct meter {
    double ns, ins, cyc;
} meter_t;

static int perf_fd = -1; /* group leader: instructions, then cycles; -1: not available */

static int perf_open(uint64_t config, int group)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.type = PERF_TYPE_HARDWARE;
    attr.size = sizeof(attr);
    attr.config = config;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    attr.read_format = PERF_FORMAT_GROUP;
    return (int)syscall(SYS_perf_event_open, &attr, 0, -1, group, 0);
}

static void meters_open(void)
{
    perf_fd = perf_open(PERF_COUNT_HW_INSTRUCTIONS, -1);
    if (perf_fd >= 0 && perf_open(PERF_COUNT_HW_CPU_CYCLES, perf_fd) < 0) {
        close(perf_fd);
        perf_fd = -1;
    }
}

/*
 * Thread CPU time rather than wall time: the machines this runs on are shared, and a
 * stage's wall time counts whatever else ran meanwhile. A reading costs a system call or
 * two; that cost is measured and taken off each stage.
 */
static meter_t meter_read(void)
{
    struct timespec ts;
    meter_t m = {0};
    uint64_t v[3] = {0};
    if (perf_fd >= 0 && read(perf_fd, v, sizeof(v)) == (ssize_t)sizeof(v)) {
        m.ins = (double)v[1];
        m.cyc = (double)v[2];
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    m.ns = (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
    return m;
}

static void meter_add(meter_t *sum, meter_t from, meter_t to)
{
    sum->ns += to.ns - from.ns;
    sum->ins += to.ins - from.ins;
    sum->cyc += to.cyc - from.cyc;
}

static void meter_print(const char *name, meter_t m, double n, meter_t tick, int ticks)
{
    printf("  %-9s %8.2f us", name, (m.ns / n - ticks * tick.ns) / 1e3);
    if (perf_fd >= 0)
        printf(" %9.1f k instructions %9.1f k cycles", (m.ins / n - ticks * tick.ins) / 1e3,
               (m.cyc / n - ticks * tick.cyc) / 1e3);
    printf(" per article\n");
}

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(fp);
    *len = n;
    return buf;
}

typedef struct line {
    const char *p;
    size_t len;
} line_t;

typedef struct analysis {
    const nf_classification_t *cls;
    const nf_article_t *article;
    const nf_extraction_t *ex;
    const nf_story_info_t *story;
} analysis_t;

static void encode_analysis(const void *ctx, nf_buf_t *out)
{
    const analysis_t *an = ctx;
    nf_classification_encode(an->cls, an->article, out);
    nf_extraction_encode(an->ex, out);
    nf_story_encode(an->story, out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.jsonl [RULES_DIR]\n", argv[0]);
        return 2;
    }
    const char *rules = argc > 2 ? argv[2] : NF_SOURCE_DIR "/rules";
    nf_log_set_level(NF_LOG_WARN);
    size_t size;
    char *data = read_file(argv[1], &size);
    if (!data) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    size_t n = 0, cap = 1024;
    line_t *lines = malloc(cap * sizeof(*lines));
    for (char *p = data, *end = data + size; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len) {
            if (n == cap)
                lines = realloc(lines, (cap *= 2) * sizeof(*lines));
            lines[n++] = (line_t){p, len};
        }
        p += len + 1;
    }

    char err[512];
    nf_classifier_t *classifier = nf_classifier_new(rules, NULL, err, sizeof(err));
    nf_extractor_t *extractor = classifier ? nf_extractor_new(rules, err, sizeof(err)) : NULL;
    nf_story_t *story = extractor ? nf_story_new(NULL, err, sizeof(err)) : NULL;
    nf_lexicon_t *lexicon = nf_lexicon_new();
    nf_toks_t toks[NF_FIELD__CNT] = {{0}};
    if (!story || !lexicon) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }

    /* what one reading costs */
    meters_open();
    meter_t tick = {0}, k0 = meter_read(), k1;
    for (int i = 0; i < 10000; i++)
        k1 = meter_read();
    meter_add(&tick, k0, k1);
    tick.ns /= 10000;
    tick.ins /= 10000;
    tick.cyc /= 10000;

    /* pass 1: the stages one by one */
    meter_t t[ST__CNT] = {{0}};
    nf_article_t article = {0};
    nf_classification_t cls;
    nf_extraction_t ex = {0};
    nf_story_info_t info;
    nf_buf_t out = {0};
    size_t done = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        nf_source_t src = {
            .topic = argv[1], .partition = -1, .offset = (int64_t)i + 1, .timestamp_ms = -1};
        meter_t a = meter_read();
        nf_article_clear(&article);
        nf_reject_t rej = nf_decode(lines[i].p, lines[i].len, NULL, &article, err, sizeof(err));
        meter_t b = meter_read();
        meter_add(&t[ST_DECODE], a, b);
        if (rej != NF_REJECT_NONE || article.deleted)
            continue;
        const char *fields[NF_FIELD__CNT] = {article.title, article.body, article.summary};
        for (int f = 0; f < NF_FIELD__CNT; f++) {
            toks[f].n = 0;
            if (fields[f])
                nf_tokenise(fields[f], strlen(fields[f]), lexicon, &toks[f]);
        }
        a = meter_read();
        meter_add(&t[ST_TOKENISE], b, a);
        nf_classify_tokens(classifier, &article, toks, &cls);
        unsigned mask = 0;
        for (int c = 0; c < NF_CAT__CNT; c++)
            mask |= cls.assigned[c] ? 1u << c : 0;
        b = meter_read();
        meter_add(&t[ST_CLASSIFY], a, b);
        a = b;
        nf_extract_tokens(extractor, &article, toks, mask, &ex);
        b = meter_read();
        meter_add(&t[ST_EXTRACT], a, b);
        nf_story_observe(story, article.id, article.title ? article.title : "",
                         article.summary ? article.summary : article.body, 0, &info);
        a = meter_read();
        meter_add(&t[ST_STORY], b, a);
        char evid[24];
        nf_event_id(&article, &src, evid, sizeof(evid));
        analysis_t an = {&cls, &article, &ex, &info};
        nf_encode_info_t ei = {.source = &src,
                               .event_id = evid,
                               .processed_at_ms = 0,
                               .processing_us = 0,
                               .extra = encode_analysis,
                               .extra_ctx = &an};
        nf_buf_reset(&out);
        nf_encode_enriched(&article, &ei, &out);
        b = meter_read();
        meter_add(&t[ST_ENCODE], a, b);
        bytes += out.len;
        done++;
    }
    nf_article_clear(&article);
    nf_extraction_free(&ex);
    nf_buf_free(&out);
    nf_story_destroy(story);
    for (int f = 0; f < NF_FIELD__CNT; f++)
        nf_toks_free(&toks[f]);
    nf_lexicon_destroy(lexicon);
    nf_extractor_destroy(extractor);
    nf_classifier_destroy(classifier);

    printf("%zu articles (%zu enriched), %.0f bytes in, %.0f bytes out per article\n", n, done,
           (double)size / (double)(n ? n : 1), (double)bytes / (double)(done ? done : 1));
    meter_t total = {0};
    for (int s = 0; s < ST__CNT; s++) {
        meter_print(stage_names[s], t[s], (double)n, tick, 1);
        total.ns += t[s].ns;
        total.ins += t[s].ins;
        total.cyc += t[s].cyc;
    }
    meter_print("stages", total, (double)n, tick, ST__CNT);

    /* pass 2: nf_pipeline_process, as `newsflow classify` runs it */
    nf_config_t *conf = nf_config_new();
    if (!conf || nf_config_set(conf, "rules.dir", rules, "bench", err, sizeof(err)) ||
        nf_config_set(conf, "alerts.rules", "none", "bench", err, sizeof(err))) {
        fprintf(stderr, "config: %s\n", err);
        return 1;
    }
    nf_pipeline_t *pipeline = nf_pipeline_new(conf, err, sizeof(err));
    if (!pipeline) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    nf_result_t res = {0};
    meter_t p0 = meter_read(), pt = {0};
    for (size_t i = 0; i < n; i++) {
        nf_source_t src = {
            .topic = argv[1], .partition = -1, .offset = (int64_t)i + 1, .timestamp_ms = -1};
        nf_pipeline_process(pipeline, lines[i].p, lines[i].len, &src, &res);
    }
    meter_add(&pt, p0, meter_read());
    meter_print("pipeline", pt, (double)n, tick, 0);
    printf("  pipeline: %.0f articles/s on one core\n", pt.ns > 0 ? 1e9 * (double)n / pt.ns : 0.0);
    nf_result_free(&res);
    nf_pipeline_destroy(pipeline);
    nf_config_destroy(conf);
    free(lines);
    free(data);
    return 0;
}
