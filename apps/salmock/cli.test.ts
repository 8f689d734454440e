import { buildProgram } from '../cli/main';
import { SALMOCK_PRODUCERS, salmockConfig } from './cli';

describe('salmock config', () => {
  it('reads flags and env, flags first', () => {
    const c = salmockConfig(
      { xml: '/x', rateFactor: '2', clientId: 'salmock' },
      { KAFKA_BROKERS: 'k:9092', SALMOCK_MODE: 'text', SALMOCK_COUNT: '10', SALMOCK_KINDS: 'telemetry,event', SALMOCK_XML: '/ignored' },
    );
    expect(c).toMatchObject({
      xml: '/x',
      brokers: 'k:9092',
      rateFactor: 2,
      count: 10,
      kinds: ['telemetry', 'event'],
      mode: 'text',
      burst: false,
      metricsPort: 9090,
    });
  });
  it('says what is missing or wrong, with the env variable', () => {
    expect(() => salmockConfig({}, {})).toThrow(/--brokers \(env KAFKA_BROKERS\)[\s\S]*--xml \(env SALMOCK_XML\)/);
    expect(() => salmockConfig({ xml: '/x', brokers: 'k:1', clientId: 'c', kinds: 'telemetry,bogus' }, {})).toThrow(
      /--kinds \(env SALMOCK_KINDS\)/,
    );
    expect(() => salmockConfig({ xml: '/x', brokers: 'k:1', clientId: 'c', mode: 'avro' }, {})).toThrow(
      /--registry \(env SCHEMA_REGISTRY_URL\): required in --mode avro/,
    );
    expect(() => salmockConfig({ xml: '/x', brokers: 'k:1', clientId: 'c', rateFactor: '0' }, {})).toThrow(/--rate-factor/);
    expect(() => salmockConfig({ xml: '/x', brokers: 'k:1', clientId: 'c', producers: '0' }, {})).toThrow(
      /--producers \(env SALMOCK_PRODUCERS\)/,
    );
  });
  it('sends through SALMOCK_PRODUCERS producers unless told otherwise', () => {
    const base = { xml: '/x', brokers: 'k:1', clientId: 'c' };
    expect(salmockConfig(base, {}).producers).toBe(SALMOCK_PRODUCERS);
    expect(salmockConfig(base, { SALMOCK_PRODUCERS: '2' }).producers).toBe(2);
    expect(salmockConfig({ ...base, producers: '1' }, { SALMOCK_PRODUCERS: '2' }).producers).toBe(1);
  });
  it('is an efd subcommand', () => {
    const cmd = buildProgram().commands.find((c) => c.name() === 'salmock');
    expect(cmd?.options.map((o) => o.long)).toEqual(
      expect.arrayContaining([
        '--xml',
        '--mode',
        '--count',
        '--duration',
        '--rate-factor',
        '--producers',
        '--brokers',
        '--registry',
        '--metrics-port',
      ]),
    );
  });
});
