/* collections.c — the fixed list of OGC API collections (collections.h). */
#include "store/collections.h"

#include <stdio.h>
#include <string.h>

const Collection collections[] = {
    {"institutions", "Cơ sở giáo dục nghề nghiệp",
     "Vocational education and training institutions (trường cao đẳng, trung cấp, trung tâm GDNN)",
     COLLECTION_INSTITUTIONS, NULL, "Point"},
    {"provinces", "Tỉnh / thành phố", "Provinces of the default admin layout", COLLECTION_ADMIN,
     "province", "MultiPolygon"},
    {"districts", "Huyện / quận / thị xã / thành phố thuộc tỉnh",
     "Districts of the default admin layout (empty in layouts without districts)", COLLECTION_ADMIN,
     "district", "MultiPolygon"},
    {"communes", "Xã / phường / thị trấn", "Communes of the default admin layout", COLLECTION_ADMIN,
     "commune", "MultiPolygon"},
};

const int collection_count = (int)(sizeof collections / sizeof collections[0]);

const Collection *collection_find(const char *id) {
    if (!id) return NULL;
    for (int i = 0; i < collection_count; i++)
        if (!strcmp(collections[i].id, id)) return &collections[i];
    return NULL;
}

const char *const institution_kinds[] = {"college", "intermediate_school", "vet_centre", "other", NULL};
const char *const institution_ownerships[] = {"public", "private", "foreign", "unknown", NULL};
const char *const institution_precisions[] = {"surveyed", "address", "commune_centroid", "district_centroid",
                                              "unknown", NULL};

const char *const *collection_param_values(const char *param) {
    static const struct { const char *name; const char *const *values; } enums[] = {
        {"kind", institution_kinds},
        {"ownership", institution_ownerships},
        {"location_precision", institution_precisions},
    };
    for (size_t i = 0; param && i < sizeof enums / sizeof enums[0]; i++)
        if (!strcmp(enums[i].name, param)) return enums[i].values;
    return NULL;
}

int collection_check_values(const char *name, const char *list, const char *const *allowed, char *why, size_t n) {
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ",");
        int ok = 0;
        for (int k = 0; allowed[k] && !ok; k++) ok = strlen(allowed[k]) == len && !strncmp(allowed[k], p, len);
        if (!ok) {
            char all[200] = "";
            for (int k = 0; allowed[k]; k++)
                snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", k ? ", " : "", allowed[k]);
            snprintf(why, n, "%s must be a comma-separated list of %s; got '%.*s'", name, all,
                     (int)(len > 60 ? 60 : len), p);
            return -1;
        }
        p += len;
        if (!*p) return 0;
    }
}
