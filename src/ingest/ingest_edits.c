/* ingest_edits.c — the ingest's side of "a re-ingest of the master file never
 * silently overwrites an approved school edit" (edits.h, edits_reconcile_*).
 *
 * Called by ingest_run() before the upserts, inside the ingest's one
 * transaction: for every kept institution record whose code has published
 * edits, each field an edit set (name, address, phone, email, website,
 * location) is compared with the file's value.  Every disagreement becomes a
 * warning of kind "edit_conflict" in the report (field, both values, which
 * one was kept).  By default the edit wins (the record takes the edit's
 * value, so the upsert sees no change); with prefer_file the file's value is
 * written and the edit's marker dropped.  Changes the ingest then makes to an
 * institution with an edit history are audited (action "ingest"), so its
 * history has no gap. */
#include "edit/edits.h"
#include "ingest/ingest_internal.h"

#include <stdlib.h>

/* The record fields an edit may have set, by the edit's field name. */
static const struct {
    const char *name;
    Field field;
} text_fields[] = {
    {"name", FLD_NAME}, {"address", FLD_ADDRESS}, {"phone", FLD_PHONE}, {"email", FLD_EMAIL}, {"website", FLD_WEBSITE},
};

static int any_edits(sqlite3 *db) {
    sqlite3_stmt *st = NULL;
    int any = 1; /* on doubt, check every row */
    if (sqlite3_prepare_v2(db, "SELECT EXISTS (SELECT 1 FROM approved_edit) OR EXISTS (SELECT 1 FROM audit_log)",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        any = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return any;
}

static void report(IngestReport *r, const Record *rec, char *note) {
    ing_issue(r, INGEST_WARNING, "edit_conflict", rec->source, rec->row, rec->s[FLD_CODE],
              "differs from an approved edit: %s", note);
    free(note);
}

int ingest_reconcile_edits(sqlite3 *db, Record *recs, size_t n, const char *layout, int prefer_file, IngestReport *r,
                           EditsIngestAudit **audit, char **err) {
    *err = NULL;
    *audit = NULL;
    if (!any_edits(db)) return 0;
    EditsPrefer prefer = prefer_file ? EDITS_PREFER_FILE : EDITS_PREFER_EDITS;
    for (size_t i = 0; i < n; i++) {
        Record *rec = &recs[i];
        const char *code = rec->s[FLD_CODE];
        if (rec->rejected || !code) continue;
        if (edits_ingest_remember(db, audit, code) != 0) goto fail;
        char *note = NULL;
        for (size_t k = 0; k < sizeof text_fields / sizeof *text_fields; k++) {
            int c = edits_reconcile_text(db, code, text_fields[k].name, &rec->s[text_fields[k].field], prefer, &note);
            if (c < 0) goto fail;
            if (c > 0) report(r, rec, note);
        }
        int c = edits_reconcile_location(db, code, &rec->has_point, &rec->lon, &rec->lat,
                                         &rec->s[FLD_LOCATION_PRECISION], prefer, &note);
        if (c < 0) goto fail;
        if (c > 0) report(r, rec, note);
        /* the edit's point keeps the commune/district/province it was published in */
        if (edits_reconcile_place(db, code, layout, &rec->s[FLD_COMMUNE_CODE], &rec->s[FLD_DISTRICT_CODE],
                                  &rec->s[FLD_PROVINCE_CODE]) < 0)
            goto fail;
    }
    return 0;
fail:
    *err = ing_printf("comparing with approved edits: %s", sqlite3_errmsg(db));
    edits_ingest_audit(db, *audit, 0);
    *audit = NULL;
    return -1;
}

int ingest_audit_edits(sqlite3 *db, EditsIngestAudit *audit, int ok, char **err) {
    if (edits_ingest_audit(db, audit, ok) == 0) return 0;
    *err = ing_printf("writing the audit log of edited institutions: %s", sqlite3_errmsg(db));
    return -1;
}
