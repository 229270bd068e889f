/* test_rtree.c — rtree.h: a bulk-loaded R*Tree holds exactly the entries
 * SQLite's own INSERT stores (same float rounding), passes rtreecheck(),
 * answers window queries like an inserted one, keeps working under later
 * inserts/deletes, and refuses what it cannot load without touching it. */
#include "geo/rtree.h"
#include "unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long rng_state = 7;
static double rnd(double lo, double hi) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (double)(rng_state >> 11) / 9007199254740992.0;
}

static sqlite3 *open_db(void) {
    sqlite3 *db = NULL;
    sqlite3_open(":memory:", &db);
    sqlite3_exec(db,
                 "CREATE TABLE src(id INTEGER PRIMARY KEY, xmin REAL, xmax REAL, ymin REAL, ymax REAL);"
                 "CREATE VIRTUAL TABLE bulk USING rtree(pkid, xmin, xmax, ymin, ymax);"
                 "CREATE VIRTUAL TABLE ref USING rtree(pkid, xmin, xmax, ymin, ymax);",
                 NULL, NULL, NULL);
    return db;
}

/* n entries: points and small boxes, coordinates that are not floats,
 * negatives, a few far away; ids not contiguous. */
static void fill_src(sqlite3 *db, int n) {
    sqlite3_exec(db, "DELETE FROM src", NULL, NULL, NULL);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "INSERT INTO src VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL);
    for (int i = 0; i < n; i++) {
        double x = rnd(-180, 180), y = rnd(-85, 85), w = i % 3 ? 0 : rnd(0, 2), h = i % 3 ? 0 : rnd(0, 2);
        if (i % 97 == 0) x *= 1e4;
        sqlite3_bind_int64(st, 1, 3 * (sqlite3_int64)i + 1);
        sqlite3_bind_double(st, 2, x);
        sqlite3_bind_double(st, 3, x + w);
        sqlite3_bind_double(st, 4, y);
        sqlite3_bind_double(st, 5, y + h);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
}

static char *query_text(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_text(st, 0))
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static long long query_int(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Bulk-load `table` with the rows of `select` (id, xmin, xmax, ymin, ymax;
 * a NULL coordinate becomes NaN). */
static int bulk_load(sqlite3 *db, const char *table, const char *select) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, select, -1, &st, NULL) != SQLITE_OK) return -1;
    size_t n = 0, cap = 16;
    RTreeEntry *v = malloc(cap * sizeof *v);
    while (v && sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
        if (!v) break;
        double c[4];
        for (int k = 0; k < 4; k++)
            c[k] = sqlite3_column_type(st, 1 + k) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1 + k);
        v[n++] = (RTreeEntry){sqlite3_column_int64(st, 0), c[0], c[1], c[2], c[3]};
    }
    sqlite3_finalize(st);
    int rc = v ? rtree_bulk_load(db, table, v, n) : -1;
    free(v);
    return rc;
}

#define SAME_ENTRIES                                                                        \
    "SELECT (SELECT count(*) FROM (SELECT * FROM bulk EXCEPT SELECT * FROM ref))"            \
    " + (SELECT count(*) FROM (SELECT * FROM ref EXCEPT SELECT * FROM bulk))"

/* Bulk-load n entries into `bulk`, INSERT them into `ref`, compare. */
static void check_size(int n) {
    sqlite3 *db = open_db();
    fill_src(db, n);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    CHECK_INT(bulk_load(db, "bulk", "SELECT * FROM src"), SQLITE_OK);
    sqlite3_exec(db, "INSERT INTO ref SELECT * FROM src; COMMIT", NULL, NULL, NULL);
    CHECK_INT(query_int(db, "SELECT count(*) FROM bulk"), n);
    CHECK_INT(query_int(db, SAME_ENTRIES), 0);
    char *ok = query_text(db, "SELECT rtreecheck('bulk')");
    CHECK_STR(ok, "ok");
    free(ok);
    /* window queries find the same ids */
    int differ = 0;
    for (int q = 0; q < 50; q++) {
        double x = rnd(-200, 180), y = rnd(-90, 85), w = rnd(0, 60), h = rnd(0, 40);
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT (SELECT group_concat(pkid) FROM (SELECT pkid FROM bulk WHERE xmax >= %.17g AND xmin <= %.17g "
                 "AND ymax >= %.17g AND ymin <= %.17g ORDER BY pkid)) IS (SELECT group_concat(pkid) FROM (SELECT pkid "
                 "FROM ref WHERE xmax >= %.17g AND xmin <= %.17g AND ymax >= %.17g AND ymin <= %.17g ORDER BY pkid))",
                 x, x + w, y, y + h, x, x + w, y, y + h);
        differ += query_int(db, sql) != 1;
    }
    CHECK_INT(differ, 0);
    /* SQLite keeps maintaining it */
    sqlite3_exec(db,
                 "BEGIN;"
                 "INSERT INTO bulk VALUES (2, 1.5, 2.5, 3.5, 4.5);  INSERT INTO ref VALUES (2, 1.5, 2.5, 3.5, 4.5);"
                 "DELETE FROM bulk WHERE pkid % 5 = 1;             DELETE FROM ref WHERE pkid % 5 = 1;"
                 "UPDATE bulk SET xmax = xmax + 1 WHERE pkid % 7 = 1; UPDATE ref SET xmax = xmax + 1 WHERE pkid % 7 = 1;"
                 "COMMIT",
                 NULL, NULL, NULL);
    CHECK_INT(query_int(db, SAME_ENTRIES), 0);
    ok = query_text(db, "SELECT rtreecheck('bulk')");
    CHECK_STR(ok, "ok");
    free(ok);
    sqlite3_close(db);
}

static void test_sizes(void) {
    /* empty, one leaf (root only), one full node, one more (two levels),
     * three levels, and a bigger one */
    const int sizes[] = {0, 1, 50, 51, 52, 2601, 2700, 20000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) check_size(sizes[i]);
}

static void test_replaces_and_refuses(void) {
    sqlite3 *db = open_db();
    fill_src(db, 500);
    sqlite3_exec(db, "INSERT INTO bulk VALUES (1000000, 0, 1, 0, 1)", NULL, NULL, NULL);
    /* a load replaces whatever was there */
    CHECK_INT(bulk_load(db, "bulk", "SELECT * FROM src"), SQLITE_OK);
    CHECK_INT(query_int(db, "SELECT count(*) FROM bulk"), 500);
    CHECK_INT(query_int(db, "SELECT count(*) FROM bulk WHERE pkid = 1000000"), 0);

    /* what it cannot load, it leaves alone */
    CHECK_INT(bulk_load(db, "bulk", "SELECT id, xmin, xmax, NULL, ymax FROM src"), SQLITE_MISMATCH);
    CHECK_INT(bulk_load(db, "bulk", "SELECT id, xmax + 1, xmax, ymin, ymax FROM src"), SQLITE_MISMATCH);
    CHECK_INT(bulk_load(db, "bulk", "SELECT id, -1e400, xmax, ymin, ymax FROM src"), SQLITE_MISMATCH);
    CHECK_INT(query_int(db, "SELECT count(*) FROM bulk"), 500);
    CHECK_INT(bulk_load(db, "src", "SELECT * FROM src"), SQLITE_MISMATCH);              /* not an R*Tree */
    CHECK_INT(bulk_load(db, "missing", "SELECT * FROM src"), SQLITE_MISMATCH);
    sqlite3_exec(db, "CREATE VIRTUAL TABLE cube USING rtree(id, x0, x1, y0, y1, z0, z1);"
                     "CREATE VIRTUAL TABLE ints USING rtree_i32(id, x0, x1, y0, y1);"
                     "CREATE VIRTUAL TABLE aux USING rtree(id, x0, x1, y0, y1, +name)",
                 NULL, NULL, NULL);
    CHECK_INT(bulk_load(db, "cube", "SELECT id, xmin, xmax, ymin, ymax, 0, 1 FROM src"), SQLITE_MISMATCH);
    CHECK_INT(bulk_load(db, "ints", "SELECT * FROM src"), SQLITE_MISMATCH);
    CHECK_INT(bulk_load(db, "aux", "SELECT * FROM src"), SQLITE_MISMATCH);
    char *ok = query_text(db, "SELECT rtreecheck('bulk')");
    CHECK_STR(ok, "ok");
    free(ok);
    sqlite3_close(db);
}

int main(void) {
    test_sizes();
    test_replaces_and_refuses();
    return unit_summary();
}
