/**
 * Benchmarks the core encodings against plain baselines in one process:
 * the tensor codec and safetensors against a bare memory copy of the same
 * bytes (the floor any encoding must pay), and digestBytes against Node's
 * native OpenSSL sha2-256 directly (plus the pure-JS @noble/hashes fallback
 * that browser bundles use, for comparison).
 * Run: node bin/run.mjs bench/codec.ts
 */
import { createHash } from 'node:crypto';
import { sha256 as portableSha256 } from '@noble/hashes/sha2.js';
import { decodeTensor, encodeTensor } from '../src/core/codec.ts';
import { digestBytes } from '../src/core/digest.ts';
import { decodeSafetensors, encodeSafetensors } from '../src/core/safetensors.ts';
import type { Tensor } from '../src/core/tensor.ts';

/** Median time of `fn` in ms over `rounds` rounds, after one warm-up call. */
function time(fn: () => unknown, rounds = 7): number {
  fn();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
}

function report(
  label: string,
  bytes: number,
  ours: () => unknown,
  baseline: () => unknown,
  baselineName: string,
) {
  const a = time(ours);
  const b = time(baseline);
  const mbps = (ms: number) => ((bytes / 2 ** 20 / ms) * 1000).toFixed(0);
  console.log(
    `${label.padEnd(28)} ours ${a.toFixed(2).padStart(8)} ms (${mbps(a).padStart(5)} MiB/s)  ` +
      `${baselineName} ${b.toFixed(2).padStart(8)} ms (${mbps(b).padStart(5)} MiB/s)  ratio ${(a / b).toFixed(2)}x`,
  );
}

const elements = 4 * 2 ** 20; // 16 MiB of f32
const data = new Float32Array(elements);
for (let i = 0; i < elements; i++) data[i] = Math.fround((i % 1000) / 7 - 70);
const tensor: Tensor = { dtype: 'f32', shape: [2048, 2048], data };
const raw = new Uint8Array(data.buffer);
const memcpy = () => new Uint8Array(raw.length + 14).set(raw, 14);

const encoded = encodeTensor(tensor);
report('encodeTensor f32 16 MiB', raw.length, () => encodeTensor(tensor), memcpy, 'memcpy');
report('decodeTensor f32 16 MiB', raw.length, () => decodeTensor(encoded), memcpy, 'memcpy');

const f16: Tensor = { dtype: 'f16', shape: [elements], data: new Uint16Array(elements).fill(0x3c00) };
const f16Encoded = encodeTensor(f16);
const f16Copy = () => new Uint8Array(f16Encoded.length).set(f16Encoded);
report('decodeTensor f16 8 MiB', elements * 2, () => decodeTensor(f16Encoded), f16Copy, 'memcpy');

const model: Record<string, Tensor> = {};
for (let i = 0; i < 48; i++) {
  model[`layers.${i}.weight`] = {
    dtype: 'f32',
    shape: [256, 256],
    data: data.subarray(i * 65536, (i + 1) * 65536),
  };
}
const file = encodeSafetensors(model);
const fileCopy = () => new Uint8Array(file.length).set(file);
report('encodeSafetensors 48x256KiB', file.length, () => encodeSafetensors(model), fileCopy, 'memcpy');
report('decodeSafetensors 48x256KiB', file.length, () => decodeSafetensors(file), fileCopy, 'memcpy');

report(
  'digestBytes 16 MiB',
  encoded.length,
  () => digestBytes(encoded),
  () => createHash('sha256').update(encoded).digest(),
  'node:crypto',
);

const small = encoded.subarray(0, 4096);
const repeat = (fn: () => unknown) => () => {
  for (let i = 0; i < 100; i++) fn();
};
report(
  'digestBytes 4 KiB x100',
  small.length * 100,
  repeat(() => digestBytes(small)),
  repeat(() => createHash('sha256').update(small).digest()),
  'node:crypto',
);
report(
  'noble fallback 16 MiB',
  encoded.length,
  () => portableSha256(encoded),
  () => createHash('sha256').update(encoded).digest(),
  'node:crypto',
);
