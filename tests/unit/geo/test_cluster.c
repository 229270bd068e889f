/* test_cluster.c — cluster.h: counts, means and expansion zooms on inputs
 * worked out by hand, and the tile consistency the tiles rely on (each
 * point in exactly one cluster of one tile; per-tile counts add up). */
#include "geo/cluster.h"
#include "geo/tile.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

/* Hand-worked cells (world fraction * 2^L, floored; slippy-map formulas):
 *   (10, 10): L2 (2,1)  L3 (4,3)  L4 (8,7)  L5 (16,15)
 *   (20, 20): L2 (2,1)  L3 (4,3)  L4 (8,7)  L5 (17,14)
 *   (105.85, 21.03): L3 (6,3) */
static void test_hand_cases(void) {
    ClusterResult r;
    ClusterPoint two[] = {{10, 10, 100}, {20, 20, 200}};
    /* z1 with 128 px cells = z2 tiles: both in cell (2,1) */
    CHECK_INT(cluster_points(two, 2, 1, 128, 20, &r), 0);
    CHECK_INT(r.n, 1);
    CHECK_INT(r.clusters[0].count, 2);
    CHECK_DBL(r.clusters[0].lon, 15, 1e-12);
    CHECK_DBL(r.clusters[0].lat, 15, 1e-12);
    /* same cell at z2 (L3) and z3 (L4), apart at z4 (L5: 16 vs 17) */
    CHECK_INT(r.clusters[0].expansion_zoom, 4);
    CHECK_INT(r.clusters[0].first, 0);
    CHECK_INT(r.order[0], 0);
    CHECK_INT(r.order[1], 1);
    cluster_result_free(&r);
    /* with max_zoom 3 they never split in range */
    CHECK_INT(cluster_points(two, 2, 1, 128, 3, &r), 0);
    CHECK_INT(r.clusters[0].expansion_zoom, -1);
    cluster_result_free(&r);

    /* z3, 256 px cells = z3 tiles: (4,3) holds two, (6,3) one; row-major */
    ClusterPoint three[] = {{105.85, 21.03, 3}, {20, 20, 2}, {10, 10, 1}};
    CHECK_INT(cluster_points(three, 3, 3, 256, 20, &r), 0);
    CHECK_INT(r.n, 2);
    CHECK_INT(r.clusters[0].count, 2);
    CHECK_INT(r.clusters[0].expansion_zoom, 5); /* L4 same (8,7), L5 apart */
    CHECK_INT(three[r.order[r.clusters[0].first]].id, 2); /* input order kept */
    CHECK_INT(three[r.order[r.clusters[0].first + 1]].id, 1);
    CHECK_INT(r.clusters[1].count, 1);
    CHECK_INT(r.clusters[1].expansion_zoom, -1);
    CHECK_INT(three[r.order[r.clusters[1].first]].id, 3);
    CHECK_DBL(r.clusters[1].lon, 105.85, 0);
    cluster_result_free(&r);

    /* identical points (several schools at one commune centroid): one
     * cluster that never expands */
    ClusterPoint same[] = {{106.1946, 21.2731, 1}, {106.1946, 21.2731, 2}, {106.1946, 21.2731, 3}};
    CHECK_INT(cluster_points(same, 3, 5, 64, 20, &r), 0);
    CHECK_INT(r.n, 1);
    CHECK_INT(r.clusters[0].count, 3);
    CHECK_INT(r.clusters[0].expansion_zoom, -1);
    cluster_result_free(&r);

    /* 106.1946,21.2731 and 106.2,21.28 share a cell down to level 14 and
     * part at level 15 (rows 14401 / 14400): with 64 px cells (level z+2)
     * that is zoom 13 */
    ClusterPoint near[] = {{106.1946, 21.2731, 1}, {106.2, 21.28, 2}};
    CHECK_INT(cluster_points(near, 2, 8, 64, 20, &r), 0);
    CHECK_INT(r.n, 1);
    CHECK_INT(r.clusters[0].expansion_zoom, 13);
    cluster_result_free(&r);
    CHECK_INT(cluster_points(near, 2, 8, 64, 12, &r), 0);
    CHECK_INT(r.clusters[0].expansion_zoom, -1);
    cluster_result_free(&r);
    /* already apart at z13: two clusters of one */
    CHECK_INT(cluster_points(near, 2, 13, 64, 20, &r), 0);
    CHECK_INT(r.n, 2);
    cluster_result_free(&r);

    /* bad arguments: refused, result zeroed; n = 0 is fine */
    CHECK_INT(cluster_points(two, 2, 1, 100, 20, &r), -1);
    CHECK(r.clusters == NULL && r.order == NULL && r.n == 0);
    CHECK_INT(cluster_points(two, 2, 21, 64, 20, &r), -1);
    CHECK_INT(cluster_points(two, 2, -1, 64, 20, &r), -1);
    CHECK_INT(cluster_points(NULL, 2, 1, 64, 20, &r), -1);
    CHECK_INT(cluster_points(two, 2, 1, 64, 20, NULL), -1);
    ClusterPoint nan_pt[] = {{10, 10, 1}, {NAN, 0, 2}};
    CHECK_INT(cluster_points(nan_pt, 2, 1, 64, 20, &r), -1);
    CHECK_INT(cluster_points(NULL, 0, 1, 64, 20, &r), 0);
    CHECK_INT(r.n, 0);
    cluster_result_free(&r);
    cluster_result_free(NULL);
}

/* Random points over northern Vietnam, some stacked and some on tile
 * edges; for each zoom: cluster everything at once, and tile by tile as
 * the tile endpoint does (points with tile_contains, then cluster). */
static void test_tile_consistency(void) {
    enum { N = 3000 };
    static ClusterPoint pts[N];
    uint64_t s = 7;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) / 9007199254740992.0;
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double v = (double)(s >> 11) / 9007199254740992.0;
        pts[i].lon = 102.1 + 7.5 * u;
        pts[i].lat = 20.0 + 3.4 * v;
        pts[i].id = i;
        if (i % 10 == 0) pts[i].lon = 105.46875;           /* the T1 z8 column edge */
        if (i % 17 == 0 && i > 0) pts[i] = pts[i - 1], pts[i].id = i; /* stacked */
    }
    int cells[] = {64, 128, 256, 32};
    for (int z = 0; z <= 10; z++) {
        int cell = cells[z % 4];
        ClusterResult all;
        CHECK_INT(cluster_points(pts, N, z, cell, 20, &all), 0);
        /* every point exactly once in the global result */
        static int seen[N];
        memset(seen, 0, sizeof seen);
        size_t sum = 0;
        int in_one_tile = 1;
        for (size_t c = 0; c < all.n; c++) {
            sum += all.clusters[c].count;
            long long tx0 = -1, ty0 = -1;
            for (size_t k = 0; k < all.clusters[c].count; k++) {
                size_t idx = all.order[all.clusters[c].first + k];
                seen[idx]++;
                long long tx, ty;
                tile_for_lonlat(z, pts[idx].lon, pts[idx].lat, &tx, &ty);
                if (k == 0) tx0 = tx, ty0 = ty;
                else if (tx != tx0 || ty != ty0) in_one_tile = 0;
            }
        }
        int twice = 0;
        for (int i = 0; i < N; i++) twice += seen[i] != 1;
        CHECK_INT(sum, N);
        CHECK_INT(twice, 0);
        CHECK(in_one_tile);

        /* tile by tile: same number of clusters and points in total */
        long long x0, y0, x1, y1;
        tile_for_lonlat(z, 102.1, 23.4, &x0, &y0);
        tile_for_lonlat(z, 109.6, 20.0, &x1, &y1);
        size_t tile_points = 0, tile_clusters = 0;
        memset(seen, 0, sizeof seen);
        twice = 0;
        static ClusterPoint sel[N];
        for (long long tx = x0; tx <= x1; tx++)
            for (long long ty = y0; ty <= y1; ty++) {
                size_t m = 0;
                for (int i = 0; i < N; i++)
                    if (tile_contains(z, tx, ty, pts[i].lon, pts[i].lat)) sel[m++] = pts[i];
                ClusterResult r;
                if (cluster_points(sel, m, z, cell, 20, &r) != 0) twice++;
                tile_clusters += r.n;
                for (size_t c = 0; c < r.n; c++) {
                    tile_points += r.clusters[c].count;
                    for (size_t k = 0; k < r.clusters[c].count; k++)
                        seen[sel[r.order[r.clusters[c].first + k]].id]++;
                }
                cluster_result_free(&r);
            }
        for (int i = 0; i < N; i++) twice += seen[i] != 1;
        CHECK_INT(tile_points, N);
        CHECK_INT(tile_clusters, all.n);
        CHECK_INT(twice, 0);
        cluster_result_free(&all);
    }
}

/* Expansion zoom agrees with brute force: the first zoom at which
 * re-clustering the members yields more than one cluster. */
static void test_expansion_brute_force(void) {
    ClusterPoint pts[] = {{105.0, 21.0, 0}, {105.001, 21.0, 1}, {105.0, 21.0004, 2},
                          {105.3, 21.2, 3}, {105.30001, 21.2, 4}, {106.0, 20.0, 5}};
    size_t n = sizeof pts / sizeof pts[0];
    int bad = 0;
    for (int z = 0; z <= 16; z++) {
        ClusterResult r;
        if (cluster_points(pts, n, z, 64, 20, &r) != 0) {
            bad++;
            continue;
        }
        for (size_t c = 0; c < r.n; c++) {
            ClusterPoint mem[8];
            size_t m = r.clusters[c].count;
            for (size_t k = 0; k < m; k++) mem[k] = pts[r.order[r.clusters[c].first + k]];
            int want = -1;
            for (int zz = z + 1; zz <= 20 && want < 0; zz++) {
                ClusterResult q;
                cluster_points(mem, m, zz, 64, 20, &q);
                if (q.n > 1) want = zz;
                cluster_result_free(&q);
            }
            if (want != r.clusters[c].expansion_zoom) bad++;
        }
        cluster_result_free(&r);
    }
    CHECK_INT(bad, 0);
}

int main(void) {
    test_hand_cases();
    test_tile_consistency();
    test_expansion_brute_force();
    return unit_summary();
}
