/* geojson.c — JSON / GeoJSON writer (geojson.h).
 *
 * Own code because the output bytes are the product: numbers are formatted
 * without printf's %f/%g (which follow LC_NUMERIC, CASES G2), and the WKB
 * walk writes GeoJSON directly into the caller's Buf without building an
 * intermediate geometry. */
#include "geo/geojson.h"
#include "base/text.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ----------------------------------------------------------- strings */

/* Bytes that go into a JSON string as they are: printable ASCII but the
 * quote and the backslash.  Everything else takes the slow path below. */
static const unsigned char json_plain[256] = {
#define P16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
    [0x20] = 1, [0x21] = 1, [0x23] = 1, [0x24] = 1, [0x25] = 1, [0x26] = 1, [0x27] = 1, [0x28] = 1,
    [0x29] = 1, [0x2A] = 1, [0x2B] = 1, [0x2C] = 1, [0x2D] = 1, [0x2E] = 1, [0x2F] = 1,
    [0x30] = P16, [0x40] = P16, [0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    [0x60] = P16, [0x70] = P16,
#undef P16
};

/* The whole string is written straight into reserved space (6 bytes per
 * input byte is the worst case: a control byte as \u00XX), not one append
 * per character: strings are most of an items page. */
void json_strn(Buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    if (!s) {
        buf_append(b, "null", 4);
        return;
    }
    if (n > ((size_t)-1 - 3) / 6) {
        b->oom = 1;
        return;
    }
    if (buf_reserve(b, 6 * n + 2) != 0) return;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    char *o = b->data + b->len;
    *o++ = '"';
    while (p < end) {
        /* copy the longest run that needs no escaping at once */
        const unsigned char *run = p;
        while (p < end && json_plain[*p]) p++;
        memcpy(o, run, (size_t)(p - run));
        o += p - run;
        if (p >= end) break;
        unsigned c = *p;
        if (c >= 0x80) {
            size_t k = text_utf8_seq_len(p, end);
            if (k) { /* raw UTF-8 (G5) */
                memcpy(o, p, k);
                o += k;
                p += k;
            } else { /* U+FFFD for a bad byte */
                memcpy(o, "\xEF\xBF\xBD", 3);
                o += 3;
                p++;
            }
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 15];
            o += 5;
        }
        p++;
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
}

void json_str(Buf *b, const char *s) { json_strn(b, s, s ? strlen(s) : 0); }

/* ----------------------------------------------------------- numbers
 * Every number is formatted into a small stack buffer and appended once. */

/* Longest number fmt_num writes: sign, 19 integer digits, point, 15
 * decimals; or the exponent form, shorter. */
#define NUM_MAX 40

/* Write the decimal digits of u (no sign) at o; returns how many. */
static size_t fmt_u64(char *o, uint64_t u) {
    char tmp[24];
    int i = (int)sizeof tmp;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t n = sizeof tmp - (size_t)i;
    memcpy(o, tmp + i, n);
    return n;
}

void json_int(Buf *b, long long v) {
    char tmp[24];
    size_t n = 0;
    if (v < 0) tmp[n++] = '-';
    n += fmt_u64(tmp + n, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v); /* also right for LLONG_MIN */
    buf_append(b, tmp, n);
}

static const double pow10_tab[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* Below 2^53 every integer is a double, so a scaled value under this bound
 * rounds to an exact integer. */
#define EXACT_INT_LIMIT 9007199254740992.0

/* Very large magnitudes (beyond 2^63, never a coordinate): 17 significant
 * digits in exponent form, e.g. 1.2345e+300, which JSON allows. */
static size_t fmt_exponent_form(char *o, double a) {
    int e = (int)floor(log10(a));
    double m = a / pow(10.0, e - 16);          /* ~17-digit integer */
    if (m >= 1e17) { m /= 10; e++; }
    uint64_t digits = (uint64_t)llround(m);
    if (digits >= 100000000000000000ULL) { digits /= 10; e++; }
    char d[24];
    int nd = 0;
    for (uint64_t t = digits; t; t /= 10) d[nd++] = (char)('0' + t % 10);
    int last = 0;                               /* drop trailing zeros */
    while (last < nd - 1 && d[last] == '0') last++;
    size_t n = 0;
    o[n++] = d[nd - 1];
    if (nd - 1 > last) {
        o[n++] = '.';
        for (int i = nd - 2; i >= last; i--) o[n++] = d[i];
    }
    o[n++] = 'e';
    o[n++] = e >= 0 ? '+' : '-';
    return n + fmt_u64(o + n, (uint64_t)(e >= 0 ? e : -e));
}

/* Fixed-point formatting: scale by 10^decimals, round half away from zero
 * to an integer (exact below 2^53), print its digits with the decimal point
 * put back, and trim trailing zeros.  106.19460000000001 at 7 decimals is
 * 1061946000.0000001 -> 1061946000 -> "106.1946" (G3).  Writes at most
 * NUM_MAX bytes at o; returns how many. */
static size_t fmt_num(char *o, double v, int decimals) {
    if (!isfinite(v)) {
        memcpy(o, "null", 4); /* G1 */
        return 4;
    }
    if (decimals < 0) decimals = 0;
    if (decimals > 15) decimals = 15;
    double a = fabs(v);
    /* Fewer decimals for huge values: a double has no digits to spare there. */
    while (decimals > 0 && a * pow10_tab[decimals] >= EXACT_INT_LIMIT) decimals--;
    size_t n = 0;
    if (a >= 9.2e18) {
        if (v < 0) o[n++] = '-';
        return n + fmt_exponent_form(o + n, a);
    }
    uint64_t u = (uint64_t)llround(a * pow10_tab[decimals]);
    if (u == 0) { /* also "-0" and -0.00000001 -> "0" */
        o[0] = '0';
        return 1;
    }
    if (v < 0) o[n++] = '-';
    uint64_t scale = (uint64_t)pow10_tab[decimals];
    n += fmt_u64(o + n, u / scale);
    uint64_t frac = u % scale;
    if (frac == 0) return n;
    int nd = decimals;
    for (int i = nd; i >= 1; i--) {
        o[n + (size_t)i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    while (nd > 0 && o[n + (size_t)nd] == '0') nd--;
    o[n] = '.';
    return n + 1 + (size_t)nd;
}

void json_num(Buf *b, double v, int decimals) {
    char tmp[NUM_MAX];
    buf_append(b, tmp, fmt_num(tmp, v, decimals));
}

/* --------------------------------------------------------------- WKB */

/* OGC WKB geometry type codes (OGC 06-103r4 §8.2). */
enum { WKB_POINT = 1, WKB_LINESTRING, WKB_POLYGON, WKB_MULTIPOINT, WKB_MULTILINESTRING,
       WKB_MULTIPOLYGON, WKB_GEOMETRYCOLLECTION };

/* EWKB (PostGIS) flag bits in the type word. */
#define EWKB_Z 0x80000000u
#define EWKB_M 0x40000000u
#define EWKB_SRID 0x20000000u

#define WKB_MAX_DEPTH 32

typedef struct WkbReader {
    const unsigned char *p, *end;
    int little;      /* byte order of the current geometry */
    int dims;        /* ordinates per position of the current geometry */
} WkbReader;

static int rd_u32(WkbReader *r, uint32_t *out) {
    if (r->end - r->p < 4) return -1;
    const unsigned char *p = r->p;
    *out = r->little ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
                     : (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
    r->p += 4;
    return 0;
}

/* The double at p (bounds already checked) in the given byte order. */
static double get_f64(const unsigned char *p, int little) {
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u |= (uint64_t)p[little ? i : 7 - i] << (8 * i);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* Read a geometry header: byte order, type, and skip an EWKB SRID.
 * Sets r->little and r->dims; returns the base type (1..7) or -1. */
static int rd_header(WkbReader *r) {
    if (r->p >= r->end) return -1;
    unsigned order = *r->p++;
    if (order > 1) return -1;
    r->little = (int)order;
    uint32_t t;
    if (rd_u32(r, &t) != 0) return -1;
    int dims = 2;
    if (t & EWKB_Z) dims++;
    if (t & EWKB_M) dims++;
    if (t & EWKB_SRID) {
        uint32_t srid;
        if (rd_u32(r, &srid) != 0) return -1;
    }
    t &= 0x0FFFFFFFu;
    /* ISO WKB: 1000s add Z, 2000s add M, 3000s add both. */
    uint32_t iso = t / 1000, base = t % 1000;
    if (iso > 3 || base < WKB_POINT || base > WKB_GEOMETRYCOLLECTION) return -1;
    if (iso == 1 || iso == 2) dims++;
    if (iso == 3) dims += 2;
    if (dims > 4) return -1;
    r->dims = dims;
    return (int)base;
}

/* Check that n positions fit in the rest of the buffer; return their
 * start and advance past them. */
static const unsigned char *take_positions(WkbReader *r, uint32_t n) {
    size_t stride = (size_t)r->dims * 8;
    if ((size_t)(r->end - r->p) / stride < n) return NULL;
    const unsigned char *start = r->p;
    r->p += (size_t)n * stride;
    return start;
}

/* Where and how geometry is written: plain, or clipped for a tile. */
typedef struct WkbOut {
    Buf *b;
    int decimals;
    TileWork *work;   /* non-NULL: clip and simplify for a tile */
    TileBox box;      /* clip box (tile mode) */
    double tol;       /* simplification tolerance, degrees (tile mode) */
} WkbOut;

/* Drop empty output written since `mark` (a part that turned out empty). */
static void rollback(Buf *b, size_t mark) {
    b->len = mark;
    if (b->data) b->data[mark] = '\0';
}

/* Write one position [x,y] (one append); -1 when not finite. */
static int put_xy(Buf *b, double x, double y, int decimals) {
    if (!isfinite(x) || !isfinite(y)) return -1;
    char tmp[2 * NUM_MAX + 3];
    size_t n = 0;
    tmp[n++] = '[';
    n += fmt_num(tmp + n, x, decimals);
    tmp[n++] = ',';
    n += fmt_num(tmp + n, y, decimals);
    tmp[n++] = ']';
    buf_append(b, tmp, n);
    return 0;
}

/* Shoelace over positions in WKB layout, relative to the first position to
 * keep precision for large coordinates.  > 0 when counter-clockwise. */
static double wkb_ring_area(const unsigned char *p, uint32_t n, size_t stride, int little) {
    if (n < 3) return 0;
    double x0 = get_f64(p, little), y0 = get_f64(p + 8, little), sum = 0;
    double px = 0, py = 0;
    for (uint32_t i = 1; i < n; i++) {
        const unsigned char *q = p + (size_t)i * stride;
        double x = get_f64(q, little) - x0, y = get_f64(q + 8, little) - y0;
        sum += px * y - x * py;
        px = x;
        py = y;
    }
    return sum / 2;
}

double geojson_ring_signed_area(const double *xy, size_t npoints) {
    if (!xy || npoints < 3) return 0;
    double x0 = xy[0], y0 = xy[1], sum = 0, px = 0, py = 0;
    for (size_t i = 1; i < npoints; i++) {
        double x = xy[2 * i] - x0, y = xy[2 * i + 1] - y0;
        sum += px * y - x * py;
        px = x;
        py = y;
    }
    /* A ring not repeating its first point is closed implicitly (the last
     * edge back to the origin adds px*0 - 0*py = 0). */
    return sum / 2;
}

/* 1 when a ring of this signed area must be written in reverse:
 * want > 0 exterior (CCW), want < 0 hole (CW), 0 keep the order. */
static int must_reverse(double area, int want) { return (want > 0 && area < 0) || (want < 0 && area > 0); }

/* Write WKB positions as an array, oriented per `want` (must_reverse).
 * Returns -1 on a non-finite coordinate. */
static int put_positions(Buf *b, const unsigned char *p, uint32_t n, const WkbReader *r, int want,
                         int decimals) {
    size_t stride = (size_t)r->dims * 8;
    int reverse = 0;
    if (want) {
        double area = wkb_ring_area(p, n, stride, r->little);
        if (!isfinite(area)) return -1;
        reverse = must_reverse(area, want);
    }
    buf_reserve(b, (size_t)n * 24 + 2);
    buf_putc(b, '[');
    for (uint32_t i = 0; i < n; i++) {
        if (i) buf_putc(b, ',');
        const unsigned char *q = p + (size_t)(reverse ? n - 1 - i : i) * stride;
        if (put_xy(b, get_f64(q, r->little), get_f64(q + 8, r->little), decimals) != 0) return -1;
    }
    buf_putc(b, ']');
    return 0;
}

/* Drop consecutive positions that print the same at `decimals` (the keys
 * are the integers json_num rounds to), in place; returns the new count. */
static size_t dedupe_on_grid(double *xy, size_t n, int decimals) {
    double scale = pow10_tab[decimals];
    size_t k = 0;
    long long px = 0, py = 0;
    for (size_t i = 0; i < n; i++) {
        long long kx = llround(xy[2 * i] * scale), ky = llround(xy[2 * i + 1] * scale);
        if (k && kx == px && ky == py) continue;
        xy[2 * k] = xy[2 * i];
        xy[2 * k + 1] = xy[2 * i + 1];
        px = kx;
        py = ky;
        k++;
    }
    return k;
}

/* Tile mode: read ring i of a polygon, clip, simplify, snap; write it
 * oriented per `want`.  Returns 1 written, 0 nothing left, -1 error. */
static int put_ring_clipped(WkbOut *o, const unsigned char *p, uint32_t n, const WkbReader *r, int want) {
    TileWork *w = o->work;
    size_t stride = (size_t)r->dims * 8;
    if (tile_work_reserve(w, (size_t)n + 1) != 0) return -1;
    double *xy = w->pts[0];
    for (uint32_t i = 0; i < n; i++) {
        xy[2 * i] = get_f64(p + (size_t)i * stride, r->little);
        xy[2 * i + 1] = get_f64(p + (size_t)i * stride + 8, r->little);
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1])) return -1;
    }
    long m = tile_clip_ring(w, n, o->box);
    if (m < 0) return -1;
    size_t k = tile_simplify(w, (size_t)m, o->tol);
    xy = w->pts[0]; /* clipping may have swapped the buffers */
    k = dedupe_on_grid(xy, k, o->decimals);
    if (k < 4) return 0; /* less than a triangle at this zoom */
    int reverse = must_reverse(geojson_ring_signed_area(xy, k), want);
    Buf *b = o->b;
    buf_reserve(b, k * 24 + 2);
    buf_putc(b, '[');
    for (size_t i = 0; i < k; i++) {
        size_t j = reverse ? k - 1 - i : i;
        if (i) buf_putc(b, ',');
        put_xy(b, xy[2 * j], xy[2 * j + 1], o->decimals);
    }
    buf_putc(b, ']');
    return 1;
}

/* The "coordinates" value of each simple type, reading from r. */
static int put_point_coords(WkbOut *o, WkbReader *r, int *empty) {
    const unsigned char *p = take_positions(r, 1);
    if (!p) return -1;
    double x = get_f64(p, r->little), y = get_f64(p + 8, r->little);
    /* WKB has no empty point; writers use NaN, NaN for one. */
    if (isnan(x) && isnan(y)) {
        *empty = 1;
        return 0;
    }
    if (o->work && isfinite(x) && isfinite(y) &&
        (x < o->box.west || x > o->box.east || y < o->box.south || y > o->box.north)) {
        *empty = 1; /* outside the tile */
        return 0;
    }
    return put_xy(o->b, x, y, o->decimals);
}

static int put_line_coords(WkbOut *o, WkbReader *r, int *empty) {
    uint32_t n;
    if (rd_u32(r, &n) != 0) return -1;
    const unsigned char *p = take_positions(r, n);
    if (!p) return -1;
    if (n == 0) *empty = 1;
    return put_positions(o->b, p, n, r, 0, o->decimals);
}

/* Exterior ring counter-clockwise, holes clockwise (RFC 7946 §3.1.6).  In
 * tile mode a polygon whose exterior leaves nothing in the box is empty,
 * and its holes go with it. */
static int put_polygon_coords(WkbOut *o, WkbReader *r, int *empty) {
    uint32_t rings;
    if (rd_u32(r, &rings) != 0) return -1;
    Buf *b = o->b;
    int written = 0;
    buf_putc(b, '[');
    for (uint32_t i = 0; i < rings; i++) {
        uint32_t n;
        if (rd_u32(r, &n) != 0) return -1;
        const unsigned char *p = take_positions(r, n);
        if (!p) return -1;
        if (i > 0 && !written) continue; /* no exterior: skip the holes (already read) */
        int want = i == 0 ? 1 : -1;
        size_t mark = b->len;
        if (written) buf_putc(b, ',');
        int rc = o->work ? put_ring_clipped(o, p, n, r, want)
                         : (put_positions(b, p, n, r, want, o->decimals) == 0 ? 1 : -1);
        if (rc < 0) return -1;
        if (rc == 0) rollback(b, mark);
        else written++;
    }
    buf_putc(b, ']');
    if (!written) *empty = 1;
    return 0;
}

static const char *const type_names[] = {NULL, "Point", "LineString", "Polygon", "MultiPoint",
                                         "MultiLineString", "MultiPolygon", "GeometryCollection"};

/* Coordinates of a simple (non-multi) geometry of type t. */
static int put_simple_coords(WkbOut *o, WkbReader *r, int t, int *empty) {
    switch (t) {
    case WKB_POINT: return put_point_coords(o, r, empty);
    case WKB_LINESTRING: return put_line_coords(o, r, empty);
    case WKB_POLYGON: return put_polygon_coords(o, r, empty);
    default: return -1;
    }
}

/* Multi*: each part is a whole WKB geometry of the matching simple type.
 * Empty parts are left out; a multi with no non-empty part is empty. */
static int put_multi_coords(WkbOut *o, WkbReader *r, int part_type, int *empty) {
    uint32_t parts;
    if (rd_u32(r, &parts) != 0) return -1;
    /* each part needs at least a 5-byte header */
    if ((size_t)(r->end - r->p) / 5 < parts) return -1;
    Buf *b = o->b;
    int written = 0;
    buf_putc(b, '[');
    for (uint32_t i = 0; i < parts; i++) {
        size_t mark = b->len;
        if (written) buf_putc(b, ',');
        if (rd_header(r) != part_type) return -1;
        int part_empty = 0;
        if (put_simple_coords(o, r, part_type, &part_empty) != 0) return -1;
        if (part_empty) rollback(b, mark);
        else written++;
    }
    buf_putc(b, ']');
    if (!written) *empty = 1;
    return 0;
}

/* A whole geometry object {"type":..., "coordinates"|"geometries":...}. */
static int put_geometry(WkbOut *o, WkbReader *r, int depth, int *empty) {
    if (depth > WKB_MAX_DEPTH) return -1;
    int t = rd_header(r);
    if (t < 0) return -1;
    Buf *b = o->b;
    buf_puts(b, "{\"type\":\"");
    buf_puts(b, type_names[t]);
    if (t == WKB_GEOMETRYCOLLECTION) {
        uint32_t parts;
        if (rd_u32(r, &parts) != 0) return -1;
        if ((size_t)(r->end - r->p) / 5 < parts) return -1;
        buf_puts(b, "\",\"geometries\":[");
        int written = 0;
        for (uint32_t i = 0; i < parts; i++) {
            size_t mark = b->len;
            if (written) buf_putc(b, ',');
            int part_empty = 0;
            if (put_geometry(o, r, depth + 1, &part_empty) != 0) return -1;
            if (part_empty) rollback(b, mark);
            else written++;
        }
        buf_puts(b, "]}");
        if (!written) *empty = 1;
        return 0;
    }
    buf_puts(b, "\",\"coordinates\":");
    int rc = t <= WKB_POLYGON ? put_simple_coords(o, r, t, empty) : put_multi_coords(o, r, t - 3, empty);
    buf_putc(b, '}');
    return rc;
}

/* Shared by both entry points: write, or roll back to "null". */
static int write_wkb(WkbOut *o, const unsigned char *wkb, size_t n) {
    Buf *b = o->b;
    size_t start = b->len;
    int empty = 0, rc = -1;
    if (o->decimals < 0) o->decimals = 0;
    if (o->decimals > 15) o->decimals = 15;
    if (wkb && n > 0) {
        WkbReader r = {wkb, wkb + n, 1, 2};
        rc = put_geometry(o, &r, 0, &empty);
    }
    if (b->oom) rc = -1;
    if (rc != 0 || empty) {
        /* roll back whatever was written and say null instead (G1) */
        rollback(b, start);
        buf_puts(b, "null");
    }
    return rc;
}

int geojson_write_wkb(Buf *b, const unsigned char *wkb, size_t n, int decimals) {
    WkbOut o = {b, decimals, NULL, {0, 0, 0, 0}, 0};
    return write_wkb(&o, wkb, n);
}

int geojson_write_wkb_tile(Buf *b, const unsigned char *wkb, size_t n, int decimals, TileBox box,
                           double tol, TileWork *work) {
    if (!work) return geojson_write_wkb(b, wkb, n, decimals);
    WkbOut o = {b, decimals, work, box, tol};
    return write_wkb(&o, wkb, n);
}
