/* schema_auth.c — step 2 of the schema: accounts, sessions, login attempts,
 * change requests, the audit log and approved-edit markers (migrations.h).
 *
 * Secrets are never stored as given: passwords as argon2id strings
 * (libsodium crypto_pwhash_str), session and activation tokens as BLAKE2b
 * hashes, so a copy of the database (a backup) does not hand out logins.
 * Institution snapshots (change_request.before/after, audit_log.before/after)
 * are the editable part of an institution as a GeoJSON-shaped JSON object,
 * {"properties": {...}, "geometry": {...}}, complete, so a revert is exact. */
#include "store/migrations.h"

#include <stddef.h>

const char *const schema_auth[] = {
    /* The institution's free-text description: editable by its school. */
    "ALTER TABLE institution ADD COLUMN description TEXT",

    "CREATE TABLE account("
    "  id INTEGER PRIMARY KEY,"
    "  email TEXT NOT NULL UNIQUE,"          /* normalised: trimmed, case-folded */
    "  role TEXT NOT NULL CHECK (role IN ('school','admin')),"
    "  institution_code TEXT,"               /* the school's institution; NULL for admins */
    "  password_hash TEXT,"                  /* argon2id string; NULL until activated */
    "  activation_hash TEXT UNIQUE,"         /* BLAKE2b of the one-time activation token */
    "  activation_expires INTEGER,"          /* unix seconds */
    "  disabled INTEGER NOT NULL DEFAULT 0,"
    "  created_at TEXT NOT NULL,"
    "  last_login_at TEXT,"
    "  CHECK ((role = 'school') = (institution_code IS NOT NULL)))",

    "CREATE TABLE session("
    "  token_hash TEXT PRIMARY KEY,"         /* BLAKE2b of the cookie value */
    "  account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,"
    "  csrf_token TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"         /* unix seconds */
    "  expires_at INTEGER NOT NULL)",
    "CREATE INDEX session_account ON session(account_id)",
    "CREATE INDEX session_expires ON session(expires_at)",

    /* One row per failed login (successes clear an account's rows): the
     * per-IP and per-account counters are counts over a time window.
     * `email` is the normalised name that was typed, whether or not an
     * account has it, so a lockout says nothing about existence. */
    "CREATE TABLE login_failure("
    "  id INTEGER PRIMARY KEY,"
    "  ip TEXT NOT NULL,"
    "  email TEXT NOT NULL,"
    "  at INTEGER NOT NULL)",
    "CREATE INDEX login_failure_ip ON login_failure(ip, at)",
    "CREATE INDEX login_failure_email ON login_failure(email, at)",

    "CREATE TABLE change_request("
    "  id INTEGER PRIMARY KEY,"
    "  institution_code TEXT NOT NULL,"
    "  account_id INTEGER REFERENCES account(id),"
    "  author TEXT NOT NULL,"                /* the author's email when submitted */
    "  status TEXT NOT NULL CHECK (status IN ('pending','approved','rejected','superseded')),"
    "  fields TEXT NOT NULL,"                /* JSON array of the field names it changes */
    "  reasons TEXT NOT NULL,"               /* JSON array: why it waits for approval */
    "  base_version INTEGER NOT NULL,"       /* institution.version it was made against */
    "  before TEXT NOT NULL,"                /* snapshot at submission */
    "  after TEXT NOT NULL,"                 /* snapshot if approved (only `fields` differ) */
    "  created_at TEXT NOT NULL,"
    "  decided_by INTEGER REFERENCES account(id),"
    "  decider TEXT,"
    "  decided_at TEXT,"
    "  comment TEXT)",
    "CREATE INDEX change_request_status ON change_request(status, id)",
    "CREATE INDEX change_request_institution ON change_request(institution_code, id)",

    /* Every published change of an institution: who, when, and the full
     * before/after snapshots with the versions they had. */
    "CREATE TABLE audit_log("
    "  id INTEGER PRIMARY KEY,"
    "  institution_code TEXT NOT NULL,"
    "  action TEXT NOT NULL CHECK (action IN ('edit','approve','revert','ingest')),"
    "  account_id INTEGER REFERENCES account(id),"
    "  actor TEXT NOT NULL,"                 /* email, or 'ingest' */
    "  change_request_id INTEGER REFERENCES change_request(id),"
    "  fields TEXT NOT NULL,"                /* JSON array of the changed field names */
    "  version_before INTEGER NOT NULL,"
    "  version_after INTEGER NOT NULL,"
    "  before TEXT NOT NULL,"
    "  after TEXT NOT NULL,"
    "  comment TEXT,"
    "  at TEXT NOT NULL)",
    "CREATE INDEX audit_log_institution ON audit_log(institution_code, id)",

    /* The value each published school edit gave a field, so a re-ingest of
     * the master file can tell "the file disagrees with an approved edit"
     * from "the file changed" (edits_reconcile). */
    "CREATE TABLE approved_edit("
    "  institution_code TEXT NOT NULL,"
    "  field TEXT NOT NULL,"
    "  value TEXT,"                          /* JSON value */
    "  audit_id INTEGER REFERENCES audit_log(id),"
    "  PRIMARY KEY (institution_code, field))",
    NULL,
};
