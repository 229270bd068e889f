/* ingest_locate.c — the admin units of one layout, in memory, for matching
 * the commune/district names and codes of institution rows (text_admin_key:
 * "Phường Xương Giang" finds "Xã Xương Giang") and for checking that a
 * point lies in the unit its row names (CASES C3). */
#include "store/admin_locate.h"
#include "ingest/ingest_internal.h"
#include "store/store.h"
#include "base/text.h"

#include <stdlib.h>
#include <string.h>

static char *key_of(const char *level, const char *parent, const char *name_key) {
    return parent ? ing_printf("%s\x1f%s\x1f%s", level, parent, name_key) : ing_printf("%s\x1f%s", level, name_key);
}

/* Map key -> idx, or -2 when two units share the key (ambiguous). */
static int put_unique(StrMap *m, const char *key, long idx) {
    long *old = strmap_get(m, key);
    if (old) {
        if (*old != idx) *old = -2;
        return 0;
    }
    return strmap_put(m, key, idx);
}

int admin_index_load(AdminIndex *ix, sqlite3 *db, const char *layout, char **err) {
    memset(ix, 0, sizeof *ix);
    *err = NULL;
    char def[256];
    if (!layout) layout = store_default_layout(db, def, sizeof def);
    if (!layout) return 0;
    ix->layout = strdup(layout);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT code, level_name, name, parent_code, label_lon, label_lat "
                           "FROM admin_unit WHERE layout = ?1 ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        *err = ing_printf("reading admin units: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_text(st, 1, layout, -1, SQLITE_TRANSIENT);
    size_t cap = 0;
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        if (ix->n == cap) {
            cap = cap ? cap * 2 : 256;
            AdminUnitRef *u = realloc(ix->units, cap * sizeof *u);
            if (!u) {
                rc = -1;
                break;
            }
            ix->units = u;
        }
        AdminUnitRef *u = &ix->units[ix->n];
        u->code = ing_strdup((const char *)sqlite3_column_text(st, 0));
        u->level_name = ing_strdup((const char *)sqlite3_column_text(st, 1));
        u->name = ing_strdup((const char *)sqlite3_column_text(st, 2));
        u->parent_code = ing_strdup((const char *)sqlite3_column_text(st, 3));
        u->has_label = sqlite3_column_type(st, 4) != SQLITE_NULL && sqlite3_column_type(st, 5) != SQLITE_NULL;
        u->label_lon = sqlite3_column_double(st, 4);
        u->label_lat = sqlite3_column_double(st, 5);
        long idx = (long)ix->n++;
        if (!u->code || !u->level_name || !u->name) continue;
        strmap_put(&ix->by_code, u->code, idx);
        char *nk = text_admin_key(u->name);
        if (nk && *nk) {
            char *k1 = key_of(u->level_name, NULL, nk);
            if (k1) put_unique(&ix->by_key, k1, idx);
            free(k1);
            if (u->parent_code) {
                char *k2 = key_of(u->level_name, u->parent_code, nk);
                if (k2) put_unique(&ix->by_parent_key, k2, idx);
                free(k2);
            }
        }
        free(nk);
    }
    sqlite3_finalize(st);
    if (rc != 0) {
        *err = ing_printf("out of memory reading admin units");
        return rc;
    }
    /* The layout's box, so that most points far from it (a national file
     * against one province) never reach the R*Tree (admin_in_box). */
    if (sqlite3_prepare_v2(db,
                           "SELECT min(MbrMinX(geom)), max(MbrMaxX(geom)), min(MbrMinY(geom)), max(MbrMaxY(geom)) "
                           "FROM admin_unit WHERE layout = ?1 AND geom IS NOT NULL",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, layout, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            ix->xmin = sqlite3_column_double(st, 0);
            ix->xmax = sqlite3_column_double(st, 1);
            ix->ymin = sqlite3_column_double(st, 2);
            ix->ymax = sqlite3_column_double(st, 3);
            ix->has_box = 1;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

int admin_in_box(const AdminIndex *ix, double lon, double lat) {
    return ix->has_box && lon >= ix->xmin && lon <= ix->xmax && lat >= ix->ymin && lat <= ix->ymax;
}

int admin_index_locate(AdminIndex *ix, sqlite3 *db, double lon, double lat, AdminPlace *out) {
    if (!ix->locator && !ix->locator_failed && !(ix->locator = admin_locator_new(db, ix->layout)))
        ix->locator_failed = 1;
    return ix->locator ? admin_locator_find(ix->locator, lon, lat, out)
                       : admin_locate_point(db, ix->layout, lon, lat, out);
}

void admin_index_free(AdminIndex *ix) {
    admin_locator_free(ix->locator);
    for (size_t i = 0; i < ix->n; i++) {
        free(ix->units[i].code);
        free(ix->units[i].level_name);
        free(ix->units[i].name);
        free(ix->units[i].parent_code);
    }
    free(ix->units);
    free(ix->layout);
    strmap_free(&ix->by_code);
    strmap_free(&ix->by_key);
    strmap_free(&ix->by_parent_key);
    sqlite3_finalize(ix->contains);
    memset(ix, 0, sizeof *ix);
}

long admin_find_code(const AdminIndex *ix, const char *code) {
    long *v = strmap_get(&ix->by_code, code);
    return v ? *v : -1;
}

long admin_find_name(const AdminIndex *ix, const char *level_name, const char *name, const char *parent_code) {
    if (!ix->n || !name) return -1;
    char *nk = text_admin_key(name);
    if (!nk || !*nk) {
        free(nk);
        return -1;
    }
    long found = -1;
    if (parent_code) {
        char *k = key_of(level_name, parent_code, nk);
        long *v = k ? strmap_get(&ix->by_parent_key, k) : NULL;
        if (v) found = *v;
        free(k);
    }
    if (found == -1) {
        char *k = key_of(level_name, NULL, nk);
        long *v = k ? strmap_get(&ix->by_key, k) : NULL;
        /* With a stated parent, a unit of that name elsewhere is a mismatch;
         * accept it only when the layout does not record its parent. */
        if (v && !parent_code) found = *v;
        else if (v && *v >= 0 && !ix->units[*v].parent_code) found = *v;
        free(k);
    }
    free(nk);
    return found;
}

int admin_contains(AdminIndex *ix, sqlite3 *db, const char *code, double lon, double lat) {
    if (!ix->layout || !code) return -1;
    if (!ix->contains &&
        sqlite3_prepare_v2(db,
                           "SELECT ST_Intersects(geom, MakePoint(?1, ?2, 4326)) FROM admin_unit "
                           "WHERE layout = ?3 AND code = ?4 AND geom IS NOT NULL",
                           -1, &ix->contains, NULL) != SQLITE_OK)
        return -1;
    sqlite3_stmt *st = ix->contains;
    sqlite3_reset(st);
    sqlite3_bind_double(st, 1, lon);
    sqlite3_bind_double(st, 2, lat);
    sqlite3_bind_text(st, 3, ix->layout, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, code, -1, SQLITE_STATIC);
    int res = -1;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        res = sqlite3_column_int(st, 0) > 0;
    sqlite3_reset(st);
    return res;
}
