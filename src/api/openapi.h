/* openapi.h — the OpenAPI 3.0 definition of every HTTP endpoint vetmap serves
 * (OGC API – Features, search, nearest, tiles, health, config).  Built with
 * cJSON from tables, so the document is always valid JSON.  When a route or
 * parameter is added anywhere, describe it here too (tests/api check that
 * every served path is listed). */
#ifndef VETMAP_OPENAPI_H
#define VETMAP_OPENAPI_H

#include "base/buf.h"

/* Append the document to out; base_url (e.g. "http://127.0.0.1:8080") is
 * the server URL.  Returns 0, or -1 on allocation failure. */
int openapi_write(Buf *out, const char *base_url);

#endif
