import { Injectable } from '@nestjs/common';
import { EventContext, HandlerOutcome, Outcome, Subscribe } from '@orzo/bus';
import { OrzoEvent, Subjects } from '@orzo/contracts';
import { transactionOf } from '@orzo/persistence';
import { JobChecks } from './job-checks.service';

/** The job events that feed the job checks (job-checks.service.ts). */
@Injectable()
export class JobCheckHandlers {
  constructor(private readonly checks: JobChecks) {}

  @Subscribe(Subjects.JobsDesired)
  async onJobsDesired(e: OrzoEvent<typeof Subjects.JobsDesired>, ctx: EventContext): Promise<HandlerOutcome> {
    await this.checks.desired(transactionOf(ctx), e.payload);
    return Outcome.ack();
  }

  @Subscribe(Subjects.JobRunSucceeded)
  async onJobRunSucceeded(e: OrzoEvent<typeof Subjects.JobRunSucceeded>, ctx: EventContext): Promise<HandlerOutcome> {
    if (!e.payload.run) return NO_RUN;
    await this.checks.succeeded(transactionOf(ctx), e.payload);
    return Outcome.ack();
  }

  @Subscribe(Subjects.JobRunFailed)
  async onJobRunFailed(e: OrzoEvent<typeof Subjects.JobRunFailed>, ctx: EventContext): Promise<HandlerOutcome> {
    if (!e.payload.run) return NO_RUN;
    await this.checks.failed(transactionOf(ctx), e.payload);
    return Outcome.ack();
  }

  @Subscribe(Subjects.JobRunLate)
  async onJobRunLate(e: OrzoEvent<typeof Subjects.JobRunLate>, ctx: EventContext): Promise<HandlerOutcome> {
    if (!e.payload.run) return NO_RUN;
    await this.checks.late(transactionOf(ctx), e.payload);
    return Outcome.ack();
  }
}

const NO_RUN = Outcome.deadLetter('the job event names no run');
