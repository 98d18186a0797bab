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
