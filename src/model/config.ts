import { InvalidGptConfigError } from './errors.ts';

/** Hyper-parameters of a GPT-2-architecture model (pre-LN, tied output head, GELU MLP). */
export type GptConfig = {
  /** Number of token ids. */
  readonly vocabSize: number;
  /** Maximum sequence length (rows of the position embedding). */
  readonly contextLength: number;
  /** Width of the residual stream, C. */
  readonly dModel: number;
  /** Attention heads; dModel must be divisible by it. */
  readonly nHeads: number;
  /** Transformer blocks. */
  readonly nLayers: number;
  /** MLP hidden width = mlpRatio * dModel (4 in GPT-2). */
  readonly mlpRatio: number;
  /** Epsilon of every layer norm (1e-5 in GPT-2). */
  readonly layerNormEps: number;
};

/** The fields a caller must give; mlpRatio and layerNormEps default to GPT-2's. */
export type GptConfigInput = Omit<GptConfig, 'mlpRatio' | 'layerNormEps'> &
  Partial<Pick<GptConfig, 'mlpRatio' | 'layerNormEps'>>;

/** Largest accepted value of each integer field (guards against absurd allocations). */
const LIMITS = {
  vocabSize: 1 << 20,
  contextLength: 1 << 16,
  dModel: 1 << 14,
  nHeads: 1 << 10,
  nLayers: 1 << 10,
  mlpRatio: 64,
} as const;

function checkInteger(field: keyof typeof LIMITS, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new InvalidGptConfigError(field, `must be an integer (got ${String(value)})`);
  }
  if (value < 1 || value > LIMITS[field]) {
    throw new InvalidGptConfigError(field, `must be in [1, ${LIMITS[field]}] (got ${value})`);
  }
  return value;
}

/** Validates a config and fills in defaults; throws InvalidGptConfigError naming the bad field. */
export function makeGptConfig(input: GptConfigInput): GptConfig {
  const eps = input.layerNormEps ?? 1e-5;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0 || eps >= 1) {
    throw new InvalidGptConfigError('layerNormEps', `must be a finite number in (0, 1) (got ${String(eps)})`);
  }
  const config: GptConfig = {
    vocabSize: checkInteger('vocabSize', input.vocabSize),
    contextLength: checkInteger('contextLength', input.contextLength),
    dModel: checkInteger('dModel', input.dModel),
    nHeads: checkInteger('nHeads', input.nHeads),
    nLayers: checkInteger('nLayers', input.nLayers),
    mlpRatio: checkInteger('mlpRatio', input.mlpRatio ?? 4),
    layerNormEps: eps,
  };
  if (config.dModel % config.nHeads !== 0) {
    throw new InvalidGptConfigError(
      'nHeads',
      `must divide dModel (${config.dModel} is not a multiple of ${config.nHeads})`,
    );
  }
  return config;
}

/** Width of one attention head, dModel / nHeads. */
export function headDim(config: GptConfig): number {
  return config.dModel / config.nHeads;
}

/** Width of the MLP hidden layer, mlpRatio * dModel. */
export function mlpDim(config: GptConfig): number {
  return config.mlpRatio * config.dModel;
}

/**
 * The network's own character-level model: ~0.8 M parameters, about
 * 5 MFLOP per trained token, so 2 CPU cores push a few hundred to a few
 * thousand tokens/s and a useful model trains in 10–20 minutes. The vocabulary
 * (97) is `CharTokenizer.printableAscii()`: the unknown id, newline and the
 * 95 printable ASCII characters.
 */
export const CHAR_SMALL: GptConfig = makeGptConfig({
  vocabSize: 97,
  contextLength: 128,
  dModel: 128,
  nHeads: 4,
  nLayers: 4,
});

/** OpenAI's GPT-2 small (124 M parameters), for weights imported from Hugging Face. */
export const GPT2_SMALL: GptConfig = makeGptConfig({
  vocabSize: 50257,
  contextLength: 1024,
  dModel: 768,
  nHeads: 12,
  nLayers: 12,
});

/** True when two configs describe the same architecture (field by field). */
export function sameConfig(a: GptConfig, b: GptConfig): boolean {
  return (
    a.vocabSize === b.vocabSize &&
    a.contextLength === b.contextLength &&
    a.dModel === b.dModel &&
    a.nHeads === b.nHeads &&
    a.nLayers === b.nLayers &&
    a.mlpRatio === b.mlpRatio &&
    a.layerNormEps === b.layerNormEps
  );
}
