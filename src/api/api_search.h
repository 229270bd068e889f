/* api_search.h — finding institutions by text and by distance.
 *
 *   GET /api/search?q=TEXT[&kind=][&ownership=][&district_code=][&limit=1..100,
 *       default 20][&offset=]
 *       FTS5 over folded text (text_fold: marks, đ and case ignored), every
 *       query word a prefix term, all words required; names that contain the
 *       query with its exact marks (text_casefold) rank first, then bm25.
 *       Answers a FeatureCollection with numberMatched/numberReturned and
 *       "query" (the decoded q: CASES H4).  Empty q -> 400.
 *   GET /api/nearest?lon=&lat=[&limit=1..50, default 10][&kind=]
 *       Institutions with a location, nearest first by geodesic distance on
 *       the WGS84 ellipsoid (PROJ geod_inverse); property distance_km. */
#ifndef VETMAP_API_SEARCH_H
#define VETMAP_API_SEARCH_H

#include "http/http.h"

extern const Route api_search_routes[];

/* The FTS5 MATCH expression for a user query: the folded query's words,
 * each a quoted prefix term, ANDed ("cao đẳng" -> "\"cao\"* AND \"dang\"*").
 * User text never reaches MATCH unquoted.  Returns a malloc'd string, or
 * NULL when the query has no word (or on allocation failure). */
char *api_search_match_expr(const char *query);

#endif
