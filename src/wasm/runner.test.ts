import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { BaseError } from '../core/errors.ts';
import type { WasmRunRequest } from './protocol.ts';
import { WasmRunner } from './runner.ts';
import * as M from './testModules.ts';
import { watToWasm } from './wat.ts';

const runner = new WasmRunner();
after(() => runner.close());

async function request(wat: string, o: Partial<WasmRunRequest> = {}): Promise<WasmRunRequest> {
  return {
    module: await watToWasm(wat),
    entry: 'run',
    input: new Uint8Array(0),
    fuel: 5_000_000n,
    memoryPages: 16,
    maxOutputBytes: 4096,
    seed: 3n,
    ...o,
  };
}

async function assertHealthy(r: WasmRunner = runner): Promise<void> {
  const result = await r.run(await request(M.ECHO_PLUS_ONE, { input: Uint8Array.of(1, 2, 3) }));
  assert.deepEqual([...result.output], [2, 3, 4]);
}

describe('WasmRunner (worker thread)', () => {
  it('runs a module and reports its output and fuel', async () => {
    const req = await request(M.CONTROL_FLOW, { input: Uint8Array.of(30) });
    const [a, b] = [await runner.run(req), await runner.run(req)];
    assert.equal(a.output.length, 8);
    assert.deepEqual(a, b);
    assert.ok(a.fuelUsed > 0n);
  });

  const runaways: [string, string, Partial<WasmRunRequest>, string][] = [
    ['an infinite loop', M.INFINITE_LOOP, {}, 'WasmFuelExhaustedError'],
    ['a memory bomb', M.MEMORY_BOMB, { memoryPages: 8 }, 'WasmFuelExhaustedError'],
    ['unreachable', M.UNREACHABLE, {}, 'WasmTrapError'],
    ['a division by zero', M.DIVIDE_BY_ZERO, {}, 'WasmTrapError'],
    ['oversized output', M.OUTPUT_FLOOD, {}, 'WasmOutputTooLargeError'],
    ['a read past the input', M.READ_PAST_INPUT, {}, 'WasmTrapError'],
    ['endless recursion', M.DEEP_RECURSION, { fuel: 1n << 40n }, 'WasmCallDepthError'],
    ['an invalid module', M.FOREIGN_IMPORT, {}, 'WasmImportNotAllowedError'],
    ['a data segment past its memory', M.DATA_OUT_OF_BOUNDS, {}, 'WasmTrapError'],
  ];
  for (const [what, wat, overrides, name] of runaways) {
    it(`stops ${what} with ${name} and stays healthy`, async () => {
      await assert.rejects(runner.run(await request(wat, overrides)), { name });
      await assertHealthy();
    });
  }

  it('keeps a memory bomb within memoryPages', async () => {
    const req = await request(M.MEMORY_BOMB, { memoryPages: 8 });
    await assert.rejects(runner.run(req), (err: BaseError) => err.details === 'Memory was at 8 pages.');
  });

  it('stops the output flood at maxOutputBytes exactly', async () => {
    const req = await request(M.OUTPUT_FLOOD, { maxOutputBytes: 3 * 1024 });
    await assert.rejects(
      runner.run(req),
      (err: Error) => err.name === 'WasmOutputTooLargeError' && /3072/.test(err.message),
    );
  });

  it('replaces the worker when the wall-clock backstop fires', async () => {
    const impatient = new WasmRunner({ timeoutMs: 200 });
    try {
      await assert.rejects(impatient.run(await request(M.INFINITE_LOOP, { fuel: 1n << 50n })), {
        name: 'WasmTimeoutError',
      });
      await assertHealthy(impatient);
    } finally {
      await impatient.close();
    }
  });

  it('stops a run when its signal aborts', async () => {
    const controller = new AbortController();
    const running = runner.run(await request(M.INFINITE_LOOP, { fuel: 1n << 50n }), controller.signal);
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(running, { name: 'WasmRunAbortedError' });
    await assertHealthy();
  });

  it('queues concurrent runs and answers each', async () => {
    const inputs = [1, 2, 3, 4].map((n) => Uint8Array.of(n));
    const results = await Promise.all(
      inputs.map(async (input) => runner.run(await request(M.ECHO_PLUS_ONE, { input }))),
    );
    assert.deepEqual(
      results.map((r) => r.output[0]),
      [2, 3, 4, 5],
    );
  });

  it('refuses runs after close with WasmRunnerClosedError', async () => {
    const closed = new WasmRunner();
    await closed.close();
    await assert.rejects(closed.run(await request(M.ECHO_PLUS_ONE)), { name: 'WasmRunnerClosedError' });
  });
});
