/** Options of {@link createLogOnce}. */
export type LogOnceOptions = {
  /** How long repeats of one key are held back before a summary (default 60 s). */
  windowMs?: number;
  /** The clock (tests inject one). */
  now?: () => number;
};

/** Logs a line per key once per window; see {@link createLogOnce}. */
export type LogOnce = (key: string, line: string) => void;

/**
 * Wraps `log` so a repeated failure (same key: the place and the error
 * code) is logged once, and its repeats within the window only counted;
 * the first occurrence after the window logs the line with
 * "(repeated N times in the last M s)". Keys not seen for a window are
 * dropped (with any count not yet summarized), so memory stays bounded by
 * the failures of one window.
 */
export function createLogOnce(log: (line: string) => void, options: LogOnceOptions = {}): LogOnce {
  const windowMs = options.windowMs ?? 60_000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, { since: number; repeats: number }>();
  return (key, line) => {
    const t = now();
    const entry = seen.get(key);
    if (entry && t - entry.since < windowMs) {
      entry.repeats++;
      return;
    }
    for (const [k, e] of seen) if (t - e.since >= windowMs) seen.delete(k);
    seen.set(key, { since: t, repeats: 0 });
    if (entry && entry.repeats > 0) {
      log(
        `${line} (repeated ${entry.repeats + 1} times in the last ${Math.round((t - entry.since) / 1000)} s)`,
      );
    } else {
      log(line);
    }
  };
}
