/** Input, output and a TypeScript reference of the heat-equation example (see heat.wat). */

/** A heat-equation problem: `r = alpha dt / dx^2` (0 < r <= 0.5), steps, initial cells. */
export type HeatProblem = { r: number; steps: number; cells: Float64Array };

/** The input blob: u32 nx, u32 steps, f64 r, then the cells, little-endian. */
export function heatInput(p: HeatProblem): Uint8Array {
  const bytes = new Uint8Array(16 + 8 * p.cells.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, p.cells.length, true);
  view.setUint32(4, p.steps, true);
  view.setFloat64(8, p.r, true);
  for (const [i, v] of p.cells.entries()) view.setFloat64(16 + 8 * i, v, true);
  return bytes;
}

/** Decodes the output blob: the cells after the steps. */
export function decodeCells(bytes: Uint8Array): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float64Array.from({ length: bytes.byteLength / 8 }, (_, i) => view.getFloat64(8 * i, true));
}

/**
 * The same steps in TypeScript, with the same operation order as heat.wat;
 * f64 + - * are exact IEEE in both, so the result is bit-identical.
 */
export function heatReference(p: HeatProblem): Float64Array {
  let a = Float64Array.from(p.cells);
  let b = Float64Array.from(p.cells);
  const n = a.length;
  for (let s = 0; s < p.steps; s++) {
    for (let i = 1; i < n - 1; i++) b[i] = a[i]! + p.r * (a[i - 1]! - 2 * a[i]! + a[i + 1]!);
    [a, b] = [b, a];
  }
  return a;
}

/** A rod at 0 degrees with a 100-degree block in its middle fifth. */
export function hotBlock(nx: number, steps: number, r = 0.25): HeatProblem {
  const cells = Float64Array.from({ length: nx }, (_, i) =>
    i >= (2 * nx) / 5 && i < (3 * nx) / 5 ? 100 : 0,
  );
  return { r, steps, cells };
}
