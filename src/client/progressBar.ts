/** Where progress goes: a terminal that can redraw a line, or a plain log. */
export type ProgressSink = {
  /** Whether the output is a terminal (the bar is redrawn in place) or a file/pipe (one line per change). */
  readonly isTTY: boolean;
  write(text: string): void;
};

/** A sink that drops everything (for `--json`). */
export const SILENT_SINK: ProgressSink = { isTTY: false, write: () => undefined };

/** Width of the bar in characters, between the brackets. */
const BAR_WIDTH = 24;

/** One progress line: `label  [████████░░░░]  12/20  detail`. `done` is clamped to `[0, total]`. */
export function renderProgress(label: string, done: number, total: number, detail = ''): string {
  const safeTotal = Math.max(1, total);
  const clamped = Math.min(Math.max(0, done), safeTotal);
  const filled = Math.round((clamped / safeTotal) * BAR_WIDTH);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
  const count = `${clamped}/${safeTotal}`.padStart(7);
  return `${label.padEnd(10)} [${bar}] ${count}${detail === '' ? '' : `  ${detail}`}`;
}

/**
 * The progress of one stage as a one-line bar: redrawn in place on a
 * terminal, or written as a new line whenever it changes otherwise (logs
 * stay readable). `finish` ends the line.
 */
export class ProgressBar {
  #last = '';
  #open = false;

  constructor(
    private readonly sink: ProgressSink,
    private readonly label: string,
  ) {}

  /** Shows `done` of `total` with a short detail; writes nothing when the line did not change. */
  update(done: number, total: number, detail = ''): void {
    const line = renderProgress(this.label, done, total, detail);
    if (line === this.#last) return;
    this.#last = line;
    if (this.sink.isTTY) {
      this.sink.write(`\r${line}\x1b[K`);
      this.#open = true;
    } else {
      this.sink.write(`${line}\n`);
    }
  }

  /** Shows the final state and ends the bar's line. */
  finish(done: number, total: number, detail = ''): void {
    this.update(done, total, detail);
    if (this.#open) this.sink.write('\n');
    this.#open = false;
  }
}
