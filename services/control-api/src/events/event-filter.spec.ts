import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceOfEvent } from './event-filter';

test('serviceOfEvent finds the service of each event shape', () => {
  assert.equal(serviceOfEvent({ service: 'web' }), 'web');
  assert.equal(serviceOfEvent({ replica: { service: 'api' } }), 'api');
  assert.equal(serviceOfEvent({ run: { runId: 'x', service: 'batch', job: 'nightly' } }), 'batch');
  assert.equal(serviceOfEvent({ registration: 'web.main' }), 'web');
  assert.equal(serviceOfEvent({ run: { service: '' } }), undefined);
  assert.equal(serviceOfEvent(null), undefined);
});
