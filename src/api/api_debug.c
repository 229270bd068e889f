/* api_debug.c — diagnostic endpoints for tests (api_debug.h). */
#include "api/api_debug.h"
#include "api/api_features.h"
#include "geo/geojson.h"

#include <sodium.h>

static void echo(Request *req, Response *res) {
    unsigned char hash[crypto_hash_sha256_BYTES];
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    crypto_hash_sha256(hash, (const unsigned char *)(req->body ? req->body : ""), req->body_len);
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    res->cacheable = 0;
    buf_printf(&res->body, "{\"bytes\":%zu,\"sha256\":\"%s\"}\n", req->body_len, hex);
}

static void routes(Request *req, Response *res) {
    res->cacheable = 0;
    buf_putc(&res->body, '[');
    const Route *r = http_routes(req->server);
    for (int i = 0; r && r[i].method; i++) {
        buf_puts(&res->body, i ? ",{\"method\":" : "{\"method\":");
        json_str(&res->body, r[i].method);
        buf_puts(&res->body, ",\"path\":");
        json_str(&res->body, r[i].path);
        buf_putc(&res->body, '}');
    }
    buf_puts(&res->body, "]\n");
}

const Route api_debug_routes[] = {
    {"POST", "/api/_debug/echo", echo},
    {"GET", "/api/_debug/routes", routes},
    {"GET", "/api/_debug/items-sql/", api_features_items_sql},
    {NULL, NULL, NULL},
};
