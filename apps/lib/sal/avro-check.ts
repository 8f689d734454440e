/**
 * Test helper shared by the unit and conformance suites of the Avro mapping: lookups, and the checks
 * that hold alike on the in-repo fixtures and on upstream ts_xml (both hold these ATDome, ATMCS,
 * ScriptQueue and MTM1M3TS topics; each suite adds what differs, such as the doc texts).
 */
import { avroType } from '../avro-type';
import { AvroField, AvroRecordSchema, EFD_FIELDS, SAL_NAMESPACE, topicToAvroSchema } from './avro';
import type { TsXmlFolder } from './ts-xml';
import { topicNamed } from './ts-xml-check';

/** The Avro schema of the topic named `name`. */
export function schemaOf(folder: TsXmlFolder, name: string): AvroRecordSchema {
  return topicToAvroSchema(topicNamed(folder, name));
}

/** The field named `name`, failing with the record name when there is none. */
export function field(schema: AvroRecordSchema, name: string): AvroField {
  const f = schema.fields.find((x) => x.name === name);
  if (!f) throw new Error(`no field ${name} in ${schema.name}`);
  return f;
}

/** The EFD fields of a record, with values of their types (a record to round-trip starts with these). */
export const EFD_VALUES = { kafka_timestamp: 1, sal_revcode: 'abc', sal_created: 2, sal_ingested: 3, sal_origin: 4, sal_host: 5 };

/** ATMCS_trajectory is named after EFDB_Topic in namespace lsst.sal with the SAL metadata; returns it. */
export function expectSalRecord(folder: TsXmlFolder): AvroRecordSchema {
  const s = schemaOf(folder, 'ATMCS_trajectory');
  expect(s).toMatchObject({
    type: 'record',
    name: 'ATMCS_trajectory',
    namespace: SAL_NAMESPACE,
    sal_topic_type: 'SALTelemetry',
    sal_subsystem: 'ATMCS',
  });
  expect(SAL_NAMESPACE).toBe('lsst.sal');
  return s;
}

/** ATDome_command_moveAzimuth starts with the EFD fields, kafka_timestamp a timestamp-millis long. */
export function expectEfdFieldsFirst(folder: TsXmlFolder): void {
  const s = schemaOf(folder, 'ATDome_command_moveAzimuth');
  expect(s.fields.slice(0, EFD_FIELDS.length).map((f) => f.name)).toEqual([
    'kafka_timestamp',
    'sal_revcode',
    'sal_created',
    'sal_ingested',
    'sal_origin',
    'sal_host',
  ]);
  expect(field(s, 'kafka_timestamp').type).toEqual({ type: 'long', logicalType: 'timestamp-millis' });
}

/** ATMCS_trajectory's elevation is an array of 100 doubles in deg; returns the field (its doc differs per source). */
export function expectElevationArray(folder: TsXmlFolder): AvroField {
  const elevation = field(schemaOf(folder, 'ATMCS_trajectory'), 'elevation');
  expect(elevation.type).toEqual({ type: 'array', items: 'double' });
  expect(elevation).toMatchObject({ sal_count: 100, sal_units: 'deg', sal_index: 1, sal_idl_type: 'double' });
  return elevation;
}

/** ScriptQueue's merged start is a csc generic; its own showQueue is not generic. */
export function expectGenericMarked(folder: TsXmlFolder): void {
  expect(schemaOf(folder, 'ScriptQueue_command_start')).toMatchObject({
    sal_generic: true,
    sal_category: 'csc',
    sal_subsystem: 'ScriptQueue',
  });
  expect(schemaOf(folder, 'ScriptQueue_command_showQueue').sal_generic).toBeUndefined();
}

/**
 * The legacy tags of ATDome_command_moveAzimuth (no author) with its `doc`, and MTM1M3TS_thermalData's
 * thermocoupleScanner1 (95 floats) with nothing more than its index and IDL type.
 */
export function expectLegacyTags(legacy: TsXmlFolder, moveAzimuthDoc: string): AvroRecordSchema {
  const s = schemaOf(legacy, 'ATDome_command_moveAzimuth');
  expect(s).toMatchObject({ sal_version: '3.8.2', sal_alias: 'moveAzimuth', sal_topic_type: 'SALCommand', doc: moveAzimuthDoc });
  expect(s.sal_author).toBeUndefined();
  expect(field(schemaOf(legacy, 'MTM1M3TS_thermalData'), 'thermocoupleScanner1')).toEqual({
    name: 'thermocoupleScanner1',
    type: { type: 'array', items: 'float' },
    sal_index: 1,
    sal_idl_type: 'float',
    sal_count: 95,
  });
  return s;
}

/** avsc compiles Test_logevent_arrays' schema and round-trips `items` (after the EFD fields) unchanged. */
export function expectArraysRoundTrip(folder: TsXmlFolder, items: Record<string, unknown>): void {
  const type = avroType(schemaOf(folder, 'Test_logevent_arrays') as never);
  const record = { ...EFD_VALUES, ...items };
  expect(type.fromBuffer(type.toBuffer(record))).toEqual(record);
}

/**
 * Test_logevent_arrays.int0, an int array, keeps its item-level enumeration `name` (`<name>_Zero`=0,
 * `_Two`=2, `_Four`=4, `_Five`=5) as data; Test_logevent_scalars.int0, an int, its Int0Enum_One…Three.
 * Returns the array field (each suite checks its doc).
 */
export function expectItemEnumerations(folder: TsXmlFolder, name: string): AvroField {
  const int0 = field(schemaOf(folder, 'Test_logevent_arrays'), 'int0');
  expect(int0.type).toEqual({ type: 'array', items: 'int' });
  expect(int0.sal_enumeration).toEqual({
    name,
    symbols: (['Zero', 'Two', 'Four', 'Five'] as const).map((s, i) => ({ name: `${name}_${s}`, value: [0, 2, 4, 5][i] })),
  });
  const scalar = field(schemaOf(folder, 'Test_logevent_scalars'), 'int0');
  expect(scalar.type).toBe('int');
  expect((scalar.sal_enumeration as { symbols: unknown[] }).symbols).toEqual([
    { name: 'Int0Enum_One', value: 1 },
    { name: 'Int0Enum_Two', value: 2 },
    { name: 'Int0Enum_Three', value: 3 },
  ]);
  return int0;
}
