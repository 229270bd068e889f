/* test_cache.c — cache.h: the LRU response cache (byte bound, recency,
 * replacement, references that outlive eviction). */
#include "http/cache.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

static CacheEntry entry(const char *body) {
    CacheEntry e;
    memset(&e, 0, sizeof e);
    e.body = (char *)body;
    e.body_len = strlen(body);
    snprintf(e.content_type, sizeof e.content_type, "application/geo+json");
    snprintf(e.etag, sizeof e.etag, "\"t-%zu\"", e.body_len);
    return e;
}

static void test_get_put(void) {
    RespCache *c = cache_new(1 << 20);
    CHECK(c != NULL);
    CHECK(cache_get(c, "k1") == NULL);
    CacheEntry e = entry("{\"a\":1}");
    CHECK_INT(cache_put(c, "k1", &e), 0);
    const CacheEntry *got = cache_get(c, "k1");
    CHECK(got != NULL);
    if (got) {
        CHECK_INT(got->body_len, 7);
        CHECK(got->body != e.body); /* a copy */
        CHECK(!memcmp(got->body, "{\"a\":1}", 7));
        CHECK_STR(got->etag, "\"t-7\"");
        cache_release(c, got);
    }
    /* Same key again: replaced, not duplicated. */
    CacheEntry e2 = entry("{\"a\":22}");
    CHECK_INT(cache_put(c, "k1", &e2), 0);
    size_t n = 0;
    cache_bytes(c, &n);
    CHECK_INT(n, 1);
    got = cache_get(c, "k1");
    CHECK(got && got->body_len == 8);
    cache_release(c, got);
    cache_free(c);
}

static void test_lru_bound(void) {
    char body[1001];
    memset(body, 'x', 1000);
    body[1000] = '\0';
    /* Room for about ten 1000-byte bodies (an entry may use at most 1/8). */
    RespCache *c = cache_new(8 * 2400);
    CacheEntry e = entry(body);
    char key[32];
    for (int i = 0; i < 16; i++) {
        snprintf(key, sizeof key, "k%d", i);
        CHECK_INT(cache_put(c, key, &e), 0);
        /* Keep k0 recently used: it must survive. */
        const CacheEntry *k0 = cache_get(c, "k0");
        CHECK(k0 != NULL);
        cache_release(c, k0);
    }
    size_t n = 0;
    size_t bytes = cache_bytes(c, &n);
    CHECK(bytes <= 8 * 2400);
    CHECK(n < 16);
    const CacheEntry *k0 = cache_get(c, "k0");
    CHECK(k0 != NULL);
    cache_release(c, k0);
    CHECK(cache_get(c, "k1") == NULL); /* the least recently used went first */
    const CacheEntry *k15 = cache_get(c, "k15");
    CHECK(k15 != NULL);
    cache_release(c, k15);
    cache_free(c);
}

static void test_too_large_and_disabled(void) {
    char body[2000];
    memset(body, 'y', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    RespCache *c = cache_new(8000); /* an entry may use at most 1/8 */
    CacheEntry e = entry(body);
    CHECK_INT(cache_put(c, "big", &e), -1);
    CHECK(cache_get(c, "big") == NULL);
    cache_free(c);
    RespCache *off = cache_new(0);
    CacheEntry small = entry("{}");
    CHECK_INT(cache_put(off, "k", &small), -1);
    CHECK(cache_get(off, "k") == NULL);
    cache_free(off);
}

static void test_reference_outlives_eviction(void) {
    RespCache *c = cache_new(8 * 2400);
    char body[1001];
    memset(body, 'z', 1000);
    body[1000] = '\0';
    CacheEntry e = entry(body);
    cache_put(c, "held", &e);
    const CacheEntry *held = cache_get(c, "held");
    CHECK(held != NULL);
    char key[32];
    for (int i = 0; i < 20; i++) { /* push "held" out */
        snprintf(key, sizeof key, "other%d", i);
        cache_put(c, key, &e);
    }
    const CacheEntry *again = cache_get(c, "held");
    CHECK(again == NULL);
    if (again) cache_release(c, again);
    /* Still readable (ASan would flag a use after free). */
    CHECK(held && held->body_len == 1000 && held->body[999] == 'z');
    cache_release(c, held);
    cache_free(c);
}

int main(void) {
    test_get_put();
    test_lru_bound();
    test_too_large_and_disabled();
    test_reference_outlives_eviction();
    return unit_summary();
}
