import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { buildImage, ensureBusyboxBase, waitFor } from '@orzo/testing';
import { DockerEngine } from '../src/docker-engine';
import { OneOffRequest, OneOffsUnsupportedError } from '../src/engine/one-off';
import { SwarmEngine } from '../src/engine/swarm-engine';

const examples = join(__dirname, '..', '..', '..', '..', 'examples', 'services', 'hello');
const cluster = `oneoff-${process.pid}`;

describe('one-off runs on a real Docker Engine (orzo remote-run)', () => {
  const docker = new Docker();
  const engine = new DockerEngine(docker);
  const image = 'orzo-test/hello:oneoff';
  const request = (cmd: string): OneOffRequest => ({
    service: 'hello',
    instance: 'report',
    cluster,
    image,
    gitSha: 'abcdef1234567890',
    cmd,
    args: [],
    env: { PAASTA_INSTANCE: 'report', GREETING: 'hi there' },
    cpus: 0.25,
    memMb: 32,
    by: 'test',
  });
  const mine = async () => docker.listContainers({ all: true, filters: { label: ['orzo.one_off=true', `orzo.cluster=${cluster}`] } });

  before(async () => {
    await ensureBusyboxBase(docker);
    await buildImage(docker, { context: examples, tag: image });
  });
  after(async () => {
    for (const c of await mine()) await engine.remove(c.Id);
    await docker
      .getImage(image)
      .remove()
      .catch(() => undefined);
  });

  it('runs the command with its env and limits, keeps every line in order, reports the exit code, and is no replica', async () => {
    const run = await engine.runOneOff(request('for i in 1 2 3; do echo "$GREETING $i"; done; echo oops >&2; exit 7'));
    assert.match(run.name, /^orzo-run-hello-report-/);
    const ended = await waitFor(async () => {
      const s = await engine.oneOffState(run.id);
      return s && !s.running ? s : undefined;
    });
    assert.equal(ended.exitCode, 7);
    const { lines, partial } = await engine.oneOffLogs(run.id);
    assert.equal(partial, 0);
    // Docker copies stdout and stderr separately: the order within each stream is kept, not between them.
    assert.deepEqual(
      lines.filter((l) => l.stream === 'stdout').map((l) => l.line),
      ['hi there 1', 'hi there 2', 'hi there 3'],
    );
    assert.deepEqual(
      lines.filter((l) => l.stream === 'stderr').map((l) => l.line),
      ['oops'],
    );
    const info = await docker.getContainer(run.id).inspect();
    assert.equal(info.HostConfig.NanoCpus, 0.25e9);
    assert.equal(info.HostConfig.Memory, 32 * 1024 * 1024);
    assert.equal(info.Config.Labels['orzo.managed'], undefined);
    // The reconciler looks at replicas only: a one-off is none of them.
    assert.deepEqual(await engine.list({ cluster }), []);
    await engine.remove(run.id);
    assert.equal(await engine.oneOffState(run.id), undefined);
    assert.deepEqual(await mine(), []);
  });

  it('an image that is nowhere is refused before anything is created', async () => {
    await assert.rejects(engine.runOneOff({ ...request('true'), image: 'orzo-test/none:missing' }), /does not exist/);
    assert.deepEqual(await mine(), []);
  });

  it('a swarm cluster says one-offs are not supported there yet', async () => {
    const swarm = new SwarmEngine(docker);
    await assert.rejects(
      swarm.runOneOff(request('true')),
      (err: Error) => err instanceof OneOffsUnsupportedError && /not supported on a swarm/.test(err.message),
    );
  });
});
