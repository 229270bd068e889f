/* migrations.h — the schema steps, in order, and the SQL of each.
 *
 * PRAGMA user_version N means steps 1..N are applied.  store_open applies
 * the missing ones, each in its own transaction.  Each concern keeps its
 * tables in its own file (schema_<concern>.c, a NULL-terminated list of
 * statements) and one line in migrations.c, the only place that fixes the
 * order: adding a concern is a new file and a new last line.  A database
 * that has a step is never given it again, so a released step is never
 * edited: add a new one. */
#ifndef VETMAP_MIGRATIONS_H
#define VETMAP_MIGRATIONS_H

typedef struct StoreMigration {
    int version;                     /* 1, 2, ... without gaps */
    const char *const *statements;   /* NULL-terminated */
    const char *concern;             /* what the step adds, for messages */
} StoreMigration;

extern const StoreMigration store_migrations[];
extern const int store_migration_count;

/* The version of the last step: a database above it is newer than this vetmap. */
int store_schema_version(void);

extern const char *const schema_core[];      /* step 1: schema_core.c */
extern const char *const schema_auth[];      /* step 2: schema_auth.c */
extern const char *const schema_coverage[];  /* step 3: schema_coverage.c */

#endif
