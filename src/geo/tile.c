/* tile.c — XYZ tile arithmetic (tile.h).
 *
 * Formulas from the OpenStreetMap wiki "Slippy map tilenames":
 *   x = floor((lon + 180) / 360 * 2^z)
 *   y = floor((1 - asinh(tan(lat)) / pi) / 2 * 2^z)
 *   lat(y) = atan(sinh(pi * (1 - 2 y / 2^z)))
 * Every index is taken from the same world fraction scaled by a power of
 * two (exact in binary floating point), so membership is decided once and
 * consistently for every zoom. */
#include "geo/tile.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* 2^z as a double, exact, for 0 <= z <= 62 (every caller's range): a
 * shift rather than ldexp's libm call (clustering asks twice a point). */
static double pow2(int z) { return (double)(1ULL << z); }

int tile_valid(int z, long long x, long long y) {
    if (z < 0 || z > TILE_MAX_ZOOM) return 0;
    long long n = 1LL << z;
    return x >= 0 && x < n && y >= 0 && y < n;
}

/* Row of latitude lat at zoom z (no clamping of z; lat finite). */
static long long row_of(int z, double lat) {
    double fx, fy;
    tile_world_xy(0, lat, &fx, &fy);
    return tile_index(fy, z);
}

/* Doubles mapped to integers in the same order (sign-magnitude to two's
 * complement), so "the next double" is +1 and bisection over doubles is
 * bisection over integers. */
static int64_t dkey(double d) {
    int64_t i;
    memcpy(&i, &d, sizeof i);
    return i >= 0 ? i : INT64_MIN - i;
}
static double dval(int64_t k) {
    int64_t i = k >= 0 ? k : INT64_MIN - k;
    double d;
    memcpy(&d, &i, sizeof d);
    return d;
}

/* Latitude (degrees) of the northern edge of row y at zoom z: the largest
 * double whose row is y, so that the edges tile_bounds reports agree with
 * tile_for_lonlat bit for bit (a row holds (south, north]).  The formula is
 * within ~1e-13 degrees; a bisection over the doubles around it settles
 * the last bits (at most 64 steps).  Grid edges are pinned to ±TILE_MAX_LAT. */
static double row_north(int z, long long y) {
    long long n = 1LL << z;
    if (y <= 0) return TILE_MAX_LAT;
    if (y >= n) return -TILE_MAX_LAT;
    double lat = atan(sinh(M_PI * (1.0 - 2.0 * (double)y / (double)n))) * (180.0 / M_PI);
    int64_t in = dkey(lat - 1e-9), out = dkey(lat + 1e-9); /* row y / a row north of it */
    if (row_of(z, dval(in)) != y || row_of(z, dval(out)) >= y) return lat;
    while (out - in > 1) {
        int64_t mid = in + (out - in) / 2;
        if (row_of(z, dval(mid)) >= y) in = mid;
        else out = mid;
    }
    return dval(in);
}

TileBox tile_bounds(int z, long long x, long long y) {
    double n = pow2(z);
    TileBox b;
    /* x * 360 / 2^z is exact for z <= 20 (x * 45 < 2^26 times a power of 2) */
    b.west = (double)x * 360.0 / n - 180.0;
    b.east = (double)(x + 1) * 360.0 / n - 180.0;
    b.north = row_north(z, y);
    b.south = row_north(z, y + 1);
    return b;
}

int tile_world_xy(double lon, double lat, double *fx, double *fy) {
    if (!isfinite(lon) || !isfinite(lat)) return -1;
    if (lon < -180) lon = -180;
    if (lon > 180) lon = 180;
    if (lat > TILE_MAX_LAT) lat = TILE_MAX_LAT;
    if (lat < -TILE_MAX_LAT) lat = -TILE_MAX_LAT;
    *fx = (lon + 180.0) / 360.0;
    *fy = (1.0 - asinh(tan(lat * (M_PI / 180.0))) / M_PI) / 2.0;
    return 0;
}

long long tile_index(double f, int z) {
    if (z < 0) z = 0;
    if (z > 62) z = 62;
    long long n = 1LL << z;
    double v = floor(f * pow2(z));
    if (!(v >= 0)) return 0; /* also NaN */
    if (v >= (double)n) return n - 1;
    return (long long)v;
}

int tile_for_lonlat(int z, double lon, double lat, long long *x, long long *y) {
    double fx, fy;
    if (z < 0 || z > TILE_MAX_ZOOM || tile_world_xy(lon, lat, &fx, &fy) != 0) return -1;
    *x = tile_index(fx, z);
    *y = tile_index(fy, z);
    return 0;
}

int tile_contains(int z, long long x, long long y, double lon, double lat) {
    long long tx, ty;
    if (!tile_valid(z, x, y) || tile_for_lonlat(z, lon, lat, &tx, &ty) != 0) return 0;
    return tx == x && ty == y;
}

double tile_pixel_deg(int z) { return ldexp(360.0 / TILE_SIZE_PX, -z); }

/* Latitude of a world fraction fy (0 = north edge), clamped. */
static double lat_of_fy(double fy) {
    if (fy <= 0) return TILE_MAX_LAT;
    if (fy >= 1) return -TILE_MAX_LAT;
    return atan(sinh(M_PI * (1.0 - 2.0 * fy))) * (180.0 / M_PI);
}

TileBox tile_buffered(int z, long long x, long long y, double px) {
    TileBox b = tile_bounds(z, x, y);
    if (!(px > 0) || !isfinite(px)) return b;
    /* one pixel is 1/256 of a tile in both axes of the Mercator grid */
    double d = px / TILE_SIZE_PX;
    double n = pow2(z);
    b.west = fmax(-180.0, b.west - px * tile_pixel_deg(z));
    b.east = fmin(180.0, b.east + px * tile_pixel_deg(z));
    b.north = lat_of_fy(((double)y - d) / n);
    b.south = lat_of_fy(((double)y + 1 + d) / n);
    return b;
}

/* 1/8 pixel in degrees of longitude at z; the first d with 10^-d below it.
 * z 0 -> 1, z 10 -> 4, z 14 -> 5, z 20 -> 7. */
int tile_decimals(int z) {
    double eighth = tile_pixel_deg(z < 0 ? 0 : z) / 8.0;
    double step = 0.1;
    int d = 1;
    while (d < 7 && step > eighth) {
        step /= 10;
        d++;
    }
    return d;
}

/* Parse one run of decimal digits.  Returns 1 with the value, 2 when it is
 * too large to matter (more than 12 significant digits: far beyond 2^20),
 * 0 when there is no digit.  Signs and spaces are not digits (T4). */
static int parse_digits(const char **sp, long long *out) {
    const char *s = *sp;
    long long v = 0;
    int sig = 0, any = 0;
    while (*s >= '0' && *s <= '9') {
        any = 1;
        if (v > 0 || *s != '0') sig++;
        if (sig <= 12) v = v * 10 + (*s - '0');
        s++;
    }
    *sp = s;
    *out = v;
    if (!any) return 0;
    return sig > 12 ? 2 : 1;
}

int tile_parse_zxy(const char *s, int *z, long long *x, long long *y) {
    static const char suffix[] = ".geojson";
    if (!s) return -1;
    long long v[3];
    int big = 0;
    for (int i = 0; i < 3; i++) {
        int r = parse_digits(&s, &v[i]);
        if (r == 0) return -1;
        if (r == 2) big = 1;
        if (i < 2 && *s++ != '/') return -1;
    }
    if (strcmp(s, suffix) != 0) return -1;
    if (big || v[0] > TILE_MAX_ZOOM) return -2;
    if (!tile_valid((int)v[0], v[1], v[2])) return -2;
    *z = (int)v[0];
    *x = v[1];
    *y = v[2];
    return 0;
}

/* ------------------------------------------------- clipping, simplifying */

void tile_work_free(TileWork *w) {
    if (!w) return;
    free(w->pts[0]);
    free(w->pts[1]);
    free(w->stack);
    free(w->keep);
    memset(w, 0, sizeof *w);
}

int tile_work_reserve(TileWork *w, size_t n) {
    if (n <= w->cap) return 0;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < n) {
        if (cap > ((size_t)-1) / (4 * sizeof(double))) return -1;
        cap *= 2;
    }
    for (int i = 0; i < 2; i++) {
        double *p = realloc(w->pts[i], cap * 2 * sizeof(double));
        if (!p) return -1;
        w->pts[i] = p;
    }
    w->cap = cap;
    return 0;
}

/* The four half-planes of the box, one per Sutherland-Hodgman pass. */
typedef enum { EDGE_WEST, EDGE_EAST, EDGE_SOUTH, EDGE_NORTH } ClipEdge;

static int edge_inside(ClipEdge e, const double *p, TileBox box) {
    switch (e) {
    case EDGE_WEST: return p[0] >= box.west;
    case EDGE_EAST: return p[0] <= box.east;
    case EDGE_SOUTH: return p[1] >= box.south;
    default: return p[1] <= box.north;
    }
}

/* Where segment a-b crosses the edge's line (the crossing coordinate is
 * set exactly, so clipped edges lie on the box). */
static void edge_cross(ClipEdge e, const double *a, const double *b, TileBox box, double *out) {
    int vertical = e == EDGE_WEST || e == EDGE_EAST;
    double c = e == EDGE_WEST ? box.west : e == EDGE_EAST ? box.east : e == EDGE_SOUTH ? box.south : box.north;
    int k = vertical ? 0 : 1; /* the coordinate fixed by the edge */
    double t = (c - a[k]) / (b[k] - a[k]);
    out[k] = c;
    out[1 - k] = a[1 - k] + t * (b[1 - k] - a[1 - k]);
}

long tile_clip_ring(TileWork *w, size_t n, TileBox box) {
    if (n < 4) return 0;
    double *p = w->pts[0];
    double minx = p[0], maxx = p[0], miny = p[1], maxy = p[1];
    for (size_t i = 1; i < n; i++) {
        minx = fmin(minx, p[2 * i]);
        maxx = fmax(maxx, p[2 * i]);
        miny = fmin(miny, p[2 * i + 1]);
        maxy = fmax(maxy, p[2 * i + 1]);
    }
    if (minx >= box.west && maxx <= box.east && miny >= box.south && maxy <= box.north) return (long)n;
    if (maxx < box.west || minx > box.east || maxy < box.south || miny > box.north) return 0;

    size_t m = n - 1; /* open ring: the closing point is implied */
    for (int e = EDGE_WEST; e <= EDGE_NORTH && m > 0; e++) {
        /* each pass adds at most one point per input edge */
        if (tile_work_reserve(w, 2 * m + 1) != 0) return -1;
        const double *in = w->pts[0];
        double *out = w->pts[1];
        size_t k = 0;
        for (size_t i = 0; i < m; i++) {
            const double *cur = in + 2 * i, *prev = in + 2 * ((i + m - 1) % m);
            int cin = edge_inside((ClipEdge)e, cur, box), pin = edge_inside((ClipEdge)e, prev, box);
            if (cin != pin) {
                edge_cross((ClipEdge)e, prev, cur, box, out + 2 * k);
                k++;
            }
            if (cin) {
                out[2 * k] = cur[0];
                out[2 * k + 1] = cur[1];
                k++;
            }
        }
        w->pts[1] = w->pts[0];
        w->pts[0] = out;
        m = k;
    }
    if (m < 3) return 0;
    w->pts[0][2 * m] = w->pts[0][0]; /* close it again (room: 2m+1 reserved) */
    w->pts[0][2 * m + 1] = w->pts[0][1];
    return (long)(m + 1);
}

/* Squared distance from p to segment a-b (to a when a == b). */
static double seg_dist2(const double *p, const double *a, const double *b) {
    double dx = b[0] - a[0], dy = b[1] - a[1];
    double t = 0, len2 = dx * dx + dy * dy;
    if (len2 > 0) {
        t = ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
    }
    double ex = a[0] + t * dx - p[0], ey = a[1] + t * dy - p[1];
    return ex * ex + ey * ey;
}

size_t tile_simplify(TileWork *w, size_t n, double tol) {
    if (!(tol > 0) || n < 3) return n;
    if (n > w->aux_cap) {
        size_t *st = realloc(w->stack, 2 * n * sizeof *st);
        if (st) w->stack = st;
        unsigned char *kp = st ? realloc(w->keep, n) : NULL;
        if (kp) w->keep = kp;
        if (!st || !kp) return n;
        w->aux_cap = n;
    }
    double *p = w->pts[0], tol2 = tol * tol;
    unsigned char *keep = w->keep;
    memset(keep, 0, n);
    keep[0] = keep[n - 1] = 1;
    size_t *stack = w->stack, top = 0;
    stack[top++] = 0;
    stack[top++] = n - 1;
    /* each pushed pair splits its span, so at most n - 1 pairs are ever
     * pending: the stack of 2n entries cannot overflow */
    while (top) {
        size_t e = stack[--top], s = stack[--top];
        double dmax = 0;
        size_t imax = 0;
        for (size_t i = s + 1; i < e; i++) {
            double d = seg_dist2(p + 2 * i, p + 2 * s, p + 2 * e);
            if (d > dmax) dmax = d, imax = i;
        }
        if (dmax > tol2) {
            keep[imax] = 1;
            if (imax - s > 1) stack[top++] = s, stack[top++] = imax;
            if (e - imax > 1) stack[top++] = imax, stack[top++] = e;
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i]) {
            p[2 * k] = p[2 * i];
            p[2 * k + 1] = p[2 * i + 1];
            k++;
        }
    return k;
}
