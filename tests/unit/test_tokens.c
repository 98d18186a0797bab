/*
 * test_tokens: unit tests for the pipeline's one tokeniser (pipeline/tokens.h), whose
 * tokens the classifier's words() phrases, the model's n-grams and the extractors all
 * read: what a word is (UTF-8 letters, NBSP, dashes, numbers with separators, initials,
 * possessives), the hash's normalisation, the flags, the non-ASCII flag, the lexicon
 * cues and word ids, and long texts (the token array grows; nothing is cut).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokens.h"
#include "test.h"

static nf_toks_t toks;

/* Tokenises text afresh (no lexicon) and returns the token count. */
static size_t tok(const char *text)
{
    toks.n = 0;
    CHECK_INT(nf_tokenise(text, strlen(text), NULL, &toks), 0);
    return toks.n;
}

/* Whether token i's bytes are str. */
static bool text_is(const char *text, size_t i, const char *str)
{
    return i < toks.n && toks.v[i].len == strlen(str) &&
           memcmp(text + toks.v[i].start, str, toks.v[i].len) == 0;
}

static uint64_t h(const char *s)
{
    return nf_tok_hash(s, strlen(s));
}

static void test_words(void)
{
    /* initials, domains, decimals and thousands stay one token; '.' is not hashed */
    const char *t = "U.S. Amazon.com paid 1,052.86 and 3.9 per cent";
    CHECK_INT(tok(t), 8);
    CHECK(text_is(t, 0, "U.S."));
    CHECK(toks.v[0].hash == h("US") && toks.v[0].hash == h("us"));
    CHECK(text_is(t, 1, "Amazon.com"));
    CHECK(toks.v[1].hash == h("amazoncom"));
    CHECK(text_is(t, 3, "1,052.86"));
    CHECK(toks.v[3].flags & NF_TOK_NUM);
    CHECK(text_is(t, 5, "3.9"));
    CHECK(!toks.wide);

    /* a ',' not followed by exactly three digits, and a final '.', are punctuation */
    t = "1,05 and 12,3456. Done";
    CHECK_INT(tok(t), 9);
    CHECK(text_is(t, 0, "1") && text_is(t, 1, ",") && text_is(t, 2, "05"));
    CHECK(text_is(t, 4, "12") && text_is(t, 6, "3456") && text_is(t, 7, "."));
    CHECK(toks.v[8].flags & NF_TOK_SENT); /* "Done" starts a sentence */

    /* a '.' after a known abbreviation or an initial does not end the sentence */
    t = "Acme Corp. said. Mr. Smith of Co. Ltd. went. J. Doe to St. Ives. Gov. Ok";
    static const size_t sent_at[] = {0, 5, 15, 23};
    CHECK_INT(tok(t), 26);
    for (size_t i = 0, j = 0; i < toks.n; i++) {
        bool want = j < 4 && sent_at[j] == i;
        CHECK_INT(!!(toks.v[i].flags & NF_TOK_SENT), want);
        j += want;
    }

    /* hyphens and dashes are one-character tokens between the words' terms */
    t = "co-founder \xe2\x80\x94 CEO\xe2\x80\x93owner";
    CHECK_INT(tok(t), 7);
    CHECK(text_is(t, 0, "co") && text_is(t, 1, "-") && text_is(t, 2, "founder"));
    CHECK(text_is(t, 3, "\xe2\x80\x94") && (toks.v[3].flags & NF_TOK_PUNCT));
    CHECK(text_is(t, 4, "CEO") && (toks.v[4].flags & NF_TOK_UPPER));
    CHECK(text_is(t, 5, "\xe2\x80\x93") && !(toks.v[5].flags & NF_TOK_SPACE));
    CHECK(!nf_tok_is_term(&toks.v[1]) && nf_tok_is_term(&toks.v[2]));
    CHECK(toks.wide);

    /* the possessive is a token of its own, with either apostrophe; D'Ieteren is one */
    t = "OpenAI's and OpenAI\xe2\x80\x99s stake in D'Ieteren";
    CHECK_INT(tok(t), 8);
    CHECK(text_is(t, 0, "OpenAI") && (toks.v[1].flags & NF_TOK_POSS));
    CHECK(toks.v[1].hash == toks.v[4].hash && toks.v[0].hash == toks.v[3].hash);
    CHECK(text_is(t, 7, "D'Ieteren"));
}

static void test_utf8(void)
{
    /* non-ASCII letters are word bytes; Latin-1 capitals hash as their small letters */
    const char *t = "SOCI\xc3\x89T\xc3\x89 G\xc3\xa9n\xc3\xa9rale \xc3\x89lys\xc3\xa9"
                    "e";
    CHECK_INT(tok(t), 3);
    CHECK(toks.v[0].hash == h("soci\xc3\xa9t\xc3\xa9"));
    CHECK(toks.v[0].flags & NF_TOK_UPPER);
    CHECK(toks.v[2].flags & NF_TOK_CAP); /* a capital outside ASCII */
    CHECK(toks.wide);

    /* NBSP separates like a space; curly quotes, the euro sign and « » are punctuation */
    t = "\xe2\x82\xac"
        "10\xc2\xa0"
        "billion \xe2\x80\x9c"
        "deal\xe2\x80\x9d \xc2\xabx\xc2\xbb";
    CHECK_INT(tok(t), 9);
    CHECK(text_is(t, 0, "\xe2\x82\xac") && text_is(t, 1, "10") && text_is(t, 2, "billion"));
    CHECK(toks.v[2].flags & NF_TOK_SPACE);
    CHECK(text_is(t, 4, "deal") && text_is(t, 6, "\xc2\xab"));

    /* a truncated sequence at the end is one punctuation token, not a read past it */
    t = "abc \xe2\x82";
    CHECK_INT(tok(t), 2);
    CHECK(toks.v[1].len == 2 && (toks.v[1].flags & NF_TOK_PUNCT));

    /* the flag describes the last text only */
    CHECK_INT(tok("plain ascii"), 2);
    CHECK(!toks.wide);
}

static void test_lexicon(void)
{
    nf_lexicon_t *lex = nf_lexicon_new();
    CHECK(lex != NULL);
    const char *t = "Acme ACQUIRES Widget for $5 billion, a 5G deal";
    toks.n = 0;
    CHECK_INT(nf_tokenise(t, strlen(t), lex, &toks), 0);
    CHECK(toks.v[1].cues & NF_CUE(NF_CUE_ACQUIRE));
    CHECK_INT(toks.v[3].word, NF_W_FOR);
    CHECK_INT(toks.v[6].word, NF_W_BILLION);
    CHECK(toks.v[9].cues & NF_CUE(NF_CUE_NETWORK)); /* a number the lexicon knows */
    CHECK_INT(toks.v[0].cues, 0);

    /* with or without the lexicon: the same tokens, hashes and flags */
    nf_toks_t plain = {0};
    CHECK_INT(nf_tokenise(t, strlen(t), NULL, &plain), 0);
    CHECK_INT(plain.n, toks.n);
    for (size_t i = 0; i < plain.n && i < toks.n; i++)
        CHECK(plain.v[i].start == toks.v[i].start && plain.v[i].len == toks.v[i].len &&
              plain.v[i].hash == toks.v[i].hash && plain.v[i].flags == toks.v[i].flags);
    nf_toks_free(&plain);
    nf_lexicon_destroy(lex);
}

/* A long text is tokenised whole: no buffer bounds it (the classifier used to cut at 512). */
static void test_long(void)
{
    size_t words = 5000, len = 0;
    char *t = malloc(words * 8 + 16);
    for (size_t i = 0; i < words; i++)
        len += (size_t)sprintf(t + len, "%s ", i % 3 ? "w" : "U.S.-led");
    CHECK_INT(tok(t), words + (words + 2) / 3 * 2);
    const nf_tok_t *last = &toks.v[toks.n - 1];
    CHECK(last->start + last->len == len - 1);
    for (size_t i = 1; i < toks.n; i++)
        CHECK(toks.v[i].start >= toks.v[i - 1].start + toks.v[i - 1].len);
    free(t);
}

/*
 * The tokeniser takes a word of fewer than sixteen ASCII letters and digits from one
 * 16-byte load and leaves every other word to the general scan. Each kind of word is
 * checked here at every offset around the 16-byte block edges, and near the end of the
 * text (where sixteen bytes cannot be read): its bytes, its hash (against nf_tok_hash)
 * and its flags must not depend on where it falls.
 */
static void test_block_edges(void)
{
    static const struct {
        const char *text;
        uint16_t flags;
    } want[] = {
        {"Amazon.com", NF_TOK_WORD | NF_TOK_CAP | NF_TOK_SPACE},
        {"bought", NF_TOK_WORD | NF_TOK_SPACE},
        {"1,052.86", NF_TOK_NUM | NF_TOK_SPACE},
        {"U.S.", NF_TOK_WORD | NF_TOK_CAP | NF_TOK_UPPER | NF_TOK_SPACE},
        {"caf\xc3\xa9s", NF_TOK_WORD | NF_TOK_SPACE},
        {"OpenAI", NF_TOK_WORD | NF_TOK_CAP | NF_TOK_SPACE}, /* after an NBSP */
        {"'s", NF_TOK_WORD | NF_TOK_POSS},
        {"ABCDEFGHIJKLMNOP", NF_TOK_WORD | NF_TOK_CAP | NF_TOK_UPPER | NF_TOK_SPACE},
        {"eBay", NF_TOK_WORD | NF_TOK_CAP | NF_TOK_SPACE},
        {"123456789012345", NF_TOK_NUM | NF_TOK_SPACE},
        {",", NF_TOK_PUNCT},
        {"Widget", NF_TOK_WORD | NF_TOK_CAP | NF_TOK_SPACE},
        {"-", NF_TOK_PUNCT},
        {"maker", NF_TOK_WORD},
        {"\xc3\x89tat", NF_TOK_WORD | NF_TOK_CAP | NF_TOK_SPACE},
        {"AB", NF_TOK_WORD | NF_TOK_CAP | NF_TOK_UPPER | NF_TOK_SPACE},
        {"aB", NF_TOK_WORD | NF_TOK_CAP | NF_TOK_SPACE},
        {"IBM'sx", NF_TOK_WORD | NF_TOK_CAP | NF_TOK_SPACE}, /* not a possessive */
        {"Abcdefghijklmno", NF_TOK_WORD | NF_TOK_CAP | NF_TOK_SPACE},
        {"A", NF_TOK_WORD | NF_TOK_CAP | NF_TOK_SPACE},
        {"X1", NF_TOK_WORD | NF_TOK_CAP | NF_TOK_SPACE},
        {"x", NF_TOK_WORD | NF_TOK_SPACE},
        {".", NF_TOK_PUNCT},
    };
    const char *tail =
        "Amazon.com bought 1,052.86 U.S. caf\xc3\xa9s\xc2\xa0OpenAI's ABCDEFGHIJKLMNOP "
        "eBay 123456789012345, Widget-maker \xc3\x89tat AB aB IBM'sx Abcdefghijklmno A X1 x.";
    size_t nwant = sizeof(want) / sizeof(want[0]);
    char buf[256];
    for (size_t pad = 0; pad < 40 * 18; pad++) {
        /* a long word ("yyy...") or, when 0, nothing before the tail; spaces after it */
        size_t pre = pad / 18, post = pad % 18;
        memset(buf, 'y', pre);
        buf[pre] = ' ';
        strcpy(buf + pre + (pre > 0), tail);
        memset(buf + strlen(buf), ' ', post);
        buf[pre + (pre > 0) + strlen(tail) + post] = '\0';
        size_t skip = pre > 0, n = tok(buf);
        CHECK_INT(n, nwant + skip);
        if (pre > 0)
            CHECK(toks.v[0].len == pre && toks.v[0].hash == nf_tok_hash(buf, pre) &&
                  toks.v[0].flags == (NF_TOK_WORD | NF_TOK_SPACE | NF_TOK_SENT));
        for (size_t i = 0; i < nwant && i + skip < n; i++) {
            const nf_tok_t *t = &toks.v[i + skip];
            uint16_t flags = want[i].flags | (i == 0 && !skip ? NF_TOK_SENT : 0);
            CHECK(text_is(buf, i + skip, want[i].text));
            CHECK(t->hash == h(want[i].text));
            CHECK_INT(t->flags, flags);
        }
        CHECK(toks.wide);
    }
}

/*
 * The lexicon is asked about every word but a possessive (up to 16 bytes), every
 * number of up to 4 bytes and '&', whichever path tokenised it: a plain word is looked
 * up as it is read, other tokens as they are pushed. Checked at every offset around the
 * block edges, in a text long enough that the token array grows in the middle of a run
 * of plain words.
 */
static void test_lexicon_edges(void)
{
    nf_lexicon_t *lex = nf_lexicon_new();
    const char *unit = "Deal 5G & 12345 plans for Acme's deal, the 2026 U.S. 4G datacenter-campus "
                       "FROM abcdefghijklmnopq in reportedly Stargate\xc2\xa0"
                       "from ";
    size_t ulen = strlen(unit), reps = 40;
    char *buf = malloc(32 + ulen * reps + 1);
    nf_toks_t lt = {0};
    CHECK(lex != NULL && buf != NULL);
    for (size_t pre = 0; lex && buf && pre < 32; pre++) {
        memset(buf, 'y', pre);
        for (size_t r = 0; r < reps; r++)
            memcpy(buf + pre + r * ulen, unit, ulen);
        size_t len = pre + ulen * reps - (pre % 3); /* ends inside the text's last words */
        buf[len] = '\0';
        lt.n = 0;
        CHECK_INT(nf_tokenise(buf, len, lex, &lt), 0);
        CHECK_INT(tok(buf), lt.n); /* the same tokens without the lexicon */
        size_t asked = 0;
        for (size_t i = 0; i < lt.n && i < toks.n; i++) {
            const nf_tok_t *t = &lt.v[i];
            bool wants = (t->flags & NF_TOK_WORD)  ? !(t->flags & NF_TOK_POSS) && t->len <= 16
                         : (t->flags & NF_TOK_NUM) ? t->len <= 4
                                                   : buf[t->start] == '&';
            uint16_t word = NF_W_NONE;
            uint64_t cues = wants ? nf_lexicon_lookup(lex, t->hash, &word) : 0;
            CHECK(t->cues == cues && t->word == word);
            CHECK(t->start == toks.v[i].start && t->len == toks.v[i].len &&
                  t->hash == toks.v[i].hash && t->flags == toks.v[i].flags);
            asked += cues != 0;
        }
        CHECK(asked >= reps * 8);
    }
    nf_toks_free(&lt);
    free(buf);
    nf_lexicon_destroy(lex);
}

int main(void)
{
    test_words();
    test_utf8();
    test_lexicon();
    test_long();
    test_block_edges();
    test_lexicon_edges();
    nf_toks_free(&toks);
    TEST_DONE();
}
