/**
 * Test helper shared by the unit and conformance suites: for every topic, salmock record → SAL text →
 * parse gives the same record, valid for its Avro schema, with the layout from metadata equal to the
 * layout from the schema.
 */
import { avroType } from '../avro-type';
import type { AvroRecordSchema } from './avro';
import type { TopicMeta } from './metadata';
import { recordGenerator } from './values';
import { formatSalText, layoutFromAvro, layoutFromMeta, parseSalText, salTextTopic } from './sal-text';

const NOW = 1_700_000_000_123;

export function expectSalTextRoundTrip(topics: TopicMeta[], schemas: Map<string, AvroRecordSchema>): void {
  for (const meta of topics) {
    const schema = schemas.get(meta.topic);
    expect(schema).toBeDefined();
    const type = avroType(schema as never);
    const fromMeta = layoutFromMeta(meta);
    const fromAvro = layoutFromAvro(schema as never);
    expect(fromAvro).toEqual(fromMeta);
    const gen = recordGenerator(meta, 42);
    for (const seq of [0, 1, 7]) {
      const rec = gen(seq, NOW);
      expect(type.isValid(rec)).toBe(true);
      const line = formatSalText(fromMeta, rec);
      expect(salTextTopic(line)).toBe(meta.topic);
      const back = parseSalText(line, fromAvro, NOW);
      expect(back).toEqual(rec);
      expect(type.fromBuffer(type.toBuffer(back))).toEqual(type.fromBuffer(type.toBuffer(rec)));
    }
  }
}
