import { InstanceSpec } from '@orzo/contracts';
import { CompiledInstance } from '@orzo/soa-config';

/** The complete desired spec of one instance at one version, as deploy.requested carries it. */
export function toInstanceSpec(i: CompiledInstance, image: string, gitSha: string): InstanceSpec {
  return {
    service: i.service,
    instance: i.instance,
    cluster: i.cluster,
    deployGroup: i.deployGroup,
    image,
    gitSha,
    configHash: i.configHash,
    replicas: i.replicas.instances,
    cpus: i.cpus,
    memMb: i.memMb,
    diskMb: i.diskMb,
    cmd: typeof i.cmd === 'string' ? i.cmd : '',
    args: Array.isArray(i.cmd) ? i.cmd : i.args,
    env: { ...i.env, ORZO_DOCKER_IMAGE: image, PAASTA_DOCKER_IMAGE: image, ORZO_GIT_SHA: gitSha, PAASTA_GIT_SHA: gitSha },
    containerPort: i.containerPort,
    healthcheck: {
      mode: i.healthcheck.mode,
      uri: i.healthcheck.uri,
      cmd: i.healthcheck.cmd ?? '',
      gracePeriodSeconds: i.healthcheck.gracePeriodSeconds,
      intervalSeconds: i.healthcheck.intervalSeconds,
      timeoutSeconds: i.healthcheck.timeoutSeconds,
      maxConsecutiveFailures: i.healthcheck.maxConsecutiveFailures,
    },
    bounce: {
      method: i.bounce.method,
      marginFactor: i.bounce.marginFactor,
      overprovisionFactor: i.bounce.overprovisionFactor,
      drainMethod: i.bounce.drainMethod,
      drainDelaySeconds: i.bounce.drainDelaySeconds,
      terminationGracePeriodSeconds: i.bounce.terminationGracePeriodSeconds,
    },
    registrations: i.registrations.map((r) => r.name),
    desiredState: 'start',
    forceBounce: '',
    registrationDetails: i.registrations.map((r) => ({
      name: r.name,
      proxyPort: r.proxyPort ?? 0,
      mode: r.mode,
      healthcheckUri: r.healthcheckUri,
      timeoutConnectMs: r.timeoutConnectMs,
      timeoutServerMs: r.timeoutServerMs,
      retries: r.retries,
    })),
    weight: i.weight,
    pool: i.pool,
  };
}
