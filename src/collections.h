/* collections.h — the OGC API collections and where their rows live.
 *
 * `institutions` is the institution table; `provinces`, `districts` and
 * `communes` are the admin units of the default layout with that
 * level_name (a layout without districts, such as Vietnam's 2025 one,
 * simply has an empty `districts`).  Shared by features, tiles and search. */
#ifndef VETMAP_COLLECTIONS_H
#define VETMAP_COLLECTIONS_H

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

#endif
