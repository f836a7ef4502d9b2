/**
 * Cost of fuel metering: each wasm example run metered (the way nodes run
 * tasks) against the same module prepared without metering, side by side in
 * this process, on this thread (no worker start-up in the figures), the two
 * interleaved. Prints the fastest time of each (the least disturbed by other
 * load on a shared machine) and the ratio; the target is at most 1.5x.
 * Run: node bin/run.mjs bench/wasm.ts [repeats=15]
 */

import { setFlagsFromString } from 'node:v8';
import { compileExample } from '../examples/buildExample.ts';
import { heatInput, hotBlock } from '../examples/heat-equation/io.ts';
import { HEAT_EXAMPLE } from '../examples/heat-equation/params.ts';
import { piInput } from '../examples/monte-carlo-pi/io.ts';
import { PI_EXAMPLE } from '../examples/monte-carlo-pi/params.ts';
import { executeWasm } from '../src/wasm/execute.ts';
import { prepareWasmModule } from '../src/wasm/instrument.ts';
import { WASM_MAX_FUEL, WASM_MAX_MEMORY_PAGES } from '../src/wasm/limits.ts';

// Compile as the runner's worker does (TurboFan only), so both variants run optimized code.
setFlagsFromString('--no-liftoff');

const TARGET_RATIO = 1.5;
const [repeats = 15] = process.argv.slice(2).map(Number);

const cases = [
  { label: 'monte-carlo-pi 4M samples', example: PI_EXAMPLE, input: piInput(4_000_000) },
  {
    label: 'heat-equation 4000 cells x 10000 steps',
    example: HEAT_EXAMPLE,
    input: heatInput(hotBlock(4000, 10_000)),
  },
];

let worst = 0;
for (const { label, example, input } of cases) {
  const module = await compileExample(example.dir, example.name);
  const limits = { entry: 'run', memoryPages: WASM_MAX_MEMORY_PAGES };
  const variants = {
    metered: prepareWasmModule(module, limits),
    baseline: prepareWasmModule(module, { ...limits, metering: false }),
  };
  const run = { entry: 'run', input, maxOutputBytes: 1 << 24, seed: 42n, fuel: BigInt(WASM_MAX_FUEL) };
  const times = { metered: [] as number[], baseline: [] as number[] };
  let fuelUsed = 0n;
  for (let i = 0; i <= repeats; i++) {
    for (const key of ['baseline', 'metered'] as const) {
      const start = performance.now();
      const result = executeWasm(variants[key], run);
      const ms = performance.now() - start;
      if (key === 'metered') fuelUsed = result.fuelUsed;
      if (i > 0) times[key].push(ms); // the first round warms up
    }
  }
  const [m, b] = [Math.min(...times.metered), Math.min(...times.baseline)];
  worst = Math.max(worst, m / b);
  console.log(
    `${label.padEnd(40)} unmetered ${b.toFixed(1).padStart(8)} ms  metered ${m.toFixed(1).padStart(8)} ms  ` +
      `ratio ${(m / b).toFixed(2)}x  fuel ${fuelUsed}`,
  );
}
console.log(`target: metered <= ${TARGET_RATIO}x unmetered: ${worst <= TARGET_RATIO ? 'met' : 'NOT met'}`);
