/** One chaos case's outcome: printed by the chaos tier, written as a JSON line for bench:chaos, which tabulates them. */
export interface ChaosRow {
  case: string;
  /** What the design promises for this fault. */
  goal: { failed: number | 'some'; servingAgainMs?: number };
  /** From the fault to the first request served after the last failure. */
  servingAgainMs?: number;
  /** From the fault to the instance converged (deploy completed, every replica healthy). */
  convergedMs: number;
  failed: number;
  requests: number;
  reasons: Record<string, number>;
  eventsLost: number;
  lostDetail: string[];
  duplicates: number;
}
