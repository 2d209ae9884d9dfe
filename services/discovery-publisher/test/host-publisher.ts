import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventPublisher } from '@orzo/bus';
import { Subjects } from '@orzo/contracts';
import { freePort, httpGet, stopHaproxyIn, waitFor } from '@orzo/testing';

const MAIN = join(__dirname, '..', 'src', 'main.js');

/**
 * One "host" of a multi-host test: a discovery-publisher process of its own (so it can be
 * SIGKILLed like a crashed one) with its own data dir, hence its own HAProxy, config and stats
 * socket, its frontends bound on `bind` (a loopback address of its own: Linux answers all of
 * 127/8, so two hosts' HAProxies can use the same proxy_port).
 */
export class HostPublisher {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'orzo-host-'));
  private child?: ChildProcess;
  private output = '';
  httpPort = 0;

  constructor(
    readonly hostId: string,
    readonly bind: string,
    private readonly natsUrl: string,
    private readonly registrar: boolean,
  ) {}

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      ORZO_NATS_URL: this.natsUrl,
      ORZO_DATA_DIR: this.dataDir,
      ORZO_HTTP_PORT: String(this.httpPort),
      ORZO_HOST_ID: this.hostId,
      ORZO_PROXY_BIND: this.bind,
      ORZO_DISCOVERY_REGISTRAR: String(this.registrar),
      ORZO_LOG_LEVEL: 'info',
    };
  }

  /** Starts the process (after its migrate step, as `orzo up` does); resolves once it says it started (its HAProxy programmed from the registry). */
  async start(): Promise<void> {
    if (!this.httpPort) {
      this.httpPort = await freePort();
      const migrate = spawnSync(process.execPath, [MAIN, 'migrate'], { env: this.env(), encoding: 'utf8', timeout: 60_000 });
      if (migrate.status !== 0) throw new Error(`${this.hostId}'s migrate failed: ${migrate.stderr || migrate.stdout}`);
    }
    const child = spawn(process.execPath, [MAIN], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let own = '';
    const collect = (d: Buffer) => {
      own = (own + d.toString()).slice(-50_000);
      this.output = (this.output + d.toString()).slice(-200_000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    await waitFor(() => own.includes('"msg":"discovery-publisher started"') || child.exitCode !== null, {
      timeoutMs: 60_000,
      what: `${this.hostId}'s discovery-publisher to start\n${own.slice(-3000)}`,
    });
    if (child.exitCode !== null) throw new Error(`${this.hostId}'s discovery-publisher exited with ${child.exitCode}\n${own.slice(-3000)}`);
  }

  /** SIGKILL, as a crash: no shutdown hook runs; its HAProxy keeps running. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  /** GET through this host's HAProxy: "<status>:<body>" or "error <message>". */
  async get(proxyPort: number): Promise<string> {
    try {
      const res = await httpGet(`http://${this.bind}:${proxyPort}/`, 1_000);
      return `${res.status}:${res.body.trim()}`;
    } catch (err) {
      return `error ${(err as Error).message}`;
    }
  }

  /** The bodies of `n` requests through this host's HAProxy. */
  async sample(proxyPort: number, n: number): Promise<string[]> {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) seen.push(await this.get(proxyPort));
    return seen;
  }

  async health(): Promise<{ status: number; body: { ok: boolean; checks?: Record<string, { ok: boolean; detail?: string }> } }> {
    const res = await httpGet(`http://127.0.0.1:${this.httpPort}/healthz`, 5_000);
    return { status: res.status, body: JSON.parse(res.body) as never };
  }

  logs(): string {
    return this.output;
  }

  async dispose(): Promise<void> {
    await this.kill();
    await stopHaproxyIn(this.dataDir);
  }
}

/** A deploy.requested of `<service>.main` on cluster local with one HTTP registration on `proxyPort`: its frontend opens on every host. */
export function publishDeploy(
  events: EventPublisher,
  service: string,
  registration: string,
  proxyPort: number,
  backend: { healthcheckUri: string; timeoutServerMs: number },
): Promise<unknown> {
  const spec = {
    service,
    instance: 'main',
    cluster: 'local',
    registrations: [registration],
    registrationDetails: [{ name: registration, proxyPort, mode: 'http', timeoutConnectMs: 200, retries: 1, ...backend }],
  };
  return events.publish(Subjects.DeployRequested, {
    deployId: 'd1',
    service,
    deployGroup: 'local.main',
    specs: [spec as never],
    requestedBy: 't',
    reason: 't',
  });
}
