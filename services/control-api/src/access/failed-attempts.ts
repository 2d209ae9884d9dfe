/**
 * Slows down a peer that keeps failing to authenticate: after `free` failures within the
 * window, each further failure of that peer is answered late, doubling up to `maxMs`. A guess
 * at a token costs the guesser time; a call with a good token is never slowed.
 */
export class FailedAttempts {
  private readonly peers = new Map<string, { failures: number; since: number }>();

  constructor(
    private readonly options = { free: 3, windowMs: 60_000, firstDelayMs: 100, maxMs: 5_000, maxPeers: 10_000 },
    private readonly now: () => number = Date.now,
  ) {}

  /** How long this peer's next failure waits before it is answered (0 for most). */
  delayFor(peer: string): number {
    const p = this.current(peer);
    if (!p || p.failures < this.options.free) return 0;
    return Math.min(this.options.maxMs, this.options.firstDelayMs * 2 ** (p.failures - this.options.free));
  }

  failed(peer: string): void {
    const p = this.current(peer) ?? { failures: 0, since: this.now() };
    p.failures += 1;
    this.peers.delete(peer);
    this.peers.set(peer, p);
    // Bounded: the oldest peers are forgotten first (a Map iterates in insertion order).
    while (this.peers.size > this.options.maxPeers) this.peers.delete(this.peers.keys().next().value!);
  }

  private current(peer: string): { failures: number; since: number } | undefined {
    const p = this.peers.get(peer);
    if (p && this.now() - p.since > this.options.windowMs) {
      this.peers.delete(peer);
      return undefined;
    }
    return p;
  }
}

/** The address part of a grpc-js peer ("ipv4:127.0.0.1:53422" -> "127.0.0.1"). */
export function peerAddress(peer: string): string {
  const m = /^(?:ipv4:|ipv6:)?\[?([^\]]+?)\]?:\d+$/.exec(peer);
  return m ? m[1]! : peer;
}
