import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { ORZO_CLI, PlatformHandle, REPO_ROOT, buildImage, copySoaConfigs, ensureBusyboxBase, freePort, startPlatform, waitFor } from '@orzo/testing';

const V1 = 'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1';

/** Two replicas whose env references a secret of the service and a shared one. */
function instanceConfig(service: string): string {
  return `main:
  cpus: 0.1
  mem: 64
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
    DB_PASSWORD: SECRET(db_password)
    API_TOKEN: SHARED_SECRET(api_token)
`;
}

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

describe('secrets on the real platform: SECRET(name) reaches the container, a new value bounces it, a missing one fails the deploy naming it, no value anywhere else', () => {
  const docker = new Docker();
  let platform: PlatformHandle;
  let service: string;
  const P1 = `pw1-${randomBytes(10).toString('hex')}`;
  const P2 = `pw2-${randomBytes(10).toString('hex')}`;
  const TOKEN = `tok-${randomBytes(10).toString('hex')}`;
  const leaks = (text: string) => [P1, P2, TOKEN].filter((v) => text.includes(v));

  const cli = (args: string[], stdin = ''): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile(process.execPath, [ORZO_CLI, ...args], { env: platform.env, timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
      child.stdin!.end(stdin);
    });
  const containers = async () =>
    docker.listContainers({ filters: { label: ['orzo.managed=true', `orzo.service=${service}`, `orzo.instance=main`] } }).then((cs) => cs.map((c) => c.Id));
  const envOf = async (id: string) => (await docker.getContainer(id).inspect()).Config.Env;
  const status = async () => {
    const r = await cli(['status', '-s', service, '-c', 'local', '-i', 'main', '--json']);
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { instances: Array<{ state: string; healthyReplicas: number; reason?: string }> }).instances[0]!;
  };
  const running = (what: string, not: Set<string> = new Set()) =>
    waitFor(
      async () => {
        const s = await status();
        const cs = await containers();
        return s.state === 'Running' && s.healthyReplicas === 2 && cs.length === 2 && cs.every((c) => !not.has(c)) ? cs : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: `${what}\n${platform?.output().slice(-3000)}` },
    );

  before(async () => {
    const proxyPort = await freePort();
    service = `secret-${Math.random().toString(36).slice(2, 8)}`;
    const soa = await copySoaConfigs({
      service,
      proxyPort,
      files: {
        'kubernetes-local.yaml': instanceConfig(service),
        'adhoc-local.yaml':
          'report:\n  cpus: 0.1\n  mem: 64\n  deploy_group: local.main\n  env:\n    DB_PASSWORD: SECRET(db_password)\n  cmd: \'echo "pw=$DB_PASSWORD"\'\n',
      },
    });
    await ensureBusyboxBase(docker);
    await buildImage(docker, {
      context: join(REPO_ROOT, 'examples', 'services', 'hello'),
      tag: `services-${service}:orzo-${V1}`,
      buildargs: { VERSION: 'v1' },
    });
    platform = await startPlatform({ ORZO_SOA_DIR: soa.dir, ORZO_SECRET_KEY: randomBytes(32).toString('base64'), ORZO_DEPLOY_TIMEOUT_S: '30' });
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

  it('a deploy referencing a secret the store lacks fails with a reason naming it, and starts nothing', async () => {
    const shared = await cli(['secret', 'add', '--shared', '-n', 'api_token'], TOKEN);
    assert.equal(shared.status, 0, shared.stderr);
    const mark = await cli(['mark-for-deployment', '-s', service, '-l', 'local.main', '-c', V1, '--wait', '--timeout', '60']);
    assert.notEqual(mark.status, 0, mark.stdout);
    assert.match(mark.stdout + mark.stderr, /SECRET\(db_password\) of secret-\w+, not in Orzo's secret store/);
    assert.deepEqual(await containers(), []);
    // Asked again later, the deploy still says why it failed.
    const waited = await cli(['wait-for-deployment', '-s', service, '-l', 'local.main', '-c', V1, '-t', '5']);
    assert.equal(waited.status, 1);
    assert.match(
      waited.stdout + waited.stderr,
      /SECRET\(db_password\) of secret-\w+, not in Orzo's secret store: add it with orzo secret add -s secret-\w+ -n db_password/,
    );
  });

  it('adding it deploys the instance with the value in its containers; updating it replaces every replica through the bounce with the new value', async () => {
    const added = await cli(['secret', 'add', '-s', service, '-n', 'db_password'], `${P1}\n`);
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stdout, /re-deploying local\.main/);
    const first = await running('deployed once db_password exists');
    for (const id of first) {
      const env = await envOf(id);
      assert.ok(env.includes(`DB_PASSWORD=${P1}`), env.join(' '));
      assert.ok(env.includes(`API_TOKEN=${TOKEN}`));
    }
    const updated = await cli(['secret', 'update', '-s', service, '-n', 'db_password'], P2);
    assert.equal(updated.status, 0, updated.stderr);
    const second = await running('every replica replaced after the update', new Set(first));
    for (const id of second) assert.ok((await envOf(id)).includes(`DB_PASSWORD=${P2}`));
  });

  it('no value in status, history, events, secret list, info or any log line of the platform', async () => {
    const outputs = await Promise.all([
      cli(['status', '-s', service, '-v']),
      cli(['status', '-s', service, '--json']),
      cli(['history', '-s', service, '--json']),
      cli(['events', '-s', service, '--since', '30m']),
      cli(['secret', 'list', '-s', service, '--json']),
      cli(['secret', 'list', '--shared']),
      cli(['info', '-s', service]),
    ]);
    for (const o of outputs) assert.deepEqual(leaks(o.stdout + o.stderr), [], o.stdout);
    assert.match(outputs[2]!.stdout, /secret db_password updated/);
    assert.deepEqual(leaks(platform.output()), [], 'no service logged a value');
  });

  it('orzo remote-run of an adhoc instance gets the value too (resolved by control-api, sent in the one-off request only)', async () => {
    const r = await cli(['remote-run', '-s', service, '-c', 'local', '-i', 'report']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`pw=${P2}`));
  });
});
