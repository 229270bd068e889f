/* ingest_crs.c — source CRS resolution (VN-2000 aware), transforms to
 * EPSG:4326 through PROJ via OGR, strict number parsing, geodesic area. */
#include "ingest/ingest_internal.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <ctype.h>
#include <geodesic.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ numbers */

/* strtod in the "C" locale, whatever LC_NUMERIC says: the same value as
 * CPLStrtod at a fraction of its cost (it copies and rescans the text), which
 * mattered with two numbers on every row of a big ingest. */
static locale_t c_numeric;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;
static void c_numeric_init(void) { c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

static double strtod_c(const char *s) {
    pthread_once(&c_numeric_once, c_numeric_init);
    return c_numeric ? strtod_l(s, NULL, c_numeric) : CPLStrtod(s, NULL);
}

int ing_parse_number(const char *s, double *out) {
    if (!s) return 0;
    while (isspace((unsigned char)*s)) s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1])) len--;
    if (!len) return 0;
    /* Spreadsheet and database spellings of "no value" (CASES I3). */
    static const char *const missing[] = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity",
                                          "+infinity", "-infinity", "null", "none", "na", "n/a", "-"};
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++)
        if (strlen(missing[i]) == len && !strncasecmp(s, missing[i], len)) return 0;
    if (len > 64) return -1;
    char buf[72];
    size_t o = 0, i = 0, digits = 0;
    int seps = 0;
    if (s[i] == '+' || s[i] == '-') buf[o++] = s[i++];
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            buf[o++] = c;
            digits++;
        } else if ((c == '.' || c == ',') && !seps) {
            /* One decimal separator, either kind; a second one means a
             * thousands separator or a list, which we refuse to guess. */
            buf[o++] = '.';
            seps = 1;
        } else
            break;
    }
    if (!digits) return -1;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        buf[o++] = 'e';
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) buf[o++] = s[i++];
        size_t ed = 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, ed++) buf[o++] = s[i];
        if (!ed) return -1;
    }
    if (i != len) return -1;
    buf[o] = '\0';
    double v = strtod_c(buf); /* locale-independent */
    if (!isfinite(v)) return -1;
    *out = v;
    return 1;
}

/* ---------------------------------------------------------------------- CRS */

OGRSpatialReferenceH crs_wgs84(void) {
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    if (!s) return NULL;
    if (OSRImportFromEPSG(s, 4326) != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        return NULL;
    }
    /* CASES C4: x = lon, y = lat whatever the authority's axis order. */
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    return s;
}

/* Letters and digits of s, lower-cased: "D_Vietnam_2000" -> "dvietnam2000". */
static void alnum_key(const char *s, char *out, size_t n) {
    size_t o = 0;
    for (; s && *s && o + 1 < n; s++)
        if (isalnum((unsigned char)*s)) out[o++] = (char)tolower((unsigned char)*s);
    out[o] = '\0';
}

static int vn2000_named(const char *name) {
    char k[128];
    alnum_key(name, k, sizeof k);
    return strstr(k, "vn2000") || strstr(k, "vietnam2000");
}

/* Remove a TOWGS84[...] node (GDAL then holds a BoundCRS, which
 * OSRCopyGeogCSFrom would replace whole).  Returns 0, or -1 on failure. */
static int strip_towgs84(OGRSpatialReferenceH srs) {
    char *wkt = NULL;
    if (OSRExportToWkt(srs, &wkt) != OGRERR_NONE || !wkt) {
        CPLFree(wkt);
        return -1;
    }
    char *t = strstr(wkt, ",TOWGS84[");
    int rc = 0;
    if (t) {
        char *end = strchr(t, ']');
        if (end) {
            memmove(t, end + 1, strlen(end + 1) + 1);
            char *in = wkt;
            rc = OSRImportFromWkt(srs, &in) == OGRERR_NONE ? 0 : -1;
        }
    }
    CPLFree(wkt);
    return rc;
}

/* VN-2000 (EPSG:6756 datum, WGS84 ellipsoid) needs a 7-parameter shift to
 * WGS84 (EPSG:6960).  PROJ ties a CRS to it only when it recognises the
 * datum; an ESRI .prj whose datum is spelled differently ("VN-2000"), or
 * one carrying TOWGS84[0,0,0,0,0,0,0], gets a zero shift: about 224 m off
 * in Bắc Giang (CASES C2).  Rebase such a CRS on EPSG:4756 so PROJ applies
 * its EPSG operation.  A non-zero TOWGS84 in the file is honoured as given.
 * Returns 1 when the CRS was rebased. */
static int rebase_vn2000(OGRSpatialReferenceH srs) {
    const char *auth = OSRGetAuthorityName(srs, "GEOGCS");
    const char *code = OSRGetAuthorityCode(srs, "GEOGCS");
    if (auth && code && !strcasecmp(auth, "EPSG") && !strcmp(code, "4756")) return 0;
    if (!vn2000_named(OSRGetAttrValue(srs, "DATUM", 0)) && !vn2000_named(OSRGetAttrValue(srs, "GEOGCS", 0)))
        return 0;
    double tw[7] = {0};
    if (OSRGetTOWGS84(srs, tw, 7) == OGRERR_NONE)
        for (int i = 0; i < 7; i++)
            if (tw[i] != 0.0) return 0;
    /* VN-2000 is defined on the WGS84 ellipsoid; anything else is not it. */
    if (fabs(OSRGetSemiMajor(srs, NULL) - 6378137.0) > 0.01 ||
        fabs(OSRGetInvFlattening(srs, NULL) - 298.257223563) > 1e-6)
        return 0;
    if (strip_towgs84(srs) != 0) return 0;
    OGRSpatialReferenceH vn = OSRNewSpatialReference(NULL);
    int done = 0;
    if (vn && OSRImportFromEPSG(vn, 4756) == OGRERR_NONE) {
        if (OSRIsProjected(srs))
            done = OSRCopyGeogCSFrom(srs, vn) == OGRERR_NONE;
        else if (OSRIsGeographic(srs))
            done = OSRImportFromEPSG(srs, 4756) == OGRERR_NONE;
    }
    OSRDestroySpatialReference(vn);
    return done;
}

/* "NAME (EPSG:N)" or "NAME". */
static char *describe(OGRSpatialReferenceH srs) {
    const char *name = OSRGetName(srs);
    const char *auth = OSRGetAuthorityName(srs, NULL);
    const char *code = OSRGetAuthorityCode(srs, NULL);
    if (auth && code) return ing_printf("%s (%s:%s)", name ? name : "?", auth, code);
    return ing_printf("%s", name ? name : "unnamed CRS");
}

OGRSpatialReferenceH crs_resolve(const char *declared, OGRSpatialReferenceH own, char **desc, char **err) {
    *err = NULL;
    *desc = NULL;
    OGRSpatialReferenceH srs = NULL;
    if (declared) {
        srs = OSRNewSpatialReference(NULL);
        if (!srs || OSRSetFromUserInput(srs, declared) != OGRERR_NONE) {
            *err = ing_printf("cannot understand the source CRS \"%s\" (use EPSG:N, WKT or a PROJ string)",
                              declared);
            OSRDestroySpatialReference(srs);
            return NULL;
        }
    } else if (own) {
        srs = OSRClone(own);
    } else {
        srs = crs_wgs84();
    }
    if (!srs) {
        *err = ing_printf("out of memory");
        return NULL;
    }
    int rebased = rebase_vn2000(srs);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    char *d = describe(srs);
    *desc = rebased ? ing_printf("%s, datum recognised as VN-2000 (EPSG:4756)", d ? d : "?") : d;
    if (rebased) free(d);
    return srs;
}

OGRSpatialReferenceH crs_from_prj_file(const char *path) {
    char **lines = CSLLoad2(path, 1000, 100000, NULL);
    if (!lines) return NULL;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    /* OSRImportFromESRI reads both ESRI and OGC WKT .prj files. */
    if (srs && OSRImportFromESRI(srs, lines) != OGRERR_NONE) {
        OSRDestroySpatialReference(srs);
        srs = NULL;
    }
    CSLDestroy(lines);
    return srs;
}

OGRCoordinateTransformationH crs_transformer(OGRSpatialReferenceH src, char **err) {
    *err = NULL;
    OGRSpatialReferenceH dst = crs_wgs84();
    if (!dst) {
        *err = ing_printf("out of memory");
        return NULL;
    }
    OGRCoordinateTransformationH ct = NULL;
    if (!OSRIsSame(src, dst)) {
        /* No ballpark: a transformation without a known datum shift would be
         * silently hundreds of metres off (CASES C2); refuse instead. */
        OGRCoordinateTransformationOptionsH o = OCTNewCoordinateTransformationOptions();
        if (o) OCTCoordinateTransformationOptionsSetBallparkAllowed(o, FALSE);
        CPLPushErrorHandler(CPLQuietErrorHandler);
        ct = OCTNewCoordinateTransformationEx(src, dst, o);
        CPLPopErrorHandler();
        if (o) OCTDestroyCoordinateTransformationOptions(o);
        if (!ct)
            *err = ing_printf("no datum transformation from %s to WGS 84 is known; declare the source CRS "
                              "with --source-crs EPSG:N",
                              OSRGetName(src) ? OSRGetName(src) : "the source CRS");
    }
    OSRDestroySpatialReference(dst);
    return ct;
}

int crs_transform_point(OGRCoordinateTransformationH ct, double *x, double *y) {
    if (ct) {
        double z = 0;
        int ok = 0;
        if (!OCTTransformEx(ct, 1, x, y, &z, &ok) || !ok) return 0;
    }
    return isfinite(*x) && isfinite(*y);
}

/* ------------------------------------------------------------- geodesic area */

static double ring_area(const struct geod_geodesic *g, OGRGeometryH ring) {
    int n = OGR_G_GetPointCount(ring);
    if (n < 3) return 0;
    struct geod_polygon p;
    geod_polygon_init(&p, 0);
    for (int i = 0; i < n; i++) geod_polygon_addpoint(g, &p, OGR_G_GetY(ring, i), OGR_G_GetX(ring, i));
    double area = 0, perim = 0;
    geod_polygon_compute(g, &p, 0, 1, &area, &perim);
    return fabs(area);
}

static double polygon_area(const struct geod_geodesic *g, OGRGeometryH poly) {
    int n = OGR_G_GetGeometryCount(poly);
    double a = 0;
    for (int i = 0; i < n; i++) {
        double r = ring_area(g, OGR_G_GetGeometryRef(poly, i));
        a += i == 0 ? r : -r;
    }
    return a;
}

double crs_geodesic_area_km2(OGRGeometryH geom) {
    if (!geom) return 0;
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1 / 298.257223563); /* WGS84 ellipsoid (EPSG:7030) */
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(geom));
    double m2 = 0;
    if (t == wkbPolygon)
        m2 = polygon_area(&g, geom);
    else if (t == wkbMultiPolygon || t == wkbGeometryCollection)
        for (int i = 0; i < OGR_G_GetGeometryCount(geom); i++) {
            OGRGeometryH part = OGR_G_GetGeometryRef(geom, i);
            if (wkbFlatten(OGR_G_GetGeometryType(part)) == wkbPolygon) m2 += polygon_area(&g, part);
        }
    return m2 / 1e6;
}
