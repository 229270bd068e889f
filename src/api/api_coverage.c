/* api_coverage.c — /api/coverage, /api/coverage/suggest, /api/coverage/whatif
 * and /api/coverage/layouts (api_coverage.h). */
#include "api/api_coverage.h"
#include "coverage/coverage_report.h"
#include "coverage/coverage_run.h"
#include "coverage/coverage_store.h"
#include "geo/geojson.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEOJSON_TYPE "application/geo+json"
#define CSV_TYPE "text/csv; charset=utf-8"
#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* The parts of a request every endpoint shares. */
typedef struct Ask {
    char layout[64];
    const char *level;
    CovQuery q;
    int with_geometry;
    const char *format;      /* "geojson" | "csv" | "xlsx" */
    int download;            /* f=geojson asked for (the page's own view asks for none) */
} Ask;

/* 400 for COVSTORE_EINVAL, 500 otherwise (the reason goes to the log). */
static void fail(Response *res, int rc, char *err) {
    if (rc == COVSTORE_EINVAL) {
        http_error(res, 400, "InvalidParameterValue", "%s", err ? err : "invalid parameter");
    } else {
        fprintf(stderr, "vetmap: coverage: %s\n", err ? err : "failed");
        http_error(res, 500, "ServerError", "coverage computation failed");
    }
    free(err);
}

static int resolve_layout(Request *req, Response *res, const char *given, Ask *a) {
    if (given) {
        if (!*given || strlen(given) >= sizeof a->layout) {
            http_error(res, 400, "InvalidParameterValue", "layout must name a layout");
            return -1;
        }
        snprintf(a->layout, sizeof a->layout, "%s", given);
        return 0;
    }
    if (!store_default_layout(req->db, a->layout, sizeof a->layout)) {
        http_error(res, 404, "NotFound", "no admin layout has been loaded yet");
        return -1;
    }
    return 0;
}

/* layout, level, radius_km, kind, ownership, occupation, f, geometry. */
static int common_params(Request *req, Response *res, Ask *a, const char *const *formats) {
    memset(a, 0, sizeof *a);
    a->with_geometry = 1;
    if (resolve_layout(req, res, http_query(req, "layout"), a)) return -1;
    a->level = http_query(req, "level");
    if (http_query_double(req, res, "radius_km", 10, COVRUN_MIN_RADIUS_KM, COVRUN_MAX_RADIUS_KM, &a->q.radius_km,
                          NULL))
        return -1;
    a->q.filter.kind = http_query(req, "kind");
    a->q.filter.ownership = http_query(req, "ownership");
    a->q.filter.occupation = http_query(req, "occupation");
    const char *f = http_query(req, "f");
    a->format = "geojson";
    if (f) {
        int ok = 0;
        for (int i = 0; formats[i] && !ok; i++) ok = !strcmp(f, formats[i]);
        if (!strcmp(f, "json")) ok = 1; /* json is the GeoJSON */
        if (!ok) {
            http_error(res, 400, "InvalidParameterValue", "f must be one of %s%s%s%s%s", formats[0],
                       formats[1] ? ", " : "", formats[1] ? formats[1] : "", formats[1] && formats[2] ? ", " : "",
                       formats[1] && formats[2] ? formats[2] : "");
            return -1;
        }
        if (strcmp(f, "json")) a->format = f;
        a->download = !strcmp(f, "geojson");
    }
    const char *g = http_query(req, "geometry");
    if (g) {
        if (strcmp(g, "true") && strcmp(g, "false")) {
            http_error(res, 400, "InvalidParameterValue", "geometry must be true or false");
            return -1;
        }
        a->with_geometry = !strcmp(g, "true");
    }
    return 0;
}

/* Load the layer, run, and hand the run to `out`; errors answered here. */
static void answer(Request *req, Response *res, Ask *a,
                   void (*out)(Request *, Response *, const Ask *, const CovRun *)) {
    char *err = NULL;
    int rc = covrun_check(&a->q, &err);
    if (rc != COVSTORE_OK) {
        fail(res, rc, err);
        return;
    }
    CovLayer *L = NULL;
    rc = covstore_layer_get(req->db, req->data_version, a->layout, a->level, &L, &err);
    if (rc != COVSTORE_OK) {
        fail(res, rc, err);
        return;
    }
    CovRun run;
    rc = covrun_execute(req->db, L, &a->q, &run, &err);
    if (rc != COVSTORE_OK) fail(res, rc, err);
    else out(req, res, a, &run);
    covrun_free(&run);
    covstore_layer_release(L);
}

/* "coverage_2025_10km.csv" */
static void attachment(Response *res, const CovRun *run, const Ask *a, const char *what, const char *ext) {
    char name[160], header[200];
    snprintf(name, sizeof name, "%s_%s_%gkm.%s", what, run->layer->layout, a->q.radius_km, ext);
    for (char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '_' || *p == '-'))
            *p = '_';
    snprintf(header, sizeof header, "attachment; filename=\"%s\"", name);
    http_add_header(res, "Content-Disposition", header);
}

static void write_table(Response *res, const Ask *a, const CovRun *run, CovTable what, const char *name) {
    char *err = NULL;
    int csv = !strcmp(a->format, "csv");
    if (covreport_table(&res->body, csv ? "CSV" : "XLSX", csv ? what : COVTABLE_WORKBOOK, run, &a->q, &err) !=
        0) {
        fail(res, COVSTORE_EFAIL, err);
        return;
    }
    res->content_type = csv ? CSV_TYPE : XLSX_TYPE;
    attachment(res, run, a, name, csv ? "csv" : "xlsx");
}

static void out_coverage(Request *req, Response *res, const Ask *a, const CovRun *run) {
    if (strcmp(a->format, "geojson")) {
        write_table(res, a, run, COVTABLE_UNITS, "coverage");
        return;
    }
    char *err = NULL;
    if (covreport_geojson(&res->body, req->db, run, &a->q, a->with_geometry, &err) != 0) {
        fail(res, COVSTORE_EFAIL, err);
        return;
    }
    res->content_type = GEOJSON_TYPE;
    if (a->download) attachment(res, run, a, "coverage", "geojson");
}

static void out_suggest(Request *req, Response *res, const Ask *a, const CovRun *run) {
    if (strcmp(a->format, "geojson")) {
        write_table(res, a, run, COVTABLE_SUGGESTIONS, "suggestions");
        return;
    }
    covreport_suggest_geojson(&res->body, run, &a->q);
    res->content_type = GEOJSON_TYPE;
    if (a->download) attachment(res, run, a, "suggestions", "geojson");
}

static const char *const COVERAGE_PARAMS[] = {"layout", "level", "radius_km", "kind", "ownership", "occupation",
                                              "f", "geometry", NULL};
static const char *const COVERAGE_FORMATS[] = {"geojson", "csv", "xlsx", NULL};

static void coverage(Request *req, Response *res) {
    Ask a;
    if (http_check_params(req, res, COVERAGE_PARAMS) || common_params(req, res, &a, COVERAGE_FORMATS)) return;
    answer(req, res, &a, out_coverage);
}

static const char *const SUGGEST_PARAMS[] = {"layout", "level", "radius_km", "kind", "ownership", "occupation",
                                             "f", "k", "candidates", "grid_km", NULL};
static const char *const SUGGEST_FORMATS[] = {"geojson", "csv", NULL};

static void suggest(Request *req, Response *res) {
    Ask a;
    long long k;
    if (http_check_params(req, res, SUGGEST_PARAMS) || common_params(req, res, &a, SUGGEST_FORMATS) ||
        http_query_int(req, res, "k", 5, 1, COV_MAX_SUGGEST, &k) ||
        http_query_double(req, res, "grid_km", 0, COVRUN_MIN_GRID_KM, COVRUN_MAX_RADIUS_KM, &a.q.grid_km, NULL))
        return;
    a.q.k = (int)k;
    const char *c = http_query(req, "candidates");
    if (c && strcmp(c, "points") && strcmp(c, "grid")) {
        http_error(res, 400, "InvalidParameterValue", "candidates must be points or grid");
        return;
    }
    a.q.grid = c && !strcmp(c, "grid");
    answer(req, res, &a, out_suggest);
}

/* ------------------------------------------------------------------ what-if */

/* A filter given as "a,b" or ["a", "b"]: *out is a malloc'd "a,b" or NULL. */
static int json_list(const cJSON *v, const char *name, char **out, char *why, size_t n) {
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return 0;
    if (cJSON_IsString(v)) {
        *out = strdup(v->valuestring);
        return *out ? 0 : -1;
    }
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) {
        snprintf(why, n, "%s must be a string or a non-empty array of strings", name);
        return -1;
    }
    Buf b = BUF_INIT;
    const cJSON *x;
    cJSON_ArrayForEach(x, v) {
        if (!cJSON_IsString(x) || !*x->valuestring || strchr(x->valuestring, ',')) {
            snprintf(why, n, "%s must hold non-empty strings", name);
            buf_free(&b);
            return -1;
        }
        if (b.len) buf_putc(&b, ',');
        buf_puts(&b, x->valuestring);
    }
    *out = buf_detach(&b, NULL);
    return *out ? 0 : -1;
}

static const char *const WHATIF_KEYS[] = {"layout", "level", "radius_km", "kind", "ownership", "occupation",
                                          "add", "remove", "geometry", NULL};
static const char *const ADD_KEYS[] = {"lon", "lat", "name", "code", "kind", "ownership", NULL};

static int known_keys(const cJSON *obj, const char *const *keys, char *why, size_t n, const char *where) {
    const cJSON *c;
    cJSON_ArrayForEach(c, obj) {
        int ok = 0;
        for (int i = 0; keys[i] && !ok; i++) ok = !strcmp(c->string, keys[i]);
        if (!ok) {
            snprintf(why, n, "unknown member '%.60s'%s", c->string, where);
            return -1;
        }
    }
    return 0;
}

static int opt_string(const cJSON *obj, const char *key, const char **out, char *why, size_t n) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsString(v)) {
        snprintf(why, n, "%s must be a string", key);
        return -1;
    }
    *out = v->valuestring;
    return 0;
}

/* Parse the body into a (JSON-backed) Ask.  Strings stay owned by root,
 * the lists by *kind / *ownership / *add / *remove. */
typedef struct WhatIf {
    cJSON *root;
    Ask a;
    char *kind, *ownership;
    CovSite *add;
    const char **remove;
} WhatIf;

static void whatif_free(WhatIf *w) {
    cJSON_Delete(w->root);
    free(w->kind);
    free(w->ownership);
    free(w->add);
    free(w->remove);
}

static int whatif_parse(Request *req, Response *res, WhatIf *w) {
    char why[200] = "";
    memset(w, 0, sizeof *w);
    Ask *a = &w->a;
    a->with_geometry = 1;
    a->format = "geojson";
    a->q.radius_km = 10;
    w->root = req->body && req->body_len ? cJSON_ParseWithLength(req->body, req->body_len) : NULL;
    if (!cJSON_IsObject(w->root)) {
        http_error(res, 400, "InvalidParameterValue", "the body must be a JSON object");
        return -1;
    }
    const cJSON *r = w->root;
    const char *layout = NULL, *occupation = NULL;
    if (known_keys(r, WHATIF_KEYS, why, sizeof why, "") || opt_string(r, "layout", &layout, why, sizeof why) ||
        opt_string(r, "level", &a->level, why, sizeof why) ||
        opt_string(r, "occupation", &occupation, why, sizeof why) ||
        json_list(cJSON_GetObjectItemCaseSensitive(r, "kind"), "kind", &w->kind, why, sizeof why) ||
        json_list(cJSON_GetObjectItemCaseSensitive(r, "ownership"), "ownership", &w->ownership, why, sizeof why))
        goto bad;
    const cJSON *rad = cJSON_GetObjectItemCaseSensitive(r, "radius_km");
    if (rad) {
        if (!cJSON_IsNumber(rad)) {
            snprintf(why, sizeof why, "radius_km must be a number");
            goto bad;
        }
        a->q.radius_km = rad->valuedouble;
    }
    const cJSON *geo = cJSON_GetObjectItemCaseSensitive(r, "geometry");
    if (geo) {
        if (!cJSON_IsBool(geo)) {
            snprintf(why, sizeof why, "geometry must be true or false");
            goto bad;
        }
        a->with_geometry = cJSON_IsTrue(geo);
    }
    const cJSON *add = cJSON_GetObjectItemCaseSensitive(r, "add");
    if (add && !cJSON_IsNull(add)) {
        int n = cJSON_IsArray(add) ? cJSON_GetArraySize(add) : -1;
        if (n < 0 || n > COVRUN_MAX_WHATIF) {
            snprintf(why, sizeof why, "add must be an array of at most %d sites", COVRUN_MAX_WHATIF);
            goto bad;
        }
        w->add = calloc((size_t)(n ? n : 1), sizeof *w->add);
        if (!w->add) goto oom;
        int i = 0;
        const cJSON *s;
        cJSON_ArrayForEach(s, add) {
            char where[32];
            snprintf(where, sizeof where, " in add[%d]", i);
            const cJSON *lon = cJSON_GetObjectItemCaseSensitive(s, "lon"), *lat = cJSON_GetObjectItemCaseSensitive(s, "lat");
            if (!cJSON_IsObject(s) || known_keys(s, ADD_KEYS, why, sizeof why, where)) {
                if (!why[0]) snprintf(why, sizeof why, "add[%d] must be an object", i);
                goto bad;
            }
            if (!cJSON_IsNumber(lon) || !cJSON_IsNumber(lat)) {
                snprintf(why, sizeof why, "add[%d] needs numbers lon and lat", i);
                goto bad;
            }
            CovSite *x = &w->add[i];
            x->lon = lon->valuedouble;
            x->lat = lat->valuedouble;
            x->unit = -1;
            if (opt_string(s, "code", &x->code, why, sizeof why) || opt_string(s, "name", &x->name, why, sizeof why) ||
                opt_string(s, "kind", &x->kind, why, sizeof why) ||
                opt_string(s, "ownership", &x->ownership, why, sizeof why))
                goto bad;
            i++;
        }
        a->q.add = w->add;
        a->q.n_add = (size_t)n;
    }
    const cJSON *rem = cJSON_GetObjectItemCaseSensitive(r, "remove");
    if (rem && !cJSON_IsNull(rem)) {
        int n = cJSON_IsArray(rem) ? cJSON_GetArraySize(rem) : -1;
        if (n < 0 || n > COVRUN_MAX_WHATIF) {
            snprintf(why, sizeof why, "remove must be an array of at most %d institution codes", COVRUN_MAX_WHATIF);
            goto bad;
        }
        w->remove = calloc((size_t)(n ? n : 1), sizeof *w->remove);
        if (!w->remove) goto oom;
        int i = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, rem) {
            if (!cJSON_IsString(c)) {
                snprintf(why, sizeof why, "remove[%d] must be an institution code", i);
                goto bad;
            }
            w->remove[i++] = c->valuestring;
        }
        a->q.remove = w->remove;
        a->q.n_remove = (size_t)n;
    }
    a->q.filter = (CovFilter){w->kind, w->ownership, occupation};
    return resolve_layout(req, res, layout, a);
bad:
    http_error(res, 400, "InvalidParameterValue", "%s", why);
    return -1;
oom:
    http_error(res, 500, "ServerError", "out of memory");
    return -1;
}

static void whatif(Request *req, Response *res) {
    res->cacheable = 0;
    WhatIf w;
    if (whatif_parse(req, res, &w) == 0) answer(req, res, &w.a, out_coverage);
    whatif_free(&w);
}

/* ------------------------------------------------------------------ layouts */

/* End a layout object: the level coverage analyses by default (the finest
 * with population, else the finest present: as coverage_store.c picks). */
static void close_layout(Buf *b, const char *with_population, const char *finest) {
    const char *lv = with_population[0] ? with_population : finest;
    buf_puts(b, "],\"coverage_level\":");
    json_str(b, lv[0] ? lv : NULL);
    buf_putc(b, '}');
}

static void layouts(Request *req, Response *res) {
    static const char *const none[] = {NULL};
    if (http_check_params(req, res, none)) return;
    sqlite3_stmt *st = NULL;
    const char *sql =
        "SELECT l.name, l.is_default, l.description, a.level_name, count(a.id),"
        " count(coalesce(a.population, p.population)) "
        "FROM layout l LEFT JOIN admin_unit a ON a.layout = l.name LEFT JOIN coverage_population p"
        " ON p.layout = a.layout AND p.level_name = a.level_name AND p.code = a.code GROUP BY l.name, a.level_name "
        "ORDER BY l.name, CASE a.level_name WHEN 'province' THEN 1 WHEN 'district' THEN 2 ELSE 3 END";
    if (sqlite3_prepare_v2(req->db, sql, -1, &st, NULL) != SQLITE_OK) {
        http_error(res, 500, "ServerError", "internal database error");
        return;
    }
    Buf *b = &res->body;
    buf_puts(b, "{\"layouts\":[");
    char current[64] = "", coverage_level[16] = "", finest[16] = "";
    int n = 0, nl = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (strcmp(name, current)) {
            if (n++) close_layout(b, coverage_level, finest);
            snprintf(current, sizeof current, "%s", name);
            coverage_level[0] = finest[0] = 0;
            nl = 0;
            buf_puts(b, n > 1 ? ",{\"name\":" : "{\"name\":");
            json_str(b, name);
            buf_printf(b, ",\"is_default\":%s,\"description\":", sqlite3_column_int(st, 1) ? "true" : "false");
            json_str(b, (const char *)sqlite3_column_text(st, 2));
            buf_puts(b, ",\"levels\":[");
        }
        if (sqlite3_column_type(st, 3) == SQLITE_NULL) continue;
        const char *level = (const char *)sqlite3_column_text(st, 3);
        /* rows come coarse to fine: the last with population is the finest */
        if (sqlite3_column_int(st, 5) > 0) snprintf(coverage_level, sizeof coverage_level, "%s", level);
        snprintf(finest, sizeof finest, "%s", level);
        buf_puts(b, nl++ ? ",{\"level\":" : "{\"level\":");
        json_str(b, level);
        buf_printf(b, ",\"units\":%d,\"with_population\":%d}", sqlite3_column_int(st, 4), sqlite3_column_int(st, 5));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        buf_reset(b);
        http_error(res, 500, "ServerError", "internal database error");
        return;
    }
    if (n) close_layout(b, coverage_level, finest);
    buf_puts(b, "]}\n");
}

const Route api_coverage_routes[] = {
    {"GET", "/api/coverage", coverage},
    {"GET", "/api/coverage/suggest", suggest},
    {"POST", "/api/coverage/whatif", whatif},
    {"GET", "/api/coverage/layouts", layouts},
    {NULL, NULL, NULL},
};
