/**
 * Conformance: the one-pass SAL text → Avro encoder on the real ts_xml topics (v28 and 2019 layouts):
 * the same bytes as parse + avsc for every topic, and the same outcome for randomly edited lines.
 */
import { describeConformance } from '../../test/conformance';
import { UPSTREAM_TS_XML, upstreamDirs } from '../lib/sal/upstream-fixtures';
import { expectSameBytesOnEveryTopic, expectSameOutcomeOnEditedLines } from './fast-encode-check';

describeConformance('one-pass encoder on the real ts_xml', UPSTREAM_TS_XML, (root) => {
  const dirs = upstreamDirs(root);

  describe.each([
    ['current', dirs.current],
    ['legacy-2019', dirs.legacy],
  ])('one-pass encoder on every real %s topic', (_n, dir) => {
    it('gives the same bytes as parse + avsc encode', () => expectSameBytesOnEveryTopic(dir));
  });

  describe('one-pass encoder on mutated lines of real topics (WebAssembly and JavaScript paths against parse + avsc)', () => {
    it('gives the same bytes or the same SalTextError for 4,000 random edits', () => expectSameOutcomeOnEditedLines(dirs.current));
  });
});
