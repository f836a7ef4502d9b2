/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A hex string cut to its first `n` characters and an ellipsis. */
export function shortHex(hex: string, n = 10): string {
  return hex.length > n + 2 ? `${hex.slice(0, n)}…` : hex;
}

/** A wei amount (decimal string) in whole tokens with up to four decimals: `1500000000000000000` → `1.5`. */
export function formatTokens(wei: string): string {
  const v = BigInt(wei);
  const whole = v / 10n ** 18n;
  const frac = ((v % 10n ** 18n) / 10n ** 14n).toString().padStart(4, '0').replace(/0+$/, '');
  return `${whole}${frac ? `.${frac}` : ''}`;
}

/**
 * A table, or a muted paragraph when there are no rows. Header text is
 * escaped; cells are HTML that the callers build from escaped values.
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  empty: string,
): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}
