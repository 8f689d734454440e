/**
 * Container entry of the influxdb-sink image: an `efd` program with only the `influxdb-sink` command
 * (bundled by apps/influxdb-sink/Dockerfile). `node efd.js influxdb-sink …` = `npx efd influxdb-sink …`.
 */
import { Command, CommanderError } from 'commander';
import { registerInfluxdbSinkCommand } from './cli';

const program = new Command('efd').exitOverride();
registerInfluxdbSinkCommand(program);
program.parseAsync(process.argv.slice(2), { from: 'user' }).catch((err: unknown) => {
  process.exitCode = err instanceof CommanderError ? err.exitCode : 1;
  if (!(err instanceof CommanderError)) process.stderr.write(`efd: ${(err as Error).message}\n`);
});
