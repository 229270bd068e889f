/* coverage_grid.h — equal-area sample points of admin-unit polygons, and the
 * exact polygon reference they are checked against.
 *
 * The frame is a Lambert Azimuthal Equal-Area projection on WGS84 centred on
 * the layout (Snyder, "Map Projections — A Working Manual", USGS PP 1395,
 * 1987, pp. 182-190; PROJ's `laea`).  Why LAEA: it is equal-area (so every
 * grid cell stands for the same ground area, which is what makes "share of
 * samples" an area share), and centred on the layout its shape distortion
 * stays small over a whole country (about 0.2 % at 800 km from the centre),
 * so a square grid stays nearly square on the ground; UTM/VN-2000 zones are
 * conformal, not equal-area, and EPSG:6933 (global cylindrical equal-area)
 * stretches cells by ~15 % at Vietnam's latitudes.
 *
 * A unit's samples are the centres of the grid cells (spacing h, aligned to
 * multiples of h in the frame) that fall inside its polygon, found by
 * scanline (even-odd rule, so holes and multi-part units work).  h is chosen
 * per unit so it gets about `target` samples (never finer than
 * COV_GRID_MIN_SPACING_M).
 *
 * Not thread-safe: one CovGrid per thread (it owns OGR transformations). */
#ifndef VETMAP_COVERAGE_GRID_H
#define VETMAP_COVERAGE_GRID_H

#include "coverage/coverage.h"

#include <stddef.h>

/* Samples per unit aimed at (a unit of 31 km², the national average, then
 * gets a 174 m grid).  With it the covered share of every unit of the tests
 * stays within one percentage point of the exact reference. */
#define COV_GRID_TARGET 1024
/* Finest grid spacing, metres: below it a unit is represented by fewer
 * samples rather than by millions. */
#define COV_GRID_MIN_SPACING_M 20.0

typedef struct CovGrid CovGrid;

/* A frame centred at (lon0, lat0) degrees.  NULL with *err (malloc'd) when
 * PROJ cannot build it. */
CovGrid *cov_grid_new(double lon0, double lat0, char **err);
void cov_grid_free(CovGrid *g);
/* The frame's PROJ definition (for reports). */
const char *cov_grid_crs(const CovGrid *g);

/* Sample a (multi)polygon given as ISO WKB in lon/lat degrees (EPSG:4326,
 * as SpatiaLite's AsBinary returns).  target >= 1.  On success returns 0,
 * *xy = malloc'd lon,lat pairs (NULL when none fell inside: a sliver
 * smaller than a cell), *n their count, *area_km2 the polygon's area in the
 * equal-area frame and *spacing_m the grid spacing used.  Returns -1 with
 * *err (malloc'd) for WKB that is not a polygon or cannot be projected. */
int cov_grid_sample(CovGrid *g, const unsigned char *wkb, size_t wkb_len, int target, double **xy,
                    size_t *n, double *area_km2, double *spacing_m, char **err);

/* The exact reference for one unit: the share of the polygon's area (WKB as
 * above) within radius_m of any of the sites, computed with polygons in the
 * equal-area frame: each site's geodesic circle (720 vertices from PROJ's
 * geod_direct; the inscribed polygon loses 1.3e-5 of the area), their union
 * and its intersection with the unit (GEOS, through OGR).  Slow: for tests
 * and `vetmap coverage --check-exact`.  Returns 0 and *share, or -1 with
 * *err. */
int cov_grid_exact_share(CovGrid *g, const unsigned char *wkb, size_t wkb_len, const CovSite *sites,
                         size_t n_sites, double radius_m, double *share, char **err);

#endif
