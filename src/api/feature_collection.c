/* feature_collection.c — FeatureCollection envelope (feature_collection.h). */
#include "api/feature_collection.h"
#include "store/feature.h"

/* "offset=N" after the other parameters. */
static void page_query(Buf *q, const Buf *rest, long long offset) {
    buf_reset(q);
    buf_printf(q, "%s%soffset=%lld", rest->len ? rest->data : "", rest->len ? "&" : "", offset);
}

void feature_write_collection(Request *req, Buf *out, const char *extra, long long offset, long long limit,
                              long long matched, long long returned, const Buf *feats) {
    static const char *const skip_offset[] = {"offset", NULL};
    static const char *const type = "application/geo+json";
    Buf base = BUF_INIT, self = BUF_INIT, rest = BUF_INIT, q = BUF_INIT;
    http_base_url(req, &base);
    http_query_string(req, &self, NULL);
    http_query_string(req, &rest, skip_offset);
    /* No timeStamp member (it is optional in OGC API - Features): the body
     * must be the same bytes for the same strong ETag. */
    buf_printf(out, "{\"type\":\"FeatureCollection\",%s\"numberMatched\":%lld,\"numberReturned\":%lld,"
                    "\"links\":[",
               extra ? extra : "", matched, returned);
    feature_write_link(out, base.data, req->path, self.data, "self", type, "This document");
    if (limit > 0 && offset + returned < matched) {
        page_query(&q, &rest, offset + limit);
        buf_putc(out, ',');
        feature_write_link(out, base.data, req->path, q.data, "next", type, "Next page");
    }
    if (limit > 0 && offset > 0) {
        page_query(&q, &rest, offset > limit ? offset - limit : 0);
        buf_putc(out, ',');
        feature_write_link(out, base.data, req->path, q.data, "prev", type, "Previous page");
    }
    buf_puts(out, "],\"features\":[");
    if (feats->len) buf_append(out, feats->data, feats->len);
    buf_puts(out, "]}\n");
    buf_free(&base);
    buf_free(&self);
    buf_free(&rest);
    buf_free(&q);
}
