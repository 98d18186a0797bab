/*
 * offline: the classify mode's loop (see offline.h). Output is written with stdio in
 * large blocks; a write error (a closed pipe, a full disk) stops the run with NF_EIO
 * rather than silently dropping events.
 */
#include "offline.h"
#include "err.h"
#include "lines.h"
#include "log.h"

#include <errno.h>
#include <string.h>

static int classify_one(nf_pipeline_t *pipeline, const char *path, FILE *out,
                        nf_offline_stats_t *stats, nf_result_t *res)
{
    char errstr[512];
    nf_lines_t *lines = nf_lines_open(path, errstr, sizeof(errstr));
    if (!lines) {
        nf_log(NF_LOG_ERROR, "classify", "%s", errstr);
        return NF_EIO;
    }
    const char *line;
    size_t len;
    int64_t lineno;
    int rc, err = NF_OK;
    while ((rc = nf_lines_next(lines, &line, &len, &lineno)) == 1) {
        stats->lines++;
        nf_source_t src = {
            .topic = nf_lines_name(lines), .partition = -1, .offset = lineno, .timestamp_ms = -1};
        if (nf_pipeline_process(pipeline, line, len, &src, res) != NF_OK) {
            stats->rejected++;
            fprintf(stderr, "%s:%lld: %s: %s\n", nf_lines_name(lines), (long long)lineno,
                    res->reason, res->error);
            continue;
        }
        if (res->deleted) {
            fprintf(stderr, "%s:%lld: deletion of article %s (tombstones are Kafka-only)\n",
                    nf_lines_name(lines), (long long)lineno, res->article.id);
            continue;
        }
        stats->enriched++;
        if (fwrite(res->enriched.data, 1, res->enriched.len, out) != res->enriched.len ||
            fputc('\n', out) == EOF) {
            nf_log(NF_LOG_ERROR, "classify", "cannot write output: %s", strerror(errno));
            err = NF_EIO;
            break;
        }
    }
    if (rc < 0) {
        nf_log(NF_LOG_ERROR, "classify", "cannot read %s", nf_lines_name(lines));
        err = NF_EIO;
    }
    nf_lines_close(lines);
    return err;
}

int nf_offline_classify(nf_pipeline_t *pipeline, const char *const *paths, int n, FILE *out,
                        nf_offline_stats_t *stats)
{
    static const char *const stdin_only[] = {"-"};
    nf_result_t res = {0};
    memset(stats, 0, sizeof(*stats));
    if (n == 0) {
        paths = stdin_only;
        n = 1;
    }
    int rc = NF_OK;
    for (int i = 0; i < n && rc == NF_OK; i++)
        rc = classify_one(pipeline, paths[i], out, stats, &res);
    if (rc == NF_OK && fflush(out) == EOF) {
        nf_log(NF_LOG_ERROR, "classify", "cannot write output: %s", strerror(errno));
        rc = NF_EIO;
    }
    nf_result_free(&res);
    return rc;
}
