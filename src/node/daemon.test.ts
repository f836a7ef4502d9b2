import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { sharesAbi } from '../../generated/contracts/index.ts';
import { buyCredits } from '../chain/actions/buyCredits.ts';
import { createModel } from '../chain/actions/createModel.ts';
import { creditsOf } from '../chain/actions/creditsOf.ts';
import { type DevChain, startDevChain } from '../chain/devChain.ts';
import { sendAs } from '../chain/devRpc.ts';
import { Gpt, generate, Rng } from '../model/index.ts';
import { SHIPPED_CHECKPOINT } from '../model/shipped.ts';
import { waitFor } from '../p2p/testing.ts';
import { readCheckpoint } from '../tasks/checkpoint.ts';
import { DEFAULT_CREDITS_PER_TOKEN, type RunningNode, startNode } from './daemon.ts';
import { selfSignedRequest } from './inference/querier.ts';
import { startLocalNodes } from './localNodes.ts';

// Two in-process daemons serve the shipped network model; node 1 fetches the
// checkpoint from node 0 through node 0's blob server (purpose `host`).
let chain: DevChain;
let dir: string;
const nodes: RunningNode[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'concord-daemon-'));
  chain = await startDevChain({ actors: 2 });
  nodes.push(
    ...(await startLocalNodes({
      chain,
      dir,
      count: 2,
      config: (i) => ({ replicas: 2, shardsPerMatrix: 1, ...(i === 1 ? { creditsPerToken: 7n } : {}) }),
    })),
  );
});

after(async () => {
  for (const n of nodes) await n.stop();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('serves the shipped model from a checkpoint only node 0 holds, bit for bit as local generate', async () => {
  assert.deepEqual(nodes[0]!.models.status(), []);
  assert.throws(() => nodes[0]!.models.resolve(), { name: 'ModelNotServedError' });
  const bytes = new Uint8Array(readFileSync(SHIPPED_CHECKPOINT));
  const genesisDigest = nodes[0]!.store.blobs.putModel(bytes);
  await createModel(nodes[0]!.ctx, { name: 'concord-char', genesisDigest });
  for (const n of nodes) await n.models.refresh(); // node 0 loads first, then serves node 1
  for (const n of nodes)
    assert.deepEqual(
      n.models.status().map((s) => [s.name, s.state, s.replicas]),
      [['concord-char', 'ready', 2]],
    );
  const served = nodes[1]!.models.resolve('concord-char');
  const prompt = served.tokenizer.encode('The ');
  const options = { temperature: 0.7, topK: 20, seed: 5, maxNewTokens: 6 };
  const auth = await selfSignedRequest(nodes[1]!.ctx, served, 0n, options.maxNewTokens); // a free session
  const session = served.gateway.openSession({ auth });
  const tokens: number[] = [];
  for await (const e of session.generate(prompt, options)) tokens.push(e.token);
  const { params } = readCheckpoint(bytes);
  assert.deepEqual(tokens, generate(new Gpt(params), prompt, new Rng(options.seed), options));
  assert.deepEqual(session.failures, []);
  assert.equal(nodes[0]!.creditsPerToken, DEFAULT_CREDITS_PER_TOKEN);
  assert.equal(nodes[1]!.creditsPerToken, 7n);
});

it('answers an OpenAI-style completion over HTTP, paid by the node itself and settled on chain', async () => {
  // Credits are paid to share holders, so someone must hold a share first.
  const shares = { address: chain.deployer.addresses.shares, abi: sharesAbi } as const;
  await sendAs(chain.deployer, chain.deployer.addresses.taskMarket, {
    ...shares,
    functionName: 'mint',
    args: [chain.deployer.account.address, 1n, 1n],
  });
  await buyCredits(nodes[1]!.ctx, { credits: 1000n });
  const before = await creditsOf(nodes[1]!.ctx);
  const res = await fetch(`${nodes[1]!.apiUrl}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${nodes[1]!.apiToken.reveal()}` },
    body: JSON.stringify({ model: 'concord-char', prompt: 'We ', max_tokens: 4, temperature: 0 }),
  });
  const answer = (await res.json()) as {
    choices: { text: string }[];
    concord: { settlement: { credits: string } | null; settlementError?: string };
  };
  assert.equal(res.status, 200, JSON.stringify(answer));
  const served = nodes[1]!.models.resolve();
  const prompt = served.tokenizer.encode('We ');
  const { params } = readCheckpoint(readFileSync(SHIPPED_CHECKPOINT));
  const want = generate(new Gpt(params), prompt, new Rng(0), { temperature: 0, maxNewTokens: 4 });
  assert.equal(answer.choices[0]!.text, served.tokenizer.decode(want));
  assert.equal(answer.concord.settlementError, undefined);
  assert.equal(answer.concord.settlement?.credits, '28');
  assert.equal(await creditsOf(nodes[1]!.ctx), before - 28n);
});

it('remembers its peers: node 0, restarted with its data dir and no bootstrap list, dials node 1 again', async () => {
  const [zero, one] = nodes as [RunningNode, RunningNode];
  assert.ok(zero.store.peers.get(one.peerId), 'node 0 remembers node 1');
  assert.ok(one.store.peers.get(zero.peerId), 'node 1 remembers node 0');
  await zero.stop();
  nodes[0] = await startNode({
    rpcUrl: chain.anvil.rpcUrl,
    deploymentFile: join(dir, 'deployment.json'),
    dataDir: join(dir, 'node0'),
    keyFile: join(dir, 'node0.key'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    apiPort: 0,
    log: () => undefined,
    version: 'local',
    replicas: 2,
    shardsPerMatrix: 1,
  });
  assert.equal(nodes[0].peerId, zero.peerId);
  await waitFor(
    () => one.host.getConnections(nodes[0]!.host.peerId).length > 0,
    'node 0 to dial node 1',
    10_000,
  );
});
