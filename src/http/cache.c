/* cache.c — bounded LRU response cache (cache.h).
 *
 * A chained hash table for lookup plus a doubly linked list in recency
 * order, both under one mutex; the work done under the lock is a hash, a
 * string compare and pointer updates.  Nodes carry a reference count so an
 * evicted node being sent by another thread is freed only when released. */
#include "http/cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct Node {
    CacheEntry e;             /* first, so a CacheEntry* is a Node* */
    char *key;
    uint64_t hash;
    size_t cost;              /* bytes accounted for this node */
    int refs;                 /* 1 for the cache itself while linked, +1 per reader */
    struct Node *hnext;       /* hash chain */
    struct Node *prev, *next; /* recency list: head = most recent */
} Node;

struct RespCache {
    pthread_mutex_t lock;
    size_t max_bytes, bytes, count;
    size_t nbuckets;          /* power of two */
    Node **buckets;
    Node *head, *tail;
};

/* FNV-1a: short keys, no adversarial pressure worth a keyed hash here
 * (keys embed the data version and the URL; a client can only add misses). */
static uint64_t hash_key(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

RespCache *cache_new(size_t max_bytes) {
    RespCache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->max_bytes = max_bytes;
    c->nbuckets = 4096;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) { free(c); return NULL; }
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

static void node_free(Node *n) {
    free(n->e.body);
    free(n->key);
    free(n);
}

/* Drop the cache's own reference; the node is freed now or at last release. */
static void node_unref_locked(Node *n) {
    if (--n->refs == 0) node_free(n);
}

static void list_unlink(RespCache *c, Node *n) {
    if (n->prev) n->prev->next = n->next; else c->head = n->next;
    if (n->next) n->next->prev = n->prev; else c->tail = n->prev;
    n->prev = n->next = NULL;
}

static void list_push_front(RespCache *c, Node *n) {
    n->prev = NULL;
    n->next = c->head;
    if (c->head) c->head->prev = n;
    c->head = n;
    if (!c->tail) c->tail = n;
}

/* Remove n from the table and the list and drop the cache's reference. */
static void remove_locked(RespCache *c, Node *n) {
    Node **p = &c->buckets[n->hash & (c->nbuckets - 1)];
    while (*p && *p != n) p = &(*p)->hnext;
    if (*p) *p = n->hnext;
    list_unlink(c, n);
    c->bytes -= n->cost;
    c->count--;
    node_unref_locked(n);
}

static Node *find_locked(RespCache *c, const char *key, uint64_t h) {
    for (Node *n = c->buckets[h & (c->nbuckets - 1)]; n; n = n->hnext)
        if (n->hash == h && !strcmp(n->key, key)) return n;
    return NULL;
}

void cache_free(RespCache *c) {
    if (!c) return;
    while (c->head) remove_locked(c, c->head);
    pthread_mutex_destroy(&c->lock);
    free(c->buckets);
    free(c);
}

const CacheEntry *cache_get(RespCache *c, const char *key) {
    if (!c || c->max_bytes == 0) return NULL;
    uint64_t h = hash_key(key);
    pthread_mutex_lock(&c->lock);
    Node *n = find_locked(c, key, h);
    if (n) {
        list_unlink(c, n);
        list_push_front(c, n);
        n->refs++;
    }
    pthread_mutex_unlock(&c->lock);
    return n ? &n->e : NULL;
}

void cache_release(RespCache *c, const CacheEntry *e) {
    if (!c || !e) return;
    pthread_mutex_lock(&c->lock);
    node_unref_locked((Node *)e);
    pthread_mutex_unlock(&c->lock);
}

int cache_put(RespCache *c, const char *key, const CacheEntry *e) {
    if (!c) return -1;
    size_t klen = strlen(key);
    size_t cost = sizeof(Node) + klen + 1 + e->body_len;
    if (c->max_bytes == 0 || cost > c->max_bytes / 8) return -1;
    /* Copy outside the lock. */
    Node *n = calloc(1, sizeof *n);
    if (!n) return -1;
    n->e = *e;
    n->e.body = malloc(e->body_len ? e->body_len : 1);
    n->key = malloc(klen + 1);
    if (!n->e.body || !n->key) {
        node_free(n);
        return -1;
    }
    memcpy(n->e.body, e->body, e->body_len);
    memcpy(n->key, key, klen + 1);
    n->hash = hash_key(key);
    n->cost = cost;
    n->refs = 1;

    pthread_mutex_lock(&c->lock);
    Node *old = find_locked(c, key, n->hash);
    if (old) remove_locked(c, old);
    Node **bucket = &c->buckets[n->hash & (c->nbuckets - 1)];
    n->hnext = *bucket;
    *bucket = n;
    list_push_front(c, n);
    c->bytes += cost;
    c->count++;
    while (c->bytes > c->max_bytes && c->tail && c->tail != n) remove_locked(c, c->tail);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

size_t cache_bytes(RespCache *c, size_t *entries) {
    if (!c) {
        if (entries) *entries = 0;
        return 0;
    }
    pthread_mutex_lock(&c->lock);
    size_t b = c->bytes;
    if (entries) *entries = c->count;
    pthread_mutex_unlock(&c->lock);
    return b;
}
