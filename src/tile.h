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

/* Parse "{z}/{x}/{y}.geojson" (the part after /tiles/{collection}/).
 * Returns 0 on success; -1 when it is not three decimal integers with the
 * suffix (-> 400); -2 when well-formed but out of range (-> 404).  Never
 * overflows: digits beyond range are rejected before any shift (T4). */
int tile_parse_zxy(const char *s, int *z, long long *x, long long *y);

#endif
