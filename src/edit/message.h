/* message.h — machine-readable messages of the accounts and editing API.
 *
 * A message is a stable code, its English sentence and the values the
 * sentence names, written as JSON
 *   {"code": "field_too_long", "description": "address is longer than 500 bytes",
 *    "params": {"field": "address", "max_bytes": 500}}
 * in error answers (member "message", beside the usual {code, description})
 * and in the lists of a change request ("reasons") and of an edit's answer
 * ("warnings").  A client shows its own language for the codes it knows
 * (web/editor.js: Vietnamese) and the English description for the others.
 * Codes never change meaning; sentences may be reworded freely. */
#ifndef VETMAP_MESSAGE_H
#define VETMAP_MESSAGE_H

#include "base/buf.h"

#include <stddef.h>

typedef enum MsgId {
    /* the request body of an edit */
    MSG_BODY_MISSING, MSG_BODY_NUL, MSG_BODY_NOT_JSON, MSG_PATCH_NOT_OBJECT, MSG_TYPE_NOT_FEATURE,
    MSG_ID_READONLY, MSG_LOCATION_REMOVED, MSG_PROPERTIES_NOT_OBJECT, MSG_PROPERTY_NOT_EDITABLE,
    MSG_MEMBER_NOT_EDITABLE,
    /* field values */
    MSG_FIELD_REQUIRED, MSG_FIELD_NOT_STRING, MSG_FIELD_NOT_UTF8, MSG_FIELD_CONTROL_CHAR, MSG_FIELD_TOO_LONG,
    MSG_PHONE_CHARS, MSG_PHONE_TOO_FEW_DIGITS, MSG_WEBSITE_SCHEME, MSG_WEBSITE_NOT_ONE_URL, MSG_EMAIL_INVALID,
    MSG_PROGRAMS_NOT_ARRAY, MSG_PROGRAMS_TOO_MANY, MSG_PROGRAM_NOT_OBJECT, MSG_PROGRAM_UNKNOWN_MEMBER,
    MSG_PROGRAM_QUOTA_INVALID, MSG_GEOMETRY_NOT_POINT, MSG_GEOMETRY_UNKNOWN_MEMBER, MSG_COORDINATES_SHAPE,
    MSG_COORDINATES_NOT_FINITE, MSG_LOCATION_OUTSIDE_REGION,
    /* who may do what, and the state of things */
    MSG_EDIT_NOT_OWN, MSG_REVERT_ADMIN_ONLY, MSG_DECIDE_ADMIN_ONLY, MSG_INSTITUTION_NOT_FOUND,
    MSG_CHANGE_NOT_FOUND, MSG_VERSION_NOT_FOUND, MSG_CHANGE_NOT_PENDING, MSG_CHANGE_OUTDATED,
    MSG_INSTITUTION_GONE, MSG_STALE_VERSION, MSG_IF_MATCH_REQUIRED, MSG_DATABASE_BUSY, MSG_DATABASE_ERROR,
    MSG_OUT_OF_MEMORY,
    /* why a change waits for approval (reasons), and warnings */
    MSG_WAIT_RENAME, MSG_WAIT_FIRST_LOCATION, MSG_WAIT_FAR_MOVE, MSG_WAIT_FIELD, MSG_OUTSIDE_OWN_UNIT,
    MSG_LOCATION_IN_NO_UNIT,
    /* sessions and accounts */
    MSG_LOGIN_REQUIRED, MSG_CSRF_INVALID, MSG_ADMIN_REQUIRED, MSG_OWN_INSTITUTION_ONLY, MSG_LOGIN_FAILED,
    MSG_LOGIN_LOCKED, MSG_ACTIVATION_TOKEN_INVALID, MSG_PASSWORD_INVALID, MSG_ACCOUNT_EMAIL_INVALID,
    MSG_ACCOUNT_EXISTS, MSG_ACCOUNT_INVALID, MSG_ACCOUNT_SELF_DISABLE,
    MSG_COUNT
} MsgId;

/* One value a message names: text (str not NULL) or a number printed with
 * at most `decimals` decimals. */
typedef struct MsgParam {
    const char *key;
    const char *str;
    double num;
    int decimals;
} MsgParam;

static inline const char *msg_text_(const char *v) { return v ? v : ""; }
#define MSG_S(k, v) {(k), msg_text_(v), 0, 0}
#define MSG_N(k, v) {(k), NULL, (double)(v), 0}
#define MSG_F(k, v, d) {(k), NULL, (double)(v), (d)}
/* A parameter list for the functions below (NULL: none). */
#define MSG_PARAMS(...) ((const MsgParam[]){__VA_ARGS__, {NULL, NULL, 0, 0}})

/* The stable code of a message ("field_too_long"). */
const char *msg_code(MsgId id);

/* The English sentence, its {key} placeholders filled from p, into out
 * (size n, always terminated). */
void msg_describe(MsgId id, const MsgParam *p, char *out, size_t n);

/* Append the message as a JSON object (shape above). */
void msg_write(Buf *b, MsgId id, const MsgParam *p);

/* Append the message to a JSON array being built in arr: the first call
 * opens it with '['; close it with msg_list_close. */
void msg_list_add(Buf *arr, MsgId id, const MsgParam *p);
/* Close an array built by msg_list_add ("[]" when nothing was added). */
void msg_list_close(Buf *arr);

#endif
