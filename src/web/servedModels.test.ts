import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelOptionsHtml, parseModelList } from './servedModels.ts';

const A = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const status = (state: string) => ({
  modelId: '1',
  versionIndex: '2',
  name: 'concord-char',
  digest: `0x${'ab'.repeat(32)}`,
  state,
  replicas: 3,
  hostedShards: 4,
  hosts: [A],
  creditsPerToken: '1000000000000000',
  gateway: A,
});

describe('parseModelList', () => {
  it('reads the concord status of each listed model and drops foreign entries', () => {
    const body = {
      object: 'list',
      data: [
        { id: 'concord-char', object: 'model', created: 1, owned_by: 'concord', concord: status('ready') },
        { id: 'other', object: 'model' },
        null,
      ],
    };
    const [m, ...rest] = parseModelList(body);
    assert.equal(rest.length, 0);
    assert.equal(m?.id, 'concord-char');
    assert.equal(m?.state, 'ready');
    assert.equal(m?.creditsPerToken, '1000000000000000');
    assert.deepEqual(parseModelList({ error: { code: 'NOT_FOUND' } }), []);
  });

  it('offers ready models and shows the others disabled with their state', () => {
    const [ready] = parseModelList({ data: [{ id: 'concord-char', concord: status('ready') }] });
    const [loading] = parseModelList({ data: [{ id: '<x>', concord: status('loading') }] });
    assert.equal(modelOptionsHtml([ready!]), '<option value="concord-char">concord-char</option>');
    assert.equal(
      modelOptionsHtml([loading!]),
      '<option value="&#60;x&#62;" disabled>&#60;x&#62; (loading)</option>',
    );
    assert.match(modelOptionsHtml([]), /no model served yet/);
  });
});
