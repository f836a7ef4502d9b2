/**
 * Child process of train.test.ts: runs the tiny fixture train task and
 * writes the result bytes, base64, to stdout, so the test can compare the
 * bytes computed by separate processes.
 * Run: `node bin/run.mjs src/tasks/trainChild.ts`.
 */
import { tinyTrainSetup } from './mlFixtures.ts';
import { MemoryBlobs } from './testing.ts';
import { trainKind } from './train.ts';

const blobs = new MemoryBlobs();
const spec = tinyTrainSetup(blobs);
const result = await trainKind.run(trainKind.parseSpec(spec), blobs.context());
process.stdout.write(Buffer.from(result).toString('base64'));
