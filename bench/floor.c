/*
 * floor: the least work any classifier of these articles must do, as a yardstick for
 * `newsflow classify` (issue 7: classify should stay within 2x of it).
 *
 *   bench/floor FILE.jsonl [RULES_DIR] > out.jsonl
 *
 * Per line: parse the JSON with cJSON, scan the title and the body with the classifier's
 * Hyperscan expressions compiled exactly as classify.c compiles them (same flags, a \b
 * at either end taken off), and print the line back with the number of matches. No
 * words(), builtin() or near() rules, no model, no extraction, no story: what is left
 * is parsing, one pattern scan and printing. Reports its CPU time per article on
 * stderr. Not installed.
 */
#include <cjson/cJSON.h>
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "nf_build.h"

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

/* Splits off the next blank-delimited word of *s. */
static char *word(char **s)
{
    char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return NULL;
    char *w = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    if (*p)
        *p++ = '\0';
    *s = p;
    return w;
}

/* Compiles the Hyperscan expressions of patterns.txt as classify.c does. */
static hs_database_t *compile(const char *rules)
{
    char path[4096], line[20000];
    snprintf(path, sizeof(path), "%s/classifier/patterns.txt", rules);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        perror(path);
        return NULL;
    }
    size_t n = 0, cap = 1024;
    char **exprs = malloc(cap * sizeof(*exprs));
    unsigned *flags = malloc(cap * sizeof(*flags)), *ids = malloc(cap * sizeof(*ids));
    while (fgets(line, sizeof(line), fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#')
            continue;
        char *id = word(&s), *weight = word(&s), *scope = word(&s);
        while (*s == ' ' || *s == '\t')
            s++;
        if (!id || !weight || !scope || !*s || !strncmp(s, "near(", 5) ||
            !strncmp(s, "words(", 6) || !strncmp(s, "builtin(", 8))
            continue;
        size_t len = strlen(s);
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            s[--len] = '\0';
        if (len > 2 && !strncmp(s, "\\b", 2)) {
            s += 2;
            len -= 2;
        }
        if (len > 2 && !strcmp(s + len - 2, "\\b") && (len < 3 || s[len - 3] != '\\'))
            s[len - 2] = '\0';
        if (n == cap) {
            cap *= 2;
            exprs = realloc(exprs, cap * sizeof(*exprs));
            flags = realloc(flags, cap * sizeof(*flags));
            ids = realloc(ids, cap * sizeof(*ids));
        }
        exprs[n] = strdup(s);
        flags[n] = HS_FLAG_SOM_LEFTMOST | (strstr(scope, ",cs") ? 0 : HS_FLAG_CASELESS);
        ids[n] = (unsigned)n;
        n++;
    }
    fclose(fp);
    hs_database_t *db = NULL;
    hs_compile_error_t *err = NULL;
    if (hs_compile_multi((const char *const *)exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL,
                         &db, &err) != HS_SUCCESS) {
        fprintf(stderr, "%s: %s\n", path, err ? err->message : "compile failed");
        hs_free_compile_error(err);
    }
    for (size_t i = 0; i < n; i++)
        free(exprs[i]);
    free(exprs);
    free(flags);
    free(ids);
    return db;
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl,
                    void *ctx)
{
    (void)id, (void)from, (void)to, (void)fl;
    ++*(unsigned long *)ctx;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.jsonl [RULES_DIR]\n", argv[0]);
        return 2;
    }
    hs_database_t *db = compile(argc > 2 ? argv[2] : NF_SOURCE_DIR "/rules");
    hs_scratch_t *scratch = NULL;
    if (!db || hs_alloc_scratch(db, &scratch) != HS_SUCCESS)
        return 1;
    FILE *in = fopen(argv[1], "r");
    if (!in) {
        perror(argv[1]);
        return 1;
    }
    static char outbuf[1 << 20];
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    char *line = NULL;
    size_t cap = 0, articles = 0;
    ssize_t len;
    double c0 = cpu_s();
    while ((len = getline(&line, &cap, in)) > 0) {
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        cJSON *root = cJSON_ParseWithLength(line, (size_t)len);
        if (!root)
            continue;
        unsigned long matches = 0;
        static const char *const fields[] = {"title", "body", "summary"};
        for (int f = 0; f < 3; f++) {
            const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, fields[f]);
            if (cJSON_IsString(item) && item->valuestring)
                hs_scan(db, item->valuestring, (unsigned)strlen(item->valuestring), 0, scratch,
                        on_match, &matches);
        }
        cJSON_Delete(root);
        fwrite(line, 1, (size_t)len - 1, stdout);
        printf(",\"matches\":%lu}\n", matches);
        articles++;
    }
    fflush(stdout);
    double us = (cpu_s() - c0) * 1e6 / (double)(articles ? articles : 1);
    fprintf(stderr, "floor: %zu articles, %.2f us/article cpu, %.0f articles/s\n", articles, us,
            us > 0 ? 1e6 / us : 0.0);
    free(line);
    fclose(in);
    hs_free_scratch(scratch);
    hs_free_database(db);
    return 0;
}
