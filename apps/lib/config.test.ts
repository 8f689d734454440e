import { z } from 'zod';
import { ConfigError, flagOf, kafkaConfigShape, KAFKA_ENV, kafkaOptionsFrom, loadConfig, zBool, zInt, zList } from './config';

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
