import { AuthenticationError, MultipleErrors, NetworkError, ResponseError } from '@platformatic/kafka';
import { KafkaJSProtocolError } from 'kafkajs';
import { explainRefusal, kafkaRefusal, KafkaRefusedError, refusedError } from './kafka-refusal';
import { z } from 'zod';
import { BatchSender, connectError, kafkaErrorMessage, platformaticRetryDelay, retriableKafkaError } from './kafka';
import { createAdmin } from './kafka-admin';
import { KAFKA_ENV, kafkaConfigShape, kafkaOptionsFrom, loadConfig } from './config';
import { createLogger } from './logging';
import { captureLines } from '../../test/log-capture';

// the errors as @platformatic/kafka 1.35 builds them from the broker's answers (API keys: Produce 0, FindCoordinator 10, JoinGroup 11)
const produceRefused = () =>
  new MultipleErrors('Producing messages failed.', [
    new ResponseError(
      0,
      11,
      { '/responses/0/partitionResponses/0': [29, null] },
      {
        responses: [{ name: 'lsst.sal.ATDome_position', partitionResponses: [{ index: 0 }] }],
      },
    ),
  ]);
const groupRefused = () => new ResponseError(10, 6, { '/coordinators/0': [30, null] }, {});
const loginRefused = () =>
  new MultipleErrors('Cannot connect to any broker.', [
    new NetworkError('Connection to 127.0.0.1:9092 failed.', { cause: new AuthenticationError('SASL authentication failed.') }),
  ]);

describe('kafkaRefusal', () => {
  it('finds a refused produce with its API and topic', () => {
    expect(kafkaRefusal(produceRefused())).toEqual({
      code: 'TOPIC_AUTHORIZATION_FAILED',
      api: 'Produce',
      topics: ['lsst.sal.ATDome_position'],
      detail: undefined,
    });
  });
  it('finds a refused group and a refused login under wrappers and causes', () => {
    expect(kafkaRefusal(new Error('outer', { cause: groupRefused() }))).toMatchObject({
      code: 'GROUP_AUTHORIZATION_FAILED',
      api: 'FindCoordinator',
    });
    expect(kafkaRefusal(loginRefused())).toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', api: 'SaslAuthenticate' });
  });
  it("reads kafkajs' errors", () => {
    const k = new KafkaJSProtocolError({
      message: 'Not authorized to access topics: [Topic authorization failed]',
      type: 'TOPIC_AUTHORIZATION_FAILED',
      code: 29,
      retriable: false,
    } as never);
    expect(kafkaRefusal(k)).toMatchObject({ code: 'TOPIC_AUTHORIZATION_FAILED', topics: [] });
  });
  it('is undefined for what is worth retrying', () => {
    expect(kafkaRefusal(new NetworkError('Connection to 127.0.0.1:9092 failed.'))).toBeUndefined();
    expect(kafkaRefusal(new ResponseError(0, 11, { '/responses/0/partitionResponses/0': [6, null] }, {}))).toBeUndefined(); // NOT_LEADER
    expect(kafkaRefusal('text')).toBeUndefined();
  });
});

describe('KafkaRefusedError', () => {
  it('names the user, the operation and the topic of a refused produce', () => {
    const e = refusedError(produceRefused(), { user: 'influxdb-sink' })!;
    expect(e).toBeInstanceOf(KafkaRefusedError);
    expect(e.message).toMatch(
      /^Kafka refused user "influxdb-sink" WRITE on TOPIC lsst\.sal\.ATDome_position \(TOPIC_AUTHORIZATION_FAILED in Produce\); the user lacks that ACL: declare it for the app in config\/principals\.ts/,
    );
    expect([e.user, e.operation, e.resourceType, e.resources, e.retriable]).toEqual([
      'influxdb-sink',
      'WRITE',
      'TOPIC',
      ['lsst.sal.ATDome_position'],
      false,
    ]);
  });
  it('names the group from the context (the answer does not)', () => {
    const e = refusedError(groupRefused(), { user: 'saltransform', group: 'summit-influxdb-sink' })!;
    expect(e.message).toContain(
      'user "saltransform" DESCRIBE on GROUP summit-influxdb-sink (GROUP_AUTHORIZATION_FAILED in FindCoordinator)',
    );
  });
  it('says a login was refused, naming the user and where its password comes from, never the password', () => {
    const e = refusedError(loginRefused(), { user: 'saltransform', doing: 'connecting the Kafka producer to 127.0.0.1:9092' })!;
    expect(e.message).toBe(
      'Kafka refused the login of user "saltransform": SASL authentication failed (no such user, or a wrong password); check the user (--sasl-username, KAFKA_SASL_USERNAME) and the password in its Secret (KAFKA_SASL_PASSWORD) (while connecting the Kafka producer to 127.0.0.1:9092)',
    );
  });
  it('is kept when a layer above explains it again, and completed with the user when it lacked it', () => {
    const inner = refusedError(produceRefused(), { topics: ['x'] })!;
    expect(inner.message).toContain("the client's anonymous user (no SASL login) WRITE on TOPIC lsst.sal.ATDome_position");
    const outer = refusedError(new Error('producing failed', { cause: inner }), { user: 'influxdb-sink' })!;
    expect(outer.message).toContain('user "influxdb-sink" WRITE on TOPIC lsst.sal.ATDome_position');
    expect(refusedError(outer, { user: 'other' })).toBe(outer);
    const plain = new Error('not a refusal');
    expect(explainRefusal(plain, { user: 'u' })).toBe(plain);
  });
});

describe('refusals are not retried', () => {
  it('retriableKafkaError is false for each, though the login arrives inside a retriable network error', () => {
    for (const e of [produceRefused(), groupRefused(), loginRefused()]) expect(retriableKafkaError(e)).toBe(false);
    expect(retriableKafkaError(new NetworkError('Connection to 127.0.0.1:9092 failed.'))).toBe(true);
  });
  it("the client's own bounded retries of a refusal do not wait", () => {
    expect(platformaticRetryDelay({}, 'metadata', 3, 5, loginRefused())).toBe(0);
    expect(platformaticRetryDelay({}, 'metadata', 1, 5, new NetworkError('down'))).toBe(300);
  });
  it('connectError is the refusal itself, naming the user and the brokers', () => {
    const e = connectError('producer', ['127.0.0.1:9092'], loginRefused(), 'saltransform');
    expect(e).toBeInstanceOf(KafkaRefusedError);
    expect(e.message).toContain('login of user "saltransform"');
    expect(e.message).toContain('(while connecting the Kafka producer to 127.0.0.1:9092)');
  });
  it("BatchSender rejects with the producer's refusal unchanged", async () => {
    const refused = refusedError(produceRefused(), { user: 'influxdb-sink' })!;
    const sender = new BatchSender({ sendBatch: () => Promise.reject(refused) }, { lingerMs: 0 });
    await expect(sender.send('lsst.sal.ATDome_position', [{ value: 'x' }])).rejects.toBe(refused);
  });
});

describe('no credential in a log line', () => {
  it('the clients log (kafkajs at debug) and fail without ever writing the password', async () => {
    const secret = 'sekret-Pa55word-4711';
    const { lines, stream } = captureLines();
    const logger = createLogger({ name: 'saltransform', level: 'debug', destination: stream });
    const opts = kafkaOptionsFrom(
      loadConfig(z.object(kafkaConfigShape), {}, KAFKA_ENV, {
        KAFKA_BROKERS: '127.0.0.1:1',
        KAFKA_CLIENT_ID: 'saltransform',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'saltransform',
        KAFKA_SASL_PASSWORD: secret,
      }),
      logger,
    );
    expect(opts.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'saltransform', password: secret });
    const errors: string[] = [];
    for (const client of ['kafkajs', 'platformatic'] as const) {
      const admin = createAdmin({ ...opts, retries: 0, connectionTimeoutMs: 500 }, { client });
      await admin.connect().catch((e: Error) => errors.push(`${e.message} ${kafkaErrorMessage(e)}`));
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((r) => setImmediate(r));
    expect(errors).toHaveLength(2);
    expect(lines.length).toBeGreaterThan(0); // kafkajs did log its attempts
    const text = JSON.stringify(lines) + errors.join('\n');
    expect(text).toContain('127.0.0.1:1');
    expect(text.includes(secret)).toBe(false);
  });

  it('a SASL setting without its password names the variable, not a value', () => {
    expect(() =>
      kafkaOptionsFrom({ brokers: 'b:9092', clientId: 'x', ssl: false, saslMechanism: 'scram-sha-512', saslUsername: 'saltransform' }),
    ).toThrow('SASL scram-sha-512 needs --sasl-username (env KAFKA_SASL_USERNAME) and env KAFKA_SASL_PASSWORD');
  });
});
