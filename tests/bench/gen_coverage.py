#!/usr/bin/env python3
"""gen_coverage.py OUTDIR [UNITS] [INSTITUTIONS] — a national-scale layout for the coverage bench.

Writes OUTDIR/units.geojson (about UNITS communes, default 10,600: Vietnam's count of
communes before 2025), OUTDIR/provinces.geojson (their 63 parents) and
OUTDIR/institutions.csv (INSTITUTIONS points, default 2,000).  Deterministic (seeded).

The units are the cells of a regular grid (in a plane scaled by cos(latitude), so
cells are about square on the ground) whose centres fall inside a coarse outline of
mainland Vietnam, cut into 63 bands of "provinces" from north to south.  Each cell
edge is split into 12 collinear segments so a unit has ~48 vertices, like a thinned
commune polygon.  Populations are log-normal (median ~6,000); institutions are placed
in units drawn with probability proportional to population, uniformly within them.
"""
import json
import math
import os
import random
import sys

# A coarse outline of mainland Vietnam (lon, lat), for the mask only.
OUTLINE = [(102.14, 22.4), (103.0, 22.8), (104.0, 22.85), (105.3, 23.3), (106.7, 22.9), (107.4, 22.3),
           (108.0, 21.55), (107.0, 20.9), (106.5, 20.2), (105.9, 19.5), (105.6, 18.9), (106.4, 18.0),
           (107.1, 17.0), (108.2, 16.1), (108.9, 15.3), (109.2, 13.8), (109.4, 12.4), (109.2, 11.6),
           (108.6, 11.0), (107.6, 10.4), (106.8, 10.3), (106.6, 9.6), (105.8, 8.6), (104.8, 8.6),
           (104.8, 9.6), (104.5, 10.4), (105.1, 10.9), (106.2, 11.0), (106.4, 11.7), (107.5, 12.3),
           (107.5, 13.0), (107.4, 14.0), (107.5, 14.8), (107.6, 15.6), (107.3, 16.0), (106.6, 16.5),
           (106.0, 17.4), (105.2, 18.3), (104.4, 18.9), (104.0, 19.3), (104.8, 19.8), (104.2, 20.5),
           (103.3, 20.7), (102.8, 21.4), (102.3, 21.8)]
R = 6371008.8
LAT0 = 16.0
KX = math.radians(1) * R * math.cos(math.radians(LAT0))
KY = math.radians(1) * R


def inside(x, y, poly):
    c = False
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            c = not c
    return c


def main():
    out = sys.argv[1]
    n_units = int(sys.argv[2]) if len(sys.argv) > 2 else 10600
    n_inst = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    rnd = random.Random(20250701)
    os.makedirs(out, exist_ok=True)
    poly = [(lon * KX, lat * KY) for lon, lat in OUTLINE]
    area = 0.5 * abs(sum(poly[i][0] * poly[(i + 1) % len(poly)][1] - poly[(i + 1) % len(poly)][0] * poly[i][1]
                         for i in range(len(poly))))
    side = math.sqrt(area / n_units)
    xs = [p[0] for p in poly]
    ys = [p[1] for p in poly]
    cells = []
    j = 0
    y = min(ys)
    while y < max(ys):
        x = min(xs)
        i = 0
        while x < max(xs):
            if inside(x + side / 2, y + side / 2, poly):
                cells.append((i, j, x, y))
            x += side
            i += 1
        y += side
        j += 1
    cells.sort(key=lambda c: (-c[1], c[0]))  # north to south
    per_prov = math.ceil(len(cells) / 63)
    units, pops = [], []
    for k, (i, j, x, y) in enumerate(cells):
        ring = []
        corners = [(x, y), (x + side, y), (x + side, y + side), (x, y + side)]
        for c in range(4):
            (ax, ay), (bx, by) = corners[c], corners[(c + 1) % 4]
            for s in range(12):
                t = s / 12
                ring.append([round((ax + t * (bx - ax)) / KX, 7), round((ay + t * (by - ay)) / KY, 7)])
        ring.append(ring[0])
        pop = int(math.exp(rnd.gauss(math.log(6000), 0.7)))
        prov = "P%02d" % (k // per_prov + 1)
        cx, cy = (x + side / 2) / KX, (y + side / 2) / KY
        units.append({"type": "Feature", "properties": {
            "code": "B%05d" % k, "name": "Đơn vị %d" % k, "type": "Xã", "parent_code": prov, "population": pop,
            "population_year": 2025, "seat_lon": round(cx + rnd.uniform(-0.3, 0.3) * side / KX, 6),
            "seat_lat": round(cy + rnd.uniform(-0.3, 0.3) * side / KY, 6)},
            "geometry": {"type": "MultiPolygon", "coordinates": [[ring]]}})
        pops.append(pop)
    with open(os.path.join(out, "units.geojson"), "w") as f:
        json.dump({"type": "FeatureCollection", "features": units}, f, ensure_ascii=False)
    provs = {}
    for u in units:
        provs.setdefault(u["properties"]["parent_code"], []).append(u)
    pf = []
    for code, us in sorted(provs.items()):
        lons = [p[0] for u in us for p in u["geometry"]["coordinates"][0][0]]
        lats = [p[1] for u in us for p in u["geometry"]["coordinates"][0][0]]
        w, e, s, n = min(lons), max(lons), min(lats), max(lats)
        pf.append({"type": "Feature", "properties": {"code": code, "name": "Tỉnh %s" % code, "type": "Tỉnh"},
                   "geometry": {"type": "MultiPolygon", "coordinates": [[[[w, s], [e, s], [e, n], [w, n], [w, s]]]]}})
    with open(os.path.join(out, "provinces.geojson"), "w") as f:
        json.dump({"type": "FeatureCollection", "features": pf}, f, ensure_ascii=False)
    kinds = ["college", "intermediate_school", "vet_centre", "vet_centre", "other"]
    owners = ["public", "public", "private", "unknown"]
    chosen = rnd.choices(range(len(cells)), weights=pops, k=n_inst)
    with open(os.path.join(out, "institutions.csv"), "w") as f:
        f.write("code,name,kind,ownership,lon,lat\n")
        for n, k in enumerate(chosen):
            i, j, x, y = cells[k]
            lon = (x + rnd.uniform(0.05, 0.95) * side) / KX
            lat = (y + rnd.uniform(0.05, 0.95) * side) / KY
            f.write("BI%05d,Cơ sở %d,%s,%s,%.6f,%.6f\n" % (n, n, kinds[n % len(kinds)], owners[n % len(owners)],
                                                          lon, lat))
    print("%d units (cell %.2f km, %d provinces), %d institutions, population %d" %
          (len(units), side / 1000, len(pf), n_inst, sum(pops)))


if __name__ == "__main__":
    main()
