const UNITS: Record<string, bigint> = {
  '': 1n,
  kb: 1000n,
  mb: 1000n ** 2n,
  gb: 1000n ** 3n,
  kib: 1024n,
  mib: 1024n ** 2n,
  gib: 1024n ** 3n,
};
const MAX_UINT64 = 2n ** 64n - 1n;

/**
 * Parses a byte count for a flag: a whole number, optionally followed by a
 * unit, KB/MB/GB (powers of 1000) or KiB/MiB/GiB (powers of 1024), any case,
 * space allowed before it ("512MiB", "2 GB", "1048576"). Returns undefined
 * for anything else or a count above 2^64 - 1.
 */
export function parseByteSize(text: string): bigint | undefined {
  const match = /^([0-9]{1,20}) ?([kmg]i?b)?$/i.exec(text.trim());
  if (!match) return undefined;
  const bytes = BigInt(match[1]!) * UNITS[(match[2] ?? '').toLowerCase()]!;
  return bytes <= MAX_UINT64 ? bytes : undefined;
}
