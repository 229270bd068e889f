/* cluster.c — grid clustering of points for low-zoom tiles (cluster.h).
 *
 * A cell of cell_px = 256 / 2^k pixels at zoom z is exactly a tile of zoom
 * z + k, so cells are computed with the tile module's own indexing
 * (tile_world_xy + tile_index): a point's cell, shifted right by k, is its
 * tile at z, which is why a cluster never straddles two tiles and the
 * per-tile counts add up to the total. */
#include "geo/cluster.h"

#include "geo/tile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct Item {
    double fx, fy;      /* world fractions (tile.h) */
    long long cx, cy;   /* cell at zoom z + k */
    size_t idx;         /* input index */
} Item;

/* The sort key: row-major cell (cy, cx) packed in one integer (levels are
 * at most TILE_MAX_ZOOM + 8 = 28, so 2 * 28 bits fit), then the input
 * index. */
typedef struct Key {
    unsigned long long cell;
    size_t idx;
} Key;

/* Sort keys (made in input order) by cell, keeping input order among equal
 * cells: a least-significant-digit radix sort, one pass per byte of the
 * 2 * level bits the cells use (a comparison sort of 100,000 keys was half
 * the time of clustering them).  tmp has room for n keys. */
static void sort_keys(Key *keys, Key *tmp, size_t n, int level) {
    Key *src = keys, *dst = tmp;
    for (int shift = 0; shift < 2 * level; shift += 8) {
        size_t start[257] = {0};
        for (size_t i = 0; i < n; i++) start[((src[i].cell >> shift) & 0xFF) + 1]++;
        for (int d = 0; d < 256; d++) start[d + 1] += start[d];
        for (size_t i = 0; i < n; i++) dst[start[(src[i].cell >> shift) & 0xFF]++] = src[i];
        Key *t = src;
        src = dst;
        dst = t;
    }
    if (src != keys) memcpy(keys, src, n * sizeof *keys);
}

/* log2(256 / cell_px) for a power-of-two divisor of 256, else -1. */
static int cell_shift(int cell_px) {
    for (int k = 0; k <= 8; k++)
        if (cell_px == (TILE_SIZE_PX >> k)) return k;
    return -1;
}

/* First zoom in (z, max_zoom] where the box of world fractions
 * [x0, x1] x [y0, y1] covers more than one cell, or -1.  Cells nest, and
 * tile_index is monotonic, so the corners decide. */
static int expansion_zoom(double x0, double x1, double y0, double y1, int z, int k,
                          int max_zoom) {
    for (int zz = z + 1; zz <= max_zoom; zz++) {
        int level = zz + k;
        if (tile_index(x0, level) != tile_index(x1, level) ||
            tile_index(y0, level) != tile_index(y1, level))
            return zz;
    }
    return -1;
}

int cluster_points(const ClusterPoint *pts, size_t n, int z, int cell_px, int max_zoom,
                   ClusterResult *res) {
    return cluster_points_xy(pts, NULL, n, z, cell_px, max_zoom, res);
}

int cluster_points_xy(const ClusterPoint *pts, const double *fxy, size_t n, int z, int cell_px,
                      int max_zoom, ClusterResult *res) {
    if (!res) return -1;
    memset(res, 0, sizeof *res);
    int k = cell_shift(cell_px);
    if (k < 0 || z < 0 || z > TILE_MAX_ZOOM || (n && !pts)) return -1;
    if (max_zoom > TILE_MAX_ZOOM) max_zoom = TILE_MAX_ZOOM;
    if (n == 0) return 0;
    if (n > ((size_t)-1) / sizeof(Item)) return -1;

    Item *items = malloc(n * sizeof *items);
    Key *keys = malloc(2 * n * sizeof *keys); /* the second half: sort_keys' scratch */
    res->order = malloc(n * sizeof *res->order);
    res->clusters = malloc(n * sizeof *res->clusters); /* at most one per point */
    if (!items || !keys || !res->order || !res->clusters) goto fail;

    int level = z + k;
    for (size_t i = 0; i < n; i++) {
        Item *it = &items[i];
        if (fxy) {
            it->fx = fxy[2 * i];
            it->fy = fxy[2 * i + 1];
        } else if (tile_world_xy(pts[i].lon, pts[i].lat, &it->fx, &it->fy) != 0) {
            goto fail;
        }
        it->cx = tile_index(it->fx, level);
        it->cy = tile_index(it->fy, level);
        it->idx = i;
        keys[i] = (Key){(unsigned long long)it->cy << level | (unsigned long long)it->cx, i};
    }
    sort_keys(keys, keys + n, n, level);

    size_t nc = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        const Item *first = &items[keys[i].idx];
        double slon = 0, slat = 0;
        double x0 = first->fx, x1 = x0, y0 = first->fy, y1 = y0;
        while (j < n && keys[j].cell == keys[i].cell) {
            const Item *it = &items[keys[j].idx];
            res->order[j] = it->idx;
            slon += pts[it->idx].lon;
            slat += pts[it->idx].lat;
            x0 = fmin(x0, it->fx);
            x1 = fmax(x1, it->fx);
            y0 = fmin(y0, it->fy);
            y1 = fmax(y1, it->fy);
            j++;
        }
        Cluster *c = &res->clusters[nc++];
        c->count = j - i;
        c->first = i;
        c->lon = slon / (double)c->count;
        c->lat = slat / (double)c->count;
        c->expansion_zoom = expansion_zoom(x0, x1, y0, y1, z, k, max_zoom);
        i = j;
    }
    res->n = nc;
    free(items);
    free(keys);
    return 0;

fail:
    free(items);
    free(keys);
    cluster_result_free(res);
    return -1;
}

void cluster_result_free(ClusterResult *res) {
    if (!res) return;
    free(res->clusters);
    free(res->order);
    memset(res, 0, sizeof *res);
}
