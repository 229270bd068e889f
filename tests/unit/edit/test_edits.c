/* test_edits.c — edits.h and auth.h: RFC 7396 merge patches (the RFC's own
 * Appendix A examples), ETags and If-Match, email/password rules, then the
 * whole flow on a temporary database (accounts, login lockout, sessions,
 * CSRF, a school's edit split into published and pending, approval, an
 * exact revert, the re-ingest checks), so the sanitizer build runs every
 * path of the C code behind the HTTP tests. */
#include "edit/auth.h"
#include "base/config.h"
#include "edit/edits.h"
#include "edit/message.h"
#include "store/store.h"
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
    /* the kept point is the one the revert to v0 restored: it keeps v0's
     * precision (commune_centroid), it is not "surveyed" */
    CHECK_STR(prec, "commune_centroid");
    free(prec);
    free(note);
    free(original);
}

/* The codes of institution `code` as "commune|district|province|layout". */
static void codes_of(sqlite3 *db, const char *code, char *out, size_t n) {
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    if (sqlite3_prepare_v2(db, "SELECT coalesce(commune_code, '-') || '|' || coalesce(district_code, '-') || '|' ||"
                               " coalesce(province_code, '-') || '|' || coalesce(admin_layout, '-')"
                               " FROM institution WHERE code = ?1", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
}

/* A published location takes the admin units that contain it; a move out of
 * the district is flagged when the commune is unknown; a point in no unit
 * has no codes and a warning; a revert restores the units; the ingest can
 * keep the edit's units.  Layout L: province P = D1 + D2, communes C1 in D1
 * and C2 in D2 (C2's polygon also covers a strip of D1, as files from two
 * sources do near a border: there C2's own district, D2, must win). */
static void test_places(sqlite3 *db) {
    CHECK_INT(exec(db,
                   "INSERT INTO layout(name, is_default, description) VALUES ('L', 1, 'test');"
                   "INSERT INTO admin_unit(layout, code, level, level_name, name, parent_code, geom) VALUES"
                   " ('L', 'P', 1, 'province', 'Tỉnh P', NULL,"
                   "  GeomFromText('MULTIPOLYGON(((106 21, 106.4 21, 106.4 21.4, 106 21.4, 106 21)))', 4326)),"
                   " ('L', 'D1', 2, 'district', 'Huyện Một', 'P',"
                   "  GeomFromText('MULTIPOLYGON(((106 21, 106.2 21, 106.2 21.4, 106 21.4, 106 21)))', 4326)),"
                   " ('L', 'D2', 2, 'district', 'Huyện Hai', 'P',"
                   "  GeomFromText('MULTIPOLYGON(((106.2 21, 106.4 21, 106.4 21.4, 106.2 21.4, 106.2 21)))', 4326)),"
                   " ('L', 'C1', 3, 'commune', 'Xã Một', 'D1',"
                   "  GeomFromText('MULTIPOLYGON(((106 21, 106.19 21, 106.19 21.2, 106 21.2, 106 21)))', 4326)),"
                   " ('L', 'C2', 3, 'commune', 'Xã Hai', 'D2',"
                   "  GeomFromText('MULTIPOLYGON(((106.19 21, 106.4 21, 106.4 21.2, 106.19 21.2, 106.19 21)))', 4326));"
                   "INSERT INTO institution(code, name, kind, ownership, district_code, province_code, admin_layout,"
                   " location_precision, lon, lat, version, updated_at, geom) VALUES"
                   " ('T-3', 'Trường D', 'college', 'public', 'D1', 'P', 'L', 'district_centroid', 106.1, 21.1, 1,"
                   "  '2026-01-01T00:00:00Z', MakePoint(106.1, 21.1, 4326))"),
              SQLITE_OK);
    Config cfg;
    config_defaults(&cfg);
    EditRules rules = {"phone,location", 200, &cfg};
    EditActor school = {0, "t3@example.org", 0, "T-3"}, admin = {1, "admin@example.org", 1, NULL};
    EditOutcome o;
    EditError e;
    char codes[128];
    long long v0;
    free(snapshot(db, "T-3", &v0));

    /* Commune unknown: a long move into D2 is flagged against the district. */
    edit_outcome_init(&o);
    const char *far = "{\"geometry\":{\"type\":\"Point\",\"coordinates\":[106.3,21.1]}}";
    CHECK_INT(edits_submit(db, &school, &rules, "T-3", "*", far, strlen(far), &o, &e), 0);
    CHECK(o.change_id > 0);
    CHECK(o.warnings.data && strstr(o.warnings.data, "\"code\":\"outside_own_unit\"") &&
          strstr(o.warnings.data, "\"params\":{\"level\":\"district\",\"unit\":\"D1\"}"));
    long long change = o.change_id;
    edit_outcome_free(&o);
    Buf c = BUF_INIT;
    CHECK_INT(edits_change_json(db, change, &c, NULL), 1);
    CHECK(c.data && strstr(c.data, "outside the institution's district (D1)"));
    CHECK(c.data && strstr(c.data, "\"place\":{\"commune_code\":\"C2\",\"district_code\":\"D2\""));
    buf_free(&c);
    codes_of(db, "T-3", codes, sizeof codes);
    CHECK_STR(codes, "-|D1|P|L");   /* nothing published yet */

    /* Approved: the codes of where it is now, and the parent district on a shared edge. */
    edit_outcome_init(&o);
    CHECK_INT(edits_decide(db, &admin, &rules, change, 1, NULL, &o, &e), 0);
    CHECK_STR(o.warnings.data, "[]");
    edit_outcome_free(&o);
    codes_of(db, "T-3", codes, sizeof codes);
    CHECK_STR(codes, "C2|D2|P|L");
    long long v1;
    free(snapshot(db, "T-3", &v1));
    edit_outcome_init(&o);
    const char *edge = "{\"geometry\":{\"type\":\"Point\",\"coordinates\":[106.195,21.1]}}";
    CHECK_INT(edits_submit(db, &admin, &rules, "T-3", "*", edge, strlen(edge), &o, &e), 0);
    edit_outcome_free(&o);
    codes_of(db, "T-3", codes, sizeof codes);
    CHECK_STR(codes, "C2|D2|P|L");   /* in D1's polygon, not D2's, but C2's district is D2 */

    /* The ingest keeps the edit's units (when they are of the layout it writes). */
    char *cc = strdup("C1"), *dd = strdup("D1"), *pp = NULL;
    CHECK_INT(edits_reconcile_place(db, "T-3", "OTHER", &cc, &dd, &pp), 0);
    CHECK_STR(cc, "C1");
    CHECK_INT(edits_reconcile_place(db, "T-3", "L", &cc, &dd, &pp), 1);
    CHECK_STR(cc, "C2");
    CHECK_STR(dd, "D2");
    CHECK(pp && !strcmp(pp, "P"));
    free(cc);
    free(dd);
    free(pp);

    /* In no unit: codes null, a warning; the search row follows the place. */
    edit_outcome_init(&o);
    const char *away = "{\"geometry\":{\"type\":\"Point\",\"coordinates\":[106.6,21.1]}}";
    CHECK_INT(edits_submit(db, &admin, &rules, "T-3", "*", away, strlen(away), &o, &e), 0);
    CHECK(o.warnings.data && strstr(o.warnings.data, "\"code\":\"location_in_no_unit\""));
    edit_outcome_free(&o);
    codes_of(db, "T-3", codes, sizeof codes);
    CHECK_STR(codes, "-|-|-|L");

    /* A revert restores the units of its version. */
    edit_outcome_init(&o);
    CHECK_INT(edits_revert(db, &admin, &rules, "T-3", v1, NULL, NULL, &o, &e), 0);
    edit_outcome_free(&o);
    codes_of(db, "T-3", codes, sizeof codes);
    CHECK_STR(codes, "C2|D2|P|L");
    edit_outcome_init(&o);
    CHECK_INT(edits_revert(db, &admin, &rules, "T-3", v0, NULL, NULL, &o, &e), 0);
    edit_outcome_free(&o);
    codes_of(db, "T-3", codes, sizeof codes);
    CHECK_STR(codes, "-|D1|P|L");   /* exactly as before the edits: commune still unknown */
}

/* Messages: a stable code, the English sentence with its values, JSON. */
static void test_messages(void) {
    char text[200];
    msg_describe(MSG_WAIT_FAR_MOVE, MSG_PARAMS(MSG_N("distance_m", 350), MSG_N("max_m", 200)), text, sizeof text);
    CHECK_STR(text, "the point moves 350 m (more than 200 m)");
    msg_describe(MSG_WEBSITE_SCHEME, NULL, text, sizeof text);
    CHECK_STR(text, "website must start with http:// or https://");
    Buf b = BUF_INIT;
    msg_write(&b, MSG_FIELD_TOO_LONG, MSG_PARAMS(MSG_S("field", "a\"b"), MSG_N("max_bytes", 500)));
    CHECK_STR(b.data, "{\"code\":\"field_too_long\",\"description\":\"a\\\"b is longer than 500 bytes\","
                      "\"params\":{\"field\":\"a\\\"b\",\"max_bytes\":500}}");
    buf_free(&b);
    Buf list = BUF_INIT;
    msg_list_close(&list);
    CHECK_STR(list.data, "[]");
    buf_free(&list);
    for (int id = 0; id < MSG_COUNT; id++) CHECK(strcmp(msg_code((MsgId)id), "unknown") != 0);
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
    test_places(db);
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
    test_messages();
    test_database();
    return unit_summary();
}
