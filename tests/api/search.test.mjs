// /api/search (CASES S3 folding and ranking, H4 '+' decoding) and /api/nearest (geodesic order).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ROOT, allItems, buildDb, fold, getJson, ingest, rawRequest, removeDir, request, startServer, tmpDir,
} from './lib/server.mjs';
import { assertJsonError } from './lib/checks.mjs';

const FIXTURE = path.join(ROOT, 'tests', 'fixtures', 'search_s3.csv');
const DUONG_SAT = 'Trường Cao đẳng Đường sắt';
const DUONG_KINH = 'Trung cấp Dương Kinh';
const NGHE_AN = 'Trường Cao đẳng Du lịch Nghệ An';

let dir; let srv; let base;

before(async () => {
  dir = tmpDir();
  const db = await buildDb(dir);
  // The CASES S3 names, added the way any data arrives: through `vetmap ingest`.
  await ingest(db, FIXTURE);
  srv = await startServer({ db });
  base = srv.base;
});

after(async () => {
  if (srv) await srv.stop();
  removeDir(dir);
});

async function search(query) {
  const r = await getJson(`${base}/api/search?${query}`);
  assert.equal(r.status, 200, `${query}: ${r.text}`);
  assert.match(r.headers['content-type'], /^application\/geo\+json/);
  assert.equal(r.data.type, 'FeatureCollection');
  return r.data;
}

const names = (fc) => fc.features.map((f) => f.properties.name);

describe('CASES S3: folded search', () => {
  it('"duong" finds both "Đường sắt" (đ) and "Dương Kinh" (ư with a mark)', async () => {
    const fc = await search('q=duong');
    assert.ok(names(fc).includes(DUONG_SAT), names(fc).join(' | '));
    assert.ok(names(fc).includes(DUONG_KINH), names(fc).join(' | '));
  });

  it('exact-diacritic matches rank first: "Dương" -> Dương Kinh, "Đường" -> Đường sắt', async () => {
    assert.equal(names(await search('q=D%C6%B0%C6%A1ng'))[0], DUONG_KINH);
    assert.equal(names(await search('q=%C4%90%C6%B0%E1%BB%9Dng'))[0], DUONG_SAT);
    // Case does not matter for the exact rank, marks do.
    assert.equal(names(await search(`q=${encodeURIComponent('đường')}`))[0], DUONG_SAT);
  });

  it('"cao dang" finds every "Cao đẳng", and "cao đẳng" ranks names with those marks first', async () => {
    const all = await allItems(base, 'institutions');
    const want = all.filter((f) => fold(f.properties.name).includes('cao dang')).map((f) => f.id);
    assert.ok(want.length >= 6, `${want.length} colleges`);
    const fc = await search('q=cao+dang&limit=100');
    const got = fc.features.map((f) => f.id);
    for (const id of want) assert.ok(got.includes(id), `${id} found`);
    assert.equal(fc.numberMatched, got.length);
    const exact = await search(`q=${encodeURIComponent('cao đẳng')}&limit=100`);
    const n = exact.features.filter((f) => f.properties.name.toLowerCase().includes('cao đẳng')).length;
    assert.ok(n > 0);
    for (const f of exact.features.slice(0, n)) assert.ok(f.properties.name.toLowerCase().includes('cao đẳng'), f.properties.name);
  });

  it('"nghe" finds "Nghệ" (two marks on one letter); "Nghệ" ranks it above "nghề"', async () => {
    const fc = await search('q=nghe&limit=100');
    assert.ok(names(fc).includes(NGHE_AN), names(fc).join(' | '));
    // Exact-diacritic matches ("nghệ") rank before folded-only ones ("nghề"); several
    // names may hold the exact word (e.g. "Công nghệ"), so their own order is bm25's.
    const exact = names(await search(`q=${encodeURIComponent('Nghệ')}&limit=100`));
    const hasExact = (n) => n.toLowerCase().includes('nghệ');
    const firstFolded = exact.findIndex((n) => !hasExact(n));
    const top = firstFolded < 0 ? exact : exact.slice(0, firstFolded);
    assert.ok(top.includes(NGHE_AN), exact.join(' | '));
    assert.ok(exact.slice(top.length).every((n) => !hasExact(n)), `exact matches first: ${exact.join(' | ')}`);
    const other = await search(`q=${encodeURIComponent('nghề')}&limit=100`);
    if (other.features.length > 1) assert.notEqual(names(other)[0], NGHE_AN);
  });

  it('each word is a prefix and all words must match: "ky thuat cong"', async () => {
    const fc = await search('q=ky+thuat+cong&limit=100');
    assert.ok(fc.features.length > 0);
    for (const f of fc.features) {
      const words = fold(`${f.properties.name} ${f.properties.address || ''} ${f.properties.governing_body || ''} `
        + `${f.properties.code} ${f.properties.commune_name || ''} ${f.properties.district_name || ''} `
        + `${f.properties.province_name || ''}`).split(' ');
      for (const q of ['ky', 'thuat', 'cong']) assert.ok(words.some((w) => w.startsWith(q)), `${f.id} has ${q}*`);
    }
    const all = await allItems(base, 'institutions');
    const named = all.filter((f) => /kỹ thuật công/i.test(f.properties.name)).map((f) => f.id);
    for (const id of named) assert.ok(fc.features.some((f) => f.id === id), id);
    assert.equal((await search('q=ky+thuat+zzzz')).numberMatched, 0);
  });

  it('search results are full institution features', async () => {
    const fc = await search('q=truong&limit=3');
    assert.equal(fc.numberReturned, fc.features.length);
    for (const f of fc.features) {
      assert.equal(f.id, f.properties.code);
      assert.ok(Array.isArray(f.properties.source_urls));
    }
  });
});

describe('CASES H4: "+" in the query string is a space', () => {
  it('?q=Cao+%C4%91%E1%BA%B3ng is the query "Cao đẳng", sent as is', async () => {
    const port = new URL(base).port;
    const raw = await rawRequest(port, 'GET /api/search?q=Cao+%C4%91%E1%BA%B3ng&limit=100 HTTP/1.1\r\n'
      + 'Host: 127.0.0.1\r\nConnection: close\r\n\r\n');
    assert.equal(raw.status, 200);
    const plus = JSON.parse(raw.body);
    assert.equal(plus.query, 'Cao đẳng');
    const space = await search('q=Cao%20%C4%91%E1%BA%B3ng&limit=100');
    assert.equal(space.query, 'Cao đẳng');
    assert.deepEqual(plus.features.map((f) => f.id), space.features.map((f) => f.id));
    assert.ok(plus.features.length > 0);
    assert.ok(plus.features[0].properties.name.includes('Cao đẳng'));
    // What a browser form sends (URLSearchParams writes spaces as '+').
    const form = await search(new URLSearchParams({ q: 'Cao đẳng', limit: '100' }).toString());
    assert.equal(form.query, 'Cao đẳng');
    // A literal plus is %2B.
    assert.equal((await search('q=a%2Bb')).query, 'a+b');
  });
});

describe('search parameters', () => {
  it('filters by kind, ownership and district_code', async () => {
    const fc = await search('q=truong&kind=college&limit=100');
    assert.ok(fc.features.length > 0);
    for (const f of fc.features) assert.equal(f.properties.kind, 'college');
    const pub = await search('q=truong&ownership=public,private&limit=100');
    for (const f of pub.features) assert.ok(['public', 'private'].includes(f.properties.ownership));
    const all = await allItems(base, 'institutions');
    const d = all.find((f) => f.properties.district_code)?.properties.district_code;
    const byDistrict = await search(`q=truong&district_code=${d}&limit=100`);
    for (const f of byDistrict.features) assert.equal(f.properties.district_code, d);
  });

  it('pages with limit/offset and a next link that keeps q', async () => {
    const full = await search('q=truong&limit=100');
    assert.ok(full.numberMatched >= 4);
    const p1 = await search('q=truong&limit=2');
    assert.equal(p1.numberReturned, 2);
    assert.equal(p1.numberMatched, full.numberMatched);
    const next = p1.links.find((l) => l.rel === 'next');
    assert.ok(next);
    assert.equal(new URL(next.href).searchParams.get('q'), 'truong');
    const p2 = (await getJson(next.href)).data;
    assert.deepEqual([...p1.features, ...p2.features].map((f) => f.id), full.features.slice(0, 4).map((f) => f.id));
  });

  it('rejects an empty or missing q and bad limits with 400 JSON', async () => {
    for (const q of ['q=', 'q=%20%20', 'q=%2C%2E%21', '', 'q=a&limit=0', 'q=a&limit=101', 'q=a&offset=-1',
      'q=a&foo=1', 'q=a&q=b', 'q=%FF%FE', 'q=a&kind=bogus', 'q=a&ownership=bogus', 'q=a&kind=college,bogus']) {
      assertJsonError(await request(`${base}/api/search?${q}`), 400);
    }
  });

  it('user text never reaches FTS5 syntax: operators and quotes are plain words', async () => {
    for (const q of ['"', '""', '*', 'cao OR dang', 'NEAR(cao dang)', 'name:cao', '^cao', 'cao AND', '(', 'a"b',
      'NOT', '-cao', "'; DROP TABLE institution; --"]) {
      const r = await request(`${base}/api/search?q=${encodeURIComponent(q)}`);
      assert.ok(r.status === 200 || r.status === 400, `${q}: ${r.status} ${r.text}`);
      assert.match(r.headers['content-type'], /json/);
    }
    // "cao OR dang" means all three words (or a prefix of them), never "cao" alone.
    const fc = await search(`q=${encodeURIComponent('cao OR dang')}`);
    assert.equal(fc.numberMatched, 0);
  });
});

// Karney's geodesic is what the server uses; an independent Vincenty inverse checks it here.
function vincentyKm(lat1, lon1, lat2, lon2) {
  const a = 6378137; const f = 1 / 298.257223563; const b = a * (1 - f);
  const rad = Math.PI / 180;
  const L = (lon2 - lon1) * rad;
  const U1 = Math.atan((1 - f) * Math.tan(lat1 * rad)); const U2 = Math.atan((1 - f) * Math.tan(lat2 * rad));
  const sinU1 = Math.sin(U1); const cosU1 = Math.cos(U1); const sinU2 = Math.sin(U2); const cosU2 = Math.cos(U2);
  let lambda = L; let prev; let sinSigma; let cosSigma; let sigma; let cos2Alpha; let cos2SigmaM;
  for (let i = 0; i < 200; i++) {
    const sinL = Math.sin(lambda); const cosL = Math.cos(lambda);
    sinSigma = Math.hypot(cosU2 * sinL, cosU1 * sinU2 - sinU1 * cosU2 * cosL);
    if (sinSigma === 0) return 0;
    cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosL;
    sigma = Math.atan2(sinSigma, cosSigma);
    const sinAlpha = (cosU1 * cosU2 * sinL) / sinSigma;
    cos2Alpha = 1 - sinAlpha * sinAlpha;
    cos2SigmaM = cos2Alpha ? cosSigma - (2 * sinU1 * sinU2) / cos2Alpha : 0;
    const C = (f / 16) * cos2Alpha * (4 + f * (4 - 3 * cos2Alpha));
    prev = lambda;
    lambda = L + (1 - C) * f * sinAlpha * (sigma + C * sinSigma * (cos2SigmaM + C * cosSigma * (-1 + 2 * cos2SigmaM ** 2)));
    if (Math.abs(lambda - prev) < 1e-12) break;
  }
  const u2 = (cos2Alpha * (a * a - b * b)) / (b * b);
  const A = 1 + (u2 / 16384) * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
  const B = (u2 / 1024) * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
  const dSigma = B * sinSigma * (cos2SigmaM + (B / 4) * (cosSigma * (-1 + 2 * cos2SigmaM ** 2)
    - (B / 6) * cos2SigmaM * (-3 + 4 * sinSigma ** 2) * (-3 + 4 * cos2SigmaM ** 2)));
  return (b * A * (sigma - dSigma)) / 1000;
}

describe('/api/nearest', () => {
  let located;
  before(async () => {
    located = (await allItems(base, 'institutions')).filter((f) => f.geometry);
  });

  /** Brute force: every located institution with its distance from (lon, lat), nearest first. */
  const ranked = (lon, lat, pred = () => true) => located.filter((f) => pred(f.properties))
    .map((f) => ({ id: f.id, km: vincentyKm(lat, lon, f.geometry.coordinates[1], f.geometry.coordinates[0]) }))
    .sort((x, y) => x.km - y.km);

  for (const [label, lon, lat] of [['Bắc Giang city centre', 106.1946, 21.2731], ['Hà Nội', 105.852, 21.0285],
    ['Cà Mau, far south', 105.15, 9.18], ['the Gulf of Guinea (0,0)', 0, 0]]) {
    it(`from ${label}: the k nearest by geodesic distance, nearest first`, async () => {
      const k = 5;
      const r = await getJson(`${base}/api/nearest?lon=${lon}&lat=${lat}&limit=${k}`);
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers['content-type'], /^application\/geo\+json/);
      const feats = r.data.features;
      const want = ranked(lon, lat).slice(0, k);
      assert.equal(feats.length, want.length);
      assert.equal(r.data.numberReturned, feats.length);
      for (let i = 0; i < feats.length; i++) {
        const km = feats[i].properties.distance_km;
        assert.ok(Math.abs(km - want[i].km) <= 0.001 + want[i].km * 1e-6, `#${i}: ${km} km vs ${want[i].km} km`);
        if (i) assert.ok(km >= feats[i - 1].properties.distance_km);
        assert.ok(feats[i].geometry, 'only located institutions');
      }
    });
  }

  it('on top of an institution: it comes first at 0 km', async () => {
    const f = located[0];
    const [lon, lat] = f.geometry.coordinates;
    const r = await getJson(`${base}/api/nearest?lon=${lon}&lat=${lat}&limit=1`);
    assert.equal(r.data.features.length, 1);
    assert.ok(r.data.features[0].properties.distance_km < 0.001);
  });

  it('kind filter and limit bounds', async () => {
    const r = await getJson(`${base}/api/nearest?lon=106.1946&lat=21.2731&limit=50&kind=college`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.data.features.map((f) => f.id).sort(),
      ranked(106.1946, 21.2731, (p) => p.kind === 'college').map((x) => x.id).sort());
    for (const f of r.data.features) assert.equal(f.properties.kind, 'college');
    const dflt = await getJson(`${base}/api/nearest?lon=106.1946&lat=21.2731`);
    assert.equal(dflt.data.features.length, Math.min(10, located.length));
  });

  it('rejects missing or bad coordinates and limits with 400 JSON', async () => {
    for (const q of ['lon=106', 'lat=21', '', 'lon=abc&lat=21', 'lon=106&lat=91', 'lon=181&lat=0', 'lon=nan&lat=0',
      'lon=106&lat=21&limit=0', 'lon=106&lat=21&limit=51', 'lon=106&lat=21&foo=1', 'lon=106,5&lat=21',
      'lon=106&lat=21&kind=bogus', 'lon=106&lat=21&kind=']) {
      assertJsonError(await request(`${base}/api/nearest?${q}`), 400);
    }
  });
});
