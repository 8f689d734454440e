import { Command } from 'commander';
import { z } from 'zod';
import {
  ConfigError,
  consumerGroupSettings,
  flagOf,
  givenFlags,
  kafkaConfigShape,
  KAFKA_ENV,
  kafkaOptionsFrom,
  loadConfig,
  producerSettings,
  zBool,
  zInt,
  zList,
} from './config';

const schema = z.object({ ...kafkaConfigShape, rate: zInt(1).default(1), topics: zList.optional() });

describe('loadConfig', () => {
  it('flags win over env, env fills the rest, defaults apply', () => {
    const c = loadConfig(
      schema,
      { brokers: 'a:1', clientId: 'x' },
      { ...KAFKA_ENV, rate: 'RATE' },
      { KAFKA_BROKERS: 'b:2', RATE: '7', KAFKA_SSL: 'true' },
    );
    expect(c).toMatchObject({ brokers: 'a:1', clientId: 'x', rate: 7, ssl: true, logLevel: 'info', metricsPort: 9090 });
  });
  it('names the flag and the env variable of each bad value', () => {
    let msg = '';
    try {
      loadConfig(schema, { clientId: 'x', rate: 'fast' }, { ...KAFKA_ENV, rate: 'RATE' }, {});
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      msg = (err as Error).message;
    }
    expect(msg).toMatch(/--brokers \(env KAFKA_BROKERS\): required: Kafka bootstrap servers/);
    expect(msg).toMatch(/--rate \(env RATE\)/);
  });
  it('helpers', () => {
    expect(flagOf('metricsPort')).toBe('--metrics-port');
    expect(zBool.parse('no')).toBe(false);
    expect(zBool.safeParse('maybe').success).toBe(false);
    expect(zList.parse(['a,b', 'c'])).toEqual(['a', 'b', 'c']);
  });
});

describe('kafkaOptionsFrom', () => {
  it('builds SASL options and insists on user and password', () => {
    const base = { brokers: 'a:1', clientId: 'x', ssl: true };
    expect(kafkaOptionsFrom({ ...base, saslMechanism: 'scram-sha-512', saslUsername: 'u', saslPassword: 'p' }).sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'u',
      password: 'p',
    });
    expect(() => kafkaOptionsFrom({ ...base, saslMechanism: 'plain', saslUsername: 'u' })).toThrow(/KAFKA_SASL_PASSWORD/);
  });
});

describe('consumer-group settings', () => {
  const group = consumerGroupSettings('APP', { group: 'g0', concurrency: 8 }, [
    'group',
    'fromBeginning',
    'concurrency',
    'sessionTimeoutMs',
  ]);
  const producer = producerSettings({ lingerMs: 3, created: 'topics' });
  const schema = z.object({ ...kafkaConfigShape, ...group.shape, ...producer.shape });
  const env = { ...KAFKA_ENV, ...group.env };
  const parse = (argv: string[], vars: Record<string, string>) => {
    const cmd = producer.addOptions(group.addOptions(new Command('app'))).exitOverride();
    cmd.parse(argv, { from: 'user' });
    return loadConfig(schema, givenFlags({ brokers: 'a:1', clientId: 'x', ...cmd.opts() }, ['fromBeginning']), env, vars);
  };

  it('defaults, then the environment, then the flags', () => {
    expect(parse([], {})).toMatchObject({
      group: 'g0',
      fromBeginning: true,
      concurrency: 8,
      lingerMs: 3,
      sessionTimeoutMs: 30_000,
      replicationFactor: -1,
    });
    expect(parse([], { APP_GROUP: 'g1', APP_FROM_BEGINNING: 'false', APP_CONCURRENCY: '2', APP_SESSION_TIMEOUT_MS: '6000' })).toMatchObject(
      {
        group: 'g1',
        fromBeginning: false,
        concurrency: 2,
        sessionTimeoutMs: 6000,
      },
    );
    expect(
      parse(['--group', 'g2', '--no-from-beginning', '--linger-ms', '0', '--replication-factor', '3'], { APP_GROUP: 'g1' }),
    ).toMatchObject({
      group: 'g2',
      fromBeginning: false,
      lingerMs: 0,
      replicationFactor: 3,
    });
  });

  it('refuses a bad value, naming the flag and its variable', () => {
    expect(() => parse(['--concurrency', '0'], {})).toThrow(/--concurrency \(env APP_CONCURRENCY\)/);
    expect(() => parse([], { APP_SESSION_TIMEOUT_MS: 'soon' })).toThrow(/--session-timeout-ms \(env APP_SESSION_TIMEOUT_MS\)/);
  });

  it('has the keys, variables and flags it was given only', () => {
    expect(Object.keys(group.shape)).toEqual(['group', 'fromBeginning', 'concurrency', 'sessionTimeoutMs']);
    expect(group.env).toEqual({
      group: 'APP_GROUP',
      fromBeginning: 'APP_FROM_BEGINNING',
      concurrency: 'APP_CONCURRENCY',
      sessionTimeoutMs: 'APP_SESSION_TIMEOUT_MS',
    });
    expect(() => parse(['--topic-refresh-ms', '500'], {})).toThrow(/unknown option '--topic-refresh-ms'/);
    const refreshing = consumerGroupSettings('APP', { group: 'g0' }, ['topicRefreshMs']);
    expect(refreshing.env).toEqual({ topicRefreshMs: 'APP_TOPIC_REFRESH_MS' });
    expect(refreshing.addOptions(new Command('app')).options.map((o) => o.long)).toEqual(['--topic-refresh-ms']);
  });

  it('givenFlags keeps a negated flag only when it was given', () => {
    expect(givenFlags({ a: true, b: false, c: 1 }, ['a', 'b'])).toEqual({ b: false, c: 1 });
  });
});
