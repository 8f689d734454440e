/**
 * Conformance: salmock values for every real ts_xml topic fit their field (IDL range, Avro type, array
 * length, enumerated values) and survive an Avro round trip.
 */
import { describeConformance } from '../../../test/conformance';
import { convertTopics } from './convert';
import { loadTopicMetadata, TopicMeta } from './metadata';
import { loadTsXmlFolder } from './ts-xml';
import { UPSTREAM_TS_XML, upstreamDirs } from './upstream-fixtures';
import { AvroRecordSchema } from './avro';
import { expectValuesFitFields } from './values-check';

describeConformance('salmock values for the real ts_xml topics', UPSTREAM_TS_XML, (root) => {
  let topics: TopicMeta[];
  let schemas: Map<string, AvroRecordSchema>;
  beforeAll(() => {
    const dir = upstreamDirs(root).current;
    topics = loadTopicMetadata(dir).topics;
    schemas = convertTopics(loadTsXmlFolder(dir).topics).schemas;
  });

  it('fit every field: IDL range, Avro type, array length, enumeration values', () => expectValuesFitFields(topics, schemas));
});
