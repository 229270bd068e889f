/* unit.h — a tiny unit-test harness for the C tests in tests/unit/.
 *
 * Each CHECK records a pass or a failure (with file:line and the values
 * involved) and carries on, so one run reports every broken expectation.
 * A test program ends with `return unit_summary();`, which prints the line
 * `N passed, N failed` (the exact format scripts/run-unit.sh and CI read)
 * and returns the process exit status (0 only when nothing failed). */
#ifndef VETMAP_UNIT_H
#define VETMAP_UNIT_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

/* Record one result; prints the failure with its location. */
static void unit_record(int ok, const char *file, int line, const char *what) {
    if (ok) {
        unit_passed++;
    } else {
        unit_failed++;
        fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
    }
}

/* CHECK(cond): cond must be true. */
#define CHECK(cond) unit_record((cond) ? 1 : 0, __FILE__, __LINE__, #cond)

/* CHECK_INT(got, want): equal as long long; prints both on failure. */
#define CHECK_INT(got, want)                                                              \
    do {                                                                                  \
        long long unit_g_ = (long long)(got), unit_w_ = (long long)(want);                \
        unit_record(unit_g_ == unit_w_, __FILE__, __LINE__, #got " == " #want);           \
        if (unit_g_ != unit_w_) fprintf(stderr, "     got %lld, want %lld\n", unit_g_, unit_w_); \
    } while (0)

/* CHECK_DBL(got, want, tol): |got - want| <= tol. */
#define CHECK_DBL(got, want, tol)                                                         \
    do {                                                                                  \
        double unit_g_ = (double)(got), unit_w_ = (double)(want);                         \
        int unit_ok_ = fabs(unit_g_ - unit_w_) <= (tol);                                  \
        unit_record(unit_ok_, __FILE__, __LINE__, #got " ~= " #want);                     \
        if (!unit_ok_) fprintf(stderr, "     got %.17g, want %.17g\n", unit_g_, unit_w_); \
    } while (0)

/* CHECK_STR(got, want): both non-NULL and equal (NULL want: got NULL). */
#define CHECK_STR(got, want)                                                              \
    do {                                                                                  \
        const char *unit_g_ = (got), *unit_w_ = (want);                                   \
        int unit_ok_ = (!unit_g_ && !unit_w_) || (unit_g_ && unit_w_ && !strcmp(unit_g_, unit_w_)); \
        unit_record(unit_ok_, __FILE__, __LINE__, #got " == " #want);                     \
        if (!unit_ok_)                                                                    \
            fprintf(stderr, "     got  \"%s\"\n     want \"%s\"\n", unit_g_ ? unit_g_ : "(null)", \
                    unit_w_ ? unit_w_ : "(null)");                                        \
    } while (0)

/* UNIT_SKIP(why): a sub-check that cannot run here; says why, counts nothing. */
#define UNIT_SKIP(...)                                  \
    do {                                                \
        fprintf(stderr, "skip %s:%d: ", __FILE__, __LINE__); \
        fprintf(stderr, __VA_ARGS__);                   \
        fputc('\n', stderr);                            \
    } while (0)

/* Print the summary line and return the exit status. */
static int unit_summary(void) {
    fflush(stderr);
    printf("%d passed, %d failed\n", unit_passed, unit_failed);
    fflush(stdout);
    return unit_failed ? 1 : 0;
}

#endif
