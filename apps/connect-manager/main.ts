/**
 * Container entry of the connect-manager image: an `efd` program with only the `connectors` group and
 * `connect-manager` (bundled by apps/connect-manager/Dockerfile).
 */
import { Command, CommanderError } from 'commander';
import { registerConnectorsCommand } from './cli';

const program = new Command('efd').exitOverride();
registerConnectorsCommand(program);
program.parseAsync(process.argv.slice(2), { from: 'user' }).catch((err: unknown) => {
  process.exitCode = err instanceof CommanderError ? err.exitCode : 1;
  if (!(err instanceof CommanderError)) process.stderr.write(`efd: ${(err as Error).message}\n`);
});
