import { add } from '../../tensor/index.ts';

/**
 * Token plus position embedding: out row r = wte[tokens[r]] + wpe[firstPos + r % T],
 * one f32 add per element, for `rows` tokens in sequences of length T.
 * Token ids are trusted here (the model checks them at its boundary).
 */
export function embed(
  wte: Float32Array,
  wpe: Float32Array,
  tokens: ArrayLike<number>,
  rows: number,
  T: number,
  C: number,
  firstPos: number,
  out: Float32Array, // (rows, C)
): void {
  for (let r = 0; r < rows; r++) {
    const tok = tokens[r] as number;
    const pos = firstPos + (r % T);
    add(
      wte.subarray(tok * C, tok * C + C),
      wpe.subarray(pos * C, pos * C + C),
      out.subarray(r * C, r * C + C),
    );
  }
}

/**
 * Gradient of `embed` (positions from 0): adds each row of dOut to the
 * gradients of its token and position rows, in row order, in f32. dwte and
 * dwpe are accumulated into, not overwritten.
 */
export function embedBackward(
  dOut: Float32Array, // (rows, C)
  tokens: ArrayLike<number>,
  rows: number,
  T: number,
  C: number,
  dwte: Float32Array, // (V, C)
  dwpe: Float32Array, // (contextLength, C)
): void {
  for (let r = 0; r < rows; r++) {
    const d = dOut.subarray(r * C, r * C + C);
    const tok = tokens[r] as number;
    const pos = r % T;
    const gt = dwte.subarray(tok * C, tok * C + C);
    add(gt, d, gt);
    const gp = dwpe.subarray(pos * C, pos * C + C);
    add(gp, d, gp);
  }
}
