/* buf.h — a growable byte buffer, the one string builder every module uses.
 *
 * A Buf owns a heap block that always stays NUL-terminated, so buf.data can be
 * passed to C string functions at any time.  Allocation failure is sticky:
 * buf.oom is set, later appends are ignored, and the caller checks once at
 * the end instead of after every append. */
#ifndef VETMAP_BUF_H
#define VETMAP_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct Buf {
    char *data;     /* NUL-terminated contents, or NULL before the first append */
    size_t len;     /* bytes used, not counting the NUL */
    size_t cap;     /* bytes allocated */
    int oom;        /* 1 once an allocation failed */
} Buf;

#define BUF_INIT {NULL, 0, 0, 0}

void buf_init(Buf *b);
void buf_free(Buf *b);
/* Forget the contents, keep the allocation. */
void buf_reset(Buf *b);
/* Ensure room for `extra` more bytes; returns 0, or -1 (and sets oom). */
int buf_reserve(Buf *b, size_t extra);
void buf_append(Buf *b, const void *p, size_t n);
void buf_puts(Buf *b, const char *s);
void buf_putc(Buf *b, char c);
/* printf-style append.  Do not use it for floating point that goes to
 * clients: use json_num() (geojson.h), which is locale-independent. */
void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(Buf *b, const char *fmt, va_list ap);
/* Hand the block to the caller (who frees it) and reset the Buf.
 * Returns "" copies never: NULL when the Buf is empty and never allocated. */
char *buf_detach(Buf *b, size_t *len);

#endif
