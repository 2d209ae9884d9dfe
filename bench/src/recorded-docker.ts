// A Docker Engine API that answers from a recorded listing: the answers dockerd gave for one
// real replica (its /containers/json entry and its inspect), copied for every replica of a
// fleet with each copy's id, name and labels. scheduler-bridge reaches it as a cluster's
// docker_host (tcp://), unmodified; it counts the calls it answers. bench/reconcile-scale
// measures the reconciler's own cost with it: what dockerd itself spends listing is not in it.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import type Docker from 'dockerode';

export interface RecordedContainer {
  /** The entry of GET /containers/json. */
  listed: Docker.ContainerInfo;
  /** GET /containers/{id}/json. */
  inspected: Docker.ContainerInspectInfo;
}

export interface FleetReplica {
  service: string;
  instance: string;
  cluster: string;
}

export interface Calls {
  /** Listings of Orzo's replicas (label orzo.managed). */
  list: number;
  /** Other listings (the job scheduler's, of job containers). */
  otherList: number;
  inspect: number;
  /** Health checks of the replicas, which point at this server (GET /status). */
  probe: number;
  other: string[];
}

const LABEL = { service: 'orzo.service', instance: 'orzo.instance', cluster: 'orzo.cluster' } as const;

/** Copies of the recorded container, one per replica, each with its own id, name and labels; ports point at `port`. */
export function fleetOf(recorded: RecordedContainer, replicas: readonly FleetReplica[], port: number): RecordedContainer[] {
  const privatePort = recorded.listed.Ports.find((p) => p.PublicPort)?.PrivatePort ?? 8080;
  return replicas.map((r, i) => {
    const id = randomBytes(32).toString('hex');
    const name = `orzo-${r.service}-${r.instance}-${i.toString(36)}`;
    const labels = { ...recorded.listed.Labels, [LABEL.service]: r.service, [LABEL.instance]: r.instance, [LABEL.cluster]: r.cluster };
    return {
      listed: {
        ...recorded.listed,
        Id: id,
        Names: [`/${name}`],
        Labels: labels,
        Ports: [{ IP: '127.0.0.1', PrivatePort: privatePort, PublicPort: port, Type: 'tcp' }],
      },
      inspected: {
        ...recorded.inspected,
        Id: id,
        Name: `/${name}`,
        Config: { ...recorded.inspected.Config, Labels: labels },
        NetworkSettings: { ...recorded.inspected.NetworkSettings, Ports: { [`${privatePort}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
      },
    };
  });
}

/**
 * Serves the fleet: container listings (label filters honoured, as dockerd does), inspects, an
 * events stream that stays open and quiet (nothing changes: the steady state), /info, and
 * 200 to a replica's health check. Everything else is answered 404 and noted.
 */
export class RecordedDocker {
  readonly calls: Calls = { list: 0, otherList: 0, inspect: 0, probe: 0, other: [] };
  private fleet: Array<{ json: string; labels: Record<string, string>; inspect: string }> = [];
  private readonly byId = new Map<string, string>();
  private readonly server: Server;
  private readonly events = new Set<ServerResponse>();

  constructor() {
    this.server = createServer((req, res) => this.answer(req, res));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  load(fleet: readonly RecordedContainer[]): void {
    this.fleet = fleet.map((c) => ({ json: JSON.stringify(c.listed), labels: c.listed.Labels, inspect: JSON.stringify(c.inspected) }));
    this.byId.clear();
    for (const [i, c] of fleet.entries()) this.byId.set(c.listed.Id, this.fleet[i]!.inspect);
  }

  resetCalls(): void {
    Object.assign(this.calls, { list: 0, otherList: 0, inspect: 0, probe: 0, other: [] });
  }

  async close(): Promise<void> {
    for (const res of this.events) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://docker');
    const path = url.pathname.replace(/^\/v1\.\d+/, '');
    const json = (body: string, status = 200) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(body);
    };
    if (path === '/containers/json') {
      const filters = JSON.parse(url.searchParams.get('filters') ?? '{}') as { label?: string[] | Record<string, boolean> };
      const wanted = (Array.isArray(filters.label) ? filters.label : Object.keys(filters.label ?? {})).map((l) => l.split('=') as [string, string?]);
      if (wanted.some(([k]) => k === 'orzo.managed')) this.calls.list++;
      else this.calls.otherList++;
      const matching = this.fleet.filter((c) => wanted.every(([k, v]) => (v === undefined ? k in c.labels : c.labels[k] === v)));
      return json(`[${matching.map((c) => c.json).join(',')}]`);
    }
    const inspect = /^\/containers\/([0-9a-f]+)\/json$/.exec(path);
    if (inspect) {
      this.calls.inspect++;
      const body = this.byId.get(inspect[1]!);
      return body ? json(body) : json('{"message":"No such container"}', 404);
    }
    if (path === '/events') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      this.events.add(res);
      res.on('close', () => this.events.delete(res));
      return;
    }
    if (path === '/info') return json('{"NCPU":2}');
    if (path === '/status') {
      this.calls.probe++;
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return void res.end('ok\n');
    }
    this.calls.other.push(`${req.method} ${path}`);
    json('{"message":"not recorded"}', 404);
  }
}
