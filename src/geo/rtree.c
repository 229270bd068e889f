/* rtree.c — Sort-Tile-Recursive bulk load of a 2-D SQLite R*Tree (rtree.h). */
#include "geo/rtree.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CELL_BYTES 24 /* 8-byte id + 4 x 4-byte float */
#define NODE_HEADER 4 /* 2-byte depth (root only) + 2-byte cell count */

typedef struct Item {
    float box[4];        /* xmin, xmax, ymin, ymax as stored */
    sqlite3_int64 id;    /* entry id, or child node number */
} Item;

typedef struct Placed {
    sqlite3_int64 id, node;
} Placed;

/* rtree.c's rtreeValueDown / rtreeValueUp: the float the module stores for
 * a minimum (never above d) and a maximum (never below d). */
#define RNDTOWARDS (1.0 - 1.0 / 8388608.0)
#define RNDAWAY (1.0 + 1.0 / 8388608.0)
static float value_down(double d) {
    float f = (float)d;
    if (f > d) f = (float)(d * (d < 0 ? RNDAWAY : RNDTOWARDS));
    return f;
}
static float value_up(double d) {
    float f = (float)d;
    if (f < d) f = (float)(d * (d < 0 ? RNDTOWARDS : RNDAWAY));
    return f;
}

static int cmp_x(const void *a, const void *b) {
    const Item *p = a, *q = b;
    double cp = (double)p->box[0] + p->box[1], cq = (double)q->box[0] + q->box[1];
    return cp < cq ? -1 : cp > cq ? 1 : (p->id > q->id) - (p->id < q->id);
}
static int cmp_y(const void *a, const void *b) {
    const Item *p = a, *q = b;
    double cp = (double)p->box[2] + p->box[3], cq = (double)q->box[2] + q->box[3];
    return cp < cq ? -1 : cp > cq ? 1 : (p->id > q->id) - (p->id < q->id);
}
static int cmp_placed(const void *a, const void *b) {
    const Placed *p = a, *q = b;
    return (p->id > q->id) - (p->id < q->id);
}

static void put_u16(unsigned char *p, unsigned v) {
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}
static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (24 - 8 * i));
}
static void put_i64(unsigned char *p, sqlite3_int64 v) {
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(u >> (56 - 8 * i));
}

/* The statements that write the shadow tables. */
typedef struct Writer {
    sqlite3_stmt *node, *rowid, *parent;
    unsigned char *blob;
    int node_size;
} Writer;

static int step_reset(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Write node `nodeno` holding items[0..n); depth is stored (root only). */
static int write_node(Writer *w, sqlite3_int64 nodeno, const Item *items, size_t n, int depth) {
    memset(w->blob, 0, (size_t)w->node_size);
    put_u16(w->blob, (unsigned)depth);
    put_u16(w->blob + 2, (unsigned)n);
    for (size_t i = 0; i < n; i++) {
        unsigned char *c = w->blob + NODE_HEADER + i * CELL_BYTES;
        put_i64(c, items[i].id);
        for (int k = 0; k < 4; k++) {
            uint32_t bits;
            memcpy(&bits, &items[i].box[k], sizeof bits);
            put_u32(c + 8 + 4 * k, bits);
        }
    }
    sqlite3_bind_int64(w->node, 1, nodeno);
    sqlite3_bind_blob(w->node, 2, w->blob, w->node_size, SQLITE_STATIC);
    return step_reset(w->node);
}

static int write_parent(Writer *w, sqlite3_int64 child, sqlite3_int64 parent) {
    sqlite3_bind_int64(w->parent, 1, child);
    sqlite3_bind_int64(w->parent, 2, parent);
    return step_reset(w->parent);
}

/* Bounding box of items[0..n). */
static Item bounds(const Item *items, size_t n, sqlite3_int64 id) {
    Item b = items[0];
    for (size_t i = 1; i < n; i++) {
        if (items[i].box[0] < b.box[0]) b.box[0] = items[i].box[0];
        if (items[i].box[1] > b.box[1]) b.box[1] = items[i].box[1];
        if (items[i].box[2] < b.box[2]) b.box[2] = items[i].box[2];
        if (items[i].box[3] > b.box[3]) b.box[3] = items[i].box[3];
    }
    b.id = id;
    return b;
}

/* Pack the n items of one level into nodes of `cap` cells (STR: slices by
 * x, then runs by y), writing each node; *up gets one item per node (its
 * box, its number).  placed (leaf level only) records each entry's node. */
static int pack_level(Writer *w, Item *items, size_t n, size_t cap, int leaf, sqlite3_int64 *next_node,
                      Placed *placed, Item **up, size_t *nup) {
    size_t nodes = (n + cap - 1) / cap;
    size_t slices = (size_t)ceil(sqrt((double)nodes));
    size_t per_slice = slices * cap;
    qsort(items, n, sizeof *items, cmp_x);
    for (size_t s = 0; s < n; s += per_slice)
        qsort(items + s, n - s < per_slice ? n - s : per_slice, sizeof *items, cmp_y);
    Item *parents = malloc(nodes * sizeof *parents);
    if (!parents) return SQLITE_NOMEM;
    int rc = SQLITE_OK;
    for (size_t k = 0; k < nodes && rc == SQLITE_OK; k++) {
        size_t first = k * cap, count = n - first < cap ? n - first : cap;
        sqlite3_int64 nodeno = (*next_node)++;
        rc = write_node(w, nodeno, items + first, count, 0);
        for (size_t i = first; i < first + count && rc == SQLITE_OK; i++) {
            if (leaf) placed[i] = (Placed){items[i].id, nodeno};
            else rc = write_parent(w, items[i].id, nodeno);
        }
        parents[k] = bounds(items + first, count, nodeno);
    }
    if (rc != SQLITE_OK) {
        free(parents);
        return rc;
    }
    *up = parents;
    *nup = nodes;
    return SQLITE_OK;
}

/* The entries as the module stores them; SQLITE_MISMATCH on one it would
 * refuse. */
static int round_entries(const RTreeEntry *entries, size_t n, Item **out) {
    Item *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return SQLITE_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const RTreeEntry *e = &entries[i];
        if (!isfinite(e->xmin) || !isfinite(e->xmax) || !isfinite(e->ymin) || !isfinite(e->ymax)) {
            free(v);
            return SQLITE_MISMATCH;
        }
        v[i] = (Item){{value_down(e->xmin), value_up(e->xmax), value_down(e->ymin), value_up(e->ymax)}, e->id};
        if (v[i].box[0] > v[i].box[1] || v[i].box[2] > v[i].box[3]) {
            free(v);
            return SQLITE_MISMATCH;
        }
    }
    *out = v;
    return SQLITE_OK;
}

/* Node size of the R*Tree `name` when it is a 2-D float rtree without
 * auxiliary columns that we may write, else 0. */
static int rtree_node_size(sqlite3 *db, const char *name) {
    int defensive = 0;
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, -1, &defensive);
    if (defensive) return 0; /* shadow tables are read-only then */
    char *sql = sqlite3_mprintf("SELECT (SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %Q), "
                                "(SELECT length(data) FROM \"%w_node\" WHERE nodeno = 1)",
                                name, name);
    sqlite3_stmt *st = NULL;
    int size = 0;
    if (sql && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        const char *ddl = (const char *)sqlite3_column_text(st, 0);
        if (ddl && strcasestr(ddl, "USING rtree(")) size = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    sqlite3_free(sql);
    /* five columns (id + 2 dimensions), and a rowid table without aux data */
    static const char *const shapes[][2] = {{"SELECT * FROM \"%w\"", "5"}, {"SELECT * FROM \"%w_rowid\"", "2"}};
    for (size_t i = 0; i < 2 && size > 0; i++) {
        sql = sqlite3_mprintf(shapes[i][0], name);
        st = NULL;
        if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
            sqlite3_column_count(st) != atoi(shapes[i][1]))
            size = 0;
        sqlite3_finalize(st);
        sqlite3_free(sql);
    }
    return size >= NODE_HEADER + 2 * CELL_BYTES ? size : 0;
}

static int prepare_fmt(sqlite3 *db, sqlite3_stmt **st, const char *fmt, const char *name) {
    char *sql = sqlite3_mprintf(fmt, name);
    int rc = sql ? sqlite3_prepare_v2(db, sql, -1, st, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    return rc;
}

int rtree_bulk_load(sqlite3 *db, const char *name, const RTreeEntry *entries, size_t n) {
    int node_size = rtree_node_size(db, name);
    if (!node_size) return SQLITE_MISMATCH;
    Item *items = NULL;
    int rc = round_entries(entries, n, &items);
    if (rc != SQLITE_OK) return rc;

    Writer w = {.node_size = node_size};
    Placed *placed = malloc((n ? n : 1) * sizeof *placed);
    w.blob = malloc((size_t)node_size);
    rc = placed && w.blob ? SQLITE_OK : SQLITE_NOMEM;
    if (rc == SQLITE_OK) {
        char *sql = sqlite3_mprintf("DELETE FROM \"%w_node\"; DELETE FROM \"%w_rowid\"; DELETE FROM \"%w_parent\"",
                                    name, name, name);
        rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
        sqlite3_free(sql);
    }
    if (rc == SQLITE_OK) rc = prepare_fmt(db, &w.node, "INSERT INTO \"%w_node\"(nodeno, data) VALUES (?1, ?2)", name);
    if (rc == SQLITE_OK) rc = prepare_fmt(db, &w.rowid, "INSERT INTO \"%w_rowid\"(rowid, nodeno) VALUES (?1, ?2)", name);
    if (rc == SQLITE_OK)
        rc = prepare_fmt(db, &w.parent, "INSERT INTO \"%w_parent\"(nodeno, parentnode) VALUES (?1, ?2)", name);

    /* Levels from the leaves up until one node's worth is left: the root,
     * node 1, the only node whose depth field counts. */
    size_t cap = (size_t)(node_size - NODE_HEADER) / CELL_BYTES;
    sqlite3_int64 next_node = 2;
    int depth = 0;
    Item *level = items;
    size_t nlevel = n;
    while (rc == SQLITE_OK && nlevel > cap) {
        Item *up = NULL;
        size_t nup = 0;
        rc = pack_level(&w, level, nlevel, cap, depth == 0, &next_node, placed, &up, &nup);
        if (level != items) free(level);
        level = up;
        nlevel = nup;
        depth++;
    }
    if (rc == SQLITE_OK) rc = write_node(&w, 1, level, nlevel, depth);
    for (size_t i = 0; rc == SQLITE_OK && i < nlevel; i++) {
        if (depth == 0) placed[i] = (Placed){level[i].id, 1};
        else rc = write_parent(&w, level[i].id, 1);
    }
    /* Entry -> leaf rows in id order: appends to the rowid table's b-tree. */
    if (rc == SQLITE_OK) qsort(placed, n, sizeof *placed, cmp_placed);
    for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
        sqlite3_bind_int64(w.rowid, 1, placed[i].id);
        sqlite3_bind_int64(w.rowid, 2, placed[i].node);
        rc = step_reset(w.rowid);
    }
    if (level && level != items) free(level);
    free(items);
    free(placed);
    free(w.blob);
    sqlite3_finalize(w.node);
    sqlite3_finalize(w.rowid);
    sqlite3_finalize(w.parent);
    return rc;
}
