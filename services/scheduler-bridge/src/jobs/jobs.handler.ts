import { Injectable } from '@nestjs/common';
import { EventContext, HandlerOutcome, Outcome, Subscribe } from '@orzo/bus';
import { OrzoEvent, Subjects } from '@orzo/contracts';
import { JobScheduler } from './job-scheduler';

/**
 * The jobs' events in: a desired job set is stored in the KV bucket every scheduler-bridge
 * watches (the durable consumer hands each event to one replica; the bucket tells them all);
 * a run request is claimed and run by whichever replica receives it.
 */
@Injectable()
export class JobsHandler {
  constructor(private readonly scheduler: JobScheduler) {}

  @Subscribe(Subjects.JobsDesired, { idempotent: false })
  async onJobsDesired(e: OrzoEvent<typeof Subjects.JobsDesired>, ctx: EventContext): Promise<HandlerOutcome> {
    // Stored whatever the cluster: the replicas share one durable consumer, and the bridge of
    // that cluster reads the bucket.
    const { stored } = await (await this.scheduler.kv()).putDesired(e.payload, e.envelope.occurredAt);
    ctx.log.info({ service: e.payload.service, cluster: e.payload.cluster, jobs: e.payload.jobs.map((j) => j.job), stored }, 'desired jobs recorded');
    return Outcome.ack();
  }

  @Subscribe(Subjects.JobRunRequested, { idempotent: false })
  async onRunRequested(e: OrzoEvent<typeof Subjects.JobRunRequested>, ctx: EventContext): Promise<HandlerOutcome> {
    // Another cluster's bridge shares this consumer: give the request back for it to take.
    if (!this.scheduler.runsCluster(e.payload.cluster)) return Outcome.retry(`cluster ${e.payload.cluster} is run by another scheduler-bridge`, 200);
    ctx.log.info({ runId: e.payload.runId, job: `${e.payload.service}.${e.payload.job}`, action: e.payload.action }, 'job run requested');
    await this.scheduler.runNow(e.payload);
    return Outcome.ack();
  }
}
