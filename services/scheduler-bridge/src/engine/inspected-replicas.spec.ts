import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { Replica } from './engine';
import { DIED_FRESH_MS, InspectedReplicas } from './inspected-replicas';

const replica = (id: string, hostPort = 32768): Replica => ({
  id,
  name: `orzo-hello-main-${id}`,
  service: 'hello',
  instance: 'main',
  cluster: 'local',
  gitSha: 'a'.repeat(40),
  configHash: 'c',
  forceBounce: '',
  image: 'services-hello:orzo-a',
  state: 'running',
  running: true,
  host: '127.0.0.1',
  hostPort,
  startedAt: '2026-11-30T10:00:00.000000000Z',
  oomKilled: false,
});

const listed = (id: string, state = 'running', publicPort = 32768): Docker.ContainerInfo =>
  ({
    Id: id,
    Names: [`/orzo-hello-main-${id}`],
    State: state,
    Labels: { 'orzo.managed': 'true', 'orzo.service': 'hello', 'orzo.instance': 'main', 'orzo.cluster': 'local' },
    Ports: state === 'running' ? [{ IP: '127.0.0.1', PrivatePort: 8080, PublicPort: publicPort, Type: 'tcp' }] : [],
  }) as unknown as Docker.ContainerInfo;

describe('InspectedReplicas', () => {
  it('gives a remembered running replica from a listing only while an events stream is connected', () => {
    const known = new InspectedReplicas();
    known.remember(replica('a'), known.mark());
    assert.equal(known.fromListing(listed('a')), undefined, 'nothing is fresh without a stream');
    known.streamUp();
    assert.equal(known.fromListing(listed('a')), undefined, 'what was read before the stream connected is not trusted');
    known.remember(replica('a'), known.mark());
    assert.deepEqual(known.fromListing(listed('a')), replica('a'));
    known.streamDown();
    assert.equal(known.fromListing(listed('a')), undefined, 'a break forgets everything');
  });

  it('forgets a container on an event of it, and does not remember an inspect that began before one', () => {
    const known = new InspectedReplicas();
    known.streamUp();
    known.remember(replica('a'), known.mark());
    known.changed('a', 'restart');
    assert.equal(known.fromListing(listed('a')), undefined);
    const mark = known.mark();
    known.changed('a', 'start');
    known.changed('b', 'start');
    known.remember(replica('a'), mark);
    assert.equal(known.fromListing(listed('a')), undefined, 'read before its own change');
    known.remember(replica('b'), mark - 1);
    assert.equal(known.fromListing(listed('b')), undefined);
    const later = known.mark();
    known.changed('c', 'start');
    known.remember(replica('a'), later);
    assert.ok(known.fromListing(listed('a')), "another container's change does not matter");
  });

  it('reads again a container not running, or listed with other ports (restarted), and forgets what a listing no longer shows', () => {
    const known = new InspectedReplicas();
    known.streamUp();
    known.remember(replica('a'), known.mark());
    assert.equal(known.fromListing(listed('a', 'exited')), undefined);
    assert.equal(known.fromListing(listed('a', 'running', 40000)), undefined);
    known.remember(replica('a'), known.mark());
    known.keepOnly({ cluster: 'other' }, new Set());
    assert.ok(known.fromListing(listed('a')), 'a listing of another cluster says nothing of it');
    known.keepOnly({ cluster: 'local' }, new Set());
    assert.equal(known.fromListing(listed('a')), undefined);
  });

  const at = Date.parse('2026-11-30T10:05:00.000Z');

  it('knows a replica that just died from its last inspection and the die event, though the entry is stale for listings', () => {
    const known = new InspectedReplicas();
    known.streamUp();
    known.remember({ ...replica('a'), bridge: { ip: '172.17.0.5', port: 8080 } }, known.mark());
    assert.equal(known.justDied('a', at), undefined, 'alive: no death known');
    known.changed('a', 'die', 137, at);
    assert.equal(known.fromListing(listed('a')), undefined, 'dockerd still lists it running: not taken from the cache');
    // Without its bridge address: a dead replica is reachable nowhere.
    assert.deepEqual(known.justDied('a', at + 100), {
      ...replica('a'),
      state: 'exited',
      running: false,
      exitCode: 137,
      oomKilled: false,
      finishedAt: '2026-11-30T10:05:00.000Z',
    });
    assert.equal(known.justDied('a', at + DIED_FRESH_MS + 1), undefined, 'an old death: the engine answers an inspect by then');
  });

  it('takes an oom before the die for an OOM kill, and forgets a death on start, destroy, an inspect not running, or a break', () => {
    const known = new InspectedReplicas();
    known.streamUp();
    for (const id of ['a', 'b', 'c', 'd', 'e']) known.remember(replica(id), known.mark());
    known.changed('a', 'oom', undefined, at);
    known.changed('a', 'die', 137, at);
    assert.equal(known.justDied('a', at)?.oomKilled, true);
    known.changed('a', 'start', undefined, at);
    assert.equal(known.justDied('a', at), undefined, 'started again');
    known.changed('b', 'die', 1, at);
    known.changed('b', 'destroy', undefined, at);
    assert.equal(known.justDied('b', at), undefined, 'destroyed');
    known.changed('c', 'die', 1, at);
    known.remember({ ...replica('c'), running: false, state: 'exited', exitCode: 1 }, known.mark());
    assert.equal(known.justDied('c', at), undefined, 'the engine answered an inspect: that is what counts');
    known.changed('d', 'die', 2, at);
    known.changed('e', 'die', 3, at);
    assert.equal(known.justDied('d', at)?.exitCode, 2);
    known.streamDown();
    assert.equal(known.justDied('d', at), undefined, 'a break: events may have been missed');
    assert.equal(known.justDied('e', at), undefined);
  });

  it('keeps a death reported while an inspect that began before it was in flight', () => {
    const known = new InspectedReplicas();
    known.streamUp();
    const mark = known.mark();
    known.changed('a', 'die', 137, at);
    // dockerd answered the inspect it held as still running.
    known.remember(replica('a'), mark);
    assert.equal(known.justDied('a', at)?.exitCode, 137);
    assert.equal(known.fromListing(listed('a')), undefined, 'read before its change');
    known.remember(replica('a', 40000), mark - 1);
    assert.equal(known.justDied('a', at)?.hostPort, 32768, 'an older inspect does not replace a newer one');
  });

  it('reads again a container listed on another bridge address than remembered', () => {
    const known = new InspectedReplicas();
    known.streamUp();
    known.remember({ ...replica('a'), bridge: { ip: '172.17.0.5', port: 8080 } }, known.mark());
    const on = (ip: string) => ({ ...listed('a'), NetworkSettings: { Networks: { bridge: { IPAddress: ip } } } }) as unknown as Docker.ContainerInfo;
    assert.ok(known.fromListing(on('172.17.0.5')));
    assert.equal(known.fromListing(on('172.17.0.9')), undefined);
    assert.equal(known.fromListing(on('172.17.0.5')), undefined, 'stale until read again');
  });
});
