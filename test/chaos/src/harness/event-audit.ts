import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Subjects } from '@orzo/contracts';
import { readStream } from '@orzo/testing';

export interface EventAudit {
  /** Events whose consequence never came (see `audit`), each said in one line. */
  lost: string[];
  /** Durable consumers still holding unprocessed or unacknowledged messages. */
  stuck: string[];
}

interface Envelope {
  payload?: { buildId?: string; deployId?: string; service?: string; replica?: { replicaId?: string; service?: string } };
}

const payloadOf = (data: Uint8Array): NonNullable<Envelope['payload']> => (JSON.parse(new TextDecoder().decode(data)) as Envelope).payload ?? {};

/**
 * What "no event lost" means here, checked on the streams themselves once the platform has
 * converged: every build.requested of the service has its build.image-built (or failed); every deploy.requested of the service has its deploy.completed (or failed) with
 * the same deploy id; every replica announced by instance.started is later announced healthy
 * or stopped (monitor-bridge and scheduler-bridge both saw it); nothing was parked on the
 * dead-letter stream; and no durable consumer still has messages pending or unacknowledged
 * (every event was delivered and handled). A service killed between its effect and its
 * event, or a consumer that lost its position, shows up here.
 */
export async function auditEvents(natsUrl: string, service: string): Promise<EventAudit> {
  const nc = await connect({ servers: natsUrl });
  try {
    const lost: string[] = [];
    const of = async (stream: string, subject: string) => (await readStream(nc, stream, subject)).map((m) => payloadOf(m.data));
    const requested = (await of('ORZO_DEPLOY', Subjects.DeployRequested)).filter((p) => p.service === service);
    const ended = new Set([...(await of('ORZO_DEPLOY', Subjects.DeployCompleted)), ...(await of('ORZO_DEPLOY', Subjects.DeployFailed))].map((p) => p.deployId));
    for (const r of requested) if (!ended.has(r.deployId)) lost.push(`deploy.requested ${r.deployId} has no deploy.completed/failed`);
    const started = (await of('ORZO_INSTANCE', Subjects.InstanceStarted)).filter((p) => p.replica?.service === service);
    const seen = new Set(
      [...(await of('ORZO_INSTANCE', Subjects.InstanceHealthy)), ...(await of('ORZO_INSTANCE', Subjects.InstanceStopped))].map((p) => p.replica?.replicaId),
    );
    for (const s of started) if (!seen.has(s.replica?.replicaId)) lost.push(`instance.started ${s.replica?.replicaId?.slice(0, 12)} never healthy nor stopped`);
    const builds = (await of('ORZO_BUILD', Subjects.BuildRequested)).filter((p) => p.service === service);
    const built = new Set([...(await of('ORZO_BUILD', Subjects.BuildImageBuilt)), ...(await of('ORZO_BUILD', Subjects.BuildFailed))].map((p) => p.buildId));
    for (const b of builds) if (!built.has(b.buildId)) lost.push(`build.requested ${b.buildId} has no build.image-built/failed`);
    const jsm = await jetstreamManager(nc);
    const dlq = await jsm.streams.info('ORZO_DLQ').catch(() => undefined);
    for (let i = 0; i < (dlq?.state.messages ?? 0); i++) lost.push('a message parked on ORZO_DLQ');
    const stuck: string[] = [];
    for await (const s of jsm.streams.list()) {
      for await (const c of jsm.consumers.list(s.config.name)) {
        if (!c.config.durable_name) continue;
        if (c.num_pending > 0 || c.num_ack_pending > 0) stuck.push(`${s.config.name}/${c.name}: ${c.num_pending} pending, ${c.num_ack_pending} unacked`);
      }
    }
    return { lost, stuck };
  } finally {
    await nc.close();
  }
}

/** How many events of each subject the build stream holds for one build. */
export async function buildEvents(natsUrl: string, buildId: string): Promise<Record<string, number>> {
  const nc = await connect({ servers: natsUrl });
  try {
    const counts: Record<string, number> = {};
    for (const m of await readStream(nc, 'ORZO_BUILD')) if (payloadOf(m.data).buildId === buildId) counts[m.subject] = (counts[m.subject] ?? 0) + 1;
    return counts;
  } finally {
    await nc.close();
  }
}
