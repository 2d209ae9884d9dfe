import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import {
  GitRepo,
  PlatformHandle,
  REPO_ROOT,
  SoaCopy,
  copySoaConfigs,
  createGitRepo,
  ensureBusyboxBase,
  platformProcesses,
  startPlatform,
  stopHaproxyIn,
  waitFor,
} from '@orzo/testing';

/** What the issue promises: every service gone within 10 s of the signal. */
const SERVICES_GONE_MS = 10_000;

const image = (version: string) => `orzo-test/shutdown:${version}`;

/** Ctrl-C as a terminal sends it: SIGINT to the whole process group of `orzo up`. */
async function ctrlC(platform: PlatformHandle): Promise<{ code: number | null; seconds: number }> {
  const dataDir = platform.env.ORZO_DATA_DIR!;
  const started = Date.now();
  process.kill(-platform.pid, 'SIGINT');
  await waitFor(() => platformProcesses(dataDir).length === 0, {
    timeoutMs: SERVICES_GONE_MS,
    intervalMs: 100,
    what: `no Orzo process left ${SERVICES_GONE_MS / 1000}s after Ctrl-C: ${JSON.stringify(platformProcesses(dataDir))}\n${platform.output().slice(-3000)}`,
  });
  const seconds = (Date.now() - started) / 1000;
  return { code: await platform.exited, seconds };
}

describe('Ctrl-C of orzo up (SIGINT to its process group): nothing is left, and a restart finishes what was interrupted', () => {
  const docker = new Docker();
  let soa: SoaCopy;
  let repo: GitRepo;
  let first: PlatformHandle | undefined;
  let last: PlatformHandle | undefined;
  const marker = `orzo-shutdown-${process.pid}-${Date.now()}`;
  const containers = async () => docker.listContainers({ all: true, filters: { label: ['orzo.managed=true', `orzo.service=${soa.service}`] } });
  const cli = (p: PlatformHandle, args: string[], cwd?: string) => p.cli(args, 120_000, cwd);
  // A later platform runs on the first one's NATS, data dir and ports: a restart.
  const started: PlatformHandle[] = [];
  const start = async (env: NodeJS.ProcessEnv) => {
    const p = await startPlatform(env, { detached: true });
    started.push(p);
    return p;
  };
  const restart = () => start(sameAs(first!));

  before(async () => {
    await ensureBusyboxBase(docker);
    for (const v of ['one', 'two'])
      execFileSync('docker', ['build', '-q', '-t', image(v), '--build-arg', `VERSION=${v}`, join(REPO_ROOT, 'examples', 'services', 'hello')]);
    soa = await copySoaConfigs();
    repo = createGitRepo();
    // Builds come from this repository: a slow one, so Ctrl-C lands in the middle of it.
    writeFileSync(join(soa.dir, soa.service, 'service.yaml'), `description: shutdown test\ngit_url: ${repo.dir}\n`);
  });

  after(async () => {
    // A failed case may leave a platform running in its own process group: stop it the same way.
    for (const p of started) {
      if (!(await settled(p.exited, 0))) process.kill(-p.pid, 'SIGINT');
      if (!(await settled(p.exited, 20_000))) process.kill(-p.pid, 'SIGKILL');
      if (p !== first) await p.nats.dispose(); // each start's own spare server; the first one's is shared
    }
    await last?.stop().catch(() => undefined);
    if (first) {
      await stopHaproxyIn(first.env.ORZO_DATA_DIR!);
      await first.nats.dispose();
    }
    for (const c of await containers().catch(() => [])) await docker.getContainer(c.Id).remove({ force: true });
    rmSync(soa.dir, { recursive: true, force: true });
  });

  it('serving: every service stops within 10s and orzo up exits 0', async (t) => {
    // Info level whatever the caller's ORZO_LOG_LEVEL: the test reads each service's "stopped".
    first = await start({ ORZO_SOA_DIR: soa.dir, ORZO_LOG_LEVEL: 'info' });
    const mark = cli(first, ['mark-for-deployment', '-s', soa.service, '-l', 'local.main', '--image', image('one')]);
    assert.equal(mark.status, 0, mark.stderr);
    const ready = cli(first, ['wait-ready', '-s', soa.service, '--proxy', `127.0.0.1:${soa.proxyPort}`, '--expect-version', 'one', '--timeout', '90']);
    assert.equal(ready.status, 0, `${ready.stdout}\n${ready.stderr}\n${first.output().slice(-3000)}`);
    assert.match(ready.stdout, new RegExp(`ready: ${soa.service}\\.main in local: Running; 3/3 healthy`));

    const { code, seconds } = await ctrlC(first);
    t.diagnostic(`serving platform: all processes gone ${seconds.toFixed(1)}s after Ctrl-C`);
    assert.equal(code, 0, first.output().slice(-3000));
    for (const name of ['control-api', 'builder', 'jenkins-hook', 'scheduler-bridge', 'discovery-publisher', 'monitor-bridge'])
      assert.match(first.output(), new RegExp(`"msg":"${name} stopped"`), `${name} said it stopped`);
    assert.equal((await containers()).filter((c) => c.State === 'running').length, 3, 'the deployed replicas keep running');
  });

  it('in the middle of a build and of a deploy: nothing is left; a restart re-runs the build and finishes the deploy', async (t) => {
    const second = await restart();
    const sha = repo.commit({ Dockerfile: `FROM orzo/busybox:1\nRUN echo ${marker} && sleep 20\n` }, 'a slow build');
    const cook = cli(second, ['cook-image', '-s', soa.service, '-c', sha, '--no-follow'], repo.dir);
    assert.equal(cook.status, 0, cook.stderr);
    await waitFor(() => cli(second, ['logs', '-s', soa.service, '--build']).stdout.includes(marker), {
      timeoutMs: 90_000,
      intervalMs: 500,
      what: `the build to reach its slow step\n${second.output().slice(-3000)}`,
    });
    const mark = cli(second, ['mark-for-deployment', '-s', soa.service, '-l', 'local.main', '--image', image('two')]);
    assert.equal(mark.status, 0, mark.stderr);

    const { code, seconds } = await ctrlC(second);
    t.diagnostic(`mid-build, mid-deploy: all processes gone ${seconds.toFixed(1)}s after Ctrl-C`);
    assert.equal(code, 0, second.output().slice(-3000));
    // The builder cancels the engine's build: its RUN container does not go on.
    await waitFor(async () => (await docker.listContainers()).every((c) => !c.Command.includes(marker)), {
      timeoutMs: 10_000,
      what: 'the interrupted build container to be gone',
    });

    last = await restart();
    const ready = cli(last, ['wait-ready', '-s', soa.service, '--proxy', `127.0.0.1:${soa.proxyPort}`, '--expect-version', 'two', '--timeout', '120']);
    assert.equal(ready.status, 0, `${ready.stdout}\n${ready.stderr}\n${last.output().slice(-3000)}`);
    await waitFor(
      () => {
        const builds = JSON.parse(cli(last!, ['builds', '-s', soa.service, '--json']).stdout) as { builds: Array<{ commitSha: string; state: string }> };
        return builds.builds.some((b) => b.commitSha === sha && b.state === 'succeeded');
      },
      { timeoutMs: 180_000, intervalMs: 1000, what: `the interrupted build of ${sha} to be built again\n${last.output().slice(-3000)}` },
    );
    assert.match(last.output(), /build interrupted by a builder restart: queued again/);
  });

  it('wait-ready on a deploy that never gets healthy: exit 1 naming the instance, its replicas and the services', async () => {
    const mark = cli(last!, ['mark-for-deployment', '-s', soa.service, '-l', 'local.main', '--image', 'orzo/busybox:1']);
    assert.equal(mark.status, 0, mark.stderr);
    const r = cli(last!, ['wait-ready', '-s', soa.service, '--proxy', `127.0.0.1:${soa.proxyPort}`, '--expect-version', 'three', '--timeout', '8']);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /not ready after 8s/);
    assert.match(r.stderr, new RegExp(`NOT OK +${soa.service}\\.main in local: .*0/3 healthy|NOT OK +${soa.service}\\.main in local: .*old`));
    assert.match(r.stderr, new RegExp(`NOT OK +HAProxy 127\\.0\\.0\\.1:${soa.proxyPort}: serves version two, not three`));
    assert.match(r.stderr, /ok +control-api :\d+\/healthz: ok/);
  });
});

async function settled(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

/** The environment of a restart of `p`: the same NATS, data dir, soa-configs and ports. */
function sameAs(p: PlatformHandle): NodeJS.ProcessEnv {
  const keep = Object.entries(p.env).filter(([k]) => k.startsWith('ORZO_'));
  return Object.fromEntries(keep);
}
