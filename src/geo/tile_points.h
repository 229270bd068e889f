/* tile_points.h — the institutions' positions in memory, for clustered tiles.
 *
 * A tile below cluster_max_zoom clusters every institution in it: at zoom 0
 * all of them, and reading 100,000 rows through SQLite for each such tile
 * took about 0.2 s.  A snapshot holds what choosing and clustering the
 * points needs (id, code, position, R*Tree box, filter fields), read once
 * per data_version inside a request's read transaction and then shared by
 * the requests of that version; reference counted, so a request keeps its
 * snapshot while a newer one replaces it.  tile_points_match is the tile
 * query's rule (API_TILES_INSTITUTIONS_IN_BOX in api_tiles.h) in C: the R*Tree box
 * meets the query box, and each filter is NULL or names the value. */
#ifndef VETMAP_TILE_POINTS_H
#define VETMAP_TILE_POINTS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

typedef struct TilePoint {
    long long id;                    /* institution.id */
    double lon, lat;
    double fx, fy;                   /* tile_world_xy(lon, lat), for cluster_points_xy */
    float xmin, xmax, ymin, ymax;    /* its R*Tree box (the floats SQLite stores) */
    uint32_t code, kind, ownership, district_code;  /* string offsets, TILE_POINTS_NULL = NULL */
} TilePoint;

#define TILE_POINTS_NULL UINT32_MAX

typedef struct TilePoints {
    TilePoint *pts;                  /* every institution with a position and an R*Tree entry, by id */
    size_t n;
    char *strings;                   /* NUL-terminated strings the offsets point into */
    long long data_version;
    char *db_file;                   /* the database it was read from */
    int refs;                        /* guarded by the module's lock */
} TilePoints;

/* The snapshot of db at data_version: the shared one when it is of that
 * database and version, else one read now (within the caller's read
 * transaction, so it matches the rows the caller sees), which becomes the
 * shared one when it is newer.  NULL with *rc set on an SQLite error
 * (SQLITE_NOMEM when out of memory).  Give it back with
 * tile_points_release. */
TilePoints *tile_points_get(sqlite3 *db, long long data_version, int *rc);
void tile_points_release(TilePoints *tp);

/* A request's filters: NULL = any, else a comma list matched as the SQL
 * instr(',' || list || ',', ',' || value || ',') > 0 does. */
typedef struct TilePointFilter {
    char *kind, *ownership, *district_code; /* ",list," forms, or NULL */
} TilePointFilter;

/* Build the filter from the request's values (any may be NULL).  0, or -1
 * when out of memory.  Free with tile_points_filter_free. */
int tile_points_filter_init(TilePointFilter *f, const char *kind, const char *ownership,
                            const char *district_code);
void tile_points_filter_free(TilePointFilter *f);

/* 1 when point p's R*Tree box meets [west, east] x [south, north] (the
 * tile query's `xmax >= west AND ymax >= south AND xmin <= east AND
 * ymin <= north`) and it passes the filter, else 0. */
int tile_points_match(const TilePoints *tp, const TilePoint *p, double west, double south, double east,
                      double north, const TilePointFilter *f);

/* The string at an offset, or NULL for TILE_POINTS_NULL. */
const char *tile_points_str(const TilePoints *tp, uint32_t off);

#endif
