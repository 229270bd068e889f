// /api/coverage, /api/coverage/suggest, /api/coverage/whatif, /api/coverage/layouts and
// `vetmap coverage` / `vetmap layout`: the hand-computed fixture (tests/fixtures/coverage), the
// real Bắc Giang layouts 2025 and 2019, downloads read back by GDAL, and 400s for bad parameters.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  BIN, ROOT, buildDb, getJson, ingest, removeDir, request, sqlite, startServer, tmpDir,
} from './lib/server.mjs';
import { assertJsonError } from './lib/checks.mjs';

const run = promisify(execFile);
const FX = path.join(ROOT, 'tests', 'fixtures', 'coverage');
const EXPECTED = JSON.parse(readFileSync(path.join(FX, 'expected.json'), 'utf8'));
const SHARE_TOL = 0.01; // default sampling against the exact share (README.md)

let dir; let fxDb; let realDb; let fx; let real;

before(async () => {
  dir = tmpDir('vetmap-coverage-');
  realDb = await buildDb(dir);
  fxDb = path.join(dir, 'fixture.sqlite');
  await ingest(fxDb, path.join(FX, 'province.geojson'), ['--collection', 'admin', '--mapping', path.join(FX, 'province.mapping.json')]);
  await ingest(fxDb, path.join(FX, 'communes.geojson'), ['--collection', 'admin', '--mapping', path.join(FX, 'communes.mapping.json')]);
  await ingest(fxDb, path.join(FX, 'institutions.csv'), ['--layout', 'fixture', '--mapping', path.join(FX, 'institutions.mapping.json')]);
  // Programs, for the occupation filter (no ingest for programs exists yet).
  sqlite(fxDb, `INSERT INTO program(institution_code, occupation_code, occupation_name, level)
    VALUES ('FB', '5520123', 'Hàn', 'trung cấp'), ('FA', '6480201', 'Công nghệ thông tin', 'cao đẳng');`);
  [fx, real] = await Promise.all([startServer({ db: fxDb }), startServer({ db: realDb })]);
});

after(async () => {
  if (fx) await fx.stop();
  if (real) await real.stop();
  removeDir(dir);
});

async function coverage(srv, query) {
  const r = await getJson(`${srv.base}/api/coverage?${query}`);
  assert.equal(r.status, 200, `${query}: ${r.text}`);
  assert.match(r.headers['content-type'], /^application\/geo\+json/);
  assert.equal(r.data.type, 'FeatureCollection');
  return r.data;
}

const byCode = (fc) => Object.fromEntries(fc.features.map((f) => [f.properties.code, f.properties]));

describe('the hand-computable fixture', () => {
  it('R = 3 km: every unit and the summary as computed by hand', async () => {
    const fc = await coverage(fx, 'layout=fixture&radius_km=3');
    const want = EXPECTED.radius_3;
    const got = byCode(fc);
    assert.deepEqual(Object.keys(got).sort(), ['F1', 'F2', 'F3', 'F4']);
    for (const [code, w] of Object.entries(want.units)) {
      const p = got[code];
      assert.equal(p.nearest_code, w.nearest_code, code);
      assert.ok(Math.abs(p.nearest_km - w.nearest_km) <= 0.001, `${code} nearest_km ${p.nearest_km}`);
      assert.ok(Math.abs(p.covered_share - w.covered_share) <= SHARE_TOL, `${code} share ${p.covered_share}`);
      assert.ok(Math.abs(p.covered_population - w.covered_population) <= SHARE_TOL * p.population, code);
      assert.equal(p.institutions, w.institutions, code);
      assert.equal(p.per_100k, w.per_100k, code);
      assert.equal(p.within_radius, w.within_radius, code);
      assert.equal(p.pop_point, 'seat');
      assert.ok(Math.abs(p.area_km2 - EXPECTED.area_km2[code]) <= 0.01, `${code} area ${p.area_km2}`);
    }
    const s = fc.summary;
    assert.equal(s.population, want.summary.population);
    assert.ok(Math.abs(s.covered_population - want.summary.covered_population) <= SHARE_TOL * 30000);
    assert.ok(Math.abs(s.mean_distance_km - want.summary.mean_distance_km) <= 0.001, `${s.mean_distance_km}`);
    assert.ok(Math.abs(s.worst_distance_km - want.summary.worst_distance_km) <= 0.001);
    assert.equal(s.worst_unit.code, want.summary.worst_unit);
    assert.equal(s.units_without, want.summary.units_without);
    assert.deepEqual(s.units_without_codes, ['F2', 'F3']);
    assert.equal(s.institutions, 2);
    assert.equal(fc.parents.length, 1);
    assert.equal(fc.parents[0].code, 'FX');
    assert.equal(fc.parents[0].summary.population, 100000);
    assert.equal(fc.sites.length, 2);
    assert.match(fc.method.frame, /^\+proj=laea /);
  });

  it('R = 20 km covers everyone', async () => {
    const fc = await coverage(fx, 'layout=fixture&radius_km=20&geometry=false');
    assert.equal(fc.summary.covered_population, 100000);
    assert.equal(fc.summary.covered_share, 1);
    assert.equal(fc.summary.units_without, 0);
    assert.ok(fc.features.every((f) => f.geometry === null && f.properties.covered_share === 1));
  });

  it('filters: only FB is a vet_centre', async () => {
    const fc = await coverage(fx, 'layout=fixture&radius_km=3&kind=vet_centre');
    assert.deepEqual(fc.sites.map((s) => s.code), ['FB']);
    assert.deepEqual(fc.filters.kind, ['vet_centre']);
    const got = byCode(fc);
    assert.equal(got.F1.nearest_code, 'FB');
    assert.equal(got.F1.covered_share, 0);
    const none = await coverage(fx, 'layout=fixture&radius_km=3&ownership=private');
    assert.equal(none.sites.length, 0);
    assert.equal(none.summary.covered_population, 0);
    assert.equal(none.summary.worst_distance_km, null);
  });

  it('occupation filter: by code, or by words of the name (diacritics optional)', async () => {
    for (const [occ, want] of [['5520123', ['FB']], ['han', ['FB']], ['công nghệ', ['FA']], ['9999999', []]]) {
      const fc = await coverage(fx, `layout=fixture&radius_km=3&geometry=false&occupation=${encodeURIComponent(occ)}`);
      assert.deepEqual(fc.sites.map((x) => x.code), want, occ);
      assert.equal(fc.filters.occupation, occ);
    }
  });

  it('suggest k=2: F2\'s seat then F3\'s, each with the population it adds; k=3 stops at 2', async () => {
    const r = await getJson(`${fx.base}/api/coverage/suggest?layout=fixture&radius_km=3&k=3`);
    assert.equal(r.status, 200, r.text);
    const want = EXPECTED.radius_3.suggest_k2_points;
    assert.equal(r.data.features.length, 2);
    r.data.features.forEach((f, i) => {
      assert.equal(f.properties.rank, i + 1);
      assert.equal(f.properties.unit_code, want[i].unit_code);
      assert.deepEqual(f.geometry.coordinates, [want[i].lon, want[i].lat]);
      assert.ok(Math.abs(f.properties.gain_population - want[i].gain_population) <= SHARE_TOL * 40000);
    });
    const last = r.data.features[1].properties;
    assert.ok(Math.abs(last.covered_population_after - (r.data.summary.covered_population
      + r.data.features[0].properties.gain_population + last.gain_population)) < 0.2);
    const grid = await getJson(`${fx.base}/api/coverage/suggest?layout=fixture&radius_km=3&k=1&candidates=grid&grid_km=2`);
    assert.equal(grid.status, 200, grid.text);
    assert.equal(grid.data.features[0].properties.unit_code, 'F2');
    assert.equal(grid.data.candidates.kind, 'grid');
  });

  it('what-if: a site at F2\'s seat, or FA removed; nothing is written', async () => {
    const post = (body) => request(`${fx.base}/api/coverage/whatif`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    let r = await post({ layout: 'fixture', radius_km: 3, geometry: false, add: [{ lon: 105.15, lat: 10.05, name: 'Mới' }] });
    assert.equal(r.status, 200, r.text);
    let d = r.json();
    const want = EXPECTED.radius_3;
    assert.ok(Math.abs(d.summary.covered_population - want.whatif_add_F2_seat.covered_population) <= SHARE_TOL * 50000);
    assert.ok(Math.abs(d.baseline.covered_population - want.summary.covered_population) <= SHARE_TOL * 30000);
    assert.ok(d.change.covered_population > 9000);
    assert.equal(d.change.institutions, 1);
    const added = d.sites.find((s) => s.hypothetical);
    assert.equal(added.unit_code, 'F2');
    assert.equal(added.name, 'Mới');
    assert.equal(byCode(d).F2.institutions, 1);
    assert.ok(byCode(d).F2.covered_population_change > 9000);
    r = await post({ layout: 'fixture', radius_km: 3, remove: ['FA'] });
    d = r.json();
    assert.ok(Math.abs(d.summary.covered_population - want.whatif_remove_FA.covered_population) <= SHARE_TOL * 20000);
    assert.equal(byCode(d).F1.nearest_code, 'FB');
    // nothing was written: the plain coverage is unchanged
    const again = await coverage(fx, 'layout=fixture&radius_km=3&geometry=false');
    assert.equal(again.sites.length, 2);
  });

  it('the CLI gives the same numbers as the API', async () => {
    const { stdout } = await run(BIN, ['coverage', '--db', fxDb, '--layout', 'fixture', '--radius-km', '3',
      '--format', 'geojson', '--no-geometry'], { maxBuffer: 64 << 20 });
    const cli = JSON.parse(stdout);
    const api = await coverage(fx, 'layout=fixture&radius_km=3&geometry=false');
    assert.deepEqual(cli.summary, api.summary);
    assert.deepEqual(cli.features, api.features);
    const sugg = await run(BIN, ['coverage', '--db', fxDb, '--layout', 'fixture', '--radius-km', '3', '--suggest', '2',
      '--format', 'geojson']);
    const apiSugg = await getJson(`${fx.base}/api/coverage/suggest?layout=fixture&radius_km=3&k=2`);
    assert.deepEqual(JSON.parse(sugg.stdout).features, apiSugg.data.features);
  });
});

describe('downloads open in GDAL', () => {
  async function download(query, file) {
    const r = await request(`${fx.base}/api/coverage?${query}`);
    assert.equal(r.status, 200, r.text);
    const out = path.join(dir, file);
    writeFileSync(out, r.body);
    return { r, out };
  }

  async function ogrJson(file, layer) {
    const { stdout } = await run('ogr2ogr', ['-f', 'GeoJSON', '/vsistdout/', file, ...(layer ? [layer] : [])],
      { maxBuffer: 64 << 20 });
    return JSON.parse(stdout);
  }

  it('CSV (UTF-8 with a BOM) holds the same table', async () => {
    const api = byCode(await coverage(fx, 'layout=fixture&radius_km=3&geometry=false'));
    const { r, out } = await download('layout=fixture&radius_km=3&f=csv', 'coverage.csv');
    assert.match(r.headers['content-type'], /^text\/csv/);
    assert.match(r.headers['content-disposition'], /attachment; filename="coverage_fixture_3km\.csv"/);
    assert.deepEqual([...r.body.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const back = await ogrJson(out);
    assert.equal(back.features.length, 4);
    for (const f of back.features) {
      const p = f.properties;
      const a = api[p.code];
      assert.equal(p.name, a.name);
      assert.equal(Number(p.covered_share), a.covered_share);
      assert.equal(Number(p.nearest_km), a.nearest_km);
      assert.equal(Number(p.population), a.population);
    }
  });

  it('XLSX (GDAL\'s driver) has the units, parents and summary sheets', async () => {
    const api = byCode(await coverage(fx, 'layout=fixture&radius_km=3&geometry=false'));
    const { r, out } = await download('layout=fixture&radius_km=3&f=xlsx', 'coverage.xlsx');
    assert.match(r.headers['content-type'], /spreadsheetml/);
    assert.equal(r.body.subarray(0, 2).toString('latin1'), 'PK');
    const { stdout } = await run('ogrinfo', ['-ro', '-q', out]);
    for (const sheet of ['units', 'parents', 'summary']) assert.match(stdout, new RegExp(`\\b${sheet}\\b`));
    const units = await ogrJson(out, 'units');
    for (const f of units.features) {
      assert.equal(f.properties.covered_share, api[f.properties.code].covered_share);
      assert.equal(f.properties.covered_population, api[f.properties.code].covered_population);
    }
    const parents = await ogrJson(out, 'parents');
    const total = parents.features.find((f) => f.properties.code === '*');
    assert.equal(total.properties.population, 100000);
  });

  it('GeoJSON reads back with its geometry', async () => {
    const { r, out } = await download('layout=fixture&radius_km=3&f=geojson', 'coverage.geojson');
    // Asked for by f=geojson it is a download with a name, like CSV and XLSX; the page's own view is not.
    assert.match(r.headers['content-type'], /^application\/geo\+json/);
    assert.match(r.headers['content-disposition'], /^attachment; filename="coverage_fixture_3km\.geojson"$/);
    const view = await request(`${fx.base}/api/coverage?layout=fixture&radius_km=3`);
    assert.equal(view.headers['content-disposition'], undefined);
    assert.deepEqual(JSON.parse(view.text), JSON.parse(r.text));
    const sugg = await request(`${fx.base}/api/coverage/suggest?layout=fixture&radius_km=3&k=2&f=geojson`);
    assert.match(sugg.headers['content-disposition'], /^attachment; filename="suggestions_fixture_3km\.geojson"$/);
    const { stdout } = await run('ogrinfo', ['-ro', '-so', '-al', out]);
    assert.match(stdout, /Feature Count: 4/);
    assert.match(stdout, /Geometry: Multi Polygon/);
  });

  it('suggestions as CSV', async () => {
    const r = await request(`${fx.base}/api/coverage/suggest?layout=fixture&radius_km=3&k=2&f=csv`);
    assert.equal(r.status, 200, r.text);
    const out = path.join(dir, 'suggest.csv');
    writeFileSync(out, r.body);
    const back = await ogrJson(out);
    assert.deepEqual(back.features.map((f) => f.properties.unit_code), ['F2', 'F3']);
  });
});

describe('bad parameters are 400 with a JSON error', () => {
  const bad = [
    'radius_km=-1', 'radius_km=0', 'radius_km=501', 'radius_km=abc', 'layout=nope', 'layout=fixture&level=district',
    'layout=fixture&level=village', 'kind=school', 'ownership=state', 'f=pdf', 'geometry=maybe', 'bogus=1',
    'radius_km=1&radius_km=2',
  ];
  for (const q of bad) {
    it(`/api/coverage?${q}`, async () => {
      const e = assertJsonError(await request(`${fx.base}/api/coverage?${q}`));
      assert.equal(e.code, 'InvalidParameterValue');
    });
  }
  for (const q of ['k=0', 'k=101', 'k=1000000', 'k=two', 'k=2&candidates=hex', 'k=2&candidates=grid&grid_km=0.1',
    'k=2&f=xlsx']) {
    it(`/api/coverage/suggest?${q}`, async () => {
      assertJsonError(await request(`${fx.base}/api/coverage/suggest?layout=fixture&radius_km=3&${q}`));
    });
  }
  const bodies = ['', 'not json', '[]', { radius_km: -5 }, { radius_km: '10' }, { add: [{ lon: 105 }] },
    { add: [{ lon: 200, lat: 10 }] }, { remove: ['NOPE'] }, { layout: 'nope' }, { colour: 1 },
    { add: [{ lon: 105, lat: 10, colour: 1 }] }, { add: Array(101).fill({ lon: 105, lat: 10 }) }];
  for (const b of bodies) {
    const body = typeof b === 'string' ? b : JSON.stringify({ layout: 'fixture', ...b });
    it(`POST /api/coverage/whatif ${body.slice(0, 50)}`, async () => {
      assertJsonError(await request(`${fx.base}/api/coverage/whatif`, { method: 'POST', body }));
    });
  }
  it('the CLI exits 2 on the same mistakes', async () => {
    for (const args of [['--radius-km', '-1'], ['--radius-km', '3', '--suggest', '0'], ['--radius-km', '3', '--layout', 'nope'],
      ['--radius-km', '3', '--kind', 'school'], ['--radius-km', '3', '--format', 'pdf']]) {
      await assert.rejects(run(BIN, ['coverage', '--db', fxDb, ...args]), (e) => e.code === 2);
    }
  });
});

describe('Bắc Giang: layouts 2025 and 2019', () => {
  it('lists both layouts with the level coverage analyses', async () => {
    const r = await getJson(`${real.base}/api/coverage/layouts`);
    assert.equal(r.status, 200, r.text);
    const l = Object.fromEntries(r.data.layouts.map((x) => [x.name, x]));
    assert.equal(l['2019'].is_default, true);
    assert.equal(l['2019'].coverage_level, 'district');
    assert.equal(l['2025'].coverage_level, 'commune');
    assert.deepEqual(l['2025'].levels.find((x) => x.level === 'commune'), { level: 'commune', units: 58, with_population: 58 });
  });

  it('the 58 units of 2025 tile the province (area sum within 0.5 %, no overlap) and hold its population', () => {
    const out = sqlite(realDb, `SELECT (SELECT sum(ST_Area(geom, 1)) FROM admin_unit WHERE layout = '2025' AND level_name = 'commune'),
      (SELECT ST_Area(geom, 1) FROM admin_unit WHERE layout = '2019' AND level_name = 'province'),
      (SELECT ST_Area(ST_Union(geom), 1) FROM admin_unit WHERE layout = '2025' AND level_name = 'commune'),
      (SELECT count(*) FROM admin_unit WHERE layout = '2025' AND level_name = 'commune'),
      (SELECT sum(population) FROM admin_unit WHERE layout = '2025' AND level_name = 'commune'),
      (SELECT count(*) FROM admin_unit WHERE layout = '2025' AND level_name = 'commune' AND approximate = 1);`,
    { spatialite: true }).trim().split('|').map(Number);
    const [sum, province, union, n, pop, approx] = out;
    assert.equal(n, 58);
    assert.ok(Math.abs(sum - province) / province < 0.005, `sum ${sum} vs province ${province}`);
    assert.ok((sum - union) / province < 1e-5, `overlap ${sum - union} m2`);
    assert.equal(pop, 2057918);
    assert.ok(approx > 0 && approx < 58, `${approx} approximate units`);
  });

  it('2019 districts carry the rollup file\'s figures', async () => {
    const fc = await coverage(real, 'layout=2019&radius_km=10&geometry=false');
    assert.equal(fc.level, 'district');
    const d = byCode(fc);
    // districts whose 2019 and 2025-03 extents agree: the rollup's numbers exactly
    for (const [code, pop] of [['215', 117866], ['217', 247012], ['218', 262117], ['220', 89787], ['222', 218676], ['223', 288819]]) {
      assert.equal(d[code].population, pop, code);
    }
    // Lục Ngạn 2019 = rollup Lục Ngạn + TX Chũ + Nam Dương (the cross-district commune)
    assert.equal(d['219'].population, 121123 + 118738 + 16989);
    // TP Bắc Giang + Yên Dũng + Tân Yên (2019) = rollup TP Bắc Giang + Tân Yên + Đa Mai (each
    // district rounded on its own: +-1 per split)
    assert.ok(Math.abs(d['213'].population + d['221'].population + d['216'].population - (329101 + 195957 + 51733)) <= 2);
    assert.ok(Math.abs(fc.summary.population - 2057918) <= 2);
  });

  it('covered share grows with R (5, 10, 20 km) in both layouts; the CLI agrees', async () => {
    for (const layout of ['2025', '2019']) {
      let prev = -1;
      for (const r of [5, 10, 20]) {
        const fc = await coverage(real, `layout=${layout}&radius_km=${r}&geometry=false`);
        const s = fc.summary;
        assert.ok(s.covered_share > prev && s.covered_share <= 1, `${layout} R=${r}: ${s.covered_share}`);
        prev = s.covered_share;
        assert.ok(s.institutions >= 10);
        const { stderr } = await run(BIN, ['coverage', '--db', realDb, '--layout', layout, '--radius-km', String(r),
          '--format', 'csv', '--out', path.join(dir, `bg_${layout}_${r}.csv`)]);
        const m = stderr.match(/: (\d+) of (\d+) people covered/);
        assert.ok(m, stderr);
        assert.equal(Number(m[1]), Math.round(s.covered_population), `${layout} R=${r}`);
      }
    }
  });

  it('nearest distances are PROJ\'s geodesic ones', async () => {
    const fc = await coverage(real, 'layout=2025&radius_km=10&geometry=false');
    const sites = Object.fromEntries(fc.sites.map((s) => [s.code, s]));
    for (const f of fc.features.slice(0, 5)) {
      const p = f.properties;
      const s = sites[p.nearest_code];
      // PROJ's own command line: `geod -I` prints azimuths and the distance (lat lon order)
      const stdout = execFileSync('geod', ['+ellps=WGS84', '-I', '+units=m'],
        { input: `${p.pop_lat} ${p.pop_lon} ${s.lat} ${s.lon}\n`, encoding: 'utf8' });
      const m = Number(stdout.trim().split(/\s+/)[2]);
      assert.ok(Math.abs(m / 1000 - p.nearest_km) <= 0.0011, `${p.code}: ${m} m vs ${p.nearest_km} km`);
    }
  });

  it('sampled shares are within 1 point of the exact polygon intersection (vetmap coverage --check-exact)', async () => {
    for (const layout of ['2025', '2019']) {
      const { stderr } = await run(BIN, ['coverage', '--db', realDb, '--layout', layout, '--radius-km', '10', '--check-exact'],
        { maxBuffer: 64 << 20 });
      const m = stderr.match(/largest \|sampled - exact\| covered share over \d+ units: ([0-9.]+)/);
      assert.ok(m, stderr);
      assert.ok(Number(m[1]) <= 0.01, `${layout}: ${m[1]}`);
    }
  });

  it('suggest k=10 on the real layout returns ranked sites with decreasing gains', async () => {
    const r = await getJson(`${real.base}/api/coverage/suggest?layout=2025&radius_km=10&k=10`);
    assert.equal(r.status, 200, r.text);
    const gains = r.data.features.map((f) => f.properties.gain_population);
    assert.equal(gains.length, 10);
    for (let i = 1; i < gains.length; i++) assert.ok(gains[i] <= gains[i - 1] + 1e-6);
    assert.ok(r.data.after.covered_share > r.data.summary.covered_share);
  });

  it('a repeated GET is a 304 on its ETag', async () => {
    const url = `${real.base}/api/coverage?layout=2025&radius_km=10&geometry=false`;
    const a = await request(url);
    assert.ok(a.headers.etag);
    const b = await request(url, { headers: { 'if-none-match': a.headers.etag } });
    assert.equal(b.status, 304);
  });
});
