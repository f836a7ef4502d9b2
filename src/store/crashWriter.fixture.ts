// Child process of crash.test.ts: writes salts, commit records, blobs and
// model blobs (with their openings) to the store in a loop and acknowledges each on stdout only after the store
// call returned, until the parent SIGKILLs it.
import { writeSync } from 'node:fs';
import { crashBlobBytes, crashHex, crashModelBytes } from './crashFixtureData.ts';
import { openStore } from './openStore.ts';

const [dir, firstArg] = process.argv.slice(2);
const store = openStore(dir!);
writeSync(1, 'ready\n');
for (let i = Number(firstArg); ; i++) {
  const taskId = BigInt(i);
  store.journal.recordComputed({ taskId, resultDigest: crashHex(i, 1), salt: crashHex(i, 2) });
  writeSync(1, `S ${i}\n`);
  store.journal.advance(taskId, 'committed', { txHash: crashHex(i, 3) });
  writeSync(1, `C ${i}\n`);
  const digest = store.blobs.putBlob(crashBlobBytes(i));
  writeSync(1, `B ${i} ${digest}\n`);
  const model = store.blobs.putModel(crashModelBytes(i));
  writeSync(1, `M ${i} ${model}\n`);
}
