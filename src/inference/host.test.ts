import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { INFERENCE_PROTOCOL_ID, verifyStatement } from '../chain/inferenceStatement.ts';
import { vectorDigest } from '../core/digest.ts';
import { GptParams, makeGptConfig } from '../model/index.ts';
import { encodeFrame, FrameReader } from '../p2p/frames.ts';
import { startTestHost } from '../p2p/testing.ts';
import { linear } from '../tensor/index.ts';
import { callHost, type HostCall } from './callHost.ts';
import { MAX_INFER_HEADER_BYTES } from './constants.ts';
import { serveInference } from './host.ts';
import { hostedShardsFromParams } from './hostedShards.ts';
import {
  admitEverySession,
  startTestInferenceNetwork,
  TEST_CHAIN_ID,
  TEST_DOMAIN,
  type TestInferenceNetwork,
} from './testing.ts';
import { jsonFrame, parseJsonFrame } from './wire.ts';

const config = makeGptConfig({ vocabSize: 40, contextLength: 8, dModel: 16, nHeads: 2, nLayers: 1 });
const params = GptParams.init(config, 3);
const C = config.dModel;
const x = Float32Array.from({ length: C }, (_, i) => Math.fround(Math.sin(i)));

describe('inference host /concord/infer/1.0.0', () => {
  let net: TestInferenceNetwork;
  let session = 0;
  /** A fresh session id per test, so replay state does not leak between tests. */
  const newSession = (): Hex => `0x${(++session).toString(16).padStart(64, '0')}`;
  const call = (overrides: Partial<HostCall['header']> & { inputs?: Float32Array[]; rows?: number[] }) =>
    callHost(net.gatewayHost, net.hosts[0]!.libp2p.peerId, {
      header: {
        session: overrides.session ?? newSession(),
        model: overrides.model ?? net.plan.parameters.modelDigest,
        step: overrides.step ?? 0,
        seal: overrides.seal ?? true,
        items: overrides.items ?? [{ layer: 0, matrix: 'attn.c_attn', shard: 1 }],
        auth: null,
      },
      inputs: overrides.inputs ?? [x],
      rows: overrides.rows ?? [3 * C - Math.floor((3 * C) / 2)],
    });
  /** Sends raw frames on a new stream and returns the refusal code of the answer. */
  const rawRefusal = async (frames: Uint8Array[]): Promise<string> => {
    const stream = await net.gatewayHost.dialProtocol(net.hosts[0]!.libp2p.peerId, INFERENCE_PROTOCOL_ID);
    for (const f of frames) stream.send(f);
    const header = parseJsonFrame(await new FrameReader(stream).readFrame(MAX_INFER_HEADER_BYTES)) as {
      code: string;
    };
    return header.code;
  };

  before(async () => {
    net = await startTestInferenceNetwork({
      params,
      hosts: 1,
      replicas: 1,
      standbys: 0,
      sharding: { shardsPerMatrix: 2 },
    });
    await net.gatewayHost.dial(net.hosts[0]!.libp2p.getMultiaddrs());
  });
  after(() => net.stop());

  it('answers the exact rows of the full product, signed over session, step and items', async () => {
    const s = newSession();
    const items = [
      { layer: 0, matrix: 'attn.c_attn', shard: 0 },
      { layer: -1, matrix: 'lm_head', shard: 1 },
    ] as const;
    const answer = await call({ session: s, step: 7, items: [...items], inputs: [x, x], rows: [24, 20] });
    const full = new Float32Array(3 * C);
    linear(x, params.weights.blocks[0]!.qkv.weight, params.weights.blocks[0]!.qkv.bias, 1, C, 3 * C, full);
    assert.deepEqual(answer.outputs[0], full.subarray(0, 24));
    const logits = new Float32Array(config.vocabSize);
    linear(x, params.weights.wte, null, 1, C, config.vocabSize, logits);
    assert.deepEqual(answer.outputs[1], logits.subarray(20, 40));
    const statement = {
      session: s,
      items: items.map((item, i) => ({
        step: 7,
        ...item,
        input: vectorDigest(x),
        digest: answer.digests[i]!,
      })),
    };
    const host = net.hosts[0]!.account.address;
    const signature = answer.signature!;
    assert.equal(await verifyStatement({ host, statement, signature }, TEST_DOMAIN), true);
    const otherStep = { ...statement, items: statement.items.map((i) => ({ ...i, step: 8 })) };
    assert.equal(await verifyStatement({ host, statement: otherStep, signature }, TEST_DOMAIN), false);
    assert.equal(
      await verifyStatement({ host, statement, signature }, { chainId: TEST_CHAIN_ID + 1 }),
      false,
    );
  });

  it('signs everything answered since its last signature when asked to seal', async () => {
    const s = newSession();
    const first = await call({ session: s, step: 1, seal: false });
    const proj = [{ layer: 0, matrix: 'attn.c_proj' as const, shard: 0 }];
    const second = await call({ session: s, step: 2, seal: false, items: proj, rows: [8] });
    assert.equal(first.signature, null);
    assert.equal(second.signature, null);
    const sealed = await call({ session: s, step: 3, seal: true, items: [], inputs: [], rows: [] });
    const statement = {
      session: s,
      items: [
        {
          step: 1,
          layer: 0,
          matrix: 'attn.c_attn' as const,
          shard: 1,
          input: vectorDigest(x),
          digest: first.digests[0]!,
        },
        { step: 2, ...proj[0]!, input: vectorDigest(x), digest: second.digests[0]! },
      ],
    };
    const host = net.hosts[0]!.account.address;
    assert.equal(await verifyStatement({ host, statement, signature: sealed.signature! }, TEST_DOMAIN), true);
  });

  it('answers the same bits from kernel memory, from the JS heap and after a restart', async () => {
    const items = [
      { layer: 0, matrix: 'mlp.c_fc', shard: 0 },
      { layer: -1, matrix: 'lm_head', shard: 1 },
    ] as const;
    const request = { items: [...items], inputs: [x, x], rows: [2 * C, config.vocabSize / 2] };
    const inKernel = await call(request);
    const account = net.hosts[0]!.account;
    const libp2p = await startTestHost();
    try {
      await serveInference(libp2p, {
        domain: TEST_DOMAIN,
        signer: account,
        model: net.plan.parameters.modelDigest,
        admit: admitEverySession,
        shards: hostedShardsFromParams(params, net.plan, account.address),
        placement: 'js',
      });
      const onHeap = await callHost(net.gatewayHost, libp2p.getMultiaddrs(), {
        header: {
          session: newSession(),
          model: net.plan.parameters.modelDigest,
          step: 0,
          seal: false,
          auth: null,
          items: [...items],
        },
        inputs: request.inputs,
        rows: request.rows,
      });
      assert.deepEqual(onHeap.digests, inKernel.digests);
      assert.deepEqual(onHeap.outputs, inKernel.outputs);
    } finally {
      await libp2p.stop();
    }
    await net.hosts[0]!.server.stop();
    await net.hosts[0]!.server.start();
    const restarted = await call(request);
    assert.deepEqual(restarted.digests, inKernel.digests);
    assert.deepEqual(restarted.outputs, inKernel.outputs);
  });

  it('refuses a step it has already answered in the session (InferReplayedStepError)', async () => {
    const s = newSession();
    await call({ session: s, step: 5 });
    await assert.rejects(call({ session: s, step: 5 }), { name: 'InferReplayedStepError' });
    await assert.rejects(call({ session: s, step: 4 }), { name: 'InferReplayedStepError' });
    await call({ session: s, step: 6 });
  });

  it('refuses oversize activations before reading them (InferMessageTooLargeError)', async () => {
    await assert.rejects(call({ inputs: [new Float32Array(C + 1)] }), { name: 'InferMessageTooLargeError' });
    assert.equal(await rawRefusal([encodeFrame(new Uint8Array(MAX_INFER_HEADER_BYTES + 1))]), 'TOO_LARGE');
  });

  it('refuses shards it does not hold, off-schema headers and NaN activations', async () => {
    await assert.rejects(call({ items: [{ layer: 0, matrix: 'attn.c_attn', shard: 9 }] }), {
      name: 'InferShardNotHostedError',
    });
    await assert.rejects(call({ inputs: [new Float32Array(C).fill(Number.NaN)] }), {
      name: 'InferMalformedError',
    });
    // A request for another model version (say, while the network switches versions) is not answered.
    await assert.rejects(call({ model: `0x${'ab'.repeat(32)}` }), { name: 'InferShardNotHostedError' });
    const header = {
      session: newSession(),
      model: net.plan.parameters.modelDigest,
      step: 0,
      seal: true,
      items: [{ layer: 0, matrix: 'attn.c_attn', shard: 0 }],
    };
    assert.equal(await rawRefusal([jsonFrame({ ...header, extra: 1 })]), 'MALFORMED');
    assert.equal(await rawRefusal([jsonFrame({ ...header, step: -1 })]), 'MALFORMED');
    assert.equal(await rawRefusal([jsonFrame({ ...header, model: '0x12' })]), 'MALFORMED');
    assert.equal(await rawRefusal([jsonFrame({ ...header, seal: false, items: [] })]), 'MALFORMED');
    assert.equal(await rawRefusal([encodeFrame(new TextEncoder().encode('{nope'))]), 'MALFORMED');
    assert.ok((net.hosts[0]!.server.stats.refused.MALFORMED ?? 0) >= 5);
  });

  it('times out against a host that never answers (InferTimeoutError)', async () => {
    await net.hosts[0]!.server.stop();
    await net.hosts[0]!.libp2p.handle(INFERENCE_PROTOCOL_ID, () => {}); // reads nothing, answers nothing
    try {
      await assert.rejects(
        callHost(net.gatewayHost, net.hosts[0]!.libp2p.peerId, {
          header: {
            session: newSession(),
            model: net.plan.parameters.modelDigest,
            step: 0,
            seal: true,
            auth: null,
            items: [{ layer: 0, matrix: 'attn.c_attn', shard: 0 }],
          },
          inputs: [x],
          rows: [24],
          timeoutMs: 300,
        }),
        { name: 'InferTimeoutError' },
      );
    } finally {
      await net.hosts[0]!.libp2p.unhandle(INFERENCE_PROTOCOL_ID);
      await net.hosts[0]!.server.start();
    }
  });
});
