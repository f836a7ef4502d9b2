/** Builds heat.wasm, input.bin and spec.json. Run: node bin/run.mjs examples/heat-equation/build.ts */
import { buildExample } from '../buildExample.ts';
import { HEAT_EXAMPLE, heatExampleInput } from './params.ts';

await buildExample({ ...HEAT_EXAMPLE, input: heatExampleInput() });
