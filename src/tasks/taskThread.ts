/**
 * Worker thread of `createTaskThreadPool` (src/tasks/taskRunner.ts): runs
 * each requested task with the built-in kinds and posts back the result
 * bytes, or the error's name and message.
 */
import { parentPort } from 'node:worker_threads';
import { inThreadRunner, type TaskThreadReply, type TaskThreadRequest } from './taskRunner.ts';

const port = parentPort;
if (!port) throw new Error('taskThread.ts must run in a worker thread');
const run = inThreadRunner();
port.on('message', async (request: TaskThreadRequest) => {
  let reply: TaskThreadReply;
  try {
    reply = { result: await run(request.kind, request.spec, new Map(request.blobs)) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    reply = { error: { name: e.name, message: e.message } };
  }
  port.postMessage(reply, 'result' in reply ? [reply.result.buffer as ArrayBuffer] : []);
});
