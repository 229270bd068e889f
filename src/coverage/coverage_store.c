/* coverage_store.c — coverage layers and sites from the store
 * (coverage_store.h). */
#include "coverage/coverage_store.h"
#include "coverage/coverage_grid.h"
#include "store/collections.h"
#include "store/store.h"
#include "base/strfmt.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static char *dup_str(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static const char *col_text(sqlite3_stmt *st, int i) { return (const char *)sqlite3_column_text(st, i); }

/* ------------------------------------------------------- sample encoding */

/* Samples are stored as little-endian int32 in units of 1e-7 degree
 * (1.1 cm), half the size of doubles and the same on every machine. */
static void encode_xy(const double *xy, size_t n, unsigned char *out) {
    for (size_t i = 0; i < 2 * n; i++) {
        uint32_t v = (uint32_t)(int32_t)lround(xy[i] * 1e7);
        out[4 * i] = (unsigned char)v;
        out[4 * i + 1] = (unsigned char)(v >> 8);
        out[4 * i + 2] = (unsigned char)(v >> 16);
        out[4 * i + 3] = (unsigned char)(v >> 24);
    }
}

static void decode_xy(const unsigned char *in, size_t n, double *xy) {
    for (size_t i = 0; i < 2 * n; i++) {
        uint32_t v = (uint32_t)in[4 * i] | (uint32_t)in[4 * i + 1] << 8 | (uint32_t)in[4 * i + 2] << 16 |
                     (uint32_t)in[4 * i + 3] << 24;
        xy[i] = (double)(int32_t)v * 1e-7;
    }
}

/* The fingerprint of a unit's geometry: CRC-32 of its stored blob. */
static uint32_t geom_crc(const void *blob, int n) {
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), blob, (uInt)(n > 0 ? n : 0));
}

/* 1 when a coverage_sample row (its geom_crc, frame and target in columns
 * k, k+1, k+2 of st) still describes a unit whose geometry blob is geom. */
static int stored_current(sqlite3_stmt *st, int k, const void *geom, int len, const CovGrid *g) {
    return sqlite3_column_type(st, k) != SQLITE_NULL && (uint32_t)sqlite3_column_int64(st, k) == geom_crc(geom, len) &&
           col_text(st, k + 1) && !strcmp(col_text(st, k + 1), cov_grid_crs(g)) &&
           sqlite3_column_int(st, k + 2) == COV_GRID_TARGET;
}

/* ---------------------------------------------------------------- frame */

/* The equal-area frame of a layout: LAEA centred on all its units' extent
 * (every level, so prepare and load agree whatever level is analysed). */
static CovGrid *layout_frame(sqlite3 *db, const char *layout, double bbox[4], char **err) {
    sqlite3_stmt *st = NULL;
    const char *sql = "SELECT min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom)) "
                      "FROM admin_unit WHERE layout = ?1 AND geom IS NOT NULL";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        *err = strfmt("coverage: %s", sqlite3_errmsg(db));
        return NULL;
    }
    sqlite3_bind_text(st, 1, layout, -1, SQLITE_STATIC);
    int have = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    for (int k = 0; k < 4; k++) bbox[k] = have ? sqlite3_column_double(st, k) : 0;
    sqlite3_finalize(st);
    if (!have) {
        *err = strfmt("layout '%s' has no unit with a geometry", layout);
        return NULL;
    }
    return cov_grid_new(0.5 * (bbox[0] + bbox[2]), 0.5 * (bbox[1] + bbox[3]), err);
}

/* ---------------------------------------------------------------- layers */

static const char *const LEVELS[] = {"commune", "district", "province"}; /* finest first */

/* The layout's known names, for the "unknown layout" message. */
static void known_layouts(sqlite3 *db, char *out, size_t n) {
    sqlite3_stmt *st = NULL;
    out[0] = 0;
    if (sqlite3_prepare_v2(db, "SELECT name FROM layout ORDER BY name", -1, &st, NULL) != SQLITE_OK) return;
    size_t len = 0;
    while (sqlite3_step(st) == SQLITE_ROW && len + 80 < n)
        len += (size_t)snprintf(out + len, n - len, "%s%s", len ? ", " : "", col_text(st, 0));
    sqlite3_finalize(st);
}

/* Resolve the level: as given (it must have units), or the finest level with
 * population, else the finest present. */
static int pick_level(sqlite3 *db, const char *layout, const char *level, char *out, size_t n, char **err) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM layout WHERE name = ?1)", -1, &st, NULL) !=
        SQLITE_OK)
        goto fail;
    sqlite3_bind_text(st, 1, layout, -1, SQLITE_STATIC);
    int exists = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    if (!exists) {
        char names[512];
        known_layouts(db, names, sizeof names);
        *err = strfmt("unknown layout '%s' (layouts: %s)", layout, names[0] ? names : "none yet");
        return COVSTORE_EINVAL;
    }
    long units[3] = {0}, with_pop[3] = {0};
    if (sqlite3_prepare_v2(db,
                           "SELECT a.level_name, count(*), count(coalesce(a.population, p.population)) "
                           "FROM admin_unit a LEFT JOIN coverage_population p ON p.layout = a.layout"
                           " AND p.level_name = a.level_name AND p.code = a.code "
                           "WHERE a.layout = ?1 GROUP BY a.level_name",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_text(st, 1, layout, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW)
        for (int k = 0; k < 3; k++)
            if (col_text(st, 0) && !strcmp(col_text(st, 0), LEVELS[k])) {
                units[k] = sqlite3_column_int(st, 1);
                with_pop[k] = sqlite3_column_int(st, 2);
            }
    sqlite3_finalize(st);
    if (level) {
        for (int k = 0; k < 3; k++)
            if (!strcmp(level, LEVELS[k])) {
                if (!units[k]) {
                    *err = strfmt("layout '%s' has no %s units", layout, level);
                    return COVSTORE_EINVAL;
                }
                snprintf(out, n, "%s", level);
                return COVSTORE_OK;
            }
        *err = strfmt("level must be commune, district or province, not '%s'", level);
        return COVSTORE_EINVAL;
    }
    for (int k = 0; k < 3; k++)
        if (with_pop[k]) {
            snprintf(out, n, "%s", LEVELS[k]);
            return COVSTORE_OK;
        }
    for (int k = 0; k < 3; k++)
        if (units[k]) {
            snprintf(out, n, "%s", LEVELS[k]);
            return COVSTORE_OK;
        }
    *err = strfmt("layout '%s' has no admin units", layout);
    return COVSTORE_EINVAL;
fail:
    *err = strfmt("coverage: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return COVSTORE_EFAIL;
}

void covstore_layer_free(CovLayer *L) {
    if (!L) return;
    cov_model_free(&L->model);
    free(L->unit_ids);
    free(L->id_index);
    free(L->inst_ids);
    free(L->inst_unit);
    for (size_t i = 0; i < L->n_parents; i++) {
        free(L->parents[i].code);
        free(L->parents[i].name);
    }
    free(L->parents);
    free(L);
}

/* One unit's samples: stored ones when they match, else computed now from
 * its WKB (read only then: most loads never convert a geometry). */
static int unit_samples(sqlite3 *db, CovGrid *g, sqlite3_stmt *st, const void *geom, int geom_len, double **xy,
                        size_t *n, double *frame_area, int *from_table, char **err) {
    *from_table = 0;
    if (stored_current(st, 13, geom, geom_len, g)) {
        long long cnt = sqlite3_column_int64(st, 17);
        const unsigned char *blob = sqlite3_column_blob(st, 18);
        if (cnt >= 0 && sqlite3_column_bytes(st, 18) == 8 * cnt && (cnt == 0 || blob)) {
            *xy = malloc((size_t)(cnt ? cnt : 1) * 2 * sizeof **xy);
            if (!*xy) return -1;
            decode_xy(blob, (size_t)cnt, *xy);
            *n = (size_t)cnt;
            *frame_area = sqlite3_column_double(st, 16);
            *from_table = 1;
            return 0;
        }
    }
    static const char *const sql = "SELECT AsBinary(geom) FROM admin_unit WHERE id = ?1";
    sqlite3_stmt *w = store_prepare_cached(db, sql);
    if (!w) {
        *err = strfmt("coverage: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(w, 1, sqlite3_column_int64(st, 0));
    int rc = -1;
    if (sqlite3_step(w) == SQLITE_ROW) {
        double spacing;
        rc = cov_grid_sample(g, sqlite3_column_blob(w, 0), (size_t)sqlite3_column_bytes(w, 0), COV_GRID_TARGET, xy, n,
                             frame_area, &spacing, err);
    } else {
        *err = strfmt("coverage: unit geometry vanished");
    }
    sqlite3_reset(w);
    if (rc != 0) return -1;
    /* Round as the table stores them, so a prepared and an unprepared
     * database give the same numbers. */
    for (size_t i = 0; i < 2 * *n; i++) (*xy)[i] = round((*xy)[i] * 1e7) * 1e-7;
    return 0;
}

static int cmp_ll(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

/* (admin_unit.id, unit index) pairs sorted by id, for covstore_locate. */
static int build_id_index(CovLayer *L) {
    size_t n = L->model.n_units;
    L->id_index = malloc((n ? n : 1) * 2 * sizeof *L->id_index);
    if (!L->id_index) return -1;
    for (size_t i = 0; i < n; i++) {
        L->id_index[2 * i] = L->unit_ids[i];
        L->id_index[2 * i + 1] = (long long)i;
    }
    qsort(L->id_index, n, 2 * sizeof *L->id_index, cmp_ll);
    return 0;
}

/* Locate every institution once per layer (sorted by id for lookups). */
static int locate_institutions(sqlite3 *db, CovLayer *L, char **err) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, lon, lat FROM institution WHERE lon IS NOT NULL AND lat IS NOT NULL "
                               "ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        *err = strfmt("coverage: %s", sqlite3_errmsg(db));
        return -1;
    }
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (L->n_inst == cap) {
            cap = cap ? 2 * cap : 256;
            long long *ids = realloc(L->inst_ids, cap * sizeof *ids);
            if (ids) L->inst_ids = ids;
            long *u = realloc(L->inst_unit, cap * sizeof *u);
            if (u) L->inst_unit = u;
            if (!ids || !u) {
                sqlite3_finalize(st);
                *err = strfmt("coverage: out of memory");
                return -1;
            }
        }
        L->inst_ids[L->n_inst] = sqlite3_column_int64(st, 0);
        L->inst_unit[L->n_inst] = covstore_locate(db, L, sqlite3_column_double(st, 1), sqlite3_column_double(st, 2));
        L->n_inst++;
    }
    sqlite3_finalize(st);
    return 0;
}

static int load_parents(sqlite3 *db, CovLayer *L, char **err) {
    sqlite3_stmt *st = NULL;
    const char *sql = "SELECT DISTINCT a.parent_code, "
                      "  (SELECT p.name FROM admin_unit p WHERE p.layout = a.layout AND p.code = a.parent_code "
                      "   ORDER BY p.level LIMIT 1) "
                      "FROM admin_unit a WHERE a.layout = ?1 AND a.level_name = ?2 AND a.parent_code IS NOT NULL "
                      "ORDER BY 1";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        *err = strfmt("coverage: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_text(st, 1, L->layout, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, L->level, -1, SQLITE_STATIC);
    size_t cap = 0;
    int rc = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (L->n_parents == cap) {
            cap = cap ? 2 * cap : 16;
            CovParent *p = realloc(L->parents, cap * sizeof *p);
            if (!p) {
                rc = -1;
                break;
            }
            L->parents = p;
        }
        CovParent *p = &L->parents[L->n_parents++];
        p->code = dup_str(col_text(st, 0));
        p->name = dup_str(col_text(st, 1));
    }
    sqlite3_finalize(st);
    if (rc) *err = strfmt("coverage: out of memory");
    return rc;
}

const char *covstore_parent_name(const CovLayer *L, const char *code) {
    if (!code) return NULL;
    size_t lo = 0, hi = L->n_parents;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(L->parents[mid].code ? L->parents[mid].code : "", code);
        if (c == 0) return L->parents[mid].name;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

int covstore_load_layer(sqlite3 *db, const char *layout, const char *level, CovLayer **out, char **err) {
    *out = NULL;
    *err = NULL;
    if (!layout || !*layout || strlen(layout) >= 64) {
        *err = strfmt("layout must name a layout (1 to 63 bytes)");
        return COVSTORE_EINVAL;
    }
    CovLayer *L = calloc(1, sizeof *L);
    if (!L) return COVSTORE_EFAIL;
    cov_model_init(&L->model);
    snprintf(L->layout, sizeof L->layout, "%s", layout);
    int rc = pick_level(db, layout, level, L->level, sizeof L->level, err);
    if (rc != COVSTORE_OK) {
        covstore_layer_free(L);
        return rc;
    }
    CovGrid *g = layout_frame(db, layout, L->bbox, err);
    if (!g) {
        covstore_layer_free(L);
        return *err && strstr(*err, "no unit with a geometry") ? COVSTORE_EINVAL : COVSTORE_EFAIL;
    }
    snprintf(L->frame, sizeof L->frame, "%s", cov_grid_crs(g));

    /* Population point: the seat when known, else the point-on-surface
     * label, else one computed now. */
    const char *sql =
        "SELECT a.id, a.code, a.name, a.parent_code, coalesce(a.population, p.population),"
        "  CASE WHEN a.population IS NULL THEN p.population_year ELSE a.population_year END, a.area_km2,"
        "  a.seat_lon, a.seat_lat, a.label_lon, a.label_lat, a.approximate, a.geom,"
        "  s.geom_crc, s.frame, s.target, s.frame_area_km2, s.n, s.xy,"
        "  CASE WHEN a.label_lon IS NULL AND a.geom IS NOT NULL THEN ST_X(ST_PointOnSurface(a.geom)) END,"
        "  CASE WHEN a.label_lon IS NULL AND a.geom IS NOT NULL THEN ST_Y(ST_PointOnSurface(a.geom)) END "
        "FROM admin_unit a LEFT JOIN coverage_sample s ON s.unit_id = a.id "
        "LEFT JOIN coverage_population p ON p.layout = a.layout AND p.level_name = a.level_name AND p.code = a.code "
        "WHERE a.layout = ?1 AND a.level_name = ?2 ORDER BY a.code";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        *err = strfmt("coverage: %s", sqlite3_errmsg(db));
        cov_grid_free(g);
        covstore_layer_free(L);
        return COVSTORE_EFAIL;
    }
    sqlite3_bind_text(st, 1, L->layout, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, L->level, -1, SQLITE_STATIC);
    size_t cap = 0;
    rc = COVSTORE_OK;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *code = col_text(st, 1);
        int seat = sqlite3_column_type(st, 7) != SQLITE_NULL && sqlite3_column_type(st, 8) != SQLITE_NULL;
        int label = sqlite3_column_type(st, 9) != SQLITE_NULL && sqlite3_column_type(st, 10) != SQLITE_NULL;
        CovUnitSpec spec = {
            .code = code,
            .name = col_text(st, 2),
            .parent_code = col_text(st, 3),
            .population = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 4),
            .population_year = sqlite3_column_int(st, 5),
            .area_km2 = sqlite3_column_type(st, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 6),
            .pop_lon = seat ? sqlite3_column_double(st, 7) : label ? sqlite3_column_double(st, 9)
                                                                  : sqlite3_column_double(st, 19),
            .pop_lat = seat ? sqlite3_column_double(st, 8) : label ? sqlite3_column_double(st, 10)
                                                                  : sqlite3_column_double(st, 20),
            .pop_is_seat = seat,
            .approximate = sqlite3_column_int(st, 11),
        };
        if (!seat && !label && sqlite3_column_type(st, 19) == SQLITE_NULL) {
            *err = strfmt("unit %s of layout %s has neither a geometry nor a seat", code ? code : "?", layout);
            rc = COVSTORE_EFAIL;
            break;
        }
        double *xy = NULL, frame_area = NAN;
        size_t n = 0;
        int from_table = 0;
        const void *geom = sqlite3_column_blob(st, 12);
        int geom_len = sqlite3_column_bytes(st, 12);
        if (geom && geom_len > 0 &&
            unit_samples(db, g, st, geom, geom_len, &xy, &n, &frame_area, &from_table, err) != 0) {
            char *why = *err;
            *err = strfmt("unit %s of layout %s: %s", code ? code : "?", layout, why ? why : "cannot sample");
            free(why);
            rc = COVSTORE_EFAIL;
            break;
        }
        if (!isfinite(spec.area_km2)) spec.area_km2 = frame_area;
        if (L->model.n_units == cap) {
            cap = cap ? 2 * cap : 64;
            long long *ids = realloc(L->unit_ids, cap * sizeof *ids);
            if (!ids) {
                free(xy);
                rc = COVSTORE_EFAIL;
                break;
            }
            L->unit_ids = ids;
        }
        long idx = cov_model_add(&L->model, &spec, xy, n);
        free(xy);
        if (idx < 0) {
            *err = strfmt("unit %s of layout %s has a non-finite coordinate", code ? code : "?", layout);
            rc = COVSTORE_EFAIL;
            break;
        }
        L->unit_ids[idx] = sqlite3_column_int64(st, 0);
        L->from_table += (size_t)from_table;
    }
    if (rc == COVSTORE_OK && step != SQLITE_DONE) {
        *err = strfmt("coverage: %s", sqlite3_errmsg(db));
        rc = COVSTORE_EFAIL;
    }
    sqlite3_finalize(st);
    cov_grid_free(g);
    if (rc == COVSTORE_OK && cov_model_finish(&L->model) != 0) rc = COVSTORE_EFAIL;
    if (rc == COVSTORE_OK && build_id_index(L) != 0) rc = COVSTORE_EFAIL;
    if (rc == COVSTORE_OK && load_parents(db, L, err) != 0) rc = COVSTORE_EFAIL;
    if (rc == COVSTORE_OK && locate_institutions(db, L, err) != 0) rc = COVSTORE_EFAIL;
    if (rc != COVSTORE_OK) {
        if (!*err) *err = strfmt("coverage: out of memory");
        covstore_layer_free(L);
        return rc;
    }
    *out = L;
    return COVSTORE_OK;
}

/* ----------------------------------------------------------------- cache */

#define CACHE_KEEP 4
static CovLayer *cache_head;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* Drop unreferenced layers beyond CACHE_KEEP, and unreferenced layers of
 * older data versions.  Caller holds the lock. */
static void cache_trim(long long data_version) {
    int kept = 0;
    for (CovLayer **p = &cache_head; *p;) {
        CovLayer *L = *p;
        if (L->refs == 0 && (L->data_version != data_version || kept >= CACHE_KEEP)) {
            *p = L->next;
            covstore_layer_free(L);
            continue;
        }
        kept++;
        p = &L->next;
    }
}

int covstore_layer_get(sqlite3 *db, long long data_version, const char *layout, const char *level,
                       CovLayer **out, char **err) {
    *out = NULL;
    *err = NULL;
    pthread_mutex_lock(&cache_lock);
    /* Lookups compare the resolved level, so resolve a NULL one first. */
    char lv[16] = "";
    int rc = layout && *layout ? pick_level(db, layout, level, lv, sizeof lv, err) : COVSTORE_EINVAL;
    if (rc != COVSTORE_OK) {
        pthread_mutex_unlock(&cache_lock);
        if (!*err) *err = strfmt("layout must name a layout");
        return rc;
    }
    for (CovLayer **p = &cache_head; *p; p = &(*p)->next) {
        CovLayer *L = *p;
        if (L->data_version == data_version && !strcmp(L->layout, layout) && !strcmp(L->level, lv)) {
            *p = L->next; /* move to front: most recently used */
            L->next = cache_head;
            cache_head = L;
            L->refs++;
            *out = L;
            pthread_mutex_unlock(&cache_lock);
            return COVSTORE_OK;
        }
    }
    /* Built under the lock: concurrent first requests wait for one build
     * instead of each sampling the layout. */
    CovLayer *L = NULL;
    rc = covstore_load_layer(db, layout, lv, &L, err);
    if (rc == COVSTORE_OK) {
        L->data_version = data_version;
        L->refs = 1;
        L->next = cache_head;
        cache_head = L;
        cache_trim(data_version);
        *out = L;
    }
    pthread_mutex_unlock(&cache_lock);
    return rc;
}

void covstore_layer_release(CovLayer *L) {
    if (!L) return;
    pthread_mutex_lock(&cache_lock);
    L->refs--;
    cache_trim(L->data_version);
    pthread_mutex_unlock(&cache_lock);
}

/* ------------------------------------------------------------- locating */

long covstore_locate(sqlite3 *db, const CovLayer *L, double lon, double lat) {
    if (!isfinite(lon) || !isfinite(lat)) return -1;
    static const char *const sql =
        /* CROSS JOIN: the R*Tree drives, not the (layout, level) index */
        "SELECT a.id FROM idx_admin_unit_geom r CROSS JOIN admin_unit a ON a.id = r.pkid "
        "WHERE r.xmin <= ?3 AND r.xmax >= ?3 AND r.ymin <= ?4 AND r.ymax >= ?4 "
        "AND a.layout = ?1 AND a.level_name = ?2 "
        "AND ST_Intersects(a.geom, MakePoint(?3, ?4, 4326)) = 1 ORDER BY a.code LIMIT 1";
    sqlite3_stmt *st = store_prepare_cached(db, sql);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, L->layout, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, L->level, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, lon);
    sqlite3_bind_double(st, 4, lat);
    long long id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (id < 0) return -1;
    /* units are few per query: ids are looked up in the (id, index) list */
    long long *p = bsearch(&id, L->id_index, L->model.n_units, 2 * sizeof *L->id_index, cmp_ll);
    return p ? (long)p[1] : -1;
}

/* --------------------------------------------------------------- sites */

int covstore_check_filter(const CovFilter *f, char **err) {
    *err = NULL;
    char why[320];
    if ((f->kind && collection_check_values("kind", f->kind, institution_kinds, why, sizeof why)) ||
        (f->ownership &&
         collection_check_values("ownership", f->ownership, institution_ownerships, why, sizeof why))) {
        *err = strfmt("%s", why);
        return COVSTORE_EINVAL;
    }
    if (f->occupation && (!*f->occupation || strlen(f->occupation) > 200)) {
        *err = strfmt("occupation must be 1 to 200 bytes");
        return COVSTORE_EINVAL;
    }
    return 0;
}

/* Append " AND col IN (?,?,...)" for a list, binding later in order. */
static void sql_in(char *sql, size_t n, const char *col, const char *list) {
    if (!list) return;
    size_t items = 1;
    for (const char *p = list; *p; p++) items += *p == ',';
    snprintf(sql + strlen(sql), n - strlen(sql), " AND %s IN (", col);
    for (size_t i = 0; i < items; i++) snprintf(sql + strlen(sql), n - strlen(sql), i ? ",?" : "?");
    snprintf(sql + strlen(sql), n - strlen(sql), ")");
}

static int bind_list(sqlite3_stmt *st, int k, const char *list) {
    if (!list) return k;
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        sqlite3_bind_text(st, k++, p, (int)n, SQLITE_TRANSIENT);
        if (!p[n]) break;
        p += n + 1;
    }
    return k;
}

int covstore_sites_add(CovSiteList *l, const CovSite *s) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        CovSite *p = realloc(l->sites, cap * sizeof *p);
        if (!p) return -1;
        l->sites = p;
        l->cap = cap;
    }
    CovSite *d = &l->sites[l->n];
    *d = *s;
    d->code = dup_str(s->code);
    d->name = dup_str(s->name);
    d->kind = dup_str(s->kind);
    d->ownership = dup_str(s->ownership);
    l->n++;
    return 0;
}

static void site_strings_free(CovSite *s) {
    free((char *)s->code);
    free((char *)s->name);
    free((char *)s->kind);
    free((char *)s->ownership);
}

int covstore_sites_remove(CovSiteList *l, const char *code) {
    for (size_t i = 0; i < l->n; i++)
        if (l->sites[i].code && !strcmp(l->sites[i].code, code)) {
            site_strings_free(&l->sites[i]);
            memmove(&l->sites[i], &l->sites[i + 1], (l->n - i - 1) * sizeof *l->sites);
            l->n--;
            return 1;
        }
    return 0;
}

void covstore_sites_free(CovSiteList *l) {
    for (size_t i = 0; i < l->n; i++) site_strings_free(&l->sites[i]);
    free(l->sites);
    memset(l, 0, sizeof *l);
}

static long inst_unit(const CovLayer *L, long long id) {
    long long *p = bsearch(&id, L->inst_ids, L->n_inst, sizeof *L->inst_ids, cmp_ll);
    return p ? L->inst_unit[p - L->inst_ids] : -2; /* -2: not located yet */
}

int covstore_load_sites(sqlite3 *db, const CovLayer *L, const CovFilter *f, CovSiteList *out, char **err) {
    memset(out, 0, sizeof *out);
    *err = NULL;
    int rc = covstore_check_filter(f, err);
    if (rc) return rc;
    char sql[2048] = "SELECT i.id, i.code, i.name, i.kind, i.ownership, i.lon, i.lat FROM institution i WHERE 1";
    sql_in(sql, sizeof sql, "i.kind", f->kind);
    sql_in(sql, sizeof sql, "i.ownership", f->ownership);
    if (f->occupation)
        snprintf(sql + strlen(sql), sizeof sql - strlen(sql),
                 " AND EXISTS (SELECT 1 FROM program p WHERE p.institution_code = i.code AND"
                 " (p.occupation_code = ?%d OR instr(vetmap_fold(p.occupation_name), vetmap_fold(?%d)) > 0))",
                 99, 99);
    snprintf(sql + strlen(sql), sizeof sql - strlen(sql), " ORDER BY i.code");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        *err = strfmt("coverage: %s", sqlite3_errmsg(db));
        return COVSTORE_EFAIL;
    }
    int k = bind_list(st, 1, f->kind);
    bind_list(st, k, f->ownership);
    if (f->occupation) sqlite3_bind_text(st, 99, f->occupation, -1, SQLITE_STATIC);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 5) == SQLITE_NULL || sqlite3_column_type(st, 6) == SQLITE_NULL) {
            out->without_location++;
            continue;
        }
        CovSite s = {col_text(st, 1), col_text(st, 2), col_text(st, 3), col_text(st, 4),
                     sqlite3_column_double(st, 5), sqlite3_column_double(st, 6), -1};
        s.unit = inst_unit(L, sqlite3_column_int64(st, 0));
        if (s.unit == -2) s.unit = covstore_locate(db, L, s.lon, s.lat);
        if (!isfinite(s.lon) || !isfinite(s.lat)) {
            out->without_location++;
            continue;
        }
        if (covstore_sites_add(out, &s) != 0) {
            step = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) {
        *err = strfmt("coverage: cannot read institutions (%s)", sqlite3_errstr(step));
        covstore_sites_free(out);
        return COVSTORE_EFAIL;
    }
    return COVSTORE_OK;
}

/* --------------------------------------------------------------- prepare */

int covstore_prepare(sqlite3 *db, const char *layout, FILE *log, char **err) {
    *err = NULL;
    sqlite3_stmt *layouts = NULL, *units = NULL, *ins = NULL;
    int rc = -1;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        *err = strfmt("coverage: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (sqlite3_prepare_v2(db, "SELECT name FROM layout WHERE ?1 IS NULL OR name = ?1 ORDER BY name", -1, &layouts,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT a.id, a.code, AsBinary(a.geom), s.geom_crc, s.frame, s.target, a.geom FROM admin_unit a"
                           " LEFT JOIN coverage_sample s ON s.unit_id = a.id WHERE a.layout = ?1 AND a.geom IS NOT NULL",
                           -1, &units, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO coverage_sample(unit_id, geom_crc, frame, target, spacing_m,"
                           " frame_area_km2, n, xy) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                           -1, &ins, NULL) != SQLITE_OK) {
        *err = strfmt("coverage: %s", sqlite3_errmsg(db));
        goto done;
    }
    sqlite3_bind_text(layouts, 1, layout, -1, SQLITE_STATIC);
    int found = 0;
    while (sqlite3_step(layouts) == SQLITE_ROW) {
        char name[64];
        snprintf(name, sizeof name, "%s", col_text(layouts, 0));
        found++;
        double bbox[4];
        CovGrid *g = layout_frame(db, name, bbox, err);
        if (!g) {
            if (*err && strstr(*err, "no unit with a geometry")) { /* nothing to sample */
                free(*err);
                *err = NULL;
                continue;
            }
            goto done;
        }
        sqlite3_reset(units);
        sqlite3_bind_text(units, 1, name, -1, SQLITE_TRANSIENT);
        size_t count = 0, samples = 0, kept = 0;
        while (sqlite3_step(units) == SQLITE_ROW) {
            const unsigned char *wkb = sqlite3_column_blob(units, 2);
            int len = sqlite3_column_bytes(units, 2);
            const void *geom = sqlite3_column_blob(units, 6);
            int geom_len = sqlite3_column_bytes(units, 6);
            /* still current: keep it (a re-run writes nothing) */
            if (stored_current(units, 3, geom, geom_len, g)) {
                kept++;
                continue;
            }
            double *xy = NULL, area = 0, spacing = 0;
            size_t n = 0;
            if (cov_grid_sample(g, wkb, (size_t)len, COV_GRID_TARGET, &xy, &n, &area, &spacing, err) != 0) {
                char *why = *err;
                *err = strfmt("unit %s of layout %s: %s", col_text(units, 1), name, why ? why : "cannot sample");
                free(why);
                cov_grid_free(g);
                goto done;
            }
            unsigned char *blob = malloc(n ? 8 * n : 1);
            if (!blob) {
                free(xy);
                cov_grid_free(g);
                goto done;
            }
            encode_xy(xy, n, blob);
            free(xy);
            sqlite3_reset(ins);
            sqlite3_bind_int64(ins, 1, sqlite3_column_int64(units, 0));
            sqlite3_bind_int64(ins, 2, geom_crc(geom, geom_len));
            sqlite3_bind_text(ins, 3, cov_grid_crs(g), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int(ins, 4, COV_GRID_TARGET);
            sqlite3_bind_double(ins, 5, spacing);
            sqlite3_bind_double(ins, 6, area);
            sqlite3_bind_int64(ins, 7, (sqlite3_int64)n);
            sqlite3_bind_blob(ins, 8, blob, (int)(8 * n), free);
            if (sqlite3_step(ins) != SQLITE_DONE) {
                *err = strfmt("coverage: %s", sqlite3_errmsg(db));
                cov_grid_free(g);
                goto done;
            }
            count++;
            samples += n;
        }
        if (log)
            fprintf(log, "coverage: layout %s: %zu units sampled (%zu samples), %zu unchanged; frame %s\n", name,
                    count, samples, kept, cov_grid_crs(g));
        cov_grid_free(g);
    }
    if (layout && !found) {
        *err = strfmt("unknown layout '%s'", layout);
        goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(layouts);
    sqlite3_finalize(units);
    sqlite3_finalize(ins);
    if (rc == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        *err = strfmt("coverage: %s", sqlite3_errmsg(db));
        rc = -1;
    }
    if (rc != 0) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    if (rc != 0 && !*err) *err = strfmt("coverage: out of memory");
    return rc;
}
