/* schema.h — the SQL of each schema step that store.c applies in order.
 *
 * Each array is a NULL-terminated list of statements run in one transaction;
 * the step's number is fixed in store.c's migration table.  A database that
 * has a step is never given it again, so a released step is never edited:
 * add a new one. */
#ifndef VETMAP_SCHEMA_H
#define VETMAP_SCHEMA_H

extern const char *const schema_auth[];      /* step 2: schema_auth.c */
extern const char *const schema_coverage[];  /* step 3: schema_coverage.c */

#endif
