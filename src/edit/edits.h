/* edits.h — institution edits: merge patches, moderation, audit, revert,
 * and the re-ingest conflict check.
 *
 * The editable part of an institution is handled as a snapshot, a JSON
 * object shaped like the GeoJSON Feature a client patches:
 *   {"properties": {"name", "address", "phone", "email", "website",
 *                   "description", "programs": [{"occupation_code",
 *                   "occupation_name", "level", "annual_quota"}, ...],
 *                   "location_precision"},
 *    "geometry": {"type": "Point", "coordinates": [lon, lat]} | null,
 *    "place": {"layout", "commune_code", "district_code", "province_code"}}
 * A patch is an RFC 7396 JSON merge patch of that shape, limited to the
 * editable fields: name, address, phone, email, website, description,
 * programs (replaced whole, as RFC 7396 replaces arrays) and location (the
 * geometry).  A location set through an edit gets location_precision
 * "surveyed".  Values are validated as the ingest validates: text valid
 * UTF-8 stored NFC and trimmed, coordinates finite and inside the configured
 * region, and a point outside the institution's own commune (its district
 * when the commune is unknown) is flagged.
 *
 * "place" is read-only: the admin units the institution is in.  Whenever a
 * location is published (an edit, an approval) it is recomputed from the
 * units of the default layout that contain the new point (point in polygon,
 * candidates from the R*Tree idx_admin_unit_geom); a point in no unit gets
 * null codes and a warning.  A revert restores the place of its version.
 *
 * Moderation: an admin's edit publishes at once.  A school's edit publishes
 * at once only for the fields in rules->publish_fields, and never a rename
 * or a move farther than rules->max_move_m (geodesic, PROJ geod_inverse),
 * outside its commune (district) or into no admin unit: those wait in ONE pending change request per
 * institution (a new submission supersedes the open one and carries its
 * fields forward), which an admin approves or rejects with a comment.
 * Every published change (edit, approval, revert) writes an audit_log row
 * with who, when, the versions and the full before/after snapshots, bumps
 * institution.version and meta.data_version and reindexes search.
 *
 * Every writing function takes a read-write connection (its caller
 * serialises writers) and runs one transaction; errors leave nothing
 * written and fill an EditError with an HTTP status and a JSON error code. */
#ifndef VETMAP_EDITS_H
#define VETMAP_EDITS_H

#include "base/buf.h"
#include "base/config.h"

#include <sqlite3.h>
#include <stddef.h>

/* Who acts.  An admin may act on any institution; a school only on its own. */
typedef struct EditActor {
    long long account_id;      /* 0 = the system (ingest, CLI) */
    const char *email;         /* recorded as the author / actor */
    int admin;
    const char *institution;   /* a school's institution code */
} EditActor;

typedef struct EditRules {
    const char *publish_fields;  /* comma list of fields a school's edit publishes at once */
    double max_move_m;           /* a move farther than this (metres) always waits */
    const Config *config;        /* the region boxes */
} EditRules;

typedef struct EditError {
    int status;                /* HTTP status: 400, 403, 404, 409, 412, 422, 428, 500, 503 */
    const char *code;          /* JSON error code, e.g. "PreconditionFailed" */
    char message[400];         /* the English sentence */
    char detail[2048];         /* the same as a message object (message.h), JSON */
    int sqlite_rc;             /* for 500/503: the SQLite code */
} EditError;

typedef struct EditOutcome {
    long long version;         /* institution version after the call */
    long long change_id;       /* the pending change request made or decided, 0 = none */
    Buf published;             /* JSON array of the fields published now */
    Buf pending;               /* JSON array of the fields waiting for approval */
    Buf warnings;              /* JSON array of messages (message.h), e.g. outside its commune */
} EditOutcome;

void edit_outcome_init(EditOutcome *o);
void edit_outcome_free(EditOutcome *o);

/* Read rules from the configuration (edit_publish_fields, edit_max_move_m). */
void edits_rules_from_config(EditRules *r, const Config *c);

/* The institution's ETag, derived from its code and version only (so it is
 * stable across unrelated writes): "\"inst-<code>-v<version>\"", quotes
 * included, characters outside [A-Za-z0-9._-] of the code %-encoded. */
void edits_etag(const char *code, long long version, char *out, size_t n);

/* 1 when an If-Match header value (a list of entity tags, or "*") matches
 * the institution's current tag under strong comparison, else 0. */
int edits_if_match(const char *header, const char *code, long long version);

/* RFC 7396 MergePatch(target, patch), the algorithm of its section 2:
 * consumes target (NULL = absent) and returns the result (NULL when out of
 * memory); patch is not changed. */
struct cJSON;
struct cJSON *edits_merge_patch(struct cJSON *target, const struct cJSON *patch);

/* The current snapshot of an institution as malloc'd JSON text (full
 * precision) and its version.  Returns NULL when there is no such code
 * (or on error: *rc gets the SQLite code, SQLITE_OK for "not found"). */
char *edits_snapshot(sqlite3 *db, const char *code, long long *version, int *rc);

/* Apply a merge patch (patch_len bytes of JSON) to institution `code`.
 * if_match: the request's If-Match header (NULL -> 428).  Returns 0 with
 * *out filled (published / pending fields; both empty when the patch changed
 * nothing), or -1 with *e. */
int edits_submit(sqlite3 *db, const EditActor *who, const EditRules *rules, const char *code,
                 const char *if_match, const char *patch, size_t patch_len, EditOutcome *out, EditError *e);

/* Approve (approve = 1) or reject a pending change request, as an admin,
 * with an optional comment.  409 when it is not pending or when the fields
 * it changes were changed by someone else since it was made.  Returns 0 or
 * -1 with *e. */
int edits_decide(sqlite3 *db, const EditActor *who, const EditRules *rules, long long change_id, int approve,
                 const char *comment, EditOutcome *out, EditError *e);

/* Restore institution `code` to the snapshot it had at `version` (any
 * version the audit log holds, before or after an entry), as an admin; the
 * revert is itself a new version.  if_match may be NULL (not checked).
 * Returns 0 or -1 with *e (404 when the version is not in the log). */
int edits_revert(sqlite3 *db, const EditActor *who, const EditRules *rules, const char *code, long long version,
                 const char *if_match, const char *comment, EditOutcome *out, EditError *e);

/* JSON of change requests, newest first:
 * {"changes": [{"id", "institution_code", "institution_name", "author",
 *  "status", "fields", "reasons", "base_version", "created_at", "decider",
 *  "decided_at", "comment", "before", "after"}, ...]}; "reasons" is an
 * array of messages (message.h; plain strings in requests made before
 * messages had codes).
 * status NULL or "all" = any; institution NULL = any; at most `limit`.
 * Returns 0, or the SQLite error code. */
int edits_changes_json(sqlite3 *db, const char *status, const char *institution, int limit, Buf *out);

/* One change request as the object above.  Returns 1 found, 0 not, or -1;
 * *institution (size 64, may be NULL) gets its institution code. */
int edits_change_json(sqlite3 *db, long long id, Buf *out, char *institution);

/* The institution's open (pending) change request as the object above, or
 * null.  Returns 0 or -1. */
int edits_open_change_json(sqlite3 *db, const char *code, Buf *out);

/* JSON history of an institution, newest first: {"code", "version",
 * "entries": [{"id", "action", "actor", "at", "fields", "version_before",
 * "version_after", "change_request_id", "comment", "before", "after"}]}.
 * Returns 1, 0 when there is no such institution, or -1. */
int edits_history_json(sqlite3 *db, const char *code, Buf *out);

/* Append a snapshot (JSON text) re-emitted with coordinates rounded to the
 * API's 7 decimals; invalid text gives null. */
void edits_write_snapshot(Buf *out, const char *snapshot_json);

/* ---- re-ingest of the master file ----------------------------------- *
 * The ingest calls these per existing institution and per field it writes,
 * inside its transaction, before deciding whether the row changed.  They
 * compare the file's value with the value the last published edit gave
 * that field (approved_edit).  No edit, or the same value: 0, nothing
 * changes.  A disagreement: 1, with *note (malloc'd) naming the field and
 * both values; with EDITS_PREFER_EDITS the file's value is replaced by the
 * edit's (so the edit stays), with EDITS_PREFER_FILE the file's value is
 * kept and the edit's marker dropped (later ingests no longer report it).
 * -1 on a database error. */
typedef enum EditsPrefer { EDITS_PREFER_EDITS = 0, EDITS_PREFER_FILE = 1 } EditsPrefer;

/* field: "name", "address", "phone", "email" or "website"; *value is the
 * file's value (malloc'd, NULL = empty) and may be replaced (freed and
 * re-allocated). */
int edits_reconcile_text(sqlite3 *db, const char *code, const char *field, char **value, EditsPrefer prefer,
                         char **note);

/* The location: *has_point, *lon, *lat (degrees) and *precision
 * (malloc'd, may be replaced) as the file gives them.  A kept edit's point
 * comes with the precision stored with it (surveyed for a moved point, the
 * restored one after a revert). */
int edits_reconcile_location(sqlite3 *db, const char *code, int *has_point, double *lon, double *lat,
                             char **precision, EditsPrefer prefer, char **note);

/* The place a kept location edit gave the institution: when the edit's
 * location marker exists (edits_reconcile_location kept the edit) and the
 * row's admin_layout is `layout` (the layout the ingest writes), *commune,
 * *district and *province (the file's codes, malloc'd, NULL = none) are
 * replaced by the row's, so the edit's point keeps its own admin units.
 * Returns 1 replaced, 0 nothing to do, -1 on a database or memory error. */
int edits_reconcile_place(sqlite3 *db, const char *code, const char *layout, char **commune, char **district,
                          char **province);

/* Audit of the ingest's own changes to institutions that have an edit
 * history (so their history has no gap and any version stays revertable).
 * Before the ingest writes, edits_ingest_remember() keeps the snapshot of
 * such an institution; after, edits_ingest_audit() writes an "ingest"
 * audit entry for each remembered one whose version changed, and frees the
 * list (also on failure: pass ok = 0 to only free).  Both return 0 or -1. */
typedef struct EditsIngestAudit EditsIngestAudit;
int edits_ingest_remember(sqlite3 *db, EditsIngestAudit **list, const char *code);
int edits_ingest_audit(sqlite3 *db, EditsIngestAudit *list, int ok);

#endif
