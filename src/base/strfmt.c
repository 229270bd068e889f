/* strfmt.c — printf into a new heap string (strfmt.h). */
#include "base/strfmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static char *vstrfmt(const char *fmt, va_list ap) {
    char *s = NULL;
    /* vasprintf leaves s undefined on failure. */
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    return s;
}

char *strfmt(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = vstrfmt(fmt, ap);
    va_end(ap);
    return s;
}

int strfmt_err(char **err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        *err = vstrfmt(fmt, ap);
        va_end(ap);
    }
    return -1;
}
