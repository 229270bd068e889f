// Helpers for the API tests: a fresh database, a real `vetmap serve` on a free port, raw HTTP.
//
//   buildDb(dir)            -> path of a fresh database built from geodata/ by scripts/build-data.sh
//                              (or a copy of $VETMAP_TEST_DB when set, to iterate faster)
//   startServer({db, ...})  -> {base, port, proc, stop, log}; waits for the "vetmap: serving" line;
//                              {clock: ISO} runs the server's wall clock from that instant (libfaketime)
//   request(url, opts)      -> node:http request without fetch's automatic decompression
//   rawRequest(port, bytes) -> what the server answers to exactly these bytes (for paths fetch
//                              would normalise, half-sent requests, huge Content-Length)
//   sqlite(db, sql)         -> output of the sqlite3 CLI (optionally with mod_spatialite loaded)
//   ingest(db, file, args)  -> runs `vetmap ingest`
//   addUser(db, role, who)  -> runs `vetmap user add --password-stdin` for who = {email, password}
//   login(base, who)        -> {cookie, csrf} of a new session (POST /api/session)
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = path.resolve(ROOT, process.env.VETMAP_BIN || 'build/vetmap');
export const WEB = path.join(ROOT, 'web');
const execFileP = promisify(execFile);

/** A new temporary directory (removed by the caller with rmSync). */
export function tmpDir(prefix = 'vetmap-api-') {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function removeDir(dir) {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** Copy a SQLite database with its WAL, if any. */
export function copyDb(from, to) {
  copyFileSync(from, to);
  for (const ext of ['-wal', '-shm']) {
    rmSync(to + ext, { force: true });
    if (existsSync(from + ext)) copyFileSync(from + ext, to + ext);
  }
  return to;
}

/** A fresh database from geodata/ in dir; returns its path. */
export async function buildDb(dir) {
  const db = path.join(dir, 'vetmap.sqlite');
  if (process.env.VETMAP_TEST_DB) return copyDb(path.resolve(process.env.VETMAP_TEST_DB), db);
  const script = path.join(ROOT, 'scripts', 'build-data.sh');
  if (!existsSync(script)) {
    throw new Error('scripts/build-data.sh is missing: set VETMAP_TEST_DB to a prebuilt database');
  }
  await execFileP(script, [BIN, db], { cwd: ROOT, maxBuffer: 64 << 20 });
  return db;
}

/**
 * Start `vetmap serve --db DB --port 0 --web WEB [--debug-routes] ARGS` and wait for the line
 * `vetmap: serving http://127.0.0.1:PORT/`.  env is merged into the environment.
 * @returns {Promise<{base: string, port: number, proc: import('node:child_process').ChildProcess,
 *                    stop: () => Promise<number|null>, log: () => string}>}
 */
export async function startServer({ db, env = {}, args = [], web = WEB, debug = true, timeoutMs = 20000, clock = null } = {}) {
  if (!existsSync(BIN)) throw new Error(`${BIN} not found: build it first (make) or set VETMAP_BIN`);
  if (clock) env = { ...fakeClockEnv(clock), ...env };
  const argv = ['serve', '--db', db, '--port', '0', ...(web ? ['--web', web] : []),
    ...(debug ? ['--debug-routes'] : []), ...args];
  // cwd: the database's directory, so no stray ./vetmap.conf.json is picked up.
  const proc = spawn(BIN, argv, {
    cwd: path.dirname(db), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  // Both pipes are always drained: a full stderr pipe would block the server's access log.
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { err = (err + d).slice(-200000); });
  const log = () => err;
  const exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "serving" line after ${timeoutMs} ms:\n${out}\n${err}`)), timeoutMs);
    const check = () => {
      const m = out.match(/^vetmap: serving (http:\/\/\S+?)\/?$/m);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    proc.stdout.on('data', check);
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`vetmap serve exited (${code}):\n${out}\n${err}`)); });
  });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    }
    return proc.exitCode;
  };
  return { base, port: Number(new URL(base).port), proc, stop, log };
}

/** Debian's libfaketime (its thread-safe build: the server is multi-threaded), preloaded by the test clock. */
export const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';

/**
 * The environment that starts a process's wall clock at `instant` (an ISO 8601 string or a Date)
 * and lets it run from there: libfaketime given the instant in seconds since the epoch, so it means
 * the same instant whatever the time zone, and also when the tests themselves run under faketime
 * (a libfaketime already preloaded is replaced, not stacked). The monotonic clock stays real, so
 * timeouts keep working.
 */
export function fakeClockEnv(instant) {
  if (!existsSync(LIBFAKETIME)) throw new Error(`${LIBFAKETIME} not found: install Debian's faketime (make deps)`);
  const epoch = Math.floor(new Date(instant).getTime() / 1000);
  if (!Number.isFinite(epoch)) throw new Error(`not an instant: ${instant}`);
  const others = (process.env.LD_PRELOAD || '').split(/[:\s]+/).filter((l) => l && !/libfaketime/.test(l));
  return {
    LD_PRELOAD: [...others, LIBFAKETIME].join(':'), FAKETIME: `@${epoch}`, FAKETIME_FMT: '%s',
    FAKETIME_DONT_FAKE_MONOTONIC: '1', FAKETIME_NO_CACHE: '1',
  };
}

/**
 * One HTTP request with node:http (bodies come back as sent: no automatic gunzip).
 * @returns {Promise<{status: number, headers: object, body: Buffer, text: string, json: () => any, ms: number}>}
 */
export function request(url, { method = 'GET', headers = {}, body = null } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({
          status: res.statusCode, headers: res.headers, body: buf, text: buf.toString('utf8'),
          json: () => JSON.parse(buf.toString('utf8')), ms: performance.now() - t0,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

/** GET url and parse JSON; fails the test on a non-JSON body. */
export async function getJson(url, headers = {}) {
  const r = await request(url, { headers });
  return { ...r, data: r.json() };
}

/**
 * Send `data` (string or Buffer) on a fresh TCP connection and collect the answer until the
 * server closes, `untilMs` passes, or a full response (by Content-Length) has arrived.
 * @returns {Promise<{raw: Buffer, status: number, headers: object, body: string, ms: number}>}
 */
export function rawRequest(port, data, { untilMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ ...parseResponse(Buffer.concat(chunks)), ms: performance.now() - t0 });
    };
    const timer = setTimeout(finish, untilMs);
    sock.on('data', (c) => {
      chunks.push(c);
      const p = parseResponse(Buffer.concat(chunks));
      if (p.complete) finish();
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', (e) => { if (!done && chunks.length) finish(); else if (!done) { done = true; clearTimeout(timer); reject(e); } });
    sock.write(data);
  });
}

/** Parse one HTTP/1.1 response from raw bytes (Content-Length bodies only). */
export function parseResponse(raw) {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { raw, status: 0, headers: {}, body: '', complete: false };
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const body = raw.subarray(end + 4);
  const len = headers['content-length'] !== undefined ? Number(headers['content-length']) : null;
  return { raw, status, headers, body: body.toString('utf8'), complete: len !== null && body.length >= len };
}

/** Run SQL through the sqlite3 CLI (stdin), optionally with SpatiaLite loaded. */
export function sqlite(db, sql, { spatialite = false } = {}) {
  const input = (spatialite ? '.load mod_spatialite\n' : '') + sql + '\n';
  return execFileSync('sqlite3', ['-bail', db], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** `vetmap ingest --db DB ARGS... FILE`; returns {stdout, stderr}. */
export async function ingest(db, file, args = []) {
  return execFileP(BIN, ['ingest', '--db', db, ...args, file], { cwd: ROOT, maxBuffer: 64 << 20 });
}

/**
 * `vetmap user add --db DB --role ROLE --email who.email --password-stdin [ARGS]` with who.password
 * on standard input (an active account at once); e.g. args ['--institution', code] for a school.
 */
export function addUser(db, role, who, args = []) {
  return execFileSync(BIN, ['user', 'add', '--db', db, '--role', role, '--email', who.email, '--password-stdin',
    ...args], { input: who.password + '\n', encoding: 'utf8' });
}

/** Log in as who = {email, password}: asserts a 200; returns the session's {cookie, csrf}. */
export async function login(base, who) {
  const r = await request(`${base}/api/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(who),
  });
  assert.equal(r.status, 200, r.text);
  return { cookie: [].concat(r.headers['set-cookie'])[0].split(';')[0], csrf: r.json().csrf_token };
}

/** Every feature of a collection (one request with the largest page). */
export async function allItems(base, collection, query = '') {
  const r = await getJson(`${base}/api/collections/${collection}/items?limit=10000${query ? '&' + query : ''}`);
  if (r.status !== 200) throw new Error(`items ${collection}: HTTP ${r.status} ${r.text}`);
  return r.data.features;
}

/** Search folding as the server does it (CASES S3): strip marks, đ -> d, lower case. */
export function fold(s) {
  return s.normalize('NFD').replace(/\p{M}/gu, '').replace(/[đĐ]/g, 'd').toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** Replace what legitimately differs between two servers' bodies: their base URL and the clock. */
export function normalise(text, base) {
  return text.split(base).join('BASE').replace(/"timeStamp":"[^"]*"/g, '"timeStamp":"T"');
}
