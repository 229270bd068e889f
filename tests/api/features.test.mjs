// OGC API – Features: landing, conformance, collections, items (paging, bbox, filters, errors),
// single items, OpenAPI, /api/config, /api/health, and CASES S1 (R*Tree bbox over 20k points)
// and G5 (raw UTF-8, application/geo+json).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  addUser, allItems, buildDb, copyDb, getJson, login, removeDir, request, sqlite, startServer, tmpDir,
} from './lib/server.mjs';
import { assertJsonError, decimals, positions } from './lib/checks.mjs';

const GEO = 'application/geo+json';
const INSTITUTION_PROPS = ['code', 'name', 'kind', 'ownership', 'governing_body', 'address', 'commune_code',
  'commune_name', 'district_code', 'district_name', 'province_code', 'province_name', 'website', 'phone',
  'email', 'location_precision', 'description', 'programs', 'source_urls', 'updated_at', 'version'];
const ADMIN_PROPS = ['code', 'name', 'type', 'level', 'level_name', 'parent_code', 'layout', 'population',
  'area_km2'];
const SHIPPED = { institutions: 16, districts: 10, provinces: 1, communes: 230 };

let dir; let db; let srv; let base;

before(async () => {
  dir = tmpDir();
  db = await buildDb(dir);
  srv = await startServer({ db });
  base = srv.base;
});

after(async () => {
  if (srv) await srv.stop();
  removeDir(dir);
});

/** [west, south, east, north] of a GeoJSON geometry. */
function envelope(g) {
  let w = Infinity; let s = Infinity; let e = -Infinity; let n = -Infinity;
  for (const [x, y] of positions(g)) {
    w = Math.min(w, x); e = Math.max(e, x); s = Math.min(s, y); n = Math.max(n, y);
  }
  return [w, s, e, n];
}

describe('landing page and conformance', () => {
  it('links self, service-desc, conformance and data, all absolute and reachable', async () => {
    const r = await getJson(`${base}/api`);
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^application\/json/);
    assert.equal(typeof r.data.title, 'string');
    const rels = Object.fromEntries(r.data.links.map((l) => [l.rel, l]));
    for (const rel of ['self', 'service-desc', 'conformance', 'data']) {
      assert.ok(rels[rel], `link ${rel}`);
      assert.ok(rels[rel].href.startsWith(base + '/api'), rels[rel].href);
      assert.equal(typeof rels[rel].type, 'string');
      const target = await request(rels[rel].href);
      assert.equal(target.status, 200, rels[rel].href);
      JSON.parse(target.text);
    }
    assert.equal(rels['service-desc'].href, `${base}/api/openapi.json`);
  });

  it('declares Core, GeoJSON and OpenAPI 3.0', async () => {
    const r = await getJson(`${base}/api/conformance`);
    assert.equal(r.status, 200);
    for (const c of ['core', 'geojson', 'oas30']) {
      assert.ok(r.data.conformsTo.includes(`http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/${c}`), c);
    }
  });
});

describe('collections', () => {
  it('lists the four collections with self/items links and an extent from the data', async () => {
    const r = await getJson(`${base}/api/collections`);
    assert.equal(r.status, 200);
    const ids = r.data.collections.map((c) => c.id);
    assert.deepEqual(ids, ['institutions', 'provinces', 'districts', 'communes']);
    for (const c of r.data.collections) {
      assert.equal(c.itemType, 'feature');
      assert.deepEqual(c.crs, ['http://www.opengis.net/def/crs/OGC/1.3/CRS84']);
      const rels = Object.fromEntries(c.links.map((l) => [l.rel, l]));
      assert.equal(rels.self.href, `${base}/api/collections/${c.id}`);
      assert.equal(rels.items.href, `${base}/api/collections/${c.id}/items`);
      assert.equal(rels.items.type, GEO);
      const [bb] = c.extent.spatial.bbox;
      assert.equal(bb.length, 4);
      assert.ok(bb[0] <= bb[2] && bb[1] <= bb[3], `${c.id} extent ${bb}`);
      assert.equal(c.extent.spatial.crs, 'http://www.opengis.net/def/crs/OGC/1.3/CRS84');
    }
  });

  it('extent equals the envelope of the features', async () => {
    for (const id of ['institutions', 'districts']) {
      const c = (await getJson(`${base}/api/collections/${id}`)).data;
      const feats = (await allItems(base, id)).filter((f) => f.geometry);
      const env = feats.map((f) => envelope(f.geometry)).reduce((a, b) => [
        Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])]);
      const [bb] = c.extent.spatial.bbox;
      for (let k = 0; k < 4; k++) assert.ok(Math.abs(bb[k] - env[k]) < 2e-6, `${id} extent[${k}] ${bb[k]} vs ${env[k]}`);
    }
  });

  it('one collection has the same metadata as in the list; unknown -> 404 JSON', async () => {
    const list = (await getJson(`${base}/api/collections`)).data.collections;
    for (const c of list) {
      const one = await getJson(`${base}/api/collections/${c.id}`);
      assert.equal(one.status, 200);
      assert.deepEqual(one.data, c);
    }
    assertJsonError(await request(`${base}/api/collections/schools`), 404);
    assertJsonError(await request(`${base}/api/collections/institutions/nothing`), 404);
  });
});

describe('items', () => {
  it('counts the shipped data: 16 institutions, 1 province, 10 districts, 230 communes', async () => {
    for (const [id, n] of Object.entries(SHIPPED)) {
      const r = await getJson(`${base}/api/collections/${id}/items?limit=10000`);
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'], /^application\/geo\+json/);
      assert.equal(r.data.type, 'FeatureCollection');
      assert.equal(r.data.numberMatched, n, id);
      assert.equal(r.data.numberReturned, n, id);
      assert.equal(r.data.features.length, n, id);
      assert.equal(r.data.timeStamp, undefined, 'no timeStamp: same bytes for the same ETag');
    }
  });

  it('default page is 100 features', async () => {
    const r = await getJson(`${base}/api/collections/communes/items`);
    assert.equal(r.data.numberReturned, 100);
    assert.equal(r.data.numberMatched, 230);
  });

  it('institution features: id = code, Point with at most 7 decimals, every property', async () => {
    const feats = await allItems(base, 'institutions');
    const codes = new Set();
    for (const f of feats) {
      assert.equal(f.type, 'Feature');
      assert.equal(typeof f.id, 'string');
      assert.equal(f.id, f.properties.code);
      codes.add(f.id);
      assert.deepEqual(Object.keys(f.properties), INSTITUTION_PROPS);
      assert.ok(['college', 'intermediate_school', 'vet_centre', 'other'].includes(f.properties.kind));
      assert.ok(['public', 'private', 'foreign', 'unknown'].includes(f.properties.ownership));
      assert.ok(Array.isArray(f.properties.source_urls));
      assert.ok(Array.isArray(f.properties.programs));
      assert.ok(f.properties.description === null || typeof f.properties.description === 'string');
      for (const u of f.properties.source_urls) assert.match(u, /^https?:\/\//);
      assert.equal(typeof f.properties.version, 'number');
      if (f.properties.district_code) assert.equal(typeof f.properties.district_name, 'string');
      if (f.geometry) {
        assert.equal(f.geometry.type, 'Point');
        const [lon, lat] = f.geometry.coordinates;
        assert.ok(Number.isFinite(lon) && Number.isFinite(lat));
        assert.ok(decimals(lon) <= 7 && decimals(lat) <= 7, `${lon},${lat}`);
      } else {
        assert.equal(f.geometry, null);
      }
    }
    assert.equal(codes.size, feats.length, 'codes are unique');
    assert.ok(feats.some((f) => f.geometry), 'some institutions are on the map');
  });

  it('admin features: MultiPolygon with at most 6 decimals, every property, parents exist', async () => {
    const districts = await allItems(base, 'districts');
    const communes = await allItems(base, 'communes');
    const province = (await allItems(base, 'provinces'))[0];
    const districtCodes = new Set(districts.map((f) => f.id));
    for (const f of [province, ...districts, ...communes]) {
      assert.equal(f.id, f.properties.code);
      assert.deepEqual(Object.keys(f.properties), ADMIN_PROPS);
      assert.equal(f.geometry.type, 'MultiPolygon');
      for (const [x, y] of positions(f.geometry)) {
        assert.ok(decimals(x) <= 6 && decimals(y) <= 6, `${f.id}: ${x},${y}`);
      }
    }
    for (const d of districts) assert.equal(d.properties.parent_code, province.id);
    for (const c of communes) assert.ok(districtCodes.has(c.properties.parent_code), c.id);
    assert.equal(province.properties.level_name, 'province');
  });

  it('pages with next links until the end, keeping every parameter; prev links back', async () => {
    const all = (await allItems(base, 'institutions')).map((f) => f.id);
    let url = `${base}/api/collections/institutions/items?limit=5&f=json`;
    const seen = [];
    let pages = 0;
    while (url) {
      const r = await getJson(url);
      assert.equal(r.status, 200);
      assert.equal(r.data.numberMatched, all.length);
      seen.push(...r.data.features.map((f) => f.id));
      const links = Object.fromEntries(r.data.links.map((l) => [l.rel, l.href]));
      assert.equal(links.self, url);
      if (pages > 0) {
        assert.ok(links.prev, 'prev link');
        assert.equal(new URL(links.prev).searchParams.get('offset'), String((pages - 1) * 5));
      }
      url = links.next || null;
      if (url) {
        const q = new URL(url).searchParams;
        assert.equal(q.get('limit'), '5');
        assert.equal(q.get('f'), 'json');
        assert.equal(q.get('offset'), String((pages + 1) * 5));
      }
      pages++;
      assert.ok(pages < 10);
    }
    assert.equal(pages, Math.ceil(all.length / 5));
    assert.deepEqual(seen, all);
  });

  it('keeps bbox and filters in next links (MapServer drops bbox)', async () => {
    const bbox = '105.5,20.5,107.5,22.5';
    const r = await getJson(`${base}/api/collections/communes/items?bbox=${bbox}&limit=7&parent_code=213`);
    const next = r.data.links.find((l) => l.rel === 'next');
    assert.ok(next, 'there is a next page');
    const q = new URL(next.href).searchParams;
    assert.equal(q.get('bbox'), bbox);
    assert.equal(q.get('parent_code'), '213');
    assert.equal(q.get('offset'), '7');
    const page2 = await getJson(next.href);
    assert.equal(page2.data.numberMatched, r.data.numberMatched);
    for (const f of page2.data.features) assert.equal(f.properties.parent_code, '213');
  });

  it('bbox on points returns exactly what a full scan of the stored coordinates returns', async () => {
    // Stored values with every digit (%!.17g round-trips a double), so box edges can sit exactly on points.
    const rows = sqlite(db, "SELECT code, printf('%!.17g', lon), printf('%!.17g', lat) FROM institution "
      + 'WHERE lon IS NOT NULL ORDER BY code;').trim().split('\n').map((l) => l.split('|'));
    const pts = rows.map(([code, x, y]) => ({ code, x: Number(x), y: Number(y), sx: x, sy: y }));
    assert.ok(pts.length > 0);
    const xs = pts.map((p) => p.x); const ys = pts.map((p) => p.y);
    const [w, e, s, n] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const exact = (v) => pts.find((p) => p.x === v)?.sx ?? pts.find((p) => p.y === v)?.sy ?? String(v);
    const boxes = [[exact(w), exact(s), exact(e), exact(n)], [w, s, (w + e) / 2, (s + n) / 2],
      [(w + e) / 2, (s + n) / 2, e, n], [102, 8, 110, 24], [0, 0, 1, 1],
      // Edges passing exactly through one point: inclusive on every side.
      [pts[0].sx, pts[0].sy, pts[0].sx, pts[0].sy], [pts[0].x - 0.1, pts[0].sy, pts[0].sx, pts[0].y + 0.1]];
    for (const b of boxes) {
      const [bw, bs, be, bn] = b.map(Number);
      const want = pts.filter((p) => p.x >= bw && p.x <= be && p.y >= bs && p.y <= bn).map((p) => p.code);
      const r = await getJson(`${base}/api/collections/institutions/items?limit=10000&bbox=${b.join(',')}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.data.features.map((f) => f.id), want, `bbox ${b}`);
      assert.equal(r.data.numberMatched, want.length);
    }
  });

  it('bbox on polygons: every unit fully inside is found, every unit found touches the box', async () => {
    const all = await allItems(base, 'communes');
    const b = [106.171875, 21.207459, 106.259766, 21.289374]; // z12 tile 3256/1800, Bắc Giang city
    const r = await getJson(`${base}/api/collections/communes/items?limit=10000&bbox=${b.join(',')}`);
    assert.equal(r.status, 200);
    const got = new Set(r.data.features.map((f) => f.id));
    assert.ok(got.size > 0 && got.size < all.length, `${got.size} communes`);
    for (const f of all) {
      const [w, s, e, n] = envelope(f.geometry);
      if (w >= b[0] && e <= b[2] && s >= b[1] && n <= b[3]) assert.ok(got.has(f.id), `${f.id} is inside`);
      if (e < b[0] || w > b[2] || n < b[1] || s > b[3]) assert.ok(!got.has(f.id), `${f.id} is outside`);
    }
  });

  it('property filters equal a filter of the full list (a comma list means any)', async () => {
    const all = await allItems(base, 'institutions');
    const cases = [
      ['kind=college', (p) => p.kind === 'college'],
      ['kind=college,vet_centre', (p) => ['college', 'vet_centre'].includes(p.kind)],
      ['ownership=public', (p) => p.ownership === 'public'],
      [`district_code=${all.find((f) => f.properties.district_code)?.properties.district_code}`,
        (p, v) => p.district_code === v],
      ['province_code=24', (p) => p.province_code === '24'],
      [`location_precision=${all[0].properties.location_precision}`,
        (p) => p.location_precision === all[0].properties.location_precision],
      ['kind=college&ownership=public', (p) => p.kind === 'college' && p.ownership === 'public'],
      ['kind=other', (p) => p.kind === 'other'], // a value the data can hold; others are 400 (below)
    ];
    for (const [q, pred] of cases) {
      const value = q.split('=')[1];
      const want = all.filter((f) => pred(f.properties, value)).map((f) => f.id);
      const r = await getJson(`${base}/api/collections/institutions/items?limit=10000&${q}`);
      assert.equal(r.status, 200, `${q}: ${r.text}`);
      assert.deepEqual(r.data.features.map((f) => f.id), want, q);
      assert.equal(r.data.numberMatched, want.length, q);
    }
    const communes = await allItems(base, 'communes');
    const d = communes[0].properties.parent_code;
    const r = await getJson(`${base}/api/collections/communes/items?limit=10000&parent_code=${d}`);
    assert.deepEqual(r.data.features.map((f) => f.id), communes.filter((f) => f.properties.parent_code === d).map((f) => f.id));
    const one = await getJson(`${base}/api/collections/communes/items?code=${communes[5].id}`);
    assert.deepEqual(one.data.features.map((f) => f.id), [communes[5].id]);
  });

  it('rejects bad parameters with a 400 JSON error', async () => {
    const bad = [
      'limit=0', 'limit=10001', 'limit=abc', 'limit=', 'limit=1.5', 'offset=-1', 'offset=x',
      'bbox=1,2,3', 'bbox=1,2,3,4,5,6', 'bbox=a,b,c,d', 'bbox=10,0,5,1', 'bbox=0,10,1,5', 'bbox=0,0,1,91',
      'bbox=-181,0,1,1', 'bbox=nan,0,1,1', 'bbox=0x10,0,1,1', 'f=xml', 'foo=1', 'limit=5&limit=6',
      'parent_code=213', 'kind=', 'LIMIT=5',
      // Enumerated filters take only the values the data can hold (store.c's CHECK constraints).
      'kind=bogus', 'kind=college,bogus', 'kind=College', 'ownership=bogus', 'location_precision=bogus',
      'location_precision=commune_centroid,', 'kind=college&ownership=state',
    ];
    for (const q of bad) {
      const e = assertJsonError(await request(`${base}/api/collections/institutions/items?${q}`), 400);
      assert.equal(e.code, 'InvalidParameterValue', q);
    }
    assertJsonError(await request(`${base}/api/collections/communes/items?kind=college`), 400);
    for (const ok of ['limit=1', 'limit=10000', 'offset=0', 'offset=100000', 'f=json', 'bbox=-180,-90,180,90']) {
      assert.equal((await request(`${base}/api/collections/institutions/items?${ok}`)).status, 200, ok);
    }
  });

  it('an offset past the end gives an empty page with the right numberMatched and a prev link', async () => {
    const r = await getJson(`${base}/api/collections/institutions/items?offset=1000`);
    assert.equal(r.data.numberReturned, 0);
    assert.equal(r.data.numberMatched, SHIPPED.institutions);
    assert.deepEqual(r.data.features, []);
    assert.ok(r.data.links.some((l) => l.rel === 'prev'));
    assert.ok(!r.data.links.some((l) => l.rel === 'next'));
  });
});

describe('single items', () => {
  it('returns the Feature with links, identical to the one in the list', async () => {
    for (const id of ['institutions', 'districts', 'communes']) {
      const list = await allItems(base, id);
      const f = list[list.length - 1];
      const r = await getJson(`${base}/api/collections/${id}/items/${encodeURIComponent(f.id)}`);
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'], /^application\/geo\+json/);
      const { links, ...feature } = r.data;
      assert.deepEqual(feature, f);
      assert.ok(links.some((l) => l.rel === 'self' && l.href.endsWith(`/items/${encodeURIComponent(f.id)}`)));
      assert.ok(links.some((l) => l.rel === 'collection' && l.href === `${base}/api/collections/${id}`));
    }
  });

  it('unknown feature -> 404 JSON; codes keep their leading zeros', async () => {
    assertJsonError(await request(`${base}/api/collections/institutions/items/NO-SUCH-CODE`), 404);
    assertJsonError(await request(`${base}/api/collections/nothing/items/1`), 404);
    const communes = await allItems(base, 'communes');
    const zero = communes.find((f) => f.id.startsWith('0'));
    assert.ok(zero, 'a commune code with a leading zero');
    assert.equal((await request(`${base}/api/collections/communes/items/${zero.id}`)).status, 200);
    assertJsonError(await request(`${base}/api/collections/communes/items/${zero.id.replace(/^0+/, '')}`), 404);
    assertJsonError(await request(`${base}/api/collections/institutions/items/x?foo=1`), 400);
  });
});

describe('approved description and programs are public', () => {
  it('an admin edit of both shows in the item, the items list, search and nearest', async () => {
    const who = { email: 'admin@features.test', password: 'features-admin-passphrase' };
    addUser(db, 'admin', who);
    const { cookie, csrf } = await login(base, who);
    const target = (await allItems(base, 'institutions')).find((f) => f.geometry);
    const url = `${base}/api/collections/institutions/items/${encodeURIComponent(target.id)}`;
    const description = 'Đào tạo nghề cho thanh niên nông thôn.\nCó ký túc xá.';
    const programs = [
      { occupation_code: '6480201', occupation_name: 'Công nghệ thông tin', level: 'cao đẳng', annual_quota: 120 },
      { occupation_code: '5520123', occupation_name: 'Hàn', level: 'trung cấp', annual_quota: null },
    ];
    const etag = (await request(url)).headers.etag;
    const r = await request(url, {
      method: 'PATCH',
      headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/merge-patch+json', 'If-Match': etag },
      body: JSON.stringify({ properties: { description, programs } }),
    });
    assert.equal(r.status, 200, r.text);

    const check = (f, where) => {
      assert.ok(f, `${target.id} in ${where}`);
      assert.deepEqual(Object.keys(f.properties).filter((k) => k !== 'distance_km'), INSTITUTION_PROPS, where);
      assert.equal(f.properties.description, description, where);
      assert.deepEqual(f.properties.programs, programs, where);
    };
    check((await getJson(url)).data, 'the item');
    check((await allItems(base, 'institutions')).find((f) => f.id === target.id), 'the items list');
    const q = encodeURIComponent(target.properties.name);
    check((await getJson(`${base}/api/search?q=${q}&limit=100`)).data.features.find((f) => f.id === target.id), 'search');
    const [lon, lat] = target.geometry.coordinates;
    check((await getJson(`${base}/api/nearest?lon=${lon}&lat=${lat}&limit=50`)).data.features.find((f) => f.id === target.id),
      'nearest');
    // Others have none: an empty list, not a missing member.
    const other = (await allItems(base, 'institutions')).find((f) => f.id !== target.id);
    assert.deepEqual(other.properties.programs, []);
  });
});

describe('OpenAPI document', () => {
  it('is OpenAPI 3.0 JSON listing every route, with the parameters the server accepts', async () => {
    const r = await getJson(`${base}/api/openapi.json`);
    assert.equal(r.status, 200);
    assert.match(r.data.openapi, /^3\.0\.\d+$/);
    assert.equal(r.data.servers[0].url, base);
    const paths = Object.keys(r.data.paths);
    for (const p of ['/api', '/api/conformance', '/api/collections', '/api/collections/{collectionId}',
      '/api/collections/{collectionId}/items', '/api/collections/{collectionId}/items/{featureId}',
      '/api/openapi.json', '/api/search', '/api/nearest', '/tiles/{collection}/{z}/{x}/{y}.geojson',
      '/tiles/{collection}.json', '/api/health', '/api/config']) {
      assert.ok(paths.includes(p), p);
      assert.ok(r.data.paths[p].get.responses['200'], p);
    }
    const items = r.data.paths['/api/collections/{collectionId}/items'].get.parameters.map((p) => p.name);
    for (const name of ['limit', 'offset', 'bbox', 'kind', 'ownership', 'district_code', 'commune_code',
      'province_code', 'location_precision', 'parent_code', 'code']) assert.ok(items.includes(name), name);
    // Every documented institution parameter is one the server takes (no 400 "unknown").
    const samples = { limit: '1', offset: '0', bbox: '0,0,1,1', f: 'json', kind: 'college', ownership: 'public',
      district_code: '213', commune_code: 'x', province_code: '24', location_precision: 'surveyed' };
    for (const [k, v] of Object.entries(samples)) {
      assert.ok(items.includes(k), k);
      assert.equal((await request(`${base}/api/collections/institutions/items?${k}=${v}`)).status, 200, k);
    }
    const search = r.data.paths['/api/search'].get.parameters.map((p) => p.name);
    assert.deepEqual(search.sort(), ['district_code', 'kind', 'limit', 'offset', 'ownership', 'q']);
    const nearest = r.data.paths['/api/nearest'].get.parameters.map((p) => p.name);
    assert.deepEqual(nearest.sort(), ['kind', 'lat', 'limit', 'lon']);
  });

  it('describes the what-if body member by member, as the server reads it', async () => {
    const doc = (await getJson(`${base}/api/openapi.json`)).data;
    const body = doc.paths['/api/coverage/whatif'].post.requestBody.content['application/json'].schema;
    assert.equal(body.$ref, '#/components/schemas/WhatIf');
    const schema = doc.components.schemas.WhatIf;
    assert.equal(schema.type, 'object');
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(Object.keys(schema.properties).sort(),
      ['add', 'geometry', 'kind', 'layout', 'level', 'occupation', 'ownership', 'radius_km', 'remove']);
    const site = schema.properties.add.items;
    assert.deepEqual(site.required, ['lon', 'lat']);
    assert.deepEqual(Object.keys(site.properties).sort(), ['code', 'kind', 'lat', 'lon', 'name', 'ownership']);
    assert.deepEqual(site.properties.kind.enum, ['college', 'intermediate_school', 'vet_centre', 'other']);
    assert.equal(schema.properties.remove.items.type, 'string');
    // A body with every documented member is accepted; one more member is not.
    const code = (await allItems(base, 'institutions'))[0].id;
    const full = {
      layout: '2025', level: 'commune', radius_km: 5, kind: ['college', 'other'], ownership: 'public,private',
      occupation: '6480201', geometry: false, remove: [code],
      add: [{ lon: 106.2, lat: 21.3, name: 'Cơ sở mới', code: 'NEW-1', kind: 'vet_centre', ownership: 'public' }],
    };
    const post = (b) => request(`${base}/api/coverage/whatif`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) });
    const ok = await post(full);
    assert.equal(ok.status, 200, ok.text);
    assertJsonError(await post({ ...full, colour: 'red' }), 400);
  });

  it('documents every route the server serves (a prefix route by a path under it)', async () => {
    const doc = (await getJson(`${base}/api/openapi.json`)).data;
    const routes = (await getJson(`${base}/api/_debug/routes`)).data;
    assert.ok(routes.length >= 20);
    const documented = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => [m.toUpperCase(), p]));
    for (const { method, path: route } of routes) {
      if (route.startsWith('/api/_debug/')) continue;
      const prefix = route.endsWith('/');
      const hit = documented.some(([m, p]) => m === method && (prefix ? p.startsWith(route) && p !== route : p === route));
      assert.ok(hit, `${method} ${route}${prefix ? '...' : ''} is in /api/openapi.json`);
    }
  });
});

describe('/api/config and /api/health', () => {
  it('config: title, basemap, clustering, default layout, bbox around the data, collections', async () => {
    const r = await getJson(`${base}/api/config`);
    assert.equal(r.status, 200);
    const c = r.data;
    assert.equal(typeof c.title, 'string');
    assert.equal(c.basemap.url, 'https://tile.openstreetmap.org/{z}/{x}/{y}.png');
    assert.match(c.basemap.attribution, /OpenStreetMap/);
    assert.equal(typeof c.basemap.max_zoom, 'number');
    assert.equal(c.cluster_max_zoom, 12);
    assert.equal(typeof c.default_layout, 'string');
    assert.equal(c.bbox.length, 4);
    const province = (await allItems(base, 'provinces'))[0];
    const env = envelope(province.geometry);
    for (let k = 0; k < 4; k++) assert.ok(Math.abs(c.bbox[k] - env[k]) < 2e-6, `bbox[${k}]`);
    for (const f of (await allItems(base, 'institutions')).filter((x) => x.geometry)) {
      const [x, y] = f.geometry.coordinates;
      assert.ok(x >= c.bbox[0] && x <= c.bbox[2] && y >= c.bbox[1] && y <= c.bbox[3], f.id);
    }
    assert.deepEqual(c.collections.map((x) => x.id), ['institutions', 'provinces', 'districts', 'communes']);
  });

  it('health: ok and the data version, never cached', async () => {
    const r = await getJson(`${base}/api/health`);
    assert.equal(r.status, 200);
    assert.equal(r.data.status, 'ok');
    assert.ok(Number.isInteger(r.data.data_version));
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers.etag, undefined);
  });
});

describe('CASES G5: raw UTF-8 in application/geo+json', () => {
  it('"Trường" is sent as UTF-8 bytes, not \\u escapes', async () => {
    for (const url of [`${base}/api/collections/institutions/items`, `${base}/api/collections/institutions/items/`
      + encodeURIComponent((await allItems(base, 'institutions'))[0].id), `${base}/api/search?q=truong`]) {
      const r = await request(url);
      assert.match(r.headers['content-type'], /^application\/geo\+json/, url);
      assert.ok(r.body.includes(Buffer.from('Trường', 'utf8')), url);
      assert.ok(!/\\u[0-9a-fA-F]{4}/.test(r.text), `no \\u escapes in ${url}`);
    }
  });
});

describe('CASES S1: bbox over 20k points uses the R*Tree and equals a full scan', () => {
  let dir2; let db2; let srv2;
  const N = 20000;
  before(async () => {
    dir2 = tmpDir();
    db2 = copyDb(db, path.join(dir2, 's1.sqlite'));
    // 20k points over mainland Vietnam through SpatiaLite's own triggers (they keep the R*Tree).
    sqlite(db2, `BEGIN;
      WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ${N}),
        p(k, lon, lat) AS (SELECT k, 102.2 + ((k * 7919) % 73000) / 10000.0, 8.6 + ((k * 104729) % 148000) / 10000.0 FROM n)
      INSERT INTO institution(code, name, kind, ownership, location_precision, source_urls, lon, lat, version, updated_at, geom)
      SELECT printf('S1-%05d', k), printf('Trường thử %d', k), 'other', 'unknown', 'surveyed', '[]', lon, lat, 1,
             '2025-01-01T00:00:00Z', MakePoint(lon, lat, 4326) FROM p;
      COMMIT;`, { spatialite: true });
    srv2 = await startServer({ db: db2 });
  });
  after(async () => {
    if (srv2) await srv2.stop();
    removeDir(dir2);
  });

  const bbox = [105.46875, 20.632784, 106.875, 21.943046]; // z8 tile 203/112

  it('EXPLAIN QUERY PLAN of the items SQL shows the R*Tree (idx_institution_geom)', async () => {
    const q = await getJson(`${srv2.base}/api/_debug/items-sql/institutions?bbox=${bbox.join(',')}&limit=1000`);
    assert.equal(q.status, 200, q.text);
    for (const sql of [q.data.sql, q.data.count_sql]) {
      assert.match(sql, /idx_institution_geom/);
      const plan = sqlite(db2, `EXPLAIN QUERY PLAN ${sql};`);
      assert.match(plan, /idx_institution_geom VIRTUAL TABLE INDEX \d+:/, plan);
      assert.doesNotMatch(plan, /SCAN i\b(?! USING)/, `no full scan of institution:\n${plan}`);
    }
  });

  it('returns the same rows as a full scan', async () => {
    const want = sqlite(db2, `SELECT code FROM institution WHERE lon BETWEEN ${bbox[0]} AND ${bbox[2]}
      AND lat BETWEEN ${bbox[1]} AND ${bbox[3]} ORDER BY code;`).trim().split('\n').filter(Boolean);
    assert.ok(want.length > 300, `${want.length} points in the box`);
    const got = [];
    let url = `${srv2.base}/api/collections/institutions/items?bbox=${bbox.join(',')}&limit=500`;
    while (url) {
      const r = await getJson(url);
      assert.equal(r.data.numberMatched, want.length);
      got.push(...r.data.features.map((f) => f.id));
      url = r.data.links.find((l) => l.rel === 'next')?.href;
    }
    assert.deepEqual(got, want);
  });
});
