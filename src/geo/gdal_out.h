/* gdal_out.h — files GDAL writes, made in memory first.
 *
 * GDAL's CSV driver will not overwrite a file and treats a name without
 * .csv as a directory to create, so writing straight to a user's path (or
 * to /dev/stdout) is unsafe.  The coverage tables and the derived layout
 * are written to a /vsimem/ file, then handed over as bytes: to a Buf, or to
 * a path through stdio (which also works for /dev/stdout and pipes). */
#ifndef VETMAP_GDAL_OUT_H
#define VETMAP_GDAL_OUT_H

#include "base/buf.h"

/* A fresh /vsimem/ path ending in `ext` ("csv", "xlsx", "geojson") into
 * out (n >= 96).  Registers GDAL's drivers on first use.  Returns out. */
char *gdalout_mem_path(char *out, size_t n, const char *ext);

/* Move the in-memory file's bytes to out (the file is deleted).
 * Returns 0, or -1 with *err (malloc'd). */
int gdalout_take(const char *mem_path, Buf *out, char **err);

/* Write the in-memory file's bytes to path (the file is deleted).
 * Returns 0, or -1 with *err. */
int gdalout_save(const char *mem_path, const char *path, char **err);

#endif
