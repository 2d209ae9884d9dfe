import assert from 'node:assert/strict';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import {
  ORZO_CLI,
  PlatformHandle,
  REPO_ROOT,
  TEST_INSTANCE_DEFAULTS,
  buildImage,
  copySoaConfigs,
  ensureBusyboxBase,
  freePort,
  httpGet,
  instancesYaml,
  startPlatform,
  waitFor,
} from '@orzo/testing';

const V1 = 'aaaaaaaa11111111111111111111111111111111';

/**
 * The example under its own name, with two instances: `main` (3 replicas that also write a
 * line every half second, max_instances 6) and `broken` (its /status is gone: it never passes
 * its health check), each its own deploy group.
 */
function instanceConfig(service: string): string {
  return instancesYaml(
    {
      main: {
        instances: 3,
        min_instances: 1,
        max_instances: 6,
        cmd: 'while true; do echo "tick $(hostname)"; sleep 0.5; done & exec httpd -f -p "$ORZO_PORT" -h /www',
        registrations: [`${service}.main`],
      },
      broken: {
        instances: 1,
        cmd: 'rm -f /www/status; echo "broken: starting without /status" >&2; exec httpd -f -p "$ORZO_PORT" -h /www',
        healthcheck_mode: 'http',
        healthcheck_uri: '/status',
        deploy_group: 'local.broken',
      },
    },
    { ...TEST_INSTANCE_DEFAULTS, healthcheck_max_consecutive_failures: 3 },
  );
}

interface ReplicaJson {
  replicaId: string;
  state: string;
  gitSha: string;
  detail?: string;
}
interface InstanceJson {
  instance: string;
  state: string;
  healthyReplicas: number;
  desiredReplicas: number;
  configuredReplicas: number;
  override?: string;
  reason?: string;
  replicas: ReplicaJson[];
}

/** Requests through HAProxy one after another, each on a new connection; every failure is kept. */
class SteadyLoad {
  ok = 0;
  failures: string[] = [];
  private stopped = false;
  private running?: Promise<void>;

  constructor(private readonly url: string) {}

  start(): this {
    this.running = (async () => {
      while (!this.stopped) {
        try {
          const r = await httpGet(this.url);
          if (r.status === 200) this.ok++;
          else this.failures.push(`HTTP ${r.status}`);
        } catch (err) {
          this.failures.push((err as Error).message);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    return this;
  }

  async stop(): Promise<{ ok: number; failures: string[] }> {
    this.stopped = true;
    await this.running;
    return { ok: this.ok, failures: this.failures };
  }
}

describe('operating instances: restart, autoscale, logs, status -v and refusals on the real platform', () => {
  const docker = new Docker();
  let platform: PlatformHandle;
  let service: string;
  let proxyPort: number;
  /** Who history names: the API token the CLI sends (the platform's bootstrap admin token). */
  let me = '';

  /** `orzo <args>` without blocking the event loop (the load keeps its pace). */
  const cli = (...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> =>
    new Promise((resolve) =>
      execFile(process.execPath, [ORZO_CLI, ...args], { env: platform.env, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      ),
    );
  const status = async (instance: string): Promise<InstanceJson> => {
    const r = await cli('status', '-s', service, '-c', 'local', '-i', instance, '--json');
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { instances: InstanceJson[] }).instances[0]!;
  };
  const containers = async (instance = 'main') =>
    (await docker.listContainers({ filters: { label: ['orzo.managed=true', `orzo.service=${service}`, `orzo.instance=${instance}`] } })).map((c) => ({
      id: c.Id,
      token: c.Labels['orzo.force_bounce'] ?? '',
    }));
  const converged = (count: number, what: string) =>
    waitFor(
      async () => {
        const s = await status('main');
        const cs = await containers();
        return s.state === 'Running' && s.healthyReplicas === count && s.replicas.length === count && cs.length === count ? cs : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 300, what: `${what}\n${platform.output().slice(-3000)}` },
    );
  const history = async () => {
    const r = await cli('history', '-s', service, '--json');
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { entries?: Array<{ kind: string; detail: string; actor: string }> }).entries ?? [];
  };
  const removeContainers = async () => {
    if (!service) return;
    for (const c of await docker.listContainers({ all: true, filters: { label: ['orzo.managed=true', `orzo.service=${service}`] } }))
      await docker.getContainer(c.Id).remove({ force: true });
  };

  before(async () => {
    proxyPort = await freePort();
    service = `ops-${Math.random().toString(36).slice(2, 8)}`;
    const soa = await copySoaConfigs({
      service,
      proxyPort,
      files: {
        'kubernetes-local.yaml': instanceConfig(service),
        'deploy.yaml': 'pipeline:\n  - step: local.main\n    trigger_next_step_manually: true\n  - step: local.broken\n',
      },
    });
    await ensureBusyboxBase(docker);
    await buildImage(docker, {
      context: join(REPO_ROOT, 'examples', 'services', 'hello'),
      tag: `services-${service}:orzo-${V1}`,
      buildargs: { VERSION: 'v1' },
    });
    platform = await startPlatform({ ORZO_SOA_DIR: soa.dir });
    me = (await cli('whoami')).stdout.split(':')[0]!.trim();
    assert.match(me, /^admin-/);
    const mark = await cli('mark-for-deployment', '-s', service, '-l', 'local.main', '-c', V1, '--wait', '--timeout', '120');
    assert.equal(mark.status, 0, mark.stderr + mark.stdout);
    await converged(3, 'main 3/3 healthy on v1');
  });

  after(async () => {
    await platform?.stop();
    await removeContainers();
    await docker
      .getImage(`services-${service}:orzo-${V1}`)
      .remove()
      .catch(() => undefined);
  });

  it('refuses an unknown service, instance or replica with exit 1 and a clear message, and changes nothing', async () => {
    const before = (await containers()).map((c) => c.id).sort();
    const historyBefore = (await history()).length;
    const cases: Array<[string[], RegExp]> = [
      [['restart', '-s', 'nope', '-c', 'local', '-i', 'main'], /NOT_FOUND: .*unknown service "?nope/],
      [
        ['restart', '-s', service, '-c', 'local', '-i', 'nope'],
        new RegExp(`NOT_FOUND: ${service} has no instance "?nope"? on cluster "?local"?; it has: local.main, local.broken`),
      ],
      [['restart', '-s', service, '-c', 'elsewhere', '-i', 'main'], /NOT_FOUND: .*no instance "?main"? on cluster "?elsewhere/],
      [['restart', '-s', service, '-c', 'local', '-i', 'main', '--replica', 'ffffffffffff'], /NOT_FOUND: .*no running replica ffffffffffff/],
      [['autoscale', '-s', service, '-c', 'local', '-i', 'nope', '--set', '4'], /NOT_FOUND: .*no instance "?nope/],
      [['scale', '-s', 'nope', '-c', 'local', '-i', 'main'], /NOT_FOUND: .*unknown service/],
      [
        ['autoscale', '-s', service, '-c', 'local', '-i', 'main', '--set', '4', '--for', 'forever'],
        /INVALID_ARGUMENT: expire_after \(--for\) "?forever"? is not a duration/,
      ],
      [['logs', '-s', 'nope'], /NOT_FOUND: .*unknown service/],
      [['logs', '-s', service, '-i', 'nope'], /NOT_FOUND: .*no instance "?nope/],
      [['logs', '-s', service, '--replica', 'ffffffffffff'], /NOT_FOUND: .*no replica "?ffffffffffff/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      assert.equal(r.status, 1, `${argv.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, argv.join(' '));
    }
    const usage = await cli('autoscale', '-s', service, '-c', 'local', '-i', 'main', '--set', 'many');
    assert.equal(usage.status, 2, usage.stderr);
    assert.match(usage.stderr, /--set many is not a number of replicas/);
    assert.deepEqual((await containers()).map((c) => c.id).sort(), before, 'no replica was touched');
    assert.equal((await history()).length, historyBefore, 'nothing was recorded');
    assert.equal((await status('main')).desiredReplicas, 3);
  });

  it('restarts every replica through the crossover bounce with zero failed requests, and records who asked', async (t) => {
    const load = new SteadyLoad(`http://127.0.0.1:${proxyPort}/version`).start();
    const old = new Set((await containers()).map((c) => c.id));
    const r = await cli('restart', '-s', service, '-c', 'local', '-i', 'main');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /every replica of local.main is being replaced through its crossover bounce/i);
    const now = await waitFor(
      async () => {
        const cs = await converged(3, 'restart converged');
        return cs.every((c) => !old.has(c.id) && c.token) ? cs : undefined;
      },
      { timeoutMs: 120_000, what: `every replica replaced\n${platform.output().slice(-3000)}` },
    );
    await new Promise((res) => setTimeout(res, 1_000));
    const { ok, failures } = await load.stop();
    t.diagnostic(`load through HAProxy: ${ok} requests ok, ${failures.length} failed`);
    assert.deepEqual(failures, [], `${failures.length} failed of ${ok + failures.length}`);
    assert.ok(ok > 50, `the load kept asking (${ok} requests)`);
    assert.equal(new Set(now.map((c) => c.token)).size, 1, 'one restart generation runs');
    const entry = (await history()).find((h) => h.kind === 'restart');
    assert.ok(entry, 'the restart is in the history');
    assert.equal(entry.actor, me);
  });

  it('restarts one replica: replaced, then drained through discovery, the others untouched, zero failed requests', async (t) => {
    const load = new SteadyLoad(`http://127.0.0.1:${proxyPort}/version`).start();
    const [victim, ...others] = await containers();
    const r = await cli('restart', '-s', service, '-c', 'local', '-i', 'main', '--replica', victim!.id.slice(0, 12));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /is being replaced: a replacement starts, then it is drained/);
    await waitFor(
      async () => {
        const cs = await converged(3, 'one replica replaced');
        const ids = new Set(cs.map((c) => c.id));
        return !ids.has(victim!.id) && others.every((o) => ids.has(o.id));
      },
      { timeoutMs: 90_000, what: 'the victim replaced, the others kept' },
    );
    const { ok, failures } = await load.stop();
    t.diagnostic(`load through HAProxy: ${ok} requests ok, ${failures.length} failed`);
    assert.deepEqual(failures, [], `${failures.length} failed of ${ok + failures.length}`);
  });

  it('scales 3 -> 6 (asked 7: clamped to max_instances) -> 2 under load: zero failed requests, no healthy replica bounced, logs -f follows the new replicas', async (t) => {
    const follower: ChildProcess = spawn(process.execPath, [ORZO_CLI, 'logs', '-s', service, '-c', 'local', '-i', 'main', '-f', '-n', '1', '--json'], {
      env: platform.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let followed = '';
    follower.stdout!.on('data', (d: Buffer) => (followed += d.toString()));
    follower.stderr!.on('data', (d: Buffer) => (followed += d.toString()));
    try {
      const load = new SteadyLoad(`http://127.0.0.1:${proxyPort}/version`).start();
      const three = new Set((await containers()).map((c) => c.id));
      await waitFor(() => [...three].every((id) => followed.includes(id)), {
        timeoutMs: 20_000,
        what: `logs -f shows the 3 replicas\n${followed.slice(-2000)}`,
      });
      const up = await cli('autoscale', '-s', service, '-c', 'local', '-i', 'main', '--set', '7');
      assert.equal(up.status, 0, up.stderr);
      assert.match(up.stdout, /Asked for 7: clamped to 6 \(min_instances 1, max_instances 6\)/);
      const six = await converged(6, 'scaled up to 6');
      for (const id of three)
        assert.ok(
          six.some((c) => c.id === id),
          'a healthy replica was not replaced by the scale-up',
        );
      const added = six.filter((c) => !three.has(c.id));
      await waitFor(() => added.every((c) => followed.includes(`"replicaId":"${c.id}"`)), {
        timeoutMs: 30_000,
        what: `logs -f shows lines of the replicas started after it began\n${followed.slice(-2000)}`,
      });
      const s6 = await status('main');
      assert.equal(s6.desiredReplicas, 6);
      assert.equal(s6.configuredReplicas, 3);
      assert.match(s6.override ?? '', new RegExp(`^6, set by ${me} at `));
      const down = await cli('scale', '-s', service, '-c', 'local', '-i', 'main', '--set', '2');
      assert.equal(down.status, 0, down.stderr);
      const two = await converged(2, 'scaled down to 2');
      for (const c of two)
        assert.ok(
          six.some((x) => x.id === c.id),
          'scaling down kept replicas, started none',
        );
      await new Promise((res) => setTimeout(res, 1_000));
      const { ok, failures } = await load.stop();
      t.diagnostic(`load through HAProxy: ${ok} requests ok, ${failures.length} failed`);
      assert.deepEqual(failures, [], `${failures.length} failed of ${ok + failures.length}`);
      const shown = await cli('autoscale', '-s', service, '-c', 'local', '-i', 'main');
      assert.match(shown.stdout, new RegExp(`2 replicas; configured 3 \\(min 1, max 6\\); override 2 set by ${me}`));
      const scales = (await history()).filter((h) => h.kind === 'scale');
      assert.equal(scales.length, 2);
      assert.match(scales[1]!.detail, /instances 3 -> 6 \(asked 7, clamped to 1..6/);
      assert.match(scales[0]!.detail, /instances 6 -> 2/);
    } finally {
      follower.kill('SIGINT');
    }
  });

  it('lets a --for override lapse back to the configured count by itself', async () => {
    const r = await cli('autoscale', '-s', service, '-c', 'local', '-i', 'main', '--set', '4', '--for', '5s');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /4 replicas until 20\d\d-/);
    await converged(3, 'the override expired: back to the configured 3');
    const expired = (await history()).find((h) => h.kind === 'scale' && /expired/.test(h.detail));
    assert.ok(expired, 'the expiry is in the history');
    assert.equal(expired.actor, 'orzo (expiry)');
    const cleared = await cli('autoscale', '-s', service, '-c', 'local', '-i', 'main', '--clear');
    assert.equal(cleared.status, 0, cleared.stderr);
    assert.equal((await status('main')).override ?? '', '');
  });

  it('restarts the only replica of an instance without a failed request: its replacement serves before it is drained', async (t) => {
    assert.equal((await cli('autoscale', '-s', service, '-c', 'local', '-i', 'main', '--set', '1')).status, 0);
    const [only] = await converged(1, 'scaled to 1');
    const load = new SteadyLoad(`http://127.0.0.1:${proxyPort}/version`).start();
    const r = await cli('restart', '-s', service, '-c', 'local', '-i', 'main', '--replica', only!.id.slice(0, 12));
    assert.equal(r.status, 0, r.stderr);
    await waitFor(async () => (await converged(1, 'the only replica replaced'))[0]!.id !== only!.id, { timeoutMs: 90_000, what: 'a new only replica' });
    await new Promise((res) => setTimeout(res, 1_000));
    const { ok, failures } = await load.stop();
    t.diagnostic(`load through HAProxy: ${ok} requests ok, ${failures.length} failed`);
    assert.deepEqual(failures, [], `${failures.length} failed of ${ok + failures.length}`);
    assert.ok(ok > 20, `the load kept asking (${ok} requests)`);
    assert.equal((await cli('autoscale', '-s', service, '-c', 'local', '-i', 'main', '--clear')).status, 0);
    await converged(3, 'back to 3');
  });

  it("shows the replicas' output interleaved by time, prefixed with the replica, filtered by stream and time", async () => {
    const tail = await cli('logs', '-s', service, '-c', 'local', '-i', 'main', '-n', '3');
    assert.equal(tail.status, 0, tail.stderr);
    const lines = tail.stdout.trim().split('\n');
    const ids = (await containers()).map((c) => c.id.slice(0, 12));
    assert.ok(lines.length <= 3 * ids.length && lines.length >= ids.length, tail.stdout);
    for (const l of lines) assert.match(l, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+ \\[local\\.main/(${ids.join('|')})\\] tick `));
    const stamps = lines.map((l) => l.split(' ')[0]!);
    assert.deepEqual([...stamps].sort(), stamps, 'in time order');
    const stderr = await cli('logs', '-s', service, '-i', 'main', '--stream', 'stderr', '--since', '1m', '--json');
    assert.equal(stderr.status, 0, stderr.stderr);
    assert.equal(stderr.stdout.trim(), '', 'main writes nothing to stderr');
    const broken = await cli('logs', '-s', service, '-i', 'broken', '--json');
    assert.equal(broken.status, 0, broken.stderr);
    // Never marked yet: nothing runs, nothing to show.
    assert.equal(broken.stdout.trim(), '');
  });

  it('keeps serving build logs with --build', async () => {
    const r = await cli('logs', '-s', service, '--build');
    // No build of this service was made: the build log path answers, not the instance one.
    assert.equal(r.status, 1);
    assert.match(r.stderr, /NOT_FOUND: .*build/i);
  });

  it('says why a deploy is stuck: the failing check per replica in status, -v with replica states, and mark --wait prints the reason', async () => {
    const mark = await cli('mark-for-deployment', '-s', service, '-l', 'local.broken', '-c', V1, '--wait', '--timeout', '25');
    assert.equal(mark.status, 1, mark.stdout);
    assert.match(mark.stdout, /local\.broken: .*why: replica [0-9a-f]{12} is failing its health check \(3x in a row\): /);
    const s = await status('broken');
    assert.notEqual(s.state, 'Running');
    assert.match(s.reason ?? '', /replica [0-9a-f]{12} is failing its health check/);
    const v = await cli('status', '-s', service, '-c', 'local', '-v');
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /\.broken in local[^]*Reason: +replica [0-9a-f]{12} is failing its health check[^]*Not Ready\n +\S/);
    assert.match(v.stdout, /\.main in local[^]*State: +Running[^]*(Healthy\n.*){3}/);
    const logs = await cli('logs', '-s', service, '-i', 'broken', '--stream', 'stderr');
    assert.match(logs.stdout, /\[local\.broken\/[0-9a-f]{12}\] ! broken: starting without \/status/);
  });

  it('shows a replica that crashed as Failed with why, counts the restart, and its replacement as Warning', async () => {
    const [victim] = await containers();
    await docker.getContainer(victim!.id).kill();
    const s = await waitFor(
      async () => {
        const r = await cli('status', '-s', service, '-c', 'local', '-i', 'main', '--json');
        const i = (JSON.parse(r.stdout) as { instances: Array<InstanceJson & { recentExits?: number; exited?: ReplicaJson[] }> }).instances[0]!;
        return i.exited?.some((e) => e.replicaId === victim!.id) && i.replicas.some((x) => x.state === 'Warning') ? i : undefined;
      },
      { timeoutMs: 60_000, what: `the crash shown and its replacement Warning\n${platform.output().slice(-2000)}` },
    );
    assert.ok((s.recentExits ?? 0) >= 1);
    assert.match(s.exited!.find((e) => e.replicaId === victim!.id)!.detail ?? '', /exited with code 137/);
    const v = await cli('status', '-s', service, '-c', 'local', '-i', 'main', '-v');
    assert.match(v.stdout, /Restarts: +\d+ replica\(s\) exited on their own in the last 10m; last: exited with code 137/);
    assert.match(v.stdout, new RegExp(`${victim!.id.slice(0, 12)} .* Failed: exited with code 137`));
    assert.match(v.stdout, / Warning\n/);
  });
});
