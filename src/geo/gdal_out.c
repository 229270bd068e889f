/* gdal_out.c — GDAL output through memory (gdal_out.h). */
#include "geo/gdal_out.h"

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init(void) { GDALAllRegister(); }

static char *dup_msg(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 1;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s%s", a, b);
    return s;
}

char *gdalout_mem_path(char *out, size_t n, const char *ext) {
    static atomic_ulong counter;
    pthread_once(&once, init);
    snprintf(out, n, "/vsimem/vetmap-out-%lu.%s", (unsigned long)atomic_fetch_add(&counter, 1), ext);
    return out;
}

int gdalout_take(const char *mem_path, Buf *out, char **err) {
    vsi_l_offset len = 0;
    GByte *data = VSIGetMemFileBuffer(mem_path, &len, TRUE); /* takes it, unlinks the file */
    if (!data) {
        *err = dup_msg("GDAL wrote nothing to ", mem_path);
        return -1;
    }
    buf_append(out, data, (size_t)len);
    CPLFree(data);
    if (out->oom) {
        *err = dup_msg("out of memory", "");
        return -1;
    }
    return 0;
}

int gdalout_save(const char *mem_path, const char *path, char **err) {
    Buf b = BUF_INIT;
    if (gdalout_take(mem_path, &b, err) != 0) {
        buf_free(&b);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    int bad = !f || (b.len && fwrite(b.data, 1, b.len, f) != b.len);
    if (f && fclose(f) != 0) bad = 1;
    buf_free(&b);
    if (bad) *err = dup_msg("cannot write ", path);
    return bad ? -1 : 0;
}
