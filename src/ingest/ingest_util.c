/* ingest_util.c — string map, string helpers and report bookkeeping shared
 * by the ingest modules (ingest_internal.h). */
#include "ingest/ingest_internal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ StrMap */

/* FNV-1a 64-bit (Fowler/Noll/Vo; offset basis and prime from the reference). */
static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

void strmap_init(StrMap *m) { memset(m, 0, sizeof *m); }

void strmap_free(StrMap *m) {
    for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    strmap_init(m);
}

long *strmap_get(const StrMap *m, const char *key) {
    if (!m->cap || !key) return NULL;
    size_t i = (size_t)hash_str(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (!strcmp(m->keys[i], key)) return &m->vals[i];
        i = (i + 1) & (m->cap - 1);
    }
    return NULL;
}

/* Double the table (power of two, load factor <= 1/2). */
static int strmap_grow(StrMap *m) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    char **keys = calloc(cap, sizeof *keys);
    long *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return -1;
    }
    for (size_t j = 0; j < m->cap; j++) {
        if (!m->keys[j]) continue;
        size_t i = (size_t)hash_str(m->keys[j]) & (cap - 1);
        while (keys[i]) i = (i + 1) & (cap - 1);
        keys[i] = m->keys[j];
        vals[i] = m->vals[j];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 0;
}

int strmap_put(StrMap *m, const char *key, long val) {
    long *p = strmap_get(m, key);
    if (p) {
        *p = val;
        return 0;
    }
    if ((m->count + 1) * 2 > m->cap && strmap_grow(m) != 0) return -1;
    char *k = strdup(key);
    if (!k) return -1;
    size_t i = (size_t)hash_str(key) & (m->cap - 1);
    while (m->keys[i]) i = (i + 1) & (m->cap - 1);
    m->keys[i] = k;
    m->vals[i] = val;
    m->count++;
    return 0;
}

/* ----------------------------------------------------------------- strings */

char *ing_strdup(const char *s) { return s ? strdup(s) : NULL; }

static char *vformat(const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (s) vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *ing_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return s;
}

int ing_blank(const char *s) {
    if (!s) return 1;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n' && *s != '\f' && *s != '\v') return 0;
    return 1;
}

/* ------------------------------------------------------------------ report */

/* Grow an array of elements of `size` bytes to hold one more. */
static int grow(void **arr, size_t *cap, size_t count, size_t size) {
    if (count < *cap) return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, ncap * size);
    if (!p) return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

void ing_issue(IngestReport *r, IngestSeverity sev, const char *kind, const char *source, long row,
               const char *code, const char *fmt, ...) {
    if (sev == INGEST_WARNING) r->warnings++;
    if (grow((void **)&r->issues, &r->issue_cap, r->issue_count, sizeof *r->issues) != 0) return;
    va_list ap;
    va_start(ap, fmt);
    IngestIssue *is = &r->issues[r->issue_count++];
    is->severity = sev;
    is->kind = ing_strdup(kind);
    is->source = ing_strdup(source);
    is->row = row;
    is->code = ing_strdup(code);
    is->reason = vformat(fmt, ap);
    va_end(ap);
}

int ing_report_header(IngestReport *r, char **names, int n) {
    size_t cap = (size_t)r->header_cap;
    if (grow((void **)&r->headers, &cap, (size_t)r->header_count, sizeof *r->headers) != 0) return -1;
    r->header_cap = (int)cap;
    IngestHeader *h = &r->headers[r->header_count];
    h->names = calloc((size_t)(n > 0 ? n : 1), sizeof *h->names);
    if (!h->names) return -1;
    for (int i = 0; i < n; i++) h->names[i] = ing_strdup(names[i]);
    h->n = n;
    return r->header_count++;
}

void ing_report_reject_row(IngestReport *r, int header, char **values, int n, const char *reason) {
    if (header < 0 ||
        grow((void **)&r->rejects, &r->reject_cap, r->reject_count, sizeof *r->rejects) != 0)
        return;
    IngestRejectRow *rr = &r->rejects[r->reject_count];
    rr->values = calloc((size_t)(n > 0 ? n : 1), sizeof *rr->values);
    if (!rr->values) return;
    for (int i = 0; i < n; i++) rr->values[i] = values ? ing_strdup(values[i]) : NULL;
    rr->header = header;
    rr->reason = ing_strdup(reason);
    r->reject_count++;
}

void ing_note(IngestReport *r, const char *fmt, ...) {
    size_t cap = (size_t)r->note_cap;
    if (grow((void **)&r->notes, &cap, (size_t)r->note_count, sizeof *r->notes) != 0) return;
    r->note_cap = (int)cap;
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    if (s) r->notes[r->note_count++] = s;
}

void ing_warn_no_location(IngestReport *r, const Record *rec) {
    ing_issue(r, INGEST_WARNING, "no_location", rec->source, rec->row, rec->s[FLD_CODE],
              "no coordinates and no known commune or district: kept without a place on the map");
}
