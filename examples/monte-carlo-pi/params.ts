import { piInput } from './io.ts';

/** The example's task parameters, shared by its build script, tests and the benchmark. */
export const PI_EXAMPLE = {
  name: 'pi',
  dir: new URL('.', import.meta.url),
  samples: 1_000_000,
  fuel: 200_000_000,
  memoryPages: 1,
  maxOutputBytes: 24,
  seed: '42',
} as const;

/** The example's input blob. */
export const piExampleInput = (): Uint8Array => piInput(PI_EXAMPLE.samples);
