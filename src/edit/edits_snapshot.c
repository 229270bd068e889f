/* edits_snapshot.c — an institution's editable part as a JSON snapshot: read, store, re-emit (edits.h, edits_internal.h). */
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

/* -------------------------------------------------------- JSON re-emission */

/* A number exactly as stored: 17 significant digits round-trip any double
 * (cJSON's own printer accepts a 15-digit form within an epsilon, which
 * would make a revert differ in the last bit).  No setlocale() is ever
 * called, but a ',' is mapped back to '.' so LC_NUMERIC can never leak. */
static void write_exact(Buf *b, double d) {
    char num[40];
    snprintf(num, sizeof num, "%.17g", d);
    for (char *p = num; *p; p++)
        if (*p == ',') *p = '.';
    buf_puts(b, num);
}

/* A parsed JSON value through the project's writer: raw UTF-8, integers as
 * integers, other numbers at the API's 7 decimals (exact = 0) or exactly
 * (exact = 1, for storage). */
static void write_value(Buf *b, const cJSON *v, int exact) {
    if (!v || cJSON_IsNull(v)) {
        buf_puts(b, "null");
    } else if (cJSON_IsBool(v)) {
        buf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d))
            buf_puts(b, "null");
        else if (d == floor(d) && fabs(d) < 9007199254740992.0)
            json_int(b, (long long)d);
        else if (exact)
            write_exact(b, d);
        else
            json_num(b, d, FEATURE_POINT_DECIMALS);
    } else if (cJSON_IsString(v)) {
        json_str(b, v->valuestring);
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        int obj = cJSON_IsObject(v), n = 0;
        buf_putc(b, obj ? '{' : '[');
        for (const cJSON *c = v->child; c; c = c->next) {
            if (n++) buf_putc(b, ',');
            if (obj) {
                json_str(b, c->string);
                buf_putc(b, ':');
            }
            write_value(b, c, exact);
        }
        buf_putc(b, obj ? '}' : ']');
    } else {
        buf_puts(b, "null");
    }
}

void edits_write_snapshot(Buf *out, const char *snapshot_json) {
    cJSON *v = snapshot_json ? cJSON_Parse(snapshot_json) : NULL;
    write_value(out, v, 0);
    cJSON_Delete(v);
}

/* Exact text of a value, for storage (malloc'd; NULL when out of memory). */
char *edit_print_value(const cJSON *v) {
    Buf b = BUF_INIT;
    write_value(&b, v, 1);
    if (b.oom) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

/* --------------------------------------------------------------- snapshots */

const char *const edit_place_keys[PLACE_KEYS] = {"commune_code", "district_code", "province_code", "layout"};

static cJSON *text_or_null(sqlite3_stmt *st, int col) {
    const unsigned char *v = sqlite3_column_text(st, col);
    return v ? cJSON_CreateString((const char *)v) : cJSON_CreateNull();
}

/* Read the snapshot of `code`.  NULL with *found = 0 when absent, NULL with
 * *found = 1 on a database or memory error. */
cJSON *edit_snapshot_read(sqlite3 *db, const char *code, InstMeta *meta, int *found) {
    *found = 0;
    sqlite3_stmt *st = store_prepare_cached(
        db, "SELECT name, address, phone, email, website, description, location_precision, lon, lat, version,"
            " commune_code, district_code, province_code, admin_layout FROM institution WHERE code = ?1");
    if (!st) { *found = 1; return NULL; }
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        *found = rc != SQLITE_DONE;
        sqlite3_reset(st);
        return NULL;
    }
    *found = 1;
    cJSON *snap = cJSON_CreateObject(), *props = cJSON_CreateObject();
    cJSON_AddItemToObject(snap, "properties", props);
    static const char *const keys[] = {"name", "address", "phone", "email", "website", "description"};
    for (int i = 0; i < 6; i++) cJSON_AddItemToObject(props, keys[i], text_or_null(st, i));
    cJSON_AddItemToObject(props, "location_precision", text_or_null(st, 6));
    if (sqlite3_column_type(st, 7) != SQLITE_NULL && sqlite3_column_type(st, 8) != SQLITE_NULL &&
        isfinite(sqlite3_column_double(st, 7)) && isfinite(sqlite3_column_double(st, 8))) {
        cJSON *g = cJSON_CreateObject();
        cJSON_AddStringToObject(g, "type", "Point");
        double xy[2] = {sqlite3_column_double(st, 7), sqlite3_column_double(st, 8)};
        cJSON_AddItemToObject(g, "coordinates", cJSON_CreateDoubleArray(xy, 2));
        cJSON_AddItemToObject(snap, "geometry", g);
    } else {
        cJSON_AddNullToObject(snap, "geometry");
    }
    meta->version = sqlite3_column_int64(st, 9);
    cJSON *place = cJSON_AddObjectToObject(snap, "place");
    for (int i = 0; i < PLACE_KEYS; i++) cJSON_AddItemToObject(place, edit_place_keys[i], text_or_null(st, 10 + i));
    char *const meta_codes[] = {meta->commune, meta->district, meta->layout};
    static const int meta_cols[] = {10, 11, 13};
    for (int i = 0; i < 3; i++) {
        const unsigned char *v = sqlite3_column_text(st, meta_cols[i]);
        snprintf(meta_codes[i], sizeof meta->commune, "%s", v ? (const char *)v : "");
    }
    sqlite3_reset(st);

    cJSON *programs = cJSON_CreateArray();
    cJSON_AddItemToObject(props, "programs", programs);
    st = store_prepare_cached(db, "SELECT occupation_code, occupation_name, level, annual_quota FROM program"
                                  " WHERE institution_code = ?1 ORDER BY rowid");
    if (!st) { cJSON_Delete(snap); return NULL; }
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddItemToObject(p, "occupation_code", text_or_null(st, 0));
        cJSON_AddItemToObject(p, "occupation_name", text_or_null(st, 1));
        cJSON_AddItemToObject(p, "level", text_or_null(st, 2));
        if (sqlite3_column_type(st, 3) == SQLITE_NULL)
            cJSON_AddNullToObject(p, "annual_quota");
        else
            cJSON_AddNumberToObject(p, "annual_quota", (double)sqlite3_column_int64(st, 3));
        cJSON_AddItemToArray(programs, p);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) { cJSON_Delete(snap); return NULL; }
    return snap;
}

char *edits_snapshot(sqlite3 *db, const char *code, long long *version, int *rc) {
    InstMeta meta;
    int found;
    cJSON *snap = edit_snapshot_read(db, code, &meta, &found);
    *rc = SQLITE_OK;
    if (!snap) {
        if (found) *rc = sqlite3_errcode(db) != SQLITE_OK ? sqlite3_errcode(db) : SQLITE_NOMEM;
        return NULL;
    }
    *version = meta.version;
    char *text = edit_print_value(snap);
    cJSON_Delete(snap);
    if (!text) *rc = SQLITE_NOMEM;
    return text;
}

const char *edit_str_or_null(const cJSON *props, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(props, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void edit_bind_text_or_null(sqlite3_stmt *st, int i, const char *s) {
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

int edit_step_done(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Write a complete snapshot into the institution row and its programs, as
 * version `version` (with its place when write_place is set and it has one),
 * and reindex its search row (which holds the place's names). */
int edit_snapshot_store(sqlite3 *db, const char *code, const cJSON *snap, long long version, int write_place) {
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(snap, "properties");
    const cJSON *coords = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(snap, "geometry"),
                                                           "coordinates");
    sqlite3_stmt *st = store_prepare_cached(
        db, "UPDATE institution SET name = ?2, address = ?3, phone = ?4, email = ?5, website = ?6,"
            " description = ?7, location_precision = ?8, lon = ?9, lat = ?10,"
            " geom = CASE WHEN ?9 IS NULL OR ?10 IS NULL THEN NULL ELSE MakePoint(?9, ?10, 4326) END,"
            " version = ?11, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE code = ?1");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    static const char *const keys[] = {"name", "address", "phone", "email", "website", "description",
                                       "location_precision"};
    for (int i = 0; i < 7; i++) edit_bind_text_or_null(st, i + 2, edit_str_or_null(props, keys[i]));
    if (cJSON_GetArraySize(coords) == 2) {
        sqlite3_bind_double(st, 9, cJSON_GetArrayItem(coords, 0)->valuedouble);
        sqlite3_bind_double(st, 10, cJSON_GetArrayItem(coords, 1)->valuedouble);
    }
    sqlite3_bind_int64(st, 11, version);
    if (edit_step_done(st) != 0 || sqlite3_changes(db) != 1) return -1;

    const cJSON *place = cJSON_GetObjectItemCaseSensitive(snap, "place");
    if (write_place && cJSON_IsObject(place)) {
        st = store_prepare_cached(db, "UPDATE institution SET commune_code = ?2, district_code = ?3,"
                                      " province_code = ?4, admin_layout = ?5 WHERE code = ?1");
        if (!st) return -1;
        sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
        for (int i = 0; i < PLACE_KEYS; i++) edit_bind_text_or_null(st, i + 2, edit_str_or_null(place, edit_place_keys[i]));
        if (edit_step_done(st) != 0) return -1;
    }

    st = store_prepare_cached(db, "DELETE FROM program WHERE institution_code = ?1");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    if (edit_step_done(st) != 0) return -1;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(props, "programs")) {
        st = store_prepare_cached(db, "INSERT INTO program(institution_code, occupation_code, occupation_name,"
                                      " level, annual_quota) VALUES (?1, ?2, ?3, ?4, ?5)");
        if (!st) return -1;
        sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
        static const char *const pk[] = {"occupation_code", "occupation_name", "level"};
        for (int i = 0; i < 3; i++) edit_bind_text_or_null(st, i + 2, edit_str_or_null(p, pk[i]));
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(p, "annual_quota");
        if (cJSON_IsNumber(q)) sqlite3_bind_int64(st, 5, (long long)q->valuedouble);
        if (edit_step_done(st) != 0) return -1;
    }
    return store_reindex_search(db, code) == SQLITE_OK ? 0 : -1;
}
