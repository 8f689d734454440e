import { KAFKA_CLIENT_ENV, KafkaOptions } from './kafka';
import { createAdmin, groupLag, groupState, platformaticAdminOptions } from './kafka-admin';
import { consumedHeaders, createConsumer, platformaticConsumerOptions, recordHeaders } from './kafka-consumer';

const base: KafkaOptions = { brokers: '127.0.0.1:9092, 127.0.0.1:9093', clientId: 'efd-test' };

describe('platformaticConsumerOptions', () => {
  it('maps the connection, group and fetch settings; no autocommit (the consumer commits handled batches)', () => {
    const o = platformaticConsumerOptions(base, { groupId: 'g', maxWaitTimeMs: 100, maxBytesPerPartition: 512 * 1024, maxBytes: 2 ** 21 });
    expect(o).toMatchObject({
      clientId: 'efd-test',
      bootstrapBrokers: ['127.0.0.1:9092', '127.0.0.1:9093'],
      groupId: 'g',
      connectTimeout: 3000,
      requestTimeout: 30000,
      sessionTimeout: 30000,
      rebalanceTimeout: 60000,
      heartbeatInterval: 3000,
      autocommit: false,
      minBytes: 1,
      maxWaitTime: 100,
      maxBytesPerPartition: 512 * 1024,
      maxBytes: 2 ** 21,
      isolationLevel: 1,
    });
    expect(o.tls).toBeUndefined();
    expect(o.sasl).toBeUndefined();
    // a short session gets a heartbeat of a third of it
    expect(platformaticConsumerOptions(base, { groupId: 'g', sessionTimeoutMs: 6000 })).toMatchObject({
      sessionTimeout: 6000,
      heartbeatInterval: 2000,
    });
  });

  it('maps TLS and every SASL mechanism; refuses an unknown mechanism naming the choices', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----';
    for (const [mechanism, wire] of [
      ['plain', 'PLAIN'],
      ['scram-sha-256', 'SCRAM-SHA-256'],
      ['scram-sha-512', 'SCRAM-SHA-512'],
    ] as const) {
      const o = platformaticConsumerOptions({ ...base, ssl: { ca }, sasl: { mechanism, username: 'u', password: 'p' } }, { groupId: 'g' });
      expect(o.tls).toEqual({ ca });
      expect(o.sasl).toEqual({ mechanism: wire, username: 'u', password: 'p' });
      const a = platformaticAdminOptions({ ...base, ssl: true, sasl: { mechanism, username: 'u', password: 'p' } });
      expect(a.tls).toEqual({});
      expect(a.sasl).toEqual({ mechanism: wire, username: 'u', password: 'p' });
    }
    expect(() =>
      platformaticConsumerOptions({ ...base, sasl: { mechanism: 'gssapi' as never, username: 'u', password: 'p' } }, { groupId: 'g' }),
    ).toThrow(/SASL mechanism "gssapi" is not supported: use plain, scram-sha-256, scram-sha-512/);
  });

  it('admin options carry only the connection settings', () => {
    const a = platformaticAdminOptions({ ...base, connectionTimeoutMs: 500, requestTimeoutMs: 2000 });
    expect(a).toMatchObject({ clientId: 'efd-test', connectTimeout: 500, requestTimeout: 2000, timeout: 2000, retries: 5 });
    expect(a).not.toHaveProperty('idempotent');
    expect(a).not.toHaveProperty('partitioner');
  });
});

describe('createConsumer / createAdmin', () => {
  afterEach(() => delete process.env[KAFKA_CLIENT_ENV]);
  it('choose the client from EFD_KAFKA_CLIENT (default platformatic), or the option', () => {
    expect(createConsumer(base, { groupId: 'g' }).client).toBe('platformatic');
    expect(createAdmin(base).client).toBe('platformatic');
    process.env[KAFKA_CLIENT_ENV] = 'kafkajs';
    expect(createConsumer(base, { groupId: 'g' }).client).toBe('kafkajs');
    expect(createAdmin(base).client).toBe('kafkajs');
    expect(createConsumer(base, { groupId: 'g', client: 'platformatic' }).client).toBe('platformatic');
    process.env[KAFKA_CLIENT_ENV] = 'rdkafka';
    expect(() => createConsumer(base, { groupId: 'g' })).toThrow(/EFD_KAFKA_CLIENT="rdkafka" is not a Kafka client/);
  });
  it('give a bad broker list a clear error before connecting', () => {
    expect(() => createConsumer({ ...base, brokers: 'localhost' }, { groupId: 'g' })).toThrow(/"localhost" is not host:port/);
    expect(() => createAdmin({ ...base, brokers: '' }, { client: 'kafkajs' })).toThrow(/--brokers/);
  });
});

describe('consumedHeaders', () => {
  it('turns the header map into an object; a repeated header becomes an array in order; none → undefined', () => {
    const m = new Map<Buffer, Buffer>([
      [Buffer.from('a'), Buffer.from('1')],
      [Buffer.from('b'), Buffer.from('2')],
      [Buffer.from('a'), Buffer.from('3')],
      [Buffer.from('a'), Buffer.from('4')],
    ]);
    const h = consumedHeaders(m)!;
    expect(String(h.b)).toBe('2');
    expect((h.a as Buffer[]).map(String)).toEqual(['1', '3', '4']);
    expect(consumedHeaders(new Map())).toBeUndefined();
    expect(consumedHeaders(undefined)).toBeUndefined();
  });
  it('does the same for the header pairs of a fetched record (a null value is empty)', () => {
    const h = recordHeaders([
      [Buffer.from('a'), Buffer.from('1')],
      [Buffer.from('b'), null],
      [Buffer.from('a'), Buffer.from('3')],
    ])!;
    expect(String(h.b)).toBe('');
    expect((h.a as Buffer[]).map(String)).toEqual(['1', '3']);
    expect(recordHeaders([])).toBeUndefined();
  });
});

describe('groupLag / groupState', () => {
  it('lag is high − committed; the whole partition when nothing was committed; never negative', () => {
    const offsets = [
      { partition: 0, low: '0', high: '100' },
      { partition: 1, low: '40', high: '50' },
      { partition: 2, low: '0', high: '7' },
    ];
    const committed = [
      { topic: 't', partition: 0, offset: '90' },
      { topic: 't', partition: 1, offset: '-1' },
      { topic: 't', partition: 2, offset: '9' },
    ];
    expect(groupLag(offsets, committed)).toEqual([
      { partition: 0, lag: 10 },
      { partition: 1, lag: 10 },
      { partition: 2, lag: 0 },
    ]);
  });
  it('spells group states as the broker does', () => {
    expect(groupState('PREPARING_REBALANCE')).toBe('PreparingRebalance');
    expect(groupState('STABLE')).toBe('Stable');
    expect(groupState('Stable')).toBe('Stable');
  });
});
