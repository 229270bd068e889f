/* edits_reconcile.c — how a re-ingest of the master file meets published edits; the ingest's audit (edits.h, edits_internal.h). */
#include "edit/edits.h"
#include "edit/edits_internal.h"
#include "store/admin_locate.h"
#include "edit/auth.h"
#include "store/feature.h"
#include "geo/geojson.h"
#include "edit/message.h"
#include "store/store.h"
#include "base/strfmt.h"
#include "base/text.h"
#include <cjson/cJSON.h>
#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------- ingest audit */

struct EditsIngestAudit {
    char *code;
    long long version;
    char *before;              /* snapshot text */
    EditsIngestAudit *next;
};

static int has_history(sqlite3 *db, const char *code) {
    sqlite3_stmt *st = store_prepare_cached(db, "SELECT EXISTS (SELECT 1 FROM audit_log WHERE institution_code = ?1)");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    int r = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_reset(st);
    return r;
}

int edits_ingest_remember(sqlite3 *db, EditsIngestAudit **list, const char *code) {
    int h = has_history(db, code);
    if (h <= 0) return h;
    int rc = SQLITE_OK;
    long long version = 0;
    char *before = edits_snapshot(db, code, &version, &rc);
    if (!before) return rc == SQLITE_OK ? 0 : -1;
    EditsIngestAudit *a = calloc(1, sizeof *a);
    if (!a || !(a->code = strdup(code))) {
        free(a);
        free(before);
        return -1;
    }
    a->version = version;
    a->before = before;
    a->next = *list;
    *list = a;
    return 0;
}

int edits_ingest_audit(sqlite3 *db, EditsIngestAudit *list, int ok) {
    int rc = 0;
    EditActor ingest = {0, "ingest", 1, NULL};
    for (EditsIngestAudit *a = list, *next; a; a = next) {
        next = a->next;
        InstMeta meta;
        int found;
        cJSON *after = ok && rc == 0 ? edit_snapshot_read(db, a->code, &meta, &found) : NULL;
        cJSON *before = after ? cJSON_Parse(a->before) : NULL;
        if (after && before && meta.version != a->version) {
            ChangeTexts t;
            int texts = edit_change_texts(&t, before, after, edit_diff_fields(before, after));
            sqlite3_stmt *st = store_prepare_cached(
                db, "INSERT INTO audit_log(institution_code, action, actor, fields, version_before, version_after,"
                    " before, after, at) VALUES (?1, 'ingest', ?2, ?3, ?4, ?5, ?6, ?7,"
                    " strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))");
            if (st && texts == 0) {
                sqlite3_bind_text(st, 1, a->code, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 2, ingest.email, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, t.fields.data, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(st, 4, a->version);
                sqlite3_bind_int64(st, 5, meta.version);
                sqlite3_bind_text(st, 6, t.before, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 7, t.after, -1, SQLITE_TRANSIENT);
                if (edit_step_done(st) != 0) rc = -1;
            } else {
                rc = -1;
            }
            edit_change_texts_free(&t);
        } else if (ok && rc == 0 && (!after ? found : !before)) {
            rc = -1;
        }
        cJSON_Delete(after);
        cJSON_Delete(before);
        free(a->code);
        free(a->before);
        free(a);
    }
    return rc;
}

/* ------------------------------------------------------- re-ingest checks */

/* The approved value of a field as parsed JSON, NULL when none (or *err). */
static cJSON *approved_value(sqlite3 *db, const char *code, const char *field, int *err) {
    *err = 0;
    sqlite3_stmt *st = store_prepare_cached(db, "SELECT value FROM approved_edit WHERE institution_code = ?1"
                                                " AND field = ?2");
    if (!st) { *err = 1; return NULL; }
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, field, -1, SQLITE_TRANSIENT);
    cJSON *v = NULL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        v = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
        if (!v) *err = 1;
    } else if (rc != SQLITE_DONE) {
        *err = 1;
    }
    sqlite3_reset(st);
    return v;
}

static int drop_marker(sqlite3 *db, const char *code, const char *field) {
    sqlite3_stmt *st = store_prepare_cached(db, "DELETE FROM approved_edit WHERE institution_code = ?1 AND field = ?2");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, field, -1, SQLITE_TRANSIENT);
    return edit_step_done(st);
}

int edits_reconcile_text(sqlite3 *db, const char *code, const char *field, char **value, EditsPrefer prefer,
                         char **note) {
    *note = NULL;
    int err;
    cJSON *edit = approved_value(db, code, field, &err);
    if (!edit) return err ? -1 : 0;
    const char *ev = cJSON_IsString(edit) ? edit->valuestring : NULL;
    const char *fv = *value && **value ? *value : NULL;
    int same = (!ev && !fv) || (ev && fv && !strcmp(ev, fv));
    int rc = 0;
    if (!same) {
        rc = 1;
        *note = strfmt("%s: the file has %s%s%s, the approved edit has %s%s%s; kept the %s", field,
                            fv ? "\"" : "", fv ? fv : "nothing", fv ? "\"" : "", ev ? "\"" : "", ev ? ev : "nothing",
                            ev ? "\"" : "", prefer == EDITS_PREFER_FILE ? "file's value" : "edit");
        if (prefer == EDITS_PREFER_FILE) {
            if (drop_marker(db, code, field) != 0) rc = -1;
        } else {
            char *copy = ev ? strdup(ev) : NULL;
            if (ev && !copy) {
                rc = -1;
            } else {
                free(*value);
                *value = copy;
            }
        }
    }
    cJSON_Delete(edit);
    return rc;
}

/* The stored location_precision of institution `code` (malloc'd; "surveyed"
 * when it has none), or NULL on a database or memory error. */
static char *stored_precision(sqlite3 *db, const char *code) {
    sqlite3_stmt *st = store_prepare_cached(db, "SELECT location_precision FROM institution WHERE code = ?1");
    if (!st) return NULL;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    const unsigned char *v = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    char *out = rc == SQLITE_ROW || rc == SQLITE_DONE ? strdup(v ? (const char *)v : "surveyed") : NULL;
    sqlite3_reset(st);
    return out;
}

int edits_reconcile_location(sqlite3 *db, const char *code, int *has_point, double *lon, double *lat,
                             char **precision, EditsPrefer prefer, char **note) {
    *note = NULL;
    int err;
    cJSON *edit = approved_value(db, code, "location", &err);
    if (!edit) return err ? -1 : 0;
    int ehas = cJSON_GetArraySize(edit) == 2;
    double elon = ehas ? cJSON_GetArrayItem(edit, 0)->valuedouble : 0;
    double elat = ehas ? cJSON_GetArrayItem(edit, 1)->valuedouble : 0;
    int same = ehas == (*has_point != 0) &&
               (!ehas || (fabs(elon - *lon) < 1e-7 && fabs(elat - *lat) < 1e-7));
    int rc = 0;
    if (!same) {
        rc = 1;
        char fpos[64] = "no location", epos[64] = "no location";
        if (*has_point) snprintf(fpos, sizeof fpos, "(%.7f, %.7f)", *lon, *lat);
        if (ehas) snprintf(epos, sizeof epos, "(%.7f, %.7f)", elon, elat);
        *note = strfmt("location: the file has %s, the approved edit has %s; kept the %s", fpos, epos,
                            prefer == EDITS_PREFER_FILE ? "file's value" : "edit");
        if (prefer == EDITS_PREFER_FILE) {
            if (drop_marker(db, code, "location") != 0) rc = -1;
        } else {
            /* the kept point keeps the precision it was published with (a
             * revert to an approximate point is not "surveyed") */
            char *kept = stored_precision(db, code);
            if (!kept) {
                rc = -1;
            } else {
                *has_point = ehas;
                *lon = elon;
                *lat = elat;
                free(*precision);
                *precision = kept;
            }
        }
    }
    cJSON_Delete(edit);
    return rc;
}

int edits_reconcile_place(sqlite3 *db, const char *code, const char *layout, char **commune, char **district,
                          char **province) {
    if (!layout) return 0;
    sqlite3_stmt *st = store_prepare_cached(
        db, "SELECT i.commune_code, i.district_code, i.province_code FROM institution i"
            " JOIN approved_edit m ON m.institution_code = i.code AND m.field = 'location'"
            " WHERE i.code = ?1 AND i.admin_layout = ?2");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, layout, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), r = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    char **const values[] = {commune, district, province};
    for (int i = 0; r == 1 && i < 3; i++) {
        const unsigned char *v = sqlite3_column_text(st, i);
        char *copy = v ? strdup((const char *)v) : NULL;
        if (v && !copy) {
            r = -1;
            break;
        }
        free(*values[i]);
        *values[i] = copy;
    }
    sqlite3_reset(st);
    return r;
}
