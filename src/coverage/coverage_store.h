/* coverage_store.h — coverage inputs from the SpatiaLite store.
 *
 * A CovLayer is one layout's units at one level, sampled (coverage_grid.h)
 * with their population (admin_unit.population, else coverage_population:
 * schema_coverage.c)
 * and ready for coverage.h, plus which unit holds each institution.  It is
 * loaded from the store (samples from coverage_sample when they still match
 * their unit, else computed now) and, in the server, shared between requests
 * through a small cache keyed on (layout, level, data_version): a layer is
 * immutable once built, so any number of requests read it at once.
 * Sites are the institutions with a location, filtered by kind, ownership
 * and occupation (a program whose occupation code equals it, or whose name
 * contains it after Vietnamese folding). */
#ifndef VETMAP_COVERAGE_STORE_H
#define VETMAP_COVERAGE_STORE_H

#include "coverage/coverage.h"

#include <sqlite3.h>
#include <stdio.h>

/* Return codes: errors the caller reports as 400 vs internal failures. */
enum { COVSTORE_OK = 0, COVSTORE_EFAIL = -1, COVSTORE_EINVAL = -2 };

typedef struct CovParent {
    char *code, *name;       /* name NULL when the parent is not in the layout */
} CovParent;

typedef struct CovLayer {
    char layout[64];
    char level[16];          /* "commune" | "district" | "province" */
    long long data_version;
    CovModel model;
    long long *unit_ids;     /* admin_unit.id of each model unit */
    long long *id_index;     /* (id, unit index) pairs sorted by id */
    char frame[160];         /* the equal-area frame's PROJ definition */
    size_t from_table;       /* units whose samples came from coverage_sample */
    double bbox[4];          /* w, s, e, n of the units (degrees) */
    long long *inst_ids;     /* institution.id, ascending ... */
    long *inst_unit;         /* ... and the unit holding it (-1 none) */
    size_t n_inst;
    CovParent *parents;      /* distinct parent codes, ascending */
    size_t n_parents;
    int refs;                /* cache bookkeeping (coverage_store.c) */
    struct CovLayer *next;
} CovLayer;

/* Load layout's units at `level` (NULL: the finest level that has
 * population, else the finest level present).  Returns COVSTORE_OK and
 * *out, COVSTORE_EINVAL with *err for an unknown layout / level, or
 * COVSTORE_EFAIL with *err.  *err is malloc'd. */
int covstore_load_layer(sqlite3 *db, const char *layout, const char *level, CovLayer **out, char **err);
void covstore_layer_free(CovLayer *L);

/* The server's shared copy: like covstore_load_layer, but returns the cached
 * layer when one of the same data_version exists.  Release it after use.
 * Thread-safe. */
int covstore_layer_get(sqlite3 *db, long long data_version, const char *layout, const char *level,
                       CovLayer **out, char **err);
void covstore_layer_release(CovLayer *L);

/* Index of the unit holding (lon, lat) (point-in-polygon through the R*Tree
 * and SpatiaLite's ST_Intersects; the lowest code wins on a shared edge),
 * or -1. */
long covstore_locate(sqlite3 *db, const CovLayer *L, double lon, double lat);

/* Which institutions count. Comma-separated lists; NULL = any. */
typedef struct CovFilter {
    const char *kind;        /* college,intermediate_school,vet_centre,other */
    const char *ownership;   /* public,private,foreign,unknown */
    const char *occupation;  /* occupation code, or words of its name */
} CovFilter;

/* Check a filter's values.  Returns 0, or COVSTORE_EINVAL with *err. */
int covstore_check_filter(const CovFilter *f, char **err);

/* Sites with owned strings. */
typedef struct CovSiteList {
    CovSite *sites;
    size_t n, cap;
    size_t without_location; /* matching institutions that have no coordinates */
} CovSiteList;

/* The institutions matching f, ordered by code, each with its unit.
 * Returns COVSTORE_OK, COVSTORE_EINVAL (bad filter) or COVSTORE_EFAIL. */
int covstore_load_sites(sqlite3 *db, const CovLayer *L, const CovFilter *f, CovSiteList *out, char **err);
/* Append a copy of s (strings copied).  Returns 0 or -1 (memory). */
int covstore_sites_add(CovSiteList *l, const CovSite *s);
/* Remove the site with this code; returns 1 when one was removed. */
int covstore_sites_remove(CovSiteList *l, const char *code);
void covstore_sites_free(CovSiteList *l);

/* Sample every unit of `layout` (NULL: every layout) and store the samples
 * in coverage_sample, in one transaction; db must be writable.  Progress
 * lines go to `log` (may be NULL).  Returns 0, or -1 with *err. */
int covstore_prepare(sqlite3 *db, const char *layout, FILE *log, char **err);

/* Name of parent `code` in the layer, or NULL. */
const char *covstore_parent_name(const CovLayer *L, const char *code);

#endif
