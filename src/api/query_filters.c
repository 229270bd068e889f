/* query_filters.c — filter parameters to SQL (query_filters.h). */
#include "api/query_filters.h"

int query_filters(SqlWhere *w, Request *req, Response *res, const SqlFilter *filters) {
    for (const SqlFilter *f = filters; f->param; f++) {
        const char *value = http_query(req, f->param);
        if (!value) continue;
        int rc = sqlwhere_in_list(w, f->column, value);
        if (rc == -1) {
            http_error(res, 400, "InvalidParameterValue", "%s must not be empty", f->param);
            return -1;
        }
        if (rc == -2) {
            http_error(res, 400, "InvalidParameterValue", "%s lists more than %d values", f->param,
                       SQLWHERE_MAX_LIST);
            return -1;
        }
    }
    return 0;
}
