import type { Hex } from 'viem';
import { coordinateMedian } from '../core/aggregate/coordinateMedian.ts';
import { fedAvg } from '../core/aggregate/fedAvg.ts';
import { serverStep } from '../core/aggregate/serverStep.ts';
import { trimmedMean } from '../core/aggregate/trimmedMean.ts';
import { AdamW, type AdamWState, weightDecayMask } from '../model/adamw.ts';
import { sameConfig } from '../model/config.ts';
import { GptParams } from '../model/params.ts';
import { type AggregateSpec, parseAggregateSpec } from './aggregateSpec.ts';
import { type Checkpoint, GRADIENT_METADATA_KEY, readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { TaskInputError } from './errors.ts';
import { defineTaskKind, type TaskContext, type TaskKind, throwIfTaskAborted } from './kind.ts';

export {
  AGGREGATE_RULES,
  type AggregateRule,
  type AggregateSpec,
  MAX_AGGREGATE_INPUTS,
  parseAggregateSpec,
} from './aggregateSpec.ts';

const KIND = 'aggregate';

/** Combines equal-length flat parameter vectors with the spec's rule (coordinate-wise, so tensor-wise too). */
function combine(spec: AggregateSpec, updates: Float32Array[]): Float32Array {
  switch (spec.rule) {
    case 'fedavg':
      return fedAvg(updates, spec.weights ?? updates.map(() => 1));
    case 'median':
      return coordinateMedian(updates);
    case 'trimmed-mean':
      return trimmedMean(updates, spec.beta ?? 0);
  }
}

/** Checks every checkpoint has the first one's architecture and metadata (tokenizer, ...). */
function checkCompatible(checkpoints: Checkpoint[]): void {
  const first = checkpoints[0] as Checkpoint;
  const meta = JSON.stringify(first.metadata);
  checkpoints.forEach((c, i) => {
    if (!sameConfig(c.params.config, first.params.config)) {
      throw new TaskInputError(
        `aggregate task: input ${i} has a different model architecture than input 0.`,
        {
          details: `${JSON.stringify(c.params.config)} vs ${JSON.stringify(first.params.config)}`,
          hint: 'Aggregate only train results of the same base model.',
        },
      );
    }
    if (
      (c.optimizer === undefined) !== (first.optimizer === undefined) ||
      c.optimizer?.step !== first.optimizer?.step
    ) {
      throw new TaskInputError(
        `aggregate task: input ${i} carries a different AdamW state (or step) than input 0.`,
        {
          hint: 'Aggregate only train results of one round: all with optimizer state at the same step, or none.',
        },
      );
    }
    if (JSON.stringify(c.metadata) !== meta) {
      throw new TaskInputError(`aggregate task: input ${i} has different checkpoint metadata than input 0.`, {
        hint: 'Aggregate only train results of the same base model (same tokenizer).',
      });
    }
  });
}

/** The blobs an aggregate task reads: its inputs, then its base if it has one. */
function blobsOf(spec: AggregateSpec): Hex[] {
  return spec.base === undefined ? [...spec.inputs] : [...spec.inputs, spec.base];
}

/** Reads the spec's base and checks it has the inputs' architecture. */
async function readBase(base: Hex, ctx: TaskContext, first: Checkpoint): Promise<Checkpoint> {
  const checkpoint = readCheckpoint(await ctx.getBlob(base));
  if (!sameConfig(checkpoint.params.config, first.params.config)) {
    throw new TaskInputError('aggregate task: the base has a different model architecture than the inputs.', {
      hint: 'Name as base the version the round trained from.',
    });
  }
  return checkpoint;
}

/** Checks the inputs are gradients exactly when the spec names a server optimizer. */
function checkInputContent(spec: AggregateSpec, first: Checkpoint): void {
  const gradients = first.metadata[GRADIENT_METADATA_KEY] !== undefined;
  if (gradients === (spec.serverOptimizer !== undefined)) return;
  throw new TaskInputError(
    gradients
      ? 'aggregate task: the inputs are gradients, but the spec names no serverOptimizer to apply them.'
      : 'aggregate task: serverOptimizer needs gradient task results as inputs, got model checkpoints.',
    { hint: 'Combine train results without serverOptimizer, gradient results with it.' },
  );
}

/**
 * Model averaging: `rule` over the inputs' weights (and over their AdamW
 * moments, if carried), stepped from `base` by `serverLr` if the spec has one.
 */
async function averageModels(spec: AggregateSpec, ctx: TaskContext, checkpoints: Checkpoint[]) {
  const first = checkpoints[0] as Checkpoint;
  let flat = combine(
    spec,
    checkpoints.map((c) => c.params.flat),
  );
  if (spec.base !== undefined && spec.serverLr !== undefined) {
    const base = await readBase(spec.base, ctx, first);
    flat = serverStep(base.params.flat, flat, spec.serverLr);
  }
  const params = new GptParams(first.params.config, flat);
  const states = checkpoints.map((c) => c.optimizer).filter((o) => o !== undefined);
  if (states.length === 0) return writeCheckpoint({ params, metadata: first.metadata });
  const optimizer = {
    m: combine(
      spec,
      states.map((o) => o.m),
    ),
    v: combine(
      spec,
      states.map((o) => o.v),
    ),
    step: (states[0] as AdamWState).step,
  };
  return writeCheckpoint({ params, metadata: first.metadata, optimizer });
}

/**
 * Server optimizer: one AdamW step from `base` (continuing the moments the
 * base carries, fresh ones if none) along `rule` over the input gradients.
 * The result carries the updated moments and the base's metadata.
 */
async function optimizerStep(spec: AggregateSpec, ctx: TaskContext, checkpoints: Checkpoint[]) {
  const first = checkpoints[0] as Checkpoint;
  const base = await readBase(spec.base as Hex, ctx, first);
  const { [GRADIENT_METADATA_KEY]: _, ...gradientBase } = first.metadata;
  if (JSON.stringify(gradientBase) !== JSON.stringify(base.metadata)) {
    throw new TaskInputError(
      'aggregate task: the gradients were taken on a model with other metadata than the base.',
      {
        hint: 'Name as base the version the gradient tasks read.',
      },
    );
  }
  const gradient = combine(
    spec,
    checkpoints.map((c) => c.params.flat),
  );
  const { params } = base;
  const adamw = new AdamW(
    params.flat.length,
    { lr: spec.lr ?? 0, weightDecay: spec.weightDecay ?? 0, maxGradNorm: spec.maxGradNorm ?? 0 },
    weightDecayMask(params.specs),
  );
  if (base.optimizer) adamw.restore(base.optimizer);
  adamw.step(params.flat, gradient);
  return writeCheckpoint({ params, metadata: base.metadata, optimizer: adamw.state });
}

/**
 * The `aggregate` task kind: the next model version from a round's winning
 * results by FedAvg, coordinate median or trimmed mean (the core's
 * deterministic rules): an average of `train` results (optionally scaled from
 * a base by a server learning rate), or an AdamW step along the combined
 * `gradient` results (see AggregateSpec).
 */
export const aggregateKind: TaskKind<AggregateSpec> = defineTaskKind<AggregateSpec>({
  name: KIND,
  parseSpec: parseAggregateSpec,
  inputs(spec) {
    return blobsOf(spec);
  },
  resultIsModel: true,
  poolInputs(spec) {
    // The pool's winners only: ModelRegistry checks them against the pool's
    // inputsRoot. The base is fixed by the spec (its digest is on chain).
    return [...spec.inputs];
  },
  async run(spec, ctx) {
    throwIfTaskAborted(ctx.signal);
    const blobs = await Promise.all(spec.inputs.map((d) => ctx.getBlob(d)));
    throwIfTaskAborted(ctx.signal);
    const checkpoints = blobs.map((bytes) => readCheckpoint(bytes));
    checkCompatible(checkpoints);
    checkInputContent(spec, checkpoints[0] as Checkpoint);
    return spec.serverOptimizer === undefined
      ? averageModels(spec, ctx, checkpoints)
      : optimizerStep(spec, ctx, checkpoints);
  },
});
