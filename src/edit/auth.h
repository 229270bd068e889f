/* auth.h — accounts, passwords, sessions, CSRF tokens and login rate limits.
 *
 * Storage is the account/session/login_failure tables of schema_auth.c.
 * Cryptography is libsodium's: passwords are argon2id strings
 * (crypto_pwhash_str, OPSLIMIT/MEMLIMIT_INTERACTIVE), tokens are 32 random
 * bytes (randombytes_buf) in URL-safe base64, and only their BLAKE2b hash
 * (crypto_generichash) is stored.  Nothing here logs or returns a password
 * or a stored secret; the one-time plain tokens go to the caller only.
 *
 * Functions that write take a read-write connection and run their own
 * transaction unless they say otherwise; lookups work on any connection.
 * All times are unix seconds (time(NULL)) unless a field says otherwise.
 * Call auth_init() once before anything else (it initialises libsodium). */
#ifndef VETMAP_AUTH_H
#define VETMAP_AUTH_H

#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>

#define AUTH_TOKEN_CHARS 44        /* 32 bytes base64url without padding + NUL, rounded up */
#define AUTH_EMAIL_MAX 254
#define AUTH_PASSWORD_MIN 10       /* bytes */
#define AUTH_PASSWORD_MAX 1024
#define AUTH_ACTIVATION_TTL_S (7 * 24 * 3600)

typedef struct Account {
    long long id;
    char email[AUTH_EMAIL_MAX + 1];
    char role[8];                  /* "school" | "admin" */
    char institution[64];          /* institution code, "" for admins */
    int disabled;
    int active;                    /* 1 once a password is set */
    char created_at[32];
    char last_login_at[32];        /* "" when never */
} Account;

typedef struct Session {
    Account account;
    char csrf_token[AUTH_TOKEN_CHARS];
    long long expires_at;
} Session;

/* Rate-limit and lifetime settings (from Config). */
typedef struct AuthSettings {
    int session_ttl_s;             /* session lifetime */
    int max_failures;              /* failed logins of one email in window → lockout */
    int lockout_s;                 /* lockout length after the last failure */
    int ip_max_failures;           /* failed logins from one IP in window → 429 */
    int window_s;                  /* counting window */
} AuthSettings;

typedef enum LoginResult {
    LOGIN_OK,
    LOGIN_BAD,                     /* unknown email, wrong password, disabled or not activated */
    LOGIN_LOCKED,                  /* too many failures for this email (exists or not) */
    LOGIN_IP_LIMITED,              /* too many failures from this address */
    LOGIN_ERROR,                   /* database or memory error */
} LoginResult;

/* Initialise libsodium.  Returns 0, or -1 when it cannot. */
int auth_init(void);

/* Normalise an email address into out (size >= AUTH_EMAIL_MAX + 1): trim,
 * NFC, case-fold.  Returns 0, or -1 when it is not a plausible address
 * (one '@', no blanks or control characters, 3..254 bytes). */
int auth_email_normalise(const char *in, char *out, size_t n);

/* NULL when `password` is acceptable, else a static reason (length
 * AUTH_PASSWORD_MIN..AUTH_PASSWORD_MAX bytes, valid UTF-8). */
const char *auth_password_problem(const char *password);

/* ---- accounts (read-write connection) ------------------------------- */

/* Create an account.  role "school" needs `institution` (an existing
 * institution code), "admin" must not have one.  With `password` the account
 * is active at once; without, a one-time activation token (valid
 * AUTH_ACTIVATION_TTL_S) is written to token_out (size AUTH_TOKEN_CHARS).
 * Returns the new id, or -1 with *err (malloc'd) for a bad argument, an
 * email already taken or a database error. */
long long auth_account_add(sqlite3 *db, const char *email, const char *role, const char *institution,
                           const char *password, char *token_out, char **err);

/* Find an account by id (email == NULL) or by email.  Returns 1 found,
 * 0 not found, -1 error. */
int auth_account_get(sqlite3 *db, long long id, const char *email, Account *out);

/* Call fn for every account, ordered by id.  Returns 0 or -1. */
int auth_account_each(sqlite3 *db, void (*fn)(const Account *a, void *ctx), void *ctx);

/* Disable (1) or enable (0) an account; disabling ends its sessions.
 * Returns 0, 1 when there is no such account, -1 on error. */
int auth_account_set_disabled(sqlite3 *db, long long id, int disabled);

/* Reset a password: ends the account's sessions, clears its lockout, and
 * either sets `password` or clears the password and writes a new activation
 * token to token_out.  Returns 0, 1 no such account, -1 with *err. */
int auth_account_reset(sqlite3 *db, long long id, const char *password, char *token_out, char **err);

/* Set the password of the account whose activation token is `token` (one
 * use, unexpired).  Returns 0, 1 when the token is unknown or expired, -1
 * with *err for a bad password or a database error. */
int auth_account_activate(sqlite3 *db, const char *token, const char *password, char **err);

/* ---- login, sessions, CSRF ------------------------------------------- */

/* Check email/password from client address `ip` under the rate limits.
 * `db_lock` (may be NULL) guards db: it is held only around the database
 * steps, never during the deliberately slow argon2id verification.
 * On LOGIN_OK a new session is stored and its cookie value is written to
 * token_out (size AUTH_TOKEN_CHARS) and its details to *s.  On
 * LOGIN_LOCKED / LOGIN_IP_LIMITED *retry_after gets the seconds to wait.
 * Unknown and known emails cost the same time (a dummy hash is verified). */
LoginResult auth_login(sqlite3 *db, pthread_mutex_t *db_lock, const AuthSettings *cfg, const char *email,
                       const char *password, const char *ip, long long now, char *token_out, Session *s,
                       int *retry_after);

/* The live session whose cookie value is `token` (not expired, account not
 * disabled).  Returns 1 found, 0 none, -1 error. */
int auth_session_find(sqlite3 *db, const char *token, long long now, Session *out);

/* End the session with cookie value `token`, and expired sessions of anyone.
 * Returns 0 or -1. */
int auth_session_end(sqlite3 *db, const char *token, long long now);

/* 1 when `given` (the X-CSRF-Token header, may be NULL) equals the
 * session's token, compared in constant time; else 0. */
int auth_csrf_ok(const Session *s, const char *given);

#endif
