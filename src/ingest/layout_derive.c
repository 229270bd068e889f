/* layout_derive.c — derive a layout from an older one (layout_derive.h).
 *
 * The work happens in TEMP tables of the store connection (the store itself
 * is only read): src (old units, projected), mem (membership), nu (new
 * units' attributes), u (new geometries), absorbed, gap_part. */
#include "ingest/layout_derive.h"
#include "coverage/coverage_grid.h"
#include "geo/gdal_out.h"
#include "store/store.h"
#include "base/strfmt.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Run SQL built with sqlite3_mprintf conventions (%Q quotes). */
static int exec(sqlite3 *db, char **err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    char *msg = NULL;
    int rc = sql ? sqlite3_exec(db, sql, NULL, NULL, &msg) : SQLITE_NOMEM;
    if (rc != SQLITE_OK && !*err) *err = strfmt("%s (in: %.300s)", msg ? msg : sqlite3_errstr(rc), sql ? sql : "");
    sqlite3_free(msg);
    sqlite3_free(sql);
    return rc == SQLITE_OK ? 0 : -1;
}

/* One number from SQL (NaN when NULL or on error). */
static double query_num(sqlite3 *db, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    sqlite3_stmt *st = NULL;
    double v = NAN;
    if (sql && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    sqlite3_free(sql);
    return v;
}

static const char *col_text(sqlite3_stmt *st, int i) { return (const char *)sqlite3_column_text(st, i); }

/* The first column of every row of a prepared statement, as a malloc'd
 * NULL-terminated list (collected first: callers change the tables read). */
static char **column_list(sqlite3_stmt *st, size_t *n) {
    size_t cap = 16;
    char **v = malloc(cap * sizeof *v);
    *n = 0;
    while (v && sqlite3_step(st) == SQLITE_ROW) {
        if (*n + 1 == cap) {
            char **w = realloc(v, 2 * cap * sizeof *v);
            if (!w) break;
            v = w;
            cap *= 2;
        }
        v[*n] = strdup(col_text(st, 0) ? col_text(st, 0) : "");
        if (v[*n]) (*n)++;
    }
    if (v) v[*n] = NULL;
    sqlite3_reset(st);
    return v;
}

static void list_free(char **v) {
    for (size_t i = 0; v && v[i]; i++) free(v[i]);
    free(v);
}

/* ------------------------------------------------------------ the table */

static int field_index(OGRFeatureDefnH d, const char *name, const char *what, const char *path, char **err) {
    int k = OGR_FD_GetFieldIndex(d, name);
    if (k < 0) *err = strfmt("%s: no column '%s' (%s)", path, name, what);
    return k;
}

/* Load the membership table into TEMP nu(code, name, type, population,
 * seat_lon, seat_lat, area_src) and mem(new_code, old_code). */
static int load_members(sqlite3 *db, const DeriveOptions *o, char **err) {
    OGRDataSourceH ds = OGROpen(o->members_path, 0, NULL);
    if (!ds) {
        *err = strfmt("cannot read %s: %s", o->members_path, CPLGetLastErrorMsg());
        return -1;
    }
    OGRLayerH layer = OGR_DS_GetLayer(ds, 0);
    OGRFeatureDefnH d = layer ? OGR_L_GetLayerDefn(layer) : NULL;
    int rc = -1;
    sqlite3_stmt *nu = NULL, *mem = NULL;
    if (!d) {
        *err = strfmt("%s has no table", o->members_path);
        goto done;
    }
    int k_code = field_index(d, o->code_col, "new code", o->members_path, err);
    int k_name = k_code < 0 ? -1 : field_index(d, o->name_col, "name", o->members_path, err);
    int k_mem = k_name < 0 ? -1 : field_index(d, o->members_col, "old codes", o->members_path, err);
    if (k_code < 0 || k_name < 0 || k_mem < 0) goto done;
    int k_pop = OGR_FD_GetFieldIndex(d, o->population_col), k_lon = OGR_FD_GetFieldIndex(d, o->seat_lon_col),
        k_lat = OGR_FD_GetFieldIndex(d, o->seat_lat_col), k_area = OGR_FD_GetFieldIndex(d, o->area_col);
    if (exec(db, err,
             "CREATE TEMP TABLE nu(code TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT, population REAL,"
             " seat_lon REAL, seat_lat REAL, area_src REAL);"
             "CREATE TEMP TABLE mem(new_code TEXT NOT NULL, old_code TEXT NOT NULL UNIQUE);") != 0)
        goto done;
    if (sqlite3_prepare_v2(db, "INSERT INTO nu VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &nu, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO mem VALUES (?1, ?2)", -1, &mem, NULL) != SQLITE_OK) {
        *err = strfmt("%s", sqlite3_errmsg(db));
        goto done;
    }
    OGRFeatureH f;
    long row = 0;
    while ((f = OGR_L_GetNextFeature(layer))) {
        row++;
        const char *code = OGR_F_GetFieldAsString(f, k_code), *name = OGR_F_GetFieldAsString(f, k_name);
        /* The unit type is the leading word(s) of a Vietnamese unit name. */
        static const char *const types[] = {"Thị trấn", "Phường", "Xã", "Đặc khu", NULL};
        const char *type = NULL;
        for (int t = 0; types[t] && !type; t++)
            if (!strncmp(name, types[t], strlen(types[t])) && name[strlen(types[t])] == ' ') type = types[t];
        sqlite3_reset(nu);
        sqlite3_bind_text(nu, 1, code, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(nu, 2, name, -1, SQLITE_TRANSIENT);
        if (type) sqlite3_bind_text(nu, 3, type, -1, SQLITE_STATIC);
        else sqlite3_bind_null(nu, 3);
        int ks[4] = {k_pop, k_lon, k_lat, k_area};
        for (int j = 0; j < 4; j++)
            if (ks[j] >= 0 && OGR_F_IsFieldSetAndNotNull(f, ks[j]) && *OGR_F_GetFieldAsString(f, ks[j]))
                sqlite3_bind_double(nu, 4 + j, OGR_F_GetFieldAsDouble(f, ks[j]));
            else sqlite3_bind_null(nu, 4 + j);
        int bad = !*code || sqlite3_step(nu) != SQLITE_DONE;
        if (bad) {
            *err = strfmt("%s row %ld: code '%s' empty or listed twice", o->members_path, row, code);
            OGR_F_Destroy(f);
            goto done;
        }
        char *list = CPLStrdup(OGR_F_GetFieldAsString(f, k_mem));
        char **items = CSLTokenizeString2(list, ";", CSLT_STRIPLEADSPACES | CSLT_STRIPENDSPACES);
        for (int j = 0; items && items[j]; j++) {
            char *colon = strchr(items[j], ':');
            if (colon) *colon = 0;
            if (!*items[j]) continue;
            sqlite3_reset(mem);
            sqlite3_bind_text(mem, 1, code, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(mem, 2, items[j], -1, SQLITE_TRANSIENT);
            if (sqlite3_step(mem) != SQLITE_DONE) {
                *err = strfmt("%s row %ld: old unit %s is listed by two new units", o->members_path, row, items[j]);
                bad = 1;
                break;
            }
        }
        CSLDestroy(items);
        CPLFree(list);
        OGR_F_Destroy(f);
        if (bad) goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(nu);
    sqlite3_finalize(mem);
    OGR_DS_Destroy(ds);
    return rc;
}

/* ---------------------------------------------------------------- steps */

/* Old units not listed: join the neighbour with the longest shared border,
 * own parent first.  Repeated passes let a chain of unlisted neighbours
 * attach one after another. */
static int assign_leftovers(sqlite3 *db, FILE *log, char **err) {
    if (exec(db, err,
             "CREATE TEMP TABLE absorbed(old_code TEXT PRIMARY KEY, new_code TEXT, border_m REAL,"
             " same_parent INTEGER);"
             "CREATE TEMP TABLE new_parent AS SELECT DISTINCT m.new_code AS code, s.parent_code AS parent"
             " FROM mem m JOIN src s ON s.code = m.old_code;") != 0)
        return -1;
    const char *pick =
        "SELECT u.code, ST_Length(ST_Intersection(ST_Boundary(s.g), ST_Buffer(u.g, ?2))) AS len,"
        "  EXISTS (SELECT 1 FROM new_parent p WHERE p.code = u.code AND p.parent = s.parent_code) AS same "
        "FROM u, src s WHERE s.code = ?1 AND MbrIntersects(ST_Buffer(u.g, ?2), s.g) "
        "ORDER BY (len > 0) DESC, same DESC, len DESC, u.code LIMIT 1";
    sqlite3_stmt *left = NULL, *best = NULL, *grow = NULL, *note = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT code, name, parent_code FROM src WHERE code NOT IN (SELECT old_code FROM mem)"
                           " AND code NOT IN (SELECT old_code FROM absorbed) ORDER BY code",
                           -1, &left, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, pick, -1, &best, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "UPDATE u SET g = ST_Union(g, (SELECT g FROM src WHERE code = ?2)) WHERE code = ?1",
                           -1, &grow, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO absorbed VALUES (?1, ?2, ?3, ?4)", -1, &note, NULL) != SQLITE_OK) {
        *err = strfmt("%s", sqlite3_errmsg(db));
        goto done;
    }
    for (int pass = 0;; pass++) {
        int assigned = 0, remaining = 0;
        size_t n = 0;
        char **codes = column_list(left, &n);
        if (!codes) goto done;
        for (size_t i = 0; i < n; i++) {
            sqlite3_reset(best);
            sqlite3_bind_text(best, 1, codes[i], -1, SQLITE_STATIC);
            sqlite3_bind_double(best, 2, DERIVE_BORDER_TOL_M);
            if (sqlite3_step(best) != SQLITE_ROW || sqlite3_column_double(best, 1) <= 0) {
                remaining++;
                continue;
            }
            char target[64];
            snprintf(target, sizeof target, "%s", col_text(best, 0));
            double len = sqlite3_column_double(best, 1);
            int same = sqlite3_column_int(best, 2);
            sqlite3_reset(best);
            sqlite3_reset(grow);
            sqlite3_bind_text(grow, 1, target, -1, SQLITE_STATIC);
            sqlite3_bind_text(grow, 2, codes[i], -1, SQLITE_STATIC);
            sqlite3_reset(note);
            sqlite3_bind_text(note, 1, codes[i], -1, SQLITE_STATIC);
            sqlite3_bind_text(note, 2, target, -1, SQLITE_STATIC);
            sqlite3_bind_double(note, 3, len);
            sqlite3_bind_int(note, 4, same);
            if (sqlite3_step(grow) != SQLITE_DONE || sqlite3_step(note) != SQLITE_DONE) {
                *err = strfmt("%s", sqlite3_errmsg(db));
                list_free(codes);
                goto done;
            }
            if (log)
                fprintf(log, "derive: %s joins %s (shared border %.0f m%s)\n", codes[i], target, len,
                        same ? ", same parent" : ", other parent");
            assigned++;
        }
        if (remaining && !assigned)
            *err = strfmt("%d old unit(s) share no border with any new unit (first: %s)", remaining, codes[0]);
        list_free(codes);
        if (!remaining) break;
        if (!assigned) goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(left);
    sqlite3_finalize(best);
    sqlite3_finalize(grow);
    sqlite3_finalize(note);
    return rc;
}

/* Clip to the frame and make the units disjoint (first code keeps an
 * overlap); record what each lost. */
static int clip_disjoint(sqlite3 *db, char **err) {
    if (exec(db, err,
             "ALTER TABLE u ADD COLUMN overlap_m2 REAL DEFAULT 0;"
             "ALTER TABLE u ADD COLUMN gap_m2 REAL DEFAULT 0;"
             "UPDATE u SET g = CastToMultiPolygon(CollectionExtract(ST_Intersection(g, (SELECT g FROM frame)), 3));"
             "CREATE TEMP TABLE acc(g BLOB);"
             "INSERT INTO acc VALUES (NULL);") != 0)
        return -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT code FROM u ORDER BY code", -1, &st, NULL) != SQLITE_OK) {
        *err = strfmt("%s", sqlite3_errmsg(db));
        return -1;
    }
    size_t n = 0;
    char **codes = column_list(st, &n);
    sqlite3_finalize(st);
    if (!codes) return -1;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = exec(db, err,
                 "UPDATE u SET overlap_m2 = ST_Area(g) - coalesce(ST_Area(CASE WHEN (SELECT g FROM acc) IS NULL THEN g"
                 "   ELSE ST_Difference(g, (SELECT g FROM acc)) END), 0),"
                 " g = CASE WHEN (SELECT g FROM acc) IS NULL THEN g"
                 "   ELSE CastToMultiPolygon(CollectionExtract(ST_Difference(g, (SELECT g FROM acc)), 3)) END"
                 " WHERE code = %Q;"
                 "UPDATE acc SET g = CASE WHEN g IS NULL THEN (SELECT g FROM u WHERE code = %Q)"
                 "  ELSE ST_Union(g, (SELECT g FROM u WHERE code = %Q)) END;",
                 codes[i], codes[i], codes[i]);
    list_free(codes);
    return rc;
}

/* Each piece of the frame no unit covers joins a unit.  A piece larger than
 * DERIVE_GAP_MATCH_M2 (an area no old unit lists, e.g. a military zone) goes
 * to the touching unit whose published area exceeds its derived area the
 * most, when that shortfall is at least half the piece: the published
 * areas say where the land belongs.  Every other piece (the slivers between
 * hand-digitised polygons) joins the unit with the longest shared border,
 * else the nearest.  Large pieces go first, largest first, each seeing the
 * units as grown by the ones before. */
#define DERIVE_GAP_MATCH_M2 1e6

static int fill_gaps(sqlite3 *db, FILE *log, char **err) {
    if (exec(db, err,
             "CREATE TEMP TABLE gap AS SELECT ST_Difference((SELECT g FROM frame), (SELECT g FROM acc)) AS g;"
             "CREATE TEMP TABLE gap_part AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
             "  WHERE i < (SELECT coalesce(ST_NumGeometries(g), 0) FROM gap))"
             "  SELECT i, ST_GeometryN((SELECT g FROM gap), i) AS g FROM n"
             "  WHERE (SELECT g FROM gap) IS NOT NULL AND NOT ST_IsEmpty((SELECT g FROM gap));"
             "DELETE FROM gap_part WHERE g IS NULL OR GeometryType(g) NOT LIKE '%%POLYGON%%';"
             "ALTER TABLE gap_part ADD COLUMN code TEXT;"
             "ALTER TABLE u ADD COLUMN big_gap INTEGER DEFAULT 0;"
             "CREATE TEMP TABLE ubuf AS SELECT code, ST_Buffer(g, %f) AS b FROM u;",
             DERIVE_BORDER_TOL_M) != 0)
        return -1;
    sqlite3_stmt *big = NULL, *pick = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "SELECT i, ST_Area(g) FROM gap_part WHERE ST_Area(g) > ?1 ORDER BY ST_Area(g) DESC, i",
                           -1, &big, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT ub.code, nu.area_src * 1e6 - ST_Area(u.g) AS short,"
                           "  ST_Length(ST_Intersection(ST_Boundary(p.g), ub.b)) AS len"
                           " FROM gap_part p JOIN ubuf ub ON MbrIntersects(ub.b, p.g) JOIN u ON u.code = ub.code"
                           " JOIN nu ON nu.code = ub.code WHERE p.i = ?1 AND len > 0"
                           " ORDER BY (coalesce(short, 0) >= ?2 / 2) DESC,"
                           "  CASE WHEN coalesce(short, 0) >= ?2 / 2 THEN short ELSE len END DESC, ub.code LIMIT 1",
                           -1, &pick, NULL) != SQLITE_OK) {
        *err = strfmt("%s", sqlite3_errmsg(db));
        goto done;
    }
    sqlite3_bind_double(big, 1, DERIVE_GAP_MATCH_M2);
    while (sqlite3_step(big) == SQLITE_ROW) {
        long long i = sqlite3_column_int64(big, 0);
        double area = sqlite3_column_double(big, 1);
        sqlite3_reset(pick);
        sqlite3_bind_int64(pick, 1, i);
        sqlite3_bind_double(pick, 2, area);
        if (sqlite3_step(pick) != SQLITE_ROW) continue; /* touches nothing: the bulk step's nearest rule */
        char code[64];
        snprintf(code, sizeof code, "%s", col_text(pick, 0));
        double shortfall = sqlite3_column_double(pick, 1);
        sqlite3_reset(pick);
        if (log)
            fprintf(log, "derive: unlisted area of %.2f km2 joins %s (%s)\n", area / 1e6, code,
                    shortfall >= area / 2 ? "its published area lacks it" : "longest shared border");
        if (exec(db, err,
                 "UPDATE gap_part SET code = %Q WHERE i = %lld;"
                 "UPDATE u SET big_gap = 1, gap_m2 = coalesce(gap_m2, 0) + %f,"
                 "  g = CastToMultiPolygon(CollectionExtract(ST_Union(g, (SELECT g FROM gap_part WHERE i = %lld)), 3))"
                 "  WHERE code = %Q;"
                 "UPDATE ubuf SET b = ST_Buffer((SELECT g FROM u WHERE u.code = ubuf.code), %f) WHERE code = %Q;",
                 code, i, area, i, code, DERIVE_BORDER_TOL_M, code) != 0)
            goto done;
    }
    rc = exec(db, err,
              "CREATE TEMP TABLE gap_cand AS SELECT p.i, ub.code,"
              "  ST_Length(ST_Intersection(ST_Boundary(p.g), ub.b)) AS len"
              "  FROM gap_part p JOIN ubuf ub ON MbrIntersects(ub.b, p.g) WHERE p.code IS NULL;"
              "CREATE TEMP TABLE gap_pick AS SELECT i, code FROM (SELECT i, code,"
              "  row_number() OVER (PARTITION BY i ORDER BY len DESC, code) AS rn FROM gap_cand WHERE len > 0)"
              "  WHERE rn = 1;"
              "INSERT INTO gap_pick SELECT i, code FROM (SELECT p.i, u.code,"
              "  row_number() OVER (PARTITION BY p.i ORDER BY ST_Distance(u.g, p.g), u.code) AS rn"
              "  FROM gap_part p, u WHERE p.code IS NULL AND p.i NOT IN (SELECT i FROM gap_pick)) WHERE rn = 1;"
              "UPDATE gap_part SET code = (SELECT code FROM gap_pick WHERE gap_pick.i = gap_part.i)"
              "  WHERE code IS NULL;"
              "UPDATE u SET gap_m2 = coalesce(gap_m2, 0) + (SELECT sum(ST_Area(p.g)) FROM gap_part p"
              "    JOIN gap_pick k ON k.i = p.i WHERE k.code = u.code),"
              "  g = CastToMultiPolygon(CollectionExtract(ST_Union(g, (SELECT ST_Union(p.g) FROM gap_part p"
              "    JOIN gap_pick k ON k.i = p.i WHERE k.code = u.code)), 3))"
              "  WHERE code IN (SELECT code FROM gap_pick);");
done:
    sqlite3_finalize(big);
    sqlite3_finalize(pick);
    return rc;
}

/* --------------------------------------------------------------- output */

/* GeoJSON dataset at path (a /vsimem/ file: gdal_out.h). */
static OGRLayerH create_geojson(const char *path, const char *name, GDALDatasetH *ds, char **err) {
    GDALDriverH drv = GDALGetDriverByName("GeoJSON");
    *ds = drv ? GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL) : NULL;
    if (!*ds) {
        *err = strfmt("cannot create %s: %s", path, CPLGetLastErrorMsg());
        return NULL;
    }
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 4326);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER); /* the WKB is lon/lat */
    /* Full precision, not RFC 7946's 7 decimals: MakeValid's new nodes are
     * off the grid, and rounding them again would pinch slivers anew. */
    OGRLayerH l = GDALDatasetCreateLayer(*ds, name, srs, wkbMultiPolygon, NULL);
    OSRDestroySpatialReference(srs);
    if (!l) *err = strfmt("cannot create a layer in %s", path);
    return l;
}

static void add_field(OGRLayerH l, const char *name, OGRFieldType t) {
    OGRFieldDefnH f = OGR_Fld_Create(name, t);
    OGR_L_CreateField(l, f, TRUE);
    OGR_Fld_Destroy(f);
}

/* Set field k from a SQL column, NULL staying unset. */
static void set_from(OGRFeatureH f, int k, sqlite3_stmt *st, int c) {
    switch (sqlite3_column_type(st, c)) {
    case SQLITE_NULL: OGR_F_SetFieldNull(f, k); break;
    case SQLITE_INTEGER: OGR_F_SetFieldInteger64(f, k, sqlite3_column_int64(st, c)); break;
    case SQLITE_FLOAT: OGR_F_SetFieldDouble(f, k, sqlite3_column_double(st, c)); break;
    default: OGR_F_SetFieldString(f, k, col_text(st, c)); break;
    }
}

/* Write the rows of `sql` (attribute columns, then WKB last) as GeoJSON. */
static int write_geojson(sqlite3 *db, const char *out_path, const char *name, const char *sql,
                         const char *const *fields, const OGRFieldType *types, int nf, char **err) {
    char path[96];
    gdalout_mem_path(path, sizeof path, "geojson");
    GDALDatasetH ds = NULL;
    OGRLayerH l = create_geojson(path, name, &ds, err);
    if (!l) {
        if (ds) GDALClose(ds);
        return -1;
    }
    for (int k = 0; k < nf; k++) add_field(l, fields[k], types[k]);
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        *err = strfmt("%s", sqlite3_errmsg(db));
        rc = -1;
    }
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        for (int k = 0; k < nf; k++) set_from(f, k, st, k);
        OGRGeometryH g = NULL;
        const void *wkb = sqlite3_column_blob(st, nf);
        if (wkb && OGR_G_CreateFromWkb(wkb, NULL, &g, sqlite3_column_bytes(st, nf)) == OGRERR_NONE) {
            OGR_F_SetGeometryDirectly(f, g);
        }
        if (OGR_L_CreateFeature(l, f) != OGRERR_NONE) {
            *err = strfmt("cannot write %s: %s", out_path, CPLGetLastErrorMsg());
            rc = -1;
        }
        OGR_F_Destroy(f);
    }
    sqlite3_finalize(st);
    GDALClose(ds);
    if (rc == 0) return gdalout_save(path, out_path, err);
    VSIUnlink(path);
    return rc;
}

/* Population per parent of the old units, by area drawn from each. */
static int write_apportion(sqlite3 *db, const DeriveOptions *o, char **err) {
    GDALDriverH drv = GDALGetDriverByName("CSV");
    char path[96];
    gdalout_mem_path(path, sizeof path, "csv");
    GDALDatasetH ds = drv ? GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL) : NULL;
    OGRLayerH l = ds ? GDALDatasetCreateLayer(ds, "population", NULL, wkbNone, NULL) : NULL;
    if (!l) {
        *err = strfmt("cannot create %s: %s", o->out_apportion, CPLGetLastErrorMsg());
        if (ds) GDALClose(ds);
        return -1;
    }
    add_field(l, "code", OFTString);
    add_field(l, "name", OFTString);
    add_field(l, "population", OFTInteger64);
    add_field(l, "population_year", OFTInteger);
    add_field(l, "new_units", OFTInteger);
    add_field(l, "new_units_split", OFTInteger);
    char *sql = sqlite3_mprintf(
        "WITH parts AS (SELECT m.new_code, s.parent_code, ST_Area(s.g) AS a FROM mem m JOIN src s ON s.code = m.old_code"
        "  UNION ALL SELECT b.new_code, s.parent_code, ST_Area(s.g) FROM absorbed b JOIN src s ON s.code = b.old_code),"
        " tot AS (SELECT new_code, sum(a) AS t, count(DISTINCT parent_code) AS np FROM parts GROUP BY new_code),"
        " share AS (SELECT p.new_code, p.parent_code, sum(p.a) / t.t AS f, t.np FROM parts p JOIN tot t USING (new_code)"
        "  GROUP BY p.new_code, p.parent_code) "
        "SELECT sh.parent_code, (SELECT name FROM admin_unit WHERE layout = %Q AND code = sh.parent_code"
        "  ORDER BY level LIMIT 1), round(sum(nu.population * sh.f)), count(*), sum(sh.np > 1) "
        "FROM share sh JOIN nu ON nu.code = sh.new_code GROUP BY sh.parent_code ORDER BY sh.parent_code",
        o->from_layout);
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        *err = strfmt("%s", sqlite3_errmsg(db));
        rc = -1;
    }
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        set_from(f, 0, st, 0);
        set_from(f, 1, st, 1);
        OGR_F_SetFieldInteger64(f, 2, sqlite3_column_int64(st, 2));
        if (o->population_year) OGR_F_SetFieldInteger(f, 3, o->population_year);
        OGR_F_SetFieldInteger(f, 4, sqlite3_column_int(st, 3));
        OGR_F_SetFieldInteger(f, 5, sqlite3_column_int(st, 4));
        if (OGR_L_CreateFeature(l, f) != OGRERR_NONE) rc = -1;
        OGR_F_Destroy(f);
    }
    sqlite3_finalize(st);
    sqlite3_free(sql);
    GDALClose(ds);
    if (rc == 0) return gdalout_save(path, o->out_apportion, err);
    VSIUnlink(path);
    return rc;
}

/* ----------------------------------------------------------------- main */

int layout_derive(sqlite3 *db, const DeriveOptions *o, FILE *log, char **err) {
    *err = NULL;
    GDALAllRegister();
    /* The frame: the old layout's own equal-area frame (coverage_grid.h). */
    double bbox[4] = {0};
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom)),"
                           " count(*) FROM admin_unit WHERE layout = ?1 AND level_name = ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        *err = strfmt("%s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_text(st, 1, o->from_layout, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, o->level, -1, SQLITE_STATIC);
    int units = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 4) : 0;
    for (int k = 0; k < 4; k++) bbox[k] = sqlite3_column_double(st, k);
    sqlite3_finalize(st);
    if (!units) {
        *err = strfmt("layout '%s' has no %s units to derive from", o->from_layout, o->level);
        return -1;
    }
    CovGrid *g = cov_grid_new(0.5 * (bbox[0] + bbox[2]), 0.5 * (bbox[1] + bbox[3]), err);
    if (!g) return -1;
    char proj[200];
    snprintf(proj, sizeof proj, "%s", cov_grid_crs(g));
    cov_grid_free(g);
    if (log) fprintf(log, "derive: %d %s units of layout %s, frame %s\n", units, o->level, o->from_layout, proj);

    /* Old units, projected and valid; the frame = the layout's provinces
     * (else the union of its units). */
    if (exec(db, err,
             "CREATE TEMP TABLE src AS SELECT code, name, parent_code,"
             " ST_Transform(geom, 0, NULL, 'EPSG:4326', %Q) AS g FROM admin_unit"
             " WHERE layout = %Q AND level_name = %Q AND geom IS NOT NULL;"
             "UPDATE src SET g = ST_Buffer(g, 0) WHERE NOT ST_IsValid(g);"
             "CREATE TEMP TABLE frame AS SELECT ST_Union(ST_Transform(geom, 0, NULL, 'EPSG:4326', %Q)) AS g"
             " FROM admin_unit WHERE layout = %Q AND level_name = 'province';"
             "UPDATE frame SET g = (SELECT ST_Union(g) FROM src) WHERE g IS NULL;",
             proj, o->from_layout, o->level, proj, o->from_layout) != 0)
        return -1;
    if (load_members(db, o, err) != 0) return -1;

    /* Every listed old code must exist, every new unit must list some. */
    sqlite3_stmt *chk = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT 'old unit ' || old_code || ' (of ' || new_code || ') is not in the layout' FROM mem"
                           " WHERE old_code NOT IN (SELECT code FROM src) UNION ALL"
                           " SELECT 'new unit ' || code || ' lists no old unit' FROM nu"
                           " WHERE code NOT IN (SELECT new_code FROM mem) LIMIT 1",
                           -1, &chk, NULL) == SQLITE_OK &&
        sqlite3_step(chk) == SQLITE_ROW) {
        *err = strfmt("%s: %s", o->members_path, col_text(chk, 0));
        sqlite3_finalize(chk);
        return -1;
    }
    sqlite3_finalize(chk);

    if (exec(db, err,
             "CREATE TEMP TABLE u AS SELECT m.new_code AS code, ST_Union(s.g) AS g FROM mem m"
             " JOIN src s ON s.code = m.old_code GROUP BY m.new_code;") != 0 ||
        assign_leftovers(db, log, err) != 0 || clip_disjoint(db, err) != 0 || fill_gaps(db, log, err) != 0)
        return -1;

    /* Back to lon/lat, on a 1e-6 degree grid (0.1 m: shared vertices snap
     * alike, so neighbours stay edge to edge, and hair-thin slivers go),
     * repaired where snapping or reprojection pinched one (RTTOPO's
     * MakeValid). */
    if (exec(db, err,
             "CREATE TEMP TABLE out AS SELECT code, overlap_m2, gap_m2, big_gap,"
             " CastToMultiPolygon(CollectionExtract(ST_MakeValid(ST_SnapToGrid("
             "   ST_Transform(g, 4326, NULL, %Q, 'EPSG:4326'), 0.000001)), 3)) AS g FROM u;"
             "CREATE TEMP TABLE frame4326 AS SELECT ST_Union(geom) AS g FROM admin_unit"
             " WHERE layout = %Q AND level_name = 'province';",
             proj, o->from_layout) != 0)
        return -1;

    /* The tiling check, on the geometries written (geodesic areas). */
    double frame_km2 = query_num(db, "SELECT ST_Area(g, 1) / 1e6 FROM frame4326");
    if (!isfinite(frame_km2)) frame_km2 = query_num(db, "SELECT ST_Area(ST_Union(g), 1) / 1e6 FROM out");
    double sum_km2 = query_num(db, "SELECT sum(ST_Area(g, 1)) / 1e6 FROM out");
    double overlap_km2 = query_num(db,
                                   "SELECT coalesce(sum(ST_Area(ST_Intersection(a.g, b.g), 1)), 0) / 1e6 FROM out a, out b"
                                   " WHERE a.code < b.code AND MbrIntersects(a.g, b.g) AND ST_Overlaps(a.g, b.g)");
    double invalid = query_num(db, "SELECT count(*) FROM out WHERE g IS NULL OR NOT ST_IsValid(g)");
    double gap_km2 = query_num(db, "SELECT coalesce(sum(gap_m2), 0) / 1e6 FROM u");
    double clipped_km2 = query_num(db, "SELECT coalesce(sum(overlap_m2), 0) / 1e6 FROM u");
    double published_km2 = query_num(db, "SELECT sum(area_src) FROM nu");
    double rel = fabs(sum_km2 - frame_km2) / frame_km2;
    int absorbed = (int)query_num(db, "SELECT count(*) FROM absorbed");
    int n_new = (int)query_num(db, "SELECT count(*) FROM u");
    int pieces = (int)query_num(db, "SELECT count(*) FROM gap_part");
    if (log) {
        fprintf(log,
                "derive: %d new units; %d old units absorbed by border; overlaps removed %.3f km2, gaps filled "
                "%.3f km2 in %d pieces\n",
                n_new, absorbed, clipped_km2, gap_km2, pieces);
        fprintf(log,
                "derive: tiling check (geodesic areas of the output): units sum %.3f km2, province %.3f km2 "
                "(difference %.4f %%, limit %.1f %%), pairwise overlap %.6f km2, invalid geometries %.0f; "
                "published areas sum %.2f km2\n",
                sum_km2, frame_km2, 100 * rel, 100 * DERIVE_MAX_AREA_GAP, overlap_km2, invalid, published_km2);
    }

    /* Outputs, back in lon/lat. */
    static const char *const ufields[] = {"code", "name", "type", "parent_code", "population", "population_year",
                                          "seat_lon", "seat_lat", "area_km2", "area_km2_source", "approximate",
                                          "members", "absorbed", "gap_km2", "overlap_removed_km2"};
    static const OGRFieldType utypes[] = {OFTString, OFTString, OFTString, OFTString, OFTInteger64,
                                          OFTInteger, OFTReal,  OFTReal,   OFTReal,   OFTReal,
                                          OFTInteger, OFTString, OFTString, OFTReal,  OFTReal};
    char *usql = sqlite3_mprintf(
        "SELECT nu.code, nu.name, nu.type,"
        " (SELECT code FROM admin_unit WHERE layout = %Q AND level_name = 'province' ORDER BY code LIMIT 1),"
        " CAST(round(nu.population) AS INTEGER), %d, nu.seat_lon, nu.seat_lat, round(ST_Area(o.g, 1) / 1e6, 3),"
        " nu.area_src, EXISTS (SELECT 1 FROM absorbed b WHERE b.new_code = nu.code) OR o.big_gap,"
        " (SELECT group_concat(old_code, ';') FROM (SELECT old_code FROM mem WHERE new_code = nu.code ORDER BY 1)),"
        " (SELECT group_concat(old_code, ';') FROM (SELECT old_code FROM absorbed WHERE new_code = nu.code ORDER BY 1)),"
        " round(coalesce(o.gap_m2, 0) / 1e6, 4), round(coalesce(o.overlap_m2, 0) / 1e6, 4), AsBinary(o.g)"
        " FROM nu JOIN out o USING (code) ORDER BY nu.code",
        o->from_layout, o->population_year);
    int rc = write_geojson(db, o->out_units, "communes", usql, ufields, utypes, 15, err);
    sqlite3_free(usql);
    if (rc == 0 && o->out_frame) {
        static const char *const ffields[] = {"code", "name", "type", "population", "population_year"};
        static const OGRFieldType ftypes[] = {OFTString, OFTString, OFTString, OFTInteger64, OFTInteger};
        char *fsql = sqlite3_mprintf(
            "SELECT a.code, a.name, a.type, (SELECT CAST(round(sum(population)) AS INTEGER) FROM nu), %d,"
            " AsBinary(CastToMultiPolygon(a.geom)) FROM admin_unit a WHERE a.layout = %Q AND a.level_name = 'province'"
            " ORDER BY a.code",
            o->population_year, o->from_layout);
        rc = write_geojson(db, o->out_frame, "province", fsql, ffields, ftypes, 5, err);
        sqlite3_free(fsql);
    }
    if (rc == 0 && o->out_apportion) rc = write_apportion(db, o, err);
    exec(db, err,
         "DROP TABLE IF EXISTS src; DROP TABLE IF EXISTS frame; DROP TABLE IF EXISTS nu; DROP TABLE IF EXISTS mem;"
         "DROP TABLE IF EXISTS u; DROP TABLE IF EXISTS absorbed; DROP TABLE IF EXISTS new_parent;"
         "DROP TABLE IF EXISTS acc; DROP TABLE IF EXISTS gap; DROP TABLE IF EXISTS gap_part;"
         "DROP TABLE IF EXISTS ubuf; DROP TABLE IF EXISTS gap_cand; DROP TABLE IF EXISTS gap_pick;"
         "DROP TABLE IF EXISTS out; DROP TABLE IF EXISTS frame4326;");
    if (rc != 0) return -1;
    free(*err);
    *err = NULL;
    if (!(rel <= DERIVE_MAX_AREA_GAP) || !(overlap_km2 <= DERIVE_MAX_OVERLAP * frame_km2) || invalid > 0) {
        *err = strfmt("tiling check failed: area difference %.3f %%, overlap %.6f km2, %.0f invalid", 100 * rel,
                       overlap_km2, invalid);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ population */

/* Cell k of f as an integer in min..max into *out: NULL, or why it is not
 * one.  Text must be plain digits (surrounding spaces aside): "", "-5",
 * "abc" and "12.7" are refused, never read as 0 or rounded. */
static const char *whole_number(OGRFeatureH f, int k, long long min, long long max, long long *out) {
    if (!OGR_F_IsFieldSetAndNotNull(f, k)) return "is empty";
    OGRFieldType t = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, k));
    if (t == OFTInteger || t == OFTInteger64) {
        *out = OGR_F_GetFieldAsInteger64(f, k);
    } else if (t == OFTReal) {
        double d = OGR_F_GetFieldAsDouble(f, k);
        if (!isfinite(d) || d != floor(d)) return "is not an integer";
        if (d < (double)min || d > (double)max) return d < 0 ? "is negative" : "is out of range";
        *out = (long long)d;
    } else {
        const char *s = OGR_F_GetFieldAsString(f, k);
        s += strspn(s, " \t");
        size_t n = strspn(s, "0123456789");
        if (!*s) return "is empty";
        if (s[n] && s[n + strspn(s + n, " \t")]) {
            if (*s == '-' && s[1] >= '0' && s[1] <= '9') return "is negative";
            return s[n] == '.' && n ? "is not an integer" : "is not a non-negative integer";
        }
        if (n > 18) return "is out of range";
        *out = strtoll(s, NULL, 10);
    }
    if (*out < min) return *out < 0 ? "is negative" : "is out of range";
    return *out > max ? "is out of range" : NULL;
}

int layout_set_population(sqlite3 *db, const char *layout, const char *level, const char *path, FILE *log,
                          char **err) {
    *err = NULL;
    GDALAllRegister();
    OGRDataSourceH ds = OGROpen(path, 0, NULL);
    OGRLayerH l = ds ? OGR_DS_GetLayer(ds, 0) : NULL;
    if (!l) {
        *err = strfmt("cannot read %s: %s", path, CPLGetLastErrorMsg());
        if (ds) OGR_DS_Destroy(ds);
        return -1;
    }
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    int kc = OGR_FD_GetFieldIndex(d, "code"), kp = OGR_FD_GetFieldIndex(d, "population"),
        ky = OGR_FD_GetFieldIndex(d, "population_year");
    if (kc < 0 || kp < 0) {
        *err = strfmt("%s needs columns code and population", path);
        OGR_DS_Destroy(ds);
        return -1;
    }
    sqlite3_stmt *up = NULL, *has = NULL;
    int rc = -1;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO coverage_population(layout, level_name, code, population, population_year, source)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (layout, level_name, code) DO UPDATE SET"
                           " population = excluded.population, population_year = excluded.population_year,"
                           " source = excluded.source WHERE population IS NOT excluded.population"
                           " OR population_year IS NOT excluded.population_year OR source IS NOT excluded.source",
                           -1, &up, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT 1 FROM admin_unit WHERE layout = ?1 AND level_name = ?2 AND code = ?3", -1,
                           &has, NULL) != SQLITE_OK) {
        *err = strfmt("%s", sqlite3_errmsg(db));
        goto done;
    }
    OGRFeatureH f;
    long updated = 0, unchanged = 0, rejected = 0, row = 0;
    while ((f = OGR_L_GetNextFeature(l))) {
        const char *code = OGR_F_GetFieldAsString(f, kc);
        long long pop = 0, year = 0;
        const char *why = whole_number(f, kp, 0, 9000000000LL, &pop), *what = "population";
        int has_year = !why && ky >= 0 && OGR_F_IsFieldSetAndNotNull(f, ky) && *OGR_F_GetFieldAsString(f, ky);
        if (has_year && (why = whole_number(f, ky, 1000, 9999, &year)) != NULL) what = "population_year";
        row++;
        if (why) {
            /* a bad figure is reported and its row left as it is */
            if (log)
                fprintf(log, "rejected: row %ld (code %s): %s '%s' %s\n", row, code, what,
                        OGR_F_GetFieldAsString(f, !strcmp(what, "population") ? kp : ky), why);
            rejected++;
            OGR_F_Destroy(f);
            continue;
        }
        sqlite3_stmt *sts[2] = {has, up};
        for (int k = 0; k < 2; k++) {
            sqlite3_reset(sts[k]);
            sqlite3_bind_text(sts[k], 1, layout, -1, SQLITE_STATIC);
            sqlite3_bind_text(sts[k], 2, level, -1, SQLITE_STATIC);
            sqlite3_bind_text(sts[k], 3, code, -1, SQLITE_TRANSIENT);
        }
        sqlite3_bind_int64(up, 4, (sqlite3_int64)pop);
        if (has_year) sqlite3_bind_int64(up, 5, (sqlite3_int64)year);
        else sqlite3_bind_null(up, 5);
        const char *base = strrchr(path, '/');
        sqlite3_bind_text(up, 6, base ? base + 1 : path, -1, SQLITE_TRANSIENT);
        int ok = sqlite3_step(has) == SQLITE_ROW && sqlite3_step(up) == SQLITE_DONE;
        if (!ok) *err = strfmt("%s: no %s unit %s in layout %s", path, level, code, layout);
        else if (sqlite3_changes(db)) updated++;
        else unchanged++;
        OGR_F_Destroy(f);
        if (!ok) goto done;
    }
    /* data_version moves only when something changed (re-runs are no-ops) */
    if ((updated && store_bump_data_version(db) != SQLITE_OK) ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        *err = strfmt("%s", sqlite3_errmsg(db));
        goto done;
    }
    if (log)
        fprintf(log, "population: %ld read, %ld updated, %ld unchanged, %ld rejected (layout %s, %s units, from %s)\n",
                row, updated, unchanged, rejected, layout, level, path);
    rc = 0;
done:
    if (rc) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(up);
    sqlite3_finalize(has);
    OGR_DS_Destroy(ds);
    return rc;
}
