/* config.c — defaults and the JSON config file (config.h). */
#include "base/config.h"
#include "base/strfmt.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Mainland Vietnam, then the two archipelagos, listed explicitly so that the
 * ingest's "swapped lon/lat" check (CASES I4) does not reject them. */
static const double default_boxes[][4] = {
    {102.1, 8.3, 109.6, 23.4},   /* mainland and near-shore islands */
    {111.0, 15.6, 113.0, 17.2},  /* Hoàng Sa (Paracel Islands) */
    {111.4, 6.1, 117.9, 12.1},   /* Trường Sa (Spratly Islands) */
};

static void copy_str(char *dst, size_t n, const char *src) {
    snprintf(dst, n, "%s", src);
}

void config_defaults(Config *c) {
    memset(c, 0, sizeof *c);
    copy_str(c->db_path, sizeof c->db_path, "data/vetmap.sqlite");
    copy_str(c->bind, sizeof c->bind, "127.0.0.1");
    c->port = 8080;
    copy_str(c->title, sizeof c->title, "Bản đồ cơ sở giáo dục nghề nghiệp");
    copy_str(c->basemap_url, sizeof c->basemap_url, "https://tile.openstreetmap.org/{z}/{x}/{y}.png");
    copy_str(c->basemap_attribution, sizeof c->basemap_attribution, "© OpenStreetMap contributors");
    c->basemap_max_zoom = 19;
    c->cluster_max_zoom = 12;
    c->cluster_cell_px = 64;
    c->cache_max_age = 60;
    c->tile_cache_bytes = (size_t)64 << 20;
    c->max_body_bytes = (size_t)16 << 20;
    c->max_query_bytes = (size_t)8 << 10;
    c->connection_timeout_s = 30;
    /* One thread per connection: the limits bound threads as well as sockets. */
    c->connection_limit = 512;
    c->per_ip_connection_limit = 128;
    c->region_box_count = (int)(sizeof default_boxes / sizeof default_boxes[0]);
    memcpy(c->region_boxes, default_boxes, sizeof default_boxes);
    /* ---- accounts, sessions and editing (auth.c, edits.c, api_auth.c) ---- */
    c->session_ttl_s = 8 * 3600;
    c->login_max_failures = 5;
    c->login_lockout_s = 900;
    c->login_ip_max_failures = 50;
    c->login_window_s = 900;
    copy_str(c->edit_publish_fields, sizeof c->edit_publish_fields, "phone,email,website");
    c->edit_max_move_m = 200;
}

int config_in_region(const Config *c, double lon, double lat) {
    if (!isfinite(lon) || !isfinite(lat)) return 0;
    for (int i = 0; i < c->region_box_count; i++) {
        const double *b = c->region_boxes[i];
        if (lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3]) return 1;
    }
    return 0;
}

/* ---- file loading ------------------------------------------------------ */

typedef enum { K_STR, K_INT, K_SIZE } KeyType;

typedef struct Key {
    const char *name;
    KeyType type;
    size_t offset;
    size_t size;        /* K_STR: buffer size */
    double min, max;    /* K_INT / K_SIZE: accepted range */
} Key;

#define STR_KEY(f) {#f, K_STR, offsetof(Config, f), sizeof(((Config *)0)->f), 0, 0}
#define INT_KEY(f, lo, hi) {#f, K_INT, offsetof(Config, f), 0, lo, hi}
#define SIZE_KEY(f, lo, hi) {#f, K_SIZE, offsetof(Config, f), 0, lo, hi}

static const Key keys[] = {
    STR_KEY(db_path),
    STR_KEY(bind),
    INT_KEY(port, 0, 65535),
    STR_KEY(web_dir),
    STR_KEY(title),
    STR_KEY(basemap_url),
    STR_KEY(basemap_attribution),
    INT_KEY(basemap_max_zoom, 0, 24),
    INT_KEY(cluster_max_zoom, 0, 24),
    INT_KEY(cluster_cell_px, 16, 256),
    STR_KEY(cors_origins),
    INT_KEY(cache_max_age, 0, 31536000),
    SIZE_KEY(tile_cache_bytes, 0, 1e12),
    SIZE_KEY(max_body_bytes, 0, 1e12),
    SIZE_KEY(max_query_bytes, 256, 1e6),
    INT_KEY(connection_timeout_s, 1, 86400),
    INT_KEY(connection_limit, 1, 100000),
    INT_KEY(per_ip_connection_limit, 0, 100000),
    STR_KEY(public_url),
    /* ---- accounts, sessions and editing (auth.c, edits.c, api_auth.c) ---- */
    INT_KEY(session_ttl_s, 1, 31 * 86400),
    INT_KEY(cookie_secure, 0, 1),
    INT_KEY(login_max_failures, 0, 1000),
    INT_KEY(login_lockout_s, 0, 86400),
    INT_KEY(login_ip_max_failures, 0, 100000),
    INT_KEY(login_window_s, 1, 86400),
    STR_KEY(edit_publish_fields),
    INT_KEY(edit_max_move_m, 0, 1000000),
};

static char *read_file(const char *path, char **err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        strfmt_err(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *data = malloc(cap);
    while (data) {
        size_t n = fread(data + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) break;
        if (len + 1 == cap) {
            char *p = cap < ((size_t)1 << 24) ? realloc(data, cap * 2) : NULL;
            if (!p) { free(data); data = NULL; break; }
            data = p;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!data || bad) {
        free(data);
        strfmt_err(err, "%s: cannot read the file (too large or I/O error)", path);
        return NULL;
    }
    data[len] = '\0';
    return data;
}

static int set_region_boxes(Config *c, const cJSON *v, const char *path, char **err) {
    int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : -1;
    if (n < 1 || n > CONFIG_MAX_REGION_BOXES)
        return strfmt_err(err, "%s: \"region_boxes\" must be an array of 1 to %d [w,s,e,n] boxes", path,
                    CONFIG_MAX_REGION_BOXES);
    double boxes[CONFIG_MAX_REGION_BOXES][4];
    for (int i = 0; i < n; i++) {
        const cJSON *box = cJSON_GetArrayItem(v, i);
        if (!cJSON_IsArray(box) || cJSON_GetArraySize(box) != 4)
            return strfmt_err(err, "%s: \"region_boxes\"[%d] must be [w,s,e,n]", path, i);
        for (int k = 0; k < 4; k++) {
            const cJSON *num = cJSON_GetArrayItem(box, k);
            if (!cJSON_IsNumber(num) || !isfinite(num->valuedouble))
                return strfmt_err(err, "%s: \"region_boxes\"[%d] must hold 4 numbers", path, i);
            boxes[i][k] = num->valuedouble;
        }
        const double *b = boxes[i];
        if (b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 || b[0] > b[2] || b[1] > b[3])
            return strfmt_err(err, "%s: \"region_boxes\"[%d] is not a lon/lat box with w<=e, s<=n", path, i);
    }
    memcpy(c->region_boxes, boxes, sizeof boxes[0] * (size_t)n);
    c->region_box_count = n;
    return 0;
}

static int set_key(Config *c, const Key *k, const cJSON *v, const char *path, char **err) {
    char *field = (char *)c + k->offset;
    if (k->type == K_STR) {
        if (!cJSON_IsString(v))
            return strfmt_err(err, "%s: \"%s\" must be a string", path, k->name);
        if (strlen(v->valuestring) >= k->size)
            return strfmt_err(err, "%s: \"%s\" is longer than %zu bytes", path, k->name, k->size - 1);
        copy_str(field, k->size, v->valuestring);
        return 0;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble != floor(v->valuedouble) ||
        v->valuedouble < k->min || v->valuedouble > k->max)
        return strfmt_err(err, "%s: \"%s\" must be an integer in %.0f..%.0f", path, k->name, k->min, k->max);
    if (k->type == K_INT)
        *(int *)field = (int)v->valuedouble;
    else
        *(size_t *)field = (size_t)v->valuedouble;
    return 0;
}

/* public_url goes into every absolute link and JSON document: an http(s)
 * URL of printable ASCII with no quote, space or query; a trailing '/' is
 * dropped so that links join as base + "/path". */
static int check_public_url(char *url, const char *path, char **err) {
    if (!url[0]) return 0;
    int ok = !strncmp(url, "http://", 7) || !strncmp(url, "https://", 8);
    for (const char *p = url; ok && *p; p++) ok = *p > ' ' && *p < 0x7f && !strchr("\"'<>\\`?#", *p);
    const char *host = ok ? strstr(url, "://") + 3 : NULL;
    if (!ok || !*host || *host == '/')
        return strfmt_err(err, "%s: \"public_url\" must be an http:// or https:// URL with a host and no "
                               "query, spaces or quotes", path);
    size_t n = strlen(url);
    while (url[n - 1] == '/') url[--n] = '\0';
    return 0;
}

int config_load_file(Config *c, const char *path, char **err) {
    if (err) *err = NULL;
    char *text = read_file(path, err);
    if (!text) return -1;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root || !cJSON_IsObject(root)) {
        long at = end ? (long)(end - text) : 0;
        free(text);
        cJSON_Delete(root);
        return strfmt_err(err, "%s: not a JSON object (error near byte %ld)", path, at);
    }
    free(text);
    /* Apply into a copy, so a bad file leaves c untouched. */
    Config next = *c;
    int rc = 0;
    for (const cJSON *item = root->child; item && rc == 0; item = item->next) {
        const char *name = item->string;
        if (!strcmp(name, "region_boxes")) {
            rc = set_region_boxes(&next, item, path, err);
            continue;
        }
        const Key *k = NULL;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (!strcmp(keys[i].name, name)) k = &keys[i];
        if (!k)
            rc = strfmt_err(err, "%s: unknown key \"%s\"", path, name);
        else
            rc = set_key(&next, k, item, path, err);
    }
    cJSON_Delete(root);
    if (rc == 0) rc = check_public_url(next.public_url, path, err);
    if (rc == 0 && (next.cluster_cell_px & (next.cluster_cell_px - 1)) != 0)
        rc = strfmt_err(err, "%s: \"cluster_cell_px\" must be 16, 32, 64, 128 or 256", path);
    if (rc == 0) *c = next;
    return rc;
}
