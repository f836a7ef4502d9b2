import type { LineLog, LogLevel } from './logger.ts';

/** Options of {@link createLogOnce}. */
export type LogOnceOptions = {
  /** How long repeats of one key are held back before a summary (default 60 s). */
  windowMs?: number;
  /** The clock (tests inject one). */
  now?: () => number;
};

/** Logs a line per key once per window; see {@link createLogOnce}. */
export type LogOnce = (key: string, line: string, level?: LogLevel) => void;

/**
 * Wraps `log` so a repeated failure (same key: the place and the error
 * code) is logged once, and its repeats within the window only counted;
 * the first occurrence after the window logs the line with
 * "(repeated N times in the last M s)". Keys not seen for a window are
 * dropped (with any count not yet summarized), so memory stays bounded by
 * the failures of one window.
 */
export function createLogOnce(log: LineLog, options: LogOnceOptions = {}): LogOnce {
  const windowMs = options.windowMs ?? 60_000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, { since: number; repeats: number }>();
  return (key, line, level) => {
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
        level,
      );
    } else {
      log(line, level);
    }
  };
}

/** Logs the changes of state of things that fail repeatedly; see {@link createOutageLog}. */
export type OutageLog = {
  /** An attempt on `key` failed: the first failure after a success logs `line`; later ones are only counted. */
  failed(key: string, line: string): void;
  /** An attempt on `key` succeeded: after failures, logs `line` with how long it was down and how many attempts failed. */
  recovered(key: string, line: string): void;
};

/**
 * Logs a failing thing (the chain, a peer) once per change of state instead
 * of once per attempt: `chain unreachable: <error>` at the first failure
 * (at `warn`), then on the first success `chain reachable again after 41 s
 * (12 failed attempts)`. Keys are dropped when they recover, so memory is
 * bounded by what is failing now.
 */
export function createOutageLog(log: LineLog, options: Pick<LogOnceOptions, 'now'> = {}): OutageLog {
  const now = options.now ?? Date.now;
  const down = new Map<string, { since: number; attempts: number }>();
  return {
    failed(key, line) {
      const entry = down.get(key);
      if (entry) {
        entry.attempts++;
        return;
      }
      down.set(key, { since: now(), attempts: 1 });
      log(line, 'warn');
    },
    recovered(key, line) {
      const entry = down.get(key);
      if (!entry) return;
      down.delete(key);
      const seconds = Math.round((now() - entry.since) / 1000);
      const attempts = `${entry.attempts} failed attempt${entry.attempts === 1 ? '' : 's'}`;
      log(`${line} after ${seconds} s (${attempts})`);
    },
  };
}
