/*
 * lines: a getline-based JSONL reader (see lines.h). Kept in consumer/ beside the
 * Kafka consumer because it is the other way input enters newsflow.
 */
#include "lines.h"
#include "err.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nf_lines {
    FILE *fp;
    char *name;
    char *buf;
    size_t cap;
    int64_t lineno;
};

nf_lines_t *nf_lines_open(const char *path, char *errstr, size_t errstr_size)
{
    nf_lines_t *l = calloc(1, sizeof(*l));
    if (!l) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    bool is_stdin = !strcmp(path, "-");
    l->name = strdup(is_stdin ? "<stdin>" : path);
    l->fp = is_stdin ? stdin : fopen(path, "r");
    if (!l->name || !l->fp) {
        snprintf(errstr, errstr_size, "cannot open %s: %s", path, strerror(errno));
        nf_lines_close(l);
        return NULL;
    }
    return l;
}

void nf_lines_close(nf_lines_t *l)
{
    if (!l)
        return;
    if (l->fp && l->fp != stdin)
        fclose(l->fp);
    free(l->name);
    free(l->buf);
    free(l);
}

int nf_lines_next(nf_lines_t *l, const char **line, size_t *len, int64_t *lineno)
{
    ssize_t n;
    while ((n = getline(&l->buf, &l->cap, l->fp)) != -1) {
        l->lineno++;
        while (n > 0 && (l->buf[n - 1] == '\n' || l->buf[n - 1] == '\r'))
            n--;
        size_t i = 0;
        while (i < (size_t)n && (l->buf[i] == ' ' || l->buf[i] == '\t'))
            i++;
        if (i == (size_t)n)
            continue;
        *line = l->buf;
        *len = (size_t)n;
        *lineno = l->lineno;
        return 1;
    }
    return ferror(l->fp) ? NF_EIO : 0;
}

const char *nf_lines_name(const nf_lines_t *l)
{
    return l->name;
}
