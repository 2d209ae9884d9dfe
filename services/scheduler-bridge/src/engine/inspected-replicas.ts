import type Docker from 'dockerode';
import { Labels, Replica, ReplicaFilter } from './engine';

/**
 * What DockerEngine read of its running replicas with `inspect` (start time, image name, OOM
 * flag: what a container listing lacks), reused while Docker's events stream for Orzo's
 * containers is connected and reported nothing of that container since. A listing then gives a
 * replica without one inspect call per container, so a pass over every instance of a cluster
 * costs one listing whatever the number of replicas. A container that is not running is always
 * inspected (its exit code and OOM flag are read then); any event of a container (start, die,
 * oom, restart, destroy...) forgets it, and a break of the stream forgets everything. A
 * container whose listed ports differ from the remembered ones was restarted: read again.
 */
export class InspectedReplicas {
  private readonly byId = new Map<string, Replica>();
  /** Connected event streams: without one, nothing is remembered (a change would go unseen). */
  private streams = 0;
  /** A clock of changes: an inspect that began before a change of its container is not remembered. */
  private changes = 0;
  /** When each container last changed (an event of it), and when everything last did (a break). */
  private readonly changedAt = new Map<string, number>();
  private resetAt = 0;

  streamUp(): void {
    this.streams++;
  }

  streamDown(): void {
    this.streams = Math.max(0, this.streams - 1);
    this.resetAt = ++this.changes;
    this.byId.clear();
    this.changedAt.clear();
  }

  /** An event of this container: what was read of it may be stale (destroyed: it is gone). */
  changed(id: string, action: string): void {
    this.byId.delete(id);
    if (action === 'destroy') this.changedAt.delete(id);
    else this.changedAt.set(id, ++this.changes);
  }

  /** Taken before an inspect, handed to remember() with its result. */
  mark(): number {
    return this.changes;
  }

  remember(r: Replica, mark: number): void {
    if (this.streams > 0 && r.running && mark >= this.resetAt && mark >= (this.changedAt.get(r.id) ?? 0)) this.byId.set(r.id, r);
  }

  /** The replica of a listed running container as last inspected, with the listing's state; undefined: inspect it. */
  fromListing(c: Docker.ContainerInfo): Replica | undefined {
    if (this.streams === 0 || c.State !== 'running') return undefined;
    const known = this.byId.get(c.Id);
    if (!known) return undefined;
    const ports = listedPorts(c);
    if (ports.hostPort !== known.hostPort || ports.checkPort !== known.checkPort) {
      this.byId.delete(c.Id);
      return undefined;
    }
    return { ...known, state: c.State, running: true };
  }

  /** Forgets the containers a listing with `filter` did not show (removed). */
  keepOnly(filter: ReplicaFilter, listed: ReadonlySet<string>): void {
    for (const [id, r] of this.byId) {
      const matches =
        (!filter.service || r.service === filter.service) &&
        (!filter.instance || r.instance === filter.instance) &&
        (!filter.cluster || r.cluster === filter.cluster);
      if (matches && !listed.has(id)) {
        this.byId.delete(id);
        this.changedAt.delete(id);
      }
    }
  }
}

/** The host ports of a listed container, as DockerEngine.inspect reads them from its bindings. */
function listedPorts(c: Docker.ContainerInfo): { hostPort?: number; checkPort?: number } {
  const check = c.Labels?.[Labels.checkPort] ? Number(c.Labels[Labels.checkPort]) : undefined;
  const published = (c.Ports ?? []).filter((p) => p.PublicPort);
  const service = published.find((p) => p.PrivatePort !== check || p.Type !== 'tcp');
  const checkPort = check === undefined ? undefined : published.find((p) => p.PrivatePort === check && p.Type === 'tcp');
  return { hostPort: service?.PublicPort, ...(checkPort ? { checkPort: checkPort.PublicPort } : {}) };
}
