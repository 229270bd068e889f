/* feature.h — one institution or admin unit row as a GeoJSON Feature.
 *
 * Shared by the OGC items endpoints, search and nearest, so that a school
 * looks the same wherever it is returned.  Callers build their SQL as
 *   "SELECT " FEATURE_INSTITUTION_COLUMNS [", more"] " FROM institution i"
 *   FEATURE_INSTITUTION_JOINS " WHERE ..."
 * and hand each row to feature_write_institution with the column index at
 * which the institution columns start (extra columns go after them).
 * The same holds for FEATURE_ADMIN_COLUMNS / "FROM admin_unit a". */
#ifndef VETMAP_FEATURE_H
#define VETMAP_FEATURE_H

#include "base/buf.h"
#include <sqlite3.h>

/* Institution columns, in the order feature_write_institution reads them. */
#define FEATURE_INSTITUTION_COLUMNS                                                         \
    "i.code, i.name, i.kind, i.ownership, i.governing_body, i.address, "                      \
    "i.commune_code, c.name, i.district_code, d.name, i.province_code, p.name, "              \
    "i.website, i.phone, i.email, i.location_precision, i.source_urls, i.updated_at, "        \
    "i.version, i.lon, i.lat, i.description, " FEATURE_INSTITUTION_PROGRAMS
#define FEATURE_INSTITUTION_NCOLS 23

/* The institution's programs as one JSON array text, built by SQLite in the
 * same query: one lookup in the program_institution index per row, which
 * yields an institution's programs in rowid (stored) order, the order the
 * editor's view lists them in.  (A nested ORDER BY rowid subquery doubled
 * the cost of a 1000-feature page.) */
#define FEATURE_INSTITUTION_PROGRAMS                                                        \
    "(SELECT json_group_array(json_object('occupation_code', pr.occupation_code, "            \
    "'occupation_name', pr.occupation_name, 'level', pr.level, 'annual_quota', pr.annual_quota))" \
    " FROM program pr WHERE pr.institution_code = i.code)"

/* The admin names come from the institution's own layout. */
#define FEATURE_INSTITUTION_JOINS                                                           \
    " LEFT JOIN admin_unit c ON c.layout = i.admin_layout AND c.code = i.commune_code"        \
    " LEFT JOIN admin_unit d ON d.layout = i.admin_layout AND d.code = i.district_code"       \
    " LEFT JOIN admin_unit p ON p.layout = i.admin_layout AND p.code = i.province_code"

/* Admin unit columns; the geometry comes as WKB. */
#define FEATURE_ADMIN_COLUMNS                                                               \
    "a.code, a.name, a.type, a.level, a.level_name, a.parent_code, a.layout, "                \
    "a.population, a.area_km2, AsBinary(a.geom)"
#define FEATURE_ADMIN_NCOLS 10

/* Decimals of coordinates in API output: points 7 (~1 cm), polygons 6 (~10 cm). */
#define FEATURE_POINT_DECIMALS 7
#define FEATURE_POLYGON_DECIMALS 6

/* Append the institution Feature of the current row of st (columns from
 * col0 on, as FEATURE_INSTITUTION_COLUMNS).  "id" is the code; the geometry
 * is a Point from lon/lat, or null when either is missing or not finite.
 * distance_km >= 0 adds a "distance_km" property (3 decimals); pass a
 * negative value for none.  source_urls (JSON array text) is written as an
 * array ([] when absent or unparseable); description and programs (the
 * approved values of a school's edits) are written after location_precision. */
void feature_write_institution(Buf *b, sqlite3_stmt *st, int col0, double distance_km);

/* Append the admin unit Feature of the current row of st (columns from col0
 * on, as FEATURE_ADMIN_COLUMNS).  The MultiPolygon is written through
 * geojson_write_wkb (null when the geometry is missing or malformed). */
void feature_write_admin(Buf *b, sqlite3_stmt *st, int col0);

/* Append column col of st as a JSON value by its SQLite type: NULL -> null,
 * integer, real (`decimals` decimals), text -> string, blob -> null. */
void feature_write_value(Buf *b, sqlite3_stmt *st, int col, int decimals);

/* Append a link object {"href": base + path [+ "?" + query], "rel", "type"
 * [, "title"]}; query NULL or "" adds no '?'. */
void feature_write_link(Buf *b, const char *base, const char *path, const char *query, const char *rel,
                         const char *type, const char *title);

#endif
