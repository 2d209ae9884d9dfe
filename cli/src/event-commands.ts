import { ClientReadableStream, ServiceError, status as grpcStatus } from '@grpc/grpc-js';
import { Command } from 'commander';
import { api } from '@orzo/contracts';
import { withControlApi } from './api-commands';
import { CliContext, EXIT, Output, action, controlApiOption, jsonOption } from './command-kit';

/** events: every change in Orzo, from control-api's WatchEvents (read scope). */
export function registerEventCommands(program: Command, ctx: CliContext): void {
  program
    .command('events')
    .description('every change in Orzo (marks, builds, deploys, replicas, discovery, alerts): the audit trail, live with -f')
    .option('-s, --service <service>', 'only events of this service; repeat for several', collect, [])
    .option('--kind <kind>', 'only this kind: a domain (deploy) or an event (deploy.progressed); repeat for several', collect, [])
    .option('--since <duration>', 'start this long ago, e.g. 10m, 1h, 2d (default: 1h, or only new ones with -f)')
    .option('--position <position>', 'resume right after the event that carried this position')
    .option('-f, --follow', 'keep printing new events until Ctrl-C')
    .addOption(jsonOption('JSON lines: one event a line, with its position and payload'))
    .addOption(controlApiOption())
    .action(action<EventsOptions>(ctx, (o) => events(o, ctx.io)));
}

const collect = (value: string, previous: string[]) => [...previous, value];

export interface EventsOptions {
  service: string[];
  kind: string[];
  since?: string;
  position?: string;
  follow?: boolean;
  json?: boolean;
  controlApi?: string;
}

/** orzo events: 0 at the end of the stored events (or Ctrl-C with -f: 130), 1 on an API error. */
export async function events(o: EventsOptions, io: Output): Promise<number> {
  return withControlApi(o, io, async (c) => {
    const call = c.watchEvents({
      services: o.service,
      kinds: o.kind,
      since: o.position ? '' : (o.since ?? (o.follow ? '' : '1h')),
      position: o.position ?? '',
      noFollow: !o.follow,
    });
    const interrupted = onInterrupt(call);
    try {
      await new Promise<void>((resolve, reject) => {
        call.on('data', (e: api.WatchedEvent) => io.out(o.json ? jsonLine(e) : textLine(e)));
        call.on('end', resolve);
        call.on('error', (err: ServiceError) => (err.code === grpcStatus.CANCELLED && interrupted.happened ? resolve() : reject(err)));
      });
    } finally {
      interrupted.dispose();
    }
    return interrupted.happened ? EXIT.interrupted : EXIT.ok;
  });
}

function onInterrupt(call: ClientReadableStream<unknown>): { happened: boolean; dispose(): void } {
  const state = { happened: false, dispose: () => void process.off('SIGINT', handler) };
  const handler = () => {
    state.happened = true;
    call.cancel();
  };
  process.on('SIGINT', handler);
  return state;
}

function jsonLine(e: api.WatchedEvent): string {
  const { payloadJson, ...rest } = api.WatchedEvent.toJSON(e) as Record<string, unknown> & { payloadJson?: string };
  return JSON.stringify({ ...rest, payload: JSON.parse(payloadJson || 'null') as unknown });
}

/** `<time> <kind> <service> <what>`: what is the event's message or its payload, shortened. */
export function textLine(e: api.WatchedEvent): string {
  const payload = JSON.parse(e.payloadJson || 'null') as Record<string, unknown> | null;
  const what =
    typeof payload?.message === 'string' ? payload.message : typeof payload?.reason === 'string' ? payload.reason : JSON.stringify(payload ?? {}).slice(0, 160);
  return `${e.occurredAt.slice(0, 23)}  ${e.type.padEnd(28)}  ${(e.service || '-').padEnd(16)}  ${what}`;
}
