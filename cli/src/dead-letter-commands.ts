import { Metadata, ServiceError } from '@grpc/grpc-js';
import { Command, InvalidArgumentError } from 'commander';
import { api } from '@orzo/contracts';
import { withControlApi } from './api-commands';
import { CliContext, Output, action, controlApiOption, jsonOption, renderTable } from './command-kit';

/** dead-letters: what the bus's consumers parked on ORZO_DLQ, and why. */
export function registerDeadLetterCommands(program: Command, ctx: CliContext): void {
  program.commandsGroup('Events:');
  program
    .command('dead-letters')
    .description('events a consumer gave up on (parked on ORZO_DLQ) and why, oldest first')
    .option('--consumer <name>', 'only what this durable consumer parked (e.g. builder-on-build-requested)')
    .option('--limit <n>', 'the newest this many (at most 1000)', positiveInt, 50)
    .addOption(jsonOption('JSON lines: one dead letter a line'))
    .addOption(controlApiOption())
    .action(action<DeadLettersOptions>(ctx, (o) => deadLetters(o, ctx.io)));
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

export interface DeadLettersOptions {
  json?: boolean;
  /** The newest this many (default 50). */
  limit?: number;
  /** Only what this durable consumer parked. */
  consumer?: string;
  /** host:port of control-api (default ORZO_CONTROL_API, else 127.0.0.1:50051). */
  controlApi?: string;
}

/**
 * orzo dead-letters [--consumer c] [--limit n] [--json]: the events consumers gave up on, oldest
 * first, as a table or (--json) one JSON object a line. 0 ok, 1 on an API error.
 */
export async function deadLetters(options: DeadLettersOptions, io: Output): Promise<number> {
  return withControlApi({ 'control-api': options.controlApi }, io, async (c) => {
    const res = await listDeadLetters(c, { consumer: options.consumer ?? '', limit: options.limit ?? 50 });
    if (options.json) {
      for (const d of res.deadLetters) io.out(JSON.stringify(api.DeadLetter.toJSON(d)));
      return 0;
    }
    if (!res.deadLetters.length) {
      io.out(options.consumer ? `No dead letters of ${options.consumer}.` : 'No dead letters.');
      return 0;
    }
    io.out(formatTable(res.deadLetters));
    return 0;
  });
}

/** Columns: when, consumer, original subject, deliveries, event id, reason. */
export function formatTable(rows: readonly api.DeadLetter[]): string {
  return renderTable(
    ['PARKED AT', 'CONSUMER', 'SUBJECT', 'TRIES', 'EVENT ID', 'REASON'],
    rows.map((d) => [d.parkedAt.slice(0, 19), d.consumer, d.originalSubject, String(d.deliveryCount), d.eventId || '-', d.error]),
  );
}

function listDeadLetters(c: api.ControlApiClient, req: api.ListDeadLettersRequest): Promise<api.ListDeadLettersResponse> {
  return new Promise((resolve, reject) =>
    c.listDeadLetters(req, new Metadata(), { deadline: new Date(Date.now() + 30_000) }, (err: ServiceError | null, res: api.ListDeadLettersResponse) =>
      err ? reject(err) : resolve(res),
    ),
  );
}
