import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NatsServerHandle, startNatsServer } from '@orzo/testing';
import { connectNats } from '../src/connection';

/** A shared NATS with users: the services connect with the user and password written in ORZO_NATS_URL. */
describe('connectNats to a NATS server that requires a user', () => {
  let nats: NatsServerHandle;
  let port: string;
  before(async () => {
    nats = await startNatsServer(undefined, ['--user', 'orzo', '--pass', 's3cret']);
    port = new URL(nats.url).port;
  });
  after(async () => {
    await nats?.dispose();
  });

  it('connects with the credentials of the URL and refuses a wrong password at once', async () => {
    const nc = await connectNats(`nats://orzo:s3cret@127.0.0.1:${port}`, 'auth-test');
    await nc.flush();
    await nc.close();
    await assert.rejects(connectNats(`nats://orzo:wrong@127.0.0.1:${port}`, 'auth-test'), /Authorization Violation/);
    await assert.rejects(connectNats(`nats://127.0.0.1:${port}`, 'auth-test'), /Authorization Violation/);
  });
});
