import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getAddress } from 'viem';
import { requestToJson } from '../chain/requestJson.ts';
import { MAX_ITEMS_PER_REQUEST, MAX_PARTS_PER_REQUEST, MAX_ROWS_PER_ITEM } from './constants.ts';
import {
  decodeF32,
  headerJson,
  INFER_ERROR_CLASSES,
  parseJsonFrame,
  parseRequestHeader,
  parseResponseHeader,
  refusalError,
} from './wire.ts';

const model = `0x${'ab'.repeat(32)}`;
const sessionA = `0x${'0a'.repeat(32)}`;
const sessionB = `0x${'0b'.repeat(32)}`;
const signature = `0x${'11'.repeat(65)}`;
const digest = `0x${'22'.repeat(32)}`;
const request = {
  querier: getAddress('0x00000000000000000000000000000000000000a1'),
  gateway: getAddress('0x00000000000000000000000000000000000000b2'),
  modelId: 1n,
  versionIndex: 0n,
  creditsPerToken: 5n,
  maxCredits: 1000n,
  nonce: 7n,
  deadline: 2_000_000_000n,
} as const;

const attn = { layer: 0, matrix: 'attn', shard: 1, rows: 3, keepFrom: 1, keepTo: 4, outFrom: 2 };
const mlp = { layer: 0, matrix: 'mlp', shard: 0, rows: 2, keepFrom: 0, keepTo: 0, outFrom: 0 };
const head = { layer: -1, matrix: 'lm_head', shard: 2, rows: 1, keepFrom: 0, keepTo: 0, outFrom: 0 };
const part = { session: sessionA, step: 4, seal: false, auth: null, items: [attn, mlp, head] };
const valid = { model, parts: [part] };

/** The valid request with part 0 (or its item 0) changed. */
const withPart = (change: Record<string, unknown>) => ({ model, parts: [{ ...part, ...change }] });
const withItem = (change: Record<string, unknown>) => withPart({ items: [{ ...attn, ...change }] });

/** Asserts that `value` is refused with InferMalformedError whose message names `problem`. */
function refusedRequest(value: unknown, problem: RegExp): void {
  assert.throws(() => parseRequestHeader(value), { name: 'InferMalformedError', message: problem });
}

describe('parseRequestHeader', () => {
  it('accepts a valid header, lower-casing the ids, and round-trips headerJson with an auth', () => {
    const parsed = parseRequestHeader({ ...valid, model: model.toUpperCase().replace('0X', '0x') });
    assert.equal(parsed.model, model);
    assert.deepEqual(parsed.parts[0], part);
    const auth = { request, signature: signature as `0x${string}` };
    const header = {
      model: model as `0x${string}`,
      parts: [
        { ...parsed.parts[0]!, auth },
        { ...parsed.parts[0]!, session: sessionB as `0x${string}` },
      ],
    };
    const json = JSON.parse(JSON.stringify(headerJson(header)));
    assert.deepEqual(json.parts[0].auth.request, requestToJson(request));
    assert.deepEqual(parseRequestHeader(json), header);
    // The gateway's plan parameters travel as they are; malformed ones are refused.
    const plan = { replicas: 2, standbys: 1, sharding: 'shardsPerMatrix=4' };
    assert.deepEqual(
      parseRequestHeader(JSON.parse(JSON.stringify(headerJson({ ...header, plan })))).plan,
      plan,
    );
    refusedRequest({ ...valid, plan: { ...plan, sharding: '4' } }, /plan sharding is not/);
    refusedRequest({ ...valid, plan: { ...plan, replicas: -1 } }, /plan replicas and standbys/);
    // A sealing part may carry no items; `auth` may be left out.
    const { auth: _, ...noAuth } = part;
    assert.equal(parseRequestHeader(withPart({ ...noAuth, seal: true, items: [] })).parts[0]!.auth, null);
  });

  it('refuses unknown fields at every level', () => {
    refusedRequest({ ...valid, extra: 1 }, /request has unknown field "extra"/);
    refusedRequest(withPart({ extra: 1 }), /part has unknown field "extra"/);
    refusedRequest(withItem({ extra: 1 }), /item has unknown field "extra"/);
    refusedRequest(
      withPart({ auth: { request: requestToJson(request), signature, x: 1 } }),
      /auth has unknown/,
    );
    refusedRequest([valid], /request is not an object/);
    refusedRequest(null, /request is not an object/);
    refusedRequest(withPart({ items: [7] }), /item is not an object/);
  });

  it('refuses a bad model, session, step or seal', () => {
    refusedRequest({ ...valid, model: '0x12' }, /model is not 32 bytes/);
    refusedRequest({ parts: valid.parts }, /model is not 32 bytes/);
    refusedRequest(withPart({ session: `0x${'zz'.repeat(32)}` }), /session is not 32 bytes/);
    for (const step of [-1, 1.5, '3', null, 2 ** 53]) {
      refusedRequest(withPart({ step }), /step is not an integer >= 0/);
    }
    refusedRequest(withPart({ seal: 'yes' }), /seal is not a boolean/);
  });

  it('refuses bad kinds, layers and shards', () => {
    for (const matrix of ['attn.c_attn', 'lm', 7, undefined]) {
      refusedRequest(withItem({ matrix }), /matrix is not an exchange kind/);
    }
    refusedRequest(withItem({ layer: -2 }), /layer is not >= -1/);
    refusedRequest(withItem({ layer: 0.5 }), /layer is not >= -1/);
    refusedRequest(withItem({ shard: -1 }), /shard is not >= 0/);
    refusedRequest(withItem({ shard: '1' }), /shard is not >= 0/);
  });

  it('refuses rows, keep window and outFrom out of range', () => {
    refusedRequest(withItem({ rows: 0 }), /rows is not an integer in 1\.\./);
    refusedRequest(withItem({ rows: MAX_ROWS_PER_ITEM + 1 }), /rows is not an integer/);
    refusedRequest(withItem({ rows: 1.5 }), /rows is not an integer/);
    refusedRequest(withItem({ keepFrom: -1 }), /keepFrom is not an integer in 0\.\./);
    refusedRequest(withItem({ keepTo: MAX_ROWS_PER_ITEM + 1 }), /keepTo is not an integer/);
    refusedRequest(withItem({ outFrom: -1 }), /outFrom is not an integer/);
    refusedRequest(withItem({ keepFrom: 5, keepTo: 4 }), /keepFrom is after keepTo/);
    refusedRequest(withItem({ rows: 3, outFrom: 3 }), /outFrom leaves no output row/);
    refusedRequest(withItem({ rows: 3, outFrom: 9 }), /outFrom leaves no output row/);
    assert.equal(parseRequestHeader(withItem({ rows: 3, outFrom: 2 })).parts[0]!.items[0]!.outFrom, 2);
  });

  it('refuses a keep window or outFrom on an item that is not attention', () => {
    for (const base of [mlp, head]) {
      for (const change of [{ keepTo: 1 }, { keepFrom: 1, keepTo: 1 }, { rows: 2, outFrom: 1 }]) {
        refusedRequest(withPart({ items: [{ ...base, ...change }] }), /only attention items carry/);
      }
    }
  });

  it('refuses empty, oversized and duplicate part and item lists', () => {
    refusedRequest({ model, parts: [] }, /parts is not a list of 1\.\./);
    refusedRequest({ model, parts: part }, /parts is not a list/);
    const many = Array.from({ length: MAX_PARTS_PER_REQUEST + 1 }, (_, i) => ({ ...part, step: i }));
    refusedRequest({ model, parts: many }, /parts is not a list of 1\.\.128/);
    assert.equal(parseRequestHeader({ model, parts: many.slice(1) }).parts.length, MAX_PARTS_PER_REQUEST);
    refusedRequest(withPart({ items: [] }), /items is not a list of 1\.\./); // unsealed: something to compute
    const items = Array.from({ length: MAX_ITEMS_PER_REQUEST + 1 }, (_, shard) => ({ ...mlp, shard }));
    refusedRequest(withPart({ items }), /items is not a list of 1\.\.256/);
    refusedRequest(
      withPart({ items: [attn, mlp, { ...attn, rows: 1, keepFrom: 0, outFrom: 0 }] }),
      /a shard appears twice in a part/,
    );
    refusedRequest(withPart({ items: [mlp, head, mlp] }), /a shard appears twice in a part/);
    const four = [attn, { ...attn, shard: 2 }, { ...mlp, shard: 1 }, mlp];
    assert.equal(parseRequestHeader(withPart({ items: four })).parts[0]!.items.length, 4);
    refusedRequest(
      { model, parts: [part, { ...part, session: sessionA.toUpperCase().replace('0X', '0x') }] },
      /a session step appears twice/,
    );
    // The same session at two steps, or two sessions at one step, may share a message.
    assert.equal(parseRequestHeader({ model, parts: [part, { ...part, step: 5 }] }).parts.length, 2);
    assert.equal(
      parseRequestHeader({ model, parts: [part, { ...part, session: sessionB }] }).parts.length,
      2,
    );
  });

  it('refuses an auth that is not a signed request', () => {
    const json = requestToJson(request);
    refusedRequest(withPart({ auth: 'yes' }), /auth is not an object/);
    refusedRequest(
      withPart({ auth: { request: { ...json, nonce: '-1' }, signature } }),
      /auth.request is not/,
    );
    refusedRequest(
      withPart({ auth: { request: json, signature: '0x1234' } }),
      /auth.signature is not 65 bytes/,
    );
  });
});

describe('parseResponseHeader', () => {
  const asked = [
    { items: 2, seal: true },
    { items: 1, seal: false },
  ];
  const answered = { ok: true, signature, digests: [digest, digest.toUpperCase().replace('0X', '0x')] };
  const unsealed = { ok: true, signature: null, digests: [digest] };
  const refused = { ok: false, code: 'NO_CACHE', message: 'send the window' };

  /** Asserts that a response to `asked` is refused with InferMalformedError naming `problem`. */
  function refusedResponse(value: unknown, problem: RegExp, parts = asked): void {
    assert.throws(() => parseResponseHeader(value, parts), { name: 'InferMalformedError', message: problem });
  }

  it('accepts answers and part refusals, lower-casing digests', () => {
    const parsed = parseResponseHeader({ ok: true, parts: [answered, unsealed] }, asked);
    assert.deepEqual(parsed, {
      ok: true,
      parts: [
        { ok: true, signature, digests: [digest, digest] },
        { ok: true, signature: null, digests: [digest] },
      ],
    });
    assert.deepEqual(parseResponseHeader({ ok: true, parts: [refused, unsealed] }, asked), {
      ok: true,
      parts: [refused, unsealed],
    });
  });

  it('accepts a whole-message refusal, cutting its message to 200 characters', () => {
    const long = { ok: false, code: 'TOO_LARGE', message: 'x'.repeat(500) };
    const parsed = parseResponseHeader(long, asked);
    assert.equal(parsed.ok, false);
    assert.equal(!parsed.ok && parsed.message.length, 200);
  });

  it('refuses unknown fields, a bad ok and the wrong number of parts', () => {
    refusedResponse({ ok: true, parts: [answered, unsealed], extra: 1 }, /response has unknown field/);
    refusedResponse({ ok: true, parts: [{ ...answered, extra: 1 }, unsealed] }, /answer has unknown field/);
    refusedResponse({ ok: true, parts: [{ ...refused, extra: 1 }, unsealed] }, /refusal has unknown field/);
    refusedResponse({ ok: 'yes', parts: [answered, unsealed] }, /ok is not a boolean/);
    refusedResponse({ ok: true, parts: [{ ...answered, ok: 1 }, unsealed] }, /ok is not a boolean/);
    refusedResponse({ ok: true, parts: [answered] }, /parts is not a list of 2 answers/);
    refusedResponse({ ok: true, parts: [answered, unsealed, unsealed] }, /parts is not a list of 2/);
    refusedResponse('ok', /response is not an object/);
  });

  it('refuses a signature missing from a sealed part or present on an unsealed one', () => {
    refusedResponse({ ok: true, parts: [{ ...answered, signature: null }, unsealed] }, /signature is not 65/);
    refusedResponse(
      { ok: true, parts: [{ ...answered, signature: '0x12' }, unsealed] },
      /signature is not 65/,
    );
    refusedResponse({ ok: true, parts: [answered, { ...unsealed, signature }] }, /signature is not null/);
  });

  it('refuses digests of the wrong count or form', () => {
    refusedResponse(
      { ok: true, parts: [{ ...answered, digests: [digest] }, unsealed] },
      /digests is not a list of 2/,
    );
    refusedResponse(
      { ok: true, parts: [answered, { ...unsealed, digests: ['0x12'] }] },
      /digests is not a list of 1/,
    );
    refusedResponse(
      { ok: true, parts: [answered, { ...unsealed, digests: digest }] },
      /digests is not a list/,
    );
  });

  it('refuses refusal codes it does not know, including names every object inherits', () => {
    for (const code of ['NOPE', 'toString', 'constructor', '__proto__', 'hasOwnProperty', 7]) {
      refusedResponse({ ok: false, code, message: 'm' }, /unknown refusal code/);
      refusedResponse(
        { ok: true, parts: [answered, { ok: false, code, message: 'm' }] },
        /unknown refusal code/,
      );
    }
  });
});

describe('wire helpers', () => {
  it('maps every refusal code to its named error class', () => {
    for (const [code, cls] of Object.entries(INFER_ERROR_CLASSES)) {
      const err = refusalError(code as keyof typeof INFER_ERROR_CLASSES, 'because', 'peer-1');
      assert.equal(err instanceof cls, true);
      assert.match(err.message, /Host peer-1 refused: because/);
    }
  });

  it('refuses frames that are not JSON or not whole f32 values with InferMalformedError', () => {
    assert.throws(() => parseJsonFrame(new TextEncoder().encode('{nope')), { name: 'InferMalformedError' });
    assert.throws(() => parseJsonFrame(new Uint8Array([0x7b, 0xff, 0x7d])), { name: 'InferMalformedError' });
    assert.throws(() => decodeF32(new Uint8Array(7)), { name: 'InferMalformedError' });
    const x = new Float32Array([1.5, -2, Number.MIN_VALUE]);
    assert.deepEqual(decodeF32(new Uint8Array(x.buffer).subarray(0)), x);
  });
});
