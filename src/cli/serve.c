/* serve.c — `vetmap serve`: options, the route table, /api/health and
 * /api/config, and the run-until-signal loop. */
#include "api/api_auth.h"
#include "api/api_coverage.h"
#include "api/api_debug.h"
#include "api/api_features.h"
#include "api/api_search.h"
#include "api/api_tiles.h"
#include "base/cliopt.h"
#include "store/collections.h"
#include "cli/commands.h"
#include "base/config.h"
#include "store/feature.h"
#include "geo/geojson.h"
#include "http/http.h"
#include "store/store.h"

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POOL_KEEP 64                  /* idle read connections kept open */
#define DEFAULT_CONFIG_FILE "vetmap.conf.json"

static void usage(FILE *out) {
    fprintf(out,
            "usage: vetmap serve --db FILE [--bind ADDR] [--port N] [--web DIR] [--config FILE]\n"
            "                    [--debug-routes]\n"
            "\n"
            "Serve the database over HTTP until SIGINT or SIGTERM: OGC API - Features at /api,\n"
            "GeoJSON XYZ tiles at /tiles/{collection}/{z}/{x}/{y}.geojson, search at /api/search,\n"
            "nearest institutions at /api/nearest, and the web map from --web.\n"
            "Once listening it prints `vetmap: serving http://ADDR:PORT/` on stdout; one access-log\n"
            "line per request goes to stderr.\n"
            "\n"
            "options:\n"
            "  --db FILE        the vetmap SpatiaLite database (required); the server reads it and\n"
            "                   writes sessions, edits, moderation and login failures to it\n"
            "  --bind ADDR      numeric IPv4/IPv6 address to listen on (default 127.0.0.1)\n"
            "  --port N         TCP port, 0 = any free port (default 8080)\n"
            "  --web DIR        directory of static files served at / (default: none)\n"
            "  --config FILE    JSON settings file (default: ./" DEFAULT_CONFIG_FILE " when present);\n"
            "                   its keys are the settings' names, e.g. \"port\", \"basemap_url\",\n"
            "                   \"cors_origins\", \"cache_max_age\", \"tile_cache_bytes\",\n"
            "                   \"max_body_bytes\", \"max_query_bytes\", \"public_url\" (see README.md,\n"
            "                   Configuration); flags override it\n"
            "  --debug-routes   also serve the diagnostic endpoints used by the API tests\n"
            "                   (POST /api/_debug/echo, GET /api/_debug/items-sql/{collection},\n"
            "                   GET /api/_debug/routes)\n"
            "  --help           show this help\n");
}

/* --------------------------------------------------------- own endpoints */

static void health(Request *req, Response *res) {
    res->cacheable = 0;
    buf_printf(&res->body, "{\"status\":\"ok\",\"data_version\":%lld}\n", req->data_version);
}

/* The map's starting extent: the default layout's provinces, else
 * everything there is.  Returns 1 with bbox, 0 when there is no data, -1. */
static int map_extent(Request *req, double bbox[4], int *rc) {
    int found = api_features_extent(req->db, collection_find("provinces"), NULL, bbox, rc);
    if (found != 0) return found;
    for (int i = 0; i < collection_count; i++) {
        double b[4];
        int f = api_features_extent(req->db, &collections[i], NULL, b, rc);
        if (f < 0) return -1;
        if (!f) continue;
        if (!found) {
            memcpy(bbox, b, sizeof b);
        } else {
            if (b[0] < bbox[0]) bbox[0] = b[0];
            if (b[1] < bbox[1]) bbox[1] = b[1];
            if (b[2] > bbox[2]) bbox[2] = b[2];
            if (b[3] > bbox[3]) bbox[3] = b[3];
        }
        found = 1;
    }
    return found;
}

static void config_doc(Request *req, Response *res) {
    static const char *const none[] = {NULL};
    if (http_check_params(req, res, none)) return;
    const Config *c = req->config;
    double bbox[4];
    int rc = 0;
    int found = map_extent(req, bbox, &rc);
    if (found < 0) {
        http_db_error(res, req->db, rc);
        return;
    }
    char layout[128];
    const char *deflayout = store_default_layout(req->db, layout, sizeof layout);
    Buf *b = &res->body;
    buf_puts(b, "{\"title\":");
    json_str(b, c->title);
    buf_puts(b, ",\"basemap\":{\"url\":");
    json_str(b, c->basemap_url);
    buf_puts(b, ",\"attribution\":");
    json_str(b, c->basemap_attribution);
    buf_printf(b, ",\"max_zoom\":%d},\"cluster_max_zoom\":%d,\"cluster_cell_px\":%d,\"default_layout\":",
               c->basemap_max_zoom, c->cluster_max_zoom, c->cluster_cell_px);
    json_str(b, deflayout);
    buf_puts(b, ",\"bbox\":");
    if (found) {
        buf_putc(b, '[');
        for (int k = 0; k < 4; k++) {
            if (k) buf_putc(b, ',');
            json_num(b, bbox[k], FEATURE_POLYGON_DECIMALS);
        }
        buf_putc(b, ']');
    } else {
        buf_puts(b, "null");
    }
    buf_puts(b, ",\"collections\":[");
    for (int i = 0; i < collection_count; i++) {
        buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
        json_str(b, collections[i].id);
        buf_puts(b, ",\"title\":");
        json_str(b, collections[i].title);
        buf_puts(b, ",\"geometry\":");
        json_str(b, collections[i].geometry);
        buf_putc(b, '}');
    }
    buf_puts(b, "]}\n");
}

static const Route serve_routes[] = {
    {"GET", "/api/health", health},
    {"GET", "/api/config", config_doc},
    {NULL, NULL, NULL},
};

/* ------------------------------------------------------------ route table */

static size_t route_count(const Route *r) {
    size_t n = 0;
    while (r[n].method) n++;
    return n;
}

/* The API modules' tables, concatenated, {NULL}-terminated; malloc'd. */
static Route *all_routes(int debug) {
    const Route *tables[] = {serve_routes,    api_features_routes, api_search_routes,
                             api_tiles_routes, api_auth_routes,    api_coverage_routes,
                             debug ? api_debug_routes : NULL};
    size_t ntables = sizeof tables / sizeof tables[0], total = 0;
    for (size_t i = 0; i < ntables; i++)
        if (tables[i]) total += route_count(tables[i]);
    Route *all = calloc(total + 1, sizeof *all);
    if (!all) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < ntables; i++)
        for (size_t j = 0; tables[i] && tables[i][j].method; j++) all[k++] = tables[i][j];
    return all; /* calloc left the terminator zeroed */
}

/* ---------------------------------------------------------------- options */

typedef struct Options {
    const char *db, *bind, *port, *web, *config;
    int debug, help;
} Options;

static int parse_options(int argc, char **argv, Options *o) {
    static const struct { const char *name; size_t offset; } valued[] = {
        {"--db", offsetof(Options, db)},     {"--bind", offsetof(Options, bind)},
        {"--port", offsetof(Options, port)}, {"--web", offsetof(Options, web)},
        {"--config", offsetof(Options, config)},
    };
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            o->help = 1;
            continue;
        }
        if (!strcmp(argv[i], "--debug-routes")) {
            o->debug = 1;
            continue;
        }
        int matched = 0;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0] && !matched; k++) {
            const char **slot = (const char **)((char *)o + valued[k].offset);
            matched = cliopt_take("vetmap serve", argc, argv, &i, valued[k].name, slot);
            if (matched < 0) return -1;
        }
        if (!matched) {
            fprintf(stderr, "vetmap serve: unknown option '%s' (see --help)\n", argv[i]);
            return -1;
        }
    }
    return 0;
}

/* Defaults, then the config file, then the flags. Returns 0 or -1. */
static int build_config(const Options *o, Config *c) {
    config_defaults(c);
    const char *file = o->config;
    if (!file && access(DEFAULT_CONFIG_FILE, R_OK) == 0) file = DEFAULT_CONFIG_FILE;
    char *err = NULL;
    if (file && config_load_file(c, file, &err) != 0) {
        fprintf(stderr, "vetmap serve: %s\n", err ? err : "cannot load the config file");
        free(err);
        return -1;
    }
    struct { const char *value; char *dst; size_t n; const char *name; } strs[] = {
        {o->db, c->db_path, sizeof c->db_path, "--db"},
        {o->bind, c->bind, sizeof c->bind, "--bind"},
        {o->web, c->web_dir, sizeof c->web_dir, "--web"},
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (!strs[i].value) continue;
        if (strlen(strs[i].value) >= strs[i].n) {
            fprintf(stderr, "vetmap serve: %s value is too long\n", strs[i].name);
            return -1;
        }
        snprintf(strs[i].dst, strs[i].n, "%s", strs[i].value);
    }
    if (o->port) {
        char *end = NULL;
        long p = strtol(o->port, &end, 10);
        if (!*o->port || *end || p < 0 || p > 65535) {
            fprintf(stderr, "vetmap serve: --port must be a number from 0 to 65535\n");
            return -1;
        }
        c->port = (int)p;
    }
    return 0;
}

/* ------------------------------------------------------------------- main */

int cmd_serve(int argc, char **argv) {
    Options o;
    if (parse_options(argc, argv, &o) != 0) return 2;
    if (o.help) {
        usage(stdout);
        return 0;
    }
    if (!o.db) {
        fprintf(stderr, "vetmap serve: --db FILE is required\n\n");
        usage(stderr);
        return 2;
    }
    Config cfg;
    if (build_config(&o, &cfg) != 0) return 2;

    /* Block the stop signals before any thread starts, so every thread
     * inherits the mask and sigwait() below is the one place they land. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    char *err = NULL;
    StorePool *pool = store_pool_new(cfg.db_path, POOL_KEEP, &err);
    if (!pool) {
        fprintf(stderr, "vetmap serve: %s\n", err ? err : "cannot open the database");
        free(err);
        return 1;
    }
    Route *routes = all_routes(o.debug);
    Server *server = routes ? http_start(&cfg, pool, routes, &err) : NULL;
    if (!server) {
        fprintf(stderr, "vetmap serve: %s\n", err ? err : "out of memory");
        free(err);
        free(routes);
        store_pool_free(pool);
        return 1;
    }
    const char *host = cfg.bind;
    if (!strcmp(host, "0.0.0.0")) host = "127.0.0.1";
    if (!strcmp(host, "::")) host = "::1";
    printf(strchr(host, ':') ? "vetmap: serving http://[%s]:%d/\n" : "vetmap: serving http://%s:%d/\n", host,
           http_port(server));
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "vetmap: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    http_stop(server); /* waits for the requests in flight */
    api_auth_shutdown();
    free(routes);
    store_pool_free(pool);
    return 0;
}
