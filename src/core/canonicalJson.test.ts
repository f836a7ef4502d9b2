import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CANONICAL_JSON_MAX_DEPTH, canonicalJson, canonicalJsonBytes } from './canonicalJson.ts';

const jsonValue = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);

function shuffleKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, seed));
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    const rotated = keys.map((_, i) => keys[(i + seed) % keys.length]!).reverse();
    return Object.fromEntries(
      rotated.map((k) => [k, shuffleKeys((value as Record<string, unknown>)[k], seed)]),
    );
  }
  return value;
}

describe('canonicalJson', () => {
  it('sorts keys and drops whitespace', () => {
    assert.equal(
      canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 0, y: 1.5 } }),
      '{"a":[true,null,"x"],"b":1,"c":{"y":1.5,"z":0}}',
    );
  });

  it('sorts keys by UTF-16 code units', () => {
    assert.equal(canonicalJson({ é: 1, z: 2, Z: 3, '': 4 }), '{"":4,"Z":3,"z":2,"é":1}');
  });

  it('is a fixed point of parse then re-encode (property)', () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        const text = canonicalJson(v);
        assert.equal(canonicalJson(JSON.parse(text)), text);
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on key insertion order (property)', () => {
    fc.assert(
      fc.property(jsonValue, fc.nat(7), (v, seed) => {
        assert.equal(canonicalJson(shuffleKeys(v, seed)), canonicalJson(v));
      }),
      { numRuns: 300 },
    );
  });

  it('encodes bytes as UTF-8 of the text', () => {
    assert.deepEqual(canonicalJsonBytes({ k: 'ü' }), new TextEncoder().encode('{"k":"ü"}'));
  });

  for (const [label, value] of [
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', { a: [Number.NEGATIVE_INFINITY] }],
    ['-0', -0],
    ['undefined', { a: undefined }],
    ['bigint', 1n],
    ['function', () => 1],
    ['Date', new Date(0)],
    ['Uint8Array', new Uint8Array(2)],
    ['Map', new Map()],
  ] as const) {
    it(`rejects ${label} with CanonicalJsonError`, () => {
      assert.throws(() => canonicalJson(value), { name: 'CanonicalJsonError' });
    });
  }

  it('rejects nesting beyond the depth limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i <= CANONICAL_JSON_MAX_DEPTH + 1; i++) deep = [deep];
    assert.throws(() => canonicalJson(deep), { name: 'CanonicalJsonError' });
  });
});
