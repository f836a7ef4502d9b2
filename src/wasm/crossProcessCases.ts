import type { WasmRunRequest } from './protocol.ts';
import * as M from './testModules.ts';
import { watToWasm } from './wat.ts';

/** The runs crossProcess.test.ts compares between processes. */
export const CROSS_PROCESS_CASES: { name: string; request: () => Promise<WasmRunRequest> }[] = [
  ['control flow', M.CONTROL_FLOW, [25]],
  ['random floats', M.RANDOM_FLOATS, [200]],
  ['NaN outputs', M.NAN_OUTPUTS, []],
  ['echo', M.ECHO_PLUS_ONE, [9, 8, 7]],
].map(([name, wat, input]) => ({
  name: name as string,
  request: async () => ({
    module: await watToWasm(wat as string),
    entry: 'run',
    input: Uint8Array.from(input as number[]),
    fuel: 50_000_000n,
    memoryPages: 4,
    maxOutputBytes: 4096,
    seed: 0xdeadbeefcafef00dn,
  }),
}));
