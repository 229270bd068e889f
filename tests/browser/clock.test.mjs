// Times on the page at the instants that used to break a date format: the 1st–9th of a month (one
// digit), 31 December 23:59 in Vietnam (16:59 UTC: a different day, month and year in UTC), and
// 29 February. For each, the server runs with its wall clock set to that instant (libfaketime) and
// the page with the same fixed clock (Playwright), in Vietnam's time zone. A school sends a change
// that waits for approval; its pending request, the admin's queue, the history and the public
// panel's "updated" must all show the instant as web/format.js says: "HH:MM dd/mm/yyyy".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { addUser, buildDb, removeDir, sqlite, startServer, tmpDir } from '../api/lib/server.mjs';
import { launchBrowser, openContext, vietnamDate, vietnamTime } from './server.mjs';

const SCHOOL = { email: 'clock-school@example.test', password: 'clock-school-pass' };
const ADMIN = { email: 'clock-admin@example.test', password: 'clock-admin-pass' };
// [instant (UTC), what a reader in Vietnam sees at that instant]
const INSTANTS = [
  ['2026-12-03T08:00:00Z', '15:00 03/12/2026'],
  ['2026-12-31T16:59:00Z', '23:59 31/12/2026'],
  ['2028-02-29T12:00:00Z', '19:00 29/02/2028'],
  ['2027-01-10T00:00:00Z', '07:00 10/01/2027'],
];

let dir;
let template;
let code;
let browser;

before(async () => {
  dir = tmpDir('vetmap-clock-');
  template = await buildDb(dir);
  code = sqlite(template, 'SELECT code FROM institution ORDER BY code LIMIT 1;').trim();
  addUser(template, 'school', SCHOOL, ['--institution', code]);
  addUser(template, 'admin', ADMIN);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  removeDir(dir);
});

async function openPage(base, instant, hash = '') {
  const { context, page, rec } = await openContext(browser, base, { timezoneId: 'Asia/Ho_Chi_Minh' });
  await page.clock.setFixedTime(new Date(instant));
  await page.goto(`${base}/${hash}`);
  await page.waitForSelector('html[data-map-ready="true"]', { timeout: 20000 });
  return { context, page, errors: rec.pageErrors };
}

async function logIn(page, who) {
  await page.click('#account-btn');
  await page.fill('#editor-login input[name=email]', who.email);
  await page.fill('#editor-login input[name=password]', who.password);
  await page.click('#editor-login button[type=submit]');
  await page.waitForSelector('html[data-editor-role]');
}

/** The datetime attribute and the text of a <time>, checked against the instant the test set. */
async function shownTime(locator, instant) {
  const t = { iso: await locator.getAttribute('datetime'), text: await locator.textContent() };
  const drift = new Date(t.iso).getTime() - new Date(instant).getTime();
  assert.ok(drift >= 0 && drift < 120e3, `the server's clock is the test's: ${t.iso} vs ${instant}`);
  assert.equal(t.text, vietnamTime(t.iso), t.iso);
  return t;
}

for (const [instant, expected] of INSTANTS) {
  test(`times shown at ${instant} (${expected} in Vietnam)`, async () => {
    const db = path.join(dir, `clock-${instant.slice(0, 10)}.sqlite`);
    copyFileSync(template, db);
    const server = await startServer({ db, clock: instant });
    const pages = [];
    try {
      // The school sends a description (waits for approval): its pending request shows the time.
      const school = await openPage(server.base, instant);
      pages.push(school);
      await logIn(school.page, SCHOOL);
      await school.page.waitForSelector(`#editor-form[data-code="${code}"][data-state="ready"]`);
      await school.page.fill('#editor-form textarea[name=description]', `Mô tả lúc ${instant}`);
      await school.page.click('#editor-save');
      await school.page.waitForSelector('#editor-form[data-state="pending"]', { timeout: 10000 });
      const sent = await shownTime(school.page.locator('#editor-pending time'), instant);
      // The first seconds after the instant still show its minute (the test takes far less than one).
      if (new Date(sent.iso).getTime() - new Date(instant).getTime() < 60e3) assert.equal(sent.text, expected);

      // The admin's queue shows the same time; approving puts the change in the history.
      const admin = await openPage(server.base, instant);
      pages.push(admin);
      await logIn(admin.page, ADMIN);
      const card = admin.page.locator(`.editor-change[data-code="${code}"]`);
      await card.waitFor();
      assert.equal((await shownTime(card.locator('time'), instant)).text, sent.text);
      await card.locator('button.approve').click();
      await admin.page.waitForSelector(`.editor-change[data-code="${code}"]`, { state: 'detached' });
      await admin.page.click('.editor-tab[data-tab="history"]');
      await admin.page.fill('#editor-history-pick input[name=code]', code);
      await admin.page.click('#editor-history-pick button[type=submit]');
      await shownTime(admin.page.locator('#editor-history .editor-change time').first(), instant);

      // The public panel's "updated" is the approval's instant.
      const pub = await openPage(server.base, instant, `#institution/${encodeURIComponent(code)}`);
      pages.push(pub);
      await pub.page.waitForSelector('#detail-panel[data-state="done"]');
      const item = await pub.page.evaluate(async (c) => (await fetch(`api/collections/institutions/items/${encodeURIComponent(c)}`)).json(), code);
      assert.ok(new Date(item.properties.updated_at).getTime() - new Date(instant).getTime() < 120e3, item.properties.updated_at);
      const panel = await pub.page.textContent('#detail-body');
      assert.ok(panel.includes(vietnamTime(item.properties.updated_at)), `${vietnamTime(item.properties.updated_at)} in: ${panel}`);
      assert.ok(panel.includes(vietnamDate(instant)) || vietnamDate(item.properties.updated_at) !== vietnamDate(instant));
      for (const p of pages) assert.deepEqual(p.errors, [], 'no page errors');
    } finally {
      for (const p of pages) await p.context.close();
      await server.stop();
    }
  });
}
