/* coverage_report.c — GeoJSON, CSV and XLSX outputs of a coverage run
 * (coverage_report.h). */
#include "coverage/coverage_report.h"
#include "coverage/coverage_grid.h"
#include "geo/gdal_out.h"
#include "geo/geojson.h"
#include "base/strfmt.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Round to d decimals: the tables and the GeoJSON show the same digits. */
static double rnd(double v, int d) {
    double k = pow(10, d);
    return round(v * k) / k;
}

/* ---------------------------------------------------------- unit columns */

typedef enum VType { V_NULL, V_STR, V_NUM, V_BOOL } VType;
typedef struct Val {
    VType t;
    const char *s;
    double n;
} Val;

typedef enum UnitCol {
    C_CODE, C_NAME, C_PARENT_CODE, C_PARENT_NAME, C_LEVEL, C_POPULATION, C_POPULATION_YEAR, C_AREA,
    C_APPROXIMATE, C_POP_POINT, C_POP_LON, C_POP_LAT, C_NEAREST_CODE, C_NEAREST_NAME, C_NEAREST_KM,
    C_WITHIN, C_SHARE, C_COVERED, C_UNCOVERED, C_INSTITUTIONS, C_PER_100K, C_CHANGE, C_COUNT
} UnitCol;

typedef struct ColDef {
    const char *name;
    OGRFieldType type;
    int boolean;
    int decimals;
} ColDef;

static const ColDef COLS[C_COUNT] = {
    [C_CODE] = {"code", OFTString, 0, 0},
    [C_NAME] = {"name", OFTString, 0, 0},
    [C_PARENT_CODE] = {"parent_code", OFTString, 0, 0},
    [C_PARENT_NAME] = {"parent_name", OFTString, 0, 0},
    [C_LEVEL] = {"level", OFTString, 0, 0},
    [C_POPULATION] = {"population", OFTInteger64, 0, 0},
    [C_POPULATION_YEAR] = {"population_year", OFTInteger, 0, 0},
    [C_AREA] = {"area_km2", OFTReal, 0, 3},
    [C_APPROXIMATE] = {"approximate", OFTInteger, 1, 0},
    [C_POP_POINT] = {"pop_point", OFTString, 0, 0},
    [C_POP_LON] = {"pop_lon", OFTReal, 0, 6},
    [C_POP_LAT] = {"pop_lat", OFTReal, 0, 6},
    [C_NEAREST_CODE] = {"nearest_code", OFTString, 0, 0},
    [C_NEAREST_NAME] = {"nearest_name", OFTString, 0, 0},
    [C_NEAREST_KM] = {"nearest_km", OFTReal, 0, 3},
    [C_WITHIN] = {"within_radius", OFTInteger, 1, 0},
    [C_SHARE] = {"covered_share", OFTReal, 0, 5},
    [C_COVERED] = {"covered_population", OFTReal, 0, 1},
    [C_UNCOVERED] = {"uncovered_population", OFTReal, 0, 1},
    [C_INSTITUTIONS] = {"institutions", OFTInteger, 0, 0},
    [C_PER_100K] = {"per_100k", OFTReal, 0, 3},
    [C_CHANGE] = {"covered_population_change", OFTReal, 0, 1},
};

static Val vstr(const char *s) { return (Val){s ? V_STR : V_NULL, s, 0}; }
static Val vnum(double n) { return (Val){isfinite(n) ? V_NUM : V_NULL, NULL, n}; }
static Val vbool(int b) { return (Val){V_BOOL, NULL, b ? 1 : 0}; }

static Val unit_value(const CovRun *run, size_t i, UnitCol c) {
    const CovUnit *u = &run->layer->model.units[i];
    const CovUnitResult *r = &run->res[i];
    const CovSite *near = r->nearest >= 0 ? &run->sites.sites[r->nearest] : NULL;
    int pop = u->population >= 0;
    switch (c) {
    case C_CODE: return vstr(u->code);
    case C_NAME: return vstr(u->name);
    case C_PARENT_CODE: return vstr(u->parent_code);
    case C_PARENT_NAME: return vstr(covstore_parent_name(run->layer, u->parent_code));
    case C_LEVEL: return vstr(run->layer->level);
    case C_POPULATION: return pop ? vnum(round(u->population)) : vnum(NAN);
    case C_POPULATION_YEAR: return u->population_year ? vnum(u->population_year) : vnum(NAN);
    case C_AREA: return vnum(u->area_km2);
    case C_APPROXIMATE: return vbool(u->approximate);
    case C_POP_POINT: return vstr(u->pop_is_seat ? "seat" : "point_on_surface");
    case C_POP_LON: return vnum(u->pop_lon);
    case C_POP_LAT: return vnum(u->pop_lat);
    case C_NEAREST_CODE: return vstr(near ? near->code : NULL);
    case C_NEAREST_NAME: return vstr(near ? near->name : NULL);
    case C_NEAREST_KM: return vnum(near ? r->nearest_m / 1000.0 : NAN);
    case C_WITHIN: return vbool(r->within_radius);
    case C_SHARE: return vnum(r->covered_share);
    case C_COVERED: return pop ? vnum(r->covered_pop) : vnum(NAN);
    case C_UNCOVERED: return pop ? vnum(u->population - r->covered_pop) : vnum(NAN);
    case C_INSTITUTIONS: return vnum(r->sites_in_unit);
    case C_PER_100K: return u->population > 0 ? vnum(r->sites_in_unit * 1e5 / u->population) : vnum(NAN);
    case C_CHANGE:
        return run->whatif && pop ? vnum(r->covered_pop - run->base_res[i].covered_pop) : vnum(NAN);
    case C_COUNT: break;
    }
    return vnum(NAN);
}

static int col_used(const CovRun *run, UnitCol c) { return c != C_CHANGE || run->whatif; }

/* ---------------------------------------------------------------- GeoJSON */

static void json_val(Buf *b, Val v, int decimals) {
    switch (v.t) {
    case V_NULL: buf_puts(b, "null"); break;
    case V_STR: json_str(b, v.s); break;
    case V_BOOL: buf_puts(b, v.n ? "true" : "false"); break;
    case V_NUM: json_num(b, rnd(v.n, decimals), decimals); break;
    }
}

static void json_km(Buf *b, double m) { json_num(b, rnd(m / 1000.0, 3), 3); }

/* A summary object; sites = the number of sites evaluated, or (size_t)-1 to
 * leave it out (a parent's summary: only institutions_in_units applies). */
static void summary_json(Buf *b, const CovRun *run, const CovSummary *s, size_t sites, int with_codes) {
    const CovModel *m = &run->layer->model;
    buf_printf(b, "{\"units\":%zu,\"units_with_population\":%zu,\"population\":", s->units,
               s->units_with_population);
    json_num(b, round(s->population), 0);
    buf_puts(b, ",\"covered_population\":");
    json_num(b, rnd(s->covered_population, 1), 1);
    buf_puts(b, ",\"covered_share\":");
    json_num(b, rnd(s->covered_share, 5), 5);
    buf_puts(b, ",\"mean_distance_km\":");
    json_km(b, s->mean_distance_m);
    buf_puts(b, ",\"worst_distance_km\":");
    json_km(b, s->worst_distance_m);
    buf_puts(b, ",\"worst_unit\":");
    if (s->worst_unit >= 0) {
        buf_puts(b, "{\"code\":");
        json_str(b, m->units[s->worst_unit].code);
        buf_puts(b, ",\"name\":");
        json_str(b, m->units[s->worst_unit].name);
        buf_putc(b, '}');
    } else {
        buf_puts(b, "null");
    }
    buf_printf(b, ",\"units_without\":%zu", s->units_without);
    if (sites != (size_t)-1) buf_printf(b, ",\"institutions\":%zu", sites); /* the sites evaluated */
    buf_printf(b, ",\"institutions_in_units\":%zu", s->sites_in_units);
    if (with_codes) {
        buf_puts(b, ",\"units_without_codes\":[");
        int first = 1;
        for (size_t i = 0; i < m->n_units; i++) {
            const CovUnitResult *r = &run->res[i];
            if (r->within_radius) continue;
            if (!first) buf_putc(b, ',');
            first = 0;
            json_str(b, m->units[i].code);
        }
        buf_putc(b, ']');
    }
    buf_putc(b, '}');
}

static void filter_list_json(Buf *b, const char *list) {
    if (!list) {
        buf_puts(b, "null");
        return;
    }
    buf_putc(b, '[');
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        if (p != list) buf_putc(b, ',');
        json_strn(b, p, n);
        if (!p[n]) break;
        p += n + 1;
    }
    buf_putc(b, ']');
}

/* Members shared by the coverage and suggestion documents. */
static void head_json(Buf *b, const CovRun *run, const CovQuery *q) {
    const CovLayer *L = run->layer;
    buf_puts(b, "\"layout\":");
    json_str(b, L->layout);
    buf_puts(b, ",\"level\":");
    json_str(b, L->level);
    buf_puts(b, ",\"radius_km\":");
    json_num(b, q->radius_km, 3);
    buf_puts(b, ",\"filters\":{\"kind\":");
    filter_list_json(b, q->filter.kind);
    buf_puts(b, ",\"ownership\":");
    filter_list_json(b, q->filter.ownership);
    buf_puts(b, ",\"occupation\":");
    json_str(b, q->filter.occupation);
    buf_puts(b, "},\"method\":{\"distance\":\"geodesic on WGS84 (PROJ geod_inverse) from each unit's population "
                "point\",\"area\":\"share of equal-area grid samples within the radius\",\"frame\":");
    json_str(b, L->frame);
    buf_printf(b, ",\"samples\":%zu,\"samples_per_unit_target\":%d}", L->model.n_samples, COV_GRID_TARGET);
}

static void sites_json(Buf *b, const CovRun *run) {
    buf_puts(b, "\"sites\":[");
    for (size_t i = 0; i < run->sites.n; i++) {
        const CovSite *s = &run->sites.sites[i];
        if (i) buf_putc(b, ',');
        buf_puts(b, "{\"code\":");
        json_str(b, s->code);
        buf_puts(b, ",\"name\":");
        json_str(b, s->name);
        buf_puts(b, ",\"kind\":");
        json_str(b, s->kind);
        buf_puts(b, ",\"ownership\":");
        json_str(b, s->ownership);
        buf_puts(b, ",\"lon\":");
        json_num(b, s->lon, 7);
        buf_puts(b, ",\"lat\":");
        json_num(b, s->lat, 7);
        buf_puts(b, ",\"unit_code\":");
        json_str(b, s->unit >= 0 ? run->layer->model.units[s->unit].code : NULL);
        /* hypothetical (what-if) sites are the last n_added */
        buf_printf(b, ",\"hypothetical\":%s}", i + run->n_added >= run->sites.n ? "true" : "false");
    }
    buf_putc(b, ']');
}

int covreport_geojson(Buf *b, sqlite3 *db, const CovRun *run, const CovQuery *q, int with_geometry,
                      char **err) {
    *err = NULL;
    const CovLayer *L = run->layer;
    const CovModel *m = &L->model;
    buf_puts(b, "{\"type\":\"FeatureCollection\",");
    head_json(b, run, q);
    buf_puts(b, ",\"summary\":");
    summary_json(b, run, &run->summary, run->sites.n, 1);
    if (run->whatif) {
        buf_puts(b, ",\"baseline\":");
        summary_json(b, run, &run->baseline, run->base_sites, 0);
        buf_puts(b, ",\"change\":{\"covered_population\":");
        json_num(b, rnd(run->summary.covered_population - run->baseline.covered_population, 1), 1);
        buf_puts(b, ",\"covered_share\":");
        json_num(b, rnd(run->summary.covered_share - run->baseline.covered_share, 5), 5);
        buf_printf(b, ",\"units_without\":%lld,\"institutions\":%lld}",
                   (long long)run->summary.units_without - (long long)run->baseline.units_without,
                   (long long)run->sites.n - (long long)run->base_sites);
    }
    buf_puts(b, ",\"parents\":[");
    for (size_t p = 0; p < run->n_parents; p++) {
        if (p) buf_putc(b, ',');
        buf_puts(b, "{\"code\":");
        json_str(b, run->parents[p].code);
        buf_puts(b, ",\"name\":");
        json_str(b, run->parents[p].name);
        buf_puts(b, ",\"summary\":");
        summary_json(b, run, &run->parents[p].s, (size_t)-1, 0);
        buf_putc(b, '}');
    }
    buf_puts(b, "],");
    sites_json(b, run);
    buf_puts(b, ",\"features\":[");
    sqlite3_stmt *st = NULL;
    if (with_geometry &&
        sqlite3_prepare_v2(db, "SELECT AsBinary(geom) FROM admin_unit WHERE id = ?1", -1, &st, NULL) != SQLITE_OK) {
        *err = strfmt("coverage: %s", sqlite3_errmsg(db));
        return -1;
    }
    for (size_t i = 0; i < m->n_units; i++) {
        if (i) buf_putc(b, ',');
        buf_puts(b, "{\"type\":\"Feature\",\"id\":");
        json_str(b, m->units[i].code);
        buf_puts(b, ",\"geometry\":");
        int wrote = 0;
        if (st) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, L->unit_ids[i]);
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
                geojson_write_wkb(b, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), 6);
                wrote = 1;
            }
        }
        if (!wrote) buf_puts(b, "null");
        buf_puts(b, ",\"properties\":{");
        int first = 1;
        for (int c = 0; c < C_COUNT; c++) {
            if (!col_used(run, (UnitCol)c)) continue;
            if (!first) buf_putc(b, ',');
            first = 0;
            json_str(b, COLS[c].name);
            buf_putc(b, ':');
            json_val(b, unit_value(run, i, (UnitCol)c), COLS[c].decimals);
        }
        buf_puts(b, "}}");
    }
    sqlite3_finalize(st);
    buf_puts(b, "]}\n");
    if (b->oom) {
        *err = strfmt("coverage: out of memory");
        return -1;
    }
    return 0;
}

/* Cumulative population covered after suggestion j. */
static double covered_after(const CovRun *run, int j) {
    double c = run->summary.covered_population;
    for (int k = 0; k <= j; k++) c += run->sugg[k].gain_pop;
    return c;
}

void covreport_suggest_geojson(Buf *b, const CovRun *run, const CovQuery *q) {
    const CovModel *m = &run->layer->model;
    buf_puts(b, "{\"type\":\"FeatureCollection\",");
    head_json(b, run, q);
    buf_printf(b, ",\"k\":%d,\"candidates\":{\"kind\":\"%s\",\"count\":%zu", q->k, q->grid ? "grid" : "points",
               run->n_candidates);
    if (q->grid) {
        buf_puts(b, ",\"grid_km\":");
        json_num(b, run->grid_km, 3);
    }
    buf_puts(b, "},\"summary\":");
    summary_json(b, run, &run->summary, run->sites.n, 0);
    buf_puts(b, ",\"after\":{\"covered_population\":");
    double after = run->n_sugg ? covered_after(run, run->n_sugg - 1) : run->summary.covered_population;
    json_num(b, rnd(after, 1), 1);
    buf_puts(b, ",\"covered_share\":");
    json_num(b, run->summary.population > 0 ? rnd(after / run->summary.population, 5) : NAN, 5);
    buf_puts(b, "},\"features\":[");
    for (int j = 0; j < run->n_sugg; j++) {
        const CovSuggestion *s = &run->sugg[j];
        if (j) buf_putc(b, ',');
        buf_printf(b, "{\"type\":\"Feature\",\"id\":%d,\"geometry\":{\"type\":\"Point\",\"coordinates\":[", j + 1);
        json_num(b, s->lon, 6);
        buf_putc(b, ',');
        json_num(b, s->lat, 6);
        buf_printf(b, "]},\"properties\":{\"rank\":%d,\"unit_code\":", j + 1);
        json_str(b, s->unit >= 0 ? m->units[s->unit].code : NULL);
        buf_puts(b, ",\"unit_name\":");
        json_str(b, s->unit >= 0 ? m->units[s->unit].name : NULL);
        buf_puts(b, ",\"gain_population\":");
        json_num(b, rnd(s->gain_pop, 1), 1);
        buf_puts(b, ",\"covered_population_after\":");
        json_num(b, rnd(covered_after(run, j), 1), 1);
        buf_puts(b, ",\"covered_share_after\":");
        json_num(b, run->summary.population > 0 ? rnd(covered_after(run, j) / run->summary.population, 5) : NAN,
                 5);
        buf_puts(b, "}}");
    }
    buf_puts(b, "]}\n");
}

/* ------------------------------------------------------------------ GDAL */

typedef struct Sheet {
    GDALDatasetH ds;
    OGRLayerH layer;
} Sheet;

static int sheet_open(Sheet *s, GDALDatasetH ds, const char *name, int csv) {
    char **opts = NULL;
    if (csv) opts = CSLSetNameValue(opts, "WRITE_BOM", "YES");
    s->ds = ds;
    s->layer = GDALDatasetCreateLayer(ds, name, NULL, wkbNone, opts);
    CSLDestroy(opts);
    return s->layer ? 0 : -1;
}

static int sheet_field(Sheet *s, const char *name, OGRFieldType t, int boolean) {
    OGRFieldDefnH f = OGR_Fld_Create(name, t);
    if (boolean) OGR_Fld_SetSubType(f, OFSTBoolean);
    int rc = OGR_L_CreateField(s->layer, f, TRUE) == OGRERR_NONE ? 0 : -1;
    OGR_Fld_Destroy(f);
    return rc;
}

static void set_val(OGRFeatureH f, int k, Val v, int decimals) {
    switch (v.t) {
    case V_NULL: OGR_F_SetFieldNull(f, k); break;
    case V_STR: OGR_F_SetFieldString(f, k, v.s); break;
    case V_BOOL: OGR_F_SetFieldInteger(f, k, (int)v.n); break;
    case V_NUM: OGR_F_SetFieldDouble(f, k, rnd(v.n, decimals)); break;
    }
}

static int units_sheet(Sheet *s, const CovRun *run) {
    for (int c = 0; c < C_COUNT; c++)
        if (col_used(run, (UnitCol)c) && sheet_field(s, COLS[c].name, COLS[c].type, COLS[c].boolean) != 0)
            return -1;
    for (size_t i = 0; i < run->layer->model.n_units; i++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(s->layer));
        int k = 0;
        for (int c = 0; c < C_COUNT; c++)
            if (col_used(run, (UnitCol)c)) set_val(f, k++, unit_value(run, i, (UnitCol)c), COLS[c].decimals);
        int rc = OGR_L_CreateFeature(s->layer, f);
        OGR_F_Destroy(f);
        if (rc != OGRERR_NONE) return -1;
    }
    return 0;
}

static int suggestions_sheet(Sheet *s, const CovRun *run) {
    static const char *const names[] = {"rank", "lon", "lat", "unit_code", "unit_name", "gain_population",
                                        "covered_population_after", "covered_share_after"};
    static const OGRFieldType types[] = {OFTInteger, OFTReal, OFTReal, OFTString,
                                         OFTString,  OFTReal, OFTReal, OFTReal};
    for (int c = 0; c < 8; c++)
        if (sheet_field(s, names[c], types[c], 0) != 0) return -1;
    const CovModel *m = &run->layer->model;
    for (int j = 0; j < run->n_sugg; j++) {
        const CovSuggestion *g = &run->sugg[j];
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(s->layer));
        double after = covered_after(run, j);
        OGR_F_SetFieldInteger(f, 0, j + 1);
        OGR_F_SetFieldDouble(f, 1, rnd(g->lon, 6));
        OGR_F_SetFieldDouble(f, 2, rnd(g->lat, 6));
        set_val(f, 3, vstr(g->unit >= 0 ? m->units[g->unit].code : NULL), 0);
        set_val(f, 4, vstr(g->unit >= 0 ? m->units[g->unit].name : NULL), 0);
        OGR_F_SetFieldDouble(f, 5, rnd(g->gain_pop, 1));
        OGR_F_SetFieldDouble(f, 6, rnd(after, 1));
        set_val(f, 7, vnum(run->summary.population > 0 ? after / run->summary.population : NAN), 5);
        int rc = OGR_L_CreateFeature(s->layer, f);
        OGR_F_Destroy(f);
        if (rc != OGRERR_NONE) return -1;
    }
    return 0;
}

/* Parent units (and the whole layout as the last row, code "*"). */
static int parents_sheet(Sheet *s, const CovRun *run) {
    static const char *const names[] = {"code", "name", "units", "population", "covered_population",
                                        "covered_share", "mean_distance_km", "worst_distance_km",
                                        "worst_unit_code", "units_without"};
    static const OGRFieldType types[] = {OFTString, OFTString, OFTInteger, OFTInteger64, OFTReal,
                                         OFTReal,   OFTReal,   OFTReal,    OFTString,    OFTInteger};
    for (int c = 0; c < 10; c++)
        if (sheet_field(s, names[c], types[c], 0) != 0) return -1;
    const CovModel *m = &run->layer->model;
    for (size_t p = 0; p <= run->n_parents; p++) {
        const CovSummary *x = p < run->n_parents ? &run->parents[p].s : &run->summary;
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(s->layer));
        set_val(f, 0, vstr(p < run->n_parents ? run->parents[p].code : "*"), 0);
        set_val(f, 1, vstr(p < run->n_parents ? run->parents[p].name : run->layer->layout), 0);
        OGR_F_SetFieldInteger(f, 2, (int)x->units);
        OGR_F_SetFieldInteger64(f, 3, (GIntBig)llround(x->population));
        set_val(f, 4, vnum(x->covered_population), 1);
        set_val(f, 5, vnum(x->covered_share), 5);
        set_val(f, 6, vnum(x->mean_distance_m / 1000), 3);
        set_val(f, 7, vnum(x->worst_distance_m / 1000), 3);
        set_val(f, 8, vstr(x->worst_unit >= 0 ? m->units[x->worst_unit].code : NULL), 0);
        OGR_F_SetFieldInteger(f, 9, (int)x->units_without);
        int rc = OGR_L_CreateFeature(s->layer, f);
        OGR_F_Destroy(f);
        if (rc != OGRERR_NONE) return -1;
    }
    return 0;
}

/* The query and method, as (item, value) rows. */
static int summary_sheet(Sheet *s, const CovRun *run, const CovQuery *q) {
    if (sheet_field(s, "item", OFTString, 0) != 0 || sheet_field(s, "value", OFTString, 0) != 0) return -1;
    char radius[32], samples[32], sites[32];
    snprintf(radius, sizeof radius, "%g", q->radius_km);
    snprintf(samples, sizeof samples, "%zu", run->layer->model.n_samples);
    snprintf(sites, sizeof sites, "%zu", run->sites.n);
    const char *rows[][2] = {
        {"layout", run->layer->layout},
        {"level", run->layer->level},
        {"radius_km", radius},
        {"kind", q->filter.kind ? q->filter.kind : "(any)"},
        {"ownership", q->filter.ownership ? q->filter.ownership : "(any)"},
        {"occupation", q->filter.occupation ? q->filter.occupation : "(any)"},
        {"institutions", sites},
        {"distance", "geodesic on WGS84 (PROJ geod_inverse) from each unit's population point"},
        {"area", "share of equal-area grid samples within the radius"},
        {"frame", run->layer->frame},
        {"samples", samples},
        {"totals", "see the parents sheet, row *"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(s->layer));
        OGR_F_SetFieldString(f, 0, rows[i][0]);
        OGR_F_SetFieldString(f, 1, rows[i][1]);
        int rc = OGR_L_CreateFeature(s->layer, f);
        OGR_F_Destroy(f);
        if (rc != OGRERR_NONE) return -1;
    }
    return 0;
}

/* Write the table with GDAL into the dataset at mem_path. */
static int write_table(const char *mem_path, const char *driver, CovTable what, const CovRun *run,
                       const CovQuery *q, char **err) {
    int csv = !strcmp(driver, "CSV");
    if (csv == (what == COVTABLE_WORKBOOK)) {
        *err = strfmt("coverage: %s cannot hold that table", driver);
        return -1;
    }
    GDALDriverH drv = GDALGetDriverByName(driver);
    if (!drv) {
        *err = strfmt("coverage: GDAL has no %s driver", driver);
        return -1;
    }
    GDALDatasetH ds = GDALCreate(drv, mem_path, 0, 0, 0, GDT_Unknown, NULL);
    if (!ds) {
        *err = strfmt("coverage: cannot create %s: %s", mem_path, CPLGetLastErrorMsg());
        return -1;
    }
    Sheet s;
    int rc;
    if (what == COVTABLE_UNITS) {
        rc = sheet_open(&s, ds, "units", csv) || units_sheet(&s, run);
    } else if (what == COVTABLE_SUGGESTIONS) {
        rc = sheet_open(&s, ds, "suggestions", csv) || suggestions_sheet(&s, run);
    } else {
        rc = sheet_open(&s, ds, "units", 0) || units_sheet(&s, run) || sheet_open(&s, ds, "parents", 0) ||
             parents_sheet(&s, run) || sheet_open(&s, ds, "summary", 0) || summary_sheet(&s, run, q);
        if (!rc && run->n_sugg > 0) rc = sheet_open(&s, ds, "suggestions", 0) || suggestions_sheet(&s, run);
    }
    if (rc) *err = strfmt("coverage: writing the %s table failed: %s", driver, CPLGetLastErrorMsg());
    /* GDAL 3.6's GDALClose returns nothing: a failed flush shows as an error
     * state (XLSX writes its zip here). */
    CPLErrorReset();
    GDALClose(ds);
    if (!rc && CPLGetLastErrorType() >= CE_Failure) {
        rc = 1;
        *err = strfmt("coverage: closing the %s table failed: %s", driver, CPLGetLastErrorMsg());
    }
    return rc ? -1 : 0;
}

int covreport_table(Buf *out, const char *driver, CovTable what, const CovRun *run, const CovQuery *q,
                    char **err) {
    *err = NULL;
    char path[96];
    gdalout_mem_path(path, sizeof path, !strcmp(driver, "CSV") ? "csv" : "xlsx");
    if (write_table(path, driver, what, run, q, err) != 0) {
        VSIUnlink(path);
        return -1;
    }
    return gdalout_take(path, out, err);
}
