import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Address, type Hex, parseEther } from 'viem';
import { sharesAbi } from '../../generated/contracts/index.ts';
import { activeNodes } from '../../src/chain/actions/activeNodes.ts';
import { buyCredits } from '../../src/chain/actions/buyCredits.ts';
import { createModel } from '../../src/chain/actions/createModel.ts';
import { writeDeployment } from '../../src/chain/deployment.ts';
import { devAccount } from '../../src/chain/devAccounts.ts';
import { type DevChain, startDevChain } from '../../src/chain/devChain.ts';
import { sendAs } from '../../src/chain/devRpc.ts';
import { NodeClient } from '../../src/client/nodeClient.ts';
import { exchangeShardBytes, gptExchanges } from '../../src/inference/index.ts';
import { type GptConfig, GptParams, makeGptConfig } from '../../src/model/index.ts';
import { SHIPPED_CHECKPOINT } from '../../src/model/shipped.ts';
import { planVersion } from '../../src/node/inference/planVersion.ts';
import { localPlanTokens } from '../../src/node/testing/localDecode.ts';
import { type Checkpoint, readCheckpoint, writeCheckpoint } from '../../src/tasks/checkpoint.ts';
import { tokenizerFromMetadata } from '../../src/tasks/tokenizerMetadata.ts';
import { type NodeProcess, spawnNode, waitFor } from './nodeProcess.ts';

// A model bigger than any node: node processes each capped (`--max-model-memory`) at 40% of a
// GPT-2-architecture model's weights (random weights) serve it bit for bit as local decoding,
// each holding only its shards' pieces: four nodes at r = 1, then six at r = 2, where a host
// killed mid-answer is replaced by a standby holding that shard.
const SHARDS_PER_MATRIX = 4;
const STAKE = parseEther('300');
const START_TIMEOUT_MS = 120_000;
const MODEL = 'gpt2-big';
let dir: string;
let chain: DevChain;
let deploymentFile: string;
let config: GptConfig;
let model: Checkpoint;
/** Bytes of every shard of the model once (what r = 1 needs across the network). */
let modelBytes: number;
let cap: number;
const nodes: NodeProcess[] = [];
let replicas = 1;

const dataDir = (i: number) => join(dir, `node${i}`);
const keyFile = (i: number) => join(dir, `node${i}.key`);
const apiToken = (i: number) => readFileSync(join(dataDir(i), 'api-token'), 'utf8').trim();
const client = (i: number) => new NodeClient(nodes[i]!.info.apiUrl, apiToken(i));
const logs = () => nodes.map((n, i) => `--- node${i}\n${n.output.slice(-25).join('\n')}`).join('\n');

async function start(i: number): Promise<NodeProcess> {
  nodes[i] = await spawnNode(
    {
      rpcUrl: chain.anvil.rpcUrl,
      deploymentFile,
      keyFile: keyFile(i),
      dataDir: dataDir(i),
      bootstrap: i === 0 ? [] : nodes[0]!.info.multiaddrs,
      flags: [
        ...['--replicas', String(replicas), '--standbys', '1'],
        ...['--shards-per-matrix', String(SHARDS_PER_MATRIX), '--max-model-memory', String(cap)],
        ...['--credits-per-token', '1', '--stake', STAKE.toString()],
      ],
    },
    START_TIMEOUT_MS,
  );
  return nodes[i]!;
}

/** Each node's status of the model once each of the first `count` nodes serves it with all `count` as hosts. */
async function servedEverywhere(count: number) {
  return await Promise.all(
    nodes.slice(0, count).map((_, i) =>
      waitFor(
        `node${i} serving ${MODEL} over ${count} hosts`,
        async () => {
          const list = await client(i)
            .models()
            .catch(() => []);
          return list.find(
            (m) => m.id === MODEL && m.concord.state === 'ready' && m.concord.hosts.length === count,
          );
        },
        120_000,
        logs,
      ),
    ),
  );
}

async function localTokens(prompt: string, maxNewTokens: number): Promise<number[]> {
  const tokenizer = tokenizerFromMetadata(model.metadata, config.vocabSize);
  return await localPlanTokens(
    model.params,
    { shardsPerMatrix: SHARDS_PER_MATRIX },
    tokenizer.encode(prompt),
    { temperature: 0, seed: 0, maxNewTokens },
  );
}

/** Streams a greedy completion through node 0; calls `onToken` after each token. */
async function ask(
  prompt: string,
  maxTokens: number,
  onToken: (n: number) => Promise<void> = async () => {},
) {
  const tokens: number[] = [];
  for await (const chunk of client(0).streamCompletion({
    model: MODEL,
    prompt,
    max_tokens: maxTokens,
    temperature: 0,
  })) {
    assert.notEqual(chunk.choices[0]?.finish_reason, 'error', JSON.stringify(chunk));
    if (chunk.concord?.token !== undefined) {
      tokens.push(chunk.concord.token);
      await onToken(tokens.length);
    }
  }
  return tokens;
}

/**
 * Prints each node's held model bytes beside the model's and the cap, and checks them: within
 * the cap, and exactly the bytes of the shards the plan (recomputed here) gives the node.
 */
async function report(statuses: Awaited<ReturnType<typeof servedEverywhere>>, label: string) {
  const lines = statuses.map(
    (s, i) =>
      `node${i}: ${s.concord.hostedShards} shards, ${s.concord.hostedBytes} bytes = ${((100 * s.concord.hostedBytes) / modelBytes).toFixed(1)}% of the model (cap ${((100 * cap) / modelBytes).toFixed(0)}%)`,
  );
  console.log(`${label}: model ${modelBytes} bytes of shard weights\n${lines.join('\n')}`);
  const plan = await currentPlan(statuses[0]!.concord.digest);
  for (const [i, s] of statuses.entries()) {
    const me = nodes[i]!.info.address;
    const planned = plan.shards
      .filter((p) => p.hosts.includes(me) || p.standbys.includes(me))
      .reduce((sum, p) => sum + exchangeShardBytes(config, p.matrix, [p.rowStart, p.rowEnd]), 0);
    assert.ok(s.concord.hostedBytes <= cap, `node${i}: ${s.concord.hostedBytes} > cap ${cap}`);
    assert.equal(s.concord.hostedBytes, planned, `node${i} holds exactly its planned shards`);
  }
  return plan;
}

/** The plan every node computes for the model now. */
async function currentPlan(digest: Hex) {
  const sharding = { replicas, standbys: 1, shardsPerMatrix: SHARDS_PER_MATRIX };
  return planVersion(digest, config, await activeNodes(chain.deployer), sharding).plan;
}

before(
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'concord-e2e-big-'));
    chain = await startDevChain({ actors: 6 });
    deploymentFile = join(dir, 'deployment.json');
    writeDeployment(deploymentFile, chain.deployment);
    for (let i = 0; i < 6; i++) writeFileSync(keyFile(i), devAccount(i + 1).privateKey, { mode: 0o600 });
    const shipped = readCheckpoint(readFileSync(SHIPPED_CHECKPOINT));
    const vocabSize = shipped.params.config.vocabSize;
    config = makeGptConfig({ vocabSize, contextLength: 64, dModel: 64, nHeads: 4, nLayers: 3 });
    model = { params: GptParams.init(config, 18), metadata: shipped.metadata };
    modelBytes = gptExchanges(config).reduce(
      (sum, spec) => sum + exchangeShardBytes(config, spec, [0, spec.rows]),
      0,
    );
    cap = Math.floor(0.4 * modelBytes);
    await start(0);
    await Promise.all([1, 2, 3].map((i) => start(i)));
    const shares = { address: chain.deployment.addresses.shares, abi: sharesAbi } as const;
    await sendAs(chain.deployer, chain.deployment.addresses.taskMarket, {
      ...shares,
      functionName: 'mint',
      args: [chain.deployer.account.address, 1n, 1n],
    });
    await buyCredits(chain.actors[0]!, { credits: 10_000n });
    const genesisDigest = (await client(0).putModel(writeCheckpoint(model))) as Hex;
    await createModel(chain.deployer, { name: MODEL, genesisDigest });
  },
  { timeout: 300_000 },
);

after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a model bigger than any node (node processes capped at 40% of it)', { timeout: 600_000 }, () => {
  it('four nodes serve it at r = 1 bit for bit, each holding only its shards', async () => {
    const statuses = await servedEverywhere(4);
    await report(statuses, '4 nodes, r = 1');
    const total = statuses.reduce((sum, s) => sum + s.concord.hostedBytes, 0);
    assert.ok(total >= modelBytes, 'every shard is held somewhere');
    const prompt = 'The state of the';
    assert.deepEqual(await ask(prompt, 12), await localTokens(prompt, 12));
  });

  it('with two more nodes, a host killed mid-answer is replaced by a standby holding that shard', async () => {
    await Promise.all([4, 5].map((i) => start(i)));
    const statuses = await servedEverywhere(6);
    // A victim (not the gateway) whose every shard has a standby under the plan the nodes computed.
    const plan = await report(statuses, '6 nodes, r = 1');
    const hosting = (a: Address) => plan.shards.filter((s) => s.hosts.includes(a));
    const victim = [1, 2, 3, 4, 5].find((i) => {
      const shards = hosting(nodes[i]!.info.address);
      return shards.length > 0 && shards.every((s) => s.standbys.length > 0);
    });
    assert.ok(victim !== undefined, 'some host has a standby for each of its shards');
    const prompt = 'Union is strong';
    const tokens = await ask(prompt, 24, async (n) => {
      if (n === 4) await nodes[victim]!.stop();
    });
    assert.deepEqual(tokens, await localTokens(prompt, 24));
    const gone = nodes[victim]!.info.address;
    const failover = nodes[0]!.output.find((l) => l.includes(`host ${gone} retired`));
    assert.ok(
      failover?.includes('standbys:'),
      `the gateway moved the victim's shards to standbys: ${failover}`,
    );
    await start(victim);
  });

  it('six nodes serve it at r = 2 bit for bit', async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    replicas = 2;
    await start(0);
    await Promise.all([1, 2, 3, 4, 5].map((i) => start(i)));
    const statuses = await servedEverywhere(6);
    await report(statuses, '6 nodes, r = 2');
    const total = statuses.reduce((sum, s) => sum + s.concord.hostedBytes, 0);
    assert.ok(total >= 2 * modelBytes, 'every shard is held twice');
    const prompt = 'We the people';
    assert.deepEqual(await ask(prompt, 12), await localTokens(prompt, 12));
  });
});
