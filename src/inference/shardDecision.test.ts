import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Address, getAddress } from 'viem';
import { vectorDigest } from '../core/digest.ts';
import { type Ballot, decideShard } from './shardDecision.ts';

const host = (i: number): Address => getAddress(`0x${(i + 1).toString(16).padStart(40, '0')}`);
const equalStake = () => 100n;
const rowsA = Float32Array.from([1, 2, 3]);
const rowsB = Float32Array.from([1, 2, 4]);
const ballot = (i: number, rows: Float32Array): Ballot => ({
  host: host(i),
  step: 0,
  digest: vectorDigest(rows),
  rows,
});

describe('decideShard', () => {
  it('exact: decides only when a quorum of the replicas agrees, not a majority of the answers so far', () => {
    const exact = { kind: 'exact' } as const;
    // r = 5 (quorum 3): 2 agreeing of 3 answers is a majority so far, but the 2 missing could outvote it
    assert.equal(
      decideShard([ballot(0, rowsA), ballot(1, rowsA), ballot(2, rowsB)], 3, exact, equalStake),
      undefined,
    );
    const decided = decideShard(
      [ballot(0, rowsA), ballot(1, rowsA), ballot(2, rowsB), ballot(3, rowsA)],
      3,
      exact,
      equalStake,
    )!;
    assert.deepEqual(decided.winners, [host(0), host(1), host(3)]);
    assert.equal(decided.rows, rowsA);
    assert.equal(decided.agrees(ballot(4, rowsA)), true);
    assert.equal(decided.agrees(ballot(2, rowsB)), false);
    // r = 3 (quorum 2): two agreeing answers decide without the third
    assert.ok(decideShard([ballot(0, rowsA), ballot(1, rowsA)], 2, exact, equalStake));
    assert.equal(decideShard([ballot(0, rowsA), ballot(1, rowsB)], 2, exact, equalStake), undefined);
  });

  it('tolerant: judges any answer, its own winners’ included, against the decided rows', () => {
    const tolerant = { kind: 'tolerant', epsilon: 0.5 } as const;
    const near = Float32Array.from([1.25, 2, 3]);
    const far = Float32Array.from([1, 2, 9]);
    const decided = decideShard(
      [ballot(0, rowsA), ballot(1, near), ballot(2, far)],
      2,
      tolerant,
      equalStake,
    )!;
    assert.equal(decided.winners.length, 2);
    for (const i of [0, 1]) assert.equal(decided.agrees(ballot(i, i === 0 ? rowsA : near)), true);
    assert.equal(decided.agrees(ballot(2, far)), false);
    assert.equal(decideShard([ballot(0, rowsA), ballot(2, far)], 2, tolerant, equalStake), undefined);
  });
});
