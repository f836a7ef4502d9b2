import type { Hex } from 'viem';
import { MAX_SERVER_LR } from '../core/aggregate/serverStep.ts';
import { KERNEL_VERSION } from '../tensor/version.ts';
import { TaskSpecError } from './errors.ts';
import { digestField, numberField, oneOfField, specObject } from './specFields.ts';

/** The aggregation rules of the core (`src/core/aggregate/`). */
export const AGGREGATE_RULES = ['fedavg', 'median', 'trimmed-mean'] as const;
/** One of AGGREGATE_RULES. */
export type AggregateRule = (typeof AGGREGATE_RULES)[number];
/** Optimizers an aggregate task can apply to combined gradients. */
export const SERVER_OPTIMIZERS = ['adamw'] as const;

/**
 * Spec of an `aggregate` task: combine the round's winning results (digests,
 * in task order) into the next model version, in one of three modes:
 *
 * - model averaging: `inputs` are `train` results; the next version is
 *   `rule(inputs)`;
 * - with `base` and `serverLr` (the round's starting version and a server
 *   learning rate in (0, 8]): `base + serverLr · (rule(inputs) − base)`
 *   (core `serverStep`);
 * - with `base`, `serverOptimizer: 'adamw'`, `lr`, `weightDecay` and
 *   `maxGradNorm`: `inputs` are `gradient` results, and the next version is
 *   one AdamW step from `base` (moments carried in the base; fresh if it has
 *   none) along `rule(inputs)`.
 *
 * `weights` (FedAvg only, e.g. shard token counts; default all 1) and `beta`
 * (trimmed mean only: fraction trimmed at each end, in [0, 0.5)).
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
  serverOptimizer?: (typeof SERVER_OPTIMIZERS)[number];
  /** AdamW learning rate of this step, in (0, 1]. */
  lr?: number;
  /** Decoupled weight decay of matrices and embeddings, in [0, 1]. */
  weightDecay?: number;
  /** Global gradient-norm clip of the combined gradient; 0 turns clipping off. */
  maxGradNorm?: number;
};

const KIND = 'aggregate';
const SUPPORTED_KERNELS = [KERNEL_VERSION] as const;
/** Most checkpoints one aggregate task combines. */
export const MAX_AGGREGATE_INPUTS = 256;
const SERVER_OPTIMIZER_FIELDS = ['base', 'serverOptimizer', 'lr', 'weightDecay', 'maxGradNorm'];

function ruleOf(json: unknown): unknown {
  return json !== null && typeof json === 'object' ? (json as Record<string, unknown>).rule : undefined;
}

function hasField(json: unknown, field: string): boolean {
  return json !== null && typeof json === 'object' && field in json;
}

/** The fields a spec must have, given which optional ones it names. */
function expectedFields(json: unknown): string[] {
  const rule = ruleOf(json);
  const fields = ['kernel', 'rule', 'inputs'];
  if (rule === 'trimmed-mean') fields.push('beta');
  if (rule === 'fedavg' && hasField(json, 'weights')) fields.push('weights');
  if (hasField(json, 'serverOptimizer')) fields.push(...SERVER_OPTIMIZER_FIELDS);
  else if (hasField(json, 'base') || hasField(json, 'serverLr')) fields.push('base', 'serverLr');
  return fields;
}

/** Validates a parsed JSON `aggregate` spec; throws TaskSpecError naming the bad field. */
export function parseAggregateSpec(json: unknown): AggregateSpec {
  const fields = expectedFields(json);
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
  if (fields.includes('base')) spec.base = digestField(obj, 'base');
  if (fields.includes('serverLr')) {
    const lr = obj.serverLr;
    if (typeof lr !== 'number' || !(lr > 0 && lr <= MAX_SERVER_LR)) {
      throw new TaskSpecError(`Spec field 'serverLr' must be a number in (0, ${MAX_SERVER_LR}].`, {
        details: `Got ${JSON.stringify(lr)}.`,
      });
    }
    spec.serverLr = lr;
  }
  if (fields.includes('serverOptimizer')) {
    spec.serverOptimizer = oneOfField(obj, 'serverOptimizer', SERVER_OPTIMIZERS);
    spec.lr = numberField(obj, 'lr', Number.MIN_VALUE, 1);
    spec.weightDecay = numberField(obj, 'weightDecay', 0, 1);
    spec.maxGradNorm = numberField(obj, 'maxGradNorm', 0, 1e9);
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
