import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { encodeAbiParameters, type Hex, keccak256, parseEther, toHex } from 'viem';
import { commit } from '../../chain/actions/commit.ts';
import { createModel } from '../../chain/actions/createModel.ts';
import { createTask } from '../../chain/actions/createTask.ts';
import { finalize } from '../../chain/actions/finalize.ts';
import { getNode } from '../../chain/actions/getNode.ts';
import { latestVersion } from '../../chain/actions/latestVersion.ts';
import { minStake } from '../../chain/actions/minStake.ts';
import { publishVersion } from '../../chain/actions/publishVersion.ts';
import { register } from '../../chain/actions/register.ts';
import { requestUnstake } from '../../chain/actions/requestUnstake.ts';
import { reveal } from '../../chain/actions/reveal.ts';
import { setPoolCreator } from '../../chain/actions/setPoolCreator.ts';
import { versionAt } from '../../chain/actions/versionAt.ts';
import type { ConcordContext } from '../../chain/context.ts';
import { createConcordContext } from '../../chain/context.ts';
import { devAccount } from '../../chain/devAccounts.ts';
import { type DevChain, startDevChain } from '../../chain/devChain.ts';
import { poolId } from '../../chain/poolId.ts';
import { type TaskParams, taskKindId } from '../../chain/taskTypes.ts';
import { randomSalt } from '../../core/salt.ts';
import { CharTokenizer, GptParams, makeGptConfig } from '../../model/index.ts';
import { signBlobRequest } from '../../p2p/blobRequest.ts';
import { serveBlobs, storeBlobSource } from '../../p2p/blobServer.ts';
import { type ConcordHost, createHost } from '../../p2p/createHost.ts';
import { fetchBlob } from '../../p2p/fetchBlob.ts';
import { fetchPieces } from '../../p2p/fetchPieces.ts';
import { signPiecesRequest } from '../../p2p/piecesRequest.ts';
import { type PieceSource, servePieces } from '../../p2p/piecesServer.ts';
import { waitFor } from '../../p2p/testing.ts';
import { openStore, type Store } from '../../store/openStore.ts';
import { createTaskKindRegistry } from '../../tasks/builtin.ts';
import { writeCheckpoint } from '../../tasks/checkpoint.ts';
import { charTokenizerMetadata } from '../../tasks/tokenizerMetadata.ts';
import { createBlobAuthorizer } from '../blobAccess.ts';
import { localSigner } from '../blobFetcher.ts';
import { cachedChainNow, chainNow } from '../chainTime.ts';
import { ensureRegistered } from '../ensureRegistered.ts';
import { storePieceSources } from '../pieceSources.ts';
import { localPlanTokens } from '../testing/localDecode.ts';
import { createModelService, type NodeModelService } from './modelService.ts';
import { selfSignedRequest } from './querier.ts';

// Three in-process nodes (real anvil, real libp2p, real stores and blob
// servers); nodes 1 and 2 know only node 0's address. Node 2 serves
// partial products from perturbed weights (`lie`) until it unstakes.
const NODES = 3;
const LIAR = 2;
const tokenizer = CharTokenizer.fromCorpus('abcdefghijklmnopqrstuvwxyz .');
const config = makeGptConfig({
  vocabSize: tokenizer.vocabSize,
  contextLength: 16,
  dModel: 24,
  nHeads: 2,
  nLayers: 2,
});
const sampling = { temperature: 0.8, topK: 10, seed: 11 };
const prompt = tokenizer.encode('the ');

type TestNode = {
  ctx: ConcordContext;
  peerKey: PrivateKey;
  host: ConcordHost;
  store: Store;
  pieces: (digest: Hex) => PieceSource | undefined;
  models: NodeModelService;
};

let chain: DevChain;
let dir: string;
const nodes: TestNode[] = [];
let modelId: bigint;
let genesisDigest: Hex;

function checkpointOf(seed: number): { params: GptParams; bytes: Uint8Array } {
  const params = GptParams.init(config, seed);
  return { params, bytes: writeCheckpoint({ params, metadata: charTokenizerMetadata(tokenizer) }) };
}
const genesis = checkpointOf(1);
const next = checkpointOf(2);

/** The tokens local decoding in the plan's order gives (every plan here cuts 2 shards per exchange). */
function localTokens(params: GptParams, maxNewTokens: number): Promise<number[]> {
  return localPlanTokens(params, { shardsPerMatrix: 2 }, prompt, { ...sampling, maxNewTokens });
}

/** Generates through `node`'s gateway; returns the tokens and the hosts outvoted on any shard or failed. */
async function distributed(
  node: TestNode,
  maxNewTokens: number,
): Promise<{ tokens: number[]; outvoted: Set<string>; failed: Set<string> }> {
  const served = node.models.resolve();
  // A free request the node signs itself: hosts serve only sessions backed by a signed, funded request.
  const auth = await selfSignedRequest(node.ctx, served, 0n, maxNewTokens);
  const session = served.gateway.openSession({ auth });
  const tokens: number[] = [];
  const outvoted = new Set<string>();
  for await (const e of session.generate(prompt, { ...sampling, maxNewTokens })) {
    tokens.push(e.token);
    for (const v of e.votes) for (const h of v.outvoted) outvoted.add(h);
  }
  return { tokens, outvoted, failed: new Set(session.failures.map((f) => f.host)) };
}

async function startTestNode(i: number): Promise<TestNode> {
  const ctx = await createConcordContext({
    rpcUrl: chain.anvil.rpcUrl,
    privateKey: devAccount(i + 1).privateKey,
    deployment: chain.deployment,
  });
  const peerKey = await generateKeyPair('Ed25519');
  const host = await createHost({ privateKey: peerKey });
  if (i > 0) await host.dial(nodes[0]!.host.getMultiaddrs());
  const store = openStore(join(dir, `node${i}`));
  const node = { ctx, peerKey, host, store } as TestNode;
  const authorize = createBlobAuthorizer({
    ctx,
    blobs: store.blobs,
    kinds: createTaskKindRegistry(),
    mayHost: (query) => node.models.mayFetchCheckpoint(query),
  });
  await serveBlobs(host, {
    chainId: ctx.chain.id,
    authorize,
    source: storeBlobSource(store.blobs),
    chainTime: cachedChainNow(ctx),
  });
  node.pieces = storePieceSources(store.blobs);
  await servePieces(host, {
    chainId: ctx.chain.id,
    sources: node.pieces,
    authorize,
    chainTime: cachedChainNow(ctx),
  });
  await ensureRegistered(ctx, peerKey);
  return node;
}

const allReadyAt = (versionIndex: string) => () =>
  nodes.every((n) => {
    const [s] = n.models.status();
    return s?.state === 'ready' && s.versionIndex === versionIndex;
  });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'concord-models-'));
  chain = await startDevChain({ actors: NODES + 1 });
  for (let i = 0; i < NODES; i++) nodes.push(await startTestNode(i));
  genesisDigest = nodes[0]!.store.blobs.putModel(genesis.bytes); // only the model owner holds it
  ({ modelId } = await createModel(nodes[0]!.ctx, { name: 'tiny-char', genesisDigest }));
  for (const n of nodes) {
    n.models = createModelService(
      { ctx: n.ctx, host: n.host, blobs: n.store.blobs, pieces: n.pieces, log: () => undefined },
      { replicas: 3, standbys: 1, shardsPerMatrix: 2, pollIntervalMs: 100, lie: n === nodes[LIAR] },
    );
  }
});

after(async () => {
  for (const n of nodes) {
    await n.models?.stop();
    await n.host.stop();
    n.store.close();
  }
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('model service', () => {
  it('loads the genesis checkpoint on every node and generates bit for bit as local generate', async () => {
    await waitFor(allReadyAt('0'), 'every node serving version 0', 60_000);
    const statuses = nodes.map((n) => n.models.status()[0]!);
    for (const s of statuses) {
      assert.equal(s.name, 'tiny-char');
      assert.equal(s.modelId, modelId.toString());
      assert.equal(s.replicas, 3);
      assert.ok(s.hostedShards > 0);
      assert.equal(new Set(s.hosts).size, NODES);
    }
    // Only the owner holds the whole checkpoint; the others fetched just their pieces.
    for (const [i, n] of nodes.entries()) {
      assert.equal(n.store.blobs.hasBlob(statuses[0]!.digest), i === 0, `node${i} holds the checkpoint`);
      assert.ok(statuses[i]!.hostedBytes > 0);
    }
    // Node 2's gateway reaches node 1's host although neither was given the other's address;
    // its own host lies and is outvoted by node 0 and node 1.
    const run = await distributed(nodes[2]!, 6);
    assert.deepEqual(run.tokens, await localTokens(genesis.params, 6));
    assert.deepEqual([...run.outvoted], [nodes[LIAR]!.ctx.account.address]);
    assert.equal(run.failed.size, 0);
    const served = nodes[1]!.models.resolve('tiny-char@0');
    assert.equal(served.versionIndex, 0n);
    assert.deepEqual(served.tokenizer.decode(prompt), 'the ');
    assert.equal(nodes[1]!.models.resolve(modelId.toString()).digest, served.digest);
  });

  it('refuses unknown models and versions by name', () => {
    assert.throws(() => nodes[0]!.models.resolve('no-such-model'), { name: 'ModelNotServedError' });
    assert.throws(() => nodes[0]!.models.resolve('tiny-char@7'), { name: 'ModelNotServedError' });
  });

  it('refuses a host checkpoint fetch from an account outside the plan, or for another digest', async () => {
    const outsider = chain.actors[NODES]!;
    const digest = nodes[0]!.models.status()[0]!.digest;
    const client = await createHost({ privateKey: await generateKeyPair('Ed25519') });
    try {
      const ask = async (ctx: ConcordContext, wanted: Hex, context: string) =>
        await fetchBlob(client, {
          peer: nodes[0]!.host.getMultiaddrs(),
          request: await signBlobRequest(localSigner(ctx), {
            digest: wanted,
            chainId: ctx.chain.id,
            purpose: 'host',
            context,
            chainTime: await chainNow(ctx),
          }),
        });
      await assert.rejects(ask(outsider, digest, `${modelId}:0`), { name: 'BlobFetchUnauthorizedError' });
      const stranger = keccak256(toHex('not the checkpoint'));
      await assert.rejects(ask(nodes[1]!.ctx, stranger, `${modelId}:0`), {
        name: 'BlobFetchUnauthorizedError',
      });
      await assert.rejects(ask(nodes[1]!.ctx, digest, `${modelId}:1`), {
        name: 'BlobFetchUnauthorizedError',
      });
      assert.deepEqual(await ask(nodes[1]!.ctx, digest, `${modelId}:0`), genesis.bytes);
    } finally {
      await client.stop();
    }
  });

  it('gives pieces only to active nodes: an outsider without stake gets neither the base nor a shard', async () => {
    const outsider = chain.actors[NODES]!;
    const digest = nodes[0]!.models.status()[0]!.digest;
    const client = await createHost({ privateKey: await generateKeyPair('Ed25519') });
    try {
      const ask = async (ctx: ConcordContext, start: number, end: number) =>
        await fetchPieces(client, {
          peer: nodes[0]!.host.getMultiaddrs(),
          request: await signPiecesRequest(localSigner(ctx), {
            digest,
            chainId: ctx.chain.id,
            purpose: 'host',
            context: `${modelId}:0`,
            start,
            end,
            chainTime: await chainNow(ctx),
          }),
        });
      await assert.rejects(ask(outsider, 0, 1), { name: 'BlobFetchUnauthorizedError' });
      await assert.rejects(ask(outsider, 1, 2), { name: 'BlobFetchUnauthorizedError' });
      // A planned host gets the base piece and its shard's leaves, verified against the model digest.
      assert.equal((await ask(nodes[1]!.ctx, 0, 1)).payloads.length, 1);
      assert.equal((await ask(nodes[1]!.ctx, 1, 3)).payloads.length, 2);
    } finally {
      await client.stop();
    }
  });

  it('switches every node to a newly published version fetched from its revealers', async () => {
    const digest = nodes[1]!.store.blobs.putModel(next.bytes); // only a revealer holds it
    // The model owner's pool; the deployer creates its tasks with the owner's leave.
    const pool = poolId(nodes[0]!.ctx.account.address, 'round-1');
    await setPoolCreator(nodes[0]!.ctx, { account: chain.deployer.account.address, allowed: true });
    const runTask = async (params: TaskParams, result: Hex) => {
      const { taskId } = await createTask(chain.deployer, params);
      const salts = nodes.map(() => randomSalt());
      for (const [i, n] of nodes.entries())
        await commit(n.ctx, { taskId, resultDigest: result, salt: salts[i]! });
      for (const [i, n] of nodes.entries())
        await reveal(n.ctx, { taskId, resultDigest: result, salt: salts[i]! });
      await finalize(chain.deployer, { taskId });
      return taskId;
    };
    const update = keccak256(toHex('update'));
    await runTask(await taskParams({ pool }), update);
    const inputsRoot = keccak256(encodeAbiParameters([{ type: 'bytes32[]' }], [[update]]));
    const aggregate = await runTask(
      await taskParams({ kind: taskKindId('aggregate'), pool, inputsRoot }),
      digest,
    );
    await publishVersion(nodes[0]!.ctx, { modelId, aggregateTaskId: aggregate });
    assert.deepEqual(await latestVersion(chain.deployer, { modelId }), {
      index: 1n,
      digest,
      taskId: aggregate,
    });
    assert.equal((await versionAt(chain.deployer, { modelId, index: 0n })).digest, genesisDigest);
    await Promise.all(nodes.map((n) => n.models.refresh()));
    await waitFor(allReadyAt('1'), 'every node serving version 1', 60_000);
    assert.equal(nodes[2]!.models.status()[0]!.digest, digest);
    assert.throws(() => nodes[2]!.models.resolve('tiny-char@0'), { name: 'ModelNotServedError' });
    const run = await distributed(nodes[0]!, 6);
    assert.deepEqual(run.tokens, await localTokens(next.params, 6));
    assert.deepEqual([...run.outvoted], [nodes[LIAR]!.ctx.account.address]);
    assert.equal(run.failed.size, 0);
  });

  it('replans without a node that unstaked; the others still answer bit for bit', async () => {
    const leaving = nodes[LIAR]!;
    await requestUnstake(leaving.ctx, { amount: (await getNode(leaving.ctx)).stake });
    await Promise.all(nodes.map((n) => n.models.refresh()));
    const hostsOf = (n: TestNode) => n.models.status()[0]!.hosts;
    await waitFor(() => nodes.every((n) => hostsOf(n).length === NODES - 1), 'a plan without node 2', 30_000);
    assert.ok(!hostsOf(nodes[0]!).includes(leaving.ctx.account.address));
    assert.equal(leaving.models.status()[0]!.hostedShards, 0);
    assert.equal(nodes[0]!.models.status()[0]!.replicas, 2, 'as many replicas as nodes are left');
    assert.equal(leaving.models.resolve().host, null);
    const run = await distributed(leaving, 6);
    assert.deepEqual(run.tokens, await localTokens(next.params, 6));
    assert.equal(run.outvoted.size, 0);
    assert.equal(run.failed.size, 0);
  });

  it('plans a staked node whose registered peer id is garbage, and fails over around it', async () => {
    const bogus = chain.actors[NODES]!;
    await register(bogus, { peerId: '0x01', peerSig: '0x01', stake: await minStake(bogus) });
    await Promise.all(nodes.map((n) => n.models.refresh()));
    const hosts = nodes[0]!.models.status()[0]!.hosts;
    assert.ok(hosts.includes(bogus.account.address), 'every shard has the bogus node as a host');
    const run = await distributed(nodes[1]!, 4);
    assert.deepEqual(run.tokens, await localTokens(next.params, 4));
    assert.deepEqual([...run.failed], [bogus.account.address]);
  });
});

async function taskParams(overrides: Partial<TaskParams> = {}): Promise<TaskParams> {
  const now = (await chain.deployer.publicClient.getBlock()).timestamp;
  return {
    kind: taskKindId('matvec'),
    specDigest: keccak256(toHex('spec')),
    baseReward: parseEther('10'),
    bond: parseEther('1'),
    stakeSlash: parseEther('5'),
    growthBps: 0,
    maxParticipants: NODES,
    quorum: 2,
    committeeSize: NODES,
    commitDeadline: now + 600n,
    revealDeadline: now + 1200n,
    ...overrides,
  };
}
