/**
 * Conformance: Avro schemas of real ts_xml topics (v28 and the 2019 layout): the SQR-029 mapping on
 * real items, real enumerations (`ValueEnum_Five=0x05`), generics and the 2019 topic tags.
 */
import { avroType } from '../avro-type';
import { describeConformance } from '../../../test/conformance';
import { AvroField, AvroRecordSchema, EFD_FIELDS, SAL_NAMESPACE, topicToAvroSchema } from './avro';
import { loadTsXmlFolder, TsXmlFolder } from './ts-xml';
import { UPSTREAM_TS_XML, upstreamDirs } from './upstream-fixtures';

function schemaOf(folder: TsXmlFolder, name: string): AvroRecordSchema {
  const t = folder.topics.find((x) => x.name === name);
  if (!t) throw new Error(`no topic ${name}`);
  return topicToAvroSchema(t);
}

function field(schema: AvroRecordSchema, name: string): AvroField {
  const f = schema.fields.find((x) => x.name === name);
  if (!f) throw new Error(`no field ${name} in ${schema.name}`);
  return f;
}

describeConformance('topicToAvroSchema on real topics', UPSTREAM_TS_XML, (root) => {
  let current: TsXmlFolder;
  let legacy: TsXmlFolder;
  beforeAll(() => {
    current = loadTsXmlFolder(upstreamDirs(root).current);
    legacy = loadTsXmlFolder(upstreamDirs(root).legacy);
  });

  describe('real topics', () => {
    it('names the record after EFDB_Topic in namespace lsst.sal with the SAL metadata', () => {
      const s = schemaOf(current, 'ATMCS_trajectory');
      expect(s).toMatchObject({
        type: 'record',
        name: 'ATMCS_trajectory',
        namespace: SAL_NAMESPACE,
        sal_topic_type: 'SALTelemetry',
        sal_subsystem: 'ATMCS',
      });
      expect(s.doc).toMatch(/^Telescope trajectory/);
      expect(SAL_NAMESPACE).toBe('lsst.sal');
    });

    it('starts every record with the EFD fields', () => {
      const s = schemaOf(current, 'ATDome_command_moveAzimuth');
      expect(s.fields.slice(0, EFD_FIELDS.length).map((f) => f.name)).toEqual([
        'kafka_timestamp',
        'sal_revcode',
        'sal_created',
        'sal_ingested',
        'sal_origin',
        'sal_host',
      ]);
      expect(field(s, 'kafka_timestamp').type).toEqual({ type: 'long', logicalType: 'timestamp-millis' });
    });

    it('maps a telemetry array (Count 100 double) with units and description in doc', () => {
      const elevation = field(schemaOf(current, 'ATMCS_trajectory'), 'elevation');
      expect(elevation.type).toEqual({ type: 'array', items: 'double' });
      expect(elevation).toMatchObject({ sal_count: 100, sal_units: 'deg', sal_index: 1, sal_idl_type: 'double' });
      expect(elevation.doc).toBe('Target mount elevation angle at 100Hz beginning at the specified time. Units: deg.');
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
      const int0 = field(schemaOf(current, 'Test_logevent_arrays'), 'int0');
      expect(int0.type).toEqual({ type: 'array', items: 'int' });
      expect(int0.sal_enumeration).toEqual({
        name: 'Int0ValueEnum',
        symbols: [
          { name: 'Int0ValueEnum_Zero', value: 0 },
          { name: 'Int0ValueEnum_Two', value: 2 },
          { name: 'Int0ValueEnum_Four', value: 4 },
          { name: 'Int0ValueEnum_Five', value: 5 },
        ],
      });
      expect(int0.doc).toMatch(/Int0ValueEnum_Four=4, Int0ValueEnum_Five=5\.$/);
      const scalar = field(schemaOf(current, 'Test_logevent_scalars'), 'int0');
      expect(scalar.type).toBe('int');
      expect((scalar.sal_enumeration as { symbols: unknown[] }).symbols).toEqual([
        { name: 'Int0Enum_One', value: 1 },
        { name: 'Int0Enum_Two', value: 2 },
        { name: 'Int0Enum_Three', value: 3 },
      ]);
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
      expect(schemaOf(current, 'ScriptQueue_command_start')).toMatchObject({
        sal_generic: true,
        sal_category: 'csc',
        sal_subsystem: 'ScriptQueue',
      });
      expect(schemaOf(current, 'ScriptQueue_command_showQueue').sal_generic).toBeUndefined();
    });

    it('maps the legacy topic tags to sal_* keys (empty ones left out)', () => {
      const s = schemaOf(legacy, 'ATDome_command_moveAzimuth');
      expect(s).toMatchObject({
        sal_version: '3.8.2',
        sal_alias: 'moveAzimuth',
        sal_topic_type: 'SALCommand',
        doc: 'Rotate the dome to the specified azimuth.',
      });
      expect(s.sal_author).toBeUndefined();
      const t = schemaOf(legacy, 'MTM1M3TS_thermalData');
      expect(field(t, 'thermocoupleScanner1')).toEqual({
        name: 'thermocoupleScanner1',
        type: { type: 'array', items: 'float' },
        sal_index: 1,
        sal_idl_type: 'float',
        sal_count: 95,
      });
    });

    it('produces schemas avsc accepts and can round-trip a record with', () => {
      const type = avroType(schemaOf(current, 'Test_logevent_arrays') as never);
      const record = {
        kafka_timestamp: 1,
        sal_revcode: 'abc',
        sal_created: 2,
        sal_ingested: 3,
        sal_origin: 4,
        sal_host: 5,
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
      };
      const decoded = type.fromBuffer(type.toBuffer(record));
      expect(decoded).toEqual(record);
    });
  });
});
