import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import type { DevnetState } from '../../src/client/layout.ts';
import { digestBytes } from '../../src/core/digest.ts';
import { MemoryBlobs } from '../../src/tasks/testing.ts';
import { createWasmTaskKind, parseWasmSpec } from '../../src/tasks/wasm.ts';
import type { WasmRunner } from '../../src/wasm/runner.ts';
import { FOREIGN_IMPORT } from '../../src/wasm/testModules.ts';
import { watToWasm } from '../../src/wasm/wat.ts';
import { concord, concordJson, repoRoot, type TaskJson, waitForTaskEnd } from './concordCli.ts';

/** The running devnet the wasm example tests use: its directory, a scratch folder, and its state. */
export type WasmExampleNet = { dir: string; tmp: string; state: DevnetState; runner: WasmRunner };

// The two wasm examples through consensus on a real three-node devnet, submitted with the CLI.
const EXAMPLES = [
  { name: 'monte-carlo-pi', module: 'pi.wasm' },
  { name: 'heat-equation', module: 'heat.wasm' },
] as const;

/** The result digest this machine computes for an example, running the `wasm` kind locally. */
async function localResultDigest(runner: WasmRunner, example: (typeof EXAMPLES)[number]): Promise<string> {
  const folder = join(repoRoot, 'examples', example.name);
  const blobs = new MemoryBlobs();
  blobs.put(readFileSync(join(folder, example.module)));
  blobs.put(readFileSync(join(folder, 'input.bin')));
  const spec = parseWasmSpec(JSON.parse(readFileSync(join(folder, 'spec.json'), 'utf8')));
  return digestBytes(await createWasmTaskKind(runner).run(spec, blobs.context()));
}

/**
 * Registers the wasm example tests in the calling `describe`, on the devnet
 * `net()` returns once its `before` hook has run (one devnet serves the
 * devnet tests and these, instead of starting a second one).
 */
export function wasmExampleTests(net: () => WasmExampleNet): void {
  const listTaskIds = async () =>
    (await concordJson<{ tasks: TaskJson[] }>(['task', 'list', '--dir', net().dir])).tasks.map((t) => t.id);

  it('refuses a malformed module at creation with its error code, and creates no task', async () => {
    const { tmp, dir } = net();
    const template = JSON.parse(
      readFileSync(join(repoRoot, 'examples/monte-carlo-pi/task.json'), 'utf8'),
    ) as Record<string, unknown>;
    writeFileSync(join(tmp, 'input.bin'), readFileSync(join(repoRoot, 'examples/monte-carlo-pi/input.bin')));
    writeFileSync(join(tmp, 'random.wasm'), randomBytes(256));
    writeFileSync(join(tmp, 'foreign.wasm'), await watToWasm(FOREIGN_IMPORT.replace('"now"', '"foo"')));
    const before = await listTaskIds();
    for (const [file, code] of [
      ['random.wasm', 'WASM_INVALID_MODULE'],
      ['foreign.wasm', 'WASM_IMPORT_NOT_ALLOWED'],
    ] as const) {
      const specFile = join(tmp, `${file}.json`);
      writeFileSync(specFile, JSON.stringify({ ...template, module: `file:${file}` }));
      const run = await concord([
        'task',
        'create',
        '--kind',
        'wasm',
        '--spec',
        specFile,
        '--dir',
        dir,
        '--json',
      ]);
      assert.equal(run.code, 1, `${file}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, new RegExp(`HTTP 400 ${code}:`), run.stderr);
    }
    assert.deepEqual(await listTaskIds(), before);
  });

  it('finalizes both examples, submitted from their task.json, with the locally computed result', async () => {
    const { dir, state, runner } = net();
    const created = await Promise.all(
      EXAMPLES.map((example) =>
        concordJson<{ taskId: string }>([
          'task',
          'create',
          '--kind',
          'wasm',
          '--spec',
          `examples/${example.name}/task.json`,
          '--participants',
          '3',
          '--dir',
          dir,
        ]),
      ),
    );
    const expected = await Promise.all(EXAMPLES.map((example) => localResultDigest(runner, example)));
    await Promise.all(created.map((c) => waitForTaskEnd(state.nodes[0]!.apiUrl, c.taskId)));
    for (const [i, c] of created.entries()) {
      const shown = await concordJson<TaskJson>(['task', 'show', c.taskId, '--dir', dir]);
      assert.equal(shown.state, 'finalized', `${EXAMPLES[i]!.name}: ${JSON.stringify(shown)}`);
      assert.equal(shown.winner, expected[i], EXAMPLES[i]!.name);
      assert.ok(shown.payouts.length >= 2, 'at least the quorum was paid');
    }
  });
}
