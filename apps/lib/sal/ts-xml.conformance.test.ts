/**
 * Conformance: the ts_xml reader on the real ts_xml copies (v28 and the 2019 layout): every file reads
 * with no error and gives the counts the fixtures README states; generics merge as SALSubsystems.xml says.
 */
import { describeConformance } from '../../../test/conformance';
import { TsXmlFolder } from './ts-xml';
import { expectedGenerics } from './test-fixtures';
import {
  expectCurrentFilesRead,
  expectEntitledGenericsMerged,
  expectFileCounts,
  expectLegacyCounts,
  expectMergeByCategory,
  expectRoleFiles,
  loadLayouts,
  topicNamed as topic,
} from './ts-xml-check';
import {
  UPSTREAM_CURRENT_COUNTS,
  UPSTREAM_CURRENT_GENERIC_TOPICS,
  UPSTREAM_CURRENT_TOTAL_TOPICS,
  UPSTREAM_LEGACY_COUNTS,
  UPSTREAM_LEGACY_TOTAL_TOPICS,
  UPSTREAM_SUBSYSTEMS,
  UPSTREAM_TS_XML,
  upstreamDirs,
} from './upstream-fixtures';

describeConformance('ts_xml reader on the real ts_xml', UPSTREAM_TS_XML, (root) => {
  const dirs = upstreamDirs(root);
  let current: TsXmlFolder;
  let legacy: TsXmlFolder;
  beforeAll(() => ({ current, legacy } = loadLayouts(dirs.current, dirs.legacy)));

  describe('current layout (v28)', () => {
    it('reads every file with no error', () => {
      expectCurrentFilesRead(current, dirs.interfaces, UPSTREAM_CURRENT_COUNTS);
    });

    it.each(Object.entries(UPSTREAM_CURRENT_COUNTS))('%s has the README topic, enumeration and item counts', (file, counts) => {
      expectFileCounts(current, dirs.interfaces, file, counts);
    });

    it('recognises SALGenerics.xml and SALSubsystems.xml by their root elements', () => {
      expectRoleFiles(current, dirs.interfaces, UPSTREAM_SUBSYSTEMS, UPSTREAM_CURRENT_GENERIC_TOPICS);
    });

    it('merges the generics each subsystem is entitled to (computed from SALSubsystems.xml)', () => {
      const expected = expectedGenerics(dirs.interfaces);
      const ownTopics = UPSTREAM_CURRENT_TOTAL_TOPICS - UPSTREAM_CURRENT_GENERIC_TOPICS;
      const genericTotal = [...expected.values()].reduce((n, g) => n + g.length, 0);
      expect(current.topics).toHaveLength(ownTopics + genericTotal);
      expectEntitledGenericsMerged(current, expected);
    });

    it('gives real examples of the merge', () => {
      const names = expectMergeByCategory(current);
      expect([...names].some((n) => /_command_(abort|enterControl)$|_logevent_largeFileObjectAvailable$/.test(n))).toBe(false);
      expect([...names].some((n) => n.startsWith('SALGeneric_'))).toBe(false);
      expect(topic(current, 'Test_logevent_summaryState').enumerations[0].name).toBe('SummaryStates');
    });

    it('parses items: IDL type, count, units, description, item-level enumeration', () => {
      const elevation = topic(current, 'ATMCS_trajectory').items.find((i) => i.name === 'elevation');
      expect(elevation).toMatchObject({ idlType: 'double', count: 100, units: 'deg', index: 1 });
      const int0 = topic(current, 'Test_logevent_arrays').items.find((i) => i.name === 'int0')!;
      expect(int0.enumeration!.symbols.map((s) => s.value)).toEqual([0, 2, 4, 5]);
      const cs = topic(current, 'ScriptQueue_logevent_nextVisit').items.find((i) => i.name === 'coordinateSystem');
      expect(cs?.enumeration?.name).toBe('CSys');
    });
  });

  describe('legacy (2019) layout', () => {
    it('reads every file with no error and the README counts', () => {
      expectLegacyCounts(legacy, UPSTREAM_LEGACY_TOTAL_TOPICS, UPSTREAM_LEGACY_COUNTS);
    });

    it('keeps EFDB_Topic names and the 2019 metadata', () => {
      const move = topic(legacy, 'ATDome_command_moveAzimuth');
      expect(move).toMatchObject({ subsystem: 'ATDome', kind: 'command', generic: false });
      expect(move.metadata).toEqual({ Version: '3.8.2', Alias: 'moveAzimuth' });
      expect(topic(legacy, 'ATDome_position').kind).toBe('telemetry');
      const thermal = topic(legacy, 'MTM1M3TS_thermalData');
      expect(thermal.items.map((i) => [i.name, i.count])).toContainEqual(['thermocoupleScanner1', 95]);
      expect(thermal.items[0].units).toBeUndefined(); // empty <Units></Units>
    });
  });
});
