/* ingest.c — ingest_run: read every source into validated records, reject
 * duplicate codes, then upsert all of them in one transaction (ingest.h). */
#include "ingest/ingest_internal.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int finish(IngestReport *r, int status, char *error) {
    r->status = status;
    if (error) {
        free(r->error);
        r->error = error;
    }
    return status;
}

typedef struct Records {
    Record *v;
    size_t n, cap;
} Records;

static Record *records_next(Records *rs) {
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 1024;
        Record *v = realloc(rs->v, cap * sizeof *v);
        if (!v) return NULL;
        rs->v = v;
        rs->cap = cap;
    }
    return &rs->v[rs->n];
}

static void records_free(Records *rs) {
    for (size_t i = 0; i < rs->n; i++) record_free(&rs->v[i]);
    free(rs->v);
    memset(rs, 0, sizeof *rs);
}

/* Read every row of every layer of one source into rs.  Returns 0, or -1
 * with *err for a fatal problem (unreadable file, undeclared encoding). */
static int read_source(RecordContext *ctx, const char *path, Records *rs, long long *done, char **err) {
    Source src;
    IngestReport *r = ctx->report;
    if (source_open(&src, path, ctx->opt, ctx->mapping, r, err) != 0) return -1;
    ctx->source = &src;
    int rc = 0, more;
    while (rc == 0 && (more = source_next_layer(&src, ctx->opt, ctx->mapping, r, err)) != 0) {
        if (more < 0) {
            rc = -1;
            break;
        }
        Binding b = {0};
        if (mapping_bind(ctx->mapping, ctx->opt->collection, src.names, src.ncols, &b, err) != 0) {
            char *why = *err;
            *err = ing_printf("%s: %s", path, why);
            free(why);
            binding_free(&b);
            rc = -1;
            break;
        }
        if (b.col[FLD_CODE] < 0 && !ctx->mapping->defaults[FLD_CODE])
            ing_note(r, "%s: no code column found (columns: code, ma, id, ...); every row will be rejected", path);
        ctx->binding = &b;
        ctx->keep = binding_kept(ctx->mapping, ctx->opt->collection, &b, src.geom_layer);
        ctx->header = ing_report_header(r, src.names, src.ncols);
        SrcRow row;
        int got;
        while ((got = source_next_row(&src, &row, err)) > 0) {
            r->read++;
            Record *rec = records_next(rs);
            if (!rec) {
                srcrow_free(&row);
                *err = ing_printf("out of memory");
                got = -1;
                break;
            }
            if (record_from_row(ctx, &row, rec) == 0) rs->n++;
            srcrow_free(&row);
            if (ctx->opt->progress && ++*done % 1000 == 0) ctx->opt->progress(ctx->opt->progress_ctx, *done, src.total);
        }
        binding_free(&b);
        ctx->binding = NULL;
        if (got < 0) rc = -1;
    }
    ctx->source = NULL;
    source_close(&src);
    return rc;
}

/* CASES I6: a code used twice is a conflict; neither row is kept. */
static void reject_duplicates(RecordContext *ctx, Records *rs) {
    StrMap count;
    strmap_init(&count);
    for (size_t i = 0; i < rs->n; i++) {
        long *c = strmap_get(&count, rs->v[i].s[FLD_CODE]);
        if (c) (*c)++;
        else strmap_put(&count, rs->v[i].s[FLD_CODE], 1);
    }
    if (count.count != rs->n)
        for (size_t i = 0; i < rs->n; i++) {
            long *c = strmap_get(&count, rs->v[i].s[FLD_CODE]);
            if (c && *c > 1)
                record_reject(ctx, &rs->v[i], "duplicate_code",
                              "code \"%s\" is used by %ld rows of the input: none of them is stored",
                              rs->v[i].s[FLD_CODE], *c);
        }
    strmap_free(&count);
}

static int valid_level(const char *l) {
    return l && (!strcmp(l, "province") || !strcmp(l, "district") || !strcmp(l, "commune"));
}

/* Open the target database.  A dry run never creates a file: a missing one
 * is validated against an empty in-memory store. */
static sqlite3 *open_db(const IngestOptions *opt, char **err) {
    const char *path = opt->db_path;
    if (opt->dry_run && access(path, F_OK) != 0) path = ":memory:";
    return store_open(path, STORE_CREATE, err);
}

int ingest_run(const IngestOptions *opt, IngestReport *r) {
    memset(r, 0, sizeof *r);
    double t0 = now_s();
    r->collection = opt->collection;
    r->dry_run = opt->dry_run;
    if (opt->source_count < 1) return finish(r, 2, ing_printf("no source file given"));
    if (!opt->db && !opt->db_path) return finish(r, 2, ing_printf("no database given (--db FILE)"));

    Mapping m;
    char *err = NULL;
    if (mapping_load(&m, opt->mapping_path, &err) != 0) return finish(r, 2, err);
    RecordContext ctx = {.opt = opt, .mapping = &m, .report = r};
    if (opt->config) ctx.config = *opt->config;
    else config_defaults(&ctx.config);
    if (m.collection >= 0 && m.collection != (int)opt->collection) {
        int admin = m.collection == INGEST_ADMIN;
        mapping_free(&m);
        return finish(r, 2, ing_printf("the mapping %s is for the %s collection (--collection %s)",
                                       opt->mapping_path, admin ? "admin" : "institutions",
                                       admin ? "admin" : "institutions"));
    }
    const char *layout = opt->layout ? opt->layout : m.layout;
    const char *level = opt->level ? opt->level : m.level;
    if (opt->collection == INGEST_ADMIN && !layout) {
        mapping_free(&m);
        return finish(r, 2, ing_printf("admin units need a layout name (--layout NAME, e.g. 2019 or 2025)"));
    }
    if (level && !valid_level(level)) {
        mapping_free(&m);
        return finish(r, 2, ing_printf("level must be province, district or commune, not \"%s\"", level));
    }

    sqlite3 *db = opt->db ? opt->db : open_db(opt, &err);
    if (!db) {
        mapping_free(&m);
        return finish(r, 1, err);
    }
    ctx.db = db;
    r->data_version_before = r->data_version_after = store_data_version(db);
    /* Savepoint when the caller already holds a transaction, else take the
     * write lock now so the admin units read below cannot change under us. */
    int nested = !sqlite3_get_autocommit(db);
    int status = 0;
    AdminIndex ix = {0};
    Records rs = {0};
    /* A big ingest is one transaction: keep its pages and its statement
     * journals (SpatiaLite's triggers make every INSERT open one) in memory
     * instead of temporary files.  Foreign keys are off while it runs: it
     * never deletes or renames an institution or a layout, the only parents,
     * and the per-row parent checks cost ~15 % (restored after). */
    int fk = 0;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA foreign_keys", -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        fk = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    sqlite3_exec(db, "PRAGMA cache_size = -131072; PRAGMA temp_store = MEMORY; PRAGMA foreign_keys = OFF", NULL,
                 NULL, NULL);
    if (store_exec(db, nested ? "SAVEPOINT ingest" : "BEGIN IMMEDIATE", &err) != SQLITE_OK) {
        status = 1;
        goto out;
    }
    if (opt->collection == INGEST_INSTITUTIONS) {
        if (admin_index_load(&ix, db, layout, &err) != 0) {
            status = 1;
            goto rollback;
        }
        if (layout && !ix.n) {
            err = ing_printf("layout \"%s\" has no admin units; ingest them first (--collection admin)", layout);
            status = 1;
            goto rollback;
        }
        if (!ix.n) ing_note(r, "no admin layout in the database: commune/district names are not located");
        r->layout = ing_strdup(ix.n ? ix.layout : NULL);
    } else {
        r->layout = strdup(layout);
    }
    ctx.admin = &ix;

    long long done = 0;
    for (int i = 0; i < opt->source_count && status == 0; i++)
        if (read_source(&ctx, opt->sources[i], &rs, &done, &err) != 0) status = 1;
    if (status) goto rollback;
    if (ctx.areas_computed)
        ing_note(r, "area_km2 of %ld unit(s) computed: geodesic area on the WGS84 ellipsoid "
                    "(Karney's algorithm, PROJ geod_polygonarea)", ctx.areas_computed);
    reject_duplicates(&ctx, &rs);
    if (opt->progress) opt->progress(opt->progress_ctx, done, done);
    if (opt->strict && r->rejected) {
        err = ing_printf("%lld row(s) rejected and --strict given: nothing was stored", r->rejected);
        status = 1;
        goto rollback;
    }

    WriteCounts wc = {0};
    int wrc;
    if (opt->collection == INGEST_ADMIN) {
        wrc = write_layout(db, layout, m.layout_description, opt->default_layout, &wc, &err);
        if (wrc == 0) wrc = write_admin(db, rs.v, rs.n, layout, &wc, &err);
        /* Search rows carry their commune/district names: refresh them. */
        if (wrc == 0 && wc.inserted + wc.updated > 0 && store_reindex_search(db, NULL) != SQLITE_OK) {
            err = ing_printf("rebuilding the search index: %s", sqlite3_errmsg(db));
            wrc = -1;
        }
    } else {
        /* accounts/editing: approved school edits are never silently overwritten,
         * and what the ingest changes in edited institutions is audited */
        EditsIngestAudit *audit = NULL;
        wrc = fill_kept(db, rs.v, rs.n, &ix, r, &err);
        if (wrc == 0) wrc = ingest_reconcile_edits(db, rs.v, rs.n, ix.n ? ix.layout : NULL, opt->prefer_file, r, &audit, &err);
        if (wrc == 0) wrc = write_institutions(db, rs.v, rs.n, &ix, &wc, &err);
        int arc = ingest_audit_edits(db, audit, wrc == 0, &err); /* ok = 0: only frees */
        if (wrc == 0) wrc = arc;
    }
    if (wrc != 0) {
        status = 1;
        goto rollback;
    }
    r->inserted = wc.inserted;
    r->updated = wc.updated;
    r->unchanged = wc.unchanged;
    if ((wc.inserted || wc.updated || wc.layout_changed) && store_bump_data_version(db) != SQLITE_OK) {
        err = ing_printf("updating data_version: %s", sqlite3_errmsg(db));
        status = 1;
        goto rollback;
    }
    if (!opt->dry_run) {
        r->data_version_after = store_data_version(db);
        if (store_exec(db, nested ? "RELEASE ingest" : "COMMIT", &err) != SQLITE_OK) {
            r->data_version_after = r->data_version_before;
            status = 1;
            goto rollback;
        }
        goto out;
    }
    /* A dry run counts what would happen, then undoes it. */
rollback:
    if (status) {
        r->inserted = r->updated = r->unchanged = 0;
    }
    sqlite3_exec(db, nested ? "ROLLBACK TO ingest; RELEASE ingest" : "ROLLBACK", NULL, NULL, NULL);
out:
    if (fk) sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    admin_index_free(&ix);
    records_free(&rs);
    if (!opt->db) store_close(db);
    mapping_free(&m);
    r->seconds = now_s() - t0;
    return finish(r, status, err);
}
