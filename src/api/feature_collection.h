/* feature_collection.h — the FeatureCollection envelope of an items, search
 * or nearest answer: numberMatched/numberReturned and the self/next/prev links
 * built from the request (OGC API - Features, /req/core/fc-links).  The
 * Features inside come from store/feature.h. */
#ifndef VETMAP_FEATURE_COLLECTION_H
#define VETMAP_FEATURE_COLLECTION_H

#include "base/buf.h"
#include "http/http.h"

/* Append a whole FeatureCollection answer for req:
 *   {"type":"FeatureCollection", <extra>"numberMatched":N,"numberReturned":M,
 *    "timeStamp":"...Z","links":[self, next?, prev?],"features":[<feats>]}
 * `extra` is pre-rendered members each followed by a comma (or NULL).  The
 * next/prev links (when limit > 0 and there is such a page) keep every query
 * parameter of the request but offset, which they set.  `feats` holds the
 * comma-separated Feature objects. */
void feature_write_collection(Request *req, Buf *out, const char *extra, long long offset, long long limit,
                               long long matched, long long returned, const Buf *feats);

#endif
