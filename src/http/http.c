/* http.c — libmicrohttpd server, routing and response post-processing (http.h).
 *
 * A request goes through: the URI-log callback (keeps the raw request target
 * and the start time), the first access-handler call (414 for a long URL,
 * 413 for a declared body above the cap, before anything is read), body
 * chunks (assembled into one buffer up to the cap), and the last call, which
 * dispatches: a route, else a static file, else a JSON 404/405.  A GET route
 * runs inside one read transaction on a pooled connection, so the
 * data_version in the ETag and the rows in the body come from the same
 * snapshot; its tag is checked (304) and /tiles/ answers are looked up in the
 * response cache before the handler runs. */
#include "http/http.h"
#include "http/cache.h"
#include "geo/geojson.h"
#include "base/strfmt.h"
#include "base/text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

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

/* --------------------------------------------------------------- helpers */

static double ms_since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int is_get(const char *method) { return !strcmp(method, "GET") || !strcmp(method, "HEAD"); }

static const char *header(struct MHD_Connection *conn, const char *name) {
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* 1 when the Accept-Encoding list names gzip with a non-zero q. */
static int accepts_gzip(struct MHD_Connection *conn) {
    const char *ae = header(conn, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    while (ae && *ae) {
        while (*ae == ' ' || *ae == ',') ae++;
        size_t n = strcspn(ae, ",;");
        while (n && ae[n - 1] == ' ') n--;
        int gz = (n == 4 && !strncasecmp(ae, "gzip", 4)) || (n == 6 && !strncasecmp(ae, "x-gzip", 6));
        const char *end = ae + strcspn(ae, ",");
        const char *q = strstr(ae, "q=");
        int zero = 0;
        if (q && q < end) {
            q += 2;
            zero = *q == '0';
            for (q++; zero && q < end && *q != ' '; q++) zero = *q == '.' || *q == '0';
        }
        if (gz && !zero) return 1;
        ae = end;
    }
    return 0;
}

static int compressible(const char *ctype) {
    return !strncmp(ctype, "text/", 5) || strstr(ctype, "json") || strstr(ctype, "javascript") ||
           strstr(ctype, "svg") || strstr(ctype, "xml");
}

/* gzip (RFC 1952 wrapper) of in[0..n) into a malloc'd block; NULL on failure. */
static char *gzip_bytes(const char *in, size_t n, size_t *out_len) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return NULL;
    uLong bound = deflateBound(&zs, (uLong)n);
    char *out = malloc(bound);
    if (!out) {
        deflateEnd(&zs);
        return NULL;
    }
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)bound;
    int rc = deflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

/* Hex of a 128-bit BLAKE2b over the given strings (NUL-separated). */
static void digest_hex(char out[33], const char *const *parts, size_t nparts) {
    crypto_generichash_state st;
    unsigned char h[16];
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    for (size_t i = 0; i < nparts; i++)
        crypto_generichash_update(&st, (const unsigned char *)parts[i], strlen(parts[i]) + 1);
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, 33, h, sizeof h);
}

/* 1 when If-None-Match lists etag, compared weakly (RFC 9110 §13.1.2):
 * W/"x" matches "x" either way round. */
static int etag_matches(struct MHD_Connection *conn, const char *etag) {
    const char *inm = header(conn, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (!inm) return 0;
    if (!strncmp(etag, "W/", 2)) etag += 2;
    size_t elen = strlen(etag);
    for (const char *p = inm; *p;) {
        while (*p == ' ' || *p == ',') p++;
        if (!strncmp(p, "W/", 2)) p += 2;
        size_t n = strcspn(p, ",");
        while (n && p[n - 1] == ' ') n--;
        if (n == elen && !memcmp(p, etag, n)) return 1;
        p += strcspn(p, ",");
    }
    return 0;
}

/* The Host header when it looks like a host[:port], else NULL. */
static const char *safe_host(struct MHD_Connection *conn) {
    const char *h = header(conn, MHD_HTTP_HEADER_HOST);
    if (!h || !*h || strlen(h) > 255) return NULL;
    for (const char *p = h; *p; p++)
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
              strchr(".-:[]_", *p)))
            return NULL;
    return h;
}

/* The Host that answers may depend on: none when public_url fixes the
 * links, so tags and cached tiles are shared by every Host. */
static const char *link_host(const Server *s, struct MHD_Connection *conn) {
    return s->config->public_url[0] ? NULL : safe_host(conn);
}

/* The value of the header called name (any case) in the "Name: value\n"
 * lines, or NULL. */
static const char *header_line(const char *lines, const char *name) {
    size_t n = strlen(name);
    for (const char *p = lines; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncasecmp(p, name, n) && p[n] == ':') return p + n + 1 + strspn(p + n + 1, " ");
    return NULL;
}

static int has_header(const char *lines, const char *name) { return header_line(lines, name) != NULL; }

static int db_busy(int rc) {
    rc &= 0xff;
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

/* ------------------------------------------------------- response helpers */

static void response_init(Response *res, const char *method) {
    memset(res, 0, sizeof *res);
    res->status = 200;
    res->content_type = "application/json";
    buf_init(&res->body);
    res->cacheable = is_get(method);
}

void http_add_header(Response *res, const char *name, const char *value) {
    /* Header injection guard: a value never carries a line break. */
    if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n")) return;
    size_t used = strlen(res->headers);
    int n = snprintf(res->headers + used, sizeof res->headers - used, "%s: %s\n", name, value);
    if (n < 0 || (size_t)n >= sizeof res->headers - used) {
        res->headers[used] = '\0';
        fprintf(stderr, "vetmap: response header %s dropped (no room)\n", name);
    }
}

void http_error(Response *res, int status, const char *code, const char *fmt, ...) {
    char desc[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(desc, sizeof desc, fmt, ap);
    va_end(ap);
    res->status = status;
    res->content_type = "application/json";
    res->cacheable = 0;
    buf_reset(&res->body);
    buf_puts(&res->body, "{\"code\":");
    json_str(&res->body, code);
    buf_puts(&res->body, ",\"description\":");
    json_str(&res->body, desc);
    buf_puts(&res->body, "}\n");
}

void http_db_error(Response *res, sqlite3 *db, int rc) {
    if (db_busy(rc)) {
        http_error(res, 503, "ServiceUnavailable", "the database is busy; retry shortly");
        http_add_header(res, "Retry-After", "1");
        return;
    }
    /* The SQLite message goes to the log, not to the client. */
    fprintf(stderr, "vetmap: database error %d: %s\n", rc, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    http_error(res, 500, "ServerError", "internal database error");
}

static void add_header_lines(struct MHD_Response *r, const char *lines) {
    char name[128], value[512];
    while (lines && *lines) {
        const char *colon = strchr(lines, ':');
        const char *nl = strchr(lines, '\n');
        if (!colon || !nl || colon > nl) break;
        size_t nn = (size_t)(colon - lines);
        const char *v = colon + 1;
        while (*v == ' ') v++;
        size_t vn = (size_t)(nl - v);
        if (nn < sizeof name && vn < sizeof value) {
            memcpy(name, lines, nn);
            name[nn] = '\0';
            memcpy(value, v, vn);
            value[vn] = '\0';
            MHD_add_response_header(r, name, value);
        }
        lines = nl + 1;
    }
}

/* CORS: the configured list is "*" or origins separated by spaces/commas. */
static void add_cors(const Server *s, struct MHD_Connection *conn, struct MHD_Response *r) {
    const char *list = s->config->cors_origins;
    if (!list[0]) return;
    if (!strcmp(list, "*")) {
        MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    } else {
        const char *origin = header(conn, "Origin");
        if (!origin) return;
        size_t olen = strlen(origin);
        for (const char *p = list; *p;) {
            p += strspn(p, " ,");
            size_t n = strcspn(p, " ,");
            if (n && n == olen && !memcmp(p, origin, n)) {
                MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
                MHD_add_response_header(r, "Vary", "Origin");
                break;
            }
            p += n;
        }
    }
    MHD_add_response_header(r, "Access-Control-Expose-Headers", "ETag, Retry-After");
}

/* One access-log line, written with a single call so lines do not interleave. */
static void access_log(const Ctx *ctx, const char *method, int status, size_t bytes, const char *note) {
    char path[256];
    size_t i = 0;
    for (const char *p = ctx->uri; *p && i + 4 < sizeof path; p++)
        path[i++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
    if (ctx->uri[i] && i + 4 >= sizeof path) { memcpy(path + i, "...", 3); i += 3; }
    path[i] = '\0';
    char line[512];
    int n = snprintf(line, sizeof line, "%s %s %d %zu %.1fms%s%s\n", method, path, status, bytes,
                     ms_since(&ctx->t0), note ? " " : "", note ? note : "");
    if (n > 0) fwrite(line, 1, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1, stderr);
}

/* Queue r (consumed) and log. */
static enum MHD_Result queue(Ctx *ctx, struct MHD_Connection *conn, const char *method, int status,
                             struct MHD_Response *r, size_t bytes, const char *note) {
    if (!r) {
        access_log(ctx, method, 500, 0, "(out of memory)");
        return MHD_NO;
    }
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    add_cors(ctx->server, conn, r);
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    access_log(ctx, method, status, bytes, note);
    return ok;
}

/* 304 Not Modified with the headers a 200 has: etag (already suffixed) and
 * the public Cache-Control, or a handler's own header lines (its ETag and
 * Cache-Control among them) when `lines` is not NULL. */
static enum MHD_Result send_not_modified(Ctx *ctx, struct MHD_Connection *conn, const char *method,
                                         const char *etag, int vary, const char *lines) {
    struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (!r) return queue(ctx, conn, method, 500, NULL, 0, NULL);
    if (lines) {
        add_header_lines(r, lines);
    } else {
        char cc[64];
        snprintf(cc, sizeof cc, "public, max-age=%d", ctx->server->config->cache_max_age);
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
    }
    if (vary) MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    return queue(ctx, conn, method, 304, r, 0, NULL);
}

/* Send res.  etag_base (NULL = none) is the representation's tag without the
 * encoding suffix; it is used only for a cacheable 200. */
static enum MHD_Result send_response(Ctx *ctx, struct MHD_Connection *conn, const char *method,
                                     Response *res, const char *etag_base, const char *note) {
    const Config *cfg = ctx->server->config;
    if (res->body.oom) http_error(res, 500, "ServerError", "out of memory");
    if (!res->content_type) res->content_type = "application/json";
    /* A handler's own tag (an item's version tag) is checked here, like the
     * data_version tags before the handler runs: weakly, in one place. */
    const char *own = res->status == 200 && is_get(method) ? header_line(res->headers, "ETag") : NULL;
    if (own) {
        char tag[128];
        snprintf(tag, sizeof tag, "%.*s", (int)strcspn(own, "\n"), own);
        if (etag_matches(conn, tag))
            return send_not_modified(ctx, conn, method, NULL, compressible(res->content_type), res->headers);
    }
    int ok200 = res->status == 200 && res->cacheable && is_get(method);
    int comp = compressible(res->content_type);
    int wants_gz = accepts_gzip(conn); /* the tag follows the request, as in run_route */
    int gz = comp && wants_gz;
    char *body = res->body.data;
    size_t len = res->body.len;
    char *zipped = NULL;
    if (gz && len > GZIP_MIN_BYTES) {
        size_t zlen = 0;
        zipped = gzip_bytes(body, len, &zlen);
        if (zipped) { body = zipped; len = zlen; }
    }
    struct MHD_Response *r;
    if (zipped) {
        r = MHD_create_response_from_buffer_with_free_callback(len, zipped, free);
    } else if (res->body.len) {
        size_t n = 0;
        char *data = buf_detach(&res->body, &n);
        r = MHD_create_response_from_buffer_with_free_callback(n, data, free);
        if (!r) free(data);
    } else {
        r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    }
    if (!r) {
        if (zipped) free(zipped);
        return queue(ctx, conn, method, 500, NULL, 0, NULL);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    if (zipped) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (comp) MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    /* A handler's own ETag / Cache-Control (e.g. a version tag) wins. */
    if (ok200 && etag_base && !has_header(res->headers, "ETag")) {
        char etag[96];
        snprintf(etag, sizeof etag, "\"%s%s\"", etag_base, wants_gz ? "-gz" : "");
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    }
    if (!has_header(res->headers, "Cache-Control")) {
        char cc[64];
        snprintf(cc, sizeof cc, "public, max-age=%d", cfg->cache_max_age);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, ok200 && etag_base ? cc : "no-store");
    }
    add_header_lines(r, res->headers);
    return queue(ctx, conn, method, res->status, r, len, note);
}

/* A JSON error answer outside any handler. */
static enum MHD_Result send_error(Ctx *ctx, struct MHD_Connection *conn, const char *method, int status,
                                  const char *code, const char *desc, const char *allow) {
    Response res;
    response_init(&res, method);
    http_error(&res, status, code, "%s", desc);
    if (allow) http_add_header(&res, "Allow", allow);
    enum MHD_Result rc = send_response(ctx, conn, method, &res, NULL, NULL);
    buf_free(&res.body);
    return rc;
}

/* ------------------------------------------------------------ tile cache */

typedef struct CacheRef {
    RespCache *cache;
    const CacheEntry *entry;
} CacheRef;

static void release_ref(void *cls) {
    CacheRef *ref = cls;
    cache_release(ref->cache, ref->entry);
    free(ref);
}

/* Send a cache entry (the reference is released when MHD is done with it). */
static enum MHD_Result send_cached(Ctx *ctx, struct MHD_Connection *conn, const char *method,
                                   const CacheEntry *e, const char *note) {
    RespCache *cache = ctx->server->tile_cache;
    CacheRef *ref = malloc(sizeof *ref);
    if (!ref) {
        cache_release(cache, e);
        return queue(ctx, conn, method, 500, NULL, 0, NULL);
    }
    ref->cache = cache;
    ref->entry = e;
    struct MHD_Response *r =
        MHD_create_response_from_buffer_with_free_callback_cls(e->body_len, e->body, release_ref, ref);
    if (!r) {
        release_ref(ref);
        return queue(ctx, conn, method, 500, NULL, 0, NULL);
    }
    char cc[64];
    snprintf(cc, sizeof cc, "public, max-age=%d", ctx->server->config->cache_max_age);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, e->content_type);
    if (e->gzip) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (compressible(e->content_type)) MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    if (!has_header(e->headers, "ETag")) MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, e->etag);
    if (!has_header(e->headers, "Cache-Control")) MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
    add_header_lines(r, e->headers);
    return queue(ctx, conn, method, 200, r, e->body_len, note);
}

/* Keep a finished 200 tile response: gzip it here when the client accepts
 * gzip, so the cache holds exactly the bytes that are sent.  Returns 0, or
 * -1 when it was not kept (too large, no memory). */
static int cache_store(Server *s, const char *key, Response *res, const char *etag, int gz) {
    CacheEntry e;
    memset(&e, 0, sizeof e);
    char *zipped = NULL;
    e.body = res->body.data ? res->body.data : "";
    e.body_len = res->body.len;
    if (gz && compressible(res->content_type) && res->body.len > GZIP_MIN_BYTES) {
        size_t zlen = 0;
        zipped = gzip_bytes(res->body.data, res->body.len, &zlen);
        if (!zipped) return -1;
        e.body = zipped;
        e.body_len = zlen;
        e.gzip = 1;
    }
    snprintf(e.content_type, sizeof e.content_type, "%s", res->content_type);
    snprintf(e.etag, sizeof e.etag, "%s", etag);
    snprintf(e.headers, sizeof e.headers, "%s", res->headers);
    int rc = cache_put(s->tile_cache, key, &e);
    free(zipped);
    return rc;
}

/* ---------------------------------------------------------------- routing */

/* The route for (method, path): an exact path beats a prefix, a longer
 * prefix beats a shorter one.  *other_methods gets the Allow list when the
 * path is known under other methods only. */
static const Route *find_route(const Route *routes, const char *method, const char *path,
                               char *allow, size_t allow_n) {
    const Route *best = NULL;
    size_t best_len = 0;
    int best_exact = 0;
    allow[0] = '\0';
    for (const Route *r = routes; r && r->method; r++) {
        size_t n = strlen(r->path);
        int prefix = n > 0 && r->path[n - 1] == '/';
        int exact = !strcmp(r->path, path);
        if (!exact && !(prefix && !strncmp(r->path, path, n))) continue;
        if (strcmp(r->method, method)) {
            if (!strstr(allow, r->method)) {
                size_t used = strlen(allow);
                snprintf(allow + used, allow_n - used, "%s%s%s", used ? ", " : "", r->method,
                         strcmp(r->method, "GET") ? "" : ", HEAD");
            }
            continue;
        }
        if (!best || (exact && !best_exact) || (!best_exact && n > best_len)) {
            best = r;
            best_len = n;
            best_exact = exact;
        }
    }
    return best;
}

/* Run the route's handler on a pooled read connection and send the result,
 * answering 304 or from the tile cache when it can. */
static enum MHD_Result run_route(Ctx *ctx, struct MHD_Connection *conn, const char *method, const char *path,
                                 const Route *route) {
    Server *s = ctx->server;
    sqlite3 *db = store_pool_get(s->pool);
    if (!db)
        return send_error(ctx, conn, method, 503, "ServiceUnavailable", "the database cannot be opened now",
                          NULL);
    Response res;
    response_init(&res, method);
    /* A GET runs in one read transaction, so the data_version in its tag and
     * the rows it sends agree.  Other methods write through their own
     * connection and read the latest data. */
    int get = is_get(method);
    int rc = get ? sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) : SQLITE_OK;
    long long dv = rc == SQLITE_OK ? store_data_version(db) : 0;
    if (rc == SQLITE_OK) rc = sqlite3_errcode(db);
    if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        http_db_error(&res, db, rc);
        if (get) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        store_pool_put(s->pool, db);
        enum MHD_Result r = send_response(ctx, conn, method, &res, NULL, NULL);
        buf_free(&res.body);
        return r;
    }

    int gz = accepts_gzip(conn);
    const char *host = link_host(s, conn);
    char dvs[32], base[64], etag[96];
    snprintf(dvs, sizeof dvs, "%lld", dv);
    const char *parts[] = {dvs, "GET", host ? host : "", ctx->uri};
    char hex[33];
    digest_hex(hex, parts, sizeof parts / sizeof parts[0]);
    snprintf(base, sizeof base, "v%lld-%s", dv, hex);
    snprintf(etag, sizeof etag, "\"%s%s\"", base, gz ? "-gz" : "");

    /* A client holding this URL's tag for this data_version holds the same
     * bytes (handlers depend only on data, Host and URL; the others set
     * cacheable = 0 and never hand out a tag). */
    Buf key = BUF_INIT;
    enum MHD_Result out;
    int tiles = get && s->tile_cache && !strncmp(path, TILES_PREFIX, strlen(TILES_PREFIX));
    if (get && etag_matches(conn, etag)) {
        out = send_not_modified(ctx, conn, method, etag, 1, NULL);
        goto done;
    }
    if (tiles) {
        buf_printf(&key, "%lld|%d|%s|%s", dv, gz, host ? host : "", ctx->uri);
        const CacheEntry *e = key.oom ? NULL : cache_get(s->tile_cache, key.data);
        if (e) {
            out = send_cached(ctx, conn, method, e, "(cached)");
            goto done;
        }
    }

    Request req = {
        .conn = conn,
        .server = s,
        .config = s->config,
        .method = method,
        .path = path,
        .rest = path + strlen(route->path),
        .body = ctx->body.data,
        .body_len = ctx->body.len,
        .db = db,
        .data_version = dv,
    };
    route->handler(&req, &res);
    if (res.status == 500 && db_busy(sqlite3_extended_errcode(db))) http_db_error(&res, db, SQLITE_BUSY);
    if (res.status == 503 && !has_header(res.headers, "Retry-After")) http_add_header(&res, "Retry-After", "1");
    /* A tile kept in the cache is sent from there: compressed only once. */
    const CacheEntry *kept = NULL;
    if (tiles && res.status == 200 && res.cacheable && !res.body.oom &&
        cache_store(s, key.data, &res, etag, gz) == 0)
        kept = cache_get(s->tile_cache, key.data);
    out = kept ? send_cached(ctx, conn, method, kept, NULL) : send_response(ctx, conn, method, &res, base, NULL);
done:
    buf_free(&key);
    buf_free(&res.body);
    /* Statements left open would make COMMIT fail and pin the snapshot. */
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st)) sqlite3_reset(st);
    if (!sqlite3_get_autocommit(db) && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    store_pool_put(s->pool, db);
    return out;
}

/* ------------------------------------------------------------ static files */

static const struct { const char *ext, *type; } content_types[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"geojson", "application/geo+json"},
    {"map", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"wasm", "application/wasm"},
    {"webmanifest", "application/manifest+json"},
};

static const char *content_type_for(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof content_types / sizeof content_types[0]; i++)
            if (!strcasecmp(dot + 1, content_types[i].ext)) return content_types[i].type;
    return "application/octet-stream";
}

/* Open the file for path under web_root: a regular file, not hidden (no
 * segment starting with '.'), whose real path (the decoded path may hold
 * "..", or lead through a symlink: CASES H1) lies under web_root.  Returns
 * the descriptor, or -1 for everything else alike, so that nothing tells
 * what exists outside the web directory. */
static int static_open(const Server *s, const char *path, char real[PATH_MAX], struct stat *st) {
    if (!s->web_root[0]) return -1;
    char full[PATH_MAX];
    size_t plen = strlen(path);
    const char *index = (plen == 0 || path[plen - 1] == '/') ? "index.html" : "";
    int n = snprintf(full, PATH_MAX, "%s/%s%s", s->web_root, path[0] == '/' ? path + 1 : path, index);
    if (n < 0 || (size_t)n >= PATH_MAX || !realpath(full, real)) return -1;
    size_t rootlen = strlen(s->web_root);
    if (strncmp(real, s->web_root, rootlen) != 0 || real[rootlen] != '/' || strstr(real + rootlen, "/."))
        return -1;
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || (size_t)st->st_size > STATIC_MAX_BYTES)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static enum MHD_Result serve_static(Ctx *ctx, struct MHD_Connection *conn, const char *method,
                                    const char *path) {
    char real[PATH_MAX];
    struct stat st;
    int fd = static_open(ctx->server, path, real, &st);
    if (fd < 0) return send_error(ctx, conn, method, 404, "NotFound", "no such file", NULL);
    const char *ctype = content_type_for(real);
    int gz = compressible(ctype) && accepts_gzip(conn);
    /* The tag follows the file's identity and modification time. */
    char ident[96], hex[33], base[48], etag[64];
    snprintf(ident, sizeof ident, "%llu-%lld-%ld-%llu", (unsigned long long)st.st_size,
             (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);
    const char *parts[] = {"static", ident};
    digest_hex(hex, parts, 2);
    snprintf(base, sizeof base, "s-%.24s", hex);
    snprintf(etag, sizeof etag, "\"%s%s\"", base, gz ? "-gz" : "");
    if (etag_matches(conn, etag)) {
        close(fd);
        return send_not_modified(ctx, conn, method, etag, compressible(ctype), NULL);
    }
    Response res;
    response_init(&res, method);
    res.content_type = ctype;
    if (buf_reserve(&res.body, (size_t)st.st_size) == 0) {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t k = read(fd, res.body.data + got, (size_t)st.st_size - got);
            if (k <= 0) break;
            got += (size_t)k;
        }
        res.body.len = got;
        res.body.data[got] = '\0';
        if (got != (size_t)st.st_size) http_error(&res, 500, "ServerError", "cannot read the file");
    }
    close(fd);
    enum MHD_Result r = send_response(ctx, conn, method, &res, base, NULL);
    buf_free(&res.body);
    return r;
}

/* --------------------------------------------------------------- dispatch */

/* OPTIONS: the methods the path takes in Allow, and for a CORS preflight
 * the same methods and the request headers the API reads. */
static enum MHD_Result options(Ctx *ctx, struct MHD_Connection *conn, const char *method, const char *allow) {
    struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (r) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (r && ctx->server->config->cors_origins[0]) {
        MHD_add_response_header(r, "Access-Control-Allow-Methods", allow);
        MHD_add_response_header(r, "Access-Control-Allow-Headers",
                                "Content-Type, If-Match, If-None-Match, X-CSRF-Token");
        MHD_add_response_header(r, "Access-Control-Max-Age", "600");
    }
    return queue(ctx, conn, method, 204, r, 0, NULL);
}

/* 1 when a static file answers GET at path. */
static int static_exists(const Server *s, const char *path) {
    char real[PATH_MAX];
    struct stat st;
    int fd = static_open(s, path, real, &st);
    if (fd < 0) return 0;
    close(fd);
    return 1;
}

static enum MHD_Result dispatch(Ctx *ctx, struct MHD_Connection *conn, const char *url, const char *method) {
    Server *s = ctx->server;
    char allow[160];
    const Route *route = find_route(s->routes, is_get(method) ? "GET" : method, url, allow, sizeof allow - 16);
    /* Every path takes OPTIONS; a path no route takes is a static file's. */
    if (!allow[0] && !route && !is_get(method) && static_exists(s, url)) snprintf(allow, sizeof allow, "GET, HEAD");
    if (allow[0]) strcat(allow, ", OPTIONS");
    if (!strcmp(method, "OPTIONS")) {
        if (allow[0]) return options(ctx, conn, method, allow);
        return send_error(ctx, conn, method, 404, "NotFound", "no such resource", NULL);
    }
    if (route) return run_route(ctx, conn, method, url, route);
    if (allow[0]) {
        char desc[240];
        snprintf(desc, sizeof desc, "method %.16s not allowed here; allowed: %s", method, allow);
        return send_error(ctx, conn, method, 405, "MethodNotAllowed", desc, allow);
    }
    if (is_get(method)) return serve_static(ctx, conn, method, url);
    return send_error(ctx, conn, method, 404, "NotFound", "no such resource", NULL);
}

/* 1 unless the body is declared binary (application/octet-stream): every
 * endpoint that takes a body reads it as JSON, the what-if one whatever
 * its Content-Type (curl --data sends a form type). */
static int body_may_be_json(struct MHD_Connection *conn) {
    const char *ct = header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
    return !ct || strcspn(ct, "; ") != 24 || strncasecmp(ct, "application/octet-stream", 24) != 0;
}

/* 1 when a JSON text holds a NUL: raw, or as a \u0000 escape, which cJSON
 * decodes into a string cut short (a field silently wiped). */
static int json_has_nul(const char *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (b[i] == '\0') return 1;
        if (b[i] != '\\' || i + 1 >= n) continue;
        if (b[i + 1] == 'u' && i + 6 <= n && !memcmp(b + i + 2, "0000", 4)) return 1;
        i++; /* the escaped character: "\\u0000" is a backslash and text */
    }
    return 0;
}

/* Parse a Content-Length value; saturates instead of overflowing. */
static unsigned long long parse_length(const char *s) {
    unsigned long long v = 0;
    for (; *s == ' '; s++) {}
    for (; *s >= '0' && *s <= '9'; s++) v = v > (ULLONG_MAX - 9) / 10 ? ULLONG_MAX : v * 10 + (unsigned)(*s - '0');
    return v;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
    (void)cls;
    (void)version;
    Ctx *ctx = *con_cls;
    if (!ctx || !ctx->uri) return MHD_NO; /* allocation failed in on_uri: drop the connection */
    const Config *cfg = ctx->server->config;
    if (!ctx->seen) {
        ctx->seen = 1;
        if (strlen(ctx->uri) > cfg->max_query_bytes) {
            char desc[96];
            snprintf(desc, sizeof desc, "the URL is longer than %zu bytes", cfg->max_query_bytes);
            return send_error(ctx, conn, method, 414, "URITooLong", desc, NULL);
        }
        /* libmicrohttpd decodes %00 into a NUL that silently cuts the path or
         * value short ("/index.html%00.png" would serve index.html). */
        if (strstr(ctx->uri, "%00"))
            return send_error(ctx, conn, method, 400, "InvalidParameterValue",
                              "the URL holds an encoded NUL (%00)", NULL);
        /* Refuse a declared body above the cap now, before reading any of it. */
        const char *cl = header(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && parse_length(cl) > cfg->max_body_bytes) {
            char desc[96];
            snprintf(desc, sizeof desc, "the request body is larger than %zu bytes", cfg->max_body_bytes);
            return send_error(ctx, conn, method, 413, "PayloadTooLarge", desc, NULL);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        ctx->received += n;
        if (!ctx->overflow && ctx->body.len + n <= cfg->max_body_bytes) {
            buf_append(&ctx->body, upload_data, n);
            if (!ctx->body.oom) return MHD_YES;
        }
        /* A chunked body went over the cap: drop it, answer 413 at the end;
         * a stream that keeps going far beyond is cut off. */
        ctx->overflow = 1;
        buf_free(&ctx->body);
        return ctx->received > 2 * cfg->max_body_bytes + (1u << 20) ? MHD_NO : MHD_YES;
    }
    if (ctx->overflow) {
        char desc[96];
        snprintf(desc, sizeof desc, "the request body is larger than %zu bytes", cfg->max_body_bytes);
        return send_error(ctx, conn, method, 413, "PayloadTooLarge", desc, NULL);
    }
    /* Once here for every handler, before any of them parses the body. */
    if (ctx->body.len && body_may_be_json(conn) && json_has_nul(ctx->body.data, ctx->body.len))
        return send_error(ctx, conn, method, 400, "InvalidParameterValue",
                          "the JSON body holds a NUL character (\\u0000), which no value may contain", NULL);
    return dispatch(ctx, conn, url, method);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
    (void)conn;
    Ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    ctx->server = cls;
    ctx->uri = strdup(uri ? uri : "");
    clock_gettime(CLOCK_MONOTONIC, &ctx->t0);
    buf_init(&ctx->body);
    return ctx;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)conn;
    (void)toe;
    Ctx *ctx = *con_cls;
    if (!ctx) return;
    buf_free(&ctx->body);
    free(ctx->uri);
    free(ctx);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    fprintf(stderr, "vetmap: http: %s%s", line, n && line[n - 1] == '\n' ? "" : "\n");
}

/* ------------------------------------------------------------ start/stop */

/* A listening socket on config->bind:port, made here rather than by MHD so
 * that a failure names the real address and port (MHD reports the port it
 * was given, 0 with a socket address).  *port gets the port bound (with
 * port 0, the one the system chose), *ipv6 whether it is an IPv6 socket.
 * Returns the descriptor, or -1. */
static int listen_socket(const Config *config, int *port, int *ipv6, char **err) {
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", config->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(config->bind, portstr, &hints, &ai);
    if (gai != 0) {
        *err = strfmt("bind address %s: %s", config->bind, gai_strerror(gai));
        return -1;
    }
    int one = 1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
             (ai->ai_family != AF_INET6 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0) &&
             bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0;
    int e = errno;
    *ipv6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    if (!ok) {
        *err = strfmt("cannot listen on %s port %d: %s", config->bind, config->port, strerror(e));
        if (fd >= 0) close(fd);
        return -1;
    }
    union { struct sockaddr sa; struct sockaddr_in in; struct sockaddr_in6 in6; } addr;
    socklen_t len = sizeof addr;
    *port = config->port;
    if (getsockname(fd, &addr.sa, &len) == 0)
        *port = ntohs(addr.sa.sa_family == AF_INET6 ? addr.in6.sin6_port : addr.in.sin_port);
    return fd;
}

Server *http_start(const Config *config, StorePool *pool, const Route *routes, char **err) {
    *err = NULL;
    if (sodium_init() < 0) {
        *err = strfmt("libsodium failed to initialise");
        return NULL;
    }
    Server *s = calloc(1, sizeof *s);
    if (!s) {
        *err = strfmt("out of memory");
        return NULL;
    }
    s->config = config;
    s->pool = pool;
    s->routes = routes;
    if (config->web_dir[0] && !realpath(config->web_dir, s->web_root)) {
        *err = strfmt("web directory %s: %s", config->web_dir, strerror(errno));
        free(s);
        return NULL;
    }
    s->tile_cache = cache_new(config->tile_cache_bytes);

    int ipv6 = 0;
    int fd = listen_socket(config, &s->port, &ipv6, err);
    if (fd < 0) {
        cache_free(s->tile_cache);
        free(s);
        return NULL;
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ipv6) flags |= MHD_USE_IPv6;
    /* The request line and headers live in the connection's memory pool:
     * make room for a URL up to the cap so that we answer 414 ourselves. */
    size_t pool_bytes = config->max_query_bytes * 2 + (32u << 10);
    /* The logger comes first, or MHD warns through its own logger. */
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)config->connection_timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)config->connection_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)config->per_ip_connection_limit,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool_bytes,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_END);
    if (!s->daemon) {
        /* Nothing else runs yet: the descriptor is still ours unless MHD
         * closed it on its way out. */
        if (fcntl(fd, F_GETFD) != -1) close(fd);
        *err = strfmt("cannot start the HTTP server on %s port %d", config->bind, s->port);
        cache_free(s->tile_cache);
        free(s);
        return NULL;
    }
    return s;
}

void http_stop(Server *s) {
    if (!s) return;
    MHD_stop_daemon(s->daemon);
    cache_free(s->tile_cache);
    free(s);
}

int http_port(const Server *s) { return s ? s->port : 0; }

const Route *http_routes(const Server *s) { return s ? s->routes : NULL; }

/* ------------------------------------------------------ request facts */

const char *http_header(Request *req, const char *name) { return header(req->conn, name); }

const char *http_cookie(Request *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

void http_client_ip(Request *req, char *out, size_t n) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    const char *ok = NULL;
    if (sa && sa->sa_family == AF_INET)
        ok = inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
    else if (sa && sa->sa_family == AF_INET6)
        ok = inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
    if (!ok) snprintf(out, n, "unknown");
}

void http_base_url(Request *req, Buf *out) {
    if (req->config->public_url[0]) {
        buf_puts(out, req->config->public_url);
        return;
    }
    const char *host = safe_host(req->conn);
    if (host) {
        buf_printf(out, "http://%s", host);
        return;
    }
    const char *bind = req->config->bind;
    int v6 = strchr(bind, ':') != NULL;
    if (!strcmp(bind, "0.0.0.0") || !strcmp(bind, "::")) bind = v6 ? "::1" : "127.0.0.1";
    buf_printf(out, v6 ? "http://[%s]:%d" : "http://%s:%d", bind, http_port(req->server));
}
