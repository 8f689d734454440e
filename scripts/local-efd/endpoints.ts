/** The endpoints file (`<state>/endpoints.json`) that tests and apps read to find the local EFD. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClusterLayout, HOST, INFLUX_DATABASE, INFLUX_PORTS, paths } from './layout';

export interface ClusterEndpoints {
  name: string;
  /** Kafka bootstrap `host:port`. */
  kafka: string;
  /** Confluent-compatible registry API URL (what Confluent clients call the registry URL). */
  registry: string;
  /** Registry server root, for its native API and health. */
  registryBase: string;
  connect: string;
}

export interface Endpoints {
  clusters: ClusterEndpoints[];
  influxdb: { url: string; database: string };
}

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

/** Endpoints of the running local EFD; throws with what to do when it is not up. */
export function readEndpoints(): Endpoints {
  const file = paths.endpoints();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`Local EFD endpoints file ${file} not found: the local EFD is not running. ` +
      'Start it with `npm run efd:up` (or `npx efd local up`).');
  }
  try {
    const e = JSON.parse(text) as Endpoints;
    if (!Array.isArray(e.clusters) || e.clusters.length === 0 || !e.influxdb?.url) throw new Error('missing keys');
    return e;
  } catch (err) {
    throw new Error(`Local EFD endpoints file ${file} is malformed (${(err as Error).message}). ` +
      'Recreate it with `npm run efd:up`.');
  }
}

/** Like readEndpoints but undefined instead of throwing. */
export function tryReadEndpoints(): Endpoints | undefined {
  try {
    return readEndpoints();
  } catch {
    return undefined;
  }
}
