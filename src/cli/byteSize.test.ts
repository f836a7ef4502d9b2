import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseByteSize } from './byteSize.ts';

it('parses plain byte counts and KB/MB/GB, KiB/MiB/GiB suffixes', () => {
  const cases: Array<[string, bigint]> = [
    ['0', 0n],
    ['1048576', 1048576n],
    ['4KB', 4000n],
    ['4KiB', 4096n],
    ['512MiB', 512n * 2n ** 20n],
    ['3 MB', 3_000_000n],
    ['2GiB', 2n * 2n ** 30n],
    ['2gb', 2_000_000_000n],
    ['18446744073709551615', 2n ** 64n - 1n],
  ];
  for (const [text, bytes] of cases) assert.equal(parseByteSize(text), bytes, text);
});

it('refuses malformed sizes and sizes above 2^64 - 1', () => {
  for (const text of [
    '',
    'GiB',
    '-1',
    '1.5GiB',
    '1e9',
    '12 TB',
    '12XB',
    '1GiBs',
    '0x10',
    '1  GB',
    '18446744073709551616',
    '17179869184GiB',
  ]) {
    assert.equal(parseByteSize(text), undefined, text);
  }
});
