import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keccak_256 } from '@noble/hashes/sha3.js';
import fc from 'fast-check';
import { type Address, bytesToHex, type Hex, hexToBytes } from 'viem';
import { commitment } from './commitment.ts';
import { digestBytes } from './digest.ts';
import { randomSalt } from './salt.ts';

const base = {
  taskId: 42n,
  resultDigest: digestBytes(new TextEncoder().encode('abc')),
  salt: `0x${'11'.repeat(32)}` as Hex,
  participant: '0x00000000000000000000000000000000000000aa' as Address,
};

/** abi.encode of four static words, written out by hand: each value left-padded to 32 bytes. */
function handEncoded(p: typeof base): Uint8Array {
  const word = (hex: string) => hex.replace(/^0x/, '').toLowerCase().padStart(64, '0');
  return hexToBytes(
    `0x${word(p.taskId.toString(16))}${word(p.resultDigest)}${word(p.salt)}${word(p.participant)}`,
  );
}

test('matches the pinned vector', () => {
  assert.equal(commitment(base), '0x9f1c884a6a0ed0aa2f8df817f6faecff095ba1d3cea01915655c37f285d0e561');
});

test('equals keccak256 of the hand-written abi.encode words', () => {
  const arbHex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => bytesToHex(b));
  const arbParams = fc.record({
    taskId: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
    resultDigest: arbHex32,
    salt: arbHex32,
    participant: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => bytesToHex(b) as Address),
  });
  fc.assert(
    fc.property(arbParams, (p) => assert.equal(commitment(p), bytesToHex(keccak_256(handEncoded(p))))),
    { numRuns: 200 },
  );
});

test('changes when any field changes', () => {
  const variants = [
    { ...base, taskId: 43n },
    { ...base, resultDigest: digestBytes(new TextEncoder().encode('abd')) },
    { ...base, salt: `0x${'11'.repeat(31)}12` as Hex },
    { ...base, participant: '0x00000000000000000000000000000000000000ab' as Address },
  ];
  const hashes = new Set([commitment(base), ...variants.map(commitment)]);
  assert.equal(hashes.size, 5);
});

test('ignores the letter case of hex inputs, as Solidity sees only bytes', () => {
  const participant = '0x52908400098527886E0F7030069857D2E4169EE7' as Address; // EIP-55 checksummed
  const upper = { ...base, participant, salt: base.salt.toUpperCase().replace('0X', '0x') as Hex };
  const lower = { ...base, participant: participant.toLowerCase() as Address };
  assert.equal(commitment(upper), commitment(lower));
});

test('rejects a task id outside uint256', () => {
  for (const taskId of [-1n, 2n ** 256n, 1 as unknown as bigint]) {
    assert.throws(() => commitment({ ...base, taskId }), { name: 'CommitmentTaskIdError' });
  }
  assert.match(commitment({ ...base, taskId: 2n ** 256n - 1n }), /^0x[0-9a-f]{64}$/);
});

test('rejects a digest or salt that is not 32 bytes of hex', () => {
  for (const bad of ['0x1234', `0x${'z'.repeat(64)}`, '11'.repeat(32)] as Hex[]) {
    assert.throws(() => commitment({ ...base, resultDigest: bad }), { name: 'InvalidBytes32Error' });
    assert.throws(() => commitment({ ...base, salt: bad }), { name: 'InvalidBytes32Error' });
  }
});

test('rejects an invalid participant address, including a wrong checksum', () => {
  const bad = ['0x1234', `0x${'g'.repeat(40)}`, '0x52908400098527886E0F7030069857D2E4169Ee7', 7] as Address[];
  for (const participant of bad) {
    assert.throws(() => commitment({ ...base, participant }), { name: 'CommitmentParticipantError' });
  }
});

test('randomSalt returns fresh 32-byte hex salts', () => {
  const salts = new Set(Array.from({ length: 64 }, randomSalt));
  assert.equal(salts.size, 64);
  for (const salt of salts) assert.match(salt, /^0x[0-9a-f]{64}$/);
  assert.match(commitment({ ...base, salt: randomSalt() }), /^0x[0-9a-f]{64}$/);
});
