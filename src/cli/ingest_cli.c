/* ingest_cli.c — `vetmap ingest`: options, progress bar, summary on
 * stdout, JSON report and rejects CSV (the work is ingest_run, ingest.h). */
#include "cli/commands.h"
#include "base/config.h"
#include "ingest/ingest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out) {
    fputs("usage: vetmap ingest --db FILE [OPTIONS] SOURCE...\n"
          "\n"
          "Load institutions (default) or admin units from vector files GDAL reads (CSV,\n"
          "XLSX, GeoJSON, Shapefile, GeoPackage, KML, ...) into the vetmap database. Every\n"
          "row is validated; rows are upserted by code in ONE transaction, so a failed\n"
          "ingest leaves the database as it was, and re-running the same file changes\n"
          "nothing (\"0 inserted, 0 updated, N unchanged\"). Rows not in the file are kept.\n"
          "An existing institution changes only in the fields the file provides (a\n"
          "mapped or recognised column, or a mapping default): a field whose column is\n"
          "absent keeps its stored value, an empty cell empties it. Its location\n"
          "(point, precision, commune/district/province) is kept when the file has\n"
          "neither coordinates nor commune/district columns.\n"
          "\n"
          "options:\n"
          "  --db FILE               database (created with its schema when missing)\n"
          "  --collection NAME       institutions (default) or admin\n"
          "  --layout NAME           admin: the layout written (required, e.g. 2019, 2025);\n"
          "                          institutions: the layout whose units commune/district\n"
          "                          names are matched in (default: the default layout)\n"
          "  --level LEVEL           admin: province, district or commune (else the\n"
          "                          mapping's \"level\", else a level column 1/2/3)\n"
          "  --default-layout        admin: make this layout the default one (the first\n"
          "                          layout ingested is default anyway)\n"
          "  --mapping FILE          mapping JSON: which column is which field, value maps\n"
          "                          (kind cao_dang -> college ...), list separators,\n"
          "                          defaults; without it common column names are\n"
          "                          recognised (code/ma/id, name/ten/name_vi, lon/lng/x/\n"
          "                          kinh_do, lat/y/vi_do, kind/loai_hinh, ...). Format: src/ingest.h\n"
          "  --source-crs CRS        CRS of the coordinates (EPSG:N, WKT or PROJ string);\n"
          "                          default: the file's own (layer CRS, or a .prj beside\n"
          "                          a CSV/XLSX), else EPSG:4326. Transformed to EPSG:4326\n"
          "                          with PROJ's EPSG operations (VN-2000: EPSG:6960)\n"
          "  --encoding NAME         text encoding of the file: CP1258, TCVN3, VNI, CP1252,\n"
          "                          ... (default UTF-8; a file that is not valid UTF-8 is\n"
          "                          refused unless its encoding is given)\n"
          "  --report FILE.json      write the report as JSON, and the rejected rows (their\n"
          "                          columns + reject_reason) to FILE.rejects.csv\n"
          "  --strict                any rejected row fails the whole ingest\n"
          "  --dry-run               validate and count, write nothing\n"
          "  --prefer edits|file     where the file disagrees with an approved school edit\n"
          "                          (each case is reported as edit_conflict): keep the\n"
          "                          edit (default) or write the file's value\n"
          "  --config FILE           vetmap config JSON (region boxes)\n"
          "  -h, --help              this help\n"
          "\n"
          "Coordinates: decimal point or comma; empty, NaN, Inf and 0,0 mean missing; a\n"
          "lat/lon pair in each other's columns is swapped (with a warning) when only the\n"
          "swapped pair lies in the region. A row without coordinates is placed at its\n"
          "commune's (else district's) point on surface, else kept without geometry\n"
          "(location_precision unknown). A row with coordinates gets the commune,\n"
          "district and province that contain its point, for the levels it does not\n"
          "name (a named unit stays, with a warning when the point is outside it).\n"
          "Rows with a code used twice are all rejected.\n"
          "\n"
          "Exit status: 0 done (even with rejected rows, unless --strict), 1 failed\n"
          "(nothing written), 2 bad usage.\n",
          out);
}

/* Progress on a terminal: "[#####.....]  50%  50000/100000 rows". */
static void progress(void *ctx, long long done, long long total) {
    (void)ctx;
    if (total < 5000) return; /* small files finish before a bar helps */
    int width = 30, fill = (int)(done * width / total);
    if (fill > width) fill = width;
    fprintf(stderr, "\r[%.*s%.*s] %3d%% %lld/%lld rows", fill, "##############################",
            width - fill, "..............................", (int)(done * 100 / total), done, total);
    if (done >= total) fputc('\n', stderr);
    fflush(stderr);
}

/* "out/r.json" -> "out/r.rejects.csv". */
static char *rejects_path(const char *report) {
    size_t n = strlen(report);
    if (n > 5 && !strcmp(report + n - 5, ".json")) n -= 5;
    char *p = malloc(n + sizeof ".rejects.csv");
    if (p) {
        memcpy(p, report, n);
        strcpy(p + n, ".rejects.csv");
    }
    return p;
}

static int write_file(const char *path, const char *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, n, f);
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

/* 0 when path can be written (an existing writable file, or a new file in
 * a writable directory), else -1 with errno: checked before the ingest, so
 * an unwritable report fails with nothing written. */
static int writable(const char *path) {
    if (access(path, F_OK) == 0) return access(path, W_OK);
    const char *slash = strrchr(path, '/');
    if (!slash) return access(".", W_OK);
    if (slash == path) return access("/", W_OK);
    char *dir = strndup(path, (size_t)(slash - path));
    int rc = dir ? access(dir, W_OK | X_OK) : -1;
    free(dir);
    return rc;
}

/* Value of option argv[*i] ("--opt VALUE" or "--opt=VALUE"), or NULL when
 * argv[*i] is not `name`. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *missing) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n)) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n]) return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

int cmd_ingest(int argc, char **argv) {
    IngestOptions o = {0};
    const char *report_path = NULL, *collection = NULL, *config_path = NULL, *prefer = NULL;
    const char **sources = calloc((size_t)argc + 1, sizeof *sources);
    if (!sources) return 1;
    int missing = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            free(sources);
            return 0;
        }
        if ((v = opt_value(argc, argv, &i, "--db", &missing))) o.db_path = v;
        else if ((v = opt_value(argc, argv, &i, "--collection", &missing))) collection = v;
        else if ((v = opt_value(argc, argv, &i, "--layout", &missing))) o.layout = v;
        else if ((v = opt_value(argc, argv, &i, "--level", &missing))) o.level = v;
        else if ((v = opt_value(argc, argv, &i, "--mapping", &missing))) o.mapping_path = v;
        else if ((v = opt_value(argc, argv, &i, "--source-crs", &missing))) o.source_crs = v;
        else if ((v = opt_value(argc, argv, &i, "--encoding", &missing))) o.encoding = v;
        else if ((v = opt_value(argc, argv, &i, "--report", &missing))) report_path = v;
        else if ((v = opt_value(argc, argv, &i, "--config", &missing))) config_path = v;
        else if ((v = opt_value(argc, argv, &i, "--prefer", &missing))) prefer = v;
        else if (!strcmp(a, "--default-layout")) o.default_layout = 1;
        else if (!strcmp(a, "--strict")) o.strict = 1;
        else if (!strcmp(a, "--dry-run")) o.dry_run = 1;
        else if (a[0] == '-' && a[1] && !missing) {
            fprintf(stderr, "vetmap ingest: unknown option %s\n", a);
            missing = 2;
        } else if (!missing)
            sources[o.source_count++] = a;
        if (missing) {
            if (missing == 1) fprintf(stderr, "vetmap ingest: %s needs a value\n", a);
            fputs("`vetmap ingest --help` lists the options\n", stderr);
            free(sources);
            return 2;
        }
    }
    o.sources = sources;
    if (collection && strcmp(collection, "institutions") && strcmp(collection, "admin")) {
        fprintf(stderr, "vetmap ingest: --collection must be institutions or admin\n");
        free(sources);
        return 2;
    }
    o.collection = collection && !strcmp(collection, "admin") ? INGEST_ADMIN : INGEST_INSTITUTIONS;
    if (prefer && strcmp(prefer, "edits") && strcmp(prefer, "file")) {
        fprintf(stderr, "vetmap ingest: --prefer must be edits or file\n");
        free(sources);
        return 2;
    }
    o.prefer_file = prefer && !strcmp(prefer, "file");
    if (!o.db_path || !o.source_count) {
        fprintf(stderr, "vetmap ingest: %s\n`vetmap ingest --help` lists the options\n",
                !o.db_path ? "--db FILE is required" : "no SOURCE file given");
        free(sources);
        return 2;
    }
    Config cfg;
    config_defaults(&cfg);
    if (config_path) {
        char *err = NULL;
        if (config_load_file(&cfg, config_path, &err) != 0) {
            fprintf(stderr, "vetmap ingest: %s\n", err ? err : config_path);
            free(err);
            free(sources);
            return 2;
        }
    }
    o.config = &cfg;
    if (isatty(STDERR_FILENO)) {
        o.progress = progress;
        o.want_total = 1;
    }

    if (report_path) {
        char *rp = rejects_path(report_path);
        const char *bad = !rp ? NULL : writable(report_path) ? report_path : writable(rp) ? rp : NULL;
        if (!rp || bad) {
            fprintf(stderr, "vetmap ingest: cannot write %s: %s; nothing was written\n", bad ? bad : report_path,
                    rp ? strerror(errno) : "out of memory");
            free(rp);
            free(sources);
            return 1;
        }
        free(rp);
    }
    IngestReport r;
    int status = ingest_run(&o, &r);
    Buf text = BUF_INIT;
    ingest_report_text(&r, &text);
    if (text.data) fputs(text.data, status == 0 ? stdout : stderr);
    buf_free(&text);
    if (report_path && status != 2) {
        Buf json = BUF_INIT;
        ingest_report_json(&r, &json);
        buf_putc(&json, '\n');
        if (json.oom || write_file(report_path, json.data, json.len) != 0) {
            fprintf(stderr, "vetmap ingest: cannot write %s\n", report_path);
            if (!status) status = 1;
        }
        buf_free(&json);
        char *rp = rejects_path(report_path), *err = NULL;
        if (!rp || ingest_report_write_rejects(&r, rp, &err) != 0) {
            fprintf(stderr, "vetmap ingest: %s\n", err ? err : "out of memory");
            if (!status) status = 1;
        }
        free(err);
        free(rp);
    }
    ingest_report_free(&r);
    free(sources);
    return status;
}
