import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import Docker from 'dockerode';
import { EventPublisher, NatsConnection } from '@orzo/bus';
import { EventMap, MonitoringSpec, Subjects, decodeEvent } from '@orzo/contracts';
import { BUSYBOX_BASE } from '@orzo/testing';
import { JobLabels } from '../src/engine/engine';
import type { JobActionSpec, JobSpec } from '../src/jobs/job-times';

/** A Tron-like job on `cluster`, running the busybox base image; actions as given. */
export function jobSpec(
  cluster: string,
  job: string,
  schedule: string,
  actions: Array<Partial<JobActionSpec> & { name: string }>,
  over: Partial<JobSpec> = {},
): JobSpec {
  return {
    service: 'batch',
    cluster,
    job,
    flavor: 'tron',
    schedule,
    timeZone: '',
    enabled: true,
    deployGroup: `${cluster}.jobs`,
    image: BUSYBOX_BASE,
    gitSha: 'abcdefabcdefabcdefabcdefabcdefabcdefabcd',
    actions: actions.map((a) => ({
      command: '/bin/true',
      requires: [],
      cpus: 0.1,
      memMb: 32,
      env: {},
      retries: 0,
      retriesDelaySeconds: 0,
      maxRuntimeSeconds: 0,
      expectedRuntimeSeconds: 0,
      ...a,
    })),
    allowOverlap: false,
    queueing: true,
    runLimit: 50,
    monitoring: { ...MonitoringSpec.fromJSON({}), team: 'batch-team', ticket: true, runbook: 'y/runbook', set: true },
    checkEveryDay: false,
    env: { PAASTA_SERVICE: 'batch', ORZO_CLUSTER: cluster },
    ...over,
  };
}

export async function publishDesired(nc: NatsConnection, cluster: string, jobs: JobSpec[]): Promise<void> {
  await new EventPublisher(jetstream(nc), { source: 'test' }).publish(Subjects.JobsDesired, { service: 'batch', cluster, jobs, reason: 'test' });
}

export async function requestRun(nc: NatsConnection, cluster: string, job: string, runId: string, action = ''): Promise<void> {
  await new EventPublisher(jetstream(nc), { source: 'test' }).publish(Subjects.JobRunRequested, {
    runId,
    service: 'batch',
    cluster,
    job,
    action,
    requestedBy: 'tester',
  });
}

export interface StoredJobEvent<S extends keyof EventMap = keyof EventMap> {
  subject: S;
  id: string;
  payload: EventMap[S];
}

/** Every job event the ORZO_JOB stream holds (what survived JetStream's de-duplication), in order. */
export async function storedJobEvents(nc: NatsConnection): Promise<StoredJobEvent[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info('ORZO_JOB').catch(() => undefined);
  const out: StoredJobEvent[] = [];
  if (!info) return out;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage('ORZO_JOB', { seq }).catch(() => null);
    if (!m) continue;
    const d = decodeEvent(m.subject, m.data);
    if (d.ok) out.push({ subject: m.subject as keyof EventMap, id: d.event.envelope.id, payload: d.event.payload as never });
  }
  return out;
}

export function ofSubject<S extends keyof EventMap>(events: StoredJobEvent[], subject: S): Array<EventMap[S]> {
  return events.filter((e) => e.subject === subject).map((e) => e.payload as EventMap[S]);
}

/**
 * Counts the containers the engine really started per run id (docker `start` events of job
 * containers of `cluster`): the proof that a run was executed once, which the de-duplicated
 * events alone could hide.
 */
export async function watchJobStarts(docker: Docker, cluster: string): Promise<{ starts: Map<string, number>; stop(): void }> {
  const starts = new Map<string, number>();
  const stream = (await docker.getEvents({
    filters: { type: ['container'], event: ['start'], label: [`orzo.cluster=${cluster}`, JobLabels.run] },
  })) as NodeJS.ReadableStream;
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.trim()) continue;
      const e = JSON.parse(line) as { Actor: { Attributes: Record<string, string> } };
      const run = `${e.Actor.Attributes[JobLabels.run]}:${e.Actor.Attributes[JobLabels.action]}:${e.Actor.Attributes[JobLabels.attempt]}`;
      starts.set(run, (starts.get(run) ?? 0) + 1);
    }
  });
  return { starts, stop: () => (stream as unknown as { destroy(): void }).destroy() };
}

/** Removes what a test's job containers left (there should be none: runs remove their containers). */
export async function removeJobContainers(docker: Docker, cluster: string): Promise<number> {
  const left = await docker.listContainers({ all: true, filters: { label: [`orzo.cluster=${cluster}`, JobLabels.run] } });
  for (const c of left)
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  return left.length;
}
