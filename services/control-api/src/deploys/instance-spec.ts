import { InstanceSpec, MonitoringSpec } from '@orzo/contracts';
import { CompiledInstance, CompiledMonitoring } from '@orzo/soa-config';

/** The complete desired spec of one instance at one version, as deploy.requested carries it. */
export function toInstanceSpec(i: CompiledInstance, image: string, gitSha: string, desiredState: 'start' | 'stop' = 'start'): InstanceSpec {
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
      headers: i.healthcheck.headers ?? {},
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
    desiredState,
    forceBounce: '',
    registrationDetails: i.registrations.map((r) => ({
      name: r.name,
      proxyPort: r.proxyPort ?? 0,
      mode: r.mode,
      healthcheckUri: r.healthcheckUri,
      timeoutConnectMs: r.timeoutConnectMs,
      timeoutServerMs: r.timeoutServerMs,
      retries: r.retries,
      lbPolicy: r.lbPolicy ?? '',
      timeoutClientMs: r.timeoutClientMs ?? 0,
      endpointTimeouts: r.endpointTimeouts ?? [],
      instanceWeights: { [`${i.cluster}.${i.instance}`]: i.weight },
    })),
    weight: i.weight,
    pool: i.pool,
    monitoring: toMonitoringSpec(i.monitoring, i.replicationThreshold),
  };
}

/** What monitor-bridge needs to route an instance's alerts (absent keys are empty strings in proto). */
export function toMonitoringSpec(m: CompiledMonitoring, replicationThreshold: number): MonitoringSpec {
  return {
    team: m.team ?? '',
    page: m.page,
    ticket: m.ticket,
    runbook: m.runbook,
    tip: m.tip ?? '',
    notificationEmail: typeof m.notificationEmail === 'string' ? m.notificationEmail : '',
    slackChannels: m.slackChannels,
    ircChannels: m.ircChannels,
    project: m.project ?? '',
    priority: m.priority ?? '',
    tags: m.tags,
    component: m.component ?? '',
    description: m.description ?? '',
    checkEverySeconds: m.checkEverySeconds,
    alertAfterSeconds: m.alertAfterSeconds,
    realertEvery: m.realertEvery,
    realertEverySeconds: m.realertEverySeconds ?? 0,
    checkOomEvents: m.checkOomEvents,
    set: true,
    replicationThreshold,
  };
}
