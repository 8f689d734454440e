/** The influxdb-sink in the test's process, on the namespace's first cluster and its InfluxDB database. */
import type { Kafka, Producer } from 'kafkajs';
import { RunningSink, SinkConfig, sinkConfig, startSink } from '../../apps/influxdb-sink/cli';
import { silentLogger } from '../../apps/lib/logging';
import { createRegistry, type Registry } from '../../apps/lib/registry';
import { TestNamespace, useNamespace } from './env';

/** What a sink test file produces its records with. */
export interface SinkTest {
  ns: TestNamespace;
  /** The namespace's first cluster. */
  kafka: Kafka;
  /** The first cluster's registry. */
  registry: Registry;
  /** Idempotent, one request in flight: every record once, in order. Connected. */
  producer: Producer;
}

/** The namespace of `testFile` (its beforeAll), with the first cluster's Kafka and registry and a connected producer. */
export async function openSinkTest(testFile: string): Promise<SinkTest> {
  const ns = await useNamespace(testFile);
  const kafka = ns.kafka();
  const registry = createRegistry(ns.endpoints.clusters[0].registry, { logger: silentLogger() });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return { ns, kafka, registry, producer };
}

/** Disconnects the producer and cleans the namespace up (its afterAll; what {@link openSinkTest} did not get to is skipped). */
export async function closeSinkTest(t: Partial<SinkTest>): Promise<void> {
  await t.producer?.disconnect();
  await t.ns?.cleanup();
}

/**
 * The sink's config for the namespace: its first cluster's brokers and registry, its database, group
 * `<namespace>-sink`, dead letters to `<prefix>sink-dlq`, silent; `over` adds or replaces flags. No env.
 */
export function namespaceSinkConfig(ns: TestNamespace, over: Record<string, unknown>): SinkConfig {
  const cluster = ns.endpoints.clusters[0];
  return sinkConfig(
    {
      brokers: cluster.kafka,
      registry: cluster.registry,
      influxdbUrl: ns.endpoints.influxdb.url,
      database: ns.database,
      group: ns.name('sink'),
      deadLetterTopic: ns.topic('sink-dlq'),
      logLevel: 'silent',
      ...over,
    },
    {},
  );
}

/** Starts the sink of {@link namespaceSinkConfig} without a metrics server. */
export function startNamespaceSink(ns: TestNamespace, over: Record<string, unknown>): Promise<RunningSink> {
  return startSink(namespaceSinkConfig(ns, over), { logger: silentLogger(), serveMetrics: false });
}
