/* api_tiles.h — GeoJSON XYZ tiles and their TileJSON documents.
 *
 *   GET /tiles/{collection}/{z}/{x}/{y}.geojson   FeatureCollection
 *       (application/geo+json), lon/lat (EPSG:4326) at tile_decimals(z).
 *       institutions: the points of the tile under the half-open rule of
 *         tile.h (a point on a tile edge is in exactly one tile: CASES T1);
 *         optional kind, ownership, district_code (a comma list means any of
 *         them); below config->cluster_max_zoom grid clusters (cluster.h):
 *         a cluster of several is a Point with properties
 *         {"cluster": true, "count", "expansion_zoom" (null: never splits),
 *         "codes" (the first 50)}; a lone point, and every point from
 *         cluster_max_zoom on, is {"id": code, properties code, name, kind,
 *         ownership, location_precision}.
 *       provinces / districts / communes (default layout): polygons
 *         clipped to the tile grown by API_TILES_BUFFER_PX pixels and
 *         simplified to half a pixel, {"id": code, properties code, name,
 *         type, level, parent_code}; a unit may appear in several tiles
 *         (the client de-duplicates by id).
 *       Errors (CASES T4): a malformed z/x/y -> 400 InvalidParameterValue,
 *       one outside the grid or an unknown collection -> 404 NotFound,
 *       unknown query parameters -> 400.
 *   GET /tiles/{collection}.json                   TileJSON 3.0.0 (tiles URL
 *       template from the request's own host, bounds from the data). */
#ifndef VETMAP_API_TILES_H
#define VETMAP_API_TILES_H

#include "http/http.h"

/* Clip buffer around each polygon tile, in pixels of the tile's zoom. */
#define API_TILES_BUFFER_PX 8
/* Member codes listed in a cluster feature. */
#define API_TILES_CLUSTER_CODES 50

/* Table alias i; the caller puts "SELECT <columns>" before it. */
/* Institutions of the tile box, with the optional filters (NULL = any; a
 * comma list = any of its values).  ?1..?4 = west, south, east, north.
 * The clustered and the plain query share it and differ in columns only;
 * the unit test of tile_points.c checks its snapshot against this text. */
#define API_TILES_INSTITUTIONS_IN_BOX                                                            \
    " FROM institution i"                                                              \
    " WHERE i.id IN (SELECT pkid FROM idx_institution_geom"                            \
    "                WHERE xmax >= ?1 AND ymax >= ?2 AND xmin <= ?3 AND ymin <= ?4)"   \
    "   AND i.lon IS NOT NULL AND i.lat IS NOT NULL"                                   \
    "   AND (?5 IS NULL OR instr(',' || ?5 || ',', ',' || i.kind || ',') > 0)"         \
    "   AND (?6 IS NULL OR instr(',' || ?6 || ',', ',' || i.ownership || ',') > 0)"    \
    "   AND (?7 IS NULL OR instr(',' || ?7 || ',', ',' || i.district_code || ',') > 0)" \
    " ORDER BY i.id"

extern const Route api_tiles_routes[];

#endif
