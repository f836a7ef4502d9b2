import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { latestVersion } from '../../src/chain/actions/latestVersion.ts';
import { poolWinners } from '../../src/chain/actions/poolWinners.ts';
import { isRunning } from '../../src/chain/anvil.ts';
import { type DevnetState, devnetLayout, readDevnetState } from '../../src/client/layout.ts';
import { resolveChainReader, resolveNode } from '../../src/client/target.ts';
import { encodeTensor } from '../../src/core/codec.ts';
import { DEMO_PROMPT, DEMO_SAMPLING, waitForModelReady } from '../../src/devnet/askDemo.ts';
import { shippedTokenizer } from '../../src/devnet/genesis.ts';
import { DEVNET_CREDITS_PER_TOKEN } from '../../src/devnet/startDevnet.ts';
import { devnetAggregateSpec, devnetGradientSpecs, devnetShards } from '../../src/devnet/trainingRound.ts';
import { modelDigest } from '../../src/model/pieces/digest.ts';
import { SHIPPED_CHECKPOINT } from '../../src/model/shipped.ts';
import { DEFAULT_SHARDING } from '../../src/node/inference/planVersion.ts';
import { localPlanTokens } from '../../src/node/testing/localDecode.ts';
import { aggregateKind } from '../../src/tasks/aggregate.ts';
import { readCheckpoint } from '../../src/tasks/checkpoint.ts';
import { checkpointOpening } from '../../src/tasks/checkpointPieces.ts';
import { gradientKind } from '../../src/tasks/gradient.ts';
import { MemoryBlobs } from '../../src/tasks/testing.ts';
import { tokenizerFromMetadata } from '../../src/tasks/tokenizerMetadata.ts';
import { KERNEL_VERSION } from '../../src/tensor/index.ts';
import { WasmRunner } from '../../src/wasm/runner.ts';
import {
  type ConcordRun,
  concord,
  concordJson,
  repoRoot,
  type TaskJson,
  waitForTaskEnd,
} from './concordCli.ts';
import { wasmExampleTests } from './wasmExamples.ts';

// `concord devnet` for real: anvil and three `concord node start` processes on 127.0.0.1,
// a training round through the network, a streamed answer from node 1, and the wasm examples.
let tmp: string;
let dir: string;
let state: DevnetState;

type TaskJsonSummary = {
  id: string;
  state: string;
  winner: Hex | null;
  committee: string[];
  payouts: { account: string; amount: string }[];
};

type DevnetJson = {
  upSeconds: number;
  nodes: { address: string; apiUrl: string; stake: string; shares: string; credits: string }[];
  model: { id: string; name: string; version: string; digest: Hex } | null;
  training: {
    pool: Hex;
    baseVersion: string;
    trainTasks: TaskJsonSummary[];
    aggregateTask: TaskJsonSummary;
  } | null;
  answer: {
    prompt: string;
    text: string;
    tokens: number;
    session: Hex | null;
    querier: string;
    outvoted: string[];
    settlement: { txHash: Hex; credits: string; slashed: unknown[] } | null;
    settlementError?: string;
  } | null;
  answerError: string | null;
  demoSeconds: {
    training: number;
    ready: number | null;
    firstToken: number | null;
    answer: number | null;
  } | null;
};

const allPids = (s: DevnetState) => [s.anvilPid, ...s.nodes.map((n) => n.pid)];

/** The JSON summary `concord devnet --json` printed last, whatever its exit code (a failed answer still prints it). */
function summaryOf(run: ConcordRun): DevnetJson {
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as DevnetJson;
  } catch {
    throw new Error(`concord devnet printed no summary (exit ${run.code}):\n${run.stderr}\n${run.stdout}`);
  }
}

describe('concord devnet --nodes 3 --detach', { timeout: 600_000 }, () => {
  let run: ConcordRun;
  let up: DevnetJson;
  /** The checkpoint a local federated round computes from the same specs (filled by the training test). */
  let localCheckpoint: Uint8Array | undefined;
  const runner = new WasmRunner();

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'concord-devnet-'));
    dir = join(tmp, 'net');
    run = await concord(['devnet', '--nodes', '3', '--detach', '--dir', dir, '--json']);
    up = summaryOf(run);
    state = readDevnetState(devnetLayout(dir));
    // Timings for docs/devnet.md (printed, never asserted on).
    console.log(`devnet timings: up ${up.upSeconds} s, demo ${JSON.stringify(up.demoSeconds)}`);
  });

  after(async () => {
    await concord(['devnet', 'down', '--dir', dir]);
    await runner.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('comes up with three staked nodes', () => {
    assert.equal(up.nodes.length, 3);
    for (const n of up.nodes) assert.ok(BigInt(n.stake) > 0n, `node ${n.address} is staked`);
    assert.ok(allPids(state).every(isRunning));
  });

  it('trains a round through the network: three gradient tasks and an AdamW aggregate finalize, and version 1 is published', async () => {
    const { training, model } = up;
    assert.ok(training && model, `no training round: ${run.stderr}`);
    assert.equal(training.trainTasks.length, 3);
    for (const t of [...training.trainTasks, training.aggregateTask]) {
      assert.equal(t.state, 'finalized', `task ${t.id}`);
      assert.equal(t.committee.length, 3);
      assert.ok(t.payouts.length >= 2, `task ${t.id}: at least the quorum was paid`);
    }
    assert.equal(model.name, 'concord-char');
    assert.equal(model.version, '1');
    assert.equal(model.digest, training.aggregateTask.winner);
    const reader = await resolveChainReader({ dir });
    const latest = await latestVersion(reader, { modelId: BigInt(model.id) });
    assert.equal(latest.index, 1n);
    assert.equal(latest.digest, model.digest);
    assert.equal(latest.taskId, BigInt(training.aggregateTask.id));
    assert.deepEqual(
      await poolWinners(reader, { pool: training.pool }),
      training.trainTasks.map((t) => t.winner),
    );
  });

  it('publishes exactly the checkpoint a local round computes from the same specs', async () => {
    assert.ok(up.model && up.training);
    const base = readFileSync(SHIPPED_CHECKPOINT);
    const shards = devnetShards(shippedTokenizer(), 3, 0n);
    const blobs = new MemoryBlobs();
    const baseDigest = blobs.putModel(base);
    for (const shard of shards) blobs.put(shard.bytes);
    const winners: Hex[] = [];
    for (const spec of devnetGradientSpecs(baseDigest, 0n, shards)) {
      winners.push(blobs.put(await gradientKind.run(gradientKind.parseSpec(spec), blobs.context())));
    }
    assert.deepEqual(
      winners,
      up.training.trainTasks.map((t) => t.winner),
    );
    const spec = devnetAggregateSpec(winners, baseDigest, 0n);
    localCheckpoint = await aggregateKind.run(aggregateKind.parseSpec(spec), blobs.context());
    assert.equal(modelDigest(checkpointOpening(localCheckpoint)), up.model.digest);
  });

  it('streams an answer from node 1 equal to local generation from the published checkpoint, and settles it', async () => {
    assert.equal(run.code, 0, `the devnet did not answer: ${up.answerError}\n${run.stderr}`);
    const answer = up.answer;
    assert.ok(answer && localCheckpoint, 'an answer, and the local checkpoint from the test before');
    const { params, metadata } = readCheckpoint(localCheckpoint);
    const tokenizer = tokenizerFromMetadata(metadata, params.config.vocabSize);
    // The nodes serve with their default sharding; local decoding in that plan's order gives the same bits.
    const sharding = { shardsPerMatrix: DEFAULT_SHARDING.shardsPerMatrix };
    const tokens = await localPlanTokens(params, sharding, tokenizer.encode(DEMO_PROMPT), {
      maxNewTokens: DEMO_SAMPLING.max_tokens,
      seed: DEMO_SAMPLING.seed,
      temperature: DEMO_SAMPLING.temperature,
      topK: DEMO_SAMPLING.top_k,
    });
    assert.equal(answer.prompt, DEMO_PROMPT);
    assert.equal(answer.text, tokenizer.decode(tokens));
    assert.equal(answer.tokens, tokens.length);
    assert.equal(answer.querier, state.nodes[0]?.address);
    assert.match(answer.session ?? '', /^0x[0-9a-f]{64}$/);
    assert.ok(answer.settlement, `not settled: ${answer.settlementError}`);
    assert.equal(BigInt(answer.settlement.credits), BigInt(tokens.length) * DEVNET_CREDITS_PER_TOKEN);
    // Every node is honest: nobody may be outvoted, let alone slashed.
    assert.deepEqual(answer.outvoted, []);
    assert.deepEqual(answer.settlement.slashed, []);
  });

  it('task show and task list report the finalized gradient tasks', async () => {
    const train = up.training?.trainTasks[0];
    assert.ok(train);
    const [shown, list] = await Promise.all([
      concordJson<TaskJson>(['task', 'show', train.id, '--dir', dir]),
      concordJson<{ tasks: TaskJson[] }>(['task', 'list', '--state', 'finalized', '--dir', dir]),
    ]);
    assert.equal(shown.state, 'finalized');
    assert.equal(shown.winner, train.winner);
    assert.ok(list.tasks.some((t) => t.id === train.id));
  });

  it('balance and shares read every node from the chain; winners hold shares', async () => {
    const [balances, shares, one] = await Promise.all([
      concordJson<{ address: string; balance: string; stake: string }[]>(['balance', '--dir', dir]),
      concordJson<{ address: string; shares: string }[]>([
        'shares',
        '--task',
        up.training?.trainTasks[0]?.id ?? '',
        '--dir',
        dir,
      ]),
      concordJson<{ address: string }[]>(['balance', state.nodes[1]!.address, '--dir', dir]),
    ]);
    assert.deepEqual(
      balances.map((b) => b.address),
      state.nodes.map((n) => n.address),
    );
    const winners = new Set(up.training?.trainTasks[0]?.payouts.map((p) => p.account));
    for (const s of shares) assert.equal(BigInt(s.shares) > 0n, winners.has(s.address), s.address);
    assert.equal(one.length, 1);
  });

  it('task create uploads file: inputs, and the nodes finalize the new task', async () => {
    const w = new Float32Array(12).map((_, i) => i / 12 - 0.5);
    const x = new Float32Array(4).map((_, i) => 0.25 * i);
    writeFileSync(join(tmp, 'w.cct'), encodeTensor({ dtype: 'f32', shape: [3, 4], data: w }));
    writeFileSync(join(tmp, 'x.cct'), encodeTensor({ dtype: 'f32', shape: [4], data: x }));
    const specFile = join(tmp, 'spec.json');
    writeFileSync(
      specFile,
      JSON.stringify({ kernel: KERNEL_VERSION, matrix: 'file:w.cct', vector: 'file:x.cct' }),
    );
    const created = await concordJson<{ taskId: string }>([
      'task',
      'create',
      '--kind',
      'matvec',
      '--spec',
      specFile,
      '--participants',
      '3',
      '--stake-slash',
      '2',
      '--dir',
      dir,
    ]);
    // Poll the node's API directly (a CLI process per poll would be slow), then check through the CLI once.
    await waitForTaskEnd(state.nodes[0]!.apiUrl, created.taskId);
    const shown = await concordJson<TaskJson>(['task', 'show', created.taskId, '--dir', dir]);
    assert.equal(shown.state, 'finalized');
    assert.ok(shown.payouts.length >= 2);
  });

  wasmExampleTests(() => ({ dir, tmp, state, runner }));

  it('errors say what to do: bad flags exit 2, a missing devnet is named', async () => {
    const [bad, badReplicas, none, badAddress, badSlash] = await Promise.all([
      concord(['devnet', '--nodes', '0']),
      concord(['devnet', '--replicas', 'x']),
      concord(['task', 'list', '--dir', join(tmp, 'nothing-here')]),
      concord(['balance', '0x1234', '--dir', dir]),
      concord([
        'task',
        'create',
        '--kind',
        'matvec',
        '--spec',
        join(tmp, 'spec.json'),
        '--stake-slash',
        'x',
        '--dir',
        dir,
      ]),
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /UsageError: --nodes must be an integer 1\.\.9/);
    assert.equal(badReplicas.code, 2);
    assert.match(badReplicas.stderr, /UsageError: --replicas must be a positive integer/);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /DevnetNotFoundError/);
    assert.equal(badAddress.code, 1);
    assert.match(badAddress.stderr, /InvalidAddressError/);
    assert.equal(badSlash.code, 2);
    assert.match(badSlash.stderr, /UsageError: --stake-slash/);
  });

  it('devnet down stops every node and anvil; a second start resumes the chain, the shares and the trained model', async () => {
    const down = await concordJson<{ nodes: number; chain: boolean }>(['devnet', 'down', '--dir', dir]);
    assert.deepEqual(down, { nodes: 3, chain: true });
    assert.deepEqual(allPids(state).filter(isRunning), []);
    // The demo (the next round and an answer) is what the first start tested; the resume is about state.
    const again = await concordJson<DevnetJson>([
      'devnet',
      '--nodes',
      '3',
      '--detach',
      '--no-demo',
      '--dir',
      dir,
    ]);
    const node0 = state.nodes[0]!.address;
    assert.ok(up.training?.trainTasks.every((t) => t.payouts.some((p) => p.account === node0)));
    assert.equal(again.nodes[0]?.address, node0);
    // Shares carry over: at least those of the first run (the matvec and wasm tasks added more).
    assert.ok(BigInt(up.nodes[0]?.shares ?? 0) > 0n);
    assert.ok(BigInt(again.nodes[0]?.shares ?? 0) >= BigInt(up.nodes[0]?.shares ?? 0));
    // The trained version is still the model's latest, and the restarted nodes serve it.
    const reader = await resolveChainReader({ dir });
    const latest = await latestVersion(reader, { modelId: BigInt(up.model?.id ?? 0) });
    assert.equal(latest.index, 1n);
    assert.equal(latest.digest, up.model?.digest);
    await waitForModelReady(resolveNode({ dir }), 'concord-char', 1n, 120_000);
    console.log(`resumed devnet timings: up ${again.upSeconds} s`);
    const resumed = readDevnetState(devnetLayout(dir));
    await concord(['devnet', 'down', '--dir', dir]);
    assert.deepEqual(allPids(resumed).filter(isRunning), []);
  });
});

describe('concord devnet in the foreground', { timeout: 180_000 }, () => {
  it('Ctrl-C (SIGINT) stops the nodes and anvil and exits 0', async () => {
    const fg = mkdtempSync(join(tmpdir(), 'concord-devnet-fg-'));
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bin/concord.mjs'), 'devnet', '--nodes', '1', '--no-demo', '--dir', fg],
      { cwd: repoRoot },
    );
    let out = '';
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const serving = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('serving;')) resolve();
      }),
    );
    const exited = new Promise<string>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? String(code))),
    );
    await Promise.race([serving, exited]);
    const running = readDevnetState(devnetLayout(fg));
    assert.ok(allPids(running).every(isRunning), out);
    child.kill('SIGINT');
    assert.equal(await exited, '0', out);
    assert.deepEqual(allPids(running).filter(isRunning), []);
    rmSync(fg, { recursive: true, force: true });
  });
});
