/* test_ingest.c — the pure parts of the ingest: the strict number parser
 * (CASES I2, I3, I8), the string map, VN-2000 CRS resolution (C1, C2, C5)
 * and the geodesic area. */
#include "ingest/ingest_internal.h"
#include "unit.h"

#include <ogr_api.h>
#include <stdlib.h>

static void test_parse_number(void) {
    double v = 0;
    CHECK_INT(ing_parse_number("105.85", &v), 1);
    CHECK_DBL(v, 105.85, 0);
    CHECK_INT(ing_parse_number(" 21,03 ", &v), 1); /* decimal comma */
    CHECK_DBL(v, 21.03, 0);
    CHECK_INT(ing_parse_number("-1.5e3", &v), 1);
    CHECK_DBL(v, -1500, 0);
    CHECK_INT(ing_parse_number("416226,7716", &v), 1);
    CHECK_DBL(v, 416226.7716, 0);
    /* Missing, not errors (I3). */
    const char *missing[] = {NULL, "", "   ", "NaN", "nan", "-inf", "Infinity", "NULL", "N/A", "-"};
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) CHECK_INT(ing_parse_number(missing[i], &v), 0);
    /* Not numbers: never guessed. */
    const char *bad[] = {"abc", "1,234.5", "1.2.3", "12a", "1e", "--1", ".", "1e999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK_INT(ing_parse_number(bad[i], &v), -1);
}

static void test_strmap(void) {
    StrMap m;
    strmap_init(&m);
    char key[32];
    int failed = 0;
    for (long i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "%04ld", i);
        failed |= strmap_put(&m, key, i) != 0;
    }
    CHECK(!failed);
    CHECK_INT(m.count, 1000);
    CHECK(strmap_get(&m, "0012") && *strmap_get(&m, "0012") == 12);
    CHECK(strmap_get(&m, "12") == NULL);
    strmap_put(&m, "0012", -2);
    CHECK_INT(*strmap_get(&m, "0012"), -2);
    CHECK_INT(m.count, 1000);
    strmap_free(&m);
}

/* Transform (x, y) from the CRS `declared` (or a .prj text) to lon/lat. */
static int to_wgs84(const char *declared, double *x, double *y) {
    char *desc = NULL, *err = NULL;
    OGRSpatialReferenceH srs = crs_resolve(declared, NULL, &desc, &err);
    if (!srs) {
        free(err);
        return 0;
    }
    OGRCoordinateTransformationH ct = crs_transformer(srs, &err);
    int ok = !err && crs_transform_point(ct, x, y);
    if (ct) OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(srs);
    free(desc);
    free(err);
    return ok;
}

static void test_crs(void) {
    double x = 416226.7716, y = 2353402.4531; /* C1 */
    CHECK(to_wgs84("EPSG:9214", &x, &y));
    CHECK_DBL(x, 106.1946, 1e-6);
    CHECK_DBL(y, 21.2731, 1e-6);
    /* C2: an ESRI WKT whose datum name PROJ does not know, no TOWGS84. */
    x = 416226.7716, y = 2353402.4531;
    CHECK(to_wgs84("PROJCS[\"VN-2000 / TM-3 107-00\",GEOGCS[\"VN-2000\",DATUM[\"VN-2000\",SPHEROID[\"WGS_1984\","
                   "6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],"
                   "PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"False_Easting\",500000.0],PARAMETER["
                   "\"False_Northing\",0.0],PARAMETER[\"Central_Meridian\",107.0],PARAMETER[\"Scale_Factor\","
                   "0.9999],PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]",
                   &x, &y));
    CHECK_DBL(x, 106.1946, 1e-6);
    CHECK_DBL(y, 21.2731, 1e-6);
    /* C4: EPSG:4326 declared, x stays lon. */
    x = 105.852, y = 21.0285;
    CHECK(to_wgs84("EPSG:4326", &x, &y));
    CHECK_DBL(x, 105.852, 0);
    CHECK_DBL(y, 21.0285, 0);
    /* C5: VN-2000 geographic -> WGS 84 through EPSG:6960. */
    x = 105.85, y = 21.03;
    CHECK(to_wgs84("EPSG:4756", &x, &y));
    CHECK_DBL(x, 105.8518827, 1e-6);
    CHECK_DBL(y, 21.0290140, 1e-6);
}

static void test_area(void) {
    /* A 1°×1° cell at the equator: 12,308.778 km² on WGS84 (Karney's
     * GeodSolve, also what PROJ's geod_polygonarea gives). */
    OGRGeometryH g = NULL;
    char *wkt = "POLYGON((0 0,1 0,1 1,0 1,0 0))";
    CHECK(OGR_G_CreateFromWkt(&wkt, NULL, &g) == OGRERR_NONE);
    CHECK_DBL(crs_geodesic_area_km2(g), 12308.778, 0.01);
    OGR_G_DestroyGeometry(g);
    /* A hole is subtracted, whatever the ring orientation. */
    wkt = "MULTIPOLYGON(((0 0,0 1,1 1,1 0,0 0),(0.25 0.25,0.75 0.25,0.75 0.75,0.25 0.75,0.25 0.25)))";
    CHECK(OGR_G_CreateFromWkt(&wkt, NULL, &g) == OGRERR_NONE);
    CHECK_DBL(crs_geodesic_area_km2(g), 12308.778 * 0.75, 1.0);
    OGR_G_DestroyGeometry(g);
}

int main(void) {
    test_parse_number();
    test_strmap();
    test_crs();
    test_area();
    return unit_summary();
}
