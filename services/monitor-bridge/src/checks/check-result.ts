/** Sensu's statuses, as PaaSTA's checks report them. */
export const CheckStatus = { OK: 0, WARNING: 1, CRITICAL: 2 } as const;
export type CheckStatus = (typeof CheckStatus)[keyof typeof CheckStatus];

export const STATUS_NAMES: Record<CheckStatus, string> = { 0: 'OK', 1: 'WARNING', 2: 'CRITICAL' };

/** The instance a check is about. */
export interface InstanceRef {
  service: string;
  instance: string;
  cluster: string;
}

/**
 * One run of one check about one instance. `check` is PaaSTA's check name, e.g.
 * check_paasta_services_replication.<svc>.<inst>; the alert it feeds is keyed by it and the cluster.
 */
export interface CheckResult extends InstanceRef {
  check: string;
  status: CheckStatus;
  output: string;
  /** Per-check overrides of the instance's monitoring (PaaSTA's OOM check: page false, alert at once). */
  overrides?: { page?: boolean; alertAfterSeconds?: number; realertEvery?: number };
}

/** The kinds of checks monitor-bridge runs, and their PaaSTA-style names. */
export const CheckNames = {
  replication: (i: InstanceRef) => `check_paasta_services_replication.${i.service}.${i.instance}`,
  oom: (i: InstanceRef) => `oom-killer.${i.service}.${i.instance}`,
  crashLoop: (i: InstanceRef) => `crash-loop.${i.service}.${i.instance}`,
  deployFailed: (i: InstanceRef) => `deploy-failed.${i.service}.${i.instance}`,
  /** A timed job's last run failed (after its retries); `instance` is the job. Resolved by its next succeeded run. */
  jobFailed: (i: InstanceRef) => `tron.${i.service}.${i.instance}`,
  /** A run of the job is past its expected_runtime (WARNING); resolved when the run ends. */
  jobLate: (i: InstanceRef) => `tron.${i.service}.${i.instance}.expected_runtime`,
  /** check_that_every_day_has_a_successful_run: no succeeded run in the last 24 h (CRITICAL). */
  jobDaily: (i: InstanceRef) => `tron.${i.service}.${i.instance}.check_that_every_day_has_a_successful_run`,
} as const;

/** The stable key of an alert: the same check on the same instance of a cluster keeps it. */
export function alertIdOf(r: { cluster: string; check: string }): string {
  return `${r.cluster}/${r.check}`;
}
