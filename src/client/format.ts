import { formatEther } from 'viem';

/** A text table with a header row; columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Token amounts in CCD with up to 4 decimals. */
export function formatCcd(wei: bigint): string {
  const [whole, frac = ''] = formatEther(wei).split('.');
  const short = frac.slice(0, 4).replace(/0+$/, '');
  return `${whole}${short ? `.${short}` : ''} CCD`;
}
