import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { buildImage, ensureBusyboxBase, waitFor } from '@orzo/testing';
import { DockerEngine, ReplicaRequest } from '../src/docker-engine';
import { normalizeStamp } from '../src/logs/log-merge';

const examples = join(__dirname, '..', '..', '..', '..', 'examples', 'services', 'hello');
const cluster = `logs-${process.pid}`;

describe('DockerEngine: the output and the restart generation of replicas, on a real Docker Engine', () => {
  const docker = new Docker();
  const engine = new DockerEngine(docker);
  const image = 'orzo-test/hello:logs';
  const request = (over: Partial<ReplicaRequest> = {}): ReplicaRequest => ({
    service: 'hello',
    instance: 'main',
    cluster,
    image,
    gitSha: 'abcdef1234567890',
    configHash: 'config12345678',
    cpus: 0.25,
    memMb: 32,
    env: { ORZO_PORT: '8080' },
    containerPort: 8080,
    ...over,
  });

  before(async () => {
    await ensureBusyboxBase(docker);
    await buildImage(docker, { context: examples, tag: image, buildargs: { VERSION: 'logs-test' } });
  });
  after(async () => {
    for (const r of await engine.list({ cluster })) await engine.remove(r.id);
    await docker
      .getImage(image)
      .remove()
      .catch(() => undefined);
  });

  it('reads stdout and stderr lines with their stamps, the last n, and only those since a time', async () => {
    // stdout first, stderr a moment later: Docker applies `tail` to both streams together, so
    // the last two lines of the log must be stderr's for the stderr-only tail below to be sure.
    const r = await engine.run(
      request({ cmd: 'for i in 1 2 3 4 5; do echo "out $i"; done; sleep 0.3; for i in 1 2 3 4 5; do echo "err $i" >&2; done; sleep 30' }),
    );
    const all = await waitFor(async () => {
      const lines = await engine.logs(r.id, { tail: 100, stdout: true, stderr: true });
      return lines.length === 10 ? lines : undefined;
    });
    assert.deepEqual(
      all.filter((l) => l.stream === 'stdout').map((l) => l.line),
      ['out 1', 'out 2', 'out 3', 'out 4', 'out 5'],
    );
    assert.deepEqual(
      all.filter((l) => l.stream === 'stderr').map((l) => l.line),
      ['err 1', 'err 2', 'err 3', 'err 4', 'err 5'],
    );
    for (const l of all) assert.match(normalizeStamp(l.at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const onlyErr = await engine.logs(r.id, { tail: 2, stdout: false, stderr: true });
    assert.deepEqual(
      onlyErr.map((l) => l.line),
      ['err 4', 'err 5'],
    );
    const later = await engine.logs(r.id, { tail: 100, since: String(Date.now() / 1000 + 60), stdout: true, stderr: true });
    assert.deepEqual(later, []);
  });

  it('labels a replica with the restart token of its spec, and reads it back', async () => {
    const r = await engine.run(request({ instance: 'restarted', forceBounce: '20261130T060000-abcd' }));
    assert.equal(r.forceBounce, '20261130T060000-abcd');
    const plain = await engine.run(request({ instance: 'plain' }));
    assert.equal(plain.forceBounce, '');
    assert.equal((await docker.getContainer(plain.id).inspect()).Config.Labels['orzo.force_bounce'], undefined);
  });
});
