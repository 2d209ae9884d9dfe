import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { natsServers } from './connection';

describe('ORZO_NATS_URL with credentials', () => {
  it('takes user and password, or a token, out of the URLs and masks them for logs', () => {
    assert.deepEqual(natsServers('nats://orzo:s%40cret@10.0.0.1:4222,nats://10.0.0.2:4222'), {
      servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'],
      auth: { user: 'orzo', pass: 's@cret' },
      shown: 'nats://orzo:***@10.0.0.1:4222,nats://10.0.0.2:4222',
    });
    assert.deepEqual(natsServers('nats://t0ken@127.0.0.1:4222'), {
      servers: ['nats://127.0.0.1:4222'],
      auth: { token: 't0ken' },
      shown: 'nats://***@127.0.0.1:4222',
    });
    assert.deepEqual(natsServers('nats://127.0.0.1:4222'), { servers: ['nats://127.0.0.1:4222'], auth: {}, shown: 'nats://127.0.0.1:4222' });
  });
});
