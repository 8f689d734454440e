/**
 * `npm start`: the main job on the embedded local EFD. Brings the local EFD
 * up if needed (real Kafka, Connect, schema registry, InfluxDB on loopback),
 * synthesizes every site, and prints what runs where.
 */
import { loadSites } from '../config/load';
import { up } from './local-efd';
import { runExperimentCommand } from './experiment/cli';
import { synthSites } from './synth';
import type { EfdStack } from '../stacks/efd-stack';

function describeStack(efd: EfdStack): string[] {
  const s = efd.site;
  const apps = [
    s.apps.saltransform.enabled ? `saltransform x${s.apps.saltransform.replicas}` : '',
    s.apps.salmock.enabled ? 'salmock' : '',
  ].filter(Boolean);
  return [
    `  kafka     cp-helm-charts ${efd.kafka.settings.replicationFactor === 3 ? '3/2' : '1/1'} RF/ISR, ${s.kafka.brokers} broker(s) x ${s.kafka.storageGi} Gi on "${efd.storageClassName}", logs kept ${s.kafka.logRetention ?? s.retention.tiers[0].duration}`,
    `            bootstrap ${efd.kafka.bootstrapServers}${efd.kafka.schemaRegistryUrl ? `, registry ${efd.kafka.schemaRegistryUrl}` : ''}`,
    `  influxdb  ${efd.influxdb.url} db "${efd.influxdb.database}", ${s.influxdb.storageGi} Gi; tiers ${s.retention.tiers.map((t) => `${t.name} ${t.duration}${t.interval ? `@${t.interval}` : ''}`).join(' → ')}`,
    `  apps      ${apps.length ? apps.join(', ') : '(none)'}${s.replicateTo ? `; replicates to ${s.replicateTo}` : ''}`,
  ];
}

async function main(): Promise<void> {
  const clusters = Number(process.env.EFD_CLUSTERS ?? 1);
  process.stdout.write('== local EFD\n');
  // Connect is not used until the end: it finishes starting while the sites synthesize and the experiment runs
  const { endpoints, deferred, pending } = await up({ clusters, defer: ['connect-'] }); // prints endpoints and RSS

  process.stdout.write('\n== synth: every site\n');
  const t0 = Date.now();
  const { outdir, stacks } = synthSites(loadSites(), process.env.CDKTF_OUTDIR ?? 'cdktf.out');
  process.stdout.write(
    `  ${stacks.length} sites, ${stacks.reduce((n, s) => n + (s.cluster ? 2 : 1), 0)} stacks in ${Date.now() - t0} ms → ${outdir}\n`,
  );

  process.stdout.write('\n== what runs where\n');
  for (const { site, cluster, efd } of stacks) {
    const target =
      site.target.kind === 'gke'
        ? `GKE ${site.target.project}/${site.target.zone ?? site.target.region}`
        : `kubeconfig context ${site.target.context}`;
    process.stdout.write(`${site.name} (${site.role}, ${site.production ? 'production: destroy-protected' : 'experiment'}) on ${target}\n`);
    process.stdout.write(`  stacks    ${[cluster?.node.id, efd.node.id].filter(Boolean).join(', ')}\n`);
    for (const line of describeStack(efd)) process.stdout.write(`${line}\n`);
  }

  const connectReady = async () => {
    const t = Date.now();
    await pending;
    if (deferred.length)
      process.stdout.write(`\n== local EFD: ${deferred.join(', ')} ready (waited ${((Date.now() - t) / 1000).toFixed(1)} s more)\n`);
  };
  if (process.env.EFD_EXPERIMENT === '0') return connectReady();
  process.stdout.write('\n== mock SAL experiment on the local EFD (EFD_EXPERIMENT=0 skips it; `npx efd experiment --help` for more)\n');
  const a = endpoints.clusters[0];
  const code = await runExperimentCommand(
    { duration: process.env.EFD_EXPERIMENT_SECONDS, rateFactor: process.env.EFD_EXPERIMENT_RATE },
    async () => ({ kafka: a.kafka, registry: a.registry, influxdb: endpoints.influxdb.url }),
  );
  if (code !== 0) process.exit(code);
  await connectReady();
}

main().catch((err: Error) => {
  process.stderr.write(`npm start: ${err.message}\n`);
  process.exit(1);
});
