/* edits_validate.c — values of a patch checked and normalised as the ingest does; place and move checks (edits.h, edits_internal.h). */
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

/* -------------------------------------------------------------- validation */

/* Normalise one text value in place: valid UTF-8, NFC, trimmed, no control
 * characters (line breaks only where allowed), "" -> null, length capped.
 * `where` names it in errors. */
static int norm_text_item(cJSON *parent, const char *key, const char *where, size_t max, int multiline,
                          int required, EditError *e) {
    cJSON *v = cJSON_GetObjectItemCaseSensitive(parent, key);
    const MsgParam *field = MSG_PARAMS(MSG_S("field", where));
    if (!v || cJSON_IsNull(v)) {
        if (required) return edit_fail(e, 422, "InvalidValue", MSG_FIELD_REQUIRED, field);
        return edit_set_item(parent, key, cJSON_CreateNull()) == 0 ? 0 : edit_oom(e);
    }
    if (!cJSON_IsString(v)) return edit_fail(e, 400, "InvalidParameterValue", MSG_FIELD_NOT_STRING, field);
    const char *s = v->valuestring;
    if (!text_utf8_valid(s, strlen(s))) return edit_fail(e, 400, "InvalidParameterValue", MSG_FIELD_NOT_UTF8, field);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && !(multiline && (*p == '\n' || *p == '\t' || *p == '\r'))) || *p == 0x7f)
            return edit_fail(e, 422, "InvalidValue", MSG_FIELD_CONTROL_CHAR, field);
    char *nfc = text_nfc(s);
    if (!nfc) return edit_oom(e);
    text_trim(nfc);
    if (strlen(nfc) > max) {
        free(nfc);
        return edit_fail(e, 422, "InvalidValue", MSG_FIELD_TOO_LONG,
                    MSG_PARAMS(MSG_S("field", where), MSG_N("max_bytes", max)));
    }
    if (!*nfc && required) {
        free(nfc);
        return edit_fail(e, 422, "InvalidValue", MSG_FIELD_REQUIRED, field);
    }
    int rc = edit_set_item(parent, key, *nfc ? cJSON_CreateString(nfc) : cJSON_CreateNull());
    free(nfc);
    return rc == 0 ? 0 : edit_oom(e);
}

static int check_phone(const char *s, EditError *e) {
    int digits = 0;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (!strchr(" +-().,;/", *p))
            return edit_fail(e, 422, "InvalidValue", MSG_PHONE_CHARS, NULL);
    }
    return digits >= 3 ? 0 : edit_fail(e, 422, "InvalidValue", MSG_PHONE_TOO_FEW_DIGITS, NULL);
}

static int check_website(const char *s, EditError *e) {
    if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
        return edit_fail(e, 422, "InvalidValue", MSG_WEBSITE_SCHEME, NULL);
    if (strpbrk(s, " \t\"<>\\"))
        return edit_fail(e, 422, "InvalidValue", MSG_WEBSITE_NOT_ONE_URL, NULL);
    return 0;
}

static int norm_programs(cJSON *props, EditError *e) {
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(props, "programs");
    if (!arr || cJSON_IsNull(arr)) return edit_set_item(props, "programs", cJSON_CreateArray()) == 0 ? 0 : edit_oom(e);
    if (!cJSON_IsArray(arr)) return edit_fail(e, 400, "InvalidParameterValue", MSG_PROGRAMS_NOT_ARRAY, NULL);
    if (cJSON_GetArraySize(arr) > MAX_PROGRAMS)
        return edit_fail(e, 422, "InvalidValue", MSG_PROGRAMS_TOO_MANY, MSG_PARAMS(MSG_N("max", MAX_PROGRAMS)));
    int i = 0;
    for (cJSON *p = arr->child; p; p = p->next, i++) {
        char where[64];
        const MsgParam *index = MSG_PARAMS(MSG_N("index", i));
        if (!cJSON_IsObject(p)) return edit_fail(e, 400, "InvalidParameterValue", MSG_PROGRAM_NOT_OBJECT, index);
        for (const cJSON *k = p->child; k; k = k->next)
            if (strcmp(k->string, "occupation_code") && strcmp(k->string, "occupation_name") &&
                strcmp(k->string, "level") && strcmp(k->string, "annual_quota"))
                return edit_fail(e, 400, "InvalidParameterValue", MSG_PROGRAM_UNKNOWN_MEMBER,
                            MSG_PARAMS(MSG_N("index", i), MSG_S("member", k->string)));
        static const struct { const char *key; size_t max; int required; } tk[] = {
            {"occupation_code", 32, 0}, {"occupation_name", 300, 1}, {"level", 64, 0}};
        for (int t = 0; t < 3; t++) {
            snprintf(where, sizeof where, "programs[%d].%s", i, tk[t].key);
            if (norm_text_item(p, tk[t].key, where, tk[t].max, 0, tk[t].required, e) != 0) return -1;
        }
        cJSON *q = cJSON_GetObjectItemCaseSensitive(p, "annual_quota");
        if (!q) {
            if (!cJSON_AddNullToObject(p, "annual_quota")) return edit_oom(e);
        } else if (!cJSON_IsNull(q)) {
            double d = q->valuedouble;
            if (!cJSON_IsNumber(q) || !isfinite(d) || d != floor(d) || d < 0 || d > 1e6)
                return edit_fail(e, 422, "InvalidValue", MSG_PROGRAM_QUOTA_INVALID, index);
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
        return edit_fail(e, 400, "InvalidParameterValue", MSG_GEOMETRY_NOT_POINT, NULL);
    for (const cJSON *k = g->child; k; k = k->next)
        if (strcmp(k->string, "type") && strcmp(k->string, "coordinates"))
            return edit_fail(e, 400, "InvalidParameterValue", MSG_GEOMETRY_UNKNOWN_MEMBER,
                        MSG_PARAMS(MSG_S("member", k->string)));
    if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != 2 || !cJSON_IsNumber(cJSON_GetArrayItem(c, 0)) ||
        !cJSON_IsNumber(cJSON_GetArrayItem(c, 1)))
        return edit_fail(e, 400, "InvalidParameterValue", MSG_COORDINATES_SHAPE, NULL);
    double lon = cJSON_GetArrayItem(c, 0)->valuedouble, lat = cJSON_GetArrayItem(c, 1)->valuedouble;
    if (!isfinite(lon) || !isfinite(lat) || fabs(lon) > 180 || fabs(lat) > 90)
        return edit_fail(e, 422, "InvalidValue", MSG_COORDINATES_NOT_FINITE, NULL);
    if (cfg && !config_in_region(cfg, lon, lat))
        return edit_fail(e, 422, "InvalidValue", MSG_LOCATION_OUTSIDE_REGION,
                    MSG_PARAMS(MSG_F("lon", lon, 6), MSG_F("lat", lat, 6)));
    return 0;
}

/* Normalise and validate a whole proposed snapshot; `before` is the
 * published one (a changed geometry becomes "surveyed"). */
int edit_normalise(cJSON *snap, const cJSON *before, const Config *cfg, EditError *e) {
    cJSON *props = cJSON_GetObjectItemCaseSensitive(snap, "properties");
    if (!cJSON_IsObject(props)) return edit_fail(e, 400, "InvalidParameterValue", MSG_PROPERTIES_NOT_OBJECT, NULL);
    for (int f = F_NAME; f <= F_DESCRIPTION; f++) {
        const FieldDef *d = &edit_field_defs[f];
        if (norm_text_item(props, d->name, d->name, d->max_bytes, d->multiline, f == F_NAME, e) != 0) return -1;
    }
    const char *phone = edit_str_or_null(props, "phone"), *web = edit_str_or_null(props, "website");
    const char *mail = edit_str_or_null(props, "email");
    if (phone && check_phone(phone, e) != 0) return -1;
    if (web && check_website(web, e) != 0) return -1;
    if (mail) {
        char norm[AUTH_EMAIL_MAX + 1];
        if (auth_email_normalise(mail, norm, sizeof norm) != 0)
            return edit_fail(e, 422, "InvalidValue", MSG_EMAIL_INVALID, NULL);
        if (edit_set_item(props, "email", cJSON_CreateString(norm)) != 0) return edit_oom(e);
    }
    if (norm_programs(props, e) != 0) return -1;
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(snap, "geometry");
    if (check_geometry(g, cfg, e) != 0) return -1;
    if (!g && edit_set_item(snap, "geometry", cJSON_CreateNull()) != 0) return edit_oom(e);
    if (!edit_field_equal(snap, before, F_LOCATION) &&
        edit_set_item(props, "location_precision", cJSON_CreateString("surveyed")) != 0)
        return edit_oom(e);
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
int edit_place_locate(sqlite3 *db, cJSON *snap, int *units) {
    *units = -1;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(edit_field_get(snap, F_LOCATION), "coordinates");
    char layout[64];
    if (cJSON_GetArraySize(c) != 2 || !store_default_layout(db, layout, sizeof layout)) return 0;
    AdminPlace found;
    int n = admin_locate_point(db, layout, cJSON_GetArrayItem(c, 0)->valuedouble,
                               cJSON_GetArrayItem(c, 1)->valuedouble, &found);
    if (n < 0) return -1;
    cJSON *place = cJSON_CreateObject();
    for (int l = 0; l < 3; l++)
        cJSON_AddItemToObject(place, edit_place_keys[l],
                              found.code[l][0] ? cJSON_CreateString(found.code[l]) : cJSON_CreateNull());
    cJSON_AddItemToObject(place, edit_place_keys[3], cJSON_CreateString(layout));
    *units = n;
    return edit_set_item(snap, "place", place);
}

/* Add "in no admin unit" about snap's place to list. */
void edit_add_no_unit(Buf *list, const cJSON *snap) {
    const char *layout = edit_str_or_null(cJSON_GetObjectItemCaseSensitive(snap, "place"), "layout");
    msg_list_add(list, MSG_LOCATION_IN_NO_UNIT, MSG_PARAMS(MSG_S("layout", layout ? layout : "-")));
}

/* A changed location: set the proposal's place from its new point, and flag
 * what a moderator must see: a point outside the institution's own unit
 * (in_own_unit) or in no admin unit at all.  Each flag is a message in
 * warnings and, for a school's edit, in reasons (NULL for an admin's).
 * Returns 1 flagged, 0 not, -1 on a database or memory error. */
int edit_check_place(sqlite3 *db, const InstMeta *meta, cJSON *proposed, Buf *reasons, Buf *warnings) {
    const char *level, *unit;
    int flagged = 0, units;
    if (in_own_unit(db, meta, edit_field_get(proposed, F_LOCATION), &level, &unit) == 0) {
        const MsgParam *p = MSG_PARAMS(MSG_S("level", level), MSG_S("unit", unit));
        if (reasons) msg_list_add(reasons, MSG_OUTSIDE_OWN_UNIT, p);
        msg_list_add(warnings, MSG_OUTSIDE_OWN_UNIT, p);
        flagged = 1;
    }
    if (edit_place_locate(db, proposed, &units) != 0) return -1;
    if (units == 0) {
        if (reasons) edit_add_no_unit(reasons, proposed);
        edit_add_no_unit(warnings, proposed);
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
unsigned edit_waiting_fields(const EditRules *rules, const cJSON *before, const cJSON *after, unsigned changed,
                             int place_flagged, Buf *reasons) {
    unsigned publish = edit_fields_from_list(rules->publish_fields), wait = 0;
    if (changed & BIT(F_NAME)) {
        wait |= BIT(F_NAME);
        msg_list_add(reasons, MSG_WAIT_RENAME, NULL);
    }
    if (changed & BIT(F_LOCATION)) {
        double d = move_distance_m(edit_field_get(before, F_LOCATION), edit_field_get(after, F_LOCATION));
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
            msg_list_add(reasons, MSG_WAIT_FIELD, MSG_PARAMS(MSG_S("field", edit_field_defs[f].name)));
        }
    return wait & changed;
}
