import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BaseError } from './errors.ts';
import { type JsonValue, parseStrictJson } from './strictJson.ts';

/** Converts a strict parse result to what JSON.parse returns, for comparison. */
function toPlain(value: JsonValue): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, toPlain(v)]));
  return value;
}

test('agrees with JSON.parse on valid JSON', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
      const text = JSON.stringify(value, null, pretty ? 2 : undefined);
      assert.deepEqual(toPlain(parseStrictJson(text, { maxDepth: 64 })), JSON.parse(text));
    }),
    { numRuns: 500 },
  );
});

test('keeps integers exact as bigint and other numbers as number', () => {
  const parsed = parseStrictJson('[18446744073709551615, -0, 1.5, 1e2, 0]') as JsonValue[];
  assert.deepEqual(parsed, [18446744073709551615n, 0n, 1.5, 100, 0n]);
});

test('decodes escapes, surrogate pairs and keeps __proto__ as plain data', () => {
  const parsed = parseStrictJson('{"__proto__": "a\\n\\u00e9\\ud83d\\ude00\\/"}');
  assert.ok(parsed instanceof Map);
  assert.equal(parsed.get('__proto__'), 'a\né😀/');
});

test('rejects duplicate keys with their depth', () => {
  assert.throws(() => parseStrictJson('{"a": 1, "a": 2}'), {
    name: 'JsonDuplicateKeyError',
    key: 'a',
    depth: 1,
  });
  assert.throws(() => parseStrictJson('{"x": {"b": 1, "b": 1}}'), {
    name: 'JsonDuplicateKeyError',
    depth: 2,
  });
});

test('rejects malformed JSON with JsonSyntaxError', () => {
  const bad = [
    '',
    '{',
    '{"a" 1}',
    '{"a": 1,}',
    '[1,]',
    '[1 2]',
    '01',
    '1.',
    '.5',
    '+1',
    'NaN',
    'tru',
    '"abc',
    '"\\x"',
    '"\\u12"',
    '"a\u0001"',
    '"\\ud800"',
    '{} {}',
    "{'a': 1}",
    '1e999',
    `${'1'.repeat(65)}`,
  ];
  for (const text of bad) assert.throws(() => parseStrictJson(text), { name: 'JsonSyntaxError' }, text);
});

test('rejects nesting deeper than maxDepth', () => {
  assert.deepEqual(toPlain(parseStrictJson('[[[]]]', { maxDepth: 3 })), [[[]]]);
  assert.throws(() => parseStrictJson('[[[[]]]]', { maxDepth: 3 }), { name: 'JsonSyntaxError' });
  assert.throws(() => parseStrictJson('['.repeat(100_000)), { name: 'JsonSyntaxError' });
});

test('fuzz: arbitrary text parses or throws a named error', () => {
  const jsonish = fc
    .array(fc.constantFrom(...'{}[]",:0123456789.-eE \\utrfalsn'.split('')), { maxLength: 40 })
    .map((chars) => chars.join(''));
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 40 }), jsonish), (text) => {
      try {
        parseStrictJson(text);
      } catch (err) {
        assert.ok(err instanceof BaseError, String(err));
      }
    }),
    { numRuns: 3000 },
  );
});
