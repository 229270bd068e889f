/* test_admin_locate.c — admin_locate.h: the GEOS-prepared locator gives the
 * answers of admin_locate_point (SQL ST_Intersects) for points inside,
 * outside and exactly on the borders of overlapping, concave and holed
 * units, units without geometry, and parent chains that skip a level. */
#include "store/admin_locate.h"
#include "store/store.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long long rng_state = 5;
static double rnd(double lo, double hi) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (double)(rng_state >> 11) / 9007199254740992.0;
}

/* Layout L: province P (with a hole) = districts D1 + D2; communes C1 (in
 * D1), C2 (in D2, overlapping D1 near the border), C3 (concave, parent D2),
 * C4 (parent P directly: no district level), C5 (no geometry); a second
 * province Q far away, and a district D3 with no parent. */
static const char *const setup_sql =
    "INSERT INTO layout(name, is_default, description) VALUES ('L', 1, 'test');"
    "INSERT INTO admin_unit(layout, code, level, level_name, name, parent_code, geom) VALUES"
    " ('L', 'P', 1, 'province', 'P', NULL, GeomFromText('MULTIPOLYGON(((106 21, 106.4 21, 106.4 21.4, 106 21.4,"
    "  106 21), (106.3 21.3, 106.35 21.3, 106.35 21.35, 106.3 21.35, 106.3 21.3)))', 4326)),"
    " ('L', 'Q', 1, 'province', 'Q', NULL, GeomFromText('MULTIPOLYGON(((107 22, 107.1 22, 107 22.1, 107 22)))', 4326)),"
    " ('L', 'D1', 2, 'district', 'D1', 'P', GeomFromText('MULTIPOLYGON(((106 21, 106.2 21, 106.2 21.4, 106 21.4,"
    "  106 21)))', 4326)),"
    " ('L', 'D2', 2, 'district', 'D2', 'P', GeomFromText('MULTIPOLYGON(((106.2 21, 106.4 21, 106.4 21.4,"
    "  106.2 21.4, 106.2 21)))', 4326)),"
    " ('L', 'D3', 2, 'district', 'D3', NULL, GeomFromText('MULTIPOLYGON(((106.05 21.3, 106.15 21.3,"
    "  106.15 21.45, 106.05 21.45, 106.05 21.3)))', 4326)),"
    " ('L', 'C1', 3, 'commune', 'C1', 'D1', GeomFromText('MULTIPOLYGON(((106 21, 106.19 21, 106.19 21.2,"
    "  106 21.2, 106 21)))', 4326)),"
    " ('L', 'C2', 3, 'commune', 'C2', 'D2', GeomFromText('MULTIPOLYGON(((106.18 21, 106.4 21, 106.4 21.2,"
    "  106.18 21.2, 106.18 21)))', 4326)),"
    " ('L', 'C3', 3, 'commune', 'C3', 'D2', GeomFromText('MULTIPOLYGON(((106.2 21.2, 106.4 21.2, 106.4 21.4,"
    "  106.3 21.25, 106.2 21.4, 106.2 21.2)))', 4326)),"
    " ('L', 'C4', 3, 'commune', 'C4', 'P', GeomFromText('MULTIPOLYGON(((106 21.2, 106.1 21.2, 106.1 21.3,"
    "  106 21.3, 106 21.2)))', 4326)),"
    " ('L', 'C5', 3, 'commune', 'C5', 'D1', NULL);";

static void place_str(const AdminPlace *p, int n, char *out, size_t size) {
    snprintf(out, size, "%d:%s|%s|%s", n, p->code[0], p->code[1], p->code[2]);
}

static void test_same_answers(void) {
    char path[] = "/tmp/vetmap-test-admin-locate-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    char *err = NULL;
    unlink(path);
    sqlite3 *db = store_open(path, STORE_CREATE, &err);
    CHECK(db != NULL);
    if (!db) {
        free(err);
        return;
    }
    CHECK_INT(sqlite3_exec(db, setup_sql, NULL, NULL, NULL), SQLITE_OK);
    AdminLocator *loc = admin_locator_new(db, "L");
    CHECK(loc != NULL);
    /* random points around the layout, then every vertex and edge midpoint
     * of the grid the polygons are drawn on (points on borders) */
    int differ = 0, placed = 0;
    for (int k = 0; loc && k < 3000; k++) {
        double lon, lat;
        if (k < 2000) {
            lon = rnd(105.95, 107.15);
            lat = rnd(20.95, 22.15);
            if (k < 1500) lon = rnd(105.95, 106.45), lat = rnd(20.95, 21.5);
        } else {
            int i = (k - 2000) % 33, j = (k - 2000) / 33;
            lon = 106 + 0.0125 * i;
            lat = 21 + 0.0125 * j;
        }
        AdminPlace a, b;
        int na = admin_locate_point(db, "L", lon, lat, &a), nb = admin_locator_find(loc, lon, lat, &b);
        char sa[256], sb[256];
        place_str(&a, na, sa, sizeof sa);
        place_str(&b, nb, sb, sizeof sb);
        if (strcmp(sa, sb)) {
            if (differ++ < 5) fprintf(stderr, "     (%.6f, %.6f): SQL %s, locator %s\n", lon, lat, sa, sb);
        }
        placed += na > 0;
    }
    CHECK_INT(differ, 0);
    CHECK(placed > 1000);
    /* the chain replaces the polygons: C2's strip inside D1 answers D2 */
    AdminPlace p;
    CHECK_INT(admin_locator_find(loc, 106.185, 21.1, &p), 3);
    CHECK_STR(p.code[0], "C1"); /* C1 and C2 overlap there: the lowest code */
    CHECK_INT(admin_locator_find(loc, 106.195, 21.1, &p), 3);
    CHECK_STR(p.code[0], "C2");
    CHECK_STR(p.code[1], "D2");
    admin_locator_free(loc);
    AdminLocator *none = admin_locator_new(db, "no such layout");
    CHECK(none != NULL);
    CHECK_INT(none ? admin_locator_find(none, 106.1, 21.1, &p) : -1, 0); /* empty: finds nothing */
    admin_locator_free(none);
    store_close(db);
    unlink(path);
    char wal[64];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
}

int main(void) {
    test_same_answers();
    return unit_summary();
}
