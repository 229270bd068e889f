/* ingest_record.c — one source row to one validated record: canonical
 * fields, value maps, coordinates (parse, transform, region, lat/lon swap),
 * admin placement, and for admin units their geometry (valid MULTIPOLYGON,
 * point on surface, geodesic area). */
#include "store/admin_locate.h"
#include "ingest/ingest_internal.h"
#include "store/store.h"
#include "base/text.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void record_free(Record *rec) {
    if (rec->orig)
        for (int i = 0; i < rec->norig; i++) free(rec->orig[i]);
    free(rec->orig);
    for (int f = 0; f < FLD_COUNT; f++) free(rec->s[f]);
    free(rec->extra);
    free(rec->wkb);
    free(rec->level_name);
    int rejected = rec->rejected;
    memset(rec, 0, sizeof *rec);
    rec->rejected = rejected;
}

static void vreject(RecordContext *ctx, Record *rec, const char *kind, const char *fmt, va_list ap) {
    char reason[1024];
    vsnprintf(reason, sizeof reason, fmt, ap);
    IngestReport *r = ctx->report;
    ing_issue(r, INGEST_REJECT, kind, rec->source, rec->row, rec->s[FLD_CODE], "%s", reason);
    ing_report_reject_row(r, rec->header, rec->orig, rec->norig, reason);
    r->rejected++;
    record_free(rec);
    rec->rejected = 1;
}

void record_reject(RecordContext *ctx, Record *rec, const char *kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreject(ctx, rec, kind, fmt, ap);
    va_end(ap);
}

static void warn(RecordContext *ctx, const Record *rec, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void warn(RecordContext *ctx, const Record *rec, const char *kind, const char *fmt, ...) {
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    ing_issue(ctx->report, INGEST_WARNING, kind, rec->source, rec->row, rec->s[FLD_CODE], "%s", reason);
}

/* Cell of field f, trimmed, or NULL when the field has no column or the
 * cell is blank. */
static char *cell(const RecordContext *ctx, const Record *rec, Field f) {
    int c = ctx->binding->col[f];
    if (c < 0 || c >= rec->norig || ing_blank(rec->orig[c])) return NULL;
    char *v = strdup(rec->orig[c]);
    return v ? text_trim(v) : NULL;
}

/* Split a list cell into a JSON array text: ["a","b"].  Separator from the
 * mapping, else "|" (the shipped CSV uses " | "); parts are trimmed. */
static char *json_list(const char *value, const char *sep) {
    if (!sep || !*sep) sep = "|";
    cJSON *arr = cJSON_CreateArray();
    if (!arr) return NULL;
    char *copy = strdup(value);
    for (char *p = copy; p;) {
        char *next = strstr(p, sep);
        if (next) *next = '\0';
        char *part = text_trim(p);
        if (*part) cJSON_AddItemToArray(arr, cJSON_CreateString(part));
        p = next ? next + strlen(sep) : NULL;
        /* text_trim may have trimmed a separator made of blanks: fine. */
    }
    free(copy);
    char *out = cJSON_GetArraySize(arr) ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    return out;
}

/* The unmapped, non-empty cells as a JSON object text, or NULL. */
static char *extra_json(const RecordContext *ctx, const Record *rec) {
    cJSON *obj = NULL;
    for (int i = 0; i < rec->norig && i < ctx->binding->ncols; i++) {
        if (ctx->binding->used[i] || ing_blank(rec->orig[i])) continue;
        if (!obj && !(obj = cJSON_CreateObject())) return NULL;
        cJSON_AddItemToObject(obj, ctx->source->names[i], cJSON_CreateString(rec->orig[i]));
    }
    if (!obj) return NULL;
    char *out = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    return out;
}

/* Kind from the institution's name when no kind column says it. */
static const char *kind_from_name(const char *name) {
    char *f = text_fold(name);
    const char *k = "other";
    if (f && strstr(f, "cao dang")) k = "college";
    else if (f && strstr(f, "trung cap")) k = "intermediate_school";
    else if (f && (strstr(f, "trung tam") || strstr(f, "gdnn"))) k = "vet_centre";
    free(f);
    return k;
}

/* Set s[f] to the canonical value of an enumerated field. */
static void enum_field(RecordContext *ctx, Record *rec, Field f, const char *fallback) {
    char *raw = rec->s[f];
    if (!raw) {
        rec->s[f] = ing_strdup(fallback);
        return;
    }
    const char *v = mapping_value(ctx->mapping, f, raw);
    if (!v) {
        warn(ctx, rec, "unknown_value", "%s \"%s\" is not known; stored as \"%s\" (add it to the mapping's "
             "\"values\")", field_name(f), raw, fallback);
        v = fallback;
    }
    rec->s[f] = ing_strdup(v);
    free(raw);
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Read the text fields of the collection, defaults applied. */
static void read_fields(RecordContext *ctx, Record *rec) {
    for (int f = 0; f < FLD_COUNT; f++) {
        if (!field_in_collection((Field)f, ctx->opt->collection)) continue;
        rec->s[f] = cell(ctx, rec, (Field)f);
        if (!rec->s[f] && ctx->mapping->defaults[f] && f != FLD_LOCATION_PRECISION)
            rec->s[f] = strdup(ctx->mapping->defaults[f]);
    }
}

/* ------------------------------------------------------------ coordinates */

typedef enum { XY_NONE, XY_OK, XY_REJECTED } XyResult;

/* Parse the x/y cells of field fx/fy into source-CRS numbers. */
static XyResult parse_xy(RecordContext *ctx, Record *rec, Field fx, Field fy, double *x, double *y) {
    double v[2];
    int got[2];
    Field fs[2] = {fx, fy};
    for (int i = 0; i < 2; i++) {
        int c = ctx->binding->col[fs[i]];
        const char *raw = c >= 0 && c < rec->norig ? rec->orig[c] : NULL;
        got[i] = ing_parse_number(raw, &v[i]);
        if (got[i] < 0) {
            record_reject(ctx, rec, "invalid_coordinate", "%s \"%s\" is not a number", field_name(fs[i]), raw);
            return XY_REJECTED;
        }
    }
    if (got[0] && got[1] && v[0] == 0 && v[1] == 0) {
        /* (0, 0) is a spreadsheet's empty cell, not a place in the Gulf of
         * Guinea (CASES I3). */
        warn(ctx, rec, "zero_coordinates", "%s/%s are 0,0: treated as missing", field_name(fx), field_name(fy));
        return XY_NONE;
    }
    if (got[0] != got[1]) {
        warn(ctx, rec, "incomplete_coordinates", "only one of %s/%s is given: treated as missing",
             field_name(fx), field_name(fy));
        return XY_NONE;
    }
    if (!got[0]) return XY_NONE;
    *x = v[0];
    *y = v[1];
    return XY_OK;
}

/* Transform (x, y) to lon/lat and check the region; when outside and the
 * CRS is geographic, try the swapped pair (CASES I4).  Returns XY_OK with
 * rec->lon/lat set, or XY_REJECTED (rec freed). */
static XyResult place_point(RecordContext *ctx, Record *rec, OGRCoordinateTransformationH ct, int geographic,
                            double x, double y) {
    double lon = x, lat = y;
    if (!crs_transform_point(ct, &lon, &lat)) {
        lon = NAN;
        lat = NAN;
    }
    if (isfinite(lon) && config_in_region(&ctx->config, lon, lat)) {
        rec->lon = lon;
        rec->lat = lat;
        rec->has_point = 1;
        return XY_OK;
    }
    if (geographic) {
        double slon = y, slat = x;
        if (crs_transform_point(ct, &slon, &slat) && config_in_region(&ctx->config, slon, slat)) {
            warn(ctx, rec, "swapped_lat_lon", "lon/lat were in each other's columns (%.7g, %.7g): swapped", x, y);
            rec->lon = slon;
            rec->lat = slat;
            rec->has_point = 1;
            return XY_OK;
        }
    }
    if (!isfinite(lon))
        record_reject(ctx, rec, "transform_failed", "coordinates (%.10g, %.10g) cannot be transformed to WGS 84", x,
                      y);
    else
        record_reject(ctx, rec, "outside_region",
                      "point (%.7f, %.7f) is outside the configured region (wrong CRS or swapped columns?)", lon,
                      lat);
    return XY_REJECTED;
}

/* ----------------------------------------------------------- institutions */

/* Find the code of a unit by code or name; returns index or -1 (warned). */
static long resolve_unit(RecordContext *ctx, Record *rec, const char *level, Field code_f, Field name_f,
                         const char *parent) {
    AdminIndex *ix = ctx->admin;
    if (!ix->n) return -1;
    if (rec->s[code_f]) {
        long i = admin_find_code(ix, rec->s[code_f]);
        if (i < 0 || strcmp(ix->units[i].level_name, level))
            warn(ctx, rec, "unknown_admin_code", "%s \"%s\" is not a %s of layout %s", field_name(code_f),
                 rec->s[code_f], level, ix->layout);
        return i >= 0 && !strcmp(ix->units[i].level_name, level) ? i : -1;
    }
    if (!rec->s[name_f]) return -1;
    long i = admin_find_name(ix, level, rec->s[name_f], parent);
    if (i == -2)
        warn(ctx, rec, "ambiguous_admin_name", "%s \"%s\" matches several units of layout %s; give its code",
             level, rec->s[name_f], ix->layout);
    else if (i < 0)
        warn(ctx, rec, "unknown_admin_name", "%s \"%s\" was not found in layout %s%s", level, rec->s[name_f],
             ix->layout, parent ? " inside the stated district" : "");
    if (i >= 0) rec->s[code_f] = ing_strdup(ix->units[i].code);
    return i;
}

/* The ancestor of unit i at level_name, or -1. */
static long ancestor(const AdminIndex *ix, long i, const char *level_name) {
    for (int depth = 0; i >= 0 && depth < 8; depth++) {
        if (!strcmp(ix->units[i].level_name, level_name)) return i;
        i = ix->units[i].parent_code ? admin_find_code(ix, ix->units[i].parent_code) : -1;
    }
    return -1;
}

static void set_code(Record *rec, Field f, const char *code) {
    free(rec->s[f]);
    rec->s[f] = ing_strdup(code);
}

/* Codes of the units of the layout that contain the row's point: every
 * level, or (district given) only a commune of that district. */
static void place_from_point(RecordContext *ctx, Record *rec, const char *district) {
    AdminPlace pl;
    if (!admin_in_box(ctx->admin, rec->lon, rec->lat) ||
        admin_index_locate(ctx->admin, ctx->db, rec->lon, rec->lat, &pl) <= 0) return;
    if (district) {
        if (pl.code[0][0] && !strcmp(pl.code[1], district)) set_code(rec, FLD_COMMUNE_CODE, pl.code[0]);
        return;
    }
    static const Field fields[3] = {FLD_COMMUNE_CODE, FLD_DISTRICT_CODE, FLD_PROVINCE_CODE};
    for (int l = 0; l < 3; l++)
        if (pl.code[l][0] && (l < 2 || !rec->s[FLD_PROVINCE_CODE])) set_code(rec, fields[l], pl.code[l]);
}

/* Commune/district/province codes from names and parents, then the point:
 * from the file (checked against its unit), else the commune's or the
 * district's point on surface, else none. */
static void locate(RecordContext *ctx, Record *rec) {
    AdminIndex *ix = ctx->admin;
    long d = resolve_unit(ctx, rec, "district", FLD_DISTRICT_CODE, FLD_DISTRICT, NULL);
    long c = resolve_unit(ctx, rec, "commune", FLD_COMMUNE_CODE, FLD_COMMUNE, d >= 0 ? ix->units[d].code : NULL);
    if (c >= 0) {
        long cd = ancestor(ix, c, "district");
        if (d < 0 && cd >= 0) {
            d = cd;
            free(rec->s[FLD_DISTRICT_CODE]);
            rec->s[FLD_DISTRICT_CODE] = ing_strdup(ix->units[d].code);
        } else if (d >= 0 && cd >= 0 && cd != d)
            warn(ctx, rec, "commune_not_in_district", "commune %s is not in district %s", ix->units[c].name,
                 ix->units[d].name);
    }
    long p = rec->s[FLD_PROVINCE_CODE] ? admin_find_code(ix, rec->s[FLD_PROVINCE_CODE]) : -1;
    if (p < 0 && rec->s[FLD_PROVINCE] && !rec->s[FLD_PROVINCE_CODE]) p = admin_find_name(ix, "province", rec->s[FLD_PROVINCE], NULL);
    if (p < 0) p = ancestor(ix, c >= 0 ? c : d, "province");
    if (p >= 0 && !rec->s[FLD_PROVINCE_CODE]) rec->s[FLD_PROVINCE_CODE] = ing_strdup(ix->units[p].code);

    if (rec->has_point) {
        long u = c >= 0 ? c : d;
        int inside = u >= 0 ? admin_contains(ix, ctx->db, ix->units[u].code, rec->lon, rec->lat) : -1;
        if (inside == 0)
            warn(ctx, rec, "outside_admin_unit",
                 "point (%.7f, %.7f) is outside its stated %s %s (%s): check the coordinates or the CRS", rec->lon,
                 rec->lat, ix->units[u].level_name, ix->units[u].name, ix->units[u].code);
        /* The stated units stay (CASES C3); the point fills the levels the
         * row does not state: all of them, or the commune of a stated
         * district that holds the point. */
        if (ix->n && (u < 0 || (c < 0 && inside == 1))) place_from_point(ctx, rec, d >= 0 ? ix->units[d].code : NULL);
        return;
    }
    free(rec->s[FLD_LOCATION_PRECISION]);
    rec->s[FLD_LOCATION_PRECISION] = NULL;
    if (c >= 0 && ix->units[c].has_label) {
        rec->lon = ix->units[c].label_lon;
        rec->lat = ix->units[c].label_lat;
        rec->has_point = 1;
        rec->s[FLD_LOCATION_PRECISION] = strdup("commune_centroid");
    } else if (d >= 0 && ix->units[d].has_label) {
        rec->lon = ix->units[d].label_lon;
        rec->lat = ix->units[d].label_lat;
        rec->has_point = 1;
        rec->s[FLD_LOCATION_PRECISION] = strdup("district_centroid");
    } else {
        rec->s[FLD_LOCATION_PRECISION] = strdup("unknown");
        if (!(rec->keep & KEEP_PLACE)) ing_warn_no_location(ctx->report, rec); /* else fill_kept decides */
    }
}

static int institution_record(RecordContext *ctx, SrcRow *row, Record *rec) {
    read_fields(ctx, rec);
    if (!rec->s[FLD_CODE]) {
        record_reject(ctx, rec, "missing_code", "no code");
        return 1;
    }
    if (!rec->s[FLD_NAME]) {
        record_reject(ctx, rec, "missing_name", "no name");
        return 1;
    }
    enum_field(ctx, rec, FLD_KIND, rec->s[FLD_KIND] ? "other" : kind_from_name(rec->s[FLD_NAME]));
    enum_field(ctx, rec, FLD_OWNERSHIP, "unknown");
    if (rec->s[FLD_SOURCE_URLS]) {
        char *list = json_list(rec->s[FLD_SOURCE_URLS], ctx->mapping->split[FLD_SOURCE_URLS]);
        free(rec->s[FLD_SOURCE_URLS]);
        rec->s[FLD_SOURCE_URLS] = list;
    }
    if (!rec->s[FLD_SOURCE]) rec->s[FLD_SOURCE] = strdup(base_name(rec->source));

    /* Where: the feature's geometry, else the x/y columns. */
    XyResult xy = XY_NONE;
    if (row->geom) {
        OGRGeometryH g = row->geom;
        OGRGeometryH pos = NULL;
        if (wkbFlatten(OGR_G_GetGeometryType(g)) != wkbPoint) {
            pos = OGR_G_PointOnSurface(g);
            warn(ctx, rec, "geometry_not_point", "geometry is a %s: its point on surface is used",
                 OGR_G_GetGeometryName(g));
        }
        OGRGeometryH pt = pos ? pos : g;
        if (pt && wkbFlatten(OGR_G_GetGeometryType(pt)) == wkbPoint && !OGR_G_IsEmpty(pt))
            xy = place_point(ctx, rec, ctx->source->geom_ct, ctx->source->geom_geographic, OGR_G_GetX(pt, 0),
                             OGR_G_GetY(pt, 0));
        if (pos) OGR_G_DestroyGeometry(pos);
    } else {
        double x = 0, y = 0;
        xy = parse_xy(ctx, rec, FLD_X, FLD_Y, &x, &y);
        if (xy == XY_OK) xy = place_point(ctx, rec, ctx->source->xy_ct, ctx->source->xy_geographic, x, y);
    }
    if (xy == XY_REJECTED) return 1;
    if (rec->has_point) {
        const char *lp = ctx->mapping->defaults[FLD_LOCATION_PRECISION];
        enum_field(ctx, rec, FLD_LOCATION_PRECISION, lp ? lp : "surveyed");
    }
    locate(ctx, rec);
    rec->extra = extra_json(ctx, rec);
    return 0;
}

/* ------------------------------------------------------------ admin units */

/* The type word(s) a unit's name starts with ("Thành phố Bắc Giang" ->
 * "Thành phố"), or NULL. */
static char *type_from_name(const char *name) {
    static const struct { const char *folded; int words; } types[] = {
        {"thanh pho ", 2}, {"thi xa ", 2}, {"thi tran ", 2}, {"dac khu ", 2},
        {"tinh ", 1},      {"huyen ", 1},  {"quan ", 1},     {"xa ", 1},     {"phuong ", 1},
    };
    char *f = text_fold(name);
    if (!f) return NULL;
    int words = 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0] && !words; i++)
        if (!strncmp(f, types[i].folded, strlen(types[i].folded))) words = types[i].words;
    free(f);
    if (!words) return NULL;
    const char *p = name;
    while (*p == ' ') p++;
    for (int w = 0; w < words; w++) {
        while (*p && *p != ' ') p++;
        if (w + 1 < words) while (*p == ' ') p++;
    }
    return ing_printf("%.*s", (int)(p - name), name);
}

/* Make the geometry a valid MULTIPOLYGON with SpatiaLite (ST_MakeValid only
 * when ST_IsValid says so) and take its point on surface as the label. */
static const char *const GEOM_SQL =
    "SELECT AsBinary(g), ST_X(p), ST_Y(p), repaired FROM ("
    " SELECT g, ST_PointOnSurface(g) AS p, repaired FROM ("
    "  SELECT CASE WHEN valid THEN CastToMultiPolygon(s)"
    "         ELSE CastToMultiPolygon(CollectionExtract(ST_MakeValid(s), 3)) END AS g,"
    "         NOT valid AS repaired FROM ("
    "   SELECT s, ST_IsValid(s) AS valid FROM (SELECT GeomFromWKB(?1, 4326) AS s))))";

static int admin_geometry(RecordContext *ctx, Record *rec, OGRGeometryH g) {
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t != wkbPolygon && t != wkbMultiPolygon) {
        record_reject(ctx, rec, "not_polygon", "geometry is a %s, not a polygon", OGR_G_GetGeometryName(g));
        return 1;
    }
    if (ctx->source->geom_ct && OGR_G_Transform(g, ctx->source->geom_ct) != OGRERR_NONE) {
        record_reject(ctx, rec, "transform_failed", "geometry cannot be transformed to WGS 84");
        return 1;
    }
    OGR_G_FlattenTo2D(g);
    size_t n = (size_t)OGR_G_WkbSize(g);
    unsigned char *wkb = malloc(n ? n : 1);
    if (!wkb || OGR_G_ExportToIsoWkb(g, wkbNDR, wkb) != OGRERR_NONE) {
        free(wkb);
        return -1;
    }
    sqlite3_stmt *st = store_prepare_cached(ctx->db, GEOM_SQL);
    int rc = 1;
    if (st) {
        sqlite3_bind_blob(st, 1, wkb, (int)n, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
            int len = sqlite3_column_bytes(st, 0);
            rec->wkb = malloc((size_t)len);
            if (rec->wkb) {
                memcpy(rec->wkb, sqlite3_column_blob(st, 0), (size_t)len);
                rec->wkb_len = (size_t)len;
                rc = 0;
            }
            if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
                rec->lon = sqlite3_column_double(st, 1);
                rec->lat = sqlite3_column_double(st, 2);
                rec->has_point = 1;
            }
            if (sqlite3_column_int(st, 3)) warn(ctx, rec, "geometry_repaired", "invalid polygon made valid (ST_MakeValid)");
        }
        sqlite3_reset(st);
    }
    free(wkb);
    if (rc != 0) {
        record_reject(ctx, rec, "invalid_geometry", "the polygon cannot be made valid");
        return 1;
    }
    if (!rec->s[FLD_AREA_KM2]) {
        OGRGeometryH fin = NULL;
        if (OGR_G_CreateFromWkb(rec->wkb, NULL, &fin, (int)rec->wkb_len) == OGRERR_NONE) {
            rec->s[FLD_AREA_KM2] = ing_printf("%.17g", crs_geodesic_area_km2(fin));
            ctx->areas_computed++;
            OGR_G_DestroyGeometry(fin);
        }
    }
    return 0;
}

/* Check an optional numeric admin field; a bad number is dropped with a warning. */
static void numeric_field(RecordContext *ctx, Record *rec, Field f) {
    double v;
    if (rec->s[f] && ing_parse_number(rec->s[f], &v) != 1) {
        warn(ctx, rec, "invalid_number", "%s \"%s\" is not a number: ignored", field_name(f), rec->s[f]);
        free(rec->s[f]);
        rec->s[f] = NULL;
    }
}

static int admin_record(RecordContext *ctx, SrcRow *row, Record *rec) {
    read_fields(ctx, rec);
    const char *level = ctx->opt->level ? ctx->opt->level : ctx->mapping->level;
    if (!level && rec->s[FLD_LEVEL]) level = mapping_value(ctx->mapping, FLD_LEVEL, rec->s[FLD_LEVEL]);
    if (!level) {
        record_reject(ctx, rec, "missing_level", "no level (give --level province|district|commune)");
        return 1;
    }
    rec->level_name = strdup(level);
    if (!rec->s[FLD_CODE]) {
        record_reject(ctx, rec, "missing_code", "no code (an area without a GSO code, e.g. a military area)");
        return 1;
    }
    if (!rec->s[FLD_NAME]) {
        record_reject(ctx, rec, "missing_name", "no name");
        return 1;
    }
    if (!rec->s[FLD_TYPE]) rec->s[FLD_TYPE] = type_from_name(rec->s[FLD_NAME]);
    if (rec->s[FLD_APPROXIMATE]) enum_field(ctx, rec, FLD_APPROXIMATE, "0");
    numeric_field(ctx, rec, FLD_POPULATION);
    numeric_field(ctx, rec, FLD_POPULATION_YEAR);
    numeric_field(ctx, rec, FLD_AREA_KM2);
    if (ctx->binding->col[FLD_SEAT_X] >= 0 || ctx->binding->col[FLD_SEAT_Y] >= 0) {
        double x, y;
        free(rec->s[FLD_SEAT_X]);
        free(rec->s[FLD_SEAT_Y]);
        rec->s[FLD_SEAT_X] = rec->s[FLD_SEAT_Y] = NULL;
        XyResult xy = parse_xy(ctx, rec, FLD_SEAT_X, FLD_SEAT_Y, &x, &y);
        if (xy == XY_REJECTED) return 1;
        if (xy == XY_OK && crs_transform_point(ctx->source->xy_ct, &x, &y)) {
            rec->s[FLD_SEAT_X] = ing_printf("%.17g", x);
            rec->s[FLD_SEAT_Y] = ing_printf("%.17g", y);
        }
    }
    if (!row->geom) {
        warn(ctx, rec, "no_geometry", "no geometry: the unit is listed but not drawn");
        return 0;
    }
    return admin_geometry(ctx, rec, row->geom);
}

/* A cell holding a line break and a field separator is what an unclosed
 * quote in a CSV looks like: the reader took the rows after it as part of
 * this cell, so they are gone from the count.  GDAL cannot tell us, so say it
 * (a legitimate multi-line address has no separators in it). */
static void warn_swallowed_rows(RecordContext *ctx, const Record *rec) {
    for (int c = 0; c < rec->norig; c++) {
        const char *v = rec->orig[c];
        if (!v || !strpbrk(v, "\r\n") || !strpbrk(v, ",;\t")) continue;
        warn(ctx, rec, "multiline_value",
             "column \"%s\" holds line breaks and separators: an unclosed quote may have swallowed the rows "
             "after this one; check the file's quoting",
             c < ctx->source->ncols ? ctx->source->names[c] : "?");
    }
}

int record_from_row(RecordContext *ctx, SrcRow *row, Record *rec) {
    memset(rec, 0, sizeof *rec);
    rec->source = ctx->source->path;
    rec->row = row->row;
    rec->header = ctx->header;
    rec->orig = row->values;
    rec->norig = row->ncols;
    rec->keep = ctx->keep;
    row->values = NULL;
    int rc = ctx->opt->collection == INGEST_ADMIN ? admin_record(ctx, row, rec) : institution_record(ctx, row, rec);
    warn_swallowed_rows(ctx, rec);
    return rc;
}
