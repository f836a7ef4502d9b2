import type { Hex } from 'viem';
import { coordinateMedian } from '../core/aggregate/coordinateMedian.ts';
import { fedAvg } from '../core/aggregate/fedAvg.ts';
import { MAX_SERVER_LR, serverStep } from '../core/aggregate/serverStep.ts';
import { trimmedMean } from '../core/aggregate/trimmedMean.ts';
import type { AdamWState } from '../model/adamw.ts';
import { sameConfig } from '../model/config.ts';
import { GptParams } from '../model/params.ts';
import { KERNEL_VERSION } from '../tensor/version.ts';
import { type Checkpoint, readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { TaskInputError, TaskSpecError } from './errors.ts';
import { defineTaskKind, type TaskContext, type TaskKind, throwIfTaskAborted } from './kind.ts';
import { digestField, oneOfField, specObject } from './specFields.ts';

/** The aggregation rules of the core (`src/core/aggregate/`). */
export const AGGREGATE_RULES = ['fedavg', 'median', 'trimmed-mean'] as const;
/** One of AGGREGATE_RULES. */
export type AggregateRule = (typeof AGGREGATE_RULES)[number];

/**
 * Spec of an `aggregate` task: combine the round's winning `train` results
 * (checkpoint digests, in task order) into the next model version.
 * `weights` (FedAvg only, e.g. shard token counts; default all 1) and `beta`
 * (trimmed mean only: fraction trimmed at each end, in [0, 0.5)).
 * `base` and `serverLr` (together or not at all): the round's starting
 * version and a server learning rate in (0, 8]; the result is then
 * `base + serverLr · (rule(inputs) − base)` (core `serverStep`).
 */
export type AggregateSpec = {
  kind: 'aggregate';
  kernel: typeof KERNEL_VERSION;
  rule: AggregateRule;
  inputs: Hex[];
  weights?: number[];
  beta?: number;
  base?: Hex;
  serverLr?: number;
};

const KIND = 'aggregate';
const SUPPORTED_KERNELS = [KERNEL_VERSION] as const;
/** Most checkpoints one aggregate task combines. */
export const MAX_AGGREGATE_INPUTS = 256;

function ruleOf(json: unknown): unknown {
  return json !== null && typeof json === 'object' ? (json as Record<string, unknown>).rule : undefined;
}

function hasField(json: unknown, field: string): boolean {
  return json !== null && typeof json === 'object' && field in json;
}

/** Validates a parsed JSON `aggregate` spec; throws TaskSpecError naming the bad field. */
export function parseAggregateSpec(json: unknown): AggregateSpec {
  const rule = ruleOf(json);
  const fields = ['kernel', 'rule', 'inputs'];
  if (rule === 'trimmed-mean') fields.push('beta');
  if (rule === 'fedavg' && hasField(json, 'weights')) fields.push('weights');
  if (hasField(json, 'base') || hasField(json, 'serverLr')) fields.push('base', 'serverLr');
  const obj = specObject(json, KIND, fields);
  const spec: AggregateSpec = {
    kind: KIND,
    kernel: oneOfField(obj, 'kernel', SUPPORTED_KERNELS),
    rule: oneOfField(obj, 'rule', AGGREGATE_RULES),
    inputs: digestList(obj),
  };
  if (fields.includes('weights')) spec.weights = weightList(obj, spec.inputs.length);
  if (fields.includes('beta')) {
    const beta = obj.beta;
    if (typeof beta !== 'number' || !(beta >= 0 && beta < 0.5)) {
      throw new TaskSpecError("Spec field 'beta' must be a number in [0, 0.5).", {
        details: `Got ${JSON.stringify(beta)}.`,
      });
    }
    spec.beta = beta;
  }
  if (fields.includes('base')) {
    spec.base = digestField(obj, 'base');
    const lr = obj.serverLr;
    if (typeof lr !== 'number' || !(lr > 0 && lr <= MAX_SERVER_LR)) {
      throw new TaskSpecError(`Spec field 'serverLr' must be a number in (0, ${MAX_SERVER_LR}].`, {
        details: `Got ${JSON.stringify(lr)}.`,
      });
    }
    spec.serverLr = lr;
  }
  return spec;
}

function digestList(obj: Record<string, unknown>): Hex[] {
  const list = obj.inputs;
  if (!Array.isArray(list) || list.length < 1 || list.length > MAX_AGGREGATE_INPUTS) {
    throw new TaskSpecError(`Spec field 'inputs' must be a list of 1 to ${MAX_AGGREGATE_INPUTS} digests.`);
  }
  return list.map((digest, i) => digestField({ [`inputs[${i}]`]: digest }, `inputs[${i}]`));
}

function weightList(obj: Record<string, unknown>, count: number): number[] {
  const list = obj.weights;
  const ok =
    Array.isArray(list) &&
    list.length === count &&
    list.every((w) => typeof w === 'number' && Number.isSafeInteger(w) && w >= 0);
  if (!ok) {
    throw new TaskSpecError(`Spec field 'weights' must list ${count} non-negative integers, one per input.`, {
      details: `Got ${JSON.stringify(list)}.`,
    });
  }
  return list as number[];
}

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

/** `combined`, or the server step from the spec's base along it. */
async function stepFromBase(
  spec: AggregateSpec,
  ctx: TaskContext,
  first: Checkpoint,
  combined: Float32Array,
): Promise<Float32Array> {
  if (spec.base === undefined || spec.serverLr === undefined) return combined;
  const base = readCheckpoint(await ctx.getBlob(spec.base));
  if (!sameConfig(base.params.config, first.params.config)) {
    throw new TaskInputError('aggregate task: the base has a different model architecture than the inputs.', {
      hint: 'Name as base the version the round trained from.',
    });
  }
  return serverStep(base.params.flat, combined, spec.serverLr);
}

/**
 * The `aggregate` task kind: the next model version from a round's winning
 * checkpoints by FedAvg, coordinate median or trimmed mean (the core's
 * deterministic rules), as a checkpoint with the inputs' metadata. AdamW
 * moments carried by the inputs are combined by the same rule; a `base` and
 * `serverLr` then scale the step from the base (weights only, not moments).
 */
export const aggregateKind: TaskKind<AggregateSpec> = defineTaskKind<AggregateSpec>({
  name: KIND,
  parseSpec: parseAggregateSpec,
  inputs(spec) {
    return blobsOf(spec);
  },
  poolInputs(spec) {
    return blobsOf(spec);
  },
  async run(spec, ctx) {
    throwIfTaskAborted(ctx.signal);
    const blobs = await Promise.all(spec.inputs.map((d) => ctx.getBlob(d)));
    throwIfTaskAborted(ctx.signal);
    const checkpoints = blobs.map((bytes) => readCheckpoint(bytes));
    checkCompatible(checkpoints);
    const first = checkpoints[0] as Checkpoint;
    const flat = combine(
      spec,
      checkpoints.map((c) => c.params.flat),
    );
    const params = new GptParams(first.params.config, await stepFromBase(spec, ctx, first, flat));
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
  },
});
