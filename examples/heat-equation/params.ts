import { heatInput, hotBlock } from './io.ts';

/** The example's task parameters, shared by its build script, tests and the benchmark. */
export const HEAT_EXAMPLE = {
  name: 'heat',
  dir: new URL('.', import.meta.url),
  nx: 1000,
  steps: 1000,
  fuel: 100_000_000,
  memoryPages: 4,
  maxOutputBytes: 8000,
  seed: '0',
} as const;

/** The example's input blob. */
export const heatExampleInput = (): Uint8Array => heatInput(hotBlock(HEAT_EXAMPLE.nx, HEAT_EXAMPLE.steps));
