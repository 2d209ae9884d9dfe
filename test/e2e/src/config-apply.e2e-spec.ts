import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { ORZO_CLI, PlatformHandle, REPO_ROOT, buildImage, copySoaConfigs, ensureBusyboxBase, freePort, startPlatform, waitFor } from '@orzo/testing';

const V1 = 'cfcfcfcf11111111111111111111111111111111';

function instanceConfig(service: string, greeting: string, mem: number): string {
  return `main:
  cpus: 0.1
  mem: ${mem}
  container_port: 8080
  instances: 2
  healthcheck_grace_period_seconds: 5
  healthcheck_interval_seconds: 1
  healthcheck_max_consecutive_failures: 3
  drain_method_params:
    delay: 1
  registrations: ['${service}.main']
  deploy_group: local.main
  env:
    GREETING: ${greeting}
`;
}

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

describe('orzo config apply: a soa-configs change reaches running replicas through the bounce, without a new mark', () => {
  const docker = new Docker();
  let platform: PlatformHandle;
  let service: string;
  let file: string;

  const cli = (...args: string[]): Promise<Run> =>
    new Promise((resolve) =>
      execFile(process.execPath, [ORZO_CLI, ...args], { env: platform.env, timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      ),
    );
  const containers = async () =>
    docker.listContainers({ filters: { label: ['orzo.managed=true', `orzo.service=${service}`, `orzo.instance=main`] } }).then((cs) => cs.map((c) => c.Id));
  const running = (what: string, not: Set<string> = new Set()) =>
    waitFor(
      async () => {
        const r = await cli('status', '-s', service, '-c', 'local', '-i', 'main', '--json');
        const s = (JSON.parse(r.stdout) as { instances: Array<{ state: string; healthyReplicas: number }> }).instances[0]!;
        const cs = await containers();
        return s.state === 'Running' && s.healthyReplicas === 2 && cs.length === 2 && cs.every((c) => !not.has(c)) ? cs : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: `${what}\n${platform?.output().slice(-3000)}` },
    );

  before(async () => {
    const proxyPort = await freePort();
    service = `cfg-${Math.random().toString(36).slice(2, 8)}`;
    const soa = await copySoaConfigs({ service, proxyPort, files: { 'kubernetes-local.yaml': instanceConfig(service, 'one', 64) } });
    file = join(soa.dir, service, 'kubernetes-local.yaml');
    await ensureBusyboxBase(docker);
    await buildImage(docker, {
      context: join(REPO_ROOT, 'examples', 'services', 'hello'),
      tag: `services-${service}:orzo-${V1}`,
      buildargs: { VERSION: 'v1' },
    });
    platform = await startPlatform({ ORZO_SOA_DIR: soa.dir });
    const mark = await cli('mark-for-deployment', '-s', service, '-l', 'local.main', '-c', V1, '--wait', '--timeout', '120');
    assert.equal(mark.status, 0, mark.stderr + mark.stdout);
  });

  after(async () => {
    await platform?.stop();
    if (service) {
      for (const c of await docker.listContainers({ all: true, filters: { label: ['orzo.managed=true', `orzo.service=${service}`] } }))
        await docker.getContainer(c.Id).remove({ force: true });
      await docker
        .getImage(`services-${service}:orzo-${V1}`)
        .remove()
        .catch(() => undefined);
    }
  });

  it('nothing to apply while the tree matches; --dry-run lists a change and touches nothing; apply bounces every replica to the new env and memory', async () => {
    const first = await running('deployed');
    const none = await cli('config', 'apply', '-s', service);
    assert.equal(none.status, 0, none.stderr);
    assert.match(none.stdout, /Nothing to apply: 1 running instance/);

    writeFileSync(file, instanceConfig(service, 'two', 96));
    const dry = await cli('config', 'apply', '-s', service, '--dry-run');
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`${service}\\.local\\.main +config[0-9a-f]{8} +config[0-9a-f]{8} +would re-deploy \\(dry run\\)`));
    await new Promise((r) => setTimeout(r, 1_500));
    assert.deepEqual((await containers()).sort(), [...first].sort(), 'a dry run changes nothing');

    const applied = await cli('config', 'apply', '-s', service);
    assert.equal(applied.status, 0, applied.stderr);
    assert.match(applied.stdout, /re-deploying through its bounce method/);
    const second = await running('every replica replaced', new Set(first));
    for (const id of second) {
      const c = await docker.getContainer(id).inspect();
      assert.ok(c.Config.Env.includes('GREETING=two'), c.Config.Env.join(' '));
      assert.equal(c.HostConfig.Memory, 96 * 1024 * 1024);
    }
    const again = await cli('config', 'apply', '-s', service);
    assert.match(again.stdout, /Nothing to apply/);

    const history = await cli('history', '-s', service);
    assert.match(history.stdout, /soa-configs applied: local\.main re-deployed through the bounce method/);
    const events = await cli('events', '-s', service, '--kind', 'config', '--since', '10m');
    assert.equal(events.status, 0, events.stderr);
    assert.match(events.stdout, /config\.changed/);
  });
});
