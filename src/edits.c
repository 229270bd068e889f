/* edits.c — merge patches, moderation, audit, revert, re-ingest checks (edits.h). */
#include "edits.h"
#include "admin_locate.h"
#include "auth.h"
#include "feature.h"
#include "geojson.h"
#include "message.h"
#include "store.h"
#include "strfmt.h"
#include "text.h"

#include <cjson/cJSON.h>
#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --------------------------------------------------------------- the fields */

typedef enum FieldId {
    F_NAME, F_ADDRESS, F_PHONE, F_EMAIL, F_WEBSITE, F_DESCRIPTION, F_PROGRAMS, F_LOCATION, F_COUNT
} FieldId;

typedef struct FieldDef {
    const char *name;          /* patch / rules name; a property key except "location" */
    size_t max_bytes;          /* text fields */
    int multiline;             /* line breaks allowed */
} FieldDef;

static const FieldDef field_defs[F_COUNT] = {
    [F_NAME] = {"name", 300, 0},
    [F_ADDRESS] = {"address", 500, 0},
    [F_PHONE] = {"phone", 64, 0},
    [F_EMAIL] = {"email", AUTH_EMAIL_MAX, 0},
    [F_WEBSITE] = {"website", 500, 0},
    [F_DESCRIPTION] = {"description", 4000, 1},
    [F_PROGRAMS] = {"programs", 0, 0},
    [F_LOCATION] = {"location", 0, 0},
};

#define MAX_PROGRAMS 300
#define BIT(f) (1u << (f))

static int field_by_name(const char *name, size_t n) {
    for (int f = 0; f < F_COUNT; f++)
        if (strlen(field_defs[f].name) == n && !strncmp(field_defs[f].name, name, n)) return f;
    return -1;
}

/* The item of a snapshot that holds field f (NULL when absent). */
static cJSON *field_get(const cJSON *snap, int f) {
    if (f == F_LOCATION) return cJSON_GetObjectItemCaseSensitive(snap, "geometry");
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(snap, "properties"),
                                            field_defs[f].name);
}

static int set_item(cJSON *obj, const char *key, cJSON *value) {
    if (!value) return -1;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    cJSON_AddItemToObject(obj, key, value);
    return 0;
}

/* Copy field f (and, with the location, its precision and place) from src
 * into dst. */
static int field_copy(cJSON *dst, const cJSON *src, int f) {
    const cJSON *v = field_get(src, f);
    cJSON *dprops = cJSON_GetObjectItemCaseSensitive(dst, "properties");
    if (f == F_LOCATION) {
        const cJSON *prec =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(src, "properties"), "location_precision");
        const cJSON *place = cJSON_GetObjectItemCaseSensitive(src, "place");
        if (set_item(dst, "geometry", v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull()) != 0) return -1;
        if (place && set_item(dst, "place", cJSON_Duplicate(place, 1)) != 0) return -1;
        return set_item(dprops, "location_precision", prec ? cJSON_Duplicate(prec, 1) : cJSON_CreateNull());
    }
    return set_item(dprops, field_defs[f].name, v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
}

/* Two points closer than this (degrees, ~1 cm) are the same location: the
 * API prints 7 decimals, so a client sending back what it read must not
 * move the point (nor make it "surveyed"). */
#define SAME_POINT_DEG 1e-7

static int same_point(const cJSON *x, const cJSON *y) {
    const cJSON *cx = cJSON_GetObjectItemCaseSensitive(x, "coordinates");
    const cJSON *cy = cJSON_GetObjectItemCaseSensitive(y, "coordinates");
    if (cJSON_GetArraySize(cx) != 2 || cJSON_GetArraySize(cy) != 2) return cJSON_Compare(x, y, 1);
    for (int i = 0; i < 2; i++) {
        const cJSON *p = cJSON_GetArrayItem(cx, i), *q = cJSON_GetArrayItem(cy, i);
        if (!cJSON_IsNumber(p) || !cJSON_IsNumber(q) || !(fabs(p->valuedouble - q->valuedouble) < SAME_POINT_DEG))
            return 0;
    }
    return 1;
}

static int field_equal(const cJSON *a, const cJSON *b, int f) {
    const cJSON *x = field_get(a, f), *y = field_get(b, f);
    int xnull = !x || cJSON_IsNull(x), ynull = !y || cJSON_IsNull(y);
    if (xnull || ynull) return xnull == ynull;
    return f == F_LOCATION ? same_point(x, y) : cJSON_Compare(x, y, 1);
}

/* Bit mask of the fields that differ between two snapshots. */
static unsigned diff_fields(const cJSON *a, const cJSON *b) {
    unsigned m = 0;
    for (int f = 0; f < F_COUNT; f++)
        if (!field_equal(a, b, f)) m |= BIT(f);
    return m;
}

static void fields_json(Buf *b, unsigned mask) {
    buf_putc(b, '[');
    int n = 0;
    for (int f = 0; f < F_COUNT; f++)
        if (mask & BIT(f)) {
            if (n++) buf_putc(b, ',');
            json_str(b, field_defs[f].name);
        }
    buf_putc(b, ']');
}

/* "name, location": the fields of mask as words, for messages. */
static void fields_list(Buf *b, unsigned mask) {
    int n = 0;
    for (int f = 0; f < F_COUNT; f++)
        if (mask & BIT(f)) {
            if (n++) buf_puts(b, ", ");
            buf_puts(b, field_defs[f].name);
        }
}

static unsigned fields_from_json(const char *text) {
    unsigned m = 0;
    cJSON *arr = cJSON_Parse(text ? text : "");
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        int f = cJSON_IsString(it) ? field_by_name(it->valuestring, strlen(it->valuestring)) : -1;
        if (f >= 0) m |= BIT(f);
    }
    cJSON_Delete(arr);
    return m;
}

/* Fields named in a comma list ("phone, email"). */
static unsigned fields_from_list(const char *list) {
    unsigned m = 0;
    for (const char *p = list ? list : ""; *p;) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, " ,");
        int f = n ? field_by_name(p, n) : -1;
        if (f >= 0) m |= BIT(f);
        p += n;
    }
    return m;
}

/* ------------------------------------------------------------------ errors */

/* Fill e with an HTTP status, a JSON error code and message `id` (p: its
 * parameters, NULL for none); returns -1. */
static int fail(EditError *e, int status, const char *code, MsgId id, const MsgParam *p) {
    e->status = status;
    e->code = code;
    e->sqlite_rc = 0;
    msg_describe(id, p, e->message, sizeof e->message);
    Buf b = BUF_INIT;
    msg_write(&b, id, p);
    /* parameter values are capped (message.h), so the object fits */
    snprintf(e->detail, sizeof e->detail, "%s", b.data && !b.oom && b.len < sizeof e->detail ? b.data : "null");
    buf_free(&b);
    return -1;
}

static int db_fail(EditError *e, sqlite3 *db) {
    int rc = sqlite3_extended_errcode(db);
    int busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
    fail(e, busy ? 503 : 500, busy ? "ServiceUnavailable" : "ServerError",
         busy ? MSG_DATABASE_BUSY : MSG_DATABASE_ERROR, NULL);
    e->sqlite_rc = rc ? rc : SQLITE_ERROR;
    return -1;
}

static int oom(EditError *e) { return fail(e, 500, "ServerError", MSG_OUT_OF_MEMORY, NULL); }

/* --------------------------------------------------------------- outcome */

void edit_outcome_init(EditOutcome *o) {
    memset(o, 0, sizeof *o);
    buf_init(&o->published);
    buf_init(&o->pending);
    buf_init(&o->warnings);
}

void edit_outcome_free(EditOutcome *o) {
    buf_free(&o->published);
    buf_free(&o->pending);
    buf_free(&o->warnings);
}

void edits_rules_from_config(EditRules *r, const Config *c) {
    r->publish_fields = c->edit_publish_fields;
    r->max_move_m = c->edit_max_move_m;
    r->config = c;
}

/* ------------------------------------------------------------------- ETags */

void edits_etag(const char *code, long long version, char *out, size_t n) {
    Buf b = BUF_INIT;
    buf_puts(&b, "\"inst-");
    for (const unsigned char *p = (const unsigned char *)code; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._-", *p))
            buf_putc(&b, (char)*p);
        else
            buf_printf(&b, "%%%02X", *p);
    }
    buf_printf(&b, "-v%lld\"", version);
    snprintf(out, n, "%s", b.data && !b.oom ? b.data : "\"\"");
    buf_free(&b);
}

int edits_if_match(const char *header, const char *code, long long version) {
    if (!header) return 0;
    char tag[256];
    edits_etag(code, version, tag, sizeof tag);
    size_t tn = strlen(tag);
    for (const char *p = header; *p;) {
        p += strspn(p, " \t,");
        if (*p == '*') return 1;
        size_t n = strcspn(p, " \t,");
        /* Strong comparison: a weak tag (W/"...") never matches. */
        if (n == tn && !strncmp(p, tag, n)) return 1;
        p += n;
    }
    return 0;
}

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
static char *print_value(const cJSON *v) {
    Buf b = BUF_INIT;
    write_value(&b, v, 1);
    if (b.oom) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

/* --------------------------------------------------------------- snapshots */

typedef struct InstMeta {
    long long version;
    char commune[64];          /* its codes ("" = none), in its admin_layout */
    char district[64];
    char layout[64];
} InstMeta;

/* The admin-unit columns of institution, as the snapshot's "place" names them. */
static const char *const place_keys[] = {"commune_code", "district_code", "province_code", "layout"};
#define PLACE_KEYS 4

static cJSON *text_or_null(sqlite3_stmt *st, int col) {
    const unsigned char *v = sqlite3_column_text(st, col);
    return v ? cJSON_CreateString((const char *)v) : cJSON_CreateNull();
}

/* Read the snapshot of `code`.  NULL with *found = 0 when absent, NULL with
 * *found = 1 on a database or memory error. */
static cJSON *snapshot_read(sqlite3 *db, const char *code, InstMeta *meta, int *found) {
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
    for (int i = 0; i < PLACE_KEYS; i++) cJSON_AddItemToObject(place, place_keys[i], text_or_null(st, 10 + i));
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
    cJSON *snap = snapshot_read(db, code, &meta, &found);
    *rc = SQLITE_OK;
    if (!snap) {
        if (found) *rc = sqlite3_errcode(db) != SQLITE_OK ? sqlite3_errcode(db) : SQLITE_NOMEM;
        return NULL;
    }
    *version = meta.version;
    char *text = print_value(snap);
    cJSON_Delete(snap);
    if (!text) *rc = SQLITE_NOMEM;
    return text;
}

static const char *str_or_null(const cJSON *props, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(props, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s) {
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static int step_done(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Write a complete snapshot into the institution row and its programs, as
 * version `version` (with its place when write_place is set and it has one),
 * and reindex its search row (which holds the place's names). */
static int snapshot_store(sqlite3 *db, const char *code, const cJSON *snap, long long version, int write_place) {
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
    for (int i = 0; i < 7; i++) bind_text_or_null(st, i + 2, str_or_null(props, keys[i]));
    if (cJSON_GetArraySize(coords) == 2) {
        sqlite3_bind_double(st, 9, cJSON_GetArrayItem(coords, 0)->valuedouble);
        sqlite3_bind_double(st, 10, cJSON_GetArrayItem(coords, 1)->valuedouble);
    }
    sqlite3_bind_int64(st, 11, version);
    if (step_done(st) != 0 || sqlite3_changes(db) != 1) return -1;

    const cJSON *place = cJSON_GetObjectItemCaseSensitive(snap, "place");
    if (write_place && cJSON_IsObject(place)) {
        st = store_prepare_cached(db, "UPDATE institution SET commune_code = ?2, district_code = ?3,"
                                      " province_code = ?4, admin_layout = ?5 WHERE code = ?1");
        if (!st) return -1;
        sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
        for (int i = 0; i < PLACE_KEYS; i++) bind_text_or_null(st, i + 2, str_or_null(place, place_keys[i]));
        if (step_done(st) != 0) return -1;
    }

    st = store_prepare_cached(db, "DELETE FROM program WHERE institution_code = ?1");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    if (step_done(st) != 0) return -1;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(props, "programs")) {
        st = store_prepare_cached(db, "INSERT INTO program(institution_code, occupation_code, occupation_name,"
                                      " level, annual_quota) VALUES (?1, ?2, ?3, ?4, ?5)");
        if (!st) return -1;
        sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
        static const char *const pk[] = {"occupation_code", "occupation_name", "level"};
        for (int i = 0; i < 3; i++) bind_text_or_null(st, i + 2, str_or_null(p, pk[i]));
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(p, "annual_quota");
        if (cJSON_IsNumber(q)) sqlite3_bind_int64(st, 5, (long long)q->valuedouble);
        if (step_done(st) != 0) return -1;
    }
    return store_reindex_search(db, code) == SQLITE_OK ? 0 : -1;
}

/* ------------------------------------------------------------ merge patch */

cJSON *edits_merge_patch(cJSON *target, const cJSON *patch) {
    if (!cJSON_IsObject(patch)) {
        cJSON_Delete(target);
        return cJSON_Duplicate(patch, 1);
    }
    if (!cJSON_IsObject(target)) {
        cJSON_Delete(target);
        target = cJSON_CreateObject();
        if (!target) return NULL;
    }
    for (const cJSON *p = patch->child; p; p = p->next) {
        if (cJSON_IsNull(p)) {
            cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
            continue;
        }
        cJSON *merged = edits_merge_patch(cJSON_DetachItemFromObjectCaseSensitive(target, p->string), p);
        if (!merged) {
            cJSON_Delete(target);
            return NULL;
        }
        cJSON_AddItemToObject(target, p->string, merged);
    }
    return target;
}

/* The patch may name only the editable fields (and repeat the Feature's
 * type and id). */
static int check_patch(const cJSON *patch, const char *code, EditError *e) {
    if (!cJSON_IsObject(patch))
        return fail(e, 400, "InvalidParameterValue", MSG_PATCH_NOT_OBJECT, NULL);
    for (const cJSON *k = patch->child; k; k = k->next) {
        if (!strcmp(k->string, "type")) {
            if (!cJSON_IsString(k) || strcmp(k->valuestring, "Feature"))
                return fail(e, 400, "InvalidParameterValue", MSG_TYPE_NOT_FEATURE, NULL);
        } else if (!strcmp(k->string, "id")) {
            if (!cJSON_IsString(k) || strcmp(k->valuestring, code))
                return fail(e, 400, "InvalidParameterValue", MSG_ID_READONLY, NULL);
        } else if (!strcmp(k->string, "geometry")) {
            if (cJSON_IsNull(k))
                return fail(e, 422, "InvalidValue", MSG_LOCATION_REMOVED, NULL);
        } else if (!strcmp(k->string, "properties")) {
            if (!cJSON_IsObject(k))
                return fail(e, 400, "InvalidParameterValue", MSG_PROPERTIES_NOT_OBJECT, NULL);
            for (const cJSON *p = k->child; p; p = p->next) {
                int f = field_by_name(p->string, strlen(p->string));
                if (f < 0 || f == F_LOCATION)
                    return fail(e, 400, "InvalidParameterValue", MSG_PROPERTY_NOT_EDITABLE,
                                MSG_PARAMS(MSG_S("property", p->string)));
            }
        } else {
            return fail(e, 400, "InvalidParameterValue", MSG_MEMBER_NOT_EDITABLE,
                        MSG_PARAMS(MSG_S("member", k->string)));
        }
    }
    return 0;
}

/* -------------------------------------------------------------- validation */

/* Normalise one text value in place: valid UTF-8, NFC, trimmed, no control
 * characters (line breaks only where allowed), "" -> null, length capped.
 * `where` names it in errors. */
static int norm_text_item(cJSON *parent, const char *key, const char *where, size_t max, int multiline,
                          int required, EditError *e) {
    cJSON *v = cJSON_GetObjectItemCaseSensitive(parent, key);
    const MsgParam *field = MSG_PARAMS(MSG_S("field", where));
    if (!v || cJSON_IsNull(v)) {
        if (required) return fail(e, 422, "InvalidValue", MSG_FIELD_REQUIRED, field);
        return set_item(parent, key, cJSON_CreateNull()) == 0 ? 0 : oom(e);
    }
    if (!cJSON_IsString(v)) return fail(e, 400, "InvalidParameterValue", MSG_FIELD_NOT_STRING, field);
    const char *s = v->valuestring;
    if (!text_utf8_valid(s, strlen(s))) return fail(e, 400, "InvalidParameterValue", MSG_FIELD_NOT_UTF8, field);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && !(multiline && (*p == '\n' || *p == '\t' || *p == '\r'))) || *p == 0x7f)
            return fail(e, 422, "InvalidValue", MSG_FIELD_CONTROL_CHAR, field);
    char *nfc = text_nfc(s);
    if (!nfc) return oom(e);
    text_trim(nfc);
    if (strlen(nfc) > max) {
        free(nfc);
        return fail(e, 422, "InvalidValue", MSG_FIELD_TOO_LONG,
                    MSG_PARAMS(MSG_S("field", where), MSG_N("max_bytes", max)));
    }
    if (!*nfc && required) {
        free(nfc);
        return fail(e, 422, "InvalidValue", MSG_FIELD_REQUIRED, field);
    }
    int rc = set_item(parent, key, *nfc ? cJSON_CreateString(nfc) : cJSON_CreateNull());
    free(nfc);
    return rc == 0 ? 0 : oom(e);
}

static int check_phone(const char *s, EditError *e) {
    int digits = 0;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (!strchr(" +-().,;/", *p))
            return fail(e, 422, "InvalidValue", MSG_PHONE_CHARS, NULL);
    }
    return digits >= 3 ? 0 : fail(e, 422, "InvalidValue", MSG_PHONE_TOO_FEW_DIGITS, NULL);
}

static int check_website(const char *s, EditError *e) {
    if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
        return fail(e, 422, "InvalidValue", MSG_WEBSITE_SCHEME, NULL);
    if (strpbrk(s, " \t\"<>\\"))
        return fail(e, 422, "InvalidValue", MSG_WEBSITE_NOT_ONE_URL, NULL);
    return 0;
}

static int norm_programs(cJSON *props, EditError *e) {
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(props, "programs");
    if (!arr || cJSON_IsNull(arr)) return set_item(props, "programs", cJSON_CreateArray()) == 0 ? 0 : oom(e);
    if (!cJSON_IsArray(arr)) return fail(e, 400, "InvalidParameterValue", MSG_PROGRAMS_NOT_ARRAY, NULL);
    if (cJSON_GetArraySize(arr) > MAX_PROGRAMS)
        return fail(e, 422, "InvalidValue", MSG_PROGRAMS_TOO_MANY, MSG_PARAMS(MSG_N("max", MAX_PROGRAMS)));
    int i = 0;
    for (cJSON *p = arr->child; p; p = p->next, i++) {
        char where[64];
        const MsgParam *index = MSG_PARAMS(MSG_N("index", i));
        if (!cJSON_IsObject(p)) return fail(e, 400, "InvalidParameterValue", MSG_PROGRAM_NOT_OBJECT, index);
        for (const cJSON *k = p->child; k; k = k->next)
            if (strcmp(k->string, "occupation_code") && strcmp(k->string, "occupation_name") &&
                strcmp(k->string, "level") && strcmp(k->string, "annual_quota"))
                return fail(e, 400, "InvalidParameterValue", MSG_PROGRAM_UNKNOWN_MEMBER,
                            MSG_PARAMS(MSG_N("index", i), MSG_S("member", k->string)));
        static const struct { const char *key; size_t max; int required; } tk[] = {
            {"occupation_code", 32, 0}, {"occupation_name", 300, 1}, {"level", 64, 0}};
        for (int t = 0; t < 3; t++) {
            snprintf(where, sizeof where, "programs[%d].%s", i, tk[t].key);
            if (norm_text_item(p, tk[t].key, where, tk[t].max, 0, tk[t].required, e) != 0) return -1;
        }
        cJSON *q = cJSON_GetObjectItemCaseSensitive(p, "annual_quota");
        if (!q) {
            if (!cJSON_AddNullToObject(p, "annual_quota")) return oom(e);
        } else if (!cJSON_IsNull(q)) {
            double d = q->valuedouble;
            if (!cJSON_IsNumber(q) || !isfinite(d) || d != floor(d) || d < 0 || d > 1e6)
                return fail(e, 422, "InvalidValue", MSG_PROGRAM_QUOTA_INVALID, index);
        }
    }
    return 0;
}

/* geometry: a GeoJSON Point with two finite numbers inside the region. */
static int check_geometry(const cJSON *g, const Config *cfg, EditError *e) {
    if (cJSON_IsNull(g) || !g) return 0;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(g, "type");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(g, "coordinates");
    if (!cJSON_IsObject(g) || !cJSON_IsString(type) || strcmp(type->valuestring, "Point"))
        return fail(e, 400, "InvalidParameterValue", MSG_GEOMETRY_NOT_POINT, NULL);
    for (const cJSON *k = g->child; k; k = k->next)
        if (strcmp(k->string, "type") && strcmp(k->string, "coordinates"))
            return fail(e, 400, "InvalidParameterValue", MSG_GEOMETRY_UNKNOWN_MEMBER,
                        MSG_PARAMS(MSG_S("member", k->string)));
    if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != 2 || !cJSON_IsNumber(cJSON_GetArrayItem(c, 0)) ||
        !cJSON_IsNumber(cJSON_GetArrayItem(c, 1)))
        return fail(e, 400, "InvalidParameterValue", MSG_COORDINATES_SHAPE, NULL);
    double lon = cJSON_GetArrayItem(c, 0)->valuedouble, lat = cJSON_GetArrayItem(c, 1)->valuedouble;
    if (!isfinite(lon) || !isfinite(lat) || fabs(lon) > 180 || fabs(lat) > 90)
        return fail(e, 422, "InvalidValue", MSG_COORDINATES_NOT_FINITE, NULL);
    if (cfg && !config_in_region(cfg, lon, lat))
        return fail(e, 422, "InvalidValue", MSG_LOCATION_OUTSIDE_REGION,
                    MSG_PARAMS(MSG_F("lon", lon, 6), MSG_F("lat", lat, 6)));
    return 0;
}

/* Normalise and validate a whole proposed snapshot; `before` is the
 * published one (a changed geometry becomes "surveyed"). */
static int normalise(cJSON *snap, const cJSON *before, const Config *cfg, EditError *e) {
    cJSON *props = cJSON_GetObjectItemCaseSensitive(snap, "properties");
    if (!cJSON_IsObject(props)) return fail(e, 400, "InvalidParameterValue", MSG_PROPERTIES_NOT_OBJECT, NULL);
    for (int f = F_NAME; f <= F_DESCRIPTION; f++) {
        const FieldDef *d = &field_defs[f];
        if (norm_text_item(props, d->name, d->name, d->max_bytes, d->multiline, f == F_NAME, e) != 0) return -1;
    }
    const char *phone = str_or_null(props, "phone"), *web = str_or_null(props, "website");
    const char *mail = str_or_null(props, "email");
    if (phone && check_phone(phone, e) != 0) return -1;
    if (web && check_website(web, e) != 0) return -1;
    if (mail) {
        char norm[AUTH_EMAIL_MAX + 1];
        if (auth_email_normalise(mail, norm, sizeof norm) != 0)
            return fail(e, 422, "InvalidValue", MSG_EMAIL_INVALID, NULL);
        if (set_item(props, "email", cJSON_CreateString(norm)) != 0) return oom(e);
    }
    if (norm_programs(props, e) != 0) return -1;
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(snap, "geometry");
    if (check_geometry(g, cfg, e) != 0) return -1;
    if (!g && set_item(snap, "geometry", cJSON_CreateNull()) != 0) return oom(e);
    if (!field_equal(snap, before, F_LOCATION) &&
        set_item(props, "location_precision", cJSON_CreateString("surveyed")) != 0)
        return oom(e);
    return 0;
}

/* 1 inside (or on) the unit the institution is known to be in, 0 outside,
 * -1 unknown.  That unit is its commune, or its district when the commune is
 * unknown, so a long move into another district does not pass unseen;
 * *level and *unit name it. */
static int in_own_unit(sqlite3 *db, const InstMeta *m, const cJSON *geometry, const char **level,
                       const char **unit) {
    *level = m->commune[0] ? "commune" : "district";
    *unit = m->commune[0] ? m->commune : m->district;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(geometry, "coordinates");
    if (!**unit || cJSON_GetArraySize(c) != 2) return -1;
    sqlite3_stmt *st = store_prepare_cached(db, "SELECT ST_Intersects(geom, MakePoint(?1, ?2, 4326)) FROM admin_unit"
                                                " WHERE layout = ?3 AND code = ?4 AND geom IS NOT NULL");
    if (!st) return -1;
    sqlite3_bind_double(st, 1, cJSON_GetArrayItem(c, 0)->valuedouble);
    sqlite3_bind_double(st, 2, cJSON_GetArrayItem(c, 1)->valuedouble);
    sqlite3_bind_text(st, 3, m->layout, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, *unit, -1, SQLITE_TRANSIENT);
    int r = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ? sqlite3_column_int(st, 0)
                                                                                         : -1;
    sqlite3_reset(st);
    return r < 0 ? -1 : r > 0;
}

/* Set snap's "place" to the admin units of the default layout that contain
 * its point (admin_locate_point).  *units gets how many levels have a unit
 * (0: the point is in no unit), or -1 when snap has no point or the
 * database no admin layout (nothing to tell: its place is left as it is).
 * Returns 0, or -1 on a database or memory error. */
static int place_locate(sqlite3 *db, cJSON *snap, int *units) {
    *units = -1;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(field_get(snap, F_LOCATION), "coordinates");
    char layout[64];
    if (cJSON_GetArraySize(c) != 2 || !store_default_layout(db, layout, sizeof layout)) return 0;
    AdminPlace found;
    int n = admin_locate_point(db, layout, cJSON_GetArrayItem(c, 0)->valuedouble,
                               cJSON_GetArrayItem(c, 1)->valuedouble, &found);
    if (n < 0) return -1;
    cJSON *place = cJSON_CreateObject();
    for (int l = 0; l < 3; l++)
        cJSON_AddItemToObject(place, place_keys[l],
                              found.code[l][0] ? cJSON_CreateString(found.code[l]) : cJSON_CreateNull());
    cJSON_AddItemToObject(place, place_keys[3], cJSON_CreateString(layout));
    *units = n;
    return set_item(snap, "place", place);
}

/* Add "in no admin unit" about snap's place to list. */
static void add_no_unit(Buf *list, const cJSON *snap) {
    const char *layout = str_or_null(cJSON_GetObjectItemCaseSensitive(snap, "place"), "layout");
    msg_list_add(list, MSG_LOCATION_IN_NO_UNIT, MSG_PARAMS(MSG_S("layout", layout ? layout : "-")));
}

/* A changed location: set the proposal's place from its new point, and flag
 * what a moderator must see: a point outside the institution's own unit
 * (in_own_unit) or in no admin unit at all.  Each flag is a message in
 * warnings and, for a school's edit, in reasons (NULL for an admin's).
 * Returns 1 flagged, 0 not, -1 on a database or memory error. */
static int check_place(sqlite3 *db, const InstMeta *meta, cJSON *proposed, Buf *reasons, Buf *warnings) {
    const char *level, *unit;
    int flagged = 0, units;
    if (in_own_unit(db, meta, field_get(proposed, F_LOCATION), &level, &unit) == 0) {
        const MsgParam *p = MSG_PARAMS(MSG_S("level", level), MSG_S("unit", unit));
        if (reasons) msg_list_add(reasons, MSG_OUTSIDE_OWN_UNIT, p);
        msg_list_add(warnings, MSG_OUTSIDE_OWN_UNIT, p);
        flagged = 1;
    }
    if (place_locate(db, proposed, &units) != 0) return -1;
    if (units == 0) {
        if (reasons) add_no_unit(reasons, proposed);
        add_no_unit(warnings, proposed);
        flagged = 1;
    }
    return flagged;
}

/* Geodesic distance in metres between two Point geometries (WGS84). */
static double move_distance_m(const cJSON *a, const cJSON *b) {
    const cJSON *ca = cJSON_GetObjectItemCaseSensitive(a, "coordinates");
    const cJSON *cb = cJSON_GetObjectItemCaseSensitive(b, "coordinates");
    if (cJSON_GetArraySize(ca) != 2 || cJSON_GetArraySize(cb) != 2) return INFINITY;
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1 / 298.257223563);
    double s12 = 0;
    geod_inverse(&g, cJSON_GetArrayItem(ca, 1)->valuedouble, cJSON_GetArrayItem(ca, 0)->valuedouble,
                 cJSON_GetArrayItem(cb, 1)->valuedouble, cJSON_GetArrayItem(cb, 0)->valuedouble, &s12, NULL, NULL);
    return s12;
}

/* Which changed fields of a school's edit wait for approval, with reasons
 * (place_flagged: check_place flagged the new location). */
static unsigned waiting_fields(const EditRules *rules, const cJSON *before, const cJSON *after, unsigned changed,
                               int place_flagged, Buf *reasons) {
    unsigned publish = fields_from_list(rules->publish_fields), wait = 0;
    if (changed & BIT(F_NAME)) {
        wait |= BIT(F_NAME);
        msg_list_add(reasons, MSG_WAIT_RENAME, NULL);
    }
    if (changed & BIT(F_LOCATION)) {
        double d = move_distance_m(field_get(before, F_LOCATION), field_get(after, F_LOCATION));
        if (place_flagged) wait |= BIT(F_LOCATION);
        if (!isfinite(d)) {
            wait |= BIT(F_LOCATION);
            msg_list_add(reasons, MSG_WAIT_FIRST_LOCATION, NULL);
        } else if (d > rules->max_move_m) {
            wait |= BIT(F_LOCATION);
            msg_list_add(reasons, MSG_WAIT_FAR_MOVE,
                         MSG_PARAMS(MSG_N("distance_m", round(d)), MSG_N("max_m", round(rules->max_move_m))));
        }
    }
    for (int f = 0; f < F_COUNT; f++)
        if ((changed & BIT(f)) && !(publish & BIT(f)) && !(wait & BIT(f))) {
            wait |= BIT(f);
            msg_list_add(reasons, MSG_WAIT_FIELD, MSG_PARAMS(MSG_S("field", field_defs[f].name)));
        }
    return wait & changed;
}

/* ------------------------------------------------------------ publishing */

static void now_iso(char out[32]) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* What a stored change (audit entry, change request) holds besides its
 * keys: both snapshots exactly, the JSON list of its fields, the time. */
typedef struct ChangeTexts {
    char *before, *after;
    Buf fields;
    char now[32];
} ChangeTexts;

/* Fill t (change_texts_free(t) is due either way); -1 when out of memory,
 * also when `after` is NULL (a failed overlay). */
static int change_texts(ChangeTexts *t, const cJSON *before, const cJSON *after, unsigned mask) {
    t->before = print_value(before);
    t->after = after ? print_value(after) : NULL;
    buf_init(&t->fields);
    fields_json(&t->fields, mask);
    now_iso(t->now);
    return t->before && t->after && !t->fields.oom ? 0 : -1;
}

static void change_texts_free(ChangeTexts *t) {
    free(t->before);
    free(t->after);
    buf_free(&t->fields);
}

static void bind_id_or_null(sqlite3_stmt *st, int i, long long id) {
    if (id > 0)
        sqlite3_bind_int64(st, i, id);
    else
        sqlite3_bind_null(st, i);
}

/* Recompute snap's place for publishing its location (place_locate), with
 * a warning when the point is in no admin unit.  0, or -1 with *e. */
static int relocate(sqlite3 *db, cJSON *snap, Buf *warnings, EditError *e) {
    int units;
    if (place_locate(db, snap, &units) != 0) return db_fail(e, db);
    if (units == 0) add_no_unit(warnings, snap);
    return 0;
}

/* Publish `after` (complete) over `before` as the next version: the row
 * (with after's place when the location is in `mask`), the audit entry, the
 * approved-edit markers of `mask`, data_version. */
static int publish(sqlite3 *db, const char *code, const cJSON *before, const cJSON *after, unsigned mask,
                   long long version_before, const EditActor *who, const char *action, long long change_id,
                   const char *comment, long long *version_after, EditError *e) {
    long long v = version_before + 1;
    ChangeTexts t;
    int rc = -1;
    if (change_texts(&t, before, after, mask) != 0) {
        oom(e);
        goto out;
    }
    /* the place goes with the location (a published move has relocated it) */
    if (snapshot_store(db, code, after, v, (mask & BIT(F_LOCATION)) != 0) != 0) {
        db_fail(e, db);
        goto out;
    }
    sqlite3_stmt *st = store_prepare_cached(
        db, "INSERT INTO audit_log(institution_code, action, account_id, actor, change_request_id, fields,"
            " version_before, version_after, before, after, comment, at)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    if (!st) {
        db_fail(e, db);
        goto out;
    }
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC);
    bind_id_or_null(st, 3, who->account_id);
    sqlite3_bind_text(st, 4, who->email ? who->email : "system", -1, SQLITE_TRANSIENT);
    bind_id_or_null(st, 5, change_id);
    sqlite3_bind_text(st, 6, t.fields.data, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, version_before);
    sqlite3_bind_int64(st, 8, v);
    sqlite3_bind_text(st, 9, t.before, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 10, t.after, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 11, comment && *comment ? comment : NULL);
    sqlite3_bind_text(st, 12, t.now, -1, SQLITE_TRANSIENT);
    if (step_done(st) != 0) {
        db_fail(e, db);
        goto out;
    }
    long long audit_id = sqlite3_last_insert_rowid(db);
    for (int f = 0; f < F_COUNT; f++) {
        if (!(mask & BIT(f))) continue;
        char *value = print_value(f == F_LOCATION ? cJSON_GetObjectItemCaseSensitive(field_get(after, f), "coordinates")
                                                  : field_get(after, f));
        st = store_prepare_cached(db, "INSERT INTO approved_edit(institution_code, field, value, audit_id)"
                                      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(institution_code, field) DO UPDATE"
                                      " SET value = excluded.value, audit_id = excluded.audit_id");
        if (!st || !value) {
            free(value);
            st ? oom(e) : db_fail(e, db);
            goto out;
        }
        sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, field_defs[f].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, value, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, audit_id);
        free(value);
        if (step_done(st) != 0) {
            db_fail(e, db);
            goto out;
        }
    }
    if (store_bump_data_version(db) != SQLITE_OK) {
        db_fail(e, db);
        goto out;
    }
    *version_after = v;
    rc = 0;
out:
    change_texts_free(&t);
    return rc;
}

/* The open change request of an institution: id, fields, after (malloc'd). */
static long long open_request(sqlite3 *db, const char *code, unsigned *mask, char **after) {
    *mask = 0;
    *after = NULL;
    sqlite3_stmt *st = store_prepare_cached(db, "SELECT id, fields, after FROM change_request"
                                                " WHERE institution_code = ?1 AND status = 'pending'"
                                                " ORDER BY id DESC LIMIT 1");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    long long id = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        *mask = fields_from_json((const char *)sqlite3_column_text(st, 1));
        *after = strdup((const char *)sqlite3_column_text(st, 2));
        if (!*after) id = -1;
    } else if (rc != SQLITE_DONE) {
        id = -1;
    }
    sqlite3_reset(st);
    return id;
}

static int begin(sqlite3 *db, EditError *e) {
    return sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : db_fail(e, db);
}

static int commit(sqlite3 *db, EditError *e) {
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) return 0;
    db_fail(e, db);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static int rollback(sqlite3 *db) {
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* Commit, then list in out what was published and what waits. */
static int commit_outcome(sqlite3 *db, unsigned published, unsigned pending, EditOutcome *out, EditError *e) {
    if (commit(db, e) != 0) return -1;
    fields_json(&out->published, published);
    fields_json(&out->pending, pending);
    msg_list_close(&out->warnings);
    return 0;
}

/* The published snapshot of `code` for an edit or a revert, in a
 * transaction: its version goes to meta and out; with if_match, a stale
 * version is a 412.  NULL after an error (404 when there is no such
 * institution). */
static cJSON *snapshot_for_write(sqlite3 *db, const char *code, const char *if_match, InstMeta *meta,
                                 EditOutcome *out, EditError *e) {
    int found;
    cJSON *snap = snapshot_read(db, code, meta, &found);
    if (!snap) {
        found ? db_fail(e, db)
              : fail(e, 404, "NotFound", MSG_INSTITUTION_NOT_FOUND, MSG_PARAMS(MSG_S("code", code)));
        return NULL;
    }
    out->version = meta->version;
    if (if_match && !edits_if_match(if_match, code, meta->version)) {
        fail(e, 412, "PreconditionFailed", MSG_STALE_VERSION, MSG_PARAMS(MSG_N("version", meta->version)));
        cJSON_Delete(snap);
        return NULL;
    }
    return snap;
}

static int can_edit(const EditActor *who, const char *code, EditError *e) {
    if (who->admin || (who->institution && !strcmp(who->institution, code))) return 0;
    return fail(e, 403, "Forbidden", MSG_EDIT_NOT_OWN, NULL);
}

/* A copy of base with the fields of `mask` taken from src. */
static cJSON *overlay(const cJSON *base, const cJSON *src, unsigned mask) {
    cJSON *out = cJSON_Duplicate(base, 1);
    for (int f = 0; out && f < F_COUNT; f++)
        if ((mask & BIT(f)) && field_copy(out, src, f) != 0) {
            cJSON_Delete(out);
            return NULL;
        }
    return out;
}

/* Supersede an open request and record a new one when `wait` is set. */
static int replace_request(sqlite3 *db, const char *code, const EditActor *who, long long open_id,
                           const cJSON *published, const cJSON *proposed, unsigned wait, const char *reasons,
                           long long version, long long *new_id, EditError *e) {
    *new_id = 0;
    if (open_id > 0) {
        sqlite3_stmt *st = store_prepare_cached(db, "UPDATE change_request SET status = 'superseded',"
                                                    " decided_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
                                                    " WHERE id = ?1");
        if (!st) return db_fail(e, db);
        sqlite3_bind_int64(st, 1, open_id);
        if (step_done(st) != 0) return db_fail(e, db);
    }
    if (!wait) return 0;
    cJSON *after = overlay(published, proposed, wait);
    ChangeTexts t;
    int rc = -1, texts = change_texts(&t, published, after, wait);
    cJSON_Delete(after);
    sqlite3_stmt *st = NULL;
    if (texts != 0) {
        oom(e);
        goto out;
    }
    st = store_prepare_cached(db, "INSERT INTO change_request(institution_code, account_id, author, status, fields,"
                                  " reasons, base_version, before, after, created_at)"
                                  " VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!st) {
        db_fail(e, db);
        goto out;
    }
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    bind_id_or_null(st, 2, who->account_id);
    sqlite3_bind_text(st, 3, who->email ? who->email : "system", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, t.fields.data, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, reasons, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, version);
    sqlite3_bind_text(st, 7, t.before, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, t.after, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 9, t.now, -1, SQLITE_TRANSIENT);
    if (step_done(st) != 0) {
        db_fail(e, db);
        goto out;
    }
    *new_id = sqlite3_last_insert_rowid(db);
    rc = 0;
out:
    change_texts_free(&t);
    return rc;
}

/* ---------------------------------------------------------------- submit */

static cJSON *parse_body(const char *text, size_t len, EditError *e) {
    if (!text || !len) {
        fail(e, 400, "InvalidParameterValue", MSG_BODY_MISSING, NULL);
        return NULL;
    }
    if (strlen(text) != len) {
        fail(e, 400, "InvalidParameterValue", MSG_BODY_NUL, NULL);
        return NULL;
    }
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(text, &end, 1);
    if (!v)
        fail(e, 400, "InvalidParameterValue", MSG_BODY_NOT_JSON,
             MSG_PARAMS(MSG_N("offset", end ? (long)(end - text) : 0L)));
    return v;
}

int edits_submit(sqlite3 *db, const EditActor *who, const EditRules *rules, const char *code, const char *if_match,
                 const char *patch_text, size_t patch_len, EditOutcome *out, EditError *e) {
    if (can_edit(who, code, e) != 0) return -1;
    cJSON *patch = parse_body(patch_text, patch_len, e);
    if (!patch) return -1;
    if (check_patch(patch, code, e) != 0) {
        cJSON_Delete(patch);
        return -1;
    }
    if (begin(db, e) != 0) {
        cJSON_Delete(patch);
        return -1;
    }
    InstMeta meta;
    cJSON *snap = snapshot_for_write(db, code, if_match, &meta, out, e), *proposed = NULL, *target = NULL;
    char *open_after = NULL;
    Buf reasons = BUF_INIT;
    int rc = -1;
    if (!snap) goto out;
    if (!if_match) {
        fail(e, 428, "PreconditionRequired", MSG_IF_MATCH_REQUIRED, NULL);
        goto out;
    }
    /* A school's pending proposal is the base its next edit builds on. */
    unsigned open_mask = 0;
    long long open_id = who->admin ? 0 : open_request(db, code, &open_mask, &open_after);
    if (open_id < 0) {
        db_fail(e, db);
        goto out;
    }
    cJSON *open_snap = open_after ? cJSON_Parse(open_after) : NULL;
    proposed = open_snap ? overlay(snap, open_snap, open_mask) : cJSON_Duplicate(snap, 1);
    cJSON_Delete(open_snap);
    proposed = proposed ? edits_merge_patch(proposed, patch) : NULL;
    if (!proposed) {
        oom(e);
        goto out;
    }
    if (normalise(proposed, snap, rules->config, e) != 0) goto out;
    unsigned changed = diff_fields(snap, proposed);
    int flagged = 0;
    if ((changed & BIT(F_LOCATION)) &&
        (flagged = check_place(db, &meta, proposed, who->admin ? NULL : &reasons, &out->warnings)) < 0) {
        db_fail(e, db);
        goto out;
    }
    unsigned wait = who->admin ? 0 : waiting_fields(rules, snap, proposed, changed, flagged, &reasons);
    unsigned now_mask = changed & ~wait;
    target = now_mask ? overlay(snap, proposed, now_mask) : cJSON_Duplicate(snap, 1);
    if (!target) {
        oom(e);
        goto out;
    }
    if (now_mask &&
        publish(db, code, snap, target, now_mask, meta.version, who, "edit", 0, NULL, &out->version, e) != 0)
        goto out;
    msg_list_close(&reasons);
    if ((wait || open_id > 0) &&
        replace_request(db, code, who, open_id, target, proposed, wait, reasons.data, out->version, &out->change_id,
                        e) != 0)
        goto out;
    if (!now_mask && (wait || open_id > 0) && store_bump_data_version(db) != SQLITE_OK) {
        db_fail(e, db);
        goto out;
    }
    rc = commit_outcome(db, now_mask, wait, out, e);
out:
    if (rc != 0) rollback(db);
    cJSON_Delete(patch);
    cJSON_Delete(snap);
    cJSON_Delete(proposed);
    cJSON_Delete(target);
    free(open_after);
    buf_free(&reasons);
    return rc;
}

/* ---------------------------------------------------------------- decide */

int edits_decide(sqlite3 *db, const EditActor *who, const EditRules *rules, long long change_id, int approve,
                 const char *comment, EditOutcome *out, EditError *e) {
    (void)rules;
    if (!who->admin) return fail(e, 403, "Forbidden", MSG_DECIDE_ADMIN_ONLY, NULL);
    if (begin(db, e) != 0) return -1;
    int rc = -1;
    char code[64] = "", status[16] = "";
    unsigned mask = 0;
    cJSON *before = NULL, *after = NULL, *snap = NULL, *target = NULL;
    sqlite3_stmt *st = store_prepare_cached(db, "SELECT institution_code, status, fields, before, after FROM"
                                                " change_request WHERE id = ?1");
    if (!st) {
        db_fail(e, db);
        goto out;
    }
    sqlite3_bind_int64(st, 1, change_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        snprintf(code, sizeof code, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(status, sizeof status, "%s", (const char *)sqlite3_column_text(st, 1));
        mask = fields_from_json((const char *)sqlite3_column_text(st, 2));
        before = cJSON_Parse((const char *)sqlite3_column_text(st, 3));
        after = cJSON_Parse((const char *)sqlite3_column_text(st, 4));
    }
    sqlite3_reset(st);
    if (step != SQLITE_ROW) {
        step == SQLITE_DONE ? fail(e, 404, "NotFound", MSG_CHANGE_NOT_FOUND, MSG_PARAMS(MSG_N("id", change_id)))
                            : db_fail(e, db);
        goto out;
    }
    out->change_id = change_id;
    if (strcmp(status, "pending")) {
        fail(e, 409, "Conflict", MSG_CHANGE_NOT_PENDING, MSG_PARAMS(MSG_N("id", change_id), MSG_S("status", status)));
        goto out;
    }
    if (!before || !after) {
        oom(e);
        goto out;
    }
    InstMeta meta;
    int found;
    snap = snapshot_read(db, code, &meta, &found);
    if (!snap) {
        found ? db_fail(e, db) : fail(e, 409, "Conflict", MSG_INSTITUTION_GONE, MSG_PARAMS(MSG_S("code", code)));
        goto out;
    }
    out->version = meta.version;
    unsigned published_now = 0;
    if (approve) {
        unsigned moved = diff_fields(snap, before) & mask;
        if (moved) {
            Buf names = BUF_INIT;
            fields_list(&names, moved);
            fail(e, 409, "Conflict", MSG_CHANGE_OUTDATED, MSG_PARAMS(MSG_S("fields", names.data)));
            buf_free(&names);
            goto out;
        }
        target = overlay(snap, after, mask);
        if (!target) {
            oom(e);
            goto out;
        }
        published_now = diff_fields(snap, target);
        /* the place of the request was found when it was made: find it again */
        if ((published_now & BIT(F_LOCATION)) && relocate(db, target, &out->warnings, e) != 0) goto out;
        if (published_now && publish(db, code, snap, target, published_now, meta.version, who, "approve", change_id,
                                     comment, &out->version, e) != 0)
            goto out;
    }
    st = store_prepare_cached(db, "UPDATE change_request SET status = ?2, decided_by = ?3, decider = ?4,"
                                  " decided_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), comment = ?5 WHERE id = ?1");
    if (!st) {
        db_fail(e, db);
        goto out;
    }
    sqlite3_bind_int64(st, 1, change_id);
    sqlite3_bind_text(st, 2, approve ? "approved" : "rejected", -1, SQLITE_STATIC);
    bind_id_or_null(st, 3, who->account_id);
    sqlite3_bind_text(st, 4, who->email ? who->email : "system", -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 5, comment && *comment ? comment : NULL);
    if (step_done(st) != 0 || (!published_now && store_bump_data_version(db) != SQLITE_OK)) {
        db_fail(e, db);
        goto out;
    }
    rc = commit_outcome(db, published_now, 0, out, e);
out:
    if (rc != 0) rollback(db);
    cJSON_Delete(before);
    cJSON_Delete(after);
    cJSON_Delete(snap);
    cJSON_Delete(target);
    return rc;
}

/* ---------------------------------------------------------------- revert */

/* The snapshot the institution had at `version`, from the audit log. */
static char *snapshot_at(sqlite3 *db, const char *code, long long version) {
    static const char *const sql[] = {
        "SELECT after FROM audit_log WHERE institution_code = ?1 AND version_after = ?2 ORDER BY id DESC LIMIT 1",
        "SELECT before FROM audit_log WHERE institution_code = ?1 AND version_before = ?2 ORDER BY id DESC LIMIT 1",
    };
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st = store_prepare_cached(db, sql[i]);
        if (!st) return NULL;
        sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, version);
        char *text = NULL;
        if (sqlite3_step(st) == SQLITE_ROW) text = strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
        if (text) return text;
    }
    return NULL;
}

int edits_revert(sqlite3 *db, const EditActor *who, const EditRules *rules, const char *code, long long version,
                 const char *if_match, const char *comment, EditOutcome *out, EditError *e) {
    (void)rules;
    if (!who->admin) return fail(e, 403, "Forbidden", MSG_REVERT_ADMIN_ONLY, NULL);
    if (begin(db, e) != 0) return -1;
    int rc = -1;
    InstMeta meta;
    cJSON *snap = snapshot_for_write(db, code, if_match, &meta, out, e), *target = NULL;
    char *text = NULL;
    if (!snap) goto out;
    text = snapshot_at(db, code, version);
    target = text ? cJSON_Parse(text) : NULL;
    if (!target) {
        fail(e, 404, "NotFound", MSG_VERSION_NOT_FOUND, MSG_PARAMS(MSG_N("version", version), MSG_S("code", code)));
        goto out;
    }
    unsigned mask = diff_fields(snap, target);
    /* The place goes with the location: restored with it (recomputed when
     * the version predates places), else kept as it is now. */
    if (!(mask & BIT(F_LOCATION))) {
        const cJSON *now = cJSON_GetObjectItemCaseSensitive(snap, "place");
        if (now && set_item(target, "place", cJSON_Duplicate(now, 1)) != 0) {
            oom(e);
            goto out;
        }
    } else if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(target, "place")) &&
               relocate(db, target, &out->warnings, e) != 0) {
        goto out;
    }
    if (mask && publish(db, code, snap, target, mask, meta.version, who, "revert", 0, comment, &out->version, e) != 0)
        goto out;
    rc = commit_outcome(db, mask, 0, out, e);
out:
    if (rc != 0) rollback(db);
    cJSON_Delete(snap);
    cJSON_Delete(target);
    free(text);
    return rc;
}

/* ---------------------------------------------------------------- listing */

#define CHANGE_COLS                                                                                  \
    "SELECT r.id, r.institution_code, i.name, r.author, r.status, r.fields, r.reasons, r.base_version," \
    " r.created_at, r.decider, r.decided_at, r.comment, r.before, r.after"                          \
    " FROM change_request r LEFT JOIN institution i ON i.code = r.institution_code "

/* ,"name":text for each of the n names, from the columns from `col` on. */
static void text_members(Buf *b, sqlite3_stmt *st, int col, const char *const *names, int n) {
    for (int i = 0; i < n; i++) {
        buf_putc(b, ',');
        json_str(b, names[i]);
        buf_putc(b, ':');
        json_str(b, (const char *)sqlite3_column_text(st, col + i));
    }
}

/* ,"before":…,"after":… from the snapshot columns col and col + 1. */
static void before_after_members(Buf *b, sqlite3_stmt *st, int col) {
    buf_puts(b, ",\"before\":");
    edits_write_snapshot(b, (const char *)sqlite3_column_text(st, col));
    buf_puts(b, ",\"after\":");
    edits_write_snapshot(b, (const char *)sqlite3_column_text(st, col + 1));
}

static void write_change(Buf *b, sqlite3_stmt *st) {
    static const char *const names[] = {"id", "institution_code", "institution_name", "author", "status"};
    buf_putc(b, '{');
    for (int i = 0; i < 5; i++) {
        if (i) buf_putc(b, ',');
        json_str(b, names[i]);
        buf_putc(b, ':');
        if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
            json_int(b, sqlite3_column_int64(st, i));
        else
            json_str(b, (const char *)sqlite3_column_text(st, i));
    }
    buf_puts(b, ",\"fields\":");
    edits_write_snapshot(b, (const char *)sqlite3_column_text(st, 5));
    buf_puts(b, ",\"reasons\":");
    edits_write_snapshot(b, (const char *)sqlite3_column_text(st, 6));
    buf_puts(b, ",\"base_version\":");
    json_int(b, sqlite3_column_int64(st, 7));
    static const char *const tail[] = {"created_at", "decider", "decided_at", "comment"};
    text_members(b, st, 8, tail, 4);
    before_after_members(b, st, 12);
    buf_putc(b, '}');
}

int edits_changes_json(sqlite3 *db, const char *status, const char *institution, int limit, Buf *out) {
    if (status && !strcmp(status, "all")) status = NULL;
    sqlite3_stmt *st = store_prepare_cached(db, CHANGE_COLS "WHERE (?1 IS NULL OR r.status = ?1)"
                                                " AND (?2 IS NULL OR r.institution_code = ?2)"
                                                " ORDER BY r.id DESC LIMIT ?3");
    if (!st) return sqlite3_errcode(db);
    bind_text_or_null(st, 1, status);
    bind_text_or_null(st, 2, institution);
    sqlite3_bind_int(st, 3, limit);
    buf_puts(out, "{\"changes\":[");
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n++) buf_putc(out, ',');
        write_change(out, st);
    }
    sqlite3_reset(st);
    buf_puts(out, "]}\n");
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int edits_change_json(sqlite3 *db, long long id, Buf *out, char *institution) {
    sqlite3_stmt *st = store_prepare_cached(db, CHANGE_COLS "WHERE r.id = ?1");
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (institution) snprintf(institution, 64, "%s", (const char *)sqlite3_column_text(st, 1));
        write_change(out, st);
        buf_putc(out, '\n');
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int edits_open_change_json(sqlite3 *db, const char *code, Buf *out) {
    sqlite3_stmt *st = store_prepare_cached(db, CHANGE_COLS "WHERE r.institution_code = ?1 AND r.status = 'pending'"
                                                " ORDER BY r.id DESC LIMIT 1");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        write_change(out, st);
    else if (rc == SQLITE_DONE)
        buf_puts(out, "null");
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int edits_history_json(sqlite3 *db, const char *code, Buf *out) {
    sqlite3_stmt *st = store_prepare_cached(db, "SELECT version FROM institution WHERE code = ?1");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    long long version = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? 0 : -1;
    buf_puts(out, "{\"code\":");
    json_str(out, code);
    buf_puts(out, ",\"version\":");
    json_int(out, version);
    buf_puts(out, ",\"entries\":[");
    st = store_prepare_cached(db, "SELECT id, action, actor, at, fields, version_before, version_after,"
                                  " change_request_id, comment, before, after FROM audit_log"
                                  " WHERE institution_code = ?1 ORDER BY id DESC");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    int n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        buf_puts(out, n++ ? ",{\"id\":" : "{\"id\":");
        json_int(out, sqlite3_column_int64(st, 0));
        static const char *const text_cols[] = {"action", "actor", "at"};
        text_members(out, st, 1, text_cols, 3);
        buf_puts(out, ",\"fields\":");
        edits_write_snapshot(out, (const char *)sqlite3_column_text(st, 4));
        buf_puts(out, ",\"version_before\":");
        json_int(out, sqlite3_column_int64(st, 5));
        buf_puts(out, ",\"version_after\":");
        json_int(out, sqlite3_column_int64(st, 6));
        buf_puts(out, ",\"change_request_id\":");
        if (sqlite3_column_type(st, 7) == SQLITE_NULL)
            buf_puts(out, "null");
        else
            json_int(out, sqlite3_column_int64(st, 7));
        buf_puts(out, ",\"comment\":");
        json_str(out, (const char *)sqlite3_column_text(st, 8));
        before_after_members(out, st, 9);
        buf_putc(out, '}');
    }
    sqlite3_reset(st);
    buf_puts(out, "]}\n");
    return rc == SQLITE_DONE ? 1 : -1;
}

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
        cJSON *after = ok && rc == 0 ? snapshot_read(db, a->code, &meta, &found) : NULL;
        cJSON *before = after ? cJSON_Parse(a->before) : NULL;
        if (after && before && meta.version != a->version) {
            ChangeTexts t;
            int texts = change_texts(&t, before, after, diff_fields(before, after));
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
                if (step_done(st) != 0) rc = -1;
            } else {
                rc = -1;
            }
            change_texts_free(&t);
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
    return step_done(st);
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
