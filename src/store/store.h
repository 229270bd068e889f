/* store.h — the SpatiaLite store: opening, schema, data_version, a read pool.
 *
 * One file holds everything (EPSG:4326, lon/lat).  Connections are opened in
 * WAL mode with a busy timeout, with SpatiaLite loaded and the text functions
 * vetmap_fold()/vetmap_casefold() registered (text.h), so triggers and queries
 * may use them on any connection this module opened.
 *
 * Tables (schema steps in migrations.h, the version kept in PRAGMA
 * user_version; later concerns add their own tables there):
 *   meta(key, value)                      data_version, default_layout, ...
 *   layout(name, is_default, description)
 *   admin_unit(id, layout, code, level, level_name, name, type, parent_code,
 *              population, population_year, area_km2, label_lon, label_lat,
 *              seat_lon, seat_lat, approximate, geom MULTIPOLYGON)
 *              level_name is 'province' | 'district' | 'commune'; codes are
 *              GSO codes as text ("07213"); UNIQUE(layout, code).
 *   institution(id, code UNIQUE, name, kind, ownership, governing_body,
 *              address, commune_code, district_code, province_code,
 *              admin_layout, website, phone, email, location_precision,
 *              source_urls (JSON array text), source, extra (JSON object
 *              text), lon, lat, version, updated_at, geom POINT)
 *   program(institution_code, occupation_code, occupation_name, level,
 *              annual_quota)
 *   search_fts  FTS5(code, name_cf, name, body): name_cf is the case-folded
 *              name with its marks (ranking exact-diacritic hits first),
 *              name/body are folded (text_fold) for matching.
 * Both geometry tables have an R*Tree (idx_<table>_geom) keyed on their
 * INTEGER PRIMARY KEY id, so rowids are stable across VACUUM. */
#ifndef VETMAP_STORE_H
#define VETMAP_STORE_H

#include <sqlite3.h>
#include <stddef.h>

enum {
    STORE_READONLY = 1,   /* open for reading only (server read pool) */
    STORE_CREATE = 2,     /* create the file and schema when missing */
};

/* Open `path`.  Creates/migrates the schema when STORE_CREATE is given and
 * the connection is writable.  Returns NULL and a malloc'd message in *err
 * on failure (missing file, not a vetmap database, newer schema). */
sqlite3 *store_open(const char *path, int flags, char **err);

/* Close a connection opened by store_open (also frees its SpatiaLite cache). */
void store_close(sqlite3 *db);

/* Run SQL with no result rows; on error returns the SQLite code and sets
 * *err (malloc'd, may be NULL) to the message. */
int store_exec(sqlite3 *db, const char *sql, char **err);

/* meta.data_version: increments on every committed write (ETags key on it). */
long long store_data_version(sqlite3 *db);
/* Call inside the write transaction that changes data. */
int store_bump_data_version(sqlite3 *db);

/* Read/write one meta value.  store_meta_get copies into out (size n) and
 * returns out, or NULL when the key is absent. */
char *store_meta_get(sqlite3 *db, const char *key, char *out, size_t n);
int store_meta_set(sqlite3 *db, const char *key, const char *value);

/* The layout the map and the OGC collections provinces/districts/communes
 * show: the layout row with is_default = 1.  Copies into out; returns out,
 * or NULL when no admin data was ingested yet. */
char *store_default_layout(sqlite3 *db, char *out, size_t n);

/* Rebuild the search index rows of one institution (code) or of all
 * (code == NULL).  Call inside the writing transaction. */
int store_reindex_search(sqlite3 *db, const char *code);
/* One institution's values that make its search index row. */
typedef struct StoreSearchRow {
    sqlite3_int64 id;
    const char *code, *name, *address, *governing_body;
    const char *commune, *district, *province; /* names of its admin units, NULL when none */
} StoreSearchRow;

/* Add an institution's search index row from its values: the row
 * store_reindex_search builds from the tables, for a writer that has the
 * values at hand (a bulk ingest then skips the joins and SQL functions).
 * The institution must have no search row yet.  Call inside the writing
 * transaction. */
int store_search_add(sqlite3 *db, const StoreSearchRow *row);

/* Add the search index rows of the institutions with id > after_id (the
 * rows an ingest has just inserted), so a bulk insert into a big table
 * indexes only its own rows.  Call inside the writing transaction. */
int store_reindex_search_after(sqlite3 *db, sqlite3_int64 after_id);

/* A prepared statement for `sql`, cached on this connection and finalized
 * by store_close: never finalize it yourself.  `sql` must stay valid for
 * the connection's life (use string literals).  It comes back reset with
 * bindings cleared.  NULL on a prepare error (sqlite3_errmsg(db) says why).
 * Use one statement at a time per SQL text: a nested use of the same text
 * resets the outer one. */
sqlite3_stmt *store_prepare_cached(sqlite3 *db, const char *sql);

/* A pool of read-only connections for the server's worker threads: get one
 * for the length of a request, put it back after.  Never blocks: when every
 * pooled connection is out, store_pool_get opens another (WAL readers do not
 * block each other), and store_pool_put closes connections above `keep`. */
typedef struct StorePool StorePool;
StorePool *store_pool_new(const char *path, int keep, char **err);
sqlite3 *store_pool_get(StorePool *pool);
void store_pool_put(StorePool *pool, sqlite3 *db);
void store_pool_free(StorePool *pool);

#endif
