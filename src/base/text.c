/* text.c — UTF-8 validation, NFC, Vietnamese search folding and legacy
 * encodings (text.h).
 *
 * Normalisation, mark stripping and case folding are utf8proc's; legacy
 * single-byte encodings go through iconv(3) (glibc knows CP1258 and
 * TCVN5712-1 and composes their combining tone bytes).  Only VNI-Windows is
 * decoded here, because neither iconv nor GDAL's CPLRecode has it. */
#include "base/text.h"

#include "base/buf.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

/* ---------------------------------------------------------------- UTF-8 */

/* Well-formed UTF-8 per RFC 3629 / Unicode Table 3-7: the second-byte ranges
 * after E0, ED, F0 and F4 exclude overlongs, surrogates and > U+10FFFF. */
size_t text_utf8_seq_len(const unsigned char *p, const unsigned char *end) {
    unsigned c = p[0];
    size_t len;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3;
    else if (c >= 0xF0 && c <= 0xF4) len = 4;
    else return 0;
    if ((size_t)(end - p) < len) return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    /* No overlongs (E0 80..9F, F0 80..8F), no surrogates (ED A0..BF), nothing
     * above U+10FFFF (F4 90..): RFC 3629 §4. */
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0) ||
        (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
        return 0;
    return len;
}

int text_utf8_valid(const char *s, size_t n) {
    if (!s) return n == 0;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        size_t len = text_utf8_seq_len(p, end);
        if (!len) return 0;
        p += len;
    }
    return 1;
}

/* Run utf8proc over a valid NUL-terminated UTF-8 string; NULL on
 * allocation failure.  utf8proc allocates with malloc. */
static char *map_valid(const char *s, utf8proc_option_t opts, utf8proc_custom_func fn) {
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t r = utf8proc_map_custom((const utf8proc_uint8_t *)s, 0, &out,
                                             opts | UTF8PROC_NULLTERM | UTF8PROC_STABLE, fn, NULL);
    if (r < 0) {
        free(out);
        return NULL;
    }
    return (char *)out;
}

#define NFC_OPTS UTF8PROC_COMPOSE
#define CASEFOLD_OPTS (UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD)
/* COMPAT too: full-width digits, ligatures and the like fold to ASCII. */
#define FOLD_OPTS (UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD)

/* đ/Đ (U+0111/U+0110) are letters of their own with no canonical
 * decomposition, so STRIPMARK leaves them; searchers type "d". */
static utf8proc_int32_t fold_dstroke(utf8proc_int32_t cp, void *data) {
    (void)data;
    if (cp == 0x0110) return 'D';
    if (cp == 0x0111) return 'd';
    return cp;
}

/* Letters, digits and marks are kept; every other run (spaces,
 * punctuation, symbols, controls) becomes one space. */
static int is_word_char(utf8proc_int32_t cp) {
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return 1;
    default:
        return 0;
    }
}

/* The slow (reference) fold: utf8proc's mapping, then runs of non-word
 * code points collapsed to one space, in place (never longer). */
static char *fold_slow(const char *s) {
    char *m = map_valid(s, FOLD_OPTS, fold_dstroke);
    if (!m) return NULL;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)m;
    size_t in = 0, out = 0, len = strlen(m);
    int pending_space = 0;
    while (in < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p + in, (utf8proc_ssize_t)(len - in), &cp);
        if (k <= 0) { /* cannot happen on utf8proc's own output; stay safe */
            free(m);
            return NULL;
        }
        if (is_word_char(cp)) {
            if (pending_space && out > 0) m[out++] = ' ';
            pending_space = 0;
            memmove(m + out, m + in, (size_t)k);
            out += (size_t)k;
        } else {
            pending_space = 1;
        }
        in += (size_t)k;
    }
    m[out] = '\0';
    return m;
}

/* ------------------------------------------------------------ fast path
 * utf8proc costs a few microseconds a string (UTF-32 buffers, property
 * look-ups, reordering), and the ingest folds every name several times.
 * Almost all our text is ASCII plus precomposed Latin letters
 * (Vietnamese: U+00C0..U+01B0 and U+1EA0..U+1EF9).  When every code point
 * of a string is a "plain" one — a starter (combining class 0, not a mark)
 * that never combines with a neighbour and whose NFC is itself — each of
 * NFC, case folding and search folding maps the string one code point at
 * a time: decomposition is per code point, canonical reordering only moves
 * marks between starters, and composition cannot cross into the next code
 * point's starter.  So the per-code-point results are computed once, by
 * utf8proc itself, and such strings are mapped by table look-up.  A code
 * point whose result would break that (a mark in its output, a mixed
 * word/separator output, anything longer than FAST_MAX bytes) is marked
 * slow, and a string holding any slow or out-of-table code point goes to
 * utf8proc as before: utf8proc stays the authority, the table only caches
 * its answers (tests/unit/test_text.c checks them against it). */

#define FAST_MAX 8
/* The table covers U+0000..U+024F and U+1E00..U+1EFF. */
#define FAST_LOW_END 0x250
#define FAST_HIGH_BEGIN 0x1E00
#define FAST_HIGH_END 0x1F00
#define FAST_SIZE (FAST_LOW_END + (FAST_HIGH_END - FAST_HIGH_BEGIN))

enum { FOLD_SLOW, FOLD_WORD, FOLD_SEP, FOLD_EMPTY };

typedef struct FastEntry {
    unsigned char nfc_same;     /* plain, and NFC leaves it alone */
    unsigned char fold_kind;    /* FOLD_*: output all word chars, all separators, nothing */
    unsigned char fold_len, casefold_len;  /* bytes; casefold_len 0 = slow */
    char fold[FAST_MAX], casefold[FAST_MAX];
} FastEntry;

static FastEntry fast_table[FAST_SIZE];
static size_t fast_growth = 1; /* max output bytes per input byte of any entry */
static pthread_once_t fast_once = PTHREAD_ONCE_INIT;
static int fast_enabled = 1;

void text_fast_path_enable(int on) { fast_enabled = on; }

/* Table index of cp, or -1 outside the table. */
static int fast_index(utf8proc_int32_t cp) {
    if (cp >= 0 && cp < FAST_LOW_END) return (int)cp;
    if (cp >= FAST_HIGH_BEGIN && cp < FAST_HIGH_END) return FAST_LOW_END + (int)(cp - FAST_HIGH_BEGIN);
    return -1;
}

/* A starter that is not a mark and is assigned: what utf8proc may treat
 * one code point at a time, if the rest of fast_init agrees. */
static int fast_starter(utf8proc_int32_t cp) {
    const utf8proc_property_t *p = utf8proc_get_property(cp);
    utf8proc_category_t c = (utf8proc_category_t)p->category;
    return cp > 0 && p->combining_class == 0 && c != UTF8PROC_CATEGORY_CN && c != UTF8PROC_CATEGORY_MN &&
           c != UTF8PROC_CATEGORY_MC && c != UTF8PROC_CATEGORY_ME;
}

/* Decode the next code point of valid UTF-8 at *p (advances *p). */
static utf8proc_int32_t next_cp(const unsigned char **p) {
    const unsigned char *s = *p;
    utf8proc_int32_t cp;
    if (s[0] < 0x80) {
        cp = s[0];
        *p += 1;
    } else if (s[0] < 0xE0) {
        cp = (s[0] & 0x1F) << 6 | (s[1] & 0x3F);
        *p += 2;
    } else if (s[0] < 0xF0) {
        cp = (s[0] & 0x0F) << 12 | (s[1] & 0x3F) << 6 | (s[2] & 0x3F);
        *p += 3;
    } else {
        cp = (s[0] & 0x07) << 18 | (s[1] & 0x3F) << 12 | (s[2] & 0x3F) << 6 | (s[3] & 0x3F);
        *p += 4;
    }
    return cp;
}

/* 1 when every code point of the UTF-8 string out is in the table and
 * nfc_same (so it starts a new, self-contained segment). */
static int fast_all_plain(const char *out) {
    const unsigned char *p = (const unsigned char *)out;
    while (*p) {
        int i = fast_index(next_cp(&p));
        if (i < 0 || !fast_table[i].nfc_same) return 0;
    }
    return 1;
}

static void fast_init(void) {
    /* First which code points are plain and NFC-stable ... */
    for (int i = 0; i < FAST_SIZE; i++) {
        utf8proc_int32_t cp = i < FAST_LOW_END ? i : FAST_HIGH_BEGIN + (i - FAST_LOW_END);
        if (!fast_starter(cp)) continue;
        char one[5] = {0};
        utf8proc_encode_char(cp, (utf8proc_uint8_t *)one);
        char *n = map_valid(one, NFC_OPTS, NULL);
        fast_table[i].nfc_same = n && !strcmp(n, one);
        free(n);
    }
    /* ... then their case fold and search fold, kept only when the output
     * is made of such code points (so nothing in it can combine or reorder
     * with the neighbours' output either) and fits. */
    for (int i = 0; i < FAST_SIZE; i++) {
        FastEntry *e = &fast_table[i];
        if (!e->nfc_same) continue;
        utf8proc_int32_t cp = i < FAST_LOW_END ? i : FAST_HIGH_BEGIN + (i - FAST_LOW_END);
        char one[5] = {0};
        utf8proc_encode_char(cp, (utf8proc_uint8_t *)one);
        char *cf = map_valid(one, CASEFOLD_OPTS, NULL);
        size_t n = cf ? strlen(cf) : 0;
        if (cf && n > 0 && n <= FAST_MAX && fast_all_plain(cf)) {
            memcpy(e->casefold, cf, n);
            e->casefold_len = (unsigned char)n;
        }
        free(cf);
        char *f = map_valid(one, FOLD_OPTS, fold_dstroke);
        n = f ? strlen(f) : 0;
        if (f && n <= FAST_MAX && fast_all_plain(f)) {
            int words = 0, seps = 0;
            for (const unsigned char *p = (const unsigned char *)f; *p;) {
                if (is_word_char(next_cp(&p))) words++;
                else seps++;
            }
            e->fold_kind = n == 0 ? FOLD_EMPTY : !seps ? FOLD_WORD : !words ? FOLD_SEP : FOLD_SLOW;
            memcpy(e->fold, f, n);
            e->fold_len = (unsigned char)n;
        }
        free(f);
        size_t in = strlen(one), out = e->fold_len > e->casefold_len ? e->fold_len : e->casefold_len;
        if ((out + in - 1) / in > fast_growth) fast_growth = (out + in - 1) / in;
    }
}

/* The table entry of the code point at *p, advancing *p; NULL at a code
 * point outside the table or at bytes that are not valid UTF-8.  Only the
 * table's encodings are decoded: ASCII, C2..C9 + one continuation byte
 * (U+0080..U+027F) and E1 B8..BB + one (U+1E00..U+1EFF), none of which
 * can be overlong, so a string the fast paths accept needs no other
 * validation. */
static inline const FastEntry *fast_next(const unsigned char **p) {
    const unsigned char *s = *p;
    int i;
    if (s[0] < 0x80) {
        i = s[0];
        *p += 1;
    } else if (s[0] >= 0xC2 && s[0] <= 0xC9 && (s[1] & 0xC0) == 0x80) {
        i = (s[0] & 0x1F) << 6 | (s[1] & 0x3F);
        if (i >= FAST_LOW_END) return NULL;
        *p += 2;
    } else if (s[0] == 0xE1 && s[1] >= 0xB8 && s[1] <= 0xBB && (s[2] & 0xC0) == 0x80) {
        i = FAST_LOW_END + ((s[1] & 0x03) << 6 | (s[2] & 0x3F));
        *p += 3;
    } else {
        return NULL;
    }
    return &fast_table[i];
}

/* NFC by table: a copy of s when every code point is NFC-stable, else
 * NULL (use utf8proc; also on allocation failure, where utf8proc fails
 * too). */
static char *nfc_fast(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) { /* ASCII is always NFC */
            p++;
            continue;
        }
        const FastEntry *e = fast_next(&p);
        if (!e || !e->nfc_same) return NULL;
    }
    size_t len = (size_t)(p - (const unsigned char *)s);
    char *out = malloc(len + 1);
    if (out) memcpy(out, s, len + 1);
    return out;
}

/* Case fold by table, or NULL (use utf8proc).  The output is at most
 * fast_growth times the input. */
static char *casefold_fast(const char *s) {
    char *out = malloc(strlen(s) * fast_growth + 1), *o = out;
    if (!out) return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        const FastEntry *e = fast_next(&p);
        if (!e || !e->casefold_len) {
            free(out);
            return NULL;
        }
        memcpy(o, e->casefold, e->casefold_len);
        o += e->casefold_len;
    }
    *o = '\0';
    return out;
}

/* Search fold by table (same collapsing as fold_slow), or NULL.  A
 * separator is written only for a separator code point (one byte or more)
 * that was dropped, so fast_growth bounds the output too. */
static char *fold_fast(const char *s) {
    char *out = malloc(strlen(s) * fast_growth + 1);
    if (!out) return NULL;
    size_t o = 0;
    int pending_space = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        const FastEntry *e = fast_next(&p);
        if (!e || e->fold_kind == FOLD_SLOW) {
            free(out);
            return NULL;
        }
        if (e->fold_kind == FOLD_WORD) {
            if (pending_space && o > 0) out[o++] = ' ';
            pending_space = 0;
            memcpy(out + o, e->fold, e->fold_len);
            o += e->fold_len;
        } else if (e->fold_kind == FOLD_SEP) {
            pending_space = 1;
        }
    }
    out[o] = '\0';
    return out;
}

/* Each of the three: the table when it can, else validate and ask
 * utf8proc. */
char *text_nfc(const char *s) {
    if (!s) return NULL;
    if (fast_enabled) {
        pthread_once(&fast_once, fast_init);
        char *r = nfc_fast(s);
        if (r) return r;
    }
    return text_utf8_valid(s, strlen(s)) ? map_valid(s, NFC_OPTS, NULL) : NULL;
}

char *text_casefold(const char *s) {
    if (!s) return NULL;
    if (fast_enabled) {
        pthread_once(&fast_once, fast_init);
        char *r = casefold_fast(s);
        if (r) return r;
    }
    return text_utf8_valid(s, strlen(s)) ? map_valid(s, CASEFOLD_OPTS, NULL) : NULL;
}

char *text_fold(const char *s) {
    if (!s) return NULL;
    if (fast_enabled) {
        pthread_once(&fast_once, fast_init);
        char *r = fold_fast(s);
        if (r) return r;
    }
    return text_utf8_valid(s, strlen(s)) ? fold_slow(s) : NULL;
}

char *text_trim(char *s) {
    if (!s) return s;
    char *p = s;
    for (;;) {
        if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
            (unsigned char)p[2] == 0xBF)
            p += 3;
        else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
            p++;
        else
            break;
    }
    size_t n = strlen(p);
    while (n > 0 && strchr(" \t\n\r\f\v", p[n - 1])) n--;
    memmove(s, p, n);
    s[n] = '\0';
    return s;
}

/* ------------------------------------------------------- admin-name key */

/* Unit-type words a name may start with, folded, longest first where one
 * is a prefix of another.  Single letters are the abbreviations "H.",
 * "Q.", "P.", "X." (the dot is gone after folding). */
static const char *const admin_prefixes[] = {
    "thanh pho", "thi xa", "thi tran", "dac khu", "tinh", "huyen", "quan", "phuong",
    "xa", "tp", "tx", "tt", "h", "q", "p", "x", NULL,
};

char *text_admin_key(const char *name) {
    char *k = text_fold(name);
    if (!k) return NULL;
    for (int i = 0; admin_prefixes[i]; i++) {
        size_t n = strlen(admin_prefixes[i]);
        /* a whole leading word, with something left after it */
        if (!strncmp(k, admin_prefixes[i], n) && k[n] == ' ' && k[n + 1] != '\0') {
            memmove(k, k + n + 1, strlen(k + n + 1) + 1);
            break;
        }
    }
    return k;
}

/* ------------------------------------------------------------ encodings */

typedef enum { ENC_UTF8, ENC_VNI, ENC_ICONV } EncKind;

typedef struct EncAlias {
    const char *name;
    EncKind kind;
    const char *iconv_name;
} EncAlias;

static const EncAlias enc_aliases[] = {
    {"UTF-8", ENC_UTF8, NULL},
    {"UTF8", ENC_UTF8, NULL},
    {"CP1258", ENC_ICONV, "CP1258"},
    {"WINDOWS-1258", ENC_ICONV, "CP1258"},
    {"TCVN3", ENC_ICONV, "TCVN5712-1"},
    {"TCVN", ENC_ICONV, "TCVN5712-1"},
    {"TCVN5712-1", ENC_ICONV, "TCVN5712-1"},
    {"TCVN-5712", ENC_ICONV, "TCVN5712-1"},
    {"VN3", ENC_ICONV, "TCVN5712-1"},
    {"VNI", ENC_VNI, NULL},
    {"VNI-WINDOWS", ENC_VNI, NULL},
    {"VNI-WIN", ENC_VNI, NULL},
    {"CP1252", ENC_ICONV, "CP1252"},
    {"WINDOWS-1252", ENC_ICONV, "CP1252"},
    {"LATIN1", ENC_ICONV, "ISO-8859-1"},
    {"ISO-8859-1", ENC_ICONV, "ISO-8859-1"},
};

/* Resolve an encoding name; returns 0 and fills kind/iconv name, or -1. */
static int enc_resolve(const char *encoding, EncKind *kind, const char **iconv_name) {
    if (!encoding || !*encoding) return -1;
    for (size_t i = 0; i < sizeof enc_aliases / sizeof enc_aliases[0]; i++)
        if (!strcasecmp(encoding, enc_aliases[i].name)) {
            *kind = enc_aliases[i].kind;
            *iconv_name = enc_aliases[i].iconv_name;
            return 0;
        }
    iconv_t cd = iconv_open("UTF-8", encoding);
    if (cd == (iconv_t)-1) return -1;
    iconv_close(cd);
    *kind = ENC_ICONV;
    *iconv_name = encoding;
    return 0;
}

int text_encoding_known(const char *encoding) {
    EncKind kind;
    const char *name;
    return enc_resolve(encoding, &kind, &name) == 0;
}

static void set_err(const char **err, const char *msg) {
    if (err) *err = msg;
}

/* Append code point cp as UTF-8. */
static void put_cp(Buf *b, int32_t cp) {
    utf8proc_uint8_t tmp[4];
    utf8proc_ssize_t k = utf8proc_encode_char(cp, tmp);
    buf_append(b, tmp, (size_t)k);
}

/* NFC of a finished Buf; frees the Buf.  NULL (with *err) when it is not
 * valid UTF-8 or memory ran out. */
static char *finish_nfc(Buf *b, const char **err) {
    if (b->oom) {
        buf_free(b);
        set_err(err, "out of memory");
        return NULL;
    }
    buf_append(b, "", 0); /* NUL-terminates, also an empty or only-reserved Buf */
    char *r = text_nfc(b->data);
    buf_free(b);
    if (!r) set_err(err, "text is not valid UTF-8 after decoding");
    return r;
}

static char *decode_iconv(const char *bytes, size_t n, const char *from, const char **err) {
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1) {
        set_err(err, "unknown encoding");
        return NULL;
    }
    Buf out = BUF_INIT;
    char *in = (char *)bytes; /* iconv's prototype is not const-correct */
    size_t inleft = n;
    /* Pass 0 converts, pass 1 flushes: glibc's CP1258/TCVN decoders hold
     * back the last base letter waiting for a combining tone byte. */
    for (int pass = 0; pass < 2;) {
        if (buf_reserve(&out, inleft * 4 + 16) != 0) break;
        char *o = out.data + out.len;
        size_t oleft = out.cap - out.len - 1;
        size_t r = pass ? iconv(cd, NULL, NULL, &o, &oleft) : iconv(cd, &in, &inleft, &o, &oleft);
        out.len = (size_t)(o - out.data);
        out.data[out.len] = '\0';
        if (r == (size_t)-1) {
            if (errno == E2BIG) continue;
            iconv_close(cd);
            buf_free(&out);
            set_err(err, errno == EINVAL ? "truncated character at end of text"
                                         : "byte sequence not valid in the declared encoding");
            return NULL;
        }
        pass++;
    }
    iconv_close(cd);
    return finish_nfc(&out, err);
}

/* --- VNI-Windows ---------------------------------------------------------
 * VNI is a font encoding, not a code page: no iconv, ICU or GDAL converter
 * knows it.  A Vietnamese letter is written as its base letter followed by
 * one mark byte (a tone, a circumflex/breve, or a byte combining both), and
 * a few letters have a byte of their own (ơ ư đ, and i/y with some tones).
 * "Đà Lạt" = D1 61 F8 20 4C 61 EF 74.  Every upper-case byte below has its
 * lower-case twin at +0x20 (é = 0xE9 for É = 0xC9, and so on).  Bytes not in
 * the table read as Windows-1252 (the code page VNI fonts sit on).
 * Table checked against the VNI-Windows list of all 134 letters in the
 * xvnkb input method (vni.h) and in several open-source converters. */

enum { MOD_NONE = 0, MOD_CIRC = 0x0302, MOD_BREVE = 0x0306 };
enum { TONE_NONE = 0, TONE_GRAVE = 0x0300, TONE_ACUTE = 0x0301, TONE_TILDE = 0x0303,
       TONE_HOOK = 0x0309, TONE_DOT = 0x0323 };

typedef struct VniByte {
    unsigned char upper;      /* upper-case byte; lower-case is upper + 0x20 */
    uint16_t mod, tone;       /* a mark byte: what it adds to the letter before */
    int32_t cp_upper, cp_lower; /* or a letter of its own */
    char base;                /* that letter's base vowel (lower case), or 0 */
} VniByte;

static const VniByte vni_bytes[] = {
    /* marks */
    {0xC2, MOD_CIRC, TONE_NONE, 0, 0, 0},  {0xCA, MOD_BREVE, TONE_NONE, 0, 0, 0},
    {0xD9, MOD_NONE, TONE_ACUTE, 0, 0, 0}, {0xD8, MOD_NONE, TONE_GRAVE, 0, 0, 0},
    {0xDB, MOD_NONE, TONE_HOOK, 0, 0, 0},  {0xD5, MOD_NONE, TONE_TILDE, 0, 0, 0},
    {0xCF, MOD_NONE, TONE_DOT, 0, 0, 0},
    {0xC1, MOD_CIRC, TONE_ACUTE, 0, 0, 0}, {0xC0, MOD_CIRC, TONE_GRAVE, 0, 0, 0},
    {0xC5, MOD_CIRC, TONE_HOOK, 0, 0, 0},  {0xC3, MOD_CIRC, TONE_TILDE, 0, 0, 0},
    {0xC4, MOD_CIRC, TONE_DOT, 0, 0, 0},
    {0xC9, MOD_BREVE, TONE_ACUTE, 0, 0, 0}, {0xC8, MOD_BREVE, TONE_GRAVE, 0, 0, 0},
    {0xDA, MOD_BREVE, TONE_HOOK, 0, 0, 0},  {0xDC, MOD_BREVE, TONE_TILDE, 0, 0, 0},
    {0xCB, MOD_BREVE, TONE_DOT, 0, 0, 0},
    /* letters of their own */
    {0xD4, 0, 0, 0x01A0, 0x01A1, 'o'}, /* Ơ ơ */
    {0xD6, 0, 0, 0x01AF, 0x01B0, 'u'}, /* Ư ư */
    {0xD1, 0, 0, 0x0110, 0x0111, 0},   /* Đ đ */
    {0xCD, 0, 0, 0x00CD, 0x00ED, 'i'}, /* Í í */
    {0xCC, 0, 0, 0x00CC, 0x00EC, 'i'}, /* Ì ì */
    {0xC6, 0, 0, 0x1EC8, 0x1EC9, 'i'}, /* Ỉ ỉ */
    {0xD3, 0, 0, 0x0128, 0x0129, 'i'}, /* Ĩ ĩ */
    {0xD2, 0, 0, 0x1ECA, 0x1ECB, 'i'}, /* Ị ị */
    {0xCE, 0, 0, 0x1EF4, 0x1EF5, 'y'}, /* Ỵ ỵ */
};

typedef struct VniCell {
    char is_mark;     /* a mark byte: adds mod/tone to the letter before */
    uint16_t mod, tone;
    int32_t cp;       /* otherwise the code point to emit; -1 undefined */
    char base;        /* base vowel of cp, 0 if none */
    char has_mod, has_tone;
} VniCell;

static VniCell vni_table[256];
static pthread_once_t vni_once = PTHREAD_ONCE_INIT;

/* Fill the table: ASCII as is, other high bytes from iconv's CP1252, then
 * the VNI bytes on top. */
static void vni_init(void) {
    for (int c = 0; c < 256; c++) {
        int lc = (c >= 'A' && c <= 'Z') ? c + 0x20 : c;
        vni_table[c].cp = c < 0x80 ? c : -1;
        vni_table[c].base = (lc && strchr("aeiouy", lc)) ? (char)lc : 0;
    }
    iconv_t cd = iconv_open("UTF-32LE", "CP1252");
    if (cd != (iconv_t)-1) {
        for (int c = 0x80; c < 256; c++) {
            char in = (char)c, *ip = &in, outb[8], *op = outb;
            size_t il = 1, ol = sizeof outb;
            iconv(cd, NULL, NULL, NULL, NULL);
            if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1 && ol == 4) {
                const unsigned char *u = (const unsigned char *)outb;
                vni_table[c].cp = (int32_t)(u[0] | u[1] << 8 | u[2] << 16 | (uint32_t)u[3] << 24);
            }
        }
        iconv_close(cd);
    }
    for (size_t i = 0; i < sizeof vni_bytes / sizeof vni_bytes[0]; i++) {
        const VniByte *v = &vni_bytes[i];
        for (int lower = 0; lower < 2; lower++) {
            VniCell *cell = &vni_table[v->upper + (lower ? 0x20 : 0)];
            memset(cell, 0, sizeof *cell);
            cell->is_mark = (char)(v->mod || v->tone);
            cell->mod = v->mod;
            cell->tone = v->tone;
            cell->cp = lower ? v->cp_lower : v->cp_upper;
            cell->base = v->base;
            cell->has_mod = (char)(v->base == 'o' || v->base == 'u'); /* ơ ư carry the horn */
            cell->has_tone = (char)(v->base == 'i' || v->base == 'y');
        }
    }
}

static char *decode_vni(const unsigned char *p, size_t n, const char **err) {
    pthread_once(&vni_once, vni_init);
    Buf out = BUF_INIT;
    buf_reserve(&out, n * 3);
    char base = 0;          /* base vowel of the letter just written, 0 if none */
    int has_mod = 0, has_tone = 0;
    for (size_t i = 0; i < n; i++) {
        const VniCell *c = &vni_table[p[i]];
        if (c->is_mark) { /* it must fit the letter before it */
            int ok = base != 0 && !has_tone && (!c->mod || !has_mod) &&
                     (c->mod != MOD_CIRC || base == 'a' || base == 'e' || base == 'o') &&
                     (c->mod != MOD_BREVE || base == 'a');
            if (!ok) {
                buf_free(&out);
                set_err(err, "VNI mark byte that does not fit the letter before it");
                return NULL;
            }
            /* modifier first: NFC then composes â + tone into one letter */
            if (c->mod) put_cp(&out, c->mod);
            if (c->tone) put_cp(&out, c->tone);
            has_mod |= c->mod != 0;
            has_tone |= c->tone != 0;
            continue;
        }
        if (c->cp < 0) {
            buf_free(&out);
            set_err(err, "byte not defined in VNI-Windows");
            return NULL;
        }
        put_cp(&out, c->cp);
        base = c->base;
        has_mod = c->has_mod;
        has_tone = c->has_tone;
    }
    return finish_nfc(&out, err);
}

char *text_decode(const char *bytes, size_t n, const char *encoding, const char **err) {
    set_err(err, NULL);
    EncKind kind;
    const char *iconv_name;
    if (enc_resolve(encoding, &kind, &iconv_name) != 0) {
        set_err(err, "unknown encoding");
        return NULL;
    }
    if (!bytes && n) {
        set_err(err, "no input");
        return NULL;
    }
    if (n && memchr(bytes, 0, n)) { /* the result is a C string */
        set_err(err, "NUL byte in text");
        return NULL;
    }
    switch (kind) {
    case ENC_UTF8: {
        if (!text_utf8_valid(bytes, n)) {
            set_err(err, "text is not valid UTF-8");
            return NULL;
        }
        Buf b = BUF_INIT;
        buf_append(&b, bytes ? bytes : "", n);
        return finish_nfc(&b, err);
    }
    case ENC_VNI:
        return decode_vni((const unsigned char *)(bytes ? bytes : ""), n, err);
    case ENC_ICONV:
    default:
        return decode_iconv(bytes ? bytes : "", n, iconv_name, err);
    }
}
