/* store.c — the SpatiaLite store (see store.h for the schema).
 *
 * Every connection: WAL journal (readers never wait for the writer), a busy
 * timeout (a second writer waits instead of failing: CASES S2), foreign
 * keys on, SpatiaLite loaded through its per-connection cache, and the SQL
 * functions vetmap_fold()/vetmap_casefold() from text.c. */
#include "store/store.h"
#include "base/buf.h"
#include "store/migrations.h"
#include "base/text.h"

#include <pthread.h>
#include <spatialite.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORE_BUSY_TIMEOUT_MS 5000

/* ------------------------------------------------------------------ schema */

/* ------------------------------------------------------- SQL text functions */

static void sql_text_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv,
                        char *(*fn)(const char *)) {
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *in = (const char *)sqlite3_value_text(argv[0]);
    char *out = in ? fn(in) : NULL;
    if (!out) {
        sqlite3_result_null(ctx);
        return;
    }
    sqlite3_result_text(ctx, out, -1, free);
}

static void sql_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    sql_text_fn(ctx, argc, argv, text_fold);
}

static void sql_casefold(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    sql_text_fn(ctx, argc, argv, text_casefold);
}

/* The body column holds what else a person may type to find a school: its
 * address, governing body, code and the names of its commune, district and
 * province (so "lang giang" finds every school there), folded.  One
 * function for the SQL reindex (vetmap_search_body) and for
 * store_search_add, so both build the same row. */
#define SEARCH_BODY_PARTS 6
static char *search_body(const char *const parts[SEARCH_BODY_PARTS]) {
    Buf b = BUF_INIT;
    for (int k = 0; k < SEARCH_BODY_PARTS; k++) {
        if (k) buf_putc(&b, ' ');
        if (parts[k]) buf_puts(&b, parts[k]);
    }
    char *body = b.oom ? NULL : text_fold(b.data);
    buf_free(&b);
    return body;
}

static void sql_search_body(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    const char *parts[SEARCH_BODY_PARTS] = {0};
    for (int k = 0; k < argc && k < SEARCH_BODY_PARTS; k++) parts[k] = (const char *)sqlite3_value_text(argv[k]);
    char *body = search_body(parts);
    if (body) sqlite3_result_text(ctx, body, -1, free);
    else sqlite3_result_null(ctx);
}

/* ------------------------------------------------ SpatiaLite cache registry */

/* SQLite 3.40 has no per-connection client data, so the SpatiaLite cache of
 * each open connection is remembered here until store_close frees it. */
typedef struct CachedStmt {
    const char *sql;          /* the caller's string: compared by content */
    sqlite3_stmt *stmt;
    struct CachedStmt *next;
} CachedStmt;

typedef struct ConnState {
    sqlite3 *db;
    void *cache;              /* SpatiaLite's connection cache */
    CachedStmt *stmts;        /* store_prepare_cached()'s statements */
    struct ConnState *next;
} ConnState;

static ConnState *cache_list;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void cache_remember(sqlite3 *db, void *cache) {
    ConnState *e = malloc(sizeof *e);
    if (!e) return; /* the cache then leaks at close; harmless */
    e->db = db;
    e->cache = cache;
    e->stmts = NULL;
    pthread_mutex_lock(&cache_lock);
    e->next = cache_list;
    cache_list = e;
    pthread_mutex_unlock(&cache_lock);
}

/* Unlink db's entry, finalize its cached statements, return its SpatiaLite
 * cache for the caller to free after sqlite3_close. */
static void *cache_forget(sqlite3 *db) {
    ConnState *e = NULL;
    pthread_mutex_lock(&cache_lock);
    for (ConnState **p = &cache_list; *p; p = &(*p)->next) {
        if ((*p)->db == db) {
            e = *p;
            *p = e->next;
            break;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    if (!e) return NULL;
    for (CachedStmt *c = e->stmts, *next; c; c = next) {
        next = c->next;
        sqlite3_finalize(c->stmt);
        free(c);
    }
    void *cache = e->cache;
    free(e);
    return cache;
}

static ConnState *cache_find(sqlite3 *db) {
    pthread_mutex_lock(&cache_lock);
    ConnState *e = cache_list;
    while (e && e->db != db) e = e->next;
    pthread_mutex_unlock(&cache_lock);
    return e;
}

sqlite3_stmt *store_prepare_cached(sqlite3 *db, const char *sql) {
    /* Only the thread using db touches its statement list, so the list
     * itself needs no lock; the registry walk does. */
    ConnState *e = cache_find(db);
    if (e)
        for (CachedStmt *c = e->stmts; c; c = c->next)
            if (c->sql == sql || !strcmp(c->sql, sql)) {
                sqlite3_reset(c->stmt);
                sqlite3_clear_bindings(c->stmt);
                return c->stmt;
            }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return NULL;
    }
    CachedStmt *c = e ? malloc(sizeof *c) : NULL;
    if (!c) return st; /* uncached: still works, finalized at close by sqlite3_close_v2 */
    c->sql = sql;
    c->stmt = st;
    c->next = e->stmts;
    e->stmts = c;
    return st;
}

/* ------------------------------------------------------------------ helpers */

static char *dup_message(const char *fmt, const char *a, const char *b) {
    int n = snprintf(NULL, 0, fmt, a, b);
    char *s = malloc((size_t)n + 1);
    if (s) snprintf(s, (size_t)n + 1, fmt, a, b);
    return s;
}

int store_exec(sqlite3 *db, const char *sql, char **err) {
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (err) {
        *err = NULL;
        if (rc != SQLITE_OK) *err = dup_message("%s (%s)", msg ? msg : sqlite3_errstr(rc), sql);
    }
    sqlite3_free(msg);
    return rc;
}

static long long query_int(sqlite3 *db, const char *sql, long long fallback) {
    sqlite3_stmt *st = NULL;
    long long v = fallback;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Apply migration m in its own transaction, setting user_version with it. */
static int apply_migration(sqlite3 *db, const StoreMigration *m, char **err) {
    if (store_exec(db, "BEGIN IMMEDIATE", err) != SQLITE_OK) return -1;
    /* InitSpatialMetadata(0, ...): inside our transaction (1 would open its
     * own and fail), with WGS84 only instead of the whole EPSG table: we
     * store EPSG:4326 only. */
    if (m->version == 1 && query_int(db, "SELECT InitSpatialMetadata(0, 'WGS84_ONLY')", 0) != 1) {
        *err = dup_message("%s%s", "SpatiaLite's InitSpatialMetadata failed", "");
        goto fail;
    }
    for (int i = 0; m->statements[i]; i++)
        if (store_exec(db, m->statements[i], err) != SQLITE_OK) goto fail;
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", m->version);
    if (store_exec(db, pragma, err) != SQLITE_OK) goto fail;
    if (store_exec(db, "COMMIT", err) != SQLITE_OK) goto fail;
    return 0;
fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* Bring the schema to the last step of store_migrations, one step at a time. */
static int migrate(sqlite3 *db, char **err) {
    long long v = query_int(db, "PRAGMA user_version", 0);
    if (v > store_schema_version()) {
        char num[32];
        snprintf(num, sizeof num, "%lld", v);
        *err = dup_message("database schema version %s is newer than this vetmap (%s)", num,
                           "upgrade vetmap");
        return -1;
    }
    if (v == 0 && query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'institution'", 0) > 0) {
        *err = dup_message("%s%s", "database has an institution table but no vetmap schema version", "");
        return -1;
    }
    for (int i = 0; i < store_migration_count; i++)
        if (store_migrations[i].version > v && apply_migration(db, &store_migrations[i], err) != 0) return -1;
    return 0;
}

/* ---------------------------------------------------------------- open/close */

sqlite3 *store_open(const char *path, int flags, char **err) {
    *err = NULL;
    sqlite3 *db = NULL;
    int oflags = SQLITE_OPEN_NOMUTEX;
    oflags |= (flags & STORE_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if ((flags & STORE_CREATE) && !(flags & STORE_READONLY)) oflags |= SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path, &db, oflags, NULL);
    if (rc != SQLITE_OK) {
        *err = dup_message("cannot open database %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);

    void *cache = spatialite_alloc_connection();
    spatialite_init_ex(db, cache, 0);
    cache_remember(db, cache);

    sqlite3_create_function_v2(db, "vetmap_fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_fold,
                               NULL, NULL, NULL);
    sqlite3_create_function_v2(db, "vetmap_casefold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                               sql_casefold, NULL, NULL, NULL);
    sqlite3_create_function_v2(db, "vetmap_search_body", SEARCH_BODY_PARTS, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                               NULL, sql_search_body, NULL, NULL, NULL);

    char *msg = NULL;
    if (!(flags & STORE_READONLY)) {
        if (store_exec(db, "PRAGMA journal_mode = WAL", &msg) != SQLITE_OK ||
            store_exec(db, "PRAGMA foreign_keys = ON", &msg) != SQLITE_OK ||
            store_exec(db, "PRAGMA synchronous = NORMAL", &msg) != SQLITE_OK)
            goto fail;
        if (migrate(db, &msg) != 0) goto fail;
    } else {
        /* Readers map the file: large pages of items are read-bound, and
         * pread() per page cost about half their throughput. */
        sqlite3_exec(db, "PRAGMA mmap_size = 268435456", NULL, NULL, NULL);
        long long v = query_int(db, "PRAGMA user_version", -1);
        if (v < 1 || v > store_schema_version()) {
            char num[32];
            snprintf(num, sizeof num, "%lld", v);
            msg = dup_message("%s is not a vetmap database of this version (schema %s); run `vetmap ingest` "
                              "or `make data` first",
                              path, num);
            goto fail;
        }
    }
    return db;
fail:
    *err = msg ? msg : dup_message("cannot open database %s%s", path, "");
    store_close(db);
    return NULL;
}

void store_close(sqlite3 *db) {
    if (!db) return;
    void *cache = cache_forget(db);
    sqlite3_close_v2(db);
    if (cache) spatialite_cleanup_ex(cache);
}

/* -------------------------------------------------------------------- meta */

char *store_meta_get(sqlite3 *db, const char *key, char *out, size_t n) {
    sqlite3_stmt *st = NULL;
    char *found = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && n > 0) {
            const char *v = (const char *)sqlite3_column_text(st, 0);
            snprintf(out, n, "%s", v ? v : "");
            found = out;
        }
    }
    sqlite3_finalize(st);
    return found;
}

int store_meta_set(sqlite3 *db, const char *key, const char *value) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "INSERT INTO meta(key, value) VALUES (?1, ?2) "
                                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
    }
    sqlite3_finalize(st);
    return rc;
}

long long store_data_version(sqlite3 *db) {
    return query_int(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'data_version'", 0);
}

int store_bump_data_version(sqlite3 *db) {
    return sqlite3_exec(db,
                        "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'",
                        NULL, NULL, NULL);
}

char *store_default_layout(sqlite3 *db, char *out, size_t n) {
    sqlite3_stmt *st = NULL;
    char *found = NULL;
    if (sqlite3_prepare_v2(db, "SELECT name FROM layout WHERE is_default = 1 LIMIT 1", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && n > 0) {
        snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
        found = out;
    }
    sqlite3_finalize(st);
    return found;
}

/* ------------------------------------------------------------------ search */

#define SEARCH_ROWS_SQL                                                                          \
    "INSERT INTO search_fts(rowid, code, name_cf, name, body) "                                  \
    "SELECT i.id, i.code, vetmap_casefold(i.name), vetmap_fold(i.name), "                        \
    "  vetmap_search_body(i.address, i.governing_body, i.code, c.name, d.name, p.name) "         \
    "FROM institution i "                                                                        \
    "LEFT JOIN admin_unit c ON c.layout = i.admin_layout AND c.code = i.commune_code "           \
    "LEFT JOIN admin_unit d ON d.layout = i.admin_layout AND d.code = i.district_code "          \
    "LEFT JOIN admin_unit p ON p.layout = i.admin_layout AND p.code = i.province_code "

int store_search_add(sqlite3 *db, const StoreSearchRow *row) {
    sqlite3_stmt *st = store_prepare_cached(db, "INSERT INTO search_fts(rowid, code, name_cf, name, body) "
                                                "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!st) return sqlite3_errcode(db);
    const char *parts[SEARCH_BODY_PARTS] = {row->address, row->governing_body, row->code,
                                            row->commune, row->district,       row->province};
    char *name_cf = row->name ? text_casefold(row->name) : NULL;
    char *name = row->name ? text_fold(row->name) : NULL;
    char *body = search_body(parts);
    sqlite3_bind_int64(st, 1, row->id);
    sqlite3_bind_text(st, 2, row->code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name_cf, -1, SQLITE_STATIC); /* NULL binds NULL, as the SQL gives */
    sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, body, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    free(name_cf);
    free(name);
    free(body);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Run the two statements of a partial reindex (delete the rows, insert
 * them again), with ?1 bound to code (when not NULL) or to id. */
static int reindex_steps(sqlite3 *db, const char *const steps[2], const char *code, sqlite3_int64 id) {
    for (size_t k = 0; k < 2; k++) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(db, steps[k], -1, &st, NULL);
        if (rc != SQLITE_OK) return rc;
        if (code) sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
        else sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) return rc;
    }
    return SQLITE_OK;
}

int store_reindex_search(sqlite3 *db, const char *code) {
    if (!code)
        return sqlite3_exec(db, "DELETE FROM search_fts; " SEARCH_ROWS_SQL, NULL, NULL, NULL);
    static const char *const steps[2] = {
        "DELETE FROM search_fts WHERE rowid IN (SELECT id FROM institution WHERE code = ?1) "
        "OR code = ?1",
        SEARCH_ROWS_SQL "WHERE i.code = ?1",
    };
    return reindex_steps(db, steps, code, 0);
}

int store_reindex_search_after(sqlite3 *db, sqlite3_int64 after_id) {
    /* Search rows are keyed by the institution's id (rowid), and ids only
     * grow, so rows above after_id are new: the delete is a safety net
     * that normally finds nothing. */
    static const char *const steps[2] = {
        "DELETE FROM search_fts WHERE rowid > ?1",
        SEARCH_ROWS_SQL "WHERE i.id > ?1",
    };
    return reindex_steps(db, steps, NULL, after_id);
}

/* -------------------------------------------------------------- read pool */

struct StorePool {
    char *path;
    int keep;                 /* connections kept open when returned */
    int idle_count;
    sqlite3 **idle;           /* stack of idle connections, capacity keep */
    pthread_mutex_t lock;
};

StorePool *store_pool_new(const char *path, int keep, char **err) {
    *err = NULL;
    if (keep < 1) keep = 1;
    /* Open one connection now so a missing or foreign file fails at start-up,
     * not on the first request. */
    sqlite3 *first = store_open(path, STORE_READONLY, err);
    if (!first) return NULL;
    StorePool *p = calloc(1, sizeof *p);
    if (p) p->idle = calloc((size_t)keep, sizeof *p->idle);
    if (p) p->path = strdup(path);
    if (!p || !p->idle || !p->path) {
        if (p) { free(p->idle); free(p->path); free(p); }
        store_close(first);
        *err = strdup("out of memory");
        return NULL;
    }
    p->keep = keep;
    pthread_mutex_init(&p->lock, NULL);
    p->idle[p->idle_count++] = first;
    return p;
}

sqlite3 *store_pool_get(StorePool *p) {
    pthread_mutex_lock(&p->lock);
    sqlite3 *db = p->idle_count > 0 ? p->idle[--p->idle_count] : NULL;
    pthread_mutex_unlock(&p->lock);
    if (db) return db;
    char *err = NULL;
    db = store_open(p->path, STORE_READONLY, &err);
    if (!db) {
        fprintf(stderr, "vetmap: %s\n", err ? err : "cannot open database");
        free(err);
    }
    return db;
}

void store_pool_put(StorePool *p, sqlite3 *db) {
    if (!db) return;
    /* A statement left running would pin an old WAL snapshot: reset them all. */
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st))
        sqlite3_reset(st);
    pthread_mutex_lock(&p->lock);
    if (p->idle_count < p->keep) {
        p->idle[p->idle_count++] = db;
        db = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    if (db) store_close(db);
}

void store_pool_free(StorePool *p) {
    if (!p) return;
    for (int i = 0; i < p->idle_count; i++) store_close(p->idle[i]);
    pthread_mutex_destroy(&p->lock);
    free(p->idle);
    free(p->path);
    free(p);
}
