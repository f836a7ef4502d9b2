import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { pageSecurityHeaders } from './pageSecurity.ts';
import { DASHBOARD_FILE, registerDashboard } from './registerDashboard.ts';
import type { DashboardDeps } from './snapshot.ts';

const sha = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

describe('the dashboard page security headers', () => {
  it("admit the page's own inline script and style by hash, and nothing else inline", () => {
    const headers = pageSecurityHeaders('<style>b{}</style><p>x</p><script>go()</script>');
    const csp = headers['content-security-policy'] ?? '';
    assert.match(csp, /^default-src 'self'; /);
    assert.ok(csp.includes(`script-src ${sha('go()')};`), csp);
    assert.ok(csp.includes(`style-src ${sha('b{}')};`), csp);
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), csp);
    assert.ok(csp.includes("frame-ancestors 'none'"));
    assert.equal(headers['x-frame-options'], 'DENY');
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['referrer-policy'], 'no-referrer');
    assert.match(pageSecurityHeaders('<p>static</p>')['content-security-policy'] ?? '', /script-src 'none'/);
  });

  it('are sent with the built page at GET /, hashing its one inline script', async (t) => {
    if (!existsSync(DASHBOARD_FILE)) return t.skip('the dashboard is not built (npm run build)');
    const app = Fastify();
    registerDashboard(app, {} as DashboardDeps);
    try {
      const res = await app.inject({ method: 'GET', url: '/' });
      assert.equal(res.statusCode, 200);
      const html = readFileSync(DASHBOARD_FILE, 'utf8');
      const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
      assert.ok(script.length > 1000, 'the bundle is inlined');
      assert.ok(String(res.headers['content-security-policy']).includes(sha(script)));
      assert.equal(res.headers['x-frame-options'], 'DENY');
    } finally {
      await app.close();
    }
  });
});
