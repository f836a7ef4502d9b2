/**
 * Builds one wasm example: compiles its WAT with wabt to `<name>.wasm`,
 * writes its input blob to `input.bin`, and writes `spec.json`, the task
 * spec with the real digests of both, ready for `concord task create`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { digestBytes } from '../src/core/digest.ts';
import { WASM_RUNTIME_VERSION } from '../src/wasm/limits.ts';
import { watToWasm } from '../src/wasm/wat.ts';

/** What an example's build script passes. */
export type ExampleBuild = {
  /** The example's folder (`new URL('.', import.meta.url)`). */
  dir: URL;
  /** The base name of the source: `<name>.wat` is compiled to `<name>.wasm`. */
  name: string;
  input: Uint8Array;
  fuel: number;
  memoryPages: number;
  maxOutputBytes: number;
  seed: string;
};

/** Compiles the example's WAT source to a module binary. */
export async function compileExample(dir: URL, name: string): Promise<Uint8Array> {
  return await watToWasm(readFileSync(new URL(`${name}.wat`, dir), 'utf8'));
}

/** Builds the example's files; returns the spec written. */
export async function buildExample(b: ExampleBuild): Promise<Record<string, unknown>> {
  const module = await compileExample(b.dir, b.name);
  writeFileSync(new URL(`${b.name}.wasm`, b.dir), module);
  writeFileSync(new URL('input.bin', b.dir), b.input);
  const spec = {
    kind: 'wasm',
    kernel: WASM_RUNTIME_VERSION,
    module: digestBytes(module),
    input: digestBytes(b.input),
    entry: 'run',
    fuel: b.fuel,
    memoryPages: b.memoryPages,
    maxOutputBytes: b.maxOutputBytes,
    seed: b.seed,
  };
  writeFileSync(new URL('spec.json', b.dir), `${JSON.stringify(spec, null, 2)}\n`);
  console.log(`${b.name}.wasm ${module.length} bytes, input.bin ${b.input.length} bytes, spec.json written`);
  return spec;
}
