/* http_static.c — files of the web root: path checks, content types, ETag,
 * gzip (http_internal.h). */
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
int http_static_open(const Server *s, const char *path, char real[PATH_MAX], struct stat *st) {
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

enum MHD_Result http_serve_static(Ctx *ctx, struct MHD_Connection *conn, const char *method,
                                  const char *path) {
    char real[PATH_MAX];
    struct stat st;
    int fd = http_static_open(ctx->server, path, real, &st);
    if (fd < 0) return http_send_error(ctx, conn, method, 404, "NotFound", "no such file", NULL);
    const char *ctype = content_type_for(real);
    int gz = http_compressible(ctype) && http_accepts_gzip(conn);
    /* The tag follows the file's identity and modification time. */
    char ident[96], hex[33], base[48], etag[64];
    snprintf(ident, sizeof ident, "%llu-%lld-%ld-%llu", (unsigned long long)st.st_size,
             (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);
    const char *parts[] = {"static", ident};
    http_digest_hex(hex, parts, 2);
    snprintf(base, sizeof base, "s-%.24s", hex);
    snprintf(etag, sizeof etag, "\"%s%s\"", base, gz ? "-gz" : "");
    if (http_etag_matches(conn, etag)) {
        close(fd);
        return http_send_not_modified(ctx, conn, method, etag, http_compressible(ctype), NULL);
    }
    Response res;
    http_response_init(&res, method);
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
    enum MHD_Result r = http_send_response(ctx, conn, method, &res, base, NULL);
    buf_free(&res.body);
    return r;
}


/* 1 when a static file answers GET at path. */
int http_static_exists(const Server *s, const char *path) {
    char real[PATH_MAX];
    struct stat st;
    int fd = http_static_open(s, path, real, &st);
    if (fd < 0) return 0;
    close(fd);
    return 1;
}
