import { createHash } from 'node:crypto';

/**
 * The security headers of the dashboard page `html`: a Content-Security-Policy
 * that loads and connects to this node only (`default-src 'self'`) and admits
 * exactly the page's own inline `<script>` and `<style>` blocks by their
 * SHA-256 hashes (the build inlines the bundle, so no other inline code
 * runs), forbids framing (`frame-ancestors 'none'` and `X-Frame-Options:
 * DENY`), MIME sniffing and sending the page's address as a referrer.
 */
export function pageSecurityHeaders(html: string): Record<string, string> {
  const policy = [
    "default-src 'self'",
    `script-src ${hashesOf(html, 'script')}`,
    `style-src ${hashesOf(html, 'style')}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'content-security-policy': policy,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

/** `'sha256-…'` of the content of every inline `<tag>` block of `html` (`'none'` when there is none). */
function hashesOf(html: string, tag: 'script' | 'style'): string {
  const blocks = [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))];
  if (blocks.length === 0) return "'none'";
  return blocks
    .map(
      (m) =>
        `'sha256-${createHash('sha256')
          .update(m[1] ?? '', 'utf8')
          .digest('base64')}'`,
    )
    .join(' ');
}
