/* http.c — libmicrohttpd server, routing and dispatch (http.h).
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
        return http_send_error(ctx, conn, method, 503, "ServiceUnavailable", "the database cannot be opened now",
                          NULL);
    Response res;
    http_response_init(&res, method);
    /* A GET runs in one read transaction, so the data_version in its tag and
     * the rows it sends agree.  Other methods write through their own
     * connection and read the latest data. */
    int get = http_is_get(method);
    int rc = get ? sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) : SQLITE_OK;
    long long dv = rc == SQLITE_OK ? store_data_version(db) : 0;
    if (rc == SQLITE_OK) rc = sqlite3_errcode(db);
    if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        http_db_error(&res, db, rc);
        if (get) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        store_pool_put(s->pool, db);
        enum MHD_Result r = http_send_response(ctx, conn, method, &res, NULL, NULL);
        buf_free(&res.body);
        return r;
    }

    int gz = http_accepts_gzip(conn);
    const char *host = http_link_host(s, conn);
    char dvs[32], base[64], etag[96];
    snprintf(dvs, sizeof dvs, "%lld", dv);
    const char *parts[] = {dvs, "GET", host ? host : "", ctx->uri};
    char hex[33];
    http_digest_hex(hex, parts, sizeof parts / sizeof parts[0]);
    snprintf(base, sizeof base, "v%lld-%s", dv, hex);
    snprintf(etag, sizeof etag, "\"%s%s\"", base, gz ? "-gz" : "");

    /* A client holding this URL's tag for this data_version holds the same
     * bytes (handlers depend only on data, Host and URL; the others set
     * cacheable = 0 and never hand out a tag). */
    Buf key = BUF_INIT;
    enum MHD_Result out;
    int tiles = get && s->tile_cache && !strncmp(path, TILES_PREFIX, strlen(TILES_PREFIX));
    if (get && http_etag_matches(conn, etag)) {
        out = http_send_not_modified(ctx, conn, method, etag, 1, NULL);
        goto done;
    }
    if (tiles) {
        buf_printf(&key, "%lld|%d|%s|%s", dv, gz, host ? host : "", ctx->uri);
        const CacheEntry *e = key.oom ? NULL : cache_get(s->tile_cache, key.data);
        if (e) {
            out = http_send_cached(ctx, conn, method, e, "(cached)");
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
    if (res.status == 500 && http_db_busy(sqlite3_extended_errcode(db))) http_db_error(&res, db, SQLITE_BUSY);
    if (res.status == 503 && !http_has_header(res.headers, "Retry-After")) http_add_header(&res, "Retry-After", "1");
    /* A tile kept in the cache is sent from there: compressed only once. */
    const CacheEntry *kept = NULL;
    if (tiles && res.status == 200 && res.cacheable && !res.body.oom &&
        http_cache_store(s, key.data, &res, etag, gz) == 0)
        kept = cache_get(s->tile_cache, key.data);
    out = kept ? http_send_cached(ctx, conn, method, kept, NULL) : http_send_response(ctx, conn, method, &res, base, NULL);
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
    return http_queue(ctx, conn, method, 204, r, 0, NULL);
}


static enum MHD_Result dispatch(Ctx *ctx, struct MHD_Connection *conn, const char *url, const char *method) {
    Server *s = ctx->server;
    char allow[160];
    const Route *route = find_route(s->routes, http_is_get(method) ? "GET" : method, url, allow, sizeof allow - 16);
    /* Every path takes OPTIONS; a path no route takes is a static file's. */
    if (!allow[0] && !route && !http_is_get(method) && http_static_exists(s, url)) snprintf(allow, sizeof allow, "GET, HEAD");
    if (allow[0]) strcat(allow, ", OPTIONS");
    if (!strcmp(method, "OPTIONS")) {
        if (allow[0]) return options(ctx, conn, method, allow);
        return http_send_error(ctx, conn, method, 404, "NotFound", "no such resource", NULL);
    }
    if (route) return run_route(ctx, conn, method, url, route);
    if (allow[0]) {
        char desc[240];
        snprintf(desc, sizeof desc, "method %.16s not allowed here; allowed: %s", method, allow);
        return http_send_error(ctx, conn, method, 405, "MethodNotAllowed", desc, allow);
    }
    if (http_is_get(method)) return http_serve_static(ctx, conn, method, url);
    return http_send_error(ctx, conn, method, 404, "NotFound", "no such resource", NULL);
}

/* 1 unless the body is declared binary (application/octet-stream): every
 * endpoint that takes a body reads it as JSON, the what-if one whatever
 * its Content-Type (curl --data sends a form type). */
static int body_may_be_json(struct MHD_Connection *conn) {
    const char *ct = http_conn_header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
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
            return http_send_error(ctx, conn, method, 414, "URITooLong", desc, NULL);
        }
        /* libmicrohttpd decodes %00 into a NUL that silently cuts the path or
         * value short ("/index.html%00.png" would serve index.html). */
        if (strstr(ctx->uri, "%00"))
            return http_send_error(ctx, conn, method, 400, "InvalidParameterValue",
                              "the URL holds an encoded NUL (%00)", NULL);
        /* Refuse a declared body above the cap now, before reading any of it. */
        const char *cl = http_conn_header(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && parse_length(cl) > cfg->max_body_bytes) {
            char desc[96];
            snprintf(desc, sizeof desc, "the request body is larger than %zu bytes", cfg->max_body_bytes);
            return http_send_error(ctx, conn, method, 413, "PayloadTooLarge", desc, NULL);
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
        return http_send_error(ctx, conn, method, 413, "PayloadTooLarge", desc, NULL);
    }
    /* Once here for every handler, before any of them parses the body. */
    if (ctx->body.len && body_may_be_json(conn) && json_has_nul(ctx->body.data, ctx->body.len))
        return http_send_error(ctx, conn, method, 400, "InvalidParameterValue",
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

const char *http_header(Request *req, const char *name) { return http_conn_header(req->conn, name); }

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
    const char *host = http_safe_host(req->conn);
    if (host) {
        buf_printf(out, "http://%s", host);
        return;
    }
    const char *bind = req->config->bind;
    int v6 = strchr(bind, ':') != NULL;
    if (!strcmp(bind, "0.0.0.0") || !strcmp(bind, "::")) bind = v6 ? "::1" : "127.0.0.1";
    buf_printf(out, v6 ? "http://[%s]:%d" : "http://%s:%d", bind, http_port(req->server));
}
