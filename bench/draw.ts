/**
 * Committee draw gas against the number of registered nodes (every other one
 * inactive: it registered and left at once), committee size 5: NodeRegistry's
 * sum-tree draw against the linear draw it replaced (the contracts of commit
 * e709e49, compiled with solc-js at run time), and what the tree adds to
 * register, stake, requestUnstake and slash. Nodes are registered in batches
 * by a helper contract (bench/support/DrawFleet.sol). Prints the Markdown
 * tables of docs/gas.md.
 * Run: node bin/run.mjs bench/draw.ts
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type Abi, type Address, type Hex, maxUint256, parseEther, toHex } from 'viem';
import { concordTokenAbi, nodeRegistryAbi, taskMarketAbi } from '../generated/contracts/index.ts';
import { startAnvil } from '../src/chain/anvil.ts';
import { createConcordClients } from '../src/chain/client.ts';
import { deployConcord } from '../src/chain/deploy.ts';
import { devAccount } from '../src/chain/devAccounts.ts';
import { sendAs } from '../src/chain/devRpc.ts';
import { sendContract, waitForReceipt } from '../src/chain/send.ts';
import { benchTaskParams } from './support/benchTaskParams.ts';

type Compiled = { key: string; name: string; abi: Abi; bytecode: string };
type BuildModule = { compileContracts(sources: { key: string; content: string }[]): Compiled[] };
// The build step is plain JavaScript; load it without type declarations.
const buildModule = '../scripts/build/contracts.mjs';
const { compileContracts } = (await import(buildModule as string)) as BuildModule;

const BASELINE_COMMIT = 'e709e49';
const SIZES = [10, 1_000, 10_000];
const COMMITTEE = 5;
const BATCH = 100;
const STAKE = parseEther('100');
const ZERO32: Hex = `0x${'00'.repeat(32)}`;

/** One registry + market pair under test. */
type Stack = {
  label: string;
  registry: Address;
  market: Address;
  slash(args: readonly unknown[]): Promise<bigint>;
};

const anvil = await startAnvil({ gasLimit: 2_000_000_000n });
try {
  const connect = (i: number) =>
    createConcordClients({ rpcUrl: anvil.rpcUrl, privateKey: devAccount(i).privateKey, pollingInterval: 10 });
  const deployer = await connect(0);
  const operator = await connect(1);
  const deployment = await deployConcord(deployer, { minStake: STAKE });
  const { token } = deployment.addresses;
  const deploy = async (artifact: Compiled, args: readonly unknown[]): Promise<Address> => {
    const hash = await deployer.walletClient.deployContract({
      abi: artifact.abi,
      bytecode: `0x${artifact.bytecode}` as Hex,
      args,
    });
    return (await waitForReceipt(deployer, hash)).contractAddress!;
  };
  const git = (path: string) =>
    execFileSync('git', ['show', `${BASELINE_COMMIT}:${path}`], { encoding: 'utf8' });
  const compiled = compileContracts([
    ...['NodeRegistry', 'Shares', 'TaskMarket'].map((name) => ({
      key: `baseline/${name}.sol`,
      content: git(`contracts/${name}.sol`),
    })),
    {
      key: 'bench/support/DrawFleet.sol',
      content: readFileSync(new URL('./support/DrawFleet.sol', import.meta.url), 'utf8'),
    },
  ]);
  const artifact = (name: string) => compiled.find((c) => c.name === name)!;
  const oldRegistry = await deploy(artifact('NodeRegistry'), [token, STAKE, 3600n]);
  const oldShares = await deploy(artifact('Shares'), [token, '']);
  const oldMarket = await deploy(artifact('TaskMarket'), [token, oldRegistry, oldShares]);
  const send = (
    clients: typeof deployer,
    address: Address,
    abi: Abi,
    functionName: string,
    args: readonly unknown[],
  ) => sendContract(clients, { address, abi, functionName, args });
  await send(deployer, oldRegistry, nodeRegistryAbi, 'setSlasher', [deployer.account.address, true]);
  const stacks: Stack[] = [
    {
      label: 'sum tree (this branch)',
      registry: deployment.addresses.registry,
      market: deployment.addresses.taskMarket,
      // Only the protocol contracts may slash: act as TaskMarket.
      slash: async (args) =>
        (
          await sendAs(deployer, deployment.addresses.taskMarket, {
            address: deployment.addresses.registry,
            abi: nodeRegistryAbi,
            functionName: 'slash',
            args,
          })
        ).gasUsed,
    },
    {
      label: `linear (${BASELINE_COMMIT})`,
      registry: oldRegistry,
      market: oldMarket,
      slash: async (args) => (await send(deployer, oldRegistry, nodeRegistryAbi, 'slash', args)).gasUsed,
    },
  ];

  const fleetArtifact = artifact('DrawFleet');
  const fleet = await deploy(fleetArtifact, [token]);
  const last = SIZES[SIZES.length - 1]!;
  await send(deployer, token, concordTokenAbi, 'transfer', [fleet, STAKE * BigInt(last * stacks.length)]);
  await send(deployer, token, concordTokenAbi, 'transfer', [operator.account.address, STAKE * 100n]);
  for (const stack of stacks) {
    await send(deployer, token, concordTokenAbi, 'approve', [stack.market, maxUint256]);
    await send(operator, token, concordTokenAbi, 'approve', [stack.registry, maxUint256]);
  }

  const draws = new Map<number, bigint[]>();
  const started = performance.now();
  let registered = 0;
  for (const size of SIZES) {
    for (const stack of stacks) {
      for (let first = registered; first < size; first += BATCH) {
        const count = Math.min(BATCH, size - first);
        await send(deployer, fleet, fleetArtifact.abi, 'spawn', [stack.registry, STAKE, first, count]);
      }
    }
    registered = size;
    const row: bigint[] = [];
    for (const stack of stacks) {
      const params = {
        ...(await benchTaskParams(deployer.publicClient, 'draw')),
        pool: ZERO32,
        inputsRoot: ZERO32,
        committeeSize: COMMITTEE,
        maxParticipants: COMMITTEE,
        quorum: 3,
      };
      await send(deployer, stack.market, taskMarketAbi, 'createTask', [params]);
      const id = await deployer.publicClient.readContract({
        address: stack.market,
        abi: taskMarketAbi,
        functionName: 'taskCount',
      });
      row.push((await send(deployer, stack.market, taskMarketAbi, 'drawCommittee', [id])).gasUsed);
    }
    draws.set(size, row);
    console.error(
      `${size} nodes registered in each registry (${Math.round((performance.now() - started) / 1000)} s)`,
    );
  }

  console.log(
    `| registered nodes (half inactive) | ${stacks.map((s) => `draw gas, ${s.label}`).join(' | ')} | ratio |`,
  );
  console.log(`|---|${stacks.map(() => '---').join('|')}|---|`);
  for (const [size, [ours, old]] of draws) {
    console.log(
      `| ${size.toLocaleString('en')} | ${ours} | ${old} | ${(Number(old) / Number(ours!)).toFixed(1)}× |`,
    );
  }

  // What each stake change costs once 10,000 accounts registered (operator: a fresh account).
  const ops: [string, bigint, bigint][] = [];
  const gasOf = async (stack: Stack, functionName: string, args: readonly unknown[]) =>
    (await send(operator, stack.registry, nodeRegistryAbi, functionName, args)).gasUsed;
  const measure = async (label: string, run: (stack: Stack) => Promise<bigint>) => {
    const [ours, old] = [await run(stacks[0]!), await run(stacks[1]!)];
    ops.push([label, ours, old]);
  };
  await measure('register (takes a freed slot)', (s) =>
    gasOf(s, 'register', [toHex('bench-peer'), '0x', STAKE * 2n]),
  );
  await measure('stake (weight changes)', (s) => gasOf(s, 'stake', [STAKE]));
  await measure('requestUnstake, stays active', (s) => gasOf(s, 'requestUnstake', [STAKE]));
  await measure('slash active stake, stays active', (s) =>
    s.slash([operator.account.address, STAKE / 2n, deployer.account.address]),
  );
  await measure('requestUnstake, leaves (frees its slot)', (s) =>
    gasOf(s, 'requestUnstake', [STAKE + STAKE / 2n]),
  );
  console.log('');
  console.log(
    `| operation at ${last.toLocaleString('en')} registered | ${stacks.map((s) => s.label).join(' | ')} | added |`,
  );
  console.log(`|---|${stacks.map(() => '---').join('|')}|---|`);
  for (const [label, ours, old] of ops) console.log(`| ${label} | ${ours} | ${old} | ${ours - old} |`);
} finally {
  await anvil.stop();
}
