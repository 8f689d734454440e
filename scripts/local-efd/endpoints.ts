/** Writes the endpoints file (`<state>/endpoints.json`) that apps, tests and benches read (apps/lib/local-endpoints). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClusterEndpoints, Endpoints } from '../../apps/lib/local-endpoints';
import { ClusterLayout, HOST, INFLUX_DATABASE, INFLUX_PORTS, paths } from './layout';

export { readEndpoints, tryReadEndpoints } from '../../apps/lib/local-endpoints';
export type { ClusterEndpoints, Endpoints } from '../../apps/lib/local-endpoints';

export function clusterEndpoints(c: ClusterLayout): ClusterEndpoints {
  const registryBase = `http://${HOST}:${c.registry}`;
  return {
    name: c.name,
    kafka: `${HOST}:${c.kafka}`,
    registry: `${registryBase}/apis/ccompat/v7`,
    registryBase,
    connect: `http://${HOST}:${c.connect}`,
  };
}

export function influxEndpoints(): Endpoints['influxdb'] {
  return { url: `http://${HOST}:${INFLUX_PORTS.http}`, database: INFLUX_DATABASE };
}

export function writeEndpoints(e: Endpoints): string {
  const file = paths.endpoints();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(e, null, 2) + '\n');
  return file;
}

export function removeEndpoints(): void {
  fs.rmSync(paths.endpoints(), { force: true });
}
