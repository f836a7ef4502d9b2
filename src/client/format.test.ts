import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseEther } from 'viem';
import { formatCcd, formatTable } from './format.ts';

describe('formatTable', () => {
  it('pads every column to its widest cell and keeps the cells in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.stringMatching(/^[a-z0-9]{0,8}$/), { minLength: 3, maxLength: 3 }), {
          maxLength: 6,
        }),
        (rows) => {
          const lines = formatTable(['a', 'bb', 'ccc'], rows);
          assert.equal(lines.length, rows.length + 1);
          const widths = [0, 1, 2].map((c) =>
            Math.max(['a', 'bb', 'ccc'][c]!.length, ...rows.map((r) => r[c]!.length)),
          );
          rows.forEach((row, i) => {
            const expected = row
              .map((cell, c) => cell.padEnd(widths[c]!))
              .join('  ')
              .trimEnd();
            assert.equal(lines[i + 1], expected);
          });
        },
      ),
    );
  });
});

describe('formatCcd', () => {
  it('shows whole CCD and up to four decimals, without trailing zeros', () => {
    assert.equal(formatCcd(parseEther('100')), '100 CCD');
    assert.equal(formatCcd(parseEther('99897.6')), '99897.6 CCD');
    assert.equal(formatCcd(parseEther('1.23456789')), '1.2345 CCD');
    assert.equal(formatCcd(0n), '0 CCD');
  });
});
