import { Command } from 'commander';
import { registerAccessCommands } from './access-commands';
import { registerDeployCommands } from './api-commands';
import { registerBuildCommands } from './build-commands';
import { CliContext, Output } from './command-kit';
import { registerCompletionCommand } from './completion';
import { registerConfigCommands } from './config-commands';
import { registerAlertCommands } from './alert-commands';
import { registerDeadLetterCommands } from './dead-letter-commands';
import { registerOperatorDeployCommands } from './deploy-commands';
import { registerOneOffCommands } from './one-off-commands';
import { registerEventCommands } from './event-commands';
import { registerJobCommands } from './job-commands';
import { registerPlatformCommands } from './platform-commands';
import { registerReplicaCommands } from './replica-commands';
import { registerSecretCommands } from './secret-commands';
import { registerSoaCommands } from './soa-commands';

import { Registrar, buildProgram as buildWith, runProgram } from './program';

/** Every verb group, in the order of `orzo --help`. */
const VERBS: readonly Registrar[] = [
  registerPlatformCommands,
  registerSoaCommands,
  registerDeployCommands,
  registerOperatorDeployCommands,
  registerBuildCommands,
  registerDeadLetterCommands,
  registerAlertCommands,
  registerReplicaCommands,
  registerJobCommands,
  registerOneOffCommands,
  registerEventCommands,
  registerAccessCommands,
  registerSecretCommands,
  registerConfigCommands,
  registerCompletionCommand,
];

/** The orzo program with every verb. */
export function buildProgram(ctx: CliContext): Command {
  return buildWith(ctx, VERBS);
}

/** Runs one CLI invocation; resolves to the exit code (see EXIT and `orzo --help`). */
export function main(argv: string[], io?: Output): Promise<number> {
  return runProgram(argv, VERBS, io);
}
