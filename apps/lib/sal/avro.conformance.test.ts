/**
 * Conformance: Avro schemas of real ts_xml topics (v28 and the 2019 layout): the SQR-029 mapping on
 * real items, real enumerations (`ValueEnum_Five=0x05`), generics and the 2019 topic tags.
 */
import { describeConformance } from '../../../test/conformance';
import {
  expectArraysRoundTrip,
  expectEfdFieldsFirst,
  expectElevationArray,
  expectGenericMarked,
  expectItemEnumerations,
  expectLegacyTags,
  expectSalRecord,
  field,
  schemaOf,
} from './avro-check';
import { TsXmlFolder } from './ts-xml';
import { loadLayouts } from './ts-xml-check';
import { UPSTREAM_TS_XML, upstreamDirs } from './upstream-fixtures';

describeConformance('topicToAvroSchema on real topics', UPSTREAM_TS_XML, (root) => {
  const dirs = upstreamDirs(root);
  let current: TsXmlFolder;
  let legacy: TsXmlFolder;
  beforeAll(() => ({ current, legacy } = loadLayouts(dirs.current, dirs.legacy)));

  describe('real topics', () => {
    it('names the record after EFDB_Topic in namespace lsst.sal with the SAL metadata', () => {
      expect(expectSalRecord(current).doc).toMatch(/^Telescope trajectory/);
    });

    it('starts every record with the EFD fields', () => {
      expectEfdFieldsFirst(current);
    });

    it('maps a telemetry array (Count 100 double) with units and description in doc', () => {
      expect(expectElevationArray(current).doc).toBe('Target mount elevation angle at 100Hz beginning at the specified time. Units: deg.');
    });

    it('maps string, boolean, unsigned and long long scalars', () => {
      const s = schemaOf(current, 'Test_logevent_scalars');
      expect(field(s, 'string0').type).toBe('string');
      expect(field(s, 'boolean0').type).toBe('boolean');
      expect(field(s, 'unsignedInt0')).toMatchObject({ type: 'long', sal_idl_type: 'unsigned int' });
      expect(field(s, 'longLong0').type).toBe('long');
      expect(field(s, 'byte0').type).toBe('bytes');
    });

    it('keeps an item-level enumeration as decoded data and in doc (NAME=0x05 → 5)', () => {
      const int0 = expectItemEnumerations(current, 'Int0ValueEnum');
      expect(int0.doc).toMatch(/Int0ValueEnum_Four=4, Int0ValueEnum_Five=5\.$/);
    });

    it('keeps set-level enumerations on the record and links fields that name one', () => {
      const s = schemaOf(current, 'Test_logevent_scalars');
      expect(s.sal_enumerations).toEqual([
        {
          name: 'Enum',
          symbols: [1, 2, 3].map((value, i) => ({ name: ['Enum_One', 'Enum_Two', 'Enum_Three'][i], value })),
        },
        {
          name: 'ValueEnum',
          symbols: [
            { name: 'ValueEnum_Zero', value: 0 },
            { name: 'ValueEnum_Two', value: 2 },
            { name: 'ValueEnum_Four', value: 4 },
            { name: 'ValueEnum_Five', value: 5 },
          ],
        },
      ]);
      const state = field(schemaOf(current, 'ATDome_logevent_azimuthState'), 'state');
      expect(state).toMatchObject({ type: 'long', sal_enumeration_ref: 'AzimuthState' });
      expect(schemaOf(current, 'ATDome_logevent_summaryState').sal_enumerations).toEqual([
        expect.objectContaining({ name: 'SummaryStates' }),
      ]);
    });

    it('marks merged generic topics and their category', () => {
      expectGenericMarked(current);
    });

    it('maps the legacy topic tags to sal_* keys (empty ones left out)', () => {
      expectLegacyTags(legacy, 'Rotate the dome to the specified azimuth.');
    });

    it('produces schemas avsc accepts and can round-trip a record with', () => {
      expectArraysRoundTrip(current, {
        boolean0: [true, false, true, false, true],
        byte0: [1, 2, 3, 4, 5].map((b) => Buffer.from([b])),
        short0: [1, 2, 3, 4, 5],
        int0: [0, 2, 4, 5, 0],
        long0: [1, 2, 3, 4, 5],
        longLong0: [1, 2, 3, 4, 5],
        unsignedShort0: [1, 2, 3, 4, 5],
        unsignedInt0: [1, 2, 3, 4, 5],
        float0: [0.5, 1, 2, 3, 4],
        double0: [0.25, 1, 2, 3, 4],
      });
    });
  });
});
