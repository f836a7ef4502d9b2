import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Address } from 'viem';
import { TrainStateError } from '../errors.ts';
import type { RoundRecord } from './round.ts';

/**
 * What `concord train` keeps between runs, so Ctrl-C and a restart resume
 * where it stopped: which chain and model it trains, the rounds finished
 * (with the versions they published) and the round in progress, whose pool
 * and created tasks a restart re-attaches to instead of paying for again.
 */
export type TrainState = {
  chainId: number;
  modelRegistry: Address;
  modelId: string;
  /** Rounds this training run finished, oldest first. */
  rounds: { base: string; version: string; digest: string; aggregateTask: string }[];
  /** The round in progress, or null between rounds. */
  current: RoundRecord | null;
};

/** The default state file of training `modelId` on data in `dataDir`: `<dataDir>/.concord/train-<modelId>.json`. */
export function trainStatePath(dataDir: string, modelId: bigint): string {
  return join(dataDir, '.concord', `train-${modelId}.json`);
}

/**
 * The state in `file` for this chain and model, or a fresh one when there is
 * no file. TrainStateError if the file is not a state, or is another chain's
 * or model's (a different run must use its own file).
 */
export function readTrainState(
  file: string,
  expect: Pick<TrainState, 'chainId' | 'modelRegistry' | 'modelId'>,
): TrainState {
  if (!existsSync(file)) return { ...expect, rounds: [], current: null };
  let state: TrainState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as TrainState;
    if (!Array.isArray(state.rounds) || typeof state.current !== 'object') throw new Error('missing fields');
  } catch (cause) {
    throw new TrainStateError(`${file} is not a training state file.`, {
      cause: cause as Error,
      hint: 'Move it away to start over, or pass another file with --state.',
    });
  }
  const same =
    state.chainId === expect.chainId &&
    state.modelId === expect.modelId &&
    state.modelRegistry?.toLowerCase() === expect.modelRegistry.toLowerCase();
  if (!same) {
    throw new TrainStateError(
      `${file} records training model ${state.modelId} on chain ${state.chainId}, not model ${expect.modelId} on chain ${expect.chainId}.`,
      { hint: 'Pass a state file of its own with --state.' },
    );
  }
  return state;
}

/** Writes the state atomically (a Ctrl-C mid-write leaves the previous state). */
export function writeTrainState(file: string, state: TrainState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}
