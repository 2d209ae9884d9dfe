import { get } from 'node:http';

export interface LoadResult {
  at: number;
  ok: boolean;
  /** The status or error of a failed request. */
  reason?: string;
}

export interface LoadSummary {
  total: number;
  ok: number;
  failed: number;
  /** Failure reasons and how often each was seen. */
  reasons: Record<string, number>;
  firstFailureAt?: number;
  lastFailureAt?: number;
}

/**
 * A steady, bounded load through HAProxy: `rate` requests a second, each on a new connection
 * (no keep-alive, so every request goes through HAProxy's routing anew) with a timeout. It
 * stops by itself after `maxSeconds` or when `stop()` is called.
 */
export class LoadLoop {
  readonly results: LoadResult[] = [];
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  private deadline = 0;

  constructor(
    private readonly url: string,
    private readonly rate = 25,
    private readonly timeoutMs = 2_000,
  ) {}

  start(maxSeconds = 600): this {
    this.deadline = Date.now() + maxSeconds * 1_000;
    this.timer = setInterval(() => {
      if (Date.now() > this.deadline) return void this.stop();
      const p = this.once().finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }, 1_000 / this.rate);
    return this;
  }

  async stop(): Promise<LoadSummary> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.inFlight);
    return this.summary();
  }

  summary(from = 0): LoadSummary {
    const rows = this.results.filter((r) => r.at >= from);
    const failed = rows.filter((r) => !r.ok);
    const reasons: Record<string, number> = {};
    for (const f of failed) reasons[f.reason!] = (reasons[f.reason!] ?? 0) + 1;
    return {
      total: rows.length,
      ok: rows.length - failed.length,
      failed: failed.length,
      reasons,
      firstFailureAt: failed[0]?.at,
      lastFailureAt: failed.at(-1)?.at,
    };
  }

  /** When traffic was served again after `from`: the first success after the last failure (or `from` itself if none failed). */
  servingAgainAt(from: number): number | undefined {
    const rows = this.results.filter((r) => r.at >= from);
    const lastFailure = rows.map((r, i) => (r.ok ? -1 : i)).reduce((a, b) => Math.max(a, b), -1);
    if (lastFailure < 0) return from;
    return rows.slice(lastFailure + 1).find((r) => r.ok)?.at;
  }

  private once(): Promise<void> {
    const at = Date.now();
    return new Promise<void>((resolve) => {
      const done = (ok: boolean, reason?: string) => {
        this.results.push({ at, ok, reason });
        resolve();
      };
      const req = get(this.url, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? done(true) : done(false, `HTTP ${res.statusCode}`)));
        res.on('error', (err) => done(false, err.message));
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`timeout ${this.timeoutMs}ms`)));
      req.on('error', (err) => done(false, (err as NodeJS.ErrnoException).code ?? err.message));
    });
  }
}
