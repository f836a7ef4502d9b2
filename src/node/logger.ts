import { type DestinationStream, pino } from 'pino';

/** The levels a node logs at, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How entries are written: `text`, one readable line each (the default); `json`, one JSON object a line. */
export const LOG_FORMATS = ['text', 'json'] as const;
/** One of {@link LOG_FORMATS}. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * The callback modules log through: one line, at `info` unless a level is
 * given. Any `(line) => void` is one, so tests can collect lines.
 */
export type LineLog = (line: string, level?: LogLevel) => void;

/** A node's logger: a method per level, and {@link NodeLogger.line} for the modules that take a {@link LineLog}. */
export type NodeLogger = {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** The {@link LineLog} that forwards to this logger. */
  line: LineLog;
};

/** Options of {@link createNodeLogger}. */
export type NodeLoggerOptions = {
  /** Entries below it are dropped (default `info`). */
  level?: LogLevel | undefined;
  /** Default `text`. */
  format?: LogFormat | undefined;
  /** Where each entry goes, one line without its newline. */
  write: (line: string) => void;
};

/**
 * A structured logger on pino. In `json` each entry is pino's JSON line
 * (`level` as its name, `time` as an ISO string, `msg`); in `text` it is
 * `TIME msg`, with the level named before `msg` when it is not `info`.
 */
export function createNodeLogger(options: NodeLoggerOptions): NodeLogger {
  const format = options.format ?? 'text';
  const destination: DestinationStream = {
    write: (chunk: string) => {
      const json = chunk.trimEnd();
      options.write(format === 'json' ? json : textLine(json));
    },
  };
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    debug: (msg) => logger.debug(msg),
    info: (msg) => logger.info(msg),
    warn: (msg) => logger.warn(msg),
    error: (msg) => logger.error(msg),
    line: (line, level = 'info') => logger[level](line),
  };
}

function textLine(json: string): string {
  const entry = JSON.parse(json) as { time: string; level: string; msg: string };
  return entry.level === 'info'
    ? `${entry.time} ${entry.msg}`
    : `${entry.time} ${entry.level.toUpperCase()} ${entry.msg}`;
}
