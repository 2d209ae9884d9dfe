// bench/deploy-latency: for the example service (3 instances), the time from mark-for-deployment
// to "all new replicas UP in HAProxy and the old ones gone", next to a bare container of the
// same image until it answers HTTP, in the same run; and the time from a replica passing its
// health check to HAProxy routing to it (instance.healthy -> discovery.endpoints-changed).
// Usage: node bench/dist/src/deploy-latency.js   (needs Docker, HAProxy; port 20001 free)
// With --swarm: the same on a 3-node Docker Swarm (deploy-latency-swarm.ts).
import Docker from 'dockerode';
import { connectNats } from '@orzo/bus';
import { Subjects, decodeEvent } from '@orzo/contracts';
import { swarmDeployLatency } from './deploy-latency-swarm';
import { httpGet, loadTestcontainers, readStream, startHttpContainer, startPlatform, waitFor } from '@orzo/testing';
import { recordFigure } from './figures';
import { buildExampleVersions } from './example-versions';

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const docker = new Docker();
  const versions = await buildExampleVersions(docker, 3);
  const image = `services-hello:orzo-${versions[0]}`;

  // The physical floor: one bare container from the same image until it answers HTTP, started
  // through the Docker API (testcontainers) and polled every 5 ms; its one-time setup is untimed.
  await loadTestcontainers();
  const bare: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const c = await startHttpContainer(image, { port: 8080, path: '/status' });
    bare.push((performance.now() - t) / 1000);
    await c.stop();
  }

  const platform = await startPlatform();
  const helloIds = async (v?: string) =>
    (await docker.listContainers({ filters: { label: ['orzo.service=hello', 'orzo.cluster=local', ...(v ? [`orzo.git_sha=${v}`] : [])] } })).map((c) => c.Id);
  try {
    for (const id of await helloIds()) await docker.getContainer(id).remove({ force: true });
    const mark = (v: string) => {
      const r = platform.cli(['mark-for-deployment', '-s', 'hello', '-l', 'local.main', '-c', v]);
      if (r.status !== 0) throw new Error(`mark-for-deployment ${v} failed: ${r.stderr}`);
    };
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
      await waitFor(async () => (await helloIds()).length === 3 && (await helloIds(v)).length === 3 && (await servesOnly(`v${i + 2}`)), {
        timeoutMs: 120_000,
        intervalMs: 10,
      });
      deploys.push((performance.now() - t) / 1000);
    }

    // healthy -> routed: from the events' own timestamps.
    const nc = await connectNats(platform.nats.url, 'bench');
    const read = async (stream: string, subject: string) =>
      (await readStream(nc, stream, subject))
        .map((m) => decodeEvent(subject, m.data))
        .flatMap((d) =>
          d.ok
            ? [
                { ...(d.event.payload as unknown as Record<string, unknown>), at: Date.parse(d.event.envelope.occurredAt) } as Record<string, unknown> & {
                  at: number;
                },
              ]
            : [],
        );
    const healthy = await read('ORZO_INSTANCE', Subjects.InstanceHealthy);
    // Where the last deploy's time went, from the events' own timestamps.
    const requested = (await read('ORZO_DEPLOY', Subjects.DeployRequested)).pop()!;
    const last = requested.at;
    const lastSha = versions[versions.length - 1]!;
    const since = (xs: Array<{ at: number }>) =>
      xs
        .map((x) => x.at - last)
        .filter((d) => d >= 0)
        .sort((a, b) => a - b);
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
    log(`  bare container start until it answers HTTP (median of ${bare.length})   ${median(bare).toFixed(2)} s`);
    log(
      `  mark-for-deployment -> 3 new UP in HAProxy, old gone (median of ${deploys.length})   ${median(deploys).toFixed(2)} s   [${deploys.map((d) => d.toFixed(2)).join(', ')}]`,
    );
    const ratio = median(deploys) / median(bare);
    recordFigure({
      bench: 'deploy',
      measure: 'mark -> 3 new replicas UP in HAProxy, old gone (median)',
      value: median(deploys),
      unit: 's',
      floor: { label: 'one bare container until it answers', value: median(bare) },
      goal: 'ratio <= 1.5',
      met: ratio <= 1.5,
    });
    if (routing.length)
      recordFigure({
        bench: 'deploy',
        measure: `health check passed -> routed by HAProxy, max of ${routing.length}`,
        value: routing[routing.length - 1]!,
        unit: 'ms',
        goal: 'p99 < 10 ms',
        met: routing[routing.length - 1]! < 10,
      });
    log(`  ratio deploy / bare run: ${(median(deploys) / median(bare)).toFixed(2)}   goal <= 1.5`);
    log(
      `  last deploy, ms after deploy.requested: started ${started.join('/')}; healthy ${healthyNew.join('/')}; old stopped ${stopped.join('/')}; completed ${completed.join('/')}`,
    );
    log(
      `  health check passed -> routed by HAProxy: median ${routing.length ? median(routing) : NaN} ms, max ${routing.length ? routing[routing.length - 1] : NaN} ms over ${routing.length} replicas`,
    );
  } finally {
    await platform.stop();
    for (const id of await helloIds()) await docker.getContainer(id).remove({ force: true });
  }
}

(process.argv.includes('--swarm') ? swarmDeployLatency() : main()).catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
