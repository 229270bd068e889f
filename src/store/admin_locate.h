/* admin_locate.h — which admin units of a layout contain a point.  Shared by
 * the edits (a published move gets the units it lies in) and the ingest (a
 * row with coordinates gets the units it lies in). */
#ifndef VETMAP_ADMIN_LOCATE_H
#define VETMAP_ADMIN_LOCATE_H

#include <sqlite3.h>

#define ADMIN_LOCATE_CODE_MAX 64

/* Codes of the units containing a point, "" where none:
 * code[0] commune, code[1] district, code[2] province. */
typedef struct AdminPlace {
    char code[3][ADMIN_LOCATE_CODE_MAX];
} AdminPlace;

/* Fill *out with the units of `layout` that contain (lon, lat): per level,
 * the unit (lowest code first) whose polygon holds the point, candidates
 * from the R*Tree idx_admin_unit_geom (a point outside every unit's box
 * costs one R*Tree probe); then the parents of the unit found below replace
 * the polygons' answer, so a point near a border where the district file
 * and the commune file disagree gets its commune's own district and
 * province.  Returns how many levels have a unit (0..3), or -1 on a
 * database error. */
int admin_locate_point(sqlite3 *db, const char *layout, double lon, double lat, AdminPlace *out);

/* admin_locate_point for many points of one layout (a bulk ingest): the
 * layout's units read once, and each polygon prepared with GEOS the first
 * time a point falls in its box.  SQL's ST_Intersects parses the whole
 * polygon again at every call (a province's tens of thousands of vertices
 * for each point near it); a prepared polygon answers in microseconds.
 * Same answers as admin_locate_point (GEOS decides either way; the box
 * test uses the exact bounds, which only leave out points that cannot
 * intersect).  Not thread-safe: one locator per thread. */
typedef struct AdminLocator AdminLocator;
/* NULL on an SQLite error or no memory (then use admin_locate_point). */
AdminLocator *admin_locator_new(sqlite3 *db, const char *layout);
/* As admin_locate_point. */
int admin_locator_find(AdminLocator *loc, double lon, double lat, AdminPlace *out);
void admin_locator_free(AdminLocator *loc);

#endif
