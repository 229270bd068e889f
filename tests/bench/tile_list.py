#!/usr/bin/env python3
"""Print the fixed list of tile paths `make bench` measures: every XYZ tile of
the given zooms that covers a bbox (default: Bắc Giang's extent), for each
collection.  Standard slippy-map tile numbering (OpenStreetMap wiki).

usage: tile_list.py COLLECTION[,COLLECTION...] ZOOMS [W S E N]"""
import math
import sys


def tile(z, lon, lat):
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def main():
    if len(sys.argv) not in (3, 7):
        sys.exit(__doc__)
    cols = sys.argv[1].split(",")
    zooms = [int(z) for z in sys.argv[2].split(",")]
    w, s, e, n = (float(v) for v in sys.argv[3:7]) if len(sys.argv) == 7 else (105.88, 21.12, 107.04, 21.63)
    for c in cols:
        for z in zooms:
            x0, y0 = tile(z, w, n)
            x1, y1 = tile(z, e, s)
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    print("/tiles/%s/%d/%d/%d.geojson" % (c, z, x, y))


if __name__ == "__main__":
    main()
