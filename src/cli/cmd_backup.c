/* backup.c — `vetmap backup` and `vetmap restore`: whole-database copies
 * through SQLite's online backup API (https://sqlite.org/backup.html).
 *
 * backup: one sqlite3_backup_step(-1) inside a single read transaction, so
 * the copy is the consistent snapshot of the last commit before it started;
 * under WAL a busy writer neither blocks it nor is blocked by it.  The copy
 * is written beside the target, switched to rollback journal mode (one
 * self-contained file), checked with PRAGMA integrity_check and only then
 * renamed over the target, so a failed backup never leaves a half file.
 *
 * restore: the backup is checked first (integrity_check, a vetmap schema
 * version this program knows, the institution table); a damaged or foreign
 * file is refused and the database is not touched.  The pages are copied
 * into the live database with the same API (writers wait on its lock; a
 * running server's readers see the restored data at their next request),
 * then data_version is set above both the old and the restored value so no
 * ETag or cached tile of the old data can ever match the restored data. */
#include "base/cliopt.h"
#include "cli/commands.h"
#include "store/migrations.h"
#include "store/store.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 10000
#define BUSY_RETRIES 100            /* x 100 ms, on top of the busy timeout */

static void usage_backup(FILE *out) {
    fprintf(out,
            "usage: vetmap backup --db FILE --out BACKUP\n"
            "\n"
            "Copy the database to BACKUP with SQLite's online backup API: consistent while\n"
            "`vetmap serve` or an ingest is writing (the copy holds every change committed\n"
            "before it started).  The copy is checked with PRAGMA integrity_check and replaces\n"
            "BACKUP only when complete.  Exit status 0 on success, 1 on failure.\n");
}

static void usage_restore(FILE *out) {
    fprintf(out,
            "usage: vetmap restore --db FILE --from BACKUP\n"
            "\n"
            "Replace the contents of the database FILE (created when missing) with BACKUP.\n"
            "BACKUP is checked first (PRAGMA integrity_check, a vetmap schema); a damaged file\n"
            "is refused and FILE is left as it was.  A running `vetmap serve` may stay up: it\n"
            "serves the restored data from its next request on.  Exit status 0 on success,\n"
            "1 on failure or refusal.\n");
}

/* Parse --db and one other valued option.  Returns 0, 1 for --help, -1. */
static int parse(const char *cmd, int argc, char **argv, const char *other, const char **db, const char **value) {
    *db = *value = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
        int m = cliopt_take(cmd, argc, argv, &i, "--db", db);
        if (!m) m = cliopt_take(cmd, argc, argv, &i, other, value);
        if (m < 0) return -1;
        if (!m) {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", cmd, argv[i]);
            return -1;
        }
    }
    if (!*db || !*value) {
        fprintf(stderr, "%s: --db and %s are required (see --help)\n", cmd, other);
        return -1;
    }
    return 0;
}

/* PRAGMA integrity_check: NULL when "ok", else a malloc'd report (the
 * first problems, or why the check could not run). */
static char *integrity_problems(sqlite3 *db) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check(20)", -1, &st, NULL);
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    if (!mem) {
        sqlite3_finalize(st);
        return strdup("out of memory");
    }
    int ok = 0, rows = 0;
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        if ((rc = sqlite3_step(st)) != SQLITE_ROW) break;
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (!rows++ && line && !strcmp(line, "ok")) ok = 1;
        if (!ok) fprintf(mem, "%s%s", rows > 1 ? "; " : "", line ? line : "?");
    }
    if (rc != SQLITE_DONE) {
        fprintf(mem, "%s%s", rows ? "; " : "", sqlite3_errmsg(db));
        ok = 0;
    }
    sqlite3_finalize(st);
    fclose(mem);
    if (ok) {
        free(out);
        return NULL;
    }
    return out;
}

static long long query_int(sqlite3 *db, const char *sql, long long fallback) {
    sqlite3_stmt *st = NULL;
    long long v = fallback;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

#define DATA_VERSION_SQL "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'data_version'"

/* Copy all of src into dst ("main" to "main") in one step, waiting while
 * either side is locked.  Returns SQLITE_OK or the error code; *pages gets
 * the page count. */
static int copy_pages(sqlite3 *dst, sqlite3 *src, int *pages) {
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) return sqlite3_errcode(dst);
    int rc, tries = 0;
    while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        if (++tries > BUSY_RETRIES) break;
        sqlite3_sleep(100);
    }
    *pages = sqlite3_backup_pagecount(b);
    int fin = sqlite3_backup_finish(b);
    return rc == SQLITE_DONE ? fin : rc;
}

/* 1 when path exists and is not a regular file (a device, a directory):
 * the copy is renamed over its target, which must never replace /dev/null. */
static int not_a_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

static sqlite3 *open_plain(const char *path, int flags) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        fprintf(stderr, "cannot open %s: %s\n", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    return db;
}

int cmd_backup(int argc, char **argv) {
    const char *db_path, *out;
    int p = parse("vetmap backup", argc, argv, "--out", &db_path, &out);
    if (p) {
        p > 0 ? usage_backup(stdout) : usage_backup(stderr);
        return p > 0 ? 0 : 2;
    }
    if (not_a_file(out)) {
        fprintf(stderr, "vetmap backup: %s exists and is not a regular file\n", out);
        return 2;
    }
    char *err = NULL;
    /* store_open checks it is a vetmap database before anything is copied. */
    sqlite3 *src = store_open(db_path, STORE_READONLY, &err);
    if (!src) {
        fprintf(stderr, "vetmap backup: %s\n", err ? err : "cannot open the database");
        free(err);
        return 1;
    }
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", out, (long)getpid());
    unlink(tmp);
    int status = 1, pages = 0;
    sqlite3 *dst = open_plain(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (dst) {
        int rc = copy_pages(dst, src, &pages);
        char *bad = NULL;
        if (rc != SQLITE_OK)
            fprintf(stderr, "vetmap backup: copy failed: %s\n", sqlite3_errstr(rc));
        else if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK)
            fprintf(stderr, "vetmap backup: %s\n", sqlite3_errmsg(dst));
        else if ((bad = integrity_problems(dst)) != NULL)
            fprintf(stderr, "vetmap backup: the copy fails its integrity check: %s\n", bad);
        else
            status = 0;
        free(bad);
        long long dv = query_int(dst, DATA_VERSION_SQL, -1);
        if (sqlite3_close(dst) != SQLITE_OK) status = 1;
        if (status == 0 && rename(tmp, out) != 0) {
            perror("vetmap backup: rename");
            status = 1;
        }
        if (status == 0)
            printf("vetmap backup: %s -> %s: %d pages, data_version %lld, integrity ok\n", db_path, out, pages, dv);
    }
    if (status != 0) unlink(tmp);
    store_close(src);
    return status;
}

/* Why `path` may not be restored from, or NULL when it is sound. */
static char *refuse_reason(sqlite3 *src, const char *path) {
    char *bad = integrity_problems(src), *why = NULL;
    long long v = query_int(src, "PRAGMA user_version", -1);
    int has_inst = query_int(src, "SELECT count(*) FROM sqlite_master WHERE name = 'institution'", 0) > 0;
    int rc = -1;
    if (bad)
        rc = asprintf(&why, "%s is damaged (integrity check: %s)", path, bad);
    else if (v < 1 || v > store_schema_version() || !has_inst)
        rc = asprintf(&why, "%s is not a vetmap database this version knows (schema %lld)", path, v);
    free(bad);
    return rc < 0 ? NULL : why;
}

int cmd_restore(int argc, char **argv) {
    const char *db_path, *from;
    int p = parse("vetmap restore", argc, argv, "--from", &db_path, &from);
    if (p) {
        p > 0 ? usage_restore(stdout) : usage_restore(stderr);
        return p > 0 ? 0 : 2;
    }
    char a[PATH_MAX], b[PATH_MAX];
    if (realpath(db_path, a) && realpath(from, b) && !strcmp(a, b)) {
        fprintf(stderr, "vetmap restore: --db and --from are the same file\n");
        return 2;
    }
    if (not_a_file(db_path) || not_a_file(from)) {
        fprintf(stderr, "vetmap restore: --db and --from must be regular files\n");
        return 2;
    }
    if (access(from, R_OK) != 0) {
        fprintf(stderr, "vetmap restore: cannot read %s\n", from);
        return 1;
    }
    sqlite3 *src = open_plain(from, SQLITE_OPEN_READONLY);
    if (!src) return 1;
    char *why = refuse_reason(src, from);
    if (why) {
        fprintf(stderr, "vetmap restore: refusing to restore: %s; %s is unchanged\n", why, db_path);
        free(why);
        sqlite3_close(src);
        return 1;
    }
    long long restored_dv = query_int(src, DATA_VERSION_SQL, 0);
    int status = 1, pages = 0;
    sqlite3 *dst = open_plain(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (dst) {
        long long old_dv = query_int(dst, DATA_VERSION_SQL, 0);
        long long next = (old_dv > restored_dv ? old_dv : restored_dv) + 1;
        char sql[160], *bad = NULL;
        snprintf(sql, sizeof sql, "UPDATE meta SET value = '%lld' WHERE key = 'data_version'", next);
        int rc = copy_pages(dst, src, &pages);
        if (rc != SQLITE_OK)
            fprintf(stderr, "vetmap restore: copy failed: %s\n", sqlite3_errstr(rc));
        else if (sqlite3_exec(dst, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK ||
                 sqlite3_exec(dst, sql, NULL, NULL, NULL) != SQLITE_OK)
            fprintf(stderr, "vetmap restore: %s\n", sqlite3_errmsg(dst));
        else if ((bad = integrity_problems(dst)) != NULL)
            fprintf(stderr, "vetmap restore: the restored database fails its integrity check: %s\n", bad);
        else
            status = 0;
        free(bad);
        if (sqlite3_close(dst) != SQLITE_OK) status = 1;
        if (status == 0) {
            /* Bring an older backup's schema up to this version. */
            char *err = NULL;
            sqlite3 *db = store_open(db_path, 0, &err);
            if (!db) {
                fprintf(stderr, "vetmap restore: %s\n", err ? err : "cannot open the restored database");
                status = 1;
            }
            free(err);
            store_close(db);
        }
        if (status == 0)
            printf("vetmap restore: %s -> %s: %d pages, integrity ok, data_version now %lld\n", from, db_path, pages,
                   next);
    }
    sqlite3_close(src);
    return status;
}
