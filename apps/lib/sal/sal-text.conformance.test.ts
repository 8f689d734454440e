/**
 * Conformance: every topic of the real ts_xml (v28 and 2019 layouts): a salmock record written as SAL
 * text parses back to the same record, valid for its Avro schema.
 */
import { describeConformance } from '../../../test/conformance';
import { convertTopics } from './convert';
import { loadTopicMetadata } from './metadata';
import { loadTsXmlFolder } from './ts-xml';
import { UPSTREAM_TS_XML, upstreamDirs } from './upstream-fixtures';
import { expectSalTextRoundTrip } from './sal-text-check';

describeConformance('SAL text round trip of every real ts_xml topic', UPSTREAM_TS_XML, (root) => {
  describe.each([
    ['current', upstreamDirs(root).current],
    ['legacy-2019', upstreamDirs(root).legacy],
  ])('every %s topic', (_name, dir) => {
    const { topics } = loadTopicMetadata(dir);
    const { schemas } = convertTopics(loadTsXmlFolder(dir).topics);

    it('salmock record → SAL text → parse gives the same record, valid for the Avro schema', () => {
      expect(topics.length).toBeGreaterThan(20);
      expectSalTextRoundTrip(topics, schemas);
    });
  });
});
