/* coverage.h — network coverage of admin units by institutions: the computation.
 *
 * Pure (no database, no I/O): the caller builds a CovModel (a layout's units,
 * each with its population, population point and area samples) and a list of
 * sites (institutions, real or hypothetical), and asks for the measures.
 *
 * Distances are geodesic on the WGS84 ellipsoid, computed by PROJ's
 * geod_inverse() (<geodesic.h>, C. F. F. Karney, "Algorithms for geodesics",
 * J. Geodesy 87 (2013) 43-55); WGS84 a = 6378137 m, 1/f = 298.257223563
 * (EPSG:7030).
 *
 * Areas: each unit carries sample points on a square grid of an equal-area
 * projection (coverage_grid.h builds them: every sample stands for the same
 * ground area), so "the share of the unit's area within R km of any site"
 * is the fraction of its samples within R km.  Why samples and not exact
 * buffer/union/intersection per request: GEOS takes ~6.5 ms per unit for it
 * (`vetmap coverage --check-exact` on Bắc Giang's 230 communes), over a
 * minute for a national layout of ~10,600 units, while the samples answer in
 * well under a second and stay within one percentage point of that exact
 * answer (tests/unit; Bắc Giang: at most 0.74 points).  Units are evaluated
 * on two threads (this machine's cores).
 *
 * Speed (all exact in the end, the shortcuts are bounds):
 *  - sites are bucketed in a lon/lat grid; a query box for radius r is
 *    conservative: latitude moves at most r / 110574.3 m per degree (the
 *    meridian degree is shortest at the equator: a(1-e^2) * pi/180), longitude
 *    at most r / (111319.5 m * cos(max |lat|)) (a parallel degree is at least
 *    a * cos(lat) * pi/180);
 *  - per (unit, site) the triangle inequality on the geodesic metric decides
 *    "all samples within R" / "none within R" from the unit's centre and the
 *    radius enclosing its samples; only mixed units test samples one by one;
 *  - a sample is tested with the Gauss mid-latitude distance (the plane
 *    tangent at the mid-latitude, with the WGS84 radii of curvature M and N
 *    there), whose relative error stays below cov_approx_eps(); samples
 *    inside that band around R are decided by geod_inverse itself, so every
 *    decision equals the geodesic one (tests/unit checks both claims). */
#ifndef VETMAP_COVERAGE_H
#define VETMAP_COVERAGE_H

#include <stddef.h>

/* Largest coverage radius accepted (metres): beyond it the mid-latitude
 * bound above is not established and the planning question is moot. */
#define COV_MAX_RADIUS_M 500000.0
/* Most suggestions one request may ask for. */
#define COV_MAX_SUGGEST 100

/* One site: an institution, or a hypothetical one (what-if, suggestion). */
typedef struct CovSite {
    const char *code, *name, *kind, *ownership;  /* borrowed, may be NULL */
    double lon, lat;                             /* degrees, finite */
    long unit;   /* index of the unit holding it (caller's point-in-polygon), -1 none */
} CovSite;

/* What the caller gives for one unit; strings are copied. */
typedef struct CovUnitSpec {
    const char *code, *name, *parent_code;
    double population;       /* people; < 0 when unknown */
    int population_year;     /* 0 when unknown */
    double area_km2;         /* geodesic/equal-area area */
    double pop_lon, pop_lat; /* population point: the seat, else point-on-surface */
    int pop_is_seat;         /* 1 seat, 0 point-on-surface */
    int approximate;         /* geometry built approximately (admin_unit.approximate) */
} CovUnitSpec;

typedef struct CovUnit {
    char *code, *name, *parent_code;
    double population;
    int population_year;
    double area_km2;
    double pop_lon, pop_lat;
    int pop_is_seat, approximate;
    size_t first, count;     /* its samples: model->xy[2*first .. 2*(first+count)) */
    double c_lon, c_lat;     /* centre of its sample box (cov_model_finish) */
    double rho_m;            /* every sample is within rho_m of the centre (upper bound) */
} CovUnit;

/* A layout's units and their samples.  Immutable after cov_model_finish(), so
 * any number of threads may evaluate against one model at once. */
typedef struct CovModel {
    CovUnit *units;
    size_t n_units, cap_units;
    double *xy;              /* sample lon,lat pairs (degrees) */
    size_t n_samples, cap_samples;
    int finished;
} CovModel;

/* Geodesic distance in metres between two lon/lat points (degrees) on WGS84,
 * by geod_inverse.  NaN for non-finite input. */
double cov_geodesic_m(double lon1, double lat1, double lon2, double lat2);

/* Gauss mid-latitude approximation of the same distance (metres): the
 * distance in the plane tangent at the mid-latitude with the WGS84 meridian
 * (M) and prime-vertical (N) radii of curvature there.  Exposed for the test
 * of its error bound. */
double cov_approx_m(double lon1, double lat1, double lon2, double lat2);
/* An upper bound on |approx/geodesic - 1| for distances up to d_m from a
 * point at latitude lat (degrees): 0.1 (d/a)^2 / cos^2(phi_max), phi_max the
 * largest latitude reachable, plus 1e-6 for rounding.  The error of the mid-latitude formula grows
 * as (d/a)^2 tan^2(phi); the constant is 2.5 times the worst error measured
 * over 0..85 degrees and 10..500 km (tests/unit re-measures it). */
double cov_approx_eps(double lat, double d_m);

void cov_model_init(CovModel *m);
/* Add a unit with its n samples (lon,lat pairs in degrees; n may be 0, in
 * which case the population point stands for the whole unit).  Returns the
 * unit's index, or -1 on allocation failure / non-finite numbers. */
long cov_model_add(CovModel *m, const CovUnitSpec *spec, const double *xy, size_t n);
/* Compute each unit's sample centre and enclosing radius.  Call once after
 * the last cov_model_add.  Returns 0, -1 on allocation failure. */
int cov_model_finish(CovModel *m);
void cov_model_free(CovModel *m);

/* Per-unit measures. */
typedef struct CovUnitResult {
    long nearest;            /* index into sites of the nearest one, -1 when none */
    double nearest_m;        /* geodesic metres from the population point; NaN when none */
    double covered_share;    /* 0..1: share of the unit's area within R of a site */
    double covered_pop;      /* covered_share * population (0 when unknown) */
    int sites_in_unit;       /* sites whose `unit` is this unit */
    int within_radius;       /* 1 when the population point is within R of a site */
} CovUnitResult;

/* Evaluate coverage for radius_m (metres, 0 < radius_m <= COV_MAX_RADIUS_M).
 * out has m->n_units entries.  sample_covered, when not NULL, has
 * m->n_samples bytes and gets 1 for each covered sample (the suggestion
 * starts from it).  Ties between equally near sites go to the lower index
 * (callers sort sites by code).  Returns 0, or -1 on bad arguments or
 * allocation failure. */
int cov_evaluate(const CovModel *m, const CovSite *sites, size_t n_sites, double radius_m,
                 CovUnitResult *out, unsigned char *sample_covered);

/* Aggregates over a set of units. */
typedef struct CovSummary {
    size_t units;                /* units in the set */
    size_t units_with_population;
    size_t units_without;        /* population point farther than R from every site */
    double population;           /* sum over units with known population */
    double covered_population;
    double covered_share;        /* covered_population / population; NaN when 0 people */
    double mean_distance_m;      /* population-weighted mean of nearest_m; NaN when undefined */
    double worst_distance_m;     /* max nearest_m; NaN when no site */
    long worst_unit;             /* index of that unit, -1 */
    size_t sites_in_units;       /* sum of sites_in_unit */
} CovSummary;

/* Summarise units idx[0..n) (or all units when idx is NULL, n ignored). */
void cov_summarize(const CovModel *m, const CovUnitResult *res, const size_t *idx, size_t n,
                   CovSummary *out);

/* A candidate location for a new site. */
typedef struct CovCandidate {
    double lon, lat;
    long unit;               /* unit it lies in (population point candidates), -1 unknown */
} CovCandidate;

/* One unit's population point per unit with known population (n_units at
 * most).  Returns the count, *out malloc'd (NULL when 0). */
size_t cov_candidates_points(const CovModel *m, CovCandidate **out);
/* A grid of candidates: the layout's samples binned in square cells of
 * spacing_m (mid-latitude metres), keeping per cell the sample nearest the
 * cell centre, so every candidate lies inside some unit.  spacing_m >= 100.
 * Returns the count, *out malloc'd. */
size_t cov_candidates_grid(const CovModel *m, double spacing_m, CovCandidate **out);

typedef struct CovSuggestion {
    size_t candidate;        /* index into the candidate list */
    double lon, lat;
    long unit;
    double gain_pop;         /* people newly covered by this site, after the earlier ones */
} CovSuggestion;

/* Maximal covering location problem, greedy (Church & ReVelle 1974; the
 * greedy choice is within 1 - 1/e of the optimum because coverage is
 * submodular, Nemhauser, Wolsey & Fisher 1978): choose up to k candidates,
 * one at a time, each covering the most population not yet within radius_m
 * of an existing site or an earlier choice.  Demand is the samples, each
 * carrying population / count of its unit.  Lazy evaluation (a gain can only
 * fall as choices are made) keeps it fast.  Stops early when no candidate
 * adds anyone.  out has room for k; *n_out gets the number chosen.
 * Returns 0, or -1 on bad arguments / allocation failure. */
int cov_suggest(const CovModel *m, const CovSite *sites, size_t n_sites, double radius_m,
                const CovCandidate *cands, size_t n_cands, int k, CovSuggestion *out, int *n_out);

#endif
