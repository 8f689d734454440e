/**
 * What a test of the Debezium JDBC sink needs on the local EFD: PostgreSQL (the local EFD's, else a
 * private one) with a database of the test's own and a client on it, a Connect worker that has the
 * plugin (the shared one, else a private one), and the Secret the connector reads, written as the
 * Connect pods mount it (one file per key, under `<tmpDir>/secrets/efd-pg`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { ConnectClient } from '../../apps/connect-manager/connect-client';
import { DEBEZIUM_JDBC_SINK } from '../../constructs/connectors/jdbc-sink-connector';
import { LocalProcess } from '../../scripts/local-efd/replication';
import { PostgresEndpoints, ensurePostgresDatabase, startPrivatePostgres } from '../../scripts/local-efd/postgres';
import { startPrivateConnect } from '../../scripts/local-efd/private-connect';
import type { TestNamespace } from './env';

export interface JdbcSinkTestEnv {
  pg: PostgresEndpoints;
  /** A client on the test's database (`ns.database`). */
  sql: Client;
  connect: ConnectClient;
  /** The worker's config topic (`_connect-configs-<worker id>`, scripts/local-efd/configs.ts connectWorkerProps). */
  configTopic: string;
  /** Private servers started for the test (stopped by the caller, last first). */
  started: LocalProcess[];
}

export async function openJdbcSinkEnv(ns: TestNamespace): Promise<JdbcSinkTestEnv> {
  const started: LocalProcess[] = [];
  let pg = ns.endpoints.postgres;
  if (!pg) {
    const p = await startPrivatePostgres({ dir: path.join(ns.tmpDir, 'pg') });
    started.push(p);
    pg = p.endpoints;
  }
  await ensurePostgresDatabase(pg.port, ns.database);
  const sql = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: ns.database });
  await sql.connect();
  const cluster = ns.endpoints.clusters[0];
  const shared = new ConnectClient(cluster.connect);
  let connect = shared;
  let configTopic = `_connect-configs-${cluster.name}`;
  if (!(await shared.plugins()).some((p) => p.class === DEBEZIUM_JDBC_SINK)) {
    const id = ns.name('connect');
    const w = await startPrivateConnect({ id, bootstrap: cluster.kafka, dir: path.join(ns.tmpDir, 'connect') });
    started.push(w);
    connect = new ConnectClient(w.url);
    configTopic = `_connect-configs-${id}`;
  }
  const secret = path.join(ns.tmpDir, 'secrets', 'efd-pg');
  fs.mkdirSync(secret, { recursive: true });
  fs.writeFileSync(path.join(secret, 'jdbc-url'), `jdbc:postgresql://${pg.host}:${pg.port}/${ns.database}`);
  fs.writeFileSync(path.join(secret, 'jdbc-user'), pg.user);
  fs.writeFileSync(path.join(secret, 'jdbc-password'), pg.password);
  return { pg, sql, connect, configTopic, started };
}

/**
 * Apicurio's Avro converter reading Confluent's wire format from the local registry (4-byte ids = the
 * ccompat API's content ids): the local registry is Apicurio, the sites' Connect image has Confluent's.
 */
export function apicurioAvroConverter(ns: TestNamespace): Record<string, string> {
  return {
    'value.converter': 'io.apicurio.registry.utils.converter.AvroConverter',
    'value.converter.apicurio.registry.url': `${ns.endpoints.clusters[0].registryBase}/apis/registry/v2`,
    'value.converter.apicurio.registry.as-confluent': 'true',
    'value.converter.apicurio.registry.use-id': 'contentId',
  };
}
