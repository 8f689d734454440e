/**
 * `efd` — the operator CLI. Each capability registers its subcommands here. An app image runs its
 * app's subcommands alone (apps/<app>/main.ts, bundled by apps/images.ts), with the same arguments.
 *
 * Subcommands load lazily: `efd <command> …` loads only that command's module (each pulls in Kafka
 * clients, Avro, cdktf …: seconds for all of them), and `efd --help` loads none, listing the commands
 * from the table below (a test checks it against the full program's help).
 */
import { Command } from 'commander';
import { RegisterCommand, runProgram } from '../lib/program';
import { endQuietlyOnClosedPipe } from '../lib/cli-output';

/** A top-level command: its help line, and how to load the module that registers it. */
interface LazyCommand {
  name: string;
  /** Its term in `efd --help` (commander's: name, "[options]" when it has options). */
  term: string;
  description: string;
  load: () => RegisterCommand;
}

// Modules are required when their command runs (tsx registers TypeScript for require, not for import()).
const connectManager = () => (require('../connect-manager/cli') as typeof import('../connect-manager/cli')).registerConnectorsCommand;
const COMMANDS: LazyCommand[] = [
  {
    name: 'sites',
    term: 'sites [options]',
    description: 'list the sites and the stacks they produce (cdktf deploy <stack>)',
    load: () => (require('./sites') as typeof import('./sites')).registerSitesCommand,
  },
  {
    name: 'synth',
    term: 'synth [options]',
    description: 'synthesize the Terraform of every site (or one) into cdktf.out, replacing it only on success',
    load: () => (require('./sites') as typeof import('./sites')).registerSynthCommand,
  },
  {
    name: 'local',
    term: 'local',
    description: 'local EFD of real servers on 127.0.0.1: Kafka, Connect + MirrorMaker 2, schema registry, InfluxDB 1.8',
    load: () => (require('./local') as typeof import('./local')).registerLocalCommand,
  },
  {
    name: 'k8s',
    term: 'k8s',
    description: 'our own Kubernetes objects, judged by a real API server',
    load: () => (require('./k8s') as typeof import('./k8s')).registerK8sCommand,
  },
  {
    name: 'validate',
    term: 'validate [options]',
    description: "each site's Helm releases rendered by the helm CLI from chart packages (--charts) and judged by its API server (dry run)",
    load: () => (require('./validate') as typeof import('./validate')).registerValidateCommand,
  },
  {
    name: 'replication',
    term: 'replication',
    description: 'source → aggregator replication (MirrorMaker 2 / Replicator)',
    load: () => (require('./replication') as typeof import('./replication')).registerReplicationCommand,
  },
  {
    name: 'salschema',
    term: 'salschema',
    description: 'SAL schemas: convert ts_xml to Avro, register them, check compatibility with the registry, generate a seed-shaped ts_xml',
    load: () => (require('../salschema/cli') as typeof import('../salschema/cli')).registerSalschemaCommand,
  },
  {
    name: 'salmock',
    term: 'salmock [options]',
    description:
      'produce mock SAL messages for the topics of a ts_xml folder at the seed rates (commands 1 Hz, events 10 Hz, telemetry 100 Hz)',
    load: () => (require('../salmock/cli') as typeof import('../salmock/cli')).registerSalmockCommand,
  },
  {
    name: 'saltransform',
    term: 'saltransform [options]',
    description:
      'consume raw SAL text topics, encode Avro with the registered schemas, produce to lsst.sal.<topic>; bad lines go to a dead-letter topic',
    load: () => (require('../saltransform/cli') as typeof import('../saltransform/cli')).registerSaltransformCommand,
  },
  {
    name: 'aggregator',
    term: 'aggregator [options]',
    description:
      'aggregate SAL telemetry onto a 1 Hz grid: count, min, max, mean, median, stdev per numeric field (arrays element-wise) → lsst.efd.agg.<topic>',
    load: () => (require('../aggregator/cli') as typeof import('../aggregator/cli')).registerAggregatorCommand,
  },
  {
    name: 'connectors',
    term: 'connectors',
    description: 'Kafka Connect connectors as code: apply the desired set, status, delete (managed connectors only)',
    load: connectManager,
  },
  {
    name: 'connect-manager',
    term: 'connect-manager [options]',
    description: 'run the connect manager: apply the desired connectors every --watch seconds (default 60)',
    load: connectManager,
  },
  {
    name: 'topics',
    term: 'topics',
    description: 'Kafka topics: list, describe, create, config (show, set, reset), delete',
    load: () => (require('./admin/topics') as typeof import('./admin/topics')).registerTopicsCommand,
  },
  {
    name: 'brokers',
    term: 'brokers [options]',
    description: "the Kafka cluster's brokers (id, address, rack) and which one is the controller",
    load: () => (require('./admin/brokers') as typeof import('./admin/brokers')).registerBrokersCommand,
  },
  {
    name: 'consumer-groups',
    term: 'consumer-groups',
    description: 'Kafka consumer groups: list, lag per partition',
    load: () => (require('./admin/consumer-groups') as typeof import('./admin/consumer-groups')).registerConsumerGroupsCommand,
  },
  {
    name: 'registry',
    term: 'registry',
    description: 'schema registry subjects: list, show, compat, upload, delete',
    load: () => (require('./admin/registry') as typeof import('./admin/registry')).registerRegistryCommand,
  },
  {
    name: 'influxdb-sink',
    term: 'influxdb-sink [options]',
    description: 'consume lsst.sal.* Avro topics and write them to InfluxDB (one measurement per topic, arrays as name0..nameN)',
    load: () => (require('../influxdb-sink/cli') as typeof import('../influxdb-sink/cli')).registerInfluxdbSinkCommand,
  },
  {
    name: 'parquet-sink',
    term: 'parquet-sink [options]',
    description:
      'consume raw (lsst.sal.*) and aggregated (lsst.efd.agg.*) Avro topics and write hourly-partitioned Parquet objects to S3 or GCS',
    load: () => (require('../parquet-sink/cli') as typeof import('../parquet-sink/cli')).registerParquetSinkCommand,
  },
  {
    name: 'influxdb-init',
    term: 'influxdb-init [options]',
    description: 'create or update the InfluxDB database, retention policies and continuous queries of the retention tiers (idempotent)',
    load: () => (require('../influxdb-init/cli') as typeof import('../influxdb-init/cli')).registerInfluxdbInitCommand,
  },
  {
    name: 'influxdb-downsample',
    term: 'influxdb-downsample [options]',
    description:
      'fill the downsampled retention tiers: per measurement SELECT … INTO for each closed interval, off the write path (runs until SIGTERM; --from/--to runs a range once)',
    load: () => (require('../influxdb-init/cli') as typeof import('../influxdb-init/cli')).registerInfluxdbDownsampleCommand,
  },
  {
    name: 'influxdb',
    term: 'influxdb',
    description: 'InfluxDB backups: back up to an object store, restore from one',
    load: () => (require('../influxdb-init/backup-cli') as typeof import('../influxdb-init/backup-cli')).registerInfluxdbBackupCommand,
  },
  {
    name: 'alerts',
    term: 'alerts',
    description: 'the alert mini-broker (seed 004): produce alerts per visit, filter them to Filter001 …, consume a filter topic',
    load: () => {
      const { registerAlertsCommand } = require('../alerts/cli') as typeof import('../alerts/cli');
      // the experiment orchestrates processes (scripts/); the alerts image (apps/alerts/main.ts) has none
      const { registerAlertsExperimentCommand } =
        require('../../scripts/experiment/alerts-cli') as typeof import('../../scripts/experiment/alerts-cli');
      return (program) => registerAlertsExperimentCommand(registerAlertsCommand(program));
    },
  },
  {
    name: 'experiment',
    term: 'experiment [options]',
    description:
      'the mock-SAL experiment (seed 002) on the local EFD or a site: counts, throughput and latency per stage, report.json and plots',
    load: () => {
      const { registerExperimentCommand } = require('../../scripts/experiment/cli') as typeof import('../../scripts/experiment/cli');
      const { localExperimentEndpoints } = require('../../scripts/experiment/local') as typeof import('../../scripts/experiment/local');
      return (program) => registerExperimentCommand(program, localExperimentEndpoints);
    },
  },
];

/** The top-level command `argv` runs (`efd help <command>` included), if it names one. */
function selectedCommand(argv: readonly string[]): LazyCommand | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  return COMMANDS.find((c) => c.name === name);
}

/**
 * The `efd` program. With `argv`, only the command it runs is loaded (the others are listed for
 * help); without, every command is (for tests and tools that walk the whole program).
 */
export function buildProgram(argv?: readonly string[]): Command {
  const program = new Command('efd')
    .description('Engineering Facilities Database as code: sites, local EFD and the apps that feed it')
    .showHelpAfterError()
    // a command's options belong to it, not to a subcommand after it (`efd influxdb-sink repair --brokers …`)
    .enablePositionalOptions()
    .exitOverride();
  const selected = argv && selectedCommand(argv);
  const stubs = new Map<Command, string>();
  const loaded = new Set<LazyCommand['load']>();
  for (const c of COMMANDS) {
    if (argv && c.load !== selected?.load) {
      stubs.set(program.command(c.name).description(c.description), c.term);
    } else if (!loaded.has(c.load)) {
      // One module may register several commands (connectors and connect-manager): load it once.
      loaded.add(c.load);
      c.load()(program);
    }
  }
  const help = program.createHelp();
  program.configureHelp({ subcommandTerm: (cmd) => stubs.get(cmd) ?? help.subcommandTerm(cmd) });
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  return runProgram(buildProgram(argv), argv);
}

export function main(): void {
  endQuietlyOnClosedPipe(process.stdout);
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) main();
