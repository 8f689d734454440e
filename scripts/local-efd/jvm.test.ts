import { CONNECT_WORKER_MAIN, KAFKA_BROKER_MAIN, kafkaJvmArgs } from './jvm';
import { paths } from './layout';

describe('kafkaJvmArgs', () => {
  it('puts heap, GC, the common flags, log4j, extra flags, class path, main class and properties in that order', () => {
    expect(kafkaJvmArgs({ memory: ['-Xms1m', '-Xmx2m'], log4j: '/l4j', main: CONNECT_WORKER_MAIN, properties: '/w.properties' })).toEqual([
      '-Xms1m',
      '-Xmx2m',
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      '-Djava.net.preferIPv4Stack=true',
      '-Dlog4j.configuration=file:/l4j',
      '-cp',
      `${paths.kafkaLibs()}/*`,
      'org.apache.kafka.connect.cli.ConnectDistributed',
      '/w.properties',
    ]);
  });

  it('takes another collector and extra flags (EFD_JAVA_OPTS) after log4j', () => {
    const args = kafkaJvmArgs({
      memory: ['-Xmx512m'],
      gc: ['-XX:+UseG1GC'],
      log4j: '/l4j',
      extra: ['-Dx=1'],
      main: KAFKA_BROKER_MAIN,
      properties: '/s.properties',
    });
    expect(args.slice(0, 2)).toEqual(['-Xmx512m', '-XX:+UseG1GC']);
    expect(args.slice(4, 7)).toEqual(['-Dlog4j.configuration=file:/l4j', '-Dx=1', '-cp']);
    expect(args.slice(-2)).toEqual(['kafka.Kafka', '/s.properties']);
  });
});
