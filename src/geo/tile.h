/* tile.h — XYZ tile arithmetic (Web Mercator, EPSG:3857 grid, 256 px tiles).
 *
 * Tiles are half-open so that every point lies in exactly one tile of a zoom
 * (CASES T1): a tile holds lon in [west, east) and lat in (south, north],
 * except the last column, which also holds lon = 180, and the last row,
 * which also holds lat = -TILE_MAX_LAT.  Rows count from the north (XYZ, not
 * TMS: CASES T2, 14/13009/7212).  Latitudes beyond ±TILE_MAX_LAT are clamped
 * to it, and TILE_MAX_LAT itself is row 0 (T3).
 * Formulas: the standard slippy-map tile numbering (OpenStreetMap wiki,
 * "Slippy map tilenames"); TILE_MAX_LAT = atan(sinh(pi)) in degrees. */
#ifndef VETMAP_TILE_H
#define VETMAP_TILE_H

#include <stddef.h>

#define TILE_MAX_LAT 85.0511287798066
#define TILE_MAX_ZOOM 20
#define TILE_SIZE_PX 256

typedef struct TileBox { double west, south, east, north; } TileBox;

/* 1 when 0 <= z <= TILE_MAX_ZOOM and 0 <= x, y < 2^z. */
int tile_valid(int z, long long x, long long y);

/* Bounds of tile z/x/y in degrees (lon/lat).  Caller checks tile_valid. */
TileBox tile_bounds(int z, long long x, long long y);

/* The tile of zoom z holding (lon, lat) under the half-open rule above.
 * Returns 0, or -1 for a non-finite coordinate or an invalid zoom. */
int tile_for_lonlat(int z, double lon, double lat, long long *x, long long *y);

/* 1 when (lon, lat) lies in tile z/x/y under the same rule (consistent with
 * tile_for_lonlat for every point). */
int tile_contains(int z, long long x, long long y, double lon, double lat);

/* Bounds grown by `px` pixels of that zoom on each side (a clipping buffer),
 * clamped to ±180 / ±TILE_MAX_LAT. */
TileBox tile_buffered(int z, long long x, long long y, double px);

/* Size of one pixel at zoom z in degrees of longitude (360 / 2^z / 256). */
double tile_pixel_deg(int z);

/* Decimals that keep coordinates within ~1/8 pixel at zoom z (>= 1, <= 7). */
int tile_decimals(int z);

/* Position of (lon, lat) as fractions of the world, both in [0, 1]: fx
 * from the west edge (lon -180), fy from the north edge (TILE_MAX_LAT);
 * lon is clamped to ±180 and lat to ±TILE_MAX_LAT.  Every tile index is
 * tile_index(fx or fy, z) of these same fractions, so zooms nest exactly:
 * the tile of a point at z+k, shifted right by k, is its tile at z (what
 * cluster.c relies on for cells finer than a tile).  Returns 0, or -1 for
 * a non-finite coordinate. */
int tile_world_xy(double lon, double lat, double *fx, double *fy);

/* floor(f * 2^z) clamped to [0, 2^z - 1], for f from tile_world_xy and
 * 0 <= z <= 62 (beyond TILE_MAX_ZOOM for sub-tile grids). */
long long tile_index(double f, int z);

/* Parse "{z}/{x}/{y}.geojson" (the part after /tiles/{collection}/).
 * Returns 0 on success; -1 when it is not three decimal integers with the
 * suffix (-> 400); -2 when well-formed but out of range (-> 404).  Never
 * overflows: digits beyond range are rejected before any shift (T4). */
int tile_parse_zxy(const char *s, int *z, long long *x, long long *y);

/* ---- Geometry for tiles: clipping and simplification of rings -------
 * Working memory reused across rings (one per request, no allocation per
 * feature): zero-initialise (TILE_WORK_INIT), free with tile_work_free.
 * Rings are arrays of x, y pairs (degrees); a closed ring repeats its first
 * point last. */
typedef struct TileWork {
    double *pts[2];       /* pts[0]: the ring worked on; pts[1]: scratch */
    size_t cap;           /* points each of pts[0], pts[1] can hold */
    size_t *stack;        /* Douglas-Peucker work stack (index pairs) */
    unsigned char *keep;  /* Douglas-Peucker marks */
    size_t aux_cap;       /* points stack/keep can serve */
} TileWork;

#define TILE_WORK_INIT {{NULL, NULL}, 0, NULL, NULL, 0}

void tile_work_free(TileWork *w);

/* Make room for n points in pts[0] and pts[1] (contents kept).  Returns 0,
 * or -1 when memory ran out. */
int tile_work_reserve(TileWork *w, size_t n);

/* Clip the closed ring w->pts[0][0..n) to box (Sutherland-Hodgman, one
 * pass per box edge: Sutherland & Hodgman, "Reentrant polygon clipping",
 * CACM 17(1), 1974).  The result, closed, is left in w->pts[0].  Returns its
 * point count, 0 when less than a triangle remains (the ring misses the
 * box), or -1 when memory ran out.  A ring inside the box is returned as
 * is; parts of a concave ring outside the box become edges along the box,
 * which is why tiles are clipped to a buffered box (tile_buffered): those
 * edges then lie outside the visible tile. */
long tile_clip_ring(TileWork *w, size_t n, TileBox box);

/* Douglas-Peucker simplification (Douglas & Peucker, Cartographica 10(2),
 * 1973) of w->pts[0][0..n), in place: keeps the first and last points and
 * every point farther than tol (degrees) from the chord it would be
 * dropped onto.  Iterative (no recursion depth limit).  Returns the new
 * count (n itself when tol <= 0 or n < 3), or n when memory ran out (the
 * ring is then kept unsimplified). */
size_t tile_simplify(TileWork *w, size_t n, double tol);

#endif
