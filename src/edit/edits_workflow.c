/* edits_workflow.c — publish, submit, decide, revert: the moderation workflow in one transaction each (edits.h, edits_internal.h). */
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

/* ------------------------------------------------------------ publishing */

void edit_now_iso(char out[32]) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Fill t (edit_change_texts_free(t) is due either way); -1 when out of memory,
 * also when `after` is NULL (a failed overlay). */
int edit_change_texts(ChangeTexts *t, const cJSON *before, const cJSON *after, unsigned mask) {
    t->before = edit_print_value(before);
    t->after = after ? edit_print_value(after) : NULL;
    buf_init(&t->fields);
    edit_fields_json(&t->fields, mask);
    edit_now_iso(t->now);
    return t->before && t->after && !t->fields.oom ? 0 : -1;
}

void edit_change_texts_free(ChangeTexts *t) {
    free(t->before);
    free(t->after);
    buf_free(&t->fields);
}

static void bind_id_or_null(sqlite3_stmt *st, int i, long long id) {
    if (id > 0)
        sqlite3_bind_int64(st, i, id);
    else
        sqlite3_bind_null(st, i);
}

/* Recompute snap's place for publishing its location (place_locate), with
 * a warning when the point is in no admin unit.  0, or -1 with *e. */
static int relocate(sqlite3 *db, cJSON *snap, Buf *warnings, EditError *e) {
    int units;
    if (edit_place_locate(db, snap, &units) != 0) return edit_db_fail(e, db);
    if (units == 0) edit_add_no_unit(warnings, snap);
    return 0;
}

/* Publish `after` (complete) over `before` as the next version: the row
 * (with after's place when the location is in `mask`), the audit entry, the
 * approved-edit markers of `mask`, data_version. */
static int publish(sqlite3 *db, const char *code, const cJSON *before, const cJSON *after, unsigned mask,
                   long long version_before, const EditActor *who, const char *action, long long change_id,
                   const char *comment, long long *version_after, EditError *e) {
    long long v = version_before + 1;
    ChangeTexts t;
    int rc = -1;
    if (edit_change_texts(&t, before, after, mask) != 0) {
        edit_oom(e);
        goto out;
    }
    /* the place goes with the location (a published move has relocated it) */
    if (edit_snapshot_store(db, code, after, v, (mask & BIT(F_LOCATION)) != 0) != 0) {
        edit_db_fail(e, db);
        goto out;
    }
    sqlite3_stmt *st = store_prepare_cached(
        db, "INSERT INTO audit_log(institution_code, action, account_id, actor, change_request_id, fields,"
            " version_before, version_after, before, after, comment, at)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    if (!st) {
        edit_db_fail(e, db);
        goto out;
    }
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC);
    bind_id_or_null(st, 3, who->account_id);
    sqlite3_bind_text(st, 4, who->email ? who->email : "system", -1, SQLITE_TRANSIENT);
    bind_id_or_null(st, 5, change_id);
    sqlite3_bind_text(st, 6, t.fields.data, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, version_before);
    sqlite3_bind_int64(st, 8, v);
    sqlite3_bind_text(st, 9, t.before, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 10, t.after, -1, SQLITE_TRANSIENT);
    edit_bind_text_or_null(st, 11, comment && *comment ? comment : NULL);
    sqlite3_bind_text(st, 12, t.now, -1, SQLITE_TRANSIENT);
    if (edit_step_done(st) != 0) {
        edit_db_fail(e, db);
        goto out;
    }
    long long audit_id = sqlite3_last_insert_rowid(db);
    for (int f = 0; f < F_COUNT; f++) {
        if (!(mask & BIT(f))) continue;
        char *value = edit_print_value(f == F_LOCATION ? cJSON_GetObjectItemCaseSensitive(edit_field_get(after, f), "coordinates")
                                                  : edit_field_get(after, f));
        st = store_prepare_cached(db, "INSERT INTO approved_edit(institution_code, field, value, audit_id)"
                                      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(institution_code, field) DO UPDATE"
                                      " SET value = excluded.value, audit_id = excluded.audit_id");
        if (!st || !value) {
            free(value);
            st ? edit_oom(e) : edit_db_fail(e, db);
            goto out;
        }
        sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, edit_field_defs[f].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, value, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, audit_id);
        free(value);
        if (edit_step_done(st) != 0) {
            edit_db_fail(e, db);
            goto out;
        }
    }
    if (store_bump_data_version(db) != SQLITE_OK) {
        edit_db_fail(e, db);
        goto out;
    }
    *version_after = v;
    rc = 0;
out:
    edit_change_texts_free(&t);
    return rc;
}

/* The open change request of an institution: id, fields, after (malloc'd). */
static long long open_request(sqlite3 *db, const char *code, unsigned *mask, char **after) {
    *mask = 0;
    *after = NULL;
    sqlite3_stmt *st = store_prepare_cached(db, "SELECT id, fields, after FROM change_request"
                                                " WHERE institution_code = ?1 AND status = 'pending'"
                                                " ORDER BY id DESC LIMIT 1");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    long long id = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        *mask = edit_fields_from_json((const char *)sqlite3_column_text(st, 1));
        *after = strdup((const char *)sqlite3_column_text(st, 2));
        if (!*after) id = -1;
    } else if (rc != SQLITE_DONE) {
        id = -1;
    }
    sqlite3_reset(st);
    return id;
}

static int begin(sqlite3 *db, EditError *e) {
    return sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : edit_db_fail(e, db);
}

static int commit(sqlite3 *db, EditError *e) {
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) return 0;
    edit_db_fail(e, db);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static int rollback(sqlite3 *db) {
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* Commit, then list in out what was published and what waits. */
static int commit_outcome(sqlite3 *db, unsigned published, unsigned pending, EditOutcome *out, EditError *e) {
    if (commit(db, e) != 0) return -1;
    edit_fields_json(&out->published, published);
    edit_fields_json(&out->pending, pending);
    msg_list_close(&out->warnings);
    return 0;
}

/* The published snapshot of `code` for an edit or a revert, in a
 * transaction: its version goes to meta and out; with if_match, a stale
 * version is a 412.  NULL after an error (404 when there is no such
 * institution). */
static cJSON *snapshot_for_write(sqlite3 *db, const char *code, const char *if_match, InstMeta *meta,
                                 EditOutcome *out, EditError *e) {
    int found;
    cJSON *snap = edit_snapshot_read(db, code, meta, &found);
    if (!snap) {
        found ? edit_db_fail(e, db)
              : edit_fail(e, 404, "NotFound", MSG_INSTITUTION_NOT_FOUND, MSG_PARAMS(MSG_S("code", code)));
        return NULL;
    }
    out->version = meta->version;
    if (if_match && !edits_if_match(if_match, code, meta->version)) {
        edit_fail(e, 412, "PreconditionFailed", MSG_STALE_VERSION, MSG_PARAMS(MSG_N("version", meta->version)));
        cJSON_Delete(snap);
        return NULL;
    }
    return snap;
}

static int can_edit(const EditActor *who, const char *code, EditError *e) {
    if (who->admin || (who->institution && !strcmp(who->institution, code))) return 0;
    return edit_fail(e, 403, "Forbidden", MSG_EDIT_NOT_OWN, NULL);
}

/* A copy of base with the fields of `mask` taken from src. */
static cJSON *overlay(const cJSON *base, const cJSON *src, unsigned mask) {
    cJSON *out = cJSON_Duplicate(base, 1);
    for (int f = 0; out && f < F_COUNT; f++)
        if ((mask & BIT(f)) && edit_field_copy(out, src, f) != 0) {
            cJSON_Delete(out);
            return NULL;
        }
    return out;
}

/* Supersede an open request and record a new one when `wait` is set. */
static int replace_request(sqlite3 *db, const char *code, const EditActor *who, long long open_id,
                           const cJSON *published, const cJSON *proposed, unsigned wait, const char *reasons,
                           long long version, long long *new_id, EditError *e) {
    *new_id = 0;
    if (open_id > 0) {
        sqlite3_stmt *st = store_prepare_cached(db, "UPDATE change_request SET status = 'superseded',"
                                                    " decided_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
                                                    " WHERE id = ?1");
        if (!st) return edit_db_fail(e, db);
        sqlite3_bind_int64(st, 1, open_id);
        if (edit_step_done(st) != 0) return edit_db_fail(e, db);
    }
    if (!wait) return 0;
    cJSON *after = overlay(published, proposed, wait);
    ChangeTexts t;
    int rc = -1, texts = edit_change_texts(&t, published, after, wait);
    cJSON_Delete(after);
    sqlite3_stmt *st = NULL;
    if (texts != 0) {
        edit_oom(e);
        goto out;
    }
    st = store_prepare_cached(db, "INSERT INTO change_request(institution_code, account_id, author, status, fields,"
                                  " reasons, base_version, before, after, created_at)"
                                  " VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!st) {
        edit_db_fail(e, db);
        goto out;
    }
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    bind_id_or_null(st, 2, who->account_id);
    sqlite3_bind_text(st, 3, who->email ? who->email : "system", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, t.fields.data, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, reasons, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, version);
    sqlite3_bind_text(st, 7, t.before, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, t.after, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 9, t.now, -1, SQLITE_TRANSIENT);
    if (edit_step_done(st) != 0) {
        edit_db_fail(e, db);
        goto out;
    }
    *new_id = sqlite3_last_insert_rowid(db);
    rc = 0;
out:
    edit_change_texts_free(&t);
    return rc;
}

/* ---------------------------------------------------------------- submit */

static cJSON *parse_body(const char *text, size_t len, EditError *e) {
    if (!text || !len) {
        edit_fail(e, 400, "InvalidParameterValue", MSG_BODY_MISSING, NULL);
        return NULL;
    }
    if (strlen(text) != len) {
        edit_fail(e, 400, "InvalidParameterValue", MSG_BODY_NUL, NULL);
        return NULL;
    }
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(text, &end, 1);
    if (!v)
        edit_fail(e, 400, "InvalidParameterValue", MSG_BODY_NOT_JSON,
             MSG_PARAMS(MSG_N("offset", end ? (long)(end - text) : 0L)));
    return v;
}

int edits_submit(sqlite3 *db, const EditActor *who, const EditRules *rules, const char *code, const char *if_match,
                 const char *patch_text, size_t patch_len, EditOutcome *out, EditError *e) {
    if (can_edit(who, code, e) != 0) return -1;
    cJSON *patch = parse_body(patch_text, patch_len, e);
    if (!patch) return -1;
    if (edit_check_patch(patch, code, e) != 0) {
        cJSON_Delete(patch);
        return -1;
    }
    if (begin(db, e) != 0) {
        cJSON_Delete(patch);
        return -1;
    }
    InstMeta meta;
    cJSON *snap = snapshot_for_write(db, code, if_match, &meta, out, e), *proposed = NULL, *target = NULL;
    char *open_after = NULL;
    Buf reasons = BUF_INIT;
    int rc = -1;
    if (!snap) goto out;
    if (!if_match) {
        edit_fail(e, 428, "PreconditionRequired", MSG_IF_MATCH_REQUIRED, NULL);
        goto out;
    }
    /* A school's pending proposal is the base its next edit builds on. */
    unsigned open_mask = 0;
    long long open_id = who->admin ? 0 : open_request(db, code, &open_mask, &open_after);
    if (open_id < 0) {
        edit_db_fail(e, db);
        goto out;
    }
    cJSON *open_snap = open_after ? cJSON_Parse(open_after) : NULL;
    proposed = open_snap ? overlay(snap, open_snap, open_mask) : cJSON_Duplicate(snap, 1);
    cJSON_Delete(open_snap);
    proposed = proposed ? edits_merge_patch(proposed, patch) : NULL;
    if (!proposed) {
        edit_oom(e);
        goto out;
    }
    if (edit_normalise(proposed, snap, rules->config, e) != 0) goto out;
    unsigned changed = edit_diff_fields(snap, proposed);
    int flagged = 0;
    if ((changed & BIT(F_LOCATION)) &&
        (flagged = edit_check_place(db, &meta, proposed, who->admin ? NULL : &reasons, &out->warnings)) < 0) {
        edit_db_fail(e, db);
        goto out;
    }
    unsigned wait = who->admin ? 0 : edit_waiting_fields(rules, snap, proposed, changed, flagged, &reasons);
    unsigned now_mask = changed & ~wait;
    target = now_mask ? overlay(snap, proposed, now_mask) : cJSON_Duplicate(snap, 1);
    if (!target) {
        edit_oom(e);
        goto out;
    }
    if (now_mask &&
        publish(db, code, snap, target, now_mask, meta.version, who, "edit", 0, NULL, &out->version, e) != 0)
        goto out;
    msg_list_close(&reasons);
    if ((wait || open_id > 0) &&
        replace_request(db, code, who, open_id, target, proposed, wait, reasons.data, out->version, &out->change_id,
                        e) != 0)
        goto out;
    if (!now_mask && (wait || open_id > 0) && store_bump_data_version(db) != SQLITE_OK) {
        edit_db_fail(e, db);
        goto out;
    }
    rc = commit_outcome(db, now_mask, wait, out, e);
out:
    if (rc != 0) rollback(db);
    cJSON_Delete(patch);
    cJSON_Delete(snap);
    cJSON_Delete(proposed);
    cJSON_Delete(target);
    free(open_after);
    buf_free(&reasons);
    return rc;
}

/* ---------------------------------------------------------------- decide */

int edits_decide(sqlite3 *db, const EditActor *who, const EditRules *rules, long long change_id, int approve,
                 const char *comment, EditOutcome *out, EditError *e) {
    (void)rules;
    if (!who->admin) return edit_fail(e, 403, "Forbidden", MSG_DECIDE_ADMIN_ONLY, NULL);
    if (begin(db, e) != 0) return -1;
    int rc = -1;
    char code[64] = "", status[16] = "";
    unsigned mask = 0;
    cJSON *before = NULL, *after = NULL, *snap = NULL, *target = NULL;
    sqlite3_stmt *st = store_prepare_cached(db, "SELECT institution_code, status, fields, before, after FROM"
                                                " change_request WHERE id = ?1");
    if (!st) {
        edit_db_fail(e, db);
        goto out;
    }
    sqlite3_bind_int64(st, 1, change_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        snprintf(code, sizeof code, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(status, sizeof status, "%s", (const char *)sqlite3_column_text(st, 1));
        mask = edit_fields_from_json((const char *)sqlite3_column_text(st, 2));
        before = cJSON_Parse((const char *)sqlite3_column_text(st, 3));
        after = cJSON_Parse((const char *)sqlite3_column_text(st, 4));
    }
    sqlite3_reset(st);
    if (step != SQLITE_ROW) {
        step == SQLITE_DONE ? edit_fail(e, 404, "NotFound", MSG_CHANGE_NOT_FOUND, MSG_PARAMS(MSG_N("id", change_id)))
                            : edit_db_fail(e, db);
        goto out;
    }
    out->change_id = change_id;
    if (strcmp(status, "pending")) {
        edit_fail(e, 409, "Conflict", MSG_CHANGE_NOT_PENDING, MSG_PARAMS(MSG_N("id", change_id), MSG_S("status", status)));
        goto out;
    }
    if (!before || !after) {
        edit_oom(e);
        goto out;
    }
    InstMeta meta;
    int found;
    snap = edit_snapshot_read(db, code, &meta, &found);
    if (!snap) {
        found ? edit_db_fail(e, db) : edit_fail(e, 409, "Conflict", MSG_INSTITUTION_GONE, MSG_PARAMS(MSG_S("code", code)));
        goto out;
    }
    out->version = meta.version;
    unsigned published_now = 0;
    if (approve) {
        unsigned moved = edit_diff_fields(snap, before) & mask;
        if (moved) {
            Buf names = BUF_INIT;
            edit_fields_list(&names, moved);
            edit_fail(e, 409, "Conflict", MSG_CHANGE_OUTDATED, MSG_PARAMS(MSG_S("fields", names.data)));
            buf_free(&names);
            goto out;
        }
        target = overlay(snap, after, mask);
        if (!target) {
            edit_oom(e);
            goto out;
        }
        published_now = edit_diff_fields(snap, target);
        /* the place of the request was found when it was made: find it again */
        if ((published_now & BIT(F_LOCATION)) && relocate(db, target, &out->warnings, e) != 0) goto out;
        if (published_now && publish(db, code, snap, target, published_now, meta.version, who, "approve", change_id,
                                     comment, &out->version, e) != 0)
            goto out;
    }
    st = store_prepare_cached(db, "UPDATE change_request SET status = ?2, decided_by = ?3, decider = ?4,"
                                  " decided_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), comment = ?5 WHERE id = ?1");
    if (!st) {
        edit_db_fail(e, db);
        goto out;
    }
    sqlite3_bind_int64(st, 1, change_id);
    sqlite3_bind_text(st, 2, approve ? "approved" : "rejected", -1, SQLITE_STATIC);
    bind_id_or_null(st, 3, who->account_id);
    sqlite3_bind_text(st, 4, who->email ? who->email : "system", -1, SQLITE_TRANSIENT);
    edit_bind_text_or_null(st, 5, comment && *comment ? comment : NULL);
    if (edit_step_done(st) != 0 || (!published_now && store_bump_data_version(db) != SQLITE_OK)) {
        edit_db_fail(e, db);
        goto out;
    }
    rc = commit_outcome(db, published_now, 0, out, e);
out:
    if (rc != 0) rollback(db);
    cJSON_Delete(before);
    cJSON_Delete(after);
    cJSON_Delete(snap);
    cJSON_Delete(target);
    return rc;
}

/* ---------------------------------------------------------------- revert */

/* The snapshot the institution had at `version`, from the audit log. */
static char *snapshot_at(sqlite3 *db, const char *code, long long version) {
    static const char *const sql[] = {
        "SELECT after FROM audit_log WHERE institution_code = ?1 AND version_after = ?2 ORDER BY id DESC LIMIT 1",
        "SELECT before FROM audit_log WHERE institution_code = ?1 AND version_before = ?2 ORDER BY id DESC LIMIT 1",
    };
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st = store_prepare_cached(db, sql[i]);
        if (!st) return NULL;
        sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, version);
        char *text = NULL;
        if (sqlite3_step(st) == SQLITE_ROW) text = strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
        if (text) return text;
    }
    return NULL;
}

int edits_revert(sqlite3 *db, const EditActor *who, const EditRules *rules, const char *code, long long version,
                 const char *if_match, const char *comment, EditOutcome *out, EditError *e) {
    (void)rules;
    if (!who->admin) return edit_fail(e, 403, "Forbidden", MSG_REVERT_ADMIN_ONLY, NULL);
    if (begin(db, e) != 0) return -1;
    int rc = -1;
    InstMeta meta;
    cJSON *snap = snapshot_for_write(db, code, if_match, &meta, out, e), *target = NULL;
    char *text = NULL;
    if (!snap) goto out;
    text = snapshot_at(db, code, version);
    target = text ? cJSON_Parse(text) : NULL;
    if (!target) {
        edit_fail(e, 404, "NotFound", MSG_VERSION_NOT_FOUND, MSG_PARAMS(MSG_N("version", version), MSG_S("code", code)));
        goto out;
    }
    unsigned mask = edit_diff_fields(snap, target);
    /* The place goes with the location: restored with it (recomputed when
     * the version predates places), else kept as it is now. */
    if (!(mask & BIT(F_LOCATION))) {
        const cJSON *now = cJSON_GetObjectItemCaseSensitive(snap, "place");
        if (now && edit_set_item(target, "place", cJSON_Duplicate(now, 1)) != 0) {
            edit_oom(e);
            goto out;
        }
    } else if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(target, "place")) &&
               relocate(db, target, &out->warnings, e) != 0) {
        goto out;
    }
    if (mask && publish(db, code, snap, target, mask, meta.version, who, "revert", 0, comment, &out->version, e) != 0)
        goto out;
    rc = commit_outcome(db, mask, 0, out, e);
out:
    if (rc != 0) rollback(db);
    cJSON_Delete(snap);
    cJSON_Delete(target);
    free(text);
    return rc;
}
