/** JVM command lines of the Kafka programs the local EFD runs (broker, Connect worker) on the Kafka libs. */
import { paths } from './layout';

export const KAFKA_BROKER_MAIN = 'kafka.Kafka';
export const CONNECT_WORKER_MAIN = 'org.apache.kafka.connect.cli.ConnectDistributed';

export interface KafkaJvmOptions {
  /** Heap flags, e.g. `['-Xms128m', '-Xmx512m']`. */
  readonly memory: readonly string[];
  /** Garbage collector flags. @default ['-XX:+UseSerialGC'] */
  readonly gc?: readonly string[];
  /** The log4j.properties file. */
  readonly log4j: string;
  /** More JVM flags, after the common ones (EFD_JAVA_OPTS). */
  readonly extra?: readonly string[];
  /** The main class ({@link KAFKA_BROKER_MAIN}, {@link CONNECT_WORKER_MAIN}). */
  readonly main: string;
  /** Its properties file. */
  readonly properties: string;
}

/** `java` arguments: heap, GC, headless, IPv4, log4j, extra flags, the Kafka libs as class path, main class, properties. */
export function kafkaJvmArgs(o: KafkaJvmOptions): string[] {
  return [
    ...o.memory,
    ...(o.gc ?? ['-XX:+UseSerialGC']),
    '-Djava.awt.headless=true',
    '-Djava.net.preferIPv4Stack=true',
    `-Dlog4j.configuration=file:${o.log4j}`,
    ...(o.extra ?? []),
    '-cp',
    `${paths.kafkaLibs()}/*`,
    o.main,
    o.properties,
  ];
}
