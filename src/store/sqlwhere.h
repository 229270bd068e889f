/* sqlwhere.h — a WHERE clause built from filter values, with its values.
 *
 * User values are never spliced into SQL: each becomes a `?` whose value is
 * kept here (by pointer: the strings must outlive the statement, e.g. query
 * parameter values, which live as long as the request) and bound in order by
 * sqlwhere_bind.  Used by the items, search and nearest endpoints. */
#ifndef VETMAP_SQLWHERE_H
#define VETMAP_SQLWHERE_H

#include "base/buf.h"
#include <sqlite3.h>

#define SQLWHERE_MAX_BINDS 400
#define SQLWHERE_MAX_LIST 50       /* values in one comma-separated filter */

typedef struct SqlBind {
    int is_text;
    const char *s;                 /* text, not copied */
    int n;                         /* its length in bytes, -1 = NUL-terminated */
    double d;
} SqlBind;

typedef struct SqlWhere {
    Buf sql;                       /* " WHERE 1 = 1 AND ..." */
    SqlBind binds[SQLWHERE_MAX_BINDS];
    int nbinds;
    int overflow;                  /* more than SQLWHERE_MAX_BINDS values */
} SqlWhere;

void sqlwhere_init(SqlWhere *w);
void sqlwhere_free(SqlWhere *w);

/* Append SQL text (no values) and values for the `?`s in it. */
void sqlwhere_sql(SqlWhere *w, const char *sql);
void sqlwhere_text(SqlWhere *w, const char *s, int n);
void sqlwhere_double(SqlWhere *w, double d);

/* Append " AND column IN (?, ...)" with one value per comma-separated item
 * of `list` (pointers into list: it must outlive the statement).  Returns 0,
 * -1 when list is empty, -2 when it has more than SQLWHERE_MAX_LIST items
 * (nothing appended then). */
int sqlwhere_in_list(SqlWhere *w, const char *column, const char *list);

/* Bind the values to st as parameters 1..n; returns n (the caller binds its
 * own values from n+1), or -1 on a bind error or overflow. */
int sqlwhere_bind(const SqlWhere *w, sqlite3_stmt *st);

/* The values as a JSON array (text as strings, numbers with 15 decimals). */
void sqlwhere_params_json(const SqlWhere *w, Buf *out);

#endif
