import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import Docker from 'dockerode';
import {
  ChaosRow,
  LoadLoop,
  NatsServerHandle,
  ORZO_CLI,
  REPO_ROOT,
  ServicesHandle,
  buildImage,
  copySoaConfigs,
  ensureBusyboxBase,
  freePort,
  httpGet,
  startPlatformServices,
  waitFor,
} from '@orzo/testing';
import { auditEvents } from './event-audit';
import { reportRow } from './report';

export const V1 = 'aaaaaaaa11111111111111111111111111111111';
export const V2 = 'bbbbbbbb22222222222222222222222222222222';
const VERSIONS: Record<string, string> = { [V1]: 'v1', [V2]: 'v2' };
export const REPLICAS = 3;

export interface SceneOptions {
  /** The example's name in this scene's own soa-configs: its images and containers carry it. */
  service: string;
  /** Files of the service's soa-configs folder to replace (e.g. kubernetes-local.yaml). */
  files?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  serviceEnv?: (service: string) => NodeJS.ProcessEnv;
  nats?: NatsServerHandle;
}

interface Status {
  instances: Array<{ state: string; desiredGitSha: string; healthyReplicas: number; desiredReplicas: number }>;
}

/**
 * One chaos scene: the real platform (each service its own process, see startPlatformServices)
 * with its own soa-configs copy of the example on a free proxy port, the example built in two
 * versions and serving 3 replicas of v1, and a steady load through HAProxy from the start.
 */
export class ChaosScene {
  readonly docker = new Docker();
  readonly load: LoadLoop;

  private constructor(
    readonly platform: ServicesHandle,
    readonly service: string,
    readonly proxyPort: number,
  ) {
    this.load = new LoadLoop(`http://127.0.0.1:${proxyPort}/version`);
  }

  static async open(options: SceneOptions): Promise<ChaosScene> {
    const docker = new Docker();
    await removeContainers(docker, options.service);
    await ensureBusyboxBase(docker);
    const context = join(REPO_ROOT, 'examples', 'services', 'hello');
    for (const [sha, version] of Object.entries(VERSIONS))
      await buildImage(docker, { context, tag: `services-${options.service}:orzo-${sha}`, buildargs: { VERSION: version } });
    const soa = await copySoaConfigs({ proxyPort: await freePort(), service: options.service, files: options.files });
    const platform = await startPlatformServices({ env: { ORZO_SOA_DIR: soa.dir, ...options.env }, nats: options.nats, serviceEnv: options.serviceEnv });
    const scene = new ChaosScene(platform, options.service, soa.proxyPort);
    try {
      await scene.mark(V1);
      await scene.waitConverged(V1, 120_000);
    } catch (err) {
      await scene.close();
      throw err;
    }
    scene.load.start();
    return scene;
  }

  /** `orzo <args>`, without blocking the event loop (the load loop must keep its pace). */
  cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
    return this.cliIn(process.cwd(), ...args);
  }

  cliIn(cwd: string, ...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
    return new Promise((resolve) =>
      execFile(process.execPath, [ORZO_CLI, ...args], { cwd, env: this.platform.env, timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      ),
    );
  }

  /** `orzo mark-for-deployment` of one version (a new deploy: a crossover from what runs). */
  async mark(sha: string): Promise<void> {
    const r = await this.cli('mark-for-deployment', '-s', this.service, '-l', 'local.main', '-c', sha);
    assert.equal(r.status, 0, r.stderr + r.stdout);
  }

  async status(): Promise<Status['instances'][number] | undefined> {
    const r = await this.cli('status', '-s', this.service, '--json');
    return r.status === 0 ? (JSON.parse(r.stdout) as Status).instances[0] : undefined;
  }

  async containers(): Promise<Array<{ id: string; sha?: string; state: string }>> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`orzo.managed=true`, `orzo.service=${this.service}`] } });
    return list.map((c) => ({ id: c.Id, sha: c.Labels['orzo.git_sha'], state: c.State }));
  }

  /** Waits until a replica of the new version exists: the crossover has begun. */
  async waitCrossoverStarted(sha: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(async () => (await this.containers()).some((c) => c.sha === sha), { timeoutMs, intervalMs: 100, what: `a replica of ${sha.slice(0, 8)}` });
  }

  /**
   * Converged: the status says Running with every replica healthy on that version, exactly
   * `REPLICAS` containers of it exist and all run, and HAProxy answers with its version.
   */
  async waitConverged(sha: string, timeoutMs = 90_000): Promise<number> {
    await waitFor(
      async () => {
        const s = await this.status();
        if (!s || s.state !== 'Running' || s.desiredGitSha !== sha || s.healthyReplicas !== REPLICAS) return false;
        const cs = await this.containers();
        if (cs.length !== REPLICAS || cs.some((c) => c.sha !== sha || c.state !== 'running')) return false;
        return (await httpGet(`http://127.0.0.1:${this.proxyPort}/version`)).body.trim() === VERSIONS[sha];
      },
      { timeoutMs, intervalMs: 250, what: `${this.service} converged on ${VERSIONS[sha]}\n${this.platform.output().slice(-4000)}` },
    );
    return Date.now();
  }

  /** Containers beyond the desired count once converged (a replica started twice, or one never removed). */
  async duplicates(): Promise<number> {
    return Math.max((await this.containers()).length - REPLICAS, 0);
  }

  /** Measures a case from the fault at `faultAt` to convergence at `convergedAt`; prints and records the row. */
  async measure(kase: string, goal: ChaosRow['goal'], faultAt: number, convergedAt: number): Promise<ChaosRow> {
    // Let the consumers settle: a message handled just now may still be acknowledged.
    const audit = await waitFor(
      async () => {
        const a = await auditEvents(this.platform.env.ORZO_NATS_URL!, this.service);
        return a.lost.length === 0 && a.stuck.length === 0 ? a : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 500 },
    ).catch(() => auditEvents(this.platform.env.ORZO_NATS_URL!, this.service));
    const traffic = this.load.summary(faultAt);
    const servingAt = this.load.servingAgainAt(faultAt);
    const row: ChaosRow = {
      case: kase,
      goal,
      servingAgainMs: servingAt === undefined ? undefined : servingAt - faultAt,
      convergedMs: convergedAt - faultAt,
      failed: traffic.failed,
      requests: traffic.total,
      reasons: traffic.reasons,
      eventsLost: audit.lost.length + audit.stuck.length,
      lostDetail: [...audit.lost, ...audit.stuck],
      duplicates: await this.duplicates(),
    };
    reportRow(row);
    return row;
  }

  async close(): Promise<void> {
    await this.load.stop();
    await this.platform.stop();
    await removeContainers(this.docker, this.service);
  }
}

async function removeContainers(docker: Docker, service: string): Promise<void> {
  for (const c of await docker.listContainers({ all: true, filters: { label: [`orzo.managed=true`, `orzo.service=${service}`] } }))
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
}
