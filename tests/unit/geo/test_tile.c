/* test_tile.c — tile.h: XYZ numbering (T2), half-open membership (T1), the
 * Mercator limit (T3), URL parsing (T4), buffers and precision. */
#include "geo/geojson.h" /* geojson_ring_signed_area */
#include "geo/tile.h"
#include "unit.h"

#include <stdint.h>
#include <string.h>

static void test_t1_boundary(void) {
    long long x, y;
    /* lon 105.46875 is exactly the z8 edge between columns 202 and 203 */
    TileBox b = tile_bounds(8, 203, 112);
    CHECK_DBL(b.west, 105.46875, 0);
    CHECK(tile_for_lonlat(8, 105.46875, 21.0, &x, &y) == 0);
    CHECK_INT(x, 203);
    CHECK_INT(y, 112);
    CHECK(tile_contains(8, 203, 112, 105.46875, 21.0));
    CHECK(!tile_contains(8, 202, 112, 105.46875, 21.0));
    /* in exactly one of the 9 tiles around it */
    int hits = 0;
    for (int dx = -1; dx <= 1; dx++)
        for (int dy = -1; dy <= 1; dy++) hits += tile_contains(8, 203 + dx, 112 + dy, 105.46875, 21.0);
    CHECK_INT(hits, 1);
}

/* Points on a lattice that includes every tile edge of zoom zmax (and so of
 * every lower zoom), plus the corners: at each zoom the per-tile counts add
 * up to the number of points, and each point is in exactly one tile. */
static void test_t1_counts(void) {
    const int zmax = 6;
    enum { NX = 2 * 64 + 1, NY = 2 * 64 + 1 };
    static double lon[NX], lat[NY];
    for (int i = 0; i < NX; i++) lon[i] = -180.0 + 360.0 * i / (NX - 1); /* edges and midpoints */
    for (int j = 0; j < NY; j++) {
        /* the northern edges of the rows, computed as tile_bounds does */
        TileBox tb = tile_bounds(zmax, 0, j / 2 < 64 ? j / 2 : 63);
        lat[j] = (j % 2 == 0) ? (j / 2 < 64 ? tb.north : tb.south) : (tb.north + tb.south) / 2;
    }
    int total = NX * NY;
    for (int z = 0; z <= zmax; z++) {
        long long n = 1LL << z;
        long long sum = 0;
        int multi = 0;
        for (int i = 0; i < NX; i++)
            for (int j = 0; j < NY; j++) {
                int hits = 0;
                /* every tile up to z3; above, the 5x5 around the point's
                 * own column/row estimate (no tile further off can hold it) */
                long long cx = (long long)((lon[i] + 180) / 360 * n), x0 = 0, x1 = n - 1, y0 = 0, y1 = n - 1;
                long long cy = (long long)(j * n / NY);
                if (z > 3) {
                    x0 = cx - 2, x1 = cx + 2, y0 = cy - 2, y1 = cy + 2;
                }
                for (long long tx = x0; tx <= x1; tx++)
                    for (long long ty = y0; ty <= y1; ty++) hits += tile_contains(z, tx, ty, lon[i], lat[j]);
                if (hits != 1) multi++;
                sum += hits;
            }
        CHECK_INT(sum, total);
        CHECK_INT(multi, 0);
    }
    /* lon 180 is in the last column, lat -TILE_MAX_LAT in the last row */
    long long x, y;
    CHECK(tile_for_lonlat(4, 180.0, -TILE_MAX_LAT, &x, &y) == 0);
    CHECK_INT(x, 15);
    CHECK_INT(y, 15);
    CHECK(tile_for_lonlat(4, -180.0, TILE_MAX_LAT, &x, &y) == 0);
    CHECK_INT(x, 0);
    CHECK_INT(y, 0);
}

/* The edges tile_bounds reports are the half-open edges bit for bit: the
 * north-west corner of a tile is in it, the south edge is in the row below,
 * the east edge in the next column. */
static void test_edges_exact(void) {
    int bad = 0, total = 0;
    for (int z = 0; z <= 20; z++) {
        long long n = 1LL << z, step = n > 2048 ? n / 2048 + 1 : 1;
        for (long long y = 0; y < n; y += step) {
            long long x = (y * 7) % n;
            TileBox b = tile_bounds(z, x, y);
            total++;
            if (!tile_contains(z, x, y, b.west, b.north)) bad++;
            if (y + 1 < n && !tile_contains(z, x, y + 1, b.west, b.south)) bad++;
            if (y + 1 < n && !tile_contains(z, x, y, b.west, nextafter(b.south, 90))) bad++;
            if (x + 1 < n && !tile_contains(z, x + 1, y, b.east, b.north)) bad++;
            if (y > 0 && !tile_contains(z, x, y - 1, b.west, nextafter(b.north, 90))) bad++;
        }
    }
    CHECK(total > 20000);
    CHECK_INT(bad, 0);
}

/* Nesting: a point's tile at z+k shifted right by k is its tile at z. */
static void test_nesting(void) {
    uint64_t s = 99;
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double lon = -180 + 360 * ((double)(s >> 11) / 9007199254740992.0);
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double lat = -86 + 172 * ((double)(s >> 11) / 9007199254740992.0);
        long long x20, y20, x, y;
        tile_for_lonlat(20, lon, lat, &x20, &y20);
        for (int z = 0; z < 20; z++) {
            tile_for_lonlat(z, lon, lat, &x, &y);
            if (x != (x20 >> (20 - z)) || y != (y20 >> (20 - z))) bad++;
        }
    }
    CHECK_INT(bad, 0);
}

static void test_t2_t3(void) {
    long long x, y;
    /* T2: Hoàn Kiếm */
    CHECK(tile_for_lonlat(14, 105.8520, 21.0285, &x, &y) == 0);
    CHECK_INT(x, 13009);
    CHECK_INT(y, 7212);
    CHECK_INT((1LL << 14) - 1 - y, 9171); /* the TMS row, which we do not use */
    CHECK(tile_contains(14, 13009, 7212, 105.8520, 21.0285));
    /* T3: the Mercator limit itself is row 0 at z20; beyond it is clamped */
    CHECK(tile_for_lonlat(20, 0, 85.0511287798066, &x, &y) == 0);
    CHECK_INT(y, 0);
    CHECK(tile_for_lonlat(20, 0, 90, &x, &y) == 0);
    CHECK_INT(y, 0);
    CHECK(tile_for_lonlat(20, 0, -90, &x, &y) == 0);
    CHECK_INT(y, (1LL << 20) - 1);
    /* clamping at 85.05 instead would give row 38 */
    CHECK(tile_for_lonlat(20, 0, 85.05, &x, &y) == 0);
    CHECK_INT(y, 38);
    /* bad input */
    CHECK(tile_for_lonlat(21, 0, 0, &x, &y) == -1);
    CHECK(tile_for_lonlat(-1, 0, 0, &x, &y) == -1);
    CHECK(tile_for_lonlat(5, NAN, 0, &x, &y) == -1);
    CHECK(tile_for_lonlat(5, 0, INFINITY, &x, &y) == -1);
    CHECK(!tile_contains(5, 0, 0, NAN, NAN));
    CHECK(!tile_contains(5, -1, 0, 0, 0));
}

static void test_bounds(void) {
    TileBox b = tile_bounds(0, 0, 0);
    CHECK_DBL(b.west, -180, 0);
    CHECK_DBL(b.east, 180, 0);
    CHECK_DBL(b.north, TILE_MAX_LAT, 0);
    CHECK_DBL(b.south, -TILE_MAX_LAT, 0);
    b = tile_bounds(1, 1, 1);
    CHECK_DBL(b.west, 0, 0);
    CHECK_DBL(b.north, 0, 1e-12);
    /* T2's tile: edges from the slippy-map formulas */
    b = tile_bounds(14, 13009, 7212);
    CHECK_DBL(b.west, 105.84228515625, 1e-12);
    CHECK_DBL(b.east, 105.8642578125, 1e-12);
    CHECK(b.south < 21.0285 && 21.0285 <= b.north);
    CHECK_DBL(b.north, 21.04349121680354, 1e-9);
    CHECK_DBL(b.south, 21.02298254642742, 1e-9);

    CHECK(tile_valid(0, 0, 0));
    CHECK(tile_valid(20, (1LL << 20) - 1, (1LL << 20) - 1));
    CHECK(!tile_valid(20, 1LL << 20, 0));
    CHECK(!tile_valid(21, 0, 0));
    CHECK(!tile_valid(63, 0, 0)); /* no 1 << 63 */
    CHECK(!tile_valid(-1, 0, 0));
    CHECK(!tile_valid(3, -1, 0));

    /* buffer: 8 px at z8 is 8/256 of a tile on each side */
    TileBox t = tile_bounds(8, 203, 112), g = tile_buffered(8, 203, 112, 8);
    CHECK_DBL(t.west - g.west, 8 * tile_pixel_deg(8), 1e-12);
    CHECK_DBL(g.east - t.east, 8 * tile_pixel_deg(8), 1e-12);
    CHECK(g.north > t.north && g.south < t.south);
    /* the buffered north edge is the north edge of a row 1/32 tile higher */
    long long x, y;
    tile_for_lonlat(13, 105.5, g.north - 1e-9, &x, &y);
    CHECK_INT(y, 112 * 32 - 1);
    /* clamped at the world's edges */
    g = tile_buffered(0, 0, 0, 8);
    CHECK_DBL(g.west, -180, 0);
    CHECK_DBL(g.east, 180, 0);
    CHECK_DBL(g.north, TILE_MAX_LAT, 0);
    CHECK_DBL(g.south, -TILE_MAX_LAT, 0);
    g = tile_buffered(3, 2, 3, 0);
    b = tile_bounds(3, 2, 3);
    CHECK(g.west == b.west && g.north == b.north);

    CHECK_DBL(tile_pixel_deg(0), 360.0 / 256, 0);
    CHECK_DBL(tile_pixel_deg(14), 360.0 / 256 / 16384, 0);
    CHECK_INT(tile_decimals(0), 1);
    CHECK_INT(tile_decimals(10), 4);
    CHECK_INT(tile_decimals(14), 5);
    CHECK_INT(tile_decimals(20), 7);
    int mono = 1;
    for (int z = 1; z <= 20; z++) {
        if (tile_decimals(z) < tile_decimals(z - 1)) mono = 0;
        /* rounding error (half a unit of the last place) stays under 1/8 px */
        if (0.5 * pow(10, -tile_decimals(z)) > tile_pixel_deg(z) / 8) mono = 0;
    }
    CHECK(mono);
}

static void test_t4_parse(void) {
    int z = -1;
    long long x = -1, y = -1;
    CHECK_INT(tile_parse_zxy("14/13009/7212.geojson", &z, &x, &y), 0);
    CHECK_INT(z, 14);
    CHECK_INT(x, 13009);
    CHECK_INT(y, 7212);
    CHECK_INT(tile_parse_zxy("0/0/0.geojson", &z, &x, &y), 0);
    CHECK_INT(tile_parse_zxy("20/1048575/1048575.geojson", &z, &x, &y), 0);
    CHECK_INT(x, 1048575);
    /* T4 */
    CHECK_INT(tile_parse_zxy("31/0/0.geojson", &z, &x, &y), -2);
    CHECK_INT(tile_parse_zxy("3/8/0.geojson", &z, &x, &y), -2);
    CHECK_INT(tile_parse_zxy("3/0/8.geojson", &z, &x, &y), -2);
    CHECK_INT(tile_parse_zxy("3/-1/0.geojson", &z, &x, &y), -1);
    CHECK_INT(tile_parse_zxy("3/0/abc.geojson", &z, &x, &y), -1);
    CHECK_INT(tile_parse_zxy("21/0/0.geojson", &z, &x, &y), -2);
    CHECK_INT(tile_parse_zxy("20/1048576/0.geojson", &z, &x, &y), -2);
    /* huge digit strings: no overflow, out of range */
    CHECK_INT(tile_parse_zxy("99999999999999999999999999999/0/0.geojson", &z, &x, &y), -2);
    CHECK_INT(tile_parse_zxy("3/99999999999999999999999999999999999/0.geojson", &z, &x, &y), -2);
    CHECK_INT(tile_parse_zxy("3/0/18446744073709551616.geojson", &z, &x, &y), -2);
    CHECK_INT(tile_parse_zxy("64/0/0.geojson", &z, &x, &y), -2);
    /* leading zeros are digits, not size */
    CHECK_INT(tile_parse_zxy("3/0000000000000000000000007/0.geojson", &z, &x, &y), 0);
    CHECK_INT(x, 7);
    /* malformed */
    const char *bad[] = {"", "3/0/0", "3/0/0.json", "3/0/0.geojson.x", "3/0/0.geojsonx", "3//0.geojson",
                         "/0/0.geojson", "3/0.geojson", "3/0/0/0.geojson", " 3/0/0.geojson",
                         "+3/0/0.geojson", "3/+0/0.geojson", "3/0x1/0.geojson", "3/1e2/0.geojson",
                         "3/0/0 .geojson", "3\0/0/0.geojson", "a/b/c.geojson", "3/0/-0.geojson"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int r = tile_parse_zxy(bad[i], &z, &x, &y);
        if (r != -1) fprintf(stderr, "     \"%s\" -> %d\n", bad[i], r);
        CHECK_INT(r, -1);
    }
    CHECK_INT(tile_parse_zxy(NULL, &z, &x, &y), -1);
}

/* Load n points into w->pts[0]. */
static void load(TileWork *w, const double *xy, size_t n) {
    tile_work_reserve(w, n);
    memcpy(w->pts[0], xy, n * 2 * sizeof(double));
}

static void test_clip_simplify(void) {
    TileWork w = TILE_WORK_INIT;
    TileBox box = {5, 5, 15, 15};
    /* clockwise square 0..10: the quarter 5..10 x 5..10 is left, closed,
     * on the box edges exactly */
    double sq[] = {0, 0, 0, 10, 10, 10, 10, 0, 0, 0};
    load(&w, sq, 5);
    long m = tile_clip_ring(&w, 5, box);
    CHECK_INT(m, 5);
    double want[] = {5, 5, 5, 10, 10, 10, 10, 5, 5, 5};
    int same = m == 5;
    for (int i = 0; same && i < 10; i++) same = w.pts[0][i] == want[i];
    CHECK(same);
    /* inside: untouched; outside: nothing */
    double in[] = {6, 6, 7, 6, 7, 7, 6, 6};
    load(&w, in, 4);
    CHECK_INT(tile_clip_ring(&w, 4, box), 4);
    double out[] = {20, 20, 30, 20, 30, 30, 20, 20};
    load(&w, out, 4);
    CHECK_INT(tile_clip_ring(&w, 4, box), 0);
    /* a ring around the whole box gives the box */
    double big[] = {-100, -100, 100, -100, 100, 100, -100, 100, -100, -100};
    load(&w, big, 5);
    m = tile_clip_ring(&w, 5, box);
    CHECK_INT(m, 5);
    CHECK_DBL(geojson_ring_signed_area(w.pts[0], (size_t)m), 100, 1e-9);
    /* a concave U (area 3 x 1 + 2 x (1 x 2) = 7 with legs up to y 3) cut at
     * y <= 2: 3 + 2 = 5 */
    double u[] = {0, 0, 3, 0, 3, 3, 2, 3, 2, 1, 1, 1, 1, 3, 0, 3, 0, 0};
    load(&w, u, 9);
    TileBox low = {-1, -1, 4, 2};
    m = tile_clip_ring(&w, 9, low);
    CHECK(m >= 4);
    CHECK_DBL(geojson_ring_signed_area(w.pts[0], (size_t)m), 5, 1e-12);
    int inside = 1;
    for (long i = 0; i < m; i++)
        if (w.pts[0][2 * i] < low.west || w.pts[0][2 * i] > low.east || w.pts[0][2 * i + 1] < low.south ||
            w.pts[0][2 * i + 1] > low.north)
            inside = 0;
    CHECK(inside);
    CHECK_INT(tile_clip_ring(&w, 3, box), 0); /* not a ring */

    /* random star-shaped rings: clipped area = area of the part in the box,
     * estimated by sampling; every vertex in the box */
    uint64_t s = 5;
    int bad = 0;
    for (int k = 0; k < 200; k++) {
        enum { NP = 40 };
        double ring[2 * (NP + 1)];
        for (int i = 0; i < NP; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            double r = 2 + 10 * ((double)(s >> 11) / 9007199254740992.0);
            double a = -2 * M_PI * i / NP; /* clockwise on purpose */
            ring[2 * i] = 10 + r * cos(a);
            ring[2 * i + 1] = 10 + r * sin(a);
        }
        ring[2 * NP] = ring[0];
        ring[2 * NP + 1] = ring[1];
        load(&w, ring, NP + 1);
        m = tile_clip_ring(&w, NP + 1, box);
        if (m < 4) {
            bad++;
            continue;
        }
        for (long i = 0; i < m; i++)
            if (w.pts[0][2 * i] < 5 || w.pts[0][2 * i] > 15 || w.pts[0][2 * i + 1] < 5 || w.pts[0][2 * i + 1] > 15)
                bad++;
        if (w.pts[0][0] != w.pts[0][2 * (m - 1)] || w.pts[0][1] != w.pts[0][2 * (m - 1) + 1]) bad++;
        if (fabs(geojson_ring_signed_area(w.pts[0], (size_t)m)) > 100 + 1e-9) bad++;
    }
    CHECK_INT(bad, 0);

    /* Douglas-Peucker: bumps under the tolerance go, those over it stay */
    /* chord 0,0-6,0 keeps the peak 5,2; chord 0,0-5,2 keeps 4,0 (1.49
     * away); chord 0,0-4,0 drops the three 0.01 wiggles */
    double line[] = {0, 0, 1, 0.01, 2, -0.01, 3, 0.01, 4, 0, 5, 2, 6, 0};
    load(&w, line, 7);
    size_t k = tile_simplify(&w, 7, 0.1);
    CHECK_INT(k, 4);
    CHECK_DBL(w.pts[0][2], 4, 0);
    CHECK_DBL(w.pts[0][4], 5, 0);
    load(&w, line, 7);
    CHECK_INT(tile_simplify(&w, 7, 0), 7);   /* tol 0: untouched */
    CHECK_INT(tile_simplify(&w, 7, 10), 2);  /* everything within: the ends */
    /* a closed square with extra points on its sides keeps its corners */
    double sq9[] = {0, 0, 5, 0, 10, 0, 10, 5, 10, 10, 5, 10, 0, 10, 0, 5, 0, 0};
    load(&w, sq9, 9);
    k = tile_simplify(&w, 9, 0.5);
    CHECK_INT(k, 5);
    CHECK_DBL(geojson_ring_signed_area(w.pts[0], k), 100, 1e-12);
    /* a long ring: iterative, no stack overflow */
    enum { BIG = 200000 };
    tile_work_reserve(&w, BIG);
    for (size_t i = 0; i < BIG; i++) {
        double a = 2 * M_PI * (double)i / (BIG - 1);
        w.pts[0][2 * i] = cos(a) + 1e-4 * sin(97 * a);
        w.pts[0][2 * i + 1] = sin(a);
    }
    k = tile_simplify(&w, BIG, 1e-3);
    CHECK(k > 10 && k < 2000);
    tile_work_free(&w);
    tile_work_free(&w); /* twice is fine */
}

int main(void) {
    test_t1_boundary();
    test_t1_counts();
    test_nesting();
    test_edges_exact();
    test_t2_t3();
    test_bounds();
    test_t4_parse();
    test_clip_simplify();
    return unit_summary();
}
