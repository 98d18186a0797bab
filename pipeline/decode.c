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
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "encode.h"
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

/*
 * Returns the offset of the first ill-formed sequence in <s, len>, or len if none. Runs
 * of ASCII, most of any message, are passed over 8 bytes at a time.
 */
static size_t utf8_check(const unsigned char *s, size_t len, const char **why)
{
    size_t i = 0;
    while (i < len) {
        if (len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
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
 * HTML element names, lower case and sorted (for bsearch): current elements and the
 * obsolete ones old pages still carry. A single word in angle brackets that is one of
 * these ("<Div>", "<Table>") is a tag whatever its case.
 */
static const char *const HTML_ELEMENTS[] = {
    "a",        "abbr",     "acronym",    "address",    "applet",   "area",     "article",
    "aside",    "audio",    "b",          "base",       "basefont", "bdi",      "bdo",
    "bgsound",  "big",      "blink",      "blockquote", "body",     "br",       "button",
    "canvas",   "caption",  "center",     "cite",       "code",     "col",      "colgroup",
    "content",  "data",     "datalist",   "dd",         "del",      "details",  "dfn",
    "dialog",   "dir",      "div",        "dl",         "dt",       "element",  "em",
    "embed",    "fieldset", "figcaption", "figure",     "font",     "footer",   "form",
    "frame",    "frameset", "h1",         "h2",         "h3",       "h4",       "h5",
    "h6",       "head",     "header",     "hgroup",     "hr",       "html",     "i",
    "iframe",   "image",    "img",        "input",      "ins",      "isindex",  "kbd",
    "keygen",   "label",    "legend",     "li",         "link",     "listing",  "main",
    "map",      "mark",     "marquee",    "math",       "menu",     "menuitem", "meta",
    "meter",    "multicol", "nav",        "nextid",     "nobr",     "noembed",  "noframes",
    "noscript", "object",   "ol",         "optgroup",   "option",   "output",   "p",
    "param",    "picture",  "plaintext",  "portal",     "pre",      "progress", "q",
    "rb",       "rp",       "rt",         "rtc",        "ruby",     "s",        "samp",
    "script",   "search",   "section",    "select",     "shadow",   "slot",     "small",
    "source",   "spacer",   "span",       "strike",     "strong",   "style",    "sub",
    "summary",  "sup",      "svg",        "table",      "tbody",    "td",       "template",
    "textarea", "tfoot",    "th",         "thead",      "time",     "title",    "tr",
    "track",    "tt",       "u",          "ul",         "var",      "video",    "wbr",
    "xmp",
};

static int element_cmp(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

/* Whether <s, len> is an HTML element name, in any case. */
static bool html_element(const unsigned char *s, size_t len)
{
    char name[16];
    if (len == 0 || len >= sizeof(name))
        return false;
    for (size_t i = 0; i < len; i++)
        name[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 0x20 : s[i]);
    name[len] = '\0';
    return bsearch(name, HTML_ELEMENTS, sizeof(HTML_ELEMENTS) / sizeof(HTML_ELEMENTS[0]),
                   sizeof(HTML_ELEMENTS[0]), element_cmp) != NULL;
}

/*
 * Is s (at '<') wire copy's company marker, "<Jannock Ltd>" or "<Genentech>", rather than
 * a tag? Its first word is capitalised and mixed case and no '=', quote or '/' comes
 * before the '>' within 80 bytes. A tag's name stands alone or is followed by attributes,
 * which have '=' or are lower case ("<Input disabled>", "<Td class=x>" stay tags). So a
 * marker of two or more words needs a second word that starts with a capital or a digit,
 * and a single word (letters, digits, '.', '-', '&') must not be an HTML element's name:
 * "<Div>", "<Span>", "<Table>" stay tags. Kept as text, the company's name reaches the
 * classifier and the extractor.
 */
static bool name_marker(const unsigned char *s)
{
    if (!(s[1] >= 'A' && s[1] <= 'Z') || !(s[2] >= 'a' && s[2] <= 'z'))
        return false;
    bool second = false, one_word = true;
    for (size_t i = 3; i < 80 && s[i]; i++) {
        unsigned char c = s[i];
        if (c == '>')
            return second || (one_word && !html_element(s + 1, i - 1));
        if (c == '=' || c == '"' || c == '\'' || c == '/' || c == '<' || c == '\n')
            return false;
        if (!is_alnum(c) && c != '.' && c != '-' && c != '&')
            one_word = false;
        if (c == ' ' &&
            ((s[i + 1] >= 'A' && s[i + 1] <= 'Z') || (s[i + 1] >= '0' && s[i + 1] <= '9')))
            second = true;
    }
    return false;
}

/*
 * If s (at '<') starts a tag, returns the first byte after it; otherwise NULL and the
 * '<' is text. A tag is '<' then a letter, '/', '!' or '?', up to the next '>', but not a
 * company marker (name_marker()). Comments run to "-->", and script and style elements are
 * dropped with their content, since neither is prose.
 */
static const unsigned char *tag_skip(tag_scan_t *scan, const unsigned char *s)
{
    unsigned char c = s[1];
    if ((!is_alpha(c) && c != '/' && c != '!' && c != '?') || name_marker(s))
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
 * Bytes that are text whatever surrounds them, copied as they are: printable ASCII but
 * '<' and '&' (tags and entities), and every byte >= 0x80 but the UTF-8 lead bytes of the
 * non-ASCII spaces and removed characters (C2: NBSP, NEL, soft hyphen; E1: U+1680; E2:
 * U+2000..U+2060; E3: U+3000; EF: U+FEFF). A continuation byte, or any other lead byte,
 * decodes to a character of class CH_TEXT or is not UTF-8, and both are copied byte for
 * byte. Spaces and control bytes are not plain: they go through the full step.
 */
/* clang-format off */
static const uint8_t PLAIN[256] = {
#define P16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    P16(0), P16(0),                                       /* 0x00..0x1f */
    0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1,       /* 0x20..0x2f: ' ', '&' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,       /* 0x30..0x3f: '<' */
    P16(1), P16(1), P16(1), P16(1),                       /* 0x40..0x7f */
    P16(1), P16(1), P16(1), P16(1),                       /* 0x80..0xbf */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,       /* 0xc0..0xcf: C2 */
    P16(1),                                               /* 0xd0..0xdf */
    1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,       /* 0xe0..0xef: E1 E2 E3 EF */
    P16(1),                                               /* 0xf0..0xff */
#undef P16
};
/* clang-format on */

/*
 * Skips, from r, what the run loop of nf_text_normalise would: plain bytes and single
 * spaces followed by a plain byte, sixteen bytes at a time (SSE2) while sixteen bytes and
 * the one after them are inside the text (len: its length; s[len] is its NUL). Returns
 * where the byte-by-byte loop takes over, which decides everything after.
 */
static size_t plain_run(const unsigned char *s, size_t r, size_t len)
{
#if defined(__SSE2__)
    const __m128i max_space = _mm_set1_epi8(' '), sp = _mm_set1_epi8(' ');
    const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<');
    const __m128i c2 = _mm_set1_epi8((char)0xc2), e1 = _mm_set1_epi8((char)0xe1);
    const __m128i e2 = _mm_set1_epi8((char)0xe2), e3 = _mm_set1_epi8((char)0xe3);
    const __m128i ef = _mm_set1_epi8((char)0xef);
    while (r + 16 <= len) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + r));
        __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, max_space), x); /* <= ' ' */
        __m128i lead = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, c2), _mm_cmpeq_epi8(x, e1)),
                                    _mm_or_si128(_mm_cmpeq_epi8(x, e2), _mm_cmpeq_epi8(x, e3)));
        __m128i other = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, amp), _mm_cmpeq_epi8(x, lt)),
                                     _mm_or_si128(lead, _mm_cmpeq_epi8(x, ef)));
        unsigned np = (unsigned)_mm_movemask_epi8(_mm_or_si128(low, other));
        unsigned space = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, sp));
        unsigned next_np = (np >> 1) | (PLAIN[s[r + 16]] ? 0u : 0x8000u);
        unsigned stop = np & ~(space & ~next_np);
        if (stop)
            return r + (size_t)__builtin_ctz(stop);
        r += 16;
    }
#else
    (void)s, (void)len;
#endif
    return r;
}

/*
 * Normalises in place. Text is copied in runs: a run is plain bytes with single spaces
 * between them, which normalising leaves as they are, so a run moves (if anything was
 * removed before it) with one memmove, and text that is already normal is only read.
 * Everything else, one character at a time: separators, tags, entities, the characters
 * whose lead bytes are not plain.
 */
size_t nf_text_normalise(char *text)
{
    if (!text)
        return 0;
    unsigned char *s = (unsigned char *)text;
    size_t r = 0, w = 0, len = strlen(text);
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

        if (PLAIN[s[r]]) {
            size_t start = r++;
            r = plain_run(s, r, len);
            for (;;) {
                while (PLAIN[s[r]])
                    r++;
                if (s[r] == ' ' && PLAIN[s[r + 1]])
                    r += 2;
                else
                    break;
            }
            if (space && w > 0)
                s[w++] = ' ';
            space = false;
            if (w != start)
                memmove(s + w, s + start, r - start);
            w += r - start;
            continue;
        }
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

/* ---- the fast path ---- */

/*
 * Most messages are plain JSON objects of string fields. For them a single strict pass
 * finds the fields we read and validates everything else, without building a cJSON tree
 * (an allocation per value) or copying strings twice. It accepts a strict subset of what
 * cJSON accepts: JSON's own grammar, with only ' ', \t, \n and \r as white space, no raw
 * control bytes in strings, no \u0000 and no surrogate escapes, numbers shorter than
 * cJSON's 64-byte buffer, nesting at most FAST_DEPTH deep, and known fields only of the
 * types a decoded article can use. Anything else returns false and the message goes the
 * cJSON way, which then gives exactly the result, or the rejection and its detail, it
 * always gave. On what the fast path accepts, the two agree: it yields the same values
 * (first occurrence of a duplicated key; escapes decoded as cJSON decodes them).
 */
#define FAST_DEPTH 32

enum {
    FK_ID,
    FK_TITLE,
    FK_HEADLINE,
    FK_BODY,
    FK_CONTENT,
    FK_TEXT,
    FK_SUMMARY,
    FK_DESCRIPTION,
    FK_URL,
    FK_LINK,
    FK_SOURCE,
    FK_PUBLISHED_AT,
    FK_PUBLISHED,
    FK_DATE,
    FK_LANGUAGE,
    FK_LANG,
    FK_AUTHORS,
    FK_AUTHOR,
    FK_DELETED,
    FK_OP,
    FK__CNT
};

static const char *const fast_keys[FK__CNT] = {
    "id",          "title", "headline", "body",   "content",      "text",      "summary",
    "description", "url",   "link",     "source", "published_at", "published", "date",
    "language",    "lang",  "authors",  "author", "deleted",      "op"};

enum { FT_ABSENT = 0, FT_NULL, FT_STRING, FT_TRUE, FT_FALSE, FT_NUMBER, FT_ARRAY, FT_OBJECT };

typedef struct fast_val {
    uint8_t type;
    bool escaped;        /* FT_STRING: holds a backslash */
    uint32_t start, len; /* FT_STRING: the bytes between the quotes; else the value */
} fast_val_t;

typedef struct fast {
    const char *base, *p, *end;
    int depth;
} fast_t;

static inline void fast_ws(fast_t *f)
{
    while (f->p < f->end && (*f->p == ' ' || *f->p == '\n' || *f->p == '\r' || *f->p == '\t'))
        f->p++;
}

/* Whether any of the 8 bytes in v is a control byte (< 0x20), '"' or '\\' (exact). */
static inline bool chunk_special(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
    return (((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high;
}

/* A \u escape's four hex digits at p (p + 4 <= end); -1 if they are not hex. */
static long hex4(const unsigned char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_value(p[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* The string at f->p (at its opening quote). */
static bool fast_string(fast_t *f, fast_val_t *v)
{
    const unsigned char *p = (const unsigned char *)f->p + 1, *end = (const unsigned char *)f->end;
    bool escaped = false;
    for (;;) {
#if defined(__SSE2__)
        while (end - p >= 16) {
            unsigned m = nf_json_special16(p);
            if (m) {
                p += __builtin_ctz(m);
                break;
            }
            p += 16;
        }
#endif
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (chunk_special(w))
                break;
            p += 8;
        }
        if (p >= end)
            return false;
        unsigned char c = *p;
        if (c == '"')
            break;
        if (c < 0x20)
            return false; /* cJSON takes raw control bytes; leave them to it */
        if (c != '\\') {
            p++;
            continue;
        }
        escaped = true;
        if (end - p < 2)
            return false;
        switch (p[1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            p += 2;
            break;
        case 'u': {
            if (end - p < 6)
                return false;
            long cp = hex4(p + 2);
            if (cp <= 0 || (cp >= 0xD800 && cp <= 0xDFFF))
                return false; /* not hex, \u0000 or a surrogate: cJSON's way */
            p += 6;
            break;
        }
        default:
            return false;
        }
    }
    v->type = FT_STRING;
    v->escaped = escaped;
    v->start = (uint32_t)((const char *)f->p + 1 - f->base);
    v->len = (uint32_t)((const char *)p - f->p - 1);
    f->p = (const char *)p + 1;
    return true;
}

/* A number in JSON's grammar, shorter than cJSON's 64-byte number buffer. */
static bool fast_number(fast_t *f)
{
    const char *p = f->p, *end = f->end;
    if (p < end && *p == '-')
        p++;
    if (p >= end || !(*p >= '0' && *p <= '9'))
        return false;
    if (*p == '0')
        p++;
    else
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || !(*p >= '0' && *p <= '9'))
            return false;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !(*p >= '0' && *p <= '9'))
            return false;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p - f->p >= 63 || (p < end && (*p == '+' || *p == '-' || *p == '.' || *p == 'e' ||
                                       *p == 'E' || (*p >= '0' && *p <= '9'))))
        return false; /* cJSON would read it differently: let it */
    f->p = p;
    return true;
}

static bool fast_value(fast_t *f, fast_val_t *v);

/*
 * The object at f->p. With keys, the values of those keys are recorded in top (the first
 * occurrence wins, as with cJSON_GetObjectItemCaseSensitive).
 */
static bool fast_object(fast_t *f, const char *const *keys, int nkeys, fast_val_t *top)
{
    f->p++;
    fast_ws(f);
    if (f->p < f->end && *f->p == '}') {
        f->p++;
        return true;
    }
    for (;;) {
        fast_val_t key, val;
        if (f->p >= f->end || *f->p != '"' || !fast_string(f, &key) || key.escaped)
            return false;
        fast_ws(f);
        if (f->p >= f->end || *f->p != ':')
            return false;
        f->p++;
        fast_ws(f);
        if (!fast_value(f, &val))
            return false;
        if (keys) {
            const char *k = f->base + key.start;
            for (int i = 0; i < nkeys; i++)
                if (top[i].type == FT_ABSENT && strlen(keys[i]) == key.len &&
                    memcmp(keys[i], k, key.len) == 0) {
                    top[i] = val;
                    break;
                }
        }
        fast_ws(f);
        if (f->p >= f->end)
            return false;
        if (*f->p == '}') {
            f->p++;
            return true;
        }
        if (*f->p != ',')
            return false;
        f->p++;
        fast_ws(f);
    }
}

static bool fast_array(fast_t *f)
{
    f->p++;
    fast_ws(f);
    if (f->p < f->end && *f->p == ']') {
        f->p++;
        return true;
    }
    for (;;) {
        fast_val_t val;
        if (!fast_value(f, &val))
            return false;
        fast_ws(f);
        if (f->p >= f->end)
            return false;
        if (*f->p == ']') {
            f->p++;
            return true;
        }
        if (*f->p != ',')
            return false;
        f->p++;
        fast_ws(f);
    }
}

static bool fast_literal(fast_t *f, const char *lit, size_t n)
{
    if ((size_t)(f->end - f->p) < n || memcmp(f->p, lit, n))
        return false;
    f->p += n;
    return true;
}

/* The value at f->p (white space already skipped). */
static bool fast_value(fast_t *f, fast_val_t *v)
{
    if (f->p >= f->end)
        return false;
    const char *at = f->p;
    bool ok;
    memset(v, 0, sizeof(*v));
    switch (*f->p) {
    case '"':
        return fast_string(f, v);
    case '{':
    case '[':
        if (++f->depth > FAST_DEPTH)
            return false;
        v->type = *f->p == '{' ? FT_OBJECT : FT_ARRAY;
        ok = *f->p == '{' ? fast_object(f, NULL, 0, NULL) : fast_array(f);
        f->depth--;
        break;
    case 'n':
        v->type = FT_NULL;
        ok = fast_literal(f, "null", 4);
        break;
    case 't':
        v->type = FT_TRUE;
        ok = fast_literal(f, "true", 4);
        break;
    case 'f':
        v->type = FT_FALSE;
        ok = fast_literal(f, "false", 5);
        break;
    default:
        v->type = FT_NUMBER;
        ok = fast_number(f);
    }
    v->start = (uint32_t)(at - f->base);
    v->len = (uint32_t)(f->p - at);
    return ok;
}

/* Decodes the escapes of a validated string <s, len> into out (as cJSON does). */
static size_t fast_unescape(const char *s, size_t len, char *out)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        /* the plain run up to the next escape, in one copy */
        const char *esc = memchr(s + i, '\\', len - i);
        size_t run = esc ? (size_t)(esc - (s + i)) : len - i;
        memcpy(out + w, s + i, run);
        w += run;
        i += run;
        if (i == len)
            break;
        char c = s[++i];
        switch (c) {
        case 'b':
            out[w++] = '\b';
            break;
        case 'f':
            out[w++] = '\f';
            break;
        case 'n':
            out[w++] = '\n';
            break;
        case 'r':
            out[w++] = '\r';
            break;
        case 't':
            out[w++] = '\t';
            break;
        case 'u':
            w += utf8_put((uint32_t)hex4((const unsigned char *)s + i + 1),
                          (unsigned char *)out + w);
            i += 4;
            break;
        default: /* '"', '\\', '/' */
            out[w++] = c;
        }
    }
    return w;
}

/*
 * Like clean_dup, from a string of the message: one copy, escapes decoded on the way
 * (a \uXXXX escape is never longer in UTF-8 than its six bytes).
 */
static int fast_dup(const char *base, const fast_val_t *v, bool prose, char **out)
{
    *out = NULL;
    char *copy = malloc((size_t)v->len + 1);
    if (!copy)
        return -1;
    size_t n;
    if (v->escaped) {
        n = fast_unescape(base + v->start, v->len, copy);
    } else {
        memcpy(copy, base + v->start, v->len);
        n = v->len;
    }
    copy[n] = '\0';
    size_t len = prose ? nf_text_normalise(copy) : trim(copy);
    if (len == 0)
        free(copy);
    else
        *out = copy;
    return 0;
}

/*
 * take_string's rule on the fast path: the first alias that is a string with text once
 * cleaned. 1 when the cJSON way must decide (a value of another type), -1 out of memory.
 */
static int fast_take(const char *base, const fast_val_t *top, const int *aliases, int n, bool prose,
                     char **out)
{
    for (int i = 0; i < n; i++) {
        const fast_val_t *v = &top[aliases[i]];
        if (v->type == FT_ABSENT || v->type == FT_NULL)
            continue;
        if (v->type != FT_STRING)
            return 1;
        if (fast_dup(base, v, prose, out) < 0)
            return -1;
        if (*out)
            return 0;
    }
    return 0;
}

/* Counts the elements of a validated array value, 0 if one is not a string (or none). */
static size_t fast_string_array(const char *base, const fast_val_t *arr, fast_val_t *elems,
                                size_t max)
{
    fast_t f = {base, base + arr->start + 1, base + arr->start + arr->len - 1, 1};
    size_t n = 0;
    fast_ws(&f);
    while (f.p < f.end) {
        fast_val_t v;
        if (!fast_value(&f, &v) || v.type != FT_STRING)
            return 0;
        if (n < max)
            elems[n] = v;
        n++;
        fast_ws(&f);
        if (f.p < f.end && *f.p == ',')
            f.p++;
        fast_ws(&f);
    }
    return n;
}

#define FAST_AUTHORS_MAX 64

/*
 * Fills *a from a message the fast parser accepted (top holds its known fields).
 * Returns 0, 1 when the cJSON way must decide (a field of a type the article cannot use,
 * a source object, an odd authors value), or -1 when out of memory. *a is the caller's to
 * clear either way.
 */
static int fast_article(const char *base, const fast_val_t *top, nf_article_t *a)
{
    static const int title[] = {FK_TITLE, FK_HEADLINE}, body[] = {FK_BODY, FK_CONTENT, FK_TEXT},
                     summary[] = {FK_SUMMARY, FK_DESCRIPTION}, url[] = {FK_URL, FK_LINK},
                     published[] = {FK_PUBLISHED_AT, FK_PUBLISHED, FK_DATE},
                     language[] = {FK_LANGUAGE, FK_LANG};
    int rc;
    const fast_val_t *id = &top[FK_ID];
    if (id->type == FT_STRING) {
        if (fast_dup(base, id, false, &a->id) < 0)
            return -1;
    } else if (id->type != FT_ABSENT && id->type != FT_NULL) {
        return 1;
    }
    if ((rc = fast_take(base, top, title, 2, true, &a->title)) ||
        (rc = fast_take(base, top, body, 3, true, &a->body)) ||
        (rc = fast_take(base, top, summary, 2, true, &a->summary)) ||
        (rc = fast_take(base, top, url, 2, false, &a->url)) ||
        (rc = fast_take(base, top, published, 3, false, &a->published_at)) ||
        (rc = fast_take(base, top, language, 2, false, &a->language)))
        return rc;

    /* source: a string, or an object whose "name" is the publisher */
    const fast_val_t *src = &top[FK_SOURCE];
    if (src->type == FT_STRING) {
        if (fast_dup(base, src, true, &a->source) < 0)
            return -1;
    } else if (src->type == FT_OBJECT) {
        static const char *const name_key[] = {"name"};
        static const int name_alias[] = {0};
        fast_val_t name[1];
        memset(name, 0, sizeof(name));
        fast_t f = {base, base + src->start, base + src->start + src->len, 2};
        if (!fast_object(&f, name_key, 1, name))
            return 1; /* cannot happen: it was parsed once already */
        if ((rc = fast_take(base, name, name_alias, 1, true, &a->source)))
            return rc;
    } else if (src->type != FT_ABSENT && src->type != FT_NULL) {
        return 1;
    }

    /* authors: a string, or an array of strings; the first alias with a name left wins */
    for (int k = FK_AUTHORS; k <= FK_AUTHOR && !a->authors; k++) {
        const fast_val_t *v = &top[k];
        fast_val_t elems[FAST_AUTHORS_MAX];
        size_t n;
        if (v->type == FT_ABSENT || v->type == FT_NULL)
            continue;
        if (v->type == FT_STRING) {
            elems[0] = *v;
            n = 1;
        } else if (v->type == FT_ARRAY) {
            n = fast_string_array(base, v, elems, FAST_AUTHORS_MAX);
            if (n == 0 || n > FAST_AUTHORS_MAX) {
                /* an empty array is skipped; anything else odd goes the cJSON way */
                fast_t f = {base, base + v->start + 1, base + v->start + v->len - 1, 1};
                fast_ws(&f);
                if (f.p < f.end)
                    return 1;
                continue;
            }
        } else {
            return 1;
        }
        char **names = calloc(n, sizeof(*names));
        size_t kept = 0;
        if (!names)
            return -1;
        for (size_t i = 0; i < n; i++) {
            if (fast_dup(base, &elems[i], true, &names[kept]) < 0) {
                while (kept > 0)
                    free(names[--kept]);
                free(names);
                return -1;
            }
            kept += names[kept] != NULL;
        }
        if (kept == 0) {
            free(names);
            continue;
        }
        a->authors = names;
        a->authors_n = kept;
    }

    const fast_val_t *del = &top[FK_DELETED], *op = &top[FK_OP];
    if (del->type == FT_TRUE || del->type == FT_FALSE)
        a->deleted = del->type == FT_TRUE;
    else if (del->type != FT_ABSENT && del->type != FT_NULL)
        return 1;
    if (op->type == FT_STRING) {
        if (op->len == 6 && !op->escaped && !strncasecmp(base + op->start, "delete", 6))
            a->deleted = 1;
        else if (op->escaped)
            return 1;
    } else if (op->type != FT_ABSENT && op->type != FT_NULL) {
        return 1;
    }
    return 0;
}

/*
 * The fast path over <buf, len> (the message after a byte order mark). Returns 0 with
 * *a filled, 1 when the cJSON way must decide (a is cleared), -1 out of memory.
 */
static int fast_decode(const char *buf, size_t len, nf_article_t *a)
{
    fast_val_t top[FK__CNT];
    memset(top, 0, sizeof(top));
    if (len > UINT32_MAX)
        return 1;
    fast_t f = {buf, buf, buf + len, 1};
    fast_ws(&f);
    if (f.p >= f.end || *f.p != '{' || !fast_object(&f, fast_keys, FK__CNT, top))
        return 1;
    fast_ws(&f);
    if (f.p != f.end)
        return 1;
    int rc = fast_article(buf, top, a);
    if (rc)
        nf_article_clear(a);
    return rc;
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

    if (!(opts && opts->cjson_only)) {
        int rc = fast_decode(buf + start, len - start, &a);
        if (rc < 0) {
            reason = reject_oom(&ctx);
            goto out;
        }
        if (rc == 0)
            goto fields_done;
    }

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

fields_done:
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
