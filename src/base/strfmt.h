/* strfmt.h — printf into a new heap string, and the `char **err` messages
 * built on it.
 *
 * Every module that hands an error message back to its caller as a
 * malloc'd string (the `char **err` convention: the caller frees it) makes
 * it here.  Both functions return NULL / leave *err NULL when out of memory,
 * which callers already treat as "no message". */
#ifndef VETMAP_STRFMT_H
#define VETMAP_STRFMT_H

/* A new string formatted like printf (the caller frees it); NULL when out
 * of memory. */
char *strfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Set *err to a new formatted message (nothing when err is NULL) and return
 * -1, so that a failing path reads `return strfmt_err(err, "...", ...);`. */
int strfmt_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
