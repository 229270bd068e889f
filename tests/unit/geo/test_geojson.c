/* test_geojson.c — geojson.h: locale-independent numbers (G1, G2, G3), raw
 * UTF-8 strings (G5), WKB -> GeoJSON with RFC 7946 ring order (G4). */
#include "geo/geojson.h"
#include "unit.h"

#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* json_num into a fresh string (static buffer, valid until the next call). */
static const char *num(double v, int decimals) {
    static char out[64];
    Buf b = BUF_INIT;
    json_num(&b, v, decimals);
    snprintf(out, sizeof out, "%s", b.data ? b.data : "");
    buf_free(&b);
    return out;
}

static const char *str(const char *s, size_t n) {
    static char out[256];
    Buf b = BUF_INIT;
    json_strn(&b, s, n);
    snprintf(out, sizeof out, "%s", b.data ? b.data : "");
    buf_free(&b);
    return out;
}

static void test_numbers(void) {
    CHECK_STR(num(106.19460000000001, 7), "106.1946"); /* G3 */
    CHECK_STR(num(21.2731, 7), "21.2731");
    CHECK_STR(num(105.85, 6), "105.85");
    CHECK_STR(num(-105.85, 6), "-105.85");
    CHECK_STR(num(0.1 + 0.2, 7), "0.3");
    CHECK_STR(num(1.0, 7), "1");
    CHECK_STR(num(100, 0), "100");
    CHECK_STR(num(0, 7), "0");
    CHECK_STR(num(-0.0, 7), "0");                       /* no "-0" */
    CHECK_STR(num(-0.00000001, 7), "0");                /* rounds to zero: no sign */
    CHECK_STR(num(0.00000005, 7), "0.0000001");         /* half away from zero */
    CHECK_STR(num(-0.00000005, 7), "-0.0000001");
    CHECK_STR(num(0.0000001, 7), "0.0000001");          /* leading zeros of the fraction */
    CHECK_STR(num(2.5, 0), "3");
    CHECK_STR(num(-2.5, 0), "-3");
    CHECK_STR(num(123456789.123456789, 7), "123456789.1234568");
    CHECK_STR(num(180, 7), "180");
    CHECK_STR(num(-85.0511287798066, 7), "-85.0511288");
    CHECK_STR(num(1234.5678, 2), "1234.57");
    CHECK_STR(num(0.5, 15), "0.5");
    CHECK_STR(num(1.5, 99), "1.5");                     /* decimals clamped to 15 */
    CHECK_STR(num(1.5, -3), "2");                       /* and to 0 */
    /* large values: decimals give way, digits stay exact */
    CHECK_STR(num(123456789012.5, 7), "123456789012.5");
    CHECK_STR(num(9007199254740993.0, 7), "9007199254740992"); /* 2^53+1 is not a double */
    CHECK_STR(num(-4611686018427387904.0, 3), "-4611686018427387904"); /* 2^62 */
    CHECK_STR(num(1e20, 7), "1e+20");
    CHECK_STR(num(-1.5e300, 7), "-1.5e+300");
    /* 17 significant digits, within a few units of the last place */
    CHECK_DBL(strtod(num(1.7976931348623157e308, 7), NULL) / 1.7976931348623157e308, 1.0, 1e-15);
    CHECK(!strncmp(num(1.7976931348623157e308, 7), "1.797693134862315", 17));
    /* G1: never NaN or Infinity */
    CHECK_STR(num(NAN, 7), "null");
    CHECK_STR(num(INFINITY, 7), "null");
    CHECK_STR(num(-INFINITY, 7), "null");

    Buf b = BUF_INIT;
    json_int(&b, 0);
    buf_putc(&b, ' ');
    json_int(&b, -42);
    buf_putc(&b, ' ');
    json_int(&b, 9223372036854775807LL);
    buf_putc(&b, ' ');
    json_int(&b, -9223372036854775807LL - 1);
    CHECK_STR(b.data, "0 -42 9223372036854775807 -9223372036854775808");
    buf_free(&b);
}

/* Deterministic pseudo-random doubles (a 64-bit LCG, Knuth MMIX constants). */
static uint64_t lcg_state = 12345;
static double lcg_uniform(void) {
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(lcg_state >> 11) / 9007199254740992.0;
}

/* Values a tile or a feature may carry: coordinates, areas, counts. */
static double sample_value(int i) {
    double u = lcg_uniform();
    switch (i % 4) {
    case 0: return -180 + 360 * u;
    case 1: return -90 + 180 * u;
    case 2: return (u - 0.5) * 1e9;
    default: return (u - 0.5) * 1e-3;
    }
}

/* Output for 2000 values at every decimal count: a parse back (in the C
 * locale) is within half a unit of the last place, and there is no ','. */
static void check_many_values(const char *label, Buf *out) {
    int commas = 0, off = 0;
    lcg_state = 12345;
    for (int i = 0; i < 2000; i++) {
        double v = sample_value(i);
        for (int d = 0; d <= 9; d++) {
            size_t at = out->len;
            json_num(out, v, d);
            const char *s = out->data + at;
            if (strchr(s, ',')) commas++;
            double back = strtod(s, NULL);
            /* strtod follows the locale too: compare only in "C" */
            if (!strcmp(label, "C") && fabs(back - v) > 0.5 * pow(10, -d) * (1 + 1e-9) + fabs(v) * 1e-15) off++;
            buf_putc(out, '\n');
        }
    }
    CHECK_INT(commas, 0);
    CHECK_INT(off, 0);
}

/* G2: same bytes under a decimal-comma LC_NUMERIC as under "C". */
static void test_locale(void) {
    Buf c_out = BUF_INIT;
    check_many_values("C", &c_out);

    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "vi_VN.UTF-8", "ru_RU.UTF-8"};
    const char *got = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !got; i++)
        if (setlocale(LC_ALL, names[i])) got = names[i];
    /* No such locale installed: compile one into a private directory with
     * localedef (glibc reads LOCPATH), when the locale sources are there. */
    char dir[] = "/tmp/vetmap-locale-XXXXXX";
    int made_dir = 0;
    if (!got && access("/usr/share/i18n/locales/de_DE", R_OK) == 0 && mkdtemp(dir)) {
        made_dir = 1;
        char cmd[256];
        snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1", dir);
        if (system(cmd) == 0) {
            setenv("LOCPATH", dir, 1);
            if (setlocale(LC_ALL, "de_DE.UTF-8")) got = "de_DE.UTF-8 (built with localedef)";
        }
    }
    if (!got || strcmp(localeconv()->decimal_point, ",") != 0) {
        UNIT_SKIP("no locale with a decimal comma could be loaded (none installed and localedef "
                  "unavailable); only the direct no-comma check ran");
    } else {
        fprintf(stderr, "     G2 under LC_ALL=%s\n", got);
        char probe[32];
        snprintf(probe, sizeof probe, "%.2f", 105.85); /* proves the locale is live */
        CHECK_STR(probe, "105,85");
        Buf l_out = BUF_INIT;
        check_many_values(got, &l_out);
        CHECK(l_out.len == c_out.len && !memcmp(l_out.data, c_out.data, c_out.len));
        CHECK_STR(num(105.85, 6), "105.85");
        buf_free(&l_out);
    }
    setlocale(LC_ALL, "C");
    if (made_dir) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0) fprintf(stderr, "     could not remove %s\n", dir);
    }
    buf_free(&c_out);
}

static void test_strings(void) {
    /* G5: raw UTF-8, not \u escapes */
    CHECK_STR(str("Tr\xC6\xB0\xE1\xBB\x9Dng", 9), "\"Tr\xC6\xB0\xE1\xBB\x9Dng\"");
    CHECK_STR(str("a\"b\\c/d", 7), "\"a\\\"b\\\\c/d\"");
    CHECK_STR(str("l1\nl2\tx\r\b\f", 10), "\"l1\\nl2\\tx\\r\\b\\f\"");
    CHECK_STR(str("\x01\x1f", 2), "\"\\u0001\\u001f\"");
    CHECK_STR(str("a\0b", 3), "\"a\\u0000b\"");
    /* invalid UTF-8 -> U+FFFD, never passed through */
    CHECK_STR(str("x\xFFy", 3), "\"x\xEF\xBF\xBDy\"");
    CHECK_STR(str("\xC3", 1), "\"\xEF\xBF\xBD\"");               /* truncated */
    CHECK_STR(str("\xED\xA0\x80", 3), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""); /* surrogate */
    CHECK_STR(str("", 0), "\"\"");
    Buf b = BUF_INIT;
    json_str(&b, NULL);
    CHECK_STR(b.data, "null");
    buf_free(&b);
}

/* ------------------------------------------------------------ WKB builder */

typedef struct W {
    unsigned char d[4096];
    size_t n;
    int little;
} W;

static void w_u32(W *w, uint32_t v) {
    for (int i = 0; i < 4; i++) w->d[w->n++] = (unsigned char)(v >> (8 * (w->little ? i : 3 - i)));
}
static void w_f64(W *w, double v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    for (int i = 0; i < 8; i++) w->d[w->n++] = (unsigned char)(u >> (8 * (w->little ? i : 7 - i)));
}
static void w_hdr(W *w, uint32_t type) {
    w->d[w->n++] = (unsigned char)w->little;
    w_u32(w, type);
}
/* n positions of `dims` ordinates from xy (x, y pairs; extra ordinates 7). */
static void w_pts(W *w, const double *xy, int n, int dims) {
    for (int i = 0; i < n; i++) {
        w_f64(w, xy[2 * i]);
        w_f64(w, xy[2 * i + 1]);
        for (int k = 2; k < dims; k++) w_f64(w, 7.0);
    }
}

/* geojson_write_wkb over an exact-size heap copy (so ASan sees any read past
 * n); returns the text (static) and the return code. */
static const char *wkb_json(const unsigned char *wkb, size_t n, int decimals, int *rc) {
    static char out[4096];
    unsigned char *copy = malloc(n ? n : 1);
    if (n) memcpy(copy, wkb, n);
    Buf b = BUF_INIT;
    buf_puts(&b, "G=");
    *rc = geojson_write_wkb(&b, copy, n, decimals);
    snprintf(out, sizeof out, "%s", b.data + 2);
    buf_free(&b);
    free(copy);
    return out;
}

/* Clockwise square 0..10 and a counter-clockwise hole 2..4 (both wrong). */
static const double sq_cw[] = {0, 0, 0, 10, 10, 10, 10, 0, 0, 0};
static const double hole_ccw[] = {2, 2, 4, 2, 4, 4, 2, 4, 2, 2};
static const char *const sq_ccw_json = "[[0,0],[10,0],[10,10],[0,10],[0,0]]";
static const char *const hole_cw_json = "[[2,2],[2,4],[4,4],[4,2],[2,2]]";

static void w_polygon(W *w, uint32_t type, int dims) {
    w_hdr(w, type);
    w_u32(w, 2);
    w_u32(w, 5);
    w_pts(w, sq_cw, 5, dims);
    w_u32(w, 5);
    w_pts(w, hole_ccw, 5, dims);
}

static void test_wkb(void) {
    int rc;
    char want[1024];
    for (int little = 0; little <= 1; little++) {
        W w = {.n = 0, .little = little};
        double pt[] = {106.19460000000001, 21.2731};
        w_hdr(&w, 1);
        w_pts(&w, pt, 1, 2);
        CHECK_STR(wkb_json(w.d, w.n, 7, &rc), "{\"type\":\"Point\",\"coordinates\":[106.1946,21.2731]}");
        CHECK_INT(rc, 0);

        w.n = 0;
        double line[] = {105.85, 21.03, 106.1946, 21.2731};
        w_hdr(&w, 2);
        w_u32(&w, 2);
        w_pts(&w, line, 2, 2);
        CHECK_STR(wkb_json(w.d, w.n, 4, &rc),
                  "{\"type\":\"LineString\",\"coordinates\":[[105.85,21.03],[106.1946,21.2731]]}");

        /* G4: clockwise exterior in -> CCW out; CCW hole -> CW */
        w.n = 0;
        w_polygon(&w, 3, 2);
        snprintf(want, sizeof want, "{\"type\":\"Polygon\",\"coordinates\":[%s,%s]}", sq_ccw_json, hole_cw_json);
        CHECK_STR(wkb_json(w.d, w.n, 7, &rc), want);
        CHECK_INT(rc, 0);

        /* ISO Z (1003), M (2003), ZM (3003) and EWKB Z+SRID: extra ordinates skipped */
        uint32_t types[] = {1003, 2003, 3003, 0x80000003u, 0xC0000003u};
        int dims[] = {3, 3, 4, 3, 4};
        for (int t = 0; t < 5; t++) {
            w.n = 0;
            w_polygon(&w, types[t], dims[t]);
            CHECK_STR(wkb_json(w.d, w.n, 7, &rc), want);
        }
        w.n = 0;
        w_hdr(&w, 0xA0000001u); /* EWKB point Z with SRID 4326 */
        w_u32(&w, 4326);
        w_pts(&w, pt, 1, 3);
        CHECK_STR(wkb_json(w.d, w.n, 7, &rc), "{\"type\":\"Point\",\"coordinates\":[106.1946,21.2731]}");

        /* MultiPolygon: two copies, each ring fixed */
        w.n = 0;
        w_hdr(&w, 6);
        w_u32(&w, 2);
        w_polygon(&w, 3, 2);
        w_polygon(&w, 3, 2);
        snprintf(want, sizeof want, "{\"type\":\"MultiPolygon\",\"coordinates\":[[%s,%s],[%s,%s]]}",
                 sq_ccw_json, hole_cw_json, sq_ccw_json, hole_cw_json);
        CHECK_STR(wkb_json(w.d, w.n, 7, &rc), want);
        size_t mp_len = w.n;
        unsigned char mp[4096];
        memcpy(mp, w.d, mp_len);
        /* every truncation of it: -1 and null, never a read past n (ASan) */
        int bad = 0;
        for (size_t cut = 0; cut < mp_len; cut++) {
            const char *s = wkb_json(mp, cut, 7, &rc);
            if (rc != -1 || strcmp(s, "null")) bad++;
        }
        CHECK_INT(bad, 0);

        /* MultiPoint, MultiLineString, GeometryCollection(Point, LineString) */
        w.n = 0;
        w_hdr(&w, 4);
        w_u32(&w, 2);
        w_hdr(&w, 1);
        w_pts(&w, pt, 1, 2);
        w_hdr(&w, 1);
        w_pts(&w, line, 1, 2);
        CHECK_STR(wkb_json(w.d, w.n, 7, &rc),
                  "{\"type\":\"MultiPoint\",\"coordinates\":[[106.1946,21.2731],[105.85,21.03]]}");
        w.n = 0;
        w_hdr(&w, 5);
        w_u32(&w, 1);
        w_hdr(&w, 2);
        w_u32(&w, 2);
        w_pts(&w, line, 2, 2);
        CHECK_STR(wkb_json(w.d, w.n, 7, &rc),
                  "{\"type\":\"MultiLineString\",\"coordinates\":[[[105.85,21.03],[106.1946,21.2731]]]}");
        w.n = 0;
        w_hdr(&w, 7);
        w_u32(&w, 2);
        w_hdr(&w, 1);
        w_pts(&w, pt, 1, 2);
        w_hdr(&w, 2);
        w_u32(&w, 2);
        w_pts(&w, line, 2, 2);
        CHECK_STR(wkb_json(w.d, w.n, 7, &rc),
                  "{\"type\":\"GeometryCollection\",\"geometries\":[{\"type\":\"Point\",\"coordinates\":"
                  "[106.1946,21.2731]},{\"type\":\"LineString\",\"coordinates\":[[105.85,21.03],[106.1946,21.2731]]}]}");

        /* G1: a non-finite coordinate anywhere -> null and -1 */
        double bad_line[] = {105.85, 21.03, INFINITY, 21.0};
        w.n = 0;
        w_hdr(&w, 2);
        w_u32(&w, 2);
        w_pts(&w, bad_line, 2, 2);
        CHECK_STR(wkb_json(w.d, w.n, 7, &rc), "null");
        CHECK_INT(rc, -1);
        double nan_pt[] = {NAN, 21.0};
        w.n = 0;
        w_hdr(&w, 1);
        w_pts(&w, nan_pt, 1, 2);
        CHECK_STR(wkb_json(w.d, w.n, 7, &rc), "null");
        CHECK_INT(rc, -1);
        double ring_nan[] = {0, 0, 1, 0, 1, NAN, 0, 1, 0, 0};
        w.n = 0;
        w_hdr(&w, 3);
        w_u32(&w, 1);
        w_u32(&w, 5);
        w_pts(&w, ring_nan, 5, 2);
        CHECK_STR(wkb_json(w.d, w.n, 7, &rc), "null");
        CHECK_INT(rc, -1);

        /* empty geometries -> null, not an error */
        w.n = 0;
        w_hdr(&w, 6);
        w_u32(&w, 0);
        CHECK_STR(wkb_json(w.d, w.n, 7, &rc), "null");
        CHECK_INT(rc, 0);
        double empty_pt[] = {NAN, NAN};
        w.n = 0;
        w_hdr(&w, 1);
        w_pts(&w, empty_pt, 1, 2);
        CHECK_STR(wkb_json(w.d, w.n, 7, &rc), "null");
        CHECK_INT(rc, 0);

        /* malformed: bad byte order, unknown type, part type mismatch,
         * a huge count with few bytes */
        unsigned char bad_order[] = {2, 1, 0, 0, 0};
        CHECK_STR(wkb_json(bad_order, sizeof bad_order, 7, &rc), "null");
        CHECK_INT(rc, -1);
        w.n = 0;
        w_hdr(&w, 17);
        w_pts(&w, pt, 1, 2);
        CHECK_STR(wkb_json(w.d, w.n, 7, &rc), "null");
        w.n = 0;
        w_hdr(&w, 6);
        w_u32(&w, 1);
        w_hdr(&w, 1);
        w_pts(&w, pt, 1, 2);
        CHECK_STR(wkb_json(w.d, w.n, 7, &rc), "null");
        CHECK_INT(rc, -1);
        w.n = 0;
        w_hdr(&w, 2);
        w_u32(&w, 0xFFFFFFFFu);
        w_pts(&w, line, 2, 2);
        CHECK_STR(wkb_json(w.d, w.n, 7, &rc), "null");
        CHECK_INT(rc, -1);
    }
    CHECK_STR(wkb_json(NULL, 0, 7, &rc), "null");
    CHECK_INT(rc, -1);

    /* Deep GeometryCollection nesting is refused, not recursed into. */
    W deep = {.n = 0, .little = 1};
    for (int i = 0; i < 200; i++) {
        w_hdr(&deep, 7);
        w_u32(&deep, 1);
    }
    w_hdr(&deep, 1);
    double p0[] = {1, 2};
    w_pts(&deep, p0, 1, 2);
    CHECK_STR(wkb_json(deep.d, deep.n, 7, &rc), "null");
    CHECK_INT(rc, -1);

    /* the caller's earlier output is kept when the geometry turns null */
    Buf b = BUF_INIT;
    buf_puts(&b, "{\"geometry\":");
    unsigned char junk[] = {1, 3, 0, 0, 0, 9};
    geojson_write_wkb(&b, junk, sizeof junk, 7);
    buf_putc(&b, '}');
    CHECK_STR(b.data, "{\"geometry\":null}");
    buf_free(&b);
}

/* geojson_write_wkb_tile over an exact-size heap copy. */
static const char *tile_json(const unsigned char *wkb, size_t n, TileBox box, double tol, int *rc) {
    static char out[4096];
    static TileWork work = TILE_WORK_INIT;
    unsigned char *copy = malloc(n ? n : 1);
    if (n) memcpy(copy, wkb, n);
    Buf b = BUF_INIT;
    buf_puts(&b, "G=");
    *rc = geojson_write_wkb_tile(&b, copy, n, 7, box, tol, &work);
    snprintf(out, sizeof out, "%s", b.data + 2);
    buf_free(&b);
    free(copy);
    if (!wkb) tile_work_free(&work); /* last call frees */
    return out;
}

static void test_wkb_tile(void) {
    int rc;
    TileBox box = {5, 5, 15, 15};
    for (int little = 0; little <= 1; little++) {
        W w = {.n = 0, .little = little};
        /* the clockwise square 0..10 with its hole 2..4: the hole is outside
         * the box and goes; the exterior is cut to 5..10 and turned CCW */
        w_polygon(&w, 3, 2);
        CHECK_STR(tile_json(w.d, w.n, box, 0, &rc),
                  "{\"type\":\"Polygon\",\"coordinates\":[[[5,5],[10,5],[10,10],[5,10],[5,5]]]}");
        CHECK_INT(rc, 0);
        /* Z ordinates and EWKB flags read the same way */
        w.n = 0;
        w_polygon(&w, 0x80000003u, 3);
        CHECK_STR(tile_json(w.d, w.n, box, 0, &rc),
                  "{\"type\":\"Polygon\",\"coordinates\":[[[5,5],[10,5],[10,10],[5,10],[5,5]]]}");
        /* MultiPolygon: the part outside the box is dropped */
        w.n = 0;
        w_hdr(&w, 6);
        w_u32(&w, 2);
        w_polygon(&w, 3, 2);
        double far[] = {50, 50, 60, 50, 60, 60, 50, 50};
        w_hdr(&w, 3);
        w_u32(&w, 1);
        w_u32(&w, 4);
        w_pts(&w, far, 4, 2);
        CHECK_STR(tile_json(w.d, w.n, box, 0, &rc),
                  "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[5,5],[10,5],[10,10],[5,10],[5,5]]]]}");
        size_t mp_len = w.n;
        /* truncations: -1 and null (ASan: never a read past n) */
        int bad = 0;
        for (size_t cut = 0; cut < mp_len; cut++) {
            const char *s = tile_json(w.d, cut, box, 0, &rc);
            if (rc != -1 || strcmp(s, "null")) bad++;
        }
        CHECK_INT(bad, 0);
        /* wholly outside: null, not an error */
        TileBox away = {100, 100, 110, 110};
        CHECK_STR(tile_json(w.d, w.n, away, 0, &rc), "null");
        CHECK_INT(rc, 0);
        /* inside and kept whole: a hole inside the box stays, turned CW */
        TileBox all = {-1, -1, 11, 11};
        w.n = 0;
        w_polygon(&w, 3, 2);
        char want[512];
        snprintf(want, sizeof want, "{\"type\":\"Polygon\",\"coordinates\":[%s,%s]}", sq_ccw_json, hole_cw_json);
        CHECK_STR(tile_json(w.d, w.n, all, 0, &rc), want);
        /* simplification at a coarse tolerance: the 2x2 hole is below it and
         * vanishes (fewer than 4 positions left), the 10x10 square stays */
        snprintf(want, sizeof want, "{\"type\":\"Polygon\",\"coordinates\":[%s]}", sq_ccw_json);
        CHECK_STR(tile_json(w.d, w.n, all, 3, &rc), want);
        /* positions that print the same are merged */
        double dup[] = {0, 0, 1, 0, 1.00000001, 0, 1, 1, 0, 1, 0, 0};
        w.n = 0;
        w_hdr(&w, 3);
        w_u32(&w, 1);
        w_u32(&w, 6);
        w_pts(&w, dup, 6, 2);
        CHECK_STR(tile_json(w.d, w.n, all, 0, &rc),
                  "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}");
        /* a non-finite coordinate: null and -1, as in geojson_write_wkb */
        double nanring[] = {6, 6, 7, NAN, 7, 7, 6, 6};
        w.n = 0;
        w_hdr(&w, 3);
        w_u32(&w, 1);
        w_u32(&w, 4);
        w_pts(&w, nanring, 4, 2);
        CHECK_STR(tile_json(w.d, w.n, box, 0, &rc), "null");
        CHECK_INT(rc, -1);
        /* points: kept inside the box, dropped outside */
        double pin[] = {6, 6}, pout[] = {1, 1};
        w.n = 0;
        w_hdr(&w, 4);
        w_u32(&w, 2);
        w_hdr(&w, 1);
        w_pts(&w, pin, 1, 2);
        w_hdr(&w, 1);
        w_pts(&w, pout, 1, 2);
        CHECK_STR(tile_json(w.d, w.n, box, 0, &rc), "{\"type\":\"MultiPoint\",\"coordinates\":[[6,6]]}");
    }
    tile_json(NULL, 0, box, 0, &rc); /* frees the work memory */
    CHECK_INT(rc, -1);
    /* NULL work: the plain writer */
    Buf b = BUF_INIT;
    W w = {.n = 0, .little = 1};
    w_polygon(&w, 3, 2);
    geojson_write_wkb_tile(&b, w.d, w.n, 7, box, 0, NULL);
    char want[512];
    snprintf(want, sizeof want, "{\"type\":\"Polygon\",\"coordinates\":[%s,%s]}", sq_ccw_json, hole_cw_json);
    CHECK_STR(b.data, want);
    buf_free(&b);
}

static void test_ring_area(void) {
    double ccw[] = {0, 0, 1, 0, 1, 1, 0, 1, 0, 0};
    double cw[] = {0, 0, 0, 1, 1, 1, 1, 0, 0, 0};
    CHECK_DBL(geojson_ring_signed_area(ccw, 5), 1.0, 1e-12);
    CHECK_DBL(geojson_ring_signed_area(cw, 5), -1.0, 1e-12);
    CHECK_DBL(geojson_ring_signed_area(ccw, 4), 1.0, 1e-12); /* not closed */
    /* far from the origin, tiny ring: still exact sign and size */
    double far[] = {106.1946, 21.2731, 106.1947, 21.2731, 106.1947, 21.2732, 106.1946, 21.2732, 106.1946, 21.2731};
    CHECK_DBL(geojson_ring_signed_area(far, 5), 1e-8, 1e-14);
    CHECK_DBL(geojson_ring_signed_area(ccw, 2), 0.0, 0);
    CHECK_DBL(geojson_ring_signed_area(NULL, 5), 0.0, 0);
}

int main(void) {
    test_numbers();
    test_strings();
    test_wkb();
    test_wkb_tile();
    test_ring_area();
    test_locale();
    return unit_summary();
}
