import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { concatBytes, getAddress, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { type InferenceRequest, sessionIdOf } from '../chain/inferenceRequest.ts';
import { INFERENCE_PROTOCOL_ID, type StatementItem, verifyStatement } from '../chain/inferenceStatement.ts';
import { vectorDigest } from '../core/digest.ts';
import { GptParams, makeGptConfig, Rng } from '../model/index.ts';
import type { ConcordHost } from '../p2p/createHost.ts';
import { encodeFrame, FrameReader } from '../p2p/frames.ts';
import { startTestHost } from '../p2p/testing.ts';
import type { SessionAdmission } from './admission.ts';
import { AttnHistory } from './attnHistory.ts';
import { MAX_INFER_HEADER_BYTES, MAX_ROWS_PER_ITEM } from './constants.ts';
import { InferSessionUnauthorizedError, InferSessionUnfundedError } from './errors.ts';
import { type CacheWindow, type ExchangeKind, gptExchanges } from './exchange.ts';
import { type InferenceHost, type InferenceHostInit, serveInference } from './host.ts';
import { HostSessions } from './hostSessions.ts';
import { shardRanges } from './planner.ts';
import { attnPartial, headLogits, mlpPartial } from './shards/compute.ts';
import { HeadGroupCache } from './shards/kvCache.ts';
import { type AttnShardWeights, cutExchangeShard, type ExchangeShardWeights } from './shards/weights.ts';
import { paramsDigest, TEST_CHAIN_ID, TEST_DOMAIN } from './testing.ts';
import {
  decodeF32,
  f32Frame,
  headerJson,
  jsonFrame,
  parseJsonFrame,
  parseResponseHeader,
  type RequestHeader,
  type RequestItem,
  type RequestPart,
  type ResponseHeader,
} from './wire.ts';

const config = makeGptConfig({ vocabSize: 40, contextLength: 8, dModel: 16, nHeads: 2, nLayers: 1 });
const params = GptParams.init(config, 3);
const model = paramsDigest(params);
const C = config.dModel;
/** Two shards per exchange: heads [0,1) [1,2), c_fc rows [0,32) [32,64), vocabulary rows [0,20) [20,40). */
const shards: ExchangeShardWeights[] = gptExchanges(config).flatMap((spec) =>
  shardRanges(spec.rows, { shardsPerMatrix: 2 }).map((range, i) => cutExchangeShard(params, spec, i, range)),
);
const shardOf = (matrix: ExchangeKind, shard: number) =>
  shards.find((s) => s.kind === matrix && s.shard === shard)!;
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** `n` input rows, distinct per seed. */
function rows(n: number, seed: number): Float32Array {
  const x = new Float32Array(n * C);
  new Rng(seed).fillNormal(x, 1);
  return x;
}

/** An item of layer 0 (the head: layer -1). */
function item(
  matrix: ExchangeKind,
  shard: number,
  n: number,
  window?: CacheWindow,
  outFrom = 0,
): RequestItem {
  const layer = matrix === 'lm_head' ? -1 : 0;
  return {
    layer,
    matrix,
    shard,
    rows: n,
    keepFrom: window?.keepFrom ?? 0,
    keepTo: window?.keepTo ?? 0,
    outFrom,
  };
}

let sessions = 0;
/** A fresh session id, so replay state and caches never leak between tests. */
const newSession = (): Hex => `0x${(++sessions).toString(16).padStart(64, '0')}`;
const part = (session: Hex, step: number, items: RequestItem[], seal = false): RequestPart => ({
  session,
  step,
  seal,
  items,
  auth: null,
});

/**
 * The host's answers computed locally by the shard kernels, with the input
 * digest the host must sign: attention on a cache of its own (mirroring the
 * host's) and the gateway's window history.
 */
class Expected {
  readonly #cache = new Map<number, { cache: HeadGroupCache; history: AttnHistory }>();

  attn(shard: number, x: Float32Array, n: number, window: CacheWindow, outFrom = 0) {
    const w = shardOf('attn', shard) as AttnShardWeights;
    let held = this.#cache.get(shard);
    if (!held) {
      const cache = new HeadGroupCache(w.headEnd - w.headStart, w.headDim, config.contextLength);
      held = { cache, history: new AttnHistory(C) };
      this.#cache.set(shard, held);
    }
    const out = attnPartial(w, held.cache, x, n, window, outFrom);
    return { out, input: held.history.advance(window, x, n, n - outFrom) };
  }

  static stacked(matrix: 'mlp' | 'lm_head', shard: number, x: Float32Array, n: number) {
    const w = shardOf(matrix, shard);
    if (w.kind === 'attn') throw new Error('not a stacked shard');
    return w.kind === 'mlp' ? mlpPartial(w, x, n) : headLogits(w, x, n);
  }
}

type Reply = { header: ResponseHeader; outputs: Float32Array[][]; ended: boolean };

describe('inference host /concord/infer/1.0.0 (v2)', () => {
  let gateway: ConcordHost;
  const started: ConcordHost[] = [];
  const admitted: Array<{ session: Hex; auth: boolean }> = [];
  const denied = new Set<Hex>();
  const unfunded = new Set<Hex>();
  /** Admits every session but those denied (unauthorized) or unfunded; records each call. */
  const admit: SessionAdmission = async (auth, session) => {
    admitted.push({ session, auth: auth !== null });
    if (denied.has(session)) throw new InferSessionUnauthorizedError('no valid request for this session');
    if (unfunded.has(session)) throw new InferSessionUnfundedError('the deposit does not cover it');
  };
  const signer = privateKeyToAccount(generatePrivateKey());
  let main: { libp2p: ConcordHost; server: InferenceHost };

  /** Starts an inference host on a fresh libp2p node, with `init` over the defaults. */
  async function startHost(init: Partial<InferenceHostInit> = {}) {
    const libp2p = await startTestHost();
    started.push(libp2p);
    const server = await serveInference(libp2p, {
      domain: TEST_DOMAIN,
      signer,
      model,
      config,
      admit,
      shards,
      ...init,
    });
    return { libp2p, server };
  }

  /** Sends raw bytes as one message on a new stream; returns the reader and the stream. */
  async function open(to: ConcordHost, bytes: Uint8Array) {
    const stream = await gateway.dialProtocol(to.getMultiaddrs(), INFERENCE_PROTOCOL_ID);
    // Not waiting for the drain: a host refusing a message reads no further, and answers anyway.
    if (!stream.send(bytes)) void stream.onDrain().catch(() => undefined);
    return { stream, reader: new FrameReader(stream) };
  }

  /** Whether the host closed the stream after its answer. */
  async function ended(reader: FrameReader): Promise<boolean> {
    for await (const _ of reader.rest()) return false;
    return true;
  }

  /** Sends one request (header and inputs per part and item) on a new stream; returns the answer and outputs. */
  async function send(to: ConcordHost, header: RequestHeader, inputs: Float32Array[][]): Promise<Reply> {
    const bytes = concatBytes([jsonFrame(headerJson(header)), ...inputs.flat().map(f32Frame)]);
    const { stream, reader } = await open(to, bytes);
    const asked = header.parts.map((p) => ({ items: p.items.length, seal: p.seal }));
    const response = parseResponseHeader(
      parseJsonFrame(await reader.readFrame(MAX_INFER_HEADER_BYTES)),
      asked,
    );
    const outputs: Float32Array[][] = [];
    for (const [p, answer] of (response.ok ? response.parts : []).entries()) {
      const list: Float32Array[] = [];
      if (answer.ok) {
        for (let i = 0; i < header.parts[p]!.items.length; i++) {
          list.push(decodeF32(await reader.readFrame(1 << 20)));
        }
      }
      outputs.push(list);
    }
    await stream.close();
    return { header: response, outputs, ended: !response.ok && (await ended(reader)) };
  }

  /** Sends `parts` (each with its inputs) to the main host, or `to`. */
  const ask = (parts: Array<[RequestPart, Float32Array[]]>, to = main.libp2p) =>
    send(
      to,
      { model, parts: parts.map(([p]) => p) },
      parts.map(([, x]) => x),
    );

  /** The answer of part `p`, asserting it was answered. */
  function answered(reply: Reply, p: number) {
    assert.ok(reply.header.ok, `whole message refused: ${JSON.stringify(reply.header)}`);
    const answer = reply.header.parts[p]!;
    assert.ok(answer.ok, `part ${p} refused: ${JSON.stringify(answer)}`);
    return { ...answer, outputs: reply.outputs[p]! };
  }

  /** The refusal code of part `p` (or of the whole message when p is undefined). */
  function refused(reply: Reply, p?: number): string | undefined {
    const answer = p === undefined ? reply.header : reply.header.ok ? reply.header.parts[p]! : undefined;
    return answer && !answer.ok ? answer.code : undefined;
  }

  /** Asserts that outputs have the expected bits and the answer's digests are theirs. */
  function sameBits(answer: { digests: readonly Hex[]; outputs: Float32Array[] }, expected: Float32Array[]) {
    assert.equal(answer.outputs.length, expected.length);
    expected.forEach((e, i) => {
      assert.deepEqual(bits(answer.outputs[i]!), bits(e), `item ${i}`);
      assert.equal(answer.digests[i], vectorDigest(e), `digest of item ${i}`);
    });
  }

  /** Whether `signature` is the main signer's over exactly these items of `session`. */
  const signed = (session: Hex, items: StatementItem[], signature: Hex | null, domain = TEST_DOMAIN) =>
    verifyStatement({ host: signer.address, statement: { session, items }, signature: signature! }, domain);

  before(async () => {
    gateway = await startTestHost();
    main = await startHost();
  });
  after(() => Promise.all([gateway.stop(), ...started.map((h) => h.stop())]));

  it('answers attn, mlp and lm_head items with the shard kernels’ bits and digests', async () => {
    const s = newSession();
    const x = [rows(3, 1), rows(2, 2), rows(2, 3)];
    const items = [item('attn', 1, 3), item('mlp', 0, 2), item('lm_head', 1, 2)];
    const reply = await ask([[part(s, 0, items), x]]);
    const expected = [
      new Expected().attn(1, x[0]!, 3, { keepFrom: 0, keepTo: 0 }).out,
      Expected.stacked('mlp', 0, x[1]!, 2),
      Expected.stacked('lm_head', 1, x[2]!, 2),
    ];
    assert.equal(expected[2]!.length, 2 * 20); // two rows of the shard's 20 vocabulary rows
    const answer = answered(reply, 0);
    sameBits(answer, expected);
    assert.equal(answer.signature, null);

    // The same bits from weights on the JS heap, and after a restart (weights placed again).
    const onHeap = await startHost({ placement: 'js' });
    sameBits(answered(await ask([[part(newSession(), 0, items), x]], onHeap.libp2p), 0), expected);
    await main.server.stop();
    await main.server.start();
    sameBits(answered(await ask([[part(newSession(), 0, items), x]]), 0), expected);
  });

  it('stacks the MLP and head items of several sessions into one product with each row’s own bits', async () => {
    const x = [rows(1, 4), rows(3, 5), rows(2, 6)];
    const before = main.server.stats.served;
    const reply = await ask(
      x.map((xi) => [
        part(newSession(), 0, [item('mlp', 1, xi.length / C), item('lm_head', 0, xi.length / C)]),
        [xi, xi],
      ]),
    );
    x.forEach((xi, p) => {
      const n = xi.length / C;
      sameBits(answered(reply, p), [
        Expected.stacked('mlp', 1, xi, n),
        Expected.stacked('lm_head', 0, xi, n),
      ]);
    });
    assert.equal(main.server.stats.served, before + 1);
  });

  it('refuses a part alone (NOT_HOSTED, REPLAYED, MALFORMED, UNAUTHORIZED, UNFUNDED) and answers the others', async () => {
    const replayed = newSession();
    answered(await ask([[part(replayed, 3, [item('mlp', 0, 1)]), [rows(1, 7)]]]), 0);
    const [good, unknown, nan, unauthorized, poor, foreign, later] = Array.from({ length: 7 }, newSession);
    denied.add(unauthorized!);
    unfunded.add(poor!);
    const nanRows = rows(2, 8);
    nanRows[5] = Number.NaN;
    const request: InferenceRequest = {
      querier: getAddress(`0x${'a1'.padStart(40, '0')}`),
      gateway: getAddress(`0x${'b2'.padStart(40, '0')}`),
      modelId: 1n,
      versionIndex: 0n,
      creditsPerToken: 1n,
      maxCredits: 10n,
      nonce: 1n,
      deadline: 2n ** 40n,
    };
    const x = rows(2, 9);
    const before = { ...main.server.stats.refused };
    const reply = await ask([
      [part(good!, 0, [item('attn', 0, 2), item('mlp', 1, 2)]), [x, x]],
      [part(unknown!, 0, [item('mlp', 1, 2), item('attn', 7, 2)]), [x, x]],
      [part(replayed, 3, [item('mlp', 0, 2)]), [x]],
      [part(nan!, 0, [item('mlp', 0, 2)]), [nanRows]],
      [part(unauthorized!, 0, [item('mlp', 0, 2)]), [x]],
      [part(poor!, 0, [item('mlp', 0, 2)]), [x]],
      // An auth naming another session than the part's.
      [
        { ...part(foreign!, 0, [item('mlp', 0, 2)]), auth: { request, signature: `0x${'11'.repeat(65)}` } },
        [x],
      ],
      [part(later!, 0, [item('lm_head', 1, 2)]), [x]],
    ]);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((p) => refused(reply, p)),
      ['NOT_HOSTED', 'REPLAYED', 'MALFORMED', 'UNAUTHORIZED', 'UNFUNDED', 'UNAUTHORIZED'],
    );
    sameBits(answered(reply, 0), [
      new Expected().attn(0, x, 2, { keepFrom: 0, keepTo: 0 }).out,
      Expected.stacked('mlp', 1, x, 2),
    ]);
    sameBits(answered(reply, 7), [Expected.stacked('lm_head', 1, x, 2)]);
    const count = (code: string) => (main.server.stats.refused[code] ?? 0) - (before[code] ?? 0);
    assert.deepEqual(
      [count('NOT_HOSTED'), count('REPLAYED'), count('MALFORMED'), count('UNAUTHORIZED')],
      [1, 1, 1, 2],
    );
    assert.equal(admitted.filter((a) => a.session === unauthorized && !a.auth).length, 1); // the policy was asked
    assert.equal(admitted.filter((a) => a.session === foreign).length, 0); // refused before the policy is asked

    // A refused part left no state: the same step is answered once it is well-formed and hosted.
    const again = await ask([
      [part(unknown!, 0, [item('mlp', 1, 2)]), [x]],
      [part(nan!, 0, [item('mlp', 0, 2)]), [x]],
      [
        {
          ...part(sessionIdOf(request), 0, [item('mlp', 0, 2)]),
          auth: { request, signature: `0x${'11'.repeat(65)}` },
        },
        [x],
      ],
    ]);
    for (const p of [0, 1, 2]) answered(again, p);
    assert.equal(
      admitted.filter((a) => a.session === sessionIdOf(request).toLowerCase() && a.auth).length,
      1,
    );
  });

  it('refuses a whole message for another model, oversized or malformed, and closes the stream', async () => {
    const s = newSession();
    const x = rows(1, 10);
    answered(await ask([[part(s, 0, [item('mlp', 0, 1)]), [x]]]), 0);
    const otherModel: Hex = `0x${'ab'.repeat(32)}`;
    const other = await send(main.libp2p, { model: otherModel, parts: [part(s, 1, [item('mlp', 0, 1)])] }, [
      [x],
    ]);
    assert.equal(refused(other), 'NOT_HOSTED');
    assert.equal(other.ended, true);

    /** Sends raw frames; the host's refusal code, and whether it then closed the stream. */
    const raw = async (...frames: Uint8Array[]) => {
      const { reader } = await open(main.libp2p, concatBytes(frames));
      const header = parseJsonFrame(await reader.readFrame(MAX_INFER_HEADER_BYTES)) as {
        ok: boolean;
        code: string;
      };
      assert.equal(header.ok, false);
      return { code: header.code, ended: await ended(reader) };
    };
    const header = (items: RequestItem[]) =>
      jsonFrame(headerJson({ model, parts: [part(newSession(), 0, items)] }));
    const before = { ...main.server.stats.refused };
    // A header frame over the limit, refused from its length alone.
    assert.deepEqual(await raw(encodeFrame(new Uint8Array(MAX_INFER_HEADER_BYTES + 1))), {
      code: 'TOO_LARGE',
      ended: true,
    });
    // Inputs announced beyond the activation limit (17 × 4 MiB > 64 MiB), refused before any is sent.
    const huge = Array.from({ length: 17 }, (_, shard) => item('mlp', shard, MAX_ROWS_PER_ITEM));
    assert.deepEqual(await raw(header(huge)), { code: 'TOO_LARGE', ended: true });
    // An input frame longer than its announced rows, or shorter.
    assert.deepEqual(await raw(header([item('mlp', 0, 1)]), f32Frame(rows(2, 1))), {
      code: 'TOO_LARGE',
      ended: true,
    });
    assert.deepEqual(await raw(header([item('mlp', 0, 2)]), f32Frame(rows(1, 1))), {
      code: 'MALFORMED',
      ended: true,
    });
    // Not JSON, not UTF-8, off-schema JSON.
    assert.equal((await raw(encodeFrame(new TextEncoder().encode('{nope')))).code, 'MALFORMED');
    assert.equal((await raw(encodeFrame(new Uint8Array([0x7b, 0xff, 0x7d])))).code, 'MALFORMED');
    assert.equal(
      (await raw(jsonFrame({ model, parts: [{ ...part(s, 1, [item('mlp', 0, 1)]), extra: 1 }] }))).code,
      'MALFORMED',
    );
    assert.equal(
      (await raw(jsonFrame({ model, parts: [part(s, 1, [item('mlp', 0, 1, { keepFrom: 0, keepTo: 1 })])] })))
        .code,
      'MALFORMED',
    );
    assert.equal(main.server.stats.refused.TOO_LARGE! - (before.TOO_LARGE ?? 0), 3);
    assert.equal(main.server.stats.refused.MALFORMED! - (before.MALFORMED ?? 0), 5);
    // The session was not touched by the refused messages: its step 1 is still new.
    answered(await ask([[part(s, 1, [item('mlp', 0, 1)]), [x]]]), 0);
  });

  it('keeps attention windows: append, rollback and slide, and a fresh host catches up on the whole window', async () => {
    const s = newSession();
    const expected = new Expected();
    const feed: Array<{ window: CacheWindow; x: Float32Array; outFrom: number }> = [
      { window: { keepFrom: 0, keepTo: 0 }, x: rows(5, 11), outFrom: 3 }, // prompt: the last 2 rows' outputs
      { window: { keepFrom: 0, keepTo: 5 }, x: rows(1, 12), outFrom: 0 }, // append
      { window: { keepFrom: 0, keepTo: 4 }, x: rows(2, 13), outFrom: 0 }, // rollback of 2 rows
      { window: { keepFrom: 0, keepTo: 6 }, x: rows(2, 14), outFrom: 1 }, // fills the context (8)
      { window: { keepFrom: 4, keepTo: 8 }, x: rows(1, 15), outFrom: 0 }, // slide: keep the newest 4
      { window: { keepFrom: 0, keepTo: 5 }, x: rows(2, 16), outFrom: 0 }, // append after the slide
    ];
    const window: Float32Array[] = []; // the rows in the window, as the gateway keeps them
    let input: Hex = '0x';
    let last: { signature: Hex | null; digests: readonly Hex[]; outputs: Float32Array[] } | undefined;
    for (const [step, f] of feed.entries()) {
      const n = f.x.length / C;
      const want = expected.attn(1, f.x, n, f.window, f.outFrom);
      const reply = await ask([[part(s, step, [item('attn', 1, n, f.window, f.outFrom)], true), [f.x]]]);
      last = answered(reply, 0);
      sameBits(last, [want.out]);
      window.splice(f.window.keepTo, window.length - f.window.keepTo);
      window.splice(0, f.window.keepFrom);
      for (let t = 0; t < n; t++) window.push(f.x.subarray(t * C, (t + 1) * C));
      input = want.input;
    }
    assert.equal(window.length, 7);

    // A host that never saw the session is sent the whole window, of which only the newest rows are wanted.
    const fresh = await startHost();
    const all = concatBytes(window.map((r) => new Uint8Array(r.buffer, r.byteOffset, r.byteLength)));
    const caughtUp = answered(
      await ask(
        [
          [
            part(s, 9, [item('attn', 1, 7, { keepFrom: 0, keepTo: 0 }, 5)], true),
            [new Float32Array(all.buffer)],
          ],
        ],
        fresh.libp2p,
      ),
      0,
    );
    sameBits(caughtUp, last!.outputs);
    // Both signed the same input digest (the chain of the whole window) for the same output.
    const statement = (step: number): StatementItem[] => [
      { step, layer: 0, matrix: 'attn', shard: 1, input, digest: last!.digests[0]! },
    ];
    assert.equal(await signed(s, statement(feed.length - 1), last!.signature), true);
    assert.equal(await signed(s, statement(9), caughtUp.signature), true);
  });

  it('refuses windows it cannot apply (NO_CACHE without a cache, MALFORMED beyond it) and changes no cache', async () => {
    const s = newSession();
    const x = rows(3, 17);
    const noCache = await ask([
      [part(s, 0, [item('attn', 0, 1, { keepFrom: 0, keepTo: 2 })]), [rows(1, 18)]],
    ]);
    assert.equal(refused(noCache, 0), 'NO_CACHE');
    const expected = new Expected();
    sameBits(answered(await ask([[part(s, 1, [item('attn', 0, 3)]), [x]]]), 0), [
      expected.attn(0, x, 3, { keepFrom: 0, keepTo: 0 }).out,
    ]);
    // keepTo beyond the cache; rows beyond the context; a prompt beyond the context without a cache.
    for (const [step, window, n] of [
      [2, { keepFrom: 0, keepTo: 4 }, 1],
      [3, { keepFrom: 0, keepTo: 3 }, 6],
    ] as const) {
      const bad = await ask([[part(s, step, [item('attn', 0, n, window)]), [rows(n, 19)]]]);
      assert.equal(refused(bad, 0), 'MALFORMED');
    }
    assert.equal(
      refused(await ask([[part(newSession(), 0, [item('attn', 0, 9)]), [rows(9, 20)]]]), 0),
      'MALFORMED',
    );
    // One bad window in a part refuses it whole: its other attention item's cache is untouched too.
    const mixed = await ask([
      [
        part(s, 4, [
          item('attn', 0, 1, { keepFrom: 0, keepTo: 3 }),
          item('attn', 1, 1, { keepFrom: 0, keepTo: 1 }),
        ]),
        [x.subarray(0, C), x.subarray(0, C)],
      ],
    ]);
    assert.equal(refused(mixed, 0), 'NO_CACHE');
    // One shard twice in a part: the second window would be checked against the cache before the first.
    const failed = main.server.stats.failed;
    const twice = await ask([
      [
        part(s, 5, [
          item('attn', 0, 1, { keepFrom: 3, keepTo: 3 }),
          item('attn', 0, 1, { keepFrom: 0, keepTo: 3 }),
        ]),
        [x.subarray(0, C), x.subarray(0, C)],
      ],
    ]);
    assert.equal(refused(twice), 'MALFORMED'); // the whole message: a shard twice is off-schema
    assert.equal(main.server.stats.failed, failed);
    const y = rows(1, 21);
    sameBits(answered(await ask([[part(s, 6, [item('attn', 0, 1, { keepFrom: 0, keepTo: 3 })]), [y]]]), 0), [
      expected.attn(0, y, 1, { keepFrom: 0, keepTo: 3 }).out,
    ]);
  });

  it('bounds cached sessions: BUSY while the cached one is active, evicts it once idle, which then gets NO_CACHE', async () => {
    let now = 1_000;
    const bounded = await startHost({
      sessions: new HostSessions({ maxCached: 1, idleMs: 1_000, now: () => now }),
    });
    const [a, b] = [newSession(), newSession()];
    const x = rows(2, 22);
    const attn = (s: Hex, step: number, window?: CacheWindow) =>
      ask([[part(s, step, [item('attn', 0, 2, window)]), [x]]], bounded.libp2p);
    answered(await attn(a, 0), 0);
    now += 999;
    assert.equal(refused(await attn(b, 0), 0), 'BUSY');
    // A session that needs no cache is still served.
    answered(await ask([[part(b, 1, [item('mlp', 0, 2)]), [x]]], bounded.libp2p), 0);
    now += 1;
    const evicting = answered(await attn(b, 2), 0);
    sameBits(evicting, [new Expected().attn(0, x, 2, { keepFrom: 0, keepTo: 0 }).out]);
    assert.equal(refused(await attn(a, 1, { keepFrom: 0, keepTo: 2 }), 0), 'NO_CACHE');
    // Sending the whole window again needs room too: busy while b is active, served once b idles.
    assert.equal(refused(await attn(a, 2), 0), 'BUSY');
    now += 1_000;
    sameBits(answered(await attn(a, 3), 0), [new Expected().attn(0, x, 2, { keepFrom: 0, keepTo: 0 }).out]);
    assert.equal(refused(await attn(b, 3, { keepFrom: 0, keepTo: 2 }), 0), 'NO_CACHE');
    assert.deepEqual([bounded.server.stats.refused.BUSY, bounded.server.stats.refused.NO_CACHE], [2, 2]);
  });

  it('seals every item since the last seal in one signature that binds steps, shards and input digests', async () => {
    const s = newSession();
    const expected = new Expected();
    const x1 = rows(2, 23);
    const x2 = rows(1, 24);
    const a1 = answered(await ask([[part(s, 1, [item('attn', 1, 2), item('mlp', 0, 2)]), [x1, x1]]]), 0);
    const a2 = answered(await ask([[part(s, 2, [item('lm_head', 1, 1)]), [x2]]]), 0);
    assert.deepEqual([a1.signature, a2.signature], [null, null]);
    const attnInput = expected.attn(1, x1, 2, { keepFrom: 0, keepTo: 0 }).input;
    const sealed = answered(await ask([[part(s, 3, [], true), []]]), 0);
    assert.deepEqual(sealed.digests, []);
    const items: StatementItem[] = [
      { step: 1, layer: 0, matrix: 'attn', shard: 1, input: attnInput, digest: a1.digests[0]! },
      { step: 1, layer: 0, matrix: 'mlp', shard: 0, input: vectorDigest(x1), digest: a1.digests[1]! },
      { step: 2, layer: -1, matrix: 'lm_head', shard: 1, input: vectorDigest(x2), digest: a2.digests[0]! },
    ];
    assert.equal(await signed(s, items, sealed.signature), true);
    assert.notEqual(attnInput, vectorDigest(x1)); // attention binds the chain, not the rows alone
    const changed = (i: number, field: Partial<StatementItem>) =>
      items.map((it, j) => (j === i ? { ...it, ...field } : it));
    assert.equal(await signed(s, changed(0, { input: vectorDigest(x1) }), sealed.signature), false);
    assert.equal(await signed(s, changed(1, { input: vectorDigest(x2) }), sealed.signature), false);
    assert.equal(await signed(s, changed(2, { step: 3 }), sealed.signature), false);
    assert.equal(await signed(s, changed(1, { shard: 1 }), sealed.signature), false);
    assert.equal(await signed(s, items.slice(1), sealed.signature), false);
    assert.equal(await signed(newSession(), items, sealed.signature), false);
    assert.equal(await signed(s, items, sealed.signature, { chainId: TEST_CHAIN_ID + 1 }), false);

    // Two parts of the session in one message: the sealing one signs both, and nothing before.
    const x3 = rows(1, 25);
    const both = await ask([
      [part(s, 4, [item('mlp', 1, 1)]), [x3]],
      [part(s, 5, [item('attn', 1, 1, { keepFrom: 0, keepTo: 2 })], true), [x3]],
    ]);
    const [p4, p5] = [answered(both, 0), answered(both, 1)];
    assert.equal(p4.signature, null);
    const attn5 = expected.attn(1, x3, 1, { keepFrom: 0, keepTo: 2 });
    sameBits(p5, [attn5.out]);
    const both45: StatementItem[] = [
      { step: 4, layer: 0, matrix: 'mlp', shard: 1, input: vectorDigest(x3), digest: p4.digests[0]! },
      { step: 5, layer: 0, matrix: 'attn', shard: 1, input: attn5.input, digest: p5.digests[0]! },
    ];
    assert.equal(await signed(s, both45, p5.signature), true);
  });
});
