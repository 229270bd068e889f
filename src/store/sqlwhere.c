/* sqlwhere.c — WHERE clause builder (sqlwhere.h). */
#include "store/sqlwhere.h"
#include "geo/geojson.h"

#include <string.h>

void sqlwhere_init(SqlWhere *w) {
    buf_init(&w->sql);
    buf_puts(&w->sql, " WHERE 1 = 1");
    w->nbinds = 0;
    w->overflow = 0;
}

void sqlwhere_free(SqlWhere *w) { buf_free(&w->sql); }

void sqlwhere_sql(SqlWhere *w, const char *sql) { buf_puts(&w->sql, sql); }

static void push(SqlWhere *w, SqlBind b) {
    if (w->nbinds < SQLWHERE_MAX_BINDS)
        w->binds[w->nbinds++] = b;
    else
        w->overflow = 1;
}

void sqlwhere_text(SqlWhere *w, const char *s, int n) { push(w, (SqlBind){1, s, n, 0}); }

void sqlwhere_double(SqlWhere *w, double d) { push(w, (SqlBind){0, NULL, 0, d}); }

int sqlwhere_in_list(SqlWhere *w, const char *column, const char *list) {
    if (!*list) return -1;
    int n = 1;
    for (const char *p = list; *p; p++) n += *p == ',';
    if (n > SQLWHERE_MAX_LIST) return -2;
    buf_printf(&w->sql, " AND %s IN (", column);
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ",");
        buf_puts(&w->sql, p == list ? "?" : ", ?");
        sqlwhere_text(w, p, (int)len);
        p += len;
        if (!*p) break;
    }
    buf_putc(&w->sql, ')');
    return 0;
}

int sqlwhere_bind(const SqlWhere *w, sqlite3_stmt *st) {
    if (w->overflow) return -1;
    for (int i = 0; i < w->nbinds; i++) {
        const SqlBind *b = &w->binds[i];
        int rc = b->is_text ? sqlite3_bind_text(st, i + 1, b->s, b->n, SQLITE_STATIC)
                            : sqlite3_bind_double(st, i + 1, b->d);
        if (rc != SQLITE_OK) return -1;
    }
    return w->nbinds;
}

void sqlwhere_params_json(const SqlWhere *w, Buf *out) {
    buf_putc(out, '[');
    for (int i = 0; i < w->nbinds; i++) {
        const SqlBind *b = &w->binds[i];
        if (i) buf_putc(out, ',');
        if (b->is_text)
            json_strn(out, b->s, b->n < 0 ? strlen(b->s) : (size_t)b->n);
        else
            json_num(out, b->d, 15);
    }
    buf_putc(out, ']');
}
