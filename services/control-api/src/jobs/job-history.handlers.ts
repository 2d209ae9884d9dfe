import { Injectable } from '@nestjs/common';
import { EventContext, HandlerOutcome, Outcome, Subscribe } from '@orzo/bus';
import { JobRunRef, OrzoEvent, Subjects } from '@orzo/contracts';
import { transactionOf } from '@orzo/persistence';
import { outcomeOf } from '../handler-outcome';
import { JobHistoryService } from './job-history.service';

/** Feeds the runner's job.* run events into the run history, exactly once each, in the consumer's transaction. */
@Injectable()
export class JobHistoryHandlers {
  constructor(private readonly history: JobHistoryService) {}

  @Subscribe(Subjects.JobRunRequested)
  async onRunRequested(e: OrzoEvent<typeof Subjects.JobRunRequested>, ctx: EventContext): Promise<HandlerOutcome> {
    return outcomeOf(ctx, () => this.history.requested(transactionOf(ctx), e.payload, e.envelope.occurredAt));
  }

  @Subscribe(Subjects.JobRunStarted)
  async onRunStarted(e: OrzoEvent<typeof Subjects.JobRunStarted>, ctx: EventContext): Promise<HandlerOutcome> {
    const run = e.payload.run;
    if (!run?.runId) return NO_RUN;
    return outcomeOf(ctx, () => this.history.started(transactionOf(ctx), run, e.payload.startedAt, e.payload.actions, e.envelope.occurredAt));
  }

  @Subscribe(Subjects.JobActionFinished)
  async onActionFinished(e: OrzoEvent<typeof Subjects.JobActionFinished>, ctx: EventContext): Promise<HandlerOutcome> {
    const { run, result } = e.payload;
    if (!run?.runId || !result) return NO_RUN;
    return outcomeOf(ctx, () => this.history.actionFinished(transactionOf(ctx), run, result, e.payload.willRetry, e.envelope.occurredAt));
  }

  @Subscribe(Subjects.JobRunSucceeded)
  async onRunSucceeded(e: OrzoEvent<typeof Subjects.JobRunSucceeded>, ctx: EventContext): Promise<HandlerOutcome> {
    const run = e.payload.run;
    if (!run?.runId) return NO_RUN;
    return outcomeOf(ctx, () => this.history.finished(transactionOf(ctx), run, 'succeeded', { ...e.payload, reason: '' }, e.envelope.occurredAt));
  }

  @Subscribe(Subjects.JobRunFailed)
  async onRunFailed(e: OrzoEvent<typeof Subjects.JobRunFailed>, ctx: EventContext): Promise<HandlerOutcome> {
    const run = e.payload.run;
    if (!run?.runId) return NO_RUN;
    return outcomeOf(ctx, () => this.history.finished(transactionOf(ctx), run as JobRunRef, 'failed', e.payload, e.envelope.occurredAt));
  }

  @Subscribe(Subjects.JobRunLate)
  async onRunLate(e: OrzoEvent<typeof Subjects.JobRunLate>, ctx: EventContext): Promise<HandlerOutcome> {
    const run = e.payload.run;
    if (!run?.runId) return NO_RUN;
    const what = e.payload.action ? `action ${e.payload.action}` : 'the run';
    const note = `late: ${what} still runs after ${Math.round(e.payload.runningSeconds)}s (expected_runtime ${Math.round(e.payload.expectedRuntimeSeconds)}s)`;
    return outcomeOf(ctx, () => this.history.late(transactionOf(ctx), run, note, e.envelope.occurredAt));
  }
}

/** A run event without its run can never apply: no retry makes it whole. */
const NO_RUN = Outcome.deadLetter('the job event names no run');
