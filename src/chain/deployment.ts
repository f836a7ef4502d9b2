import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Address, getAddress, isAddress } from 'viem';
import { DeploymentFileError } from './errors.ts';

/** The names of Concord's contracts in a deployment, in deploy order. */
export const CONTRACT_NAMES = [
  'token',
  'registry',
  'shares',
  'taskMarket',
  'modelRegistry',
  'accessCredits',
  'inferenceSettlement',
] as const;

/** One of {@link CONTRACT_NAMES}. */
export type ContractName = (typeof CONTRACT_NAMES)[number];

/** Where Concord's contracts live on one chain. */
export type Deployment = {
  chainId: number;
  /** The node it was deployed through, if known (local chains). */
  rpcUrl?: string;
  addresses: Record<ContractName, Address>;
  /** Block number of the last deployment transaction. */
  deployedAt: bigint;
};

/** Writes a deployment as JSON (bigints as decimal strings), atomically. */
export function writeDeployment(file: string, deployment: Deployment): void {
  mkdirSync(dirname(file), { recursive: true });
  const json = JSON.stringify({ ...deployment, deployedAt: deployment.deployedAt.toString() }, null, 2);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${json}\n`);
  renameSync(tmp, file);
}

/** Reads and validates a deployment JSON file written by {@link writeDeployment}. */
export function readDeployment(file: string): Deployment {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new DeploymentFileError(`Cannot read the deployment file ${file}.`, {
      cause,
      hint: 'Run `concord chain up` to deploy, or pass the right file.',
    });
  }
  return parseDeployment(raw, file);
}

/** Validates a parsed deployment object; `source` names it in errors. */
export function parseDeployment(raw: unknown, source = 'deployment'): Deployment {
  const bad = (what: string) =>
    new DeploymentFileError(`${source} is not a valid Concord deployment: ${what}.`, {
      hint: 'Delete it and deploy again with `concord chain up`.',
    });
  if (!raw || typeof raw !== 'object') throw bad('not a JSON object');
  const o = raw as Record<string, unknown>;
  if (typeof o.chainId !== 'number' || !Number.isSafeInteger(o.chainId) || o.chainId <= 0) {
    throw bad('chainId must be a positive integer');
  }
  if (o.rpcUrl !== undefined && typeof o.rpcUrl !== 'string') throw bad('rpcUrl must be a string');
  if (typeof o.deployedAt !== 'string' || !/^\d+$/.test(o.deployedAt)) {
    throw bad('deployedAt must be a block number in decimal');
  }
  if (!o.addresses || typeof o.addresses !== 'object') throw bad('addresses missing');
  const given = o.addresses as Record<string, unknown>;
  const addresses = {} as Record<ContractName, Address>;
  for (const name of CONTRACT_NAMES) {
    const a = given[name];
    if (typeof a !== 'string' || !isAddress(a, { strict: false }))
      throw bad(`addresses.${name} is not an address`);
    addresses[name] = getAddress(a);
  }
  return {
    chainId: o.chainId,
    ...(o.rpcUrl === undefined ? {} : { rpcUrl: o.rpcUrl }),
    addresses,
    deployedAt: BigInt(o.deployedAt),
  };
}
