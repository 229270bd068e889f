/* edits_patch.c — RFC 7396 merge patch and the shape a patch may have (edits.h, edits_internal.h). */
#include "edit/edits.h"
#include "edit/edits_internal.h"
#include "store/admin_locate.h"
#include "edit/auth.h"
#include "store/feature.h"
#include "geo/geojson.h"
#include "edit/message.h"
#include "store/store.h"
#include "base/strfmt.h"
#include "base/text.h"
#include <cjson/cJSON.h>
#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ merge patch */

cJSON *edits_merge_patch(cJSON *target, const cJSON *patch) {
    if (!cJSON_IsObject(patch)) {
        cJSON_Delete(target);
        return cJSON_Duplicate(patch, 1);
    }
    if (!cJSON_IsObject(target)) {
        cJSON_Delete(target);
        target = cJSON_CreateObject();
        if (!target) return NULL;
    }
    for (const cJSON *p = patch->child; p; p = p->next) {
        if (cJSON_IsNull(p)) {
            cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
            continue;
        }
        cJSON *merged = edits_merge_patch(cJSON_DetachItemFromObjectCaseSensitive(target, p->string), p);
        if (!merged) {
            cJSON_Delete(target);
            return NULL;
        }
        cJSON_AddItemToObject(target, p->string, merged);
    }
    return target;
}

/* The patch may name only the editable fields (and repeat the Feature's
 * type and id). */
int edit_check_patch(const cJSON *patch, const char *code, EditError *e) {
    if (!cJSON_IsObject(patch))
        return edit_fail(e, 400, "InvalidParameterValue", MSG_PATCH_NOT_OBJECT, NULL);
    for (const cJSON *k = patch->child; k; k = k->next) {
        if (!strcmp(k->string, "type")) {
            if (!cJSON_IsString(k) || strcmp(k->valuestring, "Feature"))
                return edit_fail(e, 400, "InvalidParameterValue", MSG_TYPE_NOT_FEATURE, NULL);
        } else if (!strcmp(k->string, "id")) {
            if (!cJSON_IsString(k) || strcmp(k->valuestring, code))
                return edit_fail(e, 400, "InvalidParameterValue", MSG_ID_READONLY, NULL);
        } else if (!strcmp(k->string, "geometry")) {
            if (cJSON_IsNull(k))
                return edit_fail(e, 422, "InvalidValue", MSG_LOCATION_REMOVED, NULL);
        } else if (!strcmp(k->string, "properties")) {
            if (!cJSON_IsObject(k))
                return edit_fail(e, 400, "InvalidParameterValue", MSG_PROPERTIES_NOT_OBJECT, NULL);
            for (const cJSON *p = k->child; p; p = p->next) {
                int f = edit_field_by_name(p->string, strlen(p->string));
                if (f < 0 || f == F_LOCATION)
                    return edit_fail(e, 400, "InvalidParameterValue", MSG_PROPERTY_NOT_EDITABLE,
                                MSG_PARAMS(MSG_S("property", p->string)));
            }
        } else {
            return edit_fail(e, 400, "InvalidParameterValue", MSG_MEMBER_NOT_EDITABLE,
                        MSG_PARAMS(MSG_S("member", k->string)));
        }
    }
    return 0;
}
