/* coverage_grid.c — equal-area grid samples and the exact reference
 * (coverage_grid.h). */
#include "coverage/coverage_grid.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <geodesic.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct CovGrid {
    OGRSpatialReferenceH wgs84, laea;
    OGRCoordinateTransformationH fwd, inv;
    char crs[160];
};

static char *msg(const char *fmt, const char *a) {
    size_t n = strlen(fmt) + (a ? strlen(a) : 0) + 1;
    char *s = malloc(n);
    if (s) snprintf(s, n, fmt, a ? a : "");
    return s;
}

CovGrid *cov_grid_new(double lon0, double lat0, char **err) {
    *err = NULL;
    if (!isfinite(lon0) || !isfinite(lat0) || fabs(lat0) > 90 || fabs(lon0) > 180) {
        *err = msg("equal-area frame: centre out of range%s", "");
        return NULL;
    }
    CovGrid *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->wgs84 = OSRNewSpatialReference(NULL);
    g->laea = OSRNewSpatialReference(NULL);
    /* Centres are rounded so the frame (and hence the samples) of a layout
     * does not wobble with the last digit of its extent. */
    lon0 = round(lon0 * 100) / 100;
    lat0 = round(lat0 * 100) / 100;
    snprintf(g->crs, sizeof g->crs, "+proj=laea +lat_0=%.2f +lon_0=%.2f +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs",
             lat0, lon0);
    if (!g->wgs84 || !g->laea || OSRImportFromEPSG(g->wgs84, 4326) != OGRERR_NONE ||
        OSRImportFromProj4(g->laea, g->crs) != OGRERR_NONE) {
        *err = msg("equal-area frame: PROJ cannot build %s", g->crs);
        cov_grid_free(g);
        return NULL;
    }
    /* lon/lat order whatever the EPSG axis order says */
    OSRSetAxisMappingStrategy(g->wgs84, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(g->laea, OAMS_TRADITIONAL_GIS_ORDER);
    g->fwd = OCTNewCoordinateTransformation(g->wgs84, g->laea);
    g->inv = OCTNewCoordinateTransformation(g->laea, g->wgs84);
    if (!g->fwd || !g->inv) {
        *err = msg("equal-area frame: no transformation to %s", g->crs);
        cov_grid_free(g);
        return NULL;
    }
    return g;
}

void cov_grid_free(CovGrid *g) {
    if (!g) return;
    if (g->fwd) OCTDestroyCoordinateTransformation(g->fwd);
    if (g->inv) OCTDestroyCoordinateTransformation(g->inv);
    if (g->wgs84) OSRDestroySpatialReference(g->wgs84);
    if (g->laea) OSRDestroySpatialReference(g->laea);
    free(g);
}

const char *cov_grid_crs(const CovGrid *g) { return g->crs; }

/* The WKB as a polygon or multipolygon in the frame, or NULL with *err. */
static OGRGeometryH projected(CovGrid *g, const unsigned char *wkb, size_t len, char **err) {
    OGRGeometryH geom = NULL;
    if (!wkb || len == 0 || len > (size_t)0x7fffffff ||
        OGR_G_CreateFromWkb(wkb, NULL, &geom, (int)len) != OGRERR_NONE || !geom) {
        *err = msg("geometry is not valid WKB%s", "");
        return NULL;
    }
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(geom));
    if (t != wkbPolygon && t != wkbMultiPolygon) {
        *err = msg("geometry is a %s, not a polygon", OGRGeometryTypeToName(t));
        OGR_G_DestroyGeometry(geom);
        return NULL;
    }
    if (OGR_G_Transform(geom, g->fwd) != OGRERR_NONE) {
        *err = msg("geometry cannot be projected to %s", g->crs);
        OGR_G_DestroyGeometry(geom);
        return NULL;
    }
    return geom;
}

/* ---------------------------------------------------------------- samples */

typedef struct Edges {
    double *e;               /* x1,y1,x2,y2 per edge */
    size_t n, cap;
    double xmin, ymin, xmax, ymax;
} Edges;

static int edges_add_ring(Edges *E, OGRGeometryH ring) {
    int np = OGR_G_GetPointCount(ring);
    if (np < 2) return 0;
    double *x = malloc((size_t)np * sizeof *x), *y = malloc((size_t)np * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return -1;
    }
    OGR_G_GetPoints(ring, x, sizeof(double), y, sizeof(double), NULL, 0);
    if (E->n + (size_t)np > E->cap) {
        size_t cap = E->cap ? E->cap : 256;
        while (cap < E->n + (size_t)np) cap *= 2;
        double *e = realloc(E->e, cap * 4 * sizeof *e);
        if (!e) {
            free(x);
            free(y);
            return -1;
        }
        E->e = e;
        E->cap = cap;
    }
    for (int i = 0; i < np; i++) {
        int j = (i + 1) % np; /* closes the ring even when the input did not */
        if (x[i] == x[j] && y[i] == y[j]) continue;
        double *e = E->e + 4 * E->n++;
        e[0] = x[i];
        e[1] = y[i];
        e[2] = x[j];
        e[3] = y[j];
        if (x[i] < E->xmin) E->xmin = x[i];
        if (x[i] > E->xmax) E->xmax = x[i];
        if (y[i] < E->ymin) E->ymin = y[i];
        if (y[i] > E->ymax) E->ymax = y[i];
    }
    free(x);
    free(y);
    return 0;
}

/* Every ring of every polygon: the even-odd rule then needs no nesting. */
static int edges_collect(Edges *E, OGRGeometryH geom) {
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(geom));
    if (t == wkbMultiPolygon) {
        for (int i = 0; i < OGR_G_GetGeometryCount(geom); i++)
            if (edges_collect(E, OGR_G_GetGeometryRef(geom, i)) != 0) return -1;
        return 0;
    }
    for (int i = 0; i < OGR_G_GetGeometryCount(geom); i++)
        if (edges_add_ring(E, OGR_G_GetGeometryRef(geom, i)) != 0) return -1;
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Cell centres ((i + 1/2) h, (j + 1/2) h) inside the edges, by scanline.
 * A point exactly on an edge's end height counts with the half-open rule
 * (y1 <= y) != (y2 <= y), so a vertex is crossed once. */
static int scan(const Edges *E, double h, double **out, size_t *n_out) {
    size_t n = 0, cap = 256;
    double *pts = malloc(cap * 2 * sizeof *pts);
    double *xs = malloc((E->n ? E->n : 1) * sizeof *xs);
    if (!pts || !xs) {
        free(pts);
        free(xs);
        return -1;
    }
    long j0 = (long)floor(E->ymin / h - 0.5), j1 = (long)ceil(E->ymax / h - 0.5);
    for (long j = j0; j <= j1; j++) {
        double y = (j + 0.5) * h;
        size_t nx = 0;
        for (size_t k = 0; k < E->n; k++) {
            const double *e = E->e + 4 * k;
            if ((e[1] <= y) == (e[3] <= y)) continue;
            xs[nx++] = e[0] + (y - e[1]) * (e[2] - e[0]) / (e[3] - e[1]);
        }
        if (nx < 2) continue;
        qsort(xs, nx, sizeof *xs, cmp_double);
        for (size_t k = 0; k + 1 < nx; k += 2) {
            long i0 = (long)ceil(xs[k] / h - 0.5), i1 = (long)ceil(xs[k + 1] / h - 0.5) - 1;
            for (long i = i0; i <= i1; i++) {
                if (n == cap) {
                    cap *= 2;
                    double *p = realloc(pts, cap * 2 * sizeof *p);
                    if (!p) {
                        free(pts);
                        free(xs);
                        return -1;
                    }
                    pts = p;
                }
                pts[2 * n] = (i + 0.5) * h;
                pts[2 * n + 1] = y;
                n++;
            }
        }
    }
    free(xs);
    *out = pts;
    *n_out = n;
    return 0;
}

int cov_grid_sample(CovGrid *g, const unsigned char *wkb, size_t wkb_len, int target, double **xy,
                    size_t *n, double *area_km2, double *spacing_m, char **err) {
    *err = NULL;
    *xy = NULL;
    *n = 0;
    if (target < 1) target = 1;
    OGRGeometryH geom = projected(g, wkb, wkb_len, err);
    if (!geom) return -1;
    double area = OGR_G_Area(geom);
    *area_km2 = area / 1e6;
    Edges E = {NULL, 0, 0, INFINITY, INFINITY, -INFINITY, -INFINITY};
    int rc = edges_collect(&E, geom);
    OGR_G_DestroyGeometry(geom);
    if (rc != 0) {
        free(E.e);
        *err = msg("out of memory%s", "");
        return -1;
    }
    double h = sqrt(area / target);
    if (!(h >= COV_GRID_MIN_SPACING_M)) h = COV_GRID_MIN_SPACING_M;
    double *pts = NULL;
    size_t count = 0;
    /* A thin or ragged unit holds fewer cell centres than area / h^2:
     * refine until it has at least a quarter of the target. */
    for (int pass = 0; pass < 4; pass++) {
        free(pts);
        pts = NULL;
        if (scan(&E, h, &pts, &count) != 0) {
            free(E.e);
            *err = msg("out of memory%s", "");
            return -1;
        }
        if (count * 4 >= (size_t)target || h / 2 < COV_GRID_MIN_SPACING_M) break;
        h /= 2;
    }
    free(E.e);
    *spacing_m = h;
    if (count == 0) {
        free(pts);
        return 0;
    }
    /* back to lon/lat, in place (x,y interleaved) */
    double *x = malloc(count * sizeof *x), *y = malloc(count * sizeof *y);
    int *ok = malloc(count * sizeof *ok);
    if (!x || !y || !ok) {
        free(x);
        free(y);
        free(ok);
        free(pts);
        *err = msg("out of memory%s", "");
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        x[i] = pts[2 * i];
        y[i] = pts[2 * i + 1];
    }
    if (!OCTTransformEx(g->inv, (int)count, x, y, NULL, ok)) {
        free(x);
        free(y);
        free(ok);
        free(pts);
        *err = msg("samples cannot be projected back from %s", g->crs);
        return -1;
    }
    size_t m = 0;
    for (size_t i = 0; i < count; i++) {
        if (!ok[i] || !isfinite(x[i]) || !isfinite(y[i])) continue;
        pts[2 * m] = x[i];
        pts[2 * m + 1] = y[i];
        m++;
    }
    free(x);
    free(y);
    free(ok);
    *xy = pts;
    *n = m;
    return 0;
}

/* ----------------------------------------------------------- exact share */

#define CIRCLE_VERTICES 720

int cov_grid_exact_share(CovGrid *g, const unsigned char *wkb, size_t wkb_len, const CovSite *sites,
                         size_t n_sites, double radius_m, double *share, char **err) {
    *err = NULL;
    *share = 0;
    OGRGeometryH unit = projected(g, wkb, wkb_len, err);
    if (!unit) return -1;
    double area = OGR_G_Area(unit);
    if (!(area > 0)) {
        OGR_G_DestroyGeometry(unit);
        return 0;
    }
    struct geod_geodesic geod;
    geod_init(&geod, 6378137.0, 1.0 / 298.257223563);
    OGRGeometryH disks = OGR_G_CreateGeometry(wkbMultiPolygon);
    for (size_t s = 0; s < n_sites; s++) {
        OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
        for (int k = 0; k <= CIRCLE_VERTICES; k++) {
            double lat, lon;
            /* clockwise from north is fine: OGR/GEOS do not care */
            geod_direct(&geod, sites[s].lat, sites[s].lon, 360.0 * (k % CIRCLE_VERTICES) / CIRCLE_VERTICES,
                        radius_m, &lat, &lon, NULL);
            OGR_G_AddPoint_2D(ring, lon, lat);
        }
        OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
        OGR_G_AddGeometryDirectly(poly, ring);
        OGR_G_AddGeometryDirectly(disks, poly);
    }
    int rc = 0;
    if (OGR_G_Transform(disks, g->fwd) != OGRERR_NONE) {
        *err = msg("circles cannot be projected to %s", g->crs);
        rc = -1;
    } else if (n_sites > 0) {
        OGRGeometryH uni = OGR_G_UnionCascaded(disks);
        OGRGeometryH cut = uni ? OGR_G_Intersection(unit, uni) : NULL;
        if (!cut) {
            *err = msg("GEOS union/intersection failed%s", "");
            rc = -1;
        } else {
            *share = OGR_G_Area(cut) / area;
        }
        if (uni) OGR_G_DestroyGeometry(uni);
        if (cut) OGR_G_DestroyGeometry(cut);
    }
    OGR_G_DestroyGeometry(disks);
    OGR_G_DestroyGeometry(unit);
    return rc;
}
