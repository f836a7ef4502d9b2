import { BaseError, type BaseErrorParameters } from '../core/errors.ts';

/** A GPT configuration field is missing, not an integer, out of range, or inconsistent. */
export class InvalidGptConfigError extends BaseError {
  override name = 'InvalidGptConfigError';
  constructor(field: string, problem: string, params: BaseErrorParameters = {}) {
    super(`Invalid GPT config: ${field} ${problem}.`, {
      hint: 'Use a preset (CHAR_SMALL, GPT2_SMALL) or fix the field; see docs/model.md.',
      ...params,
    });
  }
}

/** A token id is negative, not an integer, or not below the vocabulary size. */
export class TokenOutOfRangeError extends BaseError {
  override name = 'TokenOutOfRangeError';
  constructor(token: number, vocabSize: number) {
    super(`Token id ${token} is outside the vocabulary [0, ${vocabSize}).`, {
      hint: 'Encode text with the tokenizer that belongs to this model.',
    });
  }
}

/** A token sequence (or batch) does not fit the model's context or the prepared workspace. */
export class SequenceShapeError extends BaseError {
  override name = 'SequenceShapeError';
  constructor(problem: string, hint: string) {
    super(`Bad token sequence: ${problem}.`, { hint });
  }
}

/** An incremental decoder was asked for a step after its cache reached the context length. */
export class KvCacheFullError extends BaseError {
  override name = 'KvCacheFullError';
  constructor(contextLength: number) {
    super(`The KV cache is full: the model's context length is ${contextLength} tokens.`, {
      hint: 'Call reset() and continue from a shorter window of the text.',
    });
  }
}

/** A model file lacks a tensor that the configuration requires. */
export class MissingTensorError extends BaseError {
  override name = 'MissingTensorError';
  constructor(tensorName: string) {
    super(`The model file has no tensor "${tensorName}".`, {
      hint: 'Use a complete GPT-2 checkpoint in safetensors format (Hugging Face names).',
    });
  }
}

/** A model file has a tensor that is no parameter of a GPT-2 model. */
export class UnexpectedTensorError extends BaseError {
  override name = 'UnexpectedTensorError';
  constructor(tensorName: string) {
    super(`The model file has an unexpected tensor "${tensorName}".`, {
      hint: 'Only GPT-2 parameters (Hugging Face names, optional "transformer." prefix) are accepted.',
    });
  }
}

/** A tensor's shape differs from what the configuration requires. */
export class TensorShapeMismatchError extends BaseError {
  override name = 'TensorShapeMismatchError';
  constructor(tensorName: string, expected: readonly number[], actual: readonly number[]) {
    super(`Tensor "${tensorName}" has shape [${actual.join(', ')}], expected [${expected.join(', ')}].`, {
      hint: 'The file belongs to another model size, or its config metadata is wrong.',
    });
  }
}

/** A tensor has a dtype the model cannot use. */
export class UnsupportedModelDtypeError extends BaseError {
  override name = 'UnsupportedModelDtypeError';
  constructor(tensorName: string, dtype: string) {
    super(`Tensor "${tensorName}" has dtype ${dtype}; the model needs f32, f16 or bf16.`, {
      hint: 'Convert the checkpoint to a floating-point dtype.',
    });
  }
}

/** The `concord.gpt.config` metadata entry of a model file is not valid JSON of a config. */
export class InvalidModelMetadataError extends BaseError {
  override name = 'InvalidModelMetadataError';
  constructor(problem: string, params: BaseErrorParameters = {}) {
    super(`Invalid model metadata: ${problem}.`, {
      hint: 'Re-export the model with exportGpt, or remove the metadata so the config is inferred.',
      ...params,
    });
  }
}

/** An optimizer hyper-parameter is out of range. */
export class InvalidOptimizerOptionsError extends BaseError {
  override name = 'InvalidOptimizerOptionsError';
  constructor(field: string, problem: string) {
    super(`Invalid AdamW option: ${field} ${problem}.`, {
      hint: 'Use lr > 0, 0 <= beta < 1, eps > 0, weightDecay >= 0.',
    });
  }
}

/** A sampling option (temperature, top-k, top-p) is out of range, or the logits are unusable. */
export class InvalidSamplingOptionsError extends BaseError {
  override name = 'InvalidSamplingOptionsError';
  constructor(field: string, problem: string) {
    super(`Invalid sampling option: ${field} ${problem}.`, {
      hint: 'Use temperature >= 0, topK >= 0 (0 = off), 0 < topP <= 1.',
    });
  }
}

/** A character vocabulary is empty, has duplicates, or is not made of single characters. */
export class InvalidVocabularyError extends BaseError {
  override name = 'InvalidVocabularyError';
  constructor(problem: string) {
    super(`Invalid character vocabulary: ${problem}.`, {
      hint: 'Build the vocabulary with CharTokenizer.fromCorpus or pass distinct single characters.',
    });
  }
}

/** A random seed or stream id is not an integer in range. */
export class InvalidSeedError extends BaseError {
  override name = 'InvalidSeedError';
  constructor(field: string, problem: string) {
    super(`Invalid random ${field}: ${problem}.`, {
      hint: 'Seeds are integers in [0, 2^53) and stream ids integers in [0, 2^32), as named in the task spec.',
    });
  }
}

/** A flat parameter buffer has the wrong length for its config. */
export class ParamBufferSizeError extends BaseError {
  override name = 'ParamBufferSizeError';
  constructor(actual: number, expected: number) {
    super(`The flat parameter buffer has ${actual} elements; the config needs ${expected}.`, {
      hint: 'Allocate it with countParams(config) elements, or let GptParams allocate it.',
    });
  }
}

/** A parameter name is not part of the model. */
export class UnknownParameterError extends BaseError {
  override name = 'UnknownParameterError';
  constructor(paramName: string) {
    super(`The model has no parameter "${paramName}".`, {
      hint: 'Parameter names are Hugging Face GPT-2 names such as "h.0.attn.c_attn.weight"; see gptParamSpecs.',
    });
  }
}

/** backward() was called without a preceding loss() on the same model. */
export class BackwardWithoutLossError extends BaseError {
  override name = 'BackwardWithoutLossError';
  constructor() {
    super('backward() needs the activations of a preceding loss() call.', {
      hint: 'Call loss(tokens, targets) first; forward() alone does not keep what backward needs.',
    });
  }
}

/** A gradient buffer belongs to a model of another configuration. */
export class GradientShapeError extends BaseError {
  override name = 'GradientShapeError';
  constructor() {
    super('The gradient buffer does not match the model configuration.', {
      hint: 'Allocate gradients with new GptParams(model.config).',
    });
  }
}

/** A checkpoint has an output head (`lm_head.weight`) that differs from the token embedding. */
export class UntiedOutputHeadError extends BaseError {
  override name = 'UntiedOutputHeadError';
  constructor() {
    super("The checkpoint's lm_head.weight differs from wte.weight; Concord's GPT ties them.", {
      hint: 'Use a GPT-2 checkpoint with a tied head (every OpenAI GPT-2 size is tied).',
    });
  }
}

/** A training step produced a NaN or infinite loss or gradient. */
export class NonFiniteLossError extends BaseError {
  override name = 'NonFiniteLossError';
  constructor(what: string, value: number) {
    super(`Training diverged: the ${what} is ${value}.`, {
      hint: 'Lower the learning rate, enable gradient clipping (maxGradNorm), or check the data.',
    });
  }
}

/** A training batch or schedule does not fit the data or the model. */
export class InvalidTrainingSetupError extends BaseError {
  override name = 'InvalidTrainingSetupError';
  constructor(problem: string, hint: string) {
    super(`Invalid training setup: ${problem}.`, { hint });
  }
}

/** Saved optimizer state does not fit the optimizer (length, step count or values). */
export class InvalidOptimizerStateError extends BaseError {
  override name = 'InvalidOptimizerStateError';
  constructor(problem: string) {
    super(`Invalid AdamW state: ${problem}.`, {
      hint: 'Restore state saved from an optimizer of the same parameter count (AdamW.state).',
    });
  }
}

/** An n-gram draft model's options are out of range, or its tables (e.g. from a file) are inconsistent. */
export class InvalidNgramDraftError extends BaseError {
  override name = 'InvalidNgramDraftError';
  constructor(problem: string, params: BaseErrorParameters = {}) {
    super(`Invalid n-gram draft model: ${problem}.`, {
      hint: 'Train it with NgramDraft.train or read a file written by encodeNgramDraft (models/README.md).',
      ...params,
    });
  }
}

/** A leaf index or range is outside a model's piece layout, or a count of leaves or payloads is wrong. */
export class InvalidPieceRangeError extends BaseError {
  override name = 'InvalidPieceRangeError';
  constructor(problem: string, params: BaseErrorParameters = {}) {
    super(`Invalid piece range: ${problem}.`, {
      hint: "Take leaf ranges from pieceLayout(config) (attnLeaves, mlpLeaves, vocabLeaves) of the model's config.",
      ...params,
    });
  }
}

/** A piece payload is truncated, has the wrong size for its leaf, or its base header is not valid. */
export class MalformedPieceError extends BaseError {
  override name = 'MalformedPieceError';
  constructor(problem: string, params: BaseErrorParameters = {}) {
    super(`Malformed model piece: ${problem}.`, {
      hint: 'Fetch the piece again from a provider and verify it against the model root (verifyPieceRange).',
      ...params,
    });
  }
}
