/* layout_derive.h — a new admin layout built from an older one's polygons.
 *
 * When communes merge (Vietnam, 2025), the new units' boundaries are the
 * unions of the old units they absorbed.  layout_derive() reads the old
 * layout's units of one level from the store and a membership table (one
 * row per new unit: code, name, population, seat, and the old codes it is
 * made of), and writes the new units as GeoJSON:
 *   1. each new unit = union of its listed old units;
 *   2. old units no row lists (merged away before the membership list's
 *      date) join the new unit they share the longest border with,
 *      preferring new units holding old units of their own parent (their
 *      district); units so built are marked approximate;
 *   3. the units are clipped to the frame (the old layout's province
 *      polygons) and made disjoint: where old polygons overlap, the unit
 *      first in code order keeps the overlap;
 *   4. what the frame holds that no unit covers (slivers between
 *      hand-digitised polygons, areas no commune lists) joins the unit it
 *      shares the longest border with;
 *   5. the output (lon/lat snapped to a 1e-6 degree grid, repaired by
 *      MakeValid where snapping pinched a sliver, written at full precision)
 *      is checked: valid geometries, the
 *      units' geodesic area sum within 0.5 % of the frame's, and pairwise
 *      overlaps below 1e-5 of the frame (rounding along shared borders).
 * All polygon work (SpatiaLite on GEOS) happens in the equal-area frame of
 * coverage_grid.h (LAEA centred on the layout), where the border tolerance
 * (a buffer) and the areas are in metres.  "Shared border" is the length of
 * one unit's boundary lying within DERIVE_BORDER_TOL_M of the other unit:
 * independently digitised neighbours rarely share vertices exactly.
 *
 * layout_apportion() spreads the new units' population over the old
 * layout's parents (e.g. 2019 districts) in proportion to the area each
 * new unit draws from each parent's old units. */
#ifndef VETMAP_LAYOUT_DERIVE_H
#define VETMAP_LAYOUT_DERIVE_H

#include <sqlite3.h>
#include <stdio.h>

#define DERIVE_BORDER_TOL_M 30.0
#define DERIVE_MAX_AREA_GAP 0.005   /* the tiling check: |sum - frame| / frame */
/* Pairwise overlap allowed, as a share of the frame: what snapping the
 * output to 1e-6 degree (0.1 m) leaves along shared borders. */
#define DERIVE_MAX_OVERLAP 1e-5

typedef struct DeriveOptions {
    const char *from_layout;     /* old layout, e.g. "2019" */
    const char *level;           /* level of its units that merge, e.g. "commune" */
    const char *members_path;    /* membership table (CSV, XLSX, ... anything OGR reads) */
    /* its columns (defaults in brackets): */
    const char *code_col;        /* new code [code] */
    const char *name_col;        /* new name [name] */
    const char *members_col;     /* old codes, ';'-separated; text after a ':' in an item is
                                    ignored, so "07201:Phường Thọ Xương:full" works [members] */
    const char *population_col;  /* [population] */
    const char *seat_lon_col, *seat_lat_col; /* [seat_lon], [seat_lat] (degrees) */
    const char *area_col;        /* published area, km2, copied as area_km2_source [area_km2] */
    int population_year;         /* written on every unit (0: none) */
    const char *out_units;       /* GeoJSON of the new units */
    const char *out_frame;       /* GeoJSON of the frame (the province), or NULL */
    const char *out_apportion;   /* CSV: population per parent of the old units, or NULL */
} DeriveOptions;

/* Build the layout (see above).  Writes progress and the check's numbers to
 * log.  Returns 0; 1 when the tiling check fails (the files are written
 * anyway, for inspection); -1 with *err (malloc'd) on bad input. */
int layout_derive(sqlite3 *db, const DeriveOptions *o, FILE *log, char **err);

/* Store population figures (coverage_population, schema_coverage.c) for
 * `layout`'s `level` units from a table with columns code,
 * population[, population_year], in one transaction, bumping data_version
 * when anything changed.  Every code must be a unit of that layout and
 * level.  A population must be a non-negative integer and a year an integer
 * 1000..9999: a row with an empty or bad value is reported to log
 * ("rejected: row N (code C): population '-5' is negative") and left as it
 * is.  Writes a summary line to log.  Returns 0, or -1 with *err. */
int layout_set_population(sqlite3 *db, const char *layout, const char *level, const char *path, FILE *log,
                          char **err);

#endif
