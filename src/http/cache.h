/* cache.h — a bounded in-memory LRU cache of finished HTTP responses.
 *
 * http.c keeps the GET responses of /tiles/ here, keyed by a string the
 * caller builds from data_version, the full URL and the content encoding, so
 * a write to the store (which bumps data_version) makes every old entry
 * unreachable; old entries then age out of the LRU.  Entries are immutable
 * and reference counted: a lookup hands out a reference that stays valid
 * (e.g. while libmicrohttpd sends the body) even if the entry is evicted
 * meanwhile.  All functions are thread-safe. */
#ifndef VETMAP_CACHE_H
#define VETMAP_CACHE_H

#include <stddef.h>

typedef struct RespCache RespCache;

/* One cached response.  Fields are read-only once the entry is in the cache. */
typedef struct CacheEntry {
    char *body;               /* the bytes sent (already gzipped when gzip = 1) */
    size_t body_len;
    int gzip;                 /* 1: body is gzip-encoded */
    char content_type[96];
    char etag[96];            /* quoted strong ETag */
    char headers[512];        /* extra "Name: value\n" lines */
} CacheEntry;

/* A cache holding at most max_bytes of keys + bodies + bookkeeping; entries
 * larger than an eighth of it are not kept.  max_bytes = 0 gives a cache
 * that stores nothing.  Returns NULL on allocation failure. */
RespCache *cache_new(size_t max_bytes);
void cache_free(RespCache *c);

/* The entry stored under key (marked most recently used), or NULL.  A non-NULL
 * result must be given back with cache_release. */
const CacheEntry *cache_get(RespCache *c, const char *key);

/* Store a copy of *e under key (replacing an older entry with that key) and
 * evict least recently used entries until the cache fits.  Returns 0, or -1
 * when the entry is too large or memory is short (nothing is stored). */
int cache_put(RespCache *c, const char *key, const CacheEntry *e);

/* Give back a reference from cache_get. */
void cache_release(RespCache *c, const CacheEntry *e);

/* Bytes currently accounted and entry count (for tests and logs). */
size_t cache_bytes(RespCache *c, size_t *entries);

#endif
