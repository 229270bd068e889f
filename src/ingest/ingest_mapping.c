/* ingest_mapping.c — which column is which canonical field, and how source
 * values map to canonical ones (mapping file format: ingest.h). */
#include "ingest/ingest_internal.h"
#include "base/text.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FOR_INST = 1, FOR_ADMIN = 2, FOR_BOTH = 3 };

typedef struct FieldDef {
    const char *name;
    int collections;
    /* Column names recognised without a mapping, as column_key() gives
     * them, in order of preference. */
    const char *const *synonyms;
} FieldDef;

#define SYN(...) ((const char *const[]){__VA_ARGS__, NULL})

static const FieldDef field_defs[FLD_COUNT] = {
    [FLD_CODE] = {"code", FOR_BOTH,
                  SYN("code", "ma", "gso_code", "ma_co_so", "ma_truong", "ma_dvhc", "ma_so", "ma_don_vi", "id")},
    [FLD_NAME] = {"name", FOR_BOTH,
                  SYN("name", "ten", "name_vi", "ten_co_so", "ten_truong", "ten_dvhc", "ten_don_vi", "name_vn",
                      "ten_tieng_viet")},
    [FLD_KIND] = {"kind", FOR_INST, SYN("kind", "loai_hinh", "loai_co_so", "loai", "type")},
    [FLD_OWNERSHIP] = {"ownership", FOR_INST,
                       SYN("ownership", "so_huu", "hinh_thuc_so_huu", "loai_hinh_so_huu")},
    [FLD_GOVERNING_BODY] = {"governing_body", FOR_INST,
                            SYN("governing_body", "co_quan_chu_quan", "chu_quan", "co_quan_quan_ly")},
    [FLD_ADDRESS] = {"address", FOR_INST, SYN("address", "dia_chi")},
    [FLD_COMMUNE] = {"commune", FOR_INST,
                     SYN("commune", "xa", "xa_phuong", "phuong_xa", "commune_name", "ten_xa", "commune_vn")},
    [FLD_COMMUNE_CODE] = {"commune_code", FOR_INST, SYN("commune_code", "ma_xa", "gso_commune_code")},
    [FLD_DISTRICT] = {"district", FOR_INST,
                      SYN("district", "huyen", "quan_huyen", "district_name", "ten_huyen", "district_vn")},
    [FLD_DISTRICT_CODE] = {"district_code", FOR_INST, SYN("district_code", "ma_huyen", "gso_district_code")},
    [FLD_PROVINCE] = {"province", FOR_INST, SYN("province", "tinh", "tinh_thanh", "province_name", "ten_tinh")},
    [FLD_PROVINCE_CODE] = {"province_code", FOR_INST, SYN("province_code", "ma_tinh", "gso_province_code")},
    [FLD_WEBSITE] = {"website", FOR_INST, SYN("website", "web", "trang_web", "homepage", "url")},
    [FLD_PHONE] = {"phone", FOR_INST, SYN("phone", "dien_thoai", "so_dien_thoai", "tel", "telephone")},
    [FLD_EMAIL] = {"email", FOR_INST, SYN("email", "e_mail", "thu_dien_tu")},
    /* x/y only in the GIS sense: Vietnamese survey tables call the
     * northing "X", so "toa_do_x" is deliberately not recognised. */
    [FLD_X] = {"lon", FOR_INST, SYN("lon", "lng", "long", "longitude", "kinh_do", "x", "easting")},
    [FLD_Y] = {"lat", FOR_INST, SYN("lat", "latitude", "vi_do", "y", "northing")},
    [FLD_LOCATION_PRECISION] = {"location_precision", FOR_INST, SYN("location_precision", "precision")},
    [FLD_SOURCE_URLS] = {"source_urls", FOR_INST, SYN("source_urls", "source_url", "sources", "nguon", "url_nguon")},
    [FLD_SOURCE] = {"source", FOR_INST, SYN("source", "nguon_du_lieu")},
    [FLD_TYPE] = {"type", FOR_ADMIN, SYN("type", "loai", "loai_dvhc")},
    [FLD_PARENT_CODE] = {"parent_code", FOR_ADMIN, SYN("parent_code", "ma_cap_tren", "parent")},
    [FLD_LEVEL] = {"level", FOR_ADMIN, SYN("level", "level_name", "cap")},
    [FLD_POPULATION] = {"population", FOR_ADMIN, SYN("population", "dan_so")},
    [FLD_POPULATION_YEAR] = {"population_year", FOR_ADMIN, SYN("population_year", "nam_dan_so")},
    [FLD_AREA_KM2] = {"area_km2", FOR_ADMIN, SYN("area_km2", "dien_tich_km2", "dien_tich", "area")},
    [FLD_SEAT_X] = {"seat_lon", FOR_ADMIN, SYN("seat_lon", "hq_lon")},
    [FLD_SEAT_Y] = {"seat_lat", FOR_ADMIN, SYN("seat_lat", "hq_lat")},
    [FLD_APPROXIMATE] = {"approximate", FOR_ADMIN, SYN("approximate")},
};

/* Built-in value synonyms, keys already folded (text_fold), for fields whose
 * values are an enumeration.  Applied after the mapping's own entries. */
typedef struct Synonym {
    Field field;
    const char *from;
    const char *to;
} Synonym;

static const Synonym builtin_values[] = {
    {FLD_KIND, "college", "college"},
    {FLD_KIND, "cao dang", "college"},
    {FLD_KIND, "truong cao dang", "college"},
    {FLD_KIND, "intermediate school", "intermediate_school"},
    {FLD_KIND, "trung cap", "intermediate_school"},
    {FLD_KIND, "truong trung cap", "intermediate_school"},
    {FLD_KIND, "vet centre", "vet_centre"},
    {FLD_KIND, "vet center", "vet_centre"},
    {FLD_KIND, "trung tam", "vet_centre"},
    {FLD_KIND, "trung tam gdnn", "vet_centre"},
    {FLD_KIND, "trung tam gdnn gdtx", "vet_centre"},
    {FLD_KIND, "gdnn gdtx", "vet_centre"},
    {FLD_KIND, "trung tam giao duc nghe nghiep", "vet_centre"},
    {FLD_KIND, "other", "other"},
    {FLD_KIND, "khac", "other"},
    {FLD_OWNERSHIP, "public", "public"},
    {FLD_OWNERSHIP, "cong lap", "public"},
    {FLD_OWNERSHIP, "private", "private"},
    {FLD_OWNERSHIP, "tu thuc", "private"},
    {FLD_OWNERSHIP, "dan lap", "private"},
    {FLD_OWNERSHIP, "tu nhan", "private"},
    {FLD_OWNERSHIP, "ngoai cong lap", "private"},
    {FLD_OWNERSHIP, "foreign", "foreign"},
    {FLD_OWNERSHIP, "nuoc ngoai", "foreign"},
    {FLD_OWNERSHIP, "co von dau tu nuoc ngoai", "foreign"},
    {FLD_OWNERSHIP, "unknown", "unknown"},
    {FLD_OWNERSHIP, "khong ro", "unknown"},
    {FLD_LOCATION_PRECISION, "surveyed", "surveyed"},
    {FLD_LOCATION_PRECISION, "address", "address"},
    {FLD_LOCATION_PRECISION, "commune centroid", "commune_centroid"},
    {FLD_LOCATION_PRECISION, "district centroid", "district_centroid"},
    {FLD_LOCATION_PRECISION, "unknown", "unknown"},
    {FLD_LEVEL, "1", "province"},
    {FLD_LEVEL, "province", "province"},
    {FLD_LEVEL, "tinh", "province"},
    {FLD_LEVEL, "2", "district"},
    {FLD_LEVEL, "district", "district"},
    {FLD_LEVEL, "huyen", "district"},
    {FLD_LEVEL, "3", "commune"},
    {FLD_LEVEL, "commune", "commune"},
    {FLD_LEVEL, "xa", "commune"},
    {FLD_APPROXIMATE, "1", "1"},
    {FLD_APPROXIMATE, "true", "1"},
    {FLD_APPROXIMATE, "yes", "1"},
    {FLD_APPROXIMATE, "0", "0"},
    {FLD_APPROXIMATE, "false", "0"},
    {FLD_APPROXIMATE, "no", "0"},
};

/* Canonical targets a value map may produce, per enumerated field. */
static int valid_target(Field f, const char *to) {
    for (size_t i = 0; i < sizeof builtin_values / sizeof builtin_values[0]; i++)
        if (builtin_values[i].field == f && !strcmp(builtin_values[i].to, to)) return 1;
    return 0;
}

int mapping_canonical(Field f, const char *value) { return value && valid_target(f, value); }

static int field_enumerated(Field f) {
    return f == FLD_KIND || f == FLD_OWNERSHIP || f == FLD_LOCATION_PRECISION || f == FLD_LEVEL ||
           f == FLD_APPROXIMATE;
}

const char *field_name(Field f) { return (f >= 0 && f < FLD_COUNT) ? field_defs[f].name : "?"; }

int field_in_collection(Field f, IngestCollection c) {
    return (field_defs[f].collections & (c == INGEST_ADMIN ? FOR_ADMIN : FOR_INST)) != 0;
}

static Field field_by_name(const char *name) {
    for (int f = 0; f < FLD_COUNT; f++)
        if (!strcmp(field_defs[f].name, name)) return (Field)f;
    return FLD_COUNT;
}

/* A column name as compared: folded (marks, đ, case, punctuation) with
 * spaces as underscores: "Tên cơ sở" -> "ten_co_so", "name_vi" stays. */
static char *column_key(const char *name) {
    char *k = text_fold(name ? name : "");
    if (!k) return NULL;
    for (char *p = k; *p; p++)
        if (*p == ' ') *p = '_';
    return k;
}

/* -------------------------------------------------------------- value maps */

static int valuemap_add(ValueMap *vm, const char *from, const char *to) {
    if (vm->n == vm->cap) {
        int cap = vm->cap ? vm->cap * 2 : 16;
        char **a = realloc(vm->from, (size_t)cap * sizeof *a);
        if (a) vm->from = a;
        char **b = realloc(vm->from_fold, (size_t)cap * sizeof *b);
        if (b) vm->from_fold = b;
        char **c = realloc(vm->to, (size_t)cap * sizeof *c);
        if (c) vm->to = c;
        if (!a || !b || !c) return -1;
        vm->cap = cap;
    }
    vm->from[vm->n] = strdup(from);
    vm->from_fold[vm->n] = text_fold(from);
    vm->to[vm->n] = strdup(to);
    if (!vm->from[vm->n] || !vm->from_fold[vm->n] || !vm->to[vm->n]) {
        free(vm->from[vm->n]);
        free(vm->from_fold[vm->n]);
        free(vm->to[vm->n]);
        return -1;
    }
    vm->n++;
    return 0;
}

static void valuemap_free(ValueMap *vm) {
    for (int i = 0; i < vm->n; i++) {
        free(vm->from[i]);
        free(vm->from_fold[i]);
        free(vm->to[i]);
    }
    free(vm->from);
    free(vm->from_fold);
    free(vm->to);
    strmap_free(&vm->cache);
    memset(vm, 0, sizeof *vm);
}

const char *mapping_value(Mapping *m, Field f, const char *raw) {
    ValueMap *vm = &m->values[f];
    if (!raw || !vm->n) return NULL;
    long *hit = strmap_get(&vm->cache, raw);
    if (hit) return *hit >= 0 ? vm->to[*hit] : NULL;
    long idx = -1;
    for (int i = 0; i < vm->n && idx < 0; i++)
        if (!strcmp(vm->from[i], raw)) idx = i;
    if (idx < 0) {
        /* Folding once per distinct value: the cache remembers the result. */
        char *folded = text_fold(raw);
        for (int i = 0; folded && i < vm->n && idx < 0; i++)
            if (vm->from_fold[i] && !strcmp(vm->from_fold[i], folded)) idx = i;
        free(folded);
    }
    if (vm->cache.count < 100000) strmap_put(&vm->cache, raw, idx);
    return idx >= 0 ? vm->to[idx] : NULL;
}

/* ----------------------------------------------------------------- loading */

static int fail(char **err, const char *path, const char *what, const char *name) {
    *err = ing_printf("mapping %s: %s%s%s%s", path, what, name ? " \"" : "", name ? name : "",
                      name ? "\"" : "");
    return -1;
}

static int string_member(const cJSON *obj, const char *key, char **out, const char *path, char **err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return 0;
    if (!cJSON_IsString(v)) return fail(err, path, "must be a string:", key);
    *out = text_nfc(v->valuestring);
    return *out ? 0 : fail(err, path, "is not valid UTF-8:", key);
}

/* Parse an object member {field: string} into per-field slots. */
static int field_strings(const cJSON *obj, const char *key, char **slots, const char *path, char **err) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!o) return 0;
    if (!cJSON_IsObject(o)) return fail(err, path, "must be an object:", key);
    for (const cJSON *it = o->child; it; it = it->next) {
        Field f = field_by_name(it->string);
        if (f == FLD_COUNT) return fail(err, path, "unknown field", it->string);
        if (!cJSON_IsString(it)) return fail(err, path, "value must be a string for field", it->string);
        free(slots[f]);
        slots[f] = text_nfc(it->valuestring);
        if (!slots[f]) return fail(err, path, "invalid UTF-8 for field", it->string);
    }
    return 0;
}

static int load_builtins(Mapping *m) {
    for (size_t i = 0; i < sizeof builtin_values / sizeof builtin_values[0]; i++)
        if (valuemap_add(&m->values[builtin_values[i].field], builtin_values[i].from, builtin_values[i].to) != 0)
            return -1;
    return 0;
}

int mapping_load(Mapping *m, const char *path, char **err) {
    memset(m, 0, sizeof *m);
    m->collection = -1;
    *err = NULL;
    if (!path) {
        if (load_builtins(m) != 0) return fail(err, "(none)", "out of memory", NULL);
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f) return fail(err, path, "cannot be read", NULL);
    Buf b = BUF_INIT;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&b, chunk, n);
    fclose(f);
    if (b.oom) {
        buf_free(&b);
        return fail(err, path, "out of memory", NULL);
    }
    cJSON *root = cJSON_Parse(b.data ? b.data : "");
    buf_free(&b);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return fail(err, path, "is not a JSON object", NULL);
    }
    static const char *const known[] = {"collection", "fields", "split", "values", "defaults", "ignore",
                                        "source_crs", "encoding", "layout", "level", "layout_description",
                                        "description", "comment", NULL};
    int rc = 0;
    for (const cJSON *it = root->child; it && rc == 0; it = it->next) {
        int ok = 0;
        for (int k = 0; known[k]; k++) ok |= !strcmp(known[k], it->string);
        if (!ok) rc = fail(err, path, "unknown key", it->string);
    }
    char *coll = NULL;
    if (rc == 0) rc = string_member(root, "collection", &coll, path, err);
    if (rc == 0 && coll) {
        if (!strcmp(coll, "institutions")) m->collection = INGEST_INSTITUTIONS;
        else if (!strcmp(coll, "admin")) m->collection = INGEST_ADMIN;
        else rc = fail(err, path, "collection must be institutions or admin, not", coll);
    }
    free(coll);
    if (rc == 0) rc = field_strings(root, "fields", m->column, path, err);
    if (rc == 0) rc = field_strings(root, "split", m->split, path, err);
    if (rc == 0) rc = field_strings(root, "defaults", m->defaults, path, err);
    if (rc == 0) rc = string_member(root, "source_crs", &m->source_crs, path, err);
    if (rc == 0) rc = string_member(root, "encoding", &m->encoding, path, err);
    if (rc == 0) rc = string_member(root, "layout", &m->layout, path, err);
    if (rc == 0) rc = string_member(root, "level", &m->level, path, err);
    if (rc == 0) rc = string_member(root, "layout_description", &m->layout_description, path, err);
    const cJSON *ign = cJSON_GetObjectItemCaseSensitive(root, "ignore");
    if (rc == 0 && ign) {
        if (!cJSON_IsArray(ign)) rc = fail(err, path, "ignore must be an array of column names", NULL);
        int cnt = cJSON_GetArraySize(ign);
        m->ignore = calloc((size_t)(cnt > 0 ? cnt : 1), sizeof *m->ignore);
        for (const cJSON *it = ign->child; rc == 0 && it; it = it->next) {
            if (!cJSON_IsString(it)) rc = fail(err, path, "ignore must hold strings", NULL);
            else if (m->ignore) m->ignore[m->ignore_count++] = text_nfc(it->valuestring);
        }
    }
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(root, "values");
    if (rc == 0 && vals) {
        if (!cJSON_IsObject(vals)) rc = fail(err, path, "values must be an object", NULL);
        for (const cJSON *fo = vals->child; rc == 0 && fo; fo = fo->next) {
            Field fld = field_by_name(fo->string);
            if (fld == FLD_COUNT) rc = fail(err, path, "values: unknown field", fo->string);
            else if (!cJSON_IsObject(fo)) rc = fail(err, path, "values must map strings for field", fo->string);
            for (const cJSON *e = rc == 0 ? fo->child : NULL; rc == 0 && e; e = e->next) {
                if (!cJSON_IsString(e)) rc = fail(err, path, "value map entries must be strings:", e->string);
                else if (field_enumerated(fld) && !valid_target(fld, e->valuestring))
                    rc = fail(err, path, "not a canonical value:", e->valuestring);
                else if (valuemap_add(&m->values[fld], e->string, e->valuestring) != 0)
                    rc = fail(err, path, "out of memory", NULL);
            }
        }
    }
    for (int fld = 0; rc == 0 && fld < FLD_COUNT; fld++)
        if (m->defaults[fld] && field_enumerated((Field)fld) && !valid_target((Field)fld, m->defaults[fld]))
            rc = fail(err, path, "defaults: not a canonical value:", m->defaults[fld]);
    if (rc == 0 && load_builtins(m) != 0) rc = fail(err, path, "out of memory", NULL);
    cJSON_Delete(root);
    if (rc != 0) {
        char *keep = *err;
        mapping_free(m);
        *err = keep;
    }
    return rc;
}

void mapping_free(Mapping *m) {
    for (int f = 0; f < FLD_COUNT; f++) {
        free(m->column[f]);
        free(m->split[f]);
        free(m->defaults[f]);
        valuemap_free(&m->values[f]);
    }
    for (int i = 0; i < m->ignore_count; i++) free(m->ignore[i]);
    free(m->ignore);
    free(m->source_crs);
    free(m->encoding);
    free(m->layout);
    free(m->level);
    free(m->layout_description);
    memset(m, 0, sizeof *m);
}

/* ----------------------------------------------------------------- binding */

static int find_column(char **names, int n, const char *want) {
    for (int i = 0; i < n; i++)
        if (names[i] && !strcmp(names[i], want)) return i;
    return -1;
}

int mapping_bind(const Mapping *m, IngestCollection c, char **names, int n, Binding *b, char **err) {
    *err = NULL;
    b->ncols = n;
    b->used = calloc((size_t)(n > 0 ? n : 1), 1);
    char **keys = calloc((size_t)(n > 0 ? n : 1), sizeof *keys);
    if (!b->used || !keys) {
        free(keys);
        *err = ing_printf("out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) keys[i] = column_key(names[i]);
    int rc = 0;
    for (int f = 0; f < FLD_COUNT; f++) {
        b->col[f] = -1;
        if (!field_in_collection((Field)f, c)) continue;
        if (m->column[f]) {
            b->col[f] = find_column(names, n, m->column[f]);
            if (b->col[f] < 0 && rc == 0) {
                *err = ing_printf("the mapping names column \"%s\" for %s, but the source has no such column",
                                  m->column[f], field_defs[f].name);
                rc = -1;
            }
        }
    }
    /* Recognise the rest by name, never taking a column twice. */
    for (int f = 0; rc == 0 && f < FLD_COUNT; f++) {
        if (b->col[f] >= 0 || m->column[f] || !field_in_collection((Field)f, c)) continue;
        for (int s = 0; field_defs[f].synonyms[s] && b->col[f] < 0; s++) {
            int i = find_column(keys, n, field_defs[f].synonyms[s]);
            int taken = 0;
            for (int g = 0; i >= 0 && g < FLD_COUNT; g++) taken |= b->col[g] == i;
            if (i >= 0 && !taken) b->col[f] = i;
        }
    }
    for (int f = 0; f < FLD_COUNT; f++)
        if (b->col[f] >= 0) b->used[b->col[f]] = 1;
    for (int k = 0; k < m->ignore_count; k++) {
        int i = find_column(names, n, m->ignore[k]);
        if (i >= 0) b->used[i] = 1;
    }
    for (int i = 0; i < n; i++) free(keys[i]);
    free(keys);
    return rc;
}

unsigned long long binding_kept(const Mapping *m, IngestCollection c, const Binding *b, int geom_layer) {
    if (c != INGEST_INSTITUTIONS) return 0;
    unsigned long long keep = 0;
    for (int f = 0; f < FLD_COUNT; f++)
        if (field_in_collection((Field)f, c) && b->col[f] < 0 && !m->defaults[f]) keep |= KEEP_FIELD(f);
    int extra = 0;
    for (int i = 0; i < b->ncols; i++) extra |= !b->used[i];
    if (!extra) keep |= KEEP_EXTRA;
    static const Field place[] = {FLD_X, FLD_Y, FLD_COMMUNE, FLD_COMMUNE_CODE, FLD_DISTRICT, FLD_DISTRICT_CODE};
    int located = geom_layer;
    for (size_t k = 0; k < sizeof place / sizeof place[0]; k++) located |= !(keep & KEEP_FIELD(place[k]));
    if (!located) keep |= KEEP_PLACE;
    return keep;
}

void binding_free(Binding *b) {
    free(b->used);
    memset(b, 0, sizeof *b);
}
