import type { GptParams } from '../../model/index.ts';

/**
 * Tests only (`--lie`): a copy of the parameters with every fifth weight
 * nudged, so every partial product this node's host answers has wrong bits
 * and loses the vote (and, signed, proves the host wrong).
 */
export function lyingParams(params: GptParams): GptParams {
  const lie = params.clone();
  for (let i = 0; i < lie.flat.length; i += 5) lie.flat[i] = Math.fround(lie.flat[i]! * 1.001 + 1e-4);
  return lie;
}
