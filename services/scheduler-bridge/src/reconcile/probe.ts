import type { InstanceSpec } from '@orzo/contracts';
import { CheckResult, checkOnce } from '@orzo/platform';
import type { Engine, Replica } from '../engine/engine';

export type ProbeResult = CheckResult;

/**
 * Whether a replica passes its instance's health check now (the same check monitor-bridge
 * runs), as part of the bounce's readiness gate: running, reachable on its host port, healthy.
 * Old replicas are probed with the new spec's check too: it only decides which of them go first.
 * A cmd check runs inside the replica through the engine.
 */
export async function probe(spec: InstanceSpec, replica: Replica, engine?: Pick<Engine, 'exec'>): Promise<ProbeResult> {
  if (!replica.running) return { ok: false, output: `container ${replica.state}` };
  const mode = spec.healthcheck?.mode ?? 'none';
  if (!replica.hostPort && mode !== 'cmd') return { ok: mode === 'none', output: 'no host port' };
  return checkOnce(
    spec.healthcheck ? { ...spec.healthcheck, timeoutSeconds: Math.min(2, spec.healthcheck.timeoutSeconds || 1) } : undefined,
    replica.host,
    replica.checkPort ?? replica.hostPort ?? 0,
    engine ? (cmd, timeoutMs) => engine.exec(replica.id, cmd, timeoutMs) : undefined,
  );
}
