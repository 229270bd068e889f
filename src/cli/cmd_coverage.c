/* cmd_coverage.c — `vetmap coverage`: the coverage table, suggestions and
 * what the API gives, from the command line (coverage_run.h does the work,
 * coverage_report.h writes it), plus --prepare (store the samples) and
 * --check-exact (compare every unit with the exact polygon reference). */
#include "base/cliopt.h"
#include "cli/commands.h"
#include "coverage/coverage_grid.h"
#include "coverage/coverage_report.h"
#include "coverage/coverage_run.h"
#include "coverage/coverage_store.h"
#include "store/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *out) {
    fputs("usage: vetmap coverage --db FILE --radius-km R [OPTIONS]\n"
          "       vetmap coverage --db FILE --prepare [--layout NAME]\n"
          "\n"
          "Who lives within R km of a VET institution: per admin unit its population,\n"
          "nearest institution (geodesic km from the unit's seat, else its point on\n"
          "surface), the share of its area within R km of any institution and the\n"
          "population that share holds, institutions per 100,000 people; totals per\n"
          "layout and per parent unit. The same numbers as GET /api/coverage.\n"
          "\n"
          "options:\n"
          "  --db FILE             database (read only, except with --prepare)\n"
          "  --layout NAME         admin layout (default: the default layout)\n"
          "  --level LEVEL         commune, district or province (default: the finest\n"
          "                        level that has population)\n"
          "  --radius-km R         coverage radius, 0.1 to 500 km\n"
          "  --kind LIST           institution kinds, comma-separated: college,\n"
          "                        intermediate_school, vet_centre, other\n"
          "  --ownership LIST      public, private, foreign, unknown\n"
          "  --occupation TEXT     only institutions with a program of this occupation\n"
          "                        (its code, or words of its name)\n"
          "  --suggest K           also choose K new sites (1 to 100) greedily, each the\n"
          "                        one adding the most uncovered population (MCLP)\n"
          "  --candidates KIND     where new sites may go: points (each unit's population\n"
          "                        point, default) or grid\n"
          "  --grid-km G           grid spacing for --candidates grid (default R/2)\n"
          "  --format FMT          csv (default), xlsx or geojson. With --suggest, csv and\n"
          "                        geojson hold the suggestions, xlsx every sheet\n"
          "  --out FILE            output file (default: standard output)\n"
          "  --no-geometry         geojson: leave unit geometries out\n"
          "  --prepare             sample the units of --layout (default: every layout) on\n"
          "                        the equal-area grid and store the samples, so later\n"
          "                        runs and the server load them instead of sampling\n"
          "  --check-exact         compare each unit's covered share with an exact\n"
          "                        polygon intersection (GEOS, equal-area frame) and\n"
          "                        report the largest difference; exit 1 above 0.01\n"
          "  -h, --help            this help\n"
          "\n"
          "A one-line summary goes to standard error. Exit status: 0 done, 1 failed,\n"
          "2 bad usage or parameters.\n",
          out);
}

typedef struct Options {
    const char *db, *layout, *level, *radius, *kind, *ownership, *occupation, *suggest, *candidates, *grid_km,
        *format, *out;
    int prepare, check_exact, no_geometry, help;
} Options;

static int parse(int argc, char **argv, Options *o) {
    memset(o, 0, sizeof *o);
    struct {
        const char *name;
        const char **dst;
    } vals[] = {{"--db", &o->db},           {"--layout", &o->layout},       {"--level", &o->level},
                {"--radius-km", &o->radius}, {"--kind", &o->kind},           {"--ownership", &o->ownership},
                {"--occupation", &o->occupation}, {"--suggest", &o->suggest}, {"--candidates", &o->candidates},
                {"--grid-km", &o->grid_km},   {"--format", &o->format},       {"--out", &o->out}};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            o->help = 1;
            return 0;
        }
        if (!strcmp(argv[i], "--prepare")) {
            o->prepare = 1;
            continue;
        }
        if (!strcmp(argv[i], "--check-exact")) {
            o->check_exact = 1;
            continue;
        }
        if (!strcmp(argv[i], "--no-geometry")) {
            o->no_geometry = 1;
            continue;
        }
        int taken = 0;
        for (size_t k = 0; k < sizeof vals / sizeof vals[0] && !taken; k++) {
            int r = cliopt_take("vetmap coverage", argc, argv, &i, vals[k].name, vals[k].dst);
            if (r < 0) return -1;
            taken = r;
        }
        if (!taken) {
            fprintf(stderr, "vetmap coverage: unknown option '%s' (see --help)\n", argv[i]);
            return -1;
        }
    }
    return 0;
}

/* Strict number parsing: the whole string, finite. */
static int parse_num(const char *s, double *v) {
    char *end = NULL;
    *v = strtod(s, &end);
    return end != s && *end == 0 && isfinite(*v) ? 0 : -1;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int prepare(const Options *o) {
    char *err = NULL;
    sqlite3 *db = store_open(o->db, 0, &err);
    if (!db) {
        fprintf(stderr, "vetmap coverage: %s\n", err ? err : "cannot open the database");
        free(err);
        return 1;
    }
    double t0 = now_s();
    int rc = covstore_prepare(db, o->layout, stderr, &err);
    if (rc != 0) fprintf(stderr, "vetmap coverage: %s\n", err ? err : "prepare failed");
    else fprintf(stderr, "coverage: samples stored in %.2f s\n", now_s() - t0);
    free(err);
    store_close(db);
    return rc ? 1 : 0;
}

/* Every unit against the exact reference; returns the largest difference. */
static double check_exact(const CovLayer *L, const CovRun *run, sqlite3 *db, int *failed) {
    char *err = NULL;
    CovGrid *g = cov_grid_new(0.5 * (L->bbox[0] + L->bbox[2]), 0.5 * (L->bbox[1] + L->bbox[3]), &err);
    sqlite3_stmt *st = NULL;
    double worst = 0;
    *failed = 0;
    if (!g || sqlite3_prepare_v2(db, "SELECT AsBinary(geom) FROM admin_unit WHERE id = ?1", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "vetmap coverage: %s\n", err ? err : sqlite3_errmsg(db));
        free(err);
        cov_grid_free(g);
        *failed = 1;
        return NAN;
    }
    CovSite *near = malloc((run->sites.n ? run->sites.n : 1) * sizeof *near);
    for (size_t i = 0; near && i < L->model.n_units; i++) {
        const CovUnit *u = &L->model.units[i];
        size_t n = 0; /* only sites that can reach the unit: GEOS then unions few circles */
        for (size_t s = 0; s < run->sites.n; s++)
            if (cov_geodesic_m(u->c_lon, u->c_lat, run->sites.sites[s].lon, run->sites.sites[s].lat) <=
                run->radius_m + u->rho_m + 1000)
                near[n++] = run->sites.sites[s];
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, L->unit_ids[i]);
        double exact = NAN;
        if (sqlite3_step(st) != SQLITE_ROW ||
            cov_grid_exact_share(g, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), near, n,
                                 run->radius_m, &exact, &err) != 0) {
            fprintf(stderr, "vetmap coverage: unit %s: %s\n", u->code, err ? err : "no geometry");
            free(err);
            err = NULL;
            *failed = 1;
            continue;
        }
        double d = fabs(exact - run->res[i].covered_share);
        printf("%s\t%s\t%.5f\t%.5f\t%.5f\n", u->code, u->name ? u->name : "", run->res[i].covered_share, exact, d);
        if (d > worst) worst = d;
    }
    free(near);
    sqlite3_finalize(st);
    cov_grid_free(g);
    return worst;
}

static void summary_line(const CovRun *run, double radius_km, double t_load, double t_run) {
    const CovSummary *s = &run->summary;
    fprintf(stderr,
            "coverage: layout %s (%s, %zu units), R = %g km, %zu institutions: %.0f of %.0f people covered "
            "(%.2f %%), population-weighted mean distance %.3f km, worst %.3f km (%s), %zu units without an "
            "institution within R; load %.3f s, compute %.3f s\n",
            run->layer->layout, run->layer->level, s->units, radius_km, run->sites.n, s->covered_population,
            s->population, 100 * s->covered_share, s->mean_distance_m / 1000, s->worst_distance_m / 1000,
            s->worst_unit >= 0 ? run->layer->model.units[s->worst_unit].code : "-", s->units_without, t_load,
            t_run);
    for (int j = 0; j < run->n_sugg; j++)
        fprintf(stderr, "coverage: suggestion %d at %.6f,%.6f (%s): +%.0f people\n", j + 1, run->sugg[j].lon,
                run->sugg[j].lat, run->sugg[j].unit >= 0 ? run->layer->model.units[run->sugg[j].unit].code : "-",
                run->sugg[j].gain_pop);
}

/* Write buf to --out or stdout. */
static int emit(const Options *o, const Buf *b) {
    FILE *f = o->out ? fopen(o->out, "wb") : stdout;
    if (!f) {
        perror(o->out);
        return 1;
    }
    size_t n = b->len ? fwrite(b->data, 1, b->len, f) : 0;
    int bad = n != b->len;
    if (o->out) bad |= fclose(f) != 0;
    else bad |= fflush(f) != 0;
    if (bad) fprintf(stderr, "vetmap coverage: cannot write %s\n", o->out ? o->out : "standard output");
    return bad;
}

int cmd_coverage(int argc, char **argv) {
    Options o;
    if (parse(argc, argv, &o) != 0) return 2;
    if (o.help) {
        usage(stdout);
        return 0;
    }
    if (!o.db) {
        fprintf(stderr, "vetmap coverage: --db is required (see --help)\n");
        return 2;
    }
    if (o.prepare) return prepare(&o);

    CovQuery q = {0};
    q.filter = (CovFilter){o.kind, o.ownership, o.occupation};
    double v;
    if (!o.radius || parse_num(o.radius, &q.radius_km) != 0) {
        fprintf(stderr, "vetmap coverage: --radius-km needs a number of km (see --help)\n");
        return 2;
    }
    if (o.suggest && (parse_num(o.suggest, &v) != 0 || v != floor(v) || v < 1 || v > COV_MAX_SUGGEST)) {
        fprintf(stderr, "vetmap coverage: --suggest must be an integer from 1 to %d\n", COV_MAX_SUGGEST);
        return 2;
    }
    q.k = o.suggest ? (int)v : 0;
    if (o.candidates && strcmp(o.candidates, "points") && strcmp(o.candidates, "grid")) {
        fprintf(stderr, "vetmap coverage: --candidates must be points or grid\n");
        return 2;
    }
    q.grid = o.candidates && !strcmp(o.candidates, "grid");
    if (o.grid_km && parse_num(o.grid_km, &q.grid_km) != 0) {
        fprintf(stderr, "vetmap coverage: --grid-km needs a number\n");
        return 2;
    }
    const char *format = o.format ? o.format : "csv";
    if (strcmp(format, "csv") && strcmp(format, "xlsx") && strcmp(format, "geojson")) {
        fprintf(stderr, "vetmap coverage: --format must be csv, xlsx or geojson\n");
        return 2;
    }
    char *err = NULL;
    if (covrun_check(&q, &err) != COVSTORE_OK) {
        fprintf(stderr, "vetmap coverage: %s\n", err);
        free(err);
        return 2;
    }

    double t0 = now_s();
    sqlite3 *db = store_open(o.db, STORE_READONLY, &err);
    if (!db) {
        fprintf(stderr, "vetmap coverage: %s\n", err ? err : "cannot open the database");
        free(err);
        return 1;
    }
    char deflayout[64];
    const char *layout = o.layout ? o.layout : store_default_layout(db, deflayout, sizeof deflayout);
    if (!layout) {
        fprintf(stderr, "vetmap coverage: the database has no admin layout yet\n");
        store_close(db);
        return 1;
    }
    CovLayer *L = NULL;
    int rc = covstore_load_layer(db, layout, o.level, &L, &err);
    if (rc != COVSTORE_OK) {
        fprintf(stderr, "vetmap coverage: %s\n", err ? err : "cannot load the layout");
        free(err);
        store_close(db);
        return rc == COVSTORE_EINVAL ? 2 : 1;
    }
    if (L->from_table < L->model.n_units)
        fprintf(stderr, "coverage: %zu of %zu units sampled now (run `vetmap coverage --prepare` to store them)\n",
                L->model.n_units - L->from_table, L->model.n_units);
    double t1 = now_s();
    CovRun run;
    rc = covrun_execute(db, L, &q, &run, &err);
    double t2 = now_s();
    int status = 0;
    if (rc != COVSTORE_OK) {
        fprintf(stderr, "vetmap coverage: %s\n", err ? err : "coverage failed");
        status = rc == COVSTORE_EINVAL ? 2 : 1;
    } else {
        summary_line(&run, q.radius_km, t1 - t0, t2 - t1);
        Buf b = BUF_INIT;
        CovTable table = q.k ? COVTABLE_SUGGESTIONS : COVTABLE_UNITS;
        if (o.check_exact) {
            int failed = 0;
            printf("code\tname\tsampled_share\texact_share\tdifference\n");
            double worst = check_exact(L, &run, db, &failed);
            fprintf(stderr, "coverage: largest |sampled - exact| covered share over %zu units: %.5f\n",
                    L->model.n_units, worst);
            status = failed || !(worst <= 0.01);
        } else if (!strcmp(format, "geojson")) {
            if (q.k) covreport_suggest_geojson(&b, &run, &q);
            else if (covreport_geojson(&b, db, &run, &q, !o.no_geometry, &err) != 0) status = 1;
        } else if (covreport_table(&b, !strcmp(format, "csv") ? "CSV" : "XLSX",
                                   !strcmp(format, "csv") ? table : COVTABLE_WORKBOOK, &run, &q, &err) != 0) {
            status = 1;
        }
        if (status == 1 && err) fprintf(stderr, "vetmap coverage: %s\n", err);
        if (!status && b.len) status = emit(&o, &b);
        buf_free(&b);
    }
    covrun_free(&run);
    free(err);
    covstore_layer_free(L);
    store_close(db);
    return status;
}
