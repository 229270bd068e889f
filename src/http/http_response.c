/* http_response.c — responses: headers, CORS, gzip, ETag and 304, JSON errors,
 * the access log and the tile-response cache (http_internal.h). */
#include "http/http.h"
#include "http/http_internal.h"
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

/* --------------------------------------------------------------- helpers */

static double ms_since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

int http_is_get(const char *method) { return !strcmp(method, "GET") || !strcmp(method, "HEAD"); }

const char *http_conn_header(struct MHD_Connection *conn, const char *name) {
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* 1 when the Accept-Encoding list names gzip with a non-zero q. */
int http_accepts_gzip(struct MHD_Connection *conn) {
    const char *ae = http_conn_header(conn, MHD_HTTP_HEADER_ACCEPT_ENCODING);
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

int http_compressible(const char *ctype) {
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
void http_digest_hex(char out[33], const char *const *parts, size_t nparts) {
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
int http_etag_matches(struct MHD_Connection *conn, const char *etag) {
    const char *inm = http_conn_header(conn, MHD_HTTP_HEADER_IF_NONE_MATCH);
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
const char *http_safe_host(struct MHD_Connection *conn) {
    const char *h = http_conn_header(conn, MHD_HTTP_HEADER_HOST);
    if (!h || !*h || strlen(h) > 255) return NULL;
    for (const char *p = h; *p; p++)
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
              strchr(".-:[]_", *p)))
            return NULL;
    return h;
}

/* The Host that answers may depend on: none when public_url fixes the
 * links, so tags and cached tiles are shared by every Host. */
const char *http_link_host(const Server *s, struct MHD_Connection *conn) {
    return s->config->public_url[0] ? NULL : http_safe_host(conn);
}

/* The value of the header called name (any case) in the "Name: value\n"
 * lines, or NULL. */
const char *http_header_line(const char *lines, const char *name) {
    size_t n = strlen(name);
    for (const char *p = lines; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncasecmp(p, name, n) && p[n] == ':') return p + n + 1 + strspn(p + n + 1, " ");
    return NULL;
}

int http_has_header(const char *lines, const char *name) { return http_header_line(lines, name) != NULL; }

int http_db_busy(int rc) {
    rc &= 0xff;
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

/* ------------------------------------------------------- response helpers */

void http_response_init(Response *res, const char *method) {
    memset(res, 0, sizeof *res);
    res->status = 200;
    res->content_type = "application/json";
    buf_init(&res->body);
    res->cacheable = http_is_get(method);
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
    if (http_db_busy(rc)) {
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
        const char *origin = http_conn_header(conn, "Origin");
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
enum MHD_Result http_queue(Ctx *ctx, struct MHD_Connection *conn, const char *method, int status,
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
enum MHD_Result http_send_not_modified(Ctx *ctx, struct MHD_Connection *conn, const char *method,
                                       const char *etag, int vary, const char *lines) {
    struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (!r) return http_queue(ctx, conn, method, 500, NULL, 0, NULL);
    if (lines) {
        add_header_lines(r, lines);
    } else {
        char cc[64];
        snprintf(cc, sizeof cc, "public, max-age=%d", ctx->server->config->cache_max_age);
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
    }
    if (vary) MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    return http_queue(ctx, conn, method, 304, r, 0, NULL);
}

/* Send res.  etag_base (NULL = none) is the representation's tag without the
 * encoding suffix; it is used only for a cacheable 200. */
enum MHD_Result http_send_response(Ctx *ctx, struct MHD_Connection *conn, const char *method,
                                   Response *res, const char *etag_base, const char *note) {
    const Config *cfg = ctx->server->config;
    if (res->body.oom) http_error(res, 500, "ServerError", "out of memory");
    if (!res->content_type) res->content_type = "application/json";
    /* A handler's own tag (an item's version tag) is checked here, like the
     * data_version tags before the handler runs: weakly, in one place. */
    const char *own = res->status == 200 && http_is_get(method) ? http_header_line(res->headers, "ETag") : NULL;
    if (own) {
        char tag[128];
        snprintf(tag, sizeof tag, "%.*s", (int)strcspn(own, "\n"), own);
        if (http_etag_matches(conn, tag))
            return http_send_not_modified(ctx, conn, method, NULL, http_compressible(res->content_type), res->headers);
    }
    int ok200 = res->status == 200 && res->cacheable && http_is_get(method);
    int comp = http_compressible(res->content_type);
    int wants_gz = http_accepts_gzip(conn); /* the tag follows the request, as in run_route */
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
        return http_queue(ctx, conn, method, 500, NULL, 0, NULL);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    if (zipped) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (comp) MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    /* A handler's own ETag / Cache-Control (e.g. a version tag) wins. */
    if (ok200 && etag_base && !http_has_header(res->headers, "ETag")) {
        char etag[96];
        snprintf(etag, sizeof etag, "\"%s%s\"", etag_base, wants_gz ? "-gz" : "");
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    }
    if (!http_has_header(res->headers, "Cache-Control")) {
        char cc[64];
        snprintf(cc, sizeof cc, "public, max-age=%d", cfg->cache_max_age);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, ok200 && etag_base ? cc : "no-store");
    }
    add_header_lines(r, res->headers);
    return http_queue(ctx, conn, method, res->status, r, len, note);
}

/* A JSON error answer outside any handler. */
enum MHD_Result http_send_error(Ctx *ctx, struct MHD_Connection *conn, const char *method, int status,
                                const char *code, const char *desc, const char *allow) {
    Response res;
    http_response_init(&res, method);
    http_error(&res, status, code, "%s", desc);
    if (allow) http_add_header(&res, "Allow", allow);
    enum MHD_Result rc = http_send_response(ctx, conn, method, &res, NULL, NULL);
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
enum MHD_Result http_send_cached(Ctx *ctx, struct MHD_Connection *conn, const char *method,
                                 const CacheEntry *e, const char *note) {
    RespCache *cache = ctx->server->tile_cache;
    CacheRef *ref = malloc(sizeof *ref);
    if (!ref) {
        cache_release(cache, e);
        return http_queue(ctx, conn, method, 500, NULL, 0, NULL);
    }
    ref->cache = cache;
    ref->entry = e;
    struct MHD_Response *r =
        MHD_create_response_from_buffer_with_free_callback_cls(e->body_len, e->body, release_ref, ref);
    if (!r) {
        release_ref(ref);
        return http_queue(ctx, conn, method, 500, NULL, 0, NULL);
    }
    char cc[64];
    snprintf(cc, sizeof cc, "public, max-age=%d", ctx->server->config->cache_max_age);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, e->content_type);
    if (e->gzip) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (http_compressible(e->content_type)) MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    if (!http_has_header(e->headers, "ETag")) MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, e->etag);
    if (!http_has_header(e->headers, "Cache-Control")) MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
    add_header_lines(r, e->headers);
    return http_queue(ctx, conn, method, 200, r, e->body_len, note);
}

/* Keep a finished 200 tile response: gzip it here when the client accepts
 * gzip, so the cache holds exactly the bytes that are sent.  Returns 0, or
 * -1 when it was not kept (too large, no memory). */
int http_cache_store(Server *s, const char *key, Response *res, const char *etag, int gz) {
    CacheEntry e;
    memset(&e, 0, sizeof e);
    char *zipped = NULL;
    e.body = res->body.data ? res->body.data : "";
    e.body_len = res->body.len;
    if (gz && http_compressible(res->content_type) && res->body.len > GZIP_MIN_BYTES) {
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
