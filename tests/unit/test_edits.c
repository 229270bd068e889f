/* test_edits.c — edits.h and auth.h: RFC 7396 merge patches (the RFC's own
 * Appendix A examples), ETags and If-Match, email/password rules, then the
 * whole flow on a temporary database (accounts, login lockout, sessions,
 * CSRF, a school's edit split into published and pending, approval, an
 * exact revert, the re-ingest checks), so the sanitizer build runs every
 * path of the C code behind the HTTP tests. */
#include "auth.h"
#include "config.h"
#include "edits.h"
#include "store.h"
#include "unit.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* RFC 7396 Appendix A: target, patch, result. */
static const char *const rfc7396[][3] = {
    {"{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
    {"{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"},
    {"{\"a\":\"b\"}", "{\"a\":null}", "{}"},
    {"{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"},
    {"{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
    {"{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"},
    {"{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}"},
    {"{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"},
    {"[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]"},
    {"{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]"},
    {"{\"a\":\"foo\"}", "null", "null"},
    {"{\"a\":\"foo\"}", "\"bar\"", "\"bar\""},
    {"{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"},
    {"[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}"},
    {"{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"},
};

static void test_merge_patch(void) {
    for (size_t i = 0; i < sizeof rfc7396 / sizeof *rfc7396; i++) {
        cJSON *target = cJSON_Parse(rfc7396[i][0]), *patch = cJSON_Parse(rfc7396[i][1]);
        cJSON *want = cJSON_Parse(rfc7396[i][2]);
        cJSON *got = edits_merge_patch(target, patch);
        CHECK(got && cJSON_Compare(got, want, 1));
        if (!got || !cJSON_Compare(got, want, 1)) fprintf(stderr, "     RFC 7396 example %zu\n", i + 1);
        cJSON_Delete(got);
        cJSON_Delete(patch);
        cJSON_Delete(want);
    }
}

static void test_etag(void) {
    char tag[128];
    edits_etag("BG-001", 3, tag, sizeof tag);
    CHECK_STR(tag, "\"inst-BG-001-v3\"");
    edits_etag("A \"b\"/ç", 12, tag, sizeof tag);
    CHECK_STR(tag, "\"inst-A%20%22b%22%2F%C3%A7-v12\"");
    CHECK_INT(edits_if_match("\"inst-BG-001-v3\"", "BG-001", 3), 1);
    CHECK_INT(edits_if_match("\"x\", \"inst-BG-001-v3\"", "BG-001", 3), 1);
    CHECK_INT(edits_if_match("*", "BG-001", 9), 1);
    CHECK_INT(edits_if_match("\"inst-BG-001-v2\"", "BG-001", 3), 0);
    CHECK_INT(edits_if_match("W/\"inst-BG-001-v3\"", "BG-001", 3), 0);   /* strong comparison */
    CHECK_INT(edits_if_match("\"inst-BG-001-v3", "BG-001", 3), 0);
    CHECK_INT(edits_if_match("", "BG-001", 3), 0);
    CHECK_INT(edits_if_match(NULL, "BG-001", 3), 0);
}

static void test_email_password(void) {
    char out[AUTH_EMAIL_MAX + 1];
    CHECK_INT(auth_email_normalise("  School@Example.ORG ", out, sizeof out), 0);
    CHECK_STR(out, "school@example.org");
    CHECK_INT(auth_email_normalise("Trường@Ví-dụ.vn", out, sizeof out), 0);
    CHECK_STR(out, "trường@ví-dụ.vn");
    CHECK_INT(auth_email_normalise("no-at-sign", out, sizeof out), -1);
    CHECK_INT(auth_email_normalise("a@b@c", out, sizeof out), -1);
    CHECK_INT(auth_email_normalise("a b@c.d", out, sizeof out), -1);
    CHECK_INT(auth_email_normalise("@c.d", out, sizeof out), -1);
    CHECK_INT(auth_email_normalise("a@", out, sizeof out), -1);
    CHECK_INT(auth_email_normalise("\xff@x.y", out, sizeof out), -1);
    CHECK(auth_password_problem("short") != NULL);
    CHECK(auth_password_problem("long enough password") == NULL);
    CHECK(auth_password_problem("bad utf8 \xc3\x28 here") != NULL);
    Session s;
    memset(&s, 0, sizeof s);
    snprintf(s.csrf_token, sizeof s.csrf_token, "abc");
    CHECK_INT(auth_csrf_ok(&s, "abc"), 1);
    CHECK_INT(auth_csrf_ok(&s, "abd"), 0);
    CHECK_INT(auth_csrf_ok(&s, "ab"), 0);
    CHECK_INT(auth_csrf_ok(&s, NULL), 0);
}

/* ------------------------------------------------------- database flow */

static int exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    int rc = store_exec(db, sql, &err);
    if (rc != SQLITE_OK) fprintf(stderr, "     %s\n", err ? err : "?");
    free(err);
    return rc;
}

static void test_accounts_and_login(sqlite3 *db) {
    char token[AUTH_TOKEN_CHARS], *err = NULL;
    long long admin = auth_account_add(db, "Admin@Example.org", "admin", NULL, "admin passphrase", NULL, &err);
    CHECK(admin > 0);
    free(err);
    err = NULL;
    long long school = auth_account_add(db, "school@example.org", "school", "T-1", NULL, token, &err);
    CHECK(school > 0);
    CHECK_INT((long long)strlen(token), AUTH_TOKEN_CHARS - 1);
    CHECK_INT(auth_account_add(db, "admin@example.org", "admin", NULL, "another passphrase", NULL, &err), -1);
    CHECK(err && strstr(err, "exists"));
    free(err);
    err = NULL;
    CHECK_INT(auth_account_add(db, "x@example.org", "school", "NO-SUCH", "a passphrase!", NULL, &err), -1);
    free(err);
    err = NULL;
    CHECK_INT(auth_account_add(db, "y@example.org", "root", NULL, "a passphrase!", NULL, &err), -1);
    free(err);
    err = NULL;

    Account a;
    CHECK_INT(auth_account_get(db, school, NULL, &a), 1);
    CHECK_INT(a.active, 0);
    CHECK_INT(auth_account_activate(db, "not-a-token", "school passphrase", &err), 1);
    CHECK_INT(auth_account_activate(db, token, "short", &err), -1);
    free(err);
    err = NULL;
    CHECK_INT(auth_account_activate(db, token, "school passphrase", &err), 0);
    CHECK_INT(auth_account_activate(db, token, "school passphrase", &err), 1);   /* one use */
    CHECK_INT(auth_account_get(db, 0, "school@example.org", &a), 1);
    CHECK_INT(a.active, 1);

    AuthSettings cfg = {3600, 3, 60, 100, 600};
    long long now = (long long)time(NULL);
    Session s;
    int retry = 0;
    char cookie[AUTH_TOKEN_CHARS];
    for (int i = 0; i < 3; i++)
        CHECK_INT(auth_login(db, NULL, &cfg, "school@example.org", "wrong password", "10.0.0.1", now, cookie, &s, &retry),
                  LOGIN_BAD);
    CHECK_INT(auth_login(db, NULL, &cfg, "school@example.org", "school passphrase", "10.0.0.1", now, cookie, &s, &retry),
              LOGIN_LOCKED);
    CHECK(retry > 0 && retry <= 60);
    /* Unknown addresses lock the same way. */
    for (int i = 0; i < 3; i++)
        CHECK_INT(auth_login(db, NULL, &cfg, "ghost@example.org", "wrong password", "10.0.0.2", now, cookie, &s, &retry),
                  LOGIN_BAD);
    CHECK_INT(auth_login(db, NULL, &cfg, "ghost@example.org", "wrong password", "10.0.0.2", now, cookie, &s, &retry),
              LOGIN_LOCKED);
    /* The lockout ends after lockout_s. */
    CHECK_INT(auth_login(db, NULL, &cfg, "school@example.org", "school passphrase", "10.0.0.1", now + 61, cookie, &s,
                         &retry),
              LOGIN_OK);
    CHECK_STR(s.account.institution, "T-1");
    Session found;
    CHECK_INT(auth_session_find(db, cookie, now + 62, &found), 1);
    CHECK_STR(found.csrf_token, s.csrf_token);
    CHECK_INT(auth_csrf_ok(&found, s.csrf_token), 1);
    CHECK_INT(auth_session_find(db, cookie, now + 61 + 3600, &found), 0);   /* expired */
    CHECK_INT(auth_session_find(db, "x", now, &found), 0);
    CHECK_INT(auth_session_end(db, cookie, now + 62), 0);
    CHECK_INT(auth_session_find(db, cookie, now + 62, &found), 0);

    /* Disabled accounts cannot log in; re-enabled they can. */
    CHECK_INT(auth_account_set_disabled(db, school, 1), 0);
    CHECK_INT(auth_login(db, NULL, &cfg, "school@example.org", "school passphrase", "10.0.0.3", now + 100, cookie, &s,
                         &retry),
              LOGIN_BAD);
    CHECK_INT(auth_account_set_disabled(db, school, 0), 0);
    CHECK_INT(auth_account_set_disabled(db, 9999, 1), 1);
    /* The per-IP limit. */
    AuthSettings tight = {3600, 100, 60, 2, 600};
    CHECK_INT(auth_login(db, NULL, &tight, "a@x.org", "wrong password", "10.9.9.9", now, cookie, &s, &retry), LOGIN_BAD);
    CHECK_INT(auth_login(db, NULL, &tight, "b@x.org", "wrong password", "10.9.9.9", now, cookie, &s, &retry), LOGIN_BAD);
    CHECK_INT(auth_login(db, NULL, &tight, "admin@example.org", "admin passphrase", "10.9.9.9", now, cookie, &s, &retry),
              LOGIN_IP_LIMITED);
    /* A reset with a new password clears the lockout and the sessions. */
    CHECK_INT(auth_account_reset(db, school, "new school passphrase", NULL, &err), 0);
    CHECK_INT(auth_login(db, NULL, &cfg, "school@example.org", "new school passphrase", "10.0.0.4", now + 200, cookie, &s,
                         &retry),
              LOGIN_OK);
}

static char *snapshot(sqlite3 *db, const char *code, long long *version) {
    int rc;
    return edits_snapshot(db, code, version, &rc);
}

static void test_edits(sqlite3 *db) {
    Config cfg;
    config_defaults(&cfg);
    EditRules rules = {"phone,email,website,location", 200, &cfg};
    EditActor school = {2, "school@example.org", 0, "T-1"}, admin = {1, "admin@example.org", 1, NULL};
    EditOutcome o;
    EditError e;
    long long v0;
    char *original = snapshot(db, "T-1", &v0);
    CHECK(original != NULL);

    /* A school may not edit another institution. */
    edit_outcome_init(&o);
    const char *p1 = "{\"properties\":{\"phone\":\" 0204 123 456 \"}}";
    CHECK_INT(edits_submit(db, &school, &rules, "T-2", "*", p1, strlen(p1), &o, &e), -1);
    CHECK_INT(e.status, 403);
    CHECK_INT(edits_submit(db, &school, &rules, "T-1", NULL, p1, strlen(p1), &o, &e), -1);
    CHECK_INT(e.status, 428);
    CHECK_INT(edits_submit(db, &school, &rules, "T-1", "\"inst-T-1-v9\"", p1, strlen(p1), &o, &e), -1);
    CHECK_INT(e.status, 412);

    /* Phone publishes at once (trimmed); the rename and the description wait. */
    char tag[64];
    edits_etag("T-1", v0, tag, sizeof tag);
    const char *p2 = "{\"properties\":{\"phone\":\" 0204 123 456 \",\"name\":\"Trường B\",\"description\":\"Mô tả\"}}";
    CHECK_INT(edits_submit(db, &school, &rules, "T-1", tag, p2, strlen(p2), &o, &e), 0);
    CHECK_STR(o.published.data, "[\"phone\"]");
    CHECK_STR(o.pending.data, "[\"name\",\"description\"]");
    CHECK(o.change_id > 0);
    CHECK_INT(o.version, v0 + 1);
    long long change = o.change_id;
    edit_outcome_free(&o);

    /* A small move publishes (location is listed), a far one waits. */
    edit_outcome_init(&o);
    const char *p3 = "{\"geometry\":{\"type\":\"Point\",\"coordinates\":[106.1901,21.2701]}}";
    CHECK_INT(edits_submit(db, &school, &rules, "T-1", "*", p3, strlen(p3), &o, &e), 0);
    CHECK_STR(o.published.data, "[\"location\"]");
    /* The open request was carried into a new one (the old is superseded). */
    CHECK(o.change_id > change);
    change = o.change_id;
    edit_outcome_free(&o);
    edit_outcome_init(&o);
    const char *p4 = "{\"geometry\":{\"type\":\"Point\",\"coordinates\":[106.3,21.3]}}";
    CHECK_INT(edits_submit(db, &school, &rules, "T-1", "*", p4, strlen(p4), &o, &e), 0);
    CHECK_STR(o.pending.data, "[\"name\",\"description\",\"location\"]");
    CHECK_STR(o.published.data, "[]");
    change = o.change_id;
    edit_outcome_free(&o);

    /* Bad patches. */
    static const struct { const char *patch; int status; } bad[] = {
        {"{\"properties\":{\"kind\":\"college\"}}", 400},
        {"{\"geometry\":{\"type\":\"Point\",\"coordinates\":[2.35,48.85]}}", 422},
        {"{\"geometry\":{\"type\":\"Point\",\"coordinates\":[1e999,21]}}", 422},
        {"{\"geometry\":null}", 422},
        {"{\"properties\":{\"website\":\"ftp://x\"}}", 422},
        {"{\"properties\":{\"programs\":[{\"occupation_name\":\"Hàn\",\"annual_quota\":1.5}]}}", 422},
        {"{\"properties\":{\"name\":\"\\u0000\"}}", 422},   /* cJSON stops at NUL: an empty name */
        {"[]", 400},
        {"{", 400},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        edit_outcome_init(&o);
        int rc = edits_submit(db, &school, &rules, "T-1", "*", bad[i].patch, strlen(bad[i].patch), &o, &e);
        CHECK_INT(rc, -1);
        CHECK_INT(e.status, bad[i].status);
        edit_outcome_free(&o);
    }

    /* Only an admin decides; approval publishes with the comment. */
    edit_outcome_init(&o);
    CHECK_INT(edits_decide(db, &school, &rules, change, 1, NULL, &o, &e), -1);
    CHECK_INT(e.status, 403);
    CHECK_INT(edits_decide(db, &admin, &rules, change, 1, "ok", &o, &e), 0);
    CHECK_STR(o.published.data, "[\"name\",\"description\",\"location\"]");
    CHECK_INT(edits_decide(db, &admin, &rules, change, 1, "ok", &o, &e), -1);
    CHECK_INT(e.status, 409);
    CHECK_INT(edits_decide(db, &admin, &rules, 9999, 0, NULL, &o, &e), -1);
    CHECK_INT(e.status, 404);
    edit_outcome_free(&o);

    Buf h = BUF_INIT;
    CHECK_INT(edits_history_json(db, "T-1", &h), 1);
    CHECK(h.data && strstr(h.data, "\"action\":\"approve\"") && strstr(h.data, "\"comment\":\"ok\""));
    CHECK(h.data && strstr(h.data, "\"location_precision\":\"surveyed\""));
    buf_free(&h);
    CHECK_INT(edits_history_json(db, "NO-SUCH", &h), 0);
    buf_free(&h);
    Buf c = BUF_INIT;
    CHECK_INT(edits_changes_json(db, "approved", NULL, 10, &c), SQLITE_OK);
    CHECK(c.data && strstr(c.data, "\"status\":\"approved\"") && strstr(c.data, "\"decider\":\"admin@example.org\""));
    buf_free(&c);

    /* Revert to the original version: the snapshot is byte for byte the original. */
    edit_outcome_init(&o);
    CHECK_INT(edits_revert(db, &school, &rules, "T-1", v0, NULL, NULL, &o, &e), -1);
    CHECK_INT(e.status, 403);
    CHECK_INT(edits_revert(db, &admin, &rules, "T-1", v0, NULL, "undo", &o, &e), 0);
    edit_outcome_free(&o);
    long long v;
    char *now = snapshot(db, "T-1", &v);
    CHECK_STR(now, original);
    free(now);
    edit_outcome_init(&o);
    CHECK_INT(edits_revert(db, &admin, &rules, "T-1", 999, NULL, NULL, &o, &e), -1);
    CHECK_INT(e.status, 404);
    edit_outcome_free(&o);

    /* Re-ingest checks: an admin sets the phone; the file disagrees. */
    edit_outcome_init(&o);
    const char *p5 = "{\"properties\":{\"phone\":\"0204 999\"}}";
    CHECK_INT(edits_submit(db, &admin, &rules, "T-1", "*", p5, strlen(p5), &o, &e), 0);
    edit_outcome_free(&o);
    char *value = strdup("0204 000"), *note = NULL;
    CHECK_INT(edits_reconcile_text(db, "T-1", "phone", &value, EDITS_PREFER_EDITS, &note), 1);
    CHECK_STR(value, "0204 999");
    CHECK(note && strstr(note, "kept the edit"));
    free(note);
    CHECK_INT(edits_reconcile_text(db, "T-1", "phone", &value, EDITS_PREFER_EDITS, &note), 0);   /* now equal */
    CHECK(note == NULL);
    free(value);
    value = NULL;
    CHECK_INT(edits_reconcile_text(db, "T-1", "email", &value, EDITS_PREFER_EDITS, &note), 0);  /* never edited */
    value = strdup("0204 111");
    CHECK_INT(edits_reconcile_text(db, "T-1", "phone", &value, EDITS_PREFER_FILE, &note), 1);
    CHECK_STR(value, "0204 111");
    free(note);
    CHECK_INT(edits_reconcile_text(db, "T-1", "phone", &value, EDITS_PREFER_EDITS, &note), 0);   /* marker gone */
    free(value);
    int has = 1;
    double lon = 106.0, lat = 21.0;
    char *prec = strdup("commune_centroid");
    CHECK_INT(edits_reconcile_location(db, "T-1", &has, &lon, &lat, &prec, EDITS_PREFER_EDITS, &note), 1);
    CHECK_STR(prec, "surveyed");
    free(prec);
    free(note);
    free(original);
}

static void test_database(void) {
    char path[] = "/tmp/vetmap-test-edits-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        UNIT_SKIP("no temporary file");
        return;
    }
    close(fd);
    unlink(path);
    char *err = NULL;
    sqlite3 *db = store_open(path, STORE_CREATE, &err);
    CHECK(db != NULL);
    if (!db) {
        fprintf(stderr, "     %s\n", err ? err : "?");
        free(err);
        return;
    }
    CHECK_INT(exec(db,
                   "INSERT INTO institution(code, name, kind, ownership, location_precision, lon, lat, version,"
                   " updated_at, geom) VALUES"
                   " ('T-1', 'Trường A', 'college', 'public', 'commune_centroid', 106.19000000000001, 21.27, 1,"
                   "  '2026-01-01T00:00:00Z', MakePoint(106.19000000000001, 21.27, 4326)),"
                   " ('T-2', 'Trường C', 'vet_centre', 'public', 'unknown', NULL, NULL, 1, '2026-01-01T00:00:00Z', NULL)"),
              SQLITE_OK);
    CHECK_INT(exec(db, "INSERT INTO program(institution_code, occupation_code, occupation_name, level, annual_quota)"
                       " VALUES ('T-1', '5520227', 'Điện công nghiệp', 'trung cấp', 35)"),
              SQLITE_OK);
    test_accounts_and_login(db);
    test_edits(db);
    store_close(db);
    for (const char *ext = ""; ext; ext = !*ext ? "-wal" : !strcmp(ext, "-wal") ? "-shm" : NULL) {
        char f[64];
        snprintf(f, sizeof f, "%s%s", path, ext);
        unlink(f);
    }
}

int main(void) {
    CHECK_INT(auth_init(), 0);
    test_merge_patch();
    test_etag();
    test_email_password();
    test_database();
    return unit_summary();
}
