// `vetmap layout population`: only non-negative integers are stored.  A row with an empty or bad value
// (-5, abc, 12.7) is reported with its reason and left as it was; the other rows are stored, and the
// summary counts the rejected rows (they used to be stored as -5, 0, 0 and 13 and counted as updated).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, buildDb, removeDir, sqlite, tmpDir } from './lib/server.mjs';

let dir;
let db;

before(async () => {
  dir = tmpDir('vetmap-layout-');
  db = await buildDb(dir);
});

after(() => removeDir(dir));

/** Run `vetmap layout population` on a CSV (and its .csvt column types, when given). */
function population(name, csv, csvt) {
  const file = path.join(dir, `${name}.csv`);
  writeFileSync(file, csv);
  if (csvt) writeFileSync(path.join(dir, `${name}.csvt`), csvt);
  return execFileSync(BIN, ['layout', 'population', '--db', db, '--layout', '2019', '--level', 'district', file],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** code -> "population|year" of the stored 2019 district figures. */
function stored() {
  const rows = sqlite(db, "SELECT code, population, population_year FROM coverage_population WHERE layout = '2019' AND level_name = 'district';");
  return Object.fromEntries(rows.trim().split('\n').map((l) => { const [c, p, y] = l.split('|'); return [c, `${p}|${y}`]; }));
}

test('bad population values are rejected per row with a reason; good rows are stored', () => {
  const start = stored();
  assert.ok(start['213'] && start['218'], 'build-data stored the districts\' population');
  const out = population('bad', 'code,population,population_year\n'
    + '213,-5,2025\n215,abc,2025\n216,,2025\n217,12.7,2025\n218,1000,2024\n219,500,20x5\n');
  const rejected = out.split('\n').filter((l) => l.startsWith('rejected:'));
  assert.deepEqual(rejected, [
    "rejected: row 1 (code 213): population '-5' is negative",
    "rejected: row 2 (code 215): population 'abc' is not a non-negative integer",
    "rejected: row 3 (code 216): population '' is empty",
    "rejected: row 4 (code 217): population '12.7' is not an integer",
    "rejected: row 6 (code 219): population_year '20x5' is not a non-negative integer",
  ]);
  assert.match(out, /^population: 6 read, 1 updated, 0 unchanged, 5 rejected \(layout 2019, district units/m);
  const now = stored();
  for (const code of ['213', '215', '216', '217', '219']) assert.equal(now[code], start[code], `${code} is unchanged`);
  assert.equal(now['218'], '1000|2024');
});

test('typed columns (a .csvt): negative and fractional numbers are rejected too, whole numbers stored', () => {
  const start = stored();
  const out = population('typed', 'code,population\n213,-5\n215,12.7\n216,42\n', '"String","Real"\n');
  assert.match(out, /row 1 \(code 213\): population '-5' is negative/);
  assert.match(out, /row 2 \(code 215\): population '12.7' is not an integer/);
  assert.match(out, /1 updated, 0 unchanged, 2 rejected/);
  const now = stored();
  assert.equal(now['213'], start['213']);
  assert.equal(now['215'], start['215']);
  assert.equal(now['216'], '42|');
});

test('a clean file reports nothing rejected, and a re-run changes nothing', () => {
  const csv = 'code,population,population_year\n213, 135734 ,2025\n215,117866,2025\n';
  assert.match(population('good', csv), /^population: 2 read, \d updated, \d unchanged, 0 rejected/m);
  const again = population('good', csv);
  assert.doesNotMatch(again, /rejected:/);
  assert.match(again, /^population: 2 read, 0 updated, 2 unchanged, 0 rejected/m);
});
