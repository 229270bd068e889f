/* test_config.c — config.h: defaults, the JSON file (types, ranges, unknown
 * keys, a bad file leaves the config untouched), region boxes (CASES I4). */
#include "base/config.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *write_tmp(const char *text) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/vetmap-test-config-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_defaults(void) {
    Config c;
    config_defaults(&c);
    CHECK_STR(c.bind, "127.0.0.1");
    CHECK_INT(c.port, 8080);
    CHECK_STR(c.basemap_url, "https://tile.openstreetmap.org/{z}/{x}/{y}.png");
    CHECK(strstr(c.basemap_attribution, "OpenStreetMap contributors") != NULL);
    CHECK_INT(c.cluster_max_zoom, 12);
    CHECK_INT(c.cluster_cell_px, 64);
    CHECK_INT(c.cache_max_age, 60);
    CHECK_INT(c.tile_cache_bytes, 64 << 20);
    CHECK_INT(c.max_body_bytes, 16 << 20);
    CHECK_INT(c.max_query_bytes, 8 << 10);
    CHECK_STR(c.cors_origins, "");
    CHECK_STR(c.public_url, "");
    CHECK(c.connection_timeout_s > 0 && c.connection_limit > 0 && c.per_ip_connection_limit > 0);
}

static void test_region(void) {
    Config c;
    config_defaults(&c);
    CHECK(config_in_region(&c, 105.85, 21.03));   /* Hà Nội */
    CHECK(config_in_region(&c, 106.1946, 21.2731)); /* Bắc Giang */
    CHECK(config_in_region(&c, 112.3, 16.5));     /* Hoàng Sa */
    CHECK(config_in_region(&c, 114.3, 10.4));     /* Trường Sa */
    CHECK(!config_in_region(&c, 21.03, 105.85));  /* swapped (I4) */
    CHECK(!config_in_region(&c, 0, 0));           /* Gulf of Guinea (I3) */
    CHECK(!config_in_region(&c, 0.0 / 0.0, 21));
    CHECK(!config_in_region(&c, 100.5, 13.75));   /* Bangkok */
}

static void test_file(void) {
    Config c;
    config_defaults(&c);
    char *err = NULL;
    const char *p = write_tmp("{\"port\": 9000, \"bind\": \"0.0.0.0\", \"cors_origins\": \"*\", "
                              "\"tile_cache_bytes\": 1048576, \"region_boxes\": [[100, 5, 110, 25]]}");
    CHECK_INT(config_load_file(&c, p, &err), 0);
    CHECK(err == NULL);
    CHECK_INT(c.port, 9000);
    CHECK_STR(c.bind, "0.0.0.0");
    CHECK_STR(c.cors_origins, "*");
    CHECK_INT(c.tile_cache_bytes, 1048576);
    CHECK_INT(c.region_box_count, 1);
    CHECK(config_in_region(&c, 100.5, 13.75));
    unlink(p);

    /* Each bad file fails naming the key, and changes nothing. */
    static const struct { const char *text, *needle; } bad[] = {
        {"{\"prot\": 1}", "\"prot\""},
        {"{\"port\": \"80\"}", "\"port\""},
        {"{\"port\": 70000}", "\"port\""},
        {"{\"port\": 1.5}", "\"port\""},
        {"{\"cluster_cell_px\": 48}", "cluster_cell_px"},
        {"{\"region_boxes\": [[1, 2, 3]]}", "region_boxes"},
        {"{\"region_boxes\": [[10, 0, 5, 1]]}", "region_boxes"},
        {"{\"region_boxes\": []}", "region_boxes"},
        {"{\"public_url\": \"gdnn.example.vn\"}", "public_url"},
        {"{\"public_url\": \"https://\"}", "public_url"},
        {"{\"public_url\": \"https:///x\"}", "public_url"},
        {"{\"public_url\": \"https://a b\"}", "public_url"},
        {"{\"public_url\": \"https://x/?a=1\"}", "public_url"},
        {"{\"public_url\": \"https://x/\\\"\"}", "public_url"},
        {"[1, 2]", "not a JSON object"},
        {"{\"port\": 1,", "not a JSON object"},
        {"", "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Config before;
        config_defaults(&before);
        Config d = before;
        const char *q = write_tmp(bad[i].text);
        err = NULL;
        CHECK_INT(config_load_file(&d, q, &err), -1);
        CHECK(err && strstr(err, bad[i].needle));
        if (err && !strstr(err, bad[i].needle)) fprintf(stderr, "     message: %s\n", err);
        CHECK(!memcmp(&d, &before, sizeof d));
        free(err);
        unlink(q);
    }
    err = NULL;
    CHECK_INT(config_load_file(&c, "/nonexistent/vetmap.json", &err), -1);
    CHECK(err && strstr(err, "/nonexistent/vetmap.json"));
    free(err);
}

/* public_url: trailing slashes go, so links join as base + "/path". */
static void test_public_url(void) {
    Config c;
    config_defaults(&c);
    char *err = NULL;
    const char *p = write_tmp("{\"public_url\": \"https://gdnn.example.vn/ban-do//\"}");
    CHECK_INT(config_load_file(&c, p, &err), 0);
    CHECK_STR(c.public_url, "https://gdnn.example.vn/ban-do");
    unlink(p);
    p = write_tmp("{\"public_url\": \"http://10.0.0.5:8080\"}");
    CHECK_INT(config_load_file(&c, p, &err), 0);
    CHECK_STR(c.public_url, "http://10.0.0.5:8080");
    unlink(p);
    free(err);
}

int main(void) {
    test_defaults();
    test_public_url();
    test_region();
    test_file();
    return unit_summary();
}
