import { buildProgram } from '../cli/main';
import { ALERT_PARTITIONS, ALERT_PRODUCERS, alertsSubject, produceConfig } from './cli';
import { consumeConfig } from './consume';

const base = { brokers: 'k:9092', registry: 'http://r:8081', clientId: 'alerts-produce' };

describe('alerts produce config', () => {
  it('has the seed defaults: 10,000 alerts per visit every 39 s, cutouts on, topic alerts', () => {
    const c = produceConfig(base, {});
    expect(c).toMatchObject({
      alertsPerVisit: 10_000,
      interval: 39_000,
      cutouts: true,
      topicPrefix: '',
      partitions: ALERT_PARTITIONS,
      producers: ALERT_PRODUCERS,
      metricsPort: 9090,
    });
    expect(c.visits).toBeUndefined();
    expect(c.seed).toBeUndefined();
    expect(alertsSubject('')).toBe('alerts-value');
    expect(alertsSubject('it.x.')).toBe('it.x.alerts-value');
  });

  it('reads flags and env, flags first; --interval as a duration or seconds', () => {
    const env = { ALERTS_VISITS: '3', ALERTS_INTERVAL: '1m', ALERTS_SEED: '5', ALERTS_TOPIC_PREFIX: 'p.' };
    expect(produceConfig(base, env)).toMatchObject({ visits: 3, interval: 60_000, seed: 5, topicPrefix: 'p.' });
    expect(produceConfig({ ...base, interval: '3s', visits: '2' }, env)).toMatchObject({ visits: 2, interval: 3000 });
    expect(produceConfig({ ...base, interval: '0.5' }, {}).interval).toBe(500);
    expect(produceConfig({ ...base, fromAvro: ['a.avro', 'b.avro'] }, {}).fromAvro).toEqual(['a.avro', 'b.avro']);
  });

  it('turns the cutouts off with --no-cutouts or ALERTS_CUTOUTS=false (commander sets cutouts true when the flag is absent)', () => {
    expect(produceConfig({ ...base, cutouts: false }, {}).cutouts).toBe(false);
    expect(produceConfig({ ...base, cutouts: true }, { ALERTS_CUTOUTS: 'false' }).cutouts).toBe(false);
    expect(produceConfig({ ...base, cutouts: true }, {}).cutouts).toBe(true);
  });

  it('says what is missing or wrong, with the env variable', () => {
    expect(() => produceConfig({ clientId: 'c' }, {})).toThrow(
      /--brokers \(env KAFKA_BROKERS\)[\s\S]*--registry \(env SCHEMA_REGISTRY_URL\): required/,
    );
    expect(() => produceConfig({ ...base, interval: '39 seconds' }, {})).toThrow(
      /--interval \(env ALERTS_INTERVAL\): "39 seconds" is not a duration: use a number and a unit of s, m, h, d or w, e.g. "39s"/,
    );
    expect(() => produceConfig({ ...base, interval: '0' }, {})).toThrow(/--interval \(env ALERTS_INTERVAL\): expected a positive duration/);
    expect(() => produceConfig({ ...base, alertsPerVisit: '100001' }, {})).toThrow(/--alerts-per-visit \(env ALERTS_PER_VISIT\)/);
    expect(() => produceConfig({ ...base, visits: '0' }, {})).toThrow(/--visits \(env ALERTS_VISITS\)/);
  });
});

describe('alerts consume config', () => {
  it('prints by default, from the end, a new group per run, a random metrics port', () => {
    const c = consumeConfig({ brokers: 'k:1', clientId: 'c', topic: 'Filter001', registry: 'http://r' }, {});
    expect(c).toMatchObject({ topic: 'Filter001', mode: 'print', fromBeginning: false, exitAtEnd: false, metricsPort: 0, topicPrefix: '' });
    expect(c.group).toBeUndefined();
  });

  it('needs a registry to print, none to monitor', () => {
    expect(() => consumeConfig({ brokers: 'k:1', clientId: 'c', topic: 'Filter001' }, {})).toThrow(
      /--registry \(env SCHEMA_REGISTRY_URL\): required in --mode print/,
    );
    expect(consumeConfig({ brokers: 'k:1', clientId: 'c', topic: 'Filter001', mode: 'monitor' }, {}).mode).toBe('monitor');
  });

  it('says the topic is required and the mode one of print, monitor', () => {
    expect(() => consumeConfig({ brokers: 'k:1', clientId: 'c' }, {})).toThrow(/--topic \(env ALERTS_CONSUME_TOPIC\): required/);
    expect(() => consumeConfig({ brokers: 'k:1', clientId: 'c', topic: 'F', mode: 'tail' }, {})).toThrow(
      /--mode \(env ALERTS_CONSUME_MODE\)/,
    );
  });
});

describe('efd alerts', () => {
  const alerts = () => buildProgram().commands.find((c) => c.name() === 'alerts');

  it('is a top-level command with produce and consume, each with the common options', () => {
    const subs = alerts()?.commands.map((c) => c.name()) ?? [];
    expect(subs).toEqual(expect.arrayContaining(['produce', 'consume']));
    for (const name of ['produce', 'consume']) {
      const longs = alerts()!
        .commands.find((c) => c.name() === name)!
        .options.map((o) => o.long);
      expect(longs).toEqual(expect.arrayContaining(['--brokers', '--registry', '--topic-prefix', '--metrics-port', '--log-level']));
    }
    const produce = alerts()!
      .commands.find((c) => c.name() === 'produce')!
      .options.map((o) => o.long);
    expect(produce).toEqual(
      expect.arrayContaining([
        '--visits',
        '--alerts-per-visit',
        '--interval',
        '--seed',
        '--from-avro',
        '--no-cutouts',
        '--partitions',
        '--producers',
      ]),
    );
    const consume = alerts()!
      .commands.find((c) => c.name() === 'consume')!
      .options.map((o) => o.long);
    expect(consume).toEqual(expect.arrayContaining(['--topic', '--mode', '--group', '--from-beginning', '--exit-at-end']));
  });

  it('loads only when run: `efd --help` lists it from the table', () => {
    const help = buildProgram(['--help']).helpInformation();
    expect(help).toMatch(/alerts\s+the alert mini-broker \(seed 004\)/);
  });
});
