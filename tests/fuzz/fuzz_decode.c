/*
 * fuzz_decode: nf_decode() over arbitrary bytes taken as one Kafka message value, and
 * nf_text_normalise() over the same bytes as a C string.
 *
 * libFuzzer hands over a heap block of exactly the input's size, so AddressSanitizer
 * catches any read past the end of a message (values are not NUL-terminated). Beyond
 * memory errors, UB and leaks, it checks decode.h's contract: a known reason with a
 * detail on rejection and a cleared article; on success an id, a title or a body, and
 * every string (and author) non-empty where required and well-formed UTF-8, since the
 * encoder copies them into the enriched JSON unchecked. The normaliser may only shrink
 * its text and must leave it trimmed with no run of spaces.
 */
#include "decode.h"
#include "fuzz.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}

static void check_article(const nf_article_t *a)
{
    fuzz_check(a->id && *a->id, "accepted article without an id");
    fuzz_check(a->deleted || (a->title && *a->title) || (a->body && *a->body),
               "accepted article without title or body");
    const char *fields[] = {a->id,  a->title,  a->body,         a->summary,
                            a->url, a->source, a->published_at, a->language};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        fuzz_check(fuzz_str_valid(fields[i]), "field %zu is not UTF-8", i);
    fuzz_check(a->authors_n == 0 || a->authors, "authors_n %zu without authors", a->authors_n);
    for (size_t i = 0; i < a->authors_n; i++)
        fuzz_check(a->authors[i] && fuzz_str_valid(a->authors[i]), "author %zu", i);
}

static void check_normalised(const char *s, size_t len, size_t before)
{
    fuzz_check(strlen(s) == len, "returned length %zu, string length %zu", len, strlen(s));
    fuzz_check(len <= before, "normalising grew %zu bytes to %zu", before, len);
    fuzz_check(len == 0 || (s[0] != ' ' && s[len - 1] != ' '), "not trimmed");
    fuzz_check(!strstr(s, "  "), "a run of spaces survived");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A small limit as well as the default, so that too_large is reached too. */
    nf_decode_opts_t opts = {.max_bytes = size > 0 && data[0] == ' ' ? 64 : 1048576};
    nf_article_t article = {0};
    char err[256] = "";
    nf_reject_t r = nf_decode((const char *)data, size, &opts, &article, err, sizeof(err));
    fuzz_check((unsigned)r < NF_REJECT__CNT, "reason %d", (int)r);
    fuzz_check(strcmp(nf_reject_name(r), "unknown") != 0, "reason %d has no name", (int)r);
    if (r == NF_REJECT_NONE) {
        check_article(&article);
    } else {
        fuzz_check(err[0], "rejected (%s) without a detail", nf_reject_name(r));
        fuzz_check(!article.id && !article.title && !article.body && !article.authors,
                   "rejected (%s) but the article is not cleared", nf_reject_name(r));
    }
    nf_article_clear(&article);

    /* The normaliser on its own, over the bytes up to the first NUL. */
    char *text = malloc(size + 1);
    fuzz_check(text, "out of memory");
    memcpy(text, data, size);
    text[size] = '\0';
    size_t before = strlen(text);
    bool was_utf8 = fuzz_utf8_valid((const unsigned char *)text, before);
    size_t len = nf_text_normalise(text);
    check_normalised(text, len, before);
    if (was_utf8)
        fuzz_check(fuzz_str_valid(text), "normalising broke UTF-8");
    free(text);
    return 0;
}
