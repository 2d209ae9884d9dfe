// bench/deploy-latency, swarm mode: on a 3-node Docker Swarm in network namespaces (libs/testing
// startSwarm), the time from mark-for-deployment to every new replica serving through HAProxy
// with the old ones gone, next to starting the same number of replicas by hand in the same run
// (`docker service create`, one service per replica as Orzo does, host-mode ports, all at once,
// until each answers HTTP at its node's address).
// Usage: npm run bench:deploy -- --swarm   (needs root, iptables, Docker, HAProxy, docker-registry)
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import Docker from 'dockerode';
import { REPO_ROOT, buildImage, copySoaConfigs, ensureBusyboxBase, freePort, httpGet, startPlatform, startSwarm, waitFor } from '@orzo/testing';
import { recordFigure } from './figures';

const REPLICAS = 6;
const log = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function swarmDeployLatency(): Promise<void> {
  const swarm = await startSwarm({ nodes: 3, registry: true });
  try {
    const machine = new Docker();
    await ensureBusyboxBase(machine);
    const images: string[] = [];
    for (const v of [1, 2, 3]) {
      const local = `orzo-bench/hello-swarm:v${v}`;
      await buildImage(machine, { context: join(REPO_ROOT, 'examples', 'services', 'hello'), tag: local, buildargs: { VERSION: `v${v}` } });
      images.push(await swarm.pushImage(local, `services-hello:bench-v${v}`));
    }

    // The floor: REPLICAS services of one replica each, created at once, until each answers.
    const manager = swarm.manager.docker;
    const byHand: number[] = [];
    for (let round = 0; round < 2; round++) {
      const t = performance.now();
      const services = await Promise.all(
        Array.from({ length: REPLICAS }, (_, i) =>
          manager.createService({
            Name: `bench-by-hand-${round}-${i}`,
            TaskTemplate: { ContainerSpec: { Image: images[0]! }, RestartPolicy: { Condition: 'none' } },
            Mode: { Replicated: { Replicas: 1 } },
            EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishMode: 'host' }] },
          }),
        ),
      );
      const nodes = new Map((await manager.listNodes()).map((n: { ID: string; Status: { Addr: string } }) => [n.ID, n.Status.Addr]));
      await waitFor(
        async () => {
          const tasks = (await manager.listTasks({ filters: { 'desired-state': ['running'] } })) as Array<{
            ServiceID: string;
            NodeID?: string;
            Status: { State: string; PortStatus?: { Ports?: Array<{ PublishedPort?: number }> } };
          }>;
          const mine = tasks.filter((k) => services.some((s: { id?: string; ID?: string }) => (s.id ?? s.ID) === k.ServiceID) && k.Status.State === 'running');
          if (mine.length < REPLICAS) return false;
          const answers = await Promise.all(
            mine.map((k) =>
              httpGet(`http://${nodes.get(k.NodeID ?? '')}:${k.Status.PortStatus?.Ports?.[0]?.PublishedPort}/status`, 500).catch(() => undefined),
            ),
          );
          return answers.every((a) => a?.status === 200);
        },
        { timeoutMs: 120_000, intervalMs: 20 },
      );
      byHand.push((performance.now() - t) / 1000);
      for (const s of services) await manager.getService((s as { id?: string; ID?: string }).id ?? (s as { ID: string }).ID).remove();
    }

    const proxyPort = await freePort();
    const soa = await copySoaConfigs({ proxyPort });
    const instanceYaml = `main:\n  cpus: 0.1\n  mem: 64\n  container_port: 8080\n  instances: ${REPLICAS}\n  registrations: ['${soa.service}.main']\n  deploy_group: local.main\n  healthcheck_grace_period_seconds: 5\n  healthcheck_interval_seconds: 1\n  drain_method_params:\n    delay: 1\n`;
    writeFileSync(join(soa.dir, soa.service, 'kubernetes-local.yaml'), instanceYaml);
    const orzoYaml = join(soa.dir, 'orzo.yaml');
    writeFileSync(orzoYaml, `clusters:\n  local:\n    engine: swarm\n    docker_host: ${swarm.manager.dockerHost}\nregistry: ${swarm.registry}\n`);
    const platform = await startPlatform({ ORZO_CONFIG: orzoYaml, ORZO_SOA_DIR: soa.dir });
    try {
      const servesOnly = async (page: string) => {
        for (let i = 0; i < REPLICAS * 2; i++)
          if ((await httpGet(`http://127.0.0.1:${proxyPort}/version`, 1_000).catch(() => undefined))?.body.trim() !== page) return false;
        return true;
      };
      const running = async (image: string) =>
        (await manager.listServices({ filters: { label: [`orzo.service=${soa.service}`] } })).filter((s) =>
          (s.Spec?.TaskTemplate as { ContainerSpec?: { Image?: string } } | undefined)?.ContainerSpec?.Image?.startsWith(image),
        ).length;
      const mark = (image: string) => {
        const r = platform.cli(['mark-for-deployment', '-s', soa.service, '-l', 'local.main', '--image', image], 60_000);
        if (r.status !== 0) throw new Error(`mark-for-deployment failed: ${r.stderr}`);
      };
      mark(images[0]!);
      await waitFor(() => servesOnly('v1'), { timeoutMs: 180_000, intervalMs: 50 });
      const deploys: number[] = [];
      const serving: number[] = [];
      for (const [i, image] of images.slice(1).entries()) {
        const t = performance.now();
        mark(image);
        // (a) every request answered by the new version, then (b) no old service left.
        await waitFor(() => servesOnly(`v${i + 2}`), { timeoutMs: 180_000, intervalMs: 20 });
        serving.push((performance.now() - t) / 1000);
        await waitFor(async () => (await running(image)) === REPLICAS && (await running(images[i]!)) === 0, { timeoutMs: 180_000, intervalMs: 20 });
        deploys.push((performance.now() - t) / 1000);
      }
      log(`deploy-latency (swarm): ${REPLICAS} replicas on 3 nodes (network namespaces on this machine), crossover, drain delay 1 s, node ${process.version}`);
      log(
        `  ${REPLICAS} replicas by hand (docker service create, all at once) until each answers (median of ${byHand.length})   ${median(byHand).toFixed(2)} s`,
      );
      log(
        `  mark-for-deployment -> every request answered by the new version (median of ${serving.length})   ${median(serving).toFixed(2)} s   [${serving.map((d) => d.toFixed(2)).join(', ')}]`,
      );
      log(
        `  mark-for-deployment -> ${REPLICAS} new serving through HAProxy, old gone (median of ${deploys.length})   ${median(deploys).toFixed(2)} s   [${deploys.map((d) => d.toFixed(2)).join(', ')}]`,
      );
      const ratio = median(deploys) / median(byHand);
      recordFigure({
        bench: 'deploy-swarm',
        measure: `mark -> every request on the new version, ${REPLICAS} replicas on a 3-node swarm (median)`,
        value: median(serving),
        unit: 's',
        floor: { label: `${REPLICAS} services created by hand`, value: median(byHand) },
        goal: 'ratio <= 1.5',
        met: median(serving) / median(byHand) <= 1.5,
      });
      recordFigure({
        bench: 'deploy-swarm',
        measure: `mark -> ${REPLICAS} new serving on a 3-node swarm, old gone (median)`,
        value: median(deploys),
        unit: 's',
        floor: { label: `${REPLICAS} services created by hand`, value: median(byHand) },
        goal: 'ratio <= 1.5',
        met: ratio <= 1.5,
      });
      log(`  ratio deploy / by hand: ${(median(deploys) / median(byHand)).toFixed(2)}   goal <= 1.5 (issue #16)`);
    } finally {
      await platform.stop();
    }
  } finally {
    await swarm.dispose();
  }
}
