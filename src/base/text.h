/* text.h — UTF-8 text: validation, NFC, Vietnamese folding, legacy encodings.
 *
 * Normalisation and case folding go through utf8proc (not our own tables).
 * Folding for search strips every combining mark AND maps đ/Đ to d (đ has no
 * decomposition, so mark stripping alone keeps it), then lower-cases:
 * "Trường Cao đẳng Đường sắt" -> "truong cao dang duong sat".
 * All functions return malloc'd NUL-terminated strings (caller frees) or
 * NULL on invalid input / allocation failure. */
#ifndef VETMAP_TEXT_H
#define VETMAP_TEXT_H

#include <stddef.h>

/* Length (1-4) of the valid UTF-8 sequence starting at p, reading no
 * further than end (exclusive, end > p), or 0 when it is not valid UTF-8
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
size_t text_utf8_seq_len(const unsigned char *p, const unsigned char *end);

/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates), else 0. */
int text_utf8_valid(const char *s, size_t n);

/* NFC of a valid UTF-8 string (CASES I9: "a" + U+0323 -> "ạ"). */
char *text_nfc(const char *s);

/* Search folding: NFD, strip marks, đ/Đ -> d, case fold, collapse runs of
 * white space and punctuation to one space, trim.  "Cao  đẳng-nghề" ->
 * "cao dang nghe". */
char *text_fold(const char *s);

/* Case fold keeping the marks (NFC): "Cao Đẳng" -> "cao đẳng". */
char *text_casefold(const char *s);

/* Convert `n` bytes in a legacy encoding to NFC UTF-8.  `encoding` names:
 * "UTF-8", "CP1258" (Windows-1258), "TCVN3" (TCVN 5712:1993 VN3; alias
 * "TCVN5712-1"), "VNI" (VNI-Windows), "CP1252"/"LATIN1", and anything else
 * iconv knows.  VNI is not in iconv or GDAL, so it is decoded by our own
 * table (see text.c).  Returns NULL when the name is unknown or the bytes
 * are not valid in that encoding; *err (may be NULL) gets a static reason. */
char *text_decode(const char *bytes, size_t n, const char *encoding, const char **err);

/* 1 when the encoding name is one text_decode accepts. */
int text_encoding_known(const char *encoding);

/* Trim ASCII white space and a leading UTF-8 BOM in place; returns s. */
char *text_trim(char *s);

/* Tests only (not thread-safe): 0 turns off the table fast path of
 * text_nfc/text_fold/text_casefold, so utf8proc does all the work and the
 * two can be compared; 1 (the default) turns it back on. */
void text_fast_path_enable(int on);

/* Admin unit name key: fold, then drop a leading unit-type word
 * ("tinh", "thanh pho", "tp", "thi xa", "tx", "huyen", "quan", "xa",
 * "phuong", "thi tran", "tt", "dac khu") so "Huyện Lạng Giang",
 * "lang giang" and "H. Lạng Giang" give "lang giang". */
char *text_admin_key(const char *name);

#endif
