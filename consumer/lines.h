/*
 * lines: the file source. Reads newline-delimited records (JSONL) from files or from
 * standard input ("-"), one at a time, with the file name and line number of each, for
 * the modes that work without Kafka (classify, eval, train, publish).
 *
 * Lines may be of any length (the buffer grows), a trailing "\r" is dropped, and blank
 * lines are skipped. The reader owns the returned line until the next call.
 */
#ifndef NF_LINES_H
#define NF_LINES_H

#include <stddef.h>
#include <stdint.h>

typedef struct nf_lines nf_lines_t;

/* Opens path ("-" for stdin). Returns NULL and fills errstr on failure. */
nf_lines_t *nf_lines_open(const char *path, char *errstr, size_t errstr_size);
/* Closes the file (not stdin) and frees the reader. NULL is a no-op. */
void nf_lines_close(nf_lines_t *lines);
/*
 * Next non-blank line: returns 1 and sets *line, *len (not counting the newline) and
 * *lineno (1-based); 0 at end of input; NF_EIO on a read error.
 */
int nf_lines_next(nf_lines_t *lines, const char **line, size_t *len, int64_t *lineno);
/* The name given to nf_lines_open ("-" shown as "<stdin>"). */
const char *nf_lines_name(const nf_lines_t *lines);
/* Size of the file on disk (-1 for pipes), and how many of its bytes were read so far
 * (compressed bytes for gzip input): for progress reporting. */
int64_t nf_lines_size(const nf_lines_t *lines);
int64_t nf_lines_offset(const nf_lines_t *lines);

#endif
