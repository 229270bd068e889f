// A re-ingest of the master file never silently overwrites an approved school edit: its report lists
// every field where the file and the edit disagree (kind edit_conflict), the edit stays by default,
// `--prefer file` writes the file's values, and the ingest's change is in the institution's history
// (so the edit can still be restored with a revert).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, addUser, buildDb, ingest, login, removeDir, request, sqlite, startServer, tmpDir } from './lib/server.mjs';

const ADMIN = { email: 'reingest-admin@example.test', password: 'reingest-admin-pass' };
const CSV = path.join(ROOT, 'geodata', 'institutions', 'bac_giang_gdnn_institutions.csv');
const MAPPING = path.join(ROOT, 'geodata', 'institutions', 'bac_giang_gdnn_institutions.mapping.json');

let dir;
let db;
let server;
let code;
let auth;

async function call(method, p, json, headers = {}) {
  const r = await request(server.base + p, {
    method,
    headers: { 'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json', Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf, ...headers },
    body: json === undefined ? null : JSON.stringify(json),
  });
  return { ...r, data: r.text ? JSON.parse(r.text) : null };
}

async function reingest(args = []) {
  const report = path.join(dir, `report-${Date.now()}.json`);
  await ingest(db, CSV, ['--mapping', MAPPING, '--layout', '2019', '--report', report, ...args]);
  return JSON.parse(readFileSync(report, 'utf8'));
}

const codesOf = (f) => [f.properties.commune_code, f.properties.district_code, f.properties.province_code];
const conflicts = (rep) => rep.issues.filter((i) => i.kind === 'edit_conflict' && i.code === code);
const item = async () => JSON.parse((await request(`${server.base}/api/collections/institutions/items/${code}`)).text);

before(async () => {
  dir = tmpDir('vetmap-reingest-');
  db = await buildDb(dir);
  code = sqlite(db, 'SELECT code FROM institution WHERE lon IS NOT NULL ORDER BY code LIMIT 1;').trim();
  addUser(db, 'admin', ADMIN);
  server = await startServer({ db });
  auth = await login(server.base, ADMIN);
});

after(async () => {
  if (server) await server.stop();
  removeDir(dir);
});

test('re-ingest: conflicts reported, the edit kept by default, the file wins with --prefer file', async () => {
  const start = await item();
  const [lon, lat] = start.geometry.coordinates;
  const edited = { phone: '0204 3 246 810', point: [lon + 0.001, lat + 0.001] };
  const r = await call('PATCH', `/api/collections/institutions/items/${code}`,
    { properties: { phone: edited.phone }, geometry: { type: 'Point', coordinates: edited.point } },
    { 'If-Match': start.properties.version ? `"inst-${code}-v${start.properties.version}"` : '*' });
  assert.equal(r.status, 200, r.text);
  const editedVersion = r.data.version;
  // The published point took the admin units it lies in (the file names no commune for it).
  const editedCodes = codesOf(r.data.feature);
  assert.ok(editedCodes[0], `a commune for the edited point: ${editedCodes}`);

  // Default: the edit stays, every disagreeing field is reported, the row is unchanged.
  let rep = await reingest();
  let c = conflicts(rep);
  assert.deepEqual(c.map((i) => i.reason.match(/: (\w+): the file/)[1]).sort(), ['location', 'phone']);
  assert.ok(c.every((i) => i.severity === 'warning' && /kept the edit/.test(i.reason)));
  assert.match(c.find((i) => /phone/.test(i.reason)).reason, new RegExp(edited.phone));
  let now = await item();
  assert.equal(now.properties.phone, edited.phone);
  assert.equal(now.properties.location_precision, 'surveyed');
  assert.equal(now.properties.version, editedVersion, 'the edited row was not rewritten');
  assert.deepEqual(codesOf(now), editedCodes, "the kept point keeps its units, not the file's");

  // --prefer file: the file's values are written, reported as such, and the change is audited.
  rep = await reingest(['--prefer', 'file']);
  c = conflicts(rep);
  assert.equal(c.length, 2);
  assert.ok(c.every((i) => /kept the file's value/.test(i.reason)));
  now = await item();
  assert.equal(now.properties.phone, start.properties.phone);
  assert.deepEqual(now.geometry.coordinates, start.geometry.coordinates);
  assert.equal(now.properties.location_precision, start.properties.location_precision);
  assert.deepEqual(codesOf(now), codesOf(start), "the file's point comes with the file's units");
  const hist = await call('GET', `/api/collections/institutions/items/${code}/history`);
  const ingestEntry = hist.data.entries[0];
  assert.equal(ingestEntry.action, 'ingest');
  assert.equal(ingestEntry.version_before, editedVersion);
  assert.equal(ingestEntry.before.properties.phone, edited.phone);
  assert.equal(ingestEntry.after.properties.phone, start.properties.phone);

  // The file won: the next ingest has nothing to report for those fields, and changes nothing.
  rep = await reingest();
  assert.equal(conflicts(rep).length, 0);
  assert.equal(rep.counts.updated, 0);

  // The admin can still bring the edit back.
  const back = await call('POST', `/api/collections/institutions/items/${code}/revert`, { version: editedVersion });
  assert.equal(back.status, 200, back.text);
  now = await item();
  assert.equal(now.properties.phone, edited.phone);
});

test('re-ingest: a kept approximate point keeps its precision and units, not the file\'s "surveyed"', async () => {
  // An institution placed at its district's point on surface; an edit moves it, a revert brings the
  // approximate point back (an approved edit of the location), then a file gives surveyed coordinates.
  const c = sqlite(db, `SELECT code FROM institution WHERE location_precision = 'district_centroid' AND code <> '${code}' ORDER BY code LIMIT 1;`).trim();
  const get = async () => JSON.parse((await request(`${server.base}/api/collections/institutions/items/${c}`)).text);
  const start = await get();
  const [lon, lat] = start.geometry.coordinates;
  const r = await call('PATCH', `/api/collections/institutions/items/${c}`,
    { geometry: { type: 'Point', coordinates: [lon + 0.001, lat + 0.001] } },
    { 'If-Match': `"inst-${c}-v${start.properties.version}"` });
  assert.equal(r.status, 200, r.text);
  const back = await call('POST', `/api/collections/institutions/items/${c}/revert`, { version: start.properties.version });
  assert.equal(back.status, 200, back.text);
  const reverted = await get();
  assert.equal(reverted.properties.location_precision, 'district_centroid');
  const file = path.join(dir, 'surveyed.csv');
  writeFileSync(file, `id,name,lon,lat\n${c},${start.properties.name},${lon + 0.01},${lat + 0.01}\n`);
  const report = path.join(dir, 'surveyed.json');
  await ingest(db, file, ['--layout', '2019', '--report', report]);
  const rep = JSON.parse(readFileSync(report, 'utf8'));
  assert.ok(rep.issues.some((i) => i.kind === 'edit_conflict' && i.code === c && /location: .*kept the edit/.test(i.reason)),
    JSON.stringify(rep.issues));
  const now = await get();
  assert.deepEqual(now.geometry.coordinates, reverted.geometry.coordinates);
  assert.equal(now.properties.location_precision, 'district_centroid');
  assert.deepEqual(codesOf(now), codesOf(reverted));
});
