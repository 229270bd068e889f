/* schema_coverage.c — step 3 of the schema: coverage analysis (migrations.h).
 *
 * coverage_sample keeps each admin unit's equal-area sample points
 * (coverage_grid.h), written by `vetmap coverage --prepare` so that a
 * national layout loads in a fraction of a second instead of being sampled
 * again.  A row is only used while it still matches its unit: the CRC-32 of
 * the unit's geometry blob, the equal-area frame and the sample target are stored with
 * it and compared on load (a changed unit is sampled afresh in memory), and
 * deleting the unit deletes the row.
 *
 * coverage_population holds population figures for units whose boundary
 * source carries none (layout 2019's districts: the 2025 communes' figures
 * spread over them, `vetmap layout population`).  Kept apart from
 * admin_unit so that re-ingesting the boundaries (an upsert of every
 * column) neither erases them nor reports changes; coverage reads
 * admin_unit.population first, then this. */
#include "store/migrations.h"

#include <stddef.h>

const char *const schema_coverage[] = {
    "CREATE TABLE coverage_sample("
    "  unit_id INTEGER PRIMARY KEY REFERENCES admin_unit(id) ON DELETE CASCADE,"
    "  geom_crc INTEGER NOT NULL,"      /* CRC-32 (zlib) of the geom blob when sampled */
    "  frame TEXT NOT NULL,"            /* PROJ definition of the equal-area frame */
    "  target INTEGER NOT NULL,"        /* samples aimed at */
    "  spacing_m REAL NOT NULL,"        /* grid spacing used, metres */
    "  frame_area_km2 REAL NOT NULL,"   /* the unit's area in the frame */
    "  n INTEGER NOT NULL,"             /* samples stored */
    "  xy BLOB NOT NULL)",              /* n (lon, lat): little-endian int32, 1e-7 degree */
    "CREATE TABLE coverage_population("
    "  layout TEXT NOT NULL,"
    "  level_name TEXT NOT NULL,"
    "  code TEXT NOT NULL,"
    "  population INTEGER NOT NULL,"
    "  population_year INTEGER,"
    "  source TEXT,"                    /* the file the figures came from */
    "  PRIMARY KEY (layout, level_name, code))",
    NULL,
};
