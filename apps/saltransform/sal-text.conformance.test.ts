/**
 * Conformance: every topic of the real ts_xml (v28 and 2019 layouts): a salmock record written as SAL
 * text parses back to the same record, valid for its Avro schema.
 */
import { Type } from 'avsc';
import { describeConformance } from '../../test/conformance';
import { convertTopics } from '../salschema/convert';
import { loadTopicMetadata } from '../salschema/metadata';
import { loadTsXmlFolder } from '../salschema/ts-xml';
import { UPSTREAM_TS_XML, upstreamDirs } from '../salschema/upstream-fixtures';
import { recordGenerator } from '../salmock/values';
import { formatSalText, layoutFromAvro, layoutFromMeta, parseSalText, salTextTopic } from './sal-text';

const NOW = 1_700_000_000_123;

describeConformance('SAL text round trip of every real ts_xml topic', UPSTREAM_TS_XML, (root) => {
  describe.each([
    ['current', upstreamDirs(root).current],
    ['legacy-2019', upstreamDirs(root).legacy],
  ])('every %s topic', (_name, dir) => {
    const { topics } = loadTopicMetadata(dir);
    const { schemas } = convertTopics(loadTsXmlFolder(dir).topics);

    it('salmock record → SAL text → parse gives the same record, valid for the Avro schema', () => {
      expect(topics.length).toBeGreaterThan(20);
      for (const meta of topics) {
        const schema = schemas.get(meta.topic);
        expect(schema).toBeDefined();
        const type = Type.forSchema(schema as never);
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
    });
  });
});
