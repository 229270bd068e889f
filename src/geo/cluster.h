/* cluster.h — point clustering for low-zoom institution tiles.
 *
 * Grid clustering in global pixel space: at zoom z the world is
 * 256 * 2^z pixels wide and is cut into square cells of `cell_px` pixels
 * (cell_px divides 256, so a cell never straddles two tiles and a cluster
 * belongs to exactly one tile: the per-tile counts add up to the total).
 * A cluster's position is the mean of its members (lon/lat degrees), and its
 * expansion zoom is the first zoom above z at which its members fall into
 * more than one cell (or -1 when they never do up to max_zoom, e.g. several
 * institutions placed at one commune's centroid).  Own code, not a library:
 * clustering is the product, and its rules must match the tiles exactly. */
#ifndef VETMAP_CLUSTER_H
#define VETMAP_CLUSTER_H

#include <stddef.h>

typedef struct ClusterPoint {
    double lon, lat;     /* degrees, finite */
    long long id;        /* caller's row id, returned in member lists */
} ClusterPoint;

typedef struct Cluster {
    double lon, lat;     /* mean of members */
    size_t count;
    int expansion_zoom;  /* -1: the members never split up to max_zoom */
    size_t first;        /* members are order[first .. first+count) */
} Cluster;

typedef struct ClusterResult {
    Cluster *clusters;   /* sorted by cell (row-major), stable */
    size_t n;
    size_t *order;       /* indexes into the input points, grouped by cluster */
} ClusterResult;

/* Cluster `n` points at zoom z with cells of cell_px pixels (a divisor of
 * 256: 16, 32, 64, 128 or 256), computing expansion zooms up to max_zoom.
 * Returns 0, or -1 on bad arguments / allocation failure (res zeroed). */
int cluster_points(const ClusterPoint *pts, size_t n, int z, int cell_px,
                   int max_zoom, ClusterResult *res);
/* cluster_points with each point's world fractions given (fxy[2i],
 * fxy[2i+1] = tile_world_xy(pts[i].lon, pts[i].lat), which they must
 * equal), for a caller that keeps them: the projection is a third of the
 * work.  fxy NULL: computed here. */
int cluster_points_xy(const ClusterPoint *pts, const double *fxy, size_t n, int z, int cell_px,
                      int max_zoom, ClusterResult *res);
void cluster_result_free(ClusterResult *res);

#endif
