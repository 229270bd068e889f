/* collections.h — the OGC API collections and where their rows live.
 *
 * `institutions` is the institution table; `provinces`, `districts` and
 * `communes` are the admin units of the default layout with that
 * level_name (a layout without districts, such as Vietnam's 2025 one,
 * simply has an empty `districts`).  Shared by features, tiles and search. */
#ifndef VETMAP_COLLECTIONS_H
#define VETMAP_COLLECTIONS_H

#include <stddef.h>

typedef enum CollectionKind { COLLECTION_INSTITUTIONS, COLLECTION_ADMIN } CollectionKind;

typedef struct Collection {
    const char *id;           /* URL name: "institutions", "communes", ... */
    const char *title;        /* Vietnamese title */
    const char *description;
    CollectionKind kind;
    const char *level_name;   /* admin_unit.level_name, NULL for institutions */
    const char *geometry;     /* "Point" or "MultiPolygon" */
} Collection;

extern const Collection collections[];
extern const int collection_count;

/* The collection named id, or NULL. */
const Collection *collection_find(const char *id);

/* The values the institution table's CHECK constraints allow (store.c),
 * NULL-terminated. */
extern const char *const institution_kinds[];
extern const char *const institution_ownerships[];
extern const char *const institution_precisions[];

/* The allowed values of an enumerated query parameter ("kind", "ownership",
 * "location_precision": the same meaning on every endpoint), NULL for any
 * other name. */
const char *const *collection_param_values(const char *param);

/* Check each comma-separated item of `list` against `allowed`.  Returns 0,
 * or -1 with a message naming the parameter `name` in why (size n). */
int collection_check_values(const char *name, const char *list, const char *const *allowed, char *why, size_t n);

#endif
