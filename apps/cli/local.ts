/**
 * `efd local up|down|status|logs`: the local EFD of real servers on 127.0.0.1
 * (Kafka KRaft, Kafka Connect with MirrorMaker 2, Apicurio Registry with the
 * Confluent API, InfluxDB 1.8). Implementation: scripts/local-efd.
 */
import { Command } from 'commander';
import { down, logs, parseClusters, status, up } from '../../scripts/local-efd';
import { ensureHelm, ensureTelegraf } from '../../scripts/local-efd/install';

function parseLines(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`-n/--lines must be a positive integer (got ${value})`);
  return n;
}

export function registerLocalCommand(program: Command): void {
  const local = program
    .command('local')
    .description('local EFD of real servers on 127.0.0.1: Kafka, Connect + MirrorMaker 2, schema registry, InfluxDB 1.8');

  local
    .command('up')
    .description('install (first run, into $EFD_CACHE_DIR or ~/.cache/efd-local) and start the servers; idempotent')
    .option('--clusters <n>', 'Kafka clusters (each with registry + Connect); the 2nd uses ports +100', '1')
    .option('--fresh', 'stop what runs and wipe all data first', false)
    .option(
      '--k8s',
      'also a local Kubernetes API (etcd, kube-apiserver, kube-controller-manager; no kubelet) with a kubeconfig context per site; the first run builds it (5–28 min)',
      false,
    )
    .option(
      '--object-stores',
      'also the object stores of the Parquet copy: S3 (SeaweedFS) and GCS (fake-gcs-server, an emulator); the first run builds them (SeaweedFS: 30+ min on 2 busy cores)',
      false,
    )
    .action(async (opts: { clusters: string; fresh: boolean; k8s: boolean; objectStores: boolean }) => {
      await up({ clusters: parseClusters(opts.clusters), fresh: opts.fresh, k8s: opts.k8s, objectStores: opts.objectStores });
    });

  local
    .command('down')
    .description('stop the servers this tool started (by its pid files)')
    .action(async () => {
      await down();
    });

  local
    .command('status')
    .description('each server up/down with pid, ports, RSS and URL')
    .action(async () => {
      await status();
    });

  local
    .command('logs [server]')
    .description('last lines of one server log (kafka-a, registry-a, connect-a, influxdb, ...) or of all')
    .option('-n, --lines <n>', 'number of lines', '50')
    .action((server: string | undefined, opts: { lines: string }) => {
      logs({ server, lines: parseLines(opts.lines) });
    });

  local
    .command('install-helm')
    .description('build the pinned helm CLI into the cache for `efd validate --charts` (also done by `local up --k8s`); prints the time')
    .action(async () => {
      const h = await ensureHelm();
      process.stdout.write(
        `helm: ${h.bin} (${h.installed ? `cold install: built in ${(h.ms / 1000).toFixed(1)} s` : `cached, checked in ${h.ms} ms`})\n`,
      );
    });

  local
    .command('install-telegraf')
    .description('build Telegraf (kafka_consumer + Avro + influxdb output) into the cache for `npm run bench`; not needed by the tests')
    .action(async () => {
      await ensureTelegraf();
    });
}
