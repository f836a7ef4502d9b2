/**
 * Child process of train.test.ts and gradient.test.ts: runs the tiny fixture
 * `train` task (or, with the argument `gradient`, the fixture `gradient`
 * task) and writes the result bytes, base64, to stdout, so the tests can
 * compare the bytes computed by separate processes.
 * Run: `node bin/run.mjs src/tasks/mlTaskChild.ts [train|gradient]`.
 */
import { gradientKind } from './gradient.ts';
import { tinyGradientSetup, tinyTrainSetup } from './mlFixtures.ts';
import { MemoryBlobs } from './testing.ts';
import { trainKind } from './train.ts';

const blobs = new MemoryBlobs();
const result =
  process.argv[2] === 'gradient'
    ? await gradientKind.run(tinyGradientSetup(blobs), blobs.context())
    : await trainKind.run(tinyTrainSetup(blobs), blobs.context());
process.stdout.write(Buffer.from(result).toString('base64'));
