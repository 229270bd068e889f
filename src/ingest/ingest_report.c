/* ingest_report.c — the ingest report as text, as JSON, and the rejected
 * rows as CSV (ingest.h). */
#include "ingest/ingest_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *severity_name(IngestSeverity s) { return s == INGEST_REJECT ? "reject" : "warning"; }

void ingest_report_text(const IngestReport *r, Buf *out) {
    buf_printf(out, "ingest %s%s%s%s: %lld read, %lld inserted, %lld updated, %lld unchanged, %lld rejected, %lld warnings\n",
               r->collection == INGEST_ADMIN ? "admin" : "institutions", r->layout ? " (layout " : "",
               r->layout ? r->layout : "", r->layout ? ")" : "", r->read, r->inserted, r->updated, r->unchanged,
               r->rejected, r->warnings);
    for (int i = 0; i < r->note_count; i++) buf_printf(out, "note     %s\n", r->notes[i]);
    for (size_t i = 0; i < r->issue_count; i++) {
        const IngestIssue *is = &r->issues[i];
        buf_printf(out, "%-8s %s row %ld%s%s: %s [%s]\n", severity_name(is->severity), is->source ? is->source : "",
                   is->row, is->code ? " code " : "", is->code ? is->code : "", is->reason ? is->reason : "",
                   is->kind ? is->kind : "");
    }
    if (r->status == 0 && r->dry_run) buf_puts(out, "dry run: nothing was written\n");
    if (r->status != 0) buf_printf(out, "FAILED: %s\nnothing was written\n", r->error ? r->error : "unknown error");
}

static void add_str(cJSON *o, const char *k, const char *v) {
    cJSON_AddItemToObject(o, k, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

void ingest_report_json(const IngestReport *r, Buf *out) {
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        out->oom = 1;
        return;
    }
    add_str(o, "status", r->status == 0 ? "ok" : "failed");
    add_str(o, "error", r->error);
    add_str(o, "collection", r->collection == INGEST_ADMIN ? "admin" : "institutions");
    add_str(o, "layout", r->layout);
    cJSON_AddBoolToObject(o, "dry_run", r->dry_run);
    cJSON *c = cJSON_AddObjectToObject(o, "counts");
    cJSON_AddNumberToObject(c, "read", (double)r->read);
    cJSON_AddNumberToObject(c, "inserted", (double)r->inserted);
    cJSON_AddNumberToObject(c, "updated", (double)r->updated);
    cJSON_AddNumberToObject(c, "unchanged", (double)r->unchanged);
    cJSON_AddNumberToObject(c, "rejected", (double)r->rejected);
    cJSON_AddNumberToObject(c, "warnings", (double)r->warnings);
    cJSON *dv = cJSON_AddObjectToObject(o, "data_version");
    cJSON_AddNumberToObject(dv, "before", (double)r->data_version_before);
    cJSON_AddNumberToObject(dv, "after", (double)r->data_version_after);
    /* Milliseconds as an integer: no float formatting in the report. */
    cJSON_AddNumberToObject(o, "milliseconds", (double)(long long)(r->seconds * 1000));
    cJSON *notes = cJSON_AddArrayToObject(o, "notes");
    for (int i = 0; i < r->note_count; i++) cJSON_AddItemToArray(notes, cJSON_CreateString(r->notes[i]));
    cJSON *issues = cJSON_AddArrayToObject(o, "issues");
    for (size_t i = 0; i < r->issue_count; i++) {
        const IngestIssue *is = &r->issues[i];
        cJSON *j = cJSON_CreateObject();
        add_str(j, "severity", severity_name(is->severity));
        add_str(j, "kind", is->kind);
        add_str(j, "source", is->source);
        cJSON_AddNumberToObject(j, "row", (double)is->row);
        add_str(j, "code", is->code);
        add_str(j, "reason", is->reason);
        cJSON_AddItemToArray(issues, j);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s) {
        out->oom = 1;
        return;
    }
    buf_puts(out, s);
    free(s);
}

/* RFC 4180: quote when the value holds a comma, quote, CR or LF. */
static void csv_field(FILE *f, const char *v) {
    if (!v) return;
    if (!strpbrk(v, ",\"\r\n")) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (; *v; v++) {
        if (*v == '"') fputc('"', f);
        fputc(*v, f);
    }
    fputc('"', f);
}

int ingest_report_write_rejects(const IngestReport *r, const char *path, char **err) {
    *err = NULL;
    /* Union of the headers' columns, in order of first appearance. */
    StrMap cols;
    strmap_init(&cols);
    char **order = NULL;
    long ncol = 0;
    for (int h = 0; h < r->header_count; h++)
        for (int i = 0; i < r->headers[h].n; i++) {
            const char *name = r->headers[h].names[i] ? r->headers[h].names[i] : "";
            if (strmap_get(&cols, name)) continue;
            char **o = realloc(order, (size_t)(ncol + 1) * sizeof *o);
            if (!o || strmap_put(&cols, name, ncol) != 0) {
                free(o ? o : order);
                strmap_free(&cols);
                *err = ing_printf("out of memory");
                return -1;
            }
            order = o;
            order[ncol++] = (char *)name;
        }
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(order);
        strmap_free(&cols);
        *err = ing_printf("cannot write %s", path);
        return -1;
    }
    for (long i = 0; i < ncol; i++) {
        csv_field(f, order[i]);
        fputc(',', f);
    }
    fputs("reject_reason\r\n", f);
    const char **line = calloc((size_t)(ncol ? ncol : 1), sizeof *line);
    for (size_t k = 0; line && k < r->reject_count; k++) {
        const IngestRejectRow *rr = &r->rejects[k];
        const IngestHeader *h = &r->headers[rr->header];
        memset(line, 0, (size_t)(ncol ? ncol : 1) * sizeof *line);
        for (int i = 0; i < h->n; i++) {
            long *c = strmap_get(&cols, h->names[i] ? h->names[i] : "");
            if (c) line[*c] = rr->values[i];
        }
        for (long i = 0; i < ncol; i++) {
            csv_field(f, line[i]);
            fputc(',', f);
        }
        csv_field(f, rr->reason);
        fputs("\r\n", f);
    }
    free(line);
    free(order);
    strmap_free(&cols);
    if (fclose(f) != 0) {
        *err = ing_printf("cannot write %s", path);
        return -1;
    }
    return 0;
}

void ingest_report_free(IngestReport *r) {
    for (size_t i = 0; i < r->issue_count; i++) {
        free(r->issues[i].kind);
        free(r->issues[i].source);
        free(r->issues[i].code);
        free(r->issues[i].reason);
    }
    free(r->issues);
    for (size_t i = 0; i < r->reject_count; i++) {
        int n = r->headers[r->rejects[i].header].n;
        for (int k = 0; k < n; k++) free(r->rejects[i].values[k]);
        free(r->rejects[i].values);
        free(r->rejects[i].reason);
    }
    free(r->rejects);
    for (int h = 0; h < r->header_count; h++) {
        for (int i = 0; i < r->headers[h].n; i++) free(r->headers[h].names[i]);
        free(r->headers[h].names);
    }
    free(r->headers);
    for (int i = 0; i < r->note_count; i++) free(r->notes[i]);
    free(r->notes);
    free(r->error);
    free(r->layout);
    memset(r, 0, sizeof *r);
}
