/**
 * Test helper shared by the unit and conformance suites: salmock values fit every field of every topic
 * (IDL range, Avro type, array length, enumerated values) and survive an Avro round trip.
 */
import { isDeepStrictEqual } from 'node:util';
import { avroType, isLong } from '../avro-type';
import type { AvroRecordSchema } from './avro';
import type { TopicMeta } from './metadata';
import { IDL_INT_RANGE, recordGenerator } from './values';

export function expectValuesFitFields(topics: TopicMeta[], schemas: Map<string, AvroRecordSchema>): void {
  let enums = 0;
  const bad: string[] = [];
  for (const meta of topics) {
    const type = avroType(schemas.get(meta.topic) as never);
    const gen = recordGenerator(meta, 1);
    for (let seq = 0; seq < 5; seq++) {
      const rec = gen(seq, 1_700_000_000_000);
      if (!type.isValid(rec)) bad.push(`${meta.topic}: not valid for its schema`);
      else if (!isDeepStrictEqual({ ...type.fromBuffer(type.toBuffer(rec)) }, rec))
        bad.push(`${meta.topic}: changes in an Avro round trip`);
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
            if (!isLong(v) || v < range[0] || v > range[1]) bad.push(`${meta.topic}.${f.name}: ${String(v)} outside ${f.idlType}`);
          } else if (f.avroType === 'float' && Math.fround(v as number) !== v) {
            bad.push(`${meta.topic}.${f.name}: ${String(v)} is not a float32`);
          }
        }
      }
    }
  }
  expect(bad.slice(0, 10)).toEqual([]);
  expect(enums).toBeGreaterThan(0);
}
