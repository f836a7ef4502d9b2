/**
 * Model serving benchmark: three real node daemons (in this process: libp2p
 * on loopback, anvil) serve the shipped network model. Measures
 * 1. bring-up: from `createModel` (checkpoint held by node 0 only) until every
 *    node is ready (checkpoint fetched with purpose `host`, read, planned,
 *    shards served, gateway built), beside the baseline of reading the
 *    checkpoint and planning once in this process;
 * 2. generation through node 1's served gateway (its own host dialled from
 *    its gateway host, the others found through node 0), beside local
 *    `generate` of the same model, in the same run.
 * Run: node bin/run.mjs bench/modelServing.ts [tokens=16] [replicas=1]
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activeNodes } from '../src/chain/actions/activeNodes.ts';
import { createModel } from '../src/chain/actions/createModel.ts';
import { startDevChain } from '../src/chain/devChain.ts';
import { digestBytes } from '../src/core/digest.ts';
import { Gpt, generate, Rng } from '../src/model/index.ts';
import { SHIPPED_CHECKPOINT, SHIPPED_CHECKPOINT_NAME } from '../src/model/shipped.ts';
import type { RunningNode } from '../src/node/daemon.ts';
import { planVersion } from '../src/node/inference/planVersion.ts';
import { selfSignedRequest } from '../src/node/inference/querier.ts';
import { startLocalNodes } from '../src/node/localNodes.ts';
import { readCheckpoint } from '../src/tasks/checkpoint.ts';

const [tokens = 16, replicas = 1] = process.argv.slice(2).map(Number);
const NODES = 3;
const bytes = new Uint8Array(readFileSync(SHIPPED_CHECKPOINT));

const dir = mkdtempSync(join(tmpdir(), 'concord-bench-models-'));
const dev = await startDevChain({ actors: NODES });
const nodes: RunningNode[] = [];
try {
  nodes.push(
    ...(await startLocalNodes({
      chain: dev,
      dir,
      count: NODES,
      config: () => ({ replicas, shardsPerMatrix: 1 }),
    })),
  );

  const baselineStart = performance.now();
  const { params } = readCheckpoint(bytes);
  planVersion(digestBytes(bytes), params.config, await activeNodes(nodes[0]!.ctx), {
    replicas,
    standbys: 1,
    shardsPerMatrix: 1,
  });
  const baselineMs = performance.now() - baselineStart;

  const upStart = performance.now();
  const genesisDigest = nodes[0]!.store.blobs.putModel(bytes);
  await createModel(nodes[0]!.ctx, { name: 'concord-char', genesisDigest });
  const ready = () => nodes.every((n) => n.models.status()[0]?.state === 'ready');
  while (!ready()) await Promise.all(nodes.map((n) => n.models.refresh()));
  const upMs = performance.now() - upStart;

  const served = nodes[1]!.models.resolve();
  const prompt = served.tokenizer.encode('The state of the ');
  const options = { temperature: 0.8, topK: 40, seed: 3, maxNewTokens: tokens };
  const localStart = performance.now();
  const local = generate(new Gpt(params), prompt, new Rng(options.seed), options);
  const localMs = performance.now() - localStart;
  const auth = await selfSignedRequest(nodes[1]!.ctx, served, 0n, tokens); // a free session
  const session = served.gateway.openSession({ auth });
  const distributed: number[] = [];
  const distStart = performance.now();
  for await (const e of session.generate(prompt, options)) distributed.push(e.token);
  const distMs = performance.now() - distStart;
  if (distributed.join() !== local.join()) throw new Error('distributed tokens differ from local ones');

  const steps = prompt.length + tokens;
  console.log(
    `model serving, ${NODES} daemons, ${SHIPPED_CHECKPOINT_NAME}, replicas ${replicas}, 1 shard per matrix`,
  );
  console.log(
    `bring-up: createModel -> every node ready ${upMs.toFixed(0)} ms; baseline read + plan ${baselineMs.toFixed(0)} ms; ratio ${(upMs / baselineMs).toFixed(1)}`,
  );
  console.log(
    `generation (${prompt.length} prompt + ${tokens} new tokens, same tokens): served gateway ${(distMs / steps).toFixed(1)} ms/step, local ${(localMs / steps).toFixed(2)} ms/step; ratio ${(localMs / distMs).toFixed(3)} of local speed`,
  );
} finally {
  for (const n of nodes) await n.stop();
  await dev.stop();
  rmSync(dir, { recursive: true, force: true });
}
