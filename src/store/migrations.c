/* migrations.c — the order of the schema steps (migrations.h). */
#include "store/migrations.h"

const StoreMigration store_migrations[] = {
    {1, schema_core, "layouts, admin units, institutions, programs, search"},
    {2, schema_auth, "accounts, sessions, change requests, audit"},
    {3, schema_coverage, "coverage analysis"},
};
const int store_migration_count = (int)(sizeof store_migrations / sizeof store_migrations[0]);

int store_schema_version(void) { return store_migrations[store_migration_count - 1].version; }
