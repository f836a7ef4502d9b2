/**
 * Child process of crossProcess.test.ts: runs each named test module through
 * a WasmRunner and prints one JSON line per module: output digest and fuel.
 * Run: node bin/run.mjs src/wasm/crossProcess.fixture.ts
 */
import { digestBytes } from '../core/digest.ts';
import { CROSS_PROCESS_CASES } from './crossProcessCases.ts';
import { WasmRunner } from './runner.ts';

const runner = new WasmRunner();
try {
  for (const c of CROSS_PROCESS_CASES) {
    const result = await runner.run(await c.request());
    console.log(
      JSON.stringify({ name: c.name, output: digestBytes(result.output), fuelUsed: String(result.fuelUsed) }),
    );
  }
} finally {
  await runner.close();
}
