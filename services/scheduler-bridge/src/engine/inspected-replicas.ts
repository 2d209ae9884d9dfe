import type Docker from 'dockerode';
import { Labels, Replica, ReplicaFilter } from './engine';

/** How long after its `die` event a replica is taken for dead without an inspect (dockerd answers well within it). */
export const DIED_FRESH_MS = 10_000;

/** What the events stream said of a container's death: its `die` (after an `oom` when OOM-killed). */
interface Death {
  exitCode?: number;
  oom: boolean;
  at: number;
}

interface Entry {
  /** Its last inspection while running. */
  replica: Replica;
  /** The change clock when that inspection began (see fresh()). */
  readAt: number;
}

/**
 * DockerEngine's one cache of its replicas' inspections, kept by the events stream of Orzo's
 * containers. It serves two readers:
 *
 * - **listings** (fromListing): what `inspect` read of a running replica (start time, image
 *   name, OOM flag, bridge address: what a container listing lacks) is reused while the stream
 *   is connected and reported nothing of that container since the inspect began, so a pass over
 *   every instance of a cluster costs one listing whatever the number of replicas. A container
 *   that is not running is always inspected (its exit code and OOM flag are read then); any
 *   event of a container (start, die, oom, restart...) makes its entry stale for listings, and
 *   a container listed with other ports or another address than remembered was restarted: read
 *   again.
 * - **the die path** (justDied): for up to a second after a `die`, dockerd still lists the
 *   container as running and holds its inspect while it tears down its network and mounts,
 *   which would hold the pass that replaces it. A stale entry is kept for that: the replica's
 *   last inspection plus the event (exit code, time, OOM) is the dead replica, for
 *   DIED_FRESH_MS after the event.
 *
 * An inspect that finds the container not running, `destroy`, or a listing that no longer
 * shows it drops the entry; a break of the stream drops everything (events may have been
 * missed: neither a remembered inspect nor a remembered death is trusted).
 */
export class InspectedReplicas {
  private readonly byId = new Map<string, Entry>();
  /** Deaths the stream reported, not started since (an inspect may have begun before one, and end after it). */
  private readonly deaths = new Map<string, Death>();
  /** An `oom` seen, its `die` not yet. */
  private readonly oomed = new Set<string>();
  /** Connected event streams: without one, no entry is fresh (a change would go unseen). */
  private streams = 0;
  /** A clock of changes: an inspect that began before a change of its container is stale. */
  private changes = 0;
  /** When each container last changed (an event of it), and when everything last did (a break, a (re)connection). */
  private readonly changedAt = new Map<string, number>();
  private resetAt = 0;

  streamUp(): void {
    this.streams++;
    // What was read before this stream connected may have changed unseen.
    this.resetAt = ++this.changes;
  }

  streamDown(): void {
    this.streams = Math.max(0, this.streams - 1);
    this.resetAt = ++this.changes;
    this.byId.clear();
    this.deaths.clear();
    this.oomed.clear();
    this.changedAt.clear();
  }

  /**
   * An event of this container: what was read of it is stale for listings; its `die` (with the
   * exit code and time of the event) is remembered for justDied, `start` forgets it, `destroy`
   * forgets the container.
   */
  changed(id: string, action: string, exitCode?: number, at = Date.now()): void {
    if (action === 'destroy') return this.forget(id);
    this.changedAt.set(id, ++this.changes);
    if (action === 'oom') this.oomed.add(id);
    else if (action === 'die') {
      this.deaths.set(id, { exitCode, oom: this.oomed.has(id), at });
      this.oomed.delete(id);
    } else if (action === 'start') this.deaths.delete(id);
  }

  private forget(id: string): void {
    this.byId.delete(id);
    this.deaths.delete(id);
    this.oomed.delete(id);
    this.changedAt.delete(id);
  }

  /** Taken before an inspect, handed to remember() with its result. */
  mark(): number {
    return this.changes;
  }

  /** An inspect's result: a running replica is remembered; one not running (its exit code read) drops what was kept of it. */
  remember(r: Replica, mark: number): void {
    if (!r.running) {
      this.byId.delete(r.id);
      this.deaths.delete(r.id);
      this.oomed.delete(r.id);
      return;
    }
    // An older inspect than the one kept (two in flight) does not replace it.
    if ((this.byId.get(r.id)?.readAt ?? -1) > mark) return;
    this.byId.set(r.id, { replica: r, readAt: mark });
  }

  /** Whether the entry can stand for an inspect now: a stream connected, nothing changed since it was read. */
  private fresh(id: string, e: Entry): boolean {
    return this.streams > 0 && e.readAt >= this.resetAt && e.readAt >= (this.changedAt.get(id) ?? 0);
  }

  /** The replica of a listed running container as last inspected, with the listing's state; undefined: inspect it. */
  fromListing(c: Docker.ContainerInfo): Replica | undefined {
    if (c.State !== 'running') return undefined;
    const e = this.byId.get(c.Id);
    if (!e || !this.fresh(c.Id, e)) return undefined;
    const ports = listedPorts(c);
    if (ports.hostPort !== e.replica.hostPort || ports.checkPort !== e.replica.checkPort || !sameBridgeIp(c, e.replica)) {
      this.changedAt.set(c.Id, ++this.changes);
      return undefined;
    }
    return { ...e.replica, state: c.State, running: true };
  }

  /**
   * A replica the events stream reported dead (`die`) within DIED_FRESH_MS, made of its last
   * inspection while running and the event; undefined when either is missing (inspect it).
   */
  justDied(id: string, now = Date.now()): Replica | undefined {
    const e = this.byId.get(id);
    const death = this.deaths.get(id);
    if (!e || !death || now - death.at > DIED_FRESH_MS) return undefined;
    const { bridge: _bridge, ...rest } = e.replica;
    return { ...rest, state: 'exited', running: false, exitCode: death.exitCode, oomKilled: death.oom, finishedAt: new Date(death.at).toISOString() };
  }

  /** Forgets the containers a listing with `filter` did not show (removed). */
  keepOnly(filter: ReplicaFilter, listed: ReadonlySet<string>): void {
    for (const [id, { replica: r }] of this.byId) {
      const matches =
        (!filter.service || r.service === filter.service) &&
        (!filter.instance || r.instance === filter.instance) &&
        (!filter.cluster || r.cluster === filter.cluster);
      if (matches && !listed.has(id)) this.forget(id);
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

/** Whether a listed container is on the bridge address remembered of it (a container restarted may get another). */
function sameBridgeIp(c: Docker.ContainerInfo, r: Replica): boolean {
  if (!r.bridge) return true;
  return Object.values(c.NetworkSettings?.Networks ?? {}).some((n) => n.IPAddress === r.bridge!.ip);
}
