/* edits_fields.c — the editable fields, errors, outcomes, rules and ETags (edits.h, edits_internal.h). */
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

/* --------------------------------------------------------------- the fields */

const FieldDef edit_field_defs[F_COUNT] = {
    [F_NAME] = {"name", 300, 0},
    [F_ADDRESS] = {"address", 500, 0},
    [F_PHONE] = {"phone", 64, 0},
    [F_EMAIL] = {"email", AUTH_EMAIL_MAX, 0},
    [F_WEBSITE] = {"website", 500, 0},
    [F_DESCRIPTION] = {"description", 4000, 1},
    [F_PROGRAMS] = {"programs", 0, 0},
    [F_LOCATION] = {"location", 0, 0},
};

int edit_field_by_name(const char *name, size_t n) {
    for (int f = 0; f < F_COUNT; f++)
        if (strlen(edit_field_defs[f].name) == n && !strncmp(edit_field_defs[f].name, name, n)) return f;
    return -1;
}

/* The item of a snapshot that holds field f (NULL when absent). */
cJSON *edit_field_get(const cJSON *snap, int f) {
    if (f == F_LOCATION) return cJSON_GetObjectItemCaseSensitive(snap, "geometry");
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(snap, "properties"),
                                            edit_field_defs[f].name);
}

int edit_set_item(cJSON *obj, const char *key, cJSON *value) {
    if (!value) return -1;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    cJSON_AddItemToObject(obj, key, value);
    return 0;
}

/* Copy field f (and, with the location, its precision and place) from src
 * into dst. */
int edit_field_copy(cJSON *dst, const cJSON *src, int f) {
    const cJSON *v = edit_field_get(src, f);
    cJSON *dprops = cJSON_GetObjectItemCaseSensitive(dst, "properties");
    if (f == F_LOCATION) {
        const cJSON *prec =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(src, "properties"), "location_precision");
        const cJSON *place = cJSON_GetObjectItemCaseSensitive(src, "place");
        if (edit_set_item(dst, "geometry", v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull()) != 0) return -1;
        if (place && edit_set_item(dst, "place", cJSON_Duplicate(place, 1)) != 0) return -1;
        return edit_set_item(dprops, "location_precision", prec ? cJSON_Duplicate(prec, 1) : cJSON_CreateNull());
    }
    return edit_set_item(dprops, edit_field_defs[f].name, v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
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

int edit_field_equal(const cJSON *a, const cJSON *b, int f) {
    const cJSON *x = edit_field_get(a, f), *y = edit_field_get(b, f);
    int xnull = !x || cJSON_IsNull(x), ynull = !y || cJSON_IsNull(y);
    if (xnull || ynull) return xnull == ynull;
    return f == F_LOCATION ? same_point(x, y) : cJSON_Compare(x, y, 1);
}

/* Bit mask of the fields that differ between two snapshots. */
unsigned edit_diff_fields(const cJSON *a, const cJSON *b) {
    unsigned m = 0;
    for (int f = 0; f < F_COUNT; f++)
        if (!edit_field_equal(a, b, f)) m |= BIT(f);
    return m;
}

void edit_fields_json(Buf *b, unsigned mask) {
    buf_putc(b, '[');
    int n = 0;
    for (int f = 0; f < F_COUNT; f++)
        if (mask & BIT(f)) {
            if (n++) buf_putc(b, ',');
            json_str(b, edit_field_defs[f].name);
        }
    buf_putc(b, ']');
}

/* "name, location": the fields of mask as words, for messages. */
void edit_fields_list(Buf *b, unsigned mask) {
    int n = 0;
    for (int f = 0; f < F_COUNT; f++)
        if (mask & BIT(f)) {
            if (n++) buf_puts(b, ", ");
            buf_puts(b, edit_field_defs[f].name);
        }
}

unsigned edit_fields_from_json(const char *text) {
    unsigned m = 0;
    cJSON *arr = cJSON_Parse(text ? text : "");
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        int f = cJSON_IsString(it) ? edit_field_by_name(it->valuestring, strlen(it->valuestring)) : -1;
        if (f >= 0) m |= BIT(f);
    }
    cJSON_Delete(arr);
    return m;
}

/* Fields named in a comma list ("phone, email"). */
unsigned edit_fields_from_list(const char *list) {
    unsigned m = 0;
    for (const char *p = list ? list : ""; *p;) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, " ,");
        int f = n ? edit_field_by_name(p, n) : -1;
        if (f >= 0) m |= BIT(f);
        p += n;
    }
    return m;
}

/* ------------------------------------------------------------------ errors */

/* Fill e with an HTTP status, a JSON error code and message `id` (p: its
 * parameters, NULL for none); returns -1. */
int edit_fail(EditError *e, int status, const char *code, MsgId id, const MsgParam *p) {
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

int edit_db_fail(EditError *e, sqlite3 *db) {
    int rc = sqlite3_extended_errcode(db);
    int busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
    edit_fail(e, busy ? 503 : 500, busy ? "ServiceUnavailable" : "ServerError",
         busy ? MSG_DATABASE_BUSY : MSG_DATABASE_ERROR, NULL);
    e->sqlite_rc = rc ? rc : SQLITE_ERROR;
    return -1;
}

int edit_oom(EditError *e) { return edit_fail(e, 500, "ServerError", MSG_OUT_OF_MEMORY, NULL); }

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
