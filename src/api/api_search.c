/* api_search.c — /api/search (FTS5 on folded text) and /api/nearest
 * (geodesic distance) (api_search.h). */
#include "api/api_search.h"
#include "store/feature.h"
#include "geo/geojson.h"
#include "api/feature_collection.h"
#include "api/query_filters.h"
#include "store/sqlwhere.h"
#include "base/text.h"

#include <geodesic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GEOJSON_TYPE "application/geo+json"
#define MAX_QUERY_WORDS 16

/* ------------------------------------------------------------------ search */

char *api_search_match_expr(const char *query) {
    char *folded = text_fold(query);
    if (!folded) return NULL;
    Buf expr = BUF_INIT;
    int words = 0;
    for (char *p = folded; *p;) {
        size_t n = strcspn(p, " ");
        if (n) {
            /* A quoted FTS5 string: only '"' needs escaping (doubled). */
            buf_puts(&expr, words++ ? " AND \"" : "\"");
            for (size_t i = 0; i < n; i++) {
                if (p[i] == '"') buf_putc(&expr, '"');
                buf_putc(&expr, p[i]);
            }
            buf_puts(&expr, "\"*");
        }
        p += n;
        p += strspn(p, " ");
    }
    free(folded);
    if (!words || expr.oom) {
        buf_free(&expr);
        return NULL;
    }
    return buf_detach(&expr, NULL);
}

/* Case-folded query with marks and single spaces, for the exact-marks rank. */
static char *casefold_query(const char *q) {
    char *cf = text_casefold(q);
    if (!cf) return NULL;
    char *w = cf;
    int space = 1; /* drop leading spaces */
    for (const char *r = cf; *r; r++) {
        int is_space = *r == ' ' || *r == '\t' || *r == '\n' || *r == '\r';
        if (is_space && space) continue;
        *w++ = is_space ? ' ' : *r;
        space = is_space;
    }
    if (w > cf && w[-1] == ' ') w--;
    *w = '\0';
    return cf;
}

static const SqlFilter search_filters[] = {
    {"kind", "i.kind"},
    {"ownership", "i.ownership"},
    {"district_code", "i.district_code"},
    {NULL, NULL},
};

static const char *const search_params[] = {"q", "kind", "ownership", "district_code", "limit", "offset", NULL};

#define SEARCH_FROM " FROM search_fts JOIN institution i ON i.id = search_fts.rowid"

static void search(Request *req, Response *res) {
    long long limit, offset;
    if (http_check_params(req, res, search_params) || http_query_int(req, res, "limit", 20, 1, 100, &limit) ||
        http_query_int(req, res, "offset", 0, 0, 1000000000LL, &offset))
        return;
    const char *q = http_query(req, "q");
    char *match = q ? api_search_match_expr(q) : NULL;
    char *cf = match ? casefold_query(q) : NULL;
    SqlWhere w;
    sqlwhere_init(&w);
    Buf count = BUF_INIT, select = BUF_INIT, feats = BUF_INIT, extra = BUF_INIT;
    sqlite3_stmt *cs = NULL, *st = NULL;
    if (!match || !cf) {
        http_error(res, 400, "InvalidParameterValue", "q must contain at least one letter or digit");
        goto out;
    }
    int words = 1; /* the folded words hold no spaces: count the separators */
    for (const char *p = match; (p = strstr(p, " AND ")); p += 5) words++;
    if (words > MAX_QUERY_WORDS) {
        http_error(res, 400, "InvalidParameterValue", "q has more than %d words", MAX_QUERY_WORDS);
        goto out;
    }
    sqlwhere_sql(&w, " AND search_fts MATCH ?");
    sqlwhere_text(&w, match, -1);
    if (query_filters(&w, req, res, search_filters)) goto out;

    buf_puts(&count, "SELECT count(*)" SEARCH_FROM);
    buf_puts(&count, w.sql.data);
    buf_puts(&select, "SELECT " FEATURE_INSTITUTION_COLUMNS SEARCH_FROM FEATURE_INSTITUTION_JOINS);
    buf_puts(&select, w.sql.data);
    /* Names holding the query with its marks first (CASES S3), then bm25
     * with the name weighted over the rest of the text. */
    buf_puts(&select, " ORDER BY instr(search_fts.name_cf, ?) = 0, bm25(search_fts, 0.0, 0.0, 10.0, 1.0), i.code"
                      " LIMIT ? OFFSET ?");

    long long matched = 0, returned = 0;
    int rc = sqlite3_prepare_v2(req->db, count.data, -1, &cs, NULL);
    if (rc == SQLITE_OK && sqlwhere_bind(&w, cs) < 0) rc = SQLITE_RANGE;
    if (rc == SQLITE_OK) rc = sqlite3_step(cs);
    if (rc == SQLITE_ROW) {
        matched = sqlite3_column_int64(cs, 0);
        rc = sqlite3_prepare_v2(req->db, select.data, -1, &st, NULL);
    }
    if (rc == SQLITE_OK) {
        int n = sqlwhere_bind(&w, st);
        if (n < 0) rc = SQLITE_RANGE;
        sqlite3_bind_text(st, n + 1, cf, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, n + 2, limit);
        sqlite3_bind_int64(st, n + 3, offset);
    }
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (returned++) buf_putc(&feats, ',');
        feature_write_institution(&feats, st, 0, -1);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE) {
        http_db_error(res, req->db, rc);
        goto out;
    }
    buf_puts(&extra, "\"query\":");
    json_str(&extra, q);
    buf_putc(&extra, ',');
    res->content_type = GEOJSON_TYPE;
    feature_write_collection(req, &res->body, extra.data, offset, limit, matched, returned, &feats);
out:
    sqlite3_finalize(cs);
    sqlite3_finalize(st);
    sqlwhere_free(&w);
    buf_free(&count);
    buf_free(&select);
    buf_free(&feats);
    buf_free(&extra);
    free(match);
    free(cf);
}

/* ----------------------------------------------------------------- nearest */

#define NEAREST_MAX 50
#define NEAREST_START_DEG 0.25   /* half-size of the first search box */
#define NEAREST_MAX_DEG 20.0     /* beyond this, scan everything */

typedef struct Hit {
    long long id;
    double m;                 /* geodesic distance, metres */
} Hit;

typedef struct Nearest {
    const struct geod_geodesic *g;
    double lon, lat;
    Hit hits[NEAREST_MAX];
    int n, k;                 /* kept hits, wanted hits */
} Nearest;

static double geodesic_m(const struct geod_geodesic *g, double lat1, double lon1, double lat2, double lon2) {
    double s12 = 0;
    geod_inverse(g, lat1, lon1, lat2, lon2, &s12, NULL, NULL);
    return s12;
}

/* Keep the k smallest distances in order (k <= 50: insertion is enough). */
static void keep_hit(Nearest *nr, long long id, double m) {
    for (int i = 0; i < nr->n; i++)
        if (nr->hits[i].id == id) return; /* already seen in a smaller box */
    if (nr->n == nr->k && m >= nr->hits[nr->n - 1].m) return;
    int i = nr->n < nr->k ? nr->n++ : nr->n - 1;
    while (i > 0 && nr->hits[i - 1].m > m) {
        nr->hits[i] = nr->hits[i - 1];
        i--;
    }
    nr->hits[i] = (Hit){id, m};
}

/* Scan the candidates in the box of half-size `half` degrees (or all when
 * half <= 0) into nr.  Returns SQLITE_DONE or an error code. */
static int scan_candidates(Request *req, Response *res, Nearest *nr, double half) {
    SqlWhere w;
    sqlwhere_init(&w);
    sqlwhere_sql(&w, " AND i.lon IS NOT NULL AND i.lat IS NOT NULL");
    if (half > 0) {
        sqlwhere_sql(&w, " AND i.id IN (SELECT pkid FROM idx_institution_geom"
                         " WHERE xmin <= ? AND xmax >= ? AND ymin <= ? AND ymax >= ?)");
        sqlwhere_double(&w, nr->lon + half);
        sqlwhere_double(&w, nr->lon - half);
        sqlwhere_double(&w, nr->lat + half);
        sqlwhere_double(&w, nr->lat - half);
    }
    int rc = SQLITE_DONE;
    if (query_filters(&w, req, res, search_filters)) rc = SQLITE_MISUSE; /* 400 already set */
    Buf sql = BUF_INIT;
    buf_puts(&sql, "SELECT i.id, i.lon, i.lat FROM institution i");
    buf_puts(&sql, w.sql.data);
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_DONE) rc = sqlite3_prepare_v2(req->db, sql.data, -1, &st, NULL);
    if (rc == SQLITE_OK && sqlwhere_bind(&w, st) < 0) rc = SQLITE_RANGE;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        double lon = sqlite3_column_double(st, 1), lat = sqlite3_column_double(st, 2);
        if (isfinite(lon) && isfinite(lat) && fabs(lat) <= 90)
            keep_hit(nr, sqlite3_column_int64(st, 0), geodesic_m(nr->g, nr->lat, nr->lon, lat, lon));
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    sqlwhere_free(&w);
    buf_free(&sql);
    return rc;
}

/* A lower bound of the distance from the centre to any point outside the
 * box: the shortest way to each edge, less 5 % (the nearest point of a
 * meridian lies a little poleward of the parallel's point; < 2 % within
 * NEAREST_MAX_DEG below 80° latitude). */
static double box_clearance_m(const Nearest *nr, double half) {
    double d = geodesic_m(nr->g, nr->lat, nr->lon, nr->lat + half, nr->lon);
    double s = geodesic_m(nr->g, nr->lat, nr->lon, nr->lat - half, nr->lon);
    double e = geodesic_m(nr->g, nr->lat, nr->lon, nr->lat, nr->lon + half);
    if (s < d) d = s;
    if (e < d) d = e;
    return 0.95 * d;
}

static const char *const nearest_params[] = {"lon", "lat", "limit", "kind", NULL};

static void nearest(Request *req, Response *res) {
    Nearest nr = {0};
    long long limit;
    int has_lon = 0, has_lat = 0;
    if (http_check_params(req, res, nearest_params) ||
        http_query_double(req, res, "lon", 0, -180, 180, &nr.lon, &has_lon) ||
        http_query_double(req, res, "lat", 0, -90, 90, &nr.lat, &has_lat) ||
        http_query_int(req, res, "limit", 10, 1, NEAREST_MAX, &limit))
        return;
    if (!has_lon || !has_lat) {
        http_error(res, 400, "MissingParameterValue", "lon and lat are required (WGS84 degrees)");
        return;
    }
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1 / 298.257223563); /* WGS84 */
    nr.g = &g;
    nr.k = (int)limit;

    /* Grow a box around the point until the k-th hit is closer than anything
     * outside the box can be; far from any data, scan everything. */
    int rc = SQLITE_DONE;
    for (double half = NEAREST_START_DEG;; half *= 4) {
        int whole = half > NEAREST_MAX_DEG || fabs(nr.lat) + half > 89 || fabs(nr.lon) + half > 180;
        rc = scan_candidates(req, res, &nr, whole ? 0 : half);
        if (rc != SQLITE_DONE || whole) break;
        if (nr.n == nr.k && nr.hits[nr.n - 1].m <= box_clearance_m(&nr, half)) break;
    }
    if (rc == SQLITE_MISUSE) return; /* a parameter error was set */
    if (rc != SQLITE_DONE) {
        http_db_error(res, req->db, rc);
        return;
    }

    Buf feats = BUF_INIT;
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(req->db,
                            "SELECT " FEATURE_INSTITUTION_COLUMNS " FROM institution i" FEATURE_INSTITUTION_JOINS
                            " WHERE i.id = ?1",
                            -1, &st, NULL);
    int written = 0;
    for (int i = 0; rc == SQLITE_OK && i < nr.n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, nr.hits[i].id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            if (written++) buf_putc(&feats, ',');
            feature_write_institution(&feats, st, 0, nr.hits[i].m / 1000.0);
        }
        if (rc == SQLITE_ROW || rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
        http_db_error(res, req->db, rc);
    } else {
        res->content_type = GEOJSON_TYPE;
        feature_write_collection(req, &res->body, NULL, 0, 0, written, written, &feats);
    }
    buf_free(&feats);
}

const Route api_search_routes[] = {
    {"GET", "/api/search", search},
    {"GET", "/api/nearest", nearest},
    {NULL, NULL, NULL},
};
