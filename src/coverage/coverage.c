/* coverage.c — coverage measures and the covering-location suggestion
 * (coverage.h explains the method and the sources of its constants). */
#include "coverage/coverage.h"

#include <geodesic.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* WGS84 (EPSG:7030). */
#define WGS84_A 6378137.0
#define WGS84_F (1.0 / 298.257223563)
#define WGS84_E2 (WGS84_F * (2.0 - WGS84_F))
#define D2R (M_PI / 180.0)
/* Shortest meridian degree (at the equator, a(1-e^2) pi/180) and the
 * longest possible parallel degree scale (a pi/180): see coverage.h. */
#define MERIDIAN_DEG_MIN_M (WGS84_A * (1.0 - WGS84_E2) * D2R)
#define PARALLEL_DEG_EQ_M (WGS84_A * D2R)

static struct geod_geodesic wgs84;
static pthread_once_t wgs84_once = PTHREAD_ONCE_INIT;
static void wgs84_init(void) { geod_init(&wgs84, WGS84_A, WGS84_F); }

double cov_geodesic_m(double lon1, double lat1, double lon2, double lat2) {
    if (!isfinite(lon1) || !isfinite(lat1) || !isfinite(lon2) || !isfinite(lat2)) return NAN;
    pthread_once(&wgs84_once, wgs84_init);
    double s12 = 0;
    geod_inverse(&wgs84, lat1, lon1, lat2, lon2, &s12, NULL, NULL);
    return s12;
}

/* Longitude difference folded into [-180, 180]. */
static double dlon_deg(double lon1, double lon2) {
    double d = lon2 - lon1;
    if (d > 180) d -= 360;
    else if (d < -180) d += 360;
    return d;
}

double cov_approx_m(double lon1, double lat1, double lon2, double lat2) {
    double phim = 0.5 * (lat1 + lat2) * D2R;
    double s = sin(phim), c = cos(phim);
    double w = 1.0 - WGS84_E2 * s * s;
    double n = WGS84_A / sqrt(w);                  /* prime-vertical radius N */
    double mr = WGS84_A * (1.0 - WGS84_E2) / (w * sqrt(w)); /* meridian radius M */
    double dx = n * c * dlon_deg(lon1, lon2) * D2R, dy = mr * (lat2 - lat1) * D2R;
    return sqrt(dx * dx + dy * dy);
}

double cov_approx_eps(double lat, double d_m) {
    double phimax = fabs(lat) + d_m / MERIDIAN_DEG_MIN_M;
    if (phimax >= 89.0) return INFINITY;
    double c = cos(phimax * D2R), q = d_m / WGS84_A;
    return 0.1 * q * q / (c * c) + 1e-6; /* + rounding of the lon/lat differences */
}

/* A site ready for radius tests: the fast distance decides outside the
 * band R (1 +/- eps), geod_inverse inside it (eps from the site's latitude). */
typedef struct FastSite {
    double lon, lat, s0, c0;
    double r, lo2, hi2;      /* radius and the squared band limits */
} FastSite;

static FastSite fast_site(double lon, double lat, double r) {
    double eps = cov_approx_eps(lat, r);
    FastSite f = {lon, lat, sin(lat * D2R), cos(lat * D2R), r, 0, 0};
    if (eps < 0.5) {
        f.lo2 = r * (1 - eps) * r * (1 - eps);
        f.hi2 = r * (1 + eps) * r * (1 + eps);
    } else { /* near a pole: always exact */
        f.lo2 = -1;
        f.hi2 = INFINITY;
    }
    return f;
}

/* The same mid-latitude distance, squared, with the site's trigonometry done
 * once: sin/cos of the mid-latitude come from the site's by the angle-sum
 * formulas with short Taylor series of the half difference h (|h| <= 0.04
 * rad for 500 km, so the dropped terms are below 1e-9). */
static inline double fast_d2(const FastSite *f, double lon, double lat) {
    double h = 0.5 * (lat - f->lat) * D2R, h2 = h * h;
    double sh = h * (1.0 - h2 / 6.0), ch = 1.0 - 0.5 * h2 + h2 * h2 / 24.0;
    double s = f->s0 * ch + f->c0 * sh, c = f->c0 * ch - f->s0 * sh;
    double w = 1.0 - WGS84_E2 * s * s, rw = sqrt(w);
    double n = WGS84_A / rw, mr = WGS84_A * (1.0 - WGS84_E2) / (w * rw);
    double dx = n * c * dlon_deg(f->lon, lon) * D2R, dy = mr * 2.0 * h;
    return dx * dx + dy * dy;
}

static inline int within(const FastSite *f, double lon, double lat) {
    double d2 = fast_d2(f, lon, lat);
    if (d2 <= f->lo2) return 1;
    if (d2 > f->hi2) return 0;
    return cov_geodesic_m(f->lon, f->lat, lon, lat) <= f->r;
}

/* ------------------------------------------------------------------ model */

void cov_model_init(CovModel *m) { memset(m, 0, sizeof *m); }

static char *dup_or_null(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

long cov_model_add(CovModel *m, const CovUnitSpec *spec, const double *xy, size_t n) {
    if (m->finished || !isfinite(spec->pop_lon) || !isfinite(spec->pop_lat)) return -1;
    /* A unit without samples (too small for the grid, or no geometry) is
     * represented by its population point alone. */
    double self[2] = {spec->pop_lon, spec->pop_lat};
    if (n == 0) {
        xy = self;
        n = 1;
    }
    for (size_t i = 0; i < 2 * n; i++)
        if (!isfinite(xy[i])) return -1;
    if (grow((void **)&m->units, &m->cap_units, m->n_units + 1, sizeof *m->units) ||
        grow((void **)&m->xy, &m->cap_samples, 2 * (m->n_samples + n), sizeof *m->xy))
        return -1;
    CovUnit *u = &m->units[m->n_units];
    memset(u, 0, sizeof *u);
    u->code = dup_or_null(spec->code);
    u->name = dup_or_null(spec->name);
    u->parent_code = dup_or_null(spec->parent_code);
    if ((spec->code && !u->code) || (spec->name && !u->name) || (spec->parent_code && !u->parent_code)) {
        free(u->code);
        free(u->name);
        free(u->parent_code);
        return -1;
    }
    u->population = isfinite(spec->population) ? spec->population : -1;
    u->population_year = spec->population_year;
    u->area_km2 = spec->area_km2;
    u->pop_lon = spec->pop_lon;
    u->pop_lat = spec->pop_lat;
    u->pop_is_seat = spec->pop_is_seat;
    u->approximate = spec->approximate;
    u->first = m->n_samples;
    u->count = n;
    memcpy(m->xy + 2 * m->n_samples, xy, 2 * n * sizeof *xy);
    m->n_samples += n;
    return (long)m->n_units++;
}

int cov_model_finish(CovModel *m) {
    for (size_t i = 0; i < m->n_units; i++) {
        CovUnit *u = &m->units[i];
        const double *p = m->xy + 2 * u->first;
        double w = p[0], e = p[0], s = p[1], nn = p[1];
        for (size_t j = 1; j < u->count; j++) {
            double lon = p[2 * j] , lat = p[2 * j + 1];
            /* Units are small: longitudes are taken relative to the first
             * sample so a unit on the antimeridian keeps a tight box. */
            lon = p[0] + dlon_deg(p[0], lon);
            if (lon < w) w = lon;
            if (lon > e) e = lon;
            if (lat < s) s = lat;
            if (lat > nn) nn = lat;
        }
        u->c_lon = 0.5 * (w + e);
        if (u->c_lon > 180) u->c_lon -= 360;
        if (u->c_lon < -180) u->c_lon += 360;
        u->c_lat = 0.5 * (s + nn);
        double rho2 = 0;
        FastSite c = fast_site(u->c_lon, u->c_lat, 1);
        for (size_t j = 0; j < u->count; j++) {
            double d2 = fast_d2(&c, p[2 * j], p[2 * j + 1]);
            if (d2 > rho2) rho2 = d2;
        }
        double rho = sqrt(rho2);
        /* An upper bound on the geodesic radius: the approximation's error
         * bound (twice, for 1/(1 - eps)), plus a metre for rounding. */
        double eps = cov_approx_eps(u->c_lat, rho);
        u->rho_m = eps < 0.5 ? rho * (1 + 2 * eps) + 1.0 : INFINITY;
    }
    m->finished = 1;
    return 0;
}

void cov_model_free(CovModel *m) {
    for (size_t i = 0; i < m->n_units; i++) {
        free(m->units[i].code);
        free(m->units[i].name);
        free(m->units[i].parent_code);
    }
    free(m->units);
    free(m->xy);
    cov_model_init(m);
}

/* ------------------------------------------------------------ point grid */

/* Points bucketed in a lon/lat grid, for "every point within r of (lon, lat)"
 * queries with the conservative box of coverage.h. */
typedef struct PointGrid {
    double west, south, cell;
    long nx, ny;
    size_t *start;           /* nx*ny + 1 offsets into items */
    size_t *items;           /* point indexes grouped by cell */
    size_t n;
} PointGrid;

static void grid_free(PointGrid *g) {
    free(g->start);
    free(g->items);
    memset(g, 0, sizeof *g);
}

static long grid_cell_index(const PointGrid *g, double lon, double lat, long *ix, long *iy) {
    long x = (long)floor((lon - g->west) / g->cell), y = (long)floor((lat - g->south) / g->cell);
    if (x < 0) x = 0;
    if (x >= g->nx) x = g->nx - 1;
    if (y < 0) y = 0;
    if (y >= g->ny) y = g->ny - 1;
    *ix = x;
    *iy = y;
    return y * g->nx + x;
}

/* Bucket n points (lon,lat read through `at`) with cells of about cell_deg. */
static int grid_build(PointGrid *g, size_t n, double cell_deg,
                      void (*at)(const void *ctx, size_t i, double *lon, double *lat), const void *ctx) {
    memset(g, 0, sizeof *g);
    g->n = n;
    double w = INFINITY, e = -INFINITY, s = INFINITY, nn = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double lon, lat;
        at(ctx, i, &lon, &lat);
        if (lon < w) w = lon;
        if (lon > e) e = lon;
        if (lat < s) s = lat;
        if (lat > nn) nn = lat;
    }
    if (n == 0) w = e = s = nn = 0;
    if (!(cell_deg > 0)) cell_deg = 1;
    /* Keep the cell count proportional to the points (and bounded). */
    double span = fmax(e - w, nn - s);
    double min_cell = span / 2048.0;
    if (cell_deg < min_cell) cell_deg = min_cell;
    if (cell_deg <= 0) cell_deg = 1;
    g->west = w;
    g->south = s;
    g->cell = cell_deg;
    g->nx = (long)floor((e - w) / cell_deg) + 1;
    g->ny = (long)floor((nn - s) / cell_deg) + 1;
    size_t cells = (size_t)g->nx * (size_t)g->ny;
    g->start = calloc(cells + 1, sizeof *g->start);
    g->items = malloc((n ? n : 1) * sizeof *g->items);
    size_t *cellof = malloc((n ? n : 1) * sizeof *cellof);
    if (!g->start || !g->items || !cellof) {
        free(cellof);
        grid_free(g);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        double lon, lat;
        long ix, iy;
        at(ctx, i, &lon, &lat);
        cellof[i] = (size_t)grid_cell_index(g, lon, lat, &ix, &iy);
        g->start[cellof[i] + 1]++;
    }
    for (size_t c = 0; c < cells; c++) g->start[c + 1] += g->start[c];
    size_t *fill = malloc((cells ? cells : 1) * sizeof *fill);
    if (!fill) {
        free(cellof);
        grid_free(g);
        return -1;
    }
    memcpy(fill, g->start, cells * sizeof *fill);
    for (size_t i = 0; i < n; i++) g->items[fill[cellof[i]]++] = i; /* ascending i within a cell */
    free(fill);
    free(cellof);
    return 0;
}

/* The cell range [x0,x1]x[y0,y1] holding every point within r metres of
 * (lon, lat); returns 0 when the box is empty, -1 when it wraps the
 * antimeridian or a pole (the caller then scans everything). */
static int grid_range(const PointGrid *g, double lon, double lat, double r, long *x0, long *x1, long *y0,
                      long *y1) {
    double dlat = r / MERIDIAN_DEG_MIN_M;
    double maxlat = fabs(lat) + dlat;
    if (maxlat >= 89.9) return -1;
    double dlon = r / (PARALLEL_DEG_EQ_M * cos(maxlat * D2R));
    if (lon - dlon < -180 || lon + dlon > 180) return -1;
    double w = lon - dlon, e = lon + dlon, s = lat - dlat, n = lat + dlat;
    double ge = g->west + g->nx * g->cell, gn = g->south + g->ny * g->cell;
    if (e < g->west || w > ge || n < g->south || s > gn) return 0;
    long ix, iy;
    grid_cell_index(g, w, s, &ix, &iy);
    *x0 = ix;
    *y0 = iy;
    grid_cell_index(g, e, n, &ix, &iy);
    *x1 = ix;
    *y1 = iy;
    return 1;
}

/* Call fn(ctx, i) for every point that may lie within r of (lon, lat)
 * (a superset: the caller measures). */
static void grid_visit(const PointGrid *g, double lon, double lat, double r, void (*fn)(void *ctx, size_t i),
                       void *ctx) {
    long x0, x1, y0, y1;
    int k = grid_range(g, lon, lat, r, &x0, &x1, &y0, &y1);
    if (k == 0) return;
    if (k < 0) {
        for (size_t i = 0; i < g->n; i++) fn(ctx, i);
        return;
    }
    for (long y = y0; y <= y1; y++)
        for (long x = x0; x <= x1; x++) {
            size_t c = (size_t)(y * g->nx + x);
            for (size_t j = g->start[c]; j < g->start[c + 1]; j++) fn(ctx, g->items[j]);
        }
}

static void site_at(const void *ctx, size_t i, double *lon, double *lat) {
    const CovSite *s = (const CovSite *)ctx + i;
    *lon = s->lon;
    *lat = s->lat;
}

static void unit_centre_at(const void *ctx, size_t i, double *lon, double *lat) {
    const CovUnit *u = (const CovUnit *)ctx + i;
    *lon = u->c_lon;
    *lat = u->c_lat;
}

/* ---------------------------------------------------------- nearest site */

typedef struct NearestCtx {
    const CovSite *sites;
    double lon, lat;
    long best;
    double best_m;
} NearestCtx;

static void nearest_visit(void *vctx, size_t i) {
    NearestCtx *c = vctx;
    double d = cov_geodesic_m(c->lon, c->lat, c->sites[i].lon, c->sites[i].lat);
    if (d < c->best_m || (d == c->best_m && (long)i < c->best)) {
        c->best_m = d;
        c->best = (long)i;
    }
}

/* Nearest site to (lon, lat): query growing boxes until the best distance
 * found lies within the box radius (nothing outside can be nearer). */
static long nearest_site(const PointGrid *g, const CovSite *sites, double lon, double lat, double start_r,
                         double *dist) {
    NearestCtx c = {sites, lon, lat, -1, INFINITY};
    if (g->n == 0) {
        *dist = NAN;
        return -1;
    }
    for (double r = start_r;; r *= 4) {
        if (r > 2.1e7) { /* half the meridian: every site */
            for (size_t i = 0; i < g->n; i++) nearest_visit(&c, i);
            break;
        }
        c.best = -1;
        c.best_m = INFINITY;
        grid_visit(g, lon, lat, r, nearest_visit, &c);
        if (c.best >= 0 && c.best_m <= r) break;
    }
    *dist = c.best_m;
    return c.best;
}

/* ------------------------------------------------------------ evaluation */

/* Sites possibly within R of a unit: full when one holds every sample. */
typedef struct UnitSites {
    const CovSite *sites;
    const CovUnit *u;
    double radius;
    int full;
    FastSite *part;          /* sites covering some samples, nearest first */
    double *part_d;
    size_t n_part, cap;
    int oom;
} UnitSites;

static void unit_sites_visit(void *vctx, size_t i) {
    UnitSites *c = vctx;
    if (c->full || c->oom) return;
    const CovSite *s = &c->sites[i];
    double d = cov_geodesic_m(c->u->c_lon, c->u->c_lat, s->lon, s->lat);
    if (d + c->u->rho_m <= c->radius) {
        c->full = 1;
        return;
    }
    if (d - c->u->rho_m > c->radius) return;
    if (c->n_part == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        FastSite *p = realloc(c->part, cap * sizeof *p);
        if (p) c->part = p;
        double *pd = realloc(c->part_d, cap * sizeof *pd);
        if (pd) c->part_d = pd;
        if (!p || !pd) {
            c->oom = 1;
            return;
        }
        c->cap = cap;
    }
    /* insertion by distance: the nearest site is tried first per sample */
    size_t k = c->n_part++;
    while (k > 0 && c->part_d[k - 1] > d) {
        c->part[k] = c->part[k - 1];
        c->part_d[k] = c->part_d[k - 1];
        k--;
    }
    c->part[k] = fast_site(s->lon, s->lat, c->radius);
    c->part_d[k] = d;
}

/* Count (and flag) the samples of unit u within R of some site. */
static long unit_covered(const CovModel *m, const PointGrid *sg, const CovSite *sites, const CovUnit *u,
                         double radius, UnitSites *us, unsigned char *flags) {
    us->sites = sites;
    us->u = u;
    us->radius = radius;
    us->full = 0;
    us->n_part = 0;
    double reach = radius + u->rho_m;
    if (isfinite(reach)) grid_visit(sg, u->c_lon, u->c_lat, reach, unit_sites_visit, us);
    else
        for (size_t i = 0; i < sg->n; i++) unit_sites_visit(us, i);
    if (us->oom) return -1;
    const double *p = m->xy + 2 * u->first;
    if (us->full || us->n_part == 0) {
        if (flags) memset(flags + u->first, us->full, u->count);
        return us->full ? (long)u->count : 0;
    }
    long n = 0;
    for (size_t j = 0; j < u->count; j++) {
        int in = 0;
        for (size_t k = 0; k < us->n_part && !in; k++) in = within(&us->part[k], p[2 * j], p[2 * j + 1]);
        n += in;
        if (flags) flags[u->first + j] = (unsigned char)in;
    }
    return n;
}

/* Grid cell size for site queries of radius r: about r, in degrees. */
static double cell_for_radius(double r) {
    double c = r / MERIDIAN_DEG_MIN_M;
    return c < 0.01 ? 0.01 : c > 5 ? 5 : c;
}

/* Units [from, to) of one evaluation: two of these run at once, on disjoint
 * units and sample ranges, reading the shared model and site grid. */
typedef struct EvalJob {
    const CovModel *m;
    const PointGrid *sg;
    const CovSite *sites;
    size_t n_sites, from, to;
    double radius;
    CovUnitResult *out;
    unsigned char *flags;
    int rc;
} EvalJob;

static void *eval_job(void *arg) {
    EvalJob *j = arg;
    UnitSites us = {0};
    for (size_t i = j->from; i < j->to; i++) {
        const CovUnit *u = &j->m->units[i];
        CovUnitResult *r = &j->out[i];
        memset(r, 0, sizeof *r);
        r->nearest = nearest_site(j->sg, j->sites, u->pop_lon, u->pop_lat, j->radius, &r->nearest_m);
        r->within_radius = r->nearest >= 0 && r->nearest_m <= j->radius;
        long n = j->n_sites ? unit_covered(j->m, j->sg, j->sites, u, j->radius, &us, j->flags) : 0;
        if (n < 0) {
            j->rc = -1;
            break;
        }
        if (!j->n_sites && j->flags) memset(j->flags + u->first, 0, u->count);
        r->covered_share = (double)n / (double)u->count;
        r->covered_pop = u->population > 0 ? r->covered_share * u->population : 0;
    }
    free(us.part);
    free(us.part_d);
    return NULL;
}

int cov_evaluate(const CovModel *m, const CovSite *sites, size_t n_sites, double radius_m,
                 CovUnitResult *out, unsigned char *sample_covered) {
    if (!m->finished || !(radius_m > 0) || radius_m > COV_MAX_RADIUS_M || (n_sites && !sites)) return -1;
    for (size_t i = 0; i < n_sites; i++)
        if (!isfinite(sites[i].lon) || !isfinite(sites[i].lat)) return -1;
    PointGrid sg;
    if (grid_build(&sg, n_sites, cell_for_radius(radius_m), site_at, sites) != 0) return -1;
    /* Two halves on two threads (this machine's cores) for a large layout. */
    size_t half = m->n_units > 256 ? m->n_units / 2 : m->n_units;
    EvalJob jobs[2] = {{m, &sg, sites, n_sites, 0, half, radius_m, out, sample_covered, 0},
                       {m, &sg, sites, n_sites, half, m->n_units, radius_m, out, sample_covered, 0}};
    pthread_t th;
    int threaded = half < m->n_units && pthread_create(&th, NULL, eval_job, &jobs[1]) == 0;
    eval_job(&jobs[0]);
    if (threaded) pthread_join(th, NULL);
    else eval_job(&jobs[1]);
    int rc = jobs[0].rc || jobs[1].rc ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < n_sites; i++)
        if (sites[i].unit >= 0 && (size_t)sites[i].unit < m->n_units) out[sites[i].unit].sites_in_unit++;
    grid_free(&sg);
    return rc;
}

void cov_summarize(const CovModel *m, const CovUnitResult *res, const size_t *idx, size_t n,
                   CovSummary *out) {
    memset(out, 0, sizeof *out);
    out->worst_unit = -1;
    out->worst_distance_m = NAN;
    size_t count = idx ? n : m->n_units;
    double wsum = 0, wdist = 0;
    for (size_t k = 0; k < count; k++) {
        size_t i = idx ? idx[k] : k;
        const CovUnit *u = &m->units[i];
        const CovUnitResult *r = &res[i];
        out->units++;
        out->sites_in_units += (size_t)r->sites_in_unit;
        if (!r->within_radius) out->units_without++;
        if (r->nearest >= 0 && (out->worst_unit < 0 || r->nearest_m > out->worst_distance_m)) {
            out->worst_distance_m = r->nearest_m;
            out->worst_unit = (long)i;
        }
        if (u->population < 0) continue;
        out->units_with_population++;
        out->population += u->population;
        out->covered_population += r->covered_pop;
        if (r->nearest >= 0) {
            wsum += u->population;
            wdist += u->population * r->nearest_m;
        }
    }
    out->covered_share = out->population > 0 ? out->covered_population / out->population : NAN;
    out->mean_distance_m = wsum > 0 ? wdist / wsum : NAN;
}

/* ------------------------------------------------------------ candidates */

size_t cov_candidates_points(const CovModel *m, CovCandidate **out) {
    *out = NULL;
    size_t n = 0;
    CovCandidate *c = malloc((m->n_units ? m->n_units : 1) * sizeof *c);
    if (!c) return 0;
    for (size_t i = 0; i < m->n_units; i++) {
        if (m->units[i].population <= 0) continue;
        c[n].lon = m->units[i].pop_lon;
        c[n].lat = m->units[i].pop_lat;
        c[n].unit = (long)i;
        n++;
    }
    if (n == 0) {
        free(c);
        c = NULL;
    }
    *out = c;
    return n;
}

/* Open-addressing map from a grid cell to its best sample so far. */
typedef struct CellSlot {
    int64_t key;             /* INT64_MIN = empty */
    size_t sample;
    long unit;
    double d2;
} CellSlot;

static int slot_by_sample(const void *a, const void *b) {
    size_t x = ((const CellSlot *)a)->sample, y = ((const CellSlot *)b)->sample;
    return x < y ? -1 : x > y;
}

size_t cov_candidates_grid(const CovModel *m, double spacing_m, CovCandidate **out) {
    *out = NULL;
    if (!(spacing_m >= 100) || !m->n_samples) return 0;
    /* Bin in a plane tangent at the layout's mean latitude (a binning, so
     * the projection only needs to be regular, not exact). */
    double lat_sum = 0;
    for (size_t i = 0; i < m->n_samples; i++) lat_sum += m->xy[2 * i + 1];
    double kx = PARALLEL_DEG_EQ_M * cos(lat_sum / (double)m->n_samples * D2R), ky = MERIDIAN_DEG_MIN_M;
    size_t cap = 1024;
    size_t used = 0;
    CellSlot *t = malloc(cap * sizeof *t);
    if (!t) return 0;
    for (size_t i = 0; i < cap; i++) t[i].key = INT64_MIN;
    for (size_t ui = 0; ui < m->n_units; ui++) {
        const CovUnit *u = &m->units[ui];
        for (size_t j = u->first; j < u->first + u->count; j++) {
            double x = m->xy[2 * j] * kx / spacing_m, y = m->xy[2 * j + 1] * ky / spacing_m;
            double fx = floor(x), fy = floor(y);
            double dx = x - fx - 0.5, dy = y - fy - 0.5, d2 = dx * dx + dy * dy;
            int64_t key = ((int64_t)fy << 32) ^ (int64_t)(uint32_t)(int32_t)fx;
            if (2 * (used + 1) > cap) { /* keep the load under one half */
                size_t ncap = cap * 2;
                CellSlot *nt = malloc(ncap * sizeof *nt);
                if (!nt) {
                    free(t);
                    return 0;
                }
                for (size_t k = 0; k < ncap; k++) nt[k].key = INT64_MIN;
                for (size_t k = 0; k < cap; k++) {
                    if (t[k].key == INT64_MIN) continue;
                    size_t h = (size_t)((uint64_t)t[k].key * 0x9E3779B97F4A7C15ull) & (ncap - 1);
                    while (nt[h].key != INT64_MIN) h = (h + 1) & (ncap - 1);
                    nt[h] = t[k];
                }
                free(t);
                t = nt;
                cap = ncap;
            }
            size_t h = (size_t)((uint64_t)key * 0x9E3779B97F4A7C15ull) & (cap - 1);
            while (t[h].key != INT64_MIN && t[h].key != key) h = (h + 1) & (cap - 1);
            if (t[h].key == INT64_MIN) {
                t[h].key = key;
                t[h].sample = j;
                t[h].unit = (long)ui;
                t[h].d2 = d2;
                used++;
            } else if (d2 < t[h].d2) {
                t[h].sample = j;
                t[h].unit = (long)ui;
                t[h].d2 = d2;
            }
        }
    }
    /* Candidates in sample order, so the result does not depend on hashing. */
    CellSlot *pick = malloc((used ? used : 1) * sizeof *pick);
    CovCandidate *c = malloc((used ? used : 1) * sizeof *c);
    if (!pick || !c) {
        free(pick);
        free(c);
        free(t);
        return 0;
    }
    size_t n = 0;
    for (size_t k = 0; k < cap; k++)
        if (t[k].key != INT64_MIN) pick[n++] = t[k];
    qsort(pick, n, sizeof *pick, slot_by_sample);
    for (size_t a = 0; a < n; a++) {
        c[a].lon = m->xy[2 * pick[a].sample];
        c[a].lat = m->xy[2 * pick[a].sample + 1];
        c[a].unit = pick[a].unit;
    }
    free(pick);
    free(t);
    if (n == 0) {
        free(c);
        c = NULL;
    }
    *out = c;
    return n;
}

/* ------------------------------------------------------------ suggestion */

typedef struct SuggestState {
    const CovModel *m;
    PointGrid ug;            /* unit centres */
    double rho_max;
    double radius;
    unsigned char *covered;  /* per sample */
    double *w;               /* population per sample, per unit */
    double *open;            /* per unit: population of its uncovered samples */
} SuggestState;

typedef struct GainCtx {
    SuggestState *st;
    FastSite f;
    double gain;
    int mark;                /* 1: mark the samples covered (a choice was made) */
} GainCtx;

static void gain_visit(void *vctx, size_t i) {
    GainCtx *c = vctx;
    SuggestState *st = c->st;
    const CovUnit *u = &st->m->units[i];
    if (st->open[i] <= 0) return;
    double d = cov_geodesic_m(c->f.lon, c->f.lat, u->c_lon, u->c_lat);
    if (d - u->rho_m > st->radius) return;
    const double *p = st->m->xy;
    if (d + u->rho_m <= st->radius) {
        c->gain += st->open[i];
        if (c->mark) {
            memset(st->covered + u->first, 1, u->count);
            st->open[i] = 0;
        }
        return;
    }
    double g = 0;
    for (size_t j = u->first; j < u->first + u->count; j++) {
        if (st->covered[j] || !within(&c->f, p[2 * j], p[2 * j + 1])) continue;
        g += st->w[i];
        if (c->mark) st->covered[j] = 1;
    }
    c->gain += g;
    if (c->mark) {
        st->open[i] -= g;
        if (st->open[i] < 1e-9) st->open[i] = 0;
    }
}

static double candidate_gain(SuggestState *st, const CovCandidate *c, int mark) {
    GainCtx g = {st, fast_site(c->lon, c->lat, st->radius), 0, mark};
    double reach = st->radius + st->rho_max;
    if (isfinite(reach)) grid_visit(&st->ug, c->lon, c->lat, reach, gain_visit, &g);
    else
        for (size_t i = 0; i < st->m->n_units; i++) gain_visit(&g, i);
    return g.gain;
}

/* Initial gains, split over two threads (this machine's cores): the state is
 * only read here. */
typedef struct GainJob {
    SuggestState *st;
    const CovCandidate *cands;
    size_t from, to;
    double *gain;
} GainJob;

static void *gain_job(void *arg) {
    GainJob *j = arg;
    for (size_t i = j->from; i < j->to; i++) j->gain[i] = candidate_gain(j->st, &j->cands[i], 0);
    return NULL;
}

/* Max-heap of candidates by (gain desc, index asc). */
typedef struct HeapItem {
    double gain;
    size_t cand;
    int round;               /* the round its gain was computed in */
} HeapItem;

static int heap_before(const HeapItem *a, const HeapItem *b) {
    return a->gain > b->gain || (a->gain == b->gain && a->cand < b->cand);
}

static void heap_down(HeapItem *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < n && heap_before(&h[l], &h[best])) best = l;
        if (r < n && heap_before(&h[r], &h[best])) best = r;
        if (best == i) return;
        HeapItem t = h[i];
        h[i] = h[best];
        h[best] = t;
        i = best;
    }
}

int cov_suggest(const CovModel *m, const CovSite *sites, size_t n_sites, double radius_m,
                const CovCandidate *cands, size_t n_cands, int k, CovSuggestion *out, int *n_out) {
    *n_out = 0;
    if (!m->finished || k < 1 || k > COV_MAX_SUGGEST || !(radius_m > 0) || radius_m > COV_MAX_RADIUS_M)
        return -1;
    SuggestState st = {0};
    st.m = m;
    st.radius = radius_m;
    int rc = -1;
    CovUnitResult *res = malloc((m->n_units ? m->n_units : 1) * sizeof *res);
    double *gain = malloc((n_cands ? n_cands : 1) * sizeof *gain);
    HeapItem *heap = malloc((n_cands ? n_cands : 1) * sizeof *heap);
    st.covered = malloc(m->n_samples ? m->n_samples : 1);
    st.w = calloc(m->n_units ? m->n_units : 1, sizeof *st.w);
    st.open = calloc(m->n_units ? m->n_units : 1, sizeof *st.open);
    if (!res || !gain || !heap || !st.covered || !st.w || !st.open) goto done;
    if (cov_evaluate(m, sites, n_sites, radius_m, res, st.covered) != 0) goto done;
    for (size_t i = 0; i < m->n_units; i++) {
        const CovUnit *u = &m->units[i];
        if (u->population <= 0) continue;
        st.w[i] = u->population / (double)u->count;
        size_t open = 0;
        for (size_t j = u->first; j < u->first + u->count; j++) open += !st.covered[j];
        st.open[i] = st.w[i] * (double)open;
        if (u->rho_m > st.rho_max) st.rho_max = u->rho_m;
    }
    if (grid_build(&st.ug, m->n_units, cell_for_radius(radius_m), unit_centre_at, m->units) != 0) goto done;

    GainJob jobs[2] = {{&st, cands, 0, n_cands / 2, gain}, {&st, cands, n_cands / 2, n_cands, gain}};
    pthread_t th;
    int threaded = n_cands > 64 && pthread_create(&th, NULL, gain_job, &jobs[1]) == 0;
    gain_job(&jobs[0]);
    if (threaded) pthread_join(th, NULL);
    else gain_job(&jobs[1]);

    size_t hn = 0;
    for (size_t i = 0; i < n_cands; i++) heap[hn++] = (HeapItem){gain[i], i, 0};
    for (size_t i = hn / 2; i-- > 0;) heap_down(heap, hn, i);
    int round = 0;
    while (*n_out < k && hn > 0) {
        HeapItem top = heap[0];
        if (top.gain <= 1e-9) break; /* nobody left to cover */
        if (top.round != round) {    /* stale: recompute, it may sink */
            heap[0].gain = candidate_gain(&st, &cands[top.cand], 0);
            heap[0].round = round;
            heap_down(heap, hn, 0);
            continue;
        }
        double g = candidate_gain(&st, &cands[top.cand], 1);
        out[*n_out] = (CovSuggestion){top.cand, cands[top.cand].lon, cands[top.cand].lat, cands[top.cand].unit, g};
        (*n_out)++;
        round++;
        heap[0] = heap[--hn];
        heap_down(heap, hn, 0);
    }
    rc = 0;
done:
    grid_free(&st.ug);
    free(res);
    free(gain);
    free(heap);
    free(st.covered);
    free(st.w);
    free(st.open);
    return rc;
}
