import {
  AuthenticationError,
  compatibilityPartitioner,
  MultipleErrors,
  NetworkError,
  ProtocolError,
  ResponseError,
} from '@platformatic/kafka';
import { logLevel as KafkaLogLevel } from 'kafkajs';
import {
  BatchSender,
  createProducer,
  createProducers,
  KAFKA_CLIENT_ENV,
  kafkaClientName,
  kafkaErrorMessage,
  kafkaLogCreator,
  parseBrokers,
  platformaticHeaders,
  platformaticOptions,
  retriableKafkaError,
  retryDelayMs,
  timestampRuns,
} from './kafka';
import { createLogger } from './logging';
import { captureLines } from '../../test/log-capture';

type SendBatchArgs = { compression?: string; topicMessages?: { topic: string; messages: { value: unknown }[] }[] };

function fakeProducer(opts: { failTimes?: number; delayMs?: number } = {}) {
  const calls: SendBatchArgs[] = [];
  let fails = opts.failTimes ?? 0;
  return {
    calls,
    sendBatch: async (args: SendBatchArgs) => {
      calls.push(args);
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (fails > 0) {
        fails--;
        throw new Error('broker down');
      }
      return [];
    },
  };
}

describe('parseBrokers', () => {
  it('splits and trims a comma list', () => {
    expect(parseBrokers(' a:9092, b:9093 ')).toEqual(['a:9092', 'b:9093']);
    expect(parseBrokers(['127.0.0.1:9092'])).toEqual(['127.0.0.1:9092']);
  });
  it('names the flag and env when empty, and the bad entry when malformed', () => {
    expect(() => parseBrokers('')).toThrow(/--brokers.*KAFKA_BROKERS/);
    expect(() => parseBrokers('localhost')).toThrow(/"localhost" is not host:port/);
  });
});

describe('BatchSender', () => {
  it('batches sends across topics into one sendBatch after the linger', async () => {
    const p = fakeProducer();
    const s = new BatchSender(p as never, { lingerMs: 2 });
    await Promise.all([s.send('t1', [{ value: 'a' }]), s.send('t2', [{ value: 'b' }]), s.send('t1', [{ value: 'c' }])]);
    expect(p.calls).toHaveLength(1);
    expect(p.calls[0].compression).toBe('none');
    expect(p.calls[0].topicMessages).toEqual([
      { topic: 't1', messages: [{ value: 'a' }, { value: 'c' }] },
      { topic: 't2', messages: [{ value: 'b' }] },
    ]);
    expect(s.pending).toBe(0);
  });

  it('keeps one batch in flight and sends what accumulated meanwhile as the next batch', async () => {
    const p = fakeProducer({ delayMs: 10 });
    const s = new BatchSender(p as never, { lingerMs: 0, maxBatchMessages: 1000 });
    const first = s.send('t', [{ value: '1' }]);
    await new Promise((r) => setTimeout(r, 2));
    const rest = [s.send('t', [{ value: '2' }]), s.send('t', [{ value: '3' }])];
    await Promise.all([first, ...rest]);
    expect(p.calls.map((c) => c.topicMessages?.[0].messages.length)).toEqual([1, 2]);
  });

  it('splits at maxBatchMessages', async () => {
    const p = fakeProducer();
    const s = new BatchSender(p as never, { lingerMs: 50, maxBatchMessages: 3 });
    const msgs = (n: number) => Array.from({ length: n }, (_, i) => ({ value: String(i) }));
    await Promise.all([s.send('t', msgs(2)), s.send('t', msgs(2)), s.send('t', msgs(2))]);
    expect(p.calls.map((c) => c.topicMessages?.[0].messages.length)).toEqual([2, 2, 2]);
  });

  it('rejects every send of a failed batch with the topics named, then carries on', async () => {
    const p = fakeProducer({ failTimes: 1 });
    const s = new BatchSender(p as never, { lingerMs: 1 });
    const a = s.send('raw_a', [{ value: 'x' }]);
    const b = s.send('raw_b', [{ value: 'y' }]);
    await expect(a).rejects.toThrow(/2 message\(s\) to 2 topic\(s\) \(raw_a, raw_b\) failed: broker down/);
    await expect(b).rejects.toThrow(/broker down/);
    await expect(s.send('raw_a', [{ value: 'z' }])).resolves.toBeUndefined();
    expect(s.pending).toBe(0);
  });

  it('flush sends at once and waits', async () => {
    const p = fakeProducer();
    const s = new BatchSender(p as never, { lingerMs: 10_000 });
    const sent = s.send('t', [{ value: 'a' }]);
    await s.flush();
    await sent;
    expect(p.calls).toHaveLength(1);
  });
});

describe('BatchSender with several producers', () => {
  /** Producers that count how many requests are in flight: each alone, and all of them together. */
  function countingProducers(n: number, delayMs: number) {
    const state = { now: 0, max: 0 };
    const producers = Array.from({ length: n }, () => {
      const calls: SendBatchArgs[] = [];
      let mine = 0;
      let myMax = 0;
      return {
        calls,
        get maxInFlight() {
          return myMax;
        },
        sendBatch: async (args: SendBatchArgs) => {
          calls.push(args);
          state.max = Math.max(state.max, ++state.now);
          myMax = Math.max(myMax, ++mine);
          await new Promise((r) => setTimeout(r, delayMs));
          mine--;
          state.now--;
        },
      };
    });
    return { producers, state };
  }

  it('keeps one request in flight per producer, several at once, each topic on one producer in order', async () => {
    const { producers, state } = countingProducers(3, 15);
    const s = new BatchSender(producers, { lingerMs: 1, maxBatchMessages: 4 });
    expect(s.laneCount).toBe(3);
    const topics = ['t0', 't1', 't2', 't3', 't4', 't5'];
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) for (const t of topics) sends.push(s.send(t, [{ value: `${t}:${i}` }]));
    await Promise.all(sends);
    expect(s.pending).toBe(0);
    expect(state.max).toBe(3);
    expect(producers.map((p) => p.maxInFlight)).toEqual([1, 1, 1]);
    // round-robin on first use: t0, t3 → producer 0; t1, t4 → 1; t2, t5 → 2
    const topicsOf = producers.map((p) => [...new Set(p.calls.flatMap((c) => (c.topicMessages ?? []).map((t) => t.topic)))].sort());
    expect(topicsOf).toEqual([
      ['t0', 't3'],
      ['t1', 't4'],
      ['t2', 't5'],
    ]);
    for (const [k, p] of producers.entries()) {
      for (const t of topicsOf[k]) {
        const values = p.calls.flatMap((c) =>
          (c.topicMessages ?? []).filter((x) => x.topic === t).flatMap((x) => x.messages.map((m) => m.value)),
        );
        expect(values).toEqual(Array.from({ length: 10 }, (_, i) => `${t}:${i}`));
      }
    }
  });

  it('flush waits for every producer', async () => {
    const { producers } = countingProducers(2, 5);
    const s = new BatchSender(producers, { lingerMs: 10_000 });
    const sent = [s.send('a', [{ value: '1' }]), s.send('b', [{ value: '2' }])];
    await s.flush();
    await Promise.all(sent);
    expect(producers.map((p) => p.calls.length)).toEqual([1, 1]);
    expect(s.pending).toBe(0);
  });

  it('needs at least one producer; createProducers makes as many as asked, of one client', () => {
    expect(() => new BatchSender([])).toThrow(/at least one producer/);
    const ps = createProducers({ brokers: '127.0.0.1:9092', clientId: 'efd-test' }, 3, { client: 'kafkajs' });
    expect(ps.map((p) => p.client)).toEqual(['kafkajs', 'kafkajs', 'kafkajs']);
    expect(() => createProducers({ brokers: '127.0.0.1:9092', clientId: 'efd-test' }, 0)).toThrow(/whole number ≥ 1, not 0/);
  });
});

describe('BatchSender byte budget', () => {
  it('splits a large send per topic so no request carries more than maxTopicBytes of one topic, in order', async () => {
    const p = fakeProducer();
    const s = new BatchSender(p as never, { lingerMs: 1, maxTopicBytes: 1000 });
    const big = Array.from({ length: 10 }, (_, i) => ({ value: Buffer.alloc(300, i) }));
    await Promise.all([s.send('a', big), s.send('b', [{ value: 'small' }])]);
    const perRequest = p.calls.map((c) => Object.fromEntries((c.topicMessages ?? []).map((t) => [t.topic, t.messages.length])));
    expect(perRequest.every((r) => (r.a ?? 0) <= 3)).toBe(true);
    expect(perRequest.reduce((n, r) => n + (r.b ?? 0), 0)).toBe(1);
    expect(perRequest.reduce((n, r) => n + (r.a ?? 0), 0)).toBe(10);
    const order = p.calls.flatMap((c) =>
      (c.topicMessages ?? []).filter((t) => t.topic === 'a').flatMap((t) => t.messages.map((m) => (m.value as Buffer)[0])),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('the producer factory', () => {
  const base = { brokers: '127.0.0.1:9092, 127.0.0.1:9093', clientId: 'efd-test' };
  const saved = process.env[KAFKA_CLIENT_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[KAFKA_CLIENT_ENV];
    else process.env[KAFKA_CLIENT_ENV] = saved;
  });

  it('chooses @platformatic/kafka by default and kafkajs by EFD_KAFKA_CLIENT or option', async () => {
    expect(kafkaClientName(undefined)).toBe('platformatic');
    expect(kafkaClientName('')).toBe('platformatic');
    expect(kafkaClientName(' KafkaJS ')).toBe('kafkajs');
    expect(() => kafkaClientName('rdkafka')).toThrow(
      'EFD_KAFKA_CLIENT="rdkafka" is not a Kafka client: use platformatic (default) or kafkajs',
    );
    delete process.env[KAFKA_CLIENT_ENV];
    const a = createProducer(base);
    process.env[KAFKA_CLIENT_ENV] = 'kafkajs';
    const b = createProducer(base);
    const c = createProducer(base, { client: 'platformatic' });
    expect([a.client, b.client, c.client]).toEqual(['platformatic', 'kafkajs', 'platformatic']);
    // nothing connected yet: closing is immediate
    for (const p of [a, b, c]) await p.disconnect();
  });

  it('maps the connection options: idempotent, acks=all, Java-compatible partitioner, kafkajs-like timeouts and retries', () => {
    const o = platformaticOptions(base);
    expect(o).toMatchObject({
      clientId: 'efd-test',
      bootstrapBrokers: ['127.0.0.1:9092', '127.0.0.1:9093'],
      idempotent: true,
      acks: -1,
      autocreateTopics: true,
      connectTimeout: 3000,
      requestTimeout: 30000,
      timeout: 30000,
      retries: 5,
    });
    // keyed: the Java client's partition; keyless: round-robin per topic
    const part = o.partitioner as NonNullable<typeof o.partitioner>;
    const key = Buffer.from('MTMount.logevent_heartbeat');
    expect(part({ topic: 't', key }, key, { metadata: undefined })).toBe(compatibilityPartitioner({ topic: 't', key }, key));
    expect([0, 1, 2].map(() => part({ topic: 'a' }, undefined, { metadata: undefined }))).toEqual([0, 1, 2]);
    expect(part({ topic: 'b' }, undefined, { metadata: undefined })).toBe(0);
    expect(o.tls).toBeUndefined();
    expect(o.sasl).toBeUndefined();
    expect(
      platformaticOptions({ ...base, connectionTimeoutMs: 500, requestTimeoutMs: 2000 }, { allowAutoTopicCreation: false }),
    ).toMatchObject({
      connectTimeout: 500,
      requestTimeout: 2000,
      timeout: 2000,
      autocreateTopics: false,
    });
    expect([1, 2, 3, 8, 20].map(retryDelayMs)).toEqual([300, 600, 1200, 30000, 30000]);
    expect(() => platformaticOptions({ ...base, brokers: 'kafka' })).toThrow('"kafka" is not host:port');
  });

  it('maps ssl: true to TLS with the system CAs and passes Node TLS options through', () => {
    expect(platformaticOptions({ ...base, ssl: true }).tls).toEqual({});
    expect(platformaticOptions({ ...base, ssl: false }).tls).toBeUndefined();
    const tls = { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM', servername: 'kafka.example.org', rejectUnauthorized: true };
    expect(platformaticOptions({ ...base, ssl: tls }).tls).toBe(tls);
  });

  it('maps the SASL mechanisms to their protocol names and rejects others with the choices', () => {
    const sasl = (mechanism: string) => platformaticOptions({ ...base, sasl: { mechanism, username: 'u', password: 'p' } as never }).sasl;
    expect(sasl('plain')).toEqual({ mechanism: 'PLAIN', username: 'u', password: 'p' });
    expect(sasl('scram-sha-256')).toEqual({ mechanism: 'SCRAM-SHA-256', username: 'u', password: 'p' });
    expect(sasl('scram-sha-512')).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' });
    expect(() => sasl('aws')).toThrow('SASL mechanism "aws" is not supported: use plain, scram-sha-256, scram-sha-512');
  });

  it('writes headers as Buffers, one entry per repeated value, without undefined ones', () => {
    const h = platformaticHeaders({ a: 'x', b: Buffer.from([1, 2]), r: ['1', Buffer.from('2')], u: undefined });
    expect([...h].map(([k, v]) => [k.toString(), v.toString('hex')])).toEqual([
      ['a', Buffer.from('x').toString('hex')],
      ['b', '0102'],
      ['r', Buffer.from('1').toString('hex')],
      ['r', Buffer.from('2').toString('hex')],
    ]);
  });

  it('names the inner reasons of an aggregated client error', () => {
    const inner = new ProtocolError('MESSAGE_TOO_LARGE');
    const err = new MultipleErrors('Producing messages failed.', [inner, new Error('Connection closed')]);
    const msg = kafkaErrorMessage(err);
    expect(msg).toMatch(/^Producing messages failed\. \(.+; Connection closed\)$/);
    expect(msg).toContain(inner.message);
    expect(kafkaErrorMessage(new Error('outer', { cause: new Error('inner') }))).toBe('outer (inner)');
    // a produce response error names its topic and partition and the broker's message
    const response = {
      responses: [
        { name: 'lsst.sal.a', partitionResponses: [{ index: 0 }] },
        { name: 'lsst.sal.b', partitionResponses: [{ index: 0 }, { index: 3 }] },
      ],
    };
    const failed = new ResponseError(0, 9, { '/responses/1/partitionResponses/1': [10, 'record batch of 2000000 bytes'] }, response);
    expect(kafkaErrorMessage(failed)).toBe(
      `${failed.message} (${inner.message} on topic lsst.sal.b partition 3: record batch of 2000000 bytes)`,
    );
    expect(kafkaErrorMessage('plain string')).toBe('plain string');
  });
});

describe('timestampRuns', () => {
  it('keeps a request whole unless its timestamps spread 2^31 ms or more, then splits in order', () => {
    const day = 86_400_000;
    expect(timestampRuns([])).toEqual([]);
    expect(timestampRuns([5, 1, 9])).toEqual([[0, 3]]);
    expect(timestampRuns([0, 24 * day, 1])).toEqual([[0, 3]]);
    expect(timestampRuns([0, 25 * day, 25 * day + 1, 0])).toEqual([
      [0, 1],
      [1, 3],
      [3, 4],
    ]);
  });
});

describe('retriableKafkaError', () => {
  it('retries a broker that is not up yet, never refused credentials', () => {
    const refused = new NetworkError('Connection to 127.0.0.1:9092 failed.', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9092') });
    expect(
      retriableKafkaError(
        new MultipleErrors('initProducerId failed 6 times.', [new MultipleErrors('Cannot connect to any broker.', [refused])]),
      ),
    ).toBe(true);
    expect(
      retriableKafkaError(
        new MultipleErrors('x', [
          new NetworkError('Connection failed.', { cause: new AuthenticationError('SASL authentication failed.') }),
        ]),
      ),
    ).toBe(false);
    expect(retriableKafkaError(Object.assign(new Error('kafkajs: leader not available'), { retriable: true }))).toBe(true);
    expect(retriableKafkaError(Object.assign(new Error('kafkajs: SASL failed'), { retriable: false }))).toBe(false);
    expect(retriableKafkaError(new Error('plain'))).toBe(false);
  });
});

describe('kafkajs log bridge (kafkaLogCreator)', () => {
  function capture() {
    const { lines, stream } = captureLines();
    return { lines, logger: createLogger({ name: 'salmock', level: 'info', destination: stream }) };
  }

  it('routes kafkajs logs to the app logger by level (component kafkajs)', async () => {
    const { lines, logger } = capture();
    const log = kafkaLogCreator(logger)(KafkaLogLevel.INFO);
    log({ namespace: 'Producer', level: KafkaLogLevel.WARN, label: 'WARN', log: { message: 'slow', timestamp: 'x' } } as never);
    log({ namespace: 'Producer', level: KafkaLogLevel.DEBUG, label: 'DEBUG', log: { message: 'noise', timestamp: 'x' } } as never);
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ app: 'salmock', component: 'kafkajs', namespace: 'Producer', msg: 'slow', level: 40 });
  });

  it('logs topic-creation metadata errors at debug', async () => {
    const { lines, logger } = capture();
    const log = kafkaLogCreator(logger)(KafkaLogLevel.INFO);
    log({
      namespace: 'Connection',
      level: KafkaLogLevel.ERROR,
      label: 'ERROR',
      log: { message: 'Response Metadata', error: 'This server does not host this topic-partition', timestamp: 'x' },
    } as never);
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(0);
  });
});
