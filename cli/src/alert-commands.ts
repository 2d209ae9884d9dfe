import { Metadata, ServiceError } from '@grpc/grpc-js';
import { Command } from 'commander';
import { api } from '@orzo/contracts';
import { withControlApi } from './api-commands';
import { CliContext, Output, action, controlApiOption, jsonOption, serviceOption } from './command-kit';

/** alerts: what monitor-bridge has firing now, since when, and which sinks have it. */
export function registerAlertCommands(program: Command, ctx: CliContext): void {
  program.commandsGroup('Monitoring:');
  program
    .command('alerts')
    .description('alerts firing now: check, instance, since when, and where each was sent')
    .addOption(serviceOption('only the alerts of this service'))
    .addOption(jsonOption('JSON lines: one alert a line'))
    .addOption(controlApiOption())
    .action(action<AlertsOptions>(ctx, (o) => alerts(o, ctx.io)));
}

export interface AlertsOptions {
  service?: string;
  json?: boolean;
  controlApi?: string;
}

/** orzo alerts [-s svc] [--json]: 0 ok (firing or not), 1 on an API error (monitor-bridge not answering included). */
export async function alerts(options: AlertsOptions, io: Output): Promise<number> {
  return withControlApi({ 'control-api': options.controlApi }, io, async (c) => {
    const res = await listAlerts(c, { service: options.service ?? '' });
    if (options.json) {
      for (const a of res.alerts) io.out(JSON.stringify(api.FiringAlert.toJSON(a)));
      return 0;
    }
    if (!res.alerts.length) {
      io.out(options.service ? `No alert firing for ${options.service}.` : 'No alert firing.');
      return 0;
    }
    io.out(formatAlerts(res.alerts, new Date()));
    return 0;
  });
}

/** Columns: since, check, severity, team (page), sent where; the output on the next line. */
export function formatAlerts(rows: readonly api.FiringAlert[], now: Date): string {
  const header = ['FIRING SINCE', 'CHECK', 'CLUSTER', 'SEVERITY', 'TEAM', 'SENT TO'];
  const cells = rows.map((a) => [
    `${a.raisedAt.slice(0, 19)} (${ago(a.raisedAt, now)})`,
    a.check,
    a.cluster,
    `${a.severity}${a.page ? ', page' : ''}`,
    a.team,
    a.deliveries.length
      ? a.deliveries
          .map((d) => (d.state === 'delivered' ? d.sink : `${d.sink} (pending, ${d.attempts} tries${d.lastError ? `: ${d.lastError}` : ''})`))
          .join(', ')
      : 'no sink configured',
  ]);
  const widths = header.slice(0, -1).map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i < widths.length ? c.padEnd(widths[i]!) : c))
      .join('  ')
      .trimEnd();
  const out = [line(header)];
  rows.forEach((a, i) => out.push(line(cells[i]!), `    ${a.output}`));
  return out.join('\n');
}

function ago(iso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

function listAlerts(c: api.ControlApiClient, req: api.ListAlertsRequest): Promise<api.ListAlertsResponse> {
  return new Promise((resolve, reject) =>
    c.listAlerts(req, new Metadata(), { deadline: new Date(Date.now() + 30_000) }, (err: ServiceError | null, res: api.ListAlertsResponse) =>
      err ? reject(err) : resolve(res),
    ),
  );
}
