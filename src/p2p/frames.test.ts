import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodeFrame, FrameReader } from './frames.ts';

async function* pieces(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let prev = 0;
  for (const cut of [...cuts.map((c) => c % (bytes.length + 1))].sort((a, b) => a - b)) {
    yield bytes.subarray(prev, cut);
    prev = cut;
  }
  yield bytes.subarray(prev);
}

test('frames followed by raw bytes are read back however the stream splits them', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 4 }),
      fc.uint8Array({ maxLength: 500 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      async (frames, tail, cuts) => {
        const wire = Buffer.concat([...frames.map(encodeFrame), tail]);
        const reader = new FrameReader(pieces(wire, cuts));
        for (const f of frames) assert.deepEqual(Buffer.from(await reader.readFrame(300)), Buffer.from(f));
        const rest: Uint8Array[] = [];
        for await (const c of reader.rest()) rest.push(c);
        assert.deepEqual(Buffer.concat(rest), Buffer.from(tail));
      },
    ),
    { numRuns: 200 },
  );
});

test('an over-limit length is refused before its body arrives; a cut frame is truncated', async () => {
  async function* headerOnly(): AsyncGenerator<Uint8Array> {
    yield new Uint8Array([0, 1, 0, 0]);
    throw new Error('the body must not be read');
  }
  await assert.rejects(new FrameReader(headerOnly()).readFrame(65535), { name: 'FrameTooLargeError' });
  await assert.rejects(new FrameReader(pieces(new Uint8Array([0, 0, 0, 9, 1]), [])).readFrame(100), {
    name: 'FrameTruncatedError',
  });
  await assert.rejects(new FrameReader(pieces(new Uint8Array([]), [])).readFrame(100), {
    name: 'FrameTruncatedError',
  });
});
