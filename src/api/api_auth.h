/* api_auth.h — accounts, sessions, edits, moderation and history over HTTP.
 *
 *   POST   /api/session                  {"email","password"} -> 200 {"csrf_token","account","expires_at"}
 *                                        + Set-Cookie vetmap_session (HttpOnly, SameSite=Strict,
 *                                        Secure when cookie_secure); 401 wrong email or password
 *                                        (never says which), 429 + Retry-After when the email or the
 *                                        IP is rate-limited / locked out, 400 bad JSON, 415
 *   GET    /api/session                  the current account and CSRF token, or 401
 *   DELETE /api/session                  log out (CSRF) -> 204, the cookie cleared
 *   POST   /api/activate                 {"token","password"} -> 200; 400 bad/expired token or password
 *   GET    /api/changes?status=&institution=&limit=
 *                                        change requests, newest first (admin: all; school: its own)
 *   GET    /api/changes/{id}             one change request with before/after
 *   POST   /api/changes/{id}/approve     {"comment"} admin -> 200 {"change","version","published",
 *                                        "warnings","feature"}; 404; 409 not pending / conflict
 *   POST   /api/changes/{id}/reject      {"comment"} admin -> 200; 404; 409
 *   PATCH  /api/collections/institutions/items/{code}
 *                                        application/merge-patch+json, If-Match: the item's ETag ->
 *                                        200 all published, 202 some fields wait (a change request);
 *                                        400, 403 other school, 404, 412 stale, 415, 422, 428 no If-Match
 *   GET    /api/collections/institutions/items/{code}/history   admin or the school itself
 *   POST   /api/collections/institutions/items/{code}/revert    {"version","comment"} admin
 *   GET    /api/collections/institutions/items/{code}           (answered by api_features; this
 *                                        module adds the version ETag "inst-<code>-v<version>")
 *   GET    /api/institutions/{code}      the editor's view: published snapshot, ETag, pending request
 *   GET    /api/accounts                 admin: every account
 *   POST   /api/accounts                 admin: {"email","role","institution_code"} -> 201 with a
 *                                        one-time activation token; 409 email taken; 422
 *   PATCH  /api/accounts/{id}            admin: {"disabled": true|false} -> 200
 *   POST   /api/accounts/{id}/reset      admin: new activation token, sessions ended -> 200
 * Every request that changes state needs the session cookie (401 without or
 * expired) and X-CSRF-Token equal to the session's token (403); responses
 * behind the login are `Cache-Control: private, no-store`.
 *
 * Errors are {"code", "description"} like every API error; those of this
 * module add "message", a message object (message.h: a stable code, the
 * English sentence, its parameters) for a client to show in its language.
 * The "warnings" of an edit, decision or revert and the "reasons" of a
 * change request are arrays of such messages.
 *
 * Writes go through one read-write connection per process, opened on first
 * use from config->db_path and serialised by a mutex (DESIGN: one writer
 * connection behind a mutex). */
#ifndef VETMAP_API_AUTH_H
#define VETMAP_API_AUTH_H

#include "http/http.h"

#define API_AUTH_COOKIE "vetmap_session"

extern const Route api_auth_routes[];

/* Close the writer connection (at server shutdown). */
void api_auth_shutdown(void);

#endif
