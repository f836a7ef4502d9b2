import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { bytesToHex, getAddress } from 'viem';
import { taskMarketAbi } from '../../generated/contracts/index.ts';
import { commitment } from '../core/commitment.ts';
import { type DevChain, startDevChain } from './devChain.ts';

let dev: DevChain;
before(async () => {
  dev = await startDevChain({ actors: 0 });
});
after(async () => await dev?.stop());

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => bytesToHex(b));
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(bytesToHex(b)));
const uint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });

test("TaskMarket.commitmentOf equals core's commitment() for random inputs", async () => {
  await fc.assert(
    fc.asyncProperty(uint256, bytes32, bytes32, address, async (taskId, resultDigest, salt, participant) => {
      const onChain = await dev.deployer.publicClient.readContract({
        address: dev.deployment.addresses.taskMarket,
        abi: taskMarketAbi,
        functionName: 'commitmentOf',
        args: [taskId, resultDigest, salt, participant],
      });
      assert.equal(onChain, commitment({ taskId, resultDigest, salt, participant }));
    }),
    { numRuns: 50 },
  );
});
