import { Command, Option } from 'commander';
import { api } from '@orzo/contracts';
import { ControlApiOptions, requestedBy, unary, waitForDeploy, withControlApi } from './api-commands';
import { CliContext, EXIT, Output, UsageError, action, controlApiOption, jsonOption, serviceOption } from './command-kit';

/** rollback, stop, start, wait-for-deployment: an operator's deploy controls, with PaaSTA's flags. */
export function registerOperatorDeployCommands(program: Command, ctx: CliContext): void {
  program.commandsGroup('Deploy controls (through control-api over gRPC):');
  program
    .command('rollback')
    .description('mark an earlier version of a deploy group again (default: the previous one) and mark the current sha bad')
    .addOption(serviceOption())
    .option('-l, --deploy-group <deploy_group>', 'the deploy group (required)')
    .option('-k, --commit <sha>', 'the version to go back to (default: the previous one; without it the recent versions are listed)')
    .addOption(jsonOption('one JSON document: the Rollback answer'))
    .addOption(controlApiOption())
    .action(action<RollbackOptions>(ctx, (o) => rollback(o, ctx.io)));
  for (const verb of ['stop', 'start'] as const)
    program
      .command(verb)
      .description(
        verb === 'stop'
          ? 'drain and stop every replica of an instance; it stays stopped across later marks until orzo start'
          : "start a stopped instance again, at its deploy group's current version",
      )
      .addOption(serviceOption())
      .option('-c, --cluster <cluster>', 'the cluster (required)')
      .option('-i, --instance <instance>', 'the instance (required)')
      .addOption(jsonOption(`one JSON document: the ${verb === 'stop' ? 'StopInstance' : 'StartInstance'} answer`))
      .addOption(controlApiOption())
      .action(action<InstanceOptions>(ctx, (o) => setInstanceState(verb, o, ctx.io)));
  program
    .command('wait-for-deployment')
    .description('wait until every instance of a deploy group runs a version; exit 1 when its deploy fails or times out')
    .addOption(serviceOption())
    .option('-l, --deploy-group <deploy_group>', 'the deploy group (required)')
    .option('-c, --commit <sha>', 'the version (a sha the group was marked with; required)')
    .addOption(new Option('-k <sha>', "the version, as PaaSTA's -k/--commit").hideHelp())
    .option('-t, --timeout <seconds>', 'give up after this long (exit 1)', '600')
    .addOption(jsonOption('JSON lines: each change of progress, then {"deployed": image}'))
    .addOption(controlApiOption())
    .action(action<WaitOptions>(ctx, (o) => waitForDeployment(o, ctx.io)));
}

interface RollbackOptions extends ControlApiOptions {
  service?: string;
  deployGroup?: string;
  commit?: string;
  json?: boolean;
}

/** orzo rollback -s <service> -l <deploy_group> [-k <sha>] [--json] */
export async function rollback(v: RollbackOptions, io: Output): Promise<number> {
  const { service, deployGroup } = v;
  if (!service || !deployGroup) throw new UsageError('rollback needs -s <service> -l <deploy_group> [-k <sha>]');
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.RollbackRequest, api.RollbackResponse>(c, 'rollback', {
      service,
      deployGroup,
      commitSha: v.commit ?? '',
      requestedBy: requestedBy(),
    });
    if (v.json) {
      io.out(JSON.stringify(api.RollbackResponse.toJSON(res), null, 2));
      return EXIT.ok;
    }
    if (!v.commit) {
      io.out(`Recent versions of ${service} ${deployGroup} (newest first):`);
      for (const d of res.recent) io.out(`  ${deploymentLine(d)}`);
    }
    io.out(
      `Rolled ${service} ${deployGroup} back from ${res.rolledBackFrom.slice(0, 12)} to ${res.gitSha.slice(0, 12)} (${res.image}, deploy ${res.deployId}).`,
    );
    io.out(`${res.rolledBackFrom.slice(0, 12)} is marked bad: the pipeline will not deploy it again. Revert it in git too.`);
    io.out(
      res.instances.length
        ? `Instances to converge: ${res.instances.join(', ')}. Follow with: orzo wait-for-deployment -s ${service} -l ${deployGroup} -c ${res.gitSha}`
        : 'No long-running instance uses this deploy group.',
    );
    return EXIT.ok;
  });
}

/** One recent version of a deploy group, as rollback lists them. */
export function deploymentLine(d: api.Deployment): string {
  const marks = [d.current ? 'current' : '', d.rolledBack ? 'rolled back' : '', d.outcome === 'failed' ? 'failed' : ''].filter(Boolean);
  return `${d.markedAt.slice(0, 19)}  ${d.gitSha.slice(0, 12).padEnd(12)}  ${d.reason.padEnd(19)} ${d.requestedBy}${marks.length ? `  (${marks.join(', ')})` : ''}`;
}

interface InstanceOptions extends ControlApiOptions {
  service?: string;
  cluster?: string;
  instance?: string;
  json?: boolean;
}

/** orzo stop|start -s <service> -c <cluster> -i <instance> [--json] */
export async function setInstanceState(verb: 'stop' | 'start', v: InstanceOptions, io: Output): Promise<number> {
  const { service, cluster, instance } = v;
  if (!service || !cluster || !instance) throw new UsageError(`${verb} needs -s <service> -c <cluster> -i <instance>`);
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.InstanceControlRequest, api.InstanceControlResponse>(c, verb === 'stop' ? 'stopInstance' : 'startInstance', {
      service,
      cluster,
      instance,
      requestedBy: requestedBy(),
    });
    io.out(v.json ? JSON.stringify(api.InstanceControlResponse.toJSON(res), null, 2) : `${res.message}.`);
    return EXIT.ok;
  });
}

interface WaitOptions extends ControlApiOptions {
  service?: string;
  deployGroup?: string;
  commit?: string;
  k?: string;
  timeout?: string;
  json?: boolean;
}

/** orzo wait-for-deployment -s <service> -l <deploy_group> -c <sha> [-t seconds] [--json] */
export async function waitForDeployment(v: WaitOptions, io: Output): Promise<number> {
  const { service, deployGroup } = v;
  const commit = v.commit ?? v.k;
  if (!service || !deployGroup || !commit) throw new UsageError('wait-for-deployment needs -s <service> -l <deploy_group> -c <sha>');
  if (!/^[0-9a-f]{7,40}$/.test(commit)) throw new UsageError(`-c ${commit} is not a hex git sha (7-40 characters)`);
  const timeoutS = Number(v.timeout ?? 600);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError(`--timeout ${v.timeout} is not a number of seconds`);
  return withControlApi(v, io, async (c) => {
    const { deployments } = await unary<api.ListDeploymentsRequest, api.ListDeploymentsResponse>(c, 'listDeployments', {
      service,
      deployGroup,
      limit: 100,
    });
    const mark = deployments.find((d) => d.gitSha.startsWith(commit));
    if (!mark) {
      const recent = deployments.map((d) => d.gitSha.slice(0, 12)).join(', ') || 'none';
      io.err(`${commit} was never marked for ${service} ${deployGroup} (recent versions: ${recent}); mark it with orzo mark-for-deployment`);
      return EXIT.failure;
    }
    if (!mark.current) {
      const now = deployments[0]!;
      io.err(
        `${service} ${deployGroup} was marked with ${now.gitSha.slice(0, 12)} since (${now.reason} by ${now.requestedBy}): ${commit} is no longer its version`,
      );
      return EXIT.failure;
    }
    if (mark.instances.length === 0) {
      io.out('No long-running instance uses this deploy group.');
      return EXIT.ok;
    }
    const target = { service, deployGroup, deployId: mark.deployId, image: mark.image, instances: mark.instances };
    return waitForDeploy(c, target, timeoutS, io, !!v.json);
  });
}
