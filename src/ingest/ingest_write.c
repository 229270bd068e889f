/* ingest_write.c — upserts of validated records inside the caller's one
 * transaction.  Each row is compared field by field with the stored one
 * (SQL `IS`, so NULLs compare equal): an unchanged row is not touched, so
 * re-running an ingest changes nothing (version and updated_at included). */
#include "store/admin_locate.h"
#include "ingest/ingest_internal.h"
#include "geo/rtree.h"
#include "store/store.h"

#include <math.h>
#include <stdint.h>
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

/* SpatiaLite's per-row triggers on institution cost as much as the rows
 * themselves; when many rows are new they are suspended (dropped, then
 * recreated from their own stored SQL) and each one's work is done once at
 * the end instead:
 *   gii_institution_geom keeps the R*Tree idx_institution_geom current with
 *     RTreeAlign(), which composes, parses and runs an INSERT for every row
 *     (about a third of a bulk load): the R*Tree is filled afterwards,
 *     bulk-loaded whole (rtree.h) when the new rows are a good part of the
 *     table, else by one INSERT ... SELECT of the new ids (the same entries
 *     either way);
 *   ggi_institution_geom checks each new geom's type and SRID against
 *     geometry_columns: nothing to redo, the only geom this file writes is
 *     MakePoint(lon, lat, 4326) or NULL;
 *   tmi_institution_geom stamps geometry_columns_time.last_insert for every
 *     row: stamped once.
 * A trigger whose SQL is not the expected one (another SpatiaLite version
 * or indexing scheme) is left alone.  All of it happens inside the
 * ingest's transaction, so a failure rolls the suspension back as well. */
#define BULK_INDEX_MIN_ROWS 5000
/* A bulk load costs about a tenth of an insert per entry, and it rewrites
 * every entry: worth it from one new row per REBUILD_RATIO old ones. */
#define REBUILD_RATIO 8
enum { TRG_RTREE, TRG_CHECK, TRG_STAMP, TRG_COUNT };
static const struct {
    const char *name, *pattern; /* pattern: LIKE on the trigger's SQL */
} bulk_triggers[TRG_COUNT] = {
    [TRG_RTREE] = {"gii_institution_geom", "%RTreeAlign%idx_institution_geom%"},
    [TRG_CHECK] = {"ggi_institution_geom", "%GeometryConstraints%"},
    [TRG_STAMP] = {"tmi_institution_geom", "%UPDATE geometry_columns_time SET last_insert%"},
};
typedef struct TriggerSuspension {
    char *sql[TRG_COUNT];   /* the suspended triggers' SQL, NULL when not suspended */
    sqlite3_int64 max_id;   /* rows above it are the new ones */
    sqlite3_int64 existing; /* rows before the ingest */
} TriggerSuspension;

static sqlite3_int64 query_int64(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st = NULL;
    sqlite3_int64 v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void triggers_suspend(sqlite3 *db, size_t valid_rows, sqlite3_int64 existing, sqlite3_int64 max_id,
                             TriggerSuspension *s) {
    memset(s, 0, sizeof *s);
    s->existing = existing;
    s->max_id = max_id;
    if ((sqlite3_int64)valid_rows - existing < BULK_INDEX_MIN_ROWS) return;
    for (int t = 0; t < TRG_COUNT; t++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1 AND sql LIKE ?2",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, bulk_triggers[t].name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, bulk_triggers[t].pattern, -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW) s->sql[t] = ing_strdup((const char *)sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
        char *drop = s->sql[t] ? sqlite3_mprintf("DROP TRIGGER \"%w\"", bulk_triggers[t].name) : NULL;
        if (s->sql[t] && (!drop || sqlite3_exec(db, drop, NULL, NULL, NULL) != SQLITE_OK)) {
            free(s->sql[t]);
            s->sql[t] = NULL;
        }
        sqlite3_free(drop);
    }
}

/* The bounding box SpatiaLite keeps in the header of its geometry BLOB
 * (0x00, byte order, SRID, MinX MinY MaxX MaxY, 0x7C, ..., 0xFE: what
 * MbrMinX() and its siblings read), or 0 for any other BLOB. */
static int blob_mbr(const unsigned char *b, int n, RTreeEntry *e) {
    if (n < 45 || b[0] != 0x00 || b[1] > 0x01 || b[38] != 0x7C || b[n - 1] != 0xFE) return 0;
    const union { uint16_t u; unsigned char c[2]; } host = {1};
    int swap = b[1] != host.c[0]; /* b[1]: 1 little-endian, 0 big-endian */
    double v[4];
    for (int k = 0; k < 4; k++) {
        unsigned char t[8];
        for (int j = 0; j < 8; j++) t[j] = b[6 + 8 * k + (swap ? 7 - j : j)];
        memcpy(&v[k], t, sizeof v[k]);
    }
    *e = (RTreeEntry){0, v[0], v[2], v[1], v[3]};
    return 1;
}

/* Bulk-load idx_institution_geom with every geometry's box; SQLITE_MISMATCH
 * when it cannot (a geometry BLOB of another kind, an R*Tree of another
 * shape), before changing anything. */
static int rebuild_rtree(sqlite3 *db) {
    sqlite3_stmt *st = NULL;
    RTreeEntry *v = NULL;
    size_t n = 0, cap = 0;
    int rc = sqlite3_prepare_v2(db, "SELECT id, geom FROM institution WHERE geom IS NOT NULL", -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if (n == cap) {
            RTreeEntry *nv = realloc(v, (cap = cap ? 2 * cap : 4096) * sizeof *v);
            if (!nv) {
                rc = SQLITE_NOMEM;
                break;
            }
            v = nv;
        }
        if (!blob_mbr(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), &v[n])) rc = SQLITE_MISMATCH;
        v[n++].id = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) rc = rtree_bulk_load(db, "idx_institution_geom", v, n);
    free(v);
    return rc;
}

/* Fill the R*Tree for the rows the suspended gii trigger did not see. */
static int fill_rtree(sqlite3 *db, const TriggerSuspension *s, long long inserted) {
    int rc = inserted * REBUILD_RATIO >= s->existing ? rebuild_rtree(db) : SQLITE_MISMATCH;
    if (rc != SQLITE_MISMATCH) return rc;
    /* not bulk-loadable: insert the new entries */
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db,
                            "INSERT INTO idx_institution_geom(pkid, xmin, xmax, ymin, ymax) "
                            "SELECT id, MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom), MbrMaxY(geom) "
                            "FROM institution WHERE id > ?1 AND geom IS NOT NULL",
                            -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, s->max_id);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Do the suspended triggers' work (ok = 0: only forget them, the caller
 * rolls back) and recreate them. */
static int triggers_resume(sqlite3 *db, TriggerSuspension *s, int ok, long long inserted, char **err) {
    int rc = SQLITE_OK;
    if (ok && s->sql[TRG_RTREE]) rc = fill_rtree(db, s, inserted);
    if (ok && rc == SQLITE_OK && s->sql[TRG_STAMP] && inserted > 0)
        rc = sqlite3_exec(db,
                          "UPDATE geometry_columns_time SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                          "WHERE Lower(f_table_name) = Lower('institution') AND Lower(f_geometry_column) = Lower('geom')",
                          NULL, NULL, NULL);
    for (int t = 0; t < TRG_COUNT; t++) {
        if (ok && rc == SQLITE_OK && s->sql[t]) rc = sqlite3_exec(db, s->sql[t], NULL, NULL, NULL);
        free(s->sql[t]);
        s->sql[t] = NULL;
    }
    return !ok || rc == SQLITE_OK ? 0 : sql_fail(db, "restoring the spatial index and its triggers", err);
}

/* SQLite 3.40 evaluates each `x IN (...)` CHECK of the institution table
 * (kind, ownership, location_precision) by building a temporary b-tree for
 * every row: about a fifth of a bulk insert.  The records carry canonical
 * values by construction (value maps only map to canonical values, and the
 * fallbacks are canonical), so each is checked here once, in C, against
 * the same list the mapping validates with (mapping_canonical), and the
 * writes run with PRAGMA ignore_check_constraints: an invalid value still
 * fails the ingest, as the CHECK would. */
static const Field enum_columns[] = {FLD_KIND, FLD_OWNERSHIP, FLD_LOCATION_PRECISION};

static int check_enums(const Record *rec, char **err) {
    for (size_t k = 0; k < sizeof enum_columns / sizeof enum_columns[0]; k++) {
        const char *v = rec->s[enum_columns[k]];
        if (!mapping_canonical(enum_columns[k], v)) {
            *err = ing_printf("%s row %ld (code %s): %s \"%s\" is not one of the allowed values", rec->source,
                              rec->row, rec->s[FLD_CODE], field_name(enum_columns[k]), v ? v : "(none)");
            return -1;
        }
    }
    return 0;
}

/* The codes already stored, so that a code not among them is known to be
 * new without a lookup.  Loaded only when the table is not bigger than the
 * input (else the lookups are the cheaper way).  Returns 1 when loaded. */
static int load_codes(sqlite3 *db, sqlite3_int64 existing, size_t valid, StrMap *codes) {
    strmap_init(codes);
    if (existing > (sqlite3_int64)valid) return 0;
    sqlite3_stmt *st = NULL;
    int ok = sqlite3_prepare_v2(db, "SELECT code FROM institution", -1, &st, NULL) == SQLITE_OK;
    int rc = SQLITE_ERROR;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW)
        ok = strmap_put(codes, (const char *)sqlite3_column_text(st, 0), 1) == 0;
    ok = ok && rc == SQLITE_DONE;
    sqlite3_finalize(st);
    if (!ok) strmap_free(codes);
    return ok;
}

/* A full search rebuild is one statement; per code is cheaper for a few. */
#define REINDEX_PER_CODE_MAX 500

/* Name of the admin unit with this code in the index's layout, or NULL. */
static const char *unit_name(const AdminIndex *ix, const char *code) {
    long k = code ? admin_find_code(ix, code) : -1;
    return k >= 0 ? ix->units[k].name : NULL;
}

/* Search rows of the new institutions recs[added[0..n)], inserted in that
 * order as ids after_id + 1, + 2, ...  Built from the records (the same
 * values the rows hold, and admin names from the same layout) rather than
 * read back with SQL: a third of the cost of indexing them.  Falls back on
 * store_reindex_search_after when the ids are not that run. */
static int index_new_rows(sqlite3 *db, const Record *recs, const size_t *added, size_t n, const AdminIndex *ix,
                          sqlite3_int64 after_id) {
    if (query_int64(db, "SELECT coalesce(max(id), 0) FROM institution") != after_id + (sqlite3_int64)n)
        return store_reindex_search_after(db, after_id);
    int rc = SQLITE_OK;
    for (size_t k = 0; rc == SQLITE_OK && k < n; k++) {
        const Record *rec = &recs[added[k]];
        StoreSearchRow row = {
            .id = after_id + 1 + (sqlite3_int64)k,
            .code = rec->s[FLD_CODE],
            .name = rec->s[FLD_NAME],
            .address = rec->s[FLD_ADDRESS],
            .governing_body = rec->s[FLD_GOVERNING_BODY],
            .commune = ix->n ? unit_name(ix, rec->s[FLD_COMMUNE_CODE]) : NULL,
            .district = ix->n ? unit_name(ix, rec->s[FLD_DISTRICT_CODE]) : NULL,
            .province = ix->n ? unit_name(ix, rec->s[FLD_PROVINCE_CODE]) : NULL,
        };
        rc = store_search_add(db, &row);
    }
    return rc;
}

int write_institutions(sqlite3 *db, Record *recs, size_t n, const AdminIndex *ix, WriteCounts *wc, char **err) {
    const char *layout = ix->n ? ix->layout : NULL;
    *err = NULL;
    char ts[32];
    now_iso(ts);
    size_t valid = 0;
    for (size_t i = 0; i < n; i++) valid += !recs[i].rejected;
    sqlite3_int64 existing = query_int64(db, "SELECT count(*) FROM institution");
    sqlite3_int64 max_id = query_int64(db, "SELECT coalesce(max(id), 0) FROM institution");
    /* The pragma and the suspended triggers change how the statements
     * compile: prepare them after (the 64-row INSERT takes a while). */
    int checks_ignored = query_int64(db, "PRAGMA ignore_check_constraints") != 0;
    sqlite3_exec(db, "PRAGMA ignore_check_constraints = ON", NULL, NULL, NULL);
    TriggerSuspension susp;
    triggers_suspend(db, valid, existing, max_id, &susp);
    Upsert u = {0};
    sqlite3_stmt *batch = NULL;
    if (prepare_institutions(db, &u, err) != 0 || prepare_insert(db, INSERT_BATCH, &batch, err) != 0) {
        triggers_resume(db, &susp, 0, 0, err); /* only forgets them: the caller rolls back */
        if (!checks_ignored) sqlite3_exec(db, "PRAGMA ignore_check_constraints = OFF", NULL, NULL, NULL);
        upsert_free(&u);
        sqlite3_finalize(batch);
        return -1;
    }
    StrMap known;
    int have_known = load_codes(db, existing, valid, &known);
    /* Updated and added rows, in order, for the search index; new rows
     * wait in `waiting` until a batch is full. */
    size_t nupdated = 0, nadded = 0, nwaiting = 0, waiting[INSERT_BATCH];
    size_t *updated = malloc((n ? n : 1) * sizeof *updated), *added = malloc((n ? n : 1) * sizeof *added);
    int rc = updated && added ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        Record *rec = &recs[i];
        if (rec->rejected) continue;
        if (check_enums(rec, err) != 0) {
            rc = -1;
            break;
        }
        int same = -1; /* codes are unique in the input: one not stored before is new */
        if (!have_known || strmap_get(&known, rec->s[FLD_CODE])) {
            bind_institution(u.lookup, 0, rec, layout, NULL);
            same = lookup(u.lookup);
        }
        if (same == -2) {
            rc = sql_fail(db, "looking up an institution", err);
        } else if (same == 1) {
            wc->unchanged++;
        } else if (same == 0) {
            rc = run_rows(db, u.update, recs, &i, 1, layout, ts, err);
            wc->updated++;
            updated[nupdated++] = i;
        } else {
            waiting[nwaiting++] = i;
            added[nadded++] = i;
            wc->inserted++;
            if (nwaiting == INSERT_BATCH) {
                rc = run_rows(db, batch, recs, waiting, INSERT_BATCH, layout, ts, err);
                nwaiting = 0;
            }
        }
    }
    for (size_t k = 0; rc == 0 && k < nwaiting; k++) rc = run_rows(db, u.insert, recs, &waiting[k], 1, layout, ts, err);
    if (triggers_resume(db, &susp, rc == 0, wc->inserted, err) != 0) rc = -1;
    if (!checks_ignored) sqlite3_exec(db, "PRAGMA ignore_check_constraints = OFF", NULL, NULL, NULL);
    if (have_known) strmap_free(&known);
    sqlite3_finalize(batch);
    if (rc == 0 && nupdated > REINDEX_PER_CODE_MAX) {
        if (store_reindex_search(db, NULL) != SQLITE_OK) rc = sql_fail(db, "rebuilding the search index", err);
    } else if (rc == 0) {
        for (size_t k = 0; rc == 0 && k < nupdated; k++)
            if (store_reindex_search(db, recs[updated[k]].s[FLD_CODE]) != SQLITE_OK)
                rc = sql_fail(db, "updating the search index", err);
        if (rc == 0 && nadded && index_new_rows(db, recs, added, nadded, ix, max_id) != SQLITE_OK)
            rc = sql_fail(db, "indexing the new institutions for search", err);
    }
    if ((!updated || !added) && !*err) *err = ing_printf("out of memory");
    free(updated);
    free(added);
    upsert_free(&u);
    return rc;
}

/* ------------------------------------------------------------- kept fields */

/* 1 when record column inst_columns[i] is kept from the stored row. */
static int column_kept(unsigned long long keep, int i) {
    Field f = inst_columns[i].field;
    if (f == COL_EXTRA) return (keep & KEEP_EXTRA) != 0;
    if (f == FLD_COMMUNE_CODE || f == FLD_DISTRICT_CODE || f == FLD_PROVINCE_CODE || f == FLD_LOCATION_PRECISION)
        return (keep & KEEP_PLACE) != 0;
    return f != COL_ADMIN_LAYOUT && (keep & KEEP_FIELD(f));
}

static int set_stored(char **dst, sqlite3_stmt *st, int col) {
    const unsigned char *v = sqlite3_column_text(st, col);
    char *copy = v ? strdup((const char *)v) : NULL;
    if (v && !copy) return -1;
    free(*dst);
    *dst = copy;
    return 0;
}

/* A kept place whose codes are of another layout than the one written (or
 * of none): the codes of the units of ix that contain its point. */
static void replace_codes(sqlite3 *db, Record *rec, const AdminIndex *ix) {
    static const Field fields[3] = {FLD_COMMUNE_CODE, FLD_DISTRICT_CODE, FLD_PROVINCE_CODE};
    AdminPlace pl = {0};
    if (ix->n && rec->has_point && admin_in_box(ix, rec->lon, rec->lat))
        admin_locate_point(db, ix->layout, rec->lon, rec->lat, &pl);
    for (int l = 0; l < 3; l++) {
        free(rec->s[fields[l]]);
        rec->s[fields[l]] = pl.code[l][0] ? strdup(pl.code[l]) : NULL;
    }
}

int fill_kept(sqlite3 *db, Record *recs, size_t n, const AdminIndex *ix, IngestReport *r, char **err) {
    *err = NULL;
    size_t valid = 0;
    for (size_t i = 0; i < n; i++) valid += !recs[i].rejected && recs[i].keep;
    if (!valid) return 0;
    StrMap known;
    int have_known = load_codes(db, query_int64(db, "SELECT count(*) FROM institution"), valid, &known);
    Buf b = BUF_INIT;
    buf_puts(&b, "SELECT lon, lat");
    for (int i = 0; i < INST_NCOLS; i++) buf_printf(&b, ", %s", inst_columns[i].column);
    buf_puts(&b, " FROM institution WHERE code = ?1");
    sqlite3_stmt *st = NULL;
    int rc = prepare(db, &b, &st, err);
    buf_free(&b);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        Record *rec = &recs[i];
        if (rec->rejected || !rec->keep) continue;
        int found = 0;
        if (!have_known || strmap_get(&known, rec->s[FLD_CODE])) {
            bind_text(st, 1, rec->s[FLD_CODE]);
            int step = sqlite3_step(st);
            if (step != SQLITE_ROW && step != SQLITE_DONE) rc = sql_fail(db, "reading a stored institution", err);
            found = step == SQLITE_ROW;
        }
        for (int c = 0; found && rc == 0 && c < INST_NCOLS; c++) {
            if (!column_kept(rec->keep, c)) continue;
            Field f = inst_columns[c].field;
            if (set_stored(f == COL_EXTRA ? &rec->extra : &rec->s[f], st, c + 2) != 0)
                rc = -1, *err = ing_printf("out of memory");
        }
        if (found && rc == 0 && (rec->keep & KEEP_PLACE)) {
            rec->has_point = sqlite3_column_type(st, 0) != SQLITE_NULL && sqlite3_column_type(st, 1) != SQLITE_NULL;
            rec->lon = sqlite3_column_double(st, 0);
            rec->lat = sqlite3_column_double(st, 1);
            int lc = 0;
            while (inst_columns[lc].field != COL_ADMIN_LAYOUT) lc++;
            const unsigned char *sl = sqlite3_column_text(st, 2 + lc);
            const char *layout = ix->n ? ix->layout : NULL;
            if (!(sl && layout && !strcmp((const char *)sl, layout))) replace_codes(db, rec, ix);
        }
        sqlite3_reset(st);
        if (!found && rc == 0 && (rec->keep & KEEP_PLACE) && !rec->has_point) ing_warn_no_location(r, rec);
    }
    sqlite3_finalize(st);
    if (have_known) strmap_free(&known);
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
