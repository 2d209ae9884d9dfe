// What HAProxy's runtime API showed ready over time, as bench:routed's poller saw it: one
// entry per run of polls that showed the same set of ready "addr:port"s. A sample is placed in
// it after the fact, so an address or a sample that reaches the poller late (from the bench's
// main thread: the registry's KV watch comes after the slot is set) still gets the polls that
// were made before it arrived.

/** A run of consecutive answered polls that showed the same addresses ready. */
interface Span {
  /** Send time of its first poll. */
  firstSent: number;
  /** Arrival of its first poll's answer: when this set was first seen. */
  firstAt: number;
  /** Send time of its last poll. */
  lastSent: number;
  /** Arrival of its last poll's answer. */
  lastAt: number;
  ready: ReadonlySet<string>;
}

/** Where a replica's routing lies, in the poller's clock (wall-clock ms, sub-ms). */
export type Placement =
  /**
   * Routed after notBefore (the last poll not showing it ready was sent, or healthyAt) and by
   * routedAt (the first answer showing it); pollMs: that poll's round trip; idleMs: the part of
   * the bound with no poll in flight (from the answer before it, or notBefore, to its send).
   */
  | { kind: 'routed'; notBefore: number; routedAt: number; pollMs: number; idleMs: number }
  /** A poll answered by healthyAt already showed one of its addresses ready: a stale address, not a sample. */
  | { kind: 'early'; readyAt: number };

export class ReadyHistory {
  private readonly spans: Span[] = [];

  /** @param keepMs spans whose last poll is older than this (before the newest) are dropped. */
  constructor(private readonly keepMs = 60_000) {}

  /** One answered poll: sent at `sent`, answered at `at`, showing `ready`. */
  record(sent: number, at: number, ready: ReadonlySet<string>): void {
    const last = this.spans.at(-1);
    if (last && last.ready.size === ready.size && [...ready].every((a) => last.ready.has(a))) Object.assign(last, { lastSent: sent, lastAt: at });
    else this.spans.push({ firstSent: sent, firstAt: at, lastSent: sent, lastAt: at, ready });
    while (this.spans.length > 1 && this.spans[0]!.lastSent < sent - this.keepMs) this.spans.shift();
  }

  /**
   * The first poll answered after `healthyAt` that showed one of `addresses` ready, if any yet
   * (HAProxy reads the state between a poll's send and its answer, and a poll sent a little
   * before healthyAt may be read after it). The lower bound is the send of the poll before it
   * (it did not show them; polls are answered in order), or healthyAt when that was sent before.
   */
  place(healthyAt: number, addresses: readonly string[]): Placement | undefined {
    const shows = (s: Span) => addresses.some((a) => s.ready.has(a));
    const i = this.spans.findIndex((s) => s.lastAt > healthyAt && shows(s));
    if (i < 0) return undefined;
    const span = this.spans[i]!;
    const before = this.spans[i - 1];
    if (span.firstAt <= healthyAt || (before && shows(before))) return { kind: 'early', readyAt: span.firstAt };
    const notBefore = Math.max(healthyAt, before?.lastSent ?? healthyAt);
    const idleMs = Math.max(0, span.firstSent - Math.max(notBefore, before?.lastAt ?? notBefore));
    return { kind: 'routed', notBefore, routedAt: span.firstAt, pollMs: span.firstAt - span.firstSent, idleMs };
  }
}
