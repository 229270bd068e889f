/* edits_query.c — change requests and history as JSON (edits.h, edits_internal.h). */
#include "edit/edits.h"
#include "edit/edits_internal.h"
#include "store/admin_locate.h"
#include "edit/auth.h"
#include "store/feature.h"
#include "geo/geojson.h"
#include "edit/message.h"
#include "store/store.h"
#include "base/strfmt.h"
#include "base/text.h"
#include <cjson/cJSON.h>
#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- listing */

#define CHANGE_COLS                                                                                  \
    "SELECT r.id, r.institution_code, i.name, r.author, r.status, r.fields, r.reasons, r.base_version," \
    " r.created_at, r.decider, r.decided_at, r.comment, r.before, r.after"                          \
    " FROM change_request r LEFT JOIN institution i ON i.code = r.institution_code "

/* ,"name":text for each of the n names, from the columns from `col` on. */
static void text_members(Buf *b, sqlite3_stmt *st, int col, const char *const *names, int n) {
    for (int i = 0; i < n; i++) {
        buf_putc(b, ',');
        json_str(b, names[i]);
        buf_putc(b, ':');
        json_str(b, (const char *)sqlite3_column_text(st, col + i));
    }
}

/* ,"before":…,"after":… from the snapshot columns col and col + 1. */
static void before_after_members(Buf *b, sqlite3_stmt *st, int col) {
    buf_puts(b, ",\"before\":");
    edits_write_snapshot(b, (const char *)sqlite3_column_text(st, col));
    buf_puts(b, ",\"after\":");
    edits_write_snapshot(b, (const char *)sqlite3_column_text(st, col + 1));
}

static void write_change(Buf *b, sqlite3_stmt *st) {
    static const char *const names[] = {"id", "institution_code", "institution_name", "author", "status"};
    buf_putc(b, '{');
    for (int i = 0; i < 5; i++) {
        if (i) buf_putc(b, ',');
        json_str(b, names[i]);
        buf_putc(b, ':');
        if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
            json_int(b, sqlite3_column_int64(st, i));
        else
            json_str(b, (const char *)sqlite3_column_text(st, i));
    }
    buf_puts(b, ",\"fields\":");
    edits_write_snapshot(b, (const char *)sqlite3_column_text(st, 5));
    buf_puts(b, ",\"reasons\":");
    edits_write_snapshot(b, (const char *)sqlite3_column_text(st, 6));
    buf_puts(b, ",\"base_version\":");
    json_int(b, sqlite3_column_int64(st, 7));
    static const char *const tail[] = {"created_at", "decider", "decided_at", "comment"};
    text_members(b, st, 8, tail, 4);
    before_after_members(b, st, 12);
    buf_putc(b, '}');
}

int edits_changes_json(sqlite3 *db, const char *status, const char *institution, int limit, Buf *out) {
    if (status && !strcmp(status, "all")) status = NULL;
    sqlite3_stmt *st = store_prepare_cached(db, CHANGE_COLS "WHERE (?1 IS NULL OR r.status = ?1)"
                                                " AND (?2 IS NULL OR r.institution_code = ?2)"
                                                " ORDER BY r.id DESC LIMIT ?3");
    if (!st) return sqlite3_errcode(db);
    edit_bind_text_or_null(st, 1, status);
    edit_bind_text_or_null(st, 2, institution);
    sqlite3_bind_int(st, 3, limit);
    buf_puts(out, "{\"changes\":[");
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n++) buf_putc(out, ',');
        write_change(out, st);
    }
    sqlite3_reset(st);
    buf_puts(out, "]}\n");
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int edits_change_json(sqlite3 *db, long long id, Buf *out, char *institution) {
    sqlite3_stmt *st = store_prepare_cached(db, CHANGE_COLS "WHERE r.id = ?1");
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (institution) snprintf(institution, 64, "%s", (const char *)sqlite3_column_text(st, 1));
        write_change(out, st);
        buf_putc(out, '\n');
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int edits_open_change_json(sqlite3 *db, const char *code, Buf *out) {
    sqlite3_stmt *st = store_prepare_cached(db, CHANGE_COLS "WHERE r.institution_code = ?1 AND r.status = 'pending'"
                                                " ORDER BY r.id DESC LIMIT 1");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        write_change(out, st);
    else if (rc == SQLITE_DONE)
        buf_puts(out, "null");
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int edits_history_json(sqlite3 *db, const char *code, Buf *out) {
    sqlite3_stmt *st = store_prepare_cached(db, "SELECT version FROM institution WHERE code = ?1");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    long long version = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? 0 : -1;
    buf_puts(out, "{\"code\":");
    json_str(out, code);
    buf_puts(out, ",\"version\":");
    json_int(out, version);
    buf_puts(out, ",\"entries\":[");
    st = store_prepare_cached(db, "SELECT id, action, actor, at, fields, version_before, version_after,"
                                  " change_request_id, comment, before, after FROM audit_log"
                                  " WHERE institution_code = ?1 ORDER BY id DESC");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    int n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        buf_puts(out, n++ ? ",{\"id\":" : "{\"id\":");
        json_int(out, sqlite3_column_int64(st, 0));
        static const char *const text_cols[] = {"action", "actor", "at"};
        text_members(out, st, 1, text_cols, 3);
        buf_puts(out, ",\"fields\":");
        edits_write_snapshot(out, (const char *)sqlite3_column_text(st, 4));
        buf_puts(out, ",\"version_before\":");
        json_int(out, sqlite3_column_int64(st, 5));
        buf_puts(out, ",\"version_after\":");
        json_int(out, sqlite3_column_int64(st, 6));
        buf_puts(out, ",\"change_request_id\":");
        if (sqlite3_column_type(st, 7) == SQLITE_NULL)
            buf_puts(out, "null");
        else
            json_int(out, sqlite3_column_int64(st, 7));
        buf_puts(out, ",\"comment\":");
        json_str(out, (const char *)sqlite3_column_text(st, 8));
        before_after_members(out, st, 9);
        buf_putc(out, '}');
    }
    sqlite3_reset(st);
    buf_puts(out, "]}\n");
    return rc == SQLITE_DONE ? 1 : -1;
}
