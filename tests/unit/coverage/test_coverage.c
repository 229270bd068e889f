/* test_coverage.c — the coverage computation (coverage.h, coverage_grid.h)
 * against hand-computed numbers (tests/fixtures/coverage/README.md), PROJ's
 * geodesic value, an exact GEOS intersection in the equal-area frame, and a
 * brute-force geodesic check of every sample. */
#include "coverage/coverage.h"
#include "coverage/coverage_grid.h"
#include "unit.h"

#include <geodesic.h>
#include <math.h>
#include <ogr_api.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURE "tests/fixtures/coverage/communes.geojson"

/* One fixture unit as read from the GeoJSON. */
typedef struct FxUnit {
    char code[8];
    double population, seat_lon, seat_lat;
    unsigned char *wkb;
    size_t wkb_len;
} FxUnit;

static int load_fixture(FxUnit *u, int max) {
    OGRRegisterAll();
    OGRDataSourceH ds = OGROpen(FIXTURE, 0, NULL);
    if (!ds) return -1;
    OGRLayerH layer = OGR_DS_GetLayer(ds, 0);
    OGRFeatureH f;
    int n = 0;
    while ((f = OGR_L_GetNextFeature(layer)) && n < max) {
        FxUnit *x = &u[n++];
        snprintf(x->code, sizeof x->code, "%s", OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "code")));
        x->population = OGR_F_GetFieldAsDouble(f, OGR_F_GetFieldIndex(f, "population"));
        x->seat_lon = OGR_F_GetFieldAsDouble(f, OGR_F_GetFieldIndex(f, "seat_lon"));
        x->seat_lat = OGR_F_GetFieldAsDouble(f, OGR_F_GetFieldIndex(f, "seat_lat"));
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        x->wkb_len = (size_t)OGR_G_WkbSize(g);
        x->wkb = malloc(x->wkb_len);
        OGR_G_ExportToIsoWkb(g, wkbNDR, x->wkb);
        OGR_F_Destroy(f);
    }
    OGR_DS_Destroy(ds);
    return n;
}

/* The fixture as a model sampled with `target` samples per unit. */
static void build_model(CovModel *m, CovGrid *g, FxUnit *u, int n, int target, double *areas) {
    cov_model_init(m);
    for (int i = 0; i < n; i++) {
        double *xy = NULL, area = 0, h = 0;
        size_t count = 0;
        char *err = NULL;
        CHECK(cov_grid_sample(g, u[i].wkb, u[i].wkb_len, target, &xy, &count, &area, &h, &err) == 0);
        free(err);
        CovUnitSpec s = {u[i].code, u[i].code, "FX", u[i].population, 2025, area,
                         u[i].seat_lon, u[i].seat_lat, 1, 0};
        CHECK(cov_model_add(m, &s, xy, count) == i);
        if (areas) areas[i] = area;
        free(xy);
    }
    CHECK(cov_model_finish(m) == 0);
}

static long unit_index(const CovModel *m, const char *code) {
    for (size_t i = 0; i < m->n_units; i++)
        if (!strcmp(m->units[i].code, code)) return (long)i;
    return -1;
}

static void test_geodesic(void) {
    /* PROJ's own answer: echo "21.0285 105.8520 21.2731 106.1946" | geod +ellps=WGS84 -I +units=m */
    CHECK_DBL(cov_geodesic_m(105.8520, 21.0285, 106.1946, 21.2731), 44717.679, 0.001);
    CHECK_DBL(cov_geodesic_m(106.1946, 21.2731, 105.8520, 21.0285), 44717.679, 0.001);
    CHECK_DBL(cov_geodesic_m(105.05, 10.05, 105.15, 10.05), 10962.256, 0.001);
    CHECK(isnan(cov_geodesic_m(NAN, 0, 1, 1)));
    CHECK(cov_geodesic_m(1, 2, 1, 2) == 0);
}

/* The mid-latitude distance stays within half the bound coverage.c relies on. */
static void test_approx_bound(void) {
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1 / 298.257223563);
    unsigned long long s = 12345;
    double worst = 0, worst_ratio = 0;
    for (int i = 0; i < 200000; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double lat = -85 + 170 * ((s >> 11) & 0xffff) / 65535.0;
        double lon = -179 + 358 * ((s >> 27) & 0xffff) / 65535.0;
        double az = 360 * ((s >> 43) & 0xffff) / 65535.0;
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double d = 1 + (COV_MAX_RADIUS_M - 1) * pow(((s >> 11) & 0xffffff) / 16777215.0, 2);
        double lat2, lon2;
        geod_direct(&g, lat, lon, az, d, &lat2, &lon2, NULL);
        if (fabs(lat2) > 85) continue;
        double e = fabs(cov_approx_m(lon, lat, lon2, lat2) / d - 1);
        if (e > worst) worst = e;
        double ratio = e / cov_approx_eps(lat, d);
        if (ratio > worst_ratio) worst_ratio = ratio;
    }
    fprintf(stderr, "     mid-latitude distance: worst relative error %.2e, worst error/bound %.2f\n", worst,
            worst_ratio);
    CHECK(worst_ratio < 0.5); /* the bound keeps a safety factor of 2 */
    CHECK(cov_approx_eps(21, 10000) < 1e-5);
    CHECK(isinf(cov_approx_eps(89.5, 1000)));
}

static void test_fixture(FxUnit *fx, int nfx) {
    char *err = NULL;
    CovGrid *g = cov_grid_new(105.1, 10.1, &err);
    CHECK(g != NULL);
    if (!g) return;
    CovModel m;
    double areas[4];
    build_model(&m, g, fx, nfx, 65536, areas); /* dense: shares to ~0.1 point */
    long f1 = unit_index(&m, "F1"), f2 = unit_index(&m, "F2"), f3 = unit_index(&m, "F3"),
         f4 = unit_index(&m, "F4");
    CHECK(f1 >= 0 && f2 >= 0 && f3 >= 0 && f4 >= 0);
    if (f1 < 0 || f2 < 0 || f3 < 0 || f4 < 0) return;
    /* Snyder eq. 3-12 areas; the edges are straight in the frame, so the
     * parallels' curvature costs ~0.003 km2 per edge. */
    CHECK_DBL(areas[f1], 121.2514, 0.01);
    CHECK_DBL(areas[f3], 121.2147, 0.01);

    CovSite sites[2] = {{"FA", "A", "college", "public", 105.05, 10.05, f1},
                        {"FB", "B", "vet_centre", "public", 105.15, 10.15, f4}};
    CovUnitResult r[4];
    unsigned char *flags = malloc(m.n_samples);
    CHECK(cov_evaluate(&m, sites, 2, 3000, r, flags) == 0);
    CHECK_INT(r[f1].nearest, 0);
    CHECK_DBL(r[f1].nearest_m, 0, 1e-6);
    CHECK_INT(r[f2].nearest, 0);
    CHECK_DBL(r[f2].nearest_m / 1000, 10.962256, 0.001);
    CHECK_INT(r[f3].nearest, 1);
    CHECK_DBL(r[f3].nearest_m / 1000, 10.958871, 0.001);
    CHECK_INT(r[f4].nearest, 1);
    CHECK_DBL(r[f1].covered_share, 0.233188, 0.002);
    CHECK_DBL(r[f4].covered_share, 0.233258, 0.002);
    CHECK(r[f2].covered_share == 0 && r[f3].covered_share == 0);
    CHECK_DBL(r[f1].covered_pop, 2331.88, 20);
    CHECK_DBL(r[f4].covered_pop, 4665.17, 40);
    CHECK_INT(r[f1].sites_in_unit, 1);
    CHECK_INT(r[f2].sites_in_unit, 0);
    CHECK(r[f1].within_radius && r[f4].within_radius && !r[f2].within_radius && !r[f3].within_radius);

    CovSummary s;
    cov_summarize(&m, r, NULL, 0, &s);
    CHECK_DBL(s.population, 100000, 0);
    CHECK_DBL(s.covered_population, 6997.04, 60);
    CHECK_DBL(s.covered_share, 0.0699704, 0.0006);
    CHECK_DBL(s.mean_distance_m / 1000, 7.672564, 0.001);
    CHECK_DBL(s.worst_distance_m / 1000, 10.962256, 0.001);
    CHECK_INT(s.worst_unit, f2);
    CHECK_INT(s.units_without, 2);
    CHECK_INT(s.units, 4);
    CHECK_INT(s.sites_in_units, 2);
    /* a subset: the two units without an institution */
    size_t idx[2] = {(size_t)f2, (size_t)f3};
    cov_summarize(&m, r, idx, 2, &s);
    CHECK_DBL(s.population, 70000, 0);
    CHECK_DBL(s.covered_population, 0, 0);

    /* R = 20 km: everyone, through the "whole unit within R" shortcut */
    CHECK(cov_evaluate(&m, sites, 2, 20000, r, NULL) == 0);
    cov_summarize(&m, r, NULL, 0, &s);
    CHECK_DBL(s.covered_population, 100000, 1e-6);
    CHECK_INT(s.units_without, 0);

    /* suggestion: F2's seat, then F3's */
    CovCandidate *c = NULL;
    size_t nc = cov_candidates_points(&m, &c);
    CHECK_INT(nc, 4);
    CovSuggestion sg[3];
    int ns = 0;
    CHECK(cov_suggest(&m, sites, 2, 3000, c, nc, 3, sg, &ns) == 0);
    CHECK_INT(ns, 2); /* the third would add nobody */
    if (ns >= 2) {
        CHECK_INT(sg[0].unit, f2);
        CHECK_DBL(sg[0].lon, 105.15, 1e-9);
        CHECK_DBL(sg[0].gain_pop, 9327.51, 80);
        CHECK_INT(sg[1].unit, f3);
        CHECK_DBL(sg[1].gain_pop, 6997.75, 60);
    }
    CHECK(cov_suggest(&m, sites, 2, 3000, c, nc, 0, sg, &ns) == -1);
    CHECK(cov_suggest(&m, sites, 2, -1, c, nc, 1, sg, &ns) == -1);
    CHECK(cov_suggest(&m, sites, 2, 3000, c, nc, COV_MAX_SUGGEST + 1, sg, &ns) == -1);
    free(c);

    /* what-if: add a site at F2's seat; remove FA */
    CovSite more[3] = {sites[0], sites[1], {"NEW", "new", "vet_centre", "public", 105.15, 10.05, f2}};
    CHECK(cov_evaluate(&m, more, 3, 3000, r, NULL) == 0);
    cov_summarize(&m, r, NULL, 0, &s);
    CHECK_DBL(s.covered_population, 16324.55, 140);
    CHECK(cov_evaluate(&m, &sites[1], 1, 3000, r, NULL) == 0);
    cov_summarize(&m, r, NULL, 0, &s);
    CHECK_DBL(s.covered_population, 4665.17, 40);

    /* no sites at all */
    CHECK(cov_evaluate(&m, NULL, 0, 3000, r, NULL) == 0);
    CHECK_INT(r[f1].nearest, -1);
    CHECK(isnan(r[f1].nearest_m));
    cov_summarize(&m, r, NULL, 0, &s);
    CHECK(isnan(s.worst_distance_m) && isnan(s.mean_distance_m));
    CHECK_INT(s.units_without, 4);

    /* bad arguments */
    CHECK(cov_evaluate(&m, sites, 2, 0, r, NULL) == -1);
    CHECK(cov_evaluate(&m, sites, 2, COV_MAX_RADIUS_M * 2, r, NULL) == -1);
    CovSite bad = {"X", "x", NULL, NULL, NAN, 10, -1};
    CHECK(cov_evaluate(&m, &bad, 1, 3000, r, NULL) == -1);

    free(flags);
    cov_model_free(&m);
    cov_grid_free(g);
}

/* Default sampling against the exact GEOS reference, and every sample's
 * decision against geod_inverse itself. */
static void test_reference(FxUnit *fx, int nfx) {
    char *err = NULL;
    CovGrid *g = cov_grid_new(105.1, 10.1, &err);
    if (!g) return;
    CovModel m;
    build_model(&m, g, fx, nfx, COV_GRID_TARGET, NULL);
    CovSite sites[4] = {{"FA", NULL, NULL, NULL, 105.05, 10.05, -1},
                        {"FB", NULL, NULL, NULL, 105.15, 10.15, -1},
                        {"FC", NULL, NULL, NULL, 105.1, 10.0, -1},   /* on an edge */
                        {"FD", NULL, NULL, NULL, 105.21, 10.02, -1}}; /* outside */
    const double radii[] = {2500, 6500, 8000, 12000, 15000};
    double worst = 0;
    for (size_t k = 0; k < sizeof radii / sizeof radii[0]; k++) {
        CovUnitResult r[4];
        unsigned char *flags = malloc(m.n_samples);
        CHECK(cov_evaluate(&m, sites, 4, radii[k], r, flags) == 0);
        for (int i = 0; i < nfx; i++) {
            double exact = -1;
            CHECK(cov_grid_exact_share(g, fx[i].wkb, fx[i].wkb_len, sites, 4, radii[k], &exact, &err) == 0);
            double d = fabs(r[i].covered_share - exact);
            if (d > worst) worst = d;
            CHECK(d <= 0.01);
            /* brute force: every sample decided exactly as geod_inverse would */
            const CovUnit *u = &m.units[i];
            size_t mismatches = 0;
            for (size_t j = u->first; j < u->first + u->count; j++) {
                int in = 0;
                for (int s = 0; s < 4 && !in; s++)
                    in = cov_geodesic_m(sites[s].lon, sites[s].lat, m.xy[2 * j], m.xy[2 * j + 1]) <= radii[k];
                mismatches += in != flags[j];
            }
            CHECK_INT(mismatches, 0);
        }
        free(flags);
    }
    fprintf(stderr, "     default sampling vs exact intersection: worst |share diff| %.4f\n", worst);
    cov_model_free(&m);

    /* An irregular unit (concave, with a hole) and a site on its boundary. */
    OGRGeometryH poly = NULL;
    char wkt[] = "POLYGON((105.0 10.0,105.3 10.02,105.12 10.08,105.28 10.25,104.98 10.2,105.0 10.0),"
                 "(105.05 10.1,105.1 10.1,105.08 10.15,105.05 10.1))";
    char *p = wkt;
    CHECK(OGR_G_CreateFromWkt(&p, NULL, &poly) == OGRERR_NONE);
    size_t len = (size_t)OGR_G_WkbSize(poly);
    unsigned char *wkb = malloc(len);
    OGR_G_ExportToIsoWkb(poly, wkbNDR, wkb);
    double *xy = NULL, area = 0, h = 0;
    size_t count = 0;
    CHECK(cov_grid_sample(g, wkb, len, COV_GRID_TARGET, &xy, &count, &area, &h, &err) == 0);
    CHECK(count > COV_GRID_TARGET / 2 && count < COV_GRID_TARGET * 2);
    cov_model_init(&m);
    CovUnitSpec spec = {"IRR", "irregular", NULL, 1000, 0, area, 105.1, 10.1, 0, 0};
    cov_model_add(&m, &spec, xy, count);
    cov_model_finish(&m);
    CovSite edge[2] = {{"E1", NULL, NULL, NULL, 105.12, 10.08, -1}, {"E2", NULL, NULL, NULL, 104.99, 10.19, -1}};
    for (double rad = 3000; rad <= 18000; rad += 5000) {
        CovUnitResult r;
        double exact = -1;
        CHECK(cov_evaluate(&m, edge, 2, rad, &r, NULL) == 0);
        CHECK(cov_grid_exact_share(g, wkb, len, edge, 2, rad, &exact, &err) == 0);
        CHECK(fabs(r.covered_share - exact) <= 0.01);
    }
    /* not a polygon */
    OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(pt, 0, 105, 10);
    unsigned char ptwkb[64];
    OGR_G_ExportToIsoWkb(pt, wkbNDR, ptwkb);
    double *xy2 = NULL;
    CHECK(cov_grid_sample(g, ptwkb, (size_t)OGR_G_WkbSize(pt), 100, &xy2, &count, &area, &h, &err) == -1);
    CHECK(err != NULL);
    free(err);
    err = NULL;
    CHECK(cov_grid_sample(g, (const unsigned char *)"junk", 4, 100, &xy2, &count, &area, &h, &err) == -1);
    free(err);
    OGR_G_DestroyGeometry(pt);
    OGR_G_DestroyGeometry(poly);
    free(wkb);
    free(xy);
    cov_model_free(&m);
    cov_grid_free(g);
}

static void test_model_edges(void) {
    CovModel m;
    cov_model_init(&m);
    /* no samples: the population point stands for the unit */
    CovUnitSpec s = {"P", "p", NULL, 500, 0, 1, 105.0, 21.0, 1, 0};
    CHECK(cov_model_add(&m, &s, NULL, 0) == 0);
    CovUnitSpec bad = {"B", "b", NULL, 1, 0, 1, NAN, 21.0, 1, 0};
    CHECK(cov_model_add(&m, &bad, NULL, 0) == -1);
    CHECK(cov_model_finish(&m) == 0);
    CHECK(cov_model_add(&m, &s, NULL, 0) == -1); /* finished */
    CovSite near = {"N", NULL, NULL, NULL, 105.01, 21.0, -1};
    CovUnitResult r;
    CHECK(cov_evaluate(&m, &near, 1, 2000, &r, NULL) == 0);
    CHECK_DBL(r.covered_share, 1, 0);
    CHECK_DBL(r.covered_pop, 500, 0);
    CHECK(cov_evaluate(&m, &near, 1, 500, &r, NULL) == 0);
    CHECK_DBL(r.covered_share, 0, 0);
    /* grid candidates: at least one, none for a tiny spacing */
    CovCandidate *c = NULL;
    CHECK(cov_candidates_grid(&m, 1000, &c) == 1);
    free(c);
    CHECK(cov_candidates_grid(&m, 10, &c) == 0);
    cov_model_free(&m);
}

static void test_grid_candidates(FxUnit *fx, int nfx) {
    char *err = NULL;
    CovGrid *g = cov_grid_new(105.1, 10.1, &err);
    if (!g) return;
    CovModel m;
    build_model(&m, g, fx, nfx, 1024, NULL);
    CovCandidate *c = NULL;
    size_t n = cov_candidates_grid(&m, 5000, &c);
    /* 22 x 22 km at 5 km: 5 x 5 cells, give or take the edges */
    CHECK(n >= 16 && n <= 36);
    size_t inside = 0;
    for (size_t i = 0; i < n; i++)
        inside += c[i].lon >= 105.0 && c[i].lon <= 105.2 && c[i].lat >= 10.0 && c[i].lat <= 10.2 && c[i].unit >= 0;
    CHECK_INT(inside, n);
    /* suggestions from the grid: the first one goes to the big uncovered F2 */
    CovSite sites[2] = {{"FA", NULL, NULL, NULL, 105.05, 10.05, -1}, {"FB", NULL, NULL, NULL, 105.15, 10.15, -1}};
    CovSuggestion sg[2];
    int ns = 0;
    CHECK(cov_suggest(&m, sites, 2, 3000, c, n, 2, sg, &ns) == 0);
    CHECK_INT(ns, 2);
    if (ns > 0) CHECK_STR(m.units[sg[0].unit].code, "F2");
    free(c);
    cov_model_free(&m);
    cov_grid_free(g);
}

int main(void) {
    test_geodesic();
    test_approx_bound();
    FxUnit fx[8];
    int n = load_fixture(fx, 8);
    CHECK_INT(n, 4);
    if (n == 4) {
        test_fixture(fx, n);
        test_reference(fx, n);
        test_grid_candidates(fx, n);
    }
    test_model_edges();
    for (int i = 0; i < n; i++) free(fx[i].wkb);
    return unit_summary();
}
