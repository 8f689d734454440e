import { loadTopicMetadata } from './metadata';
import { CURRENT_DIR } from './test-fixtures';
import { dueBy, planRate, planTopics, SEED_TOTAL_RATE, seedScheduleFactor } from './plan';
import { rawTopicOf } from './sal-text';

const { topics } = loadTopicMetadata(CURRENT_DIR);

describe('salmock plan', () => {
  it('seed rates: commands 1 Hz, events 10 Hz, telemetry 100 Hz; 1,051 seed topics made 29,284 msg/s', () => {
    expect(SEED_TOTAL_RATE).toBe(29284);
    const plan = planTopics(topics);
    const byKind = (k: string) => plan.filter((p) => p.meta.kind === k);
    expect(byKind('command').every((p) => p.rateHz === 1)).toBe(true);
    expect(byKind('event').every((p) => p.rateHz === 10)).toBe(true);
    expect(byKind('telemetry').every((p) => p.rateHz === 100)).toBe(true);
    expect(planRate(plan)).toBe(byKind('command').length + 10 * byKind('event').length + 100 * byKind('telemetry').length);
  });

  it('the seed-schedule factor scales any topic set to 29,284 msg/s', () => {
    const f = seedScheduleFactor(topics);
    expect(planRate(planTopics(topics, { rateFactor: f }))).toBeCloseTo(29284, 6);
  });

  it('selects by subsystem, kind, regex and count; names raw and Avro topics with the prefix', () => {
    const plan = planTopics(topics, { subsystems: ['ATDome'], kinds: ['telemetry'], topicPrefix: 'p.' });
    expect(plan.map((p) => p.meta.topic)).toEqual(['ATDome_position']);
    expect(plan[0].rawTopic).toBe('p.ATDome_telemetry');
    expect(plan[0].avroTopic).toBe('p.lsst.sal.ATDome_position');
    expect(rawTopicOf({ subsystem: 'MTM1M3TS', kind: 'event' })).toBe('MTM1M3TS_events');
    expect(rawTopicOf({ subsystem: 'MTM1M3TS', kind: 'command' })).toBe('MTM1M3TS_commands');
    expect(planTopics(topics, { topics: '^Test_', maxTopics: 3 })).toHaveLength(3);
    expect(
      planTopics(topics, { rates: { telemetry: 5, event: undefined }, kinds: ['telemetry', 'event'] }).every(
        (p) => p.rateHz === (p.meta.kind === 'event' ? 10 : 5),
      ),
    ).toBe(true);
  });

  it('says which subsystems exist when nothing matches', () => {
    expect(() => planTopics(topics, { subsystems: ['MTM1M3'] })).toThrow(
      /no SAL topic matches.*subsystems MTM1M3.*in the ts_xml folder: ATDome, ATMCS/,
    );
  });

  it('dueBy: first message at t=0, then rate × t', () => {
    expect(dueBy(10, 0, 0)).toBe(1);
    expect(dueBy(10, 0, 0.99)).toBe(10);
    expect(dueBy(10, 0.5, 0)).toBe(0);
    expect(dueBy(100, 0.5, 1)).toBe(100);
    expect(dueBy(0, 0, 5)).toBe(0);
  });
});
