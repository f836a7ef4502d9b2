import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { digestBytes } from '../core/digest.ts';
import { CROSS_PROCESS_CASES } from './crossProcessCases.ts';
import { executeWasm } from './execute.ts';
import { prepareWasmModule } from './instrument.ts';

const root = new URL('../../', import.meta.url).pathname;

async function childRun(): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['bin/run.mjs', 'src/wasm/crossProcess.fixture.ts'],
    {
      cwd: root,
    },
  );
  return stdout.trim().split('\n');
}

describe('wasm runs across processes', () => {
  it('give identical outputs and fuel in two separate node processes and in this one', async () => {
    const [a, b] = await Promise.all([childRun(), childRun()]);
    assert.equal(a.length, CROSS_PROCESS_CASES.length);
    assert.deepEqual(a, b);
    for (const [i, c] of CROSS_PROCESS_CASES.entries()) {
      const req = await c.request();
      const result = executeWasm(prepareWasmModule(req.module, req), req);
      const line = { name: c.name, output: digestBytes(result.output), fuelUsed: String(result.fuelUsed) };
      assert.equal(a[i], JSON.stringify(line));
    }
  });
});
