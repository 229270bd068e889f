// Server for the browser tests: either the one named by VETMAP_URL, or a `vetmap serve` started here
// on a free port over VETMAP_DB (default: a fresh database built by scripts/build-data.sh in a temp
// directory, else data/vetmap.sqlite). The binary is VETMAP_BIN (default build/vetmap).
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

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
