/**
 * Benchmark of the aggregation rules against a plain copy of the same bytes.
 * Run: `node bin/run.mjs bench/aggregate.ts [updates] [parameters]`
 * (defaults: 16 updates of 1M f32 parameters). `fedAvg` runs its WebAssembly
 * SIMD path; its TypeScript reference (same bits) is timed too. The baseline copies the same
 * input bytes with `Float32Array.prototype.set`. Each operation is warmed up,
 * then timed alternately with the copy; the table shows the median time, the
 * input bytes processed per second, and the median ratio of the copy's time
 * to the operation's (speed / copy speed, both over the same input bytes).
 */
import { coordinateMedian } from '../src/core/aggregate/coordinateMedian.ts';
import { fedAvg } from '../src/core/aggregate/fedAvg.ts';
import { fedAvgReference } from '../src/core/aggregate/fedAvgReference.ts';
import { fedAvgWasmAvailable } from '../src/core/aggregate/fedAvgWasm.ts';
import { krum } from '../src/core/aggregate/krum.ts';
import { trimmedMean } from '../src/core/aggregate/trimmedMean.ts';

const count = Number(process.argv[2] ?? 16);
const parameters = Number(process.argv[3] ?? 1 << 20);
const inputBytes = count * parameters * 4;

function makeUpdates(): Float32Array[] {
  let state = 0x9e3779b9;
  return Array.from({ length: count }, () => {
    const u = new Float32Array(parameters);
    for (let j = 0; j < parameters; j++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      u[j] = (state >>> 0) / 2 ** 32 - 0.5;
    }
    return u;
  });
}

function elapsedMs(fn: () => unknown): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/**
 * Times `fn` and the copy baseline alternately, `reps` times after `warmup`
 * untimed rounds, so both see the same machine load. Returns the median time
 * of each and the median of the per-round ratios copy time / op time.
 */
function measure(
  fn: () => unknown,
  warmup: number,
  reps: number,
): { ms: number; copyMs: number; ratio: number } {
  for (let i = 0; i < warmup; i++) {
    fn();
    copy();
  }
  const times: number[] = [];
  const copyTimes: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < reps; i++) {
    const copyMs = elapsedMs(copy);
    const ms = elapsedMs(fn);
    times.push(ms);
    copyTimes.push(copyMs);
    ratios.push(copyMs / ms);
  }
  return { ms: median(times), copyMs: median(copyTimes), ratio: median(ratios) };
}

const updates = makeUpdates();
const weights = updates.map((_, i) => 100 + i);
const destination = new Float32Array(count * parameters);
function copy(): void {
  for (let i = 0; i < count; i++) destination.set(updates[i]!, i * parameters);
}

const rows: [string, ReturnType<typeof measure>][] = [
  ['copy (baseline)', measure(copy, 3, 11)],
  [
    fedAvgWasmAvailable ? 'fedAvg (WASM SIMD)' : 'fedAvg (TS, no wasm)',
    measure(() => fedAvg(updates, weights), 3, 15),
  ],
  ['fedAvg TS reference', measure(() => fedAvgReference(updates, weights), 3, 9)],
  ['trimmedMean(0.125)', measure(() => trimmedMean(updates, 0.125), 1, 5)],
  ['coordinateMedian', measure(() => coordinateMedian(updates), 1, 5)],
  ['krum(f=3)', measure(() => krum(updates, 3), 1, 3)],
];

const gbps = (ms: number) => (inputBytes / (ms / 1000) / 1e9).toFixed(2).padStart(9);
console.log(`${count} updates x ${parameters} f32 parameters (${(inputBytes / 2 ** 20).toFixed(0)} MiB in)`);
console.log('operation            median ms   GB/s in   copy GB/s   speed / copy');
for (const [name, { ms, copyMs, ratio }] of rows) {
  console.log(
    `${name.padEnd(20)} ${ms.toFixed(1).padStart(9)} ${gbps(ms)} ${gbps(copyMs).padStart(11)} ${ratio.toFixed(2).padStart(14)}`,
  );
}
console.log(`fedavg_speed / copy_speed = ${rows[1]![1].ratio.toFixed(2)} (target >= 0.5)`);
