// Browser test of the planner view (web/planner.js): headless Chromium through playwright-core.
// Opens the planner, checks the shown covered share against the API for R = 10, 5 and 20 km on
// the real Bắc Giang layout 2025, sorts the table, asks for suggestions, adds a hypothetical site,
// checks the downloads, and saves screenshots (screen and print) to test-output/browser/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { OUT, getJson, openContext, startServerAndBrowser, stopServerAndBrowser } from './server.mjs';

let server; let browser; let base;

before(async () => {
  ({ server, browser } = await startServerAndBrowser());
  base = server.base;
});

after(() => stopServerAndBrowser(server, browser));

const api = (p) => getJson(base, p);

/** "61,2 %" (vi-VN) -> 61.2 */
const percent = (s) => Number(s.replace(/\s|%/g, '').replace(/\./g, '').replace(',', '.'));

async function openPlanner() {
  const { context, page, rec } = await openContext(browser, base, { viewport: { width: 1366, height: 860 } });
  const errors = rec.pageErrors;
  await page.goto(base + '/');
  await page.waitForSelector('html[data-map-ready="true"]', { timeout: 20000 });
  await page.click('#planner-toggle');
  await page.waitForSelector('html[data-planner-ready="true"]', { timeout: 20000 });
  return { context, page, errors };
}

async function waitRecomputed(page) {
  await page.waitForSelector('html[data-planner-ready="true"]', { timeout: 20000 });
}

test('planner: real coverage for R = 10, 5, 20 km, table, suggestions, what-if, downloads, print', async () => {
  const { context, page, errors } = await openPlanner();
  try {
    assert.equal(await page.inputValue('#planner-layout'), '2025');
    assert.equal(await page.locator('#planner-table tbody tr').count(), 58);

    for (const r of [10, 5, 20]) {
      if (r !== 10) {
        await page.evaluate(() => { document.documentElement.dataset.plannerReady = 'stale'; });
        await page.click(`#planner [data-radius="${r}"]`);
        await waitRecomputed(page);
      }
      const doc = await api(`/api/coverage?layout=2025&radius_km=${r}&geometry=false`);
      const shown = percent(await page.textContent('#planner-share'));
      assert.ok(Math.abs(shown - 100 * doc.summary.covered_share) < 0.051, `R=${r}: shown ${shown} vs ${doc.summary.covered_share}`);
      assert.equal(await page.inputValue('#planner-radius'), String(r));
      // the choropleth holds the same units and the rings one per institution location
      const counts = await page.evaluate(() => {
        const layers = window.vetmap.map.getLayers().getArray().filter((l) => l.get('planner'));
        return layers.map((l) => l.getSource().getFeatures().length);
      });
      assert.equal(counts[0], 58);
      assert.ok(counts[1] >= 1 && counts[1] <= doc.sites.length);
      if (r === 10) await page.screenshot({ path: path.join(OUT, 'planner-10km.png') });
    }

    // Sort by covered share, descending then ascending.
    await page.click('#planner-table .planner-sort[data-sort="covered_share"]');
    const firstTwo = async () => page.$$eval('#planner-table tbody tr td:nth-child(3)', (tds) => tds.slice(0, 2).map((t) => t.textContent));
    let top = (await firstTwo()).map(percent);
    assert.ok(top[0] >= top[1]);
    await page.click('#planner-table .planner-sort[data-sort="covered_share"]');
    top = (await firstTwo()).map(percent);
    assert.ok(top[0] <= top[1]);

    // Suggestions: three stars on the map, listed with their gain.
    await page.fill('#planner-k', '3');
    await page.click('#planner-suggest');
    await page.waitForSelector('html[data-planner-suggested="3"]', { timeout: 20000 });
    assert.equal(await page.locator('#planner-suggestions li').count(), 3);
    assert.match(await page.textContent('#planner-suggestions li'), /\+[\d.]+ người/);

    // What-if: adopt the first suggestion; the summary shows the change against today.
    await page.evaluate(() => { document.documentElement.dataset.plannerReady = 'stale'; });
    await page.click('#planner-suggestions [data-adopt="0"]');
    await waitRecomputed(page);
    assert.match(await page.textContent('.planner-change'), /Hiện trạng: .* → .*Thay đổi: \+/);

    // Downloads point at the API with the current parameters and answer 200.
    const hrefs = await page.$$eval('#planner a[data-format]', (as) => as.map((a) => a.href));
    assert.equal(hrefs.length, 3);
    for (const h of hrefs) {
      assert.match(h, /api\/coverage\?layout=2025&radius_km=20&f=(csv|xlsx|geojson)/);
      const res = await fetch(h);
      assert.equal(res.status, 200, h);
    }

    await page.screenshot({ path: path.join(OUT, 'planner-whatif.png') });
    await page.emulateMedia({ media: 'print' });
    await page.evaluate(() => new Promise((r) => { const m = window.vetmap.map; m.updateSize(); m.once('rendercomplete', r); m.render(); }));
    assert.equal(await page.locator('#planner-share').isVisible(), true);
    assert.equal(await page.locator('#planner .no-print').first().isVisible(), false);
    assert.equal(await page.locator('#planner-table').isVisible(), true);
    await page.screenshot({ path: path.join(OUT, 'planner-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });

    // Closing the planner restores the page's own layers.
    await page.click('#planner [data-act="close"]');
    assert.equal(await page.locator('#planner').isVisible(), false);
    const visibleTiles = await page.evaluate(() => window.vetmap.map.getLayers().getArray()
      .filter((l) => l instanceof ol.layer.VectorTile).every((l) => l.getVisible()));
    assert.ok(visibleTiles);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
