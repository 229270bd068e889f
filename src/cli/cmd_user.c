/* cmd_user.c — `vetmap user add|list|disable|enable|reset`: accounts from the
 * command line (auth.h does the work). */
#include "edit/auth.h"
#include "base/buf.h"
#include "base/cliopt.h"
#include "cli/commands.h"
#include "geo/geojson.h"
#include "store/store.h"

#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "vetmap user"
#define DEFAULT_BASE_URL "http://127.0.0.1:8080"

static void usage(FILE *out) {
    fprintf(out,
            "usage: vetmap user add --db FILE --email EMAIL --role school --institution CODE\n"
            "                       [--password-stdin] [--base-url URL]\n"
            "       vetmap user add --db FILE --email EMAIL --role admin [--password-stdin] [--base-url URL]\n"
            "       vetmap user list --db FILE [--json]\n"
            "       vetmap user disable|enable --db FILE --email EMAIL\n"
            "       vetmap user reset --db FILE --email EMAIL [--password-stdin] [--base-url URL]\n"
            "\n"
            "Manage the accounts that edit the map.  A `school` account edits only its own\n"
            "institution (its changes wait for an admin's approval, see the README); an `admin`\n"
            "account edits every institution, moderates and manages accounts.\n"
            "\n"
            "add and reset print a one-time activation token and link (valid 7 days): the\n"
            "person opens the link and chooses a password.  With --password-stdin the password\n"
            "is read from the first line of standard input instead (for scripts); it is never\n"
            "echoed or logged.  reset also ends the account's sessions and clears its lockout;\n"
            "disable ends its sessions and refuses its logins until `enable`.\n"
            "\n"
            "options:\n"
            "  --db FILE          the vetmap database (must exist)\n"
            "  --email EMAIL      the account's email address (its login name)\n"
            "  --role ROLE        school | admin\n"
            "  --institution CODE the school's institution code (role school)\n"
            "  --password-stdin   read the password from standard input\n"
            "  --base-url URL     where the map is served, for the activation link\n"
            "                     (default " DEFAULT_BASE_URL ")\n"
            "  --json             list: one JSON document instead of a table\n"
            "  --help             show this help\n");
}

typedef struct UserOpts {
    const char *db, *email, *role, *institution, *base_url;
    int password_stdin, json, help;
} UserOpts;

static int parse(int argc, char **argv, UserOpts *o) {
    memset(o, 0, sizeof *o);
    o->base_url = DEFAULT_BASE_URL;
    static const struct { const char *name; size_t off; } valued[] = {
        {"--db", offsetof(UserOpts, db)},       {"--email", offsetof(UserOpts, email)},
        {"--role", offsetof(UserOpts, role)},   {"--institution", offsetof(UserOpts, institution)},
        {"--base-url", offsetof(UserOpts, base_url)},
    };
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            o->help = 1;
            continue;
        }
        if (!strcmp(argv[i], "--password-stdin")) {
            o->password_stdin = 1;
            continue;
        }
        if (!strcmp(argv[i], "--json")) {
            o->json = 1;
            continue;
        }
        int matched = 0;
        for (size_t k = 0; k < sizeof valued / sizeof *valued && !matched; k++) {
            matched = cliopt_take(CMD, argc, argv, &i, valued[k].name, (const char **)((char *)o + valued[k].off));
            if (matched < 0) return -1;
        }
        if (!matched) {
            fprintf(stderr, CMD ": unknown option '%s' (see --help)\n", argv[i]);
            return -1;
        }
    }
    return 0;
}

/* The first line of standard input, without its line break, into pw (size
 * n).  Returns 0, or -1 with a message. */
static int read_password(char *pw, size_t n) {
    if (!fgets(pw, (int)n, stdin)) {
        fprintf(stderr, CMD ": --password-stdin: no password on standard input\n");
        return -1;
    }
    size_t len = strcspn(pw, "\r\n");
    if (len == strlen(pw) && !feof(stdin)) {
        sodium_memzero(pw, n);
        fprintf(stderr, CMD ": the password is longer than %d bytes\n", AUTH_PASSWORD_MAX);
        return -1;
    }
    pw[len] = '\0';
    return 0;
}

static void print_token(const char *base_url, const char *token) {
    size_t n = strlen(base_url);
    while (n && base_url[n - 1] == '/') n--;
    printf("activation token (one use, valid 7 days): %s\n", token);
    printf("activation link: %.*s/#activate=%s\n", (int)n, base_url, token);
}

static void print_row(const Account *a, void *ctx) {
    Buf *json = ctx;
    const char *state = a->disabled ? "disabled" : a->active ? "active" : "awaiting activation";
    if (!json) {
        printf("%-5lld %-32s %-7s %-14s %-20s %s\n", a->id, a->email, a->role, a->institution[0] ? a->institution : "-",
               state, a->last_login_at[0] ? a->last_login_at : "never");
        return;
    }
    buf_puts(json, json->len > 1 ? ",{\"id\":" : "{\"id\":");
    json_int(json, a->id);
    buf_puts(json, ",\"email\":");
    json_str(json, a->email);
    buf_puts(json, ",\"role\":");
    json_str(json, a->role);
    buf_puts(json, ",\"institution_code\":");
    json_str(json, a->institution[0] ? a->institution : NULL);
    buf_puts(json, ",\"state\":");
    json_str(json, state);
    buf_puts(json, ",\"last_login_at\":");
    json_str(json, a->last_login_at[0] ? a->last_login_at : NULL);
    buf_putc(json, '}');
}

/* The account named by --email, or -1 after a message. */
static long long find_account(sqlite3 *db, const char *email) {
    char norm[AUTH_EMAIL_MAX + 1];
    Account a;
    if (auth_email_normalise(email, norm, sizeof norm) != 0) {
        fprintf(stderr, CMD ": '%s' is not an email address\n", email);
        return -1;
    }
    int found = auth_account_get(db, 0, norm, &a);
    if (found != 1) {
        fprintf(stderr, CMD ": %s\n", found < 0 ? sqlite3_errmsg(db) : "no account has that email");
        return -1;
    }
    return a.id;
}

static int run_action(const char *action, const UserOpts *o, sqlite3 *db) {
    char pw[AUTH_PASSWORD_MAX + 3], token[AUTH_TOKEN_CHARS], *err = NULL;
    int status = 1;
    if (o->password_stdin && read_password(pw, sizeof pw) != 0) return 1;
    const char *password = o->password_stdin ? pw : NULL;
    if (!strcmp(action, "add")) {
        long long id = auth_account_add(db, o->email, o->role, o->institution, password, token, &err);
        if (id > 0) {
            Account a;
            auth_account_get(db, id, NULL, &a);
            printf("created %s account %s (id %lld)%s%s%s\n", a.role, a.email, id, a.institution[0] ? " for " : "",
                   a.institution, password ? ", active" : "");
            if (!password) print_token(o->base_url, token);
            status = 0;
        }
    } else if (!strcmp(action, "reset")) {
        long long id = find_account(db, o->email);
        int rc = id > 0 ? auth_account_reset(db, id, password, token, &err) : -1;
        if (rc == 0) {
            printf("reset %s: sessions ended, lockout cleared%s\n", o->email, password ? ", new password set" : "");
            if (!password) print_token(o->base_url, token);
            status = 0;
        }
    } else {
        long long id = find_account(db, o->email);
        int rc = id > 0 ? auth_account_set_disabled(db, id, !strcmp(action, "disable")) : -1;
        if (rc == 0) {
            printf("%sd %s\n", action, o->email);
            status = 0;
        } else if (id > 0) {
            fprintf(stderr, CMD ": %s\n", sqlite3_errmsg(db));
        }
    }
    if (err) fprintf(stderr, CMD ": %s\n", err);
    free(err);
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(token, sizeof token);
    return status;
}

int cmd_user(int argc, char **argv) {
    const char *action = argc > 1 ? argv[1] : NULL;
    if (!action || !strcmp(action, "--help") || !strcmp(action, "-h")) {
        usage(action ? stdout : stderr);
        return action ? 0 : 2;
    }
    static const char *const actions[] = {"add", "list", "disable", "enable", "reset"};
    int known = 0;
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++) known |= !strcmp(action, actions[i]);
    UserOpts o;
    if (!known) {
        fprintf(stderr, CMD ": unknown action '%s'\n\n", action);
        usage(stderr);
        return 2;
    }
    if (parse(argc, argv, &o) != 0) return 2;
    if (o.help) {
        usage(stdout);
        return 0;
    }
    int list = !strcmp(action, "list");
    if (!o.db || (!list && !o.email) || (!strcmp(action, "add") && !o.role)) {
        fprintf(stderr, CMD " %s: --db%s%s are required (see --help)\n", action, list ? "" : ", --email",
                strcmp(action, "add") ? "" : ", --role");
        return 2;
    }
    if (auth_init() != 0) {
        fprintf(stderr, CMD ": libsodium cannot start\n");
        return 1;
    }
    char *err = NULL;
    sqlite3 *db = store_open(o.db, 0, &err);
    if (!db) {
        fprintf(stderr, CMD ": %s\n", err ? err : "cannot open the database");
        free(err);
        return 1;
    }
    int status;
    if (list) {
        Buf json = BUF_INIT;
        if (o.json)
            buf_puts(&json, "[");
        else
            printf("%-5s %-32s %-7s %-14s %-20s %s\n", "id", "email", "role", "institution", "state", "last login");
        status = auth_account_each(db, print_row, o.json ? &json : NULL) == 0 ? 0 : 1;
        if (o.json) {
            buf_puts(&json, "]\n");
            fputs(json.data, stdout);
        }
        buf_free(&json);
        if (status) fprintf(stderr, CMD ": %s\n", sqlite3_errmsg(db));
    } else {
        status = run_action(action, &o, db);
    }
    store_close(db);
    return status;
}
