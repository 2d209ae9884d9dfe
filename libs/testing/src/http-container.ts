import type { BoundPorts, StartedTestContainer, WaitStrategy } from 'testcontainers';
import { httpGet } from './http';
import { waitFor } from './wait';

export interface HttpContainerOptions {
  /** The container port that serves HTTP (published on a free host port). */
  port: number;
  /** Answers 200 once the container is ready; default /. */
  path?: string;
  labels?: Record<string, string>;
  env?: Record<string, string>;
  /** Instead of the image's CMD. */
  command?: string[];
  /** Default 30 s. */
  timeoutMs?: number;
  /** Between two GETs while waiting; default 5 ms, like the benchmarks' by-hand floor. */
  intervalMs?: number;
}

export interface HttpContainer {
  id: string;
  hostPort: number;
  /** http://<docker host>:<host port>, no trailing slash. */
  url: string;
  container: StartedTestContainer;
  /** Kills and removes the container (its caller owns it: Ryuk is off, see below). */
  stop(): Promise<void>;
}

/**
 * Starts a container from a local image (testcontainers' GenericContainer) and resolves once
 * it answers HTTP 200, with a port published on a free host port.
 */
export async function startHttpContainer(image: string, options: HttpContainerOptions): Promise<HttpContainer> {
  const { GenericContainer, host } = await loadTestcontainers();
  const container = new GenericContainer(image);
  if (options.command) container.withCommand(options.command);
  const started = await container
    .withExposedPorts(options.port)
    .withLabels(options.labels ?? {})
    .withEnvironment(options.env ?? {})
    .withWaitStrategy(new HttpAnswers(host, options.path ?? '/', options.port, options.intervalMs ?? 5))
    .withStartupTimeout(options.timeoutMs ?? 30_000)
    .start();
  const hostPort = started.getMappedPort(options.port);
  return {
    id: started.getId(),
    hostPort,
    url: `http://${host}:${hostPort}`,
    container: started,
    stop: async () => {
      await started.stop({ timeout: 0, remove: true });
    },
  };
}

let loaded: Promise<{ GenericContainer: typeof import('testcontainers').GenericContainer; host: string }> | undefined;

/**
 * Loads testcontainers and does its one-time work (finding the Docker socket, asking the
 * engine for its info, the reaper): a benchmark calls it first so that its first timed
 * container does not pay for it. Imported here rather than at the top because it takes over a
 * second to load and most users of this lib never start a container through it.
 */
export function loadTestcontainers(): Promise<{ GenericContainer: typeof import('testcontainers').GenericContainer; host: string }> {
  loaded ??= (async () => {
    // Ryuk, testcontainers' reaper, is an image from Docker Hub, which is not reachable here.
    process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
    const { GenericContainer, getContainerRuntimeClient, getReaper } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    await getReaper(client);
    const runtimeHost = client.info.containerRuntime.host;
    // Published ports are bound on IPv4; localhost may resolve to ::1 first.
    return { GenericContainer, host: runtimeHost === 'localhost' ? '127.0.0.1' : runtimeHost };
  })();
  return loaded;
}

/**
 * Ready when GET answers 200. Not Wait.forHttp: it polls once per read timeout (1 s by
 * default), which would round a sub-second start up to a second, and uses undici, whose
 * socket a docker-proxy that holds the connection can leave pending (see httpGet).
 */
class HttpAnswers implements WaitStrategy {
  private startupTimeoutMs = 30_000;
  private startupTimeoutSet = false;

  constructor(
    private readonly host: string,
    private readonly path: string,
    private readonly port: number,
    private readonly intervalMs: number,
  ) {}

  async waitUntilReady(_container: unknown, boundPorts: BoundPorts): Promise<void> {
    const url = `http://${this.host}:${boundPorts.getBinding(this.port)}${this.path}`;
    await waitFor(async () => (await httpGet(url, 1000)).status === 200, {
      intervalMs: this.intervalMs,
      timeoutMs: this.startupTimeoutMs,
      what: `${url} to answer 200`,
    });
  }

  withStartupTimeout(startupTimeoutMs: number): this {
    this.startupTimeoutMs = startupTimeoutMs;
    this.startupTimeoutSet = true;
    return this;
  }

  isStartupTimeoutSet(): boolean {
    return this.startupTimeoutSet;
  }

  getStartupTimeout(): number {
    return this.startupTimeoutMs;
  }
}
