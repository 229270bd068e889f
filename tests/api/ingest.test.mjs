// ingest.test.mjs — `vetmap ingest` end to end: the field cases of
// shared/fieldcases/CASES.md (I1–I9, C1–C5) from tests/fixtures/, the shipped
// geodata/ (scripts/build-data.sh), idempotence, rollback and dry runs.
// Runs the CLI into temporary databases and reads them back with the sqlite3
// CLI (lon/lat are plain REAL columns) and the JSON reports.
//   VETMAP_BIN=build/vetmap node --test tests/api/ingest.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, ROOT, copyDb, removeDir, tmpDir } from './lib/server.mjs';

const FIX = path.join(ROOT, 'tests', 'fixtures');
const DEG = 1e-6; // coordinate tolerance in degrees (CASES C1)

let dir;
let base; // database built from geodata/ by scripts/build-data.sh
let n = 0;

/** Run `vetmap ingest ARGS`; returns {status, stdout, stderr}. */
function ingest(args) {
  const r = spawnSync(BIN, ['ingest', ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return r;
}

/** Rows of a query as objects (sqlite3 -json; empty output -> []). */
function q(db, sql) {
  const out = execFileSync('sqlite3', ['-json', db, sql], { encoding: 'utf8' });
  return out.trim() ? JSON.parse(out) : [];
}

function dataVersion(db) {
  return Number(q(db, "select value from meta where key = 'data_version'")[0].value);
}

/** A fresh path for a database in the temp dir (optionally a copy of `from`). */
function newDb(from) {
  const db = path.join(dir, `t${++n}.sqlite`);
  return from ? copyDb(from, db) : db;
}

/** Ingest fixture file(s) into db with a JSON report; returns {r, report, rejects}. */
function run(db, files, extra = []) {
  const rep = path.join(dir, `r${++n}.json`);
  const r = ingest(['--db', db, '--report', rep, ...extra, ...files.map((f) => path.join(FIX, f))]);
  const report = existsSync(rep) ? JSON.parse(readFileSync(rep, 'utf8')) : null;
  const rj = rep.replace(/\.json$/, '.rejects.csv');
  const rejects = existsSync(rj) ? readFileSync(rj, 'utf8') : null;
  return { r, report, rejects };
}

function inst(db, code) {
  return q(db, `select * from institution where code = '${code}'`)[0];
}

function near(actual, expected, tol, what) {
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) <= tol,
    `${what}: ${actual} is not within ${tol} of ${expected}`);
}

/** Issues of a report as "severity kind row code" strings, sorted. */
function issues(report) {
  return report.issues.map((i) => `${i.severity} ${i.kind} ${i.row} ${i.code}`).sort();
}

before(() => {
  dir = tmpDir('vetmap-ingest-');
  base = path.join(dir, 'base', 'vetmap.sqlite');
  execFileSync(path.join(ROOT, 'scripts', 'build-data.sh'), [BIN, base], {
    env: { ...process.env, REPORTS: path.join(dir, 'base', 'reports') }, encoding: 'utf8',
  });
});

after(() => {
  removeDir(dir);
});

describe('command line', () => {
  test('--help describes every option and exits 0', () => {
    const r = ingest(['--help']);
    assert.equal(r.status, 0);
    for (const opt of ['--db', '--collection', '--layout', '--level', '--default-layout', '--mapping',
      '--source-crs', '--encoding', '--report', '--strict', '--dry-run']) {
      assert.ok(r.stdout.includes(opt), `--help mentions ${opt}`);
    }
  });

  test('an unwritable --report fails with exit 1 before anything is written', () => {
    const db = newDb(base);
    const before = dataVersion(db);
    const r = ingest(['--db', db, '--report', path.join(dir, 'no-such-dir', 'r.json'), path.join(FIX, 'i5_leading_zeros.csv')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot write .*no-such-dir.*nothing was written/);
    assert.equal(q(db, 'select count(*) as c from institution')[0].c, 16);
    assert.equal(dataVersion(db), before);
  });

  test('an unclosed quote that swallows later rows is reported, never silent', () => {
    // GDAL's CSV reader takes rows 2-3 into row 1's name: one row read.
    const db = newDb();
    const { r, report } = run(db, ['unclosed_quote.csv']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(report.counts.read, 1);
    assert.match(r.stdout, /row 1 code 1: column "name" holds line breaks and separators.*\[multiline_value\]/);
    // A properly quoted multi-line address is not flagged.
    writeFileSync(path.join(dir, 'multiline.csv'), 'id,name,address\n7,Trường B,"Số 1\nphố Hai"\n');
    const rep = path.join(dir, 'multiline.json');
    const ok = ingest(['--db', db, '--report', rep, path.join(dir, 'multiline.csv')]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.doesNotMatch(ok.stdout, /multiline_value/);
    assert.equal(inst(db, '7').address, 'Số 1\nphố Hai');
  });

  test('bad usage exits 2', () => {
    assert.equal(ingest([path.join(FIX, 'i1_bom.csv')]).status, 2); // no --db
    assert.equal(ingest(['--db', newDb()]).status, 2); // no source
    assert.equal(ingest(['--db', newDb(), '--bogus', path.join(FIX, 'i1_bom.csv')]).status, 2);
    assert.equal(ingest(['--db', newDb(), '--collection', 'admin', path.join(FIX, 'i1_bom.csv')]).status, 2);
  });
});

describe('ingest field cases (CASES I1–I9)', () => {
  test('I1: a UTF-8 BOM is not part of the first column name', () => {
    const db = newDb();
    const { r, report, rejects } = run(db, ['i1_bom.csv']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(report.counts, { read: 1, inserted: 1, updated: 0, unchanged: 0, rejected: 0, warnings: 0 });
    const row = inst(db, '0012');
    assert.equal(row.name, 'Trường A');
    assert.equal(row.extra, null); // "\ufeffma" would have been an unmapped column
    near(row.lon, 105.85, DEG, 'lon');
    near(row.lat, 21.03, DEG, 'lat');
    assert.equal(rejects.split('\r\n')[0], 'ma,ten,lon,lat,reject_reason');
  });

  test('I2: ";" separator and decimal comma give POINT(105.85 21.03)', () => {
    const db = newDb();
    const { r } = run(db, ['i2_semicolon_decimal_comma.csv']);
    assert.equal(r.status, 0, r.stderr);
    const row = q(db, "select code, lon, lat, location_precision from institution")[0];
    assert.deepEqual(row, { code: '1', lon: 105.85, lat: 21.03, location_precision: 'surveyed' });
    const geom = execFileSync('sqlite3', [db, "select load_extension('mod_spatialite'); select AsText(geom) from institution"],
      { encoding: 'utf8' }).trim();
    assert.match(geom, /POINT\(105\.85 21\.03\)$/);
  });

  test('I3: 0,0, blanks and NaN are missing; rows without a place are kept as unknown and reported', () => {
    const db = newDb();
    const { r, report } = run(db, ['i3_missing_coordinates.csv']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(report.counts, { read: 5, inserted: 5, updated: 0, unchanged: 0, rejected: 0, warnings: 5 });
    const rows = q(db, 'select code, lon, lat, location_precision from institution order by code');
    assert.deepEqual(rows, [
      { code: '1', lon: null, lat: null, location_precision: 'unknown' },
      { code: '2', lon: null, lat: null, location_precision: 'unknown' },
      { code: '3', lon: null, lat: null, location_precision: 'unknown' },
      { code: '4', lon: null, lat: null, location_precision: 'unknown' },
      { code: '5', lon: 105.85, lat: 21.03, location_precision: 'surveyed' },
    ]);
    assert.deepEqual(issues(report), [
      'warning no_location 1 1', 'warning no_location 2 2', 'warning no_location 3 3', 'warning no_location 4 4',
      'warning zero_coordinates 1 1',
    ]);
    assert.equal(q(db, 'select count(*) as c from institution where geom is not null')[0].c, 1);
  });

  test('I4: lat/lon in each other\'s columns are swapped with a warning, or rejected', () => {
    const db = newDb();
    const { r, report, rejects } = run(db, ['i4_swapped_lat_lon.csv']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(q(db, 'select code, lon, lat from institution'), [{ code: '1', lon: 105.85, lat: 21.03 }]);
    assert.deepEqual(issues(report), ['reject outside_region 2 2', 'warning swapped_lat_lon 1 1']);
    const lines = rejects.trim().split('\r\n');
    assert.equal(lines.length, 2);
    assert.match(lines[1], /^2,Trường E,200\.5,95\.25,"point \(200\.5000000, 95\.2500000\) is outside the configured region/);
  });

  test('I5: codes keep their leading zeros as text', () => {
    const db = newDb();
    assert.equal(run(db, ['i5_leading_zeros.csv']).r.status, 0);
    assert.deepEqual(q(db, 'select code, typeof(code) as t from institution order by code'),
      [{ code: '0007', t: 'text' }, { code: '0012', t: 'text' }]);
  });

  test('I6: both rows of a duplicated code are rejected, the rest stored; --strict stores nothing', () => {
    const db = newDb();
    const { r, report, rejects } = run(db, ['i6_duplicate_code.csv']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(report.counts, { read: 3, inserted: 1, updated: 0, unchanged: 0, rejected: 2, warnings: 0 });
    assert.deepEqual(issues(report), ['reject duplicate_code 1 0012', 'reject duplicate_code 2 0012']);
    assert.deepEqual(q(db, 'select code from institution'), [{ code: '0013' }]);
    assert.equal(rejects.trim().split('\r\n').length, 3);

    const db2 = newDb();
    const s = run(db2, ['i6_duplicate_code.csv'], ['--strict']);
    assert.equal(s.r.status, 1);
    assert.equal(s.report.status, 'failed');
    assert.equal(q(db2, 'select count(*) as c from institution')[0].c, 0);
  });

  for (const [enc, file] of [['CP1258', 'i7_cp1258.csv'], ['TCVN3', 'i7_tcvn3.csv'], ['VNI', 'i7_vni.csv']]) {
    test(`I7: ${enc} declared with --encoding gives NFC "Đà Lạt"`, () => {
      const db = newDb();
      const { r } = run(db, [file], ['--encoding', enc]);
      assert.equal(r.status, 0, r.stderr);
      const name = inst(db, '1').name;
      assert.equal(name, 'Đà Lạt'.normalize('NFC'));
      assert.equal(Buffer.from(name).toString('hex'), 'c490c3a0204ce1baa174');
    });
  }

  test('I7: an undeclared file that is not UTF-8 fails with an encoding error and stores nothing', () => {
    const db = newDb(base);
    const before = dataVersion(db);
    const { r, report } = run(db, ['i7_undeclared_cp1258.csv']);
    assert.equal(r.status, 1);
    assert.equal(report.status, 'failed');
    assert.match(report.error, /row 1, column "ten": text is not valid UTF-8/);
    assert.match(report.error, /--encoding/);
    assert.equal(q(db, "select count(*) as c from institution where code = '1'")[0].c, 0);
    assert.equal(dataVersion(db), before);
  });

  test('I8: XLSX with text cells: header names, not Field1..., and decimal commas', () => {
    const db = newDb();
    const { r, report } = run(db, ['i8_text_cells.xlsx']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(report.counts.inserted, 1);
    const row = inst(db, '0012');
    assert.equal(row.name, 'Trường A');
    assert.equal(row.lon, 105.85);
    assert.equal(row.lat, 21.03);
  });

  test('I9: NFD input is stored as NFC', () => {
    const db = newDb();
    assert.equal(run(db, ['i9_nfd.csv']).r.status, 0);
    const name = inst(db, '1').name;
    assert.equal(name, 'Trường ạ');
    assert.equal(name, 'Trường a\u0323'.normalize('NFC'));
    assert.notEqual(name, 'Trường a\u0323');
  });
});

describe('CRS field cases (CASES C1–C5)', () => {
  const C1 = [106.1946, 21.2731];

  test('C1: EPSG:9214 declared for x/y columns goes through EPSG:6960', () => {
    const db = newDb();
    const { r } = run(db, ['c1_vn2000_tm3.csv'], ['--source-crs', 'EPSG:9214']);
    assert.equal(r.status, 0, r.stderr);
    const row = inst(db, 'C1');
    near(row.lon, C1[0], DEG, 'lon');
    near(row.lat, C1[1], DEG, 'lat');
  });

  test('C1: a GeoJSON point with its own crs member (EPSG:9214)', () => {
    const db = newDb();
    const { r, report } = run(db, ['c1_vn2000_tm3.geojson']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(report.notes.some((s) => s.includes('EPSG:9214')), report.notes.join('\n'));
    const row = inst(db, 'C1G');
    near(row.lon, C1[0], DEG, 'lon');
    near(row.lat, C1[1], DEG, 'lat');
  });

  for (const f of ['c2_esri_prj', 'c2_esri_prj_unknown_datum_name', 'c2_esri_prj_zero_towgs84']) {
    test(`C2: ESRI-style .prj without a datum shift (${f}) gives the C1 point`, () => {
      const db = newDb();
      const { r } = run(db, [`${f}.csv`]);
      assert.equal(r.status, 0, r.stderr);
      const row = q(db, 'select lon, lat from institution')[0];
      near(row.lon, C1[0], DEG, 'lon');
      near(row.lat, C1[1], DEG, 'lat');
    });
  }

  test('C2: a Shapefile whose .prj names the datum "VN-2000" (no TOWGS84)', (t) => {
    if (spawnSync('ogr2ogr', ['--version']).status !== 0) return t.skip('ogr2ogr (gdal-bin) not installed');
    const shp = path.join(dir, 'c2shape', 'c2.shp');
    mkdirSync(path.dirname(shp), { recursive: true });
    execFileSync('ogr2ogr', ['-f', 'ESRI Shapefile', '-oo', 'X_POSSIBLE_NAMES=x', '-oo', 'Y_POSSIBLE_NAMES=y',
      '-a_srs', 'EPSG:9214', shp, path.join(FIX, 'c2_esri_prj.csv')]);
    copyFileSync(path.join(FIX, 'c2_esri_prj_unknown_datum_name.prj'), shp.replace(/\.shp$/, '.prj'));
    const db = newDb();
    const r = ingest(['--db', db, shp]);
    assert.equal(r.status, 0, r.stderr);
    const row = inst(db, 'C2');
    near(row.lon, C1[0], DEG, 'lon');
    near(row.lat, C1[1], DEG, 'lat');
  });

  test('C3: central meridian 107°45′ puts the point ~78 km east, flagged outside its commune', () => {
    const db = newDb(base);
    const { r, report } = run(db, ['c3_wrong_central_meridian.csv']);
    assert.equal(r.status, 0, r.stderr);
    const row = inst(db, 'C3');
    near(row.lon, 106.9446, 1e-4, 'lon');
    near(row.lat, 21.2731, 1e-4, 'lat');
    assert.equal(row.commune_code, '07213');
    assert.equal(row.district_code, '213');
    assert.deepEqual(issues(report), ['warning outside_admin_unit 1 C3']);
    assert.match(report.issues[0].reason, /outside its stated commune Phường Trần Phú \(07213\)/);
  });

  test('C4: EPSG:4326 declared keeps x = lon, y = lat (traditional GIS order)', () => {
    const db = newDb();
    assert.equal(run(db, ['c4_axis_order.csv'], ['--source-crs', 'EPSG:4326']).r.status, 0);
    assert.deepEqual(q(db, 'select lon, lat from institution'), [{ lon: 105.852, lat: 21.0285 }]);
  });

  test('C5: coordinates declared VN-2000 geographic (EPSG:4756) are shifted ~200 m to WGS 84', () => {
    // PROJ 9.1 through EPSG:6960 (VN-2000 -> WGS 84) gives (105.8518827, 21.0290140).  CASES.md
    // lists (105.8481173, 21.0309859), which is the opposite direction (WGS 84 -> VN-2000):
    // the C1 point, which CASES checks with the same operation, confirms the direction.
    const db = newDb();
    const { r } = run(db, ['c5_vn2000_geographic.csv'], ['--source-crs', 'EPSG:4756']);
    assert.equal(r.status, 0, r.stderr);
    const row = inst(db, 'C5');
    near(row.lon, 105.8518827, DEG, 'lon');
    near(row.lat, 21.0290140, DEG, 'lat');
  });
});

describe('shipped data (geodata/ through scripts/build-data.sh)', () => {
  test('admin units of layout 2019: codes as text, 230 communes, the 2 military areas rejected', () => {
    // 2019 is the map's default; 2025 (province + 58 communes, for coverage) comes after it.
    assert.deepEqual(q(base, 'select name, is_default from layout order by name'),
      [{ name: '2019', is_default: 1 }, { name: '2025', is_default: 0 }]);
    assert.deepEqual(q(base, "select level_name, count(*) as c from admin_unit where layout = '2019' group by level_name order by level"),
      [{ level_name: 'province', c: 1 }, { level_name: 'district', c: 10 }, { level_name: 'commune', c: 230 }]);
    assert.deepEqual(q(base, "select code, typeof(code) as t, name, type, parent_code, level from admin_unit where code = '07213'"),
      [{ code: '07213', t: 'text', name: 'Phường Trần Phú', type: 'Phường', parent_code: '213', level: 3 }]);
    assert.deepEqual(q(base, "select name, type from admin_unit where code = '213'"), [{ name: 'Thành phố Bắc Giang', type: 'Thành phố' }]);
    // Every unit has a label point and a geodesic area; the province is ~3,890 km².
    assert.equal(q(base, 'select count(*) as c from admin_unit where label_lon is null or area_km2 is null or geom is null')[0].c, 0);
    near(q(base, "select area_km2 from admin_unit where code = '24'")[0].area_km2, 3892.4, 1, 'province area km²');
    const rep = JSON.parse(readFileSync(path.join(dir, 'base', 'reports', 'admin-2019-commune.json'), 'utf8'));
    assert.deepEqual(rep.counts, { read: 232, inserted: 230, updated: 0, unchanged: 0, rejected: 2, warnings: 0 });
    assert.deepEqual(rep.issues.map((i) => i.kind), ['missing_code', 'missing_code']);
    const rej = readFileSync(path.join(dir, 'base', 'reports', 'admin-2019-commune.rejects.csv'), 'utf8');
    assert.equal((rej.match(/Trung tâm huấn luyện Cấm Sơn/g) || []).length, 2);
  });

  test('16 institutions placed by commune, by district, or kept without a place', () => {
    const rows = q(base, 'select code, location_precision, commune_code, district_code, province_code, lon, lat from institution order by code');
    assert.equal(rows.length, 16);
    const label = (code) => q(base, `select label_lon, label_lat from admin_unit where layout = '2019' and code = '${code}'`)[0];
    const expectCommune = { 'BG-002': '07432', 'BG-007': '07225' };
    const expectDistrict = {
      'BG-001': '213', 'BG-003': '213', 'BG-004': '215', 'BG-006': '223', 'BG-009': '213', 'BG-010': '213',
      'BG-011': '218', 'BG-012': '217', 'BG-013': '218', 'BG-014': '217', 'BG-015': '213', 'BG-016': '213',
    };
    for (const r of rows) {
      if (expectCommune[r.code]) {
        assert.equal(r.location_precision, 'commune_centroid', r.code);
        assert.equal(r.commune_code, expectCommune[r.code], r.code);
        const l = label(r.commune_code);
        assert.deepEqual([r.lon, r.lat], [l.label_lon, l.label_lat], r.code);
      } else if (expectDistrict[r.code]) {
        assert.equal(r.location_precision, 'district_centroid', r.code);
        assert.equal(r.commune_code, null, r.code);
        assert.equal(r.district_code, expectDistrict[r.code], r.code);
        const l = label(r.district_code);
        assert.deepEqual([r.lon, r.lat], [l.label_lon, l.label_lat], r.code);
      } else {
        assert.ok(['BG-005', 'BG-008'].includes(r.code), r.code);
        assert.deepEqual([r.location_precision, r.lon, r.lat, r.district_code], ['unknown', null, null, null], r.code);
      }
      if (r.district_code) assert.equal(r.province_code, '24', r.code);
    }
    // BG-002 "Xã Tân Dĩnh" is in Lạng Giang (217).  Unit names are the GSO list's: 07225 is
    // "Phường Xương Giang" (the boundary file's own column still says "Xã Xương Giang").
    assert.equal(q(base, "select name from admin_unit where code = '07225'")[0].name, 'Phường Xương Giang');
    assert.equal(inst(base, 'BG-002').district_code, '217');
    const rep = JSON.parse(readFileSync(path.join(dir, 'base', 'reports', 'institutions.json'), 'utf8'));
    assert.deepEqual(rep.counts, { read: 16, inserted: 16, updated: 0, unchanged: 0, rejected: 0, warnings: 2 });
    assert.deepEqual(issues(rep), ['warning no_location 5 BG-005', 'warning no_location 8 BG-008']);
  });

  test('mapped values, URL lists and text are stored as canonical values', () => {
    const r = inst(base, 'BG-002');
    assert.equal(r.kind, 'college');
    assert.equal(r.ownership, 'public');
    assert.deepEqual(JSON.parse(r.source_urls), [
      'https://bcit.edu.vn/en/introduction', 'http://bcit.edu.vn/default.aspx?page=news&do=detail&id=560']);
    assert.deepEqual(q(base, 'select kind, count(*) as c from institution group by kind order by kind'), [
      { kind: 'college', c: 6 }, { kind: 'intermediate_school', c: 5 }, { kind: 'other', c: 1 }, { kind: 'vet_centre', c: 4 }]);
    assert.equal(inst(base, 'BG-014').ownership, 'private');
    assert.equal(inst(base, 'BG-007').name, 'Trường Trung cấp Văn hóa, Thể thao và Du lịch Bắc Giang');
    assert.equal(r.version, 1);
  });

  test('re-running build-data.sh changes nothing: 0 inserted, 0 updated, N unchanged', () => {
    const db = newDb(base);
    const before = dataVersion(db);
    const stamps = q(db, 'select code, version, updated_at from institution order by code');
    const out = execFileSync(path.join(ROOT, 'scripts', 'build-data.sh'), [BIN, db], {
      env: { ...process.env, REPORTS: path.join(dir, 'rerun-reports') }, encoding: 'utf8',
    });
    assert.match(out, /admin-2019-province +1 read, 0 inserted, 0 updated, 1 unchanged/);
    assert.match(out, /admin-2019-district +10 read, 0 inserted, 0 updated, 10 unchanged/);
    assert.match(out, /admin-2019-commune +232 read, 0 inserted, 0 updated, 230 unchanged, 2 rejected/);
    assert.match(out, /institutions +16 read, 0 inserted, 0 updated, 16 unchanged, 0 rejected/);
    assert.equal(dataVersion(db), before);
    assert.deepEqual(q(db, 'select code, version, updated_at from institution order by code'), stamps);
  });

  test('a changed row is updated: version 2, data_version + 1, the others unchanged', () => {
    const db = newDb(base);
    const before = dataVersion(db);
    const csv = readFileSync(path.join(ROOT, 'geodata', 'institutions', 'bac_giang_gdnn_institutions.csv'), 'utf8')
      .replace('Trường Trung cấp nghề số 1,', 'Trường Trung cấp Nghề số 1 Bắc Giang,');
    const file = path.join(dir, 'changed.csv');
    writeFileSync(file, csv);
    const rep = path.join(dir, 'changed.json');
    const r = ingest(['--db', db, '--report', rep, '--mapping',
      path.join(ROOT, 'geodata', 'institutions', 'bac_giang_gdnn_institutions.mapping.json'), file]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /16 read, 0 inserted, 1 updated, 15 unchanged/);
    assert.equal(dataVersion(db), before + 1);
    assert.deepEqual(q(db, "select name, version from institution where code = 'BG-010'"),
      [{ name: 'Trường Trung cấp Nghề số 1 Bắc Giang', version: 2 }]);
    assert.equal(q(db, 'select count(*) as c from institution where version = 1')[0].c, 15);
  });
});

describe('partial files and coordinates', () => {
  const BG002 = 'Trường Cao đẳng Kỹ thuật Công nghiệp (Cơ sở 2)';
  const file = (name, text) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const cols = 'code, name, kind, ownership, address, website, commune_code, district_code, province_code, admin_layout, location_precision, lon, lat, source';

  test('a file without a column keeps that field of an existing row; an empty cell empties it', () => {
    const db = newDb(base);
    const start = q(db, `select ${cols} from institution where code = 'BG-002'`)[0];
    assert.ok(start.website && start.address && start.commune_code && start.lon);
    let r = ingest(['--db', db, file('cols.csv', `id,name\nBG-002,${BG002}\n`)]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /1 read, 0 inserted, 0 updated, 1 unchanged/);
    assert.deepEqual(q(db, `select ${cols} from institution where code = 'BG-002'`)[0], start);
    // A changed name updates only the name; a new row gets the defaults (and is reported without a place).
    r = ingest(['--db', db, file('cols2.csv', `id,name\nBG-002,${BG002} mới\nNEW-1,Trường Mới\n`)]);
    assert.match(r.stdout, /2 read, 1 inserted, 1 updated, 0 unchanged/);
    assert.match(r.stdout, /NEW-1: no coordinates .*\[no_location\]/);
    assert.doesNotMatch(r.stdout, /BG-002.*no_location/);
    assert.deepEqual(q(db, `select ${cols} from institution where code = 'BG-002'`)[0], { ...start, name: `${BG002} mới` });
    assert.deepEqual(q(db, "select kind, ownership, location_precision, lon from institution where code = 'NEW-1'"),
      [{ kind: 'other', ownership: 'unknown', location_precision: 'unknown', lon: null }]);
    // A present but empty cell means "empty".
    r = ingest(['--db', db, file('cols3.csv', `id,name,website\nBG-002,${BG002},\n`)]);
    assert.equal(r.status, 0, r.stderr);
    const now = q(db, `select ${cols} from institution where code = 'BG-002'`)[0];
    assert.deepEqual(now, { ...start, website: null });
  });

  test('a point without a stated unit gets the commune, district and province that contain it', () => {
    const db = newDb(base);
    const r = ingest(['--db', db, file('x1.csv',
      'id,name,district,lon,lat\nX1,Trường X,,106.1946,21.2731\nX2,Trường Y,Thành phố Bắc Giang,106.1946,21.2731\nX3,Hà Nội,,105.85,21.03\n')]);
    assert.equal(r.status, 0, r.stderr);
    const got = q(db, "select code, commune_code, district_code, province_code, admin_layout from institution where code like 'X_' order by code");
    assert.deepEqual(got, [
      { code: 'X1', commune_code: '07213', district_code: '213', province_code: '24', admin_layout: '2019' },
      { code: 'X2', commune_code: '07213', district_code: '213', province_code: '24', admin_layout: '2019' },
      { code: 'X3', commune_code: null, district_code: null, province_code: null, admin_layout: '2019' },
    ]);
  });
});

describe('transactions', () => {
  const mapping = () => path.join(ROOT, 'geodata', 'institutions', 'bac_giang_gdnn_institutions.mapping.json');

  test('a failing ingest (undeclared encoding after a valid change) leaves rows and data_version as they were', () => {
    const db = newDb(base);
    const before = dataVersion(db);
    const file = path.join(dir, 'half-bad.csv');
    writeFileSync(file, Buffer.concat([
      Buffer.from('id,name_vi,district\nBG-001,Tên mới,Thành phố Bắc Giang\nBG-900,'),
      Buffer.from([0xD0, 0xE0, 0x20, 0x4C, 0x61, 0xF2, 0x74]), Buffer.from(',\n')]));
    const r = ingest(['--db', db, '--mapping', mapping(), file]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /nothing was written/);
    assert.equal(inst(db, 'BG-001').name, 'Trường Cao đẳng Kỹ thuật Công nghiệp');
    assert.equal(q(db, "select count(*) as c from institution where code = 'BG-900'")[0].c, 0);
    assert.equal(dataVersion(db), before);
  });

  test('--strict with a rejected row writes nothing', () => {
    const db = newDb(base);
    const before = dataVersion(db);
    const file = path.join(dir, 'strict.csv');
    writeFileSync(file, 'id,name_vi\nBG-001,Tên mới\nBG-901,\n');
    const r = ingest(['--db', db, '--strict', '--mapping', mapping(), file]);
    assert.equal(r.status, 1);
    assert.equal(inst(db, 'BG-001').name, 'Trường Cao đẳng Kỹ thuật Công nghiệp');
    assert.equal(dataVersion(db), before);
  });

  test('--dry-run counts what would change and writes nothing', () => {
    const db = newDb(base);
    const before = dataVersion(db);
    const { r, report } = run(db, ['i5_leading_zeros.csv'], ['--dry-run']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(report.dry_run, true);
    assert.equal(report.counts.inserted, 2);
    assert.equal(q(db, 'select count(*) as c from institution')[0].c, 16);
    assert.equal(dataVersion(db), before);
    const fresh = path.join(dir, 'never-created.sqlite');
    assert.equal(ingest(['--db', fresh, '--dry-run', path.join(FIX, 'i5_leading_zeros.csv')]).status, 0);
    assert.equal(existsSync(fresh), false);
  });
});
