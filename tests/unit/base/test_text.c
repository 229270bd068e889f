/* test_text.c — text.h: UTF-8 validity, NFC (I9), Vietnamese folding (S3),
 * legacy encodings (I7), admin-name keys. */
#include "base/text.h"
#include "unit.h"

#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Compare an owned result with want, then free it. */
#define CHECK_OWNED(expr, want)      \
    do {                             \
        char *got_ = (expr);         \
        CHECK_STR(got_, want);       \
        free(got_);                  \
    } while (0)

/* All 134 Vietnamese letters with a diacritic (upper and lower case) as
 * VNI-Windows bytes, from the VNI table of the xvnkb input method (vni.h),
 * next to their NFC UTF-8 (composed by Python's unicodedata). */
static const struct { const char *vni, *utf8; } vni_letters[] = {
    {"\x41\xD9", "\xC3\x81"}, /* Á */
    {"\x41\xD8", "\xC3\x80"}, /* À */
    {"\x41\xDB", "\xE1\xBA\xA2"}, /* Ả */
    {"\x41\xD5", "\xC3\x83"}, /* Ã */
    {"\x41\xCF", "\xE1\xBA\xA0"}, /* Ạ */
    {"\x41\xC2", "\xC3\x82"}, /* Â */
    {"\x41\xC1", "\xE1\xBA\xA4"}, /* Ấ */
    {"\x41\xC0", "\xE1\xBA\xA6"}, /* Ầ */
    {"\x41\xC5", "\xE1\xBA\xA8"}, /* Ẩ */
    {"\x41\xC3", "\xE1\xBA\xAA"}, /* Ẫ */
    {"\x41\xC4", "\xE1\xBA\xAC"}, /* Ậ */
    {"\x41\xCA", "\xC4\x82"}, /* Ă */
    {"\x41\xC9", "\xE1\xBA\xAE"}, /* Ắ */
    {"\x41\xC8", "\xE1\xBA\xB0"}, /* Ằ */
    {"\x41\xDA", "\xE1\xBA\xB2"}, /* Ẳ */
    {"\x41\xDC", "\xE1\xBA\xB4"}, /* Ẵ */
    {"\x41\xCB", "\xE1\xBA\xB6"}, /* Ặ */
    {"\x45\xD9", "\xC3\x89"}, /* É */
    {"\x45\xD8", "\xC3\x88"}, /* È */
    {"\x45\xDB", "\xE1\xBA\xBA"}, /* Ẻ */
    {"\x45\xD5", "\xE1\xBA\xBC"}, /* Ẽ */
    {"\x45\xCF", "\xE1\xBA\xB8"}, /* Ẹ */
    {"\x45\xC2", "\xC3\x8A"}, /* Ê */
    {"\x45\xC1", "\xE1\xBA\xBE"}, /* Ế */
    {"\x45\xC0", "\xE1\xBB\x80"}, /* Ề */
    {"\x45\xC5", "\xE1\xBB\x82"}, /* Ể */
    {"\x45\xC3", "\xE1\xBB\x84"}, /* Ễ */
    {"\x45\xC4", "\xE1\xBB\x86"}, /* Ệ */
    {"\x4F\xD9", "\xC3\x93"}, /* Ó */
    {"\x4F\xD8", "\xC3\x92"}, /* Ò */
    {"\x4F\xDB", "\xE1\xBB\x8E"}, /* Ỏ */
    {"\x4F\xD5", "\xC3\x95"}, /* Õ */
    {"\x4F\xCF", "\xE1\xBB\x8C"}, /* Ọ */
    {"\x4F\xC2", "\xC3\x94"}, /* Ô */
    {"\x4F\xC1", "\xE1\xBB\x90"}, /* Ố */
    {"\x4F\xC0", "\xE1\xBB\x92"}, /* Ồ */
    {"\x4F\xC5", "\xE1\xBB\x94"}, /* Ổ */
    {"\x4F\xC3", "\xE1\xBB\x96"}, /* Ỗ */
    {"\x4F\xC4", "\xE1\xBB\x98"}, /* Ộ */
    {"\xD4", "\xC6\xA0"}, /* Ơ */
    {"\xD4\xD9", "\xE1\xBB\x9A"}, /* Ớ */
    {"\xD4\xD8", "\xE1\xBB\x9C"}, /* Ờ */
    {"\xD4\xDB", "\xE1\xBB\x9E"}, /* Ở */
    {"\xD4\xD5", "\xE1\xBB\xA0"}, /* Ỡ */
    {"\xD4\xCF", "\xE1\xBB\xA2"}, /* Ợ */
    {"\x55\xD9", "\xC3\x9A"}, /* Ú */
    {"\x55\xD8", "\xC3\x99"}, /* Ù */
    {"\x55\xDB", "\xE1\xBB\xA6"}, /* Ủ */
    {"\x55\xD5", "\xC5\xA8"}, /* Ũ */
    {"\x55\xCF", "\xE1\xBB\xA4"}, /* Ụ */
    {"\xD6", "\xC6\xAF"}, /* Ư */
    {"\xD6\xD9", "\xE1\xBB\xA8"}, /* Ứ */
    {"\xD6\xD8", "\xE1\xBB\xAA"}, /* Ừ */
    {"\xD6\xDB", "\xE1\xBB\xAC"}, /* Ử */
    {"\xD6\xD5", "\xE1\xBB\xAE"}, /* Ữ */
    {"\xD6\xCF", "\xE1\xBB\xB0"}, /* Ự */
    {"\xCD", "\xC3\x8D"}, /* Í */
    {"\xCC", "\xC3\x8C"}, /* Ì */
    {"\xC6", "\xE1\xBB\x88"}, /* Ỉ */
    {"\xD3", "\xC4\xA8"}, /* Ĩ */
    {"\xD2", "\xE1\xBB\x8A"}, /* Ị */
    {"\x59\xD9", "\xC3\x9D"}, /* Ý */
    {"\x59\xD8", "\xE1\xBB\xB2"}, /* Ỳ */
    {"\x59\xDB", "\xE1\xBB\xB6"}, /* Ỷ */
    {"\x59\xD5", "\xE1\xBB\xB8"}, /* Ỹ */
    {"\xCE", "\xE1\xBB\xB4"}, /* Ỵ */
    {"\xD1", "\xC4\x90"}, /* Đ */
    {"\x61\xF9", "\xC3\xA1"}, /* á */
    {"\x61\xF8", "\xC3\xA0"}, /* à */
    {"\x61\xFB", "\xE1\xBA\xA3"}, /* ả */
    {"\x61\xF5", "\xC3\xA3"}, /* ã */
    {"\x61\xEF", "\xE1\xBA\xA1"}, /* ạ */
    {"\x61\xE2", "\xC3\xA2"}, /* â */
    {"\x61\xE1", "\xE1\xBA\xA5"}, /* ấ */
    {"\x61\xE0", "\xE1\xBA\xA7"}, /* ầ */
    {"\x61\xE5", "\xE1\xBA\xA9"}, /* ẩ */
    {"\x61\xE3", "\xE1\xBA\xAB"}, /* ẫ */
    {"\x61\xE4", "\xE1\xBA\xAD"}, /* ậ */
    {"\x61\xEA", "\xC4\x83"}, /* ă */
    {"\x61\xE9", "\xE1\xBA\xAF"}, /* ắ */
    {"\x61\xE8", "\xE1\xBA\xB1"}, /* ằ */
    {"\x61\xFA", "\xE1\xBA\xB3"}, /* ẳ */
    {"\x61\xFC", "\xE1\xBA\xB5"}, /* ẵ */
    {"\x61\xEB", "\xE1\xBA\xB7"}, /* ặ */
    {"\x65\xF9", "\xC3\xA9"}, /* é */
    {"\x65\xF8", "\xC3\xA8"}, /* è */
    {"\x65\xFB", "\xE1\xBA\xBB"}, /* ẻ */
    {"\x65\xF5", "\xE1\xBA\xBD"}, /* ẽ */
    {"\x65\xEF", "\xE1\xBA\xB9"}, /* ẹ */
    {"\x65\xE2", "\xC3\xAA"}, /* ê */
    {"\x65\xE1", "\xE1\xBA\xBF"}, /* ế */
    {"\x65\xE0", "\xE1\xBB\x81"}, /* ề */
    {"\x65\xE5", "\xE1\xBB\x83"}, /* ể */
    {"\x65\xE3", "\xE1\xBB\x85"}, /* ễ */
    {"\x65\xE4", "\xE1\xBB\x87"}, /* ệ */
    {"\x6F\xF9", "\xC3\xB3"}, /* ó */
    {"\x6F\xF8", "\xC3\xB2"}, /* ò */
    {"\x6F\xFB", "\xE1\xBB\x8F"}, /* ỏ */
    {"\x6F\xF5", "\xC3\xB5"}, /* õ */
    {"\x6F\xEF", "\xE1\xBB\x8D"}, /* ọ */
    {"\x6F\xE2", "\xC3\xB4"}, /* ô */
    {"\x6F\xE1", "\xE1\xBB\x91"}, /* ố */
    {"\x6F\xE0", "\xE1\xBB\x93"}, /* ồ */
    {"\x6F\xE5", "\xE1\xBB\x95"}, /* ổ */
    {"\x6F\xE3", "\xE1\xBB\x97"}, /* ỗ */
    {"\x6F\xE4", "\xE1\xBB\x99"}, /* ộ */
    {"\xF4", "\xC6\xA1"}, /* ơ */
    {"\xF4\xF9", "\xE1\xBB\x9B"}, /* ớ */
    {"\xF4\xF8", "\xE1\xBB\x9D"}, /* ờ */
    {"\xF4\xFB", "\xE1\xBB\x9F"}, /* ở */
    {"\xF4\xF5", "\xE1\xBB\xA1"}, /* ỡ */
    {"\xF4\xEF", "\xE1\xBB\xA3"}, /* ợ */
    {"\x75\xF9", "\xC3\xBA"}, /* ú */
    {"\x75\xF8", "\xC3\xB9"}, /* ù */
    {"\x75\xFB", "\xE1\xBB\xA7"}, /* ủ */
    {"\x75\xF5", "\xC5\xA9"}, /* ũ */
    {"\x75\xEF", "\xE1\xBB\xA5"}, /* ụ */
    {"\xF6", "\xC6\xB0"}, /* ư */
    {"\xF6\xF9", "\xE1\xBB\xA9"}, /* ứ */
    {"\xF6\xF8", "\xE1\xBB\xAB"}, /* ừ */
    {"\xF6\xFB", "\xE1\xBB\xAD"}, /* ử */
    {"\xF6\xF5", "\xE1\xBB\xAF"}, /* ữ */
    {"\xF6\xEF", "\xE1\xBB\xB1"}, /* ự */
    {"\xED", "\xC3\xAD"}, /* í */
    {"\xEC", "\xC3\xAC"}, /* ì */
    {"\xE6", "\xE1\xBB\x89"}, /* ỉ */
    {"\xF3", "\xC4\xA9"}, /* ĩ */
    {"\xF2", "\xE1\xBB\x8B"}, /* ị */
    {"\x79\xF9", "\xC3\xBD"}, /* ý */
    {"\x79\xF8", "\xE1\xBB\xB3"}, /* ỳ */
    {"\x79\xFB", "\xE1\xBB\xB7"}, /* ỷ */
    {"\x79\xF5", "\xE1\xBB\xB9"}, /* ỹ */
    {"\xEE", "\xE1\xBB\xB5"}, /* ỵ */
    {"\xF1", "\xC4\x91"}, /* đ */
};

static void test_utf8_valid(void) {
    CHECK(text_utf8_valid("", 0));
    CHECK(text_utf8_valid("Tr\xC6\xB0\xE1\xBB\x9Dng", 9));          /* Trường */
    CHECK(text_utf8_valid("\xF0\x9F\x97\xBA", 4));                   /* U+1F5FA */
    CHECK(!text_utf8_valid("\xC0\x80", 2));                          /* overlong NUL */
    CHECK(!text_utf8_valid("\xE0\x80\xAF", 3));                      /* overlong '/' */
    CHECK(!text_utf8_valid("\xED\xA0\x80", 3));                      /* surrogate */
    CHECK(!text_utf8_valid("\xF4\x90\x80\x80", 4));                  /* > U+10FFFF */
    CHECK(!text_utf8_valid("\xF5\x80\x80\x80", 4));
    CHECK(!text_utf8_valid("\xC3", 1));                              /* truncated */
    CHECK(!text_utf8_valid("\xE1\xBA", 2));
    CHECK(!text_utf8_valid("\x80", 1));                              /* lone continuation */
    CHECK(!text_utf8_valid("\xD0\xE0 L\x61\xF2t", 7));               /* CP1258 bytes */
    /* n bounds the read: the invalid byte after n is not looked at */
    CHECK(text_utf8_valid("ab\xFF", 2));
}

static void test_nfc(void) {
    /* I9: a + U+0323 (NFD) -> U+1EA1 ạ */
    CHECK_OWNED(text_nfc("a\xCC\xA3"), "\xE1\xBA\xA1");
    /* ệ in NFD with marks in either order (dot below sorts first) */
    CHECK_OWNED(text_nfc("e\xCC\x82\xCC\xA3"), "\xE1\xBB\x87");
    CHECK_OWNED(text_nfc("e\xCC\xA3\xCC\x82"), "\xE1\xBB\x87");
    /* "Lạt" with NFD ạ inside a word */
    CHECK_OWNED(text_nfc("La\xCC\xA3t"), "L\xE1\xBA\xA1t");
    CHECK_OWNED(text_nfc("plain"), "plain");
    CHECK_OWNED(text_nfc(""), "");
    CHECK(text_nfc(NULL) == NULL);
    CHECK(text_nfc("bad \xC3\x28") == NULL);
}

static void test_fold(void) {
    /* S3 */
    char *a = text_fold("Tr\xC6\xB0\xE1\xBB\x9Dng Cao \xC4\x91\xE1\xBA\xB3ng \xC4\x90\xC6\xB0\xE1\xBB\x9Dng s\xE1\xBA\xAFt");
    CHECK_STR(a, "truong cao dang duong sat");
    CHECK(a && strstr(a, "duong") != NULL);
    CHECK(a && strstr(a, "cao dang") != NULL);
    free(a);
    CHECK_OWNED(text_fold("Trung c\xE1\xBA\xA5p D\xC6\xB0\xC6\xA1ng Kinh"), "trung cap duong kinh");
    CHECK_OWNED(text_fold("Ngh\xE1\xBB\x87 An"), "nghe an");
    /* letters with two marks: ệ ở ữ ặ ẫ ự, lower and upper case */
    CHECK_OWNED(text_fold("\xE1\xBB\x87 \xE1\xBB\x9F \xE1\xBB\xAF \xE1\xBA\xB7 \xE1\xBA\xAB \xE1\xBB\xB1"),
                "e o u a a u");
    CHECK_OWNED(text_fold("\xE1\xBB\x86\xE1\xBB\x9E\xE1\xBB\xAE"), "eou");
    /* đ/Đ -> d (no decomposition, so mark stripping alone would keep it) */
    CHECK_OWNED(text_fold("\xC4\x90\xC6\xAF\xE1\xBB\x9CNG \xC4\x91"), "duong d");
    /* NFD input folds like NFC input */
    CHECK_OWNED(text_fold("Nghe\xCC\x82\xCC\xA3 An"), "nghe an");
    /* white space and punctuation runs collapse, ends trimmed */
    CHECK_OWNED(text_fold("Cao  \xC4\x91\xE1\xBA\xB3ng-ngh\xE1\xBB\x81"), "cao dang nghe");
    CHECK_OWNED(text_fold("  \t(Tr\xC6\xB0\xE1\xBB\x9Dng)  s\xE1\xBB\x91 1, \"A\"...  "), "truong so 1 a");
    CHECK_OWNED(text_fold("---"), "");
    CHECK(text_fold(NULL) == NULL);
    CHECK(text_fold("x\xFFy") == NULL);

    CHECK_OWNED(text_casefold("Cao \xC4\x90\xE1\xBA\xB2ng"), "cao \xC4\x91\xE1\xBA\xB3ng"); /* Cao Đẳng */
    CHECK_OWNED(text_casefold("NGH\xE1\xBB\x86"), "ngh\xE1\xBB\x87");                   /* NGHỆ */
    CHECK(text_casefold("\xC3") == NULL);
}

static void test_admin_key(void) {
    CHECK_OWNED(text_admin_key("Huy\xE1\xBB\x87n L\xE1\xBA\xA1ng Giang"), "lang giang");
    CHECK_OWNED(text_admin_key("lang giang"), "lang giang");
    CHECK_OWNED(text_admin_key("H. L\xE1\xBA\xA1ng Giang"), "lang giang");
    CHECK_OWNED(text_admin_key("Th\xC3\xA0nh ph\xE1\xBB\x91 B\xE1\xBA\xAF""c Giang"), "bac giang");
    CHECK_OWNED(text_admin_key("TP. B\xE1\xBA\xAF""c Giang"), "bac giang");
    CHECK_OWNED(text_admin_key("T\xE1\xBB\x89nh B\xE1\xBA\xAF""c Giang"), "bac giang");
    CHECK_OWNED(text_admin_key("Th\xE1\xBB\x8B tr\xE1\xBA\xA5n V\xC3\xB4i"), "voi");
    CHECK_OWNED(text_admin_key("Th\xE1\xBB\x8B x\xC3\xA3 Vi\xE1\xBB\x87t Y\xC3\xAAn"), "viet yen");
    CHECK_OWNED(text_admin_key("X\xC3\xA3 Quang Ch\xC3\xA2u"), "quang chau");
    /* a name that only starts like a type word keeps it: "Quang" is not "Quận" */
    CHECK_OWNED(text_admin_key("Quang Ch\xC3\xA2u"), "quang chau");
    CHECK_OWNED(text_admin_key("Ph\xC6\xB0\xE1\xBB\x9Dng 1"), "1");
    /* only the type word: nothing to drop it from */
    CHECK_OWNED(text_admin_key("Huy\xE1\xBB\x87n"), "huyen");
    CHECK(text_admin_key(NULL) == NULL);
}

static void test_trim(void) {
    char a[] = "\xEF\xBB\xBF  ma \r\n";
    CHECK_STR(text_trim(a), "ma");
    CHECK(text_trim(a) == a);
    char b[] = "   ";
    CHECK_STR(text_trim(b), "");
    char c[] = "Tr\xC6\xB0\xE1\xBB\x9Dng A";
    CHECK_STR(text_trim(c), "Tr\xC6\xB0\xE1\xBB\x9Dng A");
    CHECK(text_trim(NULL) == NULL);
}

/* Encode UTF-8 text into `to` with iconv (for round trips). */
static char *iconv_encode(const char *utf8, const char *to, size_t *len) {
    iconv_t cd = iconv_open(to, "UTF-8");
    if (cd == (iconv_t)-1) return NULL;
    size_t inl = strlen(utf8), outcap = inl * 4 + 8, outl = outcap;
    char *out = malloc(outcap), *in = (char *)utf8, *o = out;
    size_t r = iconv(cd, &in, &inl, &o, &outl);
    if (r != (size_t)-1) r = iconv(cd, NULL, NULL, &o, &outl);
    iconv_close(cd);
    if (r == (size_t)-1) {
        free(out);
        return NULL;
    }
    *len = outcap - outl;
    return out;
}

static void test_decode(void) {
    const char *dalat = "\xC4\x90\xC3\xA0 L\xE1\xBA\xA1t"; /* NFC "Đà Lạt" */
    const char *err = NULL;
    /* I7: the three byte strings of CASES.md */
    CHECK_OWNED(text_decode("\xD0\xE0\x20\x4C\x61\xF2\x74", 7, "CP1258", &err), dalat);
    CHECK_OWNED(text_decode("\xA7\xB5\x20\x4C\xB9\x74", 6, "TCVN3", &err), dalat);
    CHECK_OWNED(text_decode("\xD1\x61\xF8\x20\x4C\x61\xEF\x74", 8, "VNI", &err), dalat);
    /* aliases, any case */
    CHECK_OWNED(text_decode("\xA7\xB5\x20\x4C\xB9\x74", 6, "tcvn5712-1", &err), dalat);
    CHECK_OWNED(text_decode("\xD0\xE0\x20\x4C\x61\xF2\x74", 7, "windows-1258", &err), dalat);
    CHECK_OWNED(text_decode("\xD1\x61\xF8\x20\x4C\x61\xEF\x74", 8, "vni-windows", &err), dalat);
    /* UTF-8: NFD in, NFC out (I9); invalid -> NULL with a reason */
    CHECK_OWNED(text_decode("\xC4\x90""a\xCC\x80 La\xCC\xA3t", 11, "UTF-8", &err), dalat);
    err = NULL;
    CHECK(text_decode("\xD0\xE0 L\x61\xF2t", 7, "UTF-8", &err) == NULL);
    CHECK(err != NULL);
    CHECK_OWNED(text_decode("caf\xE9", 4, "LATIN1", NULL), "caf\xC3\xA9");
    CHECK_OWNED(text_decode("\x80", 1, "CP1252", NULL), "\xE2\x82\xAC");
    CHECK_OWNED(text_decode("", 0, "VNI", NULL), "");
    /* VNI "Trường" = T r ö(ư) ô(ơ) ø(grave) n g; "Nghệ" = N g h e ä */
    CHECK_OWNED(text_decode("Tr\xF6\xF4\xF8ng", 7, "VNI", NULL), "Tr\xC6\xB0\xE1\xBB\x9Dng");
    CHECK_OWNED(text_decode("Ngh\x65\xE4", 5, "VNI", NULL), "Ngh\xE1\xBB\x87");
    /* title case written with lower-case marks still decodes */
    CHECK_OWNED(text_decode("\x55\xF8", 2, "VNI", NULL), "\xC3\x99"); /* Ù */

    /* invalid bytes -> NULL */
    err = NULL;
    CHECK(text_decode("\xF8" "abc", 4, "VNI", &err) == NULL);   /* mark with no letter */
    CHECK(err != NULL);
    CHECK(text_decode("b\xF9", 2, "VNI", NULL) == NULL);          /* tone on a consonant */
    CHECK(text_decode("a\xF9\xF8", 3, "VNI", NULL) == NULL);      /* two tones */
    CHECK(text_decode("u\xE2", 2, "VNI", NULL) == NULL);          /* circumflex on u */
    CHECK(text_decode("e\xEA", 2, "VNI", NULL) == NULL);          /* breve on e */
    CHECK(text_decode("\xF4\xE2", 2, "VNI", NULL) == NULL);       /* circumflex on ơ */
    CHECK(text_decode("\xED\xF9", 2, "VNI", NULL) == NULL);       /* tone on í */
    CHECK(text_decode("x\x81", 2, "VNI", NULL) == NULL);          /* undefined in CP1252 */
    CHECK(text_decode("\x81", 1, "CP1258", NULL) == NULL);        /* undefined in CP1258 */
    CHECK(text_decode("a\0b", 3, "UTF-8", NULL) == NULL);         /* NUL inside */
    err = NULL;
    CHECK(text_decode("abc", 3, "NO-SUCH-ENCODING", &err) == NULL);
    CHECK(err != NULL);
    CHECK(text_decode("abc", 3, NULL, NULL) == NULL);
    CHECK(text_encoding_known("VNI") && text_encoding_known("TCVN3") &&
          text_encoding_known("cp1258") && text_encoding_known("UTF-8") &&
          text_encoding_known("ISO-8859-2"));
    CHECK(!text_encoding_known("NO-SUCH-ENCODING") && !text_encoding_known(""));

    /* Every one of the 134 letters in VNI, alone and inside a word. */
    size_t nv = sizeof vni_letters / sizeof vni_letters[0];
    CHECK_INT(nv, 134);
    int bad = 0;
    for (size_t i = 0; i < nv; i++) {
        char in[32], want[32];
        snprintf(in, sizeof in, "x%s.", vni_letters[i].vni);
        snprintf(want, sizeof want, "x%s.", vni_letters[i].utf8);
        char *a = text_decode(vni_letters[i].vni, strlen(vni_letters[i].vni), "VNI", NULL);
        char *b = text_decode(in, strlen(in), "VNI", NULL);
        if (!a || strcmp(a, vni_letters[i].utf8) || !b || strcmp(b, want)) {
            bad++;
            fprintf(stderr, "     VNI letter %zu: want %s got %s\n", i, vni_letters[i].utf8, a ? a : "(null)");
        }
        free(a);
        free(b);
    }
    CHECK_INT(bad, 0);

    /* CP1258 and TCVN3 round trips of the same 134 letters through iconv's
     * encoders (CP1258 writes several of them as base + tone byte). */
    const char *encs[] = {"CP1258", "TCVN3"};
    const char *iconv_names[] = {"CP1258", "TCVN5712-1"};
    for (int e = 0; e < 2; e++) {
        int fails = 0;
        for (size_t i = 0; i < nv; i++) {
            size_t len = 0;
            char *bytes = iconv_encode(vni_letters[i].utf8, iconv_names[e], &len);
            char *back = bytes ? text_decode(bytes, len, encs[e], NULL) : NULL;
            if (!back || strcmp(back, vni_letters[i].utf8)) {
                fails++;
                fprintf(stderr, "     %s letter %s: got %s\n", encs[e], vni_letters[i].utf8, back ? back : "(null)");
            }
            free(bytes);
            free(back);
        }
        CHECK_INT(fails, 0);
    }
}

/* ------------------------------------------- table fast path vs utf8proc */

/* The code points the fast path has a table for, then a few it must leave
 * to utf8proc (combining marks, other scripts, a ligature, Hangul). */
static int fast_table_cp(int i) { return i < 0x24F ? i + 1 : 0x1E00 + (i - 0x24F); }
#define FAST_TABLE_CPS (0x24F + 0x100)
static const int other_cps[] = {0x0300, 0x0301, 0x0302, 0x0303, 0x0306, 0x0309, 0x031B, 0x0323, 0x0345,
                                0x0391, 0x03B1, 0x0410, 0x0430, 0x05D0, 0x0627, 0x0E01, 0x1100, 0x1161,
                                0x11A8, 0xAC00, 0x2126, 0x212B, 0x2160, 0x3000, 0x4E2D, 0xFB01, 0xFF21,
                                0xFF11, 0x1F600, 0x00A0, 0x2002, 0x00AD};

static size_t put_utf8(char *out, int cp) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | cp >> 6); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12); out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18); out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F)); return 4;
}

/* Compare NFC, fold and case fold of s with the table on and off; returns
 * the number of differences (each one printed once). */
static int fast_mismatches(const char *s) {
    char *(*const fns[])(const char *) = {text_nfc, text_fold, text_casefold};
    static const char *const names[] = {"text_nfc", "text_fold", "text_casefold"};
    int bad = 0;
    for (int f = 0; f < 3; f++) {
        text_fast_path_enable(1);
        char *fast = fns[f](s);
        text_fast_path_enable(0);
        char *slow = fns[f](s);
        text_fast_path_enable(1);
        if ((!fast || !slow) ? fast != slow : strcmp(fast, slow) != 0) {
            if (bad++ == 0) {
                fprintf(stderr, "     %s(\"", names[f]);
                for (const unsigned char *p = (const unsigned char *)s; *p; p++) fprintf(stderr, "\\x%02X", *p);
                fprintf(stderr, "\"): fast \"%s\", utf8proc \"%s\"\n", fast ? fast : "(null)", slow ? slow : "(null)");
            }
        }
        free(fast);
        free(slow);
    }
    return bad;
}

static unsigned long long rng_state = 20240601;
static unsigned rng(unsigned n) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(rng_state >> 33) % n;
}

static void test_fast_path(void) {
    char s[64];
    int bad = 0;
    /* every table code point alone and between ASCII letters */
    for (int i = 0; i < FAST_TABLE_CPS; i++) {
        size_t n = put_utf8(s, fast_table_cp(i));
        s[n] = '\0';
        bad += fast_mismatches(s);
        s[0] = 'a';
        n = 1 + put_utf8(s + 1, fast_table_cp(i));
        s[n++] = 'B';
        s[n] = '\0';
        bad += fast_mismatches(s);
    }
    CHECK_INT(bad, 0);
    /* every ordered pair of table code points: composition and reordering
     * only ever act between neighbours, so pairs cover every interaction
     * the table could miss */
    bad = 0;
    for (int i = 0; i < FAST_TABLE_CPS && bad < 5; i++)
        for (int j = 0; j < FAST_TABLE_CPS && bad < 5; j++) {
            size_t n = put_utf8(s, fast_table_cp(i));
            n += put_utf8(s + n, fast_table_cp(j));
            s[n] = '\0';
            bad += fast_mismatches(s);
        }
    CHECK_INT(bad, 0);
    /* random strings mixing table code points with marks and other
     * scripts (these must fall back to utf8proc) */
    bad = 0;
    for (int k = 0; k < 20000 && bad < 5; k++) {
        size_t n = 0, len = 1 + rng(12);
        for (size_t c = 0; c < len; c++) {
            int cp = rng(4) ? fast_table_cp((int)rng(FAST_TABLE_CPS))
                            : other_cps[rng(sizeof other_cps / sizeof other_cps[0])];
            n += put_utf8(s + n, cp);
        }
        s[n] = '\0';
        bad += fast_mismatches(s);
    }
    CHECK_INT(bad, 0);
    /* real names: all 134 Vietnamese letters in words, NFC and NFD */
    bad = 0;
    for (size_t i = 0; i < sizeof vni_letters / sizeof vni_letters[0]; i++) {
        snprintf(s, sizeof s, "Tr%sng C\xC4\x90-%s, s\xE1\xBB\x91 %zu", vni_letters[i].utf8, vni_letters[i].utf8, i);
        bad += fast_mismatches(s);
        text_fast_path_enable(0);
        char *nfd = (char *)utf8proc_NFD((const utf8proc_uint8_t *)s);
        text_fast_path_enable(1);
        if (nfd) bad += fast_mismatches(nfd);
        free(nfd);
    }
    CHECK_INT(bad, 0);
    /* the table path gives the documented results */
    CHECK_OWNED(text_fold("Tr\xC6\xB0\xE1\xBB\x9Dng Cao \xC4\x91\xE1\xBA\xB3ng"), "truong cao dang");
    CHECK_OWNED(text_casefold("\xC4\x90\xE1\xBA\xB2NG"), "\xC4\x91\xE1\xBA\xB3ng");
    CHECK_OWNED(text_nfc("Tr\xC6\xB0\xE1\xBB\x9Dng"), "Tr\xC6\xB0\xE1\xBB\x9Dng");
}

int main(void) {
    test_utf8_valid();
    test_nfc();
    test_fold();
    test_admin_key();
    test_trim();
    test_decode();
    test_fast_path();
    return unit_summary();
}
