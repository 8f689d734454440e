/**
 * `efd` — the operator CLI. Each capability registers its subcommands here. An app image runs its
 * app's subcommands alone (apps/<app>/main.ts, bundled by apps/images.ts), with the same arguments.
 */
import { Command } from 'commander';
import { registerSitesCommand, registerSynthCommand } from './sites';
import { registerLocalCommand } from './local';
import { registerK8sCommand } from './k8s';
import { registerReplicationCommand } from './replication';
import { registerSalschemaCommand } from '../salschema/cli';
import { registerSalmockCommand } from '../salmock/cli';
import { registerSaltransformCommand } from '../saltransform/cli';
import { registerConnectorsCommand } from '../connect-manager/cli';
import { registerInfluxdbSinkCommand } from '../influxdb-sink/cli';
import { registerInfluxdbDownsampleCommand, registerInfluxdbInitCommand } from '../influxdb-init/cli';
import { registerExperimentCommand } from '../../scripts/experiment/cli';
import { localExperimentEndpoints } from '../../scripts/experiment/local';
import { runProgram } from '../lib/program';

export function buildProgram(): Command {
  const program = new Command('efd')
    .description('Engineering Facilities Database as code: sites, local EFD and the apps that feed it')
    .showHelpAfterError()
    .exitOverride();
  registerSitesCommand(program);
  registerSynthCommand(program);
  registerLocalCommand(program);
  registerK8sCommand(program);
  registerReplicationCommand(program);
  registerSalschemaCommand(program);
  registerSalmockCommand(program);
  registerSaltransformCommand(program);
  registerConnectorsCommand(program);
  registerInfluxdbSinkCommand(program);
  registerInfluxdbInitCommand(program);
  registerInfluxdbDownsampleCommand(program);
  registerExperimentCommand(program, localExperimentEndpoints);
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  return runProgram(buildProgram(), argv);
}

export function main(): void {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) main();
