/* ingest_source.c — reading any vector source with GDAL/OGR: open options
 * per driver, layers, column names, text decoding and the CRS of geometry
 * and of x/y columns. */
#include "ingest/ingest_internal.h"
#include "base/text.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_utf8_name(const char *enc) {
    return !enc || !strcasecmp(enc, "UTF-8") || !strcasecmp(enc, "UTF8");
}

/* Spreadsheet drivers read their header row and keep every cell as text only
 * when told so through these configuration options (CASES I8: header
 * `ma,ten,lat,lon`, not Field1...; "0012" stays text).  Thread-local, so a
 * server thread does not change another's reads. */
static const char *const sheet_options[][2] = {
    {"OGR_XLSX_HEADERS", "FORCE"}, {"OGR_XLSX_FIELD_TYPES", "STRING"},
    {"OGR_ODS_HEADERS", "FORCE"},  {"OGR_ODS_FIELD_TYPES", "STRING"},
};
#define SHEET_OPTION_COUNT (sizeof sheet_options / sizeof sheet_options[0])

static void set_sheet_options(int on) {
    for (size_t i = 0; i < SHEET_OPTION_COUNT; i++)
        CPLSetThreadLocalConfigOption(sheet_options[i][0], on ? sheet_options[i][1] : NULL);
}

/* Last GDAL error as a malloc'd string ("" when none). */
static char *gdal_message(void) {
    const char *m = CPLGetLastErrorMsg();
    return ing_printf("%s", m ? m : "");
}

int source_open(Source *s, const char *path, const IngestOptions *opt, const Mapping *m, IngestReport *r,
                char **err) {
    memset(s, 0, sizeof *s);
    *err = NULL;
    s->path = path;
    s->layer_index = -1;
    s->total = -1;
    const char *enc = opt->encoding ? opt->encoding : m->encoding;
    if (!is_utf8_name(enc)) {
        if (!text_encoding_known(enc)) {
            *err = ing_printf("unknown encoding \"%s\" (try CP1258, TCVN3, VNI, CP1252)", enc);
            return -1;
        }
        s->encoding = enc;
    }
    GDALAllRegister();
    CPLErrorReset();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDriverH drv = GDALIdentifyDriverEx(path, GDAL_OF_VECTOR, NULL, NULL);
    const char *dname = drv ? GDALGetDriverShortName(drv) : "";
    char **oo = NULL;
    if (!strcmp(dname, "CSV")) {
        /* Every value as text (CASES I5: "0012" stays "0012"); the first line
         * is the header even when it looks numeric. */
        oo = CSLSetNameValue(oo, "AUTODETECT_TYPE", "NO");
        oo = CSLSetNameValue(oo, "HEADERS", "YES");
    }
    if (s->encoding && !strcmp(dname, "ESRI Shapefile"))
        oo = CSLSetNameValue(oo, "ENCODING", ""); /* raw bytes: we decode them once */
    set_sheet_options(1);
    s->ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, (const char *const *)oo, NULL);
    CSLDestroy(oo);
    CPLPopErrorHandler();
    if (!s->ds) {
        char *why = gdal_message();
        *err = ing_printf("cannot read %s as a vector file%s%s", path, why && *why ? ": " : "",
                          why ? why : "");
        free(why);
        set_sheet_options(0);
        return -1;
    }
    s->layer_count = GDALDatasetGetLayerCount(s->ds);
    if (opt->want_total) {
        s->total = 0;
        for (int i = 0; i < s->layer_count; i++) {
            GIntBig c = OGR_L_GetFeatureCount(GDALDatasetGetLayer(s->ds, i), TRUE);
            if (c > 0) s->total += c;
        }
    }
    (void)r;
    return 0;
}

/* Column name or cell as NFC UTF-8, decoding a declared legacy encoding.
 * Returns NULL and sets *why on bytes that are not text. */
static char *to_text(const Source *s, const char *raw, const char **why) {
    size_t n = strlen(raw);
    if (s->decode) return text_decode(raw, n, s->encoding, why);
    char *nfc = text_nfc(raw); /* CASES I9; NULL for invalid UTF-8 */
    if (!nfc) *why = text_utf8_valid(raw, n) ? "out of memory" : "not valid UTF-8";
    return nfc;
}

/* The .prj beside a file without geometry (CSV, XLSX) tells the CRS of its
 * x/y columns, as it does for a Shapefile. */
static OGRSpatialReferenceH sidecar_prj(const char *path) {
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    size_t stem = (dot && (!slash || dot > slash)) ? (size_t)(dot - path) : strlen(path);
    char *prj = ing_printf("%.*s.prj", (int)stem, path);
    OGRSpatialReferenceH srs = NULL;
    FILE *f = prj ? fopen(prj, "rb") : NULL;
    if (f) {
        fclose(f);
        srs = crs_from_prj_file(prj);
    }
    free(prj);
    return srs;
}

static void ahead_stop(Source *s);
static void ahead_start(Source *s);

static void free_layer_state(Source *s) {
    ahead_stop(s); /* the reader uses the layer state */
    for (int i = 0; i < s->ncols; i++) free(s->names[i]);
    free(s->names);
    s->names = NULL;
    s->ncols = 0;
    if (s->geom_ct) OCTDestroyCoordinateTransformation(s->geom_ct);
    if (s->xy_ct) OCTDestroyCoordinateTransformation(s->xy_ct);
    s->geom_ct = s->xy_ct = NULL;
    free(s->xy_crs_desc);
    free(s->geom_crs_desc);
    s->xy_crs_desc = s->geom_crs_desc = NULL;
}

/* Resolve one CRS and its transformer to EPSG:4326. */
static int setup_crs(const char *declared, OGRSpatialReferenceH own, OGRCoordinateTransformationH *ct,
                     char **desc, int *geographic, char **err) {
    OGRSpatialReferenceH srs = crs_resolve(declared, own, desc, err);
    if (!srs) return -1;
    if (geographic) *geographic = OSRIsGeographic(srs);
    *ct = crs_transformer(srs, err);
    OSRDestroySpatialReference(srs);
    return *err ? -1 : 0;
}

int source_next_layer(Source *s, const IngestOptions *opt, const Mapping *m, IngestReport *r, char **err) {
    *err = NULL;
    free_layer_state(s);
    if (++s->layer_index >= s->layer_count) return 0;
    s->layer = GDALDatasetGetLayer(s->ds, s->layer_index);
    s->row = 0;
    OGR_L_ResetReading(s->layer);
    const char *lname = OGR_L_GetName(s->layer);

    /* Formats whose text is UTF-8 by definition (GeoJSON, XLSX, GPKG, a
     * Shapefile GDAL recodes through its .cpg) must not be decoded again. */
    s->decode = s->encoding && !OGR_L_TestCapability(s->layer, OLCStringsAsUTF8);
    if (s->encoding && !s->decode)
        ing_note(r, "%s: --encoding %s ignored: this format's text is already Unicode", s->path, s->encoding);

    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(s->layer);
    s->ncols = OGR_FD_GetFieldCount(defn);
    s->names = calloc((size_t)(s->ncols > 0 ? s->ncols : 1), sizeof *s->names);
    if (!s->names) {
        *err = ing_printf("out of memory");
        return -1;
    }
    for (int i = 0; i < s->ncols; i++) {
        const char *why = NULL;
        s->names[i] = to_text(s, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)), &why);
        if (!s->names[i]) {
            *err = ing_printf("%s: column %d of the header is %s; declare the file's encoding with "
                              "--encoding (e.g. CP1258, TCVN3, VNI)",
                              s->path, i + 1, why ? why : "not text");
            return -1;
        }
        if (i == 0) text_trim(s->names[i]); /* CASES I1: a UTF-8 BOM before the header */
    }

    const char *declared = opt->source_crs ? opt->source_crs : m->source_crs;
    OGRSpatialReferenceH layer_srs = OGR_L_GetSpatialRef(s->layer);
    s->geom_layer = OGR_L_GetGeomType(s->layer) != wkbNone;
    if (s->geom_layer &&
        setup_crs(declared, layer_srs, &s->geom_ct, &s->geom_crs_desc, &s->geom_geographic, err) != 0)
        return -1;
    OGRSpatialReferenceH prj = declared || layer_srs ? NULL : sidecar_prj(s->path);
    int rc = setup_crs(declared, layer_srs ? layer_srs : prj, &s->xy_ct, &s->xy_crs_desc, &s->xy_geographic,
                       err);
    if (prj) OSRDestroySpatialReference(prj);
    if (rc != 0) return -1;
    ing_note(r, "%s%s%s: %d columns, coordinates in %s%s%s%s", s->path, s->layer_count > 1 ? " layer " : "",
             s->layer_count > 1 ? lname : "", s->ncols, s->geom_layer ? s->geom_crs_desc : s->xy_crs_desc,
             declared ? " (declared)" : "", s->decode ? ", text decoded from " : "",
             s->decode ? s->encoding : "");
    ahead_start(s);
    return 1;
}

/* Read the next row straight from GDAL (source_next_row's contract). */
static int read_row(Source *s, SrcRow *row, char **err) {
    *err = NULL;
    memset(row, 0, sizeof *row);
    OGRFeatureH f = OGR_L_GetNextFeature(s->layer);
    if (!f) return 0;
    row->row = ++s->row;
    row->ncols = s->ncols;
    row->values = calloc((size_t)(s->ncols > 0 ? s->ncols : 1), sizeof *row->values);
    if (!row->values) {
        OGR_F_Destroy(f);
        *err = ing_printf("out of memory");
        return -1;
    }
    for (int i = 0; i < s->ncols; i++) {
        if (!OGR_F_IsFieldSetAndNotNull(f, i)) continue;
        const char *why = NULL;
        row->values[i] = to_text(s, OGR_F_GetFieldAsString(f, i), &why);
        if (!row->values[i]) {
            *err = ing_printf("%s row %ld, column \"%s\": text is %s; nothing was stored. Declare the "
                              "file's encoding with --encoding (e.g. CP1258, TCVN3, VNI) or save it as UTF-8",
                              s->path, row->row, s->names[i], why ? why : "not valid");
            OGR_F_Destroy(f);
            srcrow_free(row);
            return -1;
        }
    }
    if (s->geom_layer) {
        OGRGeometryH g = OGR_F_StealGeometry(f);
        if (g && OGR_G_IsEmpty(g)) {
            OGR_G_DestroyGeometry(g);
            g = NULL;
        }
        row->geom = g;
    }
    OGR_F_Destroy(f);
    return 1;
}

/* ------------------------------------------------------------ read-ahead
 * GDAL's parsing of a row and the NFC of its cells are two thirds of
 * reading a big file.  A reader thread runs them on the other core, ahead
 * of the caller, who meanwhile turns the previous rows into records
 * (ingest_record.c), which stays on the caller's thread with everything
 * else.  Rows are handed over in batches, so the lock is taken once per
 * batch, not per row.  The thread touches only this layer (nobody else
 * uses it meanwhile) and thread-local GDAL settings it makes itself; it is
 * stopped before the layer changes or the source closes. */
#define AHEAD_BATCH 64
#define AHEAD_BATCHES 8

typedef struct AheadBatch {
    SrcRow rows[AHEAD_BATCH];
    int n;         /* rows in it */
    int last;      /* the layer's last batch: rc says how it ended */
    int rc;        /* 0 end of layer, -1 error (err) */
    char *err;
} AheadBatch;

typedef struct ReadAhead {
    Source *src;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    AheadBatch batch[AHEAD_BATCHES];
    unsigned produced, consumed;   /* batches published / given back (wrap safely) */
    int cancel;
    AheadBatch *cur;               /* the consumer's batch, and its next row */
    int pos;
} ReadAhead;

static void *ahead_main(void *arg) {
    ReadAhead *ra = arg;
    set_sheet_options(1); /* thread-local: the reader needs the opener's */
    for (int last = 0; !last;) {
        pthread_mutex_lock(&ra->lock);
        while (ra->produced - ra->consumed == AHEAD_BATCHES && !ra->cancel)
            pthread_cond_wait(&ra->changed, &ra->lock);
        int cancel = ra->cancel;
        AheadBatch *b = &ra->batch[ra->produced % AHEAD_BATCHES];
        pthread_mutex_unlock(&ra->lock);
        if (cancel) break;
        b->n = b->last = b->rc = 0;
        b->err = NULL;
        while (b->n < AHEAD_BATCH) {
            int rc = read_row(ra->src, &b->rows[b->n], &b->err);
            if (rc > 0) {
                b->n++;
                continue;
            }
            b->last = last = 1;
            b->rc = rc;
            break;
        }
        pthread_mutex_lock(&ra->lock);
        ra->produced++;
        pthread_cond_broadcast(&ra->changed);
        pthread_mutex_unlock(&ra->lock);
    }
    set_sheet_options(0);
    return NULL;
}

/* Start reading ahead in the current layer; on failure rows are simply
 * read on the caller's thread. */
static void ahead_start(Source *s) {
    ReadAhead *ra = calloc(1, sizeof *ra);
    if (!ra) return;
    ra->src = s;
    pthread_mutex_init(&ra->lock, NULL);
    pthread_cond_init(&ra->changed, NULL);
    if (pthread_create(&ra->thread, NULL, ahead_main, ra) != 0) {
        pthread_cond_destroy(&ra->changed);
        pthread_mutex_destroy(&ra->lock);
        free(ra);
        return;
    }
    s->ahead = ra;
}

/* Stop the reader and free what it read that nobody took. */
static void ahead_stop(Source *s) {
    ReadAhead *ra = s->ahead;
    if (!ra) return;
    pthread_mutex_lock(&ra->lock);
    ra->cancel = 1;
    pthread_cond_broadcast(&ra->changed);
    pthread_mutex_unlock(&ra->lock);
    pthread_join(ra->thread, NULL);
    for (unsigned k = ra->consumed; k != ra->produced; k++) {
        AheadBatch *b = &ra->batch[k % AHEAD_BATCHES];
        for (int i = 0; i < b->n; i++) srcrow_free(&b->rows[i]); /* rows handed out are zeroed */
        free(b->err);
    }
    pthread_cond_destroy(&ra->changed);
    pthread_mutex_destroy(&ra->lock);
    free(ra);
    s->ahead = NULL;
}

/* source_next_row from the reader's batches. */
static int ahead_next(ReadAhead *ra, SrcRow *row, char **err) {
    *err = NULL;
    for (;;) {
        AheadBatch *b = ra->cur;
        if (b && ra->pos < b->n) {
            *row = b->rows[ra->pos];
            memset(&b->rows[ra->pos++], 0, sizeof *row);
            return 1;
        }
        if (b && b->last) { /* stays here: later calls get the same end */
            *err = b->err;
            b->err = NULL;
            memset(row, 0, sizeof *row);
            return b->rc;
        }
        pthread_mutex_lock(&ra->lock);
        if (b) { /* give the batch back */
            ra->consumed++;
            pthread_cond_broadcast(&ra->changed);
        }
        while (ra->produced == ra->consumed) pthread_cond_wait(&ra->changed, &ra->lock);
        ra->cur = &ra->batch[ra->consumed % AHEAD_BATCHES];
        ra->pos = 0;
        pthread_mutex_unlock(&ra->lock);
    }
}

int source_next_row(Source *s, SrcRow *row, char **err) {
    return s->ahead ? ahead_next(s->ahead, row, err) : read_row(s, row, err);
}

void srcrow_free(SrcRow *row) {
    if (row->values)
        for (int i = 0; i < row->ncols; i++) free(row->values[i]);
    free(row->values);
    if (row->geom) OGR_G_DestroyGeometry(row->geom);
    memset(row, 0, sizeof *row);
}

void source_close(Source *s) {
    free_layer_state(s);
    if (s->ds) GDALClose(s->ds);
    s->ds = NULL;
    set_sheet_options(0);
}
