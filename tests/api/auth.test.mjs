// Accounts, sessions and edits through a real `vetmap serve`: the authorisation matrix
// (anonymous → 401, school A on B → 403, missing CSRF → 403, stale ETag → 412, expired session → 401,
// locked account after repeated failures → 429), plus the edit / moderation / audit / revert flow.
// Accounts are made with the real CLI (`vetmap user add --password-stdin`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, addUser, buildDb, copyDb, removeDir, request, sqlite, startServer, tmpDir } from './lib/server.mjs';

const PASSWORDS = {
  admin: 'admin-passphrase-42',
  a: 'school-a-passphrase',
  b: 'school-b-passphrase',
  lock: 'lock-me-passphrase',
};
const EMAILS = { admin: 'admin@so-ldtbxh.test', a: 'school-a@example.test', b: 'school-b@example.test', lock: 'locked@example.test' };
const MERGE = 'application/merge-patch+json';

let dir;
let db;
let server;
let A;   // institution code of school A
let B;   // institution code of school B
const secrets = new Set(Object.values(PASSWORDS));

function cli(args, input) {
  return execFileSync(BIN, args, { input, encoding: 'utf8' });
}

function writeConfig(name, obj) {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(obj));
  return file;
}

/** A client with its own cookie and CSRF token. */
function client(base) {
  const c = { cookie: null, csrf: null };
  c.call = async (method, p, { json, raw, headers = {}, csrf = true, ctype } = {}) => {
    const h = { ...headers };
    let body = null;
    if (json !== undefined) { body = JSON.stringify(json); h['Content-Type'] = ctype || 'application/json'; }
    if (raw !== undefined) { body = raw; if (ctype) h['Content-Type'] = ctype; }
    if (c.cookie) h.Cookie = c.cookie;
    if (csrf && c.csrf) h['X-CSRF-Token'] = c.csrf;
    const r = await request(base + p, { method, headers: h, body });
    let data = null;
    try { data = r.text ? JSON.parse(r.text) : null; } catch { data = null; }
    return { ...r, data };
  };
  c.login = async (email, password) => {
    const r = await c.call('POST', '/api/session', { json: { email, password } });
    if (r.status === 200) {
      const set = [].concat(r.headers['set-cookie'] || []);
      c.cookie = set[0].split(';')[0];
      c.csrf = r.data.csrf_token;
      secrets.add(c.cookie.split('=')[1]);
      secrets.add(c.csrf);
    }
    return r;
  };
  return c;
}

async function etagOf(code) {
  const r = await request(`${server.base}/api/collections/institutions/items/${code}`);
  assert.equal(r.status, 200);
  return r.headers.etag;
}

async function publicFeature(code) {
  const r = await request(`${server.base}/api/collections/institutions/items/${code}`);
  assert.equal(r.status, 200);
  return JSON.parse(r.text);
}

before(async () => {
  dir = tmpDir('vetmap-auth-');
  db = await buildDb(dir);
  // Two institutions placed in a known commune (so "inside its commune" is checkable).
  const codes = sqlite(db, "SELECT code FROM institution WHERE commune_code IS NOT NULL AND lon IS NOT NULL ORDER BY code LIMIT 2;")
    .trim().split('\n');
  assert.equal(codes.length, 2, 'the test data needs two institutions with a commune and a location');
  [A, B] = codes;
  const who = (k) => ({ email: EMAILS[k], password: PASSWORDS[k] });
  addUser(db, 'admin', who('admin'));
  addUser(db, 'school', who('a'), ['--institution', A]);
  addUser(db, 'school', who('b'), ['--institution', B]);
  addUser(db, 'school', who('lock'), ['--institution', B]);
  const config = writeConfig('main.conf.json', {
    session_ttl_s: 3600, login_max_failures: 3, login_lockout_s: 600, login_ip_max_failures: 1000,
    edit_publish_fields: 'phone,email,website,location,name', edit_max_move_m: 200,
  });
  server = await startServer({ db, args: ['--config', config] });
});

after(async () => {
  if (server) {
    await server.stop();
    // No password, session cookie or CSRF token ever reaches the log.
    const log = server.log();
    for (const s of secrets) assert.ok(!log.includes(s), `the server log contains a secret (${s.slice(0, 4)}…)`);
  }
  removeDir(dir);
});

test('anonymous requests to protected endpoints → 401', async () => {
  const anon = client(server.base);
  const cases = [
    ['GET', '/api/session'],
    ['DELETE', '/api/session'],
    ['GET', '/api/changes?status=pending'],
    ['GET', '/api/changes/1'],
    ['POST', '/api/changes/1/approve'],
    ['POST', '/api/changes/1/reject'],
    ['PATCH', `/api/collections/institutions/items/${A}`],
    ['GET', `/api/collections/institutions/items/${A}/history`],
    ['POST', `/api/collections/institutions/items/${A}/revert`],
    ['GET', `/api/institutions/${A}`],
    ['GET', '/api/accounts'],
    ['POST', '/api/accounts'],
    ['POST', '/api/accounts/1/reset'],
    ['PATCH', '/api/accounts/1'],
  ];
  for (const [m, p] of cases) {
    const r = await anon.call(m, p, { json: {}, ctype: m === 'PATCH' && p.includes('institutions') ? MERGE : undefined });
    assert.equal(r.status, 401, `${m} ${p} → ${r.status}`);
    assert.equal(r.data.code, 'Unauthorized');
    assert.match(r.headers['cache-control'], /no-store/);
  }
  // The public data stays public.
  assert.equal((await request(`${server.base}/api/collections/institutions/items/${A}`)).status, 200);
});

test('login: cookie attributes, CSRF token, errors that do not reveal whether an account exists', async () => {
  const c = client(server.base);
  const r = await c.login(EMAILS.a, PASSWORDS.a);
  assert.equal(r.status, 200);
  assert.match(r.data.csrf_token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(r.data.account.role, 'school');
  assert.equal(r.data.account.institution_code, A);
  assert.ok(!r.text.includes(PASSWORDS.a));
  const cookie = [].concat(r.headers['set-cookie'])[0];
  assert.match(cookie, /^vetmap_session=[A-Za-z0-9_-]{43};/);
  assert.match(cookie, /; HttpOnly/);
  assert.match(cookie, /; SameSite=Strict/);
  assert.match(cookie, /; Path=\//);
  assert.match(cookie, /; Max-Age=3600/);
  assert.doesNotMatch(cookie, /Secure/, 'no Secure flag unless cookie_secure is set');
  assert.match(r.headers['cache-control'], /private, no-store/);

  const me = await c.call('GET', '/api/session');
  assert.equal(me.status, 200);
  assert.equal(me.data.account.email, EMAILS.a);
  assert.equal(me.data.csrf_token, c.csrf);

  // Wrong password and unknown email: the same status and the same body.
  const wrong = await client(server.base).call('POST', '/api/session', { json: { email: EMAILS.b, password: 'not-the-password' } });
  const unknown = await client(server.base).call('POST', '/api/session', { json: { email: 'nobody@example.test', password: 'not-the-password' } });
  assert.equal(wrong.status, 401);
  assert.equal(unknown.status, 401);
  assert.equal(wrong.text, unknown.text);
  assert.equal(wrong.headers['set-cookie'], undefined);

  // Malformed logins are 400 / 415, never 500.
  const anon = client(server.base);
  assert.equal((await anon.call('POST', '/api/session', { raw: '{"email":', ctype: 'application/json' })).status, 400);
  assert.equal((await anon.call('POST', '/api/session', { json: { email: 1, password: [] } })).status, 400);
  assert.equal((await anon.call('POST', '/api/session', { raw: 'email=a&password=b', ctype: 'application/x-www-form-urlencoded' })).status, 415);
});

test('school A on institution B → 403', async () => {
  const a = client(server.base);
  await a.login(EMAILS.a, PASSWORDS.a);
  const tagB = await etagOf(B);
  const patch = await a.call('PATCH', `/api/collections/institutions/items/${B}`,
    { json: { properties: { phone: '0204 111 222' } }, ctype: MERGE, headers: { 'If-Match': tagB } });
  assert.equal(patch.status, 403);
  assert.equal(patch.data.code, 'Forbidden');
  assert.equal((await a.call('GET', `/api/collections/institutions/items/${B}/history`)).status, 403);
  assert.equal((await a.call('GET', `/api/institutions/${B}`)).status, 403);
  assert.equal((await a.call('GET', `/api/changes?institution=${encodeURIComponent(B)}`)).status, 403);
  // Admin-only endpoints are 403 for any school.
  assert.equal((await a.call('POST', '/api/changes/1/approve', { json: {} })).status, 403);
  assert.equal((await a.call('GET', '/api/accounts')).status, 403);
  assert.equal((await a.call('POST', '/api/accounts', { json: { email: 'x@example.test', role: 'admin' } })).status, 403);
  assert.equal((await a.call('POST', `/api/collections/institutions/items/${A}/revert`, { json: { version: 1 } })).status, 403);
  // B is unchanged.
  assert.equal(await etagOf(B), tagB);
});

test('state-changing requests without the CSRF token → 403', async () => {
  const a = client(server.base);
  await a.login(EMAILS.a, PASSWORDS.a);
  const other = client(server.base);
  await other.login(EMAILS.b, PASSWORDS.b);
  const tag = await etagOf(A);
  const edit = { json: { properties: { phone: '0204 999 000' } }, ctype: MERGE, headers: { 'If-Match': tag } };
  const missing = await a.call('PATCH', `/api/collections/institutions/items/${A}`, { ...edit, csrf: false });
  assert.equal(missing.status, 403);
  assert.match(missing.data.description, /CSRF/);
  // Another session's token is wrong too.
  const foreign = await a.call('PATCH', `/api/collections/institutions/items/${A}`,
    { ...edit, csrf: false, headers: { ...edit.headers, 'X-CSRF-Token': other.csrf } });
  assert.equal(foreign.status, 403);
  assert.equal((await a.call('DELETE', '/api/session', { csrf: false })).status, 403);
  const admin = client(server.base);
  await admin.login(EMAILS.admin, PASSWORDS.admin);
  assert.equal((await admin.call('POST', '/api/accounts', { json: { email: 'y@example.test', role: 'admin' }, csrf: false })).status, 403);
  assert.equal((await admin.call('POST', '/api/changes/1/approve', { json: {}, csrf: false })).status, 403);
  // Nothing changed, and GETs need no token.
  assert.equal(await etagOf(A), tag);
  assert.equal((await a.call('GET', '/api/session', { csrf: false })).status, 200);
});

test('stale ETag → 412, missing If-Match → 428, wrong media type → 415', async () => {
  const a = client(server.base);
  await a.login(EMAILS.a, PASSWORDS.a);
  const tag = await etagOf(A);
  assert.match(tag, /^"inst-.+-v\d+"$/);
  const url = `/api/collections/institutions/items/${A}`;
  const ok = await a.call('PATCH', url, { json: { properties: { website: 'https://school-a.example.test' } }, ctype: MERGE, headers: { 'If-Match': tag } });
  assert.equal(ok.status, 200, ok.text);
  assert.notEqual(ok.headers.etag, tag);
  assert.equal(ok.headers.etag, await etagOf(A));
  const stale = await a.call('PATCH', url, { json: { properties: { website: 'https://other.example.test' } }, ctype: MERGE, headers: { 'If-Match': tag } });
  assert.equal(stale.status, 412);
  assert.equal(stale.data.code, 'PreconditionFailed');
  assert.equal(stale.headers.etag, ok.headers.etag, 'the 412 carries the current ETag');
  const weak = await a.call('PATCH', url, { json: { properties: { website: 'https://other.example.test' } }, ctype: MERGE, headers: { 'If-Match': `W/${ok.headers.etag}` } });
  assert.equal(weak.status, 412, 'If-Match uses the strong comparison');
  const none = await a.call('PATCH', url, { json: { properties: { website: 'https://other.example.test' } }, ctype: MERGE });
  assert.equal(none.status, 428);
  const json = await a.call('PATCH', url, { json: { properties: { website: 'https://other.example.test' } }, headers: { 'If-Match': ok.headers.etag } });
  assert.equal(json.status, 415);
  assert.equal((await publicFeature(A)).properties.website, 'https://school-a.example.test');
  // A conditional GET with the version tag → 304.
  const cond = await request(`${server.base}${url}`, { headers: { 'If-None-Match': ok.headers.etag } });
  assert.equal(cond.status, 304);
});

test('expired session → 401 (session_ttl_s), and cookie_secure adds Secure', async () => {
  const copy = copyDb(db, path.join(dir, 'ttl.sqlite'));
  const config = writeConfig('ttl.conf.json', { session_ttl_s: 3, cookie_secure: 1 });
  const short = await startServer({ db: copy, args: ['--config', config] });
  try {
    const a = client(short.base);
    const r = await a.login(EMAILS.a, PASSWORDS.a);
    assert.equal(r.status, 200);
    const cookie = [].concat(r.headers['set-cookie'])[0];
    assert.match(cookie, /; Secure/);
    assert.match(cookie, /; Max-Age=3/);
    assert.equal((await a.call('GET', '/api/session')).status, 200);
    await new Promise((res) => setTimeout(res, 4200));
    const expired = await a.call('GET', '/api/session');
    assert.equal(expired.status, 401);
    const tag = (await request(`${short.base}/api/collections/institutions/items/${A}`)).headers.etag;
    const patch = await a.call('PATCH', `/api/collections/institutions/items/${A}`,
      { json: { properties: { phone: '0204 555 555' } }, ctype: MERGE, headers: { 'If-Match': tag } });
    assert.equal(patch.status, 401);
  } finally {
    await short.stop();
  }
});

test('an account is locked after repeated failures, known or unknown, and reset clears it', async () => {
  const c = client(server.base);
  const fail = () => c.call('POST', '/api/session', { json: { email: EMAILS.lock, password: 'guess-guess-guess' } });
  for (let i = 0; i < 3; i++) assert.equal((await fail()).status, 401, `failure ${i + 1}`);
  const locked = await fail();
  assert.equal(locked.status, 429);
  assert.equal(locked.data.code, 'TooManyAttempts');
  assert.ok(Number(locked.headers['retry-after']) > 0);
  // Even the right password is refused while locked.
  const right = await c.login(EMAILS.lock, PASSWORDS.lock);
  assert.equal(right.status, 429);
  // An address with no account locks the same way, so a lockout says nothing about existence.
  const ghost = () => c.call('POST', '/api/session', { json: { email: 'ghost@example.test', password: 'guess-guess-guess' } });
  for (let i = 0; i < 3; i++) assert.equal((await ghost()).status, 401);
  const ghostLocked = await ghost();
  assert.equal(ghostLocked.status, 429);
  assert.equal(ghostLocked.data.description.replace(/\d+/g, 'N'), locked.data.description.replace(/\d+/g, 'N'));
  // Another account from the same address is not affected.
  assert.equal((await client(server.base).login(EMAILS.b, PASSWORDS.b)).status, 200);
  // `vetmap user reset` (here with a new password) clears the lockout.
  cli(['user', 'reset', '--db', db, '--email', EMAILS.lock, '--password-stdin'], PASSWORDS.lock + '\n');
  assert.equal((await c.login(EMAILS.lock, PASSWORDS.lock)).status, 200);
});

test('too many failures from one IP → 429 for every account', async () => {
  const copy = copyDb(db, path.join(dir, 'ip.sqlite'));
  sqlite(copy, 'DELETE FROM login_failure;');   // the failures of the tests before
  const config = writeConfig('ip.conf.json', { login_ip_max_failures: 4, login_max_failures: 100 });
  const s = await startServer({ db: copy, args: ['--config', config] });
  try {
    const c = client(s.base);
    for (let i = 0; i < 4; i++) {
      const r = await c.call('POST', '/api/session', { json: { email: `user${i}@example.test`, password: 'guess-guess-guess' } });
      assert.equal(r.status, 401);
    }
    const r = await c.login(EMAILS.a, PASSWORDS.a);
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers['retry-after']) > 0);
  } finally {
    await s.stop();
  }
});

test('edits: moderation, public view, audit history and revert', async () => {
  const a = client(server.base);
  const admin = client(server.base);
  await a.login(EMAILS.a, PASSWORDS.a);
  await admin.login(EMAILS.admin, PASSWORDS.admin);
  const url = `/api/collections/institutions/items/${A}`;
  const start = await publicFeature(A);
  const [lon, lat] = start.geometry.coordinates;

  // A small move and a phone change publish at once (both in edit_publish_fields).
  let r = await a.call('PATCH', url, {
    json: { properties: { phone: '0204 3 123 456' }, geometry: { type: 'Point', coordinates: [lon, lat + 0.0001] } },
    ctype: MERGE, headers: { 'If-Match': await etagOf(A) } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.data.published.sort(), ['location', 'phone']);
  assert.deepEqual(r.data.pending, []);
  let pub = await publicFeature(A);
  assert.equal(pub.properties.phone, '0204 3 123 456');
  assert.equal(pub.properties.location_precision, 'surveyed');
  assert.ok(Math.abs(pub.geometry.coordinates[1] - (lat + 0.0001)) < 1e-7);

  // A far move (> edit_max_move_m) and a rename always wait, even though both fields are listed;
  // description is not listed, so it waits too.
  const far = [lon + 0.02, lat + 0.0001];
  r = await a.call('PATCH', url, {
    json: { properties: { name: 'Renamed by school A', description: 'Trường đào tạo nghề' }, geometry: { type: 'Point', coordinates: far } },
    ctype: MERGE, headers: { 'If-Match': await etagOf(A) } });
  assert.equal(r.status, 202, r.text);
  assert.deepEqual(r.data.published, []);
  assert.deepEqual(r.data.pending.sort(), ['description', 'location', 'name']);
  const changeId = r.data.change_request_id;
  assert.ok(changeId > 0);
  // The public sees only approved data.
  pub = await publicFeature(A);
  assert.equal(pub.properties.name, start.properties.name);
  assert.ok(Math.abs(pub.geometry.coordinates[0] - lon) < 1e-7);

  // The school sees its pending request; the admin sees it in the queue with before/after.
  const mine = await a.call('GET', '/api/changes?status=pending');
  assert.equal(mine.status, 200);
  assert.deepEqual(mine.data.changes.map((c) => c.id), [changeId]);
  const queue = await admin.call('GET', '/api/changes?status=pending');
  const ch = queue.data.changes.find((c) => c.id === changeId);
  assert.ok(ch, 'the admin queue lists the request');
  assert.equal(ch.author, EMAILS.a);
  assert.equal(ch.before.properties.name, start.properties.name);
  assert.equal(ch.after.properties.name, 'Renamed by school A');
  assert.equal(ch.after.properties.description, 'Trường đào tạo nghề');
  // Reasons are messages: a stable code, the English sentence, its values.
  assert.ok(ch.reasons.some((m) => m.code === 'wait_rename' && /rename/.test(m.description)));
  const farMove = ch.reasons.find((m) => m.code === 'wait_far_move');
  assert.ok(farMove, JSON.stringify(ch.reasons));
  assert.match(farMove.description, /moves \d+ m/);
  assert.equal(farMove.params.max_m, 200);
  assert.ok(farMove.params.distance_m > 200);

  // Approve with a comment: published, surveyed, audited.
  r = await admin.call('POST', `/api/changes/${changeId}/approve`, { json: { comment: 'checked by phone' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.data.change.status, 'approved');
  assert.equal(r.data.change.comment, 'checked by phone');
  assert.equal(r.data.change.decider, EMAILS.admin);
  pub = await publicFeature(A);
  assert.equal(pub.properties.name, 'Renamed by school A');
  assert.equal(pub.properties.location_precision, 'surveyed');
  assert.ok(Math.abs(pub.geometry.coordinates[0] - far[0]) < 1e-7);
  assert.equal((await admin.call('POST', `/api/changes/${changeId}/approve`, { json: {} })).status, 409);

  // A rejected request publishes nothing.
  r = await a.call('PATCH', url, { json: { properties: { address: 'Somewhere else' } }, ctype: MERGE, headers: { 'If-Match': await etagOf(A) } });
  assert.equal(r.status, 202);
  const rej = await admin.call('POST', `/api/changes/${r.data.change_request_id}/reject`, { json: { comment: 'wrong address' } });
  assert.equal(rej.status, 200);
  assert.equal(rej.data.change.status, 'rejected');
  assert.equal((await publicFeature(A)).properties.address, start.properties.address);

  // History: who, when, before and after, for the school itself and for admins.
  const hist = await a.call('GET', `${url}/history`);
  assert.equal(hist.status, 200);
  const entries = hist.data.entries;
  assert.ok(entries.length >= 3);
  const approveEntry = entries.find((e) => e.change_request_id === changeId);
  assert.equal(approveEntry.action, 'approve');
  assert.equal(approveEntry.actor, EMAILS.admin);
  assert.match(approveEntry.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(approveEntry.before.properties.name, start.properties.name);
  assert.equal(approveEntry.after.properties.name, 'Renamed by school A');
  const first = entries.find((e) => e.version_before === start.properties.version);
  assert.equal(first.actor, EMAILS.a);
  assert.equal(first.action, 'edit');
  assert.deepEqual(first.fields.sort(), ['location', 'phone']);

  // Revert to the version before any edit: exactly the original values again.
  r = await admin.call('POST', `${url}/revert`, { json: { version: start.properties.version, comment: 'undo test edits' } });
  assert.equal(r.status, 200, r.text);
  pub = await publicFeature(A);
  for (const k of ['name', 'phone', 'address', 'website', 'location_precision']) assert.equal(pub.properties[k], start.properties[k], k);
  assert.deepEqual(pub.geometry.coordinates, start.geometry.coordinates);
  const after = await admin.call('GET', `${url}/history`);
  assert.equal(after.data.entries[0].action, 'revert');
  assert.equal(after.data.entries[0].comment, 'undo test edits');
  assert.equal((await admin.call('POST', `${url}/revert`, { json: { version: 99999 } })).status, 404);
});

test('edits are validated like the ingest: editable fields only, finite, inside the region', async () => {
  const a = client(server.base);
  await a.login(EMAILS.a, PASSWORDS.a);
  const url = `/api/collections/institutions/items/${A}`;
  const send = async (patch, raw) => a.call('PATCH', url, {
    ...(raw !== undefined ? { raw } : { json: patch }), ctype: MERGE, headers: { 'If-Match': await etagOf(A) } });
  const cases = [
    [{ properties: { kind: 'college' } }, 400],
    [{ properties: { location_precision: 'surveyed' } }, 400],
    [{ id: 'OTHER' }, 400],
    [{ geometry: null }, 422],
    [{ geometry: { type: 'Point', coordinates: [2.35, 48.85] } }, 422],          // Paris: outside the region
    [{ geometry: { type: 'Point', coordinates: [106.2] } }, 400],
    [{ geometry: { type: 'LineString', coordinates: [[106, 21], [106.1, 21.1]] } }, 400],
    [{ properties: { website: 'javascript:alert(1)' } }, 422],
    [{ properties: { email: 'not an email' } }, 422],
    [{ properties: { phone: 'call us' } }, 422],
    [{ properties: { name: '' } }, 422],
    [{ properties: { programs: [{ occupation_name: 'Hàn', annual_quota: -1 }] } }, 422],
    [{ properties: { programs: [{ occupation_name: 'Hàn', color: 'red' }] } }, 400],
    [[1, 2], 400],
  ];
  for (const [patch, status] of cases) {
    const r = await send(patch);
    assert.equal(r.status, status, `${JSON.stringify(patch)} → ${r.status} ${r.text}`);
    assert.ok(r.data && r.data.code && r.data.description, 'a JSON error');
    // ... with the message a client can translate: a stable code beside the English description.
    assert.match(r.data.message.code, /^[a-z_]+$/, r.text);
    assert.equal(r.data.message.description, r.data.description);
  }
  const codeOf = async (patch) => (await send(patch)).data.message;
  assert.equal((await codeOf({ properties: { website: 'javascript:alert(1)' } })).code, 'website_scheme');
  assert.equal((await codeOf({ properties: { phone: 'call us' } })).code, 'phone_chars');
  assert.deepEqual((await codeOf({ properties: { name: '' } })).params, { field: 'name' });
  const region = await codeOf({ geometry: { type: 'Point', coordinates: [2.35, 48.85] } });
  assert.equal(region.code, 'location_outside_region');
  assert.deepEqual(region.params, { lon: 2.35, lat: 48.85 });
  const quota = await codeOf({ properties: { programs: [{ occupation_name: 'Hàn' }, { occupation_name: 'Hàn', annual_quota: -1 }] } });
  assert.deepEqual([quota.code, quota.params.index], ['program_quota_invalid', 1]);
  assert.equal((await send(undefined, '{"geometry": {"type": "Point", "coordinates": [1e999, 21]}}')).status, 422);
  assert.equal((await send(undefined, '{"properties": ')).status, 400);
  // Text is stored NFC and trimmed; programs are replaced whole.
  const r = await send({ properties: { phone: '  0204 3 111 222  ', address: 'Xa\u0303 Tân Dĩnh' } });
  assert.ok(r.status === 200 || r.status === 202, r.text);
  const adm = client(server.base);
  await adm.login(EMAILS.admin, PASSWORDS.admin);
  const view = await adm.call('GET', `/api/institutions/${A}`);
  assert.equal(view.status, 200);
  assert.equal(view.data.published.properties.phone, '0204 3 111 222');
  const pending = view.data.pending;
  assert.equal(pending.after.properties.address, 'Xã Tân Dĩnh'.normalize('NFC'));
});

test('admin account management over HTTP: create, activate, disable, reset', async () => {
  const admin = client(server.base);
  await admin.login(EMAILS.admin, PASSWORDS.admin);
  const created = await admin.call('POST', '/api/accounts', { json: { email: 'New.School@Example.test', role: 'school', institution_code: B } });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.data.account.email, 'new.school@example.test');
  assert.equal(created.data.account.active, false);
  const token = created.data.activation_token;
  secrets.add(token);
  assert.equal(created.data.activation_path, `/#activate=${token}`);
  assert.equal((await admin.call('POST', '/api/accounts', { json: { email: 'new.school@example.test', role: 'school', institution_code: B } })).status, 409);
  assert.equal((await admin.call('POST', '/api/accounts', { json: { email: 'z@example.test', role: 'school', institution_code: 'NO-SUCH' } })).status, 422);

  const anon = client(server.base);
  assert.equal((await anon.call('POST', '/api/activate', { json: { token, password: 'short' } })).status, 400);
  assert.equal((await anon.call('POST', '/api/activate', { json: { token, password: 'a-long-enough-password' } })).status, 200);
  assert.equal((await anon.call('POST', '/api/activate', { json: { token, password: 'a-long-enough-password' } })).status, 400, 'one use');
  secrets.add('a-long-enough-password');
  const school = client(server.base);
  assert.equal((await school.login('new.school@example.test', 'a-long-enough-password')).status, 200);

  const id = created.data.account.id;
  const dis = await admin.call('PATCH', `/api/accounts/${id}`, { json: { disabled: true } });
  assert.equal(dis.status, 200);
  assert.equal(dis.data.disabled, true);
  assert.equal((await school.call('GET', '/api/session')).status, 401, 'disabling ends the sessions');
  assert.equal((await client(server.base).login('new.school@example.test', 'a-long-enough-password')).status, 401);
  const me = (await admin.call('GET', '/api/session')).data.account.id;
  assert.equal((await admin.call('PATCH', `/api/accounts/${me}`, { json: { disabled: true } })).status, 409);

  const reset = await admin.call('POST', `/api/accounts/${id}/reset`);
  assert.equal(reset.status, 200);
  secrets.add(reset.data.activation_token);
  const list = await admin.call('GET', '/api/accounts');
  const row = list.data.accounts.find((x) => x.id === id);
  assert.equal(row.active, false);
  assert.ok(!list.text.includes('$argon2'), 'password hashes never leave the server');
  // The stored hash is argon2id.
  assert.match(sqlite(db, `SELECT password_hash FROM account WHERE email = '${EMAILS.admin}';`), /^\$argon2id\$/);
});

test('logout ends the session and clears the cookie', async () => {
  const c = client(server.base);
  await c.login(EMAILS.b, PASSWORDS.b);
  const r = await c.call('DELETE', '/api/session');
  assert.equal(r.status, 204);
  assert.match([].concat(r.headers['set-cookie'])[0], /^vetmap_session=; .*Max-Age=0/);
  assert.equal((await c.call('GET', '/api/session')).status, 401);
});

// ---- where a published point lies: its commune, district and province follow it

/** The units of the default layout whose polygon holds (lon, lat), by plain SpatiaLite (no R*Tree):
 *  {commune, district, province} codes, null where none. */
function unitsAt([lon, lat]) {
  const rows = sqlite(db, `SELECT level_name, code FROM admin_unit WHERE layout = (SELECT name FROM layout WHERE is_default = 1)
    AND ST_Contains(geom, MakePoint(${lon}, ${lat}, 4326)) ORDER BY level_name, code;`, { spatialite: true });
  const units = { commune: null, district: null, province: null };
  for (const line of rows.trim().split('\n').filter(Boolean)) {
    const [level, code] = line.split('|');
    units[level] ??= code;
  }
  return units;
}

const codesOf = (f) => ({ commune: f.properties.commune_code, district: f.properties.district_code, province: f.properties.province_code });

/** The label point of the first commune (by code) outside `district`. */
function communeOutside(district) {
  const [lon, lat] = sqlite(db, `SELECT label_lon, label_lat FROM admin_unit WHERE layout = (SELECT name FROM layout WHERE is_default = 1)
    AND level_name = 'commune' AND parent_code <> '${district}' ORDER BY code LIMIT 1;`).trim().split('|').map(Number);
  return [lon, lat];
}

const HANOI = [105.8342, 21.0278];   // inside the region served, in no unit of the Bắc Giang layouts

test('a move approved into another district takes the units of its new place; search follows; revert restores them', async () => {
  const b = client(server.base);
  const admin = client(server.base);
  await b.login(EMAILS.b, PASSWORDS.b);
  await admin.login(EMAILS.admin, PASSWORDS.admin);
  const url = `/api/collections/institutions/items/${B}`;
  const start = await publicFeature(B);
  const target = communeOutside(start.properties.district_code);
  const want = unitsAt(target);
  assert.ok(want.commune && want.district && want.province, `the target lies in a commune: ${JSON.stringify(want)}`);
  assert.notEqual(want.district, start.properties.district_code);
  const newCommune = sqlite(db, `SELECT name FROM admin_unit WHERE layout = (SELECT name FROM layout WHERE is_default = 1)
    AND code = '${want.commune}';`).trim();
  const found = async () => (await (await request(`${server.base}/api/search?q=${encodeURIComponent(newCommune)}&limit=100`)).json()).features.map((f) => f.id);
  assert.ok(!(await found()).includes(B), `${newCommune} does not find ${B} before the move`);

  const r = await b.call('PATCH', url, { json: { geometry: { type: 'Point', coordinates: target } }, ctype: MERGE, headers: { 'If-Match': await etagOf(B) } });
  assert.equal(r.status, 202, r.text);
  const outside = r.data.warnings.find((m) => m.code === 'outside_own_unit');
  assert.deepEqual(outside && outside.params, { level: 'commune', unit: start.properties.commune_code });
  const ok = await admin.call('POST', `/api/changes/${r.data.change_request_id}/approve`, { json: {} });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.data.warnings, []);

  const moved = await publicFeature(B);
  assert.deepEqual(codesOf(moved), want, 'the codes of the place it was moved to, not the old ones');
  assert.equal(moved.properties.commune_name, newCommune);
  assert.ok((await found()).includes(B), `${newCommune} finds ${B} after the move`);
  // The history shows where it went.
  const hist = await admin.call('GET', `${url}/history`);
  assert.equal(hist.data.entries[0].after.place.commune_code, want.commune);
  assert.equal(hist.data.entries[0].before.place.commune_code, start.properties.commune_code);

  // A revert puts it back where it was, units included.
  const back = await admin.call('POST', `${url}/revert`, { json: { version: start.properties.version } });
  assert.equal(back.status, 200, back.text);
  assert.deepEqual(codesOf(await publicFeature(B)), codesOf(start));
  assert.ok(!(await found()).includes(B));
});

test('commune unknown: a move out of the district is flagged; a move inside gets its commune; no unit → null codes and a warning', async () => {
  const C = sqlite(db, 'SELECT code FROM institution WHERE commune_code IS NULL AND district_code IS NOT NULL AND lon IS NOT NULL ORDER BY code LIMIT 1;').trim();
  assert.ok(C, 'the test data needs an institution with a district but no commune');
  const who = { email: 'school-c@example.test', password: 'school-c-passphrase' };
  addUser(db, 'school', who, ['--institution', C]);
  secrets.add(who.password);
  const c = client(server.base);
  const admin = client(server.base);
  await c.login(who.email, who.password);
  await admin.login(EMAILS.admin, PASSWORDS.admin);
  const url = `/api/collections/institutions/items/${C}`;
  const start = await publicFeature(C);
  const district = start.properties.district_code;
  const send = async (coordinates) => c.call('PATCH', url, { json: { geometry: { type: 'Point', coordinates } }, ctype: MERGE, headers: { 'If-Match': await etagOf(C) } });

  // Into another district: the moderator is told, although the commune is unknown.
  let r = await send(communeOutside(district));
  assert.equal(r.status, 202, r.text);
  let ch = (await admin.call('GET', `/api/changes/${r.data.change_request_id}`)).data;
  const flag = ch.reasons.find((m) => m.code === 'outside_own_unit');
  assert.ok(flag, JSON.stringify(ch.reasons));
  assert.deepEqual(flag.params, { level: 'district', unit: district });
  assert.match(flag.description, new RegExp(`outside the institution's district \\(${district}\\)`));
  assert.equal((await admin.call('POST', `/api/changes/${ch.id}/reject`, { json: {} })).status, 200);

  // A short move inside its district publishes at once, and now it has a commune.
  const near = [start.geometry.coordinates[0] + 0.0003, start.geometry.coordinates[1] + 0.0002];
  const want = unitsAt(near);
  assert.equal(want.district, district, 'the short move stays in the district');
  r = await send(near);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.data.published, ['location']);
  assert.ok(!r.data.warnings.some((m) => m.code === 'outside_own_unit'), JSON.stringify(r.data.warnings));
  const moved = await publicFeature(C);
  assert.ok(moved.properties.commune_code, 'the commune is no longer null');
  assert.deepEqual(codesOf(moved), want);

  // A point in no unit of the layout waits, says why, and once approved has no codes (with a warning).
  r = await send(HANOI);
  assert.equal(r.status, 202, r.text);
  ch = (await admin.call('GET', `/api/changes/${r.data.change_request_id}`)).data;
  const none = ch.reasons.find((m) => m.code === 'location_in_no_unit');
  assert.ok(none, JSON.stringify(ch.reasons));
  assert.equal(ch.after.place.commune_code, null);
  const ok = await admin.call('POST', `/api/changes/${ch.id}/approve`, { json: {} });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.data.warnings.map((m) => m.code), ['location_in_no_unit']);
  assert.deepEqual(codesOf(await publicFeature(C)), { commune: null, district: null, province: null });
});

test('an admin move into no unit publishes with a warning', async () => {
  const admin = client(server.base);
  await admin.login(EMAILS.admin, PASSWORDS.admin);
  const D = sqlite(db, `SELECT code FROM institution WHERE province_code IS NOT NULL AND lon IS NOT NULL AND code NOT IN ('${A}', '${B}') ORDER BY code DESC LIMIT 1;`).trim();
  const r = await admin.call('PATCH', `/api/collections/institutions/items/${D}`,
    { json: { geometry: { type: 'Point', coordinates: HANOI } }, ctype: MERGE, headers: { 'If-Match': await etagOf(D) } });
  assert.equal(r.status, 200, r.text);
  const w = r.data.warnings.find((m) => m.code === 'location_in_no_unit');
  assert.ok(w && /in no admin unit/.test(w.description), JSON.stringify(r.data.warnings));
  assert.equal(r.data.feature.properties.province_code, null);
});
