/* query_filters.h — query parameters that filter a column (kind=, commune_code=, ...)
 * turned into SQL conditions, for the items, search and nearest endpoints. */
#ifndef VETMAP_QUERY_FILTERS_H
#define VETMAP_QUERY_FILTERS_H

#include "http/http.h"
#include "store/sqlwhere.h"

/* A request parameter that filters a column. */
typedef struct SqlFilter {
    const char *param;             /* query parameter name */
    const char *column;            /* SQL column, e.g. "i.kind" */
} SqlFilter;

/* For each filter whose parameter is present: " AND column IN (?, ...)",
 * one value per comma-separated item (sqlwhere_in_list).  Returns 0, or -1
 * after setting a 400 (empty value, more than SQLWHERE_MAX_LIST items).
 * `filters` ends with a {NULL} entry. */
int query_filters(SqlWhere *w, Request *req, Response *res, const SqlFilter *filters);

#endif
