import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeAbiParameters, keccak256, parseEther, toHex } from 'viem';
import { createModel } from '../chain/actions/createModel.ts';
import { publishVersion } from '../chain/actions/publishVersion.ts';
import { type DevChain, startDevChain } from '../chain/devChain.ts';
import { poolId } from '../chain/poolId.ts';
import { runTasksOneByOne } from '../chain/taskFlows.ts';
import { type TaskParams, taskKindId } from '../chain/taskTypes.ts';
import { createModelVersionsReader } from './modelVersions.ts';

// runTasksOneByOne has every participant reveal this digest.
const AGREED = keccak256(toHex('agreed result'));
const GENESIS = keccak256(toHex('genesis'));
let chain: DevChain;

before(async () => {
  chain = await startDevChain({ actors: 2, registerStake: parseEther('100') });
});
after(async () => await chain?.stop());

/** Runs one training round of a single task in `pool`, then its aggregate task; returns the aggregate task id. */
async function finishedRound(pool: `0x${string}`): Promise<bigint> {
  const now = (await chain.deployer.publicClient.getBlock()).timestamp;
  const params = (overrides: Partial<TaskParams>): TaskParams => ({
    kind: taskKindId('train'),
    specDigest: keccak256(toHex(`spec ${pool}`)),
    pool,
    baseReward: parseEther('1'),
    maxParticipants: 2,
    quorum: 2,
    committeeSize: 2,
    commitDeadline: now + 600n,
    revealDeadline: now + 1200n,
    ...overrides,
  });
  const parties = { creator: chain.deployer, participants: chain.actors };
  await runTasksOneByOne(parties, params({}), 1);
  const inputsRoot = keccak256(encodeAbiParameters([{ type: 'bytes32[]' }], [[AGREED]]));
  const { taskIds } = await runTasksOneByOne(
    parties,
    params({ kind: taskKindId('aggregate'), inputsRoot }),
    1,
  );
  return taskIds[0]!;
}

describe('createModelVersionsReader', () => {
  it('lists every version of every model, newest model first, and picks up new versions', async () => {
    const read = createModelVersionsReader(chain.deployer);
    assert.deepEqual(await read(), []);
    const { modelId } = await createModel(chain.deployer, { name: 'tiny', genesisDigest: GENESIS });
    const once = await read();
    assert.deepEqual(
      once.map((m) => [m.modelId, m.name, m.versions.map((v) => [v.index, v.digest, v.taskId])]),
      [[modelId, 'tiny', [[0n, GENESIS, 0n]]]],
    );
    const first = await finishedRound(poolId(chain.deployer.account.address, 'round 1'));
    await publishVersion(chain.deployer, { modelId, aggregateTaskId: first });
    const second = await finishedRound(poolId(chain.deployer.account.address, 'round 2'));
    await publishVersion(chain.deployer, { modelId, aggregateTaskId: second });
    await createModel(chain.deployer, { name: 'later', genesisDigest: GENESIS });
    // Two readers at once agree, and a fresh reader reads the same.
    const [a, b, fresh] = await Promise.all([read(), read(), createModelVersionsReader(chain.deployer)()]);
    assert.deepEqual(a, b);
    assert.deepEqual(a, fresh);
    assert.deepEqual(
      a.map((m) => [m.name, m.versions.map((v) => [v.index, v.taskId])]),
      [
        ['later', [[0n, 0n]]],
        [
          'tiny',
          [
            [0n, 0n],
            [1n, first],
            [2n, second],
          ],
        ],
      ],
    );
  });
});
