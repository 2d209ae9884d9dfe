// bench/deploy-latency: for the example service (3 instances), the time from mark-for-deployment
// to "all new replicas UP in HAProxy and the old ones gone", next to a bare `docker run` of the
// same image until it answers HTTP, in the same run; and the time from a replica passing its
// health check to HAProxy routing to it (instance.healthy -> discovery.endpoints-changed).
// Usage: node bench/dist/src/deploy-latency.js   (needs Docker, HAProxy; port 20001 free)
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jetstream, jetstreamManager, DeliverPolicy } from '@nats-io/jetstream';
import Docker from 'dockerode';
import { connectNats } from '@orzo/bus';
import { ORZO_SERVICES, Subjects, decodeEvent } from '@orzo/contracts';
import { buildImage, ensureBusyboxBase, freePort, httpGet, startNatsServer, stopHaproxyIn, waitFor } from '@orzo/testing';

const root = resolve(__dirname, '..', '..', '..');
const orzo = join(root, 'cli', 'bin', 'orzo.js');
const log = (line: string) => process.stdout.write(`${line}\n`);
const sha = (n: number) => String(n).repeat(40).slice(0, 40);

async function main(): Promise<void> {
  const docker = new Docker();
  await ensureBusyboxBase(docker);
  const versions = [1, 2, 3].map(sha);
  for (const [i, v] of versions.entries()) await buildImage(docker, { context: join(root, 'examples', 'services', 'hello'), tag: `services-hello:orzo-${v}`, buildargs: { VERSION: `v${i + 1}` } });
  const image = `services-hello:orzo-${versions[0]}`;

  // The physical floor: one bare container from the same image until it answers HTTP.
  const bare: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const id = execFileSync('docker', ['run', '-d', '-p', '127.0.0.1::8080', image], { encoding: 'utf8' }).trim();
    const port = execFileSync('docker', ['port', id, '8080/tcp'], { encoding: 'utf8' }).trim().split(':').pop();
    await waitFor(async () => (await httpGet(`http://127.0.0.1:${port}/status`, 1000)).status === 200, { intervalMs: 5, timeoutMs: 30_000 });
    bare.push((performance.now() - t) / 1000);
    execFileSync('docker', ['rm', '-f', id]);
  }

  const nats = await startNatsServer();
  const grpc = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, ORZO_NATS_URL: nats.url, ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-bench-')), ORZO_SOA_DIR: join(root, 'examples', 'soa-configs'), ORZO_GRPC_PORT: String(grpc), ORZO_CONTROL_API: `127.0.0.1:${grpc}`, ORZO_LOG_LEVEL: 'warn' };
  for (const { name } of ORZO_SERVICES) env[`ORZO_${name.toUpperCase().replace(/-/g, '_')}_HTTP_PORT`] = String(await freePort());
  const platform: ChildProcess = spawn(process.execPath, [orzo, 'up'], { env, stdio: 'ignore' });
  const helloIds = async (v?: string) => (await docker.listContainers({ filters: { label: ['orzo.service=hello', 'orzo.cluster=local', ...(v ? [`orzo.git_sha=${v}`] : [])] } })).map((c) => c.Id);
  try {
    for (const id of await helloIds()) await docker.getContainer(id).remove({ force: true });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${env.ORZO_CONTROL_API_HTTP_PORT}/healthz`).catch(() => undefined))?.ok, { timeoutMs: 60_000 });
    const mark = (v: string) => execFileSync(process.execPath, [orzo, 'mark-for-deployment', '-s', 'hello', '-l', 'local.main', '-c', v], { env, encoding: 'utf8' });
    const servesOnly = async (label: string) => {
      for (let i = 0; i < 6; i++) if ((await httpGet('http://127.0.0.1:20001/version').catch(() => undefined))?.body.trim() !== label) return false;
      return true;
    };
    mark(versions[0]!);
    await waitFor(() => servesOnly('v1'), { timeoutMs: 60_000, intervalMs: 20 });
    const deploys: number[] = [];
    for (const [i, v] of versions.slice(1).entries()) {
      const t = performance.now();
      mark(v);
      await waitFor(async () => (await helloIds()).length === 3 && (await helloIds(v)).length === 3 && (await servesOnly(`v${i + 2}`)), { timeoutMs: 120_000, intervalMs: 10 });
      deploys.push((performance.now() - t) / 1000);
    }

    // healthy -> routed: from the events' own timestamps.
    const nc = await connectNats(nats.url, 'bench');
    const jsm = await jetstreamManager(nc);
    const read = async (stream: string, subject: string) => {
      const name = `bench-${Math.random().toString(36).slice(2)}`;
      await jsm.consumers.add(stream, { name, filter_subject: subject, deliver_policy: DeliverPolicy.All, ack_policy: 'none' as never });
      const c = await jetstream(nc).consumers.get(stream, name);
      const pending = (await c.info()).num_pending;
      const out: Array<Record<string, unknown> & { at: number }> = [];
      if (pending) for await (const m of await c.fetch({ max_messages: pending, expires: 2000 })) {
        const d = decodeEvent(subject, m.data);
        if (d.ok) out.push({ ...(d.event.payload as unknown as Record<string, unknown>), at: Date.parse(d.event.envelope.occurredAt) });
        if (out.length >= pending) break;
      }
      return out;
    };
    const healthy = await read('ORZO_INSTANCE', Subjects.InstanceHealthy);
    // Where the last deploy's time went, from the events' own timestamps.
    const requested = (await read('ORZO_DEPLOY', Subjects.DeployRequested)).pop()!;
    const last = requested.at;
    const lastSha = versions[versions.length - 1]!;
    const since = (xs: Array<{ at: number }>) => xs.map((x) => x.at - last).filter((d) => d >= 0).sort((a, b) => a - b);
    const started = since((await read('ORZO_INSTANCE', Subjects.InstanceStarted)).filter((e) => (e.replica as { gitSha: string }).gitSha === lastSha));
    const healthyNew = since(healthy.filter((e) => (e.replica as { gitSha: string }).gitSha === lastSha));
    const stopped = since((await read('ORZO_INSTANCE', Subjects.InstanceStopped)).filter((e) => (e.replica as { gitSha: string }).gitSha !== lastSha));
    const completed = since((await read('ORZO_DEPLOY', Subjects.DeployCompleted)).filter((e) => e.gitSha === lastSha));
    const changed = await read('ORZO_DISCOVERY', Subjects.DiscoveryEndpointsChanged);
    const routing = healthy
      .map((h) => {
        const id = (h.replica as { replicaId: string }).replicaId;
        const routed = changed.find((c) => c.at >= h.at && (c.endpoints as Array<{ replicaId: string }>).some((e) => e.replicaId === id));
        return routed ? routed.at - h.at : undefined;
      })
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b);
    await nc.close();

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    log(`deploy-latency: example service, 3 replicas, crossover, drain delay 1 s (examples/soa-configs/hello), node ${process.version}`);
    log(`  bare docker run until it answers HTTP (median of ${bare.length})   ${median(bare).toFixed(2)} s`);
    log(`  mark-for-deployment -> 3 new UP in HAProxy, old gone (median of ${deploys.length})   ${median(deploys).toFixed(2)} s   [${deploys.map((d) => d.toFixed(2)).join(', ')}]`);
    log(`  ratio deploy / bare run: ${(median(deploys) / median(bare)).toFixed(2)}   goal <= 1.5`);
    log(`  last deploy, ms after deploy.requested: started ${started.join('/')}; healthy ${healthyNew.join('/')}; old stopped ${stopped.join('/')}; completed ${completed.join('/')}`);
    log(`  health check passed -> routed by HAProxy: median ${routing.length ? median(routing) : NaN} ms, max ${routing.length ? routing[routing.length - 1] : NaN} ms over ${routing.length} replicas`);
  } finally {
    platform.kill('SIGINT');
    await new Promise((r) => platform.once('exit', r));
    await stopHaproxyIn(env.ORZO_DATA_DIR!);
    for (const id of await helloIds()) await docker.getContainer(id).remove({ force: true });
    await nats.dispose();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
