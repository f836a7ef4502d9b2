/**
 * One inference host of bench/inference.ts, run as its own OS process (as a
 * node on its own machine would be): its own libp2p node on 127.0.0.1 and its
 * own copy of the model. Speaks JSON lines on stdin/stdout:
 *
 * 1. in `{ model: BenchModelSource, privateKey, hosts: Address[] }` → out
 *    `{ address, multiaddrs }` once the model is loaded and the node listens;
 * 2. in `{ serve: BenchPlanOptions }` → plans the shards as every process
 *    does, serves this host's (replacing the previous plan) → out `{ shards }`;
 * 3. in `{ stats: true }` → out `HostProcessStats` (the host's counters and the process's CPU time).
 *
 * Exits when stdin closes.
 * Usage: `node bin/run.mjs bench/support/inferenceHostProcess.ts` (spawned by the bench).
 */
import { createInterface } from 'node:readline';
import type { Address, Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { type InferenceHost, serveInference } from '../../src/inference/host.ts';
import { hostedShardsFromParams } from '../../src/inference/hostedShards.ts';
import { admitEverySession, TEST_DOMAIN } from '../../src/inference/testing.ts';
import { startTestHost } from '../../src/p2p/testing.ts';
import {
  type BenchModelSource,
  type BenchPlanOptions,
  benchPlan,
  type HostProcessStats,
  loadBenchModel,
  paramsDigest,
} from './inferenceModels.ts';

type Setup = { model: BenchModelSource; privateKey: Hex; hosts: Address[] };
type Command = { serve: BenchPlanOptions } | { stats: true };

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const reply = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

const first = await lines.next();
if (first.done) process.exit(0);
const setup = JSON.parse(first.value) as Setup;
const account = privateKeyToAccount(setup.privateKey);
const params = loadBenchModel(setup.model, 'js');
const digest = paramsDigest(params);
const libp2p = await startTestHost();
reply({ address: account.address, multiaddrs: libp2p.getMultiaddrs().map(String) });

let server: InferenceHost | undefined;
for (let next = await lines.next(); !next.done; next = await lines.next()) {
  const command = JSON.parse(next.value) as Command;
  if ('stats' in command) {
    const { user, system } = process.cpuUsage();
    const stats: HostProcessStats = { server: server?.stats ?? null, cpuMs: (user + system) / 1000 };
    reply(stats);
    continue;
  }
  await server?.stop();
  const plan = benchPlan(digest, params.config, setup.hosts, command.serve);
  const shards = hostedShardsFromParams(params, plan, account.address);
  server = await serveInference(libp2p, {
    domain: TEST_DOMAIN,
    signer: account,
    model: digest,
    config: params.config,
    admit: admitEverySession,
    shards,
  });
  reply({ shards: shards.length });
}
await server?.stop();
await libp2p.stop();
process.exit(0);
