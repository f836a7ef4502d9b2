import { InvalidOptimizerOptionsError, InvalidOptimizerStateError, NonFiniteLossError } from './errors.ts';
import type { ParamSpec } from './params.ts';

/** Hyper-parameters of AdamW; defaults follow nanoGPT (beta2 0.95, weight decay 0.1). */
export type AdamWOptions = {
  /** Learning rate (> 0). */
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay, applied where the decay mask is 1. */
  weightDecay?: number;
  /** Clip the global gradient L2 norm to this value before the update; 0 or absent turns clipping off. */
  maxGradNorm?: number;
};

/** What one optimizer step saw. */
export type AdamWStepResult = {
  /** Global L2 norm of the gradient before clipping. */
  gradNorm: number;
  /** Number of steps taken so far, including this one. */
  step: number;
};

function checkRange(field: string, value: number, ok: boolean, problem: string): void {
  if (!Number.isFinite(value) || !ok)
    throw new InvalidOptimizerOptionsError(field, `${problem} (got ${value})`);
}

/**
 * A decay mask over a parameter layout: 1 for matrices and embeddings (2-D
 * tensors), 0 for biases and layer-norm parameters, as in nanoGPT.
 */
export function weightDecayMask(specs: readonly ParamSpec[]): Uint8Array {
  const last = specs[specs.length - 1];
  const mask = new Uint8Array(last ? last.offset + last.size : 0);
  for (const s of specs) if (s.shape.length >= 2) mask.fill(1, s.offset, s.offset + s.size);
  return mask;
}

/**
 * AdamW (Loshchilov & Hutter) with bias correction, in PyTorch's order:
 * p ← p·(1 − lr·wd·mask); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − lr·(m/(1−β1ᵗ)) / (sqrt(v/(1−β2ᵗ)) + eps). Each element is computed
 * in f64 from f32 state and stored back as f32; βᵗ comes from repeated
 * multiplication and the only function is Math.sqrt, so every node gets the
 * same bytes.
 */
export class AdamW {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly maxGradNorm: number;
  /** First and second moments, same layout as the parameters. */
  readonly m: Float32Array;
  readonly v: Float32Array;
  readonly #mask: Uint8Array | undefined;
  #step = 0;
  #beta1Pow = 1;
  #beta2Pow = 1;

  /** An optimizer for `size` parameters; `decayMask` (length size) limits weight decay, all decayed if absent. */
  constructor(size: number, options: AdamWOptions, decayMask?: Uint8Array) {
    this.lr = options.lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.95;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.1;
    this.maxGradNorm = options.maxGradNorm ?? 0;
    checkRange('lr', this.lr, this.lr > 0, 'must be > 0');
    checkRange('beta1', this.beta1, this.beta1 >= 0 && this.beta1 < 1, 'must be in [0, 1)');
    checkRange('beta2', this.beta2, this.beta2 >= 0 && this.beta2 < 1, 'must be in [0, 1)');
    checkRange('eps', this.eps, this.eps > 0, 'must be > 0');
    checkRange('weightDecay', this.weightDecay, this.weightDecay >= 0, 'must be >= 0');
    checkRange('maxGradNorm', this.maxGradNorm, this.maxGradNorm >= 0, 'must be >= 0');
    if (decayMask && decayMask.length !== size) {
      throw new InvalidOptimizerOptionsError(
        'decayMask',
        `must have ${size} elements (got ${decayMask.length})`,
      );
    }
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
    this.#mask = decayMask;
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.#step;
  }

  /** The state to checkpoint: views of the moments (copy them to keep them) and the step count. */
  get state(): AdamWState {
    return { m: this.m, v: this.v, step: this.#step };
  }

  /**
   * Continues from saved state: copies the moments and recomputes βᵗ by the
   * same repeated multiplication, so a restored run is bit-identical to an
   * uninterrupted one. Throws InvalidOptimizerStateError for a foreign state.
   */
  restore(state: AdamWState): void {
    const n = this.m.length;
    if (state.m.length !== n || state.v.length !== n) {
      throw new InvalidOptimizerStateError(
        `moments have ${state.m.length}/${state.v.length} elements, expected ${n}`,
      );
    }
    if (!Number.isSafeInteger(state.step) || state.step < 0) {
      throw new InvalidOptimizerStateError(`step must be an integer >= 0 (got ${state.step})`);
    }
    for (let i = 0; i < n; i++) {
      const m = state.m[i] as number;
      const v = state.v[i] as number;
      if (!Number.isFinite(m) || !Number.isFinite(v) || v < 0) {
        throw new InvalidOptimizerStateError(`element ${i} is not finite (or its second moment is negative)`);
      }
    }
    this.m.set(state.m);
    this.v.set(state.v);
    this.#step = state.step;
    this.#beta1Pow = 1;
    this.#beta2Pow = 1;
    for (let t = 0; t < state.step; t++) {
      this.#beta1Pow *= this.beta1;
      this.#beta2Pow *= this.beta2;
    }
  }

  /**
   * Updates `params` in place from `grads` (same length); `lr` overrides the
   * configured rate for a schedule. Throws NonFiniteLossError, before changing
   * anything, if the gradient holds NaN or an infinity.
   */
  step(params: Float32Array, grads: Float32Array, lr = this.lr): AdamWStepResult {
    if (params.length !== this.m.length || grads.length !== this.m.length) {
      throw new InvalidOptimizerOptionsError(
        'params/grads',
        `must have ${this.m.length} elements (got ${params.length} and ${grads.length})`,
      );
    }
    checkRange('lr', lr, lr > 0, 'must be > 0');
    const gradNorm = globalNorm(grads);
    if (!Number.isFinite(gradNorm)) throw new NonFiniteLossError('gradient norm', gradNorm);
    const clip =
      this.maxGradNorm > 0 && gradNorm > this.maxGradNorm ? this.maxGradNorm / (gradNorm + 1e-6) : 1;
    this.#step++;
    this.#beta1Pow *= this.beta1;
    this.#beta2Pow *= this.beta2;
    const { beta1: b1, beta2: b2, eps, m, v } = this;
    const bc1 = 1 - this.#beta1Pow;
    const bc2 = 1 - this.#beta2Pow;
    const decay = 1 - lr * this.weightDecay;
    const mask = this.#mask;
    for (let i = 0; i < params.length; i++) {
      const g = (grads[i] as number) * clip;
      m[i] = b1 * (m[i] as number) + (1 - b1) * g;
      v[i] = b2 * (v[i] as number) + (1 - b2) * g * g;
      let p = params[i] as number;
      if (!mask || mask[i] === 1) p *= decay;
      const mHat = (m[i] as number) / bc1; // from the stored f32 moment
      const vHat = (v[i] as number) / bc2;
      params[i] = p - (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
    return { gradNorm, step: this.#step };
  }
}

/** AdamW's resumable state: the moments and the number of steps taken. */
export type AdamWState = { readonly m: Float32Array; readonly v: Float32Array; readonly step: number };

/** L2 norm of a vector, summed in index order in f64. */
export function globalNorm(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const g = x[i] as number;
    s += g * g;
  }
  return Math.sqrt(s);
}
