/** Builds pi.wasm, input.bin and spec.json. Run: node bin/run.mjs examples/monte-carlo-pi/build.ts */
import { buildExample } from '../buildExample.ts';
import { PI_EXAMPLE, piExampleInput } from './params.ts';

await buildExample({ ...PI_EXAMPLE, input: piExampleInput() });
