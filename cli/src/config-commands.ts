import { Command } from 'commander';
import { api } from '@orzo/contracts';
import { unary, withControlApi } from './api-commands';
import { CliContext, Output, action, controlApiOption, jsonOption, renderTable, serviceOption } from './command-kit';

/**
 * config apply: soa-configs changes reach running instances when an operator asks (explicit and
 * reviewable: --dry-run first), through each instance's bounce method; no new mark needed.
 */
export function registerConfigCommands(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('roll out soa-configs changes to running instances');
  config
    .command('apply')
    .description('re-deploy, through their bounce method, the running instances whose soa-configs changed (env, resources, command, health check...)')
    .addOption(serviceOption('only this service (default: every service)'))
    .option('--dry-run', 'only list what would be re-deployed')
    .addOption(jsonOption('one JSON document: the changes'))
    .addOption(controlApiOption())
    .action(action<ApplyOptions>(ctx, (o) => applyConfig(o, ctx.io)));
}

interface ApplyOptions {
  service?: string;
  dryRun?: boolean;
  json?: boolean;
  controlApi?: string;
}

export async function applyConfig(o: ApplyOptions, io: Output): Promise<number> {
  return withControlApi(o, io, async (c) => {
    const res = await unary<api.ApplyConfigRequest, api.ApplyConfigResponse>(c, 'applyConfig', {
      service: o.service ?? '',
      dryRun: !!o.dryRun,
      requestedBy: '',
    });
    if (o.json) io.out(JSON.stringify(api.ApplyConfigResponse.toJSON(res)));
    else if (!res.changes.length) io.out(`Nothing to apply: ${res.unchanged.length} running instance(s) run their soa-configs.`);
    else {
      io.out(
        renderTable(
          ['INSTANCE', 'RUNNING', 'SOA-CONFIGS', ''],
          res.changes.map((ch) => [
            `${ch.service}.${ch.cluster}.${ch.instance}`,
            ch.runningConfigHash,
            ch.configHash,
            ch.applied ? 're-deploying through its bounce method' : 'would re-deploy (dry run)',
          ]),
        ),
      );
    }
    return 0;
  });
}
