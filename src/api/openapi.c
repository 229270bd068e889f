/* openapi.c — the OpenAPI 3.0 document (openapi.h), built from two tables:
 * parameters and operations (method + path). */
#include "api/openapi.h"
#include "store/collections.h"
#include "coverage/coverage_run.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

typedef enum { T_STRING, T_INTEGER, T_NUMBER, T_BBOX } ParamType;

typedef struct Param {
    const char *key;          /* table key, referenced by operations */
    const char *name;         /* parameter name on the wire */
    const char *in;           /* "query", "path" or "header" */
    ParamType type;
    int required;
    double min, max;          /* integers/numbers; min > max = unbounded */
    double def;               /* integers with a default: def >= min */
    const char *enums;        /* comma-separated allowed values, or NULL */
    const char *description;
} Param;

#define KINDS "college,intermediate_school,vet_centre,other"
#define OWNERSHIPS "public,private,foreign,unknown"
#define PRECISIONS "surveyed,address,commune_centroid,district_centroid,unknown"
#define LIST " A comma-separated list matches any of the values."

static const Param params[] = {
    {"collectionId", "collectionId", "path", T_STRING, 1, 1, 0, 0, NULL,
     "Collection identifier (see /api/collections)."},
    {"featureId", "featureId", "path", T_STRING, 1, 1, 0, 0, NULL,
     "Feature identifier: the institution code, or the GSO code of the admin unit."},
    {"limit", "limit", "query", T_INTEGER, 0, 1, 10000, 100, NULL, "Number of features per page."},
    {"offset", "offset", "query", T_INTEGER, 0, 0, 1e9, 0, NULL, "Number of features to skip (paging)."},
    {"bbox", "bbox", "query", T_BBOX, 0, 1, 0, 0, NULL,
     "Only features whose geometry intersects the box west,south,east,north (WGS84 degrees, CRS84)."},
    {"f", "f", "query", T_STRING, 0, 1, 0, 0, "json", "Output format; JSON is the only one."},
    {"kind", "kind", "query", T_STRING, 0, 1, 0, 0, NULL,
     "Institutions only: kind of institution (" KINDS ")." LIST},
    {"ownership", "ownership", "query", T_STRING, 0, 1, 0, 0, NULL,
     "Institutions only: ownership (" OWNERSHIPS ")." LIST},
    {"district_code", "district_code", "query", T_STRING, 0, 1, 0, 0, NULL,
     "Institutions only: GSO code of the district." LIST},
    {"commune_code", "commune_code", "query", T_STRING, 0, 1, 0, 0, NULL,
     "Institutions only: GSO code of the commune." LIST},
    {"province_code", "province_code", "query", T_STRING, 0, 1, 0, 0, NULL,
     "Institutions only: GSO code of the province." LIST},
    {"location_precision", "location_precision", "query", T_STRING, 0, 1, 0, 0, NULL,
     "Institutions only: how the location is known (" PRECISIONS ")." LIST},
    {"parent_code", "parent_code", "query", T_STRING, 0, 1, 0, 0, NULL,
     "Admin collections only: GSO code of the parent unit." LIST},
    {"code", "code", "query", T_STRING, 0, 1, 0, 0, NULL, "Admin collections only: GSO code." LIST},
    {"q", "q", "query", T_STRING, 1, 1, 0, 0, NULL,
     "Search text; marks and case are ignored (\"cao dang\" finds \"Cao đẳng\"), each word matches as a "
     "prefix, all words must match; names with the exact marks typed rank first."},
    {"search_kind", "kind", "query", T_STRING, 0, 1, 0, 0, NULL, "Kind of institution (" KINDS ")." LIST},
    {"search_ownership", "ownership", "query", T_STRING, 0, 1, 0, 0, NULL, "Ownership (" OWNERSHIPS ")." LIST},
    {"search_district", "district_code", "query", T_STRING, 0, 1, 0, 0, NULL, "GSO code of the district." LIST},
    {"search_limit", "limit", "query", T_INTEGER, 0, 1, 100, 20, NULL, "Number of results per page."},
    {"lon", "lon", "query", T_NUMBER, 1, -180, 180, 0, NULL, "Longitude of the reference point (WGS84 degrees)."},
    {"lat", "lat", "query", T_NUMBER, 1, -90, 90, 0, NULL, "Latitude of the reference point (WGS84 degrees)."},
    {"nearest_limit", "limit", "query", T_INTEGER, 0, 1, 50, 10, NULL, "Number of institutions returned."},
    {"cov_layout", "layout", "query", T_STRING, 0, 1, 0, 0, NULL, "Admin layout (default: the default layout)."},
    {"cov_radius", "radius_km", "query", T_NUMBER, 0, 0.1, 500, 0, NULL,
     "Catchment radius around each institution, km (default 10)."},
    {"cov_level", "level", "query", T_STRING, 0, 1, 0, 0, "province,district,commune",
     "Admin level analysed (default: the finest level with population)."},
    {"cov_occupation", "occupation", "query", T_STRING, 0, 1, 0, 0, NULL,
     "Only institutions training this occupation code." LIST},
    {"cov_f", "f", "query", T_STRING, 0, 1, 0, 0, "geojson,csv,xlsx", "Output format (csv/xlsx: a download)."},
    {"cov_geometry", "geometry", "query", T_STRING, 0, 1, 0, 0, "true,false", "Include unit polygons."},
    {"cov_k", "k", "query", T_INTEGER, 0, 1, 100, 5, NULL, "Number of new sites suggested."},
    {"cov_candidates", "candidates", "query", T_STRING, 0, 1, 0, 0, "points,grid",
     "Candidate sites: unit points or a regular grid."},
    {"cov_grid", "grid_km", "query", T_NUMBER, 0, 0.1, 500, 0, NULL, "Grid spacing for grid candidates, km."},
    {"cov_suggest_f", "f", "query", T_STRING, 0, 1, 0, 0, "geojson,csv", "Output format."},
    {"change_status", "status", "query", T_STRING, 0, 1, 0, 0, "pending,approved,rejected,superseded,all",
     "Change requests in this state."},
    {"change_institution", "institution", "query", T_STRING, 0, 1, 0, 0, NULL, "Institution code."},
    {"change_limit", "limit", "query", T_INTEGER, 0, 1, 1000, 200, NULL, "Number of change requests."},
    {"changeId", "id", "path", T_INTEGER, 1, 1, 0, 0, NULL, "Change request id."},
    {"accountId", "id", "path", T_INTEGER, 1, 1, 0, 0, NULL, "Account id."},
    {"code", "code", "path", T_STRING, 1, 1, 0, 0, NULL, "Institution code."},
    {"ifMatch", "If-Match", "header", T_STRING, 1, 1, 0, 0, NULL,
     "The item's ETag as last read (412 when stale, 428 when missing)."},
    {"csrf", "X-CSRF-Token", "header", T_STRING, 1, 1, 0, 0, NULL,
     "The session's CSRF token (state-changing requests behind the login)."},
    {"tileCollection", "collection", "path", T_STRING, 1, 1, 0, 0, NULL, "Collection identifier."},
    {"z", "z", "path", T_INTEGER, 1, 0, 20, 0, NULL, "Zoom level (XYZ)."},
    {"x", "x", "path", T_INTEGER, 1, 0, 1048575, 0, NULL, "Tile column, 0 .. 2^z - 1, from the west."},
    {"y", "y", "path", T_INTEGER, 1, 0, 1048575, 0, NULL,
     "Tile row, 0 .. 2^z - 1, from the north (XYZ, not TMS)."},
};

typedef struct Op {
    const char *method;       /* "get", "post", "patch", "delete" */
    const char *path;
    const char *id;           /* operationId */
    const char *tag;
    const char *summary;
    const char *type;         /* media type of the 200 response */
    const char *params;       /* comma-separated Param keys */
    const char *errors;       /* comma-separated error statuses */
    const char *body;         /* media type of the request body, or NULL */
} Op;

#define GEO "application/geo+json"
#define JSON "application/json"
#define ITEM_FILTERS "kind,ownership,district_code,commune_code,province_code,location_precision,parent_code,code"

static const Op ops[] = {
    {"get", "/api", "getLandingPage", "Capabilities", "Landing page", JSON, "f", "400", NULL},
    {"get", "/api/conformance", "getConformance", "Capabilities", "Conformance classes", JSON, "f", "400", NULL},
    {"get", "/api/openapi.json", "getOpenAPI", "Capabilities", "This API definition",
     "application/vnd.oai.openapi+json;version=3.0", "f", "400", NULL},
    {"get", "/api/collections", "getCollections", "Capabilities", "The feature collections", JSON, "f", "400",
     NULL},
    {"get", "/api/collections/{collectionId}", "describeCollection", "Capabilities",
     "One collection, with its spatial extent", JSON, "collectionId,f", "400,404", NULL},
    {"get", "/api/collections/{collectionId}/items", "getFeatures", "Data",
     "Features of a collection (paged, links next/prev keep every parameter)", GEO,
     "collectionId,limit,offset,bbox,f," ITEM_FILTERS, "400,404,503", NULL},
    {"get", "/api/collections/{collectionId}/items/{featureId}", "getFeature", "Data",
     "One feature (institutions: with the version ETag used by If-Match)", GEO, "collectionId,featureId,f",
     "400,404", NULL},
    {"get", "/api/search", "search", "Search", "Search institutions by name, address or place (FeatureCollection)",
     GEO, "q,search_kind,search_ownership,search_district,search_limit,offset", "400,503", NULL},
    {"get", "/api/nearest", "nearest", "Search",
     "Institutions nearest to a point by geodesic distance on WGS84; property distance_km", GEO,
     "lon,lat,nearest_limit,search_kind", "400,503", NULL},
    {"get", "/tiles/{collection}/{z}/{x}/{y}.geojson", "getTile", "Tiles",
     "A GeoJSON tile (XYZ); institutions are clustered below the configured zoom", GEO,
     "tileCollection,z,x,y,search_kind,search_ownership,search_district", "400,404", NULL},
    {"get", "/tiles/{collection}.json", "getTileJSON", "Tiles", "TileJSON document of a tiled collection", JSON,
     "tileCollection", "404", NULL},
    {"get", "/api/coverage", "getCoverage", "Planning",
     "Population within reach of the network, per admin unit (FeatureCollection, CSV or XLSX)", GEO,
     "cov_layout,cov_radius,cov_level,search_kind,search_ownership,cov_occupation,cov_f,cov_geometry", "400",
     NULL},
    {"get", "/api/coverage/suggest", "suggestSites", "Planning",
     "k new sites chosen greedily for the population they add", GEO,
     "cov_layout,cov_radius,cov_level,search_kind,search_ownership,cov_occupation,cov_k,cov_candidates,cov_grid,"
     "cov_suggest_f",
     "400", NULL},
    {"post", "/api/coverage/whatif", "coverageWhatIf", "Planning",
     "Coverage of the network with sites added or removed (nothing is written)", GEO, "", "400,404", JSON},
    {"get", "/api/coverage/layouts", "getCoverageLayouts", "Planning", "Layouts and levels that can be analysed",
     JSON, "", "", NULL},
    {"post", "/api/session", "login", "Accounts", "Log in: sets the session cookie, returns the CSRF token", JSON,
     "", "400,401,429", JSON},
    {"get", "/api/session", "getSession", "Accounts", "The current account and CSRF token", JSON, "", "401", NULL},
    {"delete", "/api/session", "logout", "Accounts", "Log out", JSON, "csrf", "401,403", NULL},
    {"post", "/api/activate", "activate", "Accounts", "Set a password with a one-time activation token", JSON, "",
     "400", JSON},
    {"get", "/api/accounts", "listAccounts", "Accounts", "Every account (admin)", JSON, "", "401,403", NULL},
    {"post", "/api/accounts", "createAccount", "Accounts", "Create an account (admin): one-time activation token",
     JSON, "csrf", "400,401,403,409,422", JSON},
    {"patch", "/api/accounts/{id}", "updateAccount", "Accounts", "Disable or enable an account (admin)", JSON,
     "accountId,csrf", "400,401,403,404", JSON},
    {"post", "/api/accounts/{id}/reset", "resetAccount", "Accounts",
     "New activation token, sessions ended (admin)", JSON, "accountId,csrf", "401,403,404", JSON},
    {"patch", "/api/collections/institutions/items/{code}", "editInstitution", "Editing",
     "Edit an institution (JSON merge patch): 200 published, 202 waiting for approval", JSON,
     "code,ifMatch,csrf", "400,401,403,404,412,415,422,428", "application/merge-patch+json"},
    {"get", "/api/collections/institutions/items/{code}/history", "getHistory", "Editing",
     "Audit history of an institution (admin or the school itself)", JSON, "code", "401,403,404", NULL},
    {"post", "/api/collections/institutions/items/{code}/revert", "revertInstitution", "Editing",
     "Revert an institution to an earlier version (admin)", JSON, "code,csrf", "400,401,403,404,409", JSON},
    {"get", "/api/institutions/{code}", "getEditorView", "Editing",
     "The editor's view: published snapshot, ETag, pending request", JSON, "code", "401,403,404", NULL},
    {"get", "/api/changes", "listChanges", "Editing", "Change requests, newest first", JSON,
     "change_status,change_institution,change_limit", "400,401", NULL},
    {"get", "/api/changes/{id}", "getChange", "Editing", "One change request with before/after", JSON,
     "changeId", "401,403,404", NULL},
    {"post", "/api/changes/{id}/approve", "approveChange", "Editing", "Approve a pending change (admin)", JSON,
     "changeId,csrf", "401,403,404,409", JSON},
    {"post", "/api/changes/{id}/reject", "rejectChange", "Editing", "Reject a pending change (admin)", JSON,
     "changeId,csrf", "401,403,404,409", JSON},
    {"get", "/api/health", "getHealth", "Service", "Liveness and the current data version", JSON, "", "", NULL},
    {"get", "/api/config", "getConfig", "Service", "Settings for the web map: title, basemap, clustering, extent",
     JSON, "", "", NULL},
};

static const Param *find_param(const char *key, size_t n) {
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        if (strlen(params[i].key) == n && !strncmp(params[i].key, key, n)) return &params[i];
    return NULL;
}

static cJSON *schema_for(const Param *p) {
    cJSON *s = cJSON_CreateObject();
    switch (p->type) {
    case T_BBOX: {
        cJSON_AddStringToObject(s, "type", "array");
        cJSON_AddNumberToObject(s, "minItems", 4);
        cJSON_AddNumberToObject(s, "maxItems", 4);
        cJSON *it = cJSON_AddObjectToObject(s, "items");
        cJSON_AddStringToObject(it, "type", "number");
        break;
    }
    case T_INTEGER:
    case T_NUMBER:
        cJSON_AddStringToObject(s, "type", p->type == T_INTEGER ? "integer" : "number");
        if (p->min <= p->max) {
            cJSON_AddNumberToObject(s, "minimum", p->min);
            cJSON_AddNumberToObject(s, "maximum", p->max);
        }
        if (p->type == T_INTEGER && !p->required) cJSON_AddNumberToObject(s, "default", p->def);
        break;
    default:
        cJSON_AddStringToObject(s, "type", "string");
        if (p->enums) {
            cJSON *e = cJSON_AddArrayToObject(s, "enum");
            for (const char *v = p->enums; *v;) {
                size_t n = strcspn(v, ",");
                char tmp[64];
                snprintf(tmp, sizeof tmp, "%.*s", (int)n, v);
                cJSON_AddItemToArray(e, cJSON_CreateString(tmp));
                v += n + (v[n] == ',');
            }
        }
    }
    return s;
}

static cJSON *param_object(const Param *p) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", p->name);
    cJSON_AddStringToObject(o, "in", p->in);
    cJSON_AddStringToObject(o, "description", p->description);
    cJSON_AddBoolToObject(o, "required", p->required);
    if (p->type == T_BBOX) {
        cJSON_AddStringToObject(o, "style", "form");
        cJSON_AddBoolToObject(o, "explode", 0);
    }
    cJSON *schema = schema_for(p);
    if (!strcmp(p->key, "collectionId") || !strcmp(p->key, "tileCollection")) {
        cJSON *e = cJSON_AddArrayToObject(schema, "enum");
        for (int i = 0; i < collection_count; i++) cJSON_AddItemToArray(e, cJSON_CreateString(collections[i].id));
    }
    cJSON_AddItemToObject(o, "schema", schema);
    return o;
}

static const char *error_text(const char *status) {
    if (!strcmp(status, "400")) return "Invalid parameter (JSON error {code, description})";
    if (!strcmp(status, "401")) return "Not logged in, or the session expired";
    if (!strcmp(status, "403")) return "Not allowed for this account, or a missing/wrong CSRF token";
    if (!strcmp(status, "404")) return "Not found (JSON error)";
    if (!strcmp(status, "409")) return "Conflict with the current state";
    if (!strcmp(status, "412")) return "The If-Match tag is stale";
    if (!strcmp(status, "415")) return "Unsupported request body type";
    if (!strcmp(status, "422")) return "The values do not validate";
    if (!strcmp(status, "428")) return "If-Match is required";
    if (!strcmp(status, "429")) return "Too many attempts; see Retry-After";
    if (!strcmp(status, "503")) return "Database busy; retry after the Retry-After seconds";
    return "Error";
}

/* ------------------------------------------------------ body schemas */

static cJSON *typed(const char *type, const char *description) {
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "type", type);
    if (description) cJSON_AddStringToObject(s, "description", description);
    return s;
}

static cJSON *number_in(double min, double max, const char *description) {
    cJSON *s = typed("number", description);
    cJSON_AddNumberToObject(s, "minimum", min);
    cJSON_AddNumberToObject(s, "maximum", max);
    return s;
}

static cJSON *enum_string(const char *const *values, const char *description) {
    cJSON *s = typed("string", description);
    cJSON *e = cJSON_AddArrayToObject(s, "enum");
    for (int i = 0; values[i]; i++) cJSON_AddItemToArray(e, cJSON_CreateString(values[i]));
    return s;
}

/* A filter of the what-if body: "a,b" or ["a", "b"]. */
static cJSON *filter_list(const char *const *values, const char *what) {
    char desc[160];
    snprintf(desc, sizeof desc, "Only institutions with this %s: a comma-separated string or an array.", what);
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "description", desc);
    cJSON *one = cJSON_AddArrayToObject(s, "oneOf");
    cJSON_AddItemToArray(one, typed("string", NULL));
    cJSON *arr = typed("array", NULL);
    cJSON_AddNumberToObject(arr, "minItems", 1);
    cJSON_AddItemToObject(arr, "items", enum_string(values, NULL));
    cJSON_AddItemToArray(one, arr);
    return s;
}

/* The body of POST /api/coverage/whatif, member for member as
 * api_coverage.c reads it (unknown members are refused). */
static cJSON *whatif_schema(void) {
    cJSON *s = typed("object", "Coverage with hypothetical sites added and institutions removed.");
    cJSON_AddBoolToObject(s, "additionalProperties", 0);
    cJSON *p = cJSON_AddObjectToObject(s, "properties");
    cJSON_AddItemToObject(p, "layout", typed("string", "Admin layout (default: the default layout)."));
    static const char *const levels[] = {"province", "district", "commune", NULL};
    cJSON_AddItemToObject(p, "level", enum_string(levels, "Admin level analysed (default: the finest with "
                                                          "population)."));
    cJSON *radius = number_in(COVRUN_MIN_RADIUS_KM, COVRUN_MAX_RADIUS_KM, "Catchment radius, km.");
    cJSON_AddNumberToObject(radius, "default", 10);
    cJSON_AddItemToObject(p, "radius_km", radius);
    cJSON_AddItemToObject(p, "kind", filter_list(institution_kinds, "kind"));
    cJSON_AddItemToObject(p, "ownership", filter_list(institution_ownerships, "ownership"));
    cJSON_AddItemToObject(p, "occupation", typed("string", "Only institutions training this occupation code."));
    cJSON *geometry = typed("boolean", "Include unit polygons.");
    cJSON_AddBoolToObject(geometry, "default", 1);
    cJSON_AddItemToObject(p, "geometry", geometry);

    cJSON *site = typed("object", "A hypothetical institution.");
    cJSON_AddBoolToObject(site, "additionalProperties", 0);
    cJSON *req = cJSON_AddArrayToObject(site, "required");
    cJSON_AddItemToArray(req, cJSON_CreateString("lon"));
    cJSON_AddItemToArray(req, cJSON_CreateString("lat"));
    cJSON *sp = cJSON_AddObjectToObject(site, "properties");
    cJSON_AddItemToObject(sp, "lon", number_in(-180, 180, "Longitude (WGS84 degrees)."));
    cJSON_AddItemToObject(sp, "lat", number_in(-90, 90, "Latitude (WGS84 degrees)."));
    cJSON_AddItemToObject(sp, "name", typed("string", NULL));
    cJSON_AddItemToObject(sp, "code", typed("string", NULL));
    cJSON_AddItemToObject(sp, "kind", enum_string(institution_kinds, NULL));
    cJSON_AddItemToObject(sp, "ownership", enum_string(institution_ownerships, NULL));
    cJSON *add = typed("array", "Sites added.");
    cJSON_AddNumberToObject(add, "maxItems", COVRUN_MAX_WHATIF);
    cJSON_AddItemToObject(add, "items", site);
    cJSON_AddItemToObject(p, "add", add);

    cJSON *remove = typed("array", "Codes of institutions left out.");
    cJSON_AddNumberToObject(remove, "maxItems", COVRUN_MAX_WHATIF);
    cJSON_AddItemToObject(remove, "items", typed("string", NULL));
    cJSON_AddItemToObject(p, "remove", remove);
    return s;
}

/* Request bodies described member by member, by operationId (the others
 * are "any object"); each is a schema in components/schemas. */
static const struct {
    const char *op_id, *name;
    cJSON *(*build)(void);
} body_schemas[] = {
    {"coverageWhatIf", "WhatIf", whatif_schema},
};

static const char *body_schema_name(const char *op_id) {
    for (size_t i = 0; i < sizeof body_schemas / sizeof body_schemas[0]; i++)
        if (!strcmp(body_schemas[i].op_id, op_id)) return body_schemas[i].name;
    return NULL;
}

static cJSON *operation(const Op *op) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "operationId", op->id);
    cJSON_AddStringToObject(o, "summary", op->summary);
    cJSON *tags = cJSON_AddArrayToObject(o, "tags");
    cJSON_AddItemToArray(tags, cJSON_CreateString(op->tag));
    cJSON *ps = cJSON_AddArrayToObject(o, "parameters");
    for (const char *k = op->params; *k;) {
        size_t n = strcspn(k, ",");
        const Param *p = find_param(k, n);
        if (p) cJSON_AddItemToArray(ps, param_object(p));
        k += n + (k[n] == ',');
    }
    if (op->body) {
        cJSON *rb = cJSON_AddObjectToObject(o, "requestBody");
        cJSON_AddBoolToObject(rb, "required", 1);
        cJSON *c = cJSON_AddObjectToObject(rb, "content");
        cJSON *m = cJSON_AddObjectToObject(c, op->body);
        cJSON *s = cJSON_AddObjectToObject(m, "schema");
        const char *named = body_schema_name(op->id);
        if (named) {
            char ref[96];
            snprintf(ref, sizeof ref, "#/components/schemas/%s", named);
            cJSON_AddStringToObject(s, "$ref", ref);
        } else {
            cJSON_AddStringToObject(s, "type", "object");
        }
    }
    cJSON *responses = cJSON_AddObjectToObject(o, "responses");
    cJSON *ok = cJSON_AddObjectToObject(responses, "200");
    cJSON_AddStringToObject(ok, "description", strcmp(op->method, "get")
                                                   ? "Success"
                                                   : "Success (ETag; 304 on a matching If-None-Match)");
    cJSON *content = cJSON_AddObjectToObject(ok, "content");
    cJSON *media = cJSON_AddObjectToObject(content, op->type);
    cJSON *schema = cJSON_AddObjectToObject(media, "schema");
    cJSON_AddStringToObject(schema, "type", "object");
    for (const char *e = op->errors; *e;) {
        size_t n = strcspn(e, ",");
        char status[8];
        snprintf(status, sizeof status, "%.*s", (int)n, e);
        cJSON *r = cJSON_AddObjectToObject(responses, status);
        cJSON_AddStringToObject(r, "description", error_text(status));
        cJSON *c = cJSON_AddObjectToObject(r, "content");
        cJSON *m = cJSON_AddObjectToObject(c, JSON);
        cJSON *s = cJSON_AddObjectToObject(m, "schema");
        cJSON_AddStringToObject(s, "$ref", "#/components/schemas/Error");
        e += n + (e[n] == ',');
    }
    return o;
}

int openapi_write(Buf *out, const char *base_url) {
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "openapi", "3.0.3");
    cJSON *info = cJSON_AddObjectToObject(doc, "info");
    cJSON_AddStringToObject(info, "title", "vetmap");
    cJSON_AddStringToObject(info, "version", "1.0.0");
    cJSON_AddStringToObject(info, "description",
                            "Vocational education and training institutions of a province and its "
                            "administrative units: OGC API – Features (Core, GeoJSON), search, nearest, "
                            "GeoJSON XYZ tiles. Errors are JSON {\"code\", \"description\"}.");
    cJSON *servers = cJSON_AddArrayToObject(doc, "servers");
    cJSON *server = cJSON_CreateObject();
    cJSON_AddStringToObject(server, "url", base_url);
    cJSON_AddItemToArray(servers, server);
    cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        cJSON *item = cJSON_GetObjectItemCaseSensitive(paths, ops[i].path);
        if (!item) item = cJSON_AddObjectToObject(paths, ops[i].path);
        cJSON_AddItemToObject(item, ops[i].method, operation(&ops[i]));
    }
    cJSON *components = cJSON_AddObjectToObject(doc, "components");
    cJSON *schemas = cJSON_AddObjectToObject(components, "schemas");
    cJSON *err = cJSON_AddObjectToObject(schemas, "Error");
    cJSON_AddStringToObject(err, "type", "object");
    cJSON *req = cJSON_AddArrayToObject(err, "required");
    cJSON_AddItemToArray(req, cJSON_CreateString("code"));
    cJSON_AddItemToArray(req, cJSON_CreateString("description"));
    cJSON *props = cJSON_AddObjectToObject(err, "properties");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(props, "code"), "type", "string");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(props, "description"), "type", "string");
    for (size_t i = 0; i < sizeof body_schemas / sizeof body_schemas[0]; i++)
        cJSON_AddItemToObject(schemas, body_schemas[i].name, body_schemas[i].build());

    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (!text) return -1;
    buf_puts(out, text);
    buf_putc(out, '\n');
    cJSON_free(text);
    return out->oom ? -1 : 0;
}
