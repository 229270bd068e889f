/* admin_locate.c — point-in-admin-unit lookup (admin_locate.h). */
#include "admin_locate.h"
#include "store.h"

#include <stdio.h>
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

int admin_locate_point(sqlite3 *db, const char *layout, double lon, double lat, AdminPlace *out) {
    memset(out, 0, sizeof *out);
    char parent[3][ADMIN_LOCATE_CODE_MAX] = {"", "", ""};
    sqlite3_stmt *st = store_prepare_cached(
        db, "SELECT CASE a.level_name WHEN 'commune' THEN 0 WHEN 'district' THEN 1 ELSE 2 END,"
            " a.code, a.parent_code FROM idx_admin_unit_geom r CROSS JOIN admin_unit a ON a.id = r.pkid"
            " WHERE r.xmin <= ?2 AND r.xmax >= ?2 AND r.ymin <= ?3 AND r.ymax >= ?3"
            " AND a.layout = ?1 AND a.level_name IN ('commune', 'district', 'province')"
            " AND ST_Intersects(a.geom, MakePoint(?2, ?3, 4326)) = 1 ORDER BY a.code");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, layout, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 2, lon);
    sqlite3_bind_double(st, 3, lat);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int l = sqlite3_column_int(st, 0);
        const char *code = (const char *)sqlite3_column_text(st, 1), *par = (const char *)sqlite3_column_text(st, 2);
        if (!code || l < 0 || l > 2 || out->code[l][0]) continue;
        snprintf(out->code[l], sizeof out->code[l], "%s", code);
        snprintf(parent[l], sizeof parent[l], "%s", par ? par : "");
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return -1;
    for (int l = 0; l < 2; l++) {
        int up;
        char grand[ADMIN_LOCATE_CODE_MAX];
        if (!out->code[l][0] || !parent[l][0]) continue;
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
