/* api_tiles.c — GeoJSON XYZ tiles and TileJSON (api_tiles.h).
 *
 * Tile math is tile.c's, clustering cluster.c's, geometry output, clipping
 * and simplification geojson.c's and tile.c's; this file picks rows and
 * assembles the documents.  Every query is prepared once per connection
 * (store_prepare_cached) and selects candidates through the R*Tree
 * directly; whether a point is in the tile is then decided in C by
 * tile_contains, the one rule the tile and cluster modules share.  Below
 * cluster_max_zoom the candidates come from the in-memory snapshot of
 * tile_points.h instead (the same choice, without reading a row per point). */
#include "api/api_tiles.h"

#include "api/api_features.h"
#include "base/buf.h"
#include "geo/cluster.h"
#include "store/collections.h"
#include "geo/geojson.h"
#include "store/store.h"
#include "geo/tile.h"
#include "geo/tile_points.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLLECTION_ID_MAX 64

/* R*Tree boxes are float32 rounded outwards, so they never miss a point;
 * this margin only guards the query box itself (tile edges are exact
 * doubles), and tile_contains() decides. */
#define RTREE_MARGIN_DEG 1e-7

/* The columns put_institution_props reads, in its order, then lon, lat. */
#define INSTITUTION_COLUMNS "i.code, i.name, i.kind, i.ownership, i.location_precision, i.lon, i.lat"
#define INSTITUTION_NPROPS 5

/* From cluster_max_zoom on: every point with its properties. */
static const char SQL_INSTITUTIONS[] = "SELECT " INSTITUTION_COLUMNS API_TILES_INSTITUTIONS_IN_BOX;
/* Below it the points come from memory (tile_points.h: the same choice as
 * API_TILES_INSTITUTIONS_IN_BOX) and this fetches the few that stay alone. */
static const char SQL_INSTITUTION_BY_ID[] = "SELECT " INSTITUTION_COLUMNS " FROM institution i WHERE i.id = ?1";

/* Admin units of one level of a layout whose R*Tree box meets the buffered
 * tile box (?1..?4 = west, south, east, north).  Clipping and
 * simplification happen while writing (geojson_write_wkb_tile) rather than
 * with SpatiaLite's ST_Intersection/ST_SimplifyPreserveTopology: GEOS cost
 * more per tile than everything else together (measured: the province at
 * z14 ran at a tenth of the rate, communes at z12 at a quarter), and its
 * overlay gives up (NULL) on invalid rings, where a rectangle clip cannot
 * fail. */
static const char SQL_ADMIN[] =
    "SELECT a.code, a.name, a.type, a.level, a.parent_code, AsBinary(a.geom)"
    " FROM admin_unit a"
    " WHERE a.id IN (SELECT pkid FROM idx_admin_unit_geom"
    "                WHERE xmax >= ?1 AND ymax >= ?2 AND xmin <= ?3 AND ymin <= ?4)"
    "   AND a.layout = ?5 AND a.level_name = ?6"
    " ORDER BY a.id";

static const char *const institution_params[] = {"kind", "ownership", "district_code", NULL};
static const char *const no_params[] = {NULL};

static void begin_collection(Buf *b) { buf_puts(b, "{\"type\":\"FeatureCollection\",\"features\":["); }
static void end_collection(Response *res) {
    buf_puts(&res->body, "]}\n");
    res->content_type = "application/geo+json";
}

/* Bind a query parameter's value, or NULL when absent (the string lives
 * for the request, so SQLITE_STATIC). */
static void bind_param(sqlite3_stmt *st, int idx, Request *req, const char *name) {
    const char *v = http_query(req, name);
    if (v) sqlite3_bind_text(st, idx, v, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, idx);
}

static void bind_box(sqlite3_stmt *st, TileBox box, double margin) {
    sqlite3_bind_double(st, 1, box.west - margin);
    sqlite3_bind_double(st, 2, box.south - margin);
    sqlite3_bind_double(st, 3, box.east + margin);
    sqlite3_bind_double(st, 4, box.north + margin);
}

/* ------------------------------------------------------- institutions */

/* The properties object of the current row of a statement selecting
 * INSTITUTION_COLUMNS. */
static void put_institution_props(Buf *b, sqlite3_stmt *st) {
    static const char *const keys[INSTITUTION_NPROPS] = {
        "{\"code\":", ",\"name\":", ",\"kind\":", ",\"ownership\":", ",\"location_precision\":"};
    for (int k = 0; k < INSTITUTION_NPROPS; k++) {
        buf_puts(b, keys[k]);
        json_str(b, (const char *)sqlite3_column_text(st, k));
    }
    buf_putc(b, '}');
}

/* The current row of a statement selecting INSTITUTION_COLUMNS as a point
 * Feature with "id": code. */
static void put_institution(Buf *b, sqlite3_stmt *st, double lon, double lat, int decimals) {
    buf_puts(b, "{\"type\":\"Feature\",\"id\":");
    json_str(b, (const char *)sqlite3_column_text(st, 0));
    buf_puts(b, ",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
    json_num(b, lon, decimals);
    buf_putc(b, ',');
    json_num(b, lat, decimals);
    buf_puts(b, "]},\"properties\":");
    put_institution_props(b, st);
    buf_putc(b, '}');
}

/* tile_contains with a fast path: a point well inside the tile's box is in
 * the tile; only points within 1e-9 degrees of an edge need the exact rule
 * (the Mercator row takes a tan and an asinh). */
static int in_tile(const TileBox *t, int z, long long x, long long y, double lon, double lat) {
    const double e = 1e-9;
    if (lon > t->west + e && lon < t->east - e && lat > t->south + e && lat < t->north - e) return 1;
    return tile_contains(z, x, y, lon, lat);
}

static void bind_filters(sqlite3_stmt *st, Request *req, TileBox t) {
    bind_box(st, t, RTREE_MARGIN_DEG);
    bind_param(st, 5, req, "kind");
    bind_param(st, 6, req, "ownership");
    bind_param(st, 7, req, "district_code");
}

/* A cluster of several institutions as a Point Feature; pts[].id are
 * indexes into tp. */
static void put_cluster(Buf *b, const TilePoints *tp, const ClusterPoint *pts, const ClusterResult *cr,
                        const Cluster *c, int cluster_max_zoom, int decimals) {
    buf_puts(b, "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
    json_num(b, c->lon, decimals);
    buf_putc(b, ',');
    json_num(b, c->lat, decimals);
    buf_puts(b, "]},\"properties\":{\"cluster\":true,\"count\":");
    json_int(b, (long long)c->count);
    buf_puts(b, ",\"expansion_zoom\":");
    /* From cluster_max_zoom on every point is drawn on its own, so zooming
     * there always opens the cluster; members that never part (one commune
     * centroid) get null: the client lists them instead of zooming. */
    if (c->expansion_zoom < 0) buf_puts(b, "null");
    else json_int(b, c->expansion_zoom < cluster_max_zoom ? c->expansion_zoom : cluster_max_zoom);
    buf_puts(b, ",\"codes\":[");
    size_t k_max = c->count < API_TILES_CLUSTER_CODES ? c->count : API_TILES_CLUSTER_CODES;
    for (size_t k = 0; k < k_max; k++) {
        if (k) buf_putc(b, ',');
        const char *code = tile_points_str(tp, tp->pts[pts[cr->order[c->first + k]].id].code);
        json_str(b, code ? code : "");
    }
    buf_puts(b, "]}}");
}

/* The points of tile z/x/y that pass the request's filters, from the
 * snapshot, in id order (the order API_TILES_INSTITUTIONS_IN_BOX gives, which the
 * clusters' means and member lists follow); id = index into tp.  0, or -1
 * when out of memory. */
static int select_points(Request *req, const TilePoints *tp, int z, long long x, long long y, TileBox t,
                         ClusterPoint **out, double **out_fxy, size_t *n) {
    TilePointFilter f;
    if (tile_points_filter_init(&f, http_query(req, "kind"), http_query(req, "ownership"),
                                http_query(req, "district_code")) != 0)
        return -1;
    /* the box bind_filters gives the SQL */
    double west = t.west - RTREE_MARGIN_DEG, south = t.south - RTREE_MARGIN_DEG;
    double east = t.east + RTREE_MARGIN_DEG, north = t.north + RTREE_MARGIN_DEG;
    ClusterPoint *v = NULL;
    double *fxy = NULL;
    size_t k = 0, cap = 0;
    int rc = 0;
    for (size_t i = 0; i < tp->n; i++) {
        const TilePoint *p = &tp->pts[i];
        /* the half-open rule: a point on an edge belongs to one tile (T1) */
        if (!tile_points_match(tp, p, west, south, east, north, &f) || !in_tile(&t, z, x, y, p->lon, p->lat))
            continue;
        if (k == cap) {
            cap = cap ? 2 * cap : 256;
            ClusterPoint *nv = realloc(v, cap * sizeof *v);
            if (nv) v = nv;
            double *nf = nv ? realloc(fxy, 2 * cap * sizeof *fxy) : NULL;
            if (nf) fxy = nf;
            if (!nv || !nf) {
                rc = -1;
                break;
            }
        }
        v[k] = (ClusterPoint){p->lon, p->lat, (long long)i};
        fxy[2 * k] = p->fx;
        fxy[2 * k + 1] = p->fy;
        k++;
    }
    tile_points_filter_free(&f);
    if (rc != 0) {
        free(v);
        free(fxy);
        return rc;
    }
    *out = v;
    *out_fxy = fxy;
    *n = k;
    return 0;
}

/* Below cluster_max_zoom: cluster the tile's points and write clusters and
 * lone points.  Returns SQLITE_OK, an SQLite error code, or -1 when
 * clustering failed (bad cell size, no memory). */
static int write_clustered(Request *req, Buf *b, int z, long long x, long long y, TileBox t, int decimals) {
    const Config *cfg = req->config;
    int rc;
    TilePoints *tp = tile_points_get(req->db, req->data_version, &rc);
    if (!tp) return rc == SQLITE_NOMEM ? -1 : rc;
    ClusterPoint *pts = NULL;
    double *fxy = NULL;
    size_t npts = 0;
    ClusterResult cr = {0};
    rc = select_points(req, tp, z, x, y, t, &pts, &fxy, &npts) == 0 &&
                 cluster_points_xy(pts, fxy, npts, z, cfg->cluster_cell_px, TILE_MAX_ZOOM, &cr) == 0
             ? SQLITE_OK
             : -1;
    sqlite3_stmt *one = rc == SQLITE_OK && cr.n ? store_prepare_cached(req->db, SQL_INSTITUTION_BY_ID) : NULL;
    if (rc == SQLITE_OK && cr.n && !one) rc = sqlite3_errcode(req->db);
    for (size_t i = 0; rc == SQLITE_OK && i < cr.n; i++) {
        const Cluster *c = &cr.clusters[i];
        if (i) buf_putc(b, ',');
        if (c->count > 1) {
            put_cluster(b, tp, pts, &cr, c, cfg->cluster_max_zoom, decimals);
            continue;
        }
        const ClusterPoint *p = &pts[cr.order[c->first]];
        sqlite3_reset(one);
        sqlite3_bind_int64(one, 1, tp->pts[p->id].id);
        int r1 = sqlite3_step(one);
        if (r1 == SQLITE_ROW) put_institution(b, one, p->lon, p->lat, decimals);
        else rc = r1 == SQLITE_DONE ? SQLITE_CORRUPT : r1; /* the row was there a moment ago */
    }
    if (one) sqlite3_reset(one);
    cluster_result_free(&cr);
    free(pts);
    free(fxy);
    tile_points_release(tp);
    return rc;
}

/* From cluster_max_zoom on: every point of the tile. */
static int write_points(Request *req, Buf *b, int z, long long x, long long y, TileBox t, int decimals) {
    sqlite3_stmt *st = store_prepare_cached(req->db, SQL_INSTITUTIONS);
    if (!st) return sqlite3_errcode(req->db);
    bind_filters(st, req, t);
    long long written = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        double lon = sqlite3_column_double(st, INSTITUTION_NPROPS),
               lat = sqlite3_column_double(st, INSTITUTION_NPROPS + 1);
        if (!in_tile(&t, z, x, y, lon, lat)) continue;
        if (written++) buf_putc(b, ',');
        put_institution(b, st, lon, lat, decimals);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void institutions_tile(Request *req, Response *res, int z, long long x, long long y) {
    if (http_check_params(req, res, institution_params) != 0) return;
    TileBox t = tile_bounds(z, x, y);
    int decimals = tile_decimals(z);
    Buf *b = &res->body;
    begin_collection(b);
    int rc = z < req->config->cluster_max_zoom ? write_clustered(req, b, z, x, y, t, decimals)
                                               : write_points(req, b, z, x, y, t, decimals);
    if (rc == -1) http_error(res, 500, "ServerError", "clustering failed (out of memory, or cluster_cell_px "
                                                      "not a power of two from 16 to 256)");
    else if (rc != SQLITE_OK) http_db_error(res, req->db, rc);
    else end_collection(res);
}

/* ----------------------------------------------------------- admin units */

/* Current row of SQL_ADMIN as a Feature clipped to box and simplified to
 * tol; nothing is written (and 0 is returned) when no part of it is left
 * in the box, or its geometry is unusable. */
static int write_admin(Buf *b, sqlite3_stmt *st, int decimals, TileBox box, double tol, TileWork *work,
                       int first) {
    size_t mark = b->len;
    if (!first) buf_putc(b, ',');
    const char *code = (const char *)sqlite3_column_text(st, 0);
    buf_puts(b, "{\"type\":\"Feature\",\"id\":");
    json_str(b, code);
    buf_puts(b, ",\"geometry\":");
    size_t g0 = b->len;
    geojson_write_wkb_tile(b, sqlite3_column_blob(st, 5), (size_t)sqlite3_column_bytes(st, 5), decimals, box,
                           tol, work);
    if (b->len - g0 == 4 && !memcmp(b->data + g0, "null", 4)) {
        b->len = mark; /* drop the whole feature */
        b->data[mark] = '\0';
        return 0;
    }
    buf_puts(b, ",\"properties\":{\"code\":");
    json_str(b, code);
    buf_puts(b, ",\"name\":");
    json_str(b, (const char *)sqlite3_column_text(st, 1));
    buf_puts(b, ",\"type\":");
    json_str(b, (const char *)sqlite3_column_text(st, 2));
    buf_puts(b, ",\"level\":");
    if (sqlite3_column_type(st, 3) == SQLITE_NULL) buf_puts(b, "null");
    else json_int(b, sqlite3_column_int64(st, 3));
    buf_puts(b, ",\"parent_code\":");
    json_str(b, (const char *)sqlite3_column_text(st, 4));
    buf_puts(b, "}}");
    return 1;
}

static void admin_tile(Request *req, Response *res, const Collection *col, int z, long long x, long long y) {
    if (http_check_params(req, res, no_params) != 0) return;
    Buf *b = &res->body;
    begin_collection(b);
    char layout[128];
    if (!store_default_layout(req->db, layout, sizeof layout)) { /* nothing ingested yet */
        end_collection(res);
        return;
    }
    sqlite3_stmt *st = store_prepare_cached(req->db, SQL_ADMIN);
    if (!st) {
        http_db_error(res, req->db, sqlite3_errcode(req->db));
        return;
    }
    TileBox box = tile_buffered(z, x, y, API_TILES_BUFFER_PX);
    bind_box(st, box, 0);
    sqlite3_bind_text(st, 5, layout, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, col->level_name, -1, SQLITE_STATIC);
    /* half a pixel: the simplified outline is off by at most that on screen */
    double tol = tile_pixel_deg(z) / 2;
    int decimals = tile_decimals(z);
    TileWork work = TILE_WORK_INIT; /* grows to the largest ring, once per tile */
    int rc, written = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        written += write_admin(b, st, decimals, box, tol, &work, written == 0);
    sqlite3_reset(st);
    tile_work_free(&work);
    if (rc != SQLITE_DONE) http_db_error(res, req->db, rc);
    else end_collection(res);
}

/* -------------------------------------------------------------- TileJSON */

/* Zoom at which a span of `deg` degrees of longitude fills about one tile. */
static int fit_zoom(double deg) {
    int z = 0;
    while (z < TILE_MAX_ZOOM && deg > 0 && deg * 2 <= 360.0 / (double)(1LL << z)) z++;
    return z;
}

static void write_fields(Buf *b, const Collection *col) {
    if (col->kind == COLLECTION_INSTITUTIONS)
        buf_puts(b, "{\"code\":\"String\",\"name\":\"String\",\"kind\":\"String\",\"ownership\":\"String\","
                    "\"location_precision\":\"String\",\"cluster\":\"Boolean: a cluster of several\","
                    "\"count\":\"Number\",\"expansion_zoom\":\"Number or null\","
                    "\"codes\":\"Array of member codes (first 50)\"}");
    else
        buf_puts(b, "{\"code\":\"String\",\"name\":\"String\",\"type\":\"String\",\"level\":\"Number\","
                    "\"parent_code\":\"String\"}");
}

static void tilejson(Request *req, Response *res, const Collection *col) {
    int inst = col->kind == COLLECTION_INSTITUTIONS;
    if (http_check_params(req, res, inst ? institution_params : no_params) != 0) return;
    double bb[4];
    int rc = 0;
    int found = api_features_extent(req->db, col, NULL, bb, &rc);
    if (found < 0) {
        http_db_error(res, req->db, rc);
        return;
    }
    if (!found) {
        bb[0] = -180, bb[1] = -TILE_MAX_LAT, bb[2] = 180, bb[3] = TILE_MAX_LAT;
    }
    char attribution[512];
    if (!store_meta_get(req->db, "attribution", attribution, sizeof attribution))
        snprintf(attribution, sizeof attribution, "%s", req->config->title);

    Buf *b = &res->body;
    buf_puts(b, "{\"tilejson\":\"3.0.0\",\"name\":");
    json_str(b, col->title);
    buf_puts(b, ",\"description\":");
    json_str(b, col->description);
    buf_puts(b, ",\"attribution\":");
    json_str(b, attribution);
    buf_puts(b, ",\"scheme\":\"xyz\",\"tiles\":[");
    /* the template keeps the filters this document was asked for */
    Buf url = BUF_INIT, query = BUF_INIT;
    http_base_url(req, &url);
    buf_printf(&url, "/tiles/%s/{z}/{x}/{y}.geojson", col->id);
    http_query_string(req, &query, NULL);
    if (query.len) {
        buf_putc(&url, '?');
        buf_append(&url, query.data, query.len);
    }
    json_str(b, url.data);
    buf_free(&url);
    buf_free(&query);
    buf_printf(b, "],\"minzoom\":0,\"maxzoom\":%d,\"bounds\":[", TILE_MAX_ZOOM);
    for (int k = 0; k < 4; k++) {
        if (k) buf_putc(b, ',');
        json_num(b, bb[k], 6);
    }
    buf_puts(b, "],\"center\":[");
    json_num(b, (bb[0] + bb[2]) / 2, 6);
    buf_putc(b, ',');
    json_num(b, (bb[1] + bb[3]) / 2, 6);
    buf_putc(b, ',');
    json_int(b, fit_zoom(fmax(bb[2] - bb[0], bb[3] - bb[1])));
    buf_puts(b, "],\"vector_layers\":[{\"id\":");
    json_str(b, col->id);
    buf_puts(b, ",\"description\":");
    json_str(b, col->title);
    buf_printf(b, ",\"minzoom\":0,\"maxzoom\":%d,\"fields\":", TILE_MAX_ZOOM);
    write_fields(b, col);
    buf_puts(b, "}]}\n");
}

/* --------------------------------------------------------------- routing */

/* GET /tiles/...: req->rest is "{collection}.json" or
 * "{collection}/{z}/{x}/{y}.geojson". */
static void tiles_get(Request *req, Response *res) {
    const char *rest = req->rest ? req->rest : "";
    const char *slash = strchr(rest, '/');
    size_t name_len = slash ? (size_t)(slash - rest) : strlen(rest);
    if (!slash) { /* TileJSON */
        if (name_len <= 5 || strcmp(rest + name_len - 5, ".json") != 0) {
            http_error(res, 404, "NotFound", "no such resource: expected /tiles/{collection}.json or "
                                             "/tiles/{collection}/{z}/{x}/{y}.geojson");
            return;
        }
        name_len -= 5;
    }
    char id[COLLECTION_ID_MAX];
    if (name_len == 0 || name_len >= sizeof id) {
        http_error(res, 404, "NotFound", "no such collection");
        return;
    }
    memcpy(id, rest, name_len);
    id[name_len] = '\0';
    const Collection *col = collection_find(id);
    if (!col) {
        http_error(res, 404, "NotFound", "no such collection");
        return;
    }
    if (!slash) {
        tilejson(req, res, col);
        return;
    }
    int z;
    long long x, y;
    int r = tile_parse_zxy(slash + 1, &z, &x, &y);
    if (r == -1) {
        http_error(res, 400, "InvalidParameterValue",
                   "a tile address is {z}/{x}/{y}.geojson with z, x and y non-negative integers");
        return;
    }
    if (r == -2) {
        http_error(res, 404, "NotFound", "no such tile: z must be 0..%d and x, y 0..2^z-1", TILE_MAX_ZOOM);
        return;
    }
    if (col->kind == COLLECTION_INSTITUTIONS) institutions_tile(req, res, z, x, y);
    else admin_tile(req, res, col, z, x, y);
}

const Route api_tiles_routes[] = {
    {"GET", "/tiles/", tiles_get},
    {NULL, NULL, NULL},
};
