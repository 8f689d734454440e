/** The local EFD as the experiment's endpoints (cluster a + InfluxDB), started when it is not running. */
import { up } from '../local-efd';
import type { ExperimentEndpoints } from './run';

export async function localExperimentEndpoints(): Promise<ExperimentEndpoints> {
  const { endpoints } = await up({ clusters: Number(process.env.EFD_CLUSTERS ?? 1), say: (l) => process.stderr.write(`${l}\n`) });
  const a = endpoints.clusters[0];
  return { kafka: a.kafka, registry: a.registry, influxdb: endpoints.influxdb.url };
}
