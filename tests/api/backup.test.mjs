// `vetmap backup` / `vetmap restore` against a database a real server is writing to: a backup taken
// while edits commit, and while another writer holds an open transaction, restores to a database
// that passes PRAGMA integrity_check and holds every change committed before the backup started;
// a damaged backup is refused and leaves the target untouched; a restore under a running server
// is served at once with a higher data_version.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, openSync, readFileSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BIN, addUser, buildDb, login, removeDir, request, sqlite, startServer, tmpDir } from './lib/server.mjs';

const execFileP = promisify(execFile);
const ADMIN = { email: 'backup-admin@example.test', password: 'backup-admin-passphrase' };
const MERGE = 'application/merge-patch+json';

let dir;
let db;
let server;
let code;
let session;   // {cookie, csrf}

/** One committed admin edit of the phone; resolves to the new version. */
async function edit(phone) {
  const r = await request(`${server.base}/api/collections/institutions/items/${code}`, {
    method: 'PATCH',
    headers: { 'Content-Type': MERGE, Cookie: session.cookie, 'X-CSRF-Token': session.csrf, 'If-Match': '*' },
    body: JSON.stringify({ properties: { phone } }),
  });
  assert.equal(r.status, 200, r.text);
  return r.json().version;
}

const integrity = (file) => sqlite(file, 'PRAGMA integrity_check;').trim();
const one = (file, sql) => sqlite(file, sql).trim();
const sha = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

before(async () => {
  dir = tmpDir('vetmap-backup-');
  db = await buildDb(dir);
  code = one(db, 'SELECT code FROM institution ORDER BY code LIMIT 1;');
  addUser(db, 'admin', ADMIN);
  server = await startServer({ db });
  session = await login(server.base, ADMIN);
});

after(async () => {
  if (server) await server.stop();
  removeDir(dir);
});

test('a backup taken while edits commit holds every change committed before it started', async () => {
  const acked = [];
  let stop = false;
  const writer = (async () => {
    for (let i = 0; !stop && i < 500; i++) acked.push(await edit(`0204 100 ${String(i).padStart(3, '0')}`));
  })();
  while (acked.length < 10) await new Promise((r) => setTimeout(r, 10));
  const committedBefore = acked[acked.length - 1];
  const out = path.join(dir, 'during-writes.sqlite');
  const { stdout } = await execFileP(BIN, ['backup', '--db', db, '--out', out]);
  const countAtEnd = acked.length;
  while (acked.length < countAtEnd + 3) await new Promise((r) => setTimeout(r, 10));
  stop = true;
  await writer;
  assert.match(stdout, /integrity ok/);

  assert.equal(integrity(out), 'ok');
  assert.equal(one(out, 'PRAGMA journal_mode;'), 'delete', 'the backup is one self-contained file');
  const version = Number(one(out, `SELECT version FROM institution WHERE code = '${code}';`));
  assert.ok(version >= committedBefore, `backup has version ${version}, ${committedBefore} was committed before it`);
  assert.ok(version < acked[acked.length - 1], 'and the writes went on while it was taken');
  // The copy is one consistent snapshot: its audit log ends exactly at the row's version, and the
  // row holds what the last audit entry says.
  const last = JSON.parse(one(out, `SELECT after FROM audit_log WHERE institution_code = '${code}' ORDER BY id DESC LIMIT 1;`));
  assert.equal(Number(one(out, `SELECT max(version_after) FROM audit_log WHERE institution_code = '${code}';`)), version);
  assert.equal(one(out, `SELECT phone FROM institution WHERE code = '${code}';`), last.properties.phone);

  const restored = path.join(dir, 'restored-1.sqlite');
  const r = await execFileP(BIN, ['restore', '--db', restored, '--from', out]);
  assert.match(r.stdout, /integrity ok/);
  assert.equal(integrity(restored), 'ok');
  assert.equal(Number(one(restored, `SELECT version FROM institution WHERE code = '${code}';`)), version);
  assert.equal(Number(one(restored, `SELECT count(*) FROM audit_log WHERE institution_code = '${code}';`)),
    Number(one(out, `SELECT count(*) FROM audit_log WHERE institution_code = '${code}';`)));
  // The restored file serves.
  const s2 = await startServer({ db: restored });
  try {
    const item = await request(`${s2.base}/api/collections/institutions/items/${code}`);
    assert.equal(item.status, 200);
    assert.equal(item.json().properties.phone, last.properties.phone);
  } finally {
    await s2.stop();
  }
});

test('a backup is not blocked by a writer holding an open transaction, and leaves it out', async () => {
  const committed = await edit('0204 200 000');
  const holder = spawn('sqlite3', [db], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  holder.stdout.on('data', (d) => { out += d; });
  holder.stdin.write(".timeout 5000\nBEGIN IMMEDIATE;\nINSERT INTO meta(key, value) VALUES ('uncommitted', '1');\nSELECT 'holding';\n");
  try {
    const deadline = Date.now() + 10000;
    while (!out.includes('holding')) {
      assert.ok(Date.now() < deadline, 'sqlite3 did not take the write lock');
      await new Promise((r) => setTimeout(r, 20));
    }
    // Readers are not blocked either (WAL).
    assert.equal((await request(`${server.base}/api/health`)).status, 200);
    const file = path.join(dir, 'busy.sqlite');
    const t0 = Date.now();
    await execFileP(BIN, ['backup', '--db', db, '--out', file], { timeout: 8000 });
    assert.ok(Date.now() - t0 < 5000, 'the backup did not wait for the writer');
    assert.equal(integrity(file), 'ok');
    assert.equal(one(file, "SELECT count(*) FROM meta WHERE key = 'uncommitted';"), '0');
    assert.equal(Number(one(file, `SELECT version FROM institution WHERE code = '${code}';`)), committed);
    const restored = path.join(dir, 'restored-2.sqlite');
    await execFileP(BIN, ['restore', '--db', restored, '--from', file]);
    assert.equal(integrity(restored), 'ok');
    assert.equal(one(restored, `SELECT phone FROM institution WHERE code = '${code}';`), '0204 200 000');
  } finally {
    holder.stdin.end('ROLLBACK;\n.quit\n');
    await new Promise((r) => holder.once('exit', r));
  }
});

test('restore refuses a damaged or foreign file and leaves the database as it was', async () => {
  const good = path.join(dir, 'good.sqlite');
  await execFileP(BIN, ['backup', '--db', db, '--out', good]);
  const target = path.join(dir, 'target.sqlite');
  await execFileP(BIN, ['restore', '--db', target, '--from', good]);
  const before = sha(target);

  // Overwrite the institution table's root page with garbage.
  const bad = path.join(dir, 'damaged.sqlite');
  copyFileSync(good, bad);
  const pageSize = Number(one(good, 'PRAGMA page_size;'));
  const root = Number(one(good, "SELECT rootpage FROM sqlite_master WHERE name = 'institution';"));
  const fd = openSync(bad, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0xab), 0, pageSize, (root - 1) * pageSize);
  closeSync(fd);
  const notDb = path.join(dir, 'not-a-db.sqlite');
  writeFileSync(notDb, 'this is not a database\n'.repeat(400));

  for (const from of [bad, notDb, path.join(dir, 'missing.sqlite')]) {
    await assert.rejects(execFileP(BIN, ['restore', '--db', target, '--from', from]), (e) => {
      assert.equal(e.code, 1, `${path.basename(from)}: exit status`);
      assert.match(e.stderr, /refus|cannot read/, e.stderr);
      return true;
    });
    assert.equal(sha(target), before, `${path.basename(from)}: the target is unchanged`);
  }
});

test('restore into the database a server is using: served at once, data_version moves forward', async () => {
  const snapshot = path.join(dir, 'live.sqlite');
  await edit('0204 300 000');
  await execFileP(BIN, ['backup', '--db', db, '--out', snapshot]);
  await edit('0204 300 999');
  const dvBefore = (await request(`${server.base}/api/health`)).json().data_version;
  const r = await execFileP(BIN, ['restore', '--db', db, '--from', snapshot]);
  assert.match(r.stdout, /integrity ok/);
  const health = (await request(`${server.base}/api/health`)).json();
  assert.ok(health.data_version > dvBefore, `data_version ${health.data_version} > ${dvBefore}`);
  const item = await request(`${server.base}/api/collections/institutions/items/${code}`);
  assert.equal(item.json().properties.phone, '0204 300 000');
  assert.equal(integrity(db), 'ok');
  // The server still writes after the restore (its writer connection survives it).
  session = await login(server.base, ADMIN);
  await edit('0204 300 111');
  assert.equal((await request(`${server.base}/api/collections/institutions/items/${code}`)).json().properties.phone, '0204 300 111');
});
