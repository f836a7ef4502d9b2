import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseSseData, readSseData, SSE_DONE, SSE_DONE_EVENT, sseEvent } from './sse.ts';

async function collect(chunks: Uint8Array[]): Promise<string[]> {
  const out: string[] = [];
  async function* body() {
    yield* chunks;
  }
  for await (const d of readSseData(body())) out.push(d);
  return out;
}

describe('server-sent events', () => {
  it('round-trips JSON events and the end marker', () => {
    const text = sseEvent({ a: 'x\ny' }) + sseEvent([1, 2]) + SSE_DONE_EVENT;
    assert.deepEqual(parseSseData(text), ['{"a":"x\\ny"}', '[1,2]', SSE_DONE]);
  });

  it('skips comments and other fields and joins multi-line data', () => {
    assert.deepEqual(parseSseData(': ping\n\nevent: x\ndata: a\ndata:b\r\n\r\ndata: c'), ['a\nb']);
  });

  it('reads the same events however the bytes are split, even inside a UTF-8 character', async () => {
    const values = [{ text: 'é€😀' }, { n: 1 }, { text: '\n\n' }];
    const wire = new TextEncoder().encode(values.map(sseEvent).join('') + SSE_DONE_EVENT);
    const want = [...values.map((v) => JSON.stringify(v)), SSE_DONE];
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: wire.length - 1 }), { maxLength: 8 }),
        async (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), wire.length];
          const chunks = points.slice(1).map((end, i) => wire.slice(points[i], end));
          assert.deepEqual(await collect(chunks), want);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('delivers a last event that lacks its blank line', async () => {
    assert.deepEqual(await collect([new TextEncoder().encode('data: 1\n\ndata: 2')]), ['1', '2']);
  });
});
