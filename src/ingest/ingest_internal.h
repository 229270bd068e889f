/* ingest_internal.h — the pieces ingest.c joins (not for other modules).
 *
 *   ingest_util.c     string map, small string helpers, issue recording
 *   ingest_mapping.c  mapping file, column recognition, value maps
 *   ingest_source.c   GDAL/OGR reading: layers, rows, encodings
 *   ingest_crs.c      source CRS resolution (VN-2000), transforms, number parsing
 *   ingest_locate.c   admin units of a layout: name/code lookup, containment
 *   ingest_record.c   one row -> one validated record
 *   ingest_write.c    upserts in one transaction
 *   ingest_report.c   report text / JSON / rejects CSV */
#ifndef VETMAP_INGEST_INTERNAL_H
#define VETMAP_INGEST_INTERNAL_H

#include "store/admin_locate.h"
#include "ingest/ingest.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <sqlite3.h>
#include <stddef.h>

/* ------------------------------------------------------------ ingest_util.c */

/* String -> long map (open addressing, FNV-1a); keys are copied. */
typedef struct StrMap {
    char **keys;
    long *vals;
    size_t cap, count;
} StrMap;

void strmap_init(StrMap *m);
void strmap_free(StrMap *m);
/* Pointer to the value stored for key, or NULL. */
long *strmap_get(const StrMap *m, const char *key);
/* Insert or overwrite.  Returns 0, or -1 when out of memory. */
int strmap_put(StrMap *m, const char *key, long val);

/* strdup that accepts NULL. */
char *ing_strdup(const char *s);
/* malloc'd printf. */
char *ing_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 1 when s is NULL or only ASCII white space. */
int ing_blank(const char *s);

/* Record an issue in the report (counts it as a warning or not).  source may
 * be NULL; row 0 means "the whole file". */
void ing_issue(IngestReport *r, IngestSeverity sev, const char *kind, const char *source, long row,
               const char *code, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Remember a header (column names) for reject rows; returns its index or -1. */
int ing_report_header(IngestReport *r, char **names, int n);
/* Keep a rejected row (values copied) for the rejects CSV. */
void ing_report_reject_row(IngestReport *r, int header, char **values, int n, const char *reason);
void ing_note(IngestReport *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --------------------------------------------------------- ingest_mapping.c */

typedef enum Field {
    /* institutions */
    FLD_CODE, FLD_NAME, FLD_KIND, FLD_OWNERSHIP, FLD_GOVERNING_BODY, FLD_ADDRESS,
    FLD_COMMUNE, FLD_COMMUNE_CODE, FLD_DISTRICT, FLD_DISTRICT_CODE, FLD_PROVINCE,
    FLD_PROVINCE_CODE, FLD_WEBSITE, FLD_PHONE, FLD_EMAIL, FLD_X, FLD_Y,
    FLD_LOCATION_PRECISION, FLD_SOURCE_URLS, FLD_SOURCE,
    /* admin units */
    FLD_TYPE, FLD_PARENT_CODE, FLD_LEVEL, FLD_POPULATION, FLD_POPULATION_YEAR, FLD_AREA_KM2,
    FLD_SEAT_X, FLD_SEAT_Y, FLD_APPROXIMATE,
    FLD_COUNT
} Field;

/* Canonical name of a field ("code", "lon", ...). */
const char *field_name(Field f);
/* 1 when field f belongs to the collection. */
int field_in_collection(Field f, IngestCollection c);

/* A value map: source value -> canonical value (user entries first, then
 * built-in synonyms), with a per-value cache so folding runs once per
 * distinct value, not once per row. */
typedef struct ValueMap {
    char **from_fold;           /* folded keys */
    char **from;                /* keys as written */
    char **to;
    int n, cap;
    StrMap cache;               /* raw value -> index in to[], or -1 */
} ValueMap;

typedef struct Mapping {
    int collection;             /* -1 = not stated */
    char *column[FLD_COUNT];    /* column named by the mapping, or NULL */
    char *split[FLD_COUNT];     /* list separator, or NULL */
    char *defaults[FLD_COUNT];  /* value when the column is absent or the cell empty */
    ValueMap values[FLD_COUNT];
    char **ignore;
    int ignore_count;
    char *source_crs, *encoding, *layout, *level, *layout_description;
} Mapping;

/* Load a mapping file (NULL path = empty mapping with built-in value maps).
 * Returns 0, or -1 with *err (malloc'd) naming the file and the problem. */
int mapping_load(Mapping *m, const char *path, char **err);
void mapping_free(Mapping *m);
/* The canonical value for raw (NFC) in field f's map, or NULL when no entry
 * matches.  The result lives as long as the mapping. */
const char *mapping_value(Mapping *m, Field f, const char *raw);

/* 1 when value is one of the canonical values of enumerated field f (the
 * targets of the built-in value maps: for kind, ownership and
 * location_precision exactly what the institution table's CHECKs allow). */
int mapping_canonical(Field f, const char *value);

/* Which column of a layer holds each field. */
typedef struct Binding {
    int col[FLD_COUNT];         /* column index, -1 = none */
    unsigned char *used;        /* per column: 1 = mapped or ignored (not copied to extra) */
    int ncols;
} Binding;

/* Bind the mapping to a layer's column names (NFC).  Columns named by the
 * mapping must exist (else -1 and *err); others are recognised by their
 * folded name (code/ma/id, name/ten/name_vi, lon/lng/x/kinh_do, ...). */
int mapping_bind(const Mapping *m, IngestCollection c, char **names, int n, Binding *b, char **err);
void binding_free(Binding *b);

/* What an upsert of an existing institution keeps from its stored row: a
 * field whose column the layer lacks (and the mapping gives no default
 * for), the extra object when every column is mapped or ignored, and the
 * place (point, precision, admin codes) when the layer has neither
 * coordinates (columns or geometry) nor commune/district columns.  A
 * present but empty cell is not "absent": it empties the field. */
#define KEEP_FIELD(f) (1ULL << (f))
#define KEEP_EXTRA (1ULL << FLD_COUNT)
#define KEEP_PLACE (1ULL << (FLD_COUNT + 1))
unsigned long long binding_kept(const Mapping *m, IngestCollection c, const Binding *b, int geom_layer);

/* ----------------------------------------------------------- ingest_crs.c */

/* Parse a coordinate or number: optional sign, digits, one '.' or ','
 * decimal separator (CASES I2, I8), optional exponent; surrounding blanks
 * allowed.  Returns 1 with *out set, 0 when the cell means "missing"
 * (empty, blank, NaN, Inf, null, NA, -), -1 when it is not a number. */
int ing_parse_number(const char *s, double *out);

/* The EPSG:4326 SRS with traditional GIS axis order (x = lon, y = lat). */
OGRSpatialReferenceH crs_wgs84(void);

/* Resolve the CRS to use for a source: `declared` (user input: "EPSG:N",
 * WKT, PROJ) when given, else `own` (the file's; may be NULL), else
 * EPSG:4326.  A VN-2000 datum that PROJ would not tie to EPSG:4756 (ESRI
 * .prj with an unknown datum name, no or an all-zero TOWGS84) is replaced by
 * EPSG:4756 so PROJ's EPSG operation (EPSG:6960) applies (CASES C2).
 * Returns a new SRS with traditional axis order, or NULL with *err;
 * *desc gets a malloc'd description ("EPSG:9214", "VN-2000 (datum
 * recognised) ..."). */
OGRSpatialReferenceH crs_resolve(const char *declared, OGRSpatialReferenceH own, char **desc,
                                 char **err);

/* Read an ESRI/OGC WKT .prj file into a new SRS, or NULL. */
OGRSpatialReferenceH crs_from_prj_file(const char *path);

/* Transformer from src to EPSG:4326; NULL when src is already EPSG:4326
 * (no work per point).  *err on failure. */
OGRCoordinateTransformationH crs_transformer(OGRSpatialReferenceH src, char **err);

/* Transform one point in place (ct NULL = identity).  Returns 1 when the
 * result is finite, else 0. */
int crs_transform_point(OGRCoordinateTransformationH ct, double *x, double *y);

/* Geodesic area in km² of a (multi)polygon in EPSG:4326 lon/lat on the
 * WGS84 ellipsoid: Karney's algorithm (PROJ geod_polygonarea; C. F. F.
 * Karney, "Algorithms for geodesics", J. Geodesy 87, 2013), exterior rings
 * minus holes. */
double crs_geodesic_area_km2(OGRGeometryH g);

/* --------------------------------------------------------- ingest_source.c */

typedef struct Source {
    const char *path;
    GDALDatasetH ds;
    int layer_index, layer_count;
    OGRLayerH layer;
    char **names;               /* NFC column names of the current layer */
    int ncols;
    int decode;                 /* 1: decode strings with `encoding` ourselves */
    const char *encoding;
    int geom_layer;             /* the layer has a geometry column */
    OGRCoordinateTransformationH geom_ct;  /* layer geometry -> 4326 (NULL = identity) */
    OGRCoordinateTransformationH xy_ct;    /* x/y columns -> 4326 (NULL = identity) */
    int xy_geographic;          /* the x/y CRS is geographic (lat/lon swap is checkable) */
    int geom_geographic;        /* the same for the layer's geometry */
    char *xy_crs_desc, *geom_crs_desc;
    long row;                   /* rows read in this layer */
    long long total;            /* rows in all layers when counted, else -1 */
    struct ReadAhead *ahead;    /* reader thread of the current layer, or NULL */
} Source;

/* A row as read: values NFC UTF-8 (NULL = null/unset) and the geometry in
 * the layer's CRS (NULL = none; Source.geom_ct takes it to EPSG:4326). */
typedef struct SrcRow {
    long row;
    char **values;              /* ncols entries; the caller may take them (set NULL) */
    int ncols;
    OGRGeometryH geom;
} SrcRow;

/* Open a source.  The options decide the encoding and the declared CRS.
 * Returns 0, or -1 with *err. */
int source_open(Source *s, const char *path, const IngestOptions *opt, const Mapping *m,
                IngestReport *r, char **err);
/* Advance to the next layer: 1 = got one, 0 = none left, -1 = error (*err). */
int source_next_layer(Source *s, const IngestOptions *opt, const Mapping *m, IngestReport *r,
                      char **err);
/* Next row of the current layer: 1 = row, 0 = end of layer, -1 = fatal
 * (undeclared non-UTF-8 text, undecodable bytes): *err says which row.
 * A reader thread started by source_next_layer reads the layer ahead (and
 * is stopped by the next source_next_layer or source_close), so call these
 * from one thread and leave the layer's GDAL objects alone meanwhile. */
int source_next_row(Source *s, SrcRow *row, char **err);
void srcrow_free(SrcRow *row);
void source_close(Source *s);

/* --------------------------------------------------------- ingest_locate.c */

typedef struct AdminUnitRef {
    char *code, *level_name, *name, *parent_code;
    double label_lon, label_lat;
    int has_label;
} AdminUnitRef;

typedef struct AdminIndex {
    char *layout;               /* NULL when no layout exists yet */
    AdminUnitRef *units;
    size_t n;
    StrMap by_code;             /* code -> index */
    StrMap by_key;              /* "level\x1fkey" -> index, -2 ambiguous */
    StrMap by_parent_key;       /* "level\x1fparent\x1fkey" -> index, -2 ambiguous */
    sqlite3_stmt *contains;     /* ST_Intersects(unit, point) */
    double xmin, xmax, ymin, ymax; /* box of every unit of the layout */
    int has_box;
    AdminLocator *locator;         /* admin_index_locate's, made at its first use */
    int locator_failed;
} AdminIndex;

/* Load the units of `layout` (NULL = the default layout) from db.
 * An absent layout gives an empty index.  Returns 0, or -1 with *err. */
int admin_index_load(AdminIndex *ix, sqlite3 *db, const char *layout, char **err);
void admin_index_free(AdminIndex *ix);
/* Index of the unit with this code, or -1. */
long admin_find_code(const AdminIndex *ix, const char *code);
/* Index of the unit of level_name named `name` (matched with
 * text_admin_key: folded, without its type word), inside parent_code when
 * given; -1 none, -2 ambiguous. */
long admin_find_name(const AdminIndex *ix, const char *level_name, const char *name,
                     const char *parent_code);
/* 1 when (lon, lat) is inside (or on) the unit's polygon, 0 outside, -1
 * unknown (no geometry / error). */
int admin_contains(AdminIndex *ix, sqlite3 *db, const char *code, double lon, double lat);
/* 1 when (lon, lat) is inside the box of the layout's units (a point
 * outside it is in no unit: no query needed). */
int admin_in_box(const AdminIndex *ix, double lon, double lat);
/* admin_locate_point in the index's layout, through one AdminLocator for
 * the whole ingest (admin_locate.h); same answers. */
int admin_index_locate(AdminIndex *ix, sqlite3 *db, double lon, double lat, AdminPlace *out);

/* --------------------------------------------------------- ingest_record.c */

/* A validated row, ready to write.  s[] holds the canonical text values
 * (NULL = absent), with institution codes resolved (commune_code, ...). */
typedef struct Record {
    const char *source;
    long row;
    int header;                 /* report header index, for rejects */
    char **orig;                /* values as read (owned) */
    int norig;
    char *s[FLD_COUNT];
    char *extra;                /* institutions: JSON object of unmapped columns */
    double lon, lat;            /* institutions: point; admin: label point */
    int has_point;
    unsigned char *wkb;         /* admin: geometry (EPSG:4326) */
    size_t wkb_len;
    char *level_name;           /* admin */
    unsigned long long keep;    /* institutions: KEEP_* of its layer (binding_kept) */
    int rejected;
} Record;

typedef struct RecordContext {
    const IngestOptions *opt;
    Config config;
    Mapping *mapping;
    Binding *binding;
    Source *source;
    AdminIndex *admin;
    sqlite3 *db;
    IngestReport *report;
    int header;
    unsigned long long keep;    /* binding_kept of the current layer */
    long areas_computed;        /* admin rows whose area_km2 was computed here */
} RecordContext;

/* Turn a row into a record.  Returns 0 when kept (warnings recorded), 1
 * when rejected (issue and reject row recorded; rec freed), -1 when out of
 * memory.  Takes ownership of row->values. */
int record_from_row(RecordContext *ctx, SrcRow *row, Record *rec);
void record_free(Record *rec);
/* The "no_location" warning of a row kept without a place (ingest_util.c). */
void ing_warn_no_location(IngestReport *r, const Record *rec);
/* Reject a kept record afterwards (duplicate codes). */
void record_reject(RecordContext *ctx, Record *rec, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---------------------------------------------------------- ingest_write.c */

typedef struct WriteCounts {
    long long inserted, updated, unchanged;
    int layout_changed;
} WriteCounts;

/* Upsert institution records (rejected ones skipped), placed in the
 * layout of ix (none when ix is empty).  Inside the caller's transaction.
 * Returns 0, or -1 with *err. */
int write_institutions(sqlite3 *db, Record *recs, size_t n, const AdminIndex *ix, WriteCounts *wc,
                       char **err);
/* Give the records of existing institutions the stored values of what
 * their layer does not provide (Record.keep), before the edits are
 * compared and the rows upserted; a kept place stored in another layout
 * than ix's is placed again from its point.  A new row whose layer has no
 * place gets the "no_location" warning here (ingest_record.c leaves it to
 * this point, where new and existing rows are known).  Returns 0, or -1
 * with *err. */
int fill_kept(sqlite3 *db, Record *recs, size_t n, const AdminIndex *ix, IngestReport *r, char **err);
/* Ensure the layout row exists (and is default when asked or first). */
int write_layout(sqlite3 *db, const char *layout, const char *description, int make_default,
                 WriteCounts *wc, char **err);
/* Upsert admin records of one layout. */
int write_admin(sqlite3 *db, Record *recs, size_t n, const char *layout, WriteCounts *wc,
                char **err);

/* ---------------------------------------------------------- ingest_edits.c */
/* (accounts/editing) Compare kept institution records with approved school
 * edits; report each disagreement as an "edit_conflict" warning and keep
 * the edit's value unless prefer_file (a kept location keeps the admin units
 * it was published in, when they are of `layout`, the layout written);
 * remember the institutions with an edit history in *audit.  Inside the
 * ingest's transaction.  Returns 0, or -1 with *err. */
typedef struct EditsIngestAudit EditsIngestAudit;
int ingest_reconcile_edits(sqlite3 *db, Record *recs, size_t n, const char *layout, int prefer_file, IngestReport *r,
                           EditsIngestAudit **audit, char **err);
/* After the upserts: audit what changed in institutions with an edit
 * history (edits.h); frees audit (ok = 0: only frees).  0 or -1 with *err. */
int ingest_audit_edits(sqlite3 *db, EditsIngestAudit *audit, int ok, char **err);

#endif
