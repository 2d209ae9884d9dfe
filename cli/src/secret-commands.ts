import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { SHARED_SECRET_SERVICE, api } from '@orzo/contracts';
import { unary, withControlApi } from './api-commands';
import { CliContext, Output, UsageError, action, controlApiOption, jsonOption, renderTable, serviceOption } from './command-kit';

/**
 * secret add | update | list | rm (PaaSTA's `paasta secret`): SECRET(name) in an instance's env
 * is replaced by the value when its replicas start. The value is read from stdin or
 * --value-file, never from an option (a command line is visible to every user in ps), and
 * nothing ever prints it.
 */
export function registerSecretCommands(program: Command, ctx: CliContext): void {
  program.commandsGroup('Secrets (SECRET(name) in env):');
  const secret = program.command('secret').description("add, update, list and remove a service's secrets (values are never shown)");
  const target = (c: Command) =>
    c
      .addOption(serviceOption('the service whose env says SECRET(name)'))
      .addOption(new Option('--shared', `a secret of every service (SHARED_SECRET(name); stored under ${SHARED_SECRET_SERVICE})`))
      .addOption(controlApiOption());
  for (const mode of ['add', 'update'] as const) {
    target(
      secret
        .command(mode)
        .description(
          `${mode === 'add' ? 'store a new' : 'replace the value of a'} secret; the instances referencing it are re-deployed through their bounce method`,
        )
        .option('-n, --name <name>', 'the secret, as SECRET(name) names it (required)')
        .option('--value-file <file>', 'read the value from this file, byte for byte (default: stdin, one trailing newline dropped)'),
    ).action(action<PutOptions>(ctx, (o) => putSecret(mode, o, ctx.io)));
  }
  target(secret.command('list').description('names, when and by whom each was written, what references it: never values'))
    .addOption(jsonOption('one JSON document: the secrets'))
    .action(action<ListOptions>(ctx, (o) => listSecrets(o, ctx.io)));
  target(secret.command('rm').description('remove a secret (what runs keeps running; new replicas of instances referencing it cannot start)'))
    .option('-n, --name <name>', 'the secret (required)')
    .action(action<PutOptions>(ctx, (o) => removeSecret(o, ctx.io)));
}

interface TargetOptions {
  service?: string;
  shared?: boolean;
  controlApi?: string;
}

interface PutOptions extends TargetOptions {
  name?: string;
  valueFile?: string;
}

interface ListOptions extends TargetOptions {
  json?: boolean;
}

function serviceOf(o: TargetOptions, verb: string): string {
  if (o.shared && o.service) throw new UsageError(`secret ${verb}: give -s <service> or --shared, not both`);
  if (o.shared) return SHARED_SECRET_SERVICE;
  if (!o.service) throw new UsageError(`secret ${verb} needs -s <service> (or --shared)`);
  return o.service;
}

/** The value: the file's bytes, else stdin to its end without one trailing newline (echo s3cret | orzo secret add ...). */
async function readValue(o: PutOptions, io: Output): Promise<Buffer> {
  if (o.valueFile) return readFile(o.valueFile);
  if (process.stdin.isTTY) io.err('Type the value, then Ctrl-D (it is not echoed anywhere but this terminal):');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const all = Buffer.concat(chunks);
  const end = all.length - (all.subarray(-2).toString() === '\r\n' ? 2 : all.subarray(-1).toString() === '\n' ? 1 : 0);
  return all.subarray(0, end);
}

export async function putSecret(mode: 'add' | 'update', o: PutOptions, io: Output): Promise<number> {
  const service = serviceOf(o, mode);
  if (!o.name) throw new UsageError(`secret ${mode} needs -n <name>`);
  const value = await readValue(o, io);
  if (!value.length) throw new UsageError(`secret ${mode}: the value is empty (give it on stdin or with --value-file)`);
  return withControlApi(o, io, async (c) => {
    const res = await unary<api.PutSecretRequest, api.PutSecretResponse>(c, mode === 'add' ? 'addSecret' : 'updateSecret', {
      service,
      name: o.name!,
      value,
      requestedBy: '',
    });
    io.out(`secret ${res.secret!.name} of ${service} ${mode === 'add' ? 'added' : 'updated'}: ${res.detail}`);
    return 0;
  });
}

export async function listSecrets(o: ListOptions, io: Output): Promise<number> {
  const service = serviceOf(o, 'list');
  return withControlApi(o, io, async (c) => {
    const res = await unary<api.ListSecretsRequest, api.ListSecretsResponse>(c, 'listSecrets', { service });
    if (o.json) io.out(JSON.stringify(api.ListSecretsResponse.toJSON(res)));
    else {
      const minute = (iso: string) => iso.slice(0, 16).replace('T', ' ');
      io.out(
        res.secrets.length
          ? renderTable(
              ['NAME', 'CREATED', 'BY', 'UPDATED', 'BY', 'USED BY'],
              res.secrets.map((s) => [s.name, minute(s.createdAt), s.createdBy, minute(s.updatedAt), s.updatedBy, s.usedBy.join(' ') || '-']),
            )
          : `No secrets of ${service}.`,
      );
      for (const m of res.missing) io.out(`missing: ${m}: its deploys fail until it is added`);
    }
    return 0;
  });
}

export async function removeSecret(o: PutOptions, io: Output): Promise<number> {
  const service = serviceOf(o, 'rm');
  if (!o.name) throw new UsageError('secret rm needs -n <name>');
  return withControlApi(o, io, async (c) => {
    const res = await unary<api.RemoveSecretRequest, api.RemoveSecretResponse>(c, 'removeSecret', { service, name: o.name!, requestedBy: '' });
    io.out(`secret ${o.name} of ${service} ${res.detail}`);
    return 0;
  });
}
