/* geojson.h — streaming JSON / GeoJSON (RFC 7946) writer into a Buf.
 *
 * Numbers never depend on LC_NUMERIC (CASES G2): they are formatted by our
 * own code, fixed decimals with trailing zeros trimmed (G3: 106.19460000000001
 * at 7 decimals -> 106.1946).  Non-finite numbers are never printed: json_num
 * writes null, and a geometry with a non-finite coordinate is written as null
 * (G1).  Strings are written as raw UTF-8 with only the escapes JSON requires
 * (G5).  Polygon rings are written exterior counter-clockwise, holes
 * clockwise (RFC 7946 §3.1.6, G4), whatever the input orientation. */
#ifndef VETMAP_GEOJSON_H
#define VETMAP_GEOJSON_H

#include "base/buf.h"
#include "geo/tile.h"
#include <stddef.h>

/* Quoted JSON string; s NULL -> null.  Invalid UTF-8 bytes become U+FFFD. */
void json_str(Buf *b, const char *s);
/* Like json_str for the first n bytes. */
void json_strn(Buf *b, const char *s, size_t n);
/* Number with at most `decimals` (0..15) decimals, zeros trimmed, "-0" -> "0";
 * NaN/Inf -> null. */
void json_num(Buf *b, double v, int decimals);
void json_int(Buf *b, long long v);

/* Write the GeoJSON geometry object for a WKB geometry (ISO/OGC WKB, XY, as
 * SpatiaLite's AsBinary() returns; Z/M ordinates are dropped).  Coordinates
 * get `decimals` decimals.  Returns 0, or -1 for malformed WKB or a
 * non-finite coordinate, in which case it writes null instead (the caller
 * still gets valid JSON).  Empty geometries are written as null too. */
int geojson_write_wkb(Buf *b, const unsigned char *wkb, size_t n, int decimals);

/* geojson_write_wkb for a tile: each polygon ring is clipped to `box`
 * (tile_clip_ring; pass a buffered box, tile_buffered), simplified with
 * tolerance `tol` degrees (tile_simplify; 0 = none), and positions that
 * print the same at `decimals` are merged; a ring left with fewer than 4
 * positions is dropped, and a polygon whose exterior ring is dropped goes
 * with its holes.  Points outside the box are dropped; lines are written
 * unclipped.  Ring orientation as in geojson_write_wkb.  `work` is reused
 * memory (tile.h; NULL: plain geojson_write_wkb).  Returns as
 * geojson_write_wkb; nothing left in the box is written as null with 0.
 * Own code rather than GEOS (ST_Intersection): linear in the vertices,
 * and it never fails on the self-intersecting rings real boundary data
 * has. */
int geojson_write_wkb_tile(Buf *b, const unsigned char *wkb, size_t n, int decimals, TileBox box,
                           double tol, TileWork *work);

/* Signed area (shoelace, in squared input units) of a closed ring of
 * npoints lon/lat pairs: > 0 when counter-clockwise. */
double geojson_ring_signed_area(const double *xy, size_t npoints);

#endif
