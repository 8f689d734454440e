import { convertTopics } from './convert';
import { loadTopicMetadata } from './metadata';
import { CURRENT_DIR } from './test-fixtures';
import { loadTsXmlFolder } from './ts-xml';
import { hashString, itemValues, mulberry32, recordGenerator } from './values';
import { expectValuesFitFields } from './values-check';

const { topics } = loadTopicMetadata(CURRENT_DIR);
const { schemas } = convertTopics(loadTsXmlFolder(CURRENT_DIR).topics);

describe('mock values', () => {
  it('are deterministic per (seed, topic, seq) and differ between seqs', () => {
    const meta = topics.find((t) => t.topic === 'MTM1M3TS_thermalData') ?? topics[0];
    const a = recordGenerator(meta, 7);
    const b = recordGenerator(meta, 7);
    expect(itemValues(meta, a(5, 1))).toEqual(itemValues(meta, b(5, 999)));
    expect(itemValues(meta, a(5, 1))).not.toEqual(itemValues(meta, a(6, 1)));
    expect(itemValues(meta, recordGenerator(meta, 8)(5, 1))).not.toEqual(itemValues(meta, a(5, 1)));
  });

  it('fit every field: IDL range, Avro type, array length, enumeration values', () => expectValuesFitFields(topics, schemas));

  it('stamps: sal_created = now, sal_ingested up to 2 ms before, revcode per topic', () => {
    const rec = recordGenerator(topics[0], 3)(4, 1000);
    expect(rec).toMatchObject({ kafka_timestamp: 1000, sal_created: 1000, sal_ingested: 999, sal_host: 1 });
    expect(rec.sal_revcode).toBe(hashString(topics[0].topic).toString(16).padStart(8, '0'));
  });

  it('PRNG is uniform enough and in [0, 1)', () => {
    const r = mulberry32(1);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = r();
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
      sum += v;
    }
    expect(sum / 10_000).toBeCloseTo(0.5, 1);
  });
});
