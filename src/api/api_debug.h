/* api_debug.h — diagnostic endpoints for tests, served only when
 * `vetmap serve --debug-routes` is given (never in a normal run):
 *
 *   POST /api/_debug/echo   the request body as received: {"bytes": N,
 *                           "sha256": "<hex>"} (checks body assembly, CASES H3)
 *   GET  /api/_debug/routes every route served: [{"method", "path"}] (a path
 *                           ending in '/' is a prefix); tests check each is
 *                           in the OpenAPI document
 *   GET  /api/_debug/items-sql/{collectionId}?<items parameters>
 *                           the SQL the items endpoint runs (CASES S1), see
 *                           api_features_items_sql */
#ifndef VETMAP_API_DEBUG_H
#define VETMAP_API_DEBUG_H

#include "http/http.h"

extern const Route api_debug_routes[];

#endif
