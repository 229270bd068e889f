// The school editor in headless Chromium (playwright-core): a school logs in, drags its pin on the
// map and saves (the move waits for approval); an admin approves it in the moderation queue; a
// fresh public visitor then finds the school at the new place on the map, marked surveyed.  The
// editor speaks Vietnamese for the server's messages (reasons, errors) and shows times in the
// reader's time zone; the accounts table keeps words whole; a cut activation link says so.
// Server: a `vetmap serve` over a fresh database (tests/api/lib/server.mjs), accounts made with
// `vetmap user add --password-stdin`.  Screenshots go to test-output/browser/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { addUser, buildDb, removeDir, sqlite, startServer, tmpDir } from '../api/lib/server.mjs';
import { OUT, launchBrowser, openContext, stopServerAndBrowser, vietnamTime } from './server.mjs';

const SCHOOL = { email: 'editor-school@example.test', password: 'school-browser-pass' };
const ADMIN = { email: 'editor-admin@example.test', password: 'admin-browser-pass' };
const SURVEYED_VI = 'Đo đạc tại chỗ';

let dir;
let server;
let browser;
let code;

before(async () => {
  dir = tmpDir('vetmap-editor-');
  const db = await buildDb(dir);
  code = sqlite(db, "SELECT code FROM institution WHERE lon IS NOT NULL AND location_precision <> 'surveyed' ORDER BY code LIMIT 1;").trim();
  assert.ok(code, 'the test data needs an institution with an approximate location');
  addUser(db, 'school', SCHOOL, ['--institution', code]);
  addUser(db, 'admin', ADMIN);
  server = await startServer({ db });
  browser = await launchBrowser();
});

after(async () => {
  await stopServerAndBrowser(server, browser);
  removeDir(dir);
});

/** A page on the map with no internet (basemap requests aborted) and page errors recorded. */
async function openPage(hash = '', options = {}) {
  const { context, page, rec } = await openContext(browser, server.base, options);
  const errors = rec.pageErrors;
  await page.goto(`${server.base}/${hash}`);
  await page.waitForSelector('html[data-map-ready="true"]', { timeout: 20000 });
  return { context, page, errors };
}

async function logIn(page, who) {
  await page.click('#account-btn');
  await page.fill('#editor-login input[name=email]', who.email);
  await page.fill('#editor-login input[name=password]', who.password);
  await page.click('#editor-login button[type=submit]');
  await page.waitForSelector('html[data-editor-role]');
}

/** Wait until the map has drawn everything it was asked to. */
async function rendered(page) {
  await page.evaluate(() => new Promise((resolve) => {
    const map = window.vetmap.map;
    map.once('rendercomplete', () => resolve());
    map.render();
  }));
}

test('a school drags its pin, an admin approves, the public map shows the surveyed location', async () => {
  // --- the school (in Vietnam's time zone, to see times in local time)
  const school = await openPage('', { timezoneId: 'Asia/Ho_Chi_Minh' });
  await logIn(school.page, SCHOOL);
  await school.page.waitForSelector(`#editor-form[data-code="${code}"][data-state="ready"]`);
  await rendered(school.page);
  const before = await school.page.$eval('#editor-lonlat', (o) => [Number(o.dataset.lon), Number(o.dataset.lat)]);
  const pin = await school.page.evaluate(() => {
    const map = window.vetmap.map;
    const layer = map.getLayers().getArray().find((l) => l.getClassName && l.getClassName() === 'editor-pin-layer');
    const feature = layer.getSource().getFeatures()[0];
    return map.getPixelFromCoordinate(feature.getGeometry().getCoordinates());
  });
  const box = await school.page.locator('#map').boundingBox();
  const x = box.x + pin[0];
  const y = box.y + pin[1];
  await school.page.mouse.move(x, y);
  await school.page.mouse.down();
  await school.page.mouse.move(x + 40, y + 25, { steps: 6 });
  await school.page.mouse.move(x + 90, y + 50, { steps: 6 });
  await school.page.mouse.up();
  const moved = await school.page.$eval('#editor-lonlat', (o) => [Number(o.dataset.lon), Number(o.dataset.lat)]);
  assert.ok(moved[0] > before[0] && moved[1] < before[1], `the pin moved east and south: ${before} -> ${moved}`);

  await school.page.click('#editor-save');
  await school.page.waitForSelector('#editor-form[data-state="pending"]', { timeout: 10000 });
  const pendingRow = await school.page.textContent('#editor-pending[data-state="pending"] tr[data-field="location"] td.after');
  assert.match(pendingRow, new RegExp(moved[0].toFixed(6)));
  await school.page.screenshot({ path: path.join(OUT, 'editor-school-pending.png') });
  // Why it waits, in Vietnamese (the server's English stays in the API's description).
  const reasons = await school.page.textContent('#editor-pending .editor-reasons');
  assert.match(reasons, /Điểm dời \d+ m \(quá 200 m\)|Thay đổi vị trí phải chờ Sở duyệt/, reasons);
  assert.doesNotMatch(reasons, /wait|approval|changes/i, reasons);
  // The time the request was sent, in local time (UTC+7), Vietnamese style, not raw ISO/UTC.
  const sent = await school.page.$eval('#editor-pending time', (el) => ({ iso: el.getAttribute('datetime'), text: el.textContent }));
  assert.match(sent.iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const utc = new Date(sent.iso);
  const local = new Date(utc.getTime() + 7 * 3600e3);   // Asia/Ho_Chi_Minh has no DST
  assert.equal(sent.text, vietnamTime(sent.iso), sent.iso);
  assert.doesNotMatch(sent.text, /T\d\d:|Z$/);
  // Not public yet.
  const still = await (await fetch(`${server.base}/api/collections/institutions/items/${code}`)).json();
  assert.ok(Math.abs(still.geometry.coordinates[0] - before[0]) < 1e-6, 'the public location waits for approval');

  // --- the admin
  const admin = await openPage();
  await logIn(admin.page, ADMIN);
  const card = admin.page.locator(`.editor-change[data-code="${code}"]`);
  await card.waitFor();
  assert.match(await card.locator('tr[data-field="location"] td.after').textContent(), new RegExp(moved[0].toFixed(6)));
  assert.match(await card.locator('tr[data-field="location"] td.before').textContent(), new RegExp(before[0].toFixed(6)));
  await admin.page.screenshot({ path: path.join(OUT, 'editor-admin-queue.png') });
  await card.locator('input[name=comment]').fill('checked on the satellite image');
  await card.locator('button.approve').click();
  await admin.page.waitForSelector('#editor-message[data-kind="ok"]');
  await admin.page.waitForSelector(`.editor-change[data-code="${code}"]`, { state: 'detached' });

  // --- the school sees the decision (its session survives a reload)
  await school.page.reload();
  await school.page.waitForSelector('html[data-editor-role="school"]');
  await school.page.click('#account-btn');
  await school.page.waitForSelector(`#editor-form[data-code="${code}"][data-state="ready"]`);
  await school.page.waitForSelector('#editor-pending[data-state="none"] .editor-last[data-status="approved"]');
  assert.match(await school.page.textContent('.editor-last'), /checked on the satellite image/);

  // --- a fresh public visitor
  const pub = await openPage(`#institution/${encodeURIComponent(code)}`);
  await pub.page.waitForSelector('#detail-panel[data-state="done"]');
  assert.ok((await pub.page.textContent('#detail-body')).includes(SURVEYED_VI), 'the panel says surveyed');
  const item = await pub.page.evaluate(async (c) => (await fetch(`api/collections/institutions/items/${encodeURIComponent(c)}`)).json(), code);
  assert.equal(item.properties.location_precision, 'surveyed');
  assert.ok(Math.abs(item.geometry.coordinates[0] - moved[0]) < 1e-6 && Math.abs(item.geometry.coordinates[1] - moved[1]) < 1e-6,
    `public location ${item.geometry.coordinates} = dragged ${moved}`);
  // On the map: the institution layer has the school's point at the new place.
  await pub.page.evaluate((ll) => {
    const view = window.vetmap.map.getView();
    view.setCenter(ol.proj.fromLonLat(ll));
    view.setZoom(16);
  }, moved);
  await rendered(pub.page);
  const hit = await pub.page.evaluate(([ll, c]) => {
    const map = window.vetmap.map;
    const px = map.getPixelFromCoordinate(ol.proj.fromLonLat(ll));
    const ids = [];
    map.forEachFeatureAtPixel(px, (f) => { ids.push(f.getId() ?? (f.get && f.get('code'))); }, { hitTolerance: 4 });
    return ids.includes(c);
  }, [moved, code]);
  assert.ok(hit, 'the public map draws the school at the approved location');
  await pub.page.screenshot({ path: path.join(OUT, 'editor-public-after-approval.png') });

  for (const p of [school, admin, pub]) {
    assert.deepEqual(p.errors, [], 'no page errors');
    await p.context.close();
  }
});

test('a rejected value is explained in Vietnamese', async () => {
  const { context, page, errors } = await openPage();
  await logIn(page, SCHOOL);
  await page.waitForSelector(`#editor-form[data-code="${code}"][data-state="ready"]`);
  await page.fill('#editor-form input[name=website]', 'ftp://truong.example.vn');
  await page.click('#editor-save');
  await page.waitForSelector('#editor-form[data-state="error"]');
  const msg = await page.textContent('#editor-message');
  assert.match(msg, /Trang web phải bắt đầu bằng http:\/\/ hoặc https:\/\//, msg);
  assert.doesNotMatch(msg, /must start/, msg);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the accounts table keeps words whole', async () => {
  const { context, page, errors } = await openPage();
  await logIn(page, ADMIN);
  await page.click('.editor-tab[data-tab="accounts"]');
  await page.waitForSelector('#editor-accounts tbody tr');
  await page.screenshot({ path: path.join(OUT, 'editor-accounts.png') });
  // Each role and institution code sits on one line: a word broken inside ("admi|n") has two line boxes.
  // Columns: e-mail, role, institution, state, last login, actions.
  const broken = await page.$$eval('#editor-accounts td:nth-child(2), #editor-accounts td:nth-child(3), #editor-accounts th', (cells) => cells
    .filter((td) => td.textContent.trim() && !td.textContent.trim().includes(' '))
    .map((td) => {
      const r = document.createRange();
      r.selectNodeContents(td);
      return { text: td.textContent, lines: new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size };
    })
    .filter((c) => c.lines > 1));
  assert.deepEqual(broken, [], 'no word of the table is split over lines');
  const roles = await page.$$eval('#editor-accounts td:nth-child(2)', (tds) => tds.map((td) => td.textContent));
  assert.ok(roles.includes('admin') && roles.includes('school'), roles.join(','));
  assert.deepEqual(errors, []);
  await context.close();
});

test('a cut or invalid activation link says so instead of showing nothing', async () => {
  for (const hash of ['#activate=abc', '#activate=', `#activate=${'x'.repeat(42)}!`]) {
    const { context, page, errors } = await openPage(hash);
    await page.waitForSelector('#editor-panel:not([hidden]) #editor-activate-invalid');
    const msg = await page.textContent('#editor-message');
    assert.match(msg, /Đường dẫn kích hoạt không đầy đủ hoặc không hợp lệ/, `${hash}: ${msg}`);
    assert.equal(await page.$('#editor-activate'), null, 'no password form without a token');
    assert.equal(await page.evaluate(() => location.hash), '', 'the link leaves the address bar');
    assert.deepEqual(errors, []);
    await context.close();
  }
});
