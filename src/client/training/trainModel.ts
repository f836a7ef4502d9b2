import { latestVersion } from '../../chain/actions/latestVersion.ts';
import { runTrainingRound, type TrainingRoundOptions, type TrainingRoundResult } from './round.ts';
import { readTrainState, type TrainState, writeTrainState } from './trainState.ts';

/** What {@link trainModel} needs: a round's options, how many rounds, and where to keep its state. */
export type TrainModelOptions = Omit<TrainingRoundOptions, 'resume' | 'onRecord'> & {
  /** Rounds this training run trains in all (a restart counts the rounds already finished). */
  rounds: number;
  /** The state file: created on the first run, read and continued by a restart. */
  stateFile: string;
  /** Whole lines of progress (a line per round); the bars go to `sink`. */
  say: (line: string) => void;
};

/** What a training run did in this process (`results`) and its whole state. */
export type TrainModelResult = { state: TrainState; results: TrainingRoundResult[] };

/**
 * Trains a model through the network round after round until the state file
 * records `rounds` finished rounds. Before each step of a round (pool
 * chosen, task created) the state is written, so a run stopped anywhere and
 * started again resumes the unfinished round (re-attaching to its tasks, not
 * paying for them twice) and goes on from there.
 */
export async function trainModel(options: TrainModelOptions): Promise<TrainModelResult> {
  const { owner, modelId, rounds, stateFile, say } = options;
  const state = readTrainState(stateFile, {
    chainId: owner.chain.id,
    modelRegistry: owner.addresses.modelRegistry,
    modelId: modelId.toString(),
  });
  const save = () => writeTrainState(stateFile, state);
  const results: TrainingRoundResult[] = [];
  while (state.rounds.length < rounds) {
    const n = state.rounds.length + 1;
    const latest = await latestVersion(owner, { modelId });
    if (state.current?.aggregateTask === latest.taskId.toString()) {
      // Stopped after publishing, before recording it: the round is done.
      const { base, aggregateTask } = state.current;
      state.rounds.push({ base, version: latest.index.toString(), digest: latest.digest, aggregateTask });
      state.current = null;
      save();
      continue;
    }
    say(
      `round ${n}/${rounds}${state.current ? ` (resuming: ${state.current.gradientTasks.length} tasks created)` : ''}`,
    );
    const result = await runTrainingRound({
      ...options,
      resume: state.current,
      onRecord: (record) => {
        state.current = record;
        save();
      },
    });
    state.rounds.push({
      base: result.base.index.toString(),
      version: result.version.index.toString(),
      digest: result.version.digest,
      aggregateTask: result.aggregateTask.id,
    });
    state.current = null;
    save();
    results.push(result);
    say(`round ${n}/${rounds}: version ${result.version.index} published (digest ${result.version.digest})`);
  }
  return { state, results };
}
