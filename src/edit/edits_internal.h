/* edits_internal.h — what the edits_*.c files share (not for other modules).
 *
 *   edits_fields.c     the editable fields, errors, outcomes, rules, ETags
 *   edits_snapshot.c   the snapshot of an institution: read, store, re-emit
 *   edits_patch.c      RFC 7396 merge patch, the shape a patch may have
 *   edits_validate.c   values checked and normalised; place and move checks
 *   edits_workflow.c   publish, submit, decide, revert
 *   edits_query.c      change requests and history as JSON
 *   edits_reconcile.c  a re-ingest meeting published edits; the ingest's audit
 *
 * Each helper is documented where it is defined. */
#ifndef VETMAP_EDITS_INTERNAL_H
#define VETMAP_EDITS_INTERNAL_H

#include "base/buf.h"
#include "base/config.h"
#include "edit/edits.h"
#include "edit/message.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stddef.h>

typedef enum FieldId {
    F_NAME, F_ADDRESS, F_PHONE, F_EMAIL, F_WEBSITE, F_DESCRIPTION, F_PROGRAMS, F_LOCATION, F_COUNT
} FieldId;

typedef struct FieldDef {
    const char *name;          /* patch / rules name; a property key except "location" */
    size_t max_bytes;          /* text fields */
    int multiline;             /* line breaks allowed */
} FieldDef;

extern const FieldDef edit_field_defs[F_COUNT];

#define MAX_PROGRAMS 300
#define BIT(f) (1u << (f))

/* An institution's version and admin units, read with its snapshot. */
typedef struct InstMeta {
    long long version;
    char commune[64];          /* its codes ("" = none), in its admin_layout */
    char district[64];
    char layout[64];
} InstMeta;

/* What a stored change (audit entry, change request) holds besides its
 * keys: both snapshots exactly, the JSON list of its fields, the time. */
typedef struct ChangeTexts {
    char *before, *after;
    Buf fields;
    char now[32];
} ChangeTexts;

/* The admin-unit columns of institution, as the snapshot's "place" names them. */
#define PLACE_KEYS 4
extern const char *const edit_place_keys[PLACE_KEYS];

/* edits_fields.c */
int edit_fail(EditError *e, int status, const char *code, MsgId id, const MsgParam *p);
int edit_db_fail(EditError *e, sqlite3 *db);
int edit_oom(EditError *e);
int edit_field_by_name(const char *name, size_t n);
cJSON *edit_field_get(const cJSON *snap, int f);
int edit_set_item(cJSON *obj, const char *key, cJSON *value);
int edit_field_copy(cJSON *dst, const cJSON *src, int f);
int edit_field_equal(const cJSON *a, const cJSON *b, int f);
unsigned edit_diff_fields(const cJSON *a, const cJSON *b);
void edit_fields_json(Buf *b, unsigned mask);
void edit_fields_list(Buf *b, unsigned mask);
unsigned edit_fields_from_json(const char *text);
unsigned edit_fields_from_list(const char *list);

/* edits_snapshot.c */
char *edit_print_value(const cJSON *v);
cJSON *edit_snapshot_read(sqlite3 *db, const char *code, InstMeta *meta, int *found);
const char *edit_str_or_null(const cJSON *props, const char *key);
void edit_bind_text_or_null(sqlite3_stmt *st, int i, const char *s);
int edit_step_done(sqlite3_stmt *st);
int edit_snapshot_store(sqlite3 *db, const char *code, const cJSON *snap, long long version, int write_place);

/* edits_patch.c */
int edit_check_patch(const cJSON *patch, const char *code, EditError *e);

/* edits_validate.c */
int edit_normalise(cJSON *snap, const cJSON *before, const Config *cfg, EditError *e);
int edit_place_locate(sqlite3 *db, cJSON *snap, int *units);
void edit_add_no_unit(Buf *list, const cJSON *snap);
int edit_check_place(sqlite3 *db, const InstMeta *meta, cJSON *proposed, Buf *reasons, Buf *warnings);
unsigned edit_waiting_fields(const EditRules *rules, const cJSON *before, const cJSON *after, unsigned changed,
                             int place_flagged, Buf *reasons);

/* edits_workflow.c */
void edit_now_iso(char out[32]);
int edit_change_texts(ChangeTexts *t, const cJSON *before, const cJSON *after, unsigned mask);
void edit_change_texts_free(ChangeTexts *t);

#endif
