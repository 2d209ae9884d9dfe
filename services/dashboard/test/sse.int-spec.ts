import assert from 'node:assert/strict';
import { Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@orzo/testing';
import { SseStream } from '../src/sse';
import { openSse } from './sse-client';

describe('server-sent events on the wire', () => {
  let server: Server;
  let url: string;
  let closedByClient = false;

  before(async () => {
    server = createServer((req, res) => {
      const sse = new SseStream(res, 50);
      res.once('close', () => (closedByClient = !res.writableEnded));
      sse.send({ line: 'two\nlines' }, { id: 'p1' });
      if (req.url === '/ends') sse.end({ event: 'end', data: {} });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('frames each message with its id, keeps data on one line, and ends with the named event', async () => {
    const sse = await openSse(`${url}/ends`);
    await sse.done;
    assert.equal(sse.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(sse.headers.get('cache-control'), 'no-store, no-transform');
    assert.deepEqual(sse.events, [
      { event: 'message', id: 'p1', data: '{"line":"two\\nlines"}' },
      { event: 'end', id: undefined, data: '{}' },
    ]);
  });

  it('sends heartbeat comments while quiet, and notices the client leaving', async () => {
    const res = await fetch(`${url}/quiet`);
    const reader = res.body!.getReader();
    let text = '';
    await waitFor(
      async () => {
        text += new TextDecoder().decode((await reader.read()).value);
        return (text.match(/^: heartbeat$/gm) ?? []).length >= 2;
      },
      { what: 'two heartbeats' },
    );
    await reader.cancel();
    await waitFor(() => closedByClient, { what: 'the server to see the client go' });
  });
});
