/* coverage_run.h — one coverage question, start to finish, for the API and
 * the CLI alike (so both give the same numbers).
 *
 * A query names the radius, the institution filter, optional what-if changes
 * (hypothetical sites added, institutions removed: nothing is written) and an
 * optional suggestion of k new sites; covrun_execute() loads the sites,
 * evaluates coverage (coverage.h), summarises per layout and per parent unit,
 * and runs the suggestion.  Output lives in coverage_report.h. */
#ifndef VETMAP_COVERAGE_RUN_H
#define VETMAP_COVERAGE_RUN_H

#include "coverage/coverage.h"
#include "coverage/coverage_store.h"

#include <sqlite3.h>

/* Limits of the parameters (the API answers 400 outside them). */
#define COVRUN_MIN_RADIUS_KM 0.1
#define COVRUN_MAX_RADIUS_KM (COV_MAX_RADIUS_M / 1000.0)
#define COVRUN_MAX_WHATIF 100   /* hypothetical sites added or removed per request */
#define COVRUN_MIN_GRID_KM 0.5

typedef struct CovQuery {
    double radius_km;        /* COVRUN_MIN_RADIUS_KM .. COVRUN_MAX_RADIUS_KM */
    CovFilter filter;
    const CovSite *add;      /* hypothetical sites (code/name may be NULL) */
    size_t n_add;
    const char *const *remove; /* institution codes left out */
    size_t n_remove;
    int k;                   /* suggestions wanted, 0 = none, else 1..COV_MAX_SUGGEST */
    int grid;                /* candidates: 0 = unit population points, 1 = a grid */
    double grid_km;          /* grid spacing; 0 = radius / 2 (at least COVRUN_MIN_GRID_KM) */
} CovQuery;

typedef struct CovParentSummary {
    const char *code, *name; /* borrowed from the layer */
    CovSummary s;
} CovParentSummary;

typedef struct CovRun {
    const CovLayer *layer;   /* borrowed: the caller keeps it alive */
    double radius_m;
    CovSiteList sites;       /* the sites evaluated (after what-if) */
    size_t n_added;          /* what-if: the last n_added sites are hypothetical */
    CovUnitResult *res;      /* per unit */
    CovSummary summary;
    CovParentSummary *parents;
    size_t n_parents;
    int whatif;              /* 1 when add/remove were given */
    CovUnitResult *base_res; /* what-if: the unchanged network's results */
    CovSummary baseline;
    size_t base_sites;
    CovSuggestion *sugg;     /* suggestions, in order */
    int n_sugg;
    size_t n_candidates;
    double grid_km;          /* grid spacing used (grid candidates) */
} CovRun;

/* Check the query's parameters.  Returns COVSTORE_OK or COVSTORE_EINVAL with
 * *err (malloc'd) naming the bad one. */
int covrun_check(const CovQuery *q, char **err);

/* Answer q on layer L (db is a connection to the layer's store, used to
 * read institutions and locate hypothetical sites).  Returns COVSTORE_OK,
 * COVSTORE_EINVAL (bad query: *err says why) or COVSTORE_EFAIL. */
int covrun_execute(sqlite3 *db, const CovLayer *L, const CovQuery *q, CovRun *run, char **err);
void covrun_free(CovRun *run);

#endif
