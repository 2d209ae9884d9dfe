import assert from 'node:assert/strict';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import {
  ORZO_CLI,
  PlatformHandle,
  REPO_ROOT,
  Swarm,
  buildImage,
  copySoaConfigs,
  ensureBusyboxBase,
  freePort,
  httpGet,
  httpPortVar,
  startPlatform,
  startSwarm,
  stopHaproxyIn,
  waitFor,
} from '@orzo/testing';

const V1 = '5a1a5a1a5a1a5a1a5a1a5a1a5a1a5a1a5a1a5a1a';
const V2 = '5b2b5b2b5b2b5b2b5b2b5b2b5b2b5b2b5b2b5b2b';
const REPLICAS = 6;
/** Two Orzo "hosts" on this machine: each runs a discovery-publisher whose HAProxy binds its own loopback address. */
const HOST_A = '127.0.0.2';
const HOST_B = '127.0.0.3';

const KUBERNETES_LOCAL = `main:
  cpus: 0.1
  mem: 64
  container_port: 8080
  instances: ${REPLICAS}
  registrations: ['SERVICE.main']
  deploy_group: local.main
  healthcheck_grace_period_seconds: 5
  healthcheck_interval_seconds: 1
  healthcheck_max_consecutive_failures: 2
  drain_method_params:
    delay: 1
`;

interface Sample {
  at: number;
  end: number;
  ok: boolean;
  via: string;
}

/** One GET at a time through each host's HAProxy, 1 s timeout: what a client of either host sees. */
function loadThrough(urls: string[]): { samples: Sample[]; stop(): Promise<void> } {
  const samples: Sample[] = [];
  let running = true;
  const loops = urls.map(async (url) => {
    while (running) {
      const at = Date.now();
      const ok = await httpGet(url, 1_000).then(
        (r) => r.status === 200,
        () => false,
      );
      samples.push({ at, end: Date.now(), ok, via: url });
      await sleep(20);
    }
  });
  return {
    samples,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** `orzo <args>` without blocking this process (its load loops must go on meanwhile). */
function orzo(env: NodeJS.ProcessEnv, args: string[], timeoutMs = 240_000): Promise<{ status: number; out: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [ORZO_CLI, ...args], { env, encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: stdout + stderr }),
    ),
  );
}

/**
 * The whole platform on a real 3-node Docker Swarm (libs/testing startSwarm: one dockerd per
 * network namespace): cluster `local` is `engine: swarm` in orzo.yaml, images come from the
 * swarm's registry, and two discovery-publishers (the registrar and a follower, as on two
 * hosts) each route the service's proxy port to the replicas at their nodes' addresses.
 */
describe('Orzo on a 3-node Docker Swarm, routed by the HAProxy of two hosts', () => {
  let swarm: Swarm;
  let platform: PlatformHandle;
  let follower: ChildProcess;
  let followerOutput = '';
  let followerDataDir: string;
  let proxyPort: number;
  let service: string;
  const images: Record<string, string> = {};
  const urls = () => [HOST_A, HOST_B].map((h) => `http://${h}:${proxyPort}/version`);
  const serves = async (url: string, page: string) => (await httpGet(url, 1_000).catch(() => undefined))?.body.trim() === page;
  const status = async () => {
    const r = await orzo(platform.env, ['status', '-s', service, '--json'], 60_000);
    assert.equal(r.status, 0, r.out);
    return JSON.parse(r.out) as { instances: Array<{ healthyReplicas: number; replicas: Array<{ host: string; gitSha: string; state: string }> }> };
  };

  before(async () => {
    swarm = await startSwarm({ nodes: 3, registry: true });
    const machine = new Docker();
    await ensureBusyboxBase(machine);
    for (const [version, page] of [
      [V1, 'v1'],
      [V2, 'v2'],
    ] as const) {
      const local = `orzo-test/hello-swarm-e2e:${page}`;
      await buildImage(machine, { context: join(REPO_ROOT, 'examples', 'services', 'hello'), tag: local, buildargs: { VERSION: page } });
      images[version] = await swarm.pushImage(local, `services-hello:orzo-${version}`);
    }
    proxyPort = await freePort();
    const soa = await copySoaConfigs({ proxyPort });
    service = soa.service;
    writeFileSync(join(soa.dir, service, 'kubernetes-local.yaml'), KUBERNETES_LOCAL.replace('SERVICE', service));
    const orzoYaml = join(soa.dir, 'orzo.yaml');
    writeFileSync(orzoYaml, `clusters:\n  local:\n    engine: swarm\n    docker_host: ${swarm.manager.dockerHost}\nregistry: ${swarm.registry}\n`);
    platform = await startPlatform({ ORZO_CONFIG: orzoYaml, ORZO_SOA_DIR: soa.dir, ORZO_HOST_ID: 'host-a', ORZO_PROXY_BIND: HOST_A });
    followerDataDir = mkdtempSync(join(tmpdir(), 'orzo-host-b-'));
    follower = spawn(process.execPath, [ORZO_CLI, 'up', '--only', 'discovery-publisher', '--json-logs'], {
      env: {
        ...platform.env,
        ORZO_DATA_DIR: followerDataDir,
        ORZO_HOST_ID: 'host-b',
        ORZO_PROXY_BIND: HOST_B,
        ORZO_DISCOVERY_REGISTRAR: 'false',
        [httpPortVar('discovery-publisher')]: String(await freePort()),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    follower.stdout!.on('data', (d: Buffer) => (followerOutput = (followerOutput + d.toString()).slice(-100_000)));
    follower.stderr!.on('data', (d: Buffer) => (followerOutput = (followerOutput + d.toString()).slice(-100_000)));
    await waitFor(() => followerOutput.includes('following the discovery registry'), { timeoutMs: 90_000, what: `host-b's publisher:\n${followerOutput}` });
  });
  after(async () => {
    follower?.kill('SIGINT');
    await platform?.stop();
    if (followerDataDir) await stopHaproxyIn(followerDataDir);
    await swarm?.dispose();
  });

  it(`deploys ${REPLICAS} replicas spread over the 3 nodes, served by the HAProxy of both hosts`, async () => {
    const mark = await orzo(platform.env, ['mark-for-deployment', '-s', service, '-l', 'local.main', '--image', images[V1]!, '--wait', '--timeout', '180']);
    assert.equal(mark.status, 0, mark.out);
    const [instance] = (await status()).instances;
    assert.equal(instance?.healthyReplicas, REPLICAS, JSON.stringify(instance));
    const hosts = new Set(instance!.replicas.map((r) => r.host));
    assert.deepEqual([...hosts].sort(), swarm.nodes.map((n) => n.ip).sort(), 'a replica on every node, at its address');
    for (const url of urls()) await waitFor(() => serves(url, 'v1'), { timeoutMs: 30_000, what: `v1 through ${url}` });
  });

  it('crossover to a new version under steady load through both hosts: 0 failed requests', async (t) => {
    const load = loadThrough(urls());
    await sleep(1_000);
    const mark = await orzo(platform.env, ['mark-for-deployment', '-s', service, '-l', 'local.main', '--image', images[V2]!, '--wait', '--timeout', '180']);
    for (const url of urls()) await waitFor(() => serves(url, 'v2'), { timeoutMs: 30_000, what: `v2 through ${url}` });
    await sleep(1_000);
    await load.stop();
    assert.equal(mark.status, 0, mark.out);
    const failed = load.samples.filter((s) => !s.ok);
    t.diagnostic(`swarm crossover: ${load.samples.length} requests through ${HOST_A} and ${HOST_B}, ${failed.length} failed`);
    assert.equal(failed.length, 0, `failed: ${failed.map((f) => `${f.via} at ${new Date(f.at).toISOString()}`).join(', ')}`);
  });

  it("a worker node's dockerd killed: its replicas are replaced on the others, both hosts keep serving", async (t) => {
    const dead = swarm.nodes[2]!;
    const load = loadThrough(urls());
    await sleep(1_000);
    const killedAt = Date.now();
    swarm.killNode(2);
    // Converged: every replica healthy, none on the dead node, and every request succeeding for 3 s.
    let recoveredAt = 0;
    await waitFor(
      async () => {
        const [i] = (await status()).instances;
        const placed = i && i.healthyReplicas === REPLICAS && i.replicas.length === REPLICAS && i.replicas.every((r) => r.host !== dead.ip);
        const lastFailure = load.samples.findLast((s) => !s.ok)?.end ?? killedAt;
        if (placed && !recoveredAt) recoveredAt = Date.now();
        return placed && Date.now() - lastFailure >= 3_000;
      },
      { timeoutMs: 150_000, intervalMs: 500, what: `${REPLICAS} healthy replicas off ${dead.ip}` },
    );
    await load.stop();
    const failed = load.samples.filter((s) => !s.ok && s.at >= killedAt);
    t.diagnostic(
      `swarm node loss: replicas replaced off ${dead.ip} ${recoveredAt - killedAt} ms after the kill; ` +
        `${failed.length}/${load.samples.length} requests failed (in flight to the dead node)`,
    );
    for (const url of urls()) assert.ok(await serves(url, 'v2'), `${url} serves v2 after the node loss`);
    const after = (await status()).instances[0]!;
    assert.ok(
      after.replicas.every((r) => r.host !== dead.ip),
      'discovery and status dropped the dead endpoints',
    );
  });
});
