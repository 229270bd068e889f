/* http.h — the HTTP server: libmicrohttpd setup, routing, responses.
 *
 * One thread per connection (so a slow client never holds up another:
 * CASES H2), each request borrowing a read-only SQLite connection from the
 * store pool for its duration.  Handlers fill a Response; http.c adds the
 * ETag (strong, from data_version + method + URL) and answers 304 to a
 * matching If-None-Match, gzips when the client accepts it, adds
 * Cache-Control / CORS headers and writes one access-log line.
 * Errors are JSON: {"code": "...", "description": "..."}. */
#ifndef VETMAP_HTTP_H
#define VETMAP_HTTP_H

#include "base/buf.h"
#include "base/config.h"
#include "store/store.h"
#include <sqlite3.h>
#include <stddef.h>

struct MHD_Connection;
typedef struct Server Server;

typedef struct Request {
    struct MHD_Connection *conn;
    Server *server;
    const Config *config;
    const char *method;       /* "GET", "POST", ... */
    const char *path;         /* decoded path, e.g. "/api/collections/x/items" */
    const char *rest;         /* the part of path after the route's prefix */
    const char *body;         /* request body (NUL-terminated), or NULL */
    size_t body_len;
    sqlite3 *db;              /* read connection, valid during the handler */
    long long data_version;   /* of db when the request started */
} Request;

typedef struct Response {
    int status;               /* default 200 */
    const char *content_type; /* default application/json */
    Buf body;
    int cacheable;            /* 1: ETag + public Cache-Control (default 1 for GET).
                               * A GET handler whose body depends on anything but
                               * the data, the Host header and the URL (a session,
                               * the clock) must set 0: tags are checked before
                               * the handler runs. */
    char headers[512];        /* extra "Name: value\n" lines */
} Response;

typedef void (*RouteHandler)(Request *req, Response *res);

typedef struct Route {
    const char *method;       /* "GET", "POST", ... */
    const char *path;         /* exact path, or a prefix when it ends in '/' */
    RouteHandler handler;
} Route;

/* Start serving `routes` (terminated by a {NULL} entry) on config->bind:port.
 * Static files come from config->web_dir for GET paths no route takes.
 * Returns NULL with *err on failure (port in use, bad address). */
Server *http_start(const Config *config, StorePool *pool, const Route *routes, char **err);
void http_stop(Server *s);
/* The port actually bound (useful with port 0). */
int http_port(const Server *s);
/* The route table the server was started with ({NULL}-terminated). */
const Route *http_routes(const Server *s);

/* Query parameters (decoded).  http_query returns NULL when absent. */
const char *http_query(Request *req, const char *name);
/* Fail with 400 InvalidParameterValue when a query parameter is not in the
 * NULL-terminated `allowed` list, is given twice, or is an enumerated
 * filter (collection_param_values: kind, ownership, location_precision)
 * with a value outside its set.  Returns 0 or -1. */
int http_check_params(Request *req, Response *res, const char *const *allowed);
/* Integer parameter in [min, max], default `def` when absent.  Returns 0, or
 * -1 after setting a 400 error naming the parameter. */
int http_query_int(Request *req, Response *res, const char *name, long long def,
                   long long min, long long max, long long *out);
/* Number parameter (finite), same contract. */
int http_query_double(Request *req, Response *res, const char *name, double def,
                      double min, double max, double *out, int *present);
/* bbox=w,s,e,n (degrees, w<=e, s<=n, in range).  *present = 0 when absent.
 * Returns 0, or -1 after a 400 error. */
int http_query_bbox(Request *req, Response *res, double bbox[4], int *present);

/* Set a JSON error body: {"code": code, "description": printf(fmt, ...)}. */
void http_error(Response *res, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Set the error for a failed SQLite call (rc = the SQLite result code): 503
 * with Retry-After: 1 when the database was busy or locked (CASES S2), else
 * 500 with the SQLite message in the log only.  http.c also turns a 500 left
 * by a handler into this 503 when the connection's last error was a busy. */
void http_db_error(Response *res, sqlite3 *db, int rc);
/* A request header (case-insensitive name), or NULL. */
const char *http_header(Request *req, const char *name);
/* Append one extra header line to the response. */
void http_add_header(Response *res, const char *name, const char *value);
/* The request's own URL root for absolute links: the configured public_url
 * when set, else e.g. "http://127.0.0.1:8080" from the Host header. */
void http_base_url(Request *req, Buf *out);
/* The request's query string re-encoded, without `skip` params (NULL-term.
 * list), e.g. for building next links.  Appends "k=v&k2=v2" (no '?'). */
void http_query_string(Request *req, Buf *out, const char *const *skip);

/* ---- added for accounts and editing (api_auth.c) ------------------------ */

/* The value of the request cookie `name` (as libmicrohttpd parsed the
 * Cookie header), or NULL. */
const char *http_cookie(Request *req, const char *name);
/* The client's IP address as text (IPv4 dotted, IPv6 colon form) into out
 * (size n >= 46); "unknown" when the socket does not say.  The peer of the
 * TCP connection: a reverse proxy in front shows up as its own address. */
void http_client_ip(Request *req, char *out, size_t n);

#endif
