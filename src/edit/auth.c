/* auth.c — accounts, argon2id passwords, sessions, CSRF, login limits (auth.h). */
#include "edit/auth.h"
#include "base/strfmt.h"
#include "base/text.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_HEX_CHARS (2 * crypto_generichash_BYTES + 1)

/* ------------------------------------------------------------------ helpers */

static void copy_col(char *dst, size_t n, sqlite3_stmt *st, int col) {
    const unsigned char *v = sqlite3_column_text(st, col);
    snprintf(dst, n, "%s", v ? (const char *)v : "");
}

/* 32 random bytes as URL-safe base64 without padding (43 characters). */
static void random_token(char out[AUTH_TOKEN_CHARS]) {
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, AUTH_TOKEN_CHARS, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

/* What the database keeps of a token: its BLAKE2b hash in hex. */
static void token_hash(const char *token, char out[HASH_HEX_CHARS]) {
    unsigned char h[crypto_generichash_BYTES];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(out, HASH_HEX_CHARS, h, sizeof h);
}

static int hash_password(const char *password, char out[crypto_pwhash_STRBYTES]) {
    return crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13);
}

static int exec_sql(sqlite3 *db, const char *sql) {
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* Run one statement with text/int64 bindings given as a format string:
 * 't' text (NULL -> NULL), 'i' long long.  Returns the number of changed
 * rows, or -1 on error. */
static int run(sqlite3 *db, const char *sql, const char *types, ...) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    va_list ap;
    va_start(ap, types);
    for (int i = 0; types[i]; i++) {
        if (types[i] == 't') {
            const char *s = va_arg(ap, const char *);
            if (s)
                sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(st, i + 1);
        } else {
            sqlite3_bind_int64(st, i + 1, va_arg(ap, long long));
        }
    }
    va_end(ap);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? sqlite3_changes(db) : -1;
}

/* ------------------------------------------------------------------- setup */

int auth_init(void) { return sodium_init() < 0 ? -1 : 0; }

int auth_email_normalise(const char *in, char *out, size_t n) {
    if (!in || n < AUTH_EMAIL_MAX + 1) return -1;
    size_t len = strlen(in);
    if (len > 4 * AUTH_EMAIL_MAX || !text_utf8_valid(in, len)) return -1;
    char *copy = strdup(in);
    if (!copy) return -1;
    char *folded = text_casefold(text_trim(copy));
    free(copy);
    if (!folded) return -1;
    size_t flen = strlen(folded), at = 0, ats = 0;
    int ok = flen >= 3 && flen <= AUTH_EMAIL_MAX;
    for (size_t i = 0; ok && i < flen; i++) {
        unsigned char c = (unsigned char)folded[i];
        if (c <= 0x20 || c == 0x7f) ok = 0;
        if (c == '@') { ats++; at = i; }
    }
    ok = ok && ats == 1 && at > 0 && at + 1 < flen;
    if (ok) snprintf(out, n, "%s", folded);
    free(folded);
    return ok ? 0 : -1;
}

const char *auth_password_problem(const char *password) {
    if (!password) return "a password is required";
    size_t n = strlen(password);
    if (n < AUTH_PASSWORD_MIN) return "the password must have at least 10 bytes";
    if (n > AUTH_PASSWORD_MAX) return "the password must have at most 1024 bytes";
    if (!text_utf8_valid(password, n)) return "the password is not valid UTF-8";
    return NULL;
}

/* ---------------------------------------------------------------- accounts */

#define ACCOUNT_COLS                                                                            \
    "SELECT id, email, role, coalesce(institution_code, ''), disabled, password_hash IS NOT NULL," \
    " created_at, coalesce(last_login_at, '') FROM account "

static void read_account(sqlite3_stmt *st, Account *a) {
    memset(a, 0, sizeof *a);
    a->id = sqlite3_column_int64(st, 0);
    copy_col(a->email, sizeof a->email, st, 1);
    copy_col(a->role, sizeof a->role, st, 2);
    copy_col(a->institution, sizeof a->institution, st, 3);
    a->disabled = sqlite3_column_int(st, 4);
    a->active = sqlite3_column_int(st, 5);
    copy_col(a->created_at, sizeof a->created_at, st, 6);
    copy_col(a->last_login_at, sizeof a->last_login_at, st, 7);
}

int auth_account_get(sqlite3 *db, long long id, const char *email, Account *out) {
    sqlite3_stmt *st = NULL;
    const char *sql = email ? ACCOUNT_COLS "WHERE email = ?1" : ACCOUNT_COLS "WHERE id = ?1";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    if (email)
        sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) read_account(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int auth_account_each(sqlite3 *db, void (*fn)(const Account *a, void *ctx), void *ctx) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, ACCOUNT_COLS "ORDER BY id", -1, &st, NULL) != SQLITE_OK) return -1;
    int rc;
    Account a;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_account(st, &a);
        fn(&a, ctx);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Either hash `password` into *hash, or make a fresh activation token. */
static int credentials(const char *password, char hash[crypto_pwhash_STRBYTES], char *token_out,
                       char act_hash[HASH_HEX_CHARS], char **err) {
    hash[0] = act_hash[0] = '\0';
    if (password) {
        const char *why = auth_password_problem(password);
        if (why) return strfmt_err(err, "%s", why);
        if (hash_password(password, hash) != 0) return strfmt_err(err, "out of memory hashing the password");
        return 0;
    }
    if (!token_out) return strfmt_err(err, "no password and nowhere to put an activation token");
    random_token(token_out);
    token_hash(token_out, act_hash);
    return 0;
}

long long auth_account_add(sqlite3 *db, const char *email, const char *role, const char *institution,
                           const char *password, char *token_out, char **err) {
    if (err) *err = NULL;
    char norm[AUTH_EMAIL_MAX + 1];
    if (auth_email_normalise(email, norm, sizeof norm) != 0)
        return strfmt_err(err, "'%s' is not an email address", email ? email : "");
    int school = role && !strcmp(role, "school");
    if (!school && !(role && !strcmp(role, "admin")))
        return strfmt_err(err, "role must be 'school' or 'admin'");
    if (school && (!institution || !*institution))
        return strfmt_err(err, "a school account needs an institution code");
    if (!school && institution && *institution)
        return strfmt_err(err, "an admin account has no institution");
    char hash[crypto_pwhash_STRBYTES], act[HASH_HEX_CHARS];
    if (credentials(password, hash, token_out, act, err) != 0) return -1;

    if (exec_sql(db, "BEGIN IMMEDIATE") != 0) return strfmt_err(err, "database busy: %s", sqlite3_errmsg(db));
    long long id = -1;
    if (school) {
        sqlite3_stmt *st = NULL;
        int found = 0;
        if (sqlite3_prepare_v2(db, "SELECT 1 FROM institution WHERE code = ?1", -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, institution, -1, SQLITE_STATIC);
            found = sqlite3_step(st) == SQLITE_ROW;
        }
        sqlite3_finalize(st);
        if (!found) {
            strfmt_err(err, "no institution has the code '%s'", institution);
            goto fail;
        }
    }
    Account existing;
    if (auth_account_get(db, 0, norm, &existing) != 0) {
        strfmt_err(err, "an account with the email %s exists already", norm);
        goto fail;
    }
    if (run(db,
            "INSERT INTO account(email, role, institution_code, password_hash, activation_hash,"
            " activation_expires, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
            " strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
            "ttttti", norm, role, school ? institution : NULL, hash[0] ? hash : NULL, act[0] ? act : NULL,
            (long long)(act[0] ? time(NULL) + AUTH_ACTIVATION_TTL_S : 0)) != 1) {
        strfmt_err(err, "cannot store the account: %s", sqlite3_errmsg(db));
        goto fail;
    }
    id = sqlite3_last_insert_rowid(db);
    if (exec_sql(db, "COMMIT") != 0) {
        strfmt_err(err, "cannot commit: %s", sqlite3_errmsg(db));
        goto fail;
    }
    return id;
fail:
    exec_sql(db, "ROLLBACK");
    if (token_out) sodium_memzero(token_out, AUTH_TOKEN_CHARS);
    return -1;
}

int auth_account_set_disabled(sqlite3 *db, long long id, int disabled) {
    if (exec_sql(db, "BEGIN IMMEDIATE") != 0) return -1;
    int n = run(db, "UPDATE account SET disabled = ?2 WHERE id = ?1", "ii", id, (long long)(disabled != 0));
    if (n == 1 && disabled) n = run(db, "DELETE FROM session WHERE account_id = ?1", "i", id) >= 0 ? 1 : -1;
    if (n < 0 || exec_sql(db, "COMMIT") != 0) {
        exec_sql(db, "ROLLBACK");
        return -1;
    }
    return n == 1 ? 0 : 1;
}

int auth_account_reset(sqlite3 *db, long long id, const char *password, char *token_out, char **err) {
    if (err) *err = NULL;
    char hash[crypto_pwhash_STRBYTES], act[HASH_HEX_CHARS];
    if (credentials(password, hash, token_out, act, err) != 0) return -1;
    if (exec_sql(db, "BEGIN IMMEDIATE") != 0) return strfmt_err(err, "database busy: %s", sqlite3_errmsg(db));
    int n = run(db,
                "UPDATE account SET password_hash = ?2, activation_hash = ?3, activation_expires = ?4"
                " WHERE id = ?1",
                "itti", id, hash[0] ? hash : NULL, act[0] ? act : NULL,
                (long long)(act[0] ? time(NULL) + AUTH_ACTIVATION_TTL_S : 0));
    if (n == 1 && (run(db, "DELETE FROM session WHERE account_id = ?1", "i", id) < 0 ||
                   run(db, "DELETE FROM login_failure WHERE email = (SELECT email FROM account WHERE id = ?1)",
                       "i", id) < 0))
        n = -1;
    if (n < 0 || exec_sql(db, "COMMIT") != 0) {
        strfmt_err(err, "cannot reset the account: %s", sqlite3_errmsg(db));
        exec_sql(db, "ROLLBACK");
        return -1;
    }
    if (n == 0 && token_out) sodium_memzero(token_out, AUTH_TOKEN_CHARS);
    return n == 1 ? 0 : 1;
}

int auth_account_activate(sqlite3 *db, const char *token, const char *password, char **err) {
    if (err) *err = NULL;
    const char *why = auth_password_problem(password);
    if (why) return strfmt_err(err, "%s", why);
    if (!token || strlen(token) + 1 != AUTH_TOKEN_CHARS) return 1;
    char act[HASH_HEX_CHARS], hash[crypto_pwhash_STRBYTES];
    token_hash(token, act);
    if (hash_password(password, hash) != 0) return strfmt_err(err, "out of memory hashing the password");
    if (exec_sql(db, "BEGIN IMMEDIATE") != 0) return strfmt_err(err, "database busy: %s", sqlite3_errmsg(db));
    int n = run(db,
                "UPDATE account SET password_hash = ?2, activation_hash = NULL, activation_expires = NULL"
                " WHERE activation_hash = ?1 AND activation_expires > ?3",
                "tti", act, hash, (long long)time(NULL));
    if (n < 0 || exec_sql(db, "COMMIT") != 0) {
        strfmt_err(err, "cannot activate: %s", sqlite3_errmsg(db));
        exec_sql(db, "ROLLBACK");
        return -1;
    }
    return n == 1 ? 0 : 1;
}

/* ------------------------------------------------------------------- login */

/* A valid argon2id string for a random password: verified against when the
 * email is unknown, so that case costs what a wrong password costs. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static void make_dummy_hash(void) {
    char pw[AUTH_TOKEN_CHARS];
    random_token(pw);
    if (hash_password(pw, dummy_hash) != 0) dummy_hash[0] = '\0';
}

static long long count_since(sqlite3 *db, const char *sql, const char *key, long long since,
                             long long *edge) {
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, since);
        if (sqlite3_step(st) == SQLITE_ROW) {
            n = sqlite3_column_int64(st, 0);
            *edge = sqlite3_column_int64(st, 1);
        }
    }
    sqlite3_finalize(st);
    return n;
}

static void lock(pthread_mutex_t *m) { if (m) pthread_mutex_lock(m); }
static void unlock(pthread_mutex_t *m) { if (m) pthread_mutex_unlock(m); }

/* Step 1 of a login, under the lock: the rate limits, then the account's
 * password hash (copied into hash; "" when it cannot log in). */
static LoginResult login_check(sqlite3 *db, const AuthSettings *cfg, const char *key, const char *ip,
                               long long now, char hash[crypto_pwhash_STRBYTES], long long *account_id,
                               int *retry_after) {
    long long keep = cfg->window_s > cfg->lockout_s ? cfg->window_s : cfg->lockout_s;
    if (run(db, "DELETE FROM login_failure WHERE at < ?1", "i", now - keep) < 0) return LOGIN_ERROR;
    long long edge = 0;
    long long n = count_since(db, "SELECT count(*), min(at) FROM login_failure WHERE ip = ?1 AND at > ?2", ip,
                              now - cfg->window_s, &edge);
    if (n < 0) return LOGIN_ERROR;
    if (cfg->ip_max_failures > 0 && n >= cfg->ip_max_failures) {
        *retry_after = (int)(edge + cfg->window_s - now);
        return LOGIN_IP_LIMITED;
    }
    n = count_since(db, "SELECT count(*), max(at) FROM login_failure WHERE email = ?1 AND at > ?2", key,
                    now - cfg->window_s, &edge);
    if (n < 0) return LOGIN_ERROR;
    if (cfg->max_failures > 0 && n >= cfg->max_failures && edge + cfg->lockout_s > now) {
        *retry_after = (int)(edge + cfg->lockout_s - now);
        return LOGIN_LOCKED;
    }
    hash[0] = '\0';
    *account_id = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, password_hash FROM account WHERE email = ?1 AND disabled = 0", -1,
                           &st, NULL) != SQLITE_OK)
        return LOGIN_ERROR;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 1) == SQLITE_TEXT) {
        *account_id = sqlite3_column_int64(st, 0);
        copy_col(hash, crypto_pwhash_STRBYTES, st, 1);
    }
    sqlite3_finalize(st);
    return LOGIN_OK;
}

/* Step 3, under the lock: record the failure, or open the session. */
static LoginResult login_finish(sqlite3 *db, const AuthSettings *cfg, const char *key, const char *ip,
                                long long now, long long account_id, int ok, char *token_out, Session *s) {
    if (exec_sql(db, "BEGIN IMMEDIATE") != 0) return LOGIN_ERROR;
    if (!ok) {
        if (run(db, "INSERT INTO login_failure(ip, email, at) VALUES (?1, ?2, ?3)", "tti", ip, key, now) != 1)
            goto fail;
        return exec_sql(db, "COMMIT") == 0 ? LOGIN_BAD : LOGIN_ERROR;
    }
    char hashed[HASH_HEX_CHARS];
    random_token(token_out);
    token_hash(token_out, hashed);
    random_token(s->csrf_token);
    s->expires_at = now + cfg->session_ttl_s;
    if (run(db, "DELETE FROM session WHERE expires_at <= ?1", "i", now) < 0 ||
        run(db, "DELETE FROM login_failure WHERE email = ?1", "t", key) < 0 ||
        run(db, "UPDATE account SET last_login_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1", "i",
            account_id) != 1 ||
        run(db,
            "INSERT INTO session(token_hash, account_id, csrf_token, created_at, expires_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5)",
            "titii", hashed, account_id, s->csrf_token, now, s->expires_at) != 1 ||
        auth_account_get(db, account_id, NULL, &s->account) != 1)
        goto fail;
    if (exec_sql(db, "COMMIT") != 0) goto fail;
    return LOGIN_OK;
fail:
    exec_sql(db, "ROLLBACK");
    if (ok) sodium_memzero(token_out, AUTH_TOKEN_CHARS);
    return LOGIN_ERROR;
}

LoginResult auth_login(sqlite3 *db, pthread_mutex_t *db_lock, const AuthSettings *cfg, const char *email,
                       const char *password, const char *ip, long long now, char *token_out, Session *s,
                       int *retry_after) {
    pthread_once(&dummy_once, make_dummy_hash);
    *retry_after = 0;
    memset(s, 0, sizeof *s);
    /* The limits key on what was typed, normalised when it can be, so an
     * unknown address locks exactly like a known one. */
    char key[AUTH_EMAIL_MAX + 1];
    if (auth_email_normalise(email, key, sizeof key) != 0) snprintf(key, sizeof key, "%s", email ? email : "");

    char hash[crypto_pwhash_STRBYTES];
    long long account_id = 0;
    lock(db_lock);
    LoginResult r = login_check(db, cfg, key, ip, now, hash, &account_id, retry_after);
    unlock(db_lock);
    if (r != LOGIN_OK) return r;

    size_t plen = password ? strlen(password) : 0;
    int ok = crypto_pwhash_str_verify(hash[0] ? hash : dummy_hash, password ? password : "", plen) == 0;
    ok = ok && hash[0] && account_id > 0 && plen <= AUTH_PASSWORD_MAX;
    sodium_memzero(hash, sizeof hash);

    lock(db_lock);
    r = login_finish(db, cfg, key, ip, now, account_id, ok, token_out, s);
    unlock(db_lock);
    return r;
}

int auth_session_find(sqlite3 *db, const char *token, long long now, Session *out) {
    memset(out, 0, sizeof *out);
    if (!token || strlen(token) + 1 != AUTH_TOKEN_CHARS) return 0;
    char hashed[HASH_HEX_CHARS];
    token_hash(token, hashed);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT s.account_id, s.csrf_token, s.expires_at FROM session s"
                           " JOIN account a ON a.id = s.account_id"
                           " WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND a.disabled = 0",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, hashed, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    int rc = sqlite3_step(st);
    long long id = 0;
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        copy_col(out->csrf_token, sizeof out->csrf_token, st, 1);
        out->expires_at = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? 0 : -1;
    return auth_account_get(db, id, NULL, &out->account);
}

int auth_session_end(sqlite3 *db, const char *token, long long now) {
    char hashed[HASH_HEX_CHARS];
    token_hash(token ? token : "", hashed);
    return run(db, "DELETE FROM session WHERE token_hash = ?1 OR expires_at <= ?2", "ti", hashed, now) < 0 ? -1
                                                                                                          : 0;
}

int auth_csrf_ok(const Session *s, const char *given) {
    size_t n = strlen(s->csrf_token);
    if (!given || n == 0 || strlen(given) != n) return 0;
    return sodium_memcmp(s->csrf_token, given, n) == 0;
}
