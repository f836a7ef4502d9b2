/**
 * The server-sent events of the completion stream, as OpenAI sends them: one
 * `data: <json>` event per chunk and `data: [DONE]` at the end. Both ends of
 * the wire live here: the node formats, `concord ask` and tests parse.
 */

/** The data of the event that ends a completion stream. */
export const SSE_DONE = '[DONE]';

/** One event carrying `value` as JSON. */
export function sseEvent(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

/** The event that ends the stream. */
export const SSE_DONE_EVENT = `data: ${SSE_DONE}\n\n`;

/** The `data` of every complete event in `text` (multi-line data joined by `\n`; comments and other fields skipped). */
export function parseSseData(text: string): string[] {
  return splitEvents(text).events;
}

/** The data of each event of a streamed body, as the events complete. */
export async function* readSseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string, void, void> {
  const decoder = new TextDecoder();
  let rest = '';
  for await (const bytes of body) {
    const { events, tail } = splitEvents(rest + decoder.decode(bytes, { stream: true }));
    rest = tail;
    yield* events;
  }
  const last = splitEvents(`${rest}${decoder.decode()}\n\n`).events;
  yield* last;
}

/** Splits complete events (ended by a blank line) off `text`; `tail` is the unfinished rest. */
function splitEvents(text: string): { events: string[]; tail: string } {
  const normalized = text.replace(/\r\n?/g, '\n');
  const blocks = normalized.split('\n\n');
  const tail = blocks.pop() ?? '';
  const events: string[] = [];
  for (const block of blocks) {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
    if (data.length > 0) events.push(data.join('\n'));
  }
  return { events, tail };
}
