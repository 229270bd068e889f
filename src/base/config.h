/* config.h — settings shared by every subcommand.
 *
 * Defaults, then an optional JSON file (`--config FILE`, or ./vetmap.conf.json
 * when present), then command-line flags; each layer overrides the one
 * before.  Keys in the file are the field names below (e.g. "port",
 * "basemap_url", "region_boxes": [[w,s,e,n], ...]). */
#ifndef VETMAP_CONFIG_H
#define VETMAP_CONFIG_H

#include <stddef.h>

#define CONFIG_MAX_REGION_BOXES 8

typedef struct Config {
    char db_path[1024];
    char bind[64];              /* default 127.0.0.1 */
    int port;                   /* default 8080 */
    char web_dir[1024];         /* static files; "" = none */
    char title[256];
    char basemap_url[512];      /* XYZ template, {z}/{x}/{y} */
    char basemap_attribution[256];
    int basemap_max_zoom;
    int cluster_max_zoom;       /* institutions are clustered below this zoom */
    int cluster_cell_px;        /* grid cell size, a divisor of 256 */
    char cors_origins[512];     /* "" = no CORS headers; "*" or a list */
    int cache_max_age;          /* seconds for public GET responses */
    size_t tile_cache_bytes;    /* in-memory response cache for tiles */
    size_t max_body_bytes;      /* request body cap (413 above) */
    size_t max_query_bytes;     /* URL length cap (414 above) */
    int connection_timeout_s;
    int connection_limit;
    int per_ip_connection_limit;
    /* The server's public root, e.g. "https://gdnn.example.vn" (no trailing
     * '/'): absolute links use it instead of the request's Host header,
     * which a client chooses.  "" = links from Host. */
    char public_url[256];
    /* The region institutions must lie in (degrees, [w, s, e, n] boxes; a
     * point in any box is inside).  Default: mainland Vietnam plus the
     * Hoàng Sa and Trường Sa archipelagos, listed explicitly. */
    double region_boxes[CONFIG_MAX_REGION_BOXES][4];
    int region_box_count;

    /* ---- accounts, sessions and editing (auth.c, edits.c, api_auth.c) ---- */
    int session_ttl_s;          /* session lifetime, default 8 h */
    int cookie_secure;          /* 1: session cookie marked Secure (TLS in front) */
    int login_max_failures;     /* failed logins of one email in the window → locked */
    int login_lockout_s;        /* lockout after the last failure, default 900 */
    int login_ip_max_failures;  /* failed logins from one IP in the window → 429 */
    int login_window_s;         /* counting window, default 900 */
    char edit_publish_fields[256]; /* fields a school's edit publishes at once */
    int edit_max_move_m;        /* a school's move farther than this waits for approval */
} Config;

void config_defaults(Config *c);
/* Merge a JSON config file into c.  Returns 0, or -1 with *err (malloc'd)
 * naming the file and the bad key. */
int config_load_file(Config *c, const char *path, char **err);
/* 1 when (lon, lat) is inside one of the region boxes. */
int config_in_region(const Config *c, double lon, double lat);

#endif
