import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getAddress, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { type InferenceRequest, sessionIdOf } from '../chain/inferenceRequest.ts';
import { INFERENCE_PROTOCOL_ID } from '../chain/inferenceStatement.ts';
import { vectorDigest } from '../core/digest.ts';
import { GptParams, makeGptConfig, Rng } from '../model/index.ts';
import type { ConcordHost } from '../p2p/createHost.ts';
import { startTestHost, waitFor } from '../p2p/testing.ts';
import type { SessionAdmission } from './admission.ts';
import {
  InferCacheMissingError,
  InferSessionUnauthorizedError,
  InferShardNotHostedError,
  InferTimeoutError,
} from './errors.ts';
import { gptExchanges } from './exchange.ts';
import { type InferenceHost, serveInference } from './host.ts';
import { HostLink, type PartCall } from './hostLink.ts';
import { shardRanges } from './planner.ts';
import { headLogits, mlpPartial } from './shards/compute.ts';
import {
  cutExchangeShard,
  type ExchangeShardWeights,
  type HeadShardWeights,
  type MlpShardWeights,
} from './shards/weights.ts';
import { paramsDigest, TEST_DOMAIN } from './testing.ts';
import type { RequestItem } from './wire.ts';

const config = makeGptConfig({ vocabSize: 40, contextLength: 8, dModel: 16, nHeads: 2, nLayers: 1 });
const params = GptParams.init(config, 5);
const model = paramsDigest(params);
const C = config.dModel;
const shards: ExchangeShardWeights[] = gptExchanges(config).flatMap((spec) =>
  shardRanges(spec.rows, { shardsPerMatrix: 2 }).map((range, i) => cutExchangeShard(params, spec, i, range)),
);
const mlp0 = shards.find((s): s is MlpShardWeights => s.kind === 'mlp' && s.shard === 0)!;
const head1 = shards.find((s): s is HeadShardWeights => s.kind === 'lm_head' && s.shard === 1)!;
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** `n` input rows, distinct per seed. */
function rows(n: number, seed: number): Float32Array {
  const x = new Float32Array(n * C);
  new Rng(seed).fillNormal(x, 1);
  return x;
}

let sessions = 0;
const newSession = (): Hex => `0x${(++sessions).toString(16).padStart(64, '0')}`;

/** A querier's request (its id names a session) for the auth of a part. */
const request = (nonce: bigint): InferenceRequest => ({
  querier: getAddress(`0x${'a1'.padStart(40, '0')}`),
  gateway: getAddress(`0x${'b2'.padStart(40, '0')}`),
  modelId: 1n,
  versionIndex: 0n,
  creditsPerToken: 1n,
  maxCredits: 10n,
  nonce,
  deadline: 2n ** 40n,
});
const SIGNATURE: Hex = `0x${'11'.repeat(65)}`;

/** A part of `session` at `step` asking the MLP shard 0 (and the head shard 1 when `head`) for `x`. */
function mlpCall(
  session: Hex,
  step: number,
  x: Float32Array,
  options: { head?: boolean; auth?: InferenceRequest } = {},
): PartCall {
  const n = x.length / C;
  const items: RequestItem[] = [
    { layer: 0, matrix: 'mlp', shard: 0, rows: n, keepFrom: 0, keepTo: 0, outFrom: 0 },
  ];
  if (options.head)
    items.push({ layer: -1, matrix: 'lm_head', shard: 1, rows: n, keepFrom: 0, keepTo: 0, outFrom: 0 });
  return {
    part: {
      session,
      step,
      seal: false,
      items,
      auth: options.auth ? { request: options.auth, signature: SIGNATURE } : null,
    },
    inputs: items.map(() => x),
    outputLengths: items.map((i) => (i.matrix === 'mlp' ? n * C : n * 20)),
  };
}

/** Asserts an answer carries the kernels' bits for the MLP (and, with `head`, the head) items of `x`. */
function assertAnswer(
  answer: { digests: Hex[]; outputs: Float32Array[] },
  x: Float32Array,
  head = false,
): void {
  const n = x.length / C;
  const want = [mlpPartial(mlp0, x, n), ...(head ? [headLogits(head1, x, n)] : [])];
  assert.equal(answer.outputs.length, want.length);
  want.forEach((w, i) => {
    assert.deepEqual(bits(answer.outputs[i]!), bits(w));
    assert.equal(answer.digests[i], vectorDigest(w));
  });
}

describe('HostLink', () => {
  let gateway: ConcordHost;
  let libp2p: ConcordHost;
  let server: InferenceHost;
  /** Per session: a promise the admission waits for (a host that is slow, or never answers). */
  const gates = new Map<Hex, Promise<void>>();
  const admissions: Array<{ session: Hex; auth: boolean }> = [];
  /** Admits every session after its gate (if any); records whether each call carried an auth. */
  const admit: SessionAdmission = async (auth, session) => {
    admissions.push({ session, auth: auth !== null });
    await gates.get(session);
  };
  const signer = privateKeyToAccount(generatePrivateKey());
  /** The plan parameters the host planned with. */
  const hostPlan = { replicas: 1, standbys: 1, sharding: 'shardsPerMatrix=4' };
  const serve = (on: ConcordHost, admission = admit) =>
    serveInference(on, {
      domain: TEST_DOMAIN,
      signer,
      model,
      plan: hostPlan,
      config,
      admit: admission,
      shards,
    });
  const newLink = (timeoutMs = 5_000) => new HostLink(gateway, libp2p.getMultiaddrs(), model, { timeoutMs });
  /** The link's inference streams open on the gateway's connections to the host. */
  const streams = () =>
    gateway
      .getConnections(libp2p.peerId)
      .flatMap((c) => c.streams)
      .filter((s) => s.protocol === INFERENCE_PROTOCOL_ID && s.status === 'open');
  const served = () => ({ messages: server.stats.served, parts: server.stats.parts });

  before(async () => {
    gateway = await startTestHost();
    libp2p = await startTestHost();
    server = await serve(libp2p);
  });
  after(() => Promise.all([gateway.stop(), libp2p.stop()]));

  it('sends the parts submitted in one tick as one message and gives each its own answer', async () => {
    const link = newLink();
    const xs = [rows(1, 1), rows(3, 2), rows(2, 3)];
    const before = served();
    const answers = await Promise.all(
      xs.map((x, i) => link.submit(mlpCall(newSession(), 0, x, { head: i !== 1 }))),
    );
    answers.forEach((a, i) => {
      assertAnswer(a, xs[i]!, i !== 1);
      assert.equal(a.signature, null);
    });
    assert.deepEqual(served(), { messages: before.messages + 1, parts: before.parts + 3 });
    // Later messages use the same stream.
    const s = newSession();
    await link.submit(mlpCall(s, 0, xs[0]!));
    const [stream] = streams();
    await link.submit(mlpCall(s, 1, xs[0]!));
    assert.deepEqual(
      streams().map((x) => x.id),
      [stream!.id],
    );
    await link.close();
  });

  it('holds parts submitted while a message is in flight for the next message', async () => {
    const link = newLink();
    const slow = newSession();
    let release = () => {};
    gates.set(slow, new Promise<void>((r) => (release = r)));
    const before = served();
    const x = rows(2, 4);
    const first = link.submit(mlpCall(slow, 0, x));
    await waitFor(() => admissions.some((a) => a.session === slow), 'the slow part to reach the host', 2_000);
    const later = [
      link.submit(mlpCall(newSession(), 0, x)),
      link.submit(mlpCall(newSession(), 0, x, { head: true })),
    ];
    await new Promise((r) => setTimeout(r, 50)); // time enough for a link that does not wait to send them
    assert.deepEqual(served(), before); // nothing was answered: the first message is still in the host
    release();
    const [a0, a1, a2] = await Promise.all([first, ...later]);
    assertAnswer(a0!, x);
    assertAnswer(a1!, x);
    assertAnswer(a2!, x, true);
    assert.deepEqual(served(), { messages: before.messages + 2, parts: before.parts + 3 });
    await link.close();
  });

  it('rejects only the refused part, with the refusal’s error class', async () => {
    const link = newLink();
    const x = rows(1, 5);
    const good = link.submit(mlpCall(newSession(), 0, x));
    const unknown = mlpCall(newSession(), 0, x);
    const notHosted = link.submit({
      ...unknown,
      part: { ...unknown.part, items: [{ ...unknown.part.items[0]!, shard: 9 }] },
    });
    const attn = { layer: 0, matrix: 'attn' as const, shard: 0, rows: 1, keepFrom: 0, keepTo: 3, outFrom: 0 };
    const noCache = link.submit({
      part: { session: newSession(), step: 0, seal: false, items: [attn], auth: null },
      inputs: [x],
      outputLengths: [C],
    });
    const also = link.submit(mlpCall(newSession(), 0, x, { head: true }));
    const before = served();
    await assert.rejects(notHosted, InferShardNotHostedError);
    await assert.rejects(noCache, InferCacheMissingError);
    assertAnswer(await good, x);
    assertAnswer(await also, x, true);
    assert.equal(served().messages, before.messages + 1);
    // A message refused whole (another model version) rejects each of its parts.
    const otherModel = new HostLink(gateway, libp2p.getMultiaddrs(), `0x${'ab'.repeat(32)}`);
    const parts = [
      otherModel.submit(mlpCall(newSession(), 0, x)),
      otherModel.submit(mlpCall(newSession(), 0, x)),
    ];
    for (const p of parts) await assert.rejects(p, InferShardNotHostedError);
    // A gateway that planned with other flags is refused, the flag named; one that agrees is served.
    const otherPlan = new HostLink(gateway, libp2p.getMultiaddrs(), model, {
      plan: { ...hostPlan, sharding: 'shardsPerMatrix=2' },
    });
    await assert.rejects(otherPlan.submit(mlpCall(newSession(), 0, x)), {
      name: 'PlanParametersMismatchError',
      message: /--shards-per-matrix: shardsPerMatrix=4 here, shardsPerMatrix=2 at the gateway/,
    });
    const samePlan = new HostLink(gateway, libp2p.getMultiaddrs(), model, { plan: hostPlan });
    assertAnswer(await samePlan.submit(mlpCall(newSession(), 0, x)), x);
    await Promise.all([otherPlan.close(), samePlan.close()]);
    // The link is still usable after part refusals.
    assertAnswer(await link.submit(mlpCall(newSession(), 0, x)), x);
    await link.close();
  });

  it('rejects every part of a message the host does not answer with InferTimeoutError, then dials again', async () => {
    const link = newLink(400);
    const s = newSession();
    const stuck = newSession();
    gates.set(stuck, new Promise<void>(() => {})); // the host never finishes this message
    const x = rows(1, 6);
    assertAnswer(await link.submit(mlpCall(s, 0, x)), x);
    const [first] = streams();
    const started = Date.now();
    const parts = [link.submit(mlpCall(s, 1, x)), link.submit(mlpCall(stuck, 0, x))];
    for (const p of parts) await assert.rejects(p, InferTimeoutError);
    assert.ok(Date.now() - started < 2_000, 'rejected by the link’s timeout');
    await waitFor(() => streams().length === 0, 'the timed-out stream to be aborted', 2_000);
    assertAnswer(await link.submit(mlpCall(s, 2, x)), x);
    const [second] = streams();
    assert.notEqual(second?.id, undefined);
    assert.notEqual(second!.id, first!.id);
    await link.close();
  });

  it('dials again when the host closed the stream while it was idle, without failing the part', async () => {
    const other = await startTestHost();
    try {
      await serveInference(other, {
        domain: TEST_DOMAIN,
        signer,
        model,
        config,
        admit,
        shards,
        timeoutMs: 200,
      });
      const link = new HostLink(gateway, other.getMultiaddrs(), model, { timeoutMs: 2_000 });
      const s = newSession();
      const x = rows(1, 8);
      assertAnswer(await link.submit(mlpCall(s, 0, x)), x);
      await new Promise((r) => setTimeout(r, 500)); // the host gives up on the idle stream
      assertAnswer(await link.submit(mlpCall(s, 1, x)), x);
      await link.close();
    } finally {
      await other.stop();
    }
  });

  it('sends a session’s auth until the host has answered one of its parts', async () => {
    const link = newLink();
    const x = rows(1, 7);
    const [a, b, refused] = [request(1n), request(2n), request(3n)];
    const [sa, sb, sr] = [a, b, refused].map((r) => sessionIdOf(r).toLowerCase() as Hex);
    const calls = (session: Hex) => admissions.filter((c) => c.session === session);
    // The first part of two sessions in one message, then more parts of one of them.
    await Promise.all([
      link.submit(mlpCall(sa!, 0, x, { auth: a })),
      link.submit(mlpCall(sb!, 0, x, { auth: b })),
    ]);
    await link.submit(mlpCall(sa!, 1, x, { auth: a }));
    assert.deepEqual(calls(sa!), [{ session: sa, auth: true }]);
    assert.deepEqual(calls(sb!), [{ session: sb, auth: true }]);
    // A part refused before the host served the session: the next part carries the auth again.
    const gone = mlpCall(sr!, 0, x, { auth: refused });
    await assert.rejects(
      link.submit({ ...gone, part: { ...gone.part, items: [{ ...gone.part.items[0]!, shard: 9 }] } }),
      {
        name: 'InferShardNotHostedError',
      },
    );
    await link.submit(mlpCall(sr!, 1, x, { auth: refused }));
    assert.deepEqual(
      calls(sr!).map((c) => c.auth),
      [true, true],
    );
    // What the link sends after an answer, seen by a host that has not served the session (a
    // restarted one): no auth, which a host requiring one refuses.
    await server.stop();
    const restarted = await serve(libp2p, async (auth, session) => {
      admissions.push({ session, auth: auth !== null });
      if (auth === null) throw new InferSessionUnauthorizedError('no request for this session');
    });
    try {
      await link.close(); // the old stream is still the old host's
      await assert.rejects(link.submit(mlpCall(sa!, 2, x, { auth: a })), InferSessionUnauthorizedError);
      assert.deepEqual(calls(sa!).at(-1), { session: sa, auth: false });
    } finally {
      await restarted.stop();
      await server.start();
    }
  });
});
