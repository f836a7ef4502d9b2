import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const read = (file: string) => readFileSync(new URL(file, import.meta.url), 'utf8');
const page = read('./index.html');

describe('the dashboard page', () => {
  it('has every element the browser script looks up', () => {
    const ids = ['./app.ts', './playground.ts'].flatMap((file) =>
      [...read(file).matchAll(/element(?:<\w+>)?\('([\w-]+)'\)/g)].map((m) => m[1]),
    );
    assert.ok(ids.length >= 10, `${ids.length} lookups found`);
    for (const id of new Set(ids)) assert.match(page, new RegExp(`id="${id}"`), `#${id}`);
  });

  it('loads nothing from elsewhere and carries no secret: the token field starts empty', () => {
    assert.ok(!/\b(src|href)=/.test(page), 'no external script, style or link');
    assert.ok(!/https?:\/\//.test(page));
    assert.match(page, /<input id="pg-token" type="password"[^>]*>/);
    assert.ok(!/id="pg-token"[^>]*value=/.test(page));
  });
});
