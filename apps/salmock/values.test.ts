import { isDeepStrictEqual } from 'node:util';
import { Type } from 'avsc';
import { convertTopics } from '../salschema/convert';
import { loadTopicMetadata } from '../salschema/metadata';
import { CURRENT_DIR } from '../salschema/test-fixtures';
import { loadTsXmlFolder } from '../salschema/ts-xml';
import { hashString, IDL_INT_RANGE, itemValues, mulberry32, recordGenerator } from './values';

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

  it('fit every field: IDL range, Avro type, array length, enumeration values', () => {
    let enums = 0;
    const bad: string[] = [];
    for (const meta of topics) {
      const type = Type.forSchema(schemas.get(meta.topic) as never);
      const gen = recordGenerator(meta, 1);
      for (let seq = 0; seq < 5; seq++) {
        const rec = gen(seq, 1_700_000_000_000);
        if (!type.isValid(rec)) bad.push(`${meta.topic}: not valid for its schema`);
        else if (!isDeepStrictEqual({ ...type.fromBuffer(type.toBuffer(rec)) }, rec)) bad.push(`${meta.topic}: changes in an Avro round trip`);
        for (const f of meta.fields) {
          const values = f.array ? (rec[f.name] as unknown[]) : [rec[f.name]];
          if (values.length !== f.count) bad.push(`${meta.topic}.${f.name}: ${values.length} values, Count ${f.count}`);
          const range = IDL_INT_RANGE[f.idlType];
          const allowed = f.enumeration?.length && f.avroType !== 'string' ? new Set(f.enumeration.map((e) => e.value)) : undefined;
          for (const v of values) {
            if (allowed) {
              enums++;
              if (!allowed.has(v as number)) bad.push(`${meta.topic}.${f.name}: ${String(v)} is not an enumerated value`);
            } else if (range) {
              if (!Number.isInteger(v) || (v as number) < range[0] || (v as number) > range[1]) bad.push(`${meta.topic}.${f.name}: ${String(v)} outside ${f.idlType}`);
            } else if (f.avroType === 'float' && Math.fround(v as number) !== v) {
              bad.push(`${meta.topic}.${f.name}: ${String(v)} is not a float32`);
            }
          }
        }
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(enums).toBeGreaterThan(0);
  });

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
