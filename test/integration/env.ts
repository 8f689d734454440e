/**
 * Integration-test bed: the real local EFD (scripts/local-efd).
 *  - ensureStack(): uses the running stack (endpoints.json + health) or starts it with up();
 *  - useNamespace(file): each test file gets its own topic prefix, connector/subject names and its own
 *    InfluxDB database (created now, dropped with everything else by cleanup()).
 * EFD_TEST_CLUSTERS (default 2) is how many Kafka clusters to start when the stack is not running.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createAdmin, type EfdAdmin } from '../../apps/lib/kafka-admin';
import type { KafkaOptions } from '../../apps/lib/kafka';
import { silentLogger } from '../../apps/lib/logging';
import { sleep } from '../../apps/lib/retry';
import { listSubjects } from '../../apps/salschema/import';
import { Endpoints, tryReadEndpoints } from '../../scripts/local-efd/endpoints';
import { connectReady, influxQl, influxReady, kafkaReady, registryReady } from '../../scripts/local-efd/health';
import { stateDir } from '../../scripts/local-efd/layout';
import { up } from '../../scripts/local-efd/stack';

export const DEFAULT_TEST_CLUSTERS = Number(process.env.EFD_TEST_CLUSTERS ?? 2);

/** How many clusters the suite will have: ensureStack() adds clusters up to DEFAULT_TEST_CLUSTERS. */
export function expectedClusters(): number {
  return Math.max(DEFAULT_TEST_CLUSTERS, tryReadEndpoints()?.clusters.length ?? 0);
}

async function healthy(e: Endpoints): Promise<boolean> {
  const checks = [influxReady(e.influxdb.url)];
  for (const c of e.clusters) checks.push(kafkaReady(c.kafka), registryReady(c.registry), connectReady(c.connect));
  return (await Promise.all(checks)).every(Boolean);
}

/** Endpoints of a healthy local EFD, starting (and on first use installing) it if needed. */
export async function ensureStack(): Promise<Endpoints> {
  const current = tryReadEndpoints();
  const clusters = expectedClusters();
  // A stack started by `npm start` has one cluster; the replication tests need the second one too.
  if (current && current.clusters.length >= clusters && (await healthy(current))) return current;
  const report = await up({ clusters, say: (line) => process.stderr.write(`[efd local] ${line}\n`) });
  return report.endpoints;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}` + (lastError ? ` (last error: ${(lastError as Error).message})` : ''),
      );
    }
    await sleep(500);
  }
}

export interface TestNamespace {
  /** Unique per test file and run, e.g. `smoke_m3k2x9ab`. */
  id: string;
  endpoints: Endpoints;
  /** InfluxDB database of this namespace (exists until cleanup). */
  database: string;
  /** Scratch folder (removed by cleanup). */
  tmpDir: string;
  /** Topic name inside the namespace: `it.<id>.<name>`. */
  topic(name: string): string;
  /** Connector, consumer group or other name inside the namespace: `it-<id>-<name>`. */
  name(name: string): string;
  /** kafkajs client for cluster `index` (0 = a); suites move to {@link kafkaOptions} and the apps' clients. */
  kafka(index?: number): Kafka;
  /** Options of the apps' Kafka clients (createProducer, createConsumer, createAdmin) for cluster `index` (0 = a). */
  kafkaOptions(index?: number): KafkaOptions;
  /** Drops the database and deletes this namespace's connectors, topics and subjects on every cluster. */
  cleanup(): Promise<void>;
}

export async function useNamespace(testFile: string): Promise<TestNamespace> {
  const endpoints = await ensureStack();
  const slug = path
    .basename(testFile)
    .replace(/\.int\.test\.ts$|\.ts$/, '')
    .replace(/[^a-zA-Z0-9]/g, '_')
    .slice(0, 24);
  const id = `${slug}_${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
  const database = `it_${id}`;
  await influxQl(endpoints.influxdb.url, `CREATE DATABASE "${database}"`);
  const tmpDir = path.join(stateDir(), 'tmp', id);
  fs.mkdirSync(tmpDir, { recursive: true });
  const kafkaOptions = (index = 0): KafkaOptions => ({
    clientId: `it-${id}`,
    brokers: endpoints.clusters[index].kafka,
    logger: silentLogger(),
  });
  const kafka = (index = 0) => {
    const k = new Kafka({
      clientId: `it-${id}`,
      brokers: [endpoints.clusters[index].kafka],
      logLevel: logLevel.ERROR,
    });
    kafkajsOptions.set(k, kafkaOptions(index));
    return k;
  };
  return {
    id,
    endpoints,
    database,
    tmpDir,
    kafka,
    kafkaOptions,
    topic: (name) => `it.${id}.${name}`,
    name: (name) => `it-${id}-${name}`,
    cleanup: () => cleanupNamespace(id, endpoints, database, tmpDir, kafkaOptions),
  };
}

async function deleteTopicsContaining(kafka: KafkaOptions, id: string): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    // Twice: a client that was still polling when the first delete landed can re-create a topic.
    for (let round = 0; round < 2; round++) {
      const topics = (await admin.listTopics()).filter((t) => t.includes(id));
      if (topics.length) await admin.deleteTopics(topics);
      if (round === 0) await sleep(1500);
    }
  });
}

async function cleanupNamespace(
  id: string,
  e: Endpoints,
  database: string,
  tmpDir: string,
  kafka: (i: number) => KafkaOptions,
): Promise<void> {
  const errors: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      errors.push(`${what}: ${(err as Error).message}`);
    }
  };
  for (const c of e.clusters) {
    await attempt(`connectors on ${c.connect}`, async () => {
      const names = (await (await fetch(`${c.connect}/connectors`)).json()) as string[];
      const ours = names.filter((x) => x.includes(id));
      for (const n of ours) await fetch(`${c.connect}/connectors/${n}`, { method: 'DELETE' });
      // Tasks stop asynchronously; a still-running consumer would re-create deleted topics (auto-create is on).
      for (const n of ours) {
        await waitFor(`connector ${n} gone`, async () => (await fetch(`${c.connect}/connectors/${n}/status`)).status === 404, 30_000);
      }
    });
  }
  for (const [i, c] of e.clusters.entries()) {
    await attempt(`topics on ${c.kafka}`, () => deleteTopicsContaining(kafka(i), id));
    await attempt(`subjects on ${c.registry}`, async () => {
      // Paged: Apicurio answers a bare GET /subjects with its first 1,000 only (the shared registry holds many more).
      const subjects = await listSubjects(c.registry);
      for (const s of subjects.filter((x) => x.includes(id))) {
        await fetch(`${c.registry}/subjects/${encodeURIComponent(s)}`, { method: 'DELETE' });
        await fetch(`${c.registry}/subjects/${encodeURIComponent(s)}?permanent=true`, { method: 'DELETE' });
      }
    });
  }
  await attempt(`database ${database}`, () => influxQl(e.influxdb.url, `DROP DATABASE "${database}"`));
  fs.rmSync(tmpDir, { recursive: true, force: true });
  if (errors.length) throw new Error(`namespace ${id} cleanup incomplete:\n  ${errors.join('\n  ')}`);
}

/** A Kafka client of a test: the apps' options (KafkaOptions), or a kafkajs client while suites still use one. */
export type TestKafka = Kafka | KafkaOptions;

/** The cluster options of each kafkajs client `ns.kafka()` made (kafkajs keeps its brokers private). */
const kafkajsOptions = new WeakMap<Kafka, KafkaOptions>();

export function optionsOf(kafka: TestKafka): KafkaOptions {
  if (!(kafka instanceof Kafka)) return kafka;
  const o = kafkajsOptions.get(kafka);
  if (!o) throw new Error('a kafkajs client not made by ns.kafka(): pass ns.kafkaOptions() instead');
  return o;
}

/** Runs `fn` with a connected admin client (the apps' one) of `kafka`; disconnects after. */
export async function withAdmin<T>(kafka: TestKafka, fn: (admin: EfdAdmin) => Promise<T>): Promise<T> {
  const admin = createAdmin(optionsOf(kafka));
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates a topic (replication factor 1) and waits for its leaders. */
export async function createTopic(kafka: TestKafka, topic: string, partitions = 1): Promise<void> {
  await withAdmin(kafka, (admin) => admin.createTopics([{ topic, partitions, replicationFactor: 1 }]));
}

/** Whether the topic exists. */
export async function topicExists(kafka: TestKafka, topic: string): Promise<boolean> {
  return withAdmin(kafka, async (admin) => (await admin.listTopics()).includes(topic));
}

/** Sum of the topic's high watermarks (records written to it); 0 while it does not exist. */
export async function endOffsets(kafka: TestKafka, topic: string): Promise<number> {
  return withAdmin(kafka, async (admin) => {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    return (await admin.topicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  });
}

/**
 * Waits until topics someone else creates (e.g. auto-created by an app's producer) exist and every
 * partition has a leader: subscribing earlier fails with "This server does not host this topic-partition".
 */
export async function waitForTopics(kafka: TestKafka, topics: string[], timeoutMs = 60_000): Promise<void> {
  await withAdmin(kafka, (admin) =>
    waitFor(
      `topic(s) ${topics.join(', ')} with a leader for every partition`,
      async () => {
        const md = await admin.topicPartitions(topics).catch(() => undefined);
        return md?.length === topics.length && md.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      },
      timeoutMs,
    ),
  );
}
