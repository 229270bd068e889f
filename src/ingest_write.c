/* ingest_write.c — upserts of validated records inside the caller's one
 * transaction.  Each row is compared field by field with the stored one
 * (SQL `IS`, so NULLs compare equal): an unchanged row is not touched, so
 * re-running an ingest changes nothing (version and updated_at included). */
#include "ingest_internal.h"
#include "store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Text columns of institution written from a record, in bind order after
 * the code (?1).  FLD_COUNT marks the two that are not plain fields. */
#define COL_ADMIN_LAYOUT ((Field)(FLD_COUNT + 1))
#define COL_EXTRA ((Field)(FLD_COUNT + 2))
static const struct {
    const char *column;
    Field field;
} inst_columns[] = {
    {"name", FLD_NAME},
    {"kind", FLD_KIND},
    {"ownership", FLD_OWNERSHIP},
    {"governing_body", FLD_GOVERNING_BODY},
    {"address", FLD_ADDRESS},
    {"commune_code", FLD_COMMUNE_CODE},
    {"district_code", FLD_DISTRICT_CODE},
    {"province_code", FLD_PROVINCE_CODE},
    {"admin_layout", COL_ADMIN_LAYOUT},
    {"website", FLD_WEBSITE},
    {"phone", FLD_PHONE},
    {"email", FLD_EMAIL},
    {"location_precision", FLD_LOCATION_PRECISION},
    {"source_urls", FLD_SOURCE_URLS},
    {"source", FLD_SOURCE},
    {"extra", COL_EXTRA},
};
#define INST_NCOLS ((int)(sizeof inst_columns / sizeof inst_columns[0]))

/* Admin columns after layout (?1) and code (?2), in bind order; geom last. */
static const char *const admin_columns[] = {"level", "level_name", "name", "type", "parent_code",
                                            "population", "population_year", "area_km2", "label_lon",
                                            "label_lat", "seat_lon", "seat_lat", "approximate"};
#define ADMIN_NCOLS ((int)(sizeof admin_columns / sizeof admin_columns[0]))

static void now_iso(char out[32]) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int sql_fail(sqlite3 *db, const char *what, char **err) {
    *err = ing_printf("%s: %s", what, sqlite3_errmsg(db));
    return -1;
}

/* Statements of one upsert kind, built from a column list. */
typedef struct Upsert {
    sqlite3_stmt *lookup;  /* -> id, same (1 when every column IS the new value) */
    sqlite3_stmt *insert;
    sqlite3_stmt *update;
} Upsert;

static void upsert_free(Upsert *u) {
    sqlite3_finalize(u->lookup);
    sqlite3_finalize(u->insert);
    sqlite3_finalize(u->update);
}

static int prepare(sqlite3 *db, Buf *b, sqlite3_stmt **st, char **err) {
    if (b->oom) {
        *err = ing_printf("out of memory");
        return -1;
    }
    int rc = sqlite3_prepare_v3(db, b->data, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    buf_reset(b);
    return rc == SQLITE_OK ? 0 : sql_fail(db, "preparing the upsert", err);
}

/* ----------------------------------------------------------- institutions */

/* Parameters per institution row: code, the text columns, lon, lat, updated_at. */
#define INST_NPARAMS (INST_NCOLS + 4)
/* New rows go in by INSERT statements of this many rows: with SpatiaLite's
 * triggers every statement opens a statement journal, so one statement
 * per row costs about twice as much as the rows themselves. */
#define INSERT_BATCH 64

/* INSERT of nrows rows, row k bound to parameters k*INST_NPARAMS+1 ... */
static int prepare_insert(sqlite3 *db, int nrows, sqlite3_stmt **st, char **err) {
    Buf b = BUF_INIT;
    buf_puts(&b, "INSERT INTO institution(code");
    for (int i = 0; i < INST_NCOLS; i++) buf_printf(&b, ", %s", inst_columns[i].column);
    buf_puts(&b, ", lon, lat, version, updated_at, geom) VALUES ");
    for (int k = 0; k < nrows; k++) {
        int p = k * INST_NPARAMS, lon = p + INST_NCOLS + 2, lat = lon + 1, ts = lon + 2;
        buf_printf(&b, "%s(?%d", k ? ", " : "", p + 1);
        for (int i = 0; i < INST_NCOLS; i++) buf_printf(&b, ", ?%d", p + i + 2);
        buf_printf(&b, ", ?%d, ?%d, 1, ?%d, CASE WHEN ?%d IS NULL THEN NULL ELSE MakePoint(?%d, ?%d, 4326) END)",
                   lon, lat, ts, lon, lon, lat);
    }
    int rc = prepare(db, &b, st, err);
    buf_free(&b);
    return rc;
}

/* Lookup and update (parameters as bind_institution with base 0), and the
 * single-row insert. */
static int prepare_institutions(sqlite3 *db, Upsert *u, char **err) {
    const int lon = INST_NCOLS + 2, lat = lon + 1, ts = lon + 2;
    Buf b = BUF_INIT;
    buf_puts(&b, "SELECT id, (1");
    for (int i = 0; i < INST_NCOLS; i++) buf_printf(&b, " AND %s IS ?%d", inst_columns[i].column, i + 2);
    buf_printf(&b, " AND lon IS ?%d AND lat IS ?%d) FROM institution WHERE code = ?1", lon, lat);
    if (prepare(db, &b, &u->lookup, err)) goto fail;
    if (prepare_insert(db, 1, &u->insert, err)) goto fail;

    buf_puts(&b, "UPDATE institution SET ");
    for (int i = 0; i < INST_NCOLS; i++) buf_printf(&b, "%s = ?%d, ", inst_columns[i].column, i + 2);
    buf_printf(&b,
               "lon = ?%d, lat = ?%d, version = version + 1, updated_at = ?%d, "
               "geom = CASE WHEN ?%d IS NULL THEN NULL ELSE MakePoint(?%d, ?%d, 4326) END WHERE code = ?1",
               lon, lat, ts, lon, lon, lat);
    if (prepare(db, &b, &u->update, err)) goto fail;
    buf_free(&b);
    return 0;
fail:
    buf_free(&b);
    return -1;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v) {
    if (v) sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, i);
}

static void bind_real(sqlite3_stmt *st, int i, int has, double v) {
    if (has && isfinite(v)) sqlite3_bind_double(st, i, v);
    else sqlite3_bind_null(st, i);
}

/* Bind one record to parameters base+1 .. base+INST_NPARAMS (ts NULL: the
 * lookup, which has no updated_at parameter). */
static void bind_institution(sqlite3_stmt *st, int base, const Record *rec, const char *layout, const char *ts) {
    bind_text(st, base + 1, rec->s[FLD_CODE]);
    for (int i = 0; i < INST_NCOLS; i++) {
        Field f = inst_columns[i].field;
        const char *v = f == COL_ADMIN_LAYOUT ? layout : f == COL_EXTRA ? rec->extra : rec->s[f];
        bind_text(st, base + i + 2, v);
    }
    bind_real(st, base + INST_NCOLS + 2, rec->has_point, rec->lon);
    bind_real(st, base + INST_NCOLS + 3, rec->has_point, rec->lat);
    if (ts) bind_text(st, base + INST_NCOLS + 4, ts);
}

/* Run a lookup: 1 = row exists and is the same, 0 = exists and differs,
 * -1 = no row, -2 = error. */
static int lookup(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    int res = rc == SQLITE_ROW ? (sqlite3_column_int(st, 1) ? 1 : 0) : rc == SQLITE_DONE ? -1 : -2;
    sqlite3_reset(st);
    return res;
}

static int step_done(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Run st over the records at idx[0..n) (n rows bound in one statement). */
static int run_rows(sqlite3 *db, sqlite3_stmt *st, Record *recs, const size_t *idx, int n, const char *layout,
                    const char *ts, char **err) {
    for (int k = 0; k < n; k++) bind_institution(st, k * INST_NPARAMS, &recs[idx[k]], layout, ts);
    if (step_done(st) == 0) return 0;
    const Record *rec = &recs[idx[0]];
    *err = n == 1 ? ing_printf("%s row %ld (code %s): %s", rec->source, rec->row, rec->s[FLD_CODE], sqlite3_errmsg(db))
                  : ing_printf("%s rows %ld-%ld: %s", rec->source, rec->row, recs[idx[n - 1]].row, sqlite3_errmsg(db));
    return -1;
}

/* SpatiaLite keeps idx_institution_geom current through the trigger
 * gii_institution_geom, which calls RTreeAlign(): for every row it composes,
 * parses and runs an INSERT, about a third of a bulk load's time.  When many
 * rows are new, the trigger is suspended and the R*Tree filled for the new
 * ids by one INSERT ... SELECT (the same entries), then the trigger is
 * recreated from its own stored SQL.  All of it happens inside the ingest's
 * transaction, so a failure rolls the suspension back as well. */
#define BULK_INDEX_MIN_ROWS 5000
typedef struct IndexSuspension {
    char *trigger_sql;      /* NULL when not suspended */
    sqlite3_int64 max_id;   /* rows above it are the new ones */
} IndexSuspension;

static sqlite3_int64 query_int64(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st = NULL;
    sqlite3_int64 v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void index_suspend(sqlite3 *db, size_t valid_rows, IndexSuspension *s) {
    memset(s, 0, sizeof *s);
    sqlite3_int64 existing = query_int64(db, "SELECT count(*) FROM institution");
    if ((sqlite3_int64)valid_rows - existing < BULK_INDEX_MIN_ROWS) return;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'gii_institution_geom' "
                           "AND sql LIKE '%RTreeAlign%idx_institution_geom%'",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        s->trigger_sql = ing_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (!s->trigger_sql) return; /* another indexing scheme: leave it alone */
    s->max_id = query_int64(db, "SELECT coalesce(max(id), 0) FROM institution");
    if (sqlite3_exec(db, "DROP TRIGGER gii_institution_geom", NULL, NULL, NULL) != SQLITE_OK) {
        free(s->trigger_sql);
        s->trigger_sql = NULL;
    }
}

static int index_resume(sqlite3 *db, IndexSuspension *s, char **err) {
    if (!s->trigger_sql) return 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT INTO idx_institution_geom(pkid, xmin, xmax, ymin, ymax) "
                                "SELECT id, MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom), MbrMaxY(geom) "
                                "FROM institution WHERE id > ?1 AND geom IS NOT NULL",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, s->max_id);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, s->trigger_sql, NULL, NULL, NULL);
    free(s->trigger_sql);
    s->trigger_sql = NULL;
    return rc == SQLITE_OK ? 0 : sql_fail(db, "filling the spatial index", err);
}

int write_institutions(sqlite3 *db, Record *recs, size_t n, const char *layout, WriteCounts *wc, char **err) {
    Upsert u = {0};
    sqlite3_stmt *batch = NULL;
    *err = NULL;
    if (prepare_institutions(db, &u, err) != 0 || prepare_insert(db, INSERT_BATCH, &batch, err) != 0) {
        upsert_free(&u);
        sqlite3_finalize(batch);
        return -1;
    }
    char ts[32];
    now_iso(ts);
    size_t valid = 0;
    for (size_t i = 0; i < n; i++) valid += !recs[i].rejected;
    IndexSuspension susp;
    index_suspend(db, valid, &susp);
    /* Changed rows, for the search index; new rows wait in `waiting` until
     * a batch is full. */
    size_t nchanged = 0, nwaiting = 0, waiting[INSERT_BATCH];
    size_t *changed = malloc((n ? n : 1) * sizeof *changed);
    int rc = changed ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        Record *rec = &recs[i];
        if (rec->rejected) continue;
        bind_institution(u.lookup, 0, rec, layout, NULL);
        int same = lookup(u.lookup);
        if (same == -2) {
            rc = sql_fail(db, "looking up an institution", err);
        } else if (same == 1) {
            wc->unchanged++;
        } else if (same == 0) {
            rc = run_rows(db, u.update, recs, &i, 1, layout, ts, err);
            wc->updated++;
            changed[nchanged++] = i;
        } else {
            changed[nchanged++] = i;
            waiting[nwaiting++] = i;
            wc->inserted++;
            if (nwaiting == INSERT_BATCH) {
                rc = run_rows(db, batch, recs, waiting, INSERT_BATCH, layout, ts, err);
                nwaiting = 0;
            }
        }
    }
    for (size_t k = 0; rc == 0 && k < nwaiting; k++) rc = run_rows(db, u.insert, recs, &waiting[k], 1, layout, ts, err);
    if (rc == 0) rc = index_resume(db, &susp, err);
    free(susp.trigger_sql);
    sqlite3_finalize(batch);
    if (rc == 0 && nchanged) {
        /* A full rebuild is one statement; per code is cheaper for a few. */
        if (nchanged > 500) {
            if (store_reindex_search(db, NULL) != SQLITE_OK) rc = sql_fail(db, "rebuilding the search index", err);
        } else
            for (size_t k = 0; rc == 0 && k < nchanged; k++)
                if (store_reindex_search(db, recs[changed[k]].s[FLD_CODE]) != SQLITE_OK)
                    rc = sql_fail(db, "updating the search index", err);
    }
    if (!changed && !*err) *err = ing_printf("out of memory");
    free(changed);
    upsert_free(&u);
    return rc;
}

/* ----------------------------------------------------------------- layout */

int write_layout(sqlite3 *db, const char *layout, const char *description, int make_default, WriteCounts *wc,
                 char **err) {
    *err = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO layout(name, is_default, description) VALUES (?1, 0, ?2) "
                           "ON CONFLICT(name) DO UPDATE SET description = excluded.description "
                           "WHERE ?2 IS NOT NULL AND description IS NOT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, "writing the layout", err);
    bind_text(st, 1, layout);
    bind_text(st, 2, description);
    int rc = step_done(st);
    sqlite3_finalize(st);
    if (rc != 0) return sql_fail(db, "writing the layout", err);
    if (sqlite3_changes(db) > 0) wc->layout_changed = 1;

    /* Default when asked, or when no layout is default yet (the first one). */
    char cur[256];
    const char *def = store_default_layout(db, cur, sizeof cur);
    if ((make_default || !def) && (!def || strcmp(def, layout))) {
        if (sqlite3_prepare_v2(db, "UPDATE layout SET is_default = (name = ?1)", -1, &st, NULL) != SQLITE_OK)
            return sql_fail(db, "setting the default layout", err);
        bind_text(st, 1, layout);
        rc = step_done(st);
        sqlite3_finalize(st);
        if (rc != 0 || store_meta_set(db, "default_layout", layout) != SQLITE_OK)
            return sql_fail(db, "setting the default layout", err);
        wc->layout_changed = 1;
    }
    return 0;
}

/* ------------------------------------------------------------ admin units */

/* Binds: ?1 layout, ?2 code, ?3..?(2+ADMIN_NCOLS) columns, then geom WKB. */
static int prepare_admin(sqlite3 *db, Upsert *u, char **err) {
    const int g = ADMIN_NCOLS + 3;
    Buf b = BUF_INIT;
    buf_puts(&b, "SELECT id, (1");
    for (int i = 0; i < ADMIN_NCOLS; i++) buf_printf(&b, " AND %s IS ?%d", admin_columns[i], i + 3);
    buf_printf(&b, " AND AsBinary(geom) IS ?%d) FROM admin_unit WHERE layout = ?1 AND code = ?2", g);
    if (prepare(db, &b, &u->lookup, err)) goto fail;

    buf_puts(&b, "INSERT INTO admin_unit(layout, code");
    for (int i = 0; i < ADMIN_NCOLS; i++) buf_printf(&b, ", %s", admin_columns[i]);
    buf_puts(&b, ", geom) VALUES (?1, ?2");
    for (int i = 0; i < ADMIN_NCOLS; i++) buf_printf(&b, ", ?%d", i + 3);
    buf_printf(&b, ", GeomFromWKB(?%d, 4326))", g);
    if (prepare(db, &b, &u->insert, err)) goto fail;

    buf_puts(&b, "UPDATE admin_unit SET ");
    for (int i = 0; i < ADMIN_NCOLS; i++) buf_printf(&b, "%s = ?%d, ", admin_columns[i], i + 3);
    buf_printf(&b, "geom = GeomFromWKB(?%d, 4326) WHERE layout = ?1 AND code = ?2", g);
    if (prepare(db, &b, &u->update, err)) goto fail;
    buf_free(&b);
    return 0;
fail:
    buf_free(&b);
    return -1;
}

static int level_rank(const char *level_name) {
    return !strcmp(level_name, "province") ? 1 : !strcmp(level_name, "district") ? 2 : 3;
}

/* A numeric text field (already checked by ingest_record.c) as a double. */
static int num(const Record *rec, Field f, double *v) {
    return rec->s[f] && ing_parse_number(rec->s[f], v) == 1;
}

static void bind_admin(sqlite3_stmt *st, const Record *rec, const char *layout) {
    double v;
    int i = 1;
    bind_text(st, i++, layout);
    bind_text(st, i++, rec->s[FLD_CODE]);
    sqlite3_bind_int(st, i++, level_rank(rec->level_name));
    bind_text(st, i++, rec->level_name);
    bind_text(st, i++, rec->s[FLD_NAME]);
    bind_text(st, i++, rec->s[FLD_TYPE]);
    bind_text(st, i++, rec->s[FLD_PARENT_CODE]);
    if (num(rec, FLD_POPULATION, &v)) sqlite3_bind_int64(st, i++, llround(v));
    else sqlite3_bind_null(st, i++);
    if (num(rec, FLD_POPULATION_YEAR, &v)) sqlite3_bind_int(st, i++, (int)lround(v));
    else sqlite3_bind_null(st, i++);
    /* num() first: argument evaluation order is unspecified. */
    static const Field reals[] = {FLD_AREA_KM2, FLD_COUNT, FLD_SEAT_X, FLD_SEAT_Y};
    for (size_t k = 0; k < sizeof reals / sizeof reals[0]; k++) {
        if (reals[k] == FLD_COUNT) { /* the label point sits between area and seat */
            bind_real(st, i++, rec->has_point, rec->lon);
            bind_real(st, i++, rec->has_point, rec->lat);
            continue;
        }
        int has = num(rec, reals[k], &v);
        bind_real(st, i++, has, v);
    }
    sqlite3_bind_int(st, i++, rec->s[FLD_APPROXIMATE] && !strcmp(rec->s[FLD_APPROXIMATE], "1"));
    if (rec->wkb) sqlite3_bind_blob(st, i, rec->wkb, (int)rec->wkb_len, SQLITE_STATIC);
    else sqlite3_bind_null(st, i);
}

int write_admin(sqlite3 *db, Record *recs, size_t n, const char *layout, WriteCounts *wc, char **err) {
    Upsert u = {0};
    *err = NULL;
    int rc = prepare_admin(db, &u, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        Record *rec = &recs[i];
        if (rec->rejected) continue;
        bind_admin(u.lookup, rec, layout);
        int same = lookup(u.lookup);
        if (same == 1) {
            wc->unchanged++;
            continue;
        }
        sqlite3_stmt *st = same == -1 ? u.insert : same == 0 ? u.update : NULL;
        if (!st) {
            rc = sql_fail(db, "looking up an admin unit", err);
            break;
        }
        bind_admin(st, rec, layout);
        if (step_done(st) != 0) {
            rc = -1;
            *err = ing_printf("%s row %ld (code %s): %s", rec->source, rec->row, rec->s[FLD_CODE],
                              sqlite3_errmsg(db));
            break;
        }
        if (same == -1) wc->inserted++;
        else wc->updated++;
    }
    upsert_free(&u);
    return rc;
}
