import type { InstanceSpec } from '@orzo/contracts';

/**
 * The example service (examples/services/hello) as scheduler-bridge's tests deploy it: 3
 * replicas on port 8080, an http check on /status every second, crossover, no registrations.
 * `image`, `gitSha` and `configHash` name the version under test.
 */
export function helloSpec(cluster: string, version: Pick<InstanceSpec, 'image' | 'gitSha' | 'configHash'>, over: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    service: 'hello',
    instance: 'main',
    cluster,
    deployGroup: `${cluster}.main`,
    ...version,
    replicas: 3,
    cpus: 0.1,
    memMb: 32,
    diskMb: 64,
    cpuBurstAdd: 0,
    cmd: '',
    args: [],
    env: { ORZO_PORT: '8080' },
    containerPort: 8080,
    healthcheck: {
      mode: 'http',
      uri: '/status',
      cmd: '',
      gracePeriodSeconds: 0,
      intervalSeconds: 1,
      timeoutSeconds: 1,
      maxConsecutiveFailures: 3,
      headers: {},
    },
    bounce: {
      method: 'crossover',
      marginFactor: 1,
      overprovisionFactor: 1,
      drainMethod: 'noop',
      drainDelaySeconds: 0,
      terminationGracePeriodSeconds: 1,
      minTaskUptimeSeconds: 0,
      skipHaproxyCheck: false,
      preStopCommand: [],
      preStopDrainSeconds: 0,
      httpDrain: undefined,
    },
    registrations: [],
    desiredState: 'start',
    forceBounce: '',
    registrationDetails: [],
    weight: 10,
    monitoring: undefined,
    pool: 'default',
    backoffSeconds: 1,
    ...over,
  };
}
