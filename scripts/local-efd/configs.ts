/** Config file writers for each server (all bound to 127.0.0.1). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { QUERY_LIMIT_DEFAULTS, QueryLimits, influxConfigSections } from '../../config/query-limits';
import { ClusterLayout, HOST, INFLUX_PORTS, paths } from './layout';

function write(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

export const props = (entries: Record<string, string | number>) =>
  Object.entries(entries)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n') + '\n';

export const kafkaDataDir = (c: ClusterLayout) => path.join(paths.data(), `kafka-${c.name}`);
export const registryDataDir = (c: ClusterLayout) => path.join(paths.data(), `registry-${c.name}`);
export const influxDataDir = () => path.join(paths.data(), 'influxdb');
export const postgresDataDir = () => path.join(paths.data(), 'postgres');

/** log4j 1 (reload4j) settings for Kafka and Connect: INFO to stdout (captured in the server's log file). */
export const LOG4J: Record<string, string> = {
  'log4j.rootLogger': 'INFO, stdout',
  'log4j.appender.stdout': 'org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout': 'org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern': '[%d] %p %m (%c)%n',
  // Config dumps of every client and the plugin scan are noise here.
  'log4j.logger.org.apache.kafka.clients': 'WARN',
  'log4j.logger.org.apache.kafka.common.config': 'WARN',
  'log4j.logger.org.apache.kafka.common.utils.AppInfoParser': 'WARN',
  'log4j.logger.org.apache.kafka.connect.runtime.isolation': 'WARN',
  'log4j.logger.org.reflections': 'ERROR',
  'log4j.logger.kafka.log': 'WARN',
  'log4j.logger.state.change.logger': 'WARN',
  'log4j.logger.org.apache.kafka.storage.internals.log': 'WARN',
};

export function writeLog4j(): string {
  return write(path.join(paths.config(), 'log4j.properties'), props(LOG4J));
}

/**
 * Authentication of a broker's client listener: SASL_PLAINTEXT with SCRAM-SHA-512 (the brokers talk to
 * each other over it as `adminUser`, whose credential `kafka-storage format --add-scram` writes), the KRaft
 * StandardAuthorizer (no ACL, no access), `superUsers` its super users.
 */
export interface BrokerSasl {
  adminUser: string;
  adminPassword: string;
  /** `super.users`, e.g. `User:admin;User:ANONYMOUS`. */
  superUsers: string;
}

/** The controller listener stays PLAINTEXT on 127.0.0.1 (KRaft cannot check SCRAM there): its principal. */
export const CONTROLLER_PRINCIPAL = 'User:ANONYMOUS';

/** A JAAS string value: `"` and `\` escaped. */
const jaasString = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** The broker settings of {@link BrokerSasl} (listener `SASL_PLAINTEXT` in place of `PLAINTEXT`). */
export function brokerSaslProps(o: { kafkaPort: number; controllerPort: number; sasl: BrokerSasl }): Record<string, string> {
  return {
    listeners: `SASL_PLAINTEXT://${HOST}:${o.kafkaPort},CONTROLLER://${HOST}:${o.controllerPort}`,
    'advertised.listeners': `SASL_PLAINTEXT://${HOST}:${o.kafkaPort}`,
    'inter.broker.listener.name': 'SASL_PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username=${jaasString(o.sasl.adminUser)} password=${jaasString(o.sasl.adminPassword)};`,
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found': 'false',
    'super.users': o.sasl.superUsers,
  };
}

/**
 * A single-node KRaft broker+controller on 127.0.0.1 (the local EFD's clusters and the fault tests' private
 * brokers); with `sasl`, its client listener authenticates and authorizes ({@link brokerSaslProps}).
 */
export function kafkaBrokerProps(o: {
  kafkaPort: number;
  controllerPort: number;
  logDir: string;
  sasl?: BrokerSasl;
}): Record<string, string | number> {
  const base: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${HOST}:${o.controllerPort}`,
    listeners: `PLAINTEXT://${HOST}:${o.kafkaPort},CONTROLLER://${HOST}:${o.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${o.kafkaPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': o.logDir,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 5,
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': 'true',
    'delete.topic.enable': 'true',
    'num.network.threads': 2,
    'num.io.threads': 4,
    'log.retention.hours': 168,
    'log.segment.bytes': 268435456,
  };
  return o.sasl ? { ...base, ...brokerSaslProps({ kafkaPort: o.kafkaPort, controllerPort: o.controllerPort, sasl: o.sasl }) } : base;
}

/** KRaft single node, broker+controller. */
export function writeKafkaConfig(c: ClusterLayout): string {
  return write(
    path.join(paths.config(), `kafka-${c.name}.properties`),
    props(kafkaBrokerProps({ kafkaPort: c.kafka, controllerPort: c.controller, logDir: kafkaDataDir(c) })),
  );
}

/**
 * A distributed Connect worker's settings (the local EFD's workers and the tests' private ones):
 * byte-array converters by default so MirrorMaker 2 copies records verbatim; plugin.path the cache's
 * plugin folders; the DirectoryConfigProvider `dir` the sites' Connect image sets, so connector configs
 * carry `${dir:<mount>/<secret>:<key>}` references, never secret values.
 */
export function connectWorkerProps(o: {
  bootstrap: string;
  id: string;
  port: number;
  offsetPartitions?: number;
}): Record<string, string | number> {
  return {
    'bootstrap.servers': o.bootstrap,
    'group.id': `efd-connect-${o.id}`,
    'key.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    'config.storage.topic': `_connect-configs-${o.id}`,
    'offset.storage.topic': `_connect-offsets-${o.id}`,
    'status.storage.topic': `_connect-status-${o.id}`,
    'config.storage.replication.factor': 1,
    'offset.storage.replication.factor': 1,
    'status.storage.replication.factor': 1,
    'offset.storage.partitions': o.offsetPartitions ?? 5,
    'status.storage.partitions': 1,
    'offset.flush.interval.ms': 5000,
    listeners: `http://${HOST}:${o.port}`,
    'rest.advertised.host.name': HOST,
    'rest.advertised.port': o.port,
    'plugin.path': paths.connectPlugins(),
    'plugin.discovery': 'hybrid_warn',
    'scheduled.rebalance.max.delay.ms': 0,
    'config.providers': 'dir',
    'config.providers.dir.class': 'org.apache.kafka.common.config.provider.DirectoryConfigProvider',
  };
}

export function writeConnectConfig(c: ClusterLayout): string {
  return write(
    path.join(paths.config(), `connect-${c.name}.properties`),
    props(connectWorkerProps({ bootstrap: `${HOST}:${c.kafka}`, id: c.name, port: c.connect })),
  );
}

/**
 * Apicurio is configured with system properties (Quarkus); h2 on disk keeps schemas across restarts.
 * Global compatibility BACKWARD makes it start like Confluent (bare Apicurio starts at NONE); the other
 * API differences are documented in apps/lib/registry-compat.ts.
 */
export function registryJvmProps(c: ClusterLayout): string[] {
  return [
    `-Dquarkus.http.host=${HOST}`,
    `-Dquarkus.http.port=${c.registry}`,
    `-Dquarkus.management.host=${HOST}`,
    `-Dquarkus.management.port=${c.registryManagement}`,
    `-Dapicurio.datasource.url=jdbc:h2:file:${path.join(registryDataDir(c), 'registry')}`,
    '-Dapicurio.rules.global.compatibility=BACKWARD',
  ];
}

/**
 * InfluxDB's `[coordinator] write-timeout` (default 10 s), here and in helm-values/influxdb.yaml
 * (configs.test.ts checks they agree). A write that waits behind a cache snapshot of wide series or
 * a long query on a busy 2-core machine took over 10 s: InfluxDB answered `500 timeout` and the sink
 * sent the whole batch again. Under the sink's 30 s request timeout, so InfluxDB answers first.
 */
export const INFLUX_WRITE_TIMEOUT = '25s';

/**
 * The query limits the local EFD's InfluxDB runs with: the defaults of a test site (config/query-limits.ts),
 * the same values a non-production site's InfluxDB gets from its Helm release.
 */
export const LOCAL_QUERY_LIMITS = QUERY_LIMIT_DEFAULTS.test;

export interface InfluxConfigOptions {
  /** meta/, data/ and wal/ go here. */
  dataDir: string;
  httpPort: number;
  rpcPort: number;
  limits?: QueryLimits;
}

/** influxdb.conf of the local EFD (and of a test's own InfluxDB: other ports, other folder, same settings). */
export function influxConfigText(o: InfluxConfigOptions): string {
  const limits = influxConfigSections(o.limits ?? LOCAL_QUERY_LIMITS);
  const lines = (section: Record<string, number | string>) =>
    Object.entries(section)
      .map(([k, v]) => `  ${k} = ${typeof v === 'string' ? `"${v}"` : v}\n`)
      .join('');
  return `reporting-disabled = true
bind-address = "${HOST}:${o.rpcPort}"

[meta]
  dir = "${path.join(o.dataDir, 'meta')}"

[data]
  dir = "${path.join(o.dataDir, 'data')}"
  wal-dir = "${path.join(o.dataDir, 'wal')}"
  query-log-enabled = false
${lines(limits.data)}
[http]
  enabled = true
  bind-address = "${HOST}:${o.httpPort}"
  auth-enabled = false
  flux-enabled = true
  log-enabled = false

[coordinator]
  write-timeout = "${INFLUX_WRITE_TIMEOUT}"
${lines(limits.coordinator)}
[monitor]
  store-enabled = false

[continuous_queries]
  log-enabled = false
`;
}

export function writeInfluxConfig(): string {
  return write(
    path.join(paths.config(), 'influxdb.conf'),
    influxConfigText({ dataDir: influxDataDir(), httpPort: INFLUX_PORTS.http, rpcPort: INFLUX_PORTS.rpc }),
  );
}
