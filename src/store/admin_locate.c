/* admin_locate.c — point-in-admin-unit lookup (admin_locate.h). */
#include "store/admin_locate.h"
#include "store/store.h"

#include <geos_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Level (0 commune, 1 district, 2 province) and parent of unit `code` of
 * `layout` into *level and parent (size ADMIN_LOCATE_CODE_MAX); 1 found,
 * 0 not, -1 error. */
static int unit_level(sqlite3 *db, const char *layout, const char *code, int *level, char *parent) {
    sqlite3_stmt *st = store_prepare_cached(
        db, "SELECT CASE level_name WHEN 'commune' THEN 0 WHEN 'district' THEN 1 WHEN 'province' THEN 2 END,"
            " coalesce(parent_code, '') FROM admin_unit WHERE layout = ?1 AND code = ?2");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, layout, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, code, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), found = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (found) {
        *level = sqlite3_column_int(st, 0);
        snprintf(parent, ADMIN_LOCATE_CODE_MAX, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : -1;
}

/* The first unit (lowest code) of one level of `layout` whose polygon holds
 * the point, into code and parent; 1 found, 0 none, -1 error. */
static int unit_at(sqlite3 *db, const char *layout, const char *level_name, double lon, double lat, char *code,
                   char *parent) {
    sqlite3_stmt *st = store_prepare_cached(
        db, "SELECT a.code, a.parent_code FROM idx_admin_unit_geom r CROSS JOIN admin_unit a ON a.id = r.pkid"
            " WHERE r.xmin <= ?2 AND r.xmax >= ?2 AND r.ymin <= ?3 AND r.ymax >= ?3"
            " AND a.layout = ?1 AND a.level_name = ?4"
            " AND ST_Intersects(a.geom, MakePoint(?2, ?3, 4326)) = 1 ORDER BY a.code LIMIT 1");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, layout, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 2, lon);
    sqlite3_bind_double(st, 3, lat);
    sqlite3_bind_text(st, 4, level_name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        const char *par = (const char *)sqlite3_column_text(st, 1);
        snprintf(code, ADMIN_LOCATE_CODE_MAX, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(parent, ADMIN_LOCATE_CODE_MAX, "%s", par ? par : "");
        found = 1;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : -1;
}

/* Level by level from the commune up, each level's polygons searched only
 * when the parents of the unit found below have not already named its unit
 * (they would replace the polygons' answer anyway): every ST_Intersects
 * parses the whole polygon, and testing the province's and the districts'
 * large ones for each point was most of an ingest's placing time. */
int admin_locate_point(sqlite3 *db, const char *layout, double lon, double lat, AdminPlace *out) {
    static const char *const level_names[3] = {"commune", "district", "province"};
    memset(out, 0, sizeof *out);
    char parent[3][ADMIN_LOCATE_CODE_MAX] = {"", "", ""};
    for (int l = 0; l < 3; l++) {
        if (!out->code[l][0] && unit_at(db, layout, level_names[l], lon, lat, out->code[l], parent[l]) < 0)
            return -1;
        int up;
        char grand[ADMIN_LOCATE_CODE_MAX];
        if (l == 2 || !out->code[l][0] || !parent[l][0]) continue;
        int r = unit_level(db, layout, parent[l], &up, grand);
        if (r < 0) return -1;
        if (r == 1 && up > l) {
            memcpy(out->code[up], parent[l], ADMIN_LOCATE_CODE_MAX); /* same-size, NUL-terminated */
            memcpy(parent[up], grand, ADMIN_LOCATE_CODE_MAX);
        }
    }
    int units = 0;
    for (int l = 0; l < 3; l++) units += out->code[l][0] != 0;
    return units;
}

/* ---------------------------------------------------------------- locator */

typedef struct LocUnit {
    char code[ADMIN_LOCATE_CODE_MAX], parent[ADMIN_LOCATE_CODE_MAX];
    int level;                          /* 0 commune, 1 district, 2 province */
    int has_geom;
    double xmin, xmax, ymin, ymax;      /* exact bounds of the polygon */
    unsigned char *wkb;                 /* until prepared */
    size_t wkb_len;
    GEOSGeometry *geom;
    const GEOSPreparedGeometry *prep;
    int unusable;                       /* GEOS could not read or prepare it: never holds a point */
} LocUnit;

struct AdminLocator {
    GEOSContextHandle_t geos;
    GEOSWKBReader *reader;
    LocUnit *units;                     /* by level, then code (admin_locate_point's order) */
    size_t n;
};

void admin_locator_free(AdminLocator *loc) {
    if (!loc) return;
    for (size_t i = 0; i < loc->n; i++) {
        LocUnit *u = &loc->units[i];
        if (u->prep) GEOSPreparedGeom_destroy_r(loc->geos, u->prep);
        if (u->geom) GEOSGeom_destroy_r(loc->geos, u->geom);
        free(u->wkb);
    }
    free(loc->units);
    if (loc->reader) GEOSWKBReader_destroy_r(loc->geos, loc->reader);
    if (loc->geos) GEOS_finish_r(loc->geos);
    free(loc);
}

AdminLocator *admin_locator_new(sqlite3 *db, const char *layout) {
    AdminLocator *loc = calloc(1, sizeof *loc);
    if (!loc || !(loc->geos = GEOS_init_r()) || !(loc->reader = GEOSWKBReader_create_r(loc->geos))) {
        admin_locator_free(loc);
        return NULL;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        db, "SELECT CASE level_name WHEN 'commune' THEN 0 WHEN 'district' THEN 1 WHEN 'province' THEN 2 END,"
            " code, coalesce(parent_code, ''), geom IS NOT NULL, MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom),"
            " MbrMaxY(geom), AsBinary(geom) FROM admin_unit WHERE layout = ?1 ORDER BY 1, code",
        -1, &st, NULL);
    if (rc == SQLITE_OK) sqlite3_bind_text(st, 1, layout, -1, SQLITE_TRANSIENT);
    size_t cap = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if (sqlite3_column_type(st, 0) == SQLITE_NULL || !sqlite3_column_text(st, 1)) continue;
        if (loc->n == cap) {
            LocUnit *v = realloc(loc->units, (cap = cap ? 2 * cap : 256) * sizeof *v);
            if (!v) {
                rc = SQLITE_NOMEM;
                break;
            }
            loc->units = v;
        }
        LocUnit *u = &loc->units[loc->n++];
        memset(u, 0, sizeof *u);
        u->level = sqlite3_column_int(st, 0);
        snprintf(u->code, sizeof u->code, "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(u->parent, sizeof u->parent, "%s", (const char *)sqlite3_column_text(st, 2));
        int n = sqlite3_column_bytes(st, 8);
        u->has_geom = sqlite3_column_int(st, 3) && n > 0 && sqlite3_column_type(st, 4) != SQLITE_NULL;
        if (!u->has_geom) continue;
        u->xmin = sqlite3_column_double(st, 4);
        u->xmax = sqlite3_column_double(st, 5);
        u->ymin = sqlite3_column_double(st, 6);
        u->ymax = sqlite3_column_double(st, 7);
        if (!(u->wkb = malloc((size_t)n))) {
            rc = SQLITE_NOMEM;
            break;
        }
        memcpy(u->wkb, sqlite3_column_blob(st, 8), (size_t)n);
        u->wkb_len = (size_t)n;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        admin_locator_free(loc);
        return NULL;
    }
    return loc;
}

/* 1 when unit u's polygon holds pt (ST_Intersects), preparing it first. */
static int unit_holds(AdminLocator *loc, LocUnit *u, const GEOSGeometry *pt) {
    if (!u->prep && !u->unusable) {
        u->geom = GEOSWKBReader_read_r(loc->geos, loc->reader, u->wkb, u->wkb_len);
        u->prep = u->geom ? GEOSPrepare_r(loc->geos, u->geom) : NULL;
        u->unusable = !u->prep;
        free(u->wkb);
        u->wkb = NULL;
    }
    return u->prep && GEOSPreparedIntersects_r(loc->geos, u->prep, pt) == 1;
}

static const LocUnit *unit_by_code(const AdminLocator *loc, const char *code) {
    for (size_t i = 0; i < loc->n; i++)
        if (!strcmp(loc->units[i].code, code)) return &loc->units[i];
    return NULL;
}

int admin_locator_find(AdminLocator *loc, double lon, double lat, AdminPlace *out) {
    memset(out, 0, sizeof *out);
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(loc->geos, lon, lat);
    if (!pt) return -1;
    char parent[3][ADMIN_LOCATE_CODE_MAX] = {"", "", ""};
    size_t i = 0;
    for (int l = 0; l < 3; l++) {
        /* the first unit of the level (in code order) whose polygon holds
         * the point, unless the parents found below named it already */
        for (; i < loc->n && loc->units[i].level == l; i++) {
            LocUnit *u = &loc->units[i];
            if (out->code[l][0] || !u->has_geom || lon < u->xmin || lon > u->xmax || lat < u->ymin ||
                lat > u->ymax || !unit_holds(loc, u, pt))
                continue;
            memcpy(out->code[l], u->code, ADMIN_LOCATE_CODE_MAX);
            memcpy(parent[l], u->parent, ADMIN_LOCATE_CODE_MAX);
        }
        if (l == 2 || !out->code[l][0] || !parent[l][0]) continue;
        const LocUnit *p = unit_by_code(loc, parent[l]);
        if (p && p->level > l) {
            memcpy(out->code[p->level], p->code, ADMIN_LOCATE_CODE_MAX);
            memcpy(parent[p->level], p->parent, ADMIN_LOCATE_CODE_MAX);
        }
    }
    GEOSGeom_destroy_r(loc->geos, pt);
    int units = 0;
    for (int l = 0; l < 3; l++) units += out->code[l][0] != 0;
    return units;
}
