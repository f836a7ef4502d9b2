/** `err` itself when it is an Error, otherwise an Error carrying its text (for `stream.abort`). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
