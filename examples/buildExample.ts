/**
 * Builds one wasm example: compiles its WAT with wabt to `<name>.wasm`,
 * writes its input blob to `input.bin`, writes `spec.json`, the task spec
 * with the real digests of both (for `POST /v1/tasks`), and `task.json`, the
 * same spec naming both files as `"file:PATH"` (relative to `task.json`) for
 * `concord task create --kind wasm --spec examples/<example>/task.json`, which
 * uploads them and puts their digests in their place.
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
  const template = { ...spec, module: `file:${b.name}.wasm`, input: 'file:input.bin' };
  writeFileSync(new URL('task.json', b.dir), `${JSON.stringify(template, null, 2)}\n`);
  console.log(
    `${b.name}.wasm ${module.length} bytes, input.bin ${b.input.length} bytes, spec.json and task.json written`,
  );
  return spec;
}
