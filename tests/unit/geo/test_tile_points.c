/* test_tile_points.c — tile_points.h: the snapshot chooses exactly the
 * points the tile query's SQL (API_TILES_INSTITUTIONS_IN_BOX) chooses,
 * for random boxes and filter lists (comma lists, NULL values, values with
 * commas), and snapshots are shared per data_version. */
#include "api/api_tiles.h"
#include "geo/tile_points.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* The tile query's own condition (api_tiles.h). */
#define SQL_IN_BOX "SELECT i.id" API_TILES_INSTITUTIONS_IN_BOX

static unsigned long long rng_state = 11;
static unsigned rng(unsigned n) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(rng_state >> 33) % n;
}
static double rnd(double lo, double hi) { return lo + (hi - lo) * rng(1000000) / 1e6; }

static const char *const kinds[] = {"college", "vet_centre", "other", "a,b", "", NULL};
static const char *const districts[] = {"213", "214", "2130", "13", NULL};

static sqlite3 *make_db(int n) {
    sqlite3 *db = NULL;
    sqlite3_open(":memory:", &db);
    sqlite3_exec(db,
                 "CREATE TABLE institution(id INTEGER PRIMARY KEY, code TEXT, lon REAL, lat REAL, kind TEXT,"
                 "  ownership TEXT, district_code TEXT);"
                 "CREATE VIRTUAL TABLE idx_institution_geom USING rtree(pkid, xmin, xmax, ymin, ymax);",
                 NULL, NULL, NULL);
    sqlite3_stmt *ins = NULL, *idx = NULL;
    sqlite3_prepare_v2(db, "INSERT INTO institution VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &ins, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO idx_institution_geom VALUES (?1, ?2, ?2, ?3, ?3)", -1, &idx, NULL);
    for (int i = 1; i <= n; i++) {
        double lon = rnd(100, 112), lat = rnd(8, 24);
        char code[16];
        snprintf(code, sizeof code, "C%05d", i);
        sqlite3_bind_int(ins, 1, i * 2); /* ids with gaps */
        sqlite3_bind_text(ins, 2, code, -1, SQLITE_TRANSIENT);
        if (i % 17) sqlite3_bind_double(ins, 3, lon); /* some without a position */
        else sqlite3_bind_null(ins, 3);
        sqlite3_bind_double(ins, 4, lat);
        const char *k = kinds[rng(6)], *o = kinds[rng(3)], *d = districts[rng(5)];
        k ? sqlite3_bind_text(ins, 5, k, -1, SQLITE_STATIC) : sqlite3_bind_null(ins, 5);
        sqlite3_bind_text(ins, 6, o, -1, SQLITE_STATIC);
        d ? sqlite3_bind_text(ins, 7, d, -1, SQLITE_STATIC) : sqlite3_bind_null(ins, 7);
        sqlite3_step(ins);
        sqlite3_reset(ins);
        if (i % 13) { /* some without an R*Tree entry */
            sqlite3_bind_int(idx, 1, i * 2);
            sqlite3_bind_double(idx, 2, lon);
            sqlite3_bind_double(idx, 3, lat);
            sqlite3_step(idx);
            sqlite3_reset(idx);
        }
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(idx);
    return db;
}

/* Filter lists tried: NULL, single values, lists, odd ones. */
static const char *const lists[] = {NULL, "college", "college,vet_centre", "a,b", "a", "b", "", ",", "213",
                                    "13,214", "2130", "other,,college", NULL};
#define NLISTS (sizeof lists / sizeof lists[0])

static void test_same_as_sql(void) {
    sqlite3 *db = make_db(3000);
    int rc = 0;
    TilePoints *tp = tile_points_get(db, 1, &rc);
    CHECK(tp != NULL);
    if (!tp) return;
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, SQL_IN_BOX, -1, &st, NULL);
    int differ = 0, nonempty = 0;
    for (int q = 0; q < 400; q++) {
        double w = rnd(99, 112), s = rnd(7, 24), e = w + rnd(0, 8), n = s + rnd(0, 10);
        const char *k = lists[rng(NLISTS)], *o = lists[rng(4)], *d = lists[rng(NLISTS)];
        if (q % 3 == 0) k = o = d = NULL;
        TilePointFilter f;
        CHECK_INT(tile_points_filter_init(&f, k, o, d), 0);
        sqlite3_bind_double(st, 1, w);
        sqlite3_bind_double(st, 2, s);
        sqlite3_bind_double(st, 3, e);
        sqlite3_bind_double(st, 4, n);
        k ? sqlite3_bind_text(st, 5, k, -1, SQLITE_STATIC) : sqlite3_bind_null(st, 5);
        o ? sqlite3_bind_text(st, 6, o, -1, SQLITE_STATIC) : sqlite3_bind_null(st, 6);
        d ? sqlite3_bind_text(st, 7, d, -1, SQLITE_STATIC) : sqlite3_bind_null(st, 7);
        size_t i = 0;
        int bad = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            long long want = sqlite3_column_int64(st, 0);
            while (i < tp->n && !tile_points_match(tp, &tp->pts[i], w, s, e, n, &f)) i++;
            if (i == tp->n || tp->pts[i].id != want) bad = 1;
            i++;
            nonempty = 1;
        }
        while (i < tp->n && !tile_points_match(tp, &tp->pts[i], w, s, e, n, &f)) i++;
        if (i != tp->n) bad = 1; /* the snapshot chose more */
        differ += bad;
        sqlite3_reset(st);
        tile_points_filter_free(&f);
    }
    CHECK_INT(differ, 0);
    CHECK(nonempty);
    /* strings and positions are the rows' */
    CHECK_STR(tile_points_str(tp, tp->pts[0].code), "C00001");
    CHECK(tile_points_str(tp, TILE_POINTS_NULL) == NULL);
    sqlite3_finalize(st);
    tile_points_release(tp);
    sqlite3_close(db);
}

static void test_sharing(void) {
    sqlite3 *db = make_db(50);
    int rc = 0;
    TilePoints *a = tile_points_get(db, 7, &rc), *b = tile_points_get(db, 7, &rc);
    CHECK(a && a == b); /* one snapshot per version */
    sqlite3_exec(db, "DELETE FROM institution WHERE id = 2", NULL, NULL, NULL);
    TilePoints *c = tile_points_get(db, 8, &rc);
    CHECK(c && c != a && c->n + 1 == a->n); /* a newer version is read again */
    TilePoints *d = tile_points_get(db, 7, &rc);
    CHECK(d == a); /* the one before stays shared for late readers */
    tile_points_release(a);
    tile_points_release(b);
    tile_points_release(d);
    CHECK_INT(a->n, c->n + 1); /* still alive: shared[1] holds it */
    tile_points_release(c);
    sqlite3_close(db);
}

int main(void) {
    test_same_as_sql();
    test_sharing();
    return unit_summary();
}
