import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { digestBytes } from '../src/core/digest.ts';
import { MemoryBlobs } from '../src/tasks/testing.ts';
import { parseWasmSpec, wasmKind } from '../src/tasks/wasm.ts';
import { executeWasm, type WasmExecutionResult } from '../src/wasm/execute.ts';
import { prepareWasmModule } from '../src/wasm/instrument.ts';
import { createSplitMix64 } from '../src/wasm/splitmix64.ts';
import { compileExample } from './buildExample.ts';
import { decodeCells, heatInput, heatReference, hotBlock } from './heat-equation/io.ts';
import { HEAT_EXAMPLE } from './heat-equation/params.ts';
import { decodePiOutput, piInput } from './monte-carlo-pi/io.ts';
import { PI_EXAMPLE } from './monte-carlo-pi/params.ts';

type Example = typeof PI_EXAMPLE | typeof HEAT_EXAMPLE;

async function runBoth(example: Example, input: Uint8Array, seed = 42n) {
  const module = await compileExample(example.dir, example.name);
  const exec = (metering: boolean): WasmExecutionResult =>
    executeWasm(prepareWasmModule(module, { entry: 'run', memoryPages: 64, metering }), {
      entry: 'run',
      input,
      maxOutputBytes: 1 << 20,
      seed,
      fuel: 1n << 40n,
    });
  return { metered: exec(true), plain: exec(false) };
}

/** The pi example's sampling in TypeScript on the same stream: the hit count must match exactly. */
function piHits(samples: number, seed: bigint): bigint {
  const rng = createSplitMix64(seed);
  const uniform = () => Number(BigInt.asUintN(64, rng.next()) >> 11n) * 2 ** -53;
  let hits = 0n;
  for (let i = 0; i < samples; i++) {
    const [x, y] = [uniform(), uniform()];
    if (x * x + y * y < 1) hits++;
  }
  return hits;
}

describe('wasm examples', () => {
  it('monte-carlo-pi: estimates pi, with the exact hit count of a TypeScript replay, metered or not', async () => {
    for (const seed of [42n, 7n]) {
      const { metered, plain } = await runBoth(PI_EXAMPLE, piInput(20_000), seed);
      assert.deepEqual(metered.output, plain.output);
      const out = decodePiOutput(metered.output);
      assert.equal(out.samples, 20_000n);
      assert.equal(out.hits, piHits(20_000, seed));
      assert.equal(out.estimate, (4 * Number(out.hits)) / 20_000);
      assert.ok(Math.abs(out.estimate - Math.PI) < 0.05, `estimate ${out.estimate}`);
    }
  });

  it('heat-equation: bit-identical to the TypeScript reference, metered or not (property)', async () => {
    const module = await compileExample(HEAT_EXAMPLE.dir, HEAT_EXAMPLE.name);
    const prepared = prepareWasmModule(module, { entry: 'run', memoryPages: 4 });
    await fc.assert(
      fc.asyncProperty(
        fc.float64Array({
          minLength: 3,
          maxLength: 300,
          noNaN: true,
          noDefaultInfinity: true,
          min: -1e6,
          max: 1e6,
        }),
        fc.integer({ min: 0, max: 50 }),
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        async (cells, steps, r) => {
          const problem = { r, steps, cells };
          const input = heatInput(problem);
          const run = { entry: 'run', input, maxOutputBytes: input.length, seed: 0n, fuel: 1n << 40n };
          const out = executeWasm(prepared, run).output;
          assert.deepEqual(decodeCells(out), heatReference(problem));
        },
      ),
      { numRuns: 60 },
    );
    const { metered, plain } = await runBoth(HEAT_EXAMPLE, heatInput(hotBlock(500, 200)));
    assert.deepEqual(metered.output, plain.output);
    assert.deepEqual(decodeCells(metered.output), heatReference(hotBlock(500, 200)));
  });

  it('heat-equation: stays within the initial range (maximum principle)', async () => {
    const { metered } = await runBoth(HEAT_EXAMPLE, heatInput(hotBlock(100, 400)));
    const cells = decodeCells(metered.output);
    assert.ok(cells.every((v) => v >= 0 && v <= 100));
    assert.ok(cells[50]! < 100 && cells[50]! > 0);
  });

  for (const example of [PI_EXAMPLE, HEAT_EXAMPLE]) {
    it(`${example.name}: spec.json, ${example.name}.wasm and input.bin are built from the sources and run as a task`, async () => {
      const spec = parseWasmSpec(JSON.parse(readFileSync(new URL('spec.json', example.dir), 'utf8')));
      const module = readFileSync(new URL(`${example.name}.wasm`, example.dir));
      const input = readFileSync(new URL('input.bin', example.dir));
      assert.deepEqual(new Uint8Array(module), await compileExample(example.dir, example.name));
      assert.equal(spec.module, digestBytes(module));
      assert.equal(spec.input, digestBytes(input));
      const blobs = new MemoryBlobs();
      blobs.put(module);
      blobs.put(input);
      const output = await wasmKind.run(spec, blobs.context());
      assert.ok(output.length > 0 && output.length <= spec.maxOutputBytes);
    });

    it(`${example.name}: task.json is spec.json with the module and input named as files`, () => {
      const read = (file: string) => JSON.parse(readFileSync(new URL(file, example.dir), 'utf8')) as object;
      const template = read('task.json');
      assert.deepEqual(template, {
        ...read('spec.json'),
        module: `file:${example.name}.wasm`,
        input: 'file:input.bin',
      });
    });
  }
});
