/*
 * fuzz: what the libFuzzer targets share. Oracles that turn a silent contract breach
 * into a crash libFuzzer can report (fuzz_check: a message and abort()), a strict UTF-8
 * check for what the modules promise is UTF-8, and a scratch file for loaders that read
 * only from a path.
 */
#ifndef NF_FUZZ_H
#define NF_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_check(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fuzz check failed: %s: ", __FILE__, __LINE__, #cond);          \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Whether <s, len> is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
static inline bool fuzz_utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c < 0xC2 || c > 0xF4)
            return false;
        need = c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        else if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        if (len - i <= need)
            return false;
        for (size_t k = 1; k <= need; k++) {
            unsigned char b = s[i + k];
            if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF))
                return false;
        }
        i += need + 1;
    }
    return true;
}

/* A NUL-terminated string is UTF-8 (NULL counts as valid: absent). */
static inline bool fuzz_str_valid(const char *s)
{
    return !s || fuzz_utf8_valid((const unsigned char *)s, strlen(s));
}

/*
 * A strict RFC 8259 validator: whether <s, len> is exactly one JSON object (whitespace
 * before it allowed, none after). Stricter than cJSON (which the targets used before): only the
 * four JSON whitespace bytes, the exact number grammar (no "01", "1.", "+1"), and, like cJSON, no
 * \u escape that is an unpaired surrogate and no nesting deeper than 1000. It allocates nothing
 * (cJSON made ~600 of fuzz_pipeline's ~620 mallocs per input). *err_at is the offset of the first
 * byte that is wrong (len if the text ends too soon).
 */
#define FUZZ_JSON_MAX_DEPTH 1000

typedef struct fuzz_json {
    const unsigned char *s;
    size_t len, i;
} fuzz_json_t;

static inline void fuzz_json_ws(fuzz_json_t *j)
{
    while (j->i < j->len &&
           (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' || j->s[j->i] == '\r'))
        j->i++;
}

static inline bool fuzz_json_lit(fuzz_json_t *j, const char *lit)
{
    size_t n = strlen(lit);
    if (j->len - j->i < n || memcmp(j->s + j->i, lit, n) != 0)
        return false;
    j->i += n;
    return true;
}

static inline bool fuzz_json_digits(fuzz_json_t *j)
{
    size_t start = j->i;
    while (j->i < j->len && j->s[j->i] >= '0' && j->s[j->i] <= '9')
        j->i++;
    return j->i > start;
}

static inline bool fuzz_json_number(fuzz_json_t *j)
{
    if (j->i < j->len && j->s[j->i] == '-')
        j->i++;
    if (j->i < j->len && j->s[j->i] == '0')
        j->i++;
    else if (!fuzz_json_digits(j))
        return false;
    if (j->i < j->len && j->s[j->i] == '.') {
        j->i++;
        if (!fuzz_json_digits(j))
            return false;
    }
    if (j->i < j->len && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
        j->i++;
        if (j->i < j->len && (j->s[j->i] == '+' || j->s[j->i] == '-'))
            j->i++;
        if (!fuzz_json_digits(j))
            return false;
    }
    return true;
}

/* Reads the 4 hex digits of a \u escape at j->i into *cp. */
static inline bool fuzz_json_hex4(fuzz_json_t *j, unsigned *cp)
{
    *cp = 0;
    for (int k = 0; k < 4; k++, j->i++) {
        if (j->i >= j->len)
            return false;
        unsigned char c = j->s[j->i];
        unsigned v = c >= '0' && c <= '9'   ? c - '0'
                     : c >= 'a' && c <= 'f' ? c - 'a' + 10u
                     : c >= 'A' && c <= 'F' ? c - 'A' + 10u
                                            : 16u;
        if (v == 16)
            return false;
        *cp = *cp << 4 | v;
    }
    return true;
}

static inline bool fuzz_json_string(fuzz_json_t *j)
{
    if (j->i >= j->len || j->s[j->i] != '"')
        return false;
    j->i++;
    while (j->i < j->len) {
        unsigned char c = j->s[j->i];
        if (c == '"') {
            j->i++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c != '\\') {
            j->i++;
            continue;
        }
        if (++j->i >= j->len)
            return false;
        c = j->s[j->i++];
        if (c == 'u') {
            unsigned cp, lo;
            if (!fuzz_json_hex4(j, &cp) || (cp >= 0xDC00 && cp <= 0xDFFF))
                return false;
            if (cp >= 0xD800 && cp <= 0xDBFF &&
                !(fuzz_json_lit(j, "\\u") && fuzz_json_hex4(j, &lo) && lo >= 0xDC00 &&
                  lo <= 0xDFFF))
                return false;
        } else if (!strchr("\"\\/bfnrt", c) || c == 0) {
            j->i--;
            return false;
        }
    }
    return false;
}

static inline bool fuzz_json_value(fuzz_json_t *j, int depth);

/* An object or an array (open is '{' or '['), at j->i. */
static inline bool fuzz_json_container(fuzz_json_t *j, int depth, unsigned char open)
{
    unsigned char close = open == '{' ? '}' : ']';
    if (depth > FUZZ_JSON_MAX_DEPTH || j->i >= j->len || j->s[j->i] != open)
        return false;
    j->i++;
    fuzz_json_ws(j);
    if (j->i < j->len && j->s[j->i] == close) {
        j->i++;
        return true;
    }
    for (;;) {
        if (open == '{') {
            if (!fuzz_json_string(j))
                return false;
            fuzz_json_ws(j);
            if (j->i >= j->len || j->s[j->i] != ':')
                return false;
            j->i++;
        }
        if (!fuzz_json_value(j, depth + 1))
            return false;
        if (j->i >= j->len)
            return false;
        if (j->s[j->i] == close) {
            j->i++;
            return true;
        }
        if (j->s[j->i] != ',')
            return false;
        j->i++;
        fuzz_json_ws(j);
    }
}

/* A value with the whitespace around it. */
static inline bool fuzz_json_value(fuzz_json_t *j, int depth)
{
    bool ok;
    fuzz_json_ws(j);
    if (j->i >= j->len)
        return false;
    switch (j->s[j->i]) {
    case '{':
    case '[':
        ok = fuzz_json_container(j, depth, j->s[j->i]);
        break;
    case '"':
        ok = fuzz_json_string(j);
        break;
    case 't':
        ok = fuzz_json_lit(j, "true");
        break;
    case 'f':
        ok = fuzz_json_lit(j, "false");
        break;
    case 'n':
        ok = fuzz_json_lit(j, "null");
        break;
    default:
        ok = fuzz_json_number(j);
        break;
    }
    if (ok)
        fuzz_json_ws(j);
    return ok;
}

static inline bool fuzz_json_object(const char *s, size_t len, size_t *err_at)
{
    fuzz_json_t j = {(const unsigned char *)s, len, 0};
    fuzz_json_ws(&j);
    bool ok =
        j.i < len && s[j.i] == '{' && fuzz_json_value(&j, 1) && j.i == len && s[len - 1] == '}';
    *err_at = j.i;
    return ok;
}

/*
 * A per-process scratch directory, for loaders that read only from a path: under TMPDIR
 * if set, else /dev/shm (memory: a file on disk per input would cost more than the
 * parsing), else /tmp. fuzz_scratch(rel, is_dir) is the path of rel inside it, created
 * when is_dir; fuzz_write() replaces a file's content. Everything is removed at exit.
 */
#define FUZZ_SCRATCH_MAX 8

static char fuzz_dir[4096];
static char fuzz_paths[FUZZ_SCRATCH_MAX][4200];
static int fuzz_npaths;

static inline void fuzz_scratch_remove(void)
{
    for (int i = fuzz_npaths - 1; i >= 0; i--)
        remove(fuzz_paths[i]);
    rmdir(fuzz_dir);
}

static inline const char *fuzz_scratch(const char *rel, bool is_dir)
{
    if (!fuzz_dir[0]) {
        const char *tmp = getenv("TMPDIR");
        if (!tmp || !*tmp)
            tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/nf-fuzz-XXXXXX", tmp);
        fuzz_check(mkdtemp(fuzz_dir), "cannot create a directory %s", fuzz_dir);
        atexit(fuzz_scratch_remove);
    }
    fuzz_check(fuzz_npaths < FUZZ_SCRATCH_MAX, "too many scratch paths");
    char *path = fuzz_paths[fuzz_npaths++];
    snprintf(path, sizeof(fuzz_paths[0]), "%s/%s", fuzz_dir, rel);
    if (is_dir)
        fuzz_check(mkdir(path, 0700) == 0, "cannot create %s", path);
    return path;
}

static inline void fuzz_write(const char *path, const void *data, size_t size)
{
    FILE *fp = fopen(path, "wb");
    fuzz_check(fp, "cannot create %s", path);
    fuzz_check(size == 0 || fwrite(data, 1, size, fp) == size, "cannot write %s", path);
    fuzz_check(fclose(fp) == 0, "cannot write %s", path);
}

#endif
