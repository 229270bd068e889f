/* http_internal.h — what http.c, http_response.c and http_static.c share
 * (not for other modules).
 *
 *   http.c           the server: start/stop, request callbacks, routing, dispatch
 *   http_response.c  responses: headers, CORS, gzip, ETag/304, errors, the access
 *                    log, the tile-response cache
 *   http_static.c    static files of the web root
 *
 * Each helper is documented where it is defined. */
#ifndef VETMAP_HTTP_INTERNAL_H
#define VETMAP_HTTP_INTERNAL_H

#include "http/cache.h"
#include "http/http.h"

#include <limits.h>
#include <microhttpd.h>
#include <sys/stat.h>
#include <time.h>

#define GZIP_MIN_BYTES 1024          /* smaller bodies gain nothing from gzip */
#define STATIC_MAX_BYTES (64u << 20) /* static files are read whole */
#define TILES_PREFIX "/tiles/"

struct Server {
    struct MHD_Daemon *daemon;
    const Config *config;
    StorePool *pool;
    const Route *routes;
    RespCache *tile_cache;
    char web_root[PATH_MAX];         /* realpath of config->web_dir, "" = no static files */
    int port;
};

/* Per-request state, created by the URI-log callback, freed on completion. */
typedef struct Ctx {
    Server *server;
    char *uri;                       /* raw request target, as sent */
    struct timespec t0;
    int seen;                        /* the access handler ran once */
    int overflow;                    /* the body went over the cap: 413 at the end */
    size_t received;                 /* body bytes received, kept or not */
    Buf body;
} Ctx;

/* http_response.c */
int http_accepts_gzip(struct MHD_Connection *conn);
int http_cache_store(Server *s, const char *key, Response *res, const char *etag, int gz);
int http_db_busy(int rc);
void http_digest_hex(char out[33], const char *const *parts, size_t nparts);
int http_etag_matches(struct MHD_Connection *conn, const char *etag);
int http_has_header(const char *lines, const char *name);
const char *http_conn_header(struct MHD_Connection *conn, const char *name);
int http_is_get(const char *method);
const char *http_link_host(const Server *s, struct MHD_Connection *conn);
enum MHD_Result http_queue(Ctx *ctx, struct MHD_Connection *conn, const char *method, int status,
                           struct MHD_Response *r, size_t bytes, const char *note);
void http_response_init(Response *res, const char *method);
const char *http_safe_host(struct MHD_Connection *conn);
enum MHD_Result http_send_cached(Ctx *ctx, struct MHD_Connection *conn, const char *method,
                                 const CacheEntry *e, const char *note);
enum MHD_Result http_send_error(Ctx *ctx, struct MHD_Connection *conn, const char *method, int status,
                                const char *code, const char *desc, const char *allow);
enum MHD_Result http_send_not_modified(Ctx *ctx, struct MHD_Connection *conn, const char *method,
                                       const char *etag, int vary, const char *lines);
enum MHD_Result http_send_response(Ctx *ctx, struct MHD_Connection *conn, const char *method,
                                   Response *res, const char *etag_base, const char *note);
int http_compressible(const char *ctype);
const char *http_header_line(const char *lines, const char *name);

/* http_static.c */
enum MHD_Result http_serve_static(Ctx *ctx, struct MHD_Connection *conn, const char *method,
                                  const char *path);
int http_static_open(const Server *s, const char *path, char real[PATH_MAX], struct stat *st);
int http_static_exists(const Server *s, const char *path);

#endif
