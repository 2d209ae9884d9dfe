import Docker from 'dockerode';
import { ClusterConfig, SystemConfigResult, loadSystemConfig } from '@orzo/soa-config';
import { DockerEngine } from '../docker-engine';
import type { Engine } from './engine';
import { SwarmEngine } from './swarm-engine';

export const ENGINES = Symbol('orzo:engines');

/**
 * The engine of each cluster this bridge runs, from orzo.yaml's `clusters.<name>.engine` and
 * `docker_host`: `docker` is one Docker host, `swarm` a Docker Swarm reached through one of its
 * managers. Clusters on the same engine and address share one client (and one events stream).
 */
export class Engines {
  private constructor(private readonly byCluster: ReadonlyMap<string, Engine>) {}

  /**
   * Reads the clusters' settings from the system config; a cluster orzo.yaml does not name
   * runs on the local Docker engine, as before clusters had engines. `kubernetes` is refused
   * here, with what to do, and so is a cluster whose settings orzo.yaml gets wrong, so the
   * bridge does not start half-working.
   */
  static fromSystemConfig(clusters: string[], { config: system, problems }: SystemConfigResult = loadSystemConfig()): Engines {
    const wrong = problems.filter((p) => p.severity === 'error' && clusters.some((c) => p.path === c || p.path.startsWith(`clusters.${c}.`)));
    if (wrong.length)
      throw new Error(`orzo.yaml: ${wrong.map((p) => `${p.path}: ${p.message} (expected ${p.expected ?? '?'}, found ${p.found ?? '?'})`).join('; ')}`);
    const made = new Map<string, Engine>();
    const byCluster = new Map<string, Engine>();
    for (const cluster of clusters) {
      const config: ClusterConfig = system.clusters[cluster] ?? { engine: 'docker' };
      const key = `${config.engine} ${config.dockerHost ?? ''}`;
      let engine = made.get(key);
      if (!engine) {
        engine = makeEngine(cluster, config);
        made.set(key, engine);
      }
      byCluster.set(cluster, engine);
    }
    return new Engines(byCluster);
  }

  /** The engine of a cluster this bridge runs. */
  of(cluster: string): Engine {
    const engine = this.byCluster.get(cluster);
    if (!engine) throw new Error(`cluster ${cluster} is not run by this scheduler-bridge (ORZO_SCHEDULER_CLUSTERS)`);
    return engine;
  }

  /** Whether this bridge runs the cluster (an engine may be shared with clusters other bridges run). */
  runs(cluster: string | undefined): boolean {
    return cluster !== undefined && this.byCluster.has(cluster);
  }

  /** Each engine once. */
  distinct(): Engine[] {
    return [...new Set(this.byCluster.values())];
  }
}

function makeEngine(cluster: string, config: ClusterConfig): Engine {
  switch (config.engine) {
    case 'docker':
      // A replica's bridge address is reachable from this host only if the engine runs here.
      return new DockerEngine(dockerClient(config.dockerHost), !config.dockerHost || config.dockerHost.startsWith('unix:'));
    case 'swarm':
      return new SwarmEngine(dockerClient(config.dockerHost));
    case 'kubernetes':
      throw new Error(
        `cluster ${cluster} has engine kubernetes in orzo.yaml: scheduler-bridge has no Kubernetes backend yet (docs/architecture.md, "Kubernetes on paper"); use engine docker or swarm`,
      );
  }
}

/** A client of the Engine API at unix:///path or tcp://host:port; unset: DOCKER_HOST, else the local socket. */
export function dockerClient(dockerHost: string | undefined): Docker {
  if (!dockerHost) return new Docker();
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  if (url.protocol === 'tcp:') return new Docker({ host: url.hostname, port: Number(url.port), protocol: 'http' });
  throw new Error(`docker_host ${dockerHost}: expected unix:///path.sock or tcp://host:port`);
}
