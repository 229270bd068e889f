/* coverage_report.h — a coverage run written out: GeoJSON (the API's and the
 * CLI's), and CSV / XLSX tables through GDAL's CSV and XLSX drivers.
 *
 * Every output carries the same per-unit columns with the same rounding, so
 * the API, the CLI and the web page show the same numbers:
 *   code, name, parent_code, parent_name, level, population, population_year,
 *   area_km2, approximate, pop_point ("seat" | "point_on_surface"), pop_lon,
 *   pop_lat, nearest_code, nearest_name, nearest_km (geodesic, from the
 *   population point), within_radius, covered_share (0..1 of the area),
 *   covered_population, uncovered_population, institutions (located in the
 *   unit), per_100k (institutions per 100,000 people), and for a what-if
 *   covered_population_change.
 * GeoJSON FeatureCollection members beside "features": layout, level,
 * radius_km, filters, method, summary, parents, sites, and for a what-if
 * baseline and change; suggestions are a FeatureCollection of points. */
#ifndef VETMAP_COVERAGE_REPORT_H
#define VETMAP_COVERAGE_REPORT_H

#include "base/buf.h"
#include "coverage/coverage_run.h"

#include <sqlite3.h>

/* The units as a GeoJSON FeatureCollection.  Geometries (6 decimals) come
 * from db when with_geometry, else every geometry is null.  Returns 0, or
 * -1 with *err. */
int covreport_geojson(Buf *b, sqlite3 *db, const CovRun *run, const CovQuery *q, int with_geometry,
                      char **err);

/* The suggestions as a GeoJSON FeatureCollection of points with rank,
 * unit_code, unit_name, gain_population, covered_population_after,
 * covered_share_after; members layout, level, radius_km, k, candidates,
 * summary (before). */
void covreport_suggest_geojson(Buf *b, const CovRun *run, const CovQuery *q);

typedef enum CovTable { COVTABLE_UNITS, COVTABLE_SUGGESTIONS, COVTABLE_WORKBOOK } CovTable;

/* A table written by GDAL into out: driver "CSV" (UTF-8 with a BOM, so
 * spreadsheets read Vietnamese names right) holds the units or the
 * suggestions; "XLSX" with COVTABLE_WORKBOOK holds the sheets units,
 * parents, summary and, when there are any, suggestions.  Returns 0, or -1
 * with *err. */
int covreport_table(Buf *out, const char *driver, CovTable what, const CovRun *run, const CovQuery *q,
                    char **err);

#endif
