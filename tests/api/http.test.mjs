// The HTTP layer: static files (CASES H1), slow clients (H2), request bodies (H3), status codes and
// JSON errors, ETag/304, gzip, caching headers, the tile response cache, CORS, the access log,
// a busy database (S2), locale independence (G2), and the `vetmap serve` command line.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import {
  BIN, ROOT, WEB, addUser, buildDb, copyDb, getJson, login, normalise, rawRequest, removeDir, request, sqlite,
  startServer, tmpDir,
} from './lib/server.mjs';
import { assertJsonError } from './lib/checks.mjs';

const execFileP = promisify(execFile);
let dir; let db; let srv; let base; let port;

before(async () => {
  dir = tmpDir();
  db = await buildDb(dir);
  srv = await startServer({ db });
  ({ base, port } = srv);
});

after(async () => {
  if (srv) await srv.stop();
  removeDir(dir);
});

const get = (target, extra = '') => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extra}\r\n`;
const TILE = '/tiles/communes/12/3256/1800.geojson'; // Bắc Giang city
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Wait until `text` appears on the child's stdout. */
function waitFor(child, text, ms = 10000) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no "${text}" after ${ms} ms: ${out}`)), ms);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes(text)) { clearTimeout(timer); resolve(); }
    });
  });
}

describe('static files and CASES H1', () => {
  it('serves index.html for / and files with their content types', async () => {
    const index = await request(`${base}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers['content-type'], /^text\/html; charset=utf-8/);
    assert.equal(index.text, readFileSync(path.join(WEB, 'index.html'), 'utf8'));
    const css = await request(`${base}/app.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers['content-type'], /^text\/css/);
    const js = await request(`${base}/app.js`);
    assert.match(js.headers['content-type'], /^text\/javascript/);
    assert.equal(js.headers['x-content-type-options'], 'nosniff');
    assertJsonError(await request(`${base}/no-such-file.txt`), 404);
    assertJsonError(await request(`${base}/api/no-such-endpoint`), 404);
  });

  it('never leaves the web directory, whatever the encoding of ".." (sent as is)', async () => {
    const attempts = [
      '/static/%2e%2e/%2e%2e/etc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/../../../../../../etc/passwd',
      '/static/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd',
      '/vendor/../../../../../../../etc/passwd',
      '/..%5c..%5c..%5cetc%5cpasswd',
      '/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/etc/passwd',
      `/${'..%2f'.repeat(40)}etc/passwd`,
      '/index.html%00.png',
    ];
    for (const target of attempts) {
      const r = await rawRequest(port, get(target));
      assert.ok([400, 404].includes(r.status), `${target}: HTTP ${r.status}`);
      assert.doesNotMatch(r.body, /root:/, target);
      if (r.status !== 400) assertJsonError(r, r.status);
    }
    // ".." that stays inside is fine.
    assert.equal((await rawRequest(port, get('/vendor/../index.html'))).status, 200);
  });

  it('a path outside the web directory is answered exactly like a missing file', async () => {
    // An existing file and a missing one out there must not be told apart (QA: 403 vs 404 did).
    const up = '/%2e%2e'.repeat(8);
    const answers = [];
    for (const target of [`${up}/etc/passwd`, `${up}/etc/no-such-file-here`, `${up}/etc`, '/no-such-file-here']) {
      const r = await rawRequest(port, get(target));
      assertJsonError(r, 404);
      answers.push(r.body);
    }
    assert.equal(new Set(answers).size, 1, answers.join(' | '));
  });

  it('refuses symlinks out of the web directory and hidden files (404 alike)', async () => {
    const web = path.join(dir, 'web-h1');
    mkdirSync(web);
    writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(path.join(web, '.secret'), 'hidden');
    symlinkSync('/etc/passwd', path.join(web, 'passwd.txt'));
    symlinkSync('/etc', path.join(web, 'etc'));
    const s = await startServer({ db, web });
    try {
      assert.equal((await request(`${s.base}/`)).status, 200);
      const r1 = await rawRequest(s.port, get('/passwd.txt'));
      assertJsonError(r1, 404);
      assert.doesNotMatch(r1.body, /root:/);
      assertJsonError(await rawRequest(s.port, get('/etc/passwd')), 404);
      assertJsonError(await rawRequest(s.port, get('/.secret')), 404);
      assertJsonError(await rawRequest(s.port, get('/%2esecret')), 404);
    } finally {
      await s.stop();
    }
  });

  it('the page declares an inline icon, so no browser asks for /favicon.ico', async () => {
    const html = (await request(`${base}/`)).text;
    assert.match(html, /<link rel="icon" type="image\/svg\+xml" href="data:image\/svg\+xml,[^"]+">/);
  });

  it('static files have a strong ETag, answer 304, and gzip', async () => {
    const r = await request(`${base}/app.js`);
    const etag = r.headers.etag;
    assert.match(etag, /^"[^"]+"$/);
    assert.match(r.headers['cache-control'], /^public, max-age=\d+$/);
    const again = await request(`${base}/app.js`, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    const gz = await request(`${base}/app.js`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.notEqual(gz.headers.etag, etag);
    assert.deepEqual(gunzipSync(gz.body), r.body);
  });
});

describe('status codes and JSON errors', () => {
  it('405 with Allow for a known path under another method', async () => {
    for (const [method, target] of [['PUT', '/api/collections'], ['DELETE', '/api'], ['POST', '/api/search']]) {
      const r = await request(`${base}${target}`, { method });
      assertJsonError({ ...r, body: r.text }, 405);
      assert.match(r.headers.allow, /GET/);
    }
  });

  it('a path only GET serves (a static file) is 405 with Allow for other methods', async () => {
    for (const [method, target] of [['POST', '/'], ['PUT', '/app.js'], ['DELETE', '/index.html']]) {
      const r = await request(`${base}${target}`, { method });
      assertJsonError({ ...r, body: r.text }, 405);
      assert.equal(r.headers.allow, 'GET, HEAD, OPTIONS', `${method} ${target}`);
    }
    assertJsonError(await request(`${base}/no-such-file.txt`, { method: 'POST' }), 404);
    // A GET on a path only other methods serve stays a 405, not a static-file 404.
    const get = await request(`${base}/api/coverage/whatif`);
    assertJsonError({ ...get, body: get.text }, 405);
    assert.equal(get.headers.allow, 'POST, OPTIONS');
  });

  it('OPTIONS answers 204 with the Allow list of the path', async () => {
    const cases = [['/api/search', 'GET, HEAD, OPTIONS'], ['/', 'GET, HEAD, OPTIONS'],
      ['/api/session', /^(?=.*\bGET\b)(?=.*\bPOST\b)(?=.*\bDELETE\b).*OPTIONS$/],
      ['/api/coverage/whatif', 'POST, OPTIONS']];
    for (const [target, allow] of cases) {
      const r = await request(`${base}${target}`, { method: 'OPTIONS' });
      assert.equal(r.status, 204, target);
      if (typeof allow === 'string') assert.equal(r.headers.allow, allow, target);
      else assert.match(r.headers.allow, allow, target);
      assert.equal(r.headers['access-control-allow-origin'], undefined, 'no CORS unless configured');
    }
    assertJsonError(await request(`${base}/no-such-file.txt`, { method: 'OPTIONS' }), 404);
  });

  it('a JSON body holding a NUL (\\u0000 or a raw byte) is 400 before any handler reads it', async () => {
    const who = { email: 'admin@http.test', password: 'http-admin-passphrase' };
    addUser(db, 'admin', who);
    const { cookie, csrf } = await login(base, who);
    const code = sqlite(db, 'SELECT code FROM institution WHERE address IS NOT NULL ORDER BY code LIMIT 1;').trim();
    const url = `${base}/api/collections/institutions/items/${code}`;
    const before = (await getJson(url)).data.properties.address;
    const patch = (body) => request(url, { method: 'PATCH', body, headers: {
      Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/merge-patch+json', 'If-Match': `"inst-${code}-v1"` } });
    for (const body of ['{"properties":{"address":"\\u0000evil"}}', '{"properties":{"address":"ok\\u0000"}}',
      Buffer.from('{"properties":{"address":"a\0b"}}')]) {
      const r = await patch(body);
      assertJsonError({ ...r, body: r.text }, 400);
    }
    assert.equal((await getJson(url)).data.properties.address, before, 'nothing was written');
    // The same for every endpoint that takes JSON, whatever the body's declared type.
    for (const [target, type] of [['/api/session', 'application/json'], ['/api/coverage/whatif', 'application/json'],
      ['/api/coverage/whatif', 'application/x-www-form-urlencoded'], ['/api/coverage/whatif', null]]) {
      const r = await request(`${base}${target}`, { method: 'POST', headers: type ? { 'Content-Type': type } : {},
        body: '{"layout":"2025","kind":"coll\\u0000ege","email":"a\\u0000b","password":"x"}' });
      assertJsonError({ ...r, body: r.text }, 400);
    }
    // An escaped backslash before "u0000" is text, not a NUL: the body goes through to the handler.
    const text = await request(`${base}/api/coverage/whatif`, { method: 'POST',
      headers: { 'Content-Type': 'application/json' }, body: '{"layout":"2025","occupation":"\\\\u0000"}' });
    assert.equal(text.status, 200, text.text);
    // Binary bodies are not JSON: NUL bytes pass.
    const bin = await request(`${base}/api/_debug/echo`, { method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' }, body: Buffer.from([0, 1, 0]) });
    assert.equal(bin.status, 200);
  });

  it('414 for a URL longer than the cap (8 KiB)', async () => {
    const r = await request(`${base}/api/search?q=${'a'.repeat(9000)}`);
    assertJsonError({ ...r, body: r.text }, 414);
    assert.equal((await request(`${base}/api/search?q=${'a'.repeat(7000)}`)).status, 200);
  });

  it('HEAD answers like GET without a body', async () => {
    const g = await request(`${base}/api/collections`);
    const h = await request(`${base}/api/collections`, { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.body.length, 0);
    assert.equal(h.headers['content-length'], String(g.body.length));
    assert.equal(h.headers.etag, g.headers.etag);
  });

  it('Cache-Control: public max-age on cacheable answers, no-store on errors', async () => {
    const ok = await request(`${base}/api/collections/institutions/items`);
    assert.equal(ok.headers['cache-control'], 'public, max-age=60');
    const bad = await request(`${base}/api/collections/institutions/items?limit=0`);
    assert.equal(bad.headers['cache-control'], 'no-store');
    assert.equal(bad.headers.etag, undefined);
  });
});

describe('ETag and If-None-Match', () => {
  it('a strong ETag per URL; a matching If-None-Match gives 304 with the same headers', async () => {
    const url = `${base}/api/collections/institutions/items?limit=3`;
    const r = await request(url);
    const etag = r.headers.etag;
    assert.match(etag, /^"v\d+-[0-9a-f]+"$/, 'strong tag carrying the data version');
    assert.equal((await request(url)).headers.etag, etag, 'stable');
    assert.notEqual((await request(`${url}&offset=1`)).headers.etag, etag, 'differs per URL');
    for (const inm of [etag, `"x", ${etag}`, `W/${etag}`]) {
      const nm = await request(url, { headers: { 'If-None-Match': inm } });
      assert.equal(nm.status, 304, inm);
      assert.equal(nm.body.length, 0);
      assert.equal(nm.headers.etag, etag);
      assert.equal(nm.headers['cache-control'], 'public, max-age=60');
    }
    assert.equal((await request(url, { headers: { 'If-None-Match': '"other"' } })).status, 200);
  });

  it('a handler\'s own tag (an institution\'s version tag) matches weakly too: W/"tag" → 304', async () => {
    const code = sqlite(db, 'SELECT code FROM institution ORDER BY code LIMIT 1;').trim();
    const url = `${base}/api/collections/institutions/items/${code}`;
    const r = await request(url);
    const etag = r.headers.etag;
    assert.match(etag, /^"inst-/);
    for (const inm of [etag, `W/${etag}`, `"x", W/${etag}`]) {
      const nm = await request(url, { headers: { 'If-None-Match': inm } });
      assert.equal(nm.status, 304, inm);
      assert.equal(nm.body.length, 0);
      assert.equal(nm.headers.etag, etag);
      assert.equal(nm.headers['cache-control'], r.headers['cache-control']);
    }
    assert.equal((await request(url, { headers: { 'If-None-Match': 'W/"inst-other-v1"' } })).status, 200);
  });
});

describe('gzip', () => {
  it('gzips a large JSON answer when asked, to the same JSON, with Vary', async () => {
    const url = `${base}/api/collections/communes/items?limit=20`;
    const plain = await request(url);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.match(plain.headers.vary, /Accept-Encoding/);
    const gz = await request(url, { headers: { 'Accept-Encoding': 'br, gzip;q=0.8' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.match(gz.headers.vary, /Accept-Encoding/);
    assert.ok(gz.body.length < plain.body.length / 2);
    assert.notEqual(gz.headers.etag, plain.headers.etag, 'each encoding has its own tag');
    const a = JSON.parse(gunzipSync(gz.body).toString('utf8'));
    const b = plain.json();
    delete a.timeStamp; delete b.timeStamp;
    assert.deepEqual(a, b);
    const gz304 = await request(url, { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': gz.headers.etag } });
    assert.equal(gz304.status, 304);
  });

  it('does not gzip small answers, nor when gzip has q=0', async () => {
    const small = await request(`${base}/api/health`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(small.headers['content-encoding'], undefined);
    const q0 = await request(`${base}/api/collections`, { headers: { 'Accept-Encoding': 'gzip;q=0, deflate' } });
    assert.equal(q0.headers['content-encoding'], undefined);
  });
});

describe('tile response cache', () => {
  it('serves the second identical tile request from memory, bytes and tag unchanged', async () => {
    const a = await request(`${base}${TILE}`);
    assert.equal(a.status, 200, a.text);
    const b = await request(`${base}${TILE}`);
    assert.deepEqual(b.body, a.body);
    assert.equal(b.headers.etag, a.headers.etag);
    assert.equal(b.headers['content-type'], a.headers['content-type']);
    // The access-log line is written after the response is sent: wait for it.
    let lines = [];
    for (let i = 0; i < 50 && lines.length < 2; i++) {
      lines = srv.log().split('\n').filter((l) => l.startsWith(`GET ${TILE} 200 `));
      if (lines.length < 2) await sleep(20);
    }
    assert.ok(lines.length >= 2, `two log lines for ${TILE}`);
    assert.match(lines.at(-1), /\(cached\)$/);
    const gz = await request(`${base}${TILE}`, { headers: { 'Accept-Encoding': 'gzip' } });
    const gz2 = await request(`${base}${TILE}`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.deepEqual(gz2.body, gz.body);
    const body = gz.headers['content-encoding'] === 'gzip' ? gunzipSync(gz.body) : gz.body;
    assert.deepEqual(body, a.body);
  });
});

describe('access log', () => {
  it('one line per request: method, path, status, bytes, ms', async () => {
    await request(`${base}/api/health?x=1`);
    await request(`${base}/api/collections/nothing`);
    await sleep(100);
    const log = srv.log();
    assert.match(log, /^GET \/api\/health\?x=1 200 \d+ \d+\.\dms$/m);
    assert.match(log, /^GET \/api\/collections\/nothing 404 \d+ \d+\.\dms$/m);
  });
});

describe('CASES H2: a slow client does not hold up others', () => {
  it('20 concurrent tile and items requests finish fast while a request dribbles in for 5 s', async () => {
    const net = await import('node:net');
    const slow = net.connect(port, '127.0.0.1');
    await new Promise((r) => slow.once('connect', r));
    slow.write('GET /api/collections HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let slowAnswer = '';
    slow.on('data', (d) => { slowAnswer += d; });
    const t0 = performance.now();
    const urls = [];
    for (let i = 0; i < 10; i++) urls.push(`${base}/tiles/institutions/${8 + (i % 4)}/${[203, 406, 813, 1626][i % 4]}/${[113, 226, 452, 905][i % 4]}.geojson`);
    for (let i = 0; i < 10; i++) urls.push(`${base}/api/collections/communes/items?limit=10&offset=${i * 10}`);
    const results = await Promise.all(urls.map((u) => request(u)));
    const elapsed = performance.now() - t0;
    for (const r of results) assert.equal(r.status, 200, r.text);
    // Far below the slow client's 5 s (limits leave room for a loaded 2-core CI box).
    assert.ok(elapsed < 3000, `20 requests took ${elapsed.toFixed(0)} ms`);
    for (const r of results) assert.ok(r.ms < 3000, `${r.ms} ms`);
    // The slow client keeps its connection and is answered once it finishes, 5 s later.
    for (let i = 0; i < 5; i++) {
      await sleep(1000);
      slow.write(i < 4 ? 'X-Slow: 1\r\n' : 'Connection: close\r\n\r\n');
    }
    await new Promise((r) => { slow.on('end', r); slow.on('close', r); setTimeout(r, 3000); });
    assert.match(slowAnswer, /^HTTP\/1\.1 200 /);
    slow.destroy();
  });
});

describe('CASES H3: request bodies', () => {
  it('assembles a 5 MB body that arrives in many chunks, exactly', async () => {
    const data = randomBytes(5 * 1000 * 1000);
    const sha = createHash('sha256').update(data).digest('hex');
    const answer = await new Promise((resolve, reject) => {
      // No Content-Length: node sends it chunked, one HTTP chunk per write.
      const req = http.request(`${base}/api/_debug/echo`, { method: 'POST', agent: false,
        headers: { 'Content-Type': 'application/octet-stream' } }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', reject);
      (async () => {
        for (let off = 0, i = 0; off < data.length; off += 16384, i++) {
          req.write(data.subarray(off, off + 16384));
          if (i % 16 === 0) await sleep(1);
        }
        req.end();
      })();
    });
    assert.equal(answer.status, 200, answer.body);
    assert.deepEqual(JSON.parse(answer.body), { bytes: data.length, sha256: sha });
  });

  it('a declared 10 GB body is refused with 413 at once, before any of it is read', async () => {
    const rss = () => Number(readFileSync(`/proc/${srv.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
    const before = rss();
    const r = await rawRequest(port, 'POST /api/_debug/echo HTTP/1.1\r\nHost: 127.0.0.1\r\n'
      + 'Content-Type: application/octet-stream\r\nContent-Length: 10000000000\r\n\r\n0123456789');
    assertJsonError(r, 413);
    assert.ok(r.ms < 1000, `${r.ms} ms`);
    assert.ok(rss() - before < 50 * 1024, 'no big allocation');
    assert.equal((await request(`${base}/api/health`)).status, 200);
  });

  it('a chunked body that grows past the cap gets 413', async () => {
    const cfg = path.join(dir, 'small-body.json');
    writeFileSync(cfg, JSON.stringify({ max_body_bytes: 1000000 }));
    const s = await startServer({ db, args: ['--config', cfg] });
    try {
      const ok = await request(`${s.base}/api/_debug/echo`, { method: 'POST', body: Buffer.alloc(999999, 1) });
      assert.equal(ok.status, 200);
      const status = await new Promise((resolve, reject) => {
        const req = http.request(`${s.base}/api/_debug/echo`, { method: 'POST', agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        });
        req.on('error', reject);
        for (let i = 0; i < 24; i++) req.write(Buffer.alloc(65536, 7)); // 1.5 MB
        req.end();
      });
      assert.equal(status, 413);
    } finally {
      await s.stop();
    }
  });
});

describe('CASES S2: readers and a busy database', () => {
  it('reads proceed, fast, while a writer holds a write transaction for 2 s (WAL)', async () => {
    const writer = spawn('sqlite3', [db], { stdio: ['pipe', 'pipe', 'inherit'] });
    const locked = waitFor(writer, 'locked');
    writer.stdin.end("BEGIN IMMEDIATE;\nINSERT INTO meta(key, value) VALUES ('s2_writer', 'held');\n"
      + '.shell echo locked\n.shell sleep 2\nROLLBACK;\n.shell echo released\n');
    await locked;
    let released = false;
    writer.stdout.on('data', (d) => { if (String(d).includes('released')) released = true; });
    const rs = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((i) => request(i % 2
      ? `${base}/api/collections/institutions/items?offset=${i}` : `${base}/api/search?q=truong&offset=${i}`)));
    for (const r of rs) {
      assert.equal(r.status, 200, r.text);
      assert.ok(r.ms < 1500, `${r.ms} ms`);
    }
    // The proof: every read was answered while the write transaction was still open.
    assert.ok(!released, 'the writer still held its transaction');
    await new Promise((r) => writer.once('exit', r));
  });

  it('a read that stays busy past the busy timeout is 503 with Retry-After, never 500', async () => {
    // Rollback-journal mode, where an exclusive writer does block readers.
    const d2 = path.join(dir, 's2');
    mkdirSync(d2);
    const db2 = copyDb(db, path.join(d2, 's2.sqlite'));
    sqlite(db2, 'PRAGMA journal_mode = DELETE;');
    const s = await startServer({ db: db2 });
    const writer = spawn('sqlite3', [db2], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const locked = waitFor(writer, 'locked');
      writer.stdin.end('BEGIN EXCLUSIVE;\n.shell echo locked\n.shell sleep 8\nROLLBACK;\n');
      await locked;
      const r = await request(`${s.base}/api/collections/institutions/items`);
      assertJsonError({ ...r, body: r.text }, 503);
      assert.equal(r.headers['retry-after'], '1');
      assert.ok(r.ms > 3000, `waited for the busy timeout first (${r.ms} ms)`);
      await new Promise((res) => writer.once('exit', res));
      assert.equal((await request(`${s.base}/api/collections/institutions/items`)).status, 200);
    } finally {
      writer.kill();
      await s.stop();
    }
  });
});

describe('CASES G2: output does not depend on the locale', () => {
  it('a server under de_DE.UTF-8 (decimal comma) sends the same bytes as one under C', async () => {
    const locales = path.join(dir, 'locales');
    mkdirSync(locales);
    const env = { LOCPATH: locales, LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8', LC_NUMERIC: 'de_DE.UTF-8' };
    try {
      execFileSync('localedef', ['-i', 'de_DE', '-f', 'UTF-8', path.join(locales, 'de_DE.UTF-8')], { stdio: 'ignore' });
    } catch { /* localedef warns and still writes the locale; checked below */ }
    if (existsSync(path.join(locales, 'de_DE.UTF-8'))) {
      // The environment does switch C programs to a decimal comma.
      assert.equal(execFileSync('/usr/bin/printf', ['%.2f', '3.14'], { env: { ...process.env, ...env } }).toString(), '3,14');
    }
    const c = await startServer({ db, env: { LC_ALL: 'C', LANG: 'C' } });
    const de = await startServer({ db, env });
    try {
      const located = (await getJson(`${c.base}/api/collections/institutions/items?limit=1&location_precision=`
        + 'surveyed,address,commune_centroid,district_centroid')).data.features[0];
      const [lon, lat] = located ? located.geometry.coordinates : [106.1946, 21.2731];
      for (const target of ['/api/collections', '/api/collections/institutions/items?limit=10000',
        '/api/collections/communes/items?bbox=106.171875,21.207459,106.259766,21.289374&limit=50',
        `/api/nearest?lon=${lon}&lat=${lat}&limit=20`, '/api/search?q=cao+dang', '/api/config', '/api/openapi.json',
        TILE, '/tiles/institutions/8/203/112.geojson', '/tiles/institutions.json']) {
        const a = await request(`${c.base}${target}`);
        const b = await request(`${de.base}${target}`);
        assert.equal(a.status, 200, target);
        assert.equal(normalise(b.text, de.base), normalise(a.text, c.base), target);
      }
      const body = (await request(`${de.base}/api/collections/institutions/items?limit=10000`)).text;
      assert.match(body, /"coordinates":\[\d+\.\d+,\d+\.\d+\]/);
    } finally {
      await c.stop();
      await de.stop();
    }
  });
});

describe('CORS', () => {
  it('no CORS headers by default; the configured origins get them, preflight included', async () => {
    const none = await request(`${base}/api`, { headers: { Origin: 'https://example.org' } });
    assert.equal(none.headers['access-control-allow-origin'], undefined);
    const cfg = path.join(dir, 'cors.json');
    writeFileSync(cfg, JSON.stringify({ cors_origins: 'https://example.org https://other.example' }));
    const s = await startServer({ db, args: ['--config', cfg] });
    try {
      const ok = await request(`${s.base}/api`, { headers: { Origin: 'https://example.org' } });
      assert.equal(ok.headers['access-control-allow-origin'], 'https://example.org');
      const no = await request(`${s.base}/api`, { headers: { Origin: 'https://evil.example' } });
      assert.equal(no.headers['access-control-allow-origin'], undefined);
      const pre = await request(`${s.base}/api/search`, { method: 'OPTIONS',
        headers: { Origin: 'https://other.example', 'Access-Control-Request-Method': 'GET' } });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers['access-control-allow-origin'], 'https://other.example');
      assert.match(pre.headers['access-control-allow-methods'], /GET/);
      // An edit from another origin sends If-Match, X-CSRF-Token and a JSON Content-Type.
      const edit = await request(`${s.base}/api/collections/institutions/items/X`, { method: 'OPTIONS',
        headers: { Origin: 'https://example.org', 'Access-Control-Request-Method': 'PATCH',
          'Access-Control-Request-Headers': 'content-type, if-match, x-csrf-token' } });
      assert.equal(edit.status, 204);
      assert.match(edit.headers.allow, /PATCH/);
      assert.match(edit.headers['access-control-allow-methods'], /PATCH/);
      const allowed = edit.headers['access-control-allow-headers'].toLowerCase().split(/,\s*/);
      for (const h of ['content-type', 'if-match', 'x-csrf-token']) assert.ok(allowed.includes(h), h);
    } finally {
      await s.stop();
    }
  });
});

describe('vetmap serve command line', () => {
  it('--help describes every option', async () => {
    const { stdout } = await execFileP(BIN, ['serve', '--help']);
    for (const opt of ['--db', '--bind', '--port', '--web', '--config', '--debug-routes', '--help']) {
      assert.ok(stdout.includes(opt), opt);
    }
    // The server writes sessions, edits and login failures: the database is not opened read-only.
    assert.doesNotMatch(stdout, /read-only/);
    assert.match(stdout, /writes sessions, edits/);
  });

  it('README documents every config key (Configuration), the error statuses and the usage', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const config = readme.slice(readme.indexOf('### Configuration'), readme.indexOf('## Data'));
    const keys = [...readFileSync(path.join(ROOT, 'src', 'base', 'config.c'), 'utf8').matchAll(/(?:STR|INT|SIZE)_KEY\((\w+)/g)]
      .map((m) => m[1]).filter((k) => k !== 'f' && k !== 'db_path'); // f: the macros' own parameter
    assert.ok(keys.length >= 25, keys.join());
    for (const k of [...keys, 'region_boxes']) assert.ok(config.includes(`\`${k}\``), `README Configuration: ${k}`);
    const http = readme.slice(readme.indexOf('### HTTP'), readme.indexOf('### Configuration'));
    for (const status of [400, 401, 403, 404, 405, 409, 412, 413, 414, 415, 422, 428, 429, 503]) {
      assert.match(http, new RegExp(`\\b${status}\\b`), `README error status ${status}`);
    }
    for (const opt of ['--prefer edits|file', '--debug-routes', '[--config FILE]']) assert.ok(readme.includes(opt), opt);
  });

  it('a busy port: no "serving" line, the error names the real port, and no libmicrohttpd noise', async () => {
    const r = await execFileP(BIN, ['serve', '--db', db, '--port', String(port)]).then(() => null, (e) => e);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stdout, /serving/);
    assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1 port ${port}: Address already in use`));
    assert.doesNotMatch(r.stderr, /port 0|MHD_OPTION|Failed to bind/, r.stderr);
    // A normal start logs no warning about the order of libmicrohttpd's options.
    assert.doesNotMatch(srv.log(), /EXTERNAL_LOGGER|is not the first option/);
    // `make run` leaves the "serving" line to vetmap, which prints it once the port is bound.
    const { stdout } = await execFileP('make', ['-n', '-C', ROOT, 'run', 'BUILD=/nonexistent-build', `PORT=${port}`]);
    assert.doesNotMatch(stdout, /echo.*serving/, stdout);
  });

  it('public_url, when set, makes the absolute links whatever the Host header says', async () => {
    const cfg = path.join(dir, 'public.json');
    writeFileSync(cfg, JSON.stringify({ public_url: 'https://gdnn.example.vn/map/' }));
    const s = await startServer({ db, args: ['--config', cfg] });
    try {
      for (const host of ['127.0.0.1', 'evil.example']) {
        const landing = await getJson(`${s.base}/api`, { Host: host });
        assert.ok(landing.data.links.every((l) => l.href.startsWith('https://gdnn.example.vn/map/api')),
          JSON.stringify(landing.data.links));
        const items = await getJson(`${s.base}/api/collections/institutions/items?limit=1`, { Host: host });
        assert.ok(items.data.links.some((l) => l.href === 'https://gdnn.example.vn/map/api/collections/institutions/items?limit=1'));
        const doc = await getJson(`${s.base}/api/openapi.json`, { Host: host });
        assert.equal(doc.data.servers[0].url, 'https://gdnn.example.vn/map');
      }
      // Without it, the links follow Host (as before).
      const plain = await getJson(`${base}/api`, { Host: 'example.test:8080' });
      assert.ok(plain.data.links.every((l) => l.href.startsWith('http://example.test:8080/')));
    } finally {
      await s.stop();
    }
    for (const bad of ['gdnn.example.vn', 'ftp://x', 'https://', 'https://a b', 'https://x/?q=1', 'https://"x"']) {
      writeFileSync(cfg, JSON.stringify({ public_url: bad }));
      const r = await execFileP(BIN, ['serve', '--db', db, '--port', '0', '--config', cfg]).then(() => null, (e) => e);
      assert.equal(r && r.code, 2, bad);
      assert.match(r.stderr, /"public_url"/);
    }
  });

  it('bad usage exits 2, an unusable database or address exits 1, with a message', async () => {
    const run = (args) => execFileP(BIN, ['serve', ...args]).then(() => ({ code: 0, stderr: '' }), (e) => e);
    let r = await run([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--db/);
    r = await run(['--db', db, '--frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /frobnicate/);
    r = await run(['--db', db, '--port', '70000']);
    assert.equal(r.code, 2);
    const badCfg = path.join(dir, 'bad.json');
    writeFileSync(badCfg, JSON.stringify({ prot: 8080 }));
    r = await run(['--db', db, '--config', badCfg]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"prot"/);
    writeFileSync(badCfg, '{"port": "eighty"}');
    r = await run(['--db', db, '--config', badCfg]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"port"/);
    r = await run(['--db', path.join(dir, 'missing.sqlite'), '--port', '0']);
    assert.equal(r.code, 1);
    r = await run(['--db', db, '--port', '0', '--bind', 'not-an-address']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not-an-address/);
  });

  it('a config file sets the port and cache max-age; flags override it', async () => {
    const cfg = path.join(dir, 'settings.json');
    writeFileSync(cfg, JSON.stringify({ port: 1, cache_max_age: 7, title: 'Thử nghiệm' }));
    const s = await startServer({ db, args: ['--config', cfg] }); // --port 0 from startServer wins
    try {
      const r = await request(`${s.base}/api/config`);
      assert.equal(r.headers['cache-control'], 'public, max-age=7');
      assert.equal(r.json().title, 'Thử nghiệm');
    } finally {
      await s.stop();
    }
  });

  it('stops cleanly on SIGTERM and SIGINT (exit status 0)', async () => {
    for (const sig of ['SIGTERM', 'SIGINT']) {
      const s = await startServer({ db });
      await request(`${s.base}/api/health`);
      s.proc.kill(sig);
      const code = await new Promise((r) => s.proc.once('exit', r));
      assert.equal(code, 0, s.log());
      assert.match(s.log(), new RegExp(`${sig} received, stopping`));
    }
  });
});
