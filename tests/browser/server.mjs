// Server and browser for the browser tests.
//
//   startServer()                     -> {base, stop, log}: the server named by VETMAP_URL, or a `vetmap serve`
//                                        started here on a free port over VETMAP_DB (default: a fresh database
//                                        built by scripts/build-data.sh in a temp directory, else
//                                        data/vetmap.sqlite). The binary is VETMAP_BIN (default build/vetmap).
//   launchBrowser()                   -> headless Chromium (CHROMIUM_PATH, default Debian's /usr/bin/chromium)
//   startServerAndBrowser()           -> {server, browser}: both of the above, for a test file's before()
//   stopServerAndBrowser(server, b)   -> closes what is open of the two, for its after()
//   openContext(browser, base, opts)  -> {context, page, rec}: a page with no internet that records its errors
//   getJson(base, p)                  -> the JSON of GET base+p, asserting a 200
//   OUT                               -> where the screenshots go (test-output/browser/)
//   vietnamTime(iso), vietnamDate(iso) -> how the page must show an instant to a reader in Vietnam
//                                        (UTC+7, no DST): "HH:MM dd/mm/yyyy", "dd/mm/yyyy" (web/format.js)
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUT = path.join(ROOT, 'test-output', 'browser');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(base, child, timeoutMs, log) {
  const deadline = Date.now() + timeoutMs;
  let lastErr = null;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`vetmap serve exited with code ${child.exitCode}:\n${log()}`);
    }
    try {
      const res = await fetch(`${base}/api/health`);
      if (res.ok) {
        const body = await res.json();
        if (body && body.status === 'ok') return body;
      }
      lastErr = new Error(`health: HTTP ${res.status}`);
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`server at ${base} not healthy after ${timeoutMs} ms: ${lastErr && lastErr.message}\n${log()}`);
}

/** @returns {Promise<{base: string, stop: () => Promise<void>}>} */
export async function startServer() {
  if (process.env.VETMAP_URL) {
    const base = process.env.VETMAP_URL.replace(/\/+$/, '');
    await waitHealthy(base, null, 10000, () => '');
    return { base, stop: async () => {} };
  }
  const bin = path.resolve(ROOT, process.env.VETMAP_BIN || 'build/vetmap');
  if (!existsSync(bin)) throw new Error(`${bin} not found: run \`make\` first, or set VETMAP_URL / VETMAP_BIN`);

  let db = process.env.VETMAP_DB ? path.resolve(process.env.VETMAP_DB) : null;
  let tmp = null;
  if (!db) {
    const script = path.join(ROOT, 'scripts', 'build-data.sh');
    if (existsSync(script)) {
      tmp = mkdtempSync(path.join(tmpdir(), 'vetmap-browser-'));
      db = path.join(tmp, 'vetmap.sqlite');
      await promisify(execFile)(script, [bin, db], { cwd: ROOT, maxBuffer: 64 << 20 });
    } else {
      db = path.join(ROOT, 'data', 'vetmap.sqlite');
    }
  }
  if (!existsSync(db)) throw new Error(`database ${db} not found: run \`make data\` or set VETMAP_DB`);

  const port = await freePort();
  // cwd: the database's directory, so that no stray ./vetmap.conf.json in the checkout is picked up.
  const child = spawn(bin, ['serve', '--db', db, '--port', String(port), '--web', path.join(ROOT, 'web')], {
    cwd: path.dirname(db),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d) => { output = (output + d.toString()).slice(-20000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  };
  try {
    await waitHealthy(base, child, 20000, () => output);
  } catch (e) {
    await stop();
    throw e;
  }
  return { base, stop, log: () => output };
}

/** Headless Chromium for the tests; also makes sure OUT exists for their screenshots. */
export async function launchBrowser() {
  mkdirSync(OUT, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/** startServer() and launchBrowser() together; the server stops again if the browser cannot start. */
export async function startServerAndBrowser() {
  const server = await startServer();
  try {
    return { server, browser: await launchBrowser() };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

/** Close the browser and stop the server, whichever of them started. */
export async function stopServerAndBrowser(server, browser) {
  if (browser) await browser.close();
  if (server) await server.stop();
}

/**
 * A browser context (vi-VN, 1280×800 unless `options` says otherwise) and its first page. No internet is
 * assumed: every request to another origin than `base` (the OSM basemap tiles) is aborted. Its pages record
 * in `rec` the uncaught page errors, the failed requests to the server, the aborted URLs and the tile
 * responses.
 * @returns {Promise<{context: import('playwright-core').BrowserContext, page: import('playwright-core').Page,
 *                    rec: {pageErrors: string[], localFailures: string[], aborted: string[],
 *                          tiles: {url: string, status: number}[]}}>}
 */
export async function openContext(browser, base, options = {}) {
  const context = await browser.newContext({ locale: 'vi-VN', viewport: { width: 1280, height: 800 }, ...options });
  const origin = new URL(base).origin;
  const rec = { pageErrors: [], localFailures: [], aborted: [], tiles: [] };
  await context.route((url) => url.origin !== origin, (route) => {
    rec.aborted.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  context.on('page', (page) => {
    page.on('pageerror', (e) => rec.pageErrors.push(e.stack || e.message));
    page.on('response', (res) => {
      const u = new URL(res.url());
      if (u.origin !== origin) return;
      if (u.pathname.startsWith('/tiles/')) rec.tiles.push({ url: res.url(), status: res.status() });
      if (res.status() >= 400) rec.localFailures.push(`${res.status()} ${res.url()}`);
    });
  });
  const page = await context.newPage();
  return { context, page, rec };
}

// Worked out here from the UTC fields, independently of the page's Intl-based code, so that a test
// comparing the two can fail.
const two = (n) => String(n).padStart(2, '0');
const inVietnam = (iso) => new Date(new Date(iso).getTime() + 7 * 3600e3);
export function vietnamDate(iso) {
  const d = inVietnam(iso);
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}
export function vietnamTime(iso) {
  const d = inVietnam(iso);
  return `${two(d.getUTCHours())}:${two(d.getUTCMinutes())} ${vietnamDate(iso)}`;
}

/** GET base + p from the test process (not the page); asserts a 200 and returns the parsed JSON. */
export async function getJson(base, p) {
  const res = await fetch(base + p);
  assert.equal(res.status, 200, `GET ${p} → ${res.status}`);
  return res.json();
}
