/* feature.c — rows as GeoJSON Features (feature.h). */
#include "store/feature.h"
#include "geo/geojson.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>
#include <time.h>

void feature_write_value(Buf *b, sqlite3_stmt *st, int col, int decimals) {
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER:
        json_int(b, sqlite3_column_int64(st, col));
        break;
    case SQLITE_FLOAT:
        json_num(b, sqlite3_column_double(st, col), decimals);
        break;
    case SQLITE_TEXT:
        json_strn(b, (const char *)sqlite3_column_text(st, col), (size_t)sqlite3_column_bytes(st, col));
        break;
    default:
        buf_puts(b, "null");
    }
}

/* "name":value for each listed property; names[i] reads column col0 + i.
 * The names are plain identifiers (no escaping), so `,"name":` goes out in
 * one piece: a 1000-feature page writes 16000 of them. */
static void write_props(Buf *b, sqlite3_stmt *st, int col0, const char *const *names, int n, int *first) {
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (buf_reserve(b, len + 4) != 0) return;
        char *o = b->data + b->len;
        if (!*first) *o++ = ',';
        *first = 0;
        *o++ = '"';
        memcpy(o, names[i], len);
        o += len;
        *o++ = '"';
        *o++ = ':';
        b->len = (size_t)(o - b->data);
        b->data[b->len] = '\0';
        feature_write_value(b, st, col0 + i, 6);
    }
}

/* The stored JSON array text of source URLs, re-emitted through our writer
 * so the output never depends on what a past version stored. */
static void write_url_array(Buf *b, sqlite3_stmt *st, int col) {
    buf_putc(b, '[');
    const char *text = (const char *)sqlite3_column_text(st, col);
    cJSON *arr = text ? cJSON_Parse(text) : NULL;
    int n = 0;
    if (cJSON_IsArray(arr)) {
        const cJSON *item;
        cJSON_ArrayForEach(item, arr) {
            if (!cJSON_IsString(item)) continue;
            if (n++) buf_putc(b, ',');
            json_str(b, item->valuestring);
        }
    }
    cJSON_Delete(arr);
    buf_putc(b, ']');
}

/* Column offsets inside FEATURE_INSTITUTION_COLUMNS. */
enum {
    I_CODE = 0, I_SOURCE_URLS = 16, I_UPDATED_AT = 17, I_VERSION = 18, I_LON = 19, I_LAT = 20,
    I_DESCRIPTION = 21, I_PROGRAMS = 22
};

/* The programs array SQLite built (FEATURE_INSTITUTION_PROGRAMS): valid
 * JSON with raw UTF-8, so it is copied as is rather than parsed again. */
static void write_programs(Buf *b, sqlite3_stmt *st, int col) {
    const char *json = (const char *)sqlite3_column_text(st, col);
    if (json && json[0] == '[')
        buf_append(b, json, (size_t)sqlite3_column_bytes(st, col));
    else
        buf_puts(b, "[]");
}

static const char *const institution_props[] = {
    "code", "name", "kind", "ownership", "governing_body", "address",
    "commune_code", "commune_name", "district_code", "district_name", "province_code", "province_name",
    "website", "phone", "email", "location_precision",
};

void feature_write_institution(Buf *b, sqlite3_stmt *st, int col0, double distance_km) {
    buf_puts(b, "{\"type\":\"Feature\",\"id\":");
    feature_write_value(b, st, col0 + I_CODE, 0);
    buf_puts(b, ",\"geometry\":");
    int has_xy = sqlite3_column_type(st, col0 + I_LON) != SQLITE_NULL &&
                 sqlite3_column_type(st, col0 + I_LAT) != SQLITE_NULL;
    double lon = sqlite3_column_double(st, col0 + I_LON), lat = sqlite3_column_double(st, col0 + I_LAT);
    if (has_xy && isfinite(lon) && isfinite(lat)) {
        buf_puts(b, "{\"type\":\"Point\",\"coordinates\":[");
        json_num(b, lon, FEATURE_POINT_DECIMALS);
        buf_putc(b, ',');
        json_num(b, lat, FEATURE_POINT_DECIMALS);
        buf_puts(b, "]}");
    } else {
        buf_puts(b, "null");
    }
    buf_puts(b, ",\"properties\":{");
    int first = 1;
    write_props(b, st, col0, institution_props, (int)(sizeof institution_props / sizeof *institution_props),
                &first);
    buf_puts(b, ",\"description\":");
    feature_write_value(b, st, col0 + I_DESCRIPTION, 0);
    buf_puts(b, ",\"programs\":");
    write_programs(b, st, col0 + I_PROGRAMS);
    buf_puts(b, ",\"source_urls\":");
    write_url_array(b, st, col0 + I_SOURCE_URLS);
    buf_puts(b, ",\"updated_at\":");
    feature_write_value(b, st, col0 + I_UPDATED_AT, 0);
    buf_puts(b, ",\"version\":");
    feature_write_value(b, st, col0 + I_VERSION, 0);
    if (distance_km >= 0) {
        buf_puts(b, ",\"distance_km\":");
        json_num(b, distance_km, 3);
    }
    buf_puts(b, "}}");
}

enum { A_CODE = 0, A_AREA = 8, A_WKB = 9 };

static const char *const admin_props[] = {
    "code", "name", "type", "level", "level_name", "parent_code", "layout", "population",
};

void feature_write_admin(Buf *b, sqlite3_stmt *st, int col0) {
    buf_puts(b, "{\"type\":\"Feature\",\"id\":");
    feature_write_value(b, st, col0 + A_CODE, 0);
    buf_puts(b, ",\"geometry\":");
    const unsigned char *wkb = sqlite3_column_blob(st, col0 + A_WKB);
    int n = sqlite3_column_bytes(st, col0 + A_WKB);
    if (wkb && n > 0)
        geojson_write_wkb(b, wkb, (size_t)n, FEATURE_POLYGON_DECIMALS);
    else
        buf_puts(b, "null");
    buf_puts(b, ",\"properties\":{");
    int first = 1;
    write_props(b, st, col0, admin_props, (int)(sizeof admin_props / sizeof *admin_props), &first);
    buf_puts(b, ",\"area_km2\":");
    feature_write_value(b, st, col0 + A_AREA, 3);
    buf_puts(b, "}}");
}

void feature_write_link(Buf *b, const char *base, const char *path, const char *query, const char *rel,
                        const char *type, const char *title) {
    Buf href = BUF_INIT;
    buf_printf(&href, "%s%s%s%s", base, path, query && *query ? "?" : "", query ? query : "");
    buf_puts(b, "{\"href\":");
    json_str(b, href.data);
    buf_puts(b, ",\"rel\":");
    json_str(b, rel);
    buf_puts(b, ",\"type\":");
    json_str(b, type);
    if (title) {
        buf_puts(b, ",\"title\":");
        json_str(b, title);
    }
    buf_putc(b, '}');
    buf_free(&href);
}
