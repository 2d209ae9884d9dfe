import { JobSpec, MonitoringSpec } from '@orzo/contracts';
import { CompiledJob } from '@orzo/soa-config';
import { toMonitoringSpec } from '../deploys/instance-spec';

/** The version a job runs: its deploy group's latest mark (none: the job is not run). */
export interface JobVersion {
  image: string;
  gitSha: string;
}

/**
 * A compiled job as the scheduler gets it: the file's enabled unless an operator overrode it,
 * the image of its deploy group's current version and the PAASTA_ and ORZO_ environment service
 * instances get (the job's, plus the image and sha exactly as toInstanceSpec adds them).
 */
export function toJobSpec(j: CompiledJob, version: JobVersion | undefined, override: boolean | undefined): JobSpec {
  const image = version?.image ?? '';
  const gitSha = version?.gitSha ?? '';
  return {
    service: j.service,
    cluster: j.cluster,
    job: j.job,
    flavor: j.flavor,
    schedule: j.schedule,
    timeZone: j.timeZone,
    enabled: override ?? j.enabled,
    deployGroup: j.deployGroup,
    image,
    gitSha,
    actions: j.actions.map((a) => ({
      name: a.name,
      command: a.command,
      requires: a.requires,
      cpus: a.cpus,
      memMb: a.memMb,
      env: a.env,
      retries: a.retries,
      retriesDelaySeconds: a.retriesDelaySeconds,
      maxRuntimeSeconds: a.maxRuntimeSeconds,
      expectedRuntimeSeconds: a.expectedRuntimeSeconds,
    })),
    allowOverlap: j.allowOverlap,
    queueing: j.queueing,
    runLimit: j.runLimit,
    monitoring: jobMonitoring(j),
    checkEveryDay: j.checkEveryDay,
    env: image ? { ...j.env, ORZO_DOCKER_IMAGE: image, PAASTA_DOCKER_IMAGE: image, ORZO_GIT_SHA: gitSha, PAASTA_GIT_SHA: gitSha } : { ...j.env },
  };
}

/** What monitor-bridge needs to route a job's alerts (the replication threshold means nothing for a job). */
export function jobMonitoring(j: CompiledJob): MonitoringSpec {
  return toMonitoringSpec(j.monitoring, 0);
}
