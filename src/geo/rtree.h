/* rtree.h — bulk loading of a 2-D SQLite R*Tree (the spatial indexes
 * SpatiaLite keeps as idx_<table>_<column>).
 *
 * Filling an R*Tree row by row (INSERT, or SpatiaLite's RTreeAlign trigger)
 * costs about 10 µs an entry: every insert descends the tree, and splits
 * and forced reinserts rewrite nodes.  A bulk load sorts the entries once
 * (Sort-Tile-Recursive packing: Leutenegger, Lopez and Edgington, "STR: A
 * Simple and Efficient Algorithm for R-Tree Packing", ICDE 1997) and writes
 * the R*Tree's three shadow tables (<name>_node, _rowid, _parent) in the
 * format of SQLite's rtree module (ext/rtree/rtree.c): node 1 is the root
 * and starts with the tree depth, each node holds a 2-byte cell count and
 * cells of a big-endian 64-bit id and four big-endian 32-bit floats, every
 * node the same size as the existing root.  Coordinates are rounded to
 * float exactly as the module rounds them (minimum down, maximum up), so the
 * entries are the ones INSERT would have stored; the result passes
 * rtreecheck() and SQLite keeps maintaining it as usual afterwards.  The
 * packed tree is also better for queries (fuller nodes, less overlap). */
#ifndef VETMAP_RTREE_H
#define VETMAP_RTREE_H

#include <sqlite3.h>
#include <stddef.h>

/* One entry: an id and its box (as doubles: rounded to the R*Tree's floats
 * as its INSERT would). */
typedef struct RTreeEntry {
    sqlite3_int64 id;
    double xmin, xmax, ymin, ymax;
} RTreeEntry;

/* Replace every entry of the R*Tree `name` (a table created as
 * `USING rtree(id, xmin, xmax, ymin, ymax)`, float coordinates, no
 * auxiliary columns) by entries[0..n), whose ids must be unique.  Call
 * inside a write transaction.  Returns SQLITE_OK; SQLITE_MISMATCH, with
 * nothing changed, when the table is not such an R*Tree or an entry has a
 * non-finite coordinate or min > max (the caller can then insert through
 * SQL, which reports the row); another SQLite code on an error, in which
 * case the caller must roll its transaction back. */
int rtree_bulk_load(sqlite3 *db, const char *name, const RTreeEntry *entries, size_t n);

#endif
