import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { PlatformHandle, REPO_ROOT, buildImage, ensureBusyboxBase, httpGet, startPlatform, waitFor } from '@orzo/testing';

const PROXY = 20001; // examples/soa-configs/hello/smartstack.yaml
const V1 = 'aaaaaaaa11111111111111111111111111111111';
const V2 = 'bbbbbbbb22222222222222222222222222222222';

interface Status {
  instances: Array<{
    state: string;
    desiredGitSha: string;
    healthyReplicas: number;
    desiredReplicas: number;
    replicas: Array<{ replicaId: string; gitSha: string; state: string }>;
  }>;
}

describe('deploy, connect, heal: the example service on real Docker and HAProxy', () => {
  const docker = new Docker();
  let platform: PlatformHandle;
  const output = () => platform.output();
  const cli = (...args: string[]) => platform.cli(args);
  const status = (): Status => {
    const r = cli('status', '-s', 'hello', '--json');
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as Status;
  };
  const version = async () => (await httpGet(`http://127.0.0.1:${PROXY}/version`)).body.trim();
  const helloContainers = async () =>
    (await docker.listContainers({ filters: { label: ['orzo.managed=true', 'orzo.service=hello', 'orzo.cluster=local'] } })).map((c) => ({
      id: c.Id,
      sha: c.Labels['orzo.git_sha'],
    }));

  before(async () => {
    for (const c of await helloContainers()) await docker.getContainer(c.id).remove({ force: true });
    await ensureBusyboxBase(docker);
    const context = join(REPO_ROOT, 'examples', 'services', 'hello');
    await buildImage(docker, { context, tag: `services-hello:orzo-${V1}`, buildargs: { VERSION: 'v1' } });
    await buildImage(docker, { context, tag: `services-hello:orzo-${V2}`, buildargs: { VERSION: 'v2' } });
    platform = await startPlatform();
  });
  after(async () => {
    await platform?.stop();
    for (const c of await helloContainers()) await docker.getContainer(c.id).remove({ force: true });
  });

  it('refuses to mark an image that does not exist, and changes nothing', async () => {
    const r = cli('mark-for-deployment', '-s', 'hello', '-l', 'local.main', '-c', 'cccccccc33333333333333333333333333333333');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /INVALID_ARGUMENT: image services-hello:orzo-cccccccc3+ does not exist on cluster local's engine/);
    assert.equal(status().instances[0]!.desiredGitSha ?? '', '', 'nothing was marked');
  });

  it('reaches 3/3 healthy and answers through HAProxy on the proxy_port', async () => {
    const mark = platform.cli(['mark-for-deployment', '-s', 'hello', '-l', 'local.main', '-c', V1, '--wait', '--timeout', '90'], 120_000);
    assert.equal(mark.status, 0, mark.stderr + mark.stdout);
    assert.match(mark.stdout, /local.main: Running; 3\/3 new replicas healthy/);
    assert.match(mark.stdout, new RegExp(`Deployed services-hello:orzo-${V1}`));
    await waitFor(async () => (await version().catch(() => '')) === 'v1', {
      timeoutMs: 60_000,
      what: `v1 through 127.0.0.1:${PROXY}\n${output().slice(-3000)}`,
    });
    const st = await waitFor(
      () => {
        const s = status();
        return s.instances[0]!.healthyReplicas === 3 && s.instances[0]!.state === 'Running' ? s : undefined;
      },
      { timeoutMs: 30_000, what: 'status Running 3/3' },
    );
    assert.equal(st.instances[0]!.desiredGitSha, V1);
    assert.equal((await helloContainers()).length, 3);
  });

  it('bounces to a new version with a crossover while a client sees zero failures', async () => {
    let ok = 0;
    let failures = 0;
    const seen = new Set<string>();
    let stop = false;
    const client = (async () => {
      while (!stop) {
        try {
          const v = await version();
          seen.add(v);
          ok++;
        } catch {
          failures++;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const mark = cli('mark-for-deployment', '-s', 'hello', '-l', 'local.main', '-c', V2);
    assert.equal(mark.status, 0, mark.stderr);
    await waitFor(
      async () => {
        const cs = await helloContainers();
        return cs.length === 3 && cs.every((c) => c.sha === V2) && (await version()) === 'v2';
      },
      { timeoutMs: 90_000, what: `only v2 running and serving\n${output().slice(-3000)}` },
    );
    await new Promise((r) => setTimeout(r, 1_000));
    stop = true;
    await client;
    assert.equal(failures, 0, `${failures} failed requests out of ${ok + failures}`);
    assert.ok(ok > 20, `the client kept asking (${ok} requests)`);
    assert.deepEqual([...seen].sort(), ['v1', 'v2']);
    for (let i = 0; i < 5; i++) assert.equal(await version(), 'v2');
  });

  it('replaces a replica killed or removed by hand and gets back to 3/3 healthy', async () => {
    for (const how of [['kill'], ['rm', '-f']]) {
      const [victim] = await helloContainers();
      execFileSync('docker', [...how, victim!.id]);
      await waitFor(
        async () => {
          const cs = await helloContainers();
          const s = status().instances[0]!;
          return cs.length === 3 && !cs.some((c) => c.id === victim!.id) && s.healthyReplicas === 3;
        },
        { timeoutMs: 60_000, what: `replacement after docker ${how.join(' ')}` },
      );
      assert.equal(await version(), 'v2');
    }
  });
});
