/**
 * The bounce rules of PaaSTA's bounce_lib, as one pure decision: given the desired count, the
 * margin factor, the method and what runs (old and new replicas, each happy or not), which new
 * replicas to start and which replicas to drain now. The reconciler observes, asks, acts, and
 * asks again until nothing is left to do in this pass; the next pass continues from there.
 */
export const BOUNCE_METHODS = ['crossover', 'brutal', 'upthendown', 'downthenup'] as const;
export type BounceMethod = (typeof BOUNCE_METHODS)[number];

export interface BounceReplica<R> {
  replica: R;
  /** Healthy and UP in discovery for every registration with a local proxy; false until shown. */
  happy: boolean;
}

export interface BounceState<R> {
  /** Desired replicas of the new version. */
  n: number;
  /** Share of n that must stay happy during a crossover, in (0, 1]. */
  marginFactor: number;
  /**
   * bounce_overprovision_factor: during a crossover, at most ceil(n × factor) replicas beyond n
   * run (Kubernetes' maxSurge, as PaaSTA sets it); absent or >= 1: every new replica at once.
   */
  overprovisionFactor?: number;
  method: BounceMethod;
  /** Running replicas of another version (git sha or config hash). */
  old: ReadonlyArray<BounceReplica<R>>;
  /** Running replicas of the desired version. */
  new: ReadonlyArray<BounceReplica<R>>;
  /** Replicas still draining (out of rotation, not yet stopped): they run, so they count against the surge. */
  draining?: number;
}

export interface BouncePlan<R> {
  /** How many new replicas to start now. */
  start: number;
  /** Old replicas to drain now. */
  drain: R[];
  /** New replicas beyond n to drain now (scale-down); unhappy ones go first. */
  surplus: R[];
}

/** An unknown or empty method is PaaSTA's default, crossover. */
export function bounceMethod(method: string | undefined): BounceMethod {
  return (BOUNCE_METHODS as readonly string[]).includes(method ?? '') ? (method as BounceMethod) : 'crossover';
}

/** The happy replicas a crossover keeps and a deploy needs to be done: ceil(n × margin). */
export function happyFloor(n: number, marginFactor: number): number {
  // 1e-9: 100 × 0.07 is 7.000000000000001 in binary floating point, and must still need 7, not 8.
  return Math.max(Math.ceil(n * marginFactor - 1e-9), 0);
}

export function planBounce<R>(state: BounceState<R>): BouncePlan<R> {
  const { n, method } = state;
  const fresh = happyFirst(state.new);
  const kept = fresh.slice(0, n);
  const surplus = fresh.slice(n).map((r) => r.replica);
  const happyNew = kept.filter((r) => r.happy).length;
  // Happy old replicas are the ones worth keeping; unhappy ones are drained first.
  const old = happyFirst(state.old).map((r) => r.replica);
  const missing = Math.max(n - state.new.length, 0);
  switch (method) {
    case 'brutal':
      return { start: missing, drain: old, surplus };
    case 'downthenup':
      // Everything old goes before anything new starts.
      return old.length ? { start: 0, drain: old, surplus } : { start: missing, drain: [], surplus };
    case 'upthendown':
      return { start: missing, drain: happyNew >= n ? old : [], surplus };
    case 'crossover': {
      const factor = state.overprovisionFactor ?? 1;
      const surge = Math.max(Math.ceil(n * factor - 1e-9), 1);
      const runs = state.old.length + state.new.length + (state.draining ?? 0);
      const start = factor >= 1 ? missing : Math.min(missing, Math.max(n + surge - runs, 0));
      return { start, drain: old.slice(Math.max(happyFloor(n, state.marginFactor) - happyNew, 0)), surplus };
    }
  }
}

/** A stable sort: happy replicas first, each group in its given order. */
function happyFirst<R>(replicas: ReadonlyArray<BounceReplica<R>>): Array<BounceReplica<R>> {
  return [...replicas.filter((r) => r.happy), ...replicas.filter((r) => !r.happy)];
}
