/* api_features.c — OGC API – Features endpoints (api_features.h). */
#include "api/api_features.h"
#include "store/feature.h"
#include "geo/geojson.h"
#include "api/openapi.h"
#include "api/feature_collection.h"
#include "api/query_filters.h"
#include "store/sqlwhere.h"

#include <stdio.h>
#include <string.h>

#define CRS84 "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#define GEOJSON_TYPE "application/geo+json"

/* The `f` parameter: only JSON representations exist. */
static int check_format(Request *req, Response *res) {
    const char *f = http_query(req, "f");
    if (f && strcmp(f, "json") && strcmp(f, "geojson")) {
        http_error(res, 400, "InvalidParameterValue", "f must be json (the only format served)");
        return -1;
    }
    return 0;
}

static const char *const only_f[] = {"f", NULL};

/* ------------------------------------------------------------- landing */

static void landing(Request *req, Response *res) {
    if (http_check_params(req, res, only_f) || check_format(req, res)) return;
    Buf base = BUF_INIT;
    http_base_url(req, &base);
    Buf *b = &res->body;
    buf_puts(b, "{\"title\":");
    json_str(b, req->config->title);
    buf_puts(b, ",\"description\":");
    json_str(b, "OGC API – Features access to vocational education and training institutions and "
                "administrative units");
    buf_puts(b, ",\"links\":[");
    feature_write_link(b, base.data, "/api", NULL, "self", "application/json", "This document");
    buf_putc(b, ',');
    feature_write_link(b, base.data, "/api/openapi.json", NULL, "service-desc",
                       "application/vnd.oai.openapi+json;version=3.0", "The API definition");
    buf_putc(b, ',');
    feature_write_link(b, base.data, "/api/conformance", NULL, "conformance", "application/json",
                       "Conformance classes implemented");
    buf_putc(b, ',');
    feature_write_link(b, base.data, "/api/collections", NULL, "data", "application/json",
                       "The feature collections");
    buf_puts(b, "]}\n");
    buf_free(&base);
}

static void conformance(Request *req, Response *res) {
    if (http_check_params(req, res, only_f) || check_format(req, res)) return;
    buf_puts(&res->body, "{\"conformsTo\":["
                         "\"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core\","
                         "\"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson\","
                         "\"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30\"]}\n");
}

static void openapi(Request *req, Response *res) {
    if (http_check_params(req, res, only_f) || check_format(req, res)) return;
    Buf base = BUF_INIT;
    http_base_url(req, &base);
    if (openapi_write(&res->body, base.data) != 0)
        http_error(res, 500, "ServerError", "cannot build the API definition");
    else
        res->content_type = "application/vnd.oai.openapi+json;version=3.0";
    buf_free(&base);
}

/* ------------------------------------------------------------ extents */

int api_features_extent(sqlite3 *db, const Collection *col, const char *layout, double bbox[4], int *rc) {
    char deflayout[128];
    if (col->kind == COLLECTION_ADMIN && !layout) layout = store_default_layout(db, deflayout, sizeof deflayout);
    if (col->kind == COLLECTION_ADMIN && !layout) return 0;
    const char *sql =
        col->kind == COLLECTION_INSTITUTIONS
            ? "SELECT min(lon), min(lat), max(lon), max(lat) FROM institution "
              "WHERE lon IS NOT NULL AND lat IS NOT NULL"
            : "SELECT min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom)) "
              "FROM admin_unit WHERE layout = ?1 AND level_name = ?2 AND geom IS NOT NULL";
    sqlite3_stmt *st = NULL;
    int r = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (r == SQLITE_OK && col->kind == COLLECTION_ADMIN) {
        sqlite3_bind_text(st, 1, layout, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, col->level_name, -1, SQLITE_STATIC);
    }
    int found = 0;
    if (r == SQLITE_OK) {
        r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            r = SQLITE_OK;
            found = sqlite3_column_type(st, 0) != SQLITE_NULL;
            for (int k = 0; found && k < 4; k++) bbox[k] = sqlite3_column_double(st, k);
        }
    }
    sqlite3_finalize(st);
    if (rc) *rc = r;
    return r == SQLITE_OK ? found : -1;
}

/* --------------------------------------------------------- collections */

/* One collection's metadata object. Returns 0, or -1 after an error response. */
static int write_collection(Request *req, Response *res, Buf *b, const char *base, const Collection *col) {
    double bbox[4];
    int rc = 0;
    int found = api_features_extent(req->db, col, NULL, bbox, &rc);
    if (found < 0) {
        http_db_error(res, req->db, rc);
        return -1;
    }
    char path[160];
    snprintf(path, sizeof path, "/api/collections/%s", col->id);
    buf_puts(b, "{\"id\":");
    json_str(b, col->id);
    buf_puts(b, ",\"title\":");
    json_str(b, col->title);
    buf_puts(b, ",\"description\":");
    json_str(b, col->description);
    buf_puts(b, ",\"itemType\":\"feature\",\"crs\":[\"" CRS84 "\"]");
    if (found) {
        buf_puts(b, ",\"extent\":{\"spatial\":{\"bbox\":[[");
        for (int k = 0; k < 4; k++) {
            if (k) buf_putc(b, ',');
            json_num(b, bbox[k], FEATURE_POINT_DECIMALS);
        }
        buf_puts(b, "]],\"crs\":\"" CRS84 "\"}}");
    }
    buf_puts(b, ",\"links\":[");
    feature_write_link(b, base, path, NULL, "self", "application/json", col->title);
    buf_putc(b, ',');
    strncat(path, "/items", sizeof path - strlen(path) - 1);
    feature_write_link(b, base, path, NULL, "items", GEOJSON_TYPE, "The features");
    buf_puts(b, "]}");
    return 0;
}

static void collections_list(Request *req, Response *res) {
    if (http_check_params(req, res, only_f) || check_format(req, res)) return;
    Buf base = BUF_INIT;
    http_base_url(req, &base);
    Buf *b = &res->body;
    buf_puts(b, "{\"links\":[");
    feature_write_link(b, base.data, "/api/collections", NULL, "self", "application/json",
                       "The feature collections");
    buf_puts(b, "],\"collections\":[");
    for (int i = 0; i < collection_count; i++) {
        if (i) buf_putc(b, ',');
        if (write_collection(req, res, b, base.data, &collections[i]) != 0) break;
    }
    if (res->status == 200) buf_puts(b, "]}\n");
    buf_free(&base);
}

/* ---------------------------------------------------------- items query */

static const SqlFilter institution_filters[] = {
    {"kind", "i.kind"},
    {"ownership", "i.ownership"},
    {"district_code", "i.district_code"},
    {"commune_code", "i.commune_code"},
    {"province_code", "i.province_code"},
    {"location_precision", "i.location_precision"},
    {NULL, NULL},
};

static const SqlFilter admin_filters[] = {
    {"parent_code", "a.parent_code"},
    {"code", "a.code"},
    {NULL, NULL},
};

static const char *const institution_params[] = {"limit", "offset", "bbox", "f", "kind", "ownership",
                                                 "district_code", "commune_code", "province_code",
                                                 "location_precision", NULL};
static const char *const admin_params[] = {"limit", "offset", "bbox", "f", "parent_code", "code", NULL};

typedef struct ItemsQuery {
    const Collection *col;
    char layout[128];         /* bound by pointer: lives as long as the query */
    SqlWhere where;
    long long limit, offset;
} ItemsQuery;

/* The R*Tree prefilter (CASES S1) then the exact test: a point must lie in
 * the box (R*Tree boxes are float32, rounded outwards), a polygon must
 * intersect it. */
static void add_bbox(SqlWhere *w, int inst, const double bb[4]) {
    sqlwhere_sql(w, inst ? " AND i.id IN (SELECT pkid FROM idx_institution_geom"
                         : " AND a.id IN (SELECT pkid FROM idx_admin_unit_geom");
    sqlwhere_sql(w, " WHERE xmin <= ? AND xmax >= ? AND ymin <= ? AND ymax >= ?)");
    sqlwhere_double(w, bb[2]);
    sqlwhere_double(w, bb[0]);
    sqlwhere_double(w, bb[3]);
    sqlwhere_double(w, bb[1]);
    if (inst) {
        sqlwhere_sql(w, " AND i.lon BETWEEN ? AND ? AND i.lat BETWEEN ? AND ?");
        sqlwhere_double(w, bb[0]);
        sqlwhere_double(w, bb[2]);
        sqlwhere_double(w, bb[1]);
        sqlwhere_double(w, bb[3]);
    } else {
        sqlwhere_sql(w, " AND ST_Intersects(a.geom, BuildMbr(?, ?, ?, ?, 4326)) = 1");
        for (int k = 0; k < 4; k++) sqlwhere_double(w, bb[k]);
    }
}

/* Parse and check the items parameters into q (initialised here; free
 * q->where in any case).  Returns 0, or -1 after setting a 400 response. */
static int parse_items(Request *req, Response *res, const Collection *col, ItemsQuery *q) {
    q->col = col;
    q->layout[0] = '\0';
    sqlwhere_init(&q->where);
    int inst = col->kind == COLLECTION_INSTITUTIONS;
    if (http_check_params(req, res, inst ? institution_params : admin_params) || check_format(req, res) ||
        http_query_int(req, res, "limit", 100, 1, 10000, &q->limit) ||
        http_query_int(req, res, "offset", 0, 0, 1000000000LL, &q->offset))
        return -1;
    if (!inst) {
        if (!store_default_layout(req->db, q->layout, sizeof q->layout)) q->layout[0] = '\0';
        sqlwhere_sql(&q->where, " AND a.layout = ? AND a.level_name = ?");
        sqlwhere_text(&q->where, q->layout, -1);
        sqlwhere_text(&q->where, col->level_name, -1);
    }
    double bb[4];
    int has_bbox = 0;
    if (http_query_bbox(req, res, bb, &has_bbox)) return -1;
    if (has_bbox) add_bbox(&q->where, inst, bb);
    return query_filters(&q->where, req, res, inst ? institution_filters : admin_filters);
}

static void items_sql(const ItemsQuery *q, Buf *select, Buf *count) {
    int inst = q->col->kind == COLLECTION_INSTITUTIONS;
    if (inst) {
        buf_puts(select, "SELECT " FEATURE_INSTITUTION_COLUMNS " FROM institution i" FEATURE_INSTITUTION_JOINS);
        buf_puts(count, "SELECT count(*) FROM institution i");
    } else {
        buf_puts(select, "SELECT " FEATURE_ADMIN_COLUMNS " FROM admin_unit a");
        buf_puts(count, "SELECT count(*) FROM admin_unit a");
    }
    buf_puts(select, q->where.sql.data);
    buf_puts(count, q->where.sql.data);
    buf_puts(select, inst ? " ORDER BY i.code LIMIT ? OFFSET ?" : " ORDER BY a.code LIMIT ? OFFSET ?");
}

/* Bind the WHERE values, and LIMIT/OFFSET when paging. */
static int bind_items(sqlite3_stmt *st, const ItemsQuery *q, int paging) {
    int n = sqlwhere_bind(&q->where, st);
    if (n < 0) return SQLITE_RANGE;
    if (paging) {
        sqlite3_bind_int64(st, n + 1, q->limit);
        sqlite3_bind_int64(st, n + 2, q->offset);
    }
    return SQLITE_OK;
}

static void items(Request *req, Response *res, const Collection *col) {
    ItemsQuery q;
    if (parse_items(req, res, col, &q)) {
        sqlwhere_free(&q.where);
        return;
    }
    Buf select = BUF_INIT, count = BUF_INIT, feats = BUF_INIT;
    items_sql(&q, &select, &count);
    sqlite3_stmt *cs = NULL, *st = NULL;
    long long matched = 0, returned = 0;
    int rc = sqlite3_prepare_v2(req->db, count.data, -1, &cs, NULL);
    if (rc == SQLITE_OK) rc = bind_items(cs, &q, 0);
    if (rc == SQLITE_OK) rc = sqlite3_step(cs);
    if (rc == SQLITE_ROW) {
        matched = sqlite3_column_int64(cs, 0);
        rc = sqlite3_prepare_v2(req->db, select.data, -1, &st, NULL);
    }
    if (rc == SQLITE_OK) rc = bind_items(st, &q, 1);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (returned++) buf_putc(&feats, ',');
        if (col->kind == COLLECTION_INSTITUTIONS)
            feature_write_institution(&feats, st, 0, -1);
        else
            feature_write_admin(&feats, st, 0);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE) {
        http_db_error(res, req->db, rc);
    } else {
        res->content_type = GEOJSON_TYPE;
        feature_write_collection(req, &res->body, NULL, q.offset, q.limit, matched, returned, &feats);
    }
    sqlite3_finalize(cs);
    sqlite3_finalize(st);
    buf_free(&select);
    buf_free(&count);
    buf_free(&feats);
    sqlwhere_free(&q.where);
}

static void item(Request *req, Response *res, const Collection *col, const char *fid) {
    if (http_check_params(req, res, only_f) || check_format(req, res)) return;
    int inst = col->kind == COLLECTION_INSTITUTIONS;
    char layout[128] = "";
    const char *sql = inst ? "SELECT " FEATURE_INSTITUTION_COLUMNS " FROM institution i" FEATURE_INSTITUTION_JOINS
                             " WHERE i.code = ?1"
                           : "SELECT " FEATURE_ADMIN_COLUMNS " FROM admin_unit a"
                             " WHERE a.code = ?1 AND a.layout = ?2 AND a.level_name = ?3";
    if (!inst && !store_default_layout(req->db, layout, sizeof layout)) layout[0] = '\0';
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(req->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, fid, -1, SQLITE_STATIC);
        if (!inst) {
            sqlite3_bind_text(st, 2, layout, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, col->level_name, -1, SQLITE_STATIC);
        }
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) {
        Buf *b = &res->body;
        res->content_type = GEOJSON_TYPE;
        if (inst)
            feature_write_institution(b, st, 0, -1);
        else
            feature_write_admin(b, st, 0);
        /* Re-open the Feature object to add its links. */
        b->len--;
        b->data[b->len] = '\0';
        Buf base = BUF_INIT;
        http_base_url(req, &base);
        buf_puts(b, ",\"links\":[");
        feature_write_link(b, base.data, req->path, NULL, "self", GEOJSON_TYPE, "This feature");
        buf_putc(b, ',');
        char path[160];
        snprintf(path, sizeof path, "/api/collections/%s", col->id);
        feature_write_link(b, base.data, path, NULL, "collection", "application/json", col->title);
        buf_puts(b, "]}\n");
        buf_free(&base);
    } else if (rc == SQLITE_DONE) {
        http_error(res, 404, "NotFound", "no feature '%s' in collection '%s'", fid, col->id);
    } else {
        http_db_error(res, req->db, rc);
    }
    sqlite3_finalize(st);
}

/* /api/collections/{id}[/items[/{fid}]] */
static void collection_tree(Request *req, Response *res) {
    const char *rest = req->rest;
    size_t idlen = strcspn(rest, "/");
    char id[64];
    const Collection *col = NULL;
    if (idlen < sizeof id) {
        memcpy(id, rest, idlen);
        id[idlen] = '\0';
        col = collection_find(id);
    }
    if (!col) {
        http_error(res, 404, "NotFound", "no such collection");
        return;
    }
    const char *sub = rest + idlen;
    if (!*sub) {
        if (http_check_params(req, res, only_f) || check_format(req, res)) return;
        Buf base = BUF_INIT;
        http_base_url(req, &base);
        if (write_collection(req, res, &res->body, base.data, col) == 0) buf_putc(&res->body, '\n');
        buf_free(&base);
    } else if (!strcmp(sub, "/items")) {
        items(req, res, col);
    } else if (!strncmp(sub, "/items/", 7) && sub[7] && !strchr(sub + 7, '/')) {
        item(req, res, col, sub + 7);
    } else {
        http_error(res, 404, "NotFound", "no such resource");
    }
}

void api_features_items_sql(Request *req, Response *res) {
    const Collection *col = collection_find(req->rest);
    if (!col) {
        http_error(res, 404, "NotFound", "no such collection");
        return;
    }
    ItemsQuery q;
    if (parse_items(req, res, col, &q) == 0) {
        Buf select = BUF_INIT, count = BUF_INIT;
        items_sql(&q, &select, &count);
        Buf *b = &res->body;
        buf_puts(b, "{\"sql\":");
        json_str(b, select.data);
        buf_puts(b, ",\"count_sql\":");
        json_str(b, count.data);
        buf_puts(b, ",\"params\":");
        sqlwhere_params_json(&q.where, b);
        buf_printf(b, ",\"paging\":[%lld,%lld]}\n", q.limit, q.offset);
        buf_free(&select);
        buf_free(&count);
    }
    sqlwhere_free(&q.where);
    res->cacheable = 0;
}

const Route api_features_routes[] = {
    {"GET", "/api", landing},
    {"GET", "/api/conformance", conformance},
    {"GET", "/api/collections", collections_list},
    {"GET", "/api/collections/", collection_tree},
    {"GET", "/api/openapi.json", openapi},
    {NULL, NULL, NULL},
};
