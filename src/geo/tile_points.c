/* tile_points.c — institution positions in memory for clustered tiles
 * (tile_points.h). */
#include "geo/tile_points.h"

#include "base/buf.h"
#include "geo/tile.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* The newest snapshot and the one before (requests whose read began just
 * before a write still ask for it), each holding one reference. */
static TilePoints *shared[2];

static void snapshot_free(TilePoints *tp) {
    if (!tp) return;
    free(tp->pts);
    free(tp->strings);
    free(tp->db_file);
    free(tp);
}

/* One R*Tree entry while reading. */
typedef struct Box {
    long long id;
    float xmin, xmax, ymin, ymax;
} Box;

static int box_cmp(const void *a, const void *b) {
    const Box *p = a, *q = b;
    return (p->id > q->id) - (p->id < q->id);
}

/* Every R*Tree entry, sorted by id. */
static int read_boxes(sqlite3 *db, Box **out, size_t *n) {
    sqlite3_stmt *st = NULL;
    size_t cap = 0, k = 0;
    Box *v = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT pkid, xmin, xmax, ymin, ymax FROM idx_institution_geom", -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if (k == cap) {
            Box *nv = realloc(v, (cap = cap ? 2 * cap : 1024) * sizeof *v);
            if (!nv) {
                rc = SQLITE_NOMEM;
                break;
            }
            v = nv;
        }
        /* the R*Tree hands its float coordinates out as doubles: exact */
        v[k++] = (Box){sqlite3_column_int64(st, 0), (float)sqlite3_column_double(st, 1),
                       (float)sqlite3_column_double(st, 2), (float)sqlite3_column_double(st, 3),
                       (float)sqlite3_column_double(st, 4)};
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(v);
        return rc;
    }
    qsort(v, k, sizeof *v, box_cmp);
    *out = v;
    *n = k;
    return SQLITE_OK;
}

/* Keep column col of st in the arena; its offset, or TILE_POINTS_NULL. */
static uint32_t keep_text(Buf *arena, sqlite3_stmt *st, int col) {
    const unsigned char *s = sqlite3_column_text(st, col);
    if (!s) return TILE_POINTS_NULL;
    uint32_t off = (uint32_t)arena->len;
    buf_append(arena, s, (size_t)sqlite3_column_bytes(st, col) + 1);
    return off;
}

/* Read the snapshot: the institutions with lon/lat and an R*Tree entry
 * (what the tile query can return), merged by id, in id order. */
static TilePoints *snapshot_read(sqlite3 *db, long long data_version, int *rc) {
    TilePoints *tp = calloc(1, sizeof *tp);
    Box *boxes = NULL;
    size_t nboxes = 0;
    *rc = tp ? read_boxes(db, &boxes, &nboxes) : SQLITE_NOMEM;
    if (*rc != SQLITE_OK) {
        free(tp);
        return NULL;
    }
    const char *file = sqlite3_db_filename(db, "main");
    tp->db_file = strdup(file ? file : "");
    tp->data_version = data_version;
    tp->pts = malloc((nboxes ? nboxes : 1) * sizeof *tp->pts);
    Buf arena = BUF_INIT;
    sqlite3_stmt *st = NULL;
    if (!tp->db_file || !tp->pts) *rc = SQLITE_NOMEM;
    else
        *rc = sqlite3_prepare_v2(db,
                                 "SELECT id, lon, lat, code, kind, ownership, district_code FROM institution "
                                 "WHERE lon IS NOT NULL AND lat IS NOT NULL ORDER BY id",
                                 -1, &st, NULL);
    size_t b = 0;
    while (*rc == SQLITE_OK && (*rc = sqlite3_step(st)) == SQLITE_ROW) {
        *rc = SQLITE_OK;
        long long id = sqlite3_column_int64(st, 0);
        while (b < nboxes && boxes[b].id < id) b++;
        if (b == nboxes || boxes[b].id != id) continue; /* no R*Tree entry: never in a tile */
        TilePoint *p = &tp->pts[tp->n];
        *p = (TilePoint){id, sqlite3_column_double(st, 1), sqlite3_column_double(st, 2), 0, 0, boxes[b].xmin,
                         boxes[b].xmax, boxes[b].ymin, boxes[b].ymax, keep_text(&arena, st, 3),
                         keep_text(&arena, st, 4), keep_text(&arena, st, 5), keep_text(&arena, st, 6)};
        b++;
        /* a point that cannot be projected (not finite) is never in a tile */
        if (tile_world_xy(p->lon, p->lat, &p->fx, &p->fy) == 0) tp->n++;
    }
    sqlite3_finalize(st);
    free(boxes);
    if (*rc == SQLITE_DONE) *rc = arena.oom || arena.len > UINT32_MAX ? SQLITE_NOMEM : SQLITE_OK;
    if (*rc != SQLITE_OK) {
        buf_free(&arena);
        snapshot_free(tp);
        return NULL;
    }
    tp->strings = buf_detach(&arena, NULL);
    return tp;
}

static int same_db(const TilePoints *tp, const char *file) { return tp && !strcmp(tp->db_file, file); }

TilePoints *tile_points_get(sqlite3 *db, long long data_version, int *rc) {
    const char *file = sqlite3_db_filename(db, "main");
    if (!file) file = "";
    *rc = SQLITE_OK;
    /* Reading under the lock: requests that need the new snapshot wait for
     * the one read instead of each reading their own. */
    pthread_mutex_lock(&lock);
    TilePoints *tp = NULL;
    for (int k = 0; k < 2 && !tp; k++)
        if (same_db(shared[k], file) && shared[k]->data_version == data_version) tp = shared[k];
    if (!tp && (tp = snapshot_read(db, data_version, rc)) != NULL &&
        (!same_db(shared[0], file) || data_version > shared[0]->data_version)) {
        /* the newest becomes shared[0]; an older version nobody shares
         * stays the caller's alone */
        if (shared[1] && --shared[1]->refs == 0) snapshot_free(shared[1]);
        shared[1] = same_db(shared[0], file) ? shared[0] : NULL;
        if (shared[0] && !shared[1] && --shared[0]->refs == 0) snapshot_free(shared[0]);
        shared[0] = tp;
        tp->refs = 1;
    }
    if (tp) tp->refs++;
    pthread_mutex_unlock(&lock);
    return tp;
}

void tile_points_release(TilePoints *tp) {
    if (!tp) return;
    pthread_mutex_lock(&lock);
    int last = --tp->refs == 0;
    pthread_mutex_unlock(&lock);
    if (last) snapshot_free(tp);
}

/* ---------------------------------------------------------------- filters */

/* ",list," for a filter value, or NULL when absent. */
static int wrap_list(char **out, const char *list) {
    *out = NULL;
    if (!list) return 0;
    size_t n = strlen(list);
    if (!(*out = malloc(n + 3))) return -1;
    (*out)[0] = ',';
    memcpy(*out + 1, list, n);
    (*out)[n + 1] = ',';
    (*out)[n + 2] = '\0';
    return 0;
}

int tile_points_filter_init(TilePointFilter *f, const char *kind, const char *ownership,
                            const char *district_code) {
    memset(f, 0, sizeof *f);
    if (wrap_list(&f->kind, kind) || wrap_list(&f->ownership, ownership) ||
        wrap_list(&f->district_code, district_code)) {
        tile_points_filter_free(f);
        return -1;
    }
    return 0;
}

void tile_points_filter_free(TilePointFilter *f) {
    free(f->kind);
    free(f->ownership);
    free(f->district_code);
    memset(f, 0, sizeof *f);
}

const char *tile_points_str(const TilePoints *tp, uint32_t off) {
    return off == TILE_POINTS_NULL ? NULL : tp->strings + off;
}

/* instr(',' || list || ',', ',' || value || ',') > 0, list given wrapped:
 * a NULL value never matches (the concatenation is NULL). */
static int in_list(const char *wrapped, const char *value) {
    if (!wrapped) return 1;
    if (!value) return 0;
    size_t n = strlen(value);
    for (const char *p = wrapped; (p = strstr(p, value)) != NULL; p++) {
        if (p > wrapped && p[-1] == ',' && p[n] == ',') return 1;
        if (!*p) break; /* an empty value matched at the end */
    }
    return 0;
}

int tile_points_match(const TilePoints *tp, const TilePoint *p, double west, double south, double east,
                      double north, const TilePointFilter *f) {
    if (!((double)p->xmax >= west && (double)p->ymax >= south && (double)p->xmin <= east &&
          (double)p->ymin <= north))
        return 0;
    return in_list(f->kind, tile_points_str(tp, p->kind)) &&
           in_list(f->ownership, tile_points_str(tp, p->ownership)) &&
           in_list(f->district_code, tile_points_str(tp, p->district_code));
}
