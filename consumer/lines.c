/*
 * lines: a JSONL reader over zlib's gz* functions (see lines.h). gzread reads plain
 * files transparently, so one code path serves plain and gzip-compressed input, from
 * files or stdin. Kept in consumer/ beside the Kafka consumer because it is the other
 * way input enters newsflow.
 */
#include "lines.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct nf_lines {
    gzFile gz;
    char *name;
    char *buf; /* the current line */
    size_t cap;
    char chunk[65536]; /* decompressed bytes not yet split into lines */
    size_t chunk_pos, chunk_len;
    bool eof;
    int64_t lineno;
    int64_t size; /* bytes on disk, -1 if unknown */
};

nf_lines_t *nf_lines_open(const char *path, char *errstr, size_t errstr_size)
{
    nf_lines_t *l = calloc(1, sizeof(*l));
    if (!l) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    bool is_stdin = !strcmp(path, "-");
    l->size = -1;
    l->name = strdup(is_stdin ? "<stdin>" : path);
    int fd = is_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY);
    struct stat st;
    if (fd >= 0 && !is_stdin && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        l->size = st.st_size;
    l->gz = fd >= 0 ? gzdopen(fd, "rb") : NULL;
    if (!l->name || !l->gz) {
        snprintf(errstr, errstr_size, "cannot open %s: %s", path, strerror(errno));
        if (fd >= 0 && !l->gz)
            close(fd);
        nf_lines_close(l);
        return NULL;
    }
    gzbuffer(l->gz, 131072);
    return l;
}

void nf_lines_close(nf_lines_t *l)
{
    if (!l)
        return;
    if (l->gz)
        gzclose(l->gz);
    free(l->name);
    free(l->buf);
    free(l);
}

static bool buf_append(nf_lines_t *l, size_t *len, const char *p, size_t n)
{
    if (*len + n + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 4096;
        while (cap < *len + n + 1)
            cap *= 2;
        char *b = realloc(l->buf, cap);
        if (!b)
            return false;
        l->buf = b;
        l->cap = cap;
    }
    memcpy(l->buf + *len, p, n);
    *len += n;
    l->buf[*len] = '\0';
    return true;
}

/* Reads one line (without its newline) into l->buf; 1, 0 at end, or NF_EIO/NF_ENOMEM. */
static int read_line(nf_lines_t *l, size_t *len)
{
    *len = 0;
    for (;;) {
        if (l->chunk_pos == l->chunk_len) {
            if (l->eof)
                return *len > 0 ? 1 : 0;
            int n = gzread(l->gz, l->chunk, sizeof(l->chunk));
            if (n < 0)
                return NF_EIO;
            if (n == 0) {
                l->eof = true;
                continue;
            }
            l->chunk_pos = 0;
            l->chunk_len = (size_t)n;
        }
        const char *start = l->chunk + l->chunk_pos;
        const char *nl = memchr(start, '\n', l->chunk_len - l->chunk_pos);
        size_t n = nl ? (size_t)(nl - start) : l->chunk_len - l->chunk_pos;
        if (!buf_append(l, len, start, n))
            return NF_ENOMEM;
        l->chunk_pos += n + (nl ? 1 : 0);
        if (nl)
            return 1;
    }
}

int nf_lines_next(nf_lines_t *l, const char **line, size_t *len, int64_t *lineno)
{
    int rc;
    size_t n;
    while ((rc = read_line(l, &n)) == 1) {
        l->lineno++;
        if (n > 0 && l->buf[n - 1] == '\r')
            n--;
        size_t i = 0;
        while (i < n && (l->buf[i] == ' ' || l->buf[i] == '\t'))
            i++;
        if (i == n)
            continue;
        *line = l->buf;
        *len = n;
        *lineno = l->lineno;
        return 1;
    }
    return rc;
}

const char *nf_lines_name(const nf_lines_t *l)
{
    return l->name;
}

int64_t nf_lines_size(const nf_lines_t *l)
{
    return l->size;
}

int64_t nf_lines_offset(const nf_lines_t *l)
{
    return l->gz ? (int64_t)gzoffset(l->gz) : 0;
}
