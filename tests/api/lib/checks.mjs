// Assertions and GeoJSON walks the API tests share.
//
//   assertJsonError(r, status) -> the parsed {code, description} of an error answer, checked
//   positions(geometry)        -> every [lon, lat] position of a GeoJSON geometry (none for null)
//   decimals(x)                -> how many decimals a number prints with
import assert from 'node:assert/strict';

/**
 * Assert that r (a request() or a rawRequest() result from ./server.mjs) is an error answer: the
 * status (default 400), a JSON Content-Type, and a body {code, description} with a non-empty code.
 * @returns {{code: string, description: string}}
 */
export function assertJsonError(r, status = 400) {
  // rawRequest() gives the body as a string, request() as a Buffer beside its text.
  const text = typeof r.body === 'string' ? r.body : r.text;
  assert.equal(r.status, status, `${r.status} ${text}`);
  assert.match(r.headers['content-type'], /^application\/json/);
  const e = JSON.parse(text);
  assert.equal(typeof e.code, 'string');
  assert.ok(e.code.length > 0);
  assert.equal(typeof e.description, 'string');
  return e;
}

/** Every position of a GeoJSON geometry, at any nesting depth (nothing for a null geometry). */
export function* positions(g) {
  const walk = function* (c) {
    if (typeof c[0] === 'number') yield c;
    else for (const x of c) yield* walk(x);
  };
  if (g) yield* walk(g.coordinates);
}

/** Decimals of a number as JSON printed it (0 for an integer). */
export const decimals = (x) => (String(x).split('.')[1] || '').length;
