import { Command } from 'commander';
import { api } from '@orzo/contracts';
import { unary, withControlApi } from './api-commands';
import { CliContext, Output, UsageError, action, controlApiOption, jsonOption, renderTable } from './command-kit';

/** token create | list | revoke, and whoami: the API's tokens (admin scope, whoami any token). */
export function registerAccessCommands(program: Command, ctx: CliContext): void {
  program.commandsGroup('Access (tokens for programs and people):');
  const token = program.command('token').description('create, list and revoke API tokens (admin scope)');
  token
    .command('create')
    .description('make a token; its secret is printed once, control-api keeps only a hash')
    .option('--name <name>', 'what history will call its actions (required, unique)')
    .option('--scope <scope>', 'read, deploy[:service], operate[:service], build[:service] or admin; repeat for several', collect, [])
    .option('--expires <duration>', 'lapse after this long, e.g. 90d or 12h (default: never)')
    .addOption(jsonOption('one JSON document: the token and its details'))
    .addOption(controlApiOption())
    .action(action<CreateOptions>(ctx, (o) => createToken(o, ctx.io)));
  token
    .command('list')
    .description('every token that is not revoked (--all: revoked ones too), never their secrets')
    .option('--all', 'revoked tokens too')
    .addOption(jsonOption('one JSON document: the tokens'))
    .addOption(controlApiOption())
    .action(action<ListOptions>(ctx, (o) => listTokens(o, ctx.io)));
  token
    .command('revoke')
    .description('refuse a token from now on (its past actions keep its name in history)')
    .option('--name <name>', 'the token (required)')
    .addOption(controlApiOption())
    .action(action<RevokeOptions>(ctx, (o) => revokeToken(o, ctx.io)));
  program
    .command('whoami')
    .description('the token this CLI sends and what it may do')
    .addOption(jsonOption())
    .addOption(controlApiOption())
    .action(action<{ json?: boolean; controlApi?: string }>(ctx, (o) => whoAmI(o, ctx.io)));
}

const collect = (value: string, previous: string[]) => [...previous, value];

interface CreateOptions {
  name?: string;
  scope: string[];
  expires?: string;
  json?: boolean;
  controlApi?: string;
}

interface ListOptions {
  all?: boolean;
  json?: boolean;
  controlApi?: string;
}

interface RevokeOptions {
  name?: string;
  controlApi?: string;
}

export async function createToken(o: CreateOptions, io: Output): Promise<number> {
  if (!o.name || o.scope.length === 0) throw new UsageError('token create needs --name <name> and at least one --scope');
  return withControlApi(o, io, async (c) => {
    const res = await unary<api.CreateTokenRequest, api.CreateTokenResponse>(c, 'createToken', { name: o.name!, scopes: o.scope, expires: o.expires ?? '' });
    if (o.json) io.out(JSON.stringify(api.CreateTokenResponse.toJSON(res)));
    else {
      io.out(res.token);
      io.err(
        `token ${res.info!.name} (${res.info!.scopes.join(' ')})${res.info!.expiresAt ? `, expires ${res.info!.expiresAt}` : ''}: the line above is its secret, shown only now`,
      );
    }
    return 0;
  });
}

export async function listTokens(o: ListOptions, io: Output): Promise<number> {
  return withControlApi(o, io, async (c) => {
    const { tokens } = await unary<api.ListTokensRequest, api.ListTokensResponse>(c, 'listTokens', { includeRevoked: !!o.all });
    if (o.json) io.out(JSON.stringify(api.ListTokensResponse.toJSON({ tokens })));
    else if (!tokens.length) io.out('No tokens.');
    else io.out(tokenTable(tokens));
    return 0;
  });
}

export async function revokeToken(o: RevokeOptions, io: Output): Promise<number> {
  if (!o.name) throw new UsageError('token revoke needs --name <name>');
  return withControlApi(o, io, async (c) => {
    const { info } = await unary<api.RevokeTokenRequest, api.RevokeTokenResponse>(c, 'revokeToken', { name: o.name! });
    io.out(`revoked token ${info!.name} at ${info!.revokedAt}`);
    return 0;
  });
}

export async function whoAmI(o: { json?: boolean; controlApi?: string }, io: Output): Promise<number> {
  return withControlApi(o, io, async (c) => {
    const me = await unary<api.WhoAmIRequest, api.WhoAmIResponse>(c, 'whoAmI', {});
    io.out(o.json ? JSON.stringify(api.WhoAmIResponse.toJSON(me)) : `${me.name}: ${me.scopes.join(' ')}`);
    return 0;
  });
}

/** NAME, SCOPES, CREATED BY, CREATED, EXPIRES, LAST USED, REVOKED. */
export function tokenTable(tokens: readonly api.TokenInfo[]): string {
  const minute = (iso: string) => (iso ? iso.slice(0, 16).replace('T', ' ') : '-');
  return renderTable(
    ['NAME', 'SCOPES', 'CREATED BY', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED'],
    tokens.map((t) => [t.name, t.scopes.join(' '), t.createdBy, minute(t.createdAt), minute(t.expiresAt), minute(t.lastUsedAt), minute(t.revokedAt)]),
  );
}
