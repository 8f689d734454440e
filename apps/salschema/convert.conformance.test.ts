/**
 * Conformance: `salschema convert` on the real ts_xml copies: both layouts convert with 0 errors, one
 * valid .avsc per topic (generics merged), stable output, the CLI counts of the fixtures README.
 */
import { describeConformance } from '../../test/conformance';
import { describeConvertSuites } from './convert-check';
import { UPSTREAM_LEGACY_TOTAL_TOPICS, UPSTREAM_TS_XML, upstreamDirs } from '../lib/sal/upstream-fixtures';

describeConformance('salschema convert on the real ts_xml', UPSTREAM_TS_XML, (root) => {
  describeConvertSuites({
    name: 'real ts_xml',
    dirs: upstreamDirs(root),
    currentFiles: 19,
    legacyFiles: 6,
    legacyTopics: UPSTREAM_LEGACY_TOTAL_TOPICS,
    int0LastSymbol: 'Int0ValueEnum_Five',
  });
});
