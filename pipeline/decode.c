/*
 * decode: the gate between raw input messages and the pipeline. Each message is either
 * turned into an nf_article_t or rejected with one stable reason, so that the dead-letter
 * topic can say exactly why a message was refused.
 *
 * Checks run from cheapest to dearest and in a fixed order, so that a message always
 * gets the same reason: empty, too large, invalid UTF-8, invalid JSON, not an object,
 * a known field of the wrong type, no id, no text. The UTF-8 check is our own and
 * strict (no overlongs, surrogates or code points above U+10FFFF), because cJSON copies
 * string bytes through unchecked. Only top-level fields are read; anything else in the
 * message is parsed (to prove it is JSON) and ignored.
 *
 * Input quirks that are accepted on purpose:
 * - A UTF-8 byte order mark before the JSON is skipped (some producers write one);
 *   error offsets still count from the first byte of the message.
 * - cJSON is lenient in a few places (leading zeros, raw control characters inside
 *   strings, any byte below 0x20 as whitespace between tokens); we keep that leniency
 *   except where it would silently change data: a raw NUL byte or a \u0000 escape would
 *   truncate a string, so both are rejected as invalid_json.
 *
 * Field aliases are tried in the order decode.h lists them. A JSON null, or a string that
 * is empty once cleaned, counts as absent and lets the next alias speak; any other value
 * of the wrong type rejects the message (aliases after a usable value are not looked at).
 */
#include "decode.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const char *const reject_names[NF_REJECT__CNT] = {
    [NF_REJECT_NONE] = "none",
    [NF_REJECT_EMPTY] = "empty",
    [NF_REJECT_TOO_LARGE] = "too_large",
    [NF_REJECT_INVALID_UTF8] = "invalid_utf8",
    [NF_REJECT_INVALID_JSON] = "invalid_json",
    [NF_REJECT_NOT_OBJECT] = "not_object",
    [NF_REJECT_WRONG_TYPE] = "wrong_type",
    [NF_REJECT_MISSING_ID] = "missing_id",
    [NF_REJECT_MISSING_TEXT] = "missing_text",
};

const char *nf_reject_name(nf_reject_t reason)
{
    if ((unsigned)reason >= NF_REJECT__CNT)
        return "unknown";
    return reject_names[reason];
}

/* ---- UTF-8 ---- */

/*
 * Reads one UTF-8 sequence from s, of which at most avail bytes may be read. Returns its
 * length and sets *cp, or returns 0 and sets *why if the bytes are not well-formed (the
 * shortest-form rules of Unicode table 3-7). Each continuation byte is checked before
 * the next is read, so a NUL-terminated string may pass SIZE_MAX as avail.
 */
static size_t utf8_seq(const unsigned char *s, size_t avail, uint32_t *cp, const char **why)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t need;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xC0) {
        *why = "unexpected continuation byte";
        return 0;
    }
    if (c < 0xC2) {
        *why = "overlong encoding";
        return 0;
    }
    if (c < 0xE0) {
        need = 1;
        v = c & 0x1F;
    } else if (c < 0xF0) {
        need = 2;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0; /* below would be an overlong */
        else if (c == 0xED)
            hi = 0x9F; /* above would be a UTF-16 surrogate */
    } else if (c < 0xF5) {
        need = 3;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        *why = c < 0xF8 ? "code point above U+10FFFF" : "invalid byte";
        return 0;
    }
    for (size_t i = 1; i <= need; i++) {
        unsigned char b = i < avail ? s[i] : 0;
        unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;
        if (b < 0x80 || b > 0xBF) {
            *why = "truncated sequence";
            return 0;
        }
        if (b < min || b > max) {
            *why = c == 0xED   ? "UTF-16 surrogate"
                   : c == 0xF4 ? "code point above U+10FFFF"
                               : "overlong encoding";
            return 0;
        }
        v = (v << 6) | (b & 0x3F);
    }
    *cp = v;
    return need + 1;
}

/* Returns the offset of the first ill-formed sequence in <s, len>, or len if none. */
static size_t utf8_check(const unsigned char *s, size_t len, const char **why)
{
    size_t i = 0;
    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_seq(s + i, len - i, &cp, why);
        if (n == 0)
            return i;
        i += n;
    }
    return len;
}

/* Writes cp as UTF-8 to out (room for 4 bytes) and returns the length. cp is valid. */
static size_t utf8_put(uint32_t cp, unsigned char *out)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- text normalisation ---- */

/* Named entities we decode: the HTML 4 Latin-1 set and the punctuation feeds use. */
static const struct {
    const char *name;
    uint32_t cp;
} entities[] = {
    {"amp", 0x26},      {"lt", 0x3C},       {"gt", 0x3E},       {"quot", 0x22},
    {"apos", 0x27},     {"nbsp", 0xA0},     {"ensp", 0x2002},   {"emsp", 0x2003},
    {"thinsp", 0x2009}, {"zwnj", 0x200C},   {"zwj", 0x200D},    {"lrm", 0x200E},
    {"rlm", 0x200F},    {"ndash", 0x2013},  {"mdash", 0x2014},  {"lsquo", 0x2018},
    {"rsquo", 0x2019},  {"sbquo", 0x201A},  {"ldquo", 0x201C},  {"rdquo", 0x201D},
    {"bdquo", 0x201E},  {"dagger", 0x2020}, {"Dagger", 0x2021}, {"bull", 0x2022},
    {"hellip", 0x2026}, {"permil", 0x2030}, {"prime", 0x2032},  {"Prime", 0x2033},
    {"lsaquo", 0x2039}, {"rsaquo", 0x203A}, {"euro", 0x20AC},   {"trade", 0x2122},
    {"minus", 0x2212},  {"larr", 0x2190},   {"rarr", 0x2192},   {"circ", 0x2C6},
    {"tilde", 0x2DC},   {"fnof", 0x192},    {"OElig", 0x152},   {"oelig", 0x153},
    {"Scaron", 0x160},  {"scaron", 0x161},  {"Yuml", 0x178},    {"iexcl", 0xA1},
    {"cent", 0xA2},     {"pound", 0xA3},    {"curren", 0xA4},   {"yen", 0xA5},
    {"brvbar", 0xA6},   {"sect", 0xA7},     {"uml", 0xA8},      {"copy", 0xA9},
    {"ordf", 0xAA},     {"laquo", 0xAB},    {"not", 0xAC},      {"shy", 0xAD},
    {"reg", 0xAE},      {"macr", 0xAF},     {"deg", 0xB0},      {"plusmn", 0xB1},
    {"sup2", 0xB2},     {"sup3", 0xB3},     {"acute", 0xB4},    {"micro", 0xB5},
    {"para", 0xB6},     {"middot", 0xB7},   {"cedil", 0xB8},    {"sup1", 0xB9},
    {"ordm", 0xBA},     {"raquo", 0xBB},    {"frac14", 0xBC},   {"frac12", 0xBD},
    {"frac34", 0xBE},   {"iquest", 0xBF},   {"Agrave", 0xC0},   {"Aacute", 0xC1},
    {"Acirc", 0xC2},    {"Atilde", 0xC3},   {"Auml", 0xC4},     {"Aring", 0xC5},
    {"AElig", 0xC6},    {"Ccedil", 0xC7},   {"Egrave", 0xC8},   {"Eacute", 0xC9},
    {"Ecirc", 0xCA},    {"Euml", 0xCB},     {"Igrave", 0xCC},   {"Iacute", 0xCD},
    {"Icirc", 0xCE},    {"Iuml", 0xCF},     {"ETH", 0xD0},      {"Ntilde", 0xD1},
    {"Ograve", 0xD2},   {"Oacute", 0xD3},   {"Ocirc", 0xD4},    {"Otilde", 0xD5},
    {"Ouml", 0xD6},     {"times", 0xD7},    {"Oslash", 0xD8},   {"Ugrave", 0xD9},
    {"Uacute", 0xDA},   {"Ucirc", 0xDB},    {"Uuml", 0xDC},     {"Yacute", 0xDD},
    {"THORN", 0xDE},    {"szlig", 0xDF},    {"agrave", 0xE0},   {"aacute", 0xE1},
    {"acirc", 0xE2},    {"atilde", 0xE3},   {"auml", 0xE4},     {"aring", 0xE5},
    {"aelig", 0xE6},    {"ccedil", 0xE7},   {"egrave", 0xE8},   {"eacute", 0xE9},
    {"ecirc", 0xEA},    {"euml", 0xEB},     {"igrave", 0xEC},   {"iacute", 0xED},
    {"icirc", 0xEE},    {"iuml", 0xEF},     {"eth", 0xF0},      {"ntilde", 0xF1},
    {"ograve", 0xF2},   {"oacute", 0xF3},   {"ocirc", 0xF4},    {"otilde", 0xF5},
    {"ouml", 0xF6},     {"divide", 0xF7},   {"oslash", 0xF8},   {"ugrave", 0xF9},
    {"uacute", 0xFA},   {"ucirc", 0xFB},    {"uuml", 0xFC},     {"yacute", 0xFD},
    {"thorn", 0xFE},    {"yuml", 0xFF},
};

/*
 * What HTML5 makes of &#128; .. &#159;: feeds converted from Windows-1252 are full of
 * &#150; and &#8217;'s older cousin &#146;. Zero entries keep the code point.
 */
static const uint16_t cp1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

#define ENTITY_NAME_MAX 8 /* no name in the table is longer */

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(unsigned char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

/*
 * Parses the entity that starts at s[0] == '&'. Returns true with its code point and
 * source length, or false if it is not one we decode (then it stays as written).
 */
static bool entity_parse(const unsigned char *s, uint32_t *cp, size_t *srclen)
{
    size_t i;

    if (s[1] == '#') {
        bool hex = s[2] == 'x' || s[2] == 'X';
        uint32_t v = 0;
        size_t digits = 0;
        for (i = hex ? 3 : 2;; i++, digits++) {
            int d = hex ? hex_value(s[i]) : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);
            if (d < 0)
                break;
            if (v <= 0x10FFFF) /* saturate: anything larger is invalid anyway */
                v = v * (hex ? 16 : 10) + (uint32_t)d;
        }
        if (digits == 0 || s[i] != ';')
            return false;
        if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            v = 0xFFFD;
        else if (v >= 0x80 && v <= 0x9F && cp1252[v - 0x80])
            v = cp1252[v - 0x80];
        *cp = v;
        *srclen = i + 1;
        return true;
    }
    for (i = 1; i <= ENTITY_NAME_MAX && is_alnum(s[i]); i++)
        ;
    if (i == 1 || s[i] != ';')
        return false;
    size_t n = i - 1;
    for (size_t e = 0; e < sizeof(entities) / sizeof(entities[0]); e++) {
        if (strlen(entities[e].name) == n && memcmp(entities[e].name, s + 1, n) == 0) {
            *cp = entities[e].cp;
            *srclen = i + 1;
            return true;
        }
    }
    return false;
}

enum { CH_TEXT, CH_SPACE, CH_GONE };

/* How the normaliser treats a code point: text, a separator, or something to drop. */
static int char_class(uint32_t cp)
{
    switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return CH_SPACE;
    case 0xAD:   /* soft hyphen */
    case 0x200B: /* zero width space */
    case 0x2060: /* word joiner */
    case 0xFEFF: /* zero width no-break space / stray byte order mark */
        return CH_GONE;
    default:
        return cp >= 0x2000 && cp <= 0x200A ? CH_SPACE : CH_TEXT;
    }
}

static bool has_prefix_ci(const unsigned char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++) {
        unsigned char c = *s;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)*prefix)
            return false;
    }
    return true;
}

/*
 * Remembers, across one nf_text_normalise() call, what forward searches have already
 * found missing, so that text full of '<' without '>' stays linear instead of quadratic.
 */
typedef struct tag_scan {
    const unsigned char *gt;      /* the next '>' found by the last search, or NULL */
    const unsigned char *gt_from; /* where that search started */
    bool no_comment_end;          /* no "-->" after the last failed search */
    bool no_script_end, no_style_end;
} tag_scan_t;

static const unsigned char *next_gt(tag_scan_t *scan, const unsigned char *from)
{
    if (scan->gt_from && scan->gt_from <= from && (!scan->gt || scan->gt >= from))
        return scan->gt;
    scan->gt_from = from;
    scan->gt = (const unsigned char *)strchr((const char *)from, '>');
    return scan->gt;
}

/* Case-insensitive search for a lower-case ASCII needle. */
static const unsigned char *find_ci(const unsigned char *s, const char *needle)
{
    for (; *s; s++) {
        if (has_prefix_ci(s, needle))
            return s;
    }
    return NULL;
}

/*
 * If s (at '<') starts a tag, returns the first byte after it; otherwise NULL and the
 * '<' is text. A tag is '<' then a letter, '/', '!' or '?', up to the next '>'. Comments
 * run to "-->", and script and style elements are dropped with their content, since
 * neither is prose.
 */
static const unsigned char *tag_skip(tag_scan_t *scan, const unsigned char *s)
{
    unsigned char c = s[1];
    if (!is_alpha(c) && c != '/' && c != '!' && c != '?')
        return NULL;
    if (c == '!' && s[2] == '-' && s[3] == '-' && !scan->no_comment_end) {
        const unsigned char *end = (const unsigned char *)strstr((const char *)s + 4, "-->");
        if (end)
            return end + 3;
        scan->no_comment_end = true;
    }
    const unsigned char *gt = next_gt(scan, s + 1);
    if (!gt)
        return NULL;
    bool script = has_prefix_ci(s + 1, "script"), style = has_prefix_ci(s + 1, "style");
    size_t name_len = script ? 6 : style ? 5 : 0;
    unsigned char after = name_len ? s[1 + name_len] : 0;
    bool *missing = script ? &scan->no_script_end : &scan->no_style_end;
    if (!name_len || *missing ||
        !(after == '>' || after == '/' || after == ' ' || after == '\t' || after == '\n' ||
          after == '\r'))
        return gt + 1;
    if (gt[-1] == '/') /* <script/> has no content */
        return gt + 1;
    const unsigned char *close = find_ci(gt + 1, script ? "</script" : "</style");
    if (!close) {
        *missing = true;
        return gt + 1;
    }
    gt = next_gt(scan, close);
    return gt ? gt + 1 : close + strlen((const char *)close);
}

/*
 * Bytes that may need the full pass: controls and whitespace other than a single space,
 * tags and entities, and the UTF-8 lead bytes of every non-ASCII space or removed
 * character (C2: NBSP, NEL, soft hyphen; E1: U+1680; E2: U+2000..U+2060; E3: U+3000;
 * EF: U+FEFF).
 */
static bool slow_byte(unsigned char c)
{
    return c < 0x20 || c == '<' || c == '&' || c == 0xC2 || c == 0xE1 || c == 0xE2 || c == 0xE3 ||
           c == 0xEF;
}

/* Most article text is already normal: no markup, single spaces, no edge spaces. Its
 * length, or SIZE_MAX when the full pass is needed. */
static size_t normal_length(const unsigned char *s)
{
    if (s[0] == ' ')
        return SIZE_MAX;
    size_t i = 0;
    for (; s[i]; i++)
        if (slow_byte(s[i]) || (s[i] == ' ' && s[i + 1] == ' '))
            return SIZE_MAX;
    return i && s[i - 1] == ' ' ? SIZE_MAX : i;
}

size_t nf_text_normalise(char *text)
{
    if (!text)
        return 0;
    unsigned char *s = (unsigned char *)text;
    size_t plain = normal_length(s);
    if (plain != SIZE_MAX)
        return plain;
    size_t r = 0, w = 0;
    bool space = false; /* a separator was read since the last character written */
    tag_scan_t scan = {0};

    /*
     * Invariant: w + (space ? 1 : 0) <= r. Every separator and tag consumes at least one
     * byte and produces at most one space, and every character is written in no more
     * bytes than it was read from, so writes never overtake unread input.
     */
    while (s[r]) {
        unsigned char out[4];
        const unsigned char *src = s + r;
        size_t in_len, out_len;
        uint32_t cp;
        const char *why;

        if (s[r] == '<') {
            const unsigned char *end = tag_skip(&scan, s + r);
            if (end) {
                r = (size_t)(end - s);
                space = true;
                continue;
            }
        }
        if (s[r] == '&' && entity_parse(s + r, &cp, &in_len) &&
            (out_len = utf8_put(cp, out)) <= in_len) {
            src = out;
        } else {
            in_len = utf8_seq(s + r, SIZE_MAX, &cp, &why);
            if (in_len == 0) { /* not UTF-8: pass the byte through untouched */
                in_len = 1;
                cp = UINT32_MAX;
            }
            out_len = in_len;
        }
        r += in_len;
        switch (char_class(cp)) {
        case CH_SPACE:
            space = true;
            break;
        case CH_GONE:
            break;
        default:
            if (space && w > 0)
                s[w++] = ' ';
            space = false;
            memmove(s + w, src, out_len);
            w += out_len;
        }
    }
    s[w] = '\0';
    return w;
}

/* ---- decoding ---- */

typedef struct decode_ctx {
    char *errstr;
    size_t errstr_size;
} decode_ctx_t;

static nf_reject_t reject(decode_ctx_t *ctx, nf_reject_t reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static nf_reject_t reject(decode_ctx_t *ctx, nf_reject_t reason, const char *fmt, ...)
{
    if (ctx->errstr && ctx->errstr_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->errstr, ctx->errstr_size, fmt, ap);
        va_end(ap);
    }
    return reason;
}

/*
 * The decode contract has no reason for running out of memory, so an allocation failure
 * surfaces as invalid_json (which is also what cJSON's own failures look like); the
 * detail says what really happened.
 */
static nf_reject_t reject_oom(decode_ctx_t *ctx)
{
    return reject(ctx, NF_REJECT_INVALID_JSON, "out of memory while decoding");
}

static const char *json_type_name(const cJSON *item)
{
    if (cJSON_IsString(item))
        return "string";
    if (cJSON_IsNumber(item))
        return "number";
    if (cJSON_IsBool(item))
        return "boolean";
    if (cJSON_IsNull(item))
        return "null";
    if (cJSON_IsArray(item))
        return "array";
    if (cJSON_IsObject(item))
        return "object";
    return "unknown";
}

static bool is_ascii_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Trims ASCII whitespace from both ends in place; returns the new length. */
static size_t trim(char *str)
{
    size_t len = strlen(str), start = 0;
    while (len > 0 && is_ascii_space((unsigned char)str[len - 1]))
        len--;
    while (start < len && is_ascii_space((unsigned char)str[start]))
        start++;
    memmove(str, str + start, len - start);
    str[len - start] = '\0';
    return len - start;
}

/*
 * Copies a JSON string and cleans it: prose is normalised, identifiers are trimmed.
 * Returns 0 with *out NULL if nothing is left, or -1 if out of memory.
 */
static int clean_dup(const char *value, bool prose, char **out)
{
    *out = NULL;
    char *copy = strdup(value);
    if (!copy)
        return -1;
    size_t len = prose ? nf_text_normalise(copy) : trim(copy);
    if (len == 0)
        free(copy);
    else
        *out = copy;
    return 0;
}

/* A string field: aliases in order of preference, NULL-terminated. */
static nf_reject_t take_string(decode_ctx_t *ctx, const cJSON *root, const char *const *aliases,
                               bool prose, char **out)
{
    for (; *aliases; aliases++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, *aliases);
        if (!item || cJSON_IsNull(item))
            continue;
        if (!cJSON_IsString(item) || !item->valuestring)
            return reject(ctx, NF_REJECT_WRONG_TYPE, "field \"%s\" must be a string, got %s",
                          *aliases, json_type_name(item));
        if (clean_dup(item->valuestring, prose, out) < 0)
            return reject_oom(ctx);
        if (*out)
            return NF_REJECT_NONE;
    }
    return NF_REJECT_NONE;
}

/* Integers beyond 2^53 - 1 may already have been rounded by the parser. */
#define ID_NUMBER_MAX 9007199254740991.0

/* id: a string, or an integral number written back in decimal. */
static nf_reject_t take_id(decode_ctx_t *ctx, const cJSON *root, char **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (!item || cJSON_IsNull(item))
        return NF_REJECT_NONE;
    if (cJSON_IsString(item) && item->valuestring)
        return clean_dup(item->valuestring, false, out) < 0 ? reject_oom(ctx) : NF_REJECT_NONE;
    if (cJSON_IsNumber(item)) {
        double v = item->valuedouble;
        /* The range test comes first: it also rules out inf and NaN for the cast. */
        if (v >= -ID_NUMBER_MAX && v <= ID_NUMBER_MAX && (double)(int64_t)v == v) {
            char num[24];
            snprintf(num, sizeof(num), "%" PRId64, (int64_t)v);
            *out = strdup(num);
            return *out ? NF_REJECT_NONE : reject_oom(ctx);
        }
        return reject(
            ctx, NF_REJECT_WRONG_TYPE,
            "field \"id\" must be a string or an integer of magnitude below 2^53, got number %.17g",
            v);
    }
    return reject(ctx, NF_REJECT_WRONG_TYPE, "field \"id\" must be a string or an integer, got %s",
                  json_type_name(item));
}

/* source: a string, or an object whose "name" is the publisher. */
static nf_reject_t take_source(decode_ctx_t *ctx, const cJSON *root, char **out)
{
    static const char *const source_aliases[] = {"source", NULL};
    static const char *const name_aliases[] = {"name", NULL};
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "source");

    if (cJSON_IsObject(item)) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");
        if (name && !cJSON_IsNull(name) && !cJSON_IsString(name))
            return reject(ctx, NF_REJECT_WRONG_TYPE,
                          "field \"source.name\" must be a string, got %s", json_type_name(name));
        return take_string(ctx, item, name_aliases, true, out);
    }
    if (item && !cJSON_IsNull(item) && !cJSON_IsString(item))
        return reject(ctx, NF_REJECT_WRONG_TYPE,
                      "field \"source\" must be a string or an object, got %s",
                      json_type_name(item));
    return take_string(ctx, root, source_aliases, true, out);
}

/*
 * Normalises each name of an authors value (a string or an all-string array) into a new
 * array, dropping names that end up empty. Returns -1 if out of memory, else 0 with
 * *names NULL when no name is left.
 */
static int authors_dup(const cJSON *item, size_t n, char ***names, size_t *kept)
{
    const cJSON *elem;
    char **out = calloc(n, sizeof(*out));
    size_t k = 0;

    *names = NULL;
    *kept = 0;
    if (!out)
        return -1;
    if (cJSON_IsString(item)) {
        if (clean_dup(item->valuestring, true, &out[k]) < 0)
            goto fail;
        k += out[k] != NULL;
    } else {
        cJSON_ArrayForEach(elem, item)
        {
            if (clean_dup(elem->valuestring, true, &out[k]) < 0)
                goto fail;
            k += out[k] != NULL;
        }
    }
    if (k == 0) {
        free(out);
        return 0;
    }
    *names = out;
    *kept = k;
    return 0;

fail:
    while (k > 0)
        free(out[--k]);
    free(out);
    return -1;
}

/* authors: a string or an array of strings, under "authors" or "author". */
static nf_reject_t take_authors(decode_ctx_t *ctx, const cJSON *root, nf_article_t *article)
{
    static const char *const aliases[] = {"authors", "author", NULL};

    for (const char *const *alias = aliases; *alias; alias++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, *alias);
        const cJSON *elem;
        size_t n = 0;

        if (!item || cJSON_IsNull(item))
            continue;
        if (cJSON_IsString(item)) {
            n = 1;
        } else if (cJSON_IsArray(item)) {
            cJSON_ArrayForEach(elem, item)
            {
                if (!cJSON_IsString(elem) || !elem->valuestring)
                    return reject(
                        ctx, NF_REJECT_WRONG_TYPE,
                        "field \"%s\" must be a string or an array of strings, got %s at index %zu",
                        *alias, json_type_name(elem), n);
                n++;
            }
        } else {
            return reject(ctx, NF_REJECT_WRONG_TYPE,
                          "field \"%s\" must be a string or an array of strings, got %s", *alias,
                          json_type_name(item));
        }
        if (n == 0)
            continue;
        if (authors_dup(item, n, &article->authors, &article->authors_n) < 0)
            return reject_oom(ctx);
        if (article->authors)
            return NF_REJECT_NONE;
    }
    return NF_REJECT_NONE;
}

/*
 * Finds a \u0000 escape inside a string of <s, len>, which must be valid JSON. cJSON
 * would decode it to a NUL and so silently cut the string short. Returns its offset, or
 * len if there is none. An escaped backslash followed by "u0000" is plain text.
 */
/*
 * A deletion event: {"id": ..., "deleted": true} or {"id": ..., "op": "delete"}. It
 * needs only an id; its text fields, if any, are ignored downstream.
 */
static nf_reject_t take_deleted(decode_ctx_t *ctx, const cJSON *root, int *deleted)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "deleted");
    if (item && !cJSON_IsNull(item)) {
        if (!cJSON_IsBool(item))
            return reject(ctx, NF_REJECT_WRONG_TYPE, "field \"deleted\" must be a boolean, got %s",
                          json_type_name(item));
        *deleted = cJSON_IsTrue(item);
    }
    item = cJSON_GetObjectItemCaseSensitive(root, "op");
    if (item && !cJSON_IsNull(item)) {
        if (!cJSON_IsString(item))
            return reject(ctx, NF_REJECT_WRONG_TYPE, "field \"op\" must be a string, got %s",
                          json_type_name(item));
        if (!strcasecmp(item->valuestring, "delete"))
            *deleted = 1;
    }
    return NF_REJECT_NONE;
}

static size_t find_nul_escape(const char *s, size_t len)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        if (!in_string) {
            in_string = s[i] == '"';
        } else if (s[i] == '"') {
            in_string = false;
        } else if (s[i] == '\\') {
            if (len - i >= 6 && memcmp(s + i + 1, "u0000", 5) == 0)
                return i;
            i++; /* the escaped character cannot end the string */
        }
    }
    return len;
}

static bool is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

nf_reject_t nf_decode(const char *buf, size_t len, const nf_decode_opts_t *opts,
                      nf_article_t *article, char *errstr, size_t errstr_size)
{
    static const char *const title_aliases[] = {"title", "headline", NULL};
    static const char *const body_aliases[] = {"body", "content", "text", NULL};
    static const char *const summary_aliases[] = {"summary", "description", NULL};
    static const char *const url_aliases[] = {"url", "link", NULL};
    static const char *const published_aliases[] = {"published_at", "published", "date", NULL};
    static const char *const language_aliases[] = {"language", "lang", NULL};
    decode_ctx_t ctx = {errstr, errstr_size};
    nf_article_t a = {0};
    cJSON *root = NULL;
    nf_reject_t reason;
    const char *why = "";

    if (errstr && errstr_size)
        errstr[0] = '\0';
    if (!buf || len == 0)
        return reject(&ctx, NF_REJECT_EMPTY, "message is empty");
    if (opts && len > opts->max_bytes)
        return reject(&ctx, NF_REJECT_TOO_LARGE,
                      "message is %zu bytes, more than input.max.bytes (%zu)", len,
                      opts->max_bytes);

    size_t bad = utf8_check((const unsigned char *)buf, len, &why);
    if (bad < len)
        return reject(&ctx, NF_REJECT_INVALID_UTF8, "invalid UTF-8 at byte offset %zu: %s", bad,
                      why);

    size_t start = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    const char *nul = memchr(buf, '\0', len);
    if (nul)
        return reject(&ctx, NF_REJECT_INVALID_JSON, "NUL byte at byte offset %zu",
                      (size_t)(nul - buf));

    if (start && len - start >= 3 && memcmp(buf + start, "\xEF\xBB\xBF", 3) == 0)
        return reject(&ctx, NF_REJECT_INVALID_JSON, /* cJSON would skip this one too */
                      "second byte order mark at byte offset %zu", start);

    /*
     * require_null_terminated is 0 on purpose: with the length API, cJSON 1.7.15 rejects a
     * value that ends exactly at len unless a NUL follows inside len, so every valid
     * message would fail. We check what follows the value ourselves instead, and take the
     * error position from return_parse_end (cJSON_GetErrorPtr is a global).
     */
    const char *end = NULL;
    root = cJSON_ParseWithLengthOpts(buf + start, len - start, &end, 0);
    if (!root) {
        size_t at = end ? (size_t)(end - buf) : start;
        return reject(&ctx, NF_REJECT_INVALID_JSON, "JSON syntax error at or near byte offset %zu",
                      at);
    }
    size_t value_end = (size_t)(end - buf), rest = value_end;
    while (rest < len && is_json_space(buf[rest]))
        rest++;
    if (rest < len) {
        reason = reject(&ctx, NF_REJECT_INVALID_JSON,
                        "unexpected data after the JSON value at byte offset %zu", rest);
        goto out;
    }
    size_t esc = find_nul_escape(buf + start, value_end - start);
    if (esc < value_end - start) {
        reason = reject(&ctx, NF_REJECT_INVALID_JSON,
                        "NUL character in string (\\u0000 escape at byte offset %zu)", start + esc);
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        reason = reject(&ctx, NF_REJECT_NOT_OBJECT,
                        "top-level JSON value is of type %s, not an object", json_type_name(root));
        goto out;
    }

    if ((reason = take_id(&ctx, root, &a.id)) != NF_REJECT_NONE ||
        (reason = take_string(&ctx, root, title_aliases, true, &a.title)) != NF_REJECT_NONE ||
        (reason = take_string(&ctx, root, body_aliases, true, &a.body)) != NF_REJECT_NONE ||
        (reason = take_string(&ctx, root, summary_aliases, true, &a.summary)) != NF_REJECT_NONE ||
        (reason = take_string(&ctx, root, url_aliases, false, &a.url)) != NF_REJECT_NONE ||
        (reason = take_source(&ctx, root, &a.source)) != NF_REJECT_NONE ||
        (reason = take_string(&ctx, root, published_aliases, false, &a.published_at)) !=
            NF_REJECT_NONE ||
        (reason = take_string(&ctx, root, language_aliases, false, &a.language)) !=
            NF_REJECT_NONE ||
        (reason = take_authors(&ctx, root, &a)) != NF_REJECT_NONE ||
        (reason = take_deleted(&ctx, root, &a.deleted)) != NF_REJECT_NONE)
        goto out;

    if (!a.id) {
        if (!a.url) {
            reason = reject(&ctx, NF_REJECT_MISSING_ID,
                            "no usable \"id\" and no \"url\" to derive one from");
            goto out;
        }
        char derived[24];
        snprintf(derived, sizeof(derived), "url-%016" PRIx64,
                 nf_fnv1a(NF_FNV_SEED, a.url, strlen(a.url)));
        if (!(a.id = strdup(derived))) {
            reason = reject_oom(&ctx);
            goto out;
        }
        a.id_derived = 1;
    }
    if (!a.title && !a.body && !a.deleted) {
        reason = reject(&ctx, NF_REJECT_MISSING_TEXT,
                        "neither \"title\" nor \"body\" (or an alias) has any text");
        goto out;
    }
    *article = a;
    memset(&a, 0, sizeof(a));
    reason = NF_REJECT_NONE;

out:
    nf_article_clear(&a);
    cJSON_Delete(root);
    return reason;
}
