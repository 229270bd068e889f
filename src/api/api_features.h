/* api_features.h — OGC API – Features Part 1 (Core, GeoJSON, OpenAPI 3.0).
 *
 *   GET /api                                      landing page
 *   GET /api/conformance                          conformance classes
 *   GET /api/collections                          the collections (collections.h)
 *   GET /api/collections/{id}                     one collection, extent from the data
 *   GET /api/collections/{id}/items               features: limit (1..10000, default
 *       100), offset, bbox (R*Tree), property filters (a comma list means any of
 *       them), f=json; unknown parameters -> 400; next/prev links keep every
 *       other parameter, bbox included
 *   GET /api/collections/{id}/items/{featureId}   one feature (404 when unknown)
 *   GET /api/openapi.json                         OpenAPI 3.0 document (openapi.h) */
#ifndef VETMAP_API_FEATURES_H
#define VETMAP_API_FEATURES_H

#include "store/collections.h"
#include "http/http.h"

extern const Route api_features_routes[];

/* Extent [w, s, e, n] (degrees) of a collection's features with geometry;
 * admin collections are read in `layout` (NULL: the default layout).
 * Returns 1 and fills bbox, 0 when the collection has no geometry, or -1
 * on a database error (SQLite code in *rc when rc is not NULL). */
int api_features_extent(sqlite3 *db, const Collection *col, const char *layout, double bbox[4], int *rc);

/* Diagnostic handler (served only with `vetmap serve --debug-routes`, see
 * api_debug.h): GET /api/_debug/items-sql/{collectionId}?<items parameters>
 * answers {"sql": ..., "count_sql": ..., "params": [...]}, the exact
 * statements the items endpoint prepares for those parameters, so tests can
 * run EXPLAIN QUERY PLAN on them (CASES S1). */
void api_features_items_sql(Request *req, Response *res);

#endif
