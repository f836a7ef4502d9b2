import { fstatSync, writeSync } from 'node:fs';

/** Line writers for the process's stdout and stderr that never throw and never crash the process. */
export type ProcessOutput = {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Lines dropped so far because a write failed (disk full, closed pipe). */
  dropped(): number;
};

/** Writes text to one descriptor; throws when the write fails. */
type Sink = (text: string) => void;

/**
 * The CLI's output. A failed write (ENOSPC when the log file's disk is full,
 * EPIPE when the reader went away, ...) drops the line and counts it; the
 * first failure is said once on the other stream if that still works, and
 * the first line that gets through after failures says how many were
 * dropped. Regular files (a node's log, as the devnet spawns it) are written
 * straight to the descriptor, so writing resumes when space returns; pipes
 * and terminals go through `process.stdout`/`stderr`, whose asynchronous
 * `error` events are caught here so they never become an uncaught exception.
 */
export function createProcessOutput(): ProcessOutput {
  let dropped = 0;
  const out = channel(1, process.stdout);
  const err = channel(2, process.stderr);
  const fail = (failed: Channel, other: Channel, error: unknown) => {
    dropped++;
    if (failed.failing !== undefined) return;
    failed.failing = errorCode(error);
    const why = failed.failing === 'ENOSPC' || failed.failing === 'EDQUOT' ? 'disk full' : failed.failing;
    tryWrite(other.sink, `log writes failing: ${why}; dropping lines until they work again\n`);
  };
  process.stdout.on('error', (error) => fail(out, err, error));
  process.stderr.on('error', (error) => fail(err, out, error));
  const writer =
    (own: Channel, other: Channel) =>
    (line: string): void => {
      if (own.failing !== undefined) {
        if (!tryWrite(own.sink, `log writes resumed after ${own.failing}: ${dropped} line(s) dropped\n`)) {
          dropped++;
          return;
        }
        own.failing = undefined;
      }
      try {
        own.sink(`${line}\n`);
      } catch (error) {
        fail(own, other, error);
      }
    };
  return { stdout: writer(out, err), stderr: writer(err, out), dropped: () => dropped };
}

/** One output descriptor and the code of its failing writes, if they fail. */
type Channel = { sink: Sink; failing: string | undefined };

function channel(fd: number, stream: NodeJS.WriteStream): Channel {
  return { sink: sinkFor(fd, stream), failing: undefined };
}

function sinkFor(fd: number, stream: NodeJS.WriteStream): Sink {
  if (isRegularFile(fd)) {
    return (text) => {
      const bytes = Buffer.from(text);
      let off = 0;
      while (off < bytes.byteLength) off += writeSync(fd, bytes, off);
    };
  }
  return (text) => {
    if (stream.destroyed || stream.writableEnded)
      throw Object.assign(new Error('stream closed'), { code: 'EPIPE' });
    stream.write(text);
  };
}

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

function tryWrite(sink: Sink, text: string): boolean {
  try {
    sink(text);
    return true;
  } catch {
    return false;
  }
}

function errorCode(err: unknown): string {
  const code = err !== null && typeof err === 'object' && 'code' in err ? err.code : undefined;
  return typeof code === 'string' ? code : 'error';
}
