import { registerDeployCommands } from './api-commands';
import type { Output } from './command-kit';
import { runProgram } from './program';

/**
 * `orzo status` and `orzo mark-for-deployment` alone: the program with only the verbs of
 * api-commands.ts, which need commander, grpc-js and control-api's generated client, and
 * nothing else. scripts/bundle-cli.mjs bundles it apart, and cli/bin/orzo.js runs that bundle
 * for these verbs: a third of the code of the whole CLI to load.
 */
export function main(argv: string[], io?: Output): Promise<number> {
  return runProgram(argv, [registerDeployCommands], io);
}
