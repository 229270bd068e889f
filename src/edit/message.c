/* message.c — the message catalogue and its JSON (message.h). */
#include "edit/message.h"
#include "geo/geojson.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *code;
    const char *text;          /* English, with {key} placeholders */
} catalogue[MSG_COUNT] = {
    [MSG_BODY_MISSING] = {"body_missing", "the request needs a JSON body"},
    [MSG_BODY_NUL] = {"body_nul", "the body holds a NUL byte"},
    [MSG_BODY_NOT_JSON] = {"body_not_json", "the body is not valid JSON (near byte {offset})"},
    [MSG_PATCH_NOT_OBJECT] = {"patch_not_object", "the body must be a JSON merge patch object of a Feature"},
    [MSG_TYPE_NOT_FEATURE] = {"type_not_feature", "\"type\" must be \"Feature\""},
    [MSG_ID_READONLY] = {"id_readonly", "\"id\" cannot be changed"},
    [MSG_LOCATION_REMOVED] = {"location_removed", "the location cannot be removed, only moved"},
    [MSG_PROPERTIES_NOT_OBJECT] = {"properties_not_object", "\"properties\" must be an object"},
    [MSG_PROPERTY_NOT_EDITABLE] = {"property_not_editable",
                                   "property \"{property}\" is not editable (editable: name, address, phone, email, "
                                   "website, description, programs, and the geometry)"},
    [MSG_MEMBER_NOT_EDITABLE] = {"member_not_editable", "member \"{member}\" is not editable"},
    [MSG_FIELD_REQUIRED] = {"field_required", "{field} is required"},
    [MSG_FIELD_NOT_STRING] = {"field_not_string", "{field} must be a string or null"},
    [MSG_FIELD_NOT_UTF8] = {"field_not_utf8", "{field} is not valid UTF-8"},
    [MSG_FIELD_CONTROL_CHAR] = {"field_control_char", "{field} holds a control character"},
    [MSG_FIELD_TOO_LONG] = {"field_too_long", "{field} is longer than {max_bytes} bytes"},
    [MSG_PHONE_CHARS] = {"phone_chars", "phone may hold only digits, spaces and + - ( ) . , ; /"},
    [MSG_PHONE_TOO_FEW_DIGITS] = {"phone_too_few_digits", "phone needs at least 3 digits"},
    [MSG_WEBSITE_SCHEME] = {"website_scheme", "website must start with http:// or https://"},
    [MSG_WEBSITE_NOT_ONE_URL] = {"website_not_one_url", "website must be one URL without spaces or quotes"},
    [MSG_EMAIL_INVALID] = {"email_invalid", "email is not an email address"},
    [MSG_PROGRAMS_NOT_ARRAY] = {"programs_not_array", "programs must be an array"},
    [MSG_PROGRAMS_TOO_MANY] = {"programs_too_many", "at most {max} programs"},
    [MSG_PROGRAM_NOT_OBJECT] = {"program_not_object", "programs[{index}] must be an object"},
    [MSG_PROGRAM_UNKNOWN_MEMBER] = {"program_unknown_member",
                                    "programs[{index}] has unknown member \"{member}\" (known: occupation_code, "
                                    "occupation_name, level, annual_quota)"},
    [MSG_PROGRAM_QUOTA_INVALID] = {"program_quota_invalid",
                                   "programs[{index}].annual_quota must be an integer 0..1000000 or null"},
    [MSG_GEOMETRY_NOT_POINT] = {"geometry_not_point", "geometry must be a GeoJSON Point"},
    [MSG_GEOMETRY_UNKNOWN_MEMBER] = {"geometry_unknown_member", "geometry has unknown member \"{member}\""},
    [MSG_COORDINATES_SHAPE] = {"coordinates_shape", "geometry.coordinates must be [lon, lat]"},
    [MSG_COORDINATES_NOT_FINITE] = {"coordinates_not_finite",
                                    "coordinates must be finite degrees (lon -180..180, lat -90..90)"},
    [MSG_LOCATION_OUTSIDE_REGION] = {"location_outside_region",
                                     "the location ({lon}, {lat}) is outside the region served"},
    [MSG_EDIT_NOT_OWN] = {"edit_not_own", "a school account may edit only its own institution"},
    [MSG_REVERT_ADMIN_ONLY] = {"revert_admin_only", "only an admin reverts an institution"},
    [MSG_DECIDE_ADMIN_ONLY] = {"decide_admin_only", "only an admin decides change requests"},
    [MSG_INSTITUTION_NOT_FOUND] = {"institution_not_found", "no institution has the code '{code}'"},
    [MSG_CHANGE_NOT_FOUND] = {"change_not_found", "no change request {id}"},
    [MSG_VERSION_NOT_FOUND] = {"version_not_found", "version {version} of {code} is not in its history"},
    [MSG_CHANGE_NOT_PENDING] = {"change_not_pending", "change request {id} is {status}, not pending"},
    [MSG_CHANGE_OUTDATED] = {"change_outdated", "the fields {fields} changed since this request was made; "
                                                "reject it and ask for a new one"},
    [MSG_INSTITUTION_GONE] = {"institution_gone", "institution {code} no longer exists"},
    [MSG_STALE_VERSION] = {"stale_version", "the institution changed since it was read (now version {version})"},
    [MSG_IF_MATCH_REQUIRED] = {"if_match_required", "send If-Match with the item's ETag"},
    [MSG_DATABASE_BUSY] = {"database_busy", "the database is busy; retry shortly"},
    [MSG_DATABASE_ERROR] = {"database_error", "internal database error"},
    [MSG_OUT_OF_MEMORY] = {"out_of_memory", "out of memory"},
    [MSG_WAIT_RENAME] = {"wait_rename", "a rename always waits for approval"},
    [MSG_WAIT_FIRST_LOCATION] = {"wait_first_location", "a first location waits for approval"},
    [MSG_WAIT_FAR_MOVE] = {"wait_far_move", "the point moves {distance_m} m (more than {max_m} m)"},
    [MSG_WAIT_FIELD] = {"wait_field", "{field} changes wait for approval"},
    [MSG_OUTSIDE_OWN_UNIT] = {"outside_own_unit", "the new location is outside the institution's {level} ({unit})"},
    [MSG_LOCATION_IN_NO_UNIT] = {"location_in_no_unit",
                                 "the new location is in no admin unit of layout {layout}: its commune, district "
                                 "and province are left empty"},
    [MSG_LOGIN_REQUIRED] = {"login_required", "log in first (no session, or it expired)"},
    [MSG_CSRF_INVALID] = {"csrf_invalid", "missing or wrong X-CSRF-Token header"},
    [MSG_ADMIN_REQUIRED] = {"admin_required", "this needs an admin account"},
    [MSG_OWN_INSTITUTION_ONLY] = {"own_institution_only", "a school account sees only its own institution"},
    [MSG_LOGIN_FAILED] = {"login_failed", "wrong email or password"},
    [MSG_LOGIN_LOCKED] = {"login_locked", "too many failed logins; try again in {seconds} s"},
    [MSG_ACTIVATION_TOKEN_INVALID] = {"activation_token_invalid",
                                      "the activation token is unknown, used or expired"},
    [MSG_PASSWORD_INVALID] = {"password_invalid", "{reason}"},
    [MSG_ACCOUNT_EMAIL_INVALID] = {"account_email_invalid", "'{email}' is not an email address"},
    [MSG_ACCOUNT_EXISTS] = {"account_exists", "an account with the email {email} exists already"},
    [MSG_ACCOUNT_INVALID] = {"account_invalid", "{reason}"},
    [MSG_ACCOUNT_SELF_DISABLE] = {"account_self_disable", "an admin cannot disable their own account"},
};

const char *msg_code(MsgId id) { return (unsigned)id < MSG_COUNT ? catalogue[id].code : "unknown"; }

static const MsgParam *find_param(const MsgParam *p, const char *key, size_t n) {
    for (; p && p->key; p++)
        if (strlen(p->key) == n && !strncmp(p->key, key, n)) return p;
    return NULL;
}

/* Text values may come from a request (a member name): at most this many
 * bytes of one are written, so a message stays short. */
#define VALUE_MAX 120

static void put_value(Buf *b, const MsgParam *p, int quoted) {
    if (p->str) {
        size_t n = strnlen(p->str, VALUE_MAX);
        if (quoted) json_strn(b, p->str, n);
        else buf_append(b, p->str, n);
    } else {
        json_num(b, p->num, p->decimals);
    }
}

void msg_describe(MsgId id, const MsgParam *p, char *out, size_t n) {
    Buf b = BUF_INIT;
    const char *s = (unsigned)id < MSG_COUNT ? catalogue[id].text : "";
    while (*s) {
        const char *open = strchr(s, '{'), *close = open ? strchr(open, '}') : NULL;
        const MsgParam *v = close ? find_param(p, open + 1, (size_t)(close - open - 1)) : NULL;
        if (!v) {
            /* no placeholder left (or an unknown one): copy through it */
            size_t len = close ? (size_t)(close - s + 1) : strlen(s);
            buf_append(&b, s, len);
            s += len;
            continue;
        }
        buf_append(&b, s, (size_t)(open - s));
        put_value(&b, v, 0);
        s = close + 1;
    }
    snprintf(out, n, "%s", b.data && !b.oom ? b.data : "");
    buf_free(&b);
}

void msg_write(Buf *b, MsgId id, const MsgParam *p) {
    char text[600];
    msg_describe(id, p, text, sizeof text);
    buf_puts(b, "{\"code\":");
    json_str(b, msg_code(id));
    buf_puts(b, ",\"description\":");
    json_str(b, text);
    buf_puts(b, ",\"params\":{");
    for (const MsgParam *q = p; q && q->key; q++) {
        if (q != p) buf_putc(b, ',');
        json_str(b, q->key);
        buf_putc(b, ':');
        put_value(b, q, 1);
    }
    buf_puts(b, "}}");
}

void msg_list_add(Buf *arr, MsgId id, const MsgParam *p) {
    buf_putc(arr, arr->len ? ',' : '[');
    msg_write(arr, id, p);
}

void msg_list_close(Buf *arr) {
    if (arr->len)
        buf_putc(arr, ']');
    else
        buf_puts(arr, "[]");
}
