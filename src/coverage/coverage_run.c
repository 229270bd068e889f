/* coverage_run.c — a coverage question answered (coverage_run.h). */
#include "coverage/coverage_run.h"
#include "base/strfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int covrun_check(const CovQuery *q, char **err) {
    *err = NULL;
    if (!(q->radius_km >= COVRUN_MIN_RADIUS_KM && q->radius_km <= COVRUN_MAX_RADIUS_KM)) {
        *err = strfmt("radius_km must be a number from %g to %g", COVRUN_MIN_RADIUS_KM, COVRUN_MAX_RADIUS_KM);
        return COVSTORE_EINVAL;
    }
    if (q->k < 0 || q->k > COV_MAX_SUGGEST) {
        *err = strfmt("k must be an integer from 1 to %d", COV_MAX_SUGGEST);
        return COVSTORE_EINVAL;
    }
    if (q->grid_km != 0 && !(q->grid_km >= COVRUN_MIN_GRID_KM && q->grid_km <= COVRUN_MAX_RADIUS_KM)) {
        *err = strfmt("grid_km must be a number from %g to %g", COVRUN_MIN_GRID_KM, COVRUN_MAX_RADIUS_KM);
        return COVSTORE_EINVAL;
    }
    if (q->n_add > COVRUN_MAX_WHATIF || q->n_remove > COVRUN_MAX_WHATIF) {
        *err = strfmt("at most %d sites may be added and %d removed", COVRUN_MAX_WHATIF, COVRUN_MAX_WHATIF);
        return COVSTORE_EINVAL;
    }
    for (size_t i = 0; i < q->n_add; i++) {
        const CovSite *s = &q->add[i];
        if (!isfinite(s->lon) || !isfinite(s->lat) || fabs(s->lon) > 180 || fabs(s->lat) > 90) {
            *err = strfmt("add[%zu]: lon must be -180..180 and lat -90..90", i);
            return COVSTORE_EINVAL;
        }
    }
    return covstore_check_filter(&q->filter, err);
}

/* Per-parent summaries, in parent-code order (the layer's list). */
static int summarize_parents(CovRun *run) {
    const CovLayer *L = run->layer;
    const CovModel *m = &L->model;
    if (!L->n_parents) return 0;
    run->parents = calloc(L->n_parents, sizeof *run->parents);
    size_t *idx = malloc((m->n_units ? m->n_units : 1) * sizeof *idx);
    if (!run->parents || !idx) {
        free(idx);
        return -1;
    }
    for (size_t p = 0; p < L->n_parents; p++) {
        size_t n = 0;
        for (size_t i = 0; i < m->n_units; i++)
            if (m->units[i].parent_code && !strcmp(m->units[i].parent_code, L->parents[p].code)) idx[n++] = i;
        run->parents[p].code = L->parents[p].code;
        run->parents[p].name = L->parents[p].name;
        cov_summarize(m, run->res, idx, n, &run->parents[p].s);
    }
    run->n_parents = L->n_parents;
    free(idx);
    return 0;
}

/* Apply the what-if changes to run->sites.  EINVAL for an unknown code. */
static int apply_whatif(sqlite3 *db, const CovLayer *L, const CovQuery *q, CovRun *run, char **err) {
    for (size_t i = 0; i < q->n_remove; i++)
        if (!q->remove[i] || !covstore_sites_remove(&run->sites, q->remove[i])) {
            *err = strfmt("remove: no institution '%s' among the sites of this query",
                           q->remove[i] ? q->remove[i] : "(null)");
            return COVSTORE_EINVAL;
        }
    for (size_t i = 0; i < q->n_add; i++) {
        CovSite s = q->add[i];
        char code[32];
        snprintf(code, sizeof code, "new-%zu", i + 1);
        if (!s.code || !*s.code) s.code = code;
        if (!s.name || !*s.name) s.name = s.code;
        s.unit = covstore_locate(db, L, s.lon, s.lat);
        if (covstore_sites_add(&run->sites, &s) != 0) return COVSTORE_EFAIL;
        run->n_added++;
    }
    return COVSTORE_OK;
}

int covrun_execute(sqlite3 *db, const CovLayer *L, const CovQuery *q, CovRun *run, char **err) {
    memset(run, 0, sizeof *run);
    *err = NULL;
    run->layer = L;
    int rc = covrun_check(q, err);
    if (rc != COVSTORE_OK) return rc;
    run->radius_m = q->radius_km * 1000.0;
    const CovModel *m = &L->model;
    rc = covstore_load_sites(db, L, &q->filter, &run->sites, err);
    if (rc != COVSTORE_OK) return rc;
    size_t nu = m->n_units ? m->n_units : 1;
    run->res = malloc(nu * sizeof *run->res);
    if (!run->res) return COVSTORE_EFAIL;

    run->whatif = q->n_add > 0 || q->n_remove > 0;
    if (run->whatif) {
        run->base_res = malloc(nu * sizeof *run->base_res);
        if (!run->base_res ||
            cov_evaluate(m, run->sites.sites, run->sites.n, run->radius_m, run->base_res, NULL) != 0)
            return COVSTORE_EFAIL;
        cov_summarize(m, run->base_res, NULL, 0, &run->baseline);
        run->base_sites = run->sites.n;
        rc = apply_whatif(db, L, q, run, err);
        if (rc != COVSTORE_OK) return rc;
    }
    if (cov_evaluate(m, run->sites.sites, run->sites.n, run->radius_m, run->res, NULL) != 0)
        return COVSTORE_EFAIL;
    cov_summarize(m, run->res, NULL, 0, &run->summary);
    if (summarize_parents(run) != 0) return COVSTORE_EFAIL;

    if (q->k > 0) {
        CovCandidate *cands = NULL;
        if (q->grid) {
            run->grid_km = q->grid_km > 0 ? q->grid_km : fmax(COVRUN_MIN_GRID_KM, q->radius_km / 2);
            run->n_candidates = cov_candidates_grid(m, run->grid_km * 1000.0, &cands);
        } else {
            run->n_candidates = cov_candidates_points(m, &cands);
        }
        run->sugg = malloc((size_t)q->k * sizeof *run->sugg);
        if (!run->sugg ||
            cov_suggest(m, run->sites.sites, run->sites.n, run->radius_m, cands, run->n_candidates, q->k,
                        run->sugg, &run->n_sugg) != 0) {
            free(cands);
            return COVSTORE_EFAIL;
        }
        free(cands);
    }
    return COVSTORE_OK;
}

void covrun_free(CovRun *run) {
    covstore_sites_free(&run->sites);
    free(run->res);
    free(run->base_res);
    free(run->parents);
    free(run->sugg);
    memset(run, 0, sizeof *run);
}
