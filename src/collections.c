/* collections.c — the fixed list of OGC API collections (collections.h). */
#include "collections.h"

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
