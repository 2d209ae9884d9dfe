import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import {
  ORZO_CLI,
  PlatformHandle,
  REPO_ROOT,
  SoaCopy,
  buildImage,
  copySoaConfigs,
  ensureBusyboxBase,
  freePort,
  httpGet,
  startPlatform,
  waitFor,
} from '@orzo/testing';

const V1 = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
const V2 = 'a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2';
/** Starts and serves, but its health check (/status) answers 404: it never becomes healthy. */
const UNHEALTHY = 'badbadbad0000000000000000000000000000001';
/** Exits at once: a crash loop. */
const CRASHING = 'badbadbad0000000000000000000000000000002';
/** A failed deploy is reported after this long (scheduler-bridge's deploy timeout). */
const DEPLOY_TIMEOUT_S = 12;

interface Latest {
  gitSha: string;
  reason: string;
  requestedBy: string;
}

/**
 * rollback, auto-rollback, stop / start and wait-for-deployment on the whole platform (real
 * Docker, HAProxy, NATS), with the example service under a name of its own on a free proxy_port.
 */
describe('deploy controls: rollback, auto-rollback, stop/start and wait-for-deployment under load', () => {
  const docker = new Docker();
  let platform: PlatformHandle;
  let soa: SoaCopy;
  const built: string[] = [];
  const cli = (args: string[], timeoutMs?: number) => platform.cli(args, timeoutMs);
  /**
   * `orzo <args>` without blocking this process: while a client sends steady load from it, a
   * synchronous child would stall its event loop and turn answered requests into timeouts.
   */
  const cliAsync = (args: string[], timeoutMs = 30_000) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [ORZO_CLI, ...args], { env: platform.env, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) =>
        resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
      ),
    );
  const svc = () => soa.service;
  const image = (sha: string) => `services-${svc()}:orzo-${sha}`;
  const containers = async () =>
    (await docker.listContainers({ all: true, filters: { label: ['orzo.managed=true', `orzo.service=${svc()}`] } })).map((c) => ({
      id: c.Id,
      sha: c.Labels['orzo.git_sha'],
      running: c.State === 'running',
    }));
  const version = async () => (await httpGet(`http://127.0.0.1:${soa.proxyPort}/version`)).body.trim();
  const latest = async (): Promise<Latest> => {
    const r = await cliAsync(['get-latest-deployment', '-s', svc(), '-l', 'local.main', '--json']);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as Latest;
  };
  const statusOf = () => {
    const r = cli(['status', '-s', svc(), '--json']);
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { instances: Array<{ state: string; healthyReplicas: number }> }).instances[0]!;
  };
  const onlyRunning = async (sha: string, n: number) => {
    const cs = await containers();
    return cs.length === n && cs.every((c) => c.sha === sha && c.running);
  };
  /** A client asking through HAProxy every 20 ms until stopped; resolves to its tally. */
  const steadyLoad = () => {
    let stop = false;
    const tally = { ok: 0, failed: 0, seen: new Set<string>(), errors: [] as string[] };
    const loop = (async () => {
      while (!stop) {
        try {
          tally.seen.add(await version());
          tally.ok++;
        } catch (err) {
          tally.failed++;
          tally.errors.push(String(err));
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    return async () => {
      stop = true;
      await loop;
      return tally;
    };
  };
  const derived = async (from: string, sha: string, dockerfileTail: string) => {
    const context = mkdtempSync(join(tmpdir(), 'orzo-bad-image-'));
    try {
      writeFileSync(join(context, 'Dockerfile'), `FROM ${image(from)}\n${dockerfileTail}\n`);
      await buildImage(docker, { context, tag: image(sha) });
      built.push(image(sha));
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  };

  before(async () => {
    soa = await copySoaConfigs({ proxyPort: await freePort() });
    await ensureBusyboxBase(docker);
    const context = join(REPO_ROOT, 'examples', 'services', 'hello');
    for (const [sha, v] of [
      [V1, 'v1'],
      [V2, 'v2'],
    ] as const) {
      await buildImage(docker, { context, tag: image(sha), buildargs: { VERSION: v } });
      built.push(image(sha));
    }
    await derived(V1, UNHEALTHY, 'RUN rm /www/status');
    await derived(V1, CRASHING, 'CMD ["/bin/sh", "-c", "echo crashing; exit 3"]');
    platform = await startPlatform({ ORZO_SOA_DIR: soa.dir, ORZO_DEPLOY_TIMEOUT_S: String(DEPLOY_TIMEOUT_S) });
  });
  after(async () => {
    await platform?.stop();
    for (const c of await containers()) await docker.getContainer(c.id).remove({ force: true });
    for (const tag of built)
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
    rmSync(soa.dir, { recursive: true, force: true });
  });

  it('deploys v1; wait-for-deployment exits 0 once every instance runs it', () => {
    const mark = cli(['mark-for-deployment', '-s', svc(), '-l', 'local.main', '-c', V1, '--wait', '--timeout', '90'], 120_000);
    assert.equal(mark.status, 0, mark.stderr + mark.stdout);
    const wait = cli(['wait-for-deployment', '-s', svc(), '-l', 'local.main', '-c', V1.slice(0, 8), '--timeout', '30'], 60_000);
    assert.equal(wait.status, 0, wait.stderr + wait.stdout);
    assert.match(wait.stdout, new RegExp(`Deployed ${image(V1)}`));
  });

  it('refuses an unknown service, deploy group, instance or version with exit 1 and a clear message, changing nothing', async () => {
    const before = [(await latest()).gitSha, (await containers()).map((c) => c.id).sort()];
    const cases: Array<[string[], RegExp]> = [
      [['rollback', '-s', 'nosuch', '-l', 'local.main'], /NOT_FOUND: unknown service nosuch/],
      [['rollback', '-s', svc(), '-l', 'prod.main'], /NOT_FOUND: unknown deploy group prod.main/],
      [['rollback', '-s', svc(), '-l', 'local.main', '-k', 'abcdef01'], /NOT_FOUND: abcdef01 is not among the recent versions/],
      [['rollback', '-s', svc(), '-l', 'local.main'], /FAILED_PRECONDITION: .* has no earlier version to go back to/],
      [['stop', '-s', svc(), '-c', 'local', '-i', 'nosuch'], /NOT_FOUND: .* has no instance nosuch on cluster local/],
      [['start', '-s', 'nosuch', '-c', 'local', '-i', 'main'], /NOT_FOUND: unknown service nosuch/],
      [['wait-for-deployment', '-s', svc(), '-l', 'local.main', '-c', 'abcdef01'], /abcdef01 was never marked for .* local.main/],
      [['wait-for-deployment', '-s', svc(), '-l', 'nope', '-c', 'abcdef01'], /NOT_FOUND: unknown deploy group nope/],
    ];
    for (const [argv, message] of cases) {
      const r = cli(argv);
      assert.equal(r.status, 1, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, argv.join(' '));
    }
    assert.deepEqual([(await latest()).gitSha, (await containers()).map((c) => c.id).sort()], before);
  });

  it('a version whose health check fails never serves; wait-for-deployment exits 1 with why; rollback brings v1 back: 0 failed requests', async (t) => {
    const load = steadyLoad();
    const mark = await cliAsync(['mark-for-deployment', '-s', svc(), '-l', 'local.main', '-c', UNHEALTHY]);
    assert.equal(mark.status, 0, mark.stderr);
    const wait = await cliAsync(['wait-for-deployment', '-s', svc(), '-l', 'local.main', '-c', UNHEALTHY, '--timeout', '90'], 120_000);
    assert.equal(wait.status, 1, wait.stdout);
    assert.match(wait.stderr, new RegExp(`Deploy of ${image(UNHEALTHY)} failed: local.main: not converged after ${DEPLOY_TIMEOUT_S}s`));
    const rollback = await cliAsync(['rollback', '-s', svc(), '-l', 'local.main']);
    assert.equal(rollback.status, 0, rollback.stderr);
    assert.match(rollback.stdout, /Recent versions of .* local.main \(newest first\):/);
    assert.match(rollback.stdout, /Rolled .* local.main back from badbadbad000 to a1a1a1a1a1a1/);
    await waitFor(() => onlyRunning(V1, 3), { timeoutMs: 60_000, what: `only v1 running\n${platform.output().slice(-3000)}` });
    const back = await cliAsync(['wait-for-deployment', '-s', svc(), '-l', 'local.main', '-c', V1, '--timeout', '60'], 90_000);
    assert.equal(back.status, 0, back.stderr);
    await new Promise((r) => setTimeout(r, 1_000));
    const tally = await load();
    assert.equal(tally.failed, 0, `${tally.failed} failed of ${tally.ok + tally.failed}: ${tally.errors.slice(0, 3).join('; ')}`);
    assert.ok(tally.ok > 50, `the client kept asking (${tally.ok})`);
    t.diagnostic(`${tally.ok} requests through HAProxy during the bad deploy and the rollback, ${tally.failed} failed`);
    assert.deepEqual([...tally.seen], ['v1']);
    const history = cli(['history', '-s', svc()]);
    assert.match(
      history.stdout,
      /Rollbacks \(bad shas the pipeline does not deploy again\):\n {2}\S+ {2}local.main {2}badbadbad000 -> a1a1a1a1a1a1 {2}by \S+: manual/,
    );
    assert.equal((await latest()).reason, 'rollback');
  });

  it('auto_rollback: true in deploy.yaml goes back on its own when the new version crash-loops: 0 failed requests', async (t) => {
    const deployYaml = join(soa.dir, svc(), 'deploy.yaml');
    writeFileSync(deployYaml, readFileSync(deployYaml, 'utf8').replace('- step: local.main', '- step: local.main\n    auto_rollback: true'));
    const load = steadyLoad();
    const mark = await cliAsync(['mark-for-deployment', '-s', svc(), '-l', 'local.main', '-c', CRASHING]);
    assert.equal(mark.status, 0, mark.stderr);
    const back = await waitFor(
      async () => {
        const l = await latest();
        return l.reason === 'auto-rollback' ? l : undefined;
      },
      { timeoutMs: 60_000, what: `an auto-rollback\n${platform.output().slice(-3000)}` },
    );
    assert.deepEqual([back.gitSha, back.requestedBy], [V1, 'auto-rollback']);
    await waitFor(() => onlyRunning(V1, 3), { timeoutMs: 60_000, what: 'only v1 running' });
    const tally = await load();
    assert.equal(tally.failed, 0, `${tally.failed} failed of ${tally.ok + tally.failed}: ${tally.errors.slice(0, 3).join('; ')}`);
    assert.deepEqual([...tally.seen], ['v1']);
    t.diagnostic(`${tally.ok} requests through HAProxy during the crash loop and the auto-rollback, ${tally.failed} failed`);
    const history = cli(['history', '-s', svc(), '--json']);
    const rollbacks = (JSON.parse(history.stdout) as { rollbacks: Array<{ badGitSha: string; reason: string }> }).rollbacks;
    assert.equal(rollbacks[0]!.badGitSha, CRASHING);
    assert.match(rollbacks[0]!.reason, /^auto: deploy \S+ failed on local.main: crash loop: 3 replicas of badbadba exited/);
  });

  it('stop drains every replica and stays stopped across a new mark until start, which runs the current version', async () => {
    const stop = cli(['stop', '-s', svc(), '-c', 'local', '-i', 'main']);
    assert.equal(stop.status, 0, stop.stderr);
    assert.match(stop.stdout, /local.main stopped/);
    await waitFor(async () => (await containers()).length === 0, { timeoutMs: 60_000, what: 'every replica stopped' });
    await waitFor(() => statusOf().state === 'Stopped', { timeoutMs: 20_000, what: 'status Stopped' });
    const mark = cli(['mark-for-deployment', '-s', svc(), '-l', 'local.main', '-c', V2]);
    assert.equal(mark.status, 0, mark.stderr);
    assert.match(mark.stdout, /local.main is stopped \(orzo stop\): the mark is recorded, and it runs this version after orzo start/);
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal((await containers()).length, 0, 'the mark did not start it');
    assert.equal(statusOf().state, 'Stopped');
    const waited = cli(['wait-for-deployment', '-s', svc(), '-l', 'local.main', '-c', V2, '--timeout', '10'], 30_000);
    assert.equal(waited.status, 0, `a stopped instance is not waited for: ${waited.stderr}`);
    const start = cli(['start', '-s', svc(), '-c', 'local', '-i', 'main']);
    assert.equal(start.status, 0, start.stderr);
    assert.match(start.stdout, /local.main started at a2a2a2a2a2a2/);
    await waitFor(() => onlyRunning(V2, 3), { timeoutMs: 60_000, what: 'v2 running after start' });
    await waitFor(() => statusOf().state === 'Running' && statusOf().healthyReplicas === 3, { timeoutMs: 60_000, what: 'Running 3/3' });
    assert.equal(await version(), 'v2');
    const history = cli(['history', '-s', svc()]);
    assert.match(history.stdout, /start +local.main .* local.main started at a2a2a2a2a2a2/);
    assert.match(history.stdout, /stop +local.main .* local.main stopped/);
  });

  it('refuses a rollback to a version whose image is gone from the engine, saying how to rebuild it, and changes nothing', async () => {
    // v1's tag is removed (no container uses it now: v2 runs); the engine no longer has its image.
    await docker.getImage(image(V1)).remove({ force: true });
    const before = [(await latest()).gitSha, (await containers()).map((c) => c.id).sort()];
    const r = cli(['rollback', '-s', svc(), '-l', 'local.main', '-k', V1]);
    assert.equal(r.status, 1, r.stdout);
    assert.match(
      r.stderr,
      new RegExp(`FAILED_PRECONDITION: cannot roll back ${svc()} local.main to a1a1a1a1a1a1: its image is gone .*orzo cook-image -s ${svc()} -c ${V1}`),
    );
    assert.deepEqual([(await latest()).gitSha, (await containers()).map((c) => c.id).sort()], before);
  });
});
