import { CheckNames, CheckResult, CheckStatus, InstanceRef } from './check-result';

export interface ReplicationCounts {
  expected: number;
  available: number;
  /** Percent UP below which the check is CRITICAL (replication_threshold, default 50). */
  thresholdPercent: number;
}

/**
 * PaaSTA's replication check (check_kubernetes_services_replication): CRITICAL when
 * available / expected x 100 < replication_threshold; an instance expected to run nothing is OK.
 */
export function replicationCheck(i: InstanceRef, c: ReplicationCounts): CheckResult {
  const name = `${i.service}.${i.instance}`;
  const base = { ...i, check: CheckNames.replication(i) };
  if (c.expected <= 0) return { ...base, status: CheckStatus.OK, output: `Service ${name} is expected to run no replicas.` };
  const percent = (c.available / c.expected) * 100;
  const critical = percent < c.thresholdPercent;
  const output =
    `Service ${name} has ${c.available} out of ${c.expected} expected instances available` +
    ` (threshold: ${c.thresholdPercent}%)${critical ? '! Fewer than the threshold are UP in discovery.' : '.'}`;
  return { ...base, status: critical ? CheckStatus.CRITICAL : CheckStatus.OK, output };
}

/** PaaSTA's "critical" gauge: the fewest replicas UP that is still not CRITICAL. */
export function criticalReplicas(expected: number, thresholdPercent: number): number {
  return Math.ceil((expected * thresholdPercent) / 100);
}
