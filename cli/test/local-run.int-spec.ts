import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { ORZO_CLI, copySoaConfigs, ensureBusyboxBase, freePort, httpGet, waitFor } from '@orzo/testing';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** orzo <args>, async (the test's own loop keeps running). */
function orzo(args: string[], timeoutMs = 120_000): Promise<Ran> {
  return new Promise((resolve) =>
    execFile(process.execPath, [ORZO_CLI, ...args], { timeout: timeoutMs, env: { ...process.env, ORZO_CONTROL_API: '127.0.0.1:1' } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    ),
  );
}

describe('orzo local-run: the example service on this Docker, its health check simulated', () => {
  const docker = new Docker();
  let service = '';
  let soaDir = '';
  let brokenDir = '';

  /** Containers of this test's local runs, running or not. */
  const leftovers = async () =>
    (await docker.listContainers({ all: true, filters: { label: ['orzo.local_run=true', `orzo.service=${service}`] } })).map((c) => c.Names[0]);

  before(async () => {
    await ensureBusyboxBase(docker);
    const soa = await copySoaConfigs();
    service = soa.service;
    soaDir = soa.dir;
    // A copy whose health check asks for a page the example does not have.
    const broken = await copySoaConfigs({ service });
    brokenDir = broken.dir;
    const file = join(brokenDir, service, 'kubernetes-local.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8')
        .replace('healthcheck_grace_period_seconds: 5', 'healthcheck_grace_period_seconds: 1')
        .replace('deploy_group: local.main', 'deploy_group: local.main\n  healthcheck_uri: /nope'),
    );
  });

  after(async () => {
    for (const c of await docker.listContainers({ all: true, filters: { label: [`orzo.service=${service}`] } }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    await docker
      .getImage(`services-${service}:local-run`)
      .remove({ force: true })
      .catch(() => undefined);
  });

  it('-d prints the docker build and run commands with the instance env, port and resources, and runs nothing', async () => {
    const r = await orzo(['local-run', '-s', service, '-c', 'local', '-i', 'main', '-y', soaDir, '--build', '-d', '-o', '18080']);
    assert.equal(r.code, 0, r.stderr);
    const [build, run] = r.stdout.trim().split('\n');
    assert.match(build!, new RegExp(`^docker build .*-t services-${service}:local-run .*examples/services/hello$`));
    assert.match(run!, /^docker run --name orzo-local-run-/);
    for (const part of [
      '--cpus 0.1',
      '--memory 64m',
      '--publish 127.0.0.1:18080:8080',
      `-e PAASTA_SERVICE=${service}`,
      '-e ORZO_INSTANCE=main',
      '-e PAASTA_CLUSTER=local',
      '-e ORZO_PORT=8080',
      `-e ORZO_DOCKER_IMAGE=services-${service}:local-run`,
      '--init',
    ])
      assert.ok(run!.includes(part), `${part} in ${run}`);
    assert.deepEqual(await leftovers(), []);
    await assert.rejects(docker.getImage(`services-${service}:local-run`).inspect(), 'nothing was built');
  });

  it('-t builds the image, passes the health check and exits 0, leaving no container', async () => {
    const r = await orzo(['local-run', '-s', service, '-c', 'local', '-i', 'main', '-y', soaDir, '--build', '-t']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /health check passed: GET http:\/\/127\.0\.0\.1:\d+\/status: HTTP 200/);
    assert.deepEqual(await leftovers(), []);
  });

  it('-t with a broken health check fails it after the grace period and the consecutive failures: exit 1, no container', async () => {
    const started = Date.now();
    const r = await orzo(['local-run', '-s', service, '-c', 'local', '-i', 'main', '-y', brokenDir, '--image', `services-${service}:local-run`, '-t']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /failed \(ignored: within the grace period\)/);
    assert.match(r.stderr, /health check failed \(3 of 3\): GET http:\/\/127\.0\.0\.1:\d+\/nope: HTTP 404/);
    // grace 1s, then three failures 1s apart.
    assert.ok(Date.now() - started >= 3_000, `took ${Date.now() - started} ms`);
    assert.deepEqual(await leftovers(), []);
  });

  it('runs the service answering HTTP on its port with its env, streams its log, and SIGTERM stops and removes it', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        ORZO_CLI,
        'local-run',
        '-s',
        service,
        '-c',
        'local',
        '-i',
        'main',
        '-y',
        soaDir,
        '--image',
        `services-${service}:local-run`,
        '-o',
        String(port),
        '--cmd',
        'echo "up as $PAASTA_SERVICE.$ORZO_INSTANCE"; exec httpd -f -v -p "$ORZO_PORT" -h /www',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitFor(() => err.includes('health check passed'), { timeoutMs: 30_000, what: `the health check to pass\n${err}` });
      const page = await httpGet(`http://127.0.0.1:${port}/status`);
      assert.equal(page.status, 200);
      assert.equal(page.body.trim(), 'ok');
      await waitFor(() => out.includes(`up as ${service}.main`), { timeoutMs: 10_000, what: `the container's output\n${out}` });
      assert.equal((await leftovers()).length, 1);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 143);
    assert.deepEqual(await leftovers(), []);
  });

  it('Ctrl-C stops and removes the container: exit 130', async () => {
    const child = spawn(
      process.execPath,
      [
        ORZO_CLI,
        'local-run',
        '-s',
        service,
        '-c',
        'local',
        '-i',
        'main',
        '-y',
        soaDir,
        '--image',
        `services-${service}:local-run`,
        '-k',
        '--cmd',
        'echo started; exec sleep 60',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await waitFor(() => out.includes('started'), { timeoutMs: 30_000, what: `the container's output\n${out}` });
    assert.equal((await leftovers()).length, 1);
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    assert.deepEqual(await leftovers(), []);
  });

  it('without --build, --pull or --image and no control-api, says which flag to use', async () => {
    const r = await orzo(['local-run', '-s', service, '-c', 'local', '-i', 'main', '-y', soaDir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--build/);
    const unknown = await orzo(['local-run', '-s', service, '-c', 'local', '-i', 'nope', '-y', soaDir, '--build']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, new RegExp(`${service} has no instance nope on cluster local; it has: local\\.main`));
    assert.deepEqual(await leftovers(), []);
  });
});
