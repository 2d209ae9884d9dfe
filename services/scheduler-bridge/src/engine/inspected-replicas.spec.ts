import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { Replica } from './engine';
import { InspectedReplicas } from './inspected-replicas';

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
    assert.equal(known.fromListing(listed('a')), undefined, 'nothing is remembered without a stream');
    known.streamUp();
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
});
