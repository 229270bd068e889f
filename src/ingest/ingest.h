/* ingest.h — load institutions or admin units from any vector file GDAL reads.
 *
 * One call reads every source (CSV, XLSX, GeoJSON, Shapefile, GeoPackage,
 * KML, ...), maps its columns to the canonical fields (a mapping file, or
 * common column names), converts text to NFC UTF-8, transforms coordinates
 * to EPSG:4326 with PROJ's EPSG operations, validates and locates each row
 * in the admin units of a layout, and upserts everything in ONE transaction
 * (a failed ingest writes nothing).  The CLI (`vetmap ingest`, ingest_cli.c)
 * and the server's upload validation (dry_run = 1) both use it.
 *
 * Mapping file (JSON; every key optional, unknown keys are an error):
 *   {
 *     "collection": "institutions" | "admin",
 *     "fields":   {"code": "id", "name": "name_vi", "source_urls": "source_url", ...},
 *     "split":    {"source_urls": " | "},          list separator of a cell
 *     "values":   {"kind": {"cao_dang": "college", ...}, "ownership": {...}},
 *     "defaults": {"location_precision": "surveyed", "source": "...", ...},
 *     "ignore":   ["column", ...],                  never copied to `extra`
 *     "source_crs": "EPSG:9214", "encoding": "CP1258",
 *     "layout": "2019", "level": "commune", "layout_description": "..."
 *   }
 * Canonical fields — institutions: code name kind ownership governing_body
 * address commune commune_code district district_code province
 * province_code website phone email lon lat location_precision source_urls
 * source; admin units: code name type parent_code level population
 * population_year area_km2 seat_lon seat_lat approximate.  lon/lat (and
 * seat_lon/seat_lat) are x/y in the source CRS (easting/northing when it is
 * projected).  Unmapped institution columns go to institution.extra as a
 * JSON object.  Value maps are matched exactly, then after folding
 * (text_fold), then against built-in synonyms (cao_dang, trung_cap, ...).
 *
 * Upserts of existing institutions change only the fields the source
 * provides (a mapped or recognised column, or a mapping default): a field
 * whose column is absent keeps its stored value (extra too, when every
 * column is mapped or ignored), a present but empty cell empties it.  The
 * place (point, location_precision, commune/district/province codes) is
 * kept when the source has neither coordinates (x/y columns or a geometry)
 * nor commune/district columns.  New rows get the defaults.  A row with
 * coordinates gets the codes of the units of the layout containing its
 * point for the levels it does not name (named units stay, CASES C3). */
#ifndef VETMAP_INGEST_H
#define VETMAP_INGEST_H

#include "base/buf.h"
#include "base/config.h"

#include <sqlite3.h>
#include <stddef.h>

typedef enum IngestCollection { INGEST_INSTITUTIONS = 0, INGEST_ADMIN = 1 } IngestCollection;

typedef struct IngestOptions {
    const char *db_path;        /* database file; created when missing (unless dry_run) */
    sqlite3 *db;                /* or an open writable store connection (db_path ignored) */
    IngestCollection collection;
    const char *layout;         /* admin: the layout written (required); institutions:
                                   the layout names are located in (NULL = default layout) */
    const char *level;          /* admin: "province" | "district" | "commune" (NULL = mapping
                                   "level", else a level column 1/2/3 per row) */
    int default_layout;         /* admin: mark the layout default (the first one always is) */
    const char *mapping_path;   /* mapping JSON (see above), or NULL */
    const char *source_crs;     /* "EPSG:9214", WKT or PROJ string; NULL = the file's own
                                   (.prj beside a CSV/XLSX, the layer's CRS), else EPSG:4326 */
    const char *encoding;       /* legacy text encoding of the sources (text_decode names);
                                   NULL = UTF-8 required */
    int strict;                 /* any rejected row fails the whole ingest */
    int dry_run;                /* validate and count, then roll back: nothing is written */
    const char *const *sources; /* source files */
    int source_count;
    const Config *config;       /* region boxes; NULL = config_defaults() */
    /* Called about every 1000 rows (done, total; total -1 when unknown), or NULL. */
    void (*progress)(void *ctx, long long done, long long total);
    void *progress_ctx;
    int want_total;             /* count rows first so progress has a total */
    /* accounts/editing: on a disagreement with an approved school edit the
     * file's value wins (default: the edit stays); see ingest_edits.c */
    int prefer_file;
} IngestOptions;

typedef enum IngestSeverity { INGEST_WARNING = 0, INGEST_REJECT = 1 } IngestSeverity;

/* One rejected or warned row.  `kind` is a stable identifier
 * (e.g. "duplicate_code", "outside_region", "no_location"); `reason` is
 * the human sentence. */
typedef struct IngestIssue {
    IngestSeverity severity;
    char *kind;
    char *source;               /* file name as given */
    long row;                   /* 1-based data row in its layer (header not counted); 0 = file */
    char *code;                 /* the row's code, or NULL */
    char *reason;
} IngestIssue;

/* A rejected row as read, for the rejects CSV. */
typedef struct IngestRejectRow {
    int header;                 /* index into IngestReport.headers */
    char **values;              /* n values of that header, NULL = empty */
    char *reason;
} IngestRejectRow;

typedef struct IngestHeader {
    char **names;
    int n;
} IngestHeader;

typedef struct IngestReport {
    int status;                 /* 0 done, 1 failed (nothing written), 2 bad options */
    char *error;                /* why it failed, or NULL */
    IngestCollection collection;
    char *layout;               /* layout written or located in, or NULL */
    int dry_run;
    long long read, inserted, updated, unchanged, rejected, warnings;
    long long data_version_before, data_version_after;
    double seconds;
    IngestIssue *issues;
    size_t issue_count, issue_cap;
    IngestRejectRow *rejects;
    size_t reject_count, reject_cap;
    IngestHeader *headers;
    int header_count, header_cap;
    char **notes;               /* per-layer notes: CRS used, encoding, columns */
    int note_count, note_cap;
} IngestReport;

/* Run an ingest.  `report` is filled (call ingest_report_free after) and
 * its status returned: 0 done (rows may have been rejected unless strict),
 * 1 failed with nothing written (report->error says why), 2 bad options. */
int ingest_run(const IngestOptions *opt, IngestReport *report);

/* Append the report as one JSON object to out:
 * {"status":"ok"|"failed","error":..,"collection":..,"layout":..,"dry_run":..,
 *  "counts":{"read","inserted","updated","unchanged","rejected","warnings"},
 *  "data_version":{"before","after"},"seconds":..,"notes":[..],
 *  "issues":[{"severity":"reject"|"warning","kind","source","row","code","reason"}]} */
void ingest_report_json(const IngestReport *r, Buf *out);

/* Append the human summary: one count line, then one line per issue. */
void ingest_report_text(const IngestReport *r, Buf *out);

/* Write the rejected rows as CSV (RFC 4180 quoting, UTF-8): the union of the
 * original columns in order of first appearance, then reject_reason.
 * Returns 0, or -1 with *err (malloc'd). */
int ingest_report_write_rejects(const IngestReport *r, const char *path, char **err);

void ingest_report_free(IngestReport *r);

#endif
