import { KV, KvEntry, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVENT_DEFINITIONS, EventMap, Subjects } from '@orzo/contracts';
import { kvKey } from './job-times';

export type JobsDesired = EventMap[typeof Subjects.JobsDesired];

/** What a run's claim says: who runs it and how far it is. */
export interface RunClaim {
  /** The scheduler-bridge process that won the claim. */
  owner: string;
  state: 'running' | 'finished' | 'skipped';
  trigger: string;
  /** Refreshed while running: a running claim not refreshed for CLAIM_STALE_MS lost its owner. */
  heartbeatAt: number;
}

/** The last scheduled run fired for a job: its due time, and the last run that actually started. */
export interface JobLast {
  at: number;
  runId: string;
}

export const JobBuckets = {
  desired: 'orzo_jobs_desired',
  runs: 'orzo_job_runs',
  last: 'orzo_job_last',
} as const;

/** A running claim whose owner has not refreshed it for this long is taken for dead. */
export const CLAIM_STALE_MS = 10_000;
export const CLAIM_HEARTBEAT_MS = 2_000;
const RUNS_TTL_MS = 7 * 24 * 3600_000;

export interface DesiredChange {
  key: string;
  desired: JobsDesired | undefined;
}

/**
 * The jobs' shared state in NATS KV, seen alike by every scheduler-bridge of a cluster
 * (each has its own database; the bus is what they share):
 * - `orzo_jobs_desired`: the latest JobsDesired per service and cluster;
 * - `orzo_job_runs`: one claim per run id, created atomically: the one scheduler that creates
 *   it runs the run; the others (and a redelivery, a restarted process) find it and do not;
 * - `orzo_job_last`: per job, the last due time fired, for the catch-up rule and the overlap rule.
 */
export class JobKv {
  private constructor(
    private readonly desiredKv: KV,
    private readonly runsKv: KV,
    private readonly lastKv: KV,
  ) {}

  static async open(nc: NatsConnection): Promise<JobKv> {
    const kvm = new Kvm(nc);
    return new JobKv(
      await kvm.create(JobBuckets.desired, { history: 1 }),
      await kvm.create(JobBuckets.runs, { history: 1, ttl: RUNS_TTL_MS }),
      await kvm.create(JobBuckets.last, { history: 1 }),
    );
  }

  /**
   * Stores a service's desired jobs on a cluster unless a newer set is there (a redelivered or
   * late event never rolls it back). Returns the set it replaced.
   */
  async putDesired(desired: JobsDesired, occurredAt: string): Promise<{ stored: boolean; previous?: JobsDesired }> {
    const key = kvKey(`${desired.service}.${desired.cluster}`);
    const codec = EVENT_DEFINITIONS[Subjects.JobsDesired].codec;
    const value = JSON.stringify({ occurredAt, desired: codec.toJSON(desired) });
    for (;;) {
      const entry = await this.desiredKv.get(key);
      const current = entry?.operation === 'PUT' ? (entry.json() as { occurredAt: string; desired: unknown }) : undefined;
      if (current && current.occurredAt > occurredAt) return { stored: false };
      try {
        if (entry) await this.desiredKv.update(key, value, entry.revision);
        else await this.desiredKv.create(key, value);
        return { stored: true, previous: current ? codec.fromJSON(current.desired) : undefined };
      } catch (err) {
        // Another replica wrote in between: read again.
        if (!isWrongRevision(err)) throw err;
      }
    }
  }

  /** Every desired set now, then each change as it is written. */
  async watchDesired(onChange: (c: DesiredChange) => void): Promise<() => void> {
    const codec = EVENT_DEFINITIONS[Subjects.JobsDesired].codec;
    const iter = await this.desiredKv.watch({ key: '>' });
    void (async () => {
      for await (const e of iter) {
        const desired = e.operation === 'PUT' ? codec.fromJSON((e.json() as { desired: unknown }).desired) : undefined;
        onChange({ key: e.key, desired });
      }
    })();
    return () => iter.stop();
  }

  /** Creates the run's claim; false when it exists (another scheduler, or an earlier attempt, has it). */
  async claim(runId: string, claim: RunClaim): Promise<boolean> {
    try {
      await this.runsKv.create(kvKey(runId), JSON.stringify(claim));
      return true;
    } catch (err) {
      if (await this.runsKv.get(kvKey(runId))) return false;
      throw err;
    }
  }

  async getClaim(runId: string): Promise<RunClaim | undefined> {
    const e = await this.runsKv.get(kvKey(runId));
    return e?.operation === 'PUT' ? (e.json() as RunClaim) : undefined;
  }

  async putClaim(runId: string, claim: RunClaim): Promise<void> {
    await this.runsKv.put(kvKey(runId), JSON.stringify(claim));
  }

  async getLast(jobKey: string): Promise<JobLast | undefined> {
    const e = await this.lastKv.get(kvKey(jobKey));
    return e?.operation === 'PUT' ? (e.json() as JobLast) : undefined;
  }

  /** Moves a job's last due time forward to `at` (never back); returns the value it replaced. */
  async advanceLast(jobKey: string, at: number, runId: string | null): Promise<JobLast | undefined> {
    const key = kvKey(jobKey);
    for (;;) {
      const entry: KvEntry | null = await this.lastKv.get(key);
      const current = entry?.operation === 'PUT' ? (entry.json() as JobLast) : undefined;
      if (current && current.at >= at) return current;
      const value = JSON.stringify({ at, runId: runId ?? current?.runId ?? '' } satisfies JobLast);
      try {
        if (entry) await this.lastKv.update(key, value, entry.revision);
        else await this.lastKv.create(key, value);
        return current;
      } catch (err) {
        if (!isWrongRevision(err)) throw err;
      }
    }
  }

  /** Forgets a job's last run (disabled or removed): enabling it again does not catch up. */
  async forgetLast(jobKey: string): Promise<void> {
    await this.lastKv.delete(kvKey(jobKey));
  }
}

function isWrongRevision(err: unknown): boolean {
  const e = err as { message?: string; code?: unknown; api_error?: { err_code?: number } };
  return e?.api_error?.err_code === 10071 || /wrong last sequence|key exists/i.test(e?.message ?? '');
}
