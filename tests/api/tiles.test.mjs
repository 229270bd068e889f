// GeoJSON XYZ tiles and TileJSON against a real `vetmap serve`: CASES T1 (every point in exactly one
// tile, per-tile counts add up, the z8 column edge), T2 (XYZ rows), T4 (bad z/x/y -> 400/404 JSON,
// server alive), clusters (count, expansion_zoom that really is where the members part, null for
// institutions at one spot), polygons clipped to the buffered tile box, G5 on tiles, TileJSON 3.0.0.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { allItems, buildDb, getJson, ingest, removeDir, request, startServer, tmpDir } from './lib/server.mjs';
import { decimals, positions } from './lib/checks.mjs';

const GEO = 'application/geo+json';
const BUFFER_PX = 8; // API_TILES_BUFFER_PX
const MAX_LAT = 85.0511287798066;

// Slippy-map tile formulas (OpenStreetMap wiki), the same the server implements.
const lon2x = (lon, z) => Math.floor(((lon + 180) / 360) * 2 ** z);
const lat2y = (lat, z) => Math.floor(((1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2) * 2 ** z);
const y2lat = (y, z) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / 2 ** z))) * 180) / Math.PI;
const clampLat = (lat) => Math.max(-MAX_LAT, Math.min(MAX_LAT, lat));

/** The tile box grown by px pixels, clamped like tile_buffered. */
function bufferedBox(z, x, y, px = BUFFER_PX) {
  const n = 2 ** z; const d = px / 256;
  return {
    w: Math.max(-180, ((x - d) / n) * 360 - 180),
    e: Math.min(180, ((x + 1 + d) / n) * 360 - 180),
    n: clampLat(y - d <= 0 ? MAX_LAT : y2lat(y - d, z)),
    s: clampLat(y + 1 + d >= n ? -MAX_LAT : y2lat(y + 1 + d, z)),
  };
}

/** Decimals the server keeps at zoom z (tile_decimals): ~1/8 pixel, 1..7. */
function decimalsAt(z) {
  const eighth = 360 / 2 ** z / 256 / 8;
  let d = 1;
  while (d < 7 && 10 ** -d > eighth) d++;
  return d;
}

const ringArea = (r) => r.slice(0, -1).reduce((a, p, i) => a + p[0] * r[i + 1][1] - r[i + 1][0] * p[1], 0) / 2;

let dir; let db; let srv; let base; let cfg;
// Institutions added to the shipped ones: one exactly on the z8 edge between columns 202 and 203
// (CASES T1), two at one spot (they never part: expansion_zoom null).
const EDGE = { code: 'T1-EDGE', lon: 105.46875, lat: 21.0 };
const SAME = [{ code: 'T-SAME-1', lon: 106.5, lat: 21.45 }, { code: 'T-SAME-2', lon: 106.5, lat: 21.45 }];

before(async () => {
  dir = tmpDir('vetmap-tiles-');
  db = await buildDb(dir);
  const csv = path.join(dir, 'tile_cases.csv');
  writeFileSync(csv, 'code,name,kind,ownership,lon,lat\n'
    + [EDGE, ...SAME].map((p) => `${p.code},Điểm thử ${p.code},vet_centre,public,${p.lon},${p.lat}`).join('\n') + '\n');
  await ingest(db, csv);
  srv = await startServer({ db });
  base = srv.base;
  cfg = (await getJson(`${base}/api/config`)).data;
  assert.equal(typeof cfg.cluster_max_zoom, 'number', 'cluster_max_zoom in /api/config');
});

after(async () => {
  if (srv) await srv.stop();
  removeDir(dir);
});

async function tile(coll, z, x, y, query = '') {
  const r = await request(`${base}/tiles/${coll}/${z}/${x}/${y}.geojson${query}`);
  assert.equal(r.status, 200, `${coll}/${z}/${x}/${y}: ${r.text}`);
  assert.match(r.headers['content-type'], /^application\/geo\+json/);
  const d = r.json();
  assert.equal(d.type, 'FeatureCollection');
  assert.ok(Array.isArray(d.features));
  return { ...d, text: r.text };
}

/** Every tile of zoom z over [w, s, e, n] (one tile of margin), fetched 16 at a time. */
async function tilesOver(coll, z, [w, s, e, n], query = '') {
  const max = 2 ** z - 1;
  const xs = [Math.max(0, lon2x(w, z) - 1), Math.min(max, lon2x(e, z) + 1)];
  const ys = [Math.max(0, lat2y(n, z) - 1), Math.min(max, lat2y(s, z) + 1)];
  const list = [];
  for (let x = xs[0]; x <= xs[1]; x++) for (let y = ys[0]; y <= ys[1]; y++) list.push([x, y]);
  const out = [];
  for (let i = 0; i < list.length; i += 16) {
    const part = await Promise.all(list.slice(i, i + 16).map(([x, y]) => tile(coll, z, x, y, query).then((d) => ({ x, y, d }))));
    out.push(...part);
  }
  return out;
}

/** Institution codes a feature stands for: a cluster's codes, else its own id. */
const codesOf = (f) => (f.properties.cluster ? f.properties.codes : [f.id]);
const countOf = (f) => (f.properties.cluster ? f.properties.count : 1);

describe('institution tiles (CASES T1)', () => {
  let located; let extent;
  before(async () => {
    located = (await allItems(base, 'institutions')).filter((f) => f.geometry);
    assert.ok(located.length >= 17, `${located.length} located institutions`);
    const xs = located.map((f) => f.geometry.coordinates[0]); const ys = located.map((f) => f.geometry.coordinates[1]);
    extent = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  });

  for (const z of [0, 4, 8, 10, 11, 12, 13]) {
    it(`z${z}: per-tile counts add up to the total and every institution is in exactly one tile`, async () => {
      const seen = new Map();
      let sum = 0;
      for (const { x, y, d } of await tilesOver('institutions', z, extent)) {
        for (const f of d.features) {
          assert.equal(f.geometry.type, 'Point');
          sum += countOf(f);
          for (const c of codesOf(f)) seen.set(c, [...(seen.get(c) || []), `${x}/${y}`]);
        }
      }
      assert.equal(sum, located.length);
      assert.equal(seen.size, located.length);
      for (const [code, where] of seen) assert.equal(where.length, 1, `${code} in tiles ${where}`);
      for (const f of located) assert.ok(seen.has(f.id), `${f.id} in no tile`);
    });
  }

  it('the point on the z8 edge between columns 202 and 203 is in column 203 only', async () => {
    for (const z of [8, 13]) {
      const x = 203 * 2 ** (z - 8); const y = lat2y(EDGE.lat, z);
      const inside = await tile('institutions', z, x, y);
      const left = await tile('institutions', z, x - 1, y);
      assert.ok(inside.features.some((f) => codesOf(f).includes(EDGE.code)), `z${z}: not in ${x}/${y}`);
      assert.ok(!left.features.some((f) => codesOf(f).includes(EDGE.code)), `z${z}: also in ${x - 1}/${y}`);
    }
  });

  it('T2: Hoàn Kiếm is in 14/13009/7212 (XYZ rows, not TMS)', () => {
    assert.equal(lon2x(105.852, 14), 13009);
    assert.equal(lat2y(21.0285, 14), 7212);
  });

  it('points from cluster_max_zoom on carry id and the listed properties, at the zoom\'s precision', async () => {
    const z = Math.max(cfg.cluster_max_zoom, 13);
    const f = located.find((g) => g.id === 'BG-002') || located[0];
    const [lon, lat] = f.geometry.coordinates;
    const d = await tile('institutions', z, lon2x(lon, z), lat2y(lat, z));
    const g = d.features.find((h) => h.id === f.id);
    assert.ok(g, 'the institution is in its tile');
    assert.deepEqual(Object.keys(g.properties).sort(), ['code', 'kind', 'location_precision', 'name', 'ownership']);
    assert.equal(g.properties.code, g.id);
    assert.equal(g.properties.name, f.properties.name);
    assert.ok(Math.abs(g.geometry.coordinates[0] - lon) < 1e-5 && Math.abs(g.geometry.coordinates[1] - lat) < 1e-5);
    for (const c of g.geometry.coordinates) assert.ok((String(c).split('.')[1] || '').length <= 7);
    assert.ok(!d.features.some((h) => h.properties.cluster), 'no clusters from cluster_max_zoom on');
  });

  it('filters: kind narrows the points; unknown parameters are refused', async () => {
    const colleges = located.filter((f) => f.properties.kind === 'college').length;
    const d = await tile('institutions', 0, 0, 0, '?kind=college');
    assert.equal(d.features.reduce((a, f) => a + countOf(f), 0), colleges);
    const two = await tile('institutions', 0, 0, 0, '?kind=college,vet_centre');
    assert.equal(two.features.reduce((a, f) => a + countOf(f), 0),
      located.filter((f) => ['college', 'vet_centre'].includes(f.properties.kind)).length);
    const r = await request(`${base}/tiles/institutions/0/0/0.geojson?limit=5`);
    assert.equal(r.status, 400);
    assert.equal(r.json().code, 'InvalidParameterValue');
    // A value no institution can have is refused too, not an empty tile; at every zoom.
    for (const q of ['kind=bogus', 'ownership=bogus', 'kind=college,bogus', 'kind=']) {
      for (const z of [0, 14]) {
        const [x, y] = z ? [13032, 7188] : [0, 0];
        const e = await request(`${base}/tiles/institutions/${z}/${x}/${y}.geojson?${q}`);
        assert.equal(e.status, 400, `${q} z${z}: ${e.text}`);
        assert.match(e.headers['content-type'], /^application\/json/);
        assert.equal(e.json().code, 'InvalidParameterValue');
      }
    }
  });
});

describe('clusters', () => {
  let byCode;
  before(async () => {
    byCode = new Map((await allItems(base, 'institutions')).filter((f) => f.geometry).map((f) => [f.id, f]));
  });

  /** The feature holding each code at zoom z, as "x/y#index". */
  async function holders(codes, z) {
    const out = new Map();
    const tiles = new Set(codes.map((c) => {
      const [lon, lat] = byCode.get(c).geometry.coordinates;
      return `${lon2x(lon, z)}/${lat2y(lat, z)}`;
    }));
    for (const t of tiles) {
      const [x, y] = t.split('/').map(Number);
      const d = await tile('institutions', z, x, y);
      d.features.forEach((f, i) => { for (const c of codesOf(f)) if (codes.includes(c)) out.set(c, `${t}#${i}`); });
    }
    return out;
  }

  it('carry count, codes and an expansion_zoom where the members really part', async () => {
    let checked = 0; let nulls = 0;
    for (const z of [5, 8, 10]) {
      if (z >= cfg.cluster_max_zoom) continue;
      const d = await tilesOver('institutions', z, [105.4, 20.9, 107.1, 21.7]);
      for (const { d: t } of d) {
        for (const f of t.features.filter((g) => g.properties.cluster)) {
          const p = f.properties;
          assert.equal(f.geometry.type, 'Point');
          assert.ok(Number.isInteger(p.count) && p.count > 1);
          assert.equal(p.codes.length, Math.min(p.count, 50));
          assert.ok(!('id' in f) || typeof f.id === 'string');
          if (p.expansion_zoom === null) {
            // members that never part: all at one spot
            const spots = new Set(p.codes.map((c) => byCode.get(c).geometry.coordinates.join(',')));
            assert.equal(spots.size, 1, `cluster ${p.codes} has expansion_zoom null but ${spots.size} spots`);
            nulls++;
            continue;
          }
          const e = p.expansion_zoom;
          assert.ok(Number.isInteger(e) && e > z && e <= cfg.cluster_max_zoom, `expansion_zoom ${e} at z${z}`);
          const at = await holders(p.codes, e);
          assert.ok(new Set(at.values()).size > 1, `z${z} cluster ${p.codes} still one feature at z${e}`);
          if (e - 1 > z) {
            const before1 = await holders(p.codes, e - 1);
            assert.equal(new Set(before1.values()).size, 1, `z${z} cluster ${p.codes} already parted at z${e - 1}`);
          }
          checked++;
        }
      }
    }
    assert.ok(checked > 0, 'some cluster with an expansion zoom was checked');
    assert.ok(nulls > 0, 'the institutions at one spot form a cluster with expansion_zoom null');
  });

  it('institutions at one spot stay a cluster up to cluster_max_zoom, then come out one by one', async () => {
    const [{ lon, lat }] = SAME;
    const z0 = cfg.cluster_max_zoom - 1;
    if (z0 >= 0) {
      const d = await tile('institutions', z0, lon2x(lon, z0), lat2y(lat, z0));
      const c = d.features.find((f) => f.properties.cluster && f.properties.codes.includes(SAME[0].code));
      assert.ok(c && c.properties.codes.includes(SAME[1].code));
      assert.equal(c.properties.expansion_zoom, null);
    }
    const z1 = Math.min(cfg.cluster_max_zoom, 20);
    const d = await tile('institutions', z1, lon2x(lon, z1), lat2y(lat, z1));
    for (const s of SAME) assert.ok(d.features.some((f) => f.id === s.code), `${s.code} alone at z${z1}`);
  });
});

describe('admin tiles: clipped polygons', () => {
  const cases = [
    ['communes', 12, 3256, 1800], ['communes', 14, 13025, 7200], ['districts', 10, 814, 450],
    ['provinces', 8, 203, 112], ['provinces', 12, 3256, 1800], ['communes', 8, 203, 112],
  ];
  for (const [coll, z, x, y] of cases) {
    it(`${coll} ${z}/${x}/${y}: inside the tile box grown by ${BUFFER_PX} px, RFC 7946 rings, id = code`, async () => {
      const d = await tile(coll, z, x, y);
      assert.ok(d.features.length > 0, 'the tile has features');
      const box = bufferedBox(z, x, y);
      const eps = 10 ** -decimalsAt(z); // rounding to the zoom's decimals
      const ids = new Set();
      for (const f of d.features) {
        assert.equal(typeof f.id, 'string');
        assert.equal(f.id, f.properties.code);
        assert.ok(!ids.has(f.id), `${f.id} twice in one tile`);
        ids.add(f.id);
        assert.deepEqual(Object.keys(f.properties).sort(), ['code', 'level', 'name', 'parent_code', 'type']);
        assert.ok(['Polygon', 'MultiPolygon'].includes(f.geometry.type));
        for (const [lon, lat] of positions(f.geometry)) {
          assert.ok(lon >= box.w - eps && lon <= box.e + eps && lat >= box.s - eps && lat <= box.n + eps,
            `${f.id}: ${lon},${lat} outside ${JSON.stringify(box)}`);
        }
        const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
        for (const p of polys) {
          assert.ok(ringArea(p[0]) > 0, `${f.id}: exterior ring not counter-clockwise`);
          for (const h of p.slice(1)) assert.ok(ringArea(h) < 0, `${f.id}: hole not clockwise`);
          for (const r of p) assert.deepEqual(r[0], r[r.length - 1]);
        }
      }
      // the same units as the features API finds in that box (R*Tree + exact test), never others
      const items = await allItems(base, coll, `bbox=${box.w},${box.s},${box.e},${box.n}`);
      const itemIds = new Set(items.map((f) => f.id));
      for (const id of ids) assert.ok(itemIds.has(id), `${id} in the tile but not in the bbox items`);
    });
  }

  it('a unit larger than the tile is cut at the buffered edges', async () => {
    const [z, x, y] = [12, 3256, 1800];
    const d = await tile('provinces', z, x, y);
    const box = bufferedBox(z, x, y);
    const pos = [...positions(d.features[0].geometry)];
    const near = (a, b) => Math.abs(a - b) < 1e-4;
    assert.ok(pos.some(([lon]) => near(lon, box.w)) && pos.some(([lon]) => near(lon, box.e)));
    assert.ok(pos.some(([, lat]) => near(lat, box.s)) && pos.some(([, lat]) => near(lat, box.n)));
  });

  it('G5: names as raw UTF-8, coordinates at the zoom\'s precision', async () => {
    const d = await tile('communes', 12, 3256, 1800);
    assert.ok(!d.text.includes('\\u'), 'no \\u escapes');
    assert.ok(d.features.some((f) => /[^\x00-\x7f]/.test(f.properties.name)));
    for (const f of d.features) for (const c of positions(f.geometry)) for (const v of c) {
      assert.ok(decimals(v) <= decimalsAt(12), `${v}: too many decimals at z12`);
    }
  });

  it('a tile with no unit in it is an empty FeatureCollection; units below a pixel are left out', async () => {
    assert.deepEqual((await tile('communes', 10, 0, 0)).features, []);
    // at z0 a pixel is 1.4 degrees: every unit of the province is below it; at z5 the province shows
    assert.deepEqual((await tile('communes', 0, 0, 0)).features, []);
    assert.equal((await tile('provinces', 0, 0, 0)).features.length, 0);
    assert.equal((await tile('provinces', 5, 25, 14)).features.length, 1);
  });
});

describe('bad tile addresses (CASES T4)', () => {
  const cases = [
    ['/tiles/communes/31/0/0.geojson', 404],
    ['/tiles/communes/3/8/0.geojson', 404],
    ['/tiles/communes/3/0/8.geojson', 404],
    ['/tiles/communes/3/-1/0.geojson', 400],
    ['/tiles/communes/3/0/abc.geojson', 400],
    ['/tiles/communes/99999999999999999999999999/0/0.geojson', 404],
    ['/tiles/communes/3/0/184467440737095516160000.geojson', 404],
    ['/tiles/communes/3/0/0', 400],
    ['/tiles/communes/3/0/0.png', 400],
    ['/tiles/communes/3/0.geojson', 400],
    ['/tiles/nowhere/3/0/0.geojson', 404],
    ['/tiles/nowhere.json', 404],
    ['/tiles/communes/3/0/0.geojson?x=1', 400],
  ];
  for (const [url, status] of cases) {
    it(`${url} -> ${status} with a JSON error`, async () => {
      const r = await request(base + url);
      assert.equal(r.status, status, r.text);
      assert.match(r.headers['content-type'], /^application\/json/);
      const e = r.json();
      assert.equal(typeof e.code, 'string');
      assert.equal(typeof e.description, 'string');
      assert.equal(e.code, status === 400 ? 'InvalidParameterValue' : 'NotFound');
    });
  }

  it('the server is still alive and serving tiles after them', async () => {
    const d = await tile('communes', 12, 3256, 1800);
    assert.ok(d.features.length > 0);
    const h = await getJson(`${base}/api/health`);
    assert.equal(h.status, 200);
  });
});

describe('TileJSON', () => {
  for (const coll of ['communes', 'institutions']) {
    it(`/tiles/${coll}.json is TileJSON 3.0.0 whose template serves tiles`, async () => {
      const r = await getJson(`${base}/tiles/${coll}.json`);
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers['content-type'], /^application\/json/);
      const t = r.data;
      assert.equal(t.tilejson, '3.0.0');
      assert.deepEqual(t.tiles, [`${base}/tiles/${coll}/{z}/{x}/{y}.geojson`]);
      assert.equal(t.minzoom, 0);
      assert.equal(t.maxzoom, 20);
      assert.equal(typeof t.name, 'string');
      assert.equal(typeof t.attribution, 'string');
      assert.equal(t.bounds.length, 4);
      const [w, s, e, n] = t.bounds;
      assert.ok(w < e && s < n);
      // Bắc Giang (and, for institutions, the test points around it)
      assert.ok(w > 105 && e < 107.5 && s > 20.5 && n < 22, JSON.stringify(t.bounds));
      assert.equal(t.vector_layers[0].id, coll);
      const url = t.tiles[0].replace('{z}', '8').replace('{x}', '203').replace('{y}', '112');
      const d = await request(url);
      assert.equal(d.status, 200);
      assert.match(d.headers['content-type'], /^application\/geo\+json/);
    });
  }

  it('the tiles template keeps the filters it was asked for', async () => {
    const t = (await getJson(`${base}/tiles/institutions.json?kind=college`)).data;
    assert.equal(t.tiles[0], `${base}/tiles/institutions/{z}/{x}/{y}.geojson?kind=college`);
  });
});
