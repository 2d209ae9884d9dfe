import type { InstanceSpec } from '@orzo/contracts';
import { CheckResult, checkOnce } from '@orzo/platform';
import type { Replica } from '../engine/engine';

export type ProbeResult = CheckResult;

/**
 * Whether a replica passes its instance's health check now (the same check monitor-bridge
 * runs), as part of the bounce's readiness gate: running, reachable on its host port, healthy.
 * Old replicas are probed with the new spec's check too: it only decides which of them go first.
 */
export async function probe(spec: InstanceSpec, replica: Replica): Promise<ProbeResult> {
  if (!replica.running) return { ok: false, output: `container ${replica.state}` };
  const mode = spec.healthcheck?.mode ?? 'none';
  if (!replica.hostPort) return { ok: mode === 'none' || mode === 'cmd', output: 'no host port' };
  return checkOnce(
    spec.healthcheck ? { ...spec.healthcheck, timeoutSeconds: Math.min(2, spec.healthcheck.timeoutSeconds || 1) } : undefined,
    replica.host,
    replica.checkPort ?? replica.hostPort,
  );
}
