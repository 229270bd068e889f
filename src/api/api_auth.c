/* api_auth.c — sessions, change requests, item edits, history, accounts over
 * HTTP (api_auth.h). */
#include "api/api_auth.h"
#include "store/store_writer.h"
#include "api/api_features.h"
#include "edit/auth.h"
#include "edit/edits.h"
#include "store/feature.h"
#include "geo/geojson.h"
#include "edit/message.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ITEMS_PREFIX "/api/collections/institutions/items/"
#define PRIVATE_CACHE "private, no-store"
#define CODE_MAX 128               /* an institution code in a path, with its NUL */

/* ------------------------------------------------------------ the writer */

/* The store's writer (store_writer.h), locked.  With hold = 1 it comes back
 * locked (release with writer_release); with hold = 0 the caller passes
 * store_writer_mutex() to a function that locks around its own steps.
 * NULL after setting a 503 on res. */
static sqlite3 *writer_acquire(Request *req, Response *res, int hold) {
    char *err = NULL;
    sqlite3 *db = NULL;
    if (auth_init() == 0) db = store_writer_lock(req->config->db_path, &err);
    if (!db) {
        fprintf(stderr, "vetmap: cannot open the database for writing: %s\n", err ? err : "libsodium failed");
        free(err);
        http_error(res, 503, "ServiceUnavailable", "the database cannot be written now");
        http_add_header(res, "Retry-After", "5");
        return NULL;
    }
    if (!hold) store_writer_unlock();
    return db;
}

static void writer_release(void) { store_writer_unlock(); }

void api_auth_shutdown(void) { store_writer_close(); }

/* --------------------------------------------------------------- helpers */

static void private_response(Response *res) {
    res->cacheable = 0;
    if (!strstr(res->headers, "Cache-Control:")) http_add_header(res, "Cache-Control", PRIVATE_CACHE);
}

/* An error answer: the usual {code, description}, plus "message" (a JSON
 * message object, message.h) that a client can show in its own language. */
static void error_with(Response *res, int status, const char *code, const char *description,
                       const char *message_json) {
    http_error(res, status, code, "%s", description);   /* status, type, no caching */
    Buf *b = &res->body;
    buf_reset(b);
    buf_puts(b, "{\"code\":");
    json_str(b, code);
    buf_puts(b, ",\"description\":");
    json_str(b, description);
    buf_puts(b, ",\"message\":");
    buf_puts(b, message_json);
    buf_puts(b, "}\n");
    private_response(res);
}

/* error_with for message `id` with parameters p (NULL: none). */
static void error_msg(Response *res, int status, const char *code, MsgId id, const MsgParam *p) {
    char text[600];
    msg_describe(id, p, text, sizeof text);
    Buf m = BUF_INIT;
    msg_write(&m, id, p);
    error_with(res, status, code, text, m.data && !m.oom ? m.data : "null");
    buf_free(&m);
}

static int has_content_type(Request *req, const char *type) {
    const char *ct = http_header(req, "Content-Type");
    size_t n = strlen(type);
    return ct && !strncasecmp(ct, type, n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Parse the JSON object body.  NULL after a 400/415 on res. */
static cJSON *json_body(Request *req, Response *res, int optional) {
    if (optional && (!req->body || !req->body_len)) return cJSON_CreateObject();
    if (!has_content_type(req, "application/json")) {
        http_error(res, 415, "UnsupportedMediaType", "send the body as application/json");
        return NULL;
    }
    const char *end = NULL;
    cJSON *v = req->body && strlen(req->body) == req->body_len ? cJSON_ParseWithOpts(req->body, &end, 1) : NULL;
    if (!cJSON_IsObject(v)) {
        cJSON_Delete(v);
        http_error(res, 400, "InvalidParameterValue", "the body must be a JSON object");
        return NULL;
    }
    return v;
}

static const char *json_string(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A positive decimal id at the start of s; *end gets what follows. */
static long long parse_id(const char *s, const char **end) {
    if (!s || *s < '1' || *s > '9') return -1;
    errno = 0;
    char *e = NULL;
    long long v = strtoll(s, &e, 10);
    if (errno || v <= 0) return -1;
    *end = e;
    return v;
}

static void write_account(Buf *b, const Account *a) {
    buf_puts(b, "{\"id\":");
    json_int(b, a->id);
    buf_puts(b, ",\"email\":");
    json_str(b, a->email);
    buf_puts(b, ",\"role\":");
    json_str(b, a->role);
    buf_puts(b, ",\"institution_code\":");
    json_str(b, a->institution[0] ? a->institution : NULL);
    buf_printf(b, ",\"disabled\":%s,\"active\":%s", a->disabled ? "true" : "false", a->active ? "true" : "false");
    buf_puts(b, ",\"created_at\":");
    json_str(b, a->created_at);
    buf_puts(b, ",\"last_login_at\":");
    json_str(b, a->last_login_at[0] ? a->last_login_at : NULL);
    buf_putc(b, '}');
}

static void iso_time(long long t, char out[32]) {
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void set_cookie(Request *req, Response *res, const char *value, long long max_age) {
    char line[256];
    snprintf(line, sizeof line, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", API_AUTH_COOKIE, value,
             max_age, req->config->cookie_secure ? "; Secure" : "");
    http_add_header(res, "Set-Cookie", line);
}

/* The caller's live session, or NULL after a 401 (none / expired) or, for a
 * state-changing request, a 403 (X-CSRF-Token missing or wrong). */
static int require_session(Request *req, Response *res, Session *s, int state_changing) {
    private_response(res);
    const char *token = http_cookie(req, API_AUTH_COOKIE);
    int found = token ? auth_session_find(req->db, token, (long long)time(NULL), s) : 0;
    if (found < 0) {
        http_db_error(res, req->db, sqlite3_errcode(req->db));
        return -1;
    }
    if (!found) {
        error_msg(res, 401, "Unauthorized", MSG_LOGIN_REQUIRED, NULL);
        return -1;
    }
    if (state_changing && !auth_csrf_ok(s, http_header(req, "X-CSRF-Token"))) {
        error_msg(res, 403, "Forbidden", MSG_CSRF_INVALID, NULL);
        return -1;
    }
    return 0;
}

static int require_admin(Response *res, const Session *s) {
    if (!strcmp(s->account.role, "admin")) return 0;
    error_msg(res, 403, "Forbidden", MSG_ADMIN_REQUIRED, NULL);
    return -1;
}

/* Admin, or the school whose institution is `code`. */
static int require_own_or_admin(Response *res, const Session *s, const char *code) {
    if (!strcmp(s->account.role, "admin") || !strcmp(s->account.institution, code)) return 0;
    error_msg(res, 403, "Forbidden", MSG_OWN_INSTITUTION_ONLY, NULL);
    return -1;
}

static EditActor actor_of(const Session *s) {
    EditActor a = {s->account.id, s->account.email, !strcmp(s->account.role, "admin"), s->account.institution};
    return a;
}

static void edit_error(Response *res, const EditError *e, sqlite3 *db) {
    if (e->status >= 500 && e->sqlite_rc)
        http_db_error(res, db, e->sqlite_rc);
    else
        error_with(res, e->status, e->code, e->message, e->detail);
    private_response(res);
}

static void add_etag(Response *res, const char *code, long long version) {
    char tag[200];
    edits_etag(code, version, tag, sizeof tag);
    http_add_header(res, "ETag", tag);
}

/* The public Feature of an institution as it is now on db. */
static void write_feature(Buf *b, sqlite3 *db, const char *code) {
    sqlite3_stmt *st = store_prepare_cached(db, "SELECT " FEATURE_INSTITUTION_COLUMNS " FROM institution i"
                                                FEATURE_INSTITUTION_JOINS " WHERE i.code = ?1");
    if (st) sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    if (st && sqlite3_step(st) == SQLITE_ROW)
        feature_write_institution(b, st, 0, -1);
    else
        buf_puts(b, "null");
    if (st) sqlite3_reset(st);
}

/* Body of an edit / decision / revert answer. */
static void write_outcome(Response *res, sqlite3 *db, const char *code, const EditOutcome *o) {
    Buf *b = &res->body;
    buf_puts(b, "{\"code\":");
    json_str(b, code);
    buf_puts(b, ",\"version\":");
    json_int(b, o->version);
    buf_puts(b, ",\"published\":");
    buf_puts(b, o->published.data ? o->published.data : "[]");
    buf_puts(b, ",\"pending\":");
    buf_puts(b, o->pending.data ? o->pending.data : "[]");
    buf_puts(b, ",\"change_request_id\":");
    if (o->change_id > 0)
        json_int(b, o->change_id);
    else
        buf_puts(b, "null");
    buf_puts(b, ",\"warnings\":");
    buf_puts(b, o->warnings.data ? o->warnings.data : "[]");
    buf_puts(b, ",\"feature\":");
    write_feature(b, db, code);
    buf_puts(b, "}\n");
    add_etag(res, code, o->version);
}

/* Copy the {code} at the start of rest into out; what follows in *tail. */
static int split_code(const char *rest, char *out, size_t n, const char **tail) {
    size_t len = strcspn(rest, "/");
    if (!len || len >= n) return -1;
    memcpy(out, rest, len);
    out[len] = '\0';
    *tail = rest + len;
    return 0;
}

/* The institution code of a path .../{code}SUFFIX (suffix "" or e.g.
 * "/revert") into code.  -1 after a 404 that says `usage`. */
static int path_code(Request *req, Response *res, const char *suffix, const char *usage, char code[CODE_MAX]) {
    const char *tail = NULL;
    if (split_code(req->rest, code, CODE_MAX, &tail) == 0 && !strcmp(tail, suffix)) return 0;
    http_error(res, 404, "NotFound", "%s", usage);
    private_response(res);
    return -1;
}

/* The id of a path .../{id}SUFFIX, or -1 after a 404 that says `usage`. */
static long long path_id(Request *req, Response *res, const char *suffix, const char *usage) {
    const char *tail = NULL;
    long long id = parse_id(req->rest, &tail);
    if (id >= 0 && !strcmp(tail, suffix)) return id;
    http_error(res, 404, "NotFound", "%s", usage);
    private_response(res);
    return -1;
}

/* What every edits_* call (edit, revert, decision) runs in: the configured
 * rules, the caller as actor, an outcome, and the held writer. */
typedef struct EditCall {
    EditRules rules;
    EditActor who;
    EditOutcome o;
    EditError e;
    sqlite3 *db;               /* the writer, NULL after a 503 on res */
} EditCall;

/* Set up c for the session s; returns c->db (NULL after a 503 on res).
 * edit_end(c) is due either way. */
static sqlite3 *edit_begin(EditCall *c, Request *req, Response *res, const Session *s) {
    edits_rules_from_config(&c->rules, req->config);
    c->who = actor_of(s);
    edit_outcome_init(&c->o);
    c->db = writer_acquire(req, res, 1);
    return c->db;
}

static void edit_end(EditCall *c) {
    if (c->db) writer_release();
    edit_outcome_free(&c->o);
}

/* {"csrf_token", "account", "expires_at"}: the answer to a login and to
 * GET /api/session. */
static void write_session(Buf *b, const Session *s) {
    char exp[32];
    iso_time(s->expires_at, exp);
    buf_puts(b, "{\"csrf_token\":");
    json_str(b, s->csrf_token);
    buf_puts(b, ",\"account\":");
    write_account(b, &s->account);
    buf_puts(b, ",\"expires_at\":");
    json_str(b, exp);
    buf_puts(b, "}\n");
}

/* -------------------------------------------------------------- sessions */

static void session_create(Request *req, Response *res) {
    private_response(res);
    cJSON *body = json_body(req, res, 0);
    if (!body) return;
    const char *email = json_string(body, "email"), *password = json_string(body, "password");
    if (!email || !password) {
        http_error(res, 400, "InvalidParameterValue", "send {\"email\": \"...\", \"password\": \"...\"}");
        private_response(res);
        cJSON_Delete(body);
        return;
    }
    AuthSettings cfg = {req->config->session_ttl_s, req->config->login_max_failures, req->config->login_lockout_s,
                        req->config->login_ip_max_failures, req->config->login_window_s};
    char ip[64], token[AUTH_TOKEN_CHARS];
    http_client_ip(req, ip, sizeof ip);
    Session s;
    int retry = 0;
    sqlite3 *db = writer_acquire(req, res, 0);
    LoginResult r = db ? auth_login(db, store_writer_mutex(), &cfg, email, password, ip, (long long)time(NULL), token, &s,
                                    &retry)
                       : LOGIN_ERROR;
    cJSON_Delete(body);
    if (!db) return;
    if (r == LOGIN_OK) {
        set_cookie(req, res, token, req->config->session_ttl_s);
        write_session(&res->body, &s);
    } else if (r == LOGIN_BAD) {
        error_msg(res, 401, "InvalidCredentials", MSG_LOGIN_FAILED, NULL);
    } else if (r == LOGIN_LOCKED || r == LOGIN_IP_LIMITED) {
        char secs[24];
        snprintf(secs, sizeof secs, "%d", retry > 0 ? retry : 1);
        error_msg(res, 429, "TooManyAttempts", MSG_LOGIN_LOCKED, MSG_PARAMS(MSG_N("seconds", retry > 0 ? retry : 1)));
        http_add_header(res, "Retry-After", secs);
    } else {
        http_error(res, 503, "ServiceUnavailable", "cannot log in now; retry shortly");
        http_add_header(res, "Retry-After", "1");
    }
    private_response(res);
}

static void session_get(Request *req, Response *res) {
    Session s;
    if (require_session(req, res, &s, 0) != 0) return;
    write_session(&res->body, &s);
}

static void session_delete(Request *req, Response *res) {
    Session s;
    if (require_session(req, res, &s, 1) != 0) return;
    sqlite3 *db = writer_acquire(req, res, 1);
    if (!db) return;
    int rc = auth_session_end(db, http_cookie(req, API_AUTH_COOKIE), (long long)time(NULL));
    if (rc != 0) http_db_error(res, db, sqlite3_errcode(db));
    writer_release();
    if (rc != 0) return;
    res->status = 204;
    set_cookie(req, res, "", 0);
}

static void activate(Request *req, Response *res) {
    private_response(res);
    cJSON *body = json_body(req, res, 0);
    if (!body) return;
    const char *token = json_string(body, "token"), *password = json_string(body, "password");
    const char *why = password ? auth_password_problem(password) : NULL;
    if (!token || !password) {
        http_error(res, 400, "InvalidParameterValue", "send {\"token\": \"...\", \"password\": \"...\"}");
    } else if (why) {
        error_msg(res, 400, "InvalidParameterValue", MSG_PASSWORD_INVALID, MSG_PARAMS(MSG_S("reason", why)));
    } else {
        sqlite3 *db = writer_acquire(req, res, 1);
        if (db) {
            char *err = NULL;
            int rc = auth_account_activate(db, token, password, &err);
            writer_release();
            if (rc == 0)
                buf_puts(&res->body, "{\"activated\":true}\n");
            else if (rc == 1)
                error_msg(res, 400, "InvalidToken", MSG_ACTIVATION_TOKEN_INVALID, NULL);
            else
                http_error(res, 400, "InvalidParameterValue", "%s", err ? err : "cannot set the password");
            free(err);
        }
    }
    private_response(res);
    cJSON_Delete(body);
}

/* ------------------------------------------------------- change requests */

static const char *const changes_params[] = {"status", "institution", "limit", NULL};

static void changes_list(Request *req, Response *res) {
    Session s;
    if (require_session(req, res, &s, 0) != 0) return;
    long long limit;
    if (http_check_params(req, res, changes_params) || http_query_int(req, res, "limit", 200, 1, 1000, &limit)) {
        private_response(res);
        return;
    }
    const char *status = http_query(req, "status"), *inst = http_query(req, "institution");
    static const char *const statuses[] = {"pending", "approved", "rejected", "superseded", "all"};
    int ok = !status;
    for (size_t i = 0; !ok && i < sizeof statuses / sizeof *statuses; i++) ok = !strcmp(status, statuses[i]);
    if (!ok) {
        http_error(res, 400, "InvalidParameterValue", "status must be pending, approved, rejected, superseded or all");
        private_response(res);
        return;
    }
    if (strcmp(s.account.role, "admin")) {
        if (inst && strcmp(inst, s.account.institution)) {
            require_own_or_admin(res, &s, inst);
            return;
        }
        inst = s.account.institution;
    }
    int rc = edits_changes_json(req->db, status, inst, (int)limit, &res->body);
    if (rc != SQLITE_OK) http_db_error(res, req->db, rc);
}

/* GET /api/changes/{id} */
static void change_get(Request *req, Response *res) {
    Session s;
    if (require_session(req, res, &s, 0) != 0) return;
    long long id = path_id(req, res, "", "no such change request");
    if (id < 0) return;
    char inst[64] = "";
    Buf body = BUF_INIT;
    int found = edits_change_json(req->db, id, &body, inst);
    if (found < 0)
        http_db_error(res, req->db, sqlite3_errcode(req->db));
    else if (!found)
        error_msg(res, 404, "NotFound", MSG_CHANGE_NOT_FOUND, MSG_PARAMS(MSG_N("id", id)));
    else if (require_own_or_admin(res, &s, inst) == 0)
        buf_append(&res->body, body.data, body.len);
    buf_free(&body);
    private_response(res);
}

/* POST /api/changes/{id}/approve | /reject */
static void change_decide(Request *req, Response *res) {
    Session s;
    if (require_session(req, res, &s, 1) != 0 || require_admin(res, &s) != 0) return;
    const char *tail = NULL;
    long long id = parse_id(req->rest, &tail);
    int approve = tail && !strcmp(tail, "/approve"), reject = tail && !strcmp(tail, "/reject");
    if (id < 0 || (!approve && !reject)) {
        http_error(res, 404, "NotFound", "use /api/changes/{id}/approve or /api/changes/{id}/reject");
        private_response(res);
        return;
    }
    cJSON *body = json_body(req, res, 1);
    if (!body) return;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(body, "comment");
    if (c && !cJSON_IsString(c) && !cJSON_IsNull(c)) {
        http_error(res, 400, "InvalidParameterValue", "comment must be a string");
        private_response(res);
        cJSON_Delete(body);
        return;
    }
    EditCall ec;
    if (edit_begin(&ec, req, res, &s)) {
        if (edits_decide(ec.db, &ec.who, &ec.rules, id, approve, cJSON_IsString(c) ? c->valuestring : NULL, &ec.o,
                         &ec.e) != 0) {
            edit_error(res, &ec.e, ec.db);
        } else {
            char inst[64] = "";
            Buf *b = &res->body;
            buf_puts(b, "{\"change\":");
            if (edits_change_json(ec.db, id, b, inst) != 1) buf_puts(b, "null");
            buf_puts(b, ",\"version\":");
            json_int(b, ec.o.version);
            buf_puts(b, ",\"published\":");
            buf_puts(b, ec.o.published.data ? ec.o.published.data : "[]");
            buf_puts(b, ",\"warnings\":");
            buf_puts(b, ec.o.warnings.data ? ec.o.warnings.data : "[]");
            buf_puts(b, ",\"feature\":");
            write_feature(b, ec.db, inst);
            buf_puts(b, "}\n");
            if (inst[0]) add_etag(res, inst, ec.o.version);
        }
    }
    edit_end(&ec);
    cJSON_Delete(body);
}

/* ---------------------------------------------------------- institutions */

/* The api_features route that would answer this request without us. */
static const Route *features_route(const char *path) {
    const Route *best = NULL;
    size_t best_len = 0;
    for (const Route *r = api_features_routes; r->method; r++) {
        size_t n = strlen(r->path);
        if (strcmp(r->method, "GET") || n == 0 || r->path[n - 1] != '/' || strncmp(r->path, path, n)) continue;
        if (n > best_len) {
            best = r;
            best_len = n;
        }
    }
    return best;
}

static void history(Request *req, Response *res, const char *code) {
    Session s;
    if (require_session(req, res, &s, 0) != 0 || require_own_or_admin(res, &s, code) != 0) return;
    if (http_check_params(req, res, (const char *const[]){NULL})) {
        private_response(res);
        return;
    }
    int found = edits_history_json(req->db, code, &res->body);
    if (found < 0)
        http_db_error(res, req->db, sqlite3_errcode(req->db));
    else if (!found)
        error_msg(res, 404, "NotFound", MSG_INSTITUTION_NOT_FOUND, MSG_PARAMS(MSG_S("code", code)));
    private_response(res);
}

/* GET /api/collections/institutions/items/{code}[/history]: the history
 * here; the item itself from api_features, with the version ETag added so
 * a client can PATCH with If-Match. */
static void item_get(Request *req, Response *res) {
    char code[CODE_MAX] = "";
    const char *tail = "";
    if (split_code(req->rest, code, sizeof code, &tail) == 0 && !strcmp(tail, "/history")) {
        history(req, res, code);
        return;
    }
    const Route *r = features_route(req->path);
    if (!r) {
        http_error(res, 404, "NotFound", "no such resource");
        return;
    }
    Request fwd = *req;
    fwd.rest = req->path + strlen(r->path);
    r->handler(&fwd, res);
    if (res->status != 200 || *tail) return;
    sqlite3_stmt *st = store_prepare_cached(req->db, "SELECT version FROM institution WHERE code = ?1");
    if (!st) return;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        long long version = sqlite3_column_int64(st, 0);
        char tag[200];
        edits_etag(code, version, tag, sizeof tag);
        /* The version tag replaces the data_version one: it must stay the
         * same across unrelated writes for If-Match to be usable. */
        res->cacheable = 0;
        http_add_header(res, "ETag", tag);
        http_add_header(res, "Cache-Control", "no-cache");
        const char *inm = http_header(req, "If-None-Match");
        if (inm && edits_if_match(inm, code, version)) {
            res->status = 304;
            buf_reset(&res->body);
        }
    }
    sqlite3_reset(st);
}

static void item_patch(Request *req, Response *res) {
    Session s;
    char code[CODE_MAX];
    if (require_session(req, res, &s, 1) != 0 ||
        path_code(req, res, "", "PATCH /api/collections/institutions/items/{code}", code) != 0 ||
        require_own_or_admin(res, &s, code) != 0)
        return;
    if (!has_content_type(req, "application/merge-patch+json")) {
        http_error(res, 415, "UnsupportedMediaType", "send a JSON merge patch (application/merge-patch+json)");
        private_response(res);
        return;
    }
    EditCall ec;
    if (edit_begin(&ec, req, res, &s)) {
        if (edits_submit(ec.db, &ec.who, &ec.rules, code, http_header(req, "If-Match"), req->body, req->body_len,
                         &ec.o, &ec.e) != 0) {
            edit_error(res, &ec.e, ec.db);
            if (ec.e.status == 412) add_etag(res, code, ec.o.version);
        } else {
            res->status = ec.o.change_id > 0 ? 202 : 200;
            write_outcome(res, ec.db, code, &ec.o);
        }
    }
    edit_end(&ec);
    private_response(res);
}

/* POST /api/collections/institutions/items/{code}/revert {"version","comment"} */
static void item_post(Request *req, Response *res) {
    Session s;
    char code[CODE_MAX];
    if (require_session(req, res, &s, 1) != 0 ||
        path_code(req, res, "/revert", "POST /api/collections/institutions/items/{code}/revert", code) != 0 ||
        require_admin(res, &s) != 0)
        return;
    cJSON *body = json_body(req, res, 0);
    if (!body) return;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "version");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(body, "comment");
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble != (double)(long long)v->valuedouble ||
        (c && !cJSON_IsString(c) && !cJSON_IsNull(c))) {
        http_error(res, 400, "InvalidParameterValue", "send {\"version\": N, \"comment\": \"...\"}");
        private_response(res);
        cJSON_Delete(body);
        return;
    }
    EditCall ec;
    if (edit_begin(&ec, req, res, &s)) {
        if (edits_revert(ec.db, &ec.who, &ec.rules, code, (long long)v->valuedouble, http_header(req, "If-Match"),
                         cJSON_IsString(c) ? c->valuestring : NULL, &ec.o, &ec.e) != 0)
            edit_error(res, &ec.e, ec.db);
        else
            write_outcome(res, ec.db, code, &ec.o);
    }
    edit_end(&ec);
    cJSON_Delete(body);
    private_response(res);
}

/* GET /api/institutions/{code}: what the editor form needs. */
static void editor_view(Request *req, Response *res) {
    Session s;
    char code[CODE_MAX];
    if (require_session(req, res, &s, 0) != 0 || path_code(req, res, "", "GET /api/institutions/{code}", code) != 0 ||
        require_own_or_admin(res, &s, code) != 0)
        return;
    long long version = 0;
    int rc = SQLITE_OK;
    char *snap = edits_snapshot(req->db, code, &version, &rc);
    if (!snap) {
        if (rc != SQLITE_OK)
            http_db_error(res, req->db, rc);
        else
            error_msg(res, 404, "NotFound", MSG_INSTITUTION_NOT_FOUND, MSG_PARAMS(MSG_S("code", code)));
        private_response(res);
        return;
    }
    char tag[200];
    edits_etag(code, version, tag, sizeof tag);
    Buf *b = &res->body;
    buf_puts(b, "{\"code\":");
    json_str(b, code);
    buf_puts(b, ",\"version\":");
    json_int(b, version);
    buf_puts(b, ",\"etag\":");
    json_str(b, tag);
    buf_puts(b, ",\"published\":");
    edits_write_snapshot(b, snap);
    buf_puts(b, ",\"pending\":");
    if (edits_open_change_json(req->db, code, b) != 0) {
        http_db_error(res, req->db, sqlite3_errcode(req->db));
        private_response(res);
        free(snap);
        return;
    }
    buf_puts(b, "}\n");
    free(snap);
    http_add_header(res, "ETag", tag);
}

/* -------------------------------------------------------------- accounts */

static void accounts_each(const Account *a, void *ctx) {
    Buf *b = ctx;
    if (b->data && b->data[b->len - 1] != '[') buf_putc(b, ',');
    write_account(b, a);
}

static void accounts_list(Request *req, Response *res) {
    Session s;
    if (require_session(req, res, &s, 0) != 0 || require_admin(res, &s) != 0) return;
    buf_puts(&res->body, "{\"accounts\":[");
    if (auth_account_each(req->db, accounts_each, &res->body) != 0) {
        http_db_error(res, req->db, sqlite3_errcode(req->db));
        private_response(res);
        return;
    }
    buf_puts(&res->body, "]}\n");
}

static void write_token_answer(Response *res, const Account *a, const char *token) {
    Buf *b = &res->body;
    buf_puts(b, "{\"account\":");
    write_account(b, a);
    buf_puts(b, ",\"activation_token\":");
    json_str(b, token);
    buf_puts(b, ",\"activation_path\":");
    Buf path = BUF_INIT;
    buf_printf(&path, "/#activate=%s", token);
    json_str(b, path.data);
    buf_free(&path);
    buf_puts(b, "}\n");
}

static void accounts_create(Request *req, Response *res) {
    Session s;
    if (require_session(req, res, &s, 1) != 0 || require_admin(res, &s) != 0) return;
    cJSON *body = json_body(req, res, 0);
    if (!body) return;
    const char *email = json_string(body, "email"), *role = json_string(body, "role");
    const char *inst = json_string(body, "institution_code");
    char norm[AUTH_EMAIL_MAX + 1];
    sqlite3 *db = NULL;
    if (!email || !role) {
        http_error(res, 400, "InvalidParameterValue", "send {\"email\", \"role\", \"institution_code\"}");
    } else if (auth_email_normalise(email, norm, sizeof norm) != 0) {
        error_msg(res, 422, "InvalidValue", MSG_ACCOUNT_EMAIL_INVALID, MSG_PARAMS(MSG_S("email", email)));
    } else if ((db = writer_acquire(req, res, 1)) != NULL) {
        Account a;
        char token[AUTH_TOKEN_CHARS], *err = NULL;
        int exists = auth_account_get(db, 0, norm, &a);
        long long id = exists == 0 ? auth_account_add(db, norm, role, inst, NULL, token, &err) : -1;
        if (exists > 0) {
            error_msg(res, 409, "Conflict", MSG_ACCOUNT_EXISTS, MSG_PARAMS(MSG_S("email", norm)));
        } else if (id < 0 || auth_account_get(db, id, NULL, &a) != 1) {
            error_msg(res, 422, "InvalidValue", MSG_ACCOUNT_INVALID,
                      MSG_PARAMS(MSG_S("reason", err ? err : "cannot create the account")));
        } else {
            res->status = 201;
            write_token_answer(res, &a, token);
        }
        free(err);
        writer_release();
    }
    cJSON_Delete(body);
    private_response(res);
}

/* PATCH /api/accounts/{id} {"disabled": bool} */
static void account_patch(Request *req, Response *res) {
    Session s;
    if (require_session(req, res, &s, 1) != 0 || require_admin(res, &s) != 0) return;
    long long id = path_id(req, res, "", "no such account");
    if (id < 0) return;
    cJSON *body = json_body(req, res, 0);
    if (!body) return;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(body, "disabled");
    sqlite3 *db = NULL;
    if (!cJSON_IsBool(d) || cJSON_GetArraySize(body) != 1) {
        http_error(res, 400, "InvalidParameterValue", "send {\"disabled\": true|false}");
    } else if (id == s.account.id && cJSON_IsTrue(d)) {
        error_msg(res, 409, "Conflict", MSG_ACCOUNT_SELF_DISABLE, NULL);
    } else if ((db = writer_acquire(req, res, 1)) != NULL) {
        int rc = auth_account_set_disabled(db, id, cJSON_IsTrue(d));
        Account a;
        if (rc < 0)
            http_db_error(res, db, sqlite3_errcode(db));
        else if (rc == 1 || auth_account_get(db, id, NULL, &a) != 1)
            http_error(res, 404, "NotFound", "no account %lld", id);
        else
            write_account(&res->body, &a);
        writer_release();
    }
    cJSON_Delete(body);
    private_response(res);
}

/* POST /api/accounts/{id}/reset */
static void account_post(Request *req, Response *res) {
    Session s;
    if (require_session(req, res, &s, 1) != 0 || require_admin(res, &s) != 0) return;
    long long id = path_id(req, res, "/reset", "use POST /api/accounts/{id}/reset");
    if (id < 0) return;
    sqlite3 *db = writer_acquire(req, res, 1);
    if (!db) return;
    char token[AUTH_TOKEN_CHARS], *err = NULL;
    Account a;
    int rc = auth_account_reset(db, id, NULL, token, &err);
    if (rc < 0)
        http_error(res, 500, "ServerError", "%s", err ? err : "cannot reset the account");
    else if (rc == 1 || auth_account_get(db, id, NULL, &a) != 1)
        http_error(res, 404, "NotFound", "no account %lld", id);
    else
        write_token_answer(res, &a, token);
    free(err);
    writer_release();
    private_response(res);
}

/* ---------------------------------------------------------------- routes */

const Route api_auth_routes[] = {
    {"POST", "/api/session", session_create},
    {"GET", "/api/session", session_get},
    {"DELETE", "/api/session", session_delete},
    {"POST", "/api/activate", activate},
    {"GET", "/api/changes", changes_list},
    {"GET", "/api/changes/", change_get},
    {"POST", "/api/changes/", change_decide},
    {"GET", ITEMS_PREFIX, item_get},
    {"PATCH", ITEMS_PREFIX, item_patch},
    {"POST", ITEMS_PREFIX, item_post},
    {"GET", "/api/institutions/", editor_view},
    {"GET", "/api/accounts", accounts_list},
    {"POST", "/api/accounts", accounts_create},
    {"PATCH", "/api/accounts/", account_patch},
    {"POST", "/api/accounts/", account_post},
    {NULL, NULL, NULL},
};
