import { type Address, getAddress } from 'viem';
import type { GptParams, MatrixName } from '../model/index.ts';
import { HostedShardInvalidError } from './errors.ts';
import { matrixWeights } from './matrices.ts';
import type { ShardPlan } from './planner.ts';

/** The rows of one matrix a host holds in memory: weight (rows, inDim) and bias (rows) or null. */
export type HostedShard = {
  readonly layer: number;
  readonly matrix: MatrixName;
  readonly shard: number;
  readonly inDim: number;
  readonly rows: number;
  readonly weight: Float32Array;
  readonly bias: Float32Array | null;
};

/** The key a host files a shard under. */
export function shardKey(layer: number, matrix: MatrixName, shard: number): string {
  return `${layer}/${matrix}/${shard}`;
}

/** Throws HostedShardInvalidError unless the shard's buffers have the sizes its shape says. */
export function checkHostedShard(s: HostedShard): void {
  if (s.weight.length !== s.rows * s.inDim || (s.bias !== null && s.bias.length !== s.rows)) {
    throw new HostedShardInvalidError(
      `Shard ${shardKey(s.layer, s.matrix, s.shard)} holds ${s.weight.length} weights for ${s.rows}x${s.inDim}.`,
      { hint: 'Slice whole rows of the (out, in) weight and the matching bias rows.' },
    );
  }
}

/**
 * The shards `host` serves or stands by for under `plan` (a standby must hold
 * its rows to take over mid-session), cut out of a model's parameters as
 * views (no copy): a node loads the model version's safetensors blob (fetched
 * with purpose 'host'), imports it with `importGpt`, and passes the params here.
 */
export function hostedShardsFromParams(params: GptParams, plan: ShardPlan, host: Address): HostedShard[] {
  const self = getAddress(host);
  return plan.shards
    .filter((s) => s.hosts.includes(self) || s.standbys.includes(self))
    .map((a) => {
      const { weight, bias } = matrixWeights(params, a.matrix);
      const cols = a.matrix.cols;
      return {
        layer: a.matrix.layer,
        matrix: a.matrix.matrix,
        shard: a.shard,
        inDim: cols,
        rows: a.rowEnd - a.rowStart,
        weight: weight.subarray(a.rowStart * cols, a.rowEnd * cols),
        bias: bias === null ? null : bias.subarray(a.rowStart, a.rowEnd),
      };
    });
}
