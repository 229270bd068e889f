/* http_params.c — query parameters of a request (http.h): lookup, the
 * allowed-parameter check, strict integer / number / bbox parsing that never
 * depends on the locale (CASES G2), and re-encoding for paging links.
 * libmicrohttpd has already decoded the values ('+' is a space: CASES H4). */
#include "http/http.h"
#include "store/collections.h"
#include "base/text.h"

#include <locale.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *http_query(Request *req, const char *name) {
    const char *v = NULL;
    if (MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v, NULL) != MHD_YES)
        return NULL;
    return v ? v : ""; /* "?name" without a value is present and empty */
}

typedef struct ParamCheck {
    const char *const *allowed;
    const char *bad;         /* first offending key */
    const char *why;         /* "unknown" | "repeated" | "not valid UTF-8" */
    char value_error[320];   /* or: the value is not one the parameter takes */
    const char *seen[32];
    int nseen;
} ParamCheck;

static enum MHD_Result check_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    ParamCheck *pc = cls;
    int known = 0;
    for (const char *const *a = pc->allowed; *a && !known; a++) known = !strcmp(*a, key);
    if (!known) pc->why = "unknown";
    for (int i = 0; known && i < pc->nseen; i++)
        if (!strcmp(pc->seen[i], key)) { pc->why = "repeated"; known = 0; }
    if (known && ((value && !text_utf8_valid(value, strlen(value))) || !text_utf8_valid(key, strlen(key)))) {
        pc->why = "not valid UTF-8";
        known = 0;
    }
    /* An enumerated filter with a value no row can have is a client error
     * (a typo would otherwise look like "no institution of that kind"). */
    const char *const *values = known ? collection_param_values(key) : NULL;
    if (values && collection_check_values(key, value ? value : "", values, pc->value_error, sizeof pc->value_error))
        known = 0;
    if (!known) {
        pc->bad = key;
        return MHD_NO;
    }
    if (pc->nseen < (int)(sizeof pc->seen / sizeof pc->seen[0])) pc->seen[pc->nseen++] = key;
    return MHD_YES;
}

int http_check_params(Request *req, Response *res, const char *const *allowed) {
    ParamCheck pc = {.allowed = allowed};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, check_one, &pc);
    if (!pc.bad) return 0;
    if (pc.value_error[0]) {
        http_error(res, 400, "InvalidParameterValue", "%s", pc.value_error);
        return -1;
    }
    Buf list = BUF_INIT;
    for (const char *const *a = allowed; *a; a++) buf_printf(&list, "%s%s", a == allowed ? "" : ", ", *a);
    char key[64];
    snprintf(key, sizeof key, "%s", text_utf8_valid(pc.bad, strlen(pc.bad)) ? pc.bad : "?");
    http_error(res, 400, "InvalidParameterValue", "query parameter '%s' is %s; allowed: %s", key, pc.why,
               list.data ? list.data : "(none)");
    buf_free(&list);
    return -1;
}

int http_query_int(Request *req, Response *res, const char *name, long long def, long long min, long long max,
                   long long *out) {
    const char *v = http_query(req, name);
    *out = def;
    if (!v) return 0;
    const char *p = v;
    if (*p == '+' || *p == '-') p++;
    int ok = *p != '\0' && strlen(p) <= 18;
    for (const char *q = p; ok && *q; q++) ok = *q >= '0' && *q <= '9';
    long long x = ok ? strtoll(v, NULL, 10) : 0;
    if (!ok || x < min || x > max) {
        http_error(res, 400, "InvalidParameterValue", "%s must be an integer from %lld to %lld", name, min, max);
        return -1;
    }
    *out = x;
    return 0;
}

/* strtod in the C locale whatever the process locale is (CASES G2): only
 * [0-9+-.eE] are accepted, so no hex, inf or nan either. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void init_c_locale(void) { c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

static int parse_double(const char *s, size_t n, double *out) {
    char tmp[64];
    if (n == 0 || n >= sizeof tmp) return -1;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789+-.eE", s[i])) return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    pthread_once(&c_locale_once, init_c_locale);
    char *end = NULL;
    double v = c_locale ? strtod_l(tmp, &end, c_locale) : strtod(tmp, &end);
    if (end == tmp || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int http_query_double(Request *req, Response *res, const char *name, double def, double min, double max,
                      double *out, int *present) {
    const char *v = http_query(req, name);
    *out = def;
    if (present) *present = v != NULL;
    if (!v) return 0;
    double x;
    if (parse_double(v, strlen(v), &x) != 0 || x < min || x > max) {
        char lo[32], hi[32];
        snprintf(lo, sizeof lo, "%g", min); /* C locale: main() never calls setlocale */
        snprintf(hi, sizeof hi, "%g", max);
        http_error(res, 400, "InvalidParameterValue", "%s must be a number from %s to %s", name, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

int http_query_bbox(Request *req, Response *res, double bbox[4], int *present) {
    const char *v = http_query(req, "bbox");
    *present = v != NULL;
    if (!v) return 0;
    int k = 0;
    const char *p = v;
    for (; k < 4; k++) {
        size_t n = strcspn(p, ",");
        if (parse_double(p, n, &bbox[k]) != 0) break;
        p += n;
        if (k < 3) {
            if (*p != ',') break;
            p++;
        }
    }
    if (k < 4 || *p) {
        http_error(res, 400, "InvalidParameterValue", "bbox must have 4 numbers: west,south,east,north (degrees)");
        return -1;
    }
    if (bbox[0] < -180 || bbox[2] > 180 || bbox[1] < -90 || bbox[3] > 90 || bbox[0] > bbox[2] ||
        bbox[1] > bbox[3]) {
        http_error(res, 400, "InvalidParameterValue",
                   "bbox must be west,south,east,north with -180<=west<=east<=180 and -90<=south<=north<=90");
        return -1;
    }
    return 0;
}

/* Percent-encode everything but RFC 3986 unreserved characters and the
 * separators that read well in query values (",", ":"). */
static void url_encode(Buf *out, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~,:", *p))
            buf_putc(out, (char)*p);
        else {
            buf_putc(out, '%');
            buf_putc(out, hex[*p >> 4]);
            buf_putc(out, hex[*p & 15]);
        }
    }
}

typedef struct QueryOut {
    Buf *out;
    const char *const *skip;
    int n;
} QueryOut;

static enum MHD_Result append_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    QueryOut *q = cls;
    for (const char *const *s = q->skip; s && *s; s++)
        if (!strcmp(*s, key)) return MHD_YES;
    if (q->n++) buf_putc(q->out, '&');
    url_encode(q->out, key);
    buf_putc(q->out, '=');
    url_encode(q->out, value ? value : "");
    return MHD_YES;
}

void http_query_string(Request *req, Buf *out, const char *const *skip) {
    QueryOut q = {out, skip, 0};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, append_param, &q);
}
