/* schema_core.c — step 1 of the schema: layouts, admin units, institutions,
 * programs and the search index (migrations.h; the tables are described in
 * store.h). */
#include "store/migrations.h"

#include <stddef.h>

/* Version 1.  Geometry columns are added with SpatiaLite's own functions so
 * its metadata tables and R*Tree triggers stay consistent. */
const char *const schema_core[] = {
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "INSERT OR IGNORE INTO meta(key, value) VALUES ('data_version', '0')",
    "CREATE TABLE layout("
    "  name TEXT PRIMARY KEY,"
    "  is_default INTEGER NOT NULL DEFAULT 0,"
    "  description TEXT)",
    "CREATE TABLE admin_unit("
    "  id INTEGER PRIMARY KEY,"
    "  layout TEXT NOT NULL REFERENCES layout(name),"
    "  code TEXT NOT NULL,"
    "  level INTEGER NOT NULL,"
    "  level_name TEXT NOT NULL CHECK (level_name IN ('province','district','commune')),"
    "  name TEXT NOT NULL,"
    "  type TEXT,"
    "  parent_code TEXT,"
    "  population INTEGER,"
    "  population_year INTEGER,"
    "  area_km2 REAL,"
    "  label_lon REAL, label_lat REAL,"
    "  seat_lon REAL, seat_lat REAL,"
    "  approximate INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE(layout, code))",
    "CREATE INDEX admin_unit_level ON admin_unit(layout, level_name)",
    "CREATE INDEX admin_unit_parent ON admin_unit(layout, parent_code)",
    "SELECT AddGeometryColumn('admin_unit', 'geom', 4326, 'MULTIPOLYGON', 'XY')",
    "SELECT CreateSpatialIndex('admin_unit', 'geom')",
    "CREATE TABLE institution("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('college','intermediate_school','vet_centre','other')),"
    "  ownership TEXT NOT NULL CHECK (ownership IN ('public','private','foreign','unknown')),"
    "  governing_body TEXT,"
    "  address TEXT,"
    "  commune_code TEXT,"
    "  district_code TEXT,"
    "  province_code TEXT,"
    "  admin_layout TEXT,"
    "  website TEXT,"
    "  phone TEXT,"
    "  email TEXT,"
    "  location_precision TEXT NOT NULL CHECK (location_precision IN"
    "    ('surveyed','address','commune_centroid','district_centroid','unknown')),"
    "  source_urls TEXT,"
    "  source TEXT,"
    "  extra TEXT,"
    "  lon REAL, lat REAL,"
    "  version INTEGER NOT NULL DEFAULT 1,"
    "  updated_at TEXT NOT NULL)",
    "CREATE INDEX institution_kind ON institution(kind)",
    "CREATE INDEX institution_district ON institution(district_code)",
    "SELECT AddGeometryColumn('institution', 'geom', 4326, 'POINT', 'XY')",
    "SELECT CreateSpatialIndex('institution', 'geom')",
    "CREATE TABLE program("
    "  institution_code TEXT NOT NULL REFERENCES institution(code) ON DELETE CASCADE,"
    "  occupation_code TEXT,"
    "  occupation_name TEXT NOT NULL,"
    "  level TEXT,"
    "  annual_quota INTEGER)",
    "CREATE INDEX program_institution ON program(institution_code)",
    /* Folded text is computed in C (text_fold) at write time; the FTS index
     * only ever sees folded tokens, so its own diacritic handling (which
     * keeps đ and misses letters with two marks: CASES S3) is never used. */
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "  code UNINDEXED, name_cf UNINDEXED, name, body, tokenize = 'unicode61')",
    NULL,
};
