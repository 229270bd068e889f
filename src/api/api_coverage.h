/* api_coverage.h — network coverage for planners (coverage_run.h does the
 * work; the CLI `vetmap coverage` gives the same numbers).
 *
 *   GET /api/coverage?layout=NAME&radius_km=R[&level=][&kind=][&ownership=]
 *       [&occupation=][&f=geojson|csv|xlsx][&geometry=true|false]
 *       Units of the layout (default: the default layout) at the finest level
 *       with population, with their measures as properties, and the members
 *       summary, parents, sites, method (coverage_report.h).  radius_km 0.1 to
 *       500, default 10.  kind/ownership: comma-separated lists.  f=csv and
 *       f=xlsx give the table (GDAL's CSV/XLSX drivers) as a download.
 *   GET /api/coverage/suggest?...&k=1..100 (default 5)[&candidates=points|grid]
 *       [&grid_km=][&f=geojson|csv]
 *       k new sites chosen greedily (maximal covering location problem), each
 *       with the population it adds: a FeatureCollection of points.
 *   POST /api/coverage/whatif   (JSON body, nothing is written)
 *       {"layout", "level", "radius_km", "kind", "ownership", "occupation",
 *        "add": [{"lon", "lat", "name"?, "code"?, "kind"?}], "remove": [codes],
 *        "geometry": bool}
 *       The coverage document of the changed network, with "baseline" (the
 *       unchanged network's summary), "change", and per unit
 *       covered_population_change.
 *   GET /api/coverage/layouts
 *       {"layouts": [{"name", "is_default", "description", "coverage_level",
 *        "levels": [{"level", "units", "with_population"}]}]}: what can be
 *       analysed.
 * Bad parameters (negative radius, unknown layout or level, k = 0 or above
 * 100, unknown filter values, unknown parameters) -> 400 with a JSON error. */
#ifndef VETMAP_API_COVERAGE_H
#define VETMAP_API_COVERAGE_H

#include "http/http.h"

extern const Route api_coverage_routes[];

#endif
