import wabtInit from 'wabt';

/**
 * Compiles WebAssembly text to a binary with wabt (a dev dependency): for
 * tests, the examples' build scripts and the benchmark, never for the
 * runtime, which only takes binaries. `features` turns on post-MVP syntax,
 * e.g. `{ simd: true }` to build a module the validator must refuse.
 */
export async function watToWasm(
  text: string,
  features: Parameters<Awaited<ReturnType<typeof wabtInit>>['parseWat']>[2] = {},
): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat('module.wat', text, {
    multi_value: true,
    sat_float_to_int: true,
    ...features,
  });
  try {
    return Uint8Array.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}
