import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defineRpc } from '@orzo/contracts';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '@orzo/platform';
import { z } from 'zod';
import { RpcFailedError, RpcResponder, callRpc } from '../src';
import { BusRig, busRig, silent } from './helpers';

const lookup = defineRpc({
  name: 'builder.lookup',
  servedBy: 'builder',
  subject: 'orzo.rpc.test.lookup.v1',
  queue: 'test',
  request: z.object({ name: z.string().min(1, 'name is required'), times: z.number().int() }),
  reply: z.object({ value: z.string() }),
});

describe('request/reply on a real nats-server', () => {
  let rig: BusRig;
  const responders: Array<RpcResponder<unknown, unknown>> = [];
  before(async () => {
    rig = await busRig();
    const responder = new RpcResponder(
      lookup,
      async ({ name, times }) => {
        if (name === 'missing') throw new NotFoundError(`no thing named ${name}`);
        if (name === 'slow') await new Promise((r) => setTimeout(r, 1_000));
        if (name === 'broken') return { value: 7 } as unknown as { value: string };
        return { value: name.repeat(times) };
      },
      silent,
    );
    responder.start(rig.nc);
    responders.push(responder as RpcResponder<unknown, unknown>);
  });
  after(async () => {
    await Promise.all(responders.map((r) => r.stop()));
    await rig.close();
  });

  it('answers a valid request with the validated reply', async () => {
    assert.deepEqual(await callRpc(rig.nc, lookup, { name: 'ab', times: 2 }, { timeout: 2_000 }), { value: 'abab' });
  });

  it('refuses a bad request before sending it, naming every problem', async () => {
    await assert.rejects(
      callRpc(rig.nc, lookup, { name: '', times: 1.5 }, { timeout: 2_000 }),
      (err: Error) => err instanceof InvalidArgumentError && /name: name is required/.test(err.message) && /times: .*expected int/.test(err.message),
    );
  });

  it('answers a bad request from anyone with invalid-argument and every problem', async () => {
    const reply = (await rig.nc.request(lookup.subject, JSON.stringify({ times: 'x' }), { timeout: 2_000 })).json<{ error: string; kind: string }>();
    assert.equal(reply.kind, 'invalid-argument');
    assert.match(reply.error, /name: .*; times: /);
  });

  it("turns a responder's domain error into the same error at the caller", async () => {
    await assert.rejects(
      callRpc(rig.nc, lookup, { name: 'missing', times: 1 }, { timeout: 2_000 }),
      (err: Error) => err instanceof NotFoundError && err.message === 'no thing named missing',
    );
  });

  it('says which service did not answer, telling no responders from a timeout', async () => {
    const nobody = defineRpc({ ...lookup, name: 'x', subject: 'orzo.rpc.test.nobody.v1', request: z.object({}), reply: z.object({}) });
    await assert.rejects(
      callRpc(rig.nc, nobody, {}, { timeout: 2_000 }),
      (err: Error) => err instanceof UnavailableError && /no builder is listening on orzo\.rpc\.test\.nobody\.v1 \(no responders\)/.test(err.message),
    );
    await assert.rejects(
      callRpc(rig.nc, lookup, { name: 'slow', times: 1 }, { timeout: 200 }),
      (err: Error) => err instanceof UnavailableError && /builder did not answer orzo\.rpc\.test\.lookup\.v1 within 200ms \(timeout\)/.test(err.message),
    );
  });

  it('reports a reply that breaks the contract instead of returning it', async () => {
    await assert.rejects(
      callRpc(rig.nc, lookup, { name: 'broken', times: 1 }, { timeout: 2_000 }),
      (err: Error) => err instanceof RpcFailedError && /builder failed on orzo\.rpc\.test\.lookup\.v1: bad reply: value: /.test(err.message),
    );
  });
});
