import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { latestVersion } from '../../src/chain/actions/latestVersion.ts';
import { modelCount } from '../../src/chain/actions/modelCount.ts';
import { type DevnetState, devnetLayout, readDevnetState } from '../../src/client/layout.ts';
import { prepareCheckpoint } from '../../src/client/modelCheckpoint.ts';
import { NodeClient } from '../../src/client/nodeClient.ts';
import { resolveChainReader } from '../../src/client/target.ts';
import type { TrainState } from '../../src/client/training/trainState.ts';
import { modelDigest } from '../../src/model/pieces/digest.ts';
import { SHIPPED_CHECKPOINT } from '../../src/model/shipped.ts';
import { hfGpt2File, hfGpt2FileWithNaN } from '../../src/model/testing/hfGpt2File.ts';
import { checkpointOpening } from '../../src/tasks/checkpointPieces.ts';
import { concord, concordJson, repoRoot } from './concordCli.ts';

// `concord model create`, `model versions`, `model publish` and `concord train` against a real
// devnet (anvil and two `concord node start` processes): a Hugging Face GPT-2 checkpoint
// registered and served, malformed files refused, and one training round stopped and resumed.
let tmp: string;
let dir: string;
let state: DevnetState;

/** GPT-2's vocabulary (the BPE tokenizer a converted checkpoint names needs all of it), 2 small layers. */
const shape = { vocab: 50257, d: 64, context: 32, layers: 2 };

/** Polls until `check` holds (every 250 ms, up to `ms`). */
async function until(what: string, ms: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('concord model create / versions / publish and concord train', { timeout: 240_000 }, () => {
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'concord-model-train-'));
    dir = join(tmp, 'net');
    const up = await concord(['devnet', '--nodes', '2', '--detach', '--no-demo', '--dir', dir, '--json']);
    assert.equal(up.code, 0, up.stderr);
    state = readDevnetState(devnetLayout(dir));
  });
  after(async () => {
    await concord(['devnet', 'down', '--dir', dir]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('registers a Hugging Face GPT-2 checkpoint (converted, GPT-2 BPE) and the nodes serve it', async () => {
    const file = join(tmp, 'model.safetensors');
    const bytes = hfGpt2File(shape);
    writeFileSync(file, bytes);
    const created = await concordJson<{ modelId: string; digest: Hex; source: string; name: string }>([
      'model',
      'create',
      file,
      '--name',
      'tiny-gpt2',
      '--dir',
      dir,
    ]);
    assert.equal(created.source, 'gpt2');
    assert.equal(created.name, 'tiny-gpt2');
    const expected = modelDigest(checkpointOpening(prepareCheckpoint(bytes).bytes));
    assert.equal(created.digest, expected);
    const reader = await resolveChainReader({ dir });
    const modelId = BigInt(created.modelId);
    assert.equal(await modelCount(reader), modelId);
    assert.deepEqual(await latestVersion(reader, { modelId }), { index: 0n, digest: expected, taskId: 0n });
    // Nodes serve the newest model: node 1, which never held the file, loads it and is ready.
    const node1 = state.nodes[1]!.apiUrl;
    // (A node that asks before node 0 has read the new model is refused, fails, and retries at its next poll.)
    await until('node 1 to serve the new model', 90_000, async () => {
      const models = await new NodeClient(node1).models();
      return models.find((e) => e.concord.modelId === created.modelId)?.concord.state === 'ready';
    });
    const listed = await concordJson<{
      name: string;
      versions: { index: string; digest: Hex; served: string }[];
    }>(['model', 'versions', '--model', created.modelId, '--node', node1, '--dir', dir]);
    assert.equal(listed.name, 'tiny-gpt2');
    assert.deepEqual(listed.versions, [{ index: '0', digest: expected, task: '0', served: 'ready' }]);
  });

  it('refuses malformed checkpoints and bad flags with exit 2 and a named error, registering nothing', async () => {
    const reader = await resolveChainReader({ dir });
    const models = await modelCount(reader);
    const file = (name: string, bytes: Uint8Array) => {
      writeFileSync(join(tmp, name), bytes);
      return join(tmp, name);
    };
    const wrongShape = hfGpt2File(shape, (t) => {
      t['h.1.attn.c_proj.weight'] = { dtype: 'f32', shape: [64, 128], data: new Float32Array(64 * 128) };
    });
    const cases: [string[], RegExp][] = [
      [
        ['model', 'create', file('text.safetensors', new TextEncoder().encode('not a model'))],
        /Safetensors\w+Error/,
      ],
      [['model', 'create', file('shape.safetensors', wrongShape)], /TensorShapeMismatchError/],
      [['model', 'create', file('nan.safetensors', hfGpt2FileWithNaN(shape))], /SafetensorsNonFiniteError/],
      [['model', 'versions', '--model', String(models + 1n)], /There is no model/],
      [['train', '--model', '1', '--data', tmp], /needs --checkpoint FILE/],
    ];
    // One CLI process each, side by side: each spends most of its time starting.
    const runs = await Promise.all(cases.map(([args]) => concord([...args, '--dir', dir])));
    for (const [i, run] of runs.entries()) {
      const [args, error] = cases[i]!;
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^error: UsageError: /m);
      assert.match(run.stderr, error, args.join(' '));
    }
    assert.equal(await modelCount(reader), models);
  });

  it('trains a round through the CLI; stopped after creating its tasks, a restart re-attaches to them and publishes', async () => {
    const created = await concordJson<{ modelId: string; digest: Hex; source: string }>([
      'model',
      'create',
      SHIPPED_CHECKPOINT,
      '--name',
      'char',
      '--dir',
      dir,
    ]);
    assert.equal(created.source, 'concord');
    const text = 'We the people of the network, in order to form a more perfect model, train it together. ';
    const dataDir = join(tmp, 'corpus');
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'a.txt'), text.repeat(12));
    writeFileSync(join(dataDir, 'b.txt'), text.repeat(12));
    const stateFile = join(dataDir, '.concord', `train-${created.modelId}.json`);
    const args = ['train', '--model', created.modelId, '--checkpoint', SHIPPED_CHECKPOINT, '--data', dataDir];
    const target = ['--tasks', '2', '--dir', dir, '--json'];

    // First run: stopped with Ctrl-C once both gradient tasks are created (the state file says so).
    const child = spawn(process.execPath, [join(repoRoot, 'bin/concord.mjs'), ...args, ...target], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await until('the first run to create both gradient tasks', 60_000, () => {
      if (!existsSync(stateFile)) return false;
      const s = JSON.parse(readFileSync(stateFile, 'utf8')) as TrainState;
      return (s.current?.gradientTasks.length ?? 0) === 2;
    });
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    const stopped = JSON.parse(readFileSync(stateFile, 'utf8')) as TrainState;
    assert.equal(stopped.rounds.length, 0);
    const recorded = stopped.current!;

    // The restart re-attaches to the recorded pool and tasks, creates only the aggregate, and publishes.
    const out = await concordJson<{
      rounds: { version: string; digest: Hex; aggregateTask: string }[];
      trained: {
        pool: Hex;
        gradientTasks: string[];
        aggregateTask: string;
        resumed: boolean;
        version: string;
      }[];
    }>([...args, ...target.slice(0, -1)]);
    const [round] = out.trained;
    assert.ok(round);
    assert.equal(round.resumed, true);
    assert.equal(round.pool, recorded.pool);
    assert.deepEqual(round.gradientTasks, recorded.gradientTasks);
    const node0 = new NodeClient(state.nodes[0]!.apiUrl);
    const inPool = (await node0.tasks({ pool: recorded.pool, limit: 100 })).tasks.map((t) => t.id).sort();
    assert.deepEqual(
      inPool,
      [...recorded.gradientTasks, round.aggregateTask].sort(),
      'no task created twice',
    );
    const reader = await resolveChainReader({ dir });
    const latest = await latestVersion(reader, { modelId: BigInt(created.modelId) });
    assert.equal(latest.index, 1n);
    assert.equal(round.version, '1');
    assert.deepEqual(out.rounds, [
      { base: '0', version: '1', digest: latest.digest, aggregateTask: round.aggregateTask },
    ]);
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as TrainState;
    assert.equal(saved.current, null);

    // Publishing the same aggregate again is refused by the registry.
    const twice = await concord([
      'model',
      'publish',
      '--model',
      created.modelId,
      '--digest',
      latest.digest,
      '--dir',
      dir,
    ]);
    assert.notEqual(twice.code, 0);
    assert.match(twice.stderr, /ModelTaskAlreadyPublished|already/i);
  });
});
