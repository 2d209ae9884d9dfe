import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { ORZO_CLI, PlatformHandle, REPO_ROOT, buildImage, copySoaConfigs, ensureBusyboxBase, startPlatform, waitFor } from '@orzo/testing';

const V1 = 'cccccccc11111111111111111111111111111111';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * orzo remote-run end to end: the CLI asks control-api (RemoteRun, operate scope), which has
 * the cluster's scheduler-bridge run the adhoc instance at its deploy group's version on the
 * real Docker Engine, and streams its output and exit code back.
 */
describe('orzo remote-run: an adhoc instance run once on the cluster, its output and exit code', () => {
  const docker = new Docker();
  let platform: PlatformHandle;
  let service = '';
  let soaDir = '';

  const cli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> =>
    new Promise((resolve) =>
      execFile(process.execPath, [ORZO_CLI, ...args], { env: { ...platform.env, ...env }, timeout: 90_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
      ),
    );
  /** One-off containers of this service, running or not. */
  const oneOffs = async () => docker.listContainers({ all: true, filters: { label: ['orzo.one_off=true', `orzo.service=${service}`] } });

  before(async () => {
    service = `adhoc-${Math.random().toString(36).slice(2, 8)}`;
    const soa = await copySoaConfigs({
      service,
      files: {
        'kubernetes-local.yaml': `main:
  cpus: 0.1
  mem: 64
  container_port: 8080
  instances: 1
  healthcheck_grace_period_seconds: 5
  healthcheck_interval_seconds: 1
  registrations: ['${service}.main']
  deploy_group: local.main
  drain_method_params:
    delay: 0
`,
        'adhoc-local.yaml': `report:
  cpus: 0.1
  mem: 64
  deploy_group: local.main
  env:
    GREETING: hello there
  cmd: 'echo "$GREETING from $PAASTA_SERVICE.$PAASTA_INSTANCE in $ORZO_CLUSTER at $ORZO_GIT_SHA"; echo "to stderr" >&2'
`,
      },
    });
    soaDir = soa.dir;
    await ensureBusyboxBase(docker);
    await buildImage(docker, {
      context: join(REPO_ROOT, 'examples', 'services', 'hello'),
      tag: `services-${service}:orzo-${V1}`,
      buildargs: { VERSION: 'v1' },
    });
    platform = await startPlatform({ ORZO_SOA_DIR: soa.dir });
    const mark = await cli(['mark-for-deployment', '-s', service, '-l', 'local.main', '-c', V1]);
    assert.equal(mark.code, 0, mark.stderr + mark.stdout);
  });

  after(async () => {
    await platform?.stop();
    for (const c of await docker.listContainers({ all: true, filters: { label: [`orzo.service=${service}`] } }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    await docker
      .getImage(`services-${service}:orzo-${V1}`)
      .remove()
      .catch(() => undefined);
  });

  it('--cmd "echo hi; exit 3" prints hi and exits 3; the container is removed', async () => {
    const r = await cli(['remote-run', '-s', service, '-c', 'local', '-i', 'report', '--cmd', 'echo hi; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    assert.match(r.stderr, new RegExp(`running ${service}\\.report on local: services-${service}:orzo-${V1} as orzo-run-`));
    assert.match(r.stderr, /exited with code 3/);
    assert.deepEqual(await oneOffs(), []);
  });

  it("runs the instance's own cmd with its env and the PAASTA_*/ORZO_* variables; stderr goes to stderr; exit 0", async () => {
    const r = await cli(['remote-run', '-s', service, '-c', 'local', '-i', 'report', '-f']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `hello there from ${service}.report in local at ${V1}\n`);
    assert.match(r.stderr, /^to stderr$/m);
    assert.deepEqual(await oneOffs(), []);
  });

  it('--max-duration stops a run past it (SIGTERM: exit 143), says why, removes it', async () => {
    const r = await cli(['remote-run', '-s', service, '-c', 'local', '-i', 'report', '--cmd', 'echo started; sleep 60', '-m', '1']);
    assert.equal(r.code, 143, r.stderr);
    assert.equal(r.stdout, 'started\n');
    assert.match(r.stderr, /killed after max_duration_seconds 1/);
    assert.deepEqual(await oneOffs(), []);
  });

  it('Ctrl-C kills the run and removes its container: exit 130', async () => {
    const child = spawn(process.execPath, [ORZO_CLI, 'remote-run', '-s', service, '-c', 'local', '-i', 'report', '--cmd', 'echo started; sleep 60'], {
      env: platform.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await waitFor(() => out.includes('started'), { timeoutMs: 30_000, what: 'the run to start' });
    assert.equal((await oneOffs()).length, 1);
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    await waitFor(async () => (await oneOffs()).length === 0, { timeoutMs: 15_000, what: 'the killed run to be removed' });
  });

  it('an unknown adhoc instance is refused with what exists, and nothing runs', async () => {
    const r = await cli(['remote-run', '-s', service, '-c', 'local', '-i', 'main', '--cmd', 'echo never']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`NOT_FOUND: ${service} has no adhoc instance main on cluster local \\(adhoc-local\\.yaml\\); it has: local\\.report`));
    assert.equal(r.stdout, '');
    assert.deepEqual(await oneOffs(), []);
  });

  it("local-run without --build/--pull runs the deploy group's marked image found here; --pull refuses an image with no registry", async () => {
    const r = await cli(['local-run', '-s', service, '-c', 'local', '-i', 'main', '-y', soaDir, '-t']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /health check passed: GET http:\/\/127\.0\.0\.1:\d+\/status: HTTP 200/);
    const pull = await cli(['local-run', '-s', service, '-c', 'local', '-i', 'main', '-y', soaDir, '--pull', '-t']);
    assert.equal(pull.code, 1);
    assert.match(pull.stderr, new RegExp(`services-${service}:orzo-${V1} has no registry in its name`));
    assert.deepEqual(await docker.listContainers({ all: true, filters: { label: ['orzo.local_run=true', `orzo.service=${service}`] } }), []);
  });

  it('a token without operate scope is refused, and nothing runs', async () => {
    const made = await cli(['token', 'create', '--name', `reader-${service}`, '--scope', 'read', '--scope', `deploy:${service}`]);
    assert.equal(made.code, 0, made.stderr);
    const r = await cli(['remote-run', '-s', service, '-c', 'local', '-i', 'report', '--cmd', 'echo never'], { ORZO_TOKEN: made.stdout.trim() });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /PERMISSION_DENIED: .*operate/);
    assert.equal(r.stdout, '');
    assert.deepEqual(await oneOffs(), []);
  });
});
